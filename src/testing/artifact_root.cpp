#include <lambda_py27/testing/artifact_root.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lambda_py27::testing {
namespace {

namespace fs = std::filesystem;

// What provided.al2023 sets: its own folders first, the function's and the layers' lib/ after them.
constexpr const char* lambda_ld_library_path =
    "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib";

fs::path program_beside_this_one(const char* name) {
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path(name) : self.parent_path() / name;
}

std::optional<std::string> find_in_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        const std::size_t end = std::min(dirs.find(':', start), dirs.size());
        const fs::path candidate = fs::path(dirs.substr(start, end - start)) / name;
        if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
        start = end + 1;
    }
    return std::nullopt;
}

// Runs argv to its end (no shell, stdin from /dev/null); returns the exit status (or 128 + signal, or -1
// when it could not start) and its output, stdout and stderr together.
int run_captured(const std::vector<std::string>& argv, std::string& output) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return -1;
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int in = ::open("/dev/null", O_RDONLY);
        if (in >= 0) ::dup2(in, 0);
        ::dup2(fds[1], 1);
        ::dup2(fds[1], 2);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    if (pid < 0) {
        ::close(fds[0]);
        return -1;
    }
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
        if (n > 0) {
            output.append(buffer, static_cast<std::size_t>(n));
        } else if (n == 0 || errno != EINTR) {
            break;
        }
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

std::string last_line(const std::string& text) {
    std::string t = text;
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    const auto nl = t.rfind('\n');
    return nl == std::string::npos ? t : t.substr(nl + 1);
}

}  // namespace

artifact_root::artifact_root(artifact_options options)
    : enter_(options.enter_root_program.empty() ? program_beside_this_one("lambda-py27-enter-root")
                                                : options.enter_root_program) {
    if (options.function_zip.empty() && options.layers.empty())
        throw std::runtime_error("nothing to run: give a function zip or a layer");
    const auto unzip = find_in_path("unzip");
    if (!unzip) throw std::runtime_error("unzip is not installed (Debian: apt-get install unzip)");
    for (const auto& z : options.layers)
        if (!fs::is_regular_file(z)) throw std::runtime_error(z.string() + ": no such zip");
    if (!options.function_zip.empty() && !fs::is_regular_file(options.function_zip))
        throw std::runtime_error(options.function_zip.string() + ": no such zip");

    std::string tmpl = (fs::temp_directory_path() / "lambda-py27-root.XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr)
        throw std::system_error(errno, std::generic_category(), "creating the private root");
    path_ = tmpl;
    try {
        fs::permissions(path_, fs::perms(0755));
        for (const char* d : {"dev", "proc", "tmp", "var/task", "var/runtime", "opt"})
            fs::create_directories(path_ / d);
        fs::permissions(path_ / "tmp", fs::perms(01777));
        // Mount points for the host's device nodes (a user namespace may not create nodes).
        for (const char* n : {"null", "zero", "random", "urandom"}) {
            const int fd = ::open((path_ / "dev" / n).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
            if (fd >= 0) ::close(fd);
        }
        const auto unpack = [&](const fs::path& zip, const char* inside) {
            std::string out;
            const int rc =
                run_captured({*unzip, "-q", "-o", fs::absolute(zip).string(), "-d", at(inside).string()}, out);
            if (rc != 0) throw std::runtime_error("unpacking " + zip.string() + " failed: " + last_line(out));
        };
        for (const auto& layer : options.layers) unpack(layer, "/opt");
        if (!options.function_zip.empty()) unpack(options.function_zip, "/var/task");
        fs::permissions(path_ / "var/task", fs::perms(0755));
        fs::permissions(path_ / "opt", fs::perms(0755));
        for (const char* candidate : {"/var/task/bootstrap", "/opt/bootstrap"}) {
            if (::access(at(candidate).c_str(), X_OK) == 0) {
                bootstrap_ = candidate;
                break;
            }
        }
        if (bootstrap_.empty())
            throw std::runtime_error(
                "neither /var/task/bootstrap nor /opt/bootstrap is in the artifact: give the "
                "runtime layer too (or a --with-runtime zip)");
    } catch (...) {
        std::error_code ec;
        fs::remove_all(path_, ec);
        throw;
    }
}

artifact_root::~artifact_root() {
    // The runtime's mounts lived in its own namespace: nothing is mounted here.
    std::error_code ec;
    fs::remove_all(path_, ec);
}

fs::path artifact_root::at(const std::string& inside) const { return path_ / fs::path(inside).relative_path(); }

std::vector<std::string> artifact_root::runtime_command(std::vector<std::string> argv) const {
    if (argv.empty()) argv.push_back(bootstrap_);
    std::vector<std::string> cmd{enter_.string(), path_.string(), "--"};
    cmd.insert(cmd.end(), argv.begin(), argv.end());
    return cmd;
}

std::map<std::string, std::string> artifact_root::lambda_environment() {
    return {
        {"LAMBDA_TASK_ROOT", "/var/task"},
        {"LAMBDA_RUNTIME_DIR", "/var/runtime"},
        {"LD_LIBRARY_PATH", lambda_ld_library_path},
        {"PATH", "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin"},
        {"LANG", "en_US.UTF-8"},
        {"TZ", ":UTC"},
    };
}

std::optional<std::string> artifact_root::unavailable(const fs::path& enter_root_program) {
    if (!find_in_path("unzip")) return "unzip is not installed (Debian: apt-get install unzip)";
    const fs::path enter =
        enter_root_program.empty() ? program_beside_this_one("lambda-py27-enter-root") : enter_root_program;
    if (::access(enter.c_str(), X_OK) != 0) return enter.string() + " is missing";
    std::string out;
    const int rc = run_captured({enter.string(), "/", "--probe"}, out);
    if (rc != 0) return last_line(out).empty() ? "cannot make a private root here" : last_line(out);
    return std::nullopt;
}

}  // namespace lambda_py27::testing
