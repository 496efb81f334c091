/* codegen_model.c — turns a checked .orca AST into the value tree the
 * templates render (see templates/README.md for every key).
 *
 * Every decision about what the generated code contains is made here or in
 * codegen_ctype.c (spellings); templates only lay text out. C names come from
 * the AST (sema filled them with compiler/names.h) plus the suffixes names.h
 * defines, so the generator never invents a name sema did not check. The
 * model is built in one pass and lives in the caller's pool. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "codegen_internal.h"
#include "compiler/names.h"
#include "idl/ast.h"

/* One static list/map type node, found by its .orca spelling. */
typedef struct node_slot {
  const char *spelling; /* NULL: empty slot */
  const char *ref;      /* "&shop__list1" */
} node_slot;

typedef struct model {
  cg_pool *p;
  const orca_ast_file *file;
  cg_val *root;
  cg_val *type_nodes; /* static list/map nodes, inner before outer */
  size_t ntype_nodes;
  node_slot *slots; /* open addressing over spellings, load <= 1/2 */
  size_t nslots;
} model;

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

/* The slot of `spelling`: its entry, or the empty slot where it goes. */
static node_slot *find_slot(model *m, const char *spelling) {
  size_t mask = m->nslots - 1;
  for (size_t i = hash_str(spelling) & mask;; i = (i + 1) & mask)
    if (!m->slots[i].spelling || strcmp(m->slots[i].spelling, spelling) == 0)
      return &m->slots[i];
}

static void add_slot(model *m, const char *spelling, const char *ref) {
  if ((m->ntype_nodes + 1) * 2 > m->nslots) {
    node_slot *old = m->slots;
    size_t nold = m->nslots;
    m->nslots = nold ? nold * 2 : 64;
    m->slots = cg_alloc(m->p, m->nslots * sizeof *m->slots);
    for (size_t i = 0; i < nold; i++)
      if (old[i].spelling)
        *find_slot(m, old[i].spelling) = old[i];
  }
  *find_slot(m, spelling) = (node_slot){spelling, ref};
}

static char *cat(cg_pool *p, const char *a, const char *b) {
  return cg_printf(p, "%s%s", a, b);
}

static char *u64_hex(cg_pool *p, uint64_t v) {
  return cg_printf(p, "UINT64_C(0x%016" PRIx64 ")", v);
}

static char *i64(cg_pool *p, int64_t v) {
  return v == INT64_MIN ? cg_strdup(p, "INT64_MIN") : cg_printf(p, "INT64_C(%" PRId64 ")", v);
}

/* A duration for the human-readable policy summaries: "30s", "1d", "250ms". */
static char *human_duration(cg_pool *p, int64_t us) {
  static const struct {
    int64_t unit;
    const char *sfx;
  } units[] = {{86400000000LL, "d"},
               {3600000000LL, "h"},
               {60000000LL, "m"},
               {1000000LL, "s"},
               {1000LL, "ms"}};
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (us != 0 && us % units[i].unit == 0)
      return cg_printf(p, "%" PRId64 "%s", us / units[i].unit, units[i].sfx);
  return cg_printf(p, "%" PRId64 "us", us);
}

static const char *kind_const(orca_kind k) {
  return k == ORCA_KIND_LIST ? "ORCA_KIND_LIST" : "ORCA_KIND_MAP";
}

/* The expression that points to the orca_type node of t ("&orca_type_i32",
 * "&shop_item__type"). Lists and maps get a static node in the .c file, one
 * per distinct spelling, registered on first use after the nodes they refer
 * to, so the file defines every node before its first use. */
