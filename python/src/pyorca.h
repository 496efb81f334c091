/* pyorca.h — what the files of the orcastra._core extension share.
 *
 * The extension puts liborca under Python through its public API only
 * (runtime/include/orca/): a Schema builds liborca's reflection tables at run
 * time from the tables a generated module passes in (schema.c), values cross
 * between Python objects and their C representation by those tables
 * (convert.c), a Client enqueues and waits (client.c), a Worker runs Python
 * handlers on liborca's threads (worker.c), and ORCA_E* codes become Python
 * exceptions (errors.c). module.c ties them into the module.
 *
 * GIL: every function here is called with the GIL held unless it says
 * otherwise; blocking liborca calls release it. */
#ifndef PYORCA_H
#define PYORCA_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdbool.h>
#include <stdint.h>

#include "orca/admin.h"
#include "orca/client.h"
#include "orca/codec.h"
#include "orca/schema.h"
#include "orca/worker.h"

/* ---- errors (errors.c) ---- */

/* Create orcastra._core.Error and one subclass per ORCA_E* code, add them
 * to module m. Returns 0 or -1 with a Python exception set. */
int pyorca_errors_init(PyObject *m);
/* Raise the exception of `code` (orcastra.Duplicate for ORCA_EDUPLICATE,
 * ...) with err's message (or the code's description when err is NULL or
 * empty). Sets .code on the exception. Returns NULL, for `return
 * pyorca_raise(...)`. */
PyObject *pyorca_raise(int code, const orca_err *err);
/* The exception instance raise would set, without raising it (a new
 * reference, or NULL with an exception set). */
PyObject *pyorca_error_new(int code, const char *msg);

/* A str of liborca's text s, which may end inside a UTF-8 sequence where a
 * message was truncated to its buffer: bad bytes become U+FFFD. A new
 * reference, or NULL with an exception set. */
PyObject *pyorca_text(const char *s);

/* ---- schemas (schema.c) ---- */

/* One struct of a Schema. The liborca descriptor comes first, so the
 * orca_struct_desc pointer inside any orca_type built here is a pyorca_struct
 * pointer too. */
typedef struct pyorca_struct {
  orca_struct_desc desc;
  orca_type type;
  PyObject *cls;    /* the dataclass, or None: values are then dicts */
  PyObject **names; /* per field (desc.fields order): the .orca name (str) */
  PyObject **attrs; /* per field: the attribute name (str) */
  int layout;       /* 0 not yet, 1 in progress, 2 done (layout computation) */
} pyorca_struct;

typedef struct pyorca_enum {
  orca_enum_desc desc;
  orca_type type;
  PyObject *cls; /* the IntEnum, or None: values are then ints */
} pyorca_enum;

typedef struct pyorca_schema {
  PyObject_HEAD orca_arena arena; /* every descriptor, name and default */
  PyObject *imports;              /* tuple of pyorca_schema */
  PyObject *owned;                /* list: classes and strings the tables refer to */
  pyorca_struct *structs;
  size_t nstructs;
  pyorca_enum *enums;
  size_t nenums;
  orca_task_desc *tasks;
  size_t ntasks;
  orca_schedule_desc *schedules;
  size_t nschedules;
  orca_schema schema; /* for orca_worker_add_schema */
} pyorca_schema;

extern PyTypeObject pyorca_schema_type;

/* A task of a Schema as Python sees it: orcastra._core.TaskRef. */
typedef struct pyorca_task {
  PyObject_HEAD pyorca_schema *schema; /* keeps desc alive */
  const orca_task_desc *desc;
} pyorca_task;

extern PyTypeObject pyorca_task_type;

/* The pyorca_task behind `obj`: a TaskRef, or any object whose `_ref`
 * attribute is one (orcastra.Task). Returns a borrowed pointer, or NULL
 * with TypeError set ("`what`: expected an orcastra.Task, got int"). */
pyorca_task *pyorca_task_of(PyObject *obj, const char *what);

/* ---- values (convert.c) ---- */

/* Convert the Python value `obj` into the C value at `dst` (of type t, which
 * the call initializes first), taking nested memory from `alloc` (never
 * freed here: use an arena, or orca_value_free with the same allocator).
 * `what` names the value in messages ("shop.charge args"). Returns 0, or -1
 * with TypeError (wrong type), ValueError (out of range, bad UTF-8, naive
 * datetime, unknown enum value) or MemoryError set; the message names the
 * path ("order.items[2].qty: expected int, got str"). */
int pyorca_to_c(const orca_type *t, PyObject *obj, void *dst, const orca_alloc *alloc,
                const char *what);
/* The Python value of the C value at src (of type t): a new reference, or
 * NULL with an exception set. Structs become their dataclass (a dict when the
 * schema has no class), enums their IntEnum member (a plain int when the
 * value has no name, as a newer schema may send), timestamps aware UTC
 * datetimes, durations timedeltas. */
PyObject *pyorca_from_c(const orca_type *t, const void *src);
/* Import the datetime C API and build the constants conversion uses.
 * Returns 0 or -1 with an exception set. */
int pyorca_convert_init(void);

/* ---- types (client.c, worker.c) ---- */

extern PyTypeObject pyorca_client_type;
extern PyTypeObject pyorca_worker_type;

/* Task context functions for handlers (worker.c): the module's methods. */
extern PyMethodDef pyorca_context_methods[];
/* orcastra._core.worker_main(register, argv) (worker.c). */
PyObject *pyorca_worker_main(PyObject *self, PyObject *args);

/* Parse an optional duration argument: None (0), a number of seconds
 * (int or float) or a timedelta, into microseconds. Returns 0 or -1 with
 * TypeError/ValueError naming `what`. Negative durations are refused. */
int pyorca_duration_arg(PyObject *obj, const char *what, int64_t *us);
/* Parse an optional point in time: None (0), an aware datetime, or a number
 * of seconds since the Unix epoch, into microseconds. */
int pyorca_time_arg(PyObject *obj, const char *what, int64_t *us);

#endif
