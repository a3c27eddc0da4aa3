// The floor with Python started: the raw-socket client of support/floor_client.hpp after a bare
// Py_InitializeEx, linked against the bootstrap's libpython and started as the bootstrap starts it (no
// `site`, no signal handlers, the codec registry left unimported as the bootstrap's interpreter guard
// leaves it for a UTF-8 locale). Its cold start against floor_runtime's is what Python's own initialisation
// costs; against the bootstrap's, what the runtime adds on top (python_bench --cold-only --cold-also).
//
//   AWS_LAMBDA_RUNTIME_API=127.0.0.1:PORT python_floor_runtime
#include <Python.h>  // first, as Python requires

#include "support/floor_client.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

int main() {
    const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
    const char* colon = api != nullptr ? std::strrchr(api, ':') : nullptr;
    if (colon == nullptr || std::string_view(api, static_cast<std::size_t>(colon - api)) != "127.0.0.1") {
        std::fprintf(stderr, "python_floor_runtime: AWS_LAMBDA_RUNTIME_API must be 127.0.0.1:PORT\n");
        return 2;
    }
    static char home[] = PYTHON_FLOOR_HOME;  // CPython 2 keeps the pointer
    static char file_system_encoding[] = "UTF-8";
    Py_SetPythonHome(home);
    Py_NoSiteFlag = 1;
    Py_FileSystemDefaultEncoding = file_system_encoding;
    ::setenv("PYTHONIOENCODING", "utf-8", 1);  // with the encoding known: no codec lookup at start
    Py_InitializeEx(0);
    lambda_py27_bench::run_floor_client(static_cast<std::uint16_t>(std::atoi(colon + 1)), 0, false);
    return 0;
}
