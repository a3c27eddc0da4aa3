// The emulator's invocations in flight and the request ids it remembers. Internal.
#pragma once

#include "emulator_http.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lambda_py27::testing::detail {

/// One invocation, from the invoke request to the caller's answer. Guarded by the emulator's mutex.
struct invocation_state {
    using clock = std::chrono::steady_clock;

    std::string id;
    std::string event;
    std::string trace_id;
    std::string client_context;
    std::string tenant_id;       ///< `X-Amz-Tenant-Id` of the invoke, empty without one
    unsigned generation = 0;     ///< of the runtime process that serves it (child mode)
    clock::time_point received;  ///< when it was admitted (an Event invoke: taken from the queue)
    clock::time_point delivered_at;
    clock::time_point deadline;  ///< `received` + the function timeout: the runtime's init counts against it
    bool delivered = false;
    bool answered = false;   ///< a response, an error or a stream was accepted from the runtime
    bool finalized = false;  ///< the caller's answer is decided: the runtime's late bytes are dropped

    // A buffered answer.
    bool complete = false;
    std::string body;
    std::string content_type = "application/json";
    std::string function_error;

    // A streamed answer.
    bool streaming = false;
    std::string pending;  ///< bytes not yet written to the caller
    std::uint64_t streamed = 0;
    bool stream_done = false;
    bool caller_gone = false;
    std::string stream_error_type;
    std::string stream_error_body;  ///< base64, as the runtime sent it
};

/// Invocations accepted and not yet answered to their caller, oldest first, and the ids answered or expired
/// (the last few thousand), to tell 403 (answered) from 400 (unknown). Every member expects the emulator's
/// mutex held.
class invocation_table {
public:
    std::size_t size() const { return active_.size(); }

    /// Accepts an invocation with a new request id, `trace_id` (a new one when empty), the time now and its
    /// deadline `timeout` from now; `tenant_id` (tenant isolation mode) reaches the runtime.
    std::shared_ptr<invocation_state> add(std::string event, std::string_view trace_id, std::string client_context,
                                          std::chrono::milliseconds timeout, std::string tenant_id = {});
    /// An invocation with a new request id and `trace_id` (a new one when empty), not yet in flight (a queued
    /// Event invoke): `admit` it when it may run.
    std::shared_ptr<invocation_state> create(std::string event, std::string_view trace_id, std::string client_context,
                                             std::string tenant_id = {});
    /// Puts `inv` in flight as of now, its deadline `timeout` from now.
    void admit(const std::shared_ptr<invocation_state>& inv, std::chrono::milliseconds timeout);
    /// The oldest invocation not yet delivered to a runtime, or null.
    std::shared_ptr<invocation_state> next_undelivered() const;
    /// The invocation a runtime may answer as `id`, or null and `refusal` set.
    std::shared_ptr<invocation_state> answerable(const std::string& id, error_answer& refusal) const;
    /// Records that `id` was answered by the runtime.
    void mark_answered(const std::string& id);
    /// The caller's answer is decided: `inv` leaves the table, its id is remembered as answered or expired.
    void finish(invocation_state& inv);
    void clear() { active_.clear(); }

    /// A random UUID (request ids, extension ids).
    std::string new_request_id();

private:
    enum class id_status { pending, answered, expired };

    std::string new_trace_id();
    void remember(const std::string& id, id_status s);

    std::vector<std::shared_ptr<invocation_state>> active_;
    std::unordered_map<std::string, id_status> ids_;
    std::deque<std::string> id_order_;
    std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace lambda_py27::testing::detail
