/* codegen.c — orcac_codegen() and orcac_codegen_python(): model, render,
 * write.
 *
 * The only file of the generator that touches the file system: it finds the
 * templates (embedded into orcac at build time, or a --templates directory
 * that overrides them one by one), renders the header and the source and
 * writes each through a temporary file renamed into place, so a build never
 * sees half a generated file. */
#include "compiler/codegen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codegen_internal.h"

typedef struct tsrc {
  cg_pool *pool;
  const char *dir; /* NULL: embedded only */
  bool failed;     /* a template file exists in dir but could not be read */
} tsrc;

static const char *embedded(const char *name) {
  for (size_t i = 0; i < orcac__ntemplates; i++)
    if (strcmp(orcac__templates[i].name, name) == 0)
      return orcac__templates[i].text;
  return NULL;
}

/* Read DIR/NAME.mustache into the pool; NULL if it does not exist. A file
 * that exists but cannot be read is reported, sets s->failed and yields
 * NULL (no silent fallback to the embedded one). */
static const char *from_dir(tsrc *s, const char *name) {
  char *path = cg_printf(s->pool, "%s/%s.mustache", s->dir, name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    if (errno != ENOENT) {
      fprintf(stderr, "orcac: %s: %s\n", path, strerror(errno));
      s->failed = true;
    }
    return NULL;
  }
  cg_sb b = {0};
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    cg_sb_putn(&b, chunk, n);
  bool bad = ferror(f) || memchr(b.data ? b.data : "", '\0', b.len) != NULL;
  fclose(f);
  if (bad) {
    fprintf(stderr, "orcac: %s: unreadable or contains NUL bytes\n", path);
    cg_sb_free(&b);
    s->failed = true;
    return NULL;
  }
  char *r = cg_sb_pool(s->pool, &b);
  cg_sb_free(&b);
  return r;
}

static const char *load(void *ctx, const char *name) {
  tsrc *s = ctx;
  const char *t = s->dir ? from_dir(s, name) : NULL;
  return t ? t : s->failed ? NULL : embedded(name);
}

/* Write data to path through path.tmp + rename. Returns 0 or -1 (reported). */
static int write_file(cg_pool *p, const char *path, const cg_sb *data) {
  char *tmp = cg_printf(p, "%s.tmp%ld", path, (long)getpid());
  FILE *f = fopen(tmp, "wb");
  if (!f) {
    fprintf(stderr, "orcac: cannot write %s: %s\n", tmp, strerror(errno));
    return -1;
  }
  bool ok = fwrite(data->data ? data->data : "", 1, data->len, f) == data->len;
  ok = (fclose(f) == 0) && ok;
  if (!ok || rename(tmp, path) != 0) {
    fprintf(stderr, "orcac: cannot write %s: %s\n", path, strerror(errno));
    remove(tmp);
    return -1;
  }
  return 0;
}

/* A mistyped --templates would otherwise fall back to the embedded
 * templates without a word. Returns 0 or -1 (reported). */
static int check_templates_dir(const char *templates_dir) {
  struct stat st;
  if (templates_dir && (stat(templates_dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
    fprintf(stderr, "orcac: --templates %s: %s\n", templates_dir,
            errno && errno != ENOTDIR ? strerror(errno) : "not a directory");
    return -1;
  }
  return 0;
}

int orcac_codegen(const orca_ast_file *file, const char *outdir, const char *templates_dir) {
  if (check_templates_dir(templates_dir) != 0)
    return -1;
  cg_pool *p = cg_pool_new();
  if (!p) {
    fputs("orcac: out of memory\n", stderr);
    return -1;
  }
  tsrc ts = {p, templates_dir, false};
  cg_template_src src = {load, &ts};
  cg_val *model = orcac__codegen_model(p, file);
  cg_sb h = {0}, c = {0};
  int rc = -1;
  if (cg_render(p, &src, "header.h", model, &h) == 0 &&
      cg_render(p, &src, "source.c", model, &c) == 0) {
    const char *dir = outdir && *outdir ? outdir : ".";
    char *hpath = cg_printf(p, "%s/%s.orca.h", dir, file->basename);
    char *cpath = cg_printf(p, "%s/%s.orca.c", dir, file->basename);
    if (write_file(p, hpath, &h) == 0 && write_file(p, cpath, &c) == 0)
      rc = 0;
  }
  cg_sb_free(&h);
  cg_sb_free(&c);
  cg_pool_free(p);
  return rc;
}

int orcac_codegen_python(const orca_ast_file *file, const char *outdir, const char *templates_dir) {
  if (check_templates_dir(templates_dir) != 0)
    return -1;
  cg_pool *p = cg_pool_new();
  if (!p) {
    fputs("orcac: out of memory\n", stderr);
    return -1;
  }
  tsrc ts = {p, templates_dir, false};
  cg_template_src src = {load, &ts};
  cg_sb py = {0};
  int rc = -1;
  if (cg_render(p, &src, "module.py", orcac__codegen_py_model(p, file), &py) == 0) {
    const char *dir = outdir && *outdir ? outdir : ".";
    char *path = cg_printf(p, "%s/%s.py", dir, cg_py_module(p, file->basename));
    rc = write_file(p, path, &py);
  }
  cg_sb_free(&py);
  cg_pool_free(p);
  return rc;
}
