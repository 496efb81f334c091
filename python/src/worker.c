/* worker.c — orcastra._core.Worker: Python handlers on liborca's worker
 * (orca/worker.h), and the context functions a handler calls.
 *
 * Threads and the GIL: run() releases the GIL for as long as the worker
 * runs. liborca's handler threads call pyorca_invoke() (every task
 * descriptor a Schema builds has it as its invoke), which takes the GIL with
 * PyGILState_Ensure only around the Python part: converting the arguments,
 * calling the handler, converting its result. Decoding, encoding and every
 * backend call stay outside the GIL.
 *
 * Finding the handler: a Worker passes itself as orca_worker_opts.user, and
 * keeps a dict task name -> (handler, TaskRef). Under worker_main() (which
 * opens the worker itself, so user is NULL) the handlers go to one
 * process-wide dict: a process runs one worker_main at a time.
 *
 * Signals: liborca's worker installs SIGINT/SIGTERM/SIGHUP handlers while it
 * runs (graceful stop, hook reload); Python's own handlers are saved before
 * and put back after, so Ctrl-C raises KeyboardInterrupt again afterwards. */
#include "pyorca.h" /* Python.h first, as CPython asks */

#include <signal.h>
#include <string.h>

typedef struct pyworker {
  PyObject_HEAD orca_worker *w;
  PyObject *handlers; /* dict: task name -> (callable, TaskRef) */
  PyObject *schemas;  /* list: Schemas whose schedules were added (kept alive) */
  bool borrowed;      /* w belongs to worker_main */
  bool signals;       /* liborca installs its signal handlers while it runs */
  bool running;
} pyworker;

static PyObject *main_handlers; /* worker_main's handlers */

/* The handler context of the calling thread while a Python handler runs. */
static _Thread_local orca_ctx *current_ctx;

/* Stands for the typed handler: the real one is found by task name. */
static void python_handler(void) {}

static int signals[] = {SIGINT, SIGTERM, SIGHUP};

static void save_signals(struct sigaction *saved) {
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
    sigaction(signals[i], NULL, &saved[i]);
}

static void restore_signals(const struct sigaction *saved) {
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
    sigaction(signals[i], &saved[i], NULL);
}

/* Record the pending exception as the attempt's error: the exception line
 * first (it survives truncation), then the traceback. */
static int fail_with_exception(orca_ctx *ctx, const char *what) {
  PyObject *et, *ev, *tb;
  PyErr_Fetch(&et, &ev, &tb);
  PyErr_NormalizeException(&et, &ev, &tb);
  if (tb && ev)
    PyException_SetTraceback(ev, tb);
  PyObject *text = NULL;
  PyObject *mod = PyImport_ImportModule("traceback");
  PyObject *lines = mod ? PyObject_CallMethod(mod, "format_exception", "OOO", et ? et : Py_None,
                                              ev ? ev : Py_None, tb ? tb : Py_None)
                        : NULL;
  if (lines && PyList_Check(lines) && PyList_GET_SIZE(lines) > 0) {
    PyObject *last = PyList_GetItem(lines, PyList_GET_SIZE(lines) - 1);
    PyObject *sep = PyUnicode_FromString("");
    PyObject *rest = PyList_GetSlice(lines, 0, PyList_GET_SIZE(lines) - 1);
    PyObject *body = sep && rest ? PyUnicode_Join(sep, rest) : NULL;
    text = body ? PyUnicode_FromFormat("%s%U%U", what, last, body) : NULL;
    Py_XDECREF(sep);
    Py_XDECREF(rest);
    Py_XDECREF(body);
  }
  const char *msg = text ? PyUnicode_AsUTF8(text) : NULL;
  if (!msg)
    PyErr_Clear();
  int rc = orca_ctx_fail(ctx, "%s", msg ? msg : "a Python handler raised (no traceback)");
  Py_XDECREF(text);
  Py_XDECREF(lines);
  Py_XDECREF(mod);
  Py_XDECREF(et);
  Py_XDECREF(ev);
  Py_XDECREF(tb);
  return rc;
}

int pyorca_invoke(orca_fn fn, orca_ctx *ctx, const void *args, void *result);

