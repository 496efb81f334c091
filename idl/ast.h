/* idl/ast.h — the syntax tree of a .orca file, as the code generator reads it.
 *
 * ==========================================================================
 *  WHAT THIS IS
 * ==========================================================================
 * The front end of orcac (idl/lexer.l, idl/parser.y, compiler/sema.c) turns a
 * .orca file into the tree below. The parser fills the "syntax" members; the
 * semantic pass (compiler/sema.c) then checks the file and fills every member
 * marked [sema]. A file handed to the code generator (orcac_codegen(), see
 * compiler/codegen.h) or to compiler/reflect.c has passed sema without
 * errors, so for such a file every [sema] member is set and consistent:
 *
 *   - every type reference is resolved: `kind` is the wire kind and, for
 *     enums and structs, `decl` points to the declaration (possibly in an
 *     imported file: compare decl->file with the file being generated);
 *   - every default value and schedule argument is a typed literal whose
 *     `kind` equals its field's type kind (see orca_ast_lit);
 *   - every task has its synthesized argument struct (`task.args`, a STRUCT
 *     decl named "<task>.args", C name "<pkg>_<task>_args") and its parsed
 *     policy; every schedule its parsed cron/interval, catch-up policy and
 *     its arguments pre-encoded as msgpack (the wire format of orca/schema.h:
 *     a map keyed by field id);
 *   - every struct (including task argument structs) and enum has its 64-bit
 *     schema fingerprint (docs/language.md, "Fingerprints");
 *   - every declaration has its C name from compiler/names.h, and sema has
 *     checked that no two generated C names collide and none is a C keyword.
 *
 * Ownership: the whole tree, all strings and byte buffers included, lives in
 * the arena of the orcac_session that loaded it (compiler/frontend.h) and is
 * freed with the session. Nothing here is freed individually; readers treat
 * it as const.
 *
 * Order: arrays keep declaration order as written, except the `by_id` and
 * `by_value` views, which are sorted for the wire tables.
 *
 * Stability: the code generator is written against this header. Changes are
 * additive only (new members at the end of a struct, new enum values last).
 * ========================================================================== */
#ifndef ORCA_IDL_AST_H
#define ORCA_IDL_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "orca/cron.h"
#include "orca/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

struct orca_ast_decl;
struct orca_ast_file;
struct orca_ast_field;
struct orca_ast_enum_value;

/* A position in a source file: 1-based line and column (columns count
 * bytes). `file` is the path as orcac opened it. */
typedef struct orca_ast_pos {
  const char *file;
  uint32_t line;
  uint32_t col;
} orca_ast_pos;

/* ---------------------------------------------------------------- types */

/* A type as written at a use site (field, parameter, result, list element,
 * map key or value).
 *
 * Syntax: `name` is the spelling of a named type ("i32", "Item",
 * "common.Money"); list and map set `kind` directly with elem/key.
 * [sema]: `kind` is the wire kind (orca/schema.h orca_kind): a builtin
 * scalar kind, ORCA_KIND_ENUM / ORCA_KIND_STRUCT with `decl` set, or
 * ORCA_KIND_LIST (elem) / ORCA_KIND_MAP (key, elem = value type). */
typedef struct orca_ast_type {
  orca_kind kind;             /* 0 until resolved for named types */
  const char *name;           /* named types: as written; NULL for list/map */
  struct orca_ast_decl *decl; /* [sema] ENUM, STRUCT: the declaration */
  struct orca_ast_type *elem; /* LIST element; MAP value */
  struct orca_ast_type *key;  /* MAP key (string or integer kind) */
  const char *spelling;       /* [sema] canonical .orca spelling: "list<Item>",
                                 "map<string, common.Money>" */
  orca_ast_pos pos;
} orca_ast_type;

/* ------------------------------------------------------------- literals */

