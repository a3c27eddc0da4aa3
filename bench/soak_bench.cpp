// soak_bench: a long run of the real bootstrap against a minimal in-process Runtime API that checks every
// answer. Prints counts and figures; exits non-zero when an invocation was lost or answered twice, an
// answer was wrong, the runtime's resident memory grew too much, or the runtime did not exit as told.
//
//   soak_bench [--invocations N] [--bootstrap PATH] [--task-root DIR] [--max-rss-growth-kib K]
//              [--large-bytes B] [-- RUNTIME_CMD [ARGS...]]
//
// N (default 1,000,000) invocations of test/data/reliability/soak.py's handler, a fixed mix by sequence
// number: 70% "ok" (answers [n, "ok"]), 15% "error" (raises ValueError: posted to /error), 10% "log" (a
// logging record and a print, answers n), 5% "large" (a 16 KiB event, answers a B-byte string, default
// 64 KiB). Every event has its own request id and trace id. The server counts the answers per id and
// checks each one's path and body; the runtime's output is read through a pipe and its records counted.
// Resident memory (VmRSS) of the runtime is read when it asks for event N/10 + 1 and for event N + 1, both
// times while it is idle in /next; their difference must stay under K KiB (default 2048; 0: not checked).
// Event N + 1 is answered 500: the runtime must then exit with status 3.
//
// RUNTIME_CMD replaces the default command (`<bootstrap> soak.handler`), e.g. to run the bootstrap under
// valgrind (scripts/valgrind.sh); the memory figures are then those of the wrapper's process.
// Defaults: the bootstrap next to this executable; the task root <this executable>/../../../test/data/reliability.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;  // NOLINT: POSIX

namespace {

using clock_type = std::chrono::steady_clock;

enum class kind { ok, error, log, large };

kind kind_of(std::uint64_t n) {
    const auto r = n % 20;
    if (r < 14) return kind::ok;
    if (r < 17) return kind::error;
    if (r < 19) return kind::log;
    return kind::large;
}

const char* name_of(kind k) {
    switch (k) {
        case kind::ok: return "ok";
        case kind::error: return "error";
        case kind::log: return "log";
        default: return "large";
    }
}

[[noreturn]] void die(const char* what) {
    std::perror(what);
    std::exit(2);
}

bool send_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

long status_kib(pid_t pid, const char* key) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    const std::size_t len = std::strlen(key);
    while (std::getline(in, line))
        if (line.compare(0, len, key) == 0) return std::strtol(line.c_str() + len, nullptr, 10);
    return -1;
}

std::string exe_dir() {
    char buf[4096];
    const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return ".";
    std::string p(buf, static_cast<std::size_t>(n));
    return p.substr(0, p.rfind('/'));
}

struct options {
    std::uint64_t invocations = 1000000;
    std::string bootstrap;
    std::string task_root;
    long max_rss_growth_kib = 2048;
    std::size_t large_bytes = 64 * 1024;
    std::vector<std::string> command;
};

// ---- the Runtime API ------------------------------------------------------------------------------

struct figures {
    std::uint64_t handed_out = 0;
    std::uint64_t posts = 0;
    std::uint64_t wrong = 0;  // an answer on the wrong path, with the wrong body, or for an unknown id
    std::uint64_t connections = 0;
    std::uint64_t kinds_answered[4] = {0, 0, 0, 0};
    long rss_at_10_kib = -1, rss_end_kib = -1, hwm_end_kib = -1;
    std::uint64_t rss_at_10_after = 0;  // invocations answered when the first reading was taken
    bool finished = false;              // event N + 1 was asked for (and answered 500)
    std::string first_wrong;
};

class server {
public:
    server(const options& o, std::vector<std::uint8_t>& answers, std::vector<std::uint32_t>& latency_us)
        : o_(o), answers_(answers), latency_us_(latency_us) {
        listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (listen_fd_ < 0) die("socket");
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("bind");
        if (::listen(listen_fd_, 8) != 0) die("listen");
        socklen_t len = sizeof addr;
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        large_event_padding_.assign(16 * 1024, 'p');
    }
    ~server() { ::close(listen_fd_); }

