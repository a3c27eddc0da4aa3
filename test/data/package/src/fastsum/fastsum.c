/* A C extension shipped as an sdist: pip builds it with the packaging tool's Python 2.7. */
#include <Python.h>

static PyObject* fastsum_total(PyObject* self, PyObject* arg) {
    PyObject* seq = PySequence_Fast(arg, "total() takes a sequence");
    Py_ssize_t i, n;
    long sum = 0;
    (void)self;
    if (seq == NULL) return NULL;
    n = PySequence_Fast_GET_SIZE(seq);
    for (i = 0; i < n; ++i) sum += PyInt_AsLong(PySequence_Fast_GET_ITEM(seq, i));
    Py_DECREF(seq);
    if (PyErr_Occurred()) return NULL;
    return PyInt_FromLong(sum);
}

static PyMethodDef methods[] = {
    {"total", fastsum_total, METH_O, "the sum of a sequence of ints, in C"},
    {NULL, NULL, 0, NULL},
};

PyMODINIT_FUNC initfastsum(void) { Py_InitModule("fastsum", methods); }
