/* client.c — orcastra._core.Client: the producer side of orca/client.h and
 * the operator calls of orca/admin.h.
 *
 * One orca_client per Client object. liborca's client is used by one thread
 * at a time, so every backend call takes the object's lock; the GIL is
 * released around the lock and the call, so other Python threads run while
 * one waits on the network. Values are converted before the lock is taken,
 * into an arena private to the call. */
#include "pyorca.h" /* Python.h first, as CPython asks */

#include <limits.h>
#include <string.h>

#include "pythread.h"

typedef struct pyclient {
  PyObject_HEAD orca_client *c;
  PyThread_type_lock lock;
} pyclient;

/* Wait no longer than this for one orca_wait_result call, so that Ctrl-C
 * (a pending signal) is seen while a result is awaited. */
#define WAIT_SLICE_US 500000

static int client_init(PyObject *self, PyObject *args, PyObject *kw) {
  pyclient *c = (pyclient *)self;
  static char *kwlist[] = {"backend", "hooks", NULL};
  const char *backend = NULL, *hooks = NULL;
  if (c->c) {
    PyErr_SetString(PyExc_TypeError, "Client: already open");
    return -1;
  }
  if (!PyArg_ParseTupleAndKeywords(args, kw, "|zz:Client", kwlist, &backend, &hooks))
    return -1;
  if (!c->lock && !(c->lock = PyThread_allocate_lock())) {
    PyErr_NoMemory();
    return -1;
  }
  orca_client_opts o = {.backend = backend, .hooks_file = hooks};
  orca_err err = {0};
  PyThreadState *ts = PyEval_SaveThread();
  int rc = orca_client_open(&o, &c->c, &err);
  PyEval_RestoreThread(ts);
  if (rc != 0) {
    c->c = NULL;
    pyorca_raise(rc, &err);
    return -1;
  }
  return 0;
}

/* c->c is read and written under the lock only (but in init, before the
 * object is shared): a call in another thread finishes before close. */
static void client_close_impl(pyclient *c) {
  if (!c->lock)
    return;
  PyThreadState *ts = PyEval_SaveThread();
  PyThread_acquire_lock(c->lock, WAIT_LOCK);
  orca_client_close(c->c);
  c->c = NULL;
  PyThread_release_lock(c->lock);
  PyEval_RestoreThread(ts);
}

static void client_dealloc(PyObject *self) {
  pyclient *c = (pyclient *)self;
  client_close_impl(c);
  if (c->lock)
    PyThread_free_lock(c->lock);
  Py_TYPE(self)->tp_free(self);
}

/* Start a backend call: take the client's lock and release the GIL (*ts is
 * for end()). Returns the client, or NULL with orcastra.Closed raised (and
 * the GIL held) when the client is closed. */
static orca_client *begin(pyclient *c, PyThreadState **ts) {
  if (c->lock) { /* NULL: __init__ never ran */
    *ts = PyEval_SaveThread();
    PyThread_acquire_lock(c->lock, WAIT_LOCK);
    if (c->c)
      return c->c;
    PyThread_release_lock(c->lock);
    PyEval_RestoreThread(*ts);
  }
  orca_err e = {ORCA_ECLOSED, "Client: closed"};
  pyorca_raise(ORCA_ECLOSED, &e);
  return NULL;
}

/* End a backend call begin() started: release the lock, take the GIL. */
static void end(pyclient *c, PyThreadState *ts) {
  PyThread_release_lock(c->lock);
  PyEval_RestoreThread(ts);
}

/* ---- enqueue options ---- */

typedef struct enq_opts {
  orca_enqueue_opts o;
  orca_arena *arena;
} enq_opts;

static char *arena_utf8(orca_arena *a, PyObject *s, const char *what) {
  if (!PyUnicode_Check(s)) {
    PyErr_Format(PyExc_TypeError, "%s: expected str, got %.80s", what, Py_TYPE(s)->tp_name);
    return NULL;
  }
  Py_ssize_t n;
  const char *u = PyUnicode_AsUTF8AndSize(s, &n);
  if (!u)
    return NULL;
  if (memchr(u, '\0', (size_t)n)) {
    PyErr_Format(PyExc_ValueError, "%s: must not contain NUL", what);
    return NULL;
  }
  char *c = orca_arena_alloc(a, (size_t)n + 1);
  if (!c) {
    PyErr_NoMemory();
    return NULL;
  }
  memcpy(c, u, (size_t)n + 1);
  return c;
}

