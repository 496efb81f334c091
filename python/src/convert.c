/* convert.c — Python values to and from the C representation of .orca types
 * (orca/schema.h), walking liborca's type nodes.
 *
 * Python -> C checks every value against the schema the way the CLI checks
 * JSON: the right Python type for each field (no bool where an int is due,
 * no str where bytes are), integers in the range of their kind, strings
 * valid UTF-8 without NUL, enum values that have a name, no unknown keys in a
 * dict. A failure names the path of the value ("order.items[2].qty") and
 * what was expected. C -> Python builds the generated dataclasses, IntEnums,
 * datetimes and timedeltas. */
#include "pyorca.h" /* Python.h first, as CPython asks */

#include <datetime.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

static PyObject *epoch;       /* 1970-01-01T00:00:00+00:00 */
static PyObject *empty_tuple; /* for tp_new */

int pyorca_convert_init(void) {
  PyDateTime_IMPORT;
  if (!PyDateTimeAPI)
    return -1;
  epoch = PyDateTimeAPI->DateTime_FromDateAndTime(1970, 1, 1, 0, 0, 0, 0, PyDateTime_TimeZone_UTC,
                                                  PyDateTimeAPI->DateTimeType);
  empty_tuple = PyTuple_New(0);
  return epoch && empty_tuple ? 0 : -1;
}

/* ---- the path of the value being converted, for messages ---- */

typedef struct path {
  char buf[240];
  size_t len;
} path;

/* Append a printf-formatted segment (truncated to the buffer); returns the
 * length to give path_pop to remove it. */
static size_t path_push(path *p, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static size_t path_push(path *p, const char *fmt, ...) {
  size_t old = p->len, room = sizeof p->buf - p->len;
  if (room > 1) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(p->buf + p->len, room, fmt, ap);
    va_end(ap);
    if (n > 0)
      p->len += (size_t)n < room ? (size_t)n : room - 1;
  }
  return old;
}

static void path_pop(path *p, size_t old) {
  p->len = old;
  p->buf[old] = '\0';
}

static int fail_type(path *p, const char *expected, PyObject *got) {
  PyErr_Format(PyExc_TypeError, "%s: expected %s, got %.80s", p->buf, expected,
               got == Py_None ? "None" : Py_TYPE(got)->tp_name);
  return -1;
}

/* Re-raise the pending exception as `type` with the path in front. */
static int fail_wrap(path *p, PyObject *type) {
  PyObject *et, *ev, *tb;
  PyErr_Fetch(&et, &ev, &tb);
  PyErr_NormalizeException(&et, &ev, &tb);
  PyErr_Format(type, "%s: %S", p->buf, ev ? ev : Py_None);
  Py_XDECREF(et);
  Py_XDECREF(ev);
  Py_XDECREF(tb);
  return -1;
}

static void *alloc_mem(const orca_alloc *a, size_t n) {
  void *m = a->alloc(a->ctx, n ? n : 1);
  if (!m)
    PyErr_NoMemory();
  else
    memset(m, 0, n ? n : 1);
  return m;
}

/* ---- Python -> C ---- */

static bool is_int(PyObject *o) {
  return PyLong_Check(o) && !PyBool_Check(o);
}

