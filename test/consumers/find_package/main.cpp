// A consumer's own bootstrap: the library's runtime, one C++ handler beside the Python ones.
#include <lambda_py27/python/bootstrap.hpp>
#include <lambda_py27/version.hpp>

#include <string>

int main(int argc, char** argv) {
    lambda_py27::python::bootstrap_options options;
    options.handlers.add("consumer.version", [](const lambda_py27::invocation&) {
        return lambda_py27::invocation_response::success(std::string("\"") + lambda_py27::version_string + "\"");
    });
    return lambda_py27::python::run_bootstrap(argc, argv, std::move(options));
}
