/* errors.c — ORCA_E* codes as Python exceptions.
 *
 * orcastra.Error is the base of every error liborca reports; each code has a
 * subclass named after it (ORCA_EDUPLICATE -> orcastra.Duplicate). A few also
 * derive from the built-in exception Python code already catches for that
 * kind of failure (Timeout is a TimeoutError, NotFound a LookupError, ...).
 * Every instance carries .code (the negative ORCA_E* number) and .name
 * ("ORCA_EDUPLICATE"). */
#include "pyorca.h"

#include <string.h>

typedef struct err_class {
  int code;
  const char *name; /* attribute of the module */
  PyObject **builtin;
  const char *doc;
  PyObject *type; /* created at init */
} err_class;

static err_class classes[] = {
    {ORCA_EINVAL, "Invalid", &PyExc_ValueError, "ORCA_EINVAL: invalid argument", NULL},
    {ORCA_ENOMEM, "NoMemory", &PyExc_MemoryError, "ORCA_ENOMEM: out of memory", NULL},
    {ORCA_EIO, "IOFailure", &PyExc_OSError, "ORCA_EIO: input/output error", NULL},
    {ORCA_ENOTFOUND, "NotFound", &PyExc_LookupError, "ORCA_ENOTFOUND: no such task", NULL},
    {ORCA_EDUPLICATE, "Duplicate", NULL,
     "ORCA_EDUPLICATE: an equal task exists; .task_id is its id", NULL},
    {ORCA_ETIMEDOUT, "Timeout", &PyExc_TimeoutError, "ORCA_ETIMEDOUT: timed out", NULL},
    {ORCA_ECANCELLED, "Cancelled", NULL, "ORCA_ECANCELLED: the task was cancelled", NULL},
    {ORCA_EDECODE, "Decode", &PyExc_ValueError, "ORCA_EDECODE: malformed payload", NULL},
    {ORCA_ESCHEMA, "SchemaMismatch", NULL, "ORCA_ESCHEMA: schema fingerprint mismatch", NULL},
    {ORCA_EURL, "BadURL", &PyExc_ValueError, "ORCA_EURL: malformed backend URL", NULL},
    {ORCA_ECONNECT, "ConnectError", &PyExc_ConnectionError, "ORCA_ECONNECT: backend unreachable",
     NULL},
    {ORCA_EBACKEND, "BackendError", NULL, "ORCA_EBACKEND: the backend reported an error", NULL},
    {ORCA_ENOTSUP, "NotSupported", NULL, "ORCA_ENOTSUP: not supported by this backend", NULL},
    {ORCA_ECONFLICT, "Conflict", NULL, "ORCA_ECONFLICT: state changed concurrently", NULL},
    {ORCA_ESTATE, "StateError", NULL, "ORCA_ESTATE: illegal state transition", NULL},
    {ORCA_ELOST, "LeaseLost", NULL, "ORCA_ELOST: lease lost", NULL},
    {ORCA_ECLOSED, "Closed", NULL, "ORCA_ECLOSED: closed", NULL},
    {ORCA_EHOOK, "HookError", NULL, "ORCA_EHOOK: a Lua hook failed", NULL},
    {ORCA_ELIMIT, "LimitExceeded", NULL, "ORCA_ELIMIT: limit exceeded", NULL},
    {ORCA_EFAIL, "TaskFailed", NULL, "ORCA_EFAIL: the task failed; the message is its error", NULL},
    {ORCA_ERANGE, "OutOfRange", &PyExc_ValueError, "ORCA_ERANGE: value out of range", NULL},
    {ORCA_EAGAIN, "TryAgain", NULL, "ORCA_EAGAIN: try again", NULL},
    {ORCA_EREJECTED, "Rejected", NULL, "ORCA_EREJECTED: refused by an on_enqueue hook", NULL},
};

static PyObject *base_error;

int pyorca_errors_init(PyObject *m) {
  base_error = PyErr_NewExceptionWithDoc(
      "orcastra._core.Error", "Base of every error liborca reports (.code, .name).", NULL, NULL);
  if (!base_error || PyModule_AddObjectRef(m, "Error", base_error) < 0)
    return -1;
  for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) {
    err_class *c = &classes[i];
    char qual[64];
    snprintf(qual, sizeof qual, "orcastra._core.%s", c->name);
    PyObject *bases =
        c->builtin ? PyTuple_Pack(2, base_error, *c->builtin) : PyTuple_Pack(1, base_error);
    if (!bases)
      return -1;
    c->type = PyErr_NewExceptionWithDoc(qual, c->doc, bases, NULL);
    Py_DECREF(bases);
    if (!c->type || PyModule_AddObjectRef(m, c->name, c->type) < 0)
      return -1;
  }
  return 0;
}

PyObject *pyorca_error_new(int code, const char *msg) {
  PyObject *type = base_error;
  for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
    if (classes[i].code == code)
      type = classes[i].type;
  PyObject *text = pyorca_text(msg && *msg ? msg : orca_strerror(code));
  PyObject *exc = text ? PyObject_CallOneArg(type, text) : NULL;
  Py_XDECREF(text);
  if (!exc)
    return NULL;
  PyObject *pcode = PyLong_FromLong(code);
  PyObject *pname = PyUnicode_FromString(orca_err_name(code));
  int bad = !pcode || !pname || PyObject_SetAttrString(exc, "code", pcode) < 0 ||
            PyObject_SetAttrString(exc, "name", pname) < 0;
  Py_XDECREF(pcode);
  Py_XDECREF(pname);
  if (bad) {
    Py_DECREF(exc);
    return NULL;
  }
  return exc;
}

PyObject *pyorca_text(const char *s) {
  return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace");
}

PyObject *pyorca_raise(int code, const orca_err *err) {
  PyObject *exc = pyorca_error_new(code, err ? err->msg : NULL);
  if (exc) {
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
  }
  return NULL;
}
