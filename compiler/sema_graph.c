/* compiler/sema_graph.c — walks over the graph of structs (and task
 * argument structs) of one file:
 *
 *   - a depth-first search over by-value embedding (non-optional struct
 *     fields) finds cycles, which are errors (the C struct would contain
 *     itself), gives the C definition order (its post-order) and the
 *     nesting depth every encoding of a struct has, which must stay within
 *     what liborca's decoder accepts (ORCA_CODEC_MAX_DEPTH);
 *   - Tarjan's algorithm over every struct edge (by value, optional, list
 *     element, map value) finds the recursive groups, deps first, for
 *     strct.recursive and the fingerprints.
 *
 * Both walks are iterative with explicit stacks: a valid chain of 10,000
 * structs must not exhaust the C stack. Edges into imported files are not
 * followed (their structs were walked when their file was checked), except
 * to read their value_depth. Structs whose name is a reported duplicate are
 * left out: no type refers to them. */
#include <stdint.h>
#include <stdlib.h>

#include "compiler/sema_internal.h"
#include "orca/codec.h"

/* The structs of the file, numbered, with the scratch state of the walks. */
typedef struct graph {
  sema *S;
  orca_ast_decl **node; /* by number */
  size_t n;
  orcac_symtab num; /* qname -> (void *)(number + 1) */
  bool cycles;      /* a by-value cycle was reported: depths are meaningless */
} graph;

/* The number of the struct `d` of this file, or -1 (imported, unknown). */
static long num_of(const graph *g, const orca_ast_decl *d) {
  if (!d || d->file != g->S->f || !d->qname)
    return -1;
  return (long)(uintptr_t)orcac_symtab_get(&g->num, d->qname) - 1;
}

/* The struct a field leads to through list and map elements, or NULL. */
static orca_ast_decl *target(const orca_ast_type *t) {
  while (t && (t->kind == ORCA_KIND_LIST || t->kind == ORCA_KIND_MAP))
    t = t->elem;
  return t && t->kind == ORCA_KIND_STRUCT ? t->decl : NULL;
}

/* The struct a field embeds by value, or NULL. */
static orca_ast_decl *embedded(const orca_ast_field *f) {
  return f->type && f->type->kind == ORCA_KIND_STRUCT && !f->optional ? f->type->decl : NULL;
}

/* How a struct is named in messages. */
static const char *what(sema *S, const orca_ast_decl *d) {
  return d->task_of ? orcac_printf(S->a, "the parameters of task '%s'", d->task_of->name)
                    : orcac_printf(S->a, "struct '%s'", d->name);
}

static bool number(graph *g, orca_ast_decl *d) {
  if (!d || !d->qname || orcac_symtab_get(&g->num, d->qname))
    return true;
  if (orcac_symtab_put(&g->num, d->qname, (void *)(uintptr_t)(g->n + 1)) == (void *)-1)
    return false;
  g->node[g->n++] = d;
  return true;
}

/* Number the structs and task argument structs, in declaration order. */
static bool number_all(graph *g) {
  sema *S = g->S;
  g->node = orca_arena_alloc(S->a, (S->f->ndecls + 1) * sizeof *g->node);
  if (!g->node)
    return false;
  for (size_t i = 0; i < S->f->ndecls; i++) {
    orca_ast_decl *d = S->f->decls[i];
    if (orcac_symtab_get(&S->names, d->name) != d)
      continue;
    if (!number(g, d->kind == ORCA_AST_STRUCT ? d : d->kind == ORCA_AST_TASK ? d->task.args : NULL))
      return false;
  }
  return true;
}

/* ------------------------------------------------------ by-value walk */

typedef struct frame {
  long v;
  size_t next; /* the next field to follow; next - 1 is the one followed */
} frame;

/* The cycle that closes when the top of `stack` reaches node `to` again:
 * "A.b -> B.a -> A", long cycles shortened in the middle. */
