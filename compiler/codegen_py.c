/* codegen_py.c — the model of the Python module `orcac --lang python`
 * writes (templates/module.py.mustache; keys in templates/README.md).
 *
 * Decides every Python name and type hint: classes keep their .orca names,
 * a task's arguments become the dataclass <Task>Args, a field or variable
 * that is a Python keyword (or one of the module's own names) gets a
 * trailing '_'. The tables passed to orcastra.Schema repeat what the C
 * descriptors hold (ids, types, fingerprints, policies, defaults, schedule
 * arguments as msgpack), so both languages read and write the same bytes.
 * Spellings come from codegen_pyspell.c. */
#include <inttypes.h>
#include <string.h>

#include "codegen_internal.h"
#include "idl/ast.h"

typedef struct pymodel {
  cg_pool *p;
  const orca_ast_file *file;
} pymodel;

/* Names the module defines besides the .orca declarations. */
static const char *const reserved[] = {"dataclasses", "datetime", "enum",     "Optional",
                                       "orcastra",    "_schema",  "register", "main"};

static bool taken(pymodel *m, const char *name) {
  for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
    if (strcmp(reserved[i], name) == 0)
      return true;
  for (size_t i = 0; i < m->file->nimports; i++)
    if (m->file->imports[i].file &&
        strcmp(name, cg_py_module(m->p, m->file->imports[i].file->basename)) == 0)
      return true;
  return false;
}

/* A module-level identifier: name, or name_ when Python or the module
 * already uses it. */
static char *module_ident(pymodel *m, const char *name) {
  return cg_py_keyword(name) || taken(m, name) ? cg_printf(m->p, "%s_", name)
                                               : cg_strdup(m->p, name);
}

/* An attribute name: name, or name_ for a keyword. */
static char *attr_ident(pymodel *m, const char *name) {
  return cg_py_keyword(name) ? cg_printf(m->p, "%s_", name) : cg_strdup(m->p, name);
}

/* "charge" -> "ChargeArgs", "send_mail" -> "SendMailArgs". */
static char *args_class(pymodel *m, const orca_ast_decl *task) {
  cg_sb b = {0};
  bool up = true;
  for (const char *c = task->name; *c; c++) {
    if (*c == '_') {
      up = true;
      continue;
    }
    cg_sb_putc(&b, up && *c >= 'a' && *c <= 'z' ? (char)(*c - 'a' + 'A') : *c);
    up = false;
  }
  cg_sb_puts(&b, "Args");
  char *r = cg_sb_pool(m->p, &b);
  cg_sb_free(&b);
  /* A user type of that name wins; the arguments class steps aside. */
  for (size_t i = 0; i < m->file->ndecls; i++)
    if (strcmp(m->file->decls[i]->name, r) == 0)
      return cg_printf(m->p, "%s_", r);
  return r;
}

/* The Python class of an enum or struct declaration, qualified by its
 * module when it comes from an import. */
static char *class_ref(pymodel *m, const orca_ast_decl *d) {
  const char *name = d->task_of ? args_class(m, d->task_of) : d->name;
  if (d->file == m->file)
    return cg_strdup(m->p, name);
  return cg_printf(m->p, "%s.%s", cg_py_module(m->p, d->file->basename), name);
}

static const char *scalar_name(orca_kind k) {
  static const char *const names[] = {
      [ORCA_KIND_BOOL] = "bool",         [ORCA_KIND_I8] = "i8",
      [ORCA_KIND_I16] = "i16",           [ORCA_KIND_I32] = "i32",
      [ORCA_KIND_I64] = "i64",           [ORCA_KIND_U8] = "u8",
      [ORCA_KIND_U16] = "u16",           [ORCA_KIND_U32] = "u32",
      [ORCA_KIND_U64] = "u64",           [ORCA_KIND_F32] = "f32",
      [ORCA_KIND_F64] = "f64",           [ORCA_KIND_STRING] = "string",
      [ORCA_KIND_BYTES] = "bytes",       [ORCA_KIND_TIMESTAMP] = "timestamp",
      [ORCA_KIND_DURATION] = "duration",
  };
  return k >= ORCA_KIND_BOOL && k <= ORCA_KIND_DURATION ? names[k] : NULL;
}

/* The type as the orcastra.Schema tables spell it: "i32", "shop.Item",
 * ("list", T), ("map", K, V). */