    std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }
    void set_runtime(pid_t pid) { runtime_pid_ = pid; }
    void stop() {
        stopping_ = true;
        ::shutdown(listen_fd_, SHUT_RDWR);
        const int fd = conn_fd_.load();
        if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    }
    const figures& result() const { return f_; }

    void serve() {
        std::vector<char> buf(1 << 20);
        while (!stopping_ && !f_.finished) {
            const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EINTR) continue;
                return;
            }
            int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            ++f_.connections;
            conn_fd_ = fd;
            serve_connection(fd, buf);
            conn_fd_ = -1;
            ::close(fd);
        }
    }

private:
    static std::string id_of(std::uint64_t n) {
        char id[64];
        std::snprintf(id, sizeof id, "50a4b000-0000-4000-8000-%012" PRIu64, n);
        return id;
    }

    void wrong(const std::string& what) {
        if (f_.wrong++ == 0) f_.first_wrong = what.substr(0, 300);
    }

    std::string event_answer(std::uint64_t n) {
        const kind k = kind_of(n);
        std::string body = "{\"kind\": \"";
        body += name_of(k);
        body += "\", \"n\": " + std::to_string(n);
        if (k == kind::large)
            body += ", \"size\": " + std::to_string(o_.large_bytes) + ", \"pad\": \"" + large_event_padding_ + "\"";
        body += "}";
        const auto deadline =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count() +
            300000;
        char trace[96];
        std::snprintf(trace, sizeof trace, "Root=1-5bef4de7-%024" PRIu64 ";Parent=9a9197af755a6419;Sampled=1", n);
        std::string head =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: " + id_of(n) +
            "\r\nLambda-Runtime-Deadline-Ms: " + std::to_string(deadline) +
            "\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:012345678912:function:soak"
            "\r\nLambda-Runtime-Trace-Id: " +
            trace + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
        return head + body;
    }

    // Checks one answer: path (response or error), body.
    void record_answer(std::string_view target, std::string_view body) {
        constexpr std::string_view prefix = "/2018-06-01/runtime/invocation/";
        if (target.substr(0, prefix.size()) != prefix) return wrong("unexpected path " + std::string(target));
        auto rest = target.substr(prefix.size());
        const auto slash = rest.find('/');
        if (slash == std::string_view::npos) return wrong("unexpected path " + std::string(target));
        const auto id = rest.substr(0, slash);
        const auto what = rest.substr(slash);
        constexpr std::string_view id_prefix = "50a4b000-0000-4000-8000-";
        if (id.size() != id_prefix.size() + 12 || id.substr(0, id_prefix.size()) != id_prefix)
            return wrong("unknown id " + std::string(id));
        const std::uint64_t n = std::strtoull(std::string(id.substr(id_prefix.size())).c_str(), nullptr, 10);
        if (n == 0 || n > f_.handed_out) return wrong("id never handed out " + std::string(id));
        if (answers_[n] < 255) ++answers_[n];
        const auto now = clock_type::now();
        if (n == f_.handed_out)
            latency_us_[n] = static_cast<std::uint32_t>(
                std::chrono::duration_cast<std::chrono::microseconds>(now - handed_at_).count());
        const kind k = kind_of(n);
        ++f_.kinds_answered[static_cast<int>(k)];
        const bool is_error = what == "/error";
        if (!is_error && what != "/response") return wrong("unexpected path " + std::string(target));
        if (is_error != (k == kind::error)) return wrong(std::string(name_of(k)) + " answered on " + std::string(what));
        switch (k) {
            case kind::ok:
                if (body != "[" + std::to_string(n) + ", \"ok\"]") wrong("ok body " + std::string(body));
                break;
            case kind::error:
                if (body.find("\"errorMessage\": \"soak error " + std::to_string(n) + "\"") == std::string_view::npos ||
                    body.find("\"errorType\": \"ValueError\"") == std::string_view::npos)
                    wrong("error body " + std::string(body));
                break;
            case kind::log:
                if (body != std::to_string(n)) wrong("log body " + std::string(body));
                break;
            case kind::large:
                if (body.size() != o_.large_bytes + 2 || body.front() != '"' || body[1] != 'L' ||
                    body[body.size() - 2] != 'L')
                    wrong("large body of " + std::to_string(body.size()) + " bytes");
                break;
        }
    }

    void serve_connection(int fd, std::vector<char>& buf) {
        std::size_t have = 0;
        const std::string accepted =
            "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: "
            "16\r\n\r\n{\"status\":\"OK\"}\n";
        const std::string done_body = R"({"errorType":"Soak.Done","errorMessage":"the soak is over"})";
        const std::string done =
            "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: " +
            std::to_string(done_body.size()) + "\r\n\r\n" + done_body;
        const std::string not_found = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        for (;;) {
            // One complete request (Content-Length bodies only: what runtime_client sends).
            std::size_t head_end = std::string_view::npos, total = 0;
            for (;;) {
                const std::string_view v(buf.data(), have);
                head_end = v.find("\r\n\r\n");
                if (head_end != std::string_view::npos) {
                    std::size_t length = 0;
                    for (std::size_t at = v.find("\r\n"); at < head_end; at = v.find("\r\n", at + 2)) {
                        if (v.size() > at + 17 && ::strncasecmp(v.data() + at + 2, "content-length:", 15) == 0) {
                            length = std::strtoul(v.data() + at + 17, nullptr, 10);
                            break;
                        }
                    }
                    total = head_end + 4 + length;
                    if (total <= have) break;
                    if (total > buf.size()) buf.resize(total);
                }
                if (have == buf.size()) buf.resize(buf.size() * 2);
                const ssize_t n = ::recv(fd, buf.data() + have, buf.size() - have, 0);
                if (n <= 0) {
                    if (n < 0 && errno == EINTR) continue;
                    return;  // the runtime closed the connection (or died)
                }
                have += static_cast<std::size_t>(n);
            }
            const std::string_view head(buf.data(), head_end);
            const auto sp1 = head.find(' ');
            const auto sp2 = head.find(' ', sp1 + 1);
            const std::string_view method = head.substr(0, sp1);
            const std::string_view target = head.substr(sp1 + 1, sp2 - sp1 - 1);
            const std::string_view body(buf.data() + head_end + 4, total - head_end - 4);
            bool ok = true;
            if (method == "GET" && target == "/2018-06-01/runtime/invocation/next") {
                const std::uint64_t answered = f_.handed_out;  // the previous one was answered before this GET
                if (answered == std::max<std::uint64_t>(1, o_.invocations / 10)) {
                    f_.rss_at_10_kib = status_kib(runtime_pid_, "VmRSS:");
                    f_.rss_at_10_after = answered;
                }
                if (f_.handed_out >= o_.invocations) {
                    f_.rss_end_kib = status_kib(runtime_pid_, "VmRSS:");
                    f_.hwm_end_kib = status_kib(runtime_pid_, "VmHWM:");
                    f_.finished = true;
                    send_all(fd, done);
                    return;
                }
                ++f_.handed_out;
                const std::string ev = event_answer(f_.handed_out);
                handed_at_ = clock_type::now();
                ok = send_all(fd, ev);
            } else if (method == "POST") {
                ++f_.posts;
                record_answer(target, body);
                ok = send_all(fd, accepted);
            } else {
                wrong("unexpected request " + std::string(head.substr(0, 200)));
                ok = send_all(fd, not_found);
            }
            std::memmove(buf.data(), buf.data() + total, have - total);
            have -= total;
            if (!ok) return;
        }
    }

    const options& o_;
    std::vector<std::uint8_t>& answers_;
    std::vector<std::uint32_t>& latency_us_;
    int listen_fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<int> conn_fd_{-1};
    std::atomic<bool> stopping_{false};
    pid_t runtime_pid_ = -1;
    clock_type::time_point handed_at_{};
    std::string large_event_padding_;
    figures f_;
};