static char *type_ref(model *m, const orca_ast_type *t) {
  const char *scalar = cg_scalar_node(t->kind);
  if (scalar)
    return cat(m->p, "&", scalar);
  if (t->kind == ORCA_KIND_ENUM || t->kind == ORCA_KIND_STRUCT)
    return cg_printf(m->p, "&%s%s", t->decl->c_name, ORCAC_SFX_TYPE);
  const char *spelling = t->spelling ? t->spelling : "?";
  if (m->nslots) {
    node_slot *slot = find_slot(m, spelling);
    if (slot->spelling)
      return cg_strdup(m->p, slot->ref);
  }
  char *elem = type_ref(m, t->elem);
  char *key = t->kind == ORCA_KIND_MAP ? type_ref(m, t->key) : "NULL";
  cg_val *n = cg_obj(m->p);
  char *var = cg_printf(m->p, "%s_%s%zu", m->file->package,
                        t->kind == ORCA_KIND_LIST ? "_list" : "_map", ++m->ntype_nodes);
  cg_set_str(m->p, n, "spelling", spelling);
  cg_set_str(m->p, n, "var", var);
  cg_set_str(m->p, n, "kind", kind_const(t->kind));
  cg_set_str(m->p, n, "layout", t->kind == ORCA_KIND_LIST ? "orca_list" : "orca_map");
  cg_set_str(m->p, n, "elem", elem);
  cg_set_str(m->p, n, "key", key);
  cg_set_str(m->p, n, "name_lit", cg_c_string(m->p, spelling));
  cg_push(m->p, m->type_nodes, n);
  char *ref = cat(m->p, "&", var);
  add_slot(m, cg_get(n, "spelling")->str, ref);
  return ref;
}

/* The C type of a value of t in a struct member, as a prefix for a
 * declarator (optional structs are pointers; see orca/schema.h). */
static char *member_ctype(model *m, const orca_ast_field *f) {
  char *t = cg_c_type(m->p, f->type);
  if (f->optional && f->type->kind == ORCA_KIND_STRUCT)
    return cat(m->p, t, " *");
  return t;
}

static const char *field_name(const orca_ast_field *f) {
  return f->c_name ? f->c_name : f->name;
}

/* The static const object a default value points to, or NULL for none. */
static cg_val *default_obj(model *m, const orca_ast_decl *s, const orca_ast_field *f, char **ref) {
  *ref = "NULL";
  if (!f->def)
    return NULL;
  cg_pool *p = m->p;
  char *var = cg_printf(p, "%s__default_%" PRIu32, s->c_name, f->id);
  char *ctype = cg_c_type(p, f->type);
  char *decl, *value;
  if (f->type->kind == ORCA_KIND_BYTES) {
    /* The bytes live in their own array; the orca_bytes points there. */
    const orca_ast_lit *l = f->def;
    cg_val *o = cg_obj(p);
    char *data = cg_printf(p, "%s_data", var);
    cg_set_str(p, o, "pre",
               l->len ? cg_printf(p, "static uint8_t %s[] = {%s};\n", data,
                                  cg_c_bytes(p, (const uint8_t *)l->str, l->len, 0))
                      : "");
    cg_set_strf(p, o, "decl", "static const orca_bytes %s", var);
    cg_set_strf(p, o, "value", "{%s, %zu}", l->len ? data : "NULL", l->len);
    *ref = cat(p, "&", var);
    return o;
  }
  value = cg_c_literal(p, f->def);
  if (!value)
    return NULL;
  char *pre = "";
  if (f->type->kind == ORCA_KIND_STRING) {
    /* A char array rather than a pointer to the literal, so user code built
     * with -Wwrite-strings stays quiet; the codec never frees a string that
     * still points at its default. */
    char *text = cg_printf(p, "%s_text", var);
    pre = cg_printf(p, "static char %s[] = %s;\n", text, value);
    value = text;
  }
  size_t n = strlen(ctype);
  decl = n && ctype[n - 1] == '*' ? cg_printf(p, "static %sconst %s", ctype, var)
                                  : cg_printf(p, "static const %s %s", ctype, var);
  cg_val *o = cg_obj(p);
  cg_set_str(p, o, "pre", pre);
  cg_set_str(p, o, "decl", decl);
  cg_set_str(p, o, "value", value);
  *ref = cat(p, "&", var);
  return o;
}

