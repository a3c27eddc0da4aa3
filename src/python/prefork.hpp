// Concurrency for Lambda Managed Instances: a pre-forked pool of interpreter processes.
#pragma once

#include <lambda_py27/runtime/runtime_client.hpp>

#include <chrono>
#include <functional>

namespace lambda_py27::python::detail {

/// Largest pool: more processes than this are not started whatever the platform asks.
inline constexpr unsigned max_pool_processes = 256;

/// The number of processes to serve with: `AWS_LAMBDA_MAX_CONCURRENCY` when it is a whole number above 1
/// (capped at `max_pool_processes`), else 1 (unset, empty, 0, 1 or not a number).
unsigned requested_processes() noexcept;

/// Serves with a pool of `processes` processes sharing the loaded handler copy-on-write. Called with the
/// GIL held, the interpreter up and the handler resolved, before any `/next`.
///
/// Forks `processes - 1` workers when no other thread runs (a thread would not survive the fork: with one
/// alive, one process serves, as without the setting, and a line says why). Each worker: dies with the
/// parent (`PR_SET_PDEATHSIG`), calls `PyOS_AfterFork`, reseeds `random`, makes its own client from
/// `AWS_LAMBDA_RUNTIME_API` and runs `serve` on it; it ends the process with `serve`'s status. The parent
/// runs `serve(parent_client)` too, forwards SIGTERM to the workers (then lets the SIGTERM disposition it
/// had act: a handler is called; the default waits up to 2 s for the workers and ends the parent), and
/// watches them: when one ends while the parent serves, it is reported, the other workers are killed and
/// the parent ends the same way (the same exit status, or the same signal), so that the platform answers
/// the invocations in flight and starts a fresh runtime. When the parent's own loop ends, the workers are
/// killed (after a SIGTERM: once they ended, 2 s at most) and its status returned.
///
/// `hooks` run where threads may start again: `in_worker` in each worker right after its fork renewals
/// (before it serves), `in_parent` in the parent after the last fork and before it installs its SIGTERM
/// forwarding (so a SIGTERM handler installed there is the disposition that acts after forwarding). With
/// one process serving (no fork), `in_parent` runs all the same.
struct pool_hooks {
    std::function<void()> in_parent;
    std::function<void()> in_worker;
};
int serve_preforked(unsigned processes, api_client& parent_client, const std::function<int(api_client&)>& serve,
                    const pool_hooks& hooks = {});

/// In the parent of a pool: waits until every worker has ended, or `limit` has passed. False: some still run.
bool wait_for_pool_workers(std::chrono::milliseconds limit);

}  // namespace lambda_py27::python::detail