// ---- the runtime's output ---------------------------------------------------------------------------

struct output_counts {
    std::uint64_t bytes = 0;
    std::uint64_t log_records = 0;    // "[WARNING]\t...\tsoak-log N"
    std::uint64_t prints = 0;         // "soak-print N"
    std::uint64_t error_records = 0;  // "soak error N: ValueError"
    std::string tail;                 // the last lines, for diagnostics
};

void read_output(int fd, output_counts& c) {
    std::vector<char> buf(1 << 16);
    std::string line;
    for (;;) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        c.bytes += static_cast<std::uint64_t>(n);
        for (ssize_t i = 0; i < n; ++i) {
            const char ch = buf[static_cast<std::size_t>(i)];
            if (ch != '\n') {
                if (line.size() < 4096) line.push_back(ch);
                continue;
            }
            if (line.find("\tsoak-log ") != std::string::npos && line.compare(0, 10, "[WARNING]\t") == 0)
                ++c.log_records;
            else if (line.compare(0, 11, "soak-print ") == 0)
                ++c.prints;
            else if (line.compare(0, 11, "soak error ") == 0 && line.find(": ValueError") != std::string::npos)
                ++c.error_records;
            else if (line.compare(0, 9, "Traceback") != 0 && line.compare(0, 2, "  ") != 0 &&
                     line.compare(0, 11, "ValueError:") != 0) {
                c.tail += line + "\n";
                if (c.tail.size() > 4000) c.tail.erase(0, c.tail.size() - 2000);
            }
            line.clear();
        }
    }
}