static cg_val *field_model(model *m, const orca_ast_decl *s, const orca_ast_field *f,
                           cg_val *defaults) {
  cg_pool *p = m->p;
  cg_val *o = cg_obj(p);
  const char *name = field_name(f);
  bool pointer = f->optional && f->type->kind == ORCA_KIND_STRUCT;
  bool has_flag = f->optional && !pointer;
  cg_set_str(p, o, "name", name);
  cg_set_str(p, o, "name_lit", cg_c_string(p, f->name));
  cg_set_strf(p, o, "id", "%" PRIu32, f->id);
  cg_set_str(p, o, "doc_h", cg_c_doc(p, f->doc, 2));
  cg_set_str(p, o, "doc_c", cg_c_string(p, f->doc));
  cg_set_bool(p, o, "has_flag", has_flag);
  cg_set_str(p, o, "c_decl", cg_c_decl(p, member_ctype(m, f), name));
  cg_set_str(p, o, "struct", s->c_name);
  cg_set_str(p, o, "type_ref", type_ref(m, f->type));
  cg_set_str(p, o, "has_offset",
             has_flag ? cg_printf(p, "(int32_t)offsetof(%s, has_%s)", s->c_name, name) : "-1");
  char *def_ref;
  cg_val *def = default_obj(m, s, f, &def_ref);
  if (def)
    cg_push(p, defaults, def);
  cg_set_str(p, o, "default_ref", def_ref);
  cg_sb flags = {0};
  if (f->optional)
    cg_sb_puts(&flags, "ORCA_FIELD_OPTIONAL");
  if (pointer)
    cg_sb_puts(&flags, " | ORCA_FIELD_POINTER");
  if (def)
    cg_sb_puts(&flags, flags.len ? " | ORCA_FIELD_DEFAULT" : "ORCA_FIELD_DEFAULT");
  cg_set_str(p, o, "flags", flags.len ? flags.data : "0");
  cg_sb_free(&flags);
  return o;
}

/* A struct (user struct or task arguments): its C definition, descriptor
 * table and wrapper function names. */
static cg_val *struct_model(model *m, const orca_ast_decl *d) {
  cg_pool *p = m->p;
  const orca_ast_struct *s = &d->strct;
  cg_val *o = cg_obj(p);
  cg_set_str(p, o, "c_name", d->c_name);
  cg_set_str(p, o, "qname", d->qname);
  cg_set_str(p, o, "qname_lit", cg_c_string(p, d->qname));
  cg_set_str(p, o, "doc_h", d->task_of ? "" : cg_c_doc(p, d->doc, 0));
  cg_set_str(p, o, "doc_c", cg_c_string(p, d->task_of ? NULL : d->doc));
  cg_set_str(p, o, "desc", cat(p, d->c_name, ORCAC_SFX_DESC));
  cg_set_str(p, o, "type", cat(p, d->c_name, ORCAC_SFX_TYPE));
  cg_set_str(p, o, "fields_var", cat(p, d->c_name, "__fields"));
  cg_set_str(p, o, "fields_ref", s->nfields ? cat(p, d->c_name, "__fields") : "NULL");
  cg_set_strf(p, o, "nfields", "%zu", s->nfields);
  cg_set_str(p, o, "fingerprint", u64_hex(p, s->fingerprint));
  cg_set_bool(p, o, "empty", s->nfields == 0);
  cg_set_str(p, o, "init", cat(p, d->c_name, "_init"));
  cg_set_str(p, o, "free", cat(p, d->c_name, "_free"));
  cg_set_str(p, o, "pack", cat(p, d->c_name, "_pack"));
  cg_set_str(p, o, "unpack", cat(p, d->c_name, "_unpack"));
  cg_val *fields = cg_set(p, o, "fields", cg_list(p));
  cg_val *by_id = cg_set(p, o, "fields_by_id", cg_list(p));
  cg_val *defaults = cg_set(p, o, "defaults", cg_list(p));
  for (size_t i = 0; i < s->nfields; i++)
    cg_push(p, fields, field_model(m, d, &s->fields[i], defaults));
  /* The wire table shares the field objects, in id order. */
  for (size_t i = 0; i < s->nfields; i++) {
    const orca_ast_field *f = s->by_id ? s->by_id[i] : &s->fields[i];
    cg_push(p, by_id, fields->items[f - s->fields]);
  }
  return o;
}

