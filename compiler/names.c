/* compiler/names.c — the naming rules of generated C (see names.h). */
#include "compiler/names.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Append one char to buf if room is left; always counts it. */
static void put(char *buf, size_t cap, size_t *n, char c) {
  if (*n + 1 < cap)
    buf[*n] = c;
  (*n)++;
}

static void put_str(char *buf, size_t cap, size_t *n, const char *s) {
  for (; s && *s; s++)
    put(buf, cap, n, *s);
}

static void finish(char *buf, size_t cap, size_t n) {
  if (cap > 0)
    buf[n < cap ? n : cap - 1] = '\0';
}

/* Snake-case `name` into buf at *n, lower or upper. A '_' goes before an
 * upper-case letter that follows a lower-case letter or digit, or that is
 * followed by a lower-case letter after another upper-case one (the end of
 * an acronym). */
static void put_snake(char *buf, size_t cap, size_t *n, const char *name, bool upper) {
  size_t len = strlen(name);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)name[i];
    if (isupper(c) && i > 0) {
      unsigned char p = (unsigned char)name[i - 1];
      unsigned char nx = i + 1 < len ? (unsigned char)name[i + 1] : 0;
      if (islower(p) || isdigit(p) || (isupper(p) && islower(nx)))
        put(buf, cap, n, '_');
    }
    put(buf, cap, n, (char)(upper ? toupper(c) : tolower(c)));
  }
}

size_t orcac_snake(char *buf, size_t cap, const char *name) {
  size_t n = 0;
  put_snake(buf, cap, &n, name, false);
  finish(buf, cap, n);
  return n;
}

size_t orcac_upper_snake(char *buf, size_t cap, const char *name) {
  size_t n = 0;
  put_snake(buf, cap, &n, name, true);
  finish(buf, cap, n);
  return n;
}

size_t orcac_c_prefix(char *buf, size_t cap, const char *package) {
  size_t n = 0;
  put_snake(buf, cap, &n, package, false);
  put(buf, cap, &n, '_');
  finish(buf, cap, n);
  return n;
}

size_t orcac_c_name(char *buf, size_t cap, const char *package, const char *name,
                    const char *suffix) {
  size_t n = 0;
  put_snake(buf, cap, &n, package, false);
  put(buf, cap, &n, '_');
  put_snake(buf, cap, &n, name, false);
  put_str(buf, cap, &n, suffix);
  finish(buf, cap, n);
  return n;
}

size_t orcac_c_enum_value(char *buf, size_t cap, const char *package, const char *enum_name,
                          const char *value) {
  size_t n = 0;
  put_snake(buf, cap, &n, package, true);
  put(buf, cap, &n, '_');
  put_snake(buf, cap, &n, enum_name, true);
  put(buf, cap, &n, '_');
  put_snake(buf, cap, &n, value, true);
  finish(buf, cap, n);
  return n;
}

size_t orcac_c_schema(char *buf, size_t cap, const char *package) {
  size_t n = 0;
  put_snake(buf, cap, &n, package, false);
  put(buf, cap, &n, '_');
  put_str(buf, cap, &n, ORCAC_SFX_SCHEMA);
  finish(buf, cap, n);
  return n;
}

static const char *const enum_sfx[] = {"", "_name", "_parse"};
static const char *const struct_sfx[] = {"", "_init", "_free", "_pack", "_unpack", "_list", "_map"};
static const char *const task_sfx[] = {ORCAC_SFX_ENQUEUE, "_enqueue_at",     "_enqueue_in",
                                       "_enqueue_opts",   ORCAC_SFX_HANDLER, "_result",
                                       "_fetch",          "_invoke"};

static void each(const char *package, const char *name, const char *pre, const char *const *sfx,
                 size_t n, orcac_name_fn fn, void *ctx) {
  for (size_t i = 0; i < n; i++) {
    char suffix[64];
    snprintf(suffix, sizeof suffix, "%s%s", pre, sfx[i]);
    size_t len = orcac_c_name(NULL, 0, package, name, suffix);
    char *buf = malloc(len + 1);
    if (!buf)
      return; /* out of memory: the name goes unchecked, nothing worse */
    orcac_c_name(buf, len + 1, package, name, suffix);
    fn(ctx, buf);
    free(buf);
  }
}

void orcac_names_reserved(const char *package, orca_ast_decl_kind kind, const char *name,
                          orcac_name_fn fn, void *ctx) {
  size_t ns = sizeof struct_sfx / sizeof struct_sfx[0];
  switch (kind) {
  case ORCA_AST_ENUM:
    each(package, name, "", enum_sfx, sizeof enum_sfx / sizeof enum_sfx[0], fn, ctx);
    break;
  case ORCA_AST_STRUCT:
    each(package, name, "", struct_sfx, ns, fn, ctx);
    break;
  case ORCA_AST_TASK:
    each(package, name, ORCAC_SFX_ARGS, struct_sfx, ns, fn, ctx);
    each(package, name, "", task_sfx, sizeof task_sfx / sizeof task_sfx[0], fn, ctx);
    break;
  case ORCA_AST_SCHEDULE:
    break;
  }
}

void orcac_names_file_reserved(const char *package, orcac_name_fn fn, void *ctx) {
  static const char *const file_names[] = {"handlers", "register"};
  for (size_t i = 0; i < 2; i++) {
    size_t n = orcac_c_prefix(NULL, 0, package);
    char *buf = malloc(n + strlen(file_names[i]) + 1);
    if (!buf)
      return;
    orcac_c_prefix(buf, n + 1, package);
    strcpy(buf + n, file_names[i]);
    fn(ctx, buf);
    free(buf);
  }
}

size_t orcac_c_guard(char *buf, size_t cap, const char *basename) {
  size_t n = 0;
  for (const char *c = basename; *c; c++) {
    bool alnum = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9');
    put(buf, cap, &n, (char)(alnum ? toupper((unsigned char)*c) : '_'));
  }
  put_str(buf, cap, &n, "_ORCA_H");
  finish(buf, cap, n);
  return n;
}

bool orcac_file_name_ok(const char *basename) {
  if (!((basename[0] >= 'a' && basename[0] <= 'z') || (basename[0] >= 'A' && basename[0] <= 'Z')))
    return false;
  for (const char *c = basename; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
          *c == '_' || *c == '-' || *c == '.'))
      return false;
  return true;
}