static int int_to_c(const orca_type *t, PyObject *o, void *dst, path *p) {
  if (!is_int(o))
    return fail_type(p, "int", o);
  static const struct {
    long long lo, hi;
  } ranges[] = {
      [ORCA_KIND_I8] = {INT8_MIN, INT8_MAX},
      [ORCA_KIND_I16] = {INT16_MIN, INT16_MAX},
      [ORCA_KIND_I32] = {INT32_MIN, INT32_MAX},
      [ORCA_KIND_I64] = {INT64_MIN, INT64_MAX},
      [ORCA_KIND_U8] = {0, UINT8_MAX},
      [ORCA_KIND_U16] = {0, UINT16_MAX},
      [ORCA_KIND_U32] = {0, UINT32_MAX},
      [ORCA_KIND_TIMESTAMP] = {INT64_MIN, INT64_MAX},
      [ORCA_KIND_DURATION] = {INT64_MIN, INT64_MAX},
  };
  if (t->kind == ORCA_KIND_U64) {
    unsigned long long u = PyLong_AsUnsignedLongLong(o);
    if (u == (unsigned long long)-1 && PyErr_Occurred()) {
      PyErr_Clear();
      PyErr_Format(PyExc_ValueError, "%s: %R is out of range for u64", p->buf, o);
      return -1;
    }
    *(uint64_t *)dst = u;
    return 0;
  }
  int overflow;
  long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
  if (v == -1 && PyErr_Occurred())
    return -1;
  if (overflow || v < ranges[t->kind].lo || v > ranges[t->kind].hi) {
    PyErr_Format(PyExc_ValueError, "%s: %R is out of range for %s", p->buf, o, t->name);
    return -1;
  }
  switch (t->kind) {
  case ORCA_KIND_I8:
    *(int8_t *)dst = (int8_t)v;
    break;
  case ORCA_KIND_I16:
    *(int16_t *)dst = (int16_t)v;
    break;
  case ORCA_KIND_I32:
    *(int32_t *)dst = (int32_t)v;
    break;
  case ORCA_KIND_U8:
    *(uint8_t *)dst = (uint8_t)v;
    break;
  case ORCA_KIND_U16:
    *(uint16_t *)dst = (uint16_t)v;
    break;
  case ORCA_KIND_U32:
    *(uint32_t *)dst = (uint32_t)v;
    break;
  default:
    *(int64_t *)dst = (int64_t)v;
  }
  return 0;
}

/* Microseconds of a timedelta (exact; OverflowError past int64). */
static int delta_us(PyObject *d, int64_t *us) {
  long long days = PyDateTime_DELTA_GET_DAYS(d);
  long long v = days * 86400000000LL + PyDateTime_DELTA_GET_SECONDS(d) * 1000000LL +
                PyDateTime_DELTA_GET_MICROSECONDS(d);
  if (days > 106751990 || days < -106751991) {
    PyErr_SetString(PyExc_OverflowError, "does not fit 64-bit microseconds");
    return -1;
  }
  *us = v;
  return 0;
}

/* Microseconds since the epoch of an aware datetime. */
static int datetime_us(PyObject *dt, int64_t *us, path *p) {
  PyObject *tz = PyObject_GetAttrString(dt, "tzinfo");
  if (!tz)
    return -1;
  Py_DECREF(tz);
  if (tz == Py_None) {
    PyErr_Format(PyExc_ValueError,
                 "%s: a naive datetime is ambiguous: give it a tzinfo (datetime.timezone.utc)",
                 p->buf);
    return -1;
  }
  PyObject *d = PyNumber_Subtract(dt, epoch);
  if (!d)
    return fail_wrap(p, PyExc_ValueError);
  int rc = delta_us(d, us);
  Py_DECREF(d);
  return rc < 0 ? fail_wrap(p, PyExc_ValueError) : 0;
}

static int utf8_copy(PyObject *o, char **dst, const orca_alloc *a, path *p) {
  Py_ssize_t n;
  const char *u = PyUnicode_AsUTF8AndSize(o, &n);
  if (!u)
    return fail_wrap(p, PyExc_ValueError);
  if (memchr(u, '\0', (size_t)n)) {
    PyErr_Format(PyExc_ValueError, "%s: strings cannot hold a NUL character", p->buf);
    return -1;
  }
  char *c = alloc_mem(a, (size_t)n + 1);
  if (!c)
    return -1;
  memcpy(c, u, (size_t)n);
  *dst = c;
  return 0;
}

static int value_to_c(const orca_type *t, PyObject *o, void *dst, const orca_alloc *a, path *p);

