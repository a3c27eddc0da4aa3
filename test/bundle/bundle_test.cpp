// Deployment bundles (cmake/package.cmake), proven the way Lambda runs them.
//
// Layout: every ELF file of the unpacked bundle asks for the bundled loader and has only $ORIGIN run paths
// (DT_RPATH), every library it needs is in lib/, the standard library is pruned and byte-compiled.
// Serving: the zip is unpacked into an otherwise empty root (no /usr, no /bin, no host Python: only the
// bundle, the function, /tmp, a few device nodes and a mount point for /proc), the emulator runs outside
// it and starts `unshare --fork --pid --mount-proc=<root>/proc --kill-child chroot <root> <bootstrap>` as
// the runtime, with Lambda's LD_LIBRARY_PATH. The probe function (test/data/bundle/probe) uses the native
// parts of the standard library and the SDK package and reports where everything was loaded from.
// The container case rebuilds examples/container/Dockerfile's file system from its ARG/COPY/ENTRYPOINT/CMD
// lines, with Amazon Linux's /lib64 replaced by decoys that would break any library taken from there.
//
// A missing prerequisite (not root, no chroot, no unshare, no mknod) skips: exit status 77.
#include <lambda_py27/testing/emulator.hpp>

#include "../support/run_command.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

const fs::path source_dir = LAMBDA_PY27_SOURCE_DIR;
const fs::path layer_tree = LAMBDA_PY27_BUNDLE_LAYER;        // unpacked bundle; the zip is <tree>.zip
const fs::path function_tree = LAMBDA_PY27_BUNDLE_FUNCTION;  // idem, a function zip
const fs::path probe_dir = LAMBDA_PY27_BUNDLE_PROBE_DIR;
// The arm64 layer of the cross build (preset aarch64: build/aarch64/dist/lambda-py27-layer, and its .zip).
const fs::path arm64_layer_tree = LAMBDA_PY27_ARM64_LAYER;
const std::string loader_name = "ld-linux-x86-64.so.2";
// What provided.al2023 sets (and the base image's ENV): /lib64 comes before the bundle's lib/.
const std::string lambda_ld_library_path =
    "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib";

fs::path zip_of(const fs::path& tree) { return fs::path(tree.string() + ".zip"); }

// ---- processes ---------------------------------------------------------------------------------------

