/* orca/schema.h — reflection data: the contract between orcac's generated code
 * and liborca.
 *
 * For every type, task and schedule in a .orca file, orcac emits constant
 * tables of the shapes below. The runtime reads them to encode and decode
 * msgpack (orca/codec.h), to turn JSON into arguments (the CLI), to turn
 * arguments into Lua tables (hooks), and to install handlers in a worker.
 * All tables are static const data owned by the generated code; nothing here
 * is ever freed.
 *
 * C representation of .orca types (what generated structs contain):
 *   bool                 bool
 *   i8..i64, u8..u64     int8_t..int64_t, uint8_t..uint64_t
 *   f32, f64             float, double
 *   string               char *            (NUL-terminated UTF-8; NULL reads as "")
 *   bytes                orca_bytes
 *   timestamp            int64_t           microseconds since the Unix epoch, UTC
 *   duration             int64_t           microseconds
 *   enum E               E (a C enum whose size is int32_t)
 *   struct S             S (embedded by value)
 *   list<T>              struct { T *items; size_t len; }       (orca_list layout)
 *   map<K, V>            struct { K *keys; V *values; size_t len; } (orca_map layout)
 *   optional struct S    S *               (NULL = absent)
 *   optional T (other)   bool has_NAME; T NAME;
 *
 * Wire format: a struct is a msgpack map keyed by field id (positive int);
 * unknown ids are skipped, missing ids take their defaults. Enums travel as
 * integers, timestamps and durations as int64 microseconds, bytes as msgpack
 * bin, strings as msgpack str. */
#ifndef ORCA_SCHEMA_H
#define ORCA_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct orca_bytes {
  uint8_t *data;
  size_t len;
} orca_bytes;

/* Layout every generated list type shares (items of the element's C type). */
typedef struct orca_list {
  void *items;
  size_t len;
} orca_list;

/* Layout every generated map type shares. */
typedef struct orca_map {
  void *keys;
  void *values;
  size_t len;
} orca_map;

typedef enum orca_kind {
  ORCA_KIND_BOOL = 1,
  ORCA_KIND_I8,
  ORCA_KIND_I16,
  ORCA_KIND_I32,
  ORCA_KIND_I64,
  ORCA_KIND_U8,
  ORCA_KIND_U16,
  ORCA_KIND_U32,
  ORCA_KIND_U64,
  ORCA_KIND_F32,
  ORCA_KIND_F64,
  ORCA_KIND_STRING,
  ORCA_KIND_BYTES,
  ORCA_KIND_TIMESTAMP,
  ORCA_KIND_DURATION,
  ORCA_KIND_ENUM,
  ORCA_KIND_STRUCT,
  ORCA_KIND_LIST,
  ORCA_KIND_MAP,
} orca_kind;

struct orca_struct_desc;
struct orca_enum_desc;

/* A type as the codec sees it. Scalar types are shared singletons exported by
 * liborca (orca_type_i32, …); generated code defines nodes for its enums,
 * structs, lists and maps. */
typedef struct orca_type {
  orca_kind kind;
  uint32_t size;                        /* sizeof the C representation */
  uint32_t align;                       /* alignof the C representation */
  const struct orca_struct_desc *sdesc; /* STRUCT */
  const struct orca_enum_desc *edesc;   /* ENUM */
  const struct orca_type *elem;         /* LIST element, MAP value */
  const struct orca_type *key;          /* MAP key (string or integer kind) */
  const char *name;                     /* .orca spelling, e.g. "list<Item>" */
} orca_type;

extern const orca_type orca_type_bool, orca_type_i8, orca_type_i16, orca_type_i32, orca_type_i64,
    orca_type_u8, orca_type_u16, orca_type_u32, orca_type_u64, orca_type_f32, orca_type_f64,
    orca_type_string, orca_type_bytes, orca_type_timestamp, orca_type_duration;

enum {
  ORCA_FIELD_OPTIONAL = 1u << 0, /* declared `optional` */
  ORCA_FIELD_POINTER = 1u << 1,  /* stored as a pointer (optional struct) */
  ORCA_FIELD_DEFAULT = 1u << 2,  /* has an explicit default (default_value) */
};

typedef struct orca_field {
  const char *name;   /* as written in .orca */
  uint16_t id;        /* 1..65535, the wire key */
  uint16_t flags;     /* ORCA_FIELD_* */
  uint32_t offset;    /* offsetof the value in the C struct */
  int32_t has_offset; /* offsetof the has_ flag, or -1 */
  const orca_type *type;
  /* Points to a value of the field's C type, or NULL (zero). For STRING it
   * points to a `char *const` (or `const char *`) holding the literal:
   *   static char *const s_a__default_1 = "anon";  .default_value = &s_a__default_1
   * orca_value_init copies that pointer into the field (no allocation) and
   * orca_value_free never frees a string still equal to it. For an optional
   * scalar with a default, init sets the value and leaves has_ false. */
  const void *default_value;
  const char *doc; /* /// comment or NULL */
} orca_field;

