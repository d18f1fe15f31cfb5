// Enrichment: reverse DNS + forward confirmation against the world-a scenario's zone (its truth
// says which sources have forward-confirmed PTRs), the captive-resolver rule, libloc lookups on
// real ranges, and the cache through the SQLite store.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/limits.hpp"
#include "dns/zone_resolver.hpp"
#include "enrich/enricher.hpp"
#include "enrich/geo_db.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

using namespace dmarcsight;

namespace {

// The generated world-a scenario (dns.zone + truth.json), made once for the whole binary.
class world_a : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        const std::string shared = DMARCSIGHT_SHARED_DIR;
        const std::string gen = shared + "/scenario/gen_scenario.py";
        if (access(gen.c_str(), R_OK) != 0) {
            skip_ = "no scenario generator at " + gen;
            return;
        }
        dir_ = new test_support::temp_dir();
        // Every argument is ours (a fixed path and a temp dir): no untrusted text in the shell.
        const std::string cmd = "python3 '" + gen + "' --world '" + shared + "/scenario/world-a.json' --out '" + dir_->path() +
                                "/wa' --quiet >/dev/null 2>&1";
        if (std::system(cmd.c_str()) != 0) {
            skip_ = "gen_scenario.py failed";
            return;
        }
        zone_ = new dns::zone_resolver();
        if (auto r = zone_->load_file(dir_->path() + "/wa/dns.zone"); !r) {
            skip_ = "dns.zone: " + r.err().message;
            return;
        }
        std::ifstream in(dir_->path() + "/wa/truth.json");
        truth_ = new nlohmann::json(nlohmann::json::parse(in));
    }
    static void TearDownTestSuite() {
        delete truth_;
        delete zone_;
        delete dir_;
    }
    void SetUp() override {
        if (!skip_.empty()) GTEST_SKIP() << skip_;
    }
    // Every (IP → truth source) of every domain; an IP seen by several domains has one truth.
    static std::map<std::string, nlohmann::json> sources() {
        std::map<std::string, nlohmann::json> out;
        for (const auto& [d, dom] : (*truth_)["domains"].items())
            for (const auto& [ip, s] : dom["sources"].items()) out.emplace(ip, s);
        return out;
    }
    static inline test_support::temp_dir* dir_ = nullptr;
    static inline dns::zone_resolver* zone_ = nullptr;
    static inline nlohmann::json* truth_ = nullptr;
    static inline std::string skip_;
};

TEST_F(world_a, legitimate_sources_are_forward_confirmed_spoofers_are_not) {
    const auto truth = sources();
    std::vector<std::string> ips;
    for (const auto& [ip, s] : truth) ips.push_back(ip);
    enrich::enrich_options o;
    o.now = 1'800'000'000;
    std::size_t progress_calls = 0;
    o.progress = [&](std::size_t done, std::size_t total) {
        ++progress_calls;
        EXPECT_LE(done, total);
    };
    enrich::enricher e(zone_, nullptr, nullptr, o);
    ASSERT_TRUE(e.check().trusted) << e.check().detail;
    const auto rows = e.enrich(ips);
    ASSERT_EQ(rows.size(), ips.size());
    EXPECT_GE(progress_calls, ips.size() / limits::enrich_batch);
    std::size_t confirmed = 0, spoofers = 0, spoofers_with_ptr = 0;
    for (std::size_t i = 0; i < ips.size(); ++i) {
        const auto& s = truth.at(ips[i]);
        const auto& r = rows[i];
        EXPECT_EQ(r.ip, ips[i]);
        EXPECT_NE(r.status, "error") << ips[i];
        if (s.value("fcrdns", false)) {
            ++confirmed;
            EXPECT_EQ(r.status, "ok") << ips[i];
            EXPECT_TRUE(r.fcrdns) << ips[i];
            EXPECT_EQ(r.ptr, s["ptr"].get<std::string>()) << ips[i];
            // The registrable domain of the PTR name: a suffix of it, one label below a public suffix.
            EXPECT_FALSE(r.base_domain.empty()) << r.ptr;
            EXPECT_TRUE(r.ptr == r.base_domain || r.ptr.ends_with("." + r.base_domain)) << r.ptr << " / " << r.base_domain;
            EXPECT_EQ(r.expires_at, o.now + limits::enrich_min_ttl);  // zone TTL 3600 → clamped up to a day
        }
        if (s["class"] == "spoofing") {
            ++spoofers;
            EXPECT_FALSE(r.fcrdns) << ips[i];
            if (r.status == "ok") ++spoofers_with_ptr;
            else EXPECT_EQ(r.status, "no_ptr") << ips[i];
        }
    }
    EXPECT_GT(confirmed, 50u);
    // About 60% of spoofers have no PTR; the rest residential/hosting names without forward records.
    EXPECT_GT(spoofers_with_ptr, spoofers / 5);
    EXPECT_LT(spoofers_with_ptr, spoofers * 3 / 5);
    EXPECT_EQ(e.counts().looked_up, ips.size());
    EXPECT_EQ(e.counts().errors, 0u);
}

