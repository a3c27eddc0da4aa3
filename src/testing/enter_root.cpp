// lambda-py27-enter-root: the runtime's side of artifact_root. A single-threaded program between the
// emulator's spawn and the bootstrap: it makes the namespaces, mounts, changes root and execs, so the pid
// the emulator watches (its memory, its exit, its signals) becomes the bootstrap's.
#include <lambda_py27/testing/artifact_root.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace lambda_py27::testing {
namespace {

constexpr int failure = 126;

int fail(const std::string& what) {
    std::fprintf(stderr, "lambda-py27-enter-root: %s\n", what.c_str());
    return failure;
}

std::string errno_text(int e) { return std::strerror(e); }

bool write_file(const char* path, const std::string& text) {
    const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    return ok;
}

// The flags a remount must keep: in a user namespace the ones inherited from the host are locked.
unsigned long locked_flags(const std::string& path) {
    struct statvfs s {};
    if (::statvfs(path.c_str(), &s) != 0) return 0;
    unsigned long flags = 0;
    if (s.f_flag & ST_NOSUID) flags |= MS_NOSUID;
    if (s.f_flag & ST_NODEV) flags |= MS_NODEV;
    if (s.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
    if (s.f_flag & ST_NOATIME) flags |= MS_NOATIME;
    if (s.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
    if (s.f_flag & ST_RELATIME) flags |= MS_RELATIME;
    return flags;
}

bool bind(const std::string& from, const std::string& to, bool recursive = false) {
    return ::mount(from.c_str(), to.c_str(), nullptr, MS_BIND | (recursive ? MS_REC : 0), nullptr) == 0;
}

bool make_read_only(const std::string& path) {
    return ::mount(nullptr, path.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(path), nullptr) == 0;
}

// The mounts of the root, in this mount namespace only.
std::string lay_out(const std::string& root) {
    if (!bind(root, root)) return "binding the root: " + errno_text(errno);
    for (const char* d : {"/var/task", "/opt"}) {
        const std::string p = root + d;
        if (!bind(p, p) || !make_read_only(p)) return std::string("making ") + d + " read-only: " + errno_text(errno);
    }
    if (!bind(root + "/tmp", root + "/tmp")) return "binding /tmp: " + errno_text(errno);
    if (!bind("/proc", root + "/proc", true)) return "binding /proc: " + errno_text(errno);
    for (const char* n : {"null", "zero", "random", "urandom"}) {
        const std::string dev = std::string("/dev/") + n;
        if (!bind(dev, root + dev)) return "binding " + dev + ": " + errno_text(errno);
    }
    if (!make_read_only(root)) return "making the root read-only: " + errno_text(errno);
    return {};
}

}  // namespace

int enter_root_main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    bool probe = false;
    std::string root;
    std::size_t program = args.size();
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--") {
            program = i + 1;
            break;
        }
        if (args[i] == "--probe") {
            probe = true;
        } else if (root.empty()) {
            root = args[i];
        } else {
            return fail("usage: lambda-py27-enter-root ROOT [--probe] -- PROGRAM [ARGS...]");
        }
    }
    if (root.empty() || (!probe && program >= args.size()))
        return fail("usage: lambda-py27-enter-root ROOT [--probe] -- PROGRAM [ARGS...]");

    const uid_t uid = ::getuid();
    const gid_t gid = ::getgid();
    const bool user_namespace = ::geteuid() != 0;
    if (::unshare(CLONE_NEWNS | (user_namespace ? CLONE_NEWUSER : 0)) != 0) {
        return fail(std::string("cannot make a private root: unshare: ") + errno_text(errno) +
                    (user_namespace ? " (run as root, or allow unprivileged user namespaces)" : ""));
    }
    if (user_namespace) {
        // The same ids inside: the runtime runs as the user who started it, as Lambda's runs as its own.
        if (!write_file("/proc/self/setgroups", "deny") ||
            !write_file("/proc/self/uid_map", std::to_string(uid) + " " + std::to_string(uid) + " 1\n") ||
            !write_file("/proc/self/gid_map", std::to_string(gid) + " " + std::to_string(gid) + " 1\n"))
            return fail("cannot make a private root: mapping the user namespace: " + errno_text(errno));
    }
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        return fail("cannot make a private root: " + errno_text(errno));
    if (probe) return 0;

    if (const auto why = lay_out(root); !why.empty()) return fail("cannot make a private root: " + why);
    if (::chroot(root.c_str()) != 0) return fail("chroot " + root + ": " + errno_text(errno));
    if (::chdir("/var/task") != 0) return fail("chdir /var/task: " + errno_text(errno));
    std::vector<char*> exec_args;
    for (std::size_t i = program; i < args.size(); ++i) exec_args.push_back(args[i].data());
    exec_args.push_back(nullptr);
    ::execv(exec_args[0], exec_args.data());
    return fail("cannot start " + args[program] + " in the artifact: " + errno_text(errno));
}

}  // namespace lambda_py27::testing
