// lambda-py27-emulator: the Runtime API emulator as a command (see --help).
#include <lambda_py27/testing/artifact_root.hpp>
#include <lambda_py27/testing/emulator.hpp>

#include "emulator_cli.hpp"

#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <pthread.h>
#include <signal.h>

namespace {

constexpr int usage_status = 2;

// The artifact unpacked into a private root, and the runtime command and environment pointed into it.
std::unique_ptr<lambda_py27::testing::artifact_root> enter_artifact(const lambda_py27::tools::emulator_command& cmd,
                                                                    lambda_py27::testing::emulator_options& opts) {
    using lambda_py27::testing::artifact_root;
    if (const auto why = artifact_root::unavailable())
        throw std::runtime_error("--zip/--layer: cannot run the artifact in a private root here: " + *why);
    auto root =
        std::make_unique<artifact_root>(lambda_py27::testing::artifact_options{cmd.function_zip, cmd.layers, {}});
    opts.runtime_command = root->runtime_command(std::move(opts.runtime_command));
    opts.task_root = root->at("/var/task").string();
    auto env = artifact_root::lambda_environment();
    for (auto& [k, v] : opts.environment) env[k] = v;  // --env wins
    opts.environment = std::move(env);
    if (!cmd.quiet)
        std::cerr << "lambda-py27-emulator: serving " << opts.runtime_command[3] << " from a private root ("
                  << root->path().string() << ")" << std::endl;
    return root;
}

}  // namespace

int main(int argc, char** argv) {
    lambda_py27::tools::emulator_command cmd;
    try {
        cmd = lambda_py27::tools::parse_emulator_command(argc, argv);
        if (cmd.help) return 0;
    } catch (const lambda_py27::tools::usage_error& e) {
        std::cerr << "lambda-py27-emulator: " << e.message << "\nTry 'lambda-py27-emulator --help'.\n";
        return usage_status;
    }
    for (const auto& note : cmd.notes) std::cerr << "lambda-py27-emulator: " << note << '\n';
    auto& opts = cmd.options;
    std::unique_ptr<lambda_py27::testing::artifact_root> root;
    if (!cmd.function_zip.empty() || !cmd.layers.empty()) {
        try {
            root = enter_artifact(cmd, opts);
        } catch (const std::exception& e) {
            std::cerr << "lambda-py27-emulator: " << e.what() << '\n';
            return 1;
        }
    }

    // SIGINT and SIGTERM are taken by a thread with sigwait; blocked here, before any thread exists, so
    // every thread inherits the mask (the runtime process gets a clean one).
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    lambda_py27::testing::emulator emu(opts);
    try {
        emu.start();
    } catch (const std::exception& e) {
        std::cerr << "lambda-py27-emulator: " << e.what() << '\n';
        return 1;
    }
    if (!cmd.quiet && opts.api_gateway != lambda_py27::testing::api_gateway_payload::none)
        std::cerr << "lambda-py27-emulator: API Gateway (payload format "
                  << (opts.api_gateway == lambda_py27::testing::api_gateway_payload::v1 ? "1.0" : "2.0") << ") http://"
                  << opts.invoke_address << ':' << emu.invoke_port() << "/; Runtime API " << emu.runtime_api_endpoint()
                  << std::endl;
    else if (!cmd.quiet)
        std::cerr << "lambda-py27-emulator: invoke endpoint http://" << opts.invoke_address << ':' << emu.invoke_port()
                  << "/2015-03-31/functions/function/invocations; Runtime API " << emu.runtime_api_endpoint()
                  << std::endl;

    std::thread signal_thread([&] {
        int sig = 0;
        while (sigwait(&stop_signals, &sig) != 0) {
        }
        std::cerr << "lambda-py27-emulator: stopping (" << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ")" << std::endl;
        emu.stop();
    });
    emu.wait();
    signal_thread.join();
    return 0;
}