/* How a literal was written. */
typedef enum orca_ast_lit_syntax {
  ORCA_LIT_BOOL = 1, /* true, false */
  ORCA_LIT_INT,      /* 42, -7, 0x1F */
  ORCA_LIT_FLOAT,    /* 1.5, -2e3 */
  ORCA_LIT_STRING,   /* "text" (escapes \n \t \\ \" \xHH \u{...} decoded) */
  ORCA_LIT_DURATION, /* 250ms 5s 10m 2h 1d (also us) */
  ORCA_LIT_NAME,     /* FREE, Tier.FREE, exponential, skip … (an identifier) */
  ORCA_LIT_STRUCT,   /* { name = lit, ... } */
  ORCA_LIT_LIST,     /* [ lit, ... ] */
  ORCA_LIT_CALL,     /* name(lit, ...): exponential(1s, 5m), all(10) */
} orca_ast_lit_syntax;

struct orca_ast_lit;

/* One `name = value` entry of a struct literal or an annotation/call. */
typedef struct orca_ast_lit_entry {
  const char *name; /* NULL for a positional argument */
  struct orca_ast_lit *value;
  struct orca_ast_field *field; /* [sema] struct literals: the field it sets */
  orca_ast_pos pos;
} orca_ast_lit_entry;

/* A literal: a default value, a schedule argument, or an annotation argument.
 *
 * Syntax members: `syntax`, and
 *   BOOL: v.b; INT: v.i (v.u and `is_unsigned` when above INT64_MAX);
 *   FLOAT: v.f; STRING: str/len; DURATION: v.i in microseconds;
 *   NAME: `name`; STRUCT: entries (name = value); LIST: items;
 *   CALL: `name` and entries (positional or named).
 *
 * [sema] for default values and schedule arguments, `kind` is set to the kind
 * of the field's type and the value is converted to it:
 *   BOOL: v.b
 *   I8..I64, TIMESTAMP, DURATION: v.i (timestamps/durations in µs)
 *   U8..U64: v.u
 *   F32, F64: v.f
 *   STRING, BYTES: str/len (not NUL-terminated for bytes; strings always have
 *                  a terminating NUL past len)
 *   ENUM: enum_value (and v.i = its number)
 *   STRUCT: entries, each with `field` set (fields not listed take their
 *           defaults); `struct_decl` the struct
 *   LIST: items, each typed to the element type
 *   MAP: map literals are not in the language (version 1).
 * Defaults (struct field `def`) exist only for scalars, strings, bytes and
 * enums (sema rejects others). */
typedef struct orca_ast_lit {
  orca_ast_lit_syntax syntax;
  orca_kind kind; /* [sema] typed kind; 0 for annotation arguments */
  union {
    bool b;
    int64_t i;
    uint64_t u;
    double f;
  } v;
  bool is_unsigned;            /* INT syntax: value is v.u (> INT64_MAX) */
  const char *name;            /* NAME, CALL */
  const char *str;             /* STRING: decoded bytes, NUL-terminated */
  size_t len;                  /* STRING: byte length */
  orca_ast_lit_entry *entries; /* STRUCT, CALL */
  size_t nentries;
  struct orca_ast_lit **items; /* LIST */
  size_t nitems;
  const struct orca_ast_enum_value *enum_value; /* [sema] ENUM */
  const struct orca_ast_decl *struct_decl;      /* [sema] STRUCT */
  orca_ast_pos pos;
  uint32_t end_col; /* column just past the literal's first line */
} orca_ast_lit;

/* ---------------------------------------------------------- annotations */

/* An annotation as written: @name or @name(args). Sema turns the ones on a
 * task into orca_ast_policy and the one on a schedule into the catch-up
 * policy; the raw form stays for diagnostics. */
typedef struct orca_ast_annot {
  const char *name; /* without '@' */
  orca_ast_lit_entry *args;
  size_t nargs;
  bool has_parens;
  orca_ast_pos pos;
} orca_ast_annot;

/* ---------------------------------------------------------- declarations */

typedef enum orca_ast_decl_kind {
  ORCA_AST_ENUM = 1,
  ORCA_AST_STRUCT,
  ORCA_AST_TASK,
  ORCA_AST_SCHEDULE,
} orca_ast_decl_kind;

typedef struct orca_ast_enum_value {
  const char *name;   /* FREE */
  const char *c_name; /* [sema] SHOP_TIER_FREE */
  int32_t value;
  const char *doc; /* /// text (lines joined with '\n', "/// " stripped) or NULL */
  orca_ast_pos pos;
} orca_ast_enum_value;

