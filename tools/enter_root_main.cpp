// lambda-py27-enter-root ROOT -- PROGRAM [ARGS...]: enters a private root made by artifact_root and execs
// PROGRAM in it (the emulator's --zip/--layer start the runtime through it). See artifact_root.hpp.
#include <lambda_py27/testing/artifact_root.hpp>

int main(int argc, char** argv) { return lambda_py27::testing::enter_root_main(argc, argv); }
