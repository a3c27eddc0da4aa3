// lambda-py27-emulator's command line: its own options, AWS RIE's (aws-lambda-rie) and the environment RIE
// honours, into emulator_options.
#pragma once

#include <lambda_py27/testing/emulator.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace lambda_py27::tools {

/// What the command line asks for beyond `emulator_options`.
struct emulator_command {
    testing::emulator_options options;
    std::filesystem::path function_zip;         ///< --zip
    std::vector<std::filesystem::path> layers;  ///< --layer, in order
    bool quiet = false;                         ///< --log-level above info: no start line of ours
    bool help = false;                          ///< --help was given (and printed)
    std::vector<std::string> notes;             ///< lines to print at start (ignored options, ...)
};

/// A command line that cannot be run: the message, for "lambda-py27-emulator: <message>", exit 2.
struct usage_error {
    std::string message;
};

/// Parses argv and the environment (AWS_LAMBDA_FUNCTION_NAME, _MEMORY_SIZE, _VERSION, _TIMEOUT, _HANDLER,
/// AWS_REGION / AWS_DEFAULT_REGION, AWS_LAMBDA_MAX_CONCURRENCY, LOG_LEVEL: options given on the command
/// line win). Throws `usage_error`.
emulator_command parse_emulator_command(int argc, char** argv);

/// The --help text.
const char* emulator_help();

}  // namespace lambda_py27::tools
