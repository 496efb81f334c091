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

/* One generated file: the template that renders it and its name. */
typedef struct output {
  const char *tmpl; /* "header.h" */
  const char *fmt;  /* "%s/%s.orca.h": the output directory, then the name */
  const char *name; /* the file's basename, or its Python module name */
} output;

/* Render every output against the model `build` makes of `file`, then write
 * them all (none is written when one fails to render). Returns 0 or -1
 * (reported). */
static int generate(const orca_ast_file *file, const char *outdir, const char *templates_dir,
                    cg_val *(*build)(cg_pool *, const orca_ast_file *), output *outs,
                    size_t nouts) {
  if (check_templates_dir(templates_dir) != 0)
    return -1;
  cg_pool *p = cg_pool_new();
  if (!p) {
    fputs("orcac: out of memory\n", stderr);
    return -1;
  }
  tsrc ts = {p, templates_dir, false};
  cg_template_src src = {load, &ts};
  cg_val *model = build(p, file);
  cg_sb text[2] = {{0}, {0}};
  int rc = nouts <= 2 ? 0 : -1;
  for (size_t i = 0; rc == 0 && i < nouts; i++)
    rc = cg_render(p, &src, outs[i].tmpl, model, &text[i]);
  const char *dir = outdir && *outdir ? outdir : ".";
  for (size_t i = 0; rc == 0 && i < nouts; i++)
    rc = write_file(p, cg_printf(p, outs[i].fmt, dir, outs[i].name), &text[i]);
  for (size_t i = 0; i < 2; i++)
    cg_sb_free(&text[i]);
  cg_pool_free(p);
  return rc;
}

int orcac_codegen(const orca_ast_file *file, const char *outdir, const char *templates_dir) {
  output outs[] = {{"header.h", "%s/%s.orca.h", file->basename},
                   {"source.c", "%s/%s.orca.c", file->basename}};
  return generate(file, outdir, templates_dir, orcac__codegen_model, outs, 2);
}

int orcac_codegen_python(const orca_ast_file *file, const char *outdir, const char *templates_dir) {
  cg_pool *p = cg_pool_new();
  if (!p) {
    fputs("orcac: out of memory\n", stderr);
    return -1;
  }
  output outs[] = {{"module.py", "%s/%s.py", cg_py_module(p, file->basename)}};
  int rc = generate(file, outdir, templates_dir, orcac__codegen_py_model, outs, 1);
  cg_pool_free(p);
  return rc;
}
