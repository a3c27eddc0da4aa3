// wakeup_bench: what a hand-over between two tasks costs on this machine, by where they run.
//
// Two tasks pass one byte back and forth over two pipes (each side blocks in read(), as a runtime blocks
// on the Runtime API's socket); the figure is the time of one round trip. Each kind of pair (two threads
// of one process, two processes) is measured three ways: both tasks on one CPU, each on its own CPU, and
// placed by the scheduler. It is why python_bench pins its whole run to one CPU: on a small VM a wake-up
// that crosses to another vCPU costs several times one that stays, and the scheduler's choice between the
// two changes from run to run.
//
//   wakeup_bench [--trips N] [--rounds R]      (best and median of R rounds of N round trips each)
#include <pthread.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die(const char* what) {
    std::perror(what);
    std::exit(1);
}

// The CPUs this process may run on.
std::vector<int> allowed_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) != 0) die("sched_getaffinity");
    std::vector<int> cpus;
    for (int c = 0; c < CPU_SETSIZE; ++c)
        if (CPU_ISSET(c, &set)) cpus.push_back(c);
    return cpus;
}

// Pins the calling thread to `cpu`, or lets it run anywhere in `all` when cpu < 0.
void place(int cpu, const std::vector<int>& all) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (cpu >= 0) {
        CPU_SET(cpu, &set);
    } else {
        for (int c : all) CPU_SET(c, &set);
    }
    if (::sched_setaffinity(0, sizeof set, &set) != 0) die("sched_setaffinity");
}

struct pipes {
    int there[2];
    int back[2];
    pipes() {
        if (::pipe(there) != 0 || ::pipe(back) != 0) die("pipe");
    }
    ~pipes() {
        for (int fd : {there[0], there[1], back[0], back[1]}) ::close(fd);
    }
    pipes(const pipes&) = delete;
    pipes& operator=(const pipes&) = delete;
};

void echo(const pipes& p, long trips) {
    char c;
    for (long i = 0; i < trips; ++i)
        if (::read(p.there[0], &c, 1) != 1 || ::write(p.back[1], &c, 1) != 1) die("echo");
}

// Microseconds per round trip, seen from the driving side.
double drive(const pipes& p, long trips) {
    char c = 'x';
    const auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < trips; ++i)
        if (::write(p.there[1], &c, 1) != 1 || ::read(p.back[0], &c, 1) != 1) die("drive");
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() /
           static_cast<double>(trips);
}

struct thread_args {
    const pipes* p;
    long trips;
    int cpu;
    const std::vector<int>* all;
};

void* thread_main(void* a) {
    const auto* t = static_cast<thread_args*>(a);
    place(t->cpu, *t->all);
    echo(*t->p, t->trips);
    return nullptr;
}

// One round: the driver on `driver_cpu`, the echoing side (a thread or a process) on `echo_cpu`.
double round_trip(bool processes, int driver_cpu, int echo_cpu, long trips, const std::vector<int>& all) {
    pipes p;
    place(driver_cpu, all);
    double us;
    if (processes) {
        const pid_t pid = ::fork();
        if (pid < 0) die("fork");
        if (pid == 0) {
            place(echo_cpu, all);
            echo(p, trips);
            ::_exit(0);
        }
        us = drive(p, trips);
        int status = 0;
        ::waitpid(pid, &status, 0);
    } else {
        thread_args args{&p, trips, echo_cpu, &all};
        pthread_t t;
        if (::pthread_create(&t, nullptr, thread_main, &args) != 0) die("pthread_create");
        us = drive(p, trips);
        ::pthread_join(t, nullptr);
    }
    place(-1, all);
    return us;
}

}  // namespace

int main(int argc, char** argv) {
    long trips = 50000;
    int rounds = 5;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if ((a == "--trips" || a == "--rounds") && i + 1 < argc) {
            const long v = std::max(1L, std::strtol(argv[++i], nullptr, 10));
            if (a == "--trips")
                trips = v;
            else
                rounds = static_cast<int>(v);
        } else {
            std::fprintf(stderr, "usage: %s [--trips N] [--rounds R]\n", argv[0]);
            return 2;
        }
    }
    const std::vector<int> all = allowed_cpus();
    if (all.empty()) die("no CPU");
    const int a = all.back();
    const int b = all.size() > 1 ? all[all.size() - 2] : -2;

    struct way {
        const char* name;
        int driver, echo;
    };
    std::vector<way> ways = {{"one CPU", a, a}};
    if (b != -2) ways.push_back({"two CPUs", a, b});
    ways.push_back({"scheduler's choice", -1, -1});

    std::printf("wakeup_bench: %zu CPUs allowed, %ld round trips per round, %d rounds (interleaved)\n", all.size(),
                trips, rounds);
    std::printf("%-10s %-20s %14s %14s %12s\n", "pair", "placement", "best µs/trip", "median µs/trip", "× one CPU");
    for (bool processes : {false, true}) {
        std::vector<std::vector<double>> got(ways.size());
        for (int r = 0; r < rounds; ++r)
            for (std::size_t w = 0; w < ways.size(); ++w)
                got[w].push_back(round_trip(processes, ways[w].driver, ways[w].echo, trips, all));
        double one_cpu_best = 0;
        for (std::size_t w = 0; w < ways.size(); ++w) {
            std::sort(got[w].begin(), got[w].end());
            const double best = got[w].front(), med = got[w][got[w].size() / 2];
            if (w == 0) one_cpu_best = best;
            std::printf("%-10s %-20s %14.2f %14.2f %11.2fx\n", processes ? "processes" : "threads", ways[w].name, best,
                        med, best / one_cpu_best);
        }
    }
    return 0;
}