static cg_val *enum_model(model *m, const orca_ast_decl *d) {
  cg_pool *p = m->p;
  const orca_ast_enum *e = &d->enm;
  cg_val *o = cg_obj(p);
  cg_set_str(p, o, "c_name", d->c_name);
  cg_set_str(p, o, "qname_lit", cg_c_string(p, d->qname));
  cg_set_str(p, o, "doc_h", cg_c_doc(p, d->doc, 0));
  cg_set_str(p, o, "doc_c", cg_c_string(p, d->doc));
  cg_set_str(p, o, "desc", cat(p, d->c_name, ORCAC_SFX_DESC));
  cg_set_str(p, o, "type", cat(p, d->c_name, ORCAC_SFX_TYPE));
  cg_set_str(p, o, "values_var", cat(p, d->c_name, "__values"));
  cg_set_str(p, o, "name_fn", cat(p, d->c_name, "_name"));
  cg_set_str(p, o, "parse_fn", cat(p, d->c_name, "_parse"));
  cg_set_strf(p, o, "nvalues", "%zu", e->nvalues);
  cg_set_bool(p, o, "has_values", e->nvalues > 0);
  cg_val *values = cg_set(p, o, "values", cg_list(p));
  cg_val *by_value = cg_set(p, o, "by_value", cg_list(p));
  for (size_t i = 0; i < e->nvalues; i++) {
    const orca_ast_enum_value *v = &e->values[i];
    cg_val *vo = cg_obj(p);
    cg_set_str(p, vo, "c_name", v->c_name);
    cg_set_str(p, vo, "name_lit", cg_c_string(p, v->name));
    cg_set_str(p, vo, "value",
               v->value == INT32_MIN ? "INT32_MIN" : cg_printf(p, "%" PRId32, v->value));
    cg_set_str(p, vo, "doc_h", cg_c_doc(p, v->doc, 2));
    cg_push(p, values, vo);
  }
  for (size_t i = 0; i < e->nvalues; i++) {
    const orca_ast_enum_value *v = e->by_value ? e->by_value[i] : &e->values[i];
    cg_push(p, by_value, values->items[v - e->values]);
  }
  return o;
}

static const char *backoff_const(orca_backoff_kind k) {
  switch (k) {
  case ORCA_BACKOFF_FIXED:
    return "ORCA_BACKOFF_FIXED";
  case ORCA_BACKOFF_LINEAR:
    return "ORCA_BACKOFF_LINEAR";
  case ORCA_BACKOFF_EXPONENTIAL:
    return "ORCA_BACKOFF_EXPONENTIAL";
  default:
    return "ORCA_BACKOFF_NONE";
  }
}

/* One line saying what the annotations of a task mean, for the header. */
static char *policy_summary(cg_pool *p, const orca_ast_policy *pol) {
  cg_sb b = {0};
  cg_sb_printf(&b, "Queue \"%s\"", pol->queue ? pol->queue : "default");
  const orca_retry_policy *r = &pol->retry;
  if (r->max_attempts > 1) {
    cg_sb_printf(&b, "; up to %" PRIu32 " attempts", r->max_attempts);
    if (r->backoff == ORCA_BACKOFF_EXPONENTIAL)
      cg_sb_printf(&b, ", exponential back-off from %s", human_duration(p, r->base_us));
    else if (r->backoff == ORCA_BACKOFF_LINEAR)
      cg_sb_printf(&b, ", linear back-off by %s", human_duration(p, r->base_us));
    else if (r->backoff == ORCA_BACKOFF_FIXED)
      cg_sb_printf(&b, ", %s apart", human_duration(p, r->base_us));
    if (r->max_us)
      cg_sb_printf(&b, " up to %s", human_duration(p, r->max_us));
    if (r->jitter)
      cg_sb_puts(&b, " with jitter");
  }
  if (pol->timeout_us)
    cg_sb_printf(&b, "; timeout %s", human_duration(p, pol->timeout_us));
  if (pol->deadline_us)
    cg_sb_printf(&b, "; must start within %s", human_duration(p, pol->deadline_us));
  if (pol->priority)
    cg_sb_printf(&b, "; priority %" PRId32, pol->priority);
  if (pol->unique_ttl_us)
    cg_sb_printf(&b, "; unique for %s", human_duration(p, pol->unique_ttl_us));
  if (pol->cache_ttl_us)
    cg_sb_printf(&b, "; results cached for %s", human_duration(p, pol->cache_ttl_us));
  if (pol->result_ttl_us)
    cg_sb_printf(&b, "; result kept %s", human_duration(p, pol->result_ttl_us));
  if (pol->hook_written)
    cg_sb_printf(&b, "; hook %s", pol->hook_written);
  cg_sb_putc(&b, '.');
  /* Wrap at spaces so the comment stays within 80 columns. */
  for (size_t i = 0, col = 0, last_space = 0; i < b.len; i++, col++) {
    if (b.data[i] == ' ')
      last_space = i;
    if (col >= 74 && last_space) {
      b.data[last_space] = '\n';
      col = i - last_space;
      last_space = 0;
    }
  }
  char *r2 = cg_sb_pool(p, &b);
  cg_sb_free(&b);
  return r2;
}

