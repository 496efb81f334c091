/* schema.c — the scalar type nodes and lookups over reflection tables. */
#include "orca/schema.h"

#include <stdalign.h>
#include <string.h>

#define SCALAR(var, KIND, ctype, spelling)                                                         \
  const orca_type var = {ORCA_KIND_##KIND, sizeof(ctype), alignof(ctype), NULL, NULL, NULL, NULL,  \
                         spelling};
SCALAR(orca_type_bool, BOOL, bool, "bool")
SCALAR(orca_type_i8, I8, int8_t, "i8")
SCALAR(orca_type_i16, I16, int16_t, "i16")
SCALAR(orca_type_i32, I32, int32_t, "i32")
SCALAR(orca_type_i64, I64, int64_t, "i64")
SCALAR(orca_type_u8, U8, uint8_t, "u8")
SCALAR(orca_type_u16, U16, uint16_t, "u16")
SCALAR(orca_type_u32, U32, uint32_t, "u32")
SCALAR(orca_type_u64, U64, uint64_t, "u64")
SCALAR(orca_type_f32, F32, float, "f32")
SCALAR(orca_type_f64, F64, double, "f64")
SCALAR(orca_type_string, STRING, char *, "string")
SCALAR(orca_type_bytes, BYTES, orca_bytes, "bytes")
SCALAR(orca_type_timestamp, TIMESTAMP, int64_t, "timestamp")
SCALAR(orca_type_duration, DURATION, int64_t, "duration")
#undef SCALAR

const orca_task_desc *orca_schema_task(const orca_schema *s, const char *name) {
  for (uint32_t i = 0; i < s->ntasks; i++)
    if (strcmp(s->tasks[i]->name, name) == 0)
      return s->tasks[i];
  return NULL;
}

const orca_field *orca_struct_field(const orca_struct_desc *d, uint32_t id) {
  uint32_t lo = 0, hi = d->nfields;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (d->fields[mid].id == id)
      return &d->fields[mid];
    if (d->fields[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}
