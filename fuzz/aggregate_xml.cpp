// Fuzz target: the streaming aggregate-report parser (encoding sniffing, XML reader, schema walk).
// Reads the input in small, size-varying chunks so buffer refills land everywhere.
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "core/limits.hpp"
#include "core/text.hpp"
#include "report/aggregate_parser.hpp"

namespace {

struct chunked_source final : dmarcsight::byte_source {
    const std::uint8_t* data;
    std::size_t size, pos = 0, step = 1;
    chunked_source(const std::uint8_t* d, std::size_t n) : data(d), size(n) {}
    dmarcsight::result<std::size_t> read(char* buf, std::size_t n) override {
        std::size_t k = std::min({n, size - pos, step});
        step = step * 7 % 1031 + 1;  // 1, 8, 57, 400, ... varied chunk sizes
        std::memcpy(buf, data + pos, k);
        pos += k;
        return k;
    }
};

namespace limits = dmarcsight::limits;

// Stored text: valid UTF-8 (so no cut split a character), no C0 control other than TAB/LF/CR
// (CDATA included), within its cap. DEL and C1 are XML characters, stored as sent.
void check_text(std::string_view s, std::size_t cap) {
    if (s.size() > cap || !dmarcsight::text::is_valid_utf8(s)) __builtin_trap();
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto u = static_cast<unsigned char>(s[i]);
        if (u < 0x20 && u != '\t' && u != '\n' && u != '\r') __builtin_trap();
    }
}

struct checking_sink final : dmarcsight::report::aggregate_sink {
    dmarcsight::result<void> on_header(const dmarcsight::report::report_header& h) override {
        // Invariants the store relies on.
        if (h.policy.domain.empty() || h.metadata.report_id.empty() || h.metadata.begin > h.metadata.end) __builtin_trap();
        const auto& m = h.metadata;
        check_text(m.org_name, limits::max_report_identity);
        check_text(m.report_id, limits::max_report_identity);
        check_text(m.email, limits::max_email_address);
        check_text(h.policy.domain, limits::max_domain_length);
        for (const auto* f : {&m.extra_contact_info, &m.generator, &h.xml_namespace}) check_text(*f, limits::max_report_free_text);
        for (const auto& e : m.errors) check_text(e, limits::max_report_free_text);
        if (m.errors.size() > limits::max_report_errors) __builtin_trap();
        check_text(h.xml_schema, limits::max_report_word);
        return {};
    }
    dmarcsight::result<void> on_record(const dmarcsight::report::record& r) override {
        if (r.count < 0) __builtin_trap();
        std::size_t total = 0;
        const auto text = [&total](std::string_view s, std::size_t cap) {
            check_text(s, cap);
            total += s.size();
        };
        for (const auto* w : {&r.disposition, &r.dkim, &r.spf}) text(*w, limits::max_report_word);
        text(r.header_from, limits::max_domain_length + 1);
        text(r.envelope_from, limits::max_email_address);
        text(r.envelope_to, limits::max_email_address);
        for (const auto& x : r.reasons) {
            text(x.type, limits::max_report_word);
            text(x.comment, limits::max_report_free_text);
        }
        for (const auto& x : r.dkim_results) {
            text(x.domain, limits::max_domain_length + 1);
            text(x.selector, limits::max_dkim_selector);
            text(x.result, limits::max_report_word);
            text(x.human_result, limits::max_report_free_text);
        }
        for (const auto& x : r.spf_results) {
            text(x.domain, limits::max_domain_length + 1);
            text(x.scope, limits::max_report_word);
            text(x.result, limits::max_report_word);
            text(x.human_result, limits::max_report_free_text);
        }
        if (total > limits::max_record_text || r.dkim_results.size() > limits::max_auth_results_per_record ||
            r.spf_results.size() > limits::max_auth_results_per_record || r.reasons.size() > limits::max_reasons_per_record)
            __builtin_trap();
        return {};
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    chunked_source src(data, size);
    checking_sink sink;
    (void)dmarcsight::report::parse_aggregate(src, sink);
    return 0;
}
