#include "invocation_table.hpp"

#include "testing/text.hpp"

#include <algorithm>
#include <utility>

namespace lambda_py27::testing::detail {

namespace {

// Answered and expired ids remembered, to tell 403 (answered) from 400 (unknown).
constexpr std::size_t remembered_ids = 4096;

}  // namespace

std::shared_ptr<invocation_state> invocation_table::add(std::string event, std::string_view trace_id,
                                                        std::string client_context, std::chrono::milliseconds timeout,
                                                        std::string tenant_id) {
    auto inv = create(std::move(event), trace_id, std::move(client_context), std::move(tenant_id));
    admit(inv, timeout);
    return inv;
}

std::shared_ptr<invocation_state> invocation_table::create(std::string event, std::string_view trace_id,
                                                           std::string client_context, std::string tenant_id) {
    auto inv = std::make_shared<invocation_state>();
    inv->id = new_request_id();
    inv->event = std::move(event);
    inv->trace_id = trace_id.empty() ? new_trace_id() : std::string(trace_id);
    inv->client_context = std::move(client_context);
    inv->tenant_id = std::move(tenant_id);
    remember(inv->id, id_status::pending);
    return inv;
}

void invocation_table::admit(const std::shared_ptr<invocation_state>& inv, std::chrono::milliseconds timeout) {
    inv->received = invocation_state::clock::now();
    inv->deadline = inv->received + timeout;
    active_.push_back(inv);
}

std::shared_ptr<invocation_state> invocation_table::next_undelivered() const {
    const auto it =
        std::find_if(active_.begin(), active_.end(), [](const auto& a) { return !a->delivered && !a->finalized; });
    return it == active_.end() ? nullptr : *it;
}

std::shared_ptr<invocation_state> invocation_table::answerable(const std::string& id, error_answer& refusal) const {
    const auto it = ids_.find(id);
    if (it != ids_.end() && it->second == id_status::answered) {
        refusal = {403, "InvalidStateTransition", "Invocation " + id + " was already answered"};
        return nullptr;
    }
    if (it != ids_.end() && it->second == id_status::pending) {
        const auto a = std::find_if(active_.begin(), active_.end(), [&](const auto& x) { return x->id == id; });
        if (a != active_.end() && (*a)->delivered && !(*a)->finalized && !(*a)->answered) return *a;
    }
    refusal = {400, "InvalidRequestID",
               it == ids_.end() ? "Invalid request ID: " + id
                                : "Invocation " + id + " is not awaiting an answer (timed out or not delivered)"};
    return nullptr;
}

void invocation_table::mark_answered(const std::string& id) { remember(id, id_status::answered); }

void invocation_table::finish(invocation_state& inv) {
    inv.finalized = true;
    remember(inv.id, inv.answered ? id_status::answered : id_status::expired);
    active_.erase(std::remove_if(active_.begin(), active_.end(), [&](const auto& a) { return a.get() == &inv; }),
                  active_.end());
}

std::string invocation_table::new_request_id() { return format_uuid(rng_(), rng_()); }

std::string invocation_table::new_trace_id() {
    const auto secs =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    return format_trace_id(static_cast<std::uint64_t>(secs), rng_(), rng_(), rng_());
}

void invocation_table::remember(const std::string& id, id_status s) {
    auto [it, inserted] = ids_.insert_or_assign(id, s);
    (void)it;
    if (!inserted) return;
    id_order_.push_back(id);
    while (id_order_.size() > remembered_ids) {
        ids_.erase(id_order_.front());
        id_order_.pop_front();
    }
}

}  // namespace lambda_py27::testing::detail