static int struct_to_c(const orca_type *t, PyObject *o, void *dst, const orca_alloc *a, path *p) {
  const pyorca_struct *st = (const pyorca_struct *)t->sdesc;
  bool dict = PyDict_Check(o);
  if (!dict && !(st->cls != Py_None && PyObject_TypeCheck(o, (PyTypeObject *)st->cls))) {
    char want[160];
    snprintf(want, sizeof want, "%s (%s or a dict)", st->desc.name,
             st->cls != Py_None ? ((PyTypeObject *)st->cls)->tp_name : "a mapping");
    return fail_type(p, want, o);
  }
  Py_ssize_t seen = 0;
  for (uint32_t i = 0; i < st->desc.nfields; i++) {
    const orca_field *f = &st->desc.fields[i];
    PyObject *v;
    if (dict) {
      v = PyDict_GetItemWithError(o, st->names[i]);
      if (!v) {
        if (PyErr_Occurred())
          return -1;
        continue; /* the field keeps its default */
      }
      seen++;
      Py_INCREF(v);
    } else if (!(v = PyObject_GetAttr(o, st->attrs[i]))) {
      return fail_wrap(p, PyExc_TypeError);
    }
    size_t old = path_push(p, "%s%s", p->len ? "." : "", f->name);
    char *at = (char *)dst + f->offset;
    int rc = 0;
    if ((f->flags & ORCA_FIELD_OPTIONAL) && v == Py_None) {
      if (f->flags & ORCA_FIELD_POINTER)
        *(void **)at = NULL;
      else
        *((bool *)dst + f->has_offset) = false;
    } else if (f->flags & ORCA_FIELD_POINTER) {
      void *sub = alloc_mem(a, f->type->size);
      *(void **)at = sub;
      rc = sub ? (orca_value_init(f->type, sub), value_to_c(f->type, v, sub, a, p)) : -1;
    } else {
      if (f->flags & ORCA_FIELD_OPTIONAL)
        *((bool *)dst + f->has_offset) = true;
      rc = value_to_c(f->type, v, at, a, p);
    }
    Py_DECREF(v);
    path_pop(p, old);
    if (rc < 0)
      return -1;
  }
  if (dict && seen < PyDict_GET_SIZE(o)) {
    PyObject *key, *val;
    Py_ssize_t pos = 0;
    while (PyDict_Next(o, &pos, &key, &val)) {
      bool known = false;
      for (uint32_t i = 0; i < st->desc.nfields && !known; i++)
        known = PyUnicode_Check(key) && PyUnicode_Compare(key, st->names[i]) == 0;
      if (!known) {
        PyErr_Format(PyExc_TypeError, "%s: unknown field %R (%s has no such field)", p->buf, key,
                     st->desc.name);
        return -1;
      }
    }
  }
  return 0;
}

static int list_to_c(const orca_type *t, PyObject *o, void *dst, const orca_alloc *a, path *p) {
  if (!PyList_Check(o) && !PyTuple_Check(o))
    return fail_type(p, "a list", o);
  Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
  orca_list *l = dst;
  l->len = 0;
  l->items = n ? alloc_mem(a, (size_t)n * t->elem->size) : NULL;
  if (n && !l->items)
    return -1;
  for (Py_ssize_t i = 0; i < n; i++) {
    void *item = (char *)l->items + (size_t)i * t->elem->size;
    orca_value_init(t->elem, item);
    size_t old = path_push(p, "[%zd]", i);
    /* The list may shrink under a __index__ or __eq__ run by conversion. */
    PyObject *v = i < PySequence_Fast_GET_SIZE(o) ? PySequence_Fast_GET_ITEM(o, i) : Py_None;
    Py_INCREF(v);
    int rc = value_to_c(t->elem, v, item, a, p);
    Py_DECREF(v);
    path_pop(p, old);
    if (rc < 0)
      return -1;
    l->len = (size_t)i + 1;
  }
  return 0;
}

