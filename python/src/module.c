/* module.c — the orcastra._core extension module: its types, exceptions and
 * functions. The Python package orcastra (python/orcastra/__init__.py) puts
 * the typed API of generated modules on top. */
#include "pyorca.h"

static PyMethodDef module_methods[] = {
    {"worker_main", pyorca_worker_main, METH_VARARGS,
     "worker_main(register, argv) -> exit code: the command line of every Orcastra worker "
     "(orca_worker_main); register(worker) installs the handlers"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "orcastra._core",
    .m_doc = "liborca for Python: schemas, Client, Worker, errors (see the orcastra package).",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__core(void);

PyMODINIT_FUNC PyInit__core(void) {
  PyObject *m = PyModule_Create(&module_def);
  if (!m)
    return NULL;
  PyTypeObject *types[] = {&pyorca_schema_type, &pyorca_task_type, &pyorca_client_type,
                           &pyorca_worker_type};
  const char *names[] = {"Schema", "TaskRef", "Client", "Worker"};
  if (pyorca_convert_init() < 0 || pyorca_errors_init(m) < 0 ||
      PyModule_AddFunctions(m, pyorca_context_methods) < 0)
    goto fail;
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (PyType_Ready(types[i]) < 0 || PyModule_AddObjectRef(m, names[i], (PyObject *)types[i]) < 0)
      goto fail;
  return m;
fail:
  Py_DECREF(m);
  return NULL;
}
