/* compiler/sema_graph.c — walks over the graph of structs (and task
 * argument structs) of one file: a depth-first search over by-value
 * embedding finds cycles and the C definition order, and Tarjan's
 * algorithm over every struct edge marks the recursive structs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "compiler/sema_internal.h"

/* Depth-first search over by-value struct embedding (non-optional struct
 * fields): a cycle is an error (the C struct would contain itself); the
 * post-order is the C definition order. color: 0 new, 1 on path, 2 done. */
typedef struct walk {
  sema *S;
  orcac_symtab color; /* decl -> (void*)1 on path / (void*)2 done, keyed by qname */
  orcac_vec order;
  orcac_vec path; /* orca_ast_field * on the current path */
} walk;

static void visit(walk *w, orca_ast_decl *d) {
  sema *S = w->S;
  orcac_symtab_set(&w->color, d->qname, (void *)1);
  for (size_t i = 0; i < d->strct.nfields; i++) {
    orca_ast_field *f = &d->strct.fields[i];
    if (!f->type || f->type->kind != ORCA_KIND_STRUCT || f->optional || f->type->decl->file != S->f)
      continue;
    orca_ast_decl *to = f->type->decl;
    void *c = orcac_symtab_get(&w->color, to->qname);
    if (c == (void *)1) {
      char chain[1024];
      size_t n = 0;
      size_t start = 0;
      /* Find where `to` entered the path: the first field whose owner is to. */
      orcac_vec *p = &w->path;
      for (size_t k = 0; k < p->n; k++) {
        orca_ast_field *pf = p->items[k];
        if (pf->type->decl == to) {
          start = k + 1;
        }
      }
      if (to == d)
        start = p->n;
      n += (size_t)snprintf(chain + n, sizeof chain - n, "%s", to->name);
      for (size_t k = start; k < p->n && n < sizeof chain; k++) {
        orca_ast_field *pf = p->items[k];
        n += (size_t)snprintf(chain + n, sizeof chain - n, ".%s -> %s", pf->name,
                              pf->type->decl->name);
      }
      if (n < sizeof chain)
        snprintf(chain + n, sizeof chain - n, ".%s -> %s", f->name, to->name);
      ERR(f->pos,
          "struct '%s' contains itself by value (%s); make a field of the cycle optional or a list",
          to->name, chain);
      continue;
    }
    if (!c) {
      orcac_vec_push(S->a, &w->path, f);
      visit(w, to);
      w->path.n--;
    }
  }
  orcac_symtab_set(&w->color, d->qname, (void *)2);
  orcac_vec_push(S->a, &w->order, d);
}

/* Tarjan's strongly connected components over all struct edges (by value,
 * optional, list element, map value), to set strct.recursive. */
typedef struct tarjan {
  sema *S;
  orcac_symtab index; /* qname -> (void*)(idx+1) */
  size_t *low;
  size_t next;
  orcac_vec stack;
  bool *on;
  orca_ast_decl **by_idx;
} tarjan;

static void edges(const orca_ast_type *t, orca_ast_decl **out, size_t *n, size_t cap) {
  if (!t)
    return;
  if (t->kind == ORCA_KIND_STRUCT && *n < cap)
    out[(*n)++] = t->decl;
  if (t->kind == ORCA_KIND_LIST || t->kind == ORCA_KIND_MAP)
    edges(t->elem, out, n, cap);
}

static size_t idx_of(tarjan *T, orca_ast_decl *d) {
  return (size_t)(uintptr_t)orcac_symtab_get(&T->index, d->qname);
}

static void strongconnect(tarjan *T, orca_ast_decl *d, size_t cnt) {
  size_t v = T->next++;
  orcac_symtab_put(&T->index, d->qname, (void *)(uintptr_t)(v + 1));
  T->by_idx[v] = d;
  T->low[v] = v;
  orcac_vec_push(T->S->a, &T->stack, d);
  T->on[v] = true;
  bool self = false;
  for (size_t i = 0; i < d->strct.nfields; i++) {
    orca_ast_decl *to[16];
    size_t n = 0;
    edges(d->strct.fields[i].type, to, &n, 16);
    for (size_t k = 0; k < n; k++) {
      if (to[k]->file != T->S->f)
        continue;
      if (to[k] == d)
        self = true;
      size_t w = idx_of(T, to[k]);
      if (!w) {
        strongconnect(T, to[k], cnt);
        w = idx_of(T, to[k]);
        if (T->low[w - 1] < T->low[v])
          T->low[v] = T->low[w - 1];
      } else if (T->on[w - 1] && w - 1 < T->low[v]) {
        T->low[v] = w - 1;
      }
    }
  }
  if (T->low[v] == v) {
    size_t size = 0;
    size_t base = T->stack.n;
    while (base > 0) {
      orca_ast_decl *x = T->stack.items[--base];
      size++;
      if (x == d)
        break;
    }
    for (size_t k = base; k < T->stack.n; k++) {
      orca_ast_decl *x = T->stack.items[k];
      T->on[idx_of(T, x) - 1] = false;
      x->strct.recursive = size > 1 || self;
    }
    T->stack.n = base;
  }
  (void)cnt;
}

void orcac__sema_graph(sema *S) {
  orca_ast_file *f = S->f;
  walk w = {.S = S};
  for (size_t i = 0; i < f->ndecls; i++) {
    orca_ast_decl *d = f->decls[i];
    orca_ast_decl *sd = d->kind == ORCA_AST_STRUCT ? d
                        : d->kind == ORCA_AST_TASK ? d->task.args
                                                   : NULL;
    if (sd && sd->qname && !orcac_symtab_get(&w.color, sd->qname))
      visit(&w, sd);
  }
  orcac_symtab_free(&w.color);
  f->structs_topo = (orca_ast_decl **)w.order.items;
  f->nstructs_topo = w.order.n;
  tarjan T = {.S = S};
  size_t n = w.order.n;
  T.low = calloc(n ? n : 1, sizeof *T.low);
  T.on = calloc(n ? n : 1, sizeof *T.on);
  T.by_idx = calloc(n ? n : 1, sizeof *T.by_idx);
  if (T.low && T.on && T.by_idx)
    for (size_t i = 0; i < n; i++)
      if (!idx_of(&T, f->structs_topo[i]))
        strongconnect(&T, f->structs_topo[i], n);
  free(T.low);
  free(T.on);
  free(T.by_idx);
  orcac_symtab_free(&T.index);
}
