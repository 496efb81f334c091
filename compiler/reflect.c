/* compiler/reflect.c — orca/schema.h tables from a .orca file at run time
 * (see reflect.h). Everything one schema needs lives in one arena, freed at
 * once by orcac_schema_free(). */
#include "compiler/reflect.h"

#include <stdlib.h>
#include <string.h>

#include "compiler/frontend.h"
#include "compiler/symtab.h"

/* The schema is the first member, so the pointer handed out frees all. */
typedef struct holder {
  orca_schema schema;
  orca_arena arena;
  orcac_symtab types; /* qname -> orca_type * (enums and structs) */
  orcac_vec pending;  /* struct decls whose descriptor still lacks its fields */
  bool oom;
} holder;

static void *alloc0(holder *h, size_t n) {
  void *p = orcac_new(&h->arena, n);
  if (!p)
    h->oom = true;
  return p;
}

static const char *dup(holder *h, const char *s) {
  if (!s)
    return NULL;
  char *p = orcac_strdup(&h->arena, s);
  if (!p)
    h->oom = true;
  return p;
}

static const orca_type *scalar(orca_kind k) {
  switch (k) {
  case ORCA_KIND_BOOL:
    return &orca_type_bool;
  case ORCA_KIND_I8:
    return &orca_type_i8;
  case ORCA_KIND_I16:
    return &orca_type_i16;
  case ORCA_KIND_I32:
    return &orca_type_i32;
  case ORCA_KIND_I64:
    return &orca_type_i64;
  case ORCA_KIND_U8:
    return &orca_type_u8;
  case ORCA_KIND_U16:
    return &orca_type_u16;
  case ORCA_KIND_U32:
    return &orca_type_u32;
  case ORCA_KIND_U64:
    return &orca_type_u64;
  case ORCA_KIND_F32:
    return &orca_type_f32;
  case ORCA_KIND_F64:
    return &orca_type_f64;
  case ORCA_KIND_STRING:
    return &orca_type_string;
  case ORCA_KIND_BYTES:
    return &orca_type_bytes;
  case ORCA_KIND_TIMESTAMP:
    return &orca_type_timestamp;
  case ORCA_KIND_DURATION:
    return &orca_type_duration;
  default:
    return NULL;
  }
}

static const orca_type *type_of(holder *h, const orca_ast_type *t);

static orca_struct_desc *struct_desc(holder *h, const orca_ast_decl *d) {
  orca_struct_desc *sd = alloc0(h, sizeof *sd);
  orca_field *fields = alloc0(h, (d->strct.nfields ? d->strct.nfields : 1) * sizeof *fields);
  if (!sd || !fields)
    return NULL;
  sd->name = dup(h, d->qname);
  sd->c_name = dup(h, d->c_name);
  sd->nfields = (uint32_t)d->strct.nfields;
  sd->fields = fields;
  sd->fingerprint = d->strct.fingerprint;
  sd->doc = dup(h, d->doc);
  return sd;
}

static void fill_fields(holder *h, const orca_ast_decl *d, orca_struct_desc *sd) {
  orca_field *fields = (orca_field *)sd->fields;
  for (size_t i = 0; i < d->strct.nfields; i++) {
    const orca_ast_field *f = d->strct.by_id[i];
    fields[i].name = dup(h, f->name);
    fields[i].id = (uint16_t)f->id;
    fields[i].flags =
        (uint16_t)((f->optional ? ORCA_FIELD_OPTIONAL : 0) |
                   (f->optional && f->type->kind == ORCA_KIND_STRUCT ? ORCA_FIELD_POINTER : 0) |
                   (f->def ? ORCA_FIELD_DEFAULT : 0));
    fields[i].has_offset = -1;
    fields[i].type = type_of(h, f->type);
    fields[i].doc = dup(h, f->doc);
  }
}

static orca_enum_desc *enum_desc(holder *h, const orca_ast_decl *d) {
  orca_enum_desc *ed = alloc0(h, sizeof *ed);
  orca_enum_value *vals = alloc0(h, (d->enm.nvalues ? d->enm.nvalues : 1) * sizeof *vals);
  if (!ed || !vals)
    return NULL;
  for (size_t i = 0; i < d->enm.nvalues; i++) {
    vals[i].name = dup(h, d->enm.by_value[i]->name);
    vals[i].value = d->enm.by_value[i]->value;
  }
  ed->name = dup(h, d->qname);
  ed->c_name = dup(h, d->c_name);
  ed->nvalues = (uint32_t)d->enm.nvalues;
  ed->values = vals;
  ed->doc = dup(h, d->doc);
  return ed;
}

/* The type node of a named enum or struct, created once per schema; a
 * struct's fields are filled by fill_pending(). */
static orca_type *named(holder *h, const orca_ast_decl *d) {
  orca_type *t = orcac_symtab_get(&h->types, d->qname);
  if (t)
    return t;
  t = alloc0(h, sizeof *t);
  if (!t)
    return NULL;
  t->name = dup(h, d->qname);
  if (orcac_symtab_put(&h->types, t->name, t) == (void *)-1) {
    h->oom = true;
    return NULL;
  }
  if (d->kind == ORCA_AST_ENUM) {
    t->kind = ORCA_KIND_ENUM;
    t->size = t->align = sizeof(int32_t);
    t->edesc = enum_desc(h, d);
  } else {
    t->kind = ORCA_KIND_STRUCT;
    t->sdesc = struct_desc(h, d);
    /* Fields later (fill_pending): filling them here would recurse once per
     * struct along a chain of structs, however long. */
    if (t->sdesc && !orcac_vec_push(&h->arena, &h->pending, (void *)d))
      h->oom = true;
  }
  return t;
}

