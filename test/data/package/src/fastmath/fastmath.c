/* A C extension shipped as a cp27-cp27mu-manylinux1_x86_64 wheel. */
#include <Python.h>

static PyObject* fastmath_add(PyObject* self, PyObject* args) {
    long a, b;
    (void)self;
    if (!PyArg_ParseTuple(args, "ll", &a, &b)) return NULL;
    return PyInt_FromLong(a + b);
}

static PyMethodDef methods[] = {
    {"add", fastmath_add, METH_VARARGS, "a + b, in C"},
    {NULL, NULL, 0, NULL},
};

PyMODINIT_FUNC initfastmath(void) { Py_InitModule("fastmath", methods); }
