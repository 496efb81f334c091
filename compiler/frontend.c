/* compiler/frontend.c — the front-end pipeline: read, parse, load imports
 * (relative to the importing file, then the -I directories; cycles are an
 * error), then the semantic pass. */
#include "compiler/frontend.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void orcac_session_init(orcac_session *s, const char *const *import_dirs, size_t n,
                        FILE *diag_out) {
  memset(s, 0, sizeof *s);
  orca_arena_init(&s->arena, 64 * 1024);
  s->diags.out = diag_out;
  s->import_dirs = import_dirs;
  s->nimport_dirs = n;
}

void orcac_session_free(orcac_session *s) {
  for (size_t i = 0; i < s->loaded.n; i++) {
    orcac_loaded *l = s->loaded.items[i];
    free(l->key);
    free(l);
  }
  orcac_diag_free(&s->diags);
  orca_arena_free(&s->arena);
  memset(s, 0, sizeof *s);
}

static const char *dir_of(orca_arena *a, const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    return ".";
  if (slash == path)
    return "/";
  return orcac_strndup(a, path, (size_t)(slash - path));
}

static const char *base_of(orca_arena *a, const char *path) {
  const char *slash = strrchr(path, '/');
  const char *b = slash ? slash + 1 : path;
  size_t n = strlen(b);
  if (n > 5 && strcmp(b + n - 5, ".orca") == 0)
    n -= 5;
  return orcac_strndup(a, b, n);
}

/* Parse one buffer registered under path, then its imports, then sema. */
static orca_ast_file *load_text(orcac_session *s, orcac_loaded *self, const char *path,
                                const char *text, size_t len);

/* Why path cannot be read as a .orca file, or NULL when it can: it must be
 * a regular file (not a directory, device or pipe) of at most
 * ORCAC_MAX_SOURCE_BYTES. */
static const char *unreadable(orca_arena *a, const char *path) {
  struct stat st;
  if (stat(path, &st) != 0)
    return strerror(errno);
  if (S_ISDIR(st.st_mode))
    return "it is a directory";
  if (!S_ISREG(st.st_mode))
    return "it is not a regular file";
  if ((uintmax_t)st.st_size > ORCAC_MAX_SOURCE_BYTES)
    return orcac_printf(a, "it is larger than %u MiB", ORCAC_MAX_SOURCE_BYTES >> 20);
  return NULL;
}

/* Read a whole file into a heap buffer (NUL-terminated). Stops past
 * ORCAC_MAX_SOURCE_BYTES, which load_text reports. */
