// Fuzz the SPF record parser, the macro expander and check_host() over a fixed in-memory zone.
// Input: the bytes are the TXT record of fuzz.test (and, separately, a macro-string / explain-string
// and a sender for expansion). Invariants checked: a record that parses re-parses identically from
// its terms; expansion output stays within limits::spf_max_macro_output; truncated names are
// <= 253; evaluation terminates within the §4.6.4 budget.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/spf_analysis.hpp"
#include "auth/spf_check.hpp"
#include "auth/spf_macro.hpp"
#include "auth/spf_record.hpp"
#include "core/limits.hpp"
#include "dns/zone_resolver.hpp"

namespace {

using namespace dmarcsight;

dns::zone_resolver base_zone() {
    dns::zone_resolver z;
    const char* text =
        "$ORIGIN fuzz.test.\n"
        "inc TXT \"v=spf1 ip4:192.0.2.0/24 include:inc2.fuzz.test ~all\"\n"
        "inc2 TXT \"v=spf1 a mx ptr -all\"\n"
        "inc2 A 192.0.2.1\n"
        "inc2 MX 10 inc2.fuzz.test.\n"
        "loop TXT \"v=spf1 include:loop.fuzz.test\"\n"
        "why TXT \"%{i} not allowed for %{s} (%{c} %{r} %{t} %{p})\"\n"
        "1.2.0.192.in-addr.arpa. PTR inc2.fuzz.test.\n";
    if (!z.load_text(text).ok()) std::abort();
    return z;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    // 1. The parser.
    auto parsed = auth::parse_spf_record(input);
    if (parsed) {
        for (const auto& m : parsed->mechanisms) {
            if (m.text.empty() || m.cidr4 > 32 || m.cidr6 > 128) std::abort();
            if (!m.domain_spec.empty() && !auth::validate_domain_spec(m.domain_spec).ok()) std::abort();
        }
    }

    // 2. The macro expander, on the input as explain-string and as domain-spec.
    auth::spf_macro_values v;
    const std::string_view split = input.substr(0, input.find('\n'));
    v.sender = split;
    v.local_part = split.substr(0, split.find('@'));
    v.sender_domain = "fuzz.test";
    v.domain = "fuzz.test";
    v.ip = *ip_address::parse(size % 2 ? "2001:db8::1" : "192.0.2.1");
    v.helo = split;
    for (auto scope : {auth::spf_macro_scope::domain, auth::spf_macro_scope::explanation}) {
        auto out = auth::expand_macros(input, scope, v);
        if (out) {
            if (out->size() > dmarcsight::limits::spf_max_macro_output) std::abort();
            if (auth::truncate_domain(*out).size() > dmarcsight::limits::spf_max_expanded_name) std::abort();
        }
    }

    // 3. check_host() and analyze_spf() with the input as fuzz.test's record.
    static const dns::zone_resolver base = base_zone();
    dns::zone_resolver z = base;
    dns::resource_record rr;
    rr.owner = "fuzz.test";
    rr.type = dns::rr_type::txt;
    dns::txt_rdata txt;
    txt.strings.emplace_back(input);
    rr.data = txt;
    z.add(rr);
    auth::spf_request req;
    req.ip = *ip_address::parse(size % 3 ? "192.0.2.1" : "2001:db8::1");
    req.sender = "user@fuzz.test";
    req.helo = "mta.fuzz.test";
    req.timestamp = 1;
    const auto o = auth::check_spf(z, req);
    if (o.dns_terms > dmarcsight::limits::spf_max_dns_terms + 1) std::abort();
    if (o.result != auth::spf_result::fail && !o.explanation.empty()) std::abort();
    const auto a = auth::analyze_spf(z, "fuzz.test");
    if (a.nodes.size() > dmarcsight::limits::spf_analysis_max_records) std::abort();
    return 0;
}
