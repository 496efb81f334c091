/* idl/ast.c — arena helpers the parser and sema build the tree with, and the
 * lookup helpers ast.h declares. */
#include "idl/ast.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "idl/parse.h"

void *orcac_new(orca_arena *a, size_t size) {
  void *p = orca_arena_alloc(a, size ? size : 1);
  if (p)
    memset(p, 0, size);
  return p;
}

char *orcac_strndup(orca_arena *a, const char *s, size_t n) {
  char *p = orca_arena_alloc(a, n + 1);
  if (!p)
    return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *orcac_strdup(orca_arena *a, const char *s) {
  return s ? orcac_strndup(a, s, strlen(s)) : NULL;
}

char *orcac_printf(orca_arena *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return NULL;
  char *p = orca_arena_alloc(a, (size_t)n + 1);
  if (!p)
    return NULL;
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

bool orcac_vec_push(orca_arena *a, orcac_vec *v, void *p) {
  if (v->n == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 4;
    void **items = orca_arena_alloc(a, cap * sizeof *items);
    if (!items)
      return false;
    if (v->n)
      memcpy(items, v->items, v->n * sizeof *items);
    v->items = items;
    v->cap = cap;
  }
  v->items[v->n++] = p;
  return true;
}

orca_ast_decl *orca_ast_find(const orca_ast_file *file, const char *name) {
  const char *dot = strchr(name, '.');
  if (dot) {
    size_t plen = (size_t)(dot - name);
    for (size_t i = 0; i < file->nimports; i++) {
      const orca_ast_file *f = file->imports[i].file;
      if (f && f->package && strlen(f->package) == plen && strncmp(f->package, name, plen) == 0) {
        orca_ast_decl *d = orca_ast_find(f, dot + 1);
        if (d)
          return d;
      }
    }
    return NULL;
  }
  for (size_t i = 0; i < file->ndecls; i++)
    if (strcmp(file->decls[i]->name, name) == 0)
      return file->decls[i];
  return NULL;
}

const orca_ast_field *orca_ast_field_by_id(const orca_ast_decl *d, uint32_t id) {
  if (!d || d->kind != ORCA_AST_STRUCT)
    return NULL;
  for (size_t i = 0; i < d->strct.nfields; i++)
    if (d->strct.fields[i].id == id)
      return &d->strct.fields[i];
  return NULL;
}

const char *orca_ast_kind_name(orca_ast_decl_kind k) {
  switch (k) {
  case ORCA_AST_ENUM:
    return "enum";
  case ORCA_AST_STRUCT:
    return "struct";
  case ORCA_AST_TASK:
    return "task";
  case ORCA_AST_SCHEDULE:
    return "schedule";
  }
  return "declaration";
}