int pyorca_invoke(orca_fn fn, orca_ctx *ctx, const void *args, void *result) {
  (void)fn;
  if (_Py_IsFinalizing())
    return orca_ctx_fail(ctx, "the Python interpreter is shutting down");
  PyGILState_STATE g = PyGILState_Ensure();
  pyworker *pw = orca_ctx_user(ctx);
  PyObject *handlers = pw ? pw->handlers : main_handlers;
  PyObject *entry = handlers ? PyDict_GetItemString(handlers, orca_ctx_task_name(ctx)) : NULL;
  int rc;
  if (!entry) {
    PyErr_Clear();
    rc = orca_ctx_fail(ctx, "no Python handler for %s", orca_ctx_task_name(ctx));
    PyGILState_Release(g);
    return rc;
  }
  Py_INCREF(entry);
  PyObject *handler = PyTuple_GET_ITEM(entry, 0);
  const orca_task_desc *d = ((pyorca_task *)PyTuple_GET_ITEM(entry, 1))->desc;
  PyObject *pyargs = pyorca_from_c(d->args_type, args);
  PyObject *ret = NULL;
  if (!pyargs) {
    rc = fail_with_exception(ctx, "arguments: ");
  } else {
    current_ctx = ctx;
    ret = PyObject_CallOneArg(handler, pyargs);
    current_ctx = NULL;
    if (!ret)
      rc = fail_with_exception(ctx, "");
    else if (d->result && pyorca_to_c(d->result, ret, result, orca_ctx_alloc(ctx), "result") < 0)
      rc = fail_with_exception(ctx, "the handler's return value: ");
    else
      rc = 0;
  }
  Py_XDECREF(ret);
  Py_XDECREF(pyargs);
  Py_DECREF(entry);
  PyGILState_Release(g);
  return rc;
}

/* 1 when called on Python's main thread, 0 if not, -1 on error. */
static int main_thread(void) {
  PyObject *mod = PyImport_ImportModule("threading");
  PyObject *cur = mod ? PyObject_CallMethod(mod, "current_thread", NULL) : NULL;
  PyObject *main = mod ? PyObject_CallMethod(mod, "main_thread", NULL) : NULL;
  int rc = cur && main ? cur == main : -1;
  Py_XDECREF(cur);
  Py_XDECREF(main);
  Py_XDECREF(mod);
  return rc;
}

static int worker_init(PyObject *self, PyObject *args, PyObject *kw) {
  pyworker *pw = (pyworker *)self;
  static char *kwlist[] = {
      "backend",        "queues",          "concurrency", "prefetch",      "lease",
      "grace",          "worker_id",       "hooks",       "run_schedules", "max_tasks",
      "schedule_grace", "install_signals", NULL};
  const char *backend = NULL, *queues = NULL, *id = NULL, *hooks = NULL;
  unsigned int concurrency = 0, prefetch = 0, max_tasks = 0;
  PyObject *lease = NULL, *grace = NULL, *sgrace = NULL, *sig = Py_None;
  int schedules = 0;
  if (pw->w) {
    PyErr_SetString(PyExc_TypeError, "Worker: already open");
    return -1;
  }
  if (!PyArg_ParseTupleAndKeywords(args, kw, "|zz$IIOOzzpIOO:Worker", kwlist, &backend, &queues,
                                   &concurrency, &prefetch, &lease, &grace, &id, &hooks, &schedules,
                                   &max_tasks, &sgrace, &sig))
    return -1;
  /* Signals are the main thread's business in Python: by default only a
   * worker made there takes SIGINT/SIGTERM over while it runs. */
  int on_main = sig == Py_None ? main_thread() : PyObject_IsTrue(sig);
  if (on_main < 0)
    return -1;
  pw->signals = on_main;
  orca_worker_opts o = {.backend = backend,
                        .queues = queues,
                        .concurrency = concurrency,
                        .prefetch = prefetch,
                        .worker_id = id,
                        .hooks_file = hooks,
                        .run_schedules = schedules,
                        .max_tasks = max_tasks,
                        .install_signals = pw->signals,
                        .user = pw};
  if (pyorca_duration_arg(lease, "lease", &o.lease_us) < 0 ||
      pyorca_duration_arg(grace, "grace", &o.grace_us) < 0 ||
      pyorca_duration_arg(sgrace, "schedule_grace", &o.schedule_grace_us) < 0)
    return -1;
  if (!pw->handlers && !(pw->handlers = PyDict_New()))
    return -1;
  if (!pw->schemas && !(pw->schemas = PyList_New(0)))
    return -1;
  orca_err err = {0};
  int rc;
  PyThreadState *ts = PyEval_SaveThread();
  rc = orca_worker_open(&o, &pw->w, &err);
  PyEval_RestoreThread(ts);
  if (rc != 0) {
    pw->w = NULL;
    pyorca_raise(rc, &err);
    return -1;
  }
  return 0;
}