static char *type_spec(pymodel *m, const orca_ast_type *t) {
  const char *s = scalar_name(t->kind);
  if (s)
    return cg_printf(m->p, "\"%s\"", s);
  if (t->kind == ORCA_KIND_LIST)
    return cg_printf(m->p, "(\"list\", %s)", type_spec(m, t->elem));
  if (t->kind == ORCA_KIND_MAP)
    return cg_printf(m->p, "(\"map\", %s, %s)", type_spec(m, t->key), type_spec(m, t->elem));
  return cg_py_cstring(m->p, t->decl->qname);
}

/* The type hint of a value of t. */
static char *type_hint(pymodel *m, const orca_ast_type *t) {
  switch (t->kind) {
  case ORCA_KIND_BOOL:
    return "bool";
  case ORCA_KIND_F32:
  case ORCA_KIND_F64:
    return "float";
  case ORCA_KIND_STRING:
    return "str";
  case ORCA_KIND_BYTES:
    return "bytes";
  case ORCA_KIND_TIMESTAMP:
    return "datetime.datetime";
  case ORCA_KIND_DURATION:
    return "datetime.timedelta";
  case ORCA_KIND_ENUM:
  case ORCA_KIND_STRUCT:
    return class_ref(m, t->decl);
  case ORCA_KIND_LIST:
    return cg_printf(m->p, "list[%s]", type_hint(m, t->elem));
  case ORCA_KIND_MAP:
    return cg_printf(m->p, "dict[%s, %s]", type_hint(m, t->key), type_hint(m, t->elem));
  default:
    return "int";
  }
}

static char *us_delta(cg_pool *p, int64_t us) {
  return cg_printf(p, "datetime.timedelta(microseconds=%" PRId64 ")", us);
}

/* A Python expression for a typed default literal. */
static char *literal(pymodel *m, const orca_ast_lit *l, const orca_ast_type *t) {
  cg_pool *p = m->p;
  switch (t->kind) {
  case ORCA_KIND_BOOL:
    return l->v.b ? "True" : "False";
  case ORCA_KIND_U8:
  case ORCA_KIND_U16:
  case ORCA_KIND_U32:
  case ORCA_KIND_U64:
    return cg_printf(p, "%" PRIu64, l->v.u);
  case ORCA_KIND_F32:
  case ORCA_KIND_F64:
    return cg_py_float(p, l->v.f, t->kind == ORCA_KIND_F32);
  case ORCA_KIND_STRING:
    return cg_py_string(p, l->str, l->len);
  case ORCA_KIND_BYTES:
    return cg_py_bytes(p, (const uint8_t *)l->str, l->len);
  case ORCA_KIND_ENUM:
    return cg_printf(p, "%s.%s", class_ref(m, t->decl), l->enum_value->name);
  case ORCA_KIND_TIMESTAMP:
    return cg_printf(p, "datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + %s",
                     us_delta(p, l->v.i));
  case ORCA_KIND_DURATION:
    return us_delta(p, l->v.i);
  default:
    return cg_printf(p, "%" PRId64, l->v.i);
  }
}

/* The dataclass default of a field (" = ..." or "" for a required one).
 * Optional fields default to None; others to their .orca default, or to
 * the zero value the wire gives a missing field, except structs, enums
 * without a 0 value and timestamps, which the caller must give. */
static char *field_default(pymodel *m, const orca_ast_field *f) {
  cg_pool *p = m->p;
  const orca_ast_type *t = f->type;
  if (f->optional)
    return " = None";
  if (f->def)
    return cg_printf(p, " = %s", literal(m, f->def, t));
  switch (t->kind) {
  case ORCA_KIND_BOOL:
    return " = False";
  case ORCA_KIND_F32:
  case ORCA_KIND_F64:
    return " = 0.0";
  case ORCA_KIND_STRING:
    return " = \"\"";
  case ORCA_KIND_BYTES:
    return " = b\"\"";
  case ORCA_KIND_DURATION:
    return " = datetime.timedelta(0)";
  case ORCA_KIND_LIST:
    return " = dataclasses.field(default_factory=list)";
  case ORCA_KIND_MAP:
    return " = dataclasses.field(default_factory=dict)";
  case ORCA_KIND_ENUM:
    for (size_t i = 0; i < t->decl->enm.nvalues; i++)
      if (t->decl->enm.values[i].value == 0)
        return cg_printf(p, " = %s.%s", class_ref(m, t->decl), t->decl->enm.values[i].name);
    return "";
  case ORCA_KIND_STRUCT:
  case ORCA_KIND_TIMESTAMP:
    return "";
  default:
    return " = 0";
  }
}