int usage() {
    std::fprintf(stderr,
                 "usage: soak_bench [--invocations N] [--bootstrap PATH] [--task-root DIR] [--max-rss-growth-kib K]\n"
                 "                  [--large-bytes B] [-- RUNTIME_CMD [ARGS...]]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc) std::exit(usage());
            return argv[++i];
        };
        if (a == "--invocations")
            o.invocations = std::strtoull(value().c_str(), nullptr, 10);
        else if (a == "--bootstrap")
            o.bootstrap = value();
        else if (a == "--task-root")
            o.task_root = value();
        else if (a == "--max-rss-growth-kib")
            o.max_rss_growth_kib = std::strtol(value().c_str(), nullptr, 10);
        else if (a == "--large-bytes")
            o.large_bytes = std::strtoull(value().c_str(), nullptr, 10);
        else if (a == "--") {
            for (++i; i < argc; ++i) o.command.emplace_back(argv[i]);
        } else
            return usage();
    }
    if (o.invocations == 0 || o.large_bytes == 0 || o.large_bytes > 4 * 1024 * 1024) return usage();
    const std::string here = exe_dir();
    if (o.bootstrap.empty()) o.bootstrap = here + "/lambda-py27-bootstrap";
    if (o.task_root.empty()) o.task_root = here + "/../../../test/data/reliability";
    if (o.command.empty()) o.command = {o.bootstrap, "soak.handler"};
    if (o.command.front().find('/') != std::string::npos && ::access(o.command.front().c_str(), X_OK) != 0) {
        std::fprintf(stderr, "soak_bench: cannot run %s (build it, or pass --bootstrap)\n", o.command.front().c_str());
        return 2;
    }
    ::signal(SIGPIPE, SIG_IGN);

    std::vector<std::uint8_t> answers(o.invocations + 1, 0);
    std::vector<std::uint32_t> latency_us(o.invocations + 1, 0);
    server api(o, answers, latency_us);

    // The runtime: argv only (no shell), the platform's variables on top of ours, output into a pipe.
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string_view entry(*e);
        if (entry.rfind("AWS_LAMBDA_RUNTIME_API=", 0) == 0 || entry.rfind("_HANDLER=", 0) == 0 ||
            entry.rfind("LAMBDA_TASK_ROOT=", 0) == 0)
            continue;
        env_strings.emplace_back(entry);
    }
    env_strings.push_back("AWS_LAMBDA_RUNTIME_API=" + api.endpoint());
    env_strings.push_back("_HANDLER=soak.handler");
    env_strings.push_back("LAMBDA_TASK_ROOT=" + o.task_root);
    env_strings.push_back("AWS_LAMBDA_FUNCTION_NAME=soak");
    env_strings.push_back("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1024");
    env_strings.push_back("PYTHONDONTWRITEBYTECODE=1");
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<char*> args;
    for (auto& s : o.command) args.push_back(s.data());
    args.push_back(nullptr);

    int out_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) die("pipe");
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    ::posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 2);
    ::posix_spawn_file_actions_addchdir_np(&actions, o.task_root.c_str());
    pid_t pid = -1;
    const auto start = clock_type::now();
    const int rc = ::posix_spawnp(&pid, args.front(), &actions, nullptr, args.data(), envp.data());
    ::posix_spawn_file_actions_destroy(&actions);
    ::close(out_pipe[1]);
    if (rc != 0) {
        errno = rc;
        die("posix_spawn");
    }
    api.set_runtime(pid);

    output_counts out;
    std::thread reader([&] { read_output(out_pipe[0], out); });
    std::thread serving([&] { api.serve(); });

    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const auto end = clock_type::now();
    api.stop();  // the runtime is gone: nothing more will come
    serving.join();
    reader.join();
    ::close(out_pipe[0]);

    const figures& f = api.result();
    std::uint64_t lost = 0, duplicated = 0;
    std::uint64_t expected[4] = {0, 0, 0, 0};
    for (std::uint64_t n = 1; n <= o.invocations; ++n) {
        ++expected[static_cast<int>(kind_of(n))];
        if (answers[n] == 0) ++lost;
        if (answers[n] > 1) ++duplicated;
    }
    std::vector<std::uint32_t> lat(latency_us.begin() + 1,
                                   latency_us.begin() + 1 + static_cast<std::ptrdiff_t>(f.handed_out));
    std::sort(lat.begin(), lat.end());
    const auto pct = [&](double p) -> double {
        if (lat.empty()) return 0;
        return lat[std::min(lat.size() - 1, static_cast<std::size_t>(p * static_cast<double>(lat.size())))] / 1000.0;
    };
    const double seconds = std::chrono::duration<double>(end - start).count();
    const bool exited_as_told = WIFEXITED(status) && WEXITSTATUS(status) == 3;
    const long growth = (f.rss_end_kib >= 0 && f.rss_at_10_kib >= 0) ? f.rss_end_kib - f.rss_at_10_kib : -1;
    const bool rss_ok = o.max_rss_growth_kib <= 0 || (growth >= 0 && growth < o.max_rss_growth_kib);

    std::printf("soak_bench: %s\n", o.command.front().c_str());
    std::printf("  invocations        %" PRIu64 " asked, %" PRIu64 " handed out in %.1f s (%.0f/s)\n", o.invocations,
                f.handed_out, seconds, seconds > 0 ? static_cast<double>(f.handed_out) / seconds : 0.0);
    std::printf("  mix                ok %" PRIu64 ", error %" PRIu64 ", log %" PRIu64 ", large %" PRIu64
                " (%zu-byte results)\n",
                expected[0], expected[1], expected[2], expected[3], o.large_bytes);
    std::printf("  answers            %" PRIu64 " posts on %" PRIu64 " connection(s): ok %" PRIu64 ", error %" PRIu64
                ", log %" PRIu64 ", large %" PRIu64 "\n",
                f.posts, f.connections, f.kinds_answered[0], f.kinds_answered[1], f.kinds_answered[2],
                f.kinds_answered[3]);
    std::printf("  lost               %" PRIu64 "\n", lost);
    std::printf("  duplicated         %" PRIu64 "\n", duplicated);
    std::printf("  wrong answers      %" PRIu64 "%s%s\n", f.wrong, f.wrong ? ": first: " : "", f.first_wrong.c_str());
    std::printf("  latency (ms)       p50 %.3f, p99 %.3f, p99.9 %.3f, max %.3f\n", pct(0.5), pct(0.99), pct(0.999),
                lat.empty() ? 0.0 : lat.back() / 1000.0);
    std::printf("  output             %" PRIu64 " bytes: %" PRIu64 " log records (expected %" PRIu64 "), %" PRIu64
                " prints (expected %" PRIu64 "), %" PRIu64 " error reports (expected %" PRIu64 ")\n",
                out.bytes, out.log_records, expected[2], out.prints, expected[2], out.error_records, expected[1]);
    std::printf("  VmRSS (KiB)        %ld after %" PRIu64 " invocations, %ld at the end: growth %ld (limit %ld)\n",
                f.rss_at_10_kib, f.rss_at_10_after, f.rss_end_kib, growth, o.max_rss_growth_kib);
    std::printf("  VmHWM (KiB)        %ld\n", f.hwm_end_kib);
    if (WIFEXITED(status))
        std::printf("  runtime exit       status %d (expected 3, after the final 500)\n", WEXITSTATUS(status));
    else
        std::printf("  runtime exit       signal %d (expected status 3)\n", WTERMSIG(status));

    const bool output_ok =
        out.log_records == expected[2] && out.prints == expected[2] && out.error_records == expected[1];
    const bool ok = f.finished && lost == 0 && duplicated == 0 && f.wrong == 0 && exited_as_told && rss_ok && output_ok;
    if (!ok && !out.tail.empty()) std::printf("  runtime output (last lines):\n%s", out.tail.c_str());
    std::printf("%s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