TEST_F(world_a, known_base_domains) {
    // salesforce.com's MTAs (services in world-a name their PTR suffixes).
    enrich::enricher e(zone_, nullptr);
    for (const auto& [ip, s] : sources()) {
        if (!s.value("fcrdns", false)) continue;
        const std::string ptr = s["ptr"];
        if (!ptr.ends_with(".mta.salesforce.com")) continue;
        const auto rows = e.enrich({ip});
        EXPECT_EQ(rows[0].base_domain, "salesforce.com");
        return;
    }
    GTEST_SKIP() << "no salesforce.com source in this world";
}

// A resolver that says NXDOMAIN to everything: a captive portal's or a broken resolver.
struct captive_resolver final : dns::resolver {
    std::size_t asked = 0;
    dns::answer query(std::string_view, dns::rr_type) override {
        ++asked;
        dns::answer a;
        a.status = dns::rcode::nxdomain;
        return a;
    }
};

TEST(enricher, a_resolver_that_denies_everything_is_not_believed) {
    captive_resolver r;
    const auto check = enrich::check_resolver(r);
    EXPECT_FALSE(check.trusted);
    EXPECT_NE(check.detail.find("NXDOMAIN"), std::string::npos) << check.detail;
    enrich::enrich_options o;
    o.now = 1'800'000'000;
    enrich::enricher e(&r, nullptr, nullptr, o);
    const auto rows = e.enrich({"192.0.2.1", "2001:db8::1", "198.51.100.7"});
    ASSERT_EQ(rows.size(), 3u);
    for (const auto& row : rows) {
        EXPECT_EQ(row.status, "error") << row.ip;  // never "no_ptr"
        EXPECT_EQ(row.expires_at, o.now + limits::enrich_error_ttl);
        EXPECT_TRUE(row.ptr.empty());
    }
    EXPECT_EQ(e.counts().errors, 3u);
    EXPECT_EQ(e.counts().no_ptr, 0u);
}

TEST(enricher, temporary_failures_are_errors_and_confirmation_is_checked) {
    dns::zone_resolver z;
    ASSERT_TRUE(z.load_text(". 3600 IN SOA ns. host. 1 3600 900 604800 300\n"
                            "1.2.0.192.in-addr.arpa. 200000 IN PTR Mail.Example.COM.\n"
                            "2.2.0.192.in-addr.arpa. IN PTR liar.example.net.\n"
                            "liar.example.net. IN A 192.0.2.99\n"
                            "mail.example.com. IN A 192.0.2.1\n"
                            "4.2.0.192.in-addr.arpa. IN PTR bad\\000name.example.\n"
                            "5.2.0.192.in-addr.arpa. IN PTR host.slow.example.\n")
                    .ok());
    z.add_timeout("3.2.0.192.in-addr.arpa");
    z.add_timeout("host.slow.example");
    enrich::enrich_options o;
    o.now = 1'800'000'000;
    enrich::enricher e(&z, nullptr, nullptr, o);
    ASSERT_TRUE(e.check().trusted) << e.check().detail;
    const auto rows = e.enrich({"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5", "192.0.2.6", "not-an-ip"});
    ASSERT_EQ(rows.size(), 7u);
    EXPECT_EQ(rows[0].status, "ok");
    EXPECT_EQ(rows[0].ptr, "mail.example.com");  // lower-cased
    EXPECT_TRUE(rows[0].fcrdns);
    EXPECT_EQ(rows[0].base_domain, "example.com");
    EXPECT_EQ(rows[0].expires_at, o.now + 200000);  // the PTR's TTL, inside [1 day, 30 days]
    EXPECT_EQ(rows[1].status, "ok");
    EXPECT_EQ(rows[1].ptr, "liar.example.net");
    EXPECT_FALSE(rows[1].fcrdns);
    EXPECT_EQ(rows[2].status, "error");  // PTR lookup timed out
    EXPECT_EQ(rows[2].expires_at, o.now + limits::enrich_error_ttl);
    EXPECT_EQ(rows[3].status, "ok");  // a PTR exists, but its name is not a host name: not kept
    EXPECT_TRUE(rows[3].ptr.empty());
    EXPECT_EQ(rows[4].status, "error");  // the forward lookup timed out: not "unconfirmed" for a day
    EXPECT_EQ(rows[4].ptr, "host.slow.example");
    EXPECT_EQ(rows[5].status, "no_ptr");
    EXPECT_EQ(rows[5].expires_at, o.now + limits::enrich_min_ttl);
    EXPECT_EQ(rows[6].status, "error");
}