static int worker_traverse(PyObject *self, visitproc visit, void *arg) {
  pyworker *pw = (pyworker *)self;
  Py_VISIT(pw->handlers);
  Py_VISIT(pw->schemas);
  return 0;
}

static int worker_clear(PyObject *self) {
  pyworker *pw = (pyworker *)self;
  Py_CLEAR(pw->handlers);
  Py_CLEAR(pw->schemas);
  return 0;
}

static void close_impl(pyworker *pw) {
  orca_worker *w = pw->w;
  pw->w = NULL;
  if (w && !pw->borrowed) {
    PyThreadState *ts = PyEval_SaveThread();
    orca_worker_close(w);
    PyEval_RestoreThread(ts);
  }
}

static void worker_dealloc(PyObject *self) {
  PyObject_GC_UnTrack(self);
  close_impl((pyworker *)self);
  worker_clear(self);
  Py_TYPE(self)->tp_free(self);
}

static orca_worker *open_worker(pyworker *pw) {
  if (!pw->w) {
    orca_err e = {ORCA_ECLOSED, "Worker: closed"};
    pyorca_raise(ORCA_ECLOSED, &e);
  }
  return pw->w;
}

static PyObject *worker_handle(PyObject *self, PyObject *args) {
  pyworker *pw = (pyworker *)self;
  PyObject *task, *fn;
  if (!PyArg_ParseTuple(args, "OO:handle", &task, &fn))
    return NULL;
  pyorca_task *t = pyorca_task_of(task, "handle");
  if (!t || !open_worker(pw))
    return NULL;
  if (!PyCallable_Check(fn))
    return PyErr_Format(PyExc_TypeError, "handle: the handler of %s must be callable, not %.80s",
                        t->desc->name, Py_TYPE(fn)->tp_name);
  orca_err err = {0};
  int rc = orca_worker_handle(pw->w, t->desc, python_handler, &err);
  if (rc != 0)
    return pyorca_raise(rc, &err);
  PyObject *entry = PyTuple_Pack(2, fn, (PyObject *)t);
  if (!entry || PyDict_SetItemString(pw->handlers, t->desc->name, entry) < 0) {
    Py_XDECREF(entry);
    return NULL;
  }
  Py_DECREF(entry);
  return Py_NewRef(Py_None);
}

static PyObject *worker_add_schema(PyObject *self, PyObject *arg) {
  pyworker *pw = (pyworker *)self;
  if (!PyObject_TypeCheck(arg, &pyorca_schema_type))
    return PyErr_Format(PyExc_TypeError, "add_schema: expected a Schema, got %.80s",
                        Py_TYPE(arg)->tp_name);
  if (!open_worker(pw))
    return NULL;
  orca_err err = {0};
  int rc = orca_worker_add_schema(pw->w, &((pyorca_schema *)arg)->schema, &err);
  if (rc != 0)
    return pyorca_raise(rc, &err);
  if (PyList_Append(pw->schemas, arg) < 0)
    return NULL;
  return Py_NewRef(Py_None);
}

static PyObject *worker_run(PyObject *self, PyObject *noargs) {
  (void)noargs;
  pyworker *pw = (pyworker *)self;
  if (!open_worker(pw))
    return NULL;
  if (pw->borrowed || pw->running)
    return PyErr_Format(PyExc_RuntimeError, "run: this worker is already running");
  struct sigaction saved[3];
  orca_err err = {0};
  int rc;
  bool sig = pw->signals;
  orca_worker *w = pw->w;
  pw->running = true;
  PyThreadState *ts = PyEval_SaveThread();
  if (sig)
    save_signals(saved);
  rc = orca_worker_run(w, &err);
  if (sig)
    restore_signals(saved);
  PyEval_RestoreThread(ts);
  pw->running = false;
  return rc ? pyorca_raise(rc, &err) : Py_NewRef(Py_None);
}