static const char *cycle_text(graph *g, const frame *stack, size_t top, long to) {
  sema *S = g->S;
  size_t start = top;
  while (stack[start].v != to)
    start--;
  size_t hops = top - start + 1;
  const char *s = "";
  for (size_t k = start; k <= top && s; k++) {
    if (hops > 8 && k == start + 4) {
      s = orcac_printf(S->a, "%s... -> ", s);
      k = top - 2;
      continue;
    }
    const orca_ast_decl *d = g->node[stack[k].v];
    s = orcac_printf(S->a, "%s%s.%s -> ", s, d->name, d->strct.fields[stack[k].next - 1].name);
  }
  if (!s)
    return "";
  if (hops > 8)
    return orcac_printf(S->a, "%s%s, a cycle of %zu structs", s, g->node[to]->name, hops);
  return orcac_printf(S->a, "%s%s", s, g->node[to]->name);
}

/* The path value_depth goes through from d: "A.b -> B.c -> C.xs", long
 * paths shortened in the middle. The path is finite: deepest only leads to
 * structs whose depth was set before (never around a cycle). */
static const char *deep_path(sema *S, const orca_ast_decl *d) {
  const orca_ast_decl *hop[ORCA_CODEC_MAX_DEPTH + 2];
  size_t n = 0;
  for (; d && d->strct.deepest && n < sizeof hop / sizeof hop[0]; d = embedded(d->strct.deepest))
    hop[n++] = d;
  const char *s = "";
  for (size_t k = 0; k < n && s; k++) {
    if (n > 6 && k == 3) {
      s = orcac_printf(S->a, "%s -> ...", s);
      k = n - 3;
      continue;
    }
    s = orcac_printf(S->a, "%s%s%s.%s", s, k ? " -> " : "", hop[k]->name,
                     hop[k]->strct.deepest->name);
  }
  return s ? s : "";
}

/* value_depth of d, once every struct it embeds by value has its own. */
static void set_depth(graph *g, orca_ast_decl *d) {
  sema *S = g->S;
  uint32_t max = 0;
  const orca_ast_field *deepest = NULL;
  for (size_t i = 0; i < d->strct.nfields; i++) {
    const orca_ast_field *f = &d->strct.fields[i];
    uint32_t n = 0;
    if (f->optional || !f->type)
      continue;
    if (f->type->kind == ORCA_KIND_LIST || f->type->kind == ORCA_KIND_MAP)
      n = 1; /* may be empty: its elements add nothing for sure */
    else if (f->type->kind == ORCA_KIND_STRUCT)
      n = f->type->decl->strct.value_depth; /* 0 while on a by-value cycle */
    if (n > max) {
      max = n;
      deepest = f;
    }
  }
  d->strct.value_depth = max + 1;
  d->strct.deepest = deepest;
  if (d->strct.value_depth == ORCA_CODEC_MAX_DEPTH + 1 && !g->cycles)
    ERR(d->pos,
        "%s: every value nests %d levels of structs, lists and maps (%s); liborca decodes at "
        "most %d, so make a field on the way optional",
        what(S, d), ORCA_CODEC_MAX_DEPTH + 1, deep_path(S, d), ORCA_CODEC_MAX_DEPTH);
}