static int parse_opts(enq_opts *eo, PyObject *queue, PyObject *id, PyObject *eta, PyObject *delay,
                      PyObject *priority, PyObject *deadline, PyObject *headers) {
  orca_enqueue_opts *o = &eo->o;
  memset(o, 0, sizeof *o);
  if (queue && queue != Py_None && !(o->queue = arena_utf8(eo->arena, queue, "queue")))
    return -1;
  if (id && id != Py_None && !(o->id = arena_utf8(eo->arena, id, "id")))
    return -1;
  if (pyorca_time_arg(eta, "eta", &o->eta_us) < 0 ||
      pyorca_duration_arg(delay, "delay", &o->delay_us) < 0 ||
      pyorca_duration_arg(deadline, "deadline", &o->deadline_us) < 0)
    return -1;
  if (priority && priority != Py_None) {
    long p = PyLong_Check(priority) && !PyBool_Check(priority) ? PyLong_AsLong(priority) : -1;
    if (p < 0 || p > 9) {
      PyErr_Clear();
      PyErr_Format(PyExc_ValueError, "priority: expected an int in 0..9, got %R", priority);
      return -1;
    }
    o->priority = (int32_t)p;
    o->has_priority = true;
  }
  if (headers && headers != Py_None) {
    if (!PyDict_Check(headers)) {
      PyErr_Format(PyExc_TypeError, "headers: expected a dict of str, got %.80s",
                   Py_TYPE(headers)->tp_name);
      return -1;
    }
    Py_ssize_t n = PyDict_GET_SIZE(headers), pos = 0, i = 0;
    orca_header_kv *kv = orca_arena_alloc(eo->arena, (size_t)(n ? n : 1) * sizeof *kv);
    if (!kv) {
      PyErr_NoMemory();
      return -1;
    }
    PyObject *k, *v;
    while (i < n && PyDict_Next(headers, &pos, &k, &v)) {
      if (!(kv[i].key = arena_utf8(eo->arena, k, "headers key")) ||
          !(kv[i].value = arena_utf8(eo->arena, v, "headers value")))
        return -1;
      i++;
    }
    o->headers = kv;
    o->nheaders = (size_t)i;
  }
  return 0;
}

/* The C value of args for task t, in the arena; NULL with an exception. */
static void *args_to_c(const orca_task_desc *t, PyObject *args, orca_arena *a, const char *what) {
  void *v = orca_arena_alloc(a, t->args_type->size);
  if (!v) {
    PyErr_NoMemory();
    return NULL;
  }
  return pyorca_to_c(t->args_type, args, v, &a->alloc, what) < 0 ? NULL : v;
}

/* Raise for an enqueue error; a Duplicate gets .task_id (the existing task). */
static PyObject *enqueue_error(int rc, const orca_err *err, const char *id) {
  PyObject *exc = pyorca_error_new(rc, err->msg);
  if (!exc)
    return NULL;
  if (rc == ORCA_EDUPLICATE && id && *id) {
    PyObject *pid = PyUnicode_FromString(id);
    if (pid)
      PyObject_SetAttrString(exc, "task_id", pid);
    Py_XDECREF(pid);
  }
  return exc;
}

#define ENQ_KWLIST "queue", "id", "eta", "delay", "priority", "deadline", "headers"