static cg_val *field_model(pymodel *m, const orca_ast_field *f) {
  cg_pool *p = m->p;
  cg_val *o = cg_obj(p);
  char *attr = attr_ident(m, f->name);
  cg_set_str(p, o, "attr", attr);
  cg_set_str(p, o, "attr_lit", cg_py_cstring(p, attr));
  cg_set_str(p, o, "name_lit", cg_py_cstring(p, f->name));
  cg_set_strf(p, o, "id", "%" PRIu32, f->id);
  char *hint = type_hint(m, f->type);
  cg_set_str(p, o, "hint", f->optional ? cg_printf(p, "Optional[%s]", hint) : hint);
  cg_set_str(p, o, "default", field_default(m, f));
  cg_set_str(p, o, "type_spec", type_spec(m, f->type));
  cg_set_str(p, o, "optional", f->optional ? "True" : "False");
  cg_set_str(p, o, "table_default", f->def ? literal(m, f->def, f->type) : "None");
  cg_set_str(p, o, "comment", cg_py_comment(p, f->doc, 4));
  return o;
}

static cg_val *struct_model(pymodel *m, const orca_ast_decl *d) {
  cg_pool *p = m->p;
  cg_val *o = cg_obj(p);
  const char *name = class_ref(m, d);
  cg_set_str(p, o, "py_name", name);
  cg_set_str(p, o, "qname_lit", cg_py_cstring(p, d->qname));
  cg_set_strf(p, o, "fingerprint", "0x%016" PRIx64, d->strct.fingerprint);
  const char *doc = d->task_of ? cg_printf(p, "The arguments of task %s.", d->task_of->qname)
                    : d->doc   ? d->doc
                               : cg_printf(p, "The .orca struct %s.", d->qname);
  cg_set_str(p, o, "doc", cg_py_docstring(p, doc, 4));
  cg_val *fields = cg_set(p, o, "fields", cg_list(p));
  for (size_t i = 0; i < d->strct.nfields; i++)
    cg_push(p, fields, field_model(m, &d->strct.fields[i]));
  return o;
}

static cg_val *enum_model(pymodel *m, const orca_ast_decl *d) {
  cg_pool *p = m->p;
  cg_val *o = cg_obj(p);
  cg_set_str(p, o, "py_name", d->name);
  cg_set_str(p, o, "qname_lit", cg_py_cstring(p, d->qname));
  cg_set_str(p, o, "doc",
             cg_py_docstring(p, d->doc ? d->doc : cg_printf(p, "The .orca enum %s.", d->qname), 4));
  cg_val *values = cg_set(p, o, "values", cg_list(p));
  for (size_t i = 0; i < d->enm.nvalues; i++) {
    const orca_ast_enum_value *v = &d->enm.values[i];
    cg_val *vo = cg_obj(p);
    cg_set_str(p, vo, "py_name", attr_ident(m, v->name));
    cg_set_str(p, vo, "name_lit", cg_py_cstring(p, v->name));
    cg_set_strf(p, vo, "value", "%" PRId32, v->value);
    cg_set_str(p, vo, "comment", cg_py_comment(p, v->doc, 4));
    cg_push(p, values, vo);
  }
  return o;
}

static const char *i64s(cg_pool *p, int64_t v) {
  return cg_printf(p, "%" PRId64, v);
}

static cg_val *task_model(pymodel *m, const orca_ast_decl *d, cg_val *exports) {
  cg_pool *p = m->p;
  const orca_ast_task *t = &d->task;
  const orca_ast_policy *pol = &t->policy;
  cg_val *o = cg_obj(p);
  char *name = module_ident(m, d->name);
  cg_push(p, exports, cg_str(p, name));
  cg_set_str(p, o, "py_name", name);
  cg_set_str(p, o, "qname_lit", cg_py_cstring(p, d->qname));
  cg_set_str(p, o, "args_qname_lit", cg_py_cstring(p, t->args->qname));
  cg_set_str(p, o, "args_class", class_ref(m, t->args));
  cg_set_str(p, o, "result_spec", t->result ? type_spec(m, t->result) : "None");
  cg_set_str(p, o, "result_hint", t->result ? type_hint(m, t->result) : "None");
  cg_set_str(p, o, "queue_lit", cg_py_cstring(p, pol->queue ? pol->queue : "default"));
  cg_set_strf(p, o, "max_attempts", "%" PRIu32,
              pol->retry.max_attempts ? pol->retry.max_attempts : 1);
  cg_set_strf(p, o, "backoff", "%d", (int)pol->retry.backoff);
  cg_set_str(p, o, "base_us", i64s(p, pol->retry.base_us));
  cg_set_str(p, o, "max_us", i64s(p, pol->retry.max_us));
  cg_set_str(p, o, "jitter", pol->retry.jitter ? "True" : "False");
  cg_set_str(p, o, "timeout_us", i64s(p, pol->timeout_us));
  cg_set_str(p, o, "deadline_us", i64s(p, pol->deadline_us));
  cg_set_str(p, o, "result_ttl_us", i64s(p, pol->result_ttl_us));
  cg_set_str(p, o, "cache_ttl_us", i64s(p, pol->cache_ttl_us));
  cg_set_str(p, o, "unique_ttl_us", i64s(p, pol->unique_ttl_us));
  cg_set_strf(p, o, "priority", "%" PRId32, pol->priority);
  cg_set_str(p, o, "hook_lit", cg_py_cstring(p, pol->hook));
  cg_set_str(p, o, "doc", d->doc ? cg_py_docstring(p, d->doc, 0) : "");
  return o;
}