static int map_to_c(const orca_type *t, PyObject *o, void *dst, const orca_alloc *a, path *p) {
  if (!PyDict_Check(o))
    return fail_type(p, "a dict", o);
  Py_ssize_t n = PyDict_GET_SIZE(o);
  orca_map *m = dst;
  m->len = 0;
  m->keys = n ? alloc_mem(a, (size_t)n * t->key->size) : NULL;
  m->values = n ? alloc_mem(a, (size_t)n * t->elem->size) : NULL;
  if (n && (!m->keys || !m->values))
    return -1;
  PyObject *items = PyDict_Items(o); /* a snapshot: conversion runs Python code */
  if (!items)
    return -1;
  int rc = 0;
  for (Py_ssize_t i = 0; i < n && i < PyList_GET_SIZE(items) && rc == 0; i++) {
    PyObject *kv = PyList_GET_ITEM(items, i);
    void *k = (char *)m->keys + (size_t)i * t->key->size;
    void *v = (char *)m->values + (size_t)i * t->elem->size;
    orca_value_init(t->key, k);
    orca_value_init(t->elem, v);
    PyObject *key = PyTuple_GET_ITEM(kv, 0);
    size_t old = path_push(p, "{key}");
    rc = value_to_c(t->key, key, k, a, p);
    path_pop(p, old);
    if (rc == 0) {
      /* The key is valid now: a str or an int. */
      const char *ks = PyUnicode_Check(key) ? PyUnicode_AsUTF8(key) : NULL;
      old = ks ? path_push(p, "['%s']", ks) : path_push(p, "[%lld]", PyLong_AsLongLong(key));
      PyErr_Clear(); /* a u64 key past LLONG_MAX shows as -1 */
      rc = value_to_c(t->elem, PyTuple_GET_ITEM(kv, 1), v, a, p);
      path_pop(p, old);
    }
    if (rc == 0)
      m->len = (size_t)i + 1;
  }
  Py_DECREF(items);
  return rc;
}

static int value_to_c(const orca_type *t, PyObject *o, void *dst, const orca_alloc *a, path *p) {
  switch (t->kind) {
  case ORCA_KIND_BOOL:
    if (!PyBool_Check(o))
      return fail_type(p, "bool", o);
    *(bool *)dst = o == Py_True;
    return 0;
  case ORCA_KIND_F32:
  case ORCA_KIND_F64: {
    if (!PyFloat_Check(o) && !is_int(o))
      return fail_type(p, "float", o);
    double d = PyFloat_AsDouble(o);
    if (d == -1.0 && PyErr_Occurred())
      return fail_wrap(p, PyExc_ValueError);
    if (t->kind == ORCA_KIND_F64) {
      *(double *)dst = d;
    } else if (isfinite(d) && fabs(d) > FLT_MAX) {
      PyErr_Format(PyExc_ValueError, "%s: %R is out of range for f32", p->buf, o);
      return -1;
    } else {
      *(float *)dst = (float)d;
    }
    return 0;
  }
  case ORCA_KIND_STRING:
    if (!PyUnicode_Check(o))
      return fail_type(p, "str", o);
    return utf8_copy(o, (char **)dst, a, p);
  case ORCA_KIND_BYTES: {
    if (!PyBytes_Check(o) && !PyByteArray_Check(o) && !PyMemoryView_Check(o))
      return fail_type(p, "bytes", o);
    Py_buffer view;
    if (PyObject_GetBuffer(o, &view, PyBUF_SIMPLE) < 0)
      return fail_wrap(p, PyExc_TypeError);
    orca_bytes *b = dst;
    b->data = view.len ? alloc_mem(a, (size_t)view.len) : NULL;
    if (b->data)
      memcpy(b->data, view.buf, (size_t)view.len);
    b->len = b->data ? (size_t)view.len : 0;
    PyBuffer_Release(&view);
    return view.len && !b->data ? -1 : 0;
  }
  case ORCA_KIND_TIMESTAMP:
    if (PyDateTime_Check(o))
      return datetime_us(o, (int64_t *)dst, p);
    if (!is_int(o))
      return fail_type(p, "datetime (or int microseconds)", o);
    return int_to_c(t, o, dst, p);
  case ORCA_KIND_DURATION:
    if (PyDelta_Check(o))
      return delta_us(o, (int64_t *)dst) < 0 ? fail_wrap(p, PyExc_ValueError) : 0;
    if (!is_int(o))
      return fail_type(p, "timedelta (or int microseconds)", o);
    return int_to_c(t, o, dst, p);
  case ORCA_KIND_ENUM: {
    if (!is_int(o))
      return fail_type(p, t->edesc->name, o);
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (v == -1 && PyErr_Occurred())
      return -1;
    for (uint32_t i = 0; !overflow && i < t->edesc->nvalues; i++)
      if (t->edesc->values[i].value == v) {
        *(int32_t *)dst = (int32_t)v;
        return 0;
      }
    PyErr_Format(PyExc_ValueError, "%s: %R is not a value of %s", p->buf, o, t->edesc->name);
    return -1;
  }
  case ORCA_KIND_STRUCT:
    if (Py_EnterRecursiveCall(" converting a value to its .orca struct"))
      return -1;
    int rc = struct_to_c(t, o, dst, a, p);
    Py_LeaveRecursiveCall();
    return rc;
  case ORCA_KIND_LIST:
    return list_to_c(t, o, dst, a, p);
  case ORCA_KIND_MAP:
    return map_to_c(t, o, dst, a, p);
  default:
    return int_to_c(t, o, dst, p);
  }
}