static PyObject *client_enqueue(PyObject *self, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"task", "args", ENQ_KWLIST, NULL};
  PyObject *task, *value, *queue = NULL, *id = NULL, *eta = NULL, *delay = NULL, *prio = NULL,
                          *deadline = NULL, *headers = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|$OOOOOOO:enqueue", kwlist, &task, &value, &queue,
                                   &id, &eta, &delay, &prio, &deadline, &headers))
    return NULL;
  pyorca_task *t = pyorca_task_of(task, "enqueue");
  if (!t)
    return NULL;
  orca_arena arena;
  orca_arena_init(&arena, 0);
  enq_opts eo = {.arena = &arena};
  PyObject *out = NULL;
  void *cargs;
  if (parse_opts(&eo, queue, id, eta, delay, prio, deadline, headers) == 0 &&
      (cargs = args_to_c(t->desc, value, &arena, t->desc->name))) {
    PyThreadState *ts;
    orca_client *c = begin((pyclient *)self, &ts);
    if (c) {
      char idbuf[ORCA_ID_MAX] = "";
      orca_err err = {0};
      int rc = orca_enqueue(c, t->desc, cargs, &eo.o, idbuf, &err);
      end((pyclient *)self, ts);
      if (rc == 0) {
        out = PyUnicode_FromString(idbuf);
      } else {
        PyObject *exc = enqueue_error(rc, &err, idbuf);
        if (exc) {
          PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
          Py_DECREF(exc);
        }
      }
    }
  }
  orca_arena_free(&arena);
  return out;
}

static PyObject *client_enqueue_many(PyObject *self, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"task",     "args",     "queue",   "eta", "delay",
                           "priority", "deadline", "headers", NULL};
  PyObject *task, *seq, *queue = NULL, *eta = NULL, *delay = NULL, *prio = NULL, *deadline = NULL,
                        *headers = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|$OOOOOO:enqueue_many", kwlist, &task, &seq, &queue,
                                   &eta, &delay, &prio, &deadline, &headers))
    return NULL;
  pyorca_task *t = pyorca_task_of(task, "enqueue_many");
  if (!t)
    return NULL;
  PyObject *fast = PySequence_Fast(seq, "enqueue_many: args must be a sequence");
  if (!fast)
    return NULL;
  Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
  orca_arena arena;
  orca_arena_init(&arena, 64 * 1024);
  enq_opts eo = {.arena = &arena};
  PyObject *out = NULL;
  const void **cargs = orca_arena_alloc(&arena, (size_t)(n ? n : 1) * sizeof *cargs);
  char *ids = orca_arena_alloc(&arena, (size_t)(n ? n : 1) * ORCA_ID_MAX);
  int *status = orca_arena_alloc(&arena, (size_t)(n ? n : 1) * sizeof *status);
  if (!cargs || !ids || !status) {
    PyErr_NoMemory();
    goto done;
  }
  if (parse_opts(&eo, queue, NULL, eta, delay, prio, deadline, headers) < 0)
    goto done;
  for (Py_ssize_t i = 0; i < n; i++) {
    char what[ORCA_NAME_MAX + 32];
    snprintf(what, sizeof what, "%s args[%zd]", t->desc->name, i);
    if (!(cargs[i] = args_to_c(t->desc, PySequence_Fast_GET_ITEM(fast, i), &arena, what)))
      goto done;
  }
  if (n == 0) {
    out = PyList_New(0);
    goto done;
  }
  PyThreadState *ts;
  orca_client *c = begin((pyclient *)self, &ts);
  if (!c)
    goto done;
  orca_err err = {0};
  int rc;
  memset(ids, 0, (size_t)n * ORCA_ID_MAX);
  rc = orca_enqueue_many(c, t->desc, cargs, (size_t)n, &eo.o, ids, status, &err);
  end((pyclient *)self, ts);
  if (rc != 0) {
    pyorca_raise(rc, &err);
    goto done;
  }
  out = PyList_New(n);
  for (Py_ssize_t i = 0; out && i < n; i++) {
    const char *id = ids + (size_t)i * ORCA_ID_MAX;
    orca_err e = {status[i], ""};
    PyObject *item = status[i] == 0 ? PyUnicode_FromString(id) : enqueue_error(status[i], &e, id);
    if (!item)
      Py_CLEAR(out);
    else
      PyList_SET_ITEM(out, i, item);
  }
done:
  orca_arena_free(&arena);
  Py_DECREF(fast);
  return out;
}

/* Wait for task `id` in slices, checking for signals between them. Decodes
 * the result into `result` (may be NULL) from `alloc`. Returns the liborca
 * code; -INT_MAX when a signal handler raised (a Python exception is set). */