typedef struct orca_struct_desc {
  const char *name;   /* qualified .orca name: "shop.Order", "shop.charge.args" */
  const char *c_name; /* C type name: "shop_order" */
  uint32_t size, align;
  uint32_t nfields;
  const orca_field *fields; /* sorted by id ascending */
  uint64_t fingerprint;     /* schema fingerprint (see docs/language.md) */
  const char *doc;
} orca_struct_desc;

typedef struct orca_enum_value {
  const char *name;
  int32_t value;
} orca_enum_value;

typedef struct orca_enum_desc {
  const char *name;   /* "shop.Tier" */
  const char *c_name; /* "shop_tier" */
  uint32_t nvalues;
  const orca_enum_value *values; /* sorted by value */
  const char *doc;
} orca_enum_desc;

/* Retry back-off. */
typedef enum orca_backoff_kind {
  ORCA_BACKOFF_NONE = 0,    /* retry at once */
  ORCA_BACKOFF_FIXED,       /* base every time */
  ORCA_BACKOFF_LINEAR,      /* base * attempt */
  ORCA_BACKOFF_EXPONENTIAL, /* base * 2^(attempt-1), capped at max */
} orca_backoff_kind;

typedef struct orca_retry_policy {
  uint32_t max_attempts; /* total runs allowed, >= 1; 1 = no retry */
  orca_backoff_kind backoff;
  int64_t base_us; /* first delay */
  int64_t max_us;  /* cap, 0 = none */
  bool jitter;     /* full jitter on the computed delay */
} orca_retry_policy;

struct orca_ctx;

/* The generic handler the worker calls. `fn` is the user's typed handler,
 * `args` points to the decoded argument struct, `result` to a zeroed value of
 * the result type (NULL when the task has no result). Returns 0 on success, a
 * negative ORCA_E* to fail the attempt. Generated code supplies one such
 * trampoline per task so no function is ever called through a wrong type. */
typedef void (*orca_fn)(void);
typedef int (*orca_invoke_fn)(orca_fn fn, struct orca_ctx *ctx, const void *args, void *result);

/* A task as declared in .orca, with its policies. Durations are microseconds;
 * 0 means "not set" for every optional policy. */
typedef struct orca_task_desc {
  const char *name;             /* qualified: "shop.charge" */
  const char *queue;            /* @queue, or "default" */
  const orca_struct_desc *args; /* synthesized struct of the parameters */
  const orca_type *args_type;   /* the STRUCT type node of args */
  const orca_type *result;      /* NULL for no result */
  orca_invoke_fn invoke;        /* trampoline to the typed handler */
  orca_retry_policy retry;      /* @retry; default: 1 attempt */
  int64_t timeout_us;           /* @timeout: per attempt */
  int64_t deadline_us;          /* @deadline: must start within, else expired */
  int64_t result_ttl_us;        /* @result(ttl); 0 = runtime default */
  int64_t cache_ttl_us;         /* @cache(ttl); 0 = off */
  int64_t unique_ttl_us;        /* @unique(ttl); 0 = off */
  int32_t priority;             /* @priority, 0..9, default 0 */
  const char *hook;             /* @hook file path as resolved by orcac, or NULL */
  const char *doc;
} orca_task_desc;

/* A pre-parsed cron expression (orca/cron.h fills one; orcac emits one). */
#include "orca/cron.h"

typedef enum orca_schedule_kind {
  ORCA_SCHEDULE_CRON = 1,
  ORCA_SCHEDULE_EVERY,
} orca_schedule_kind;

typedef enum orca_catchup {
  ORCA_CATCHUP_SKIP = 0, /* default: fire only future times */
  ORCA_CATCHUP_ONCE,     /* one fire for everything missed */
  ORCA_CATCHUP_ALL,      /* every missed fire, up to catchup_max */
} orca_catchup;

typedef struct orca_schedule_desc {
  const char *name; /* "shop.nightly" */
  const orca_task_desc *task;
  orca_schedule_kind kind;
  const char *cron_expr; /* CRON: as written */
  orca_cron cron;        /* CRON: pre-parsed */
  const char *tz;        /* CRON: IANA zone name, NULL = UTC */
  int64_t every_us;      /* EVERY */
  orca_catchup catchup;
  uint32_t catchup_max; /* ALL: bound (default 100) */
  const uint8_t *args;  /* the task's arguments, pre-encoded msgpack */
  size_t args_len;
} orca_schedule_desc;

/* Everything one .orca file declares; generated as NAME__schema. */
typedef struct orca_schema {
  const char *package; /* "shop" */
  uint32_t nstructs;
  const orca_struct_desc *const *structs;
  uint32_t nenums;
  const orca_enum_desc *const *enums;
  uint32_t ntasks;
  const orca_task_desc *const *tasks;
  uint32_t nschedules;
  const orca_schedule_desc *const *schedules;
} orca_schema;

/* Find a task by qualified name in a schema; NULL if absent. */
const orca_task_desc *orca_schema_task(const orca_schema *s, const char *name);

/* Find a field by id (binary search over the sorted fields); NULL if absent. */
const orca_field *orca_struct_field(const orca_struct_desc *d, uint32_t id);

#ifdef __cplusplus
}
#endif
#endif