/* Fill the fields of every struct descriptor created so far, and of those
 * the fields' types create in turn. */
static void fill_pending(holder *h) {
  while (h->pending.n) {
    const orca_ast_decl *d = h->pending.items[--h->pending.n];
    orca_type *t = orcac_symtab_get(&h->types, d->qname);
    fill_fields(h, d, (orca_struct_desc *)t->sdesc);
  }
}

static const orca_type *type_of(holder *h, const orca_ast_type *t) {
  if (!t)
    return NULL;
  if (t->kind == ORCA_KIND_ENUM || t->kind == ORCA_KIND_STRUCT)
    return named(h, t->decl);
  if (t->kind == ORCA_KIND_LIST || t->kind == ORCA_KIND_MAP) {
    orca_type *n = alloc0(h, sizeof *n);
    if (!n)
      return NULL;
    n->kind = t->kind;
    n->elem = type_of(h, t->elem);
    n->key = t->kind == ORCA_KIND_MAP ? type_of(h, t->key) : NULL;
    n->name = dup(h, t->spelling);
    return n;
  }
  return scalar(t->kind);
}

static void build(holder *h, const orca_ast_file *f) {
  orca_schema *s = &h->schema;
  s->package = dup(h, f->package);
  const orca_struct_desc **structs = alloc0(h, (f->nstructs + 1) * sizeof *structs);
  const orca_enum_desc **enums = alloc0(h, (f->nenums + 1) * sizeof *enums);
  const orca_task_desc **tasks = alloc0(h, (f->ntasks + 1) * sizeof *tasks);
  const orca_schedule_desc **scheds = alloc0(h, (f->nschedules + 1) * sizeof *scheds);
  if (!structs || !enums || !tasks || !scheds)
    return;
  for (size_t i = 0; i < f->nenums; i++) {
    orca_type *t = named(h, f->enums[i]);
    enums[i] = t ? t->edesc : NULL;
  }
  for (size_t i = 0; i < f->nstructs; i++) {
    orca_type *t = named(h, f->structs[i]);
    structs[i] = t ? t->sdesc : NULL;
  }
  for (size_t i = 0; i < f->ntasks; i++) {
    const orca_ast_decl *d = f->tasks[i];
    orca_task_desc *td = alloc0(h, sizeof *td);
    orca_type *args = named(h, d->task.args);
    if (!td || !args)
      return;
    const orca_ast_policy *p = &d->task.policy;
    td->name = dup(h, d->qname);
    td->queue = dup(h, p->queue);
    td->args = args->sdesc;
    td->args_type = args;
    td->result = type_of(h, d->task.result);
    td->retry = p->retry;
    td->timeout_us = p->timeout_us;
    td->deadline_us = p->deadline_us;
    td->result_ttl_us = p->result_ttl_us;
    td->cache_ttl_us = p->cache_ttl_us;
    td->unique_ttl_us = p->unique_ttl_us;
    td->priority = p->priority;
    td->hook = dup(h, p->hook);
    td->doc = dup(h, d->doc);
    tasks[i] = td;
  }
  for (size_t i = 0; i < f->nschedules; i++) {
    const orca_ast_schedule *sc = &f->schedules[i]->sched;
    orca_schedule_desc *sd = alloc0(h, sizeof *sd);
    if (!sd)
      return;
    sd->name = dup(h, f->schedules[i]->qname);
    for (size_t k = 0; k < f->ntasks; k++)
      if (f->tasks[k] == sc->task)
        sd->task = tasks[k];
    sd->kind = sc->kind;
    sd->cron_expr = dup(h, sc->cron_expr);
    sd->cron = sc->cron;
    sd->tz = dup(h, sc->tz);
    sd->every_us = sc->every_us;
    sd->catchup = sc->catchup;
    sd->catchup_max = sc->catchup_max;
    uint8_t *args = alloc0(h, sc->args_msgpack_len + 1);
    if (args)
      memcpy(args, sc->args_msgpack, sc->args_msgpack_len);
    sd->args = args;
    sd->args_len = sc->args_msgpack_len;
    scheds[i] = sd;
  }
  fill_pending(h);
  s->nstructs = (uint32_t)f->nstructs;
  s->structs = structs;
  s->nenums = (uint32_t)f->nenums;
  s->enums = enums;
  s->ntasks = (uint32_t)f->ntasks;
  s->tasks = tasks;
  s->nschedules = (uint32_t)f->nschedules;
  s->schedules = scheds;
}

int orcac_schema_load(const char *path, const char *const *import_dirs, size_t n, orca_schema **out,
                      orca_err *err) {
  *out = NULL;
  orcac_session s;
  orcac_session_init(&s, import_dirs, n, NULL);
  orca_ast_file *f = orcac_load(&s, path);
  if (!f) {
    if (err)
      *err = s.diags.first;
    if (err && !err->msg[0])
      orca_err_set(err, ORCA_EINVAL, "%s: cannot load", path);
    orcac_session_free(&s);
    return ORCA_EINVAL;
  }
  holder *h = calloc(1, sizeof *h);
  if (!h) {
    orcac_session_free(&s);
    return orca_err_set(err, ORCA_ENOMEM, "out of memory");
  }
  orca_arena_init(&h->arena, 16 * 1024);
  build(h, f);
  orcac_symtab_free(&h->types);
  orcac_session_free(&s);
  if (h->oom) {
    orcac_schema_free(&h->schema);
    return orca_err_set(err, ORCA_ENOMEM, "out of memory");
  }
  *out = &h->schema;
  return 0;
}

void orcac_schema_free(orca_schema *schema) {
  if (!schema)
    return;
  holder *h = (holder *)schema;
  orca_arena_free(&h->arena);
  free(h);
}