int pyorca_to_c(const orca_type *t, PyObject *obj, void *dst, const orca_alloc *alloc,
                const char *what) {
  path p;
  p.len = 0;
  p.buf[0] = '\0';
  path_push(&p, "%s", what ? what : "");
  orca_value_init(t, dst);
  return value_to_c(t, obj, dst, alloc, &p);
}

/* ---- C -> Python ---- */

static PyObject *us_to_datetime(int64_t us) {
  long long days = us / 86400000000LL, rem = us % 86400000000LL;
  if (rem < 0) {
    rem += 86400000000LL;
    days--;
  }
  PyObject *d = PyDelta_FromDSU((int)days, (int)(rem / 1000000), (int)(rem % 1000000));
  if (!d)
    return NULL;
  PyObject *r = PyNumber_Add(epoch, d);
  Py_DECREF(d);
  return r;
}

static PyObject *us_to_delta(int64_t us) {
  long long days = us / 86400000000LL, rem = us % 86400000000LL;
  if (rem < 0) {
    rem += 86400000000LL;
    days--;
  }
  return PyDelta_FromDSU((int)days, (int)(rem / 1000000), (int)(rem % 1000000));
}

static PyObject *struct_from_c(const orca_type *t, const void *src) {
  const pyorca_struct *st = (const pyorca_struct *)t->sdesc;
  bool dict = st->cls == Py_None;
  PyObject *obj =
      dict ? PyDict_New()
           : ((PyTypeObject *)st->cls)->tp_new((PyTypeObject *)st->cls, empty_tuple, NULL);
  if (!obj)
    return NULL;
  for (uint32_t i = 0; i < st->desc.nfields; i++) {
    const orca_field *f = &st->desc.fields[i];
    const char *at = (const char *)src + f->offset;
    PyObject *v;
    if (f->flags & ORCA_FIELD_POINTER)
      v = *(void *const *)at ? pyorca_from_c(f->type, *(void *const *)at) : Py_NewRef(Py_None);
    else if ((f->flags & ORCA_FIELD_OPTIONAL) && !*((const bool *)src + f->has_offset))
      v = Py_NewRef(Py_None);
    else
      v = pyorca_from_c(f->type, at);
    int rc = !v     ? -1
             : dict ? PyDict_SetItem(obj, st->names[i], v)
                    : PyObject_SetAttr(obj, st->attrs[i], v);
    Py_XDECREF(v);
    if (rc < 0) {
      Py_DECREF(obj);
      return NULL;
    }
  }
  return obj;
}

