/* compiler/sema_policy.c — the annotations of tasks (@queue, @retry, ...)
 * into their orca_ast_policy, and schedules: trigger (cron or every),
 * @catchup, the task and its pre-encoded arguments. */
#include <stdlib.h>
#include <string.h>

#include "compiler/names.h"
#include "compiler/sema.h"
#include "compiler/sema_internal.h"

static const char *const task_annots[] = {"queue",    "retry",    "timeout", "result", "cache",
                                          "priority", "deadline", "unique",  "hook"};
static const char *const all_annots[] = {"queue",    "retry",    "timeout", "result", "cache",
                                         "priority", "deadline", "unique",  "hook",   "catchup"};

/* The single positional argument of an annotation, or NULL (reported). */
static orca_ast_lit *one_arg(sema *S, orca_ast_annot *an, const char *expect) {
  if (an->nargs != 1 || an->args[0].name) {
    ERR(an->pos, "@%s expects one argument: %s", an->name, expect);
    return NULL;
  }
  return an->args[0].value;
}

static bool duration_of(sema *S, orca_ast_lit *l, const char *what, int64_t *out) {
  if (!l)
    return false;
  if (l->syntax != ORCA_LIT_DURATION) {
    ERR(l->pos, "%s expects a duration like 30s, got %s", what, orcac__sema_lit_desc(S, l));
    return false;
  }
  *out = l->v.i;
  return true;
}

/* @name(ttl = d) */
static void ttl_arg(sema *S, orca_ast_annot *an, int64_t *out) {
  static const char *const names[] = {"ttl"};
  if (an->nargs == 1 && !an->args[0].name) {
    duration_of(S, an->args[0].value, orcac_printf(S->a, "@%s", an->name), out);
    return;
  }
  if (an->nargs != 1) {
    ERR(an->pos, "@%s expects one argument: ttl = DURATION", an->name);
    return;
  }
  if (strcmp(an->args[0].name, "ttl") != 0) {
    ERR(an->args[0].pos, "unknown argument '%s' of @%s%s", an->args[0].name, an->name,
        orcac__sema_dym(S, orcac_suggest(an->args[0].name, names, 1)));
    return;
  }
  duration_of(S, an->args[0].value, orcac_printf(S->a, "@%s(ttl)", an->name), out);
}

static void backoff_arg(sema *S, orca_ast_lit *l, orca_retry_policy *r) {
  static const char *const kinds[] = {"exponential", "fixed", "linear", "none"};
  if (l->syntax == ORCA_LIT_NAME && strcmp(l->name, "none") == 0) {
    r->backoff = ORCA_BACKOFF_NONE;
    return;
  }
  if (l->syntax != ORCA_LIT_CALL) {
    ERR(l->pos,
        "backoff expects exponential(BASE, MAX), fixed(DELAY), linear(BASE) or none, got %s",
        orcac__sema_lit_desc(S, l));
    return;
  }
  size_t maxargs = 2;
  if (strcmp(l->name, "exponential") == 0) {
    r->backoff = ORCA_BACKOFF_EXPONENTIAL;
  } else if (strcmp(l->name, "fixed") == 0) {
    r->backoff = ORCA_BACKOFF_FIXED;
    maxargs = 1;
  } else if (strcmp(l->name, "linear") == 0) {
    r->backoff = ORCA_BACKOFF_LINEAR;
  } else {
    ERR(l->pos, "unknown backoff '%s'%s", l->name,
        orcac__sema_dym(S, orcac_suggest(l->name, kinds, 4)));
    return;
  }
  if (l->nentries < 1 || l->nentries > maxargs) {
    ERR(l->pos, "%s() expects %s", l->name,
        maxargs == 1 ? "one duration" : "a base duration and an optional cap");
    return;
  }
  for (size_t i = 0; i < l->nentries; i++) {
    if (l->entries[i].name) {
      ERR(l->entries[i].pos, "%s() takes positional durations", l->name);
      return;
    }
  }
  duration_of(S, l->entries[0].value, orcac_printf(S->a, "%s()", l->name), &r->base_us);
  if (l->nentries == 2 &&
      duration_of(S, l->entries[1].value, orcac_printf(S->a, "%s()", l->name), &r->max_us) &&
      r->max_us < r->base_us)
    ERR(l->entries[1].value->pos, "backoff cap is smaller than its base delay");
}

