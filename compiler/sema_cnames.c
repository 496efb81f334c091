/* compiler/sema_cnames.c — the C names a file's declarations make the
 * generated code define (compiler/names.h), claimed in one table with
 * those of its imports: two declarations that would define the same C name
 * are an error at the later one. */
#include <string.h>

#include "compiler/names.h"
#include "compiler/sema_internal.h"

typedef struct cname_ctx {
  sema *S;
  const orca_ast_decl *d;
  orca_ast_pos pos;
  const char *desc;
  bool report;
  bool reported; /* one collision message per declaration is enough */
} cname_ctx;

static void claim(void *vctx, const char *cname) {
  cname_ctx *c = vctx;
  sema *S = c->S;
  char *key = orcac_strdup(S->a, cname);
  if (!key)
    return;
  const char *old = orcac_symtab_put(&S->cnames, key, (void *)c->desc);
  if (old && old != (void *)-1 && c->report && !c->reported && (c->reported = true))
    ERR(c->pos, "%s collides in generated C with %s (both define '%s')", c->desc, old, cname);
}

static void claim_decl(sema *S, const orca_ast_decl *d, bool report) {
  /* A duplicate name was reported already; its C names add nothing. */
  if (report && orcac_symtab_get(&S->names, d->name) != d)
    return;
  cname_ctx c = {S,
                 d,
                 d->pos,
                 orcac_printf(S->a, "%s '%s'%s", orca_ast_kind_name(d->kind), d->name,
                              d->file == S->f ? orcac_printf(S->a, " (line %u)", d->pos.line)
                                              : orcac_printf(S->a, " (%s)", d->file->path)),
                 report,
                 false};
  if (!c.desc)
    return;
  orcac_names_reserved(d->file->package, d->kind, d->name, claim, &c);
  if (d->kind == ORCA_AST_ENUM)
    for (size_t i = 0; i < d->enm.nvalues; i++) {
      const orca_ast_enum_value *v = &d->enm.values[i];
      bool dup = false;
      for (size_t j = 0; j < i && !dup; j++)
        dup = strcmp(d->enm.values[j].name, v->name) == 0;
      if (dup)
        continue;
      c.reported = false;
      c.pos = v->pos;
      c.desc = orcac_printf(S->a, "enum value '%s.%s'", d->name, v->name);
      if (c.desc && v->c_name)
        claim(&c, v->c_name);
    }
}

static void claim_file(sema *S, const orca_ast_file *f, bool report, orcac_symtab *done) {
  if (!f || !f->package || orcac_symtab_get(done, f->path))
    return;
  orcac_symtab_put(done, f->path, (void *)f);
  for (size_t i = 0; i < f->nimports; i++)
    claim_file(S, f->imports[i].file, false, done);
  cname_ctx c = {
      S,      NULL, f->package_pos, orcac_printf(S->a, "the API of package '%s'", f->package),
      report, false};
  orcac_names_file_reserved(f->package, claim, &c);
  for (size_t i = 0; i < f->ndecls; i++)
    if (f->decls[i]->qname)
      claim_decl(S, f->decls[i], report);
}

void orcac__sema_cnames(sema *S) {
  orca_ast_file *f = S->f;
  orcac_symtab done = {0};
  for (size_t i = 0; i < f->nimports; i++)
    claim_file(S, f->imports[i].file, false, &done);
  orcac_symtab_put(&done, f->path, f);
  cname_ctx c = {
      S,    NULL, f->package_pos, orcac_printf(S->a, "the API of package '%s'", f->package),
      true, false};
  if (c.desc)
    orcac_names_file_reserved(f->package, claim, &c);
  for (size_t i = 0; i < f->ndecls; i++)
    claim_decl(S, f->decls[i], true);
  orcac_symtab_free(&done);
  orcac_symtab_free(&S->cnames);
}