std::optional<std::string> find_program(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path != nullptr ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        if (dir.empty()) continue;
        const fs::path candidate = fs::path(dir) / name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
    for (const char* dir2 : {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
        const fs::path candidate = fs::path(dir2) / name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
    return std::nullopt;
}

// Runs argv (no shell) in `cwd`, output to `log` (or discarded); returns the exit status, -1 if not started.
int run(const std::vector<std::string>& argv, const fs::path& cwd = {}, std::string* log = nullptr) {
    return lambda_py27::test_support::run_command(argv, cwd, log);
}

// cp -a without cp: modes and modification times kept (the .pyc files record their sources' times).
void copy_tree(const fs::path& from, const fs::path& to) {
    fs::create_directories(to);
    for (auto it = fs::recursive_directory_iterator(from); it != fs::recursive_directory_iterator(); ++it) {
        const fs::path target = to / fs::relative(it->path(), from);
        if (it->is_symlink()) {
            fs::copy_symlink(it->path(), target);
        } else if (it->is_directory()) {
            fs::create_directories(target);
            fs::permissions(target, it->status().permissions());
        } else {
            fs::copy_file(it->path(), target, fs::copy_options::overwrite_existing);
            fs::permissions(target, it->status().permissions());
            fs::last_write_time(target, fs::last_write_time(it->path()));
        }
    }
}

// ---- prerequisites -------------------------------------------------------------------------------------

struct tools {
    std::string unshare, chroot;
};

// Why the empty-root tests cannot run here, or nothing.
std::optional<std::string> missing_prerequisite(tools& t) {
    if (::geteuid() != 0) return "not root: chroot, mknod and mount namespaces need root";
    const auto unshare = find_program("unshare");
    const auto chroot = find_program("chroot");
    if (!unshare || !chroot) return "unshare(1) or chroot(1) not found (Debian: util-linux, coreutils)";
    t = {*unshare, *chroot};
    char tmpl[] = "/tmp/lambda-py27-probe-root.XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return "cannot create a temporary folder";
    const fs::path scratch = tmpl;
    std::optional<std::string> why;
    fs::create_directories(scratch / "proc");
    int fd = -1;
    if (::mknod((scratch / "null").c_str(), S_IFCHR | 0666, ::makedev(1, 3)) != 0)
        why = std::string("mknod is not permitted: ") + std::strerror(errno);
    else if ((fd = ::open((scratch / "null").c_str(), O_WRONLY)) < 0)
        why = std::string("device nodes do not work in /tmp (mounted nodev?): ") + std::strerror(errno);
    else if (std::string log; run({t.unshare, "--fork", "--pid", "--mount-proc=" + (scratch / "proc").string(),
                                   "--kill-child", t.chroot, "/", "/bin/sh", "-c", "exit 0"},
                                  {}, &log) != 0)
        why = "`unshare --fork --pid --mount-proc ... chroot` is not permitted here: " + log;
    if (fd >= 0) ::close(fd);
    std::error_code ec;
    fs::remove_all(scratch, ec);
    return why;
}

#define REQUIRE_EMPTY_ROOTS(t) \
    tools t;                   \
    if (const auto why = missing_prerequisite(t)) GTEST_SKIP() << "bundle test skipped: " << *why

// ---- an empty root ---------------------------------------------------------------------------------------

// A root with nothing but what a Lambda sandbox guarantees the runtime: /tmp, /dev's basic nodes, /proc.
class empty_root {
public:
    empty_root() {
        char tmpl[] = "/tmp/lambda-py27-root.XXXXXX";
        if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
        fs::permissions(path_, fs::perms(0755));
        for (const char* d : {"dev", "proc", "tmp", "var/task", "opt"}) fs::create_directories(path_ / d);
        fs::permissions(path_ / "tmp", fs::perms(01777));
        const std::pair<const char*, unsigned> nodes[] = {{"null", 3}, {"zero", 5}, {"random", 8}, {"urandom", 9}};
        for (const auto& [name, minor] : nodes)
            if (::mknod((path_ / "dev" / name).c_str(), S_IFCHR | 0666, ::makedev(1, minor)) != 0)
                throw std::runtime_error(std::string("mknod failed: ") + std::strerror(errno));
    }
    ~empty_root() {
        // The runtime's /proc mount lived in its own mount namespace: nothing is mounted here.
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    empty_root(const empty_root&) = delete;
    empty_root& operator=(const empty_root&) = delete;

    const fs::path& path() const { return path_; }
    fs::path at(const std::string& inside) const { return path_ / fs::path(inside).relative_path(); }

    void unzip(const fs::path& zip, const std::string& inside) const {
        fs::create_directories(at(inside));
        std::string log;
        const int rc = run({LAMBDA_PY27_CMAKE_COMMAND, "-E", "tar", "xf", zip.string()}, at(inside), &log);
        if (rc != 0) throw std::runtime_error("unpacking " + zip.string() + " failed: " + log);
    }

    // The runtime command: a private PID and mount namespace (for a /proc of its own), then chroot.
    std::vector<std::string> enter(const tools& t, std::vector<std::string> argv) const {
        std::vector<std::string> cmd{t.unshare,      "--fork", "--pid",       "--mount-proc=" + at("/proc").string(),
                                     "--kill-child", t.chroot, path_.string()};
        cmd.insert(cmd.end(), argv.begin(), argv.end());
        return cmd;
    }

private:
    fs::path path_;
};

// ---- serving -------------------------------------------------------------------------------------------

struct served {
    lambda_py27::testing::invoke_result first, second;
    std::string report;
};

served serve(const empty_root& root, const tools& t, std::vector<std::string> argv, const std::string& handler,
             const std::map<std::string, std::string>& extra_env = {}) {
    lambda_py27::testing::emulator_options o;
    o.runtime_command = root.enter(t, std::move(argv));
    o.invoke_port = 0;
    o.task_root = root.at("/var/task").string();  // the emulator's chdir target, outside the root
    o.handler = handler;
    o.timeout = 60s;
    o.environment = {
        {"LAMBDA_TASK_ROOT", "/var/task"},
        {"LAMBDA_RUNTIME_DIR", "/var/runtime"},
        {"LD_LIBRARY_PATH", lambda_ld_library_path},
        {"PATH", "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin"},
        {"LANG", "en_US.UTF-8"},
    };
    for (const auto& [k, v] : extra_env) o.environment[k] = v;
    std::ostringstream report;
    o.report = &report;
    lambda_py27::testing::emulator emu(o);
    emu.start();
    served s;
    s.first = lambda_py27::testing::invoke("127.0.0.1", emu.invoke_port(), R"({"probe": "cold"})", {}, 120s);
    s.second = lambda_py27::testing::invoke("127.0.0.1", emu.invoke_port(), R"({"probe": "warm"})", {}, 120s);
    emu.stop();
    s.report = report.str();
    return s;
}

std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : json::serialize(v); }

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// Everything the probe reports, checked against known answers; `prefix` is where the bundle is unpacked.
void check_probe(const lambda_py27::testing::invoke_result& r, const std::string& prefix, const std::string& event,
                 const std::string& loader = loader_name) {
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_EQ(r.function_error, "") << r.body;
    const json::object o = json::parse(r.body).as_object();
    EXPECT_EQ(json::serialize(o.at("echo")), event);
    EXPECT_TRUE(starts_with(str(o.at("python")), "2.7.")) << o.at("python");
    EXPECT_EQ(o.at("maxunicode").as_int64(), 1114111) << "the bundled interpreter must stay UCS4 (cp27mu)";
    EXPECT_EQ(str(o.at("prefix")), prefix + "/python");
    EXPECT_EQ(str(o.at("executable")), prefix + "/bootstrap");
    EXPECT_EQ(str(o.at("cwd")), "/var/task");

    // sys.path: task root, ..., runtime dir, the bundle's SDK, the bundle's standard library; nothing else.
    std::vector<std::string> path;
    for (const auto& e : o.at("sys_path").as_array()) path.push_back(str(e));
    const auto index = [&](const std::string& entry) {
        return std::find(path.begin(), path.end(), entry) - path.begin();
    };
    const auto n = static_cast<std::ptrdiff_t>(path.size());
    ASSERT_FALSE(path.empty());
    EXPECT_EQ(path.front(), "/var/task");
    EXPECT_LT(index("/var/runtime"), n);
    EXPECT_LT(index(prefix + "/python/sdk"), n)
        << "the SDK folder is not on sys.path: " << json::serialize(o.at("sys_path"));
    EXPECT_LT(index("/var/runtime"), index(prefix + "/python/sdk"));
    EXPECT_LT(index(prefix + "/python/sdk"), index(prefix + "/python/lib/python2.7"));
    EXPECT_LT(index(prefix + "/python/lib/python2.7/lib-dynload"), n);
    for (const auto& e : path)
        EXPECT_TRUE(starts_with(e, "/var/task") || starts_with(e, "/opt/") || e == "/var/runtime") << e;

    for (const auto& b : o.at("modules_from_pyc").as_array())
        EXPECT_TRUE(b.as_bool()) << "a module was compiled at import: the bundled .pyc files are stale";
    EXPECT_EQ(str(o.at("json")), R"({"a": "\u00e9", "b": [1, 2.5, null, true]})");
    EXPECT_EQ(json::serialize(o.at("datetime")), R"(["2020-02-29T13:14:15.123000","060"])");
    EXPECT_EQ(str(o.at("decimal")), "3.30");
    EXPECT_NE(r.body.find(R"("decimal_value": 3.30)"), std::string::npos) << "Decimal is encoded as a bare number";
    EXPECT_EQ(str(o.at("sha256")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(str(o.at("md5")), "900150983cd24fb0d6963f7d28e17f72");
    const auto& tls = o.at("tls").as_object();
    EXPECT_TRUE(starts_with(str(tls.at("openssl")), "OpenSSL ")) << tls.at("openssl");
    EXPECT_EQ(tls.at("verify_mode").as_int64(), 2) << "create_default_context() requires certificates";
    EXPECT_TRUE(tls.at("has_sni").as_bool());
    const auto& db = o.at("sqlite").as_object();
    EXPECT_EQ(db.at("sum").as_int64(), 6);
    EXPECT_EQ(db.at("accent").as_int64(), 3);
    EXPECT_FALSE(str(db.at("version")).empty());
    EXPECT_EQ(json::serialize(o.at("zlib")), "[907060870,true,true]");
    EXPECT_EQ(json::serialize(o.at("ctypes")), "[true,8,true,1]");
    const auto& sock = o.at("socket").as_object();
    EXPECT_EQ(str(sock.at("socketpair")), "ping");
    EXPECT_EQ(str(sock.at("tcp")), "tcp");
    EXPECT_EQ(str(sock.at("getaddrinfo")), "127.0.0.1");
    EXPECT_EQ(json::serialize(o.at("unicodedata")), R"(["LATIN SMALL LETTER E WITH ACUTE",true,"5.2.0"])");
    EXPECT_EQ(o.at("urandom").as_int64(), 16);
    EXPECT_EQ(str(o.at("tmp")), "written");
    const auto& sdk = o.at("sdk").as_object();
    EXPECT_EQ(str(sdk.at("version")), "1.2.3");
    EXPECT_EQ(str(sdk.at("file")), prefix + "/python/sdk/probe_sdk/__init__.pyc");
    EXPECT_EQ(str(sdk.at("client")), "probe-sdk-client");
    EXPECT_TRUE(o.at("remaining_ms_positive").as_bool());
    // The legacy start's leftovers (issue 22), from the bundle too: site's builtins, no_site 0, utf-8 as the
    // default encoding with sys.setdefaultencoding kept, PYTHONPATH set to the runtime folder.
    EXPECT_EQ(json::serialize(o.at("site")),
              R"(["Quitter","Use exit() or Ctrl-D (i.e. EOF) to exit",0,"utf-8",true,"/var/runtime",true])");
    EXPECT_EQ(json::serialize(o.at("argv")), R"(["/var/runtime/awslambda/bootstrap.py"])");

    // Every shared object in the process came from the bundle: its loader, its glibc, its modules.
    std::vector<std::string> mapped;
    for (const auto& e : o.at("mapped").as_array()) mapped.push_back(str(e));
    EXPECT_NE(std::find(mapped.begin(), mapped.end(), prefix + "/lib/" + loader), mapped.end());
    EXPECT_NE(std::find(mapped.begin(), mapped.end(), prefix + "/lib/libc.so.6"), mapped.end());
    EXPECT_NE(std::find(mapped.begin(), mapped.end(), prefix + "/lib/libpython2.7.so.1.0"), mapped.end());
    EXPECT_NE(std::find(mapped.begin(), mapped.end(), prefix + "/python/lib/python2.7/lib-dynload/_ssl.so"),
              mapped.end());
    for (const auto& m : mapped)
        EXPECT_TRUE(starts_with(m, prefix + "/lib/") || starts_with(m, prefix + "/python/lib/python2.7/lib-dynload/"))
            << m << " was mapped from outside the bundle";
}

// ---- ELF files -----------------------------------------------------------------------------------------

struct elf_info {
    bool is_elf = false;
    unsigned machine = 0;  // e_machine: EM_X86_64, EM_AARCH64
    std::string interpreter;
    std::vector<std::string> needed;
    std::optional<std::string> rpath, runpath;
};

elf_info read_elf(const fs::path& file) {
    elf_info info;
    std::ifstream in(file, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), {});
    if (data.size() < sizeof(Elf64_Ehdr) || data.compare(0, 4,
                                                         "\x7f"
                                                         "ELF") != 0)
        return info;
    info.is_elf = true;
    Elf64_Ehdr eh;
    std::memcpy(&eh, data.data(), sizeof eh);
    info.machine = eh.e_machine;
    if (eh.e_ident[EI_CLASS] != ELFCLASS64) return info;
    std::vector<Elf64_Phdr> ph(eh.e_phnum);
    for (std::size_t i = 0; i < ph.size(); ++i)
        std::memcpy(&ph[i], data.data() + eh.e_phoff + i * eh.e_phentsize, sizeof(Elf64_Phdr));
    const auto file_offset = [&](Elf64_Addr vaddr) -> std::size_t {  // through the PT_LOAD that maps it
        for (const auto& p : ph)
            if (p.p_type == PT_LOAD && vaddr >= p.p_vaddr && vaddr < p.p_vaddr + p.p_filesz)
                return static_cast<std::size_t>(vaddr - p.p_vaddr + p.p_offset);
        return 0;
    };
    for (const auto& p : ph) {
        if (p.p_type == PT_INTERP) info.interpreter = std::string(data.c_str() + p.p_offset);
        if (p.p_type != PT_DYNAMIC) continue;
        std::vector<Elf64_Dyn> dyn(p.p_filesz / sizeof(Elf64_Dyn));
        std::memcpy(dyn.data(), data.data() + p.p_offset, dyn.size() * sizeof(Elf64_Dyn));
        std::size_t strtab = 0;
        for (const auto& d : dyn)
            if (d.d_tag == DT_STRTAB) strtab = file_offset(d.d_un.d_ptr);
        for (const auto& d : dyn) {
            const char* s = data.c_str() + strtab + d.d_un.d_val;
            if (d.d_tag == DT_NEEDED) info.needed.emplace_back(s);
            if (d.d_tag == DT_RPATH) info.rpath = s;
            if (d.d_tag == DT_RUNPATH) info.runpath = s;
        }
    }
    return info;
}

void check_layout(const fs::path& tree, const std::string& prefix, const std::string& loader = loader_name) {
    ASSERT_TRUE(fs::is_directory(tree)) << tree;
    const fs::path stdlib = tree / "python/lib/python2.7";
    const auto bootstrap = read_elf(tree / "bootstrap");
    ASSERT_TRUE(bootstrap.is_elf) << "the bootstrap is the ELF program itself";
    EXPECT_EQ(bootstrap.interpreter, prefix + "/lib/" + loader);
    EXPECT_EQ(bootstrap.rpath.value_or(""), "$ORIGIN/lib");
    EXPECT_TRUE(fs::status(tree / "bootstrap").permissions() == fs::perms(0755));

    std::size_t elves = 0;
    for (const auto& e : fs::recursive_directory_iterator(tree)) {
        if (!e.is_regular_file()) continue;
        const auto rel = fs::relative(e.path(), tree).string();
        EXPECT_NE(e.status().permissions() & fs::perms::others_read, fs::perms::none)
            << rel << " is not world-readable";
        const auto info = read_elf(e.path());
        if (!info.is_elf) continue;
        ++elves;
        EXPECT_FALSE(info.runpath) << rel << " has a DT_RUNPATH (" << info.runpath.value_or("")
                                   << "), which LD_LIBRARY_PATH overrides";
        if (info.rpath) {
            EXPECT_TRUE(starts_with(*info.rpath, "$ORIGIN")) << rel << ": " << *info.rpath;
        }
        for (const auto& n : info.needed)
            EXPECT_TRUE(fs::exists(tree / "lib" / n)) << rel << " needs " << n << ", not in lib/";
        if (starts_with(rel, "python/lib/python2.7/lib-dynload/")) {
            EXPECT_EQ(info.rpath.value_or(""), "$ORIGIN/../../../../lib") << rel;
        }
    }
    EXPECT_GT(elves, 40u);
    for (const char* lib :
         {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libutil.so.1",
          "libpython2.7.so.1.0", "libssl.so.3", "libcrypto.so.3", "libsqlite3.so.0", "libz.so.1", "libbz2.so.1.0"})
        EXPECT_TRUE(fs::exists(tree / "lib" / lib)) << lib;
    EXPECT_TRUE(fs::exists(tree / "lib" / loader));
    for (const char* m :
         {"_ssl", "_sqlite3", "zlib", "_ctypes", "unicodedata", "datetime", "_socket", "pyexpat", "_json"})
        EXPECT_TRUE(fs::exists(stdlib / "lib-dynload" / (std::string(m) + ".so"))) << m;
    for (const char* m : {"readline", "_tkinter", "_curses", "_testcapi"})
        EXPECT_FALSE(fs::exists(stdlib / "lib-dynload" / (std::string(m) + ".so"))) << m;

    // Pruned and byte-compiled.
    for (const char* gone : {"test", "idlelib", "lib-tk", "ensurepip", "config", "lib2to3/tests", "json/tests",
                             "ctypes/test", "sqlite3/test", "distutils/tests", "unittest/test", "email/test"})
        EXPECT_FALSE(fs::exists(stdlib / gone)) << gone;
    std::size_t sources = 0;
    for (const auto& e : fs::recursive_directory_iterator(stdlib)) {
        const auto ext = e.path().extension();
        EXPECT_NE(ext, ".pyo") << e.path();
        EXPECT_NE(ext, ".exe") << e.path();
        EXPECT_NE(e.path().filename(), "__pycache__");
        if (ext == ".py") {
            ++sources;
            EXPECT_TRUE(fs::exists(e.path().string() + "c")) << e.path() << " has no .pyc";
        }
    }
    EXPECT_GT(sources, 500u);
    EXPECT_TRUE(fs::exists(stdlib / "os.pyc"));
    EXPECT_TRUE(fs::exists(stdlib / "LICENSE.txt"));
    EXPECT_TRUE(fs::exists(tree / "python/sdk/probe_sdk/__init__.pyc"));
    EXPECT_TRUE(fs::is_empty(stdlib / "site-packages"));

    // Size budgets of the issue: zip <= 15 MiB, unpacked <= 60 MiB.
    EXPECT_LE(fs::file_size(zip_of(tree)), 15u << 20);
    std::uintmax_t unpacked = 0;
    for (const auto& e : fs::recursive_directory_iterator(tree))
        if (e.is_regular_file()) unpacked += e.file_size();
    EXPECT_LE(unpacked, 60u << 20);
}

// ---- examples/container/Dockerfile, as a recipe for a file system ------------------------------------------

struct dockerfile {
    std::vector<std::pair<std::string, std::string>> copies;  // source (after ARG substitution), destination
    std::vector<std::string> entrypoint, cmd;
};

dockerfile read_dockerfile(const fs::path& file, const std::map<std::string, std::string>& build_args) {
    std::ifstream in(file);
    EXPECT_TRUE(in) << file;
    dockerfile d;
    std::map<std::string, std::string> args = build_args;
    const auto substitute = [&](std::string s) {
        static const std::regex var(R"(\$\{([A-Za-z_][A-Za-z0-9_]*)\})");
        std::smatch m;
        while (std::regex_search(s, m, var)) s = m.prefix().str() + args[m[1].str()] + m.suffix().str();
        return s;
    };
    const auto exec_form = [](const std::string& text) {
        std::vector<std::string> out;
        const json::value parsed = json::parse(text);
        for (const auto& v : parsed.as_array()) out.emplace_back(v.as_string());
        return out;
    };
    std::string line;
    while (std::getline(in, line)) {
        std::smatch m;
        if (std::regex_match(line, m, std::regex(R"(ARG\s+([A-Za-z_0-9]+)=(\S+)\s*)"))) {
            args.emplace(m[1].str(), m[2].str());  // a --build-arg wins over the default
        } else if (std::regex_match(line, m, std::regex(R"(COPY\s+(\S+)\s+(\S+)\s*)"))) {
            d.copies.emplace_back(substitute(m[1].str()), substitute(m[2].str()));
        } else if (std::regex_match(line, m, std::regex(R"(ENTRYPOINT\s+(\[.*\])\s*)"))) {
            d.entrypoint = exec_form(m[1].str());
        } else if (std::regex_match(line, m, std::regex(R"(CMD\s+(\[.*\])\s*)"))) {
            d.cmd = exec_form(m[1].str());
        } else {
            const bool known = line.empty() || line[0] == '#' || starts_with(line, "FROM ");
            EXPECT_TRUE(known) << "the test does not reproduce this Dockerfile line: " << line;
        }
    }
    return d;
}

// Amazon Linux's own glibc, seen from the bundle: what LD_LIBRARY_PATH's /lib64 would give it. These decoys
// are real ELF libraries with the right names and the wrong contents: loading one fails the start.
void plant_amazon_linux_decoys(const empty_root& root, const fs::path& decoy_source) {
    fs::create_directories(root.at("/lib64"));
    fs::create_directories(root.at("/usr/lib64"));
    for (const char* name : {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "libstdc++.so.6",
                             "libgcc_s.so.1", "libpython2.7.so.1.0", "libssl.so.3", "libcrypto.so.3"}) {
        fs::copy_file(decoy_source, root.at("/lib64") / name);
        fs::copy_file(decoy_source, root.at("/usr/lib64") / name);
    }
    fs::copy_file(decoy_source, root.at("/lib64") / loader_name);
}

// ---- the tests -----------------------------------------------------------------------------------------------

TEST(Bundle, LayoutOfTheLayerPointsEveryRunPathIntoTheBundle) { check_layout(layer_tree, "/opt"); }

TEST(Bundle, LayoutOfTheFunctionZipPointsEveryRunPathIntoTheBundle) {
    check_layout(function_tree, "/var/task");
    EXPECT_TRUE(fs::exists(function_tree / "lambda_function.py")) << "the function is at the zip's root";
}

TEST(Bundle, LayerServesTheProbeFromAnEmptyRootAtOpt) {
    REQUIRE_EMPTY_ROOTS(t);
    empty_root root;
    root.unzip(zip_of(layer_tree), "/opt");
    copy_tree(probe_dir, root.at("/var/task"));
    const auto s = serve(root, t, {"/opt/bootstrap"}, "lambda_function.lambda_handler");
    check_probe(s.first, "/opt", R"({"probe":"cold"})");
    check_probe(s.second, "/opt", R"({"probe":"warm"})");
    EXPECT_NE(s.report.find("Init Duration"), std::string::npos) << s.report;
}

TEST(Bundle, FunctionZipServesTheProbeFromAnEmptyRootAtVarTask) {
    REQUIRE_EMPTY_ROOTS(t);
    empty_root root;
    root.unzip(zip_of(function_tree), "/var/task");
    const auto s = serve(root, t, {"/var/task/bootstrap"}, "lambda_function.lambda_handler");
    check_probe(s.first, "/var/task", R"({"probe":"cold"})");
    check_probe(s.second, "/var/task", R"({"probe":"warm"})");
}

TEST(Bundle, ContainerImageLayoutServesWithTheHandlerAsCmd) {
    REQUIRE_EMPTY_ROOTS(t);
    empty_root root;
    // `docker build --build-arg LAYER_DIR=... --build-arg FUNCTION_DIR=...` with the test's bundle and probe.
    const auto d = read_dockerfile(source_dir / "examples/container/Dockerfile",
                                   {{"LAYER_DIR", layer_tree.string()}, {"FUNCTION_DIR", probe_dir.string()}});
    ASSERT_EQ(d.copies.size(), 2u);
    for (const auto& [from, to] : d.copies) {
        const fs::path source = fs::path(from).is_absolute() ? fs::path(from) : source_dir / from;
        ASSERT_TRUE(fs::is_directory(source)) << source;
        copy_tree(source, root.at(to));
    }
    ASSERT_EQ(d.entrypoint, std::vector<std::string>{"/opt/bootstrap"}) << "the ENTRYPOINT is the bootstrap itself";
    ASSERT_EQ(d.cmd, std::vector<std::string>{"lambda_function.lambda_handler"});
    std::vector<std::string> argv = d.entrypoint;
    argv.insert(argv.end(), d.cmd.begin(), d.cmd.end());

    // What the base image brings that matters here: its glibc on LD_LIBRARY_PATH, its CA bundle.
    plant_amazon_linux_decoys(root, layer_tree / "lib/libz.so.1");
    if (fs::exists("/etc/ssl/certs/ca-certificates.crt")) {
        fs::create_directories(root.at("/etc/pki/tls/certs"));
        fs::copy_file("/etc/ssl/certs/ca-certificates.crt", root.at("/etc/pki/tls/certs/ca-bundle.crt"));
    }
    const auto s = serve(root, t, argv, /*handler=*/"");  // no _HANDLER: the CMD is the handler
    ASSERT_NO_FATAL_FAILURE(check_probe(s.first, "/opt", R"({"probe":"cold"})"));
    check_probe(s.second, "/opt", R"({"probe":"warm"})");
    const auto o = json::parse(s.first.body).as_object();
    EXPECT_TRUE(o.at("handler_env").is_null()) << "the handler came from argv[1], not _HANDLER";
    if (fs::exists(root.at("/etc/pki/tls/certs/ca-bundle.crt"))) {
        EXPECT_GT(o.at("tls").as_object().at("ca_certs").as_int64(), 100)
            << "ssl.create_default_context() does not find Amazon Linux's CA bundle";
    }
}

// arm64 (Graviton): the cross-built layer (preset aarch64) unpacked into an empty root, its bootstrap run by
// qemu-aarch64-static, a static program copied into the root and invoked directly (no binfmt_misc
// registration), against the emulator running natively outside; the same probe, the same answers.
TEST(Bundle, Arm64LayerServesTheProbeUnderQemuFromAnEmptyRootAtOpt) {
    if (!fs::exists(zip_of(arm64_layer_tree)))
        GTEST_SKIP() << "arm64 test skipped: the arm64 layer " << zip_of(arm64_layer_tree)
                     << " is not built (scripts/build-python.sh --arch aarch64, then cmake --preset aarch64 && "
                        "cmake --build --preset aarch64; scripts/test.sh does both when the arm64 Python is cached)";
    const auto qemu = find_program("qemu-aarch64-static");
    if (!qemu) GTEST_SKIP() << "arm64 test skipped: no qemu-aarch64-static (Debian: apt-get install qemu-user-static)";
    REQUIRE_EMPTY_ROOTS(t);
    const std::string arm_loader = "ld-linux-aarch64.so.1";
    ASSERT_NO_FATAL_FAILURE(check_layout(arm64_layer_tree, "/opt", arm_loader));
    empty_root root;
    root.unzip(zip_of(arm64_layer_tree), "/opt");
    copy_tree(probe_dir, root.at("/var/task"));
    EXPECT_EQ(read_elf(root.at("/opt/bootstrap")).machine, unsigned{EM_AARCH64});
    EXPECT_EQ(read_elf(root.at("/opt/lib/libpython2.7.so.1.0")).machine, unsigned{EM_AARCH64});
    EXPECT_EQ(read_elf(root.at("/opt/python/lib/python2.7/lib-dynload/_ssl.so")).machine, unsigned{EM_AARCH64});
    fs::copy_file(*qemu, root.at("/qemu-aarch64-static"));
    ASSERT_EQ(read_elf(root.at("/qemu-aarch64-static")).interpreter, "") << "qemu must be static: the root has no libc";
    const auto s = serve(root, t, {"/qemu-aarch64-static", "/opt/bootstrap"}, "lambda_function.lambda_handler");
    check_probe(s.first, "/opt", R"({"probe":"cold"})", arm_loader);
    check_probe(s.second, "/opt", R"({"probe":"warm"})", arm_loader);
    EXPECT_NE(s.report.find("Init Duration"), std::string::npos) << s.report;
}

}  // namespace

int main(int argc, char** argv) {
    // The runtime gets this process's environment (plus Lambda's): nothing from the host may leak in.
    for (const char* v : {"PYTHONPATH", "PYTHONHOME", "LAMBDA_PY27_PYTHON_HOME", "LAMBDA_PY27_OPT_ROOT", "LD_PRELOAD",
                          "_HANDLER", "SSL_CERT_FILE", "SSL_CERT_DIR"})
        ::unsetenv(v);
    ::testing::InitGoogleTest(&argc, argv);
    const int status = RUN_ALL_TESTS();
    const auto* unit = ::testing::UnitTest::GetInstance();
    // CTest's SKIP_RETURN_CODE: everything that ran was skipped for a missing prerequisite.
    if (status == 0 && unit->skipped_test_count() > 0 && unit->successful_test_count() == 0 &&
        unit->failed_test_count() == 0)
        return 77;
    return status;
}