PyObject *pyorca_from_c(const orca_type *t, const void *src) {
  switch (t->kind) {
  case ORCA_KIND_BOOL:
    return PyBool_FromLong(*(const bool *)src);
  case ORCA_KIND_I8:
    return PyLong_FromLong(*(const int8_t *)src);
  case ORCA_KIND_I16:
    return PyLong_FromLong(*(const int16_t *)src);
  case ORCA_KIND_I32:
    return PyLong_FromLong(*(const int32_t *)src);
  case ORCA_KIND_I64:
    return PyLong_FromLongLong(*(const int64_t *)src);
  case ORCA_KIND_U8:
    return PyLong_FromUnsignedLong(*(const uint8_t *)src);
  case ORCA_KIND_U16:
    return PyLong_FromUnsignedLong(*(const uint16_t *)src);
  case ORCA_KIND_U32:
    return PyLong_FromUnsignedLong(*(const uint32_t *)src);
  case ORCA_KIND_U64:
    return PyLong_FromUnsignedLongLong(*(const uint64_t *)src);
  case ORCA_KIND_F32:
    return PyFloat_FromDouble(*(const float *)src);
  case ORCA_KIND_F64:
    return PyFloat_FromDouble(*(const double *)src);
  case ORCA_KIND_STRING: {
    const char *s = *(char *const *)src;
    return PyUnicode_DecodeUTF8(s ? s : "", s ? (Py_ssize_t)strlen(s) : 0, "strict");
  }
  case ORCA_KIND_BYTES: {
    const orca_bytes *b = src;
    return PyBytes_FromStringAndSize((const char *)b->data, (Py_ssize_t)b->len);
  }
  case ORCA_KIND_TIMESTAMP:
    return us_to_datetime(*(const int64_t *)src);
  case ORCA_KIND_DURATION:
    return us_to_delta(*(const int64_t *)src);
  case ORCA_KIND_ENUM: {
    int32_t v = *(const int32_t *)src;
    const pyorca_enum *e = (const pyorca_enum *)t->edesc;
    for (uint32_t i = 0; e->cls != Py_None && i < e->desc.nvalues; i++)
      if (e->desc.values[i].value == v)
        return PyObject_CallFunction(e->cls, "l", (long)v);
    return PyLong_FromLong(v); /* a value a newer schema added */
  }
  case ORCA_KIND_STRUCT: {
    if (Py_EnterRecursiveCall(" converting a .orca struct"))
      return NULL;
    PyObject *r = struct_from_c(t, src);
    Py_LeaveRecursiveCall();
    return r;
  }
  case ORCA_KIND_LIST: {
    const orca_list *l = src;
    PyObject *r = PyList_New((Py_ssize_t)l->len);
    for (size_t i = 0; r && i < l->len; i++) {
      PyObject *v = pyorca_from_c(t->elem, (const char *)l->items + i * t->elem->size);
      if (!v) {
        Py_CLEAR(r);
        break;
      }
      PyList_SET_ITEM(r, (Py_ssize_t)i, v);
    }
    return r;
  }
  case ORCA_KIND_MAP: {
    const orca_map *m = src;
    PyObject *r = PyDict_New();
    for (size_t i = 0; r && i < m->len; i++) {
      PyObject *k = pyorca_from_c(t->key, (const char *)m->keys + i * t->key->size);
      PyObject *v = k ? pyorca_from_c(t->elem, (const char *)m->values + i * t->elem->size) : NULL;
      if (!v || PyDict_SetItem(r, k, v) < 0)
        Py_CLEAR(r);
      Py_XDECREF(k);
      Py_XDECREF(v);
    }
    return r;
  }
  }
  return PyErr_Format(PyExc_SystemError, "orcastra: unknown type kind %d", (int)t->kind);
}

/* ---- option arguments ---- */

int pyorca_duration_arg(PyObject *obj, const char *what, int64_t *us) {
  *us = 0;
  if (!obj || obj == Py_None)
    return 0;
  if (PyDelta_Check(obj)) {
    if (delta_us(obj, us) < 0)
      return -1;
  } else if (PyFloat_Check(obj) || is_int(obj)) {
    double s = PyFloat_AsDouble(obj);
    if (s == -1.0 && PyErr_Occurred())
      return -1;
    if (!isfinite(s) || s > 9.2e12 || s < -9.2e12) {
      PyErr_Format(PyExc_ValueError, "%s: %R seconds is out of range", what, obj);
      return -1;
    }
    *us = (int64_t)llround(s * 1e6);
  } else {
    PyErr_Format(PyExc_TypeError, "%s: expected seconds (a number) or a timedelta, got %.80s", what,
                 Py_TYPE(obj)->tp_name);
    return -1;
  }
  if (*us < 0) {
    PyErr_Format(PyExc_ValueError, "%s: must not be negative", what);
    return -1;
  }
  return 0;
}

int pyorca_time_arg(PyObject *obj, const char *what, int64_t *us) {
  *us = 0;
  if (!obj || obj == Py_None)
    return 0;
  if (PyDateTime_Check(obj)) {
    path p;
    p.len = 0;
    p.buf[0] = '\0';
    path_push(&p, "%s", what);
    return datetime_us(obj, us, &p);
  }
  return pyorca_duration_arg(obj, what, us);
}
