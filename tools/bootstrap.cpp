// lambda-py27-bootstrap: the shipped runtime executable. Deploy it as `bootstrap`; the handler is the
// first argument (container images pass it as CMD) or `_HANDLER`.
#include <lambda_py27/python/bootstrap.hpp>

int main(int argc, char** argv) { return lambda_py27::python::run_bootstrap(argc, argv); }
