/* compiler/main.c — the orcac driver: options, loading each input, code
 * generation and the depfile.
 *
 *   orcac [-I DIR]... [-o OUTDIR] [--lang c|python] [--depfile FILE]
 *         [--templates DIR] [--check] FILE.orca...
 *
 * Exit status: 0 when every file compiled (silently), 1 after reporting
 * errors, 2 on bad usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/frontend.h"
#ifdef ORCAC_HAVE_CODEGEN
#include "compiler/codegen.h"
#endif

#ifndef ORCAC_VERSION
#define ORCAC_VERSION "0.0.0"
#endif

static void usage(FILE *out) {
  fputs("usage: orcac [-I DIR]... [-o OUTDIR] [--lang c|python] [--depfile FILE]\n"
        "             [--templates DIR] [--check] FILE.orca...\n"
        "Compile .orca files to C: OUTDIR/NAME.orca.h and OUTDIR/NAME.orca.c\n"
        "(--lang python: the typed Python module OUTDIR/NAME_orca.py).\n"
        "  -I DIR            also look for imports in DIR (after the importing file's dir)\n"
        "  -o OUTDIR         where to write generated files (default: .)\n"
        "  --lang LANG       c (default) or python\n"
        "  --depfile FILE    write a Makefile rule: outputs depend on every file read\n"
        "  --templates DIR   render with the templates in DIR, not the built-in ones\n"
        "  --check           check the files only; write nothing\n"
        "  --version         print the version\n"
        "  --help            print this help\n",
        out);
}

typedef struct dep_ctx {
  FILE *f;
} dep_ctx;

/* Escape a path for Makefile syntax (spaces, '#', '$'). */
static void put_path(FILE *f, const char *p) {
  for (; *p; p++) {
    if (*p == ' ' || *p == '#' || *p == '\\')
      fputc('\\', f);
    if (*p == '$')
      fputc('$', f);
    fputc(*p, f);
  }
}

static void dep_file(void *vctx, const char *path) {
  dep_ctx *c = vctx;
  fputs(" \\\n  ", c->f);
  put_path(c->f, path);
}

static int write_depfile(const char *path, orcac_session *s, const char *const *outputs,
                         size_t nout) {
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "orcac: cannot write depfile '%s'\n", path);
    return -1;
  }
  for (size_t i = 0; i < nout; i++) {
    if (i)
      fputc(' ', f);
    put_path(f, outputs[i]);
  }
  fputc(':', f);
  dep_ctx c = {f};
  orcac_session_files(s, dep_file, &c);
  fputc('\n', f);
  return fclose(f) == 0 ? 0 : -1;
}

int main(int argc, char **argv) {
  const char **dirs = calloc((size_t)argc, sizeof *dirs);
  const char **inputs = calloc((size_t)argc, sizeof *inputs);
  size_t ndirs = 0, ninputs = 0;
  const char *outdir = ".", *depfile = NULL, *templates = NULL, *lang = "c";
  bool check = false;
  int rc = 0;
  if (!dirs || !inputs) {
    fputs("orcac: out of memory\n", stderr);
    return 1;
  }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char **slot = NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      goto out;
    } else if (strcmp(a, "--version") == 0) {
      printf("orcac %s\n", ORCAC_VERSION);
      goto out;
    } else if (strcmp(a, "--check") == 0) {
      check = true;
      continue;
    } else if (strcmp(a, "-I") == 0) {
      slot = &dirs[ndirs++];
    } else if (strncmp(a, "-I", 2) == 0) {
      dirs[ndirs++] = a + 2;
      continue;
    } else if (strcmp(a, "-o") == 0) {
      slot = &outdir;
    } else if (strcmp(a, "--depfile") == 0) {
      slot = &depfile;
    } else if (strcmp(a, "--templates") == 0) {
      slot = &templates;
    } else if (strcmp(a, "--lang") == 0) {
      slot = &lang;
    } else if (a[0] == '-' && a[1]) {
      fprintf(stderr, "orcac: unknown option '%s'\n", a);
      usage(stderr);
      rc = 2;
      goto out;
    } else {
      inputs[ninputs++] = a;
      continue;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "orcac: option '%s' needs a value\n", a);
      rc = 2;
      goto out;
    }
    *slot = argv[++i];
  }
  bool python = strcmp(lang, "python") == 0;
  if (!python && strcmp(lang, "c") != 0) {
    fprintf(stderr, "orcac: --lang '%s': expected c or python\n", lang);
    rc = 2;
    goto out;
  }
  if (!ninputs) {
    usage(stderr);
    rc = 2;
    goto out;
  }
#ifndef ORCAC_HAVE_CODEGEN
  if (!check) {
    fputs("orcac: this build has no code generator; only --check is available\n", stderr);
    rc = 1;
    goto out;
  }
#endif
  (void)templates;
  orcac_session s;
  orcac_session_init(&s, dirs, ndirs, stderr);
  char **outputs = calloc(ninputs * 2, sizeof *outputs);
  size_t nout = 0;
  for (size_t i = 0; i < ninputs; i++) {
    orca_ast_file *f = orcac_load(&s, inputs[i]);
    if (!f) {
      rc = 1;
      continue;
    }
    if (check)
      continue;
#ifdef ORCAC_HAVE_CODEGEN
    if ((python ? orcac_codegen_python(f, outdir, templates)
                : orcac_codegen(f, outdir, templates)) != 0) {
      rc = 1;
      continue;
    }
#endif
    if (outputs) {
      size_t len = strlen(outdir) + strlen(f->basename) + 16;
      for (int k = 0; k < (python ? 1 : 2); k++) {
        outputs[nout] = malloc(len);
        if (outputs[nout] && python)
          snprintf(outputs[nout], len, "%s/%s_orca.py", outdir, f->basename);
        else if (outputs[nout])
          snprintf(outputs[nout], len, "%s/%s.orca.%c", outdir, f->basename, k ? 'c' : 'h');
        nout += outputs[nout] != NULL;
      }
    }
  }
  if (rc == 0 && depfile && !check &&
      write_depfile(depfile, &s, (const char *const *)outputs, nout))
    rc = 1;
  for (size_t i = 0; outputs && i < nout; i++)
    free(outputs[i]);
  free(outputs);
  orcac_session_free(&s);
out:
  free(dirs);
  free(inputs);
  return rc;
}