typedef struct orca_ast_enum {
  orca_ast_enum_value *values; /* declaration order */
  size_t nvalues;
  orca_ast_enum_value **by_value; /* [sema] sorted by value ascending */
  uint64_t fingerprint;           /* [sema] */
} orca_ast_enum;

/* A struct field or a task parameter. */
typedef struct orca_ast_field {
  uint32_t id;        /* 1..65535 after sema (the parser keeps what was written) */
  const char *name;   /* as written; also the C member name */
  const char *c_name; /* [sema] the C member name (== name; sema rejects C keywords) */
  orca_ast_type *type;
  bool optional;     /* declared `optional T` */
  orca_ast_lit *def; /* default value or NULL; [sema] typed to `type` */
  const char *doc;
  orca_ast_pos pos; /* position of the name */
  orca_ast_pos id_pos;
  const orca_ast_lit *id_lit; /* the id as written (for messages), or NULL */
} orca_ast_field;

typedef struct orca_ast_struct {
  orca_ast_field *fields; /* declaration order */
  size_t nfields;
  orca_ast_field **by_id; /* [sema] sorted by id ascending (the wire table order) */
  uint64_t fingerprint;   /* [sema] */
  /* [sema] true when the struct contains itself (directly or through other
   * structs) through optional fields or lists; such structs need forward
   * declarations before their definition in C. */
  bool recursive;
  /* [sema] its strongly connected component (recursive group) among the
   * structs of its file: file->structs_scc lists each group together. */
  uint32_t group;
  /* [sema] how deeply every encoding of the struct nests containers: 1 for
   * itself, plus the deepest non-optional field (a list or map counts 1, a
   * struct its own value_depth). At most ORCA_CODEC_MAX_DEPTH in a checked
   * file, since liborca decodes no deeper. */
  uint32_t value_depth;
  const orca_ast_field *deepest; /* [sema] the field of that deepest path, or NULL */
} orca_ast_struct;

/* Task policies from the annotations (0 / NULL = not set, as in
 * orca_task_desc). Durations are microseconds. */
typedef struct orca_ast_policy {
  const char *queue;        /* @queue("name"); "default" when absent */
  orca_retry_policy retry;  /* @retry; absent: max_attempts 1, ORCA_BACKOFF_NONE */
  int64_t timeout_us;       /* @timeout(d) */
  int64_t deadline_us;      /* @deadline(d) */
  int64_t result_ttl_us;    /* @result(ttl = d) */
  int64_t cache_ttl_us;     /* @cache(ttl = d) */
  int64_t unique_ttl_us;    /* @unique(ttl = d) */
  int32_t priority;         /* @priority(n), 0..9 */
  const char *hook;         /* @hook("f.lua") joined to the .orca file's directory, or NULL */
  const char *hook_written; /* @hook argument as written, or NULL */
} orca_ast_policy;

typedef struct orca_ast_task {
  /* The parameters as a struct: a STRUCT decl named "<task>.args" whose
   * c_name is "<pkg>_<task>_args" (names.h), with its own fingerprint. It is
   * not in file->decls nor file->structs (user structs only), but it is in
   * file->structs_topo. Its fields are the parameters. */
  struct orca_ast_decl *args;
  orca_ast_type *result; /* NULL: no result (`task ping();`) */
  orca_ast_policy policy;
} orca_ast_task;

typedef struct orca_ast_schedule {
  const char *task_name; /* as written */
  orca_ast_pos task_pos;
  struct orca_ast_decl *task; /* [sema] the TASK decl (this file or an import) */
  orca_schedule_kind kind;    /* ORCA_SCHEDULE_CRON or ORCA_SCHEDULE_EVERY */
  const char *cron_expr;      /* CRON: as written */
  orca_ast_pos cron_pos;      /* CRON: position of the string literal's quote */
  orca_cron cron;             /* [sema] CRON: from orca_cron_parse */
  const char *tz;             /* CRON: IANA zone, NULL = UTC */
  orca_ast_pos tz_pos;
  int64_t every_us;         /* EVERY */
  orca_catchup catchup;     /* [sema] @catchup; default ORCA_CATCHUP_SKIP */
  uint32_t catchup_max;     /* [sema] ALL: bound (default 100) */
  orca_ast_lit_entry *args; /* task arguments as written (name = literal) */
  size_t nargs;
  uint8_t *args_msgpack; /* [sema] the args struct, msgpack (map by field id) */
  size_t args_msgpack_len;
  orca_ast_annot *trigger; /* the trigger as written: cron(...) or every(...) */
} orca_ast_schedule;

