// lambda-py27-serve-once: serves one invocation with a runtime executable through the emulator and
// checks the answer. For the consumer tests, whose bootstraps are built by other CMake projects.
//
//   lambda-py27-serve-once BOOTSTRAP TASK_ROOT HANDLER EVENT EXPECTED_SUBSTRING
// Exit status 0 when the invoke answered 200 without a function error and the body holds the substring.
#include <lambda_py27/testing/emulator.hpp>

#include <exception>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
    if (argc != 6) {
        std::cerr << "usage: lambda-py27-serve-once BOOTSTRAP TASK_ROOT HANDLER EVENT EXPECTED_SUBSTRING\n";
        return 2;
    }
    try {
        lambda_py27::testing::emulator_options o;
        o.runtime_command = {argv[1]};
        o.task_root = argv[2];
        o.handler = argv[3];
        o.invoke_port = 0;
        o.timeout = std::chrono::seconds(30);
        o.environment["PYTHONDONTWRITEBYTECODE"] = "1";
        o.report = &std::cerr;
        lambda_py27::testing::emulator emu(o);
        emu.start();
        const auto r = lambda_py27::testing::invoke("127.0.0.1", emu.invoke_port(), argv[4]);
        emu.stop();
        std::cout << "status " << r.status << ", function error '" << r.function_error << "', body " << r.body << '\n';
        const bool ok = r.status == 200 && r.function_error.empty() && r.body.find(argv[5]) != std::string::npos;
        if (!ok) std::cerr << "lambda-py27-serve-once: expected a success holding " << argv[5] << '\n';
        return ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "lambda-py27-serve-once: " << e.what() << '\n';
        return 1;
    }
}
