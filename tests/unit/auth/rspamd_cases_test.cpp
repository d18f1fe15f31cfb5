// rspamd's end-to-end DMARC cases (suites/dmarc-rspamd/CASES_115_dmarc.json), reduced to what
// this module decides: policy discovery and the Organizational Domain. The DNS is rspamd's own
// fake_records; the From domain comes from each case's message. Signature/SPF evaluation and
// alignment are not ours, so:
//   * DMARC_POLICY_REJECT / _QUARANTINE / _SOFTFAIL (a failing message) → the discovered policy
//     must be reject / quarantine / none;
//   * DMARC_POLICY_ALLOW → a usable record must be found (passing is then up to the message);
//   * DMARC_DNSFAIL → discovery ends in a temporary failure; DMARC_NA → no record.
// rspamd follows RFC 7489 (PSL org domain); both modes are run and must agree on these cases.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "auth/org_domain.hpp"
#include "dns/zone_resolver.hpp"

using namespace dmarcsight;
using namespace dmarcsight::auth;
namespace fs = std::filesystem;

namespace {

dns::zone_resolver fake_dns(const nlohmann::json& records) {
    dns::zone_resolver z;
    for (const auto& r : records) {
        const std::string name = r.at("name");
        const std::string type = r.at("type");
        if (r.value("rcode", "") == "timeout") {
            z.add_timeout(name);
            continue;
        }
        if (!r.contains("replies")) continue;  // norec / nxdomain: absent from the tree
        for (const auto& rep : r.at("replies")) {
            const std::string v = rep;
            if (type == "txt") {
                z.add({name, dns::rr_type::txt, 300, dns::txt_rdata{{v}}});
            } else if (type == "a") {
                if (auto ip = ip_address::parse(v)) z.add({name, dns::rr_type::a, 300, *ip});
            } else if (type == "mx") {
                const auto sp = v.find(' ');
                z.add({name, dns::rr_type::mx, 300,
                       dns::mx_rdata{static_cast<std::uint16_t>(std::stoi(v.substr(0, sp))), v.substr(sp + 1)}});
            }
        }
    }
    return z;
}

std::string from_domain(const fs::path& eml) {
    std::ifstream in(eml);
    std::string line;
    const std::regex from_re(R"(^From:.*<[^@>]*@([^>]+)>)", std::regex::icase);
    while (std::getline(in, line)) {
        std::smatch m;
        if (std::regex_search(line, m, from_re)) return m[1];
    }
    return {};
}

}  // namespace

TEST(rspamd_suite, policy_discovery_of_115_dmarc_cases) {
    const fs::path dir = fs::path(DMARCSIGHT_CORPUS_DIR) / "suites" / "dmarc-rspamd";
    if (!fs::exists(dir / "CASES_115_dmarc.json")) GTEST_SKIP() << "corpus absent: " << dir;
    std::ifstream in(dir / "CASES_115_dmarc.json");
    const auto doc = nlohmann::json::parse(in);
    auto zone = fake_dns(doc.at("dns_fake_records"));
    int run = 0, passed = 0;
    for (const auto& c : doc.at("cases")) {
        const std::string name = c.at("name");
        const std::string domain = from_domain(dir / c.at("message").get<std::string>());
        ASSERT_FALSE(domain.empty()) << name;
        std::string expect;
        for (const auto& e : c.at("expect")) {
            const std::string s = e;
            if (s.rfind("Expect Symbol", 0) == 0) expect = s;
        }
        for (const auto mode : {dmarc_mode::rfc7489, dmarc_mode::rfc9989}) {
            const auto d = discover_policy(zone, domain, mode);
            const auto* rec = d.applied();
            ++run;
            bool ok = false;
            if (expect.find("DMARC_DNSFAIL") != std::string::npos) {
                ok = d.temporary_failure;
            } else if (expect.find("DMARC_NA") != std::string::npos) {
                ok = d.source == policy_source::none && !d.temporary_failure;
            } else if (expect.find("DMARC_POLICY_ALLOW") != std::string::npos) {
                ok = rec != nullptr && d.dmarc_applies;
            } else {
                std::optional<policy> want;
                if (expect.find("DMARC_POLICY_REJECT") != std::string::npos) want = policy::reject;
                if (expect.find("DMARC_POLICY_QUARANTINE") != std::string::npos) want = policy::quarantine;
                if (expect.find("DMARC_POLICY_SOFTFAIL") != std::string::npos) want = policy::none;
                ASSERT_TRUE(want.has_value()) << name;
                policy got = d.applied_policy;
                // rspamd applies RFC 7489 §6.6.4 sampling: with pct=0 no message is sampled, and
                // unsampled mail gets the next weaker policy (reject→quarantine→none). Discovery
                // yields the published policy; the sampling step is applied here. (RFC 9989
                // receivers ignore pct and would apply the published policy.)
                if (rec != nullptr && rec->parsed->record.pct == 0u) {
                    got = got == policy::reject ? policy::quarantine : policy::none;
                }
                ok = rec != nullptr && d.dmarc_applies && got == *want;
            }
            EXPECT_TRUE(ok) << name << " [" << (mode == dmarc_mode::rfc7489 ? "rfc7489" : "rfc9989") << "] From "
                            << domain << ": " << expect << " / policy domain " << d.policy_domain << " "
                            << d.applied_tag << "=" << to_string(d.applied_policy);
            if (ok) ++passed;
        }
    }
    EXPECT_EQ(run, 36);  // 18 cases x 2 modes
    std::cout << "[rspamd 115_dmarc discovery] " << passed << "/" << run << " passed (18 cases x 2 modes)\n";
}