static void retry_args(sema *S, orca_ast_annot *an, orca_retry_policy *r) {
  static const char *const names[] = {"max", "backoff", "jitter"};
  for (size_t i = 0; i < an->nargs; i++) {
    orca_ast_lit_entry *e = &an->args[i];
    if (!e->name) {
      ERR(e->pos, "@retry arguments are named: max = N, backoff = ..., jitter = BOOL");
    } else if (strcmp(e->name, "max") == 0) {
      if (e->value->syntax != ORCA_LIT_INT || e->value->is_unsigned || e->value->v.i < 1 ||
          e->value->v.i > 1000000)
        ERR(e->value->pos, "@retry(max) expects a number of attempts from 1 to 1000000");
      else
        r->max_attempts = (uint32_t)e->value->v.i;
    } else if (strcmp(e->name, "backoff") == 0) {
      backoff_arg(S, e->value, r);
    } else if (strcmp(e->name, "jitter") == 0) {
      if (e->value->syntax != ORCA_LIT_BOOL)
        ERR(e->value->pos, "@retry(jitter) expects true or false");
      else
        r->jitter = e->value->v.b;
    } else {
      ERR(e->pos, "unknown argument '%s' of @retry%s", e->name,
          orcac__sema_dym(S, orcac_suggest(e->name, names, 3)));
    }
  }
}