TEST(enricher, names) {
    EXPECT_EQ(enrich::reverse_name(*ip_address::parse("192.0.2.1")), "1.2.0.192.in-addr.arpa");
    EXPECT_EQ(enrich::reverse_name(*ip_address::parse("2001:db8::1")),
              "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
    EXPECT_EQ(enrich::clean_ptr_name("Mail.Example.COM."), "mail.example.com");
    EXPECT_EQ(enrich::clean_ptr_name("_spf.x-y.example"), "_spf.x-y.example");
    EXPECT_FALSE(enrich::clean_ptr_name(""));
    EXPECT_FALSE(enrich::clean_ptr_name("a..b"));
    EXPECT_FALSE(enrich::clean_ptr_name("a\\000b.example"));
    EXPECT_FALSE(enrich::clean_ptr_name("a b.example"));
    EXPECT_FALSE(enrich::clean_ptr_name("a\x1b[31m.example"));
    EXPECT_FALSE(enrich::clean_ptr_name(std::string(64, 'a') + ".example"));
    std::string long_name;
    while (long_name.size() < 260) long_name += "abcdefghi.";
    EXPECT_FALSE(enrich::clean_ptr_name(long_name + "example"));
    EXPECT_EQ(enrich::clean_as_name("GOOGLE\x01\n"), "GOOGLE");
    EXPECT_EQ(enrich::clean_as_name("Telef\xc3\xb3nica"), "Telef\xc3\xb3nica");
    EXPECT_EQ(enrich::clean_country("us"), "US");
    EXPECT_EQ(enrich::clean_country("U1"), "");
}

TEST(enricher, offline_sets_the_network_only) {
    enrich::enrich_options o;
    o.now = 1'800'000'000;
    enrich::enricher e(nullptr, nullptr, nullptr, o);
    const auto rows = e.enrich({"192.0.2.1"});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].status, "geo_only");
    EXPECT_EQ(rows[0].expires_at, o.now);  // a run with DNS looks it up
}