static cg_val *schedule_model(pymodel *m, const orca_ast_decl *d, cg_val *exports) {
  cg_pool *p = m->p;
  const orca_ast_schedule *s = &d->sched;
  bool cron = s->kind == ORCA_SCHEDULE_CRON;
  cg_val *o = cg_obj(p);
  char *name = module_ident(m, d->name);
  cg_push(p, exports, cg_str(p, name));
  cg_set_str(p, o, "py_name", name);
  cg_set_str(p, o, "qname_lit", cg_py_cstring(p, d->qname));
  cg_set_str(p, o, "task_qname_lit", cg_py_cstring(p, s->task->qname));
  cg_set_str(p, o, "kind_lit", cron ? "\"cron\"" : "\"every\"");
  cg_set_str(p, o, "cron_lit", cg_py_cstring(p, cron ? s->cron_expr : NULL));
  cg_set_str(p, o, "tz_lit", cg_py_cstring(p, cron ? s->tz : NULL));
  cg_set_str(p, o, "every_us", i64s(p, cron ? 0 : s->every_us));
  cg_set_str(p, o, "catchup_lit",
             s->catchup == ORCA_CATCHUP_ONCE  ? "\"once\""
             : s->catchup == ORCA_CATCHUP_ALL ? "\"all\""
                                              : "\"skip\"");
  cg_set_strf(p, o, "catchup_max", "%" PRIu32, s->catchup_max);
  cg_set_str(p, o, "args_lit", cg_py_bytes(p, s->args_msgpack, s->args_msgpack_len));
  cg_set_str(p, o, "doc", d->doc ? cg_py_docstring(p, d->doc, 0) : "");
  return o;
}

cg_val *orcac__codegen_py_model(cg_pool *p, const orca_ast_file *file) {
  pymodel m = {p, file};
  cg_val *root = cg_obj(p);
  const char *slash = strrchr(file->path, '/');
  cg_set_str(p, root, "source", slash ? slash + 1 : file->path);
  cg_set_str(p, root, "package_lit", cg_py_cstring(p, file->package));
  cg_set_str(p, root, "doc", file->doc ? cg_py_docstring(p, file->doc, 0) : "");
  cg_set_str(p, root, "register", "register");
  cg_set_str(p, root, "worker_main", "main");
  cg_val *imports = cg_set(p, root, "imports", cg_list(p));
  for (size_t i = 0; i < file->nimports; i++) {
    if (!file->imports[i].file)
      continue;
    cg_val *o = cg_obj(p);
    cg_set_str(p, o, "module", cg_py_module(p, file->imports[i].file->basename));
    cg_push(p, imports, o);
  }
  cg_val *exports = cg_set(p, root, "exports", cg_list(p));
  cg_val *enums = cg_set(p, root, "enums", cg_list(p));
  for (size_t i = 0; i < file->nenums; i++) {
    cg_push(p, enums, enum_model(&m, file->enums[i]));
    cg_push(p, exports, cg_str(p, file->enums[i]->name));
  }
  cg_val *structs = cg_set(p, root, "structs", cg_list(p));
  for (size_t i = 0; i < file->nstructs_topo; i++) {
    const orca_ast_decl *d = file->structs_topo[i];
    cg_push(p, structs, struct_model(&m, d));
    cg_push(p, exports, cg_str(p, class_ref(&m, d)));
  }
  cg_val *tasks = cg_set(p, root, "tasks", cg_list(p));
  for (size_t i = 0; i < file->ntasks; i++)
    cg_push(p, tasks, task_model(&m, file->tasks[i], exports));
  cg_val *schedules = cg_set(p, root, "schedules", cg_list(p));
  for (size_t i = 0; i < file->nschedules; i++)
    cg_push(p, schedules, schedule_model(&m, file->schedules[i], exports));
  cg_push(p, exports, cg_str(p, "register"));
  cg_push(p, exports, cg_str(p, "main"));
  return root;
}
