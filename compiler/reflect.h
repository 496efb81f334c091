/* compiler/reflect.h — reflection tables built at run time from a .orca file.
 *
 * The `orca` CLI converts JSON to task arguments without generated code: it
 * loads the .orca file with orcac's front end and gets the same
 * orca_schema / orca_struct_desc / orca_type / orca_task_desc tables the
 * generated code holds (orca/schema.h), with the same fingerprints. C layout
 * members (offsets, sizes of enums, structs, lists, maps) are 0: these
 * tables are for msgpack/JSON conversion, not for C values. Task `invoke`
 * trampolines are NULL. */
#ifndef ORCAC_REFLECT_H
#define ORCAC_REFLECT_H

#include <stddef.h>

#include "orca/error.h"
#include "orca/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parse and check the file at path (imports found relative to it, then in
 * import_dirs[0..n)), and build its tables. Returns 0 and *out (free with
 * orcac_schema_free), or ORCA_EINVAL with err holding the first diagnostic
 * ("FILE:LINE:COL: message"), or ORCA_ENOMEM. Nothing is printed. */
int orcac_schema_load(const char *path, const char *const *import_dirs, size_t n, orca_schema **out,
                      orca_err *err);

/* Release a schema from orcac_schema_load (NULL is fine). */
void orcac_schema_free(orca_schema *schema);

#ifdef __cplusplus
}
#endif
#endif