/* One top-level declaration. Exactly one of the kind-specific members is
 * meaningful, the one matching `kind`. */
typedef struct orca_ast_decl {
  orca_ast_decl_kind kind;
  const char *name;                 /* Order, charge, nightly; "charge.args" for task args */
  const char *qname;                /* [sema] qualified: "shop.Order", "shop.charge.args" */
  const char *c_name;               /* [sema] names.h: shop_order, shop_charge (task base name),
                                       shop_nightly (schedule) */
  const char *doc;                  /* /// comment or NULL */
  orca_ast_pos pos;                 /* position of the name */
  const struct orca_ast_file *file; /* the file that declares it */
  orca_ast_annot *annots;           /* as written (tasks, schedules) */
  size_t nannots;
  orca_ast_enum enm;             /* ENUM */
  orca_ast_struct strct;         /* STRUCT (also task args) */
  orca_ast_task task;            /* TASK */
  orca_ast_schedule sched;       /* SCHEDULE */
  struct orca_ast_decl *task_of; /* task args struct: its TASK decl; else NULL */
  bool broken;                   /* parser: a syntax error inside was recovered from (never set in a
                                    file that passed sema); sema skips completeness checks */
} orca_ast_decl;

/* ------------------------------------------------------------------ file */

typedef struct orca_ast_import {
  const char *path;           /* as written: "common.orca" */
  const char *resolved;       /* [sema] the path that was opened */
  struct orca_ast_file *file; /* [sema] the imported file's tree (checked) */
  orca_ast_pos pos;
} orca_ast_import;

typedef struct orca_ast_file {
  const char *path;     /* as given to orcac, or as resolved for imports */
  const char *dir;      /* directory of path ("." when none) */
  const char *basename; /* file name without directory and ".orca": "shop" */
  const char *package;  /* shop */
  const char *prefix;   /* [sema] C prefix: "shop_" */
  const char *doc;      /* /// comment before `package`, or NULL */
  orca_ast_pos package_pos;
  orca_ast_import *imports;
  size_t nimports;
  orca_ast_decl **decls; /* every declaration in source order */
  size_t ndecls;
  /* [sema] views of decls by kind, in source order */
  orca_ast_decl **enums;
  size_t nenums;
  orca_ast_decl **structs;
  size_t nstructs;
  orca_ast_decl **tasks;
  size_t ntasks;
  orca_ast_decl **schedules;
  size_t nschedules;
  /* [sema] every struct of this file in an order where a struct embedded by
   * value comes before the struct that embeds it (C definition order);
   * includes the task args structs, each after the types it uses. */
  orca_ast_decl **structs_topo;
  size_t nstructs_topo;
  /* [sema] the same structs by recursive group (struct.group): the members
   * of a group together, every group after the groups it refers to (by any
   * edge: by value, optional, list or map), for the fingerprints. */
  orca_ast_decl **structs_scc;
  size_t nstructs_scc;
  /* Parser: every name written after enum/struct/task/schedule, including
   * declarations a syntax error dropped, so sema does not report their uses
   * as unknown a second time. */
  const char **written_names;
  size_t nwritten_names;
} orca_ast_file;

/* Lookup helpers (idl/ast.c). */

/* The declaration named `name` ("Order", or "pkg.Order" for a type of an
 * import) visible in file, or NULL. */
orca_ast_decl *orca_ast_find(const orca_ast_file *file, const char *name);

/* The field of struct `d` with wire id `id`, or NULL. */
const orca_ast_field *orca_ast_field_by_id(const orca_ast_decl *d, uint32_t id);

/* Printable name of a decl kind ("enum", "struct", "task", "schedule"). */
const char *orca_ast_kind_name(orca_ast_decl_kind k);

#ifdef __cplusplus
}
#endif
#endif
