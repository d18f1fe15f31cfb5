// Fuzz target: the SMTP TLS report parser (src/report/tlsrpt_parser.cpp), from bytes and from a
// stream, and the content hash of what it accepts. TLS reports come from any sender on the
// internet (RFC 8460 §5: mail or HTTPS POST to the rua= a domain publishes).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/limits.hpp"
#include "report/tlsrpt_parser.hpp"

using namespace dmarcsight;

namespace {
void check_invariants(const report::tls_report& r) {
    // What is accepted is within the caps, whatever the input said.
    if (r.organization_name.empty() || r.report_id.empty()) std::abort();
    if (r.end < r.begin) std::abort();
    if (r.policies.size() > limits::max_tlsrpt_policies) std::abort();
    for (const auto& p : r.policies) {
        if (p.total_successful_session_count < 0 || p.total_failure_session_count < 0) std::abort();
        if (static_cast<std::uint64_t>(p.total_successful_session_count) > limits::max_tlsrpt_sessions) std::abort();
        if (p.mx_host.size() > limits::max_tlsrpt_mx_hosts || p.policy_string.size() > limits::max_tlsrpt_policy_strings)
            std::abort();
        if (p.policy_domain.size() > limits::max_domain_length) std::abort();
        if (p.failure_details.size() > limits::max_tlsrpt_failure_details) std::abort();
        for (const auto& f : p.failure_details) {
            if (f.failed_session_count < 0 || f.result_type.empty()) std::abort();
            if (f.failure_reason_code.size() > limits::max_tlsrpt_text) std::abort();
            if (f.receiving_mx_hostname.find('\0') != std::string::npos) std::abort();
        }
    }
    (void)report::tls_content_hash(r);
    (void)report::tls_report_key::of(r);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto a = report::parse_tlsrpt(text);
    if (a) check_invariants(*a);
    memory_source in(text);
    auto b = report::parse_tlsrpt(in);
    // Bytes and stream give the same answer.
    if (a.ok() != b.ok()) std::abort();
    if (a && report::tls_content_hash(*a) != report::tls_content_hash(*b)) std::abort();
    return 0;
}