static char *read_file(const char *path, size_t *len, int *errnum) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    *errnum = errno;
    return NULL;
  }
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  while (buf && n <= ORCAC_MAX_SOURCE_BYTES) {
    if (n + 1 >= cap) {
      char *b = realloc(buf, cap * 2);
      if (!b) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = b;
      cap *= 2;
    }
    size_t r = fread(buf + n, 1, cap - n - 1, f);
    n += r;
    if (r == 0)
      break;
  }
  *errnum = ferror(f) ? EIO : ENOMEM;
  bool bad = ferror(f);
  fclose(f);
  if (!buf || bad) {
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

static orcac_loaded *find_loaded(orcac_session *s, const char *key) {
  for (size_t i = 0; i < s->loaded.n; i++) {
    orcac_loaded *l = s->loaded.items[i];
    if (strcmp(l->key, key) == 0)
      return l;
  }
  return NULL;
}

static orcac_loaded *add_loaded(orcac_session *s, const char *key) {
  orcac_loaded *l = calloc(1, sizeof *l);
  if (!l || !(l->key = strdup(key)) || !orcac_vec_push(&s->arena, &s->loaded, l)) {
    if (l)
      free(l->key);
    free(l);
    return NULL;
  }
  return l;
}

/* Load a file by path; `from` is the import that asked for it (NULL for an
 * input file), for messages. */
static orca_ast_file *load_path(orcac_session *s, const char *path, const orca_ast_import *from) {
  char real[PATH_MAX];
  const char *why = realpath(path, real) ? unreadable(&s->arena, real) : strerror(errno);
  if (why) {
    orca_ast_pos pos = from ? from->pos : (orca_ast_pos){path, 0, 0};
    orcac_diag(&s->diags, false, pos,
               from ? "cannot read imported file '%s': %s" : "cannot read '%s': %s",
               from ? from->path : path, why);
    return NULL;
  }
  orcac_loaded *l = find_loaded(s, real);
  if (l) {
    if (!l->file && !l->failed) {
      /* Still on the stack: an import cycle. Name it from where it starts. */
      const char *chain = "";
      bool on = false;
      for (size_t i = 0; i < s->stack.n && chain; i++) {
        orcac_loaded *x = s->stack.items[i];
        on = on || x == l;
        if (on)
          chain = orcac_printf(&s->arena, "%s%s -> ", chain, strrchr(x->key, '/') + 1);
      }
      orcac_diag(&s->diags, false, from->pos, "import cycle: %s%s", chain ? chain : "",
                 strrchr(real, '/') + 1);
    }
    return l->file;
  }
  l = add_loaded(s, real);
  size_t len = 0;
  int errnum = 0;
  char *text = l ? read_file(path, &len, &errnum) : NULL;
  if (!text) {
    orca_ast_pos pos = from ? from->pos : (orca_ast_pos){path, 0, 0};
    orcac_diag(&s->diags, false, pos, "cannot read '%s': %s", path, strerror(errnum));
    if (l)
      l->failed = true;
    return NULL;
  }
  orca_ast_file *f = load_text(s, l, path, text, len);
  free(text);
  return f;
}

/* Find an import: relative to the importing file, then each -I directory. */
static orca_ast_file *load_import(orcac_session *s, orca_ast_file *file, orca_ast_import *im) {
  if (s->no_imports) {
    orcac_diag(&s->diags, false, im->pos, "imports are disabled here");
    return NULL;
  }
  const char *cand = im->path[0] == '/' || strcmp(file->dir, ".") == 0
                         ? im->path
                         : orcac_printf(&s->arena, "%s/%s", file->dir, im->path);
  /* The first regular file among the candidates; else the first thing
   * that exists under that name, to say why it cannot be imported. */
  const char *other = NULL;
  struct stat st;
  for (size_t i = 0; cand; i++) {
    if (stat(cand, &st) == 0) {
      if (S_ISREG(st.st_mode))
        break;
      other = other ? other : cand;
    }
    cand =
        i < s->nimport_dirs ? orcac_printf(&s->arena, "%s/%s", s->import_dirs[i], im->path) : NULL;
  }
  if (!cand) {
    if (other && stat(other, &st) == 0)
      orcac_diag(&s->diags, false, im->pos, "imported file '%s'%s is %s", im->path,
                 strcmp(other, im->path) ? orcac_printf(&s->arena, " ('%s')", other) : "",
                 S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
    else
      orcac_diag(&s->diags, false, im->pos, "imported file '%s' not found (looked in '%s'%s)",
                 im->path, file->dir, s->nimport_dirs ? " and the -I directories" : "");
    return NULL;
  }
  if (s->stack.n >= ORCAC_MAX_IMPORT_DEPTH) {
    orcac_diag(&s->diags, false, im->pos, "imports are nested more than %d files deep",
               ORCAC_MAX_IMPORT_DEPTH);
    return NULL;
  }
  im->resolved = cand;
  orca_ast_file *f = load_path(s, cand, im);
  char real[PATH_MAX];
  orcac_loaded *l = !f && realpath(cand, real) ? find_loaded(s, real) : NULL;
  if (l && l->failed)
    orcac_diag(&s->diags, false, im->pos, "imported file '%s' has errors", im->path);
  return f;
}

static orca_ast_file *load_text(orcac_session *s, orcac_loaded *self, const char *path,
                                const char *text, size_t len) {
  if (len > ORCAC_MAX_SOURCE_BYTES) {
    orcac_diag(&s->diags, false, (orca_ast_pos){path, 0, 0},
               "cannot read '%s': it is larger than %u MiB", path, ORCAC_MAX_SOURCE_BYTES >> 20);
    if (self)
      self->failed = true;
    return NULL;
  }
  orcac_source *src = orcac_diag_add_source(&s->diags, path, text, len);
  if (!src)
    return NULL;
  unsigned before = s->diags.errors;
  size_t mark = orcac_diag_hold(&s->diags);
  orca_ast_file *f = orcac_parse_text(&s->arena, &s->diags, src->path, src->text, len);
  if (!f) {
    orcac_diag_flush(&s->diags, mark);
    if (self)
      self->failed = true;
    return NULL;
  }
  f->dir = dir_of(&s->arena, src->path);
  f->basename = base_of(&s->arena, src->path);
  if (self && !orcac_vec_push(&s->arena, &s->stack, self)) {
    orcac_diag_flush(&s->diags, mark);
    return NULL;
  }
  bool imports_ok = true;
  for (size_t i = 0; i < f->nimports; i++) {
    f->imports[i].file = load_import(s, f, &f->imports[i]);
    imports_ok = imports_ok && f->imports[i].file;
  }
  if (self)
    s->stack.n--;
  /* Check even with syntax errors, to report as much as possible in one
   * run; sema copes with partial trees. A failed import stops here, or
   * every use of its names would be reported again. */
  if (imports_ok)
    orcac_sema(s, f);
  orcac_diag_flush(&s->diags, mark);
  bool ok = s->diags.errors == before && imports_ok;
  if (self) {
    self->file = ok ? f : NULL;
    self->failed = !ok;
  }
  return ok ? f : NULL;
}

orca_ast_file *orcac_load(orcac_session *s, const char *path) {
  return load_path(s, path, NULL);
}

orca_ast_file *orcac_load_buffer(orcac_session *s, const char *name, const char *data, size_t len) {
  return load_text(s, NULL, name, data, len);
}

void orcac_session_files(const orcac_session *s, void (*fn)(void *ctx, const char *path),
                         void *ctx) {
  for (size_t i = 0; i < s->loaded.n; i++) {
    const orcac_loaded *l = s->loaded.items[i];
    fn(ctx, l->key);
  }
}