static int wait_sliced(pyclient *self, const orca_task_desc *t, const char *id, int64_t timeout_us,
                       void *result, const orca_alloc *alloc, orca_err *err) {
  for (;;) {
    int64_t slice = timeout_us < WAIT_SLICE_US ? timeout_us : WAIT_SLICE_US;
    PyThreadState *ts;
    orca_client *c = begin(self, &ts);
    if (!c)
      return -INT_MAX;
    int rc = orca_wait_result(c, t, id, slice, result, alloc, err);
    end(self, ts);
    timeout_us -= slice;
    if (rc != ORCA_ETIMEDOUT || timeout_us <= 0)
      return rc;
    if (PyErr_CheckSignals() < 0)
      return -INT_MAX;
  }
}

static PyObject *wait_common(PyObject *self, PyObject *args, PyObject *kw, bool decode) {
  static char *kwlist[] = {"task", "id", "timeout", NULL};
  PyObject *task, *timeout = Py_None;
  const char *id;
  if (!PyArg_ParseTupleAndKeywords(args, kw, decode ? "Os|O:result" : "Os|O:wait", kwlist, &task,
                                   &id, &timeout))
    return NULL;
  pyorca_task *t = pyorca_task_of(task, decode ? "result" : "wait");
  int64_t timeout_us;
  if (!t || pyorca_duration_arg(timeout, "timeout", &timeout_us) < 0)
    return NULL;
  if (timeout == Py_None)
    timeout_us = INT64_MAX / 2;
  const orca_type *rt = decode ? t->desc->result : NULL;
  orca_arena arena;
  orca_arena_init(&arena, 0);
  void *value = rt ? orca_arena_alloc(&arena, rt->size) : NULL;
  PyObject *out = NULL;
  orca_err err = {0};
  if (rt && !value) {
    PyErr_NoMemory();
  } else {
    int rc = wait_sliced((pyclient *)self, t->desc, id, timeout_us, value, &arena.alloc, &err);
    if (rc == 0)
      out = rt ? pyorca_from_c(rt, value) : Py_NewRef(Py_None);
    else if (rc != -INT_MAX)
      pyorca_raise(rc, &err);
  }
  orca_arena_free(&arena);
  return out;
}

static PyObject *client_wait(PyObject *self, PyObject *args, PyObject *kw) {
  return wait_common(self, args, kw, false);
}

static PyObject *client_result(PyObject *self, PyObject *args, PyObject *kw) {
  return wait_common(self, args, kw, true);
}

static PyObject *us_or_none(int64_t us) {
  return us ? PyFloat_FromDouble((double)us / 1e6) : Py_NewRef(Py_None);
}

static PyObject *client_inspect(PyObject *self, PyObject *arg) {
  const char *id = PyUnicode_AsUTF8(arg);
  if (!id)
    return NULL;
  orca_task_info *info = PyMem_Calloc(1, sizeof *info);
  if (!info)
    return PyErr_NoMemory();
  PyThreadState *ts;
  orca_client *c = begin((pyclient *)self, &ts);
  if (!c) {
    PyMem_Free(info);
    return NULL;
  }
  orca_err err = {0};
  int rc = orca_inspect(c, id, info, &err);
  end((pyclient *)self, ts);
  PyObject *out = NULL;
  if (rc != 0)
    pyorca_raise(rc, &err);
  else
    out = Py_BuildValue(
        "{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:i,s:N,s:N,s:N,s:N,s:N,s:N,s:y#,s:y#}", "id", info->id,
        "task", info->task, "queue", info->queue, "worker", info->worker, "state",
        orca_state_name(info->state), "attempt", info->attempt, "deliveries", info->deliveries,
        "priority", info->priority, "enqueued", us_or_none(info->enqueued_us), "eta",
        us_or_none(info->eta_us), "started", us_or_none(info->started_us), "finished",
        us_or_none(info->finished_us), "expires", us_or_none(info->expires_us), "error",
        pyorca_text(info->error), "result",
        info->result.data ? (const char *)info->result.data : "", (Py_ssize_t)info->result.len,
        "args", info->args.data ? (const char *)info->args.data : "", (Py_ssize_t)info->args.len);
  orca_buf_free(&info->result);
  orca_buf_free(&info->args);
  PyMem_Free(info);
  return out;
}

static PyObject *client_cancel(PyObject *self, PyObject *arg) {
  const char *id = PyUnicode_AsUTF8(arg);
  if (!id)
    return NULL;
  PyThreadState *ts;
  orca_client *c = begin((pyclient *)self, &ts);
  if (!c)
    return NULL;
  orca_err err = {0};
  int rc = orca_cancel(c, id, &err);
  end((pyclient *)self, ts);
  return rc ? pyorca_raise(rc, &err) : Py_NewRef(Py_None);
}