static cg_val *task_model(model *m, const orca_ast_decl *d) {
  cg_pool *p = m->p;
  const orca_ast_task *t = &d->task;
  const orca_ast_policy *pol = &t->policy;
  const orca_ast_decl *args = t->args;
  cg_val *o = cg_obj(p);
  cg_set_str(p, o, "name", d->name);
  cg_set_str(p, o, "qname", d->qname);
  cg_set_str(p, o, "qname_lit", cg_c_string(p, d->qname));
  char *policy = policy_summary(p, pol);
  cg_set_str(p, o, "doc_h",
             cg_c_doc(p, d->doc ? cg_printf(p, "%s\n\n%s", d->doc, policy) : policy, 0));
  cg_set_str(p, o, "doc_c", cg_c_string(p, d->doc));
  cg_set(p, o, "args", struct_model(m, args));
  cg_set_str(p, o, "args_c", args->c_name);
  cg_set_str(p, o, "args_desc", cat(p, args->c_name, ORCAC_SFX_DESC));
  cg_set_str(p, o, "args_type", cat(p, args->c_name, ORCAC_SFX_TYPE));
  cg_set_str(p, o, "handler", cat(p, d->c_name, ORCAC_SFX_HANDLER));
  cg_set_str(p, o, "task", cat(p, d->c_name, ORCAC_SFX_TASK));
  cg_set_str(p, o, "invoke", cat(p, d->c_name, "__invoke"));
  cg_set_str(p, o, "enqueue", cat(p, d->c_name, ORCAC_SFX_ENQUEUE));
  cg_set_str(p, o, "enqueue_at", cg_printf(p, "%s%s_at", d->c_name, ORCAC_SFX_ENQUEUE));
  cg_set_str(p, o, "enqueue_in", cg_printf(p, "%s%s_in", d->c_name, ORCAC_SFX_ENQUEUE));
  cg_set_str(p, o, "result_fn", cat(p, d->c_name, "_result"));
  cg_set_bool(p, o, "has_result", t->result != NULL);
  if (t->result) {
    char *ctype = cg_c_type(p, t->result);
    if (t->result->kind == ORCA_KIND_LIST || t->result->kind == ORCA_KIND_MAP) {
      /* An untagged struct cannot be named twice; give it a typedef. */
      char *td = cat(p, d->c_name, "__result");
      cg_val *tdo = cg_set(p, o, "result_typedef", cg_obj(p));
      cg_set_str(p, tdo, "decl", cg_c_decl(p, ctype, td));
      ctype = td;
    }
    cg_set_str(p, o, "result_param", cg_c_decl(p, ctype, "*result"));
    cg_set_str(p, o, "result_out", cg_c_decl(p, ctype, "*out"));
    cg_set_str(p, o, "result_ref", type_ref(m, t->result));
    cg_set_str(p, o, "result_spelling", t->result->spelling ? t->result->spelling : "");
  } else {
    cg_set_str(p, o, "result_ref", "NULL");
  }
  cg_set_str(p, o, "queue_lit", cg_c_string(p, pol->queue ? pol->queue : "default"));
  cg_set_strf(p, o, "max_attempts", "%" PRIu32,
              pol->retry.max_attempts ? pol->retry.max_attempts : 1);
  cg_set_str(p, o, "backoff", backoff_const(pol->retry.backoff));
  cg_set_str(p, o, "base_us", i64(p, pol->retry.base_us));
  cg_set_str(p, o, "max_us", i64(p, pol->retry.max_us));
  cg_set_str(p, o, "jitter", pol->retry.jitter ? "true" : "false");
  cg_set_str(p, o, "timeout_us", i64(p, pol->timeout_us));
  cg_set_str(p, o, "deadline_us", i64(p, pol->deadline_us));
  cg_set_str(p, o, "result_ttl_us", i64(p, pol->result_ttl_us));
  cg_set_str(p, o, "cache_ttl_us", i64(p, pol->cache_ttl_us));
  cg_set_str(p, o, "unique_ttl_us", i64(p, pol->unique_ttl_us));
  cg_set_strf(p, o, "priority", "%" PRId32, pol->priority);
  cg_set_str(p, o, "hook_lit", cg_c_string(p, pol->hook));
  return o;
}