/* Depth-first search over by-value embedding; fills structs_topo. */
static void by_value(graph *g) {
  sema *S = g->S;
  unsigned char *state = calloc(g->n + 1, 1); /* 0 new, 1 on the path, 2 done */
  frame *stack = malloc((g->n + 1) * sizeof *stack);
  orca_ast_decl **order = orca_arena_alloc(S->a, (g->n + 1) * sizeof *order);
  size_t norder = 0;
  if (!state || !stack || !order)
    goto out;
  for (size_t r = 0; r < g->n; r++) {
    if (state[r])
      continue;
    size_t top = 0;
    stack[0] = (frame){(long)r, 0};
    state[r] = 1;
    for (;;) {
      frame *fr = &stack[top];
      orca_ast_decl *d = g->node[fr->v];
      if (fr->next < d->strct.nfields) {
        const orca_ast_field *f = &d->strct.fields[fr->next++];
        long to = num_of(g, embedded(f));
        if (to < 0)
          continue;
        if (state[to] == 1) {
          ERR(f->pos,
              "struct '%s' contains itself by value (%s); make a field of the cycle optional or a "
              "list",
              g->node[to]->name, cycle_text(g, stack, top, to));
          g->cycles = true;
        } else if (state[to] == 0) {
          state[to] = 1;
          stack[++top] = (frame){to, 0};
        }
        continue;
      }
      state[fr->v] = 2;
      set_depth(g, d);
      order[norder++] = d;
      if (top == 0)
        break;
      top--;
    }
  }
out:
  S->f->structs_topo = order;
  S->f->nstructs_topo = order ? norder : 0;
  free(state);
  free(stack);
}

/* ------------------------------------------------------ recursive groups */

typedef struct tframe {
  long v;
  size_t next;
} tframe;

/* Tarjan's strongly connected components over every struct edge; fills
 * structs_scc (each group together, after the groups it refers to),
 * strct.group and strct.recursive. */
static void groups(graph *g) {
  sema *S = g->S;
  size_t n = g->n, unset = SIZE_MAX, next = 0, sp = 0, top = 0;
  uint32_t ngroups = 0;
  size_t *index = malloc((n + 1) * sizeof *index);
  size_t *low = malloc((n + 1) * sizeof *low);
  bool *on = calloc(n + 1, sizeof *on);
  bool *self = calloc(n + 1, sizeof *self);
  long *scc = malloc((n + 1) * sizeof *scc); /* Tarjan's stack */
  tframe *calls = malloc((n + 1) * sizeof *calls);
  orca_ast_decl **order = orca_arena_alloc(S->a, (n + 1) * sizeof *order);
  size_t norder = 0;
  if (!index || !low || !on || !self || !scc || !calls || !order)
    goto out;
  for (size_t i = 0; i < n; i++)
    index[i] = unset;
  for (size_t r = 0; r < n; r++) {
    if (index[r] != unset)
      continue;
    index[r] = low[r] = next++;
    scc[sp++] = (long)r;
    on[r] = true;
    calls[0] = (tframe){(long)r, 0};
    top = 0;
    for (;;) {
      tframe *fr = &calls[top];
      long v = fr->v;
      orca_ast_decl *d = g->node[v];
      if (fr->next < d->strct.nfields) {
        long to = num_of(g, target(d->strct.fields[fr->next++].type));
        if (to < 0)
          continue;
        self[v] = self[v] || to == v;
        if (index[to] == unset) {
          index[to] = low[to] = next++;
          scc[sp++] = to;
          on[to] = true;
          calls[++top] = (tframe){to, 0};
        } else if (on[to] && index[to] < low[v]) {
          low[v] = index[to];
        }
        continue;
      }
      if (low[v] == index[v]) {
        size_t base = sp;
        while (scc[--base] != v) {
        }
        for (size_t k = base; k < sp; k++) {
          orca_ast_decl *x = g->node[scc[k]];
          on[scc[k]] = false;
          x->strct.recursive = sp - base > 1 || self[v];
          x->strct.group = ngroups;
          order[norder++] = x;
        }
        ngroups++;
        sp = base;
      }
      if (top == 0)
        break;
      top--;
      if (low[v] < low[calls[top].v])
        low[calls[top].v] = low[v];
    }
  }
out:
  S->f->structs_scc = order;
  S->f->nstructs_scc = order ? norder : 0;
  free(index);
  free(low);
  free(on);
  free(self);
  free(scc);
  free(calls);
}

void orcac__sema_graph(sema *S) {
  graph g = {.S = S};
  if (number_all(&g)) {
    by_value(&g);
    groups(&g);
  }
  orcac_symtab_free(&g.num);
}