TEST(libloc, real_ranges) {
    if (access(enrich::default_location_db, R_OK) != 0)
        GTEST_SKIP() << enrich::default_location_db << " absent (apt-get install libloc-database)";
    auto db = enrich::open_libloc();
    ASSERT_TRUE(db.ok()) << db.err().message;
    const auto g = (*db)->lookup(*ip_address::parse("8.8.8.8"));
    ASSERT_TRUE(g.has_value());
    EXPECT_EQ(g->asn, 15169u);
    EXPECT_EQ(g->country, "US");
    EXPECT_NE(g->as_name.find("GOOGLE"), std::string::npos) << g->as_name;
    const auto g6 = (*db)->lookup(*ip_address::parse("2001:4860:4860::8888"));
    ASSERT_TRUE(g6.has_value());
    EXPECT_EQ(g6->asn, 15169u);
    EXPECT_GT((*db)->built_at(), 1'600'000'000);
    EXPECT_NE((*db)->description().find("built 20"), std::string::npos) << (*db)->description();
    std::printf("[ database ] %s\n", (*db)->description().c_str());
    // Private space is in no network.
    const auto none = (*db)->lookup(*ip_address::parse("10.1.2.3"));
    EXPECT_TRUE(!none || !none->asn);
}

TEST(geo_db, missing_files_are_errors_not_crashes) {
    EXPECT_FALSE(enrich::open_libloc("/nonexistent/location.db").ok());
    EXPECT_FALSE(enrich::open_mmdb({"/nonexistent/GeoLite2-ASN.mmdb"}).ok());
    test_support::temp_dir dir;
    std::ofstream(dir / "junk.db") << "not a database";
    EXPECT_FALSE(enrich::open_libloc(dir / "junk.db").ok());
    EXPECT_FALSE(enrich::open_mmdb({dir / "junk.db"}).ok());
}

// ---- the cache, through the SQLite store --------------------------------------------------------

report::report_header header(const std::string& id, std::int64_t begin) {
    report::report_header h;
    h.metadata.org_name = "Org";
    h.metadata.report_id = id;
    h.metadata.begin = begin;
    h.metadata.end = begin + 86399;
    h.policy.domain = "example.com";
    h.policy.p = "none";
    h.xml_schema = "1.0";
    return h;
}

TEST(enrich_cache, each_ip_is_looked_up_once_until_it_expires) {
    test_support::temp_dir dir;
    auto opened = store::open_sqlite(dir / "s.db", store::open_mode::read_write);
    ASSERT_TRUE(opened.ok()) << opened.err().message;
    store::store& s = **opened;
    ASSERT_TRUE(s.begin_batch().ok());
    for (int day = 0; day < 2; ++day) {
        ASSERT_TRUE(s.begin_unit().ok());
        auto id = s.insert_report(header("r" + std::to_string(day), 1'700'006'400 + day * 86'400), "t");
        ASSERT_TRUE(id.ok());
        for (const char* ip : {"192.0.2.1", "192.0.2.2", "2001:db8::1"}) {
            report::record r;
            r.source_ip = *ip_address::parse(ip);
            r.count = 3;
            r.disposition = "none";
            r.dkim = "pass";
            r.spf = "pass";
            r.header_from = "example.com";
            ASSERT_TRUE(s.insert_record(id->id, r).ok());
        }
        store::report_totals t;
        t.records = 3;
        ASSERT_TRUE(s.finish_report(id->id, t).ok());
        ASSERT_TRUE(s.end_unit(true).ok());
    }
    ASSERT_TRUE(s.commit_batch().ok());

    dns::zone_resolver z;
    ASSERT_TRUE(z.load_text(". IN SOA ns. host. 1 3600 900 604800 300\n"
                            "1.2.0.192.in-addr.arpa. IN PTR mail.example.com.\n"
                            "mail.example.com. IN A 192.0.2.1\n")
                    .ok());
    z.add_timeout("2.2.0.192.in-addr.arpa");
    const std::int64_t now = 1'800'000'000;
    auto todo = s.ips_to_enrich(now, {});
    ASSERT_TRUE(todo.ok()) << todo.err().message;
    EXPECT_EQ(*todo, (std::vector<std::string>{"192.0.2.1", "192.0.2.2", "2001:db8::1"}));  // distinct
    store::fact_filter other;
    other.domain = "example.org";
    EXPECT_TRUE(s.ips_to_enrich(now, other)->empty());

    enrich::enrich_options o;
    o.now = now;
    enrich::enricher e(&z, nullptr, nullptr, o);
    ASSERT_TRUE(s.save_ip_info(e.enrich(*todo)).ok());
    // Looked up once: only the failed one comes back, and only after its hour.
    EXPECT_TRUE(s.ips_to_enrich(now + 60, {})->empty());
    EXPECT_EQ(*s.ips_to_enrich(now + limits::enrich_error_ttl, {}), (std::vector<std::string>{"192.0.2.2"}));
    EXPECT_EQ(s.ips_to_enrich(now + limits::enrich_min_ttl, {})->size(), 3u);

    auto rows = s.ip_infos({"192.0.2.1", "192.0.2.2", "2001:db8::1", "198.51.100.1"});
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), 3u);
    std::map<std::string, store::ip_info> by_ip;
    for (auto& r : *rows) by_ip[r.ip] = r;
    EXPECT_EQ(by_ip["192.0.2.1"].status, "ok");
    EXPECT_EQ(by_ip["192.0.2.1"].ptr, "mail.example.com");
    EXPECT_TRUE(by_ip["192.0.2.1"].fcrdns);
    EXPECT_EQ(by_ip["192.0.2.1"].base_domain, "example.com");
    EXPECT_EQ(by_ip["192.0.2.2"].status, "error");
    EXPECT_EQ(by_ip["2001:db8::1"].status, "no_ptr");
    EXPECT_FALSE(by_ip["2001:db8::1"].asn.has_value());

    // An upsert replaces the row.
    store::ip_info again = by_ip["192.0.2.2"];
    again.status = "ok";
    again.ptr = "later.example.com";
    again.asn = 64496;
    again.expires_at = now + 10 * 86'400;
    ASSERT_TRUE(s.save_ip_info({again}).ok());
    auto one = s.ip_infos({"192.0.2.2"});
    ASSERT_EQ(one->size(), 1u);
    EXPECT_EQ((*one)[0].ptr, "later.example.com");
    EXPECT_EQ((*one)[0].asn, 64496u);
    EXPECT_TRUE(s.ips_to_enrich(now + limits::enrich_error_ttl, {})->empty());
}

}  // namespace
