/* idl/parse.c — runs the scanner and parser over one source buffer. */
#include "idl/parse.h"

#include <stdlib.h>
#include <string.h>

#include "parser.h"
#define YYSTYPE ORCAC_YYSTYPE
#define YYLTYPE ORCAC_YYLTYPE
#include "lexer.h"

const char *orcac_doc_at(orcac_parse *p, uint32_t line, uint32_t col) {
  /* Docs are recorded in source order: binary search by position. */
  size_t lo = 0, hi = p->docs.n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const orcac_doc *d = p->docs.items[mid];
    if (d->line < line || (d->line == line && d->col < col))
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < p->docs.n) {
    const orcac_doc *d = p->docs.items[lo];
    if (d->line == line && d->col == col)
      return d->text;
  }
  return NULL;
}

orca_ast_file *orcac_parse_text(orca_arena *arena, orcac_diags *diags, const char *path,
                                const char *text, size_t len) {
  orcac_parse p;
  memset(&p, 0, sizeof p);
  p.arena = arena;
  p.diags = diags;
  p.path = path;
  p.text = text;
  p.len = len;
  p.line = 1;
  p.col = 1;
  p.file = orcac_new(arena, sizeof *p.file);
  if (!p.file)
    return NULL;
  p.file->path = path;

  yyscan_t scanner;
  if (orcac_yylex_init_extra(&p, &scanner))
    return NULL;
  YY_BUFFER_STATE buf = orcac_yy_scan_bytes(text, (int)len, scanner);
  orcac_yyparse(scanner, &p);
  orcac_yy_delete_buffer(buf, scanner);
  orcac_yylex_destroy(scanner);
  free(p.doc_buf);
  if (p.oom) {
    orcac_diag(diags, false, (orca_ast_pos){path, 0, 0}, "out of memory");
    return NULL;
  }
  orca_ast_file *f = p.file;
  f->written_names = (const char **)p.written.items;
  f->nwritten_names = p.written.n;
  f->decls = (orca_ast_decl **)p.decls.items;
  f->ndecls = p.decls.n;
  if (p.imports.n) {
    f->imports = orcac_new(arena, p.imports.n * sizeof *f->imports);
    if (!f->imports)
      return NULL;
    for (size_t i = 0; i < p.imports.n; i++)
      f->imports[i] = *(orca_ast_import *)p.imports.items[i];
    f->nimports = p.imports.n;
  }
  return f;
}