static const char *catchup_const(orca_catchup c) {
  return c == ORCA_CATCHUP_ONCE  ? "ORCA_CATCHUP_ONCE"
         : c == ORCA_CATCHUP_ALL ? "ORCA_CATCHUP_ALL"
                                 : "ORCA_CATCHUP_SKIP";
}

/* The pre-parsed cron expression as a designated initializer. */
static char *cron_init(cg_pool *p, const orca_cron *c) {
  cg_sb b = {0};
  cg_sb_printf(&b,
               "{\n        .sec = UINT64_C(0x%" PRIx64 "),\n        .min = UINT64_C(0x%" PRIx64
               "),\n        .hour = 0x%" PRIx32 "u,\n        .dom = 0x%" PRIx32
               "u,\n        .dom_w = 0x%" PRIx32 "u,\n        .month = 0x%x,\n"
               "        .dow = 0x%x,\n        .dow_last = 0x%x,\n        .dow_nth = {",
               c->sec, c->min, c->hour, c->dom, c->dom_w, (unsigned)c->month, (unsigned)c->dow,
               (unsigned)c->dow_last);
  for (int i = 0; i < 7; i++)
    cg_sb_printf(&b, "%s0x%x", i ? ", " : "", (unsigned)c->dow_nth[i]);
  cg_sb_printf(&b, "},\n        .dom_last_offset = %u,\n        .flags = 0x%x,\n    }",
               (unsigned)c->dom_last_offset, (unsigned)c->flags);
  char *r = cg_sb_pool(p, &b);
  cg_sb_free(&b);
  return r;
}

static cg_val *schedule_model(model *m, const orca_ast_decl *d) {
  cg_pool *p = m->p;
  const orca_ast_schedule *s = &d->sched;
  cg_val *o = cg_obj(p);
  cg_set_str(p, o, "var", cat(p, d->c_name, ORCAC_SFX_SCHEDULE));
  cg_set_str(p, o, "args_var", cat(p, d->c_name, "__args"));
  cg_set_str(p, o, "qname_lit", cg_c_string(p, d->qname));
  cg_set_str(p, o, "doc_h", cg_c_doc(p, d->doc, 0));
  cg_set_str(p, o, "task_ref", cg_printf(p, "&%s%s", s->task->c_name, ORCAC_SFX_TASK));
  bool cron = s->kind == ORCA_SCHEDULE_CRON;
  cg_set_str(p, o, "kind", cron ? "ORCA_SCHEDULE_CRON" : "ORCA_SCHEDULE_EVERY");
  cg_set_str(p, o, "cron_expr_lit", cg_c_string(p, cron ? s->cron_expr : NULL));
  if (cron)
    cg_set_str(p, o, "cron", cron_init(p, &s->cron));
  cg_set_str(p, o, "tz_lit", cg_c_string(p, cron ? s->tz : NULL));
  cg_set_str(p, o, "every_us", i64(p, cron ? 0 : s->every_us));
  cg_set_str(p, o, "catchup", catchup_const(s->catchup));
  cg_set_strf(p, o, "catchup_max", "%" PRIu32, s->catchup_max);
  cg_set_str(p, o, "args_bytes", cg_c_bytes(p, s->args_msgpack, s->args_msgpack_len, 4));
  /* Shown in comments: a cron step such as "*" "/5" must not end them. */
  cg_set_str(p, o, "when",
             cg_c_defuse(p, cron ? cg_printf(p, "cron \"%s\"%s%s", s->cron_expr,
                                             s->tz ? " in " : "", s->tz ? s->tz : "")
                                 : cg_printf(p, "every %s", human_duration(p, s->every_us))));
  cg_set_str(p, o, "task_qname", s->task->qname);
  return o;
}