/* Queue counts are collected into C memory first: the callback runs with
 * the GIL released. */
typedef struct qlist {
  orca_queue_stats *items;
  size_t len, cap;
} qlist;

static int collect_queue(void *ud, const orca_queue_stats *q) {
  qlist *l = ud;
  if (l->len == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    orca_queue_stats *n = realloc(l->items, cap * sizeof *n);
    if (!n)
      return ORCA_ENOMEM;
    l->items = n;
    l->cap = cap;
  }
  l->items[l->len++] = *q;
  return 0;
}

static PyObject *client_queues(PyObject *self, PyObject *noargs) {
  (void)noargs;
  PyThreadState *ts;
  orca_client *c = begin((pyclient *)self, &ts);
  if (!c)
    return NULL;
  qlist l = {0};
  orca_err err = {0};
  int rc = orca_queue_list(c, collect_queue, &l, &err);
  end((pyclient *)self, ts);
  PyObject *out = rc ? pyorca_raise(rc, &err) : PyList_New((Py_ssize_t)l.len);
  for (size_t i = 0; out && i < l.len; i++) {
    const orca_queue_stats *q = &l.items[i];
    PyObject *d = Py_BuildValue(
        "{s:s,s:K,s:K,s:K,s:K,s:K,s:K}", "queue", q->queue, "pending",
        (unsigned long long)q->pending, "running", (unsigned long long)q->running, "scheduled",
        (unsigned long long)q->scheduled, "dead", (unsigned long long)q->dead, "succeeded",
        (unsigned long long)q->succeeded, "failed", (unsigned long long)q->failed);
    if (!d)
      Py_CLEAR(out);
    else
      PyList_SET_ITEM(out, (Py_ssize_t)i, d);
  }
  free(l.items);
  return out;
}

static PyObject *client_close(PyObject *self, PyObject *noargs) {
  (void)noargs;
  client_close_impl((pyclient *)self);
  return Py_NewRef(Py_None);
}

static PyObject *client_enter(PyObject *self, PyObject *noargs) {
  (void)noargs;
  return Py_NewRef(self);
}

static PyObject *client_exit(PyObject *self, PyObject *args) {
  (void)args;
  client_close_impl((pyclient *)self);
  return Py_NewRef(Py_False);
}

static PyMethodDef client_methods[] = {
    {"enqueue", (PyCFunction)(void (*)(void))client_enqueue, METH_VARARGS | METH_KEYWORDS,
     "enqueue(task, args, *, queue, id, eta, delay, priority, deadline, headers) -> task id"},
    {"enqueue_many", (PyCFunction)(void (*)(void))client_enqueue_many, METH_VARARGS | METH_KEYWORDS,
     "enqueue_many(task, args_list, ...) -> [id or orcastra.Error per item], one round trip"},
    {"wait", (PyCFunction)(void (*)(void))client_wait, METH_VARARGS | METH_KEYWORDS,
     "wait(task, id, timeout=None): block until the task succeeded (raises otherwise)"},
    {"result", (PyCFunction)(void (*)(void))client_result, METH_VARARGS | METH_KEYWORDS,
     "result(task, id, timeout=None) -> the task's typed result, once it succeeded"},
    {"inspect", client_inspect, METH_O, "inspect(id) -> dict: the task's record"},
    {"cancel", client_cancel, METH_O, "cancel(id): remove a waiting task or flag a running one"},
    {"queues", client_queues, METH_NOARGS, "queues() -> [dict]: per-queue counts"},
    {"close", client_close, METH_NOARGS, "close(): release the backend connection"},
    {"__enter__", client_enter, METH_NOARGS, NULL},
    {"__exit__", client_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL}};

PyTypeObject pyorca_client_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "orcastra._core.Client",
    .tp_basicsize = sizeof(pyclient),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Client(backend=None, hooks=None): enqueue tasks and wait for their results.",
    .tp_new = PyType_GenericNew,
    .tp_init = client_init,
    .tp_dealloc = client_dealloc,
    .tp_methods = client_methods,
};