static bool valid_queue(const char *q, size_t len) {
  if (len == 0 || len >= 128)
    return false;
  for (size_t i = 0; i < len; i++) {
    char c = q[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-' || c == '.' || c == ':'))
      return false;
  }
  return true;
}

/* Reject duplicates (`seen`: the names of d's annotations before i) and
 * unknown annotations (with "did you mean"); returns false for ones that
 * must be skipped. */
static bool annot_known(sema *S, orca_ast_decl *d, size_t i, const char *const *allowed,
                        size_t nallowed, orcac_symtab *seen) {
  orca_ast_annot *an = &d->annots[i];
  orca_ast_annot *first = orcac_symtab_put(seen, an->name, an);
  if (first && first != (void *)-1) {
    ERR(an->pos, "duplicate annotation @%s (first at line %u)", an->name, first->pos.line);
    return false;
  }
  for (size_t j = 0; j < nallowed; j++)
    if (strcmp(allowed[j], an->name) == 0)
      return true;
  for (size_t j = 0; j < sizeof all_annots / sizeof all_annots[0]; j++)
    if (strcmp(all_annots[j], an->name) == 0) {
      ERR(an->pos, "annotation @%s is not allowed on a %s", an->name, orca_ast_kind_name(d->kind));
      return false;
    }
  const char *best = orcac_suggest(an->name, allowed, nallowed);
  ERR(an->pos, "unknown annotation @%s%s", an->name,
      orcac__sema_dym(S, best ? orcac_printf(S->a, "@%s", best) : NULL));
  return false;
}

void orcac__sema_task(sema *S, orca_ast_decl *d) {
  orca_ast_policy *p = &d->task.policy;
  p->queue = "default";
  p->retry.max_attempts = 1;
  orcac_symtab seen = {0};
  for (size_t i = 0; i < d->nannots; i++) {
    if (!annot_known(S, d, i, task_annots, sizeof task_annots / sizeof task_annots[0], &seen))
      continue;
    orca_ast_annot *an = &d->annots[i];
    const char *n = an->name;
    orca_ast_lit *l;
    if (strcmp(n, "queue") == 0) {
      if ((l = one_arg(S, an, "a queue name string"))) {
        if (l->syntax != ORCA_LIT_STRING)
          ERR(l->pos, "@queue expects a string, got %s", orcac__sema_lit_desc(S, l));
        else if (!valid_queue(l->str, l->len))
          ERR(l->pos, "queue name '%s' must be 1 to 127 letters, digits, '_', '-', '.' or ':'",
              l->str);
        else
          p->queue = l->str;
      }
    } else if (strcmp(n, "retry") == 0) {
      retry_args(S, an, &p->retry);
    } else if (strcmp(n, "timeout") == 0) {
      duration_of(S, one_arg(S, an, "a duration"), "@timeout", &p->timeout_us);
    } else if (strcmp(n, "deadline") == 0) {
      duration_of(S, one_arg(S, an, "a duration"), "@deadline", &p->deadline_us);
    } else if (strcmp(n, "result") == 0) {
      ttl_arg(S, an, &p->result_ttl_us);
    } else if (strcmp(n, "cache") == 0) {
      ttl_arg(S, an, &p->cache_ttl_us);
    } else if (strcmp(n, "unique") == 0) {
      ttl_arg(S, an, &p->unique_ttl_us);
    } else if (strcmp(n, "priority") == 0) {
      if ((l = one_arg(S, an, "a priority from 0 to 9"))) {
        if (l->syntax != ORCA_LIT_INT || l->is_unsigned || l->v.i < 0 || l->v.i > 9)
          ERR(l->pos, "@priority expects an integer from 0 to 9");
        else
          p->priority = (int32_t)l->v.i;
      }
    } else if (strcmp(n, "hook") == 0) {
      if ((l = one_arg(S, an, "a Lua file path"))) {
        if (l->syntax != ORCA_LIT_STRING || l->len == 0 || strlen(l->str) != l->len)
          ERR(l->pos, "@hook expects a file path string");
        else {
          p->hook_written = l->str;
          p->hook = l->str[0] == '/' || strcmp(S->f->dir, ".") == 0
                        ? l->str
                        : orcac_printf(S->a, "%s/%s", S->f->dir, l->str);
        }
      }
    }
  }
  orcac_symtab_free(&seen);
  orca_ast_decl *args = d->task.args;
  args->name = orcac_printf(S->a, "%s.args", d->name);
  args->qname = orcac_printf(S->a, "%s.%s.args", S->f->package, d->name);
  args->c_name = orcac__sema_c_name(S, S->f->package, d->name, ORCAC_SFX_ARGS);
  args->file = S->f;
  args->doc = d->doc;
  orcac__sema_fields(S, args, "parameter");
  if (d->task.result)
    orcac__sema_resolve_type(S, d->task.result);
}

/* ------------------------------------------------------------- schedules */

static void check_cron(sema *S, orca_ast_schedule *sc, orca_ast_annot *tr) {
  orca_ast_lit *expr = NULL;
  for (size_t i = 0; i < tr->nargs; i++) {
    orca_ast_lit_entry *e = &tr->args[i];
    if (!e->name && !expr) {
      expr = e->value;
    } else if (e->name && strcmp(e->name, "tz") == 0) {
      if (e->value->syntax != ORCA_LIT_STRING) {
        ERR(e->value->pos, "cron(tz) expects a time zone name string");
        continue;
      }
      sc->tz = e->value->str;
      sc->tz_pos = e->value->pos;
      orca_tz *tz = NULL;
      orca_err err = {0};
      if (orca_tz_open(sc->tz, &tz, &err))
        ERR(e->value->pos, "unknown time zone '%s'", sc->tz);
      else
        orca_tz_close(tz);
    } else {
      static const char *const names[] = {"tz"};
      ERR(e->pos, "unknown argument '%s' of cron%s", e->name ? e->name : "(positional)",
          orcac__sema_dym(S, e->name ? orcac_suggest(e->name, names, 1) : NULL));
    }
  }
  if (!expr || expr->syntax != ORCA_LIT_STRING) {
    ERR(expr ? expr->pos : tr->pos,
        "cron() expects a cron expression string, like cron(\"0 3 * * *\")");
    return;
  }
  sc->cron_expr = expr->str;
  sc->cron_pos = expr->pos;
  orca_err err = {0};
  if (orca_cron_parse(expr->str, &sc->cron, &err)) {
    /* Point into the string at the column the parser names. */
    orca_ast_pos at = expr->pos;
    const char *c = strstr(err.msg, "column ");
    if (c)
      at.col += (uint32_t)atoi(c + 7);
    ERR(at, "bad cron expression: %s", err.msg);
  }
}

void orcac__sema_schedule(sema *S, orca_ast_decl *d) {
  orca_ast_schedule *sc = &d->sched;
  static const char *const sched_annots[] = {"catchup"};
  orca_ast_annot *tr = sc->trigger;
  static const char *const triggers[] = {"cron", "every"};
  if (tr && strcmp(tr->name, "cron") == 0) {
    sc->kind = ORCA_SCHEDULE_CRON;
    check_cron(S, sc, tr);
  } else if (tr && strcmp(tr->name, "every") == 0) {
    sc->kind = ORCA_SCHEDULE_EVERY;
    if (tr->nargs != 1 || tr->args[0].name)
      ERR(tr->pos, "every() expects one duration, like every(15s)");
    else if (duration_of(S, tr->args[0].value, "every()", &sc->every_us) && sc->every_us <= 0)
      ERR(tr->args[0].value->pos, "every() needs a positive interval");
  } else if (tr) {
    ERR(tr->pos, "unknown schedule trigger '%s'%s (expected cron(...) or every(...))", tr->name,
        orcac__sema_dym(S, orcac_suggest(tr->name, triggers, 2)));
  }
  sc->catchup = ORCA_CATCHUP_SKIP;
  sc->catchup_max = 100;
  orcac_symtab seen = {0};
  for (size_t i = 0; i < d->nannots; i++) {
    if (!annot_known(S, d, i, sched_annots, 1, &seen))
      continue;
    orca_ast_annot *an = &d->annots[i];
    orca_ast_lit *l = one_arg(S, an, "skip, once or all(N)");
    if (!l)
      continue;
    if (l->syntax == ORCA_LIT_NAME && strcmp(l->name, "skip") == 0)
      sc->catchup = ORCA_CATCHUP_SKIP;
    else if (l->syntax == ORCA_LIT_NAME && strcmp(l->name, "once") == 0)
      sc->catchup = ORCA_CATCHUP_ONCE;
    else if (l->syntax == ORCA_LIT_NAME && strcmp(l->name, "all") == 0)
      sc->catchup = ORCA_CATCHUP_ALL;
    else if (l->syntax == ORCA_LIT_CALL && strcmp(l->name, "all") == 0) {
      sc->catchup = ORCA_CATCHUP_ALL;
      orca_ast_lit *n = l->nentries == 1 && !l->entries[0].name ? l->entries[0].value : NULL;
      if (!n || n->syntax != ORCA_LIT_INT || n->is_unsigned || n->v.i < 1 || n->v.i > 1000000)
        ERR(n ? n->pos : l->pos, "all(N) expects a bound N from 1 to 1000000");
      else
        sc->catchup_max = (uint32_t)n->v.i;
    } else {
      static const char *const modes[] = {"skip", "once", "all"};
      const char *w = l->name ? l->name : "";
      ERR(l->pos, "@catchup expects skip, once or all(N), got %s%s", orcac__sema_lit_desc(S, l),
          orcac__sema_dym(S, l->name ? orcac_suggest(w, modes, 3) : NULL));
    }
  }
  orcac_symtab_free(&seen);
  /* The task and its arguments. */
  bool reported;
  orca_ast_decl *t = orcac__sema_lookup(S, sc->task_name, sc->task_pos, &reported);
  if (!t) {
    if (!reported && !orcac__sema_dropped(S, sc->task_name)) {
      size_t k = 0;
      const char **c =
          orcac__sema_printing(S) ? orca_arena_alloc(S->a, (S->f->ndecls + 1) * sizeof *c) : NULL;
      for (size_t i = 0; c && i < S->f->ndecls; i++)
        if (S->f->decls[i]->kind == ORCA_AST_TASK)
          c[k++] = S->f->decls[i]->name;
      ERR(sc->task_pos, "unknown task '%s'%s", sc->task_name,
          orcac__sema_dym(S, c ? orcac_suggest(sc->task_name, c, k) : NULL));
    }
    return;
  }
  if (t->kind != ORCA_AST_TASK) {
    ERR(sc->task_pos, "'%s' is a %s, not a task", sc->task_name, orca_ast_kind_name(t->kind));
    return;
  }
  sc->task = t;
  orca_ast_decl *args = t->task.args;
  bool ok = true;
  orcac_symtab given = {0}; /* parameter name -> argument */
  for (size_t i = 0; i < sc->nargs; i++) {
    orca_ast_lit_entry *e = &sc->args[i];
    if (!e->name) {
      ERR(e->pos, "task arguments are written NAME = VALUE");
      ok = false;
      continue;
    }
    e->field = orcac__sema_field_named(S, args, e->name);
    if (!e->field) {
      ERR(e->pos, "task '%s' has no parameter '%s'%s", t->name, e->name,
          orcac__sema_dym(S, orcac__sema_suggest_field(S, args, e->name)));
      ok = false;
      continue;
    }
    void *first = orcac_symtab_put(&given, e->field->name, e);
    if (first && first != (void *)-1) {
      ERR(e->pos, "argument '%s' is given twice", e->name);
      ok = false;
    }
    ok =
        orcac__sema_check_lit(S, e->value, e->field->type,
                              orcac_printf(S->a, "argument '%s' of task '%s'", e->name, t->name)) &&
        ok;
  }
  for (size_t j = 0; j < args->strct.nfields; j++) {
    orca_ast_field *f = &args->strct.fields[j];
    if (!f->optional && !f->def && !orcac_symtab_get(&given, f->name)) {
      ERR(sc->task_pos, "missing argument '%s' of task '%s'", f->name, t->name);
      ok = false;
    }
  }
  orcac_symtab_free(&given);
  if (ok &&
      orcac_encode_struct_lit(S->a, sc->args, sc->nargs, &sc->args_msgpack, &sc->args_msgpack_len))
    ERR(sc->task_pos, "out of memory encoding the arguments");
}