/* Make a list of references "&x" to a list of objects' `key`, for the
 * schema's pointer arrays. */
static void ref_list(model *m, cg_val *root, const char *name, cg_val *objs, const char *key,
                     const char *array_var) {
  cg_pool *p = m->p;
  cg_val *refs = cg_list(p);
  for (size_t i = 0; i < objs->len; i++)
    cg_push(p, refs, cg_str(p, cat(p, "&", cg_get(objs->items[i], key)->str)));
  cg_val *o = cg_set(p, root, name, cg_obj(p));
  cg_set(p, o, "refs", refs);
  cg_set_bool(p, o, "any", objs->len > 0);
  cg_set_strf(p, o, "count", "%zu", objs->len);
  cg_set_str(p, o, "var", array_var);
  cg_set_str(p, o, "ref", objs->len ? array_var : "NULL");
}

cg_val *orcac__codegen_model(cg_pool *p, const orca_ast_file *file) {
  model m = {.p = p, .file = file};
  cg_val *root = m.root = cg_obj(p);
  m.type_nodes = cg_set(p, root, "type_nodes", cg_list(p));
  size_t nschema = orcac_c_schema(NULL, 0, file->package);
  char *schema = cg_alloc(p, nschema + 1);
  orcac_c_schema(schema, nschema + 1, file->package);
  cg_set_str(p, root, "base", file->basename);
  cg_set_str(p, root, "package", file->package);
  cg_set_str(p, root, "package_lit", cg_c_string(p, file->package));
  cg_set_str(p, root, "source", cat(p, file->basename, ".orca"));
  cg_set_str(p, root, "header", cat(p, file->basename, ".orca.h"));
  size_t nguard = orcac_c_guard(NULL, 0, file->basename);
  char *guard = cg_alloc(p, nguard + 1);
  orcac_c_guard(guard, nguard + 1, file->basename);
  cg_set_str(p, root, "guard", guard);
  cg_set_str(p, root, "about", cg_c_comment_lines(p, file->doc));
  cg_set_str(p, root, "schema", schema);
  cg_set_str(p, root, "handlers", cat(p, file->prefix, "handlers"));
  cg_set_str(p, root, "register", cat(p, file->prefix, "register"));

  cg_val *imports = cg_set(p, root, "imports", cg_list(p));
  for (size_t i = 0; i < file->nimports; i++) {
    const orca_ast_file *imp = file->imports[i].file;
    cg_val *o = cg_obj(p);
    cg_set_str(p, o, "header", cat(p, imp ? imp->basename : file->imports[i].path, ".orca.h"));
    cg_push(p, imports, o);
  }

  cg_val *enums = cg_set(p, root, "enums", cg_list(p));
  for (size_t i = 0; i < file->nenums; i++)
    cg_push(p, enums, enum_model(&m, file->enums[i]));

  /* User structs in C definition order; task argument structs are rendered
   * with their task. */
  cg_val *structs = cg_set(p, root, "structs", cg_list(p));
  for (size_t i = 0; i < file->nstructs_topo; i++)
    if (!file->structs_topo[i]->task_of)
      cg_push(p, structs, struct_model(&m, file->structs_topo[i]));
  cg_set_bool(p, root, "has_types", file->nenums + structs->len > 0);

  cg_val *tasks = cg_set(p, root, "tasks", cg_list(p));
  for (size_t i = 0; i < file->ntasks; i++)
    cg_push(p, tasks, task_model(&m, file->tasks[i]));
  cg_set_bool(p, root, "has_tasks", tasks->len > 0);

  cg_val *schedules = cg_set(p, root, "schedules", cg_list(p));
  for (size_t i = 0; i < file->nschedules; i++)
    cg_push(p, schedules, schedule_model(&m, file->schedules[i]));

  ref_list(&m, root, "schema_structs", structs, "desc", cat(p, schema, "_structs"));
  ref_list(&m, root, "schema_enums", enums, "desc", cat(p, schema, "_enums"));
  ref_list(&m, root, "schema_tasks", tasks, "task", cat(p, schema, "_tasks"));
  ref_list(&m, root, "schema_schedules", schedules, "var", cat(p, schema, "_schedules"));
  return root;
}