static PyObject *worker_stop(PyObject *self, PyObject *noargs) {
  (void)noargs;
  orca_worker_stop(((pyworker *)self)->w);
  return Py_NewRef(Py_None);
}

static PyObject *worker_close(PyObject *self, PyObject *noargs) {
  (void)noargs;
  pyworker *pw = (pyworker *)self;
  if (pw->running)
    return PyErr_Format(PyExc_RuntimeError, "close: the worker is running; stop() it first");
  close_impl(pw);
  return Py_NewRef(Py_None);
}

static PyObject *worker_enter(PyObject *self, PyObject *noargs) {
  (void)noargs;
  return Py_NewRef(self);
}

static PyObject *worker_exit(PyObject *self, PyObject *args) {
  (void)args;
  pyworker *pw = (pyworker *)self;
  if (!pw->running)
    close_impl(pw);
  return Py_NewRef(Py_False);
}

static PyMethodDef worker_methods[] = {
    {"handle", worker_handle, METH_VARARGS,
     "handle(task, fn): run fn(args) for the task; its return value is the result"},
    {"add_schema", worker_add_schema, METH_O,
     "add_schema(schema): fire the schema's schedules (with run_schedules=True)"},
    {"run", worker_run, METH_NOARGS,
     "run(): fetch and run tasks until stop() or SIGINT/SIGTERM; the GIL is released"},
    {"stop", worker_stop, METH_NOARGS, "stop(): stop gracefully (any thread, or a handler)"},
    {"close", worker_close, METH_NOARGS, "close(): release a stopped worker"},
    {"__enter__", worker_enter, METH_NOARGS, NULL},
    {"__exit__", worker_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL}};

PyTypeObject pyorca_worker_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "orcastra._core.Worker",
    .tp_basicsize = sizeof(pyworker),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Worker(backend=None, queues=None, *, concurrency=0, ...): runs Python handlers.",
    .tp_new = PyType_GenericNew,
    .tp_init = worker_init,
    .tp_dealloc = worker_dealloc,
    .tp_traverse = worker_traverse,
    .tp_clear = worker_clear,
    .tp_methods = worker_methods,
};

/* ---- worker_main ---- */

typedef struct main_state {
  PyObject *reg;     /* the register(worker) callable */
  pyworker *wrapper; /* the Worker handed to it */
} main_state;

/* orca_register_fn: called by orca_worker_main on this thread, with the
 * GIL released. */
static int main_register(orca_worker *w, void *ud, orca_err *err) {
  main_state *st = ud;
  PyGILState_STATE g = PyGILState_Ensure();
  int rc = 0;
  pyworker *pw = (pyworker *)PyType_GenericNew(&pyorca_worker_type, NULL, NULL);
  if (pw) {
    pw->w = w;
    pw->borrowed = true;
    pw->handlers = Py_NewRef(main_handlers);
    pw->schemas = PyList_New(0);
    st->wrapper = pw;
  }
  PyObject *r = pw && pw->schemas ? PyObject_CallOneArg(st->reg, (PyObject *)pw) : NULL;
  if (!r) {
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    PyObject *s = ev ? PyObject_Str(ev) : NULL;
    const char *msg = s ? PyUnicode_AsUTF8(s) : NULL;
    rc = orca_err_set(err, ORCA_EINVAL, "registering handlers: %s: %s",
                      et ? ((PyTypeObject *)et)->tp_name : "error", msg ? msg : "?");
    PyErr_Clear();
    Py_XDECREF(s);
    Py_XDECREF(et);
    Py_XDECREF(ev);
    Py_XDECREF(tb);
  }
  Py_XDECREF(r);
  PyGILState_Release(g);
  return rc;
}

