// A deployment artifact run as Lambda runs it: a private root laid out as Lambda's execution environment.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lambda_py27::testing {

/// What to unpack, as `aws lambda create-function --zip-file ... --layers ...` would deploy it.
struct artifact_options {
    std::filesystem::path function_zip;         ///< unpacked at /var/task (read-only to the runtime)
    std::vector<std::filesystem::path> layers;  ///< unpacked at /opt in this order (a later one wins)
    /// `lambda-py27-enter-root` (it enters the root and execs the runtime); default: beside this executable.
    std::filesystem::path enter_root_program;
};

/// A private root on the host (a temporary folder, removed by the destructor) holding only what a Lambda
/// sandbox holds: `/var/task` (the function zip), `/opt` (the layers), a writable `/tmp`, `/dev`'s `null`,
/// `zero`, `random` and `urandom`, and a `/proc`. The runtime is started in it by `runtime_command()`:
/// `lambda-py27-enter-root` makes a mount namespace (and a user namespace when not root), binds
/// `/var/task` and `/opt` read-only, the host's `/proc` and device nodes, changes root and execs the
/// bootstrap, so nothing of the build host (its Python, its libraries, its `/usr`) is reachable.
///
/// Unpacking uses `unzip` (Info-ZIP, as Lambda restores modes and times). Throws `std::runtime_error` with
/// a message naming the cause: a zip that is missing or does not unpack, no bootstrap, no `unzip`.
class artifact_root {
public:
    explicit artifact_root(artifact_options options);
    ~artifact_root();
    artifact_root(const artifact_root&) = delete;
    artifact_root& operator=(const artifact_root&) = delete;

    /// The root's folder on the host.
    const std::filesystem::path& path() const { return path_; }
    /// The host path of `inside`, an absolute path in the root.
    std::filesystem::path at(const std::string& inside) const;
    /// The bootstrap as Lambda finds it: `/var/task/bootstrap`, else `/opt/bootstrap` (a path in the root).
    const std::string& bootstrap() const { return bootstrap_; }
    /// The argv that runs `argv` (default: `{bootstrap()}`) in the root.
    std::vector<std::string> runtime_command(std::vector<std::string> argv = {}) const;
    /// The variables Lambda's execution environment sets that depend on its layout (`LAMBDA_TASK_ROOT`,
    /// `LAMBDA_RUNTIME_DIR`, `LD_LIBRARY_PATH`, `PATH`, `LANG`, `TZ`): for `emulator_options::environment`.
    static std::map<std::string, std::string> lambda_environment();

    /// Why a private root cannot be made on this machine (not root and no unprivileged user namespaces,
    /// no `unzip`, ...), or nothing when it can. Probed by starting the enter program once.
    static std::optional<std::string> unavailable(const std::filesystem::path& enter_root_program = {});

private:
    std::filesystem::path path_;
    std::string bootstrap_;
    std::filesystem::path enter_;
};

/// The body of `lambda-py27-enter-root ROOT [--probe] -- PROGRAM [ARGS...]`: enters ROOT as described
/// above and execs PROGRAM (an absolute path in the root) with this process's environment, working
/// directory /var/task. Returns only on failure: 126 with one line on stderr saying why. `--probe` checks
/// that the namespaces can be made, then exits 0.
int enter_root_main(int argc, char** argv);

}  // namespace lambda_py27::testing