PyObject *pyorca_worker_main(PyObject *self, PyObject *args) {
  (void)self;
  PyObject *reg, *argv;
  if (!PyArg_ParseTuple(args, "OO!:worker_main", &reg, &PyList_Type, &argv))
    return NULL;
  if (!PyCallable_Check(reg))
    return PyErr_Format(PyExc_TypeError, "worker_main: register must be callable");
  Py_ssize_t n = PyList_GET_SIZE(argv);
  char **cargv = PyMem_Calloc((size_t)n + 1, sizeof *cargv);
  if (!cargv)
    return PyErr_NoMemory();
  PyObject *keep = PyList_New(0); /* the bytes cargv points into */
  for (Py_ssize_t i = 0; keep && i < n; i++) {
    PyObject *b = PyUnicode_EncodeFSDefault(PyList_GET_ITEM(argv, i));
    if (!b || PyList_Append(keep, b) < 0 || !(cargv[i] = PyBytes_AsString(b)))
      Py_CLEAR(keep);
    Py_XDECREF(b);
  }
  if (!keep || n < 1) {
    PyMem_Free(cargv);
    Py_XDECREF(keep);
    return n < 1 ? PyErr_Format(PyExc_ValueError, "worker_main: argv needs the program name")
                 : NULL;
  }
  if (!main_handlers && !(main_handlers = PyDict_New()))
    return NULL;
  PyDict_Clear(main_handlers);
  main_state st = {reg, NULL};
  struct sigaction saved[3];
  int code;
  PyThreadState *ts = PyEval_SaveThread();
  save_signals(saved);
  code = orca_worker_main((int)n, cargv, main_register, &st);
  restore_signals(saved);
  PyEval_RestoreThread(ts);
  if (st.wrapper) {
    st.wrapper->w = NULL; /* closed by orca_worker_main */
    Py_DECREF(st.wrapper);
  }
  PyDict_Clear(main_handlers);
  PyMem_Free(cargv);
  Py_DECREF(keep);
  return PyLong_FromLong(code);
}

/* ---- the context of the running handler ---- */

static orca_ctx *need_ctx(void) {
  if (!current_ctx)
    PyErr_SetString(PyExc_RuntimeError, "not inside an orcastra task handler");
  return current_ctx;
}

static PyObject *ctx_task_id(PyObject *self, PyObject *noargs) {
  (void)self, (void)noargs;
  orca_ctx *c = need_ctx();
  return c ? PyUnicode_FromString(orca_ctx_task_id(c)) : NULL;
}

static PyObject *ctx_task_name(PyObject *self, PyObject *noargs) {
  (void)self, (void)noargs;
  orca_ctx *c = need_ctx();
  return c ? PyUnicode_FromString(orca_ctx_task_name(c)) : NULL;
}

static PyObject *ctx_attempt(PyObject *self, PyObject *noargs) {
  (void)self, (void)noargs;
  orca_ctx *c = need_ctx();
  return c ? PyLong_FromUnsignedLong(orca_ctx_attempt(c)) : NULL;
}

static PyObject *ctx_cancelled(PyObject *self, PyObject *noargs) {
  (void)self, (void)noargs;
  orca_ctx *c = need_ctx();
  return c ? PyBool_FromLong(orca_ctx_cancelled(c)) : NULL;
}

static PyObject *ctx_header(PyObject *self, PyObject *arg) {
  (void)self;
  orca_ctx *c = need_ctx();
  const char *key = c ? PyUnicode_AsUTF8(arg) : NULL;
  if (!key)
    return NULL;
  const char *v = orca_ctx_header(c, key);
  return v ? PyUnicode_FromString(v) : Py_NewRef(Py_None);
}

PyMethodDef pyorca_context_methods[] = {
    {"task_id", ctx_task_id, METH_NOARGS, "task_id() -> the id of the task being handled"},
    {"task_name", ctx_task_name, METH_NOARGS, "task_name() -> its qualified name"},
    {"attempt", ctx_attempt, METH_NOARGS, "attempt() -> this attempt's number (1-based)"},
    {"cancelled", ctx_cancelled, METH_NOARGS,
     "cancelled() -> True once cancelled, timed out or shutting down: return soon"},
    {"header", ctx_header, METH_O, "header(key) -> the enqueue header's value, or None"},
    {NULL, NULL, 0, NULL}};
