// cares_resolver against a real authoritative server (NSD) serving the same zone files as the
// zone_resolver tests: the two backends must give the same answers. Skips when nsd is absent.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "dns/cares_resolver.hpp"
#include "dns/zone_resolver.hpp"
#include "dns_test_util.hpp"

using namespace dmarcsight;
using namespace dmarcsight::dns;
using namespace dmarcsight::dns::test;

namespace {

bool nsd_installed() {
    for (const char* p : {"/usr/sbin/nsd", "/usr/bin/nsd", "/usr/local/sbin/nsd"}) {
        if (access(p, X_OK) == 0) return true;
    }
    return std::system("command -v nsd >/dev/null 2>&1") == 0;
}

// A port free for both UDP and TCP on 127.0.0.1 (the kernel picks it; the tiny race until NSD binds
// it is acceptable for a test).
int free_port() {
    for (int attempt = 0; attempt < 20; ++attempt) {
        int u = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = 0;
        if (bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            close(u);
            continue;
        }
        socklen_t len = sizeof a;
        getsockname(u, reinterpret_cast<sockaddr*>(&a), &len);
        int t = socket(AF_INET, SOCK_STREAM, 0);
        const bool tcp_ok = bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        close(t);
        close(u);
        if (tcp_ok) return ntohs(a.sin_port);
    }
    return -1;
}

// A UDP socket that receives queries and never answers.
struct silent_server {
    int fd = -1;
    int port = 0;
    silent_server() {
        fd = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
            socklen_t len = sizeof a;
            getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
            port = ntohs(a.sin_port);
        }
    }
    ~silent_server() {
        if (fd >= 0) close(fd);
    }
};

const std::vector<std::string>& zone_files() {
    static const std::vector<std::string> files = {fixture_path("features.zone"), fixture_path("rfc4592.zone")};
    return files;
}

class nsd_server : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!nsd_installed()) {
            skip_reason_ = "nsd not installed (apt-get install -y nsd)";
            return;
        }
        port_ = free_port();
        if (port_ <= 0) {
            skip_reason_ = "no free port";
            return;
        }
        char tmpl[] = "/tmp/dmarcsight-nsd-XXXXXX";
        if (mkdtemp(tmpl) == nullptr) {
            skip_reason_ = "mkdtemp failed";
            return;
        }
        dir_ = tmpl;
        // Every argument is ours (fixture paths, a temp dir, a number): no untrusted text in the shell.
        std::string cmd = std::string(DMARCSIGHT_TEST_DIR) + "/../scripts/start-nsd.sh '" + dir_ + "' " + std::to_string(port_);
        for (const auto& f : zone_files()) cmd += " '" + f + "'";
        cmd += " 2>'" + dir_ + "/start.err'";
        FILE* p = popen(cmd.c_str(), "r");
        ASSERT_NE(p, nullptr);
        char buf[64] = {};
        const bool got = std::fgets(buf, sizeof buf, p) != nullptr;
        const int rc = pclose(p);
        ASSERT_TRUE(got && rc == 0) << "start-nsd.sh failed (rc " << rc << "), see " << dir_ << "/start.err";
        pid_ = std::atoi(buf);
        ASSERT_GT(pid_, 0);
    }

    static void TearDownTestSuite() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            // NSD is not our child (it daemonised): wait for it to go away, at most ~5 s.
            for (int i = 0; i < 50 && kill(pid_, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
            pid_ = 0;
        }
        if (!dir_.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(dir_, ec);
            dir_.clear();
        }
    }

    void SetUp() override {
        if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
        ASSERT_GT(pid_, 0);
        for (const auto& f : zone_files()) {
            auto r = zone.load_file(f);
            ASSERT_TRUE(r.ok()) << r.err().message;
        }
    }

    std::unique_ptr<cares_resolver> make(cares_options o = {}) {
        o.servers = {"127.0.0.1:" + std::to_string(port_)};
        if (o.timeout_ms == cares_options{}.timeout_ms) o.timeout_ms = 1000;
        auto r = cares_resolver::create(o);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.err().message);
        return r.ok() ? std::move(*r) : nullptr;
    }

    zone_resolver zone;
    static inline int port_ = 0;
    static inline int pid_ = 0;
    static inline std::string dir_;
    static inline std::string skip_reason_;
};

struct q {
    const char* name;
    rr_type type;
};

// Queries covering every behaviour of the zone fixtures (names outside the two zones are left out:
// NSD refuses them, zone_resolver has no zone cuts and says NXDOMAIN).
const std::vector<q>& comparison_queries() {
    static const std::vector<q> qs = {
        {"dns.test", rr_type::soa},           {"dns.test", rr_type::ns},
        {"www.dns.test", rr_type::a},         {"www.dns.test", rr_type::aaaa},
        {"WWW.Dns.Test.", rr_type::a},        {"www2.dns.test", rr_type::a},
        {"www.dns.test", rr_type::mx},        {"mail.dns.test", rr_type::mx},
        {"mail.dns.test", rr_type::a},        {"multi.dns.test", rr_type::txt},
        {"quoted.dns.test", rr_type::txt},    {"escaped.dns.test", rr_type::txt},
        {"empty.dns.test", rr_type::txt},     {"spf.dns.test", rr_type::spf},
        {"spf.dns.test", rr_type::txt},       {"long.dns.test", rr_type::txt},
        {"paren.dns.test", rr_type::txt},     {"10.dns.test", rr_type::ptr},
        {"alias.dns.test", rr_type::a},       {"alias.dns.test", rr_type::cname},
        {"alias.dns.test", rr_type::mx},      {"chain1.dns.test", rr_type::a},
        {"chain1.dns.test", rr_type::txt},    {"loop1.dns.test", rr_type::a},
        {"dangling.dns.test", rr_type::a},    {"xzone.dns.test", rr_type::a},
        {"xzone.dns.test", rr_type::mx},      {"xzone-nx.dns.test", rr_type::a},    {"nothing.dns.test", rr_type::a},
        {"nothing.dns.test", rr_type::txt},   {"anything.wild.dns.test", rr_type::a},
        {"anything.wild.dns.test", rr_type::txt}, {"deep.er.wild.dns.test", rr_type::a},
        {"foo.wild.dns.test", rr_type::mx},   {"exists.wild.dns.test", rr_type::a},
        {"exists.wild.dns.test", rr_type::txt}, {"x.exists.wild.dns.test", rr_type::a},
        {"wild.dns.test", rr_type::a},        {"x.wcname.dns.test", rr_type::a},
        {"a.b.ent.dns.test", rr_type::a},     {"b.ent.dns.test", rr_type::a},
        {"ent.dns.test", rr_type::txt},       {"x.a.b.ent.dns.test", rr_type::a},
        {"host.sub.dns.test", rr_type::a},    {"sub.dns.test", rr_type::a},
        // RFC 4592 §2.2.1
        {"host3.example", rr_type::mx},       {"host3.example", rr_type::a},
        {"foo.bar.example", rr_type::txt},    {"host1.example", rr_type::mx},
        {"host1.example", rr_type::a},        {"sub.*.example", rr_type::mx},
        {"sub.*.example", rr_type::txt},      {"_telnet._tcp.host1.example", rr_type::txt},
        {"ghost.*.example", rr_type::mx},     {"*.example", rr_type::txt},
        {"_tcp.host1.example", rr_type::txt}, {"host2.example", rr_type::txt},
        {"_ssh._tcp.host2.example", rr_type::txt},
    };
    return qs;
}

}  // namespace

TEST_F(nsd_server, cares_answers_equal_zone_resolver_answers) {
    cares_options o;
    o.cache = false;  // TTLs straight from the server
    auto r = make(o);
    ASSERT_NE(r, nullptr);
    std::map<rcode, int> statuses;
    int with_records = 0, with_chain = 0;
    for (const auto& [name, type] : comparison_queries()) {
        const answer from_nsd = r->query(name, type);
        const answer from_zone = zone.resolve(name, type);
        ++statuses[from_zone.status];
        with_records += from_zone.records.empty() ? 0 : 1;
        with_chain += from_zone.cnames.empty() ? 0 : 1;
        EXPECT_EQ(describe(from_nsd), describe(from_zone)) << name << " type " << static_cast<int>(type) << " (" << from_nsd.detail << ")";
    }
    // The list really covers every kind of answer.
    EXPECT_EQ(statuses[rcode::nxdomain], 8);
    EXPECT_EQ(statuses[rcode::servfail], 1);
    EXPECT_EQ(with_records, 33);
    EXPECT_EQ(with_chain, 10);
}

TEST_F(nsd_server, nxdomain_nodata_chain_and_loop_are_told_apart) {
    auto r = make();
    ASSERT_NE(r, nullptr);
    auto nx = r->query("nothing.dns.test", rr_type::a);
    EXPECT_EQ(nx.status, rcode::nxdomain);
    auto nodata = r->query("www.dns.test", rr_type::mx);
    EXPECT_EQ(nodata.status, rcode::noerror);
    EXPECT_TRUE(nodata.records.empty());
    auto ent = r->query("b.ent.dns.test", rr_type::a);
    EXPECT_EQ(ent.status, rcode::noerror);
    EXPECT_TRUE(ent.records.empty());
    auto chain = r->query("chain1.dns.test", rr_type::a);
    EXPECT_EQ(chain.cnames, (std::vector<std::string>{"chain2.dns.test", "chain3.dns.test"}));
    EXPECT_EQ(addresses(chain), (std::vector<std::string>{"192.0.2.30"}));
    auto loop = r->query("loop1.dns.test", rr_type::a);
    EXPECT_EQ(loop.status, rcode::servfail);
    // A chain into the other zone that ends at a missing name: NXDOMAIN is the last name's
    // (RFC 6604 §2.1), final in one query.
    auto xnx = r->query("xzone-nx.dns.test", rr_type::a);
    EXPECT_EQ(xnx.status, rcode::nxdomain);
    EXPECT_EQ(xnx.cnames, (std::vector<std::string>{"nothere.host1.example"}));
    EXPECT_EQ(r->network_queries(), 6u);  // one each for the six queries so far
    // A chain ending in NODATA: the NOERROR may be the first zone's (RFC 6604 §3), so the target is
    // asked directly: two queries.
    auto xnd = r->query("xzone.dns.test", rr_type::mx);
    EXPECT_EQ(xnd.status, rcode::noerror);
    EXPECT_TRUE(xnd.records.empty());
    EXPECT_EQ(xnd.cnames, (std::vector<std::string>{"host1.example"}));
    EXPECT_EQ(r->network_queries(), 8u);
    auto wc = r->query("x.wcname.dns.test", rr_type::a);
    EXPECT_EQ(wc.cnames, (std::vector<std::string>{"www.dns.test"}));
    EXPECT_EQ(addresses(wc), (std::vector<std::string>{"192.0.2.10", "192.0.2.11"}));
}

TEST_F(nsd_server, refused_outside_the_served_zones) {
    auto r = make();
    ASSERT_NE(r, nullptr);
    auto a = r->query("example.org", rr_type::a);
    EXPECT_EQ(a.status, rcode::refused) << a.detail;
    EXPECT_FALSE(a.is_void());
}

TEST_F(nsd_server, truncated_udp_answer_is_retried_over_tcp) {
    cares_options o;
    o.edns = false;  // classic 512-octet UDP limit (RFC 1035 §4.2.1)
    o.cache = false;
    auto r = make(o);
    ASSERT_NE(r, nullptr);
    auto small = r->query("www.dns.test", rr_type::a);
    EXPECT_EQ(small.records.size(), 2u);
    EXPECT_EQ(r->tcp_connections(), 0u);
    auto big = r->query("long.dns.test", rr_type::txt);
    ASSERT_EQ(big.status, rcode::noerror) << big.detail;
    ASSERT_EQ(big.records.size(), 1u);
    EXPECT_EQ(std::get<txt_rdata>(big.records[0].data).joined(),
              std::string(200, 'a') + std::string(200, 'b') + std::string(200, 'c'));
    EXPECT_GE(r->tcp_connections(), 1u) << "the 600-octet answer did not go over TCP";
}

TEST_F(nsd_server, tcp_from_the_start) {
    cares_options o;
    o.use_tcp = true;
    auto r = make(o);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(describe(r->query("mail.dns.test", rr_type::mx)), describe(zone.resolve("mail.dns.test", rr_type::mx)));
    EXPECT_GE(r->tcp_connections(), 1u);
}

TEST_F(nsd_server, answers_are_cached_with_ttl_and_negative_answers_too) {
    auto r = make();
    ASSERT_NE(r, nullptr);
    auto first = r->query("www.dns.test", rr_type::a);
    auto second = r->query("WWW.dns.test.", rr_type::a);
    EXPECT_EQ(r->network_queries(), 1u);
    EXPECT_EQ(describe(first), describe(second));
    // NXDOMAIN carries the SOA (minimum 300): cached per RFC 2308.
    EXPECT_EQ(r->query("nothing.dns.test", rr_type::a).status, rcode::nxdomain);
    EXPECT_EQ(r->query("nothing.dns.test", rr_type::a).status, rcode::nxdomain);
    EXPECT_EQ(r->network_queries(), 2u);
    // NODATA too.
    EXPECT_TRUE(r->query("www.dns.test", rr_type::mx).nodata());
    EXPECT_TRUE(r->query("www.dns.test", rr_type::mx).nodata());
    EXPECT_EQ(r->network_queries(), 3u);
    // Without the cache every query goes out.
    cares_options o;
    o.cache = false;
    auto u = make(o);
    (void)u->query("www.dns.test", rr_type::a);
    (void)u->query("www.dns.test", rr_type::a);
    EXPECT_EQ(u->network_queries(), 2u);
}

TEST(cares_resolver, server_that_never_answers_times_out_in_time) {
    silent_server s;
    ASSERT_GT(s.port, 0);
    cares_options o;
    o.servers = {"127.0.0.1:" + std::to_string(s.port)};
    o.timeout_ms = 200;
    o.tries = 2;
    auto r = cares_resolver::create(o);
    ASSERT_TRUE(r.ok()) << r.err().message;
    const auto t0 = std::chrono::steady_clock::now();
    auto a = (*r)->query("example.com", rr_type::txt);
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(a.status, rcode::timeout);
    EXPECT_TRUE(a.temporary_failure());
    EXPECT_NE(a.detail.find("did not answer"), std::string::npos) << a.detail;
    EXPECT_NE(a.detail.find("127.0.0.1"), std::string::npos) << a.detail;
    // 200 ms + 400 ms (c-ares doubles the second round), within max_wait().
    EXPECT_GE(took, std::chrono::milliseconds(550));
    EXPECT_LE(took, (*r)->max_wait() + std::chrono::milliseconds(200));
    // The time-out is remembered for a short while: no second wait.
    const auto t1 = std::chrono::steady_clock::now();
    EXPECT_EQ((*r)->query("example.com", rr_type::txt).status, rcode::timeout);
    EXPECT_LT(std::chrono::steady_clock::now() - t1, std::chrono::milliseconds(50));
}

TEST(cares_resolver, closed_port_is_a_timeout_not_an_answer) {
    const int port = free_port();
    ASSERT_GT(port, 0);
    cares_options o;
    o.servers = {"127.0.0.1:" + std::to_string(port)};
    o.timeout_ms = 200;
    o.tries = 1;
    auto r = cares_resolver::create(o);
    ASSERT_TRUE(r.ok());
    auto a = (*r)->query("example.com", rr_type::a);
    EXPECT_EQ(a.status, rcode::timeout) << a.detail;
}

TEST(cares_resolver, bad_server_string_is_an_error) {
    cares_options o;
    o.servers = {"not an address"};
    auto r = cares_resolver::create(o);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.err().message.find("bad server list"), std::string::npos);
    cares_options z;
    z.timeout_ms = 0;
    EXPECT_FALSE(cares_resolver::create(z).ok());
}

// ---- deadlines: one per query (all tries, servers, TCP, CNAME continuations) and one overall ----

TEST(dns_deadline, one_query_ends_within_its_deadline_whatever_the_retry_schedule) {
    silent_server s;
    ASSERT_GT(s.port, 0);
    cares_options o;
    o.servers = {"127.0.0.1:" + std::to_string(s.port)};
    o.timeout_ms = 200;
    o.tries = 6;  // c-ares alone: 200+400+800+1600+3200+6400 ms = 12.6 s
    o.query_deadline_ms = 800;
    auto r = cares_resolver::create(o);
    ASSERT_TRUE(r.ok()) << r.err().message;
    ASSERT_GT((*r)->max_wait(), std::chrono::seconds(12));
    const auto t0 = std::chrono::steady_clock::now();
    const auto a = (*r)->query("slow.example", rr_type::txt);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    EXPECT_EQ(a.status, rcode::timeout) << a.detail;
    EXPECT_GE(took, std::chrono::milliseconds(750));
    EXPECT_LT(took, std::chrono::milliseconds(800 + 300)) << took.count() << " ms";
    std::printf("[ measured ] silent server, 6 tries, query deadline 800 ms: failed after %lld ms\n",
                static_cast<long long>(took.count()));
}

TEST(dns_deadline, a_chain_of_lookups_ends_at_the_overall_deadline) {
    silent_server s;
    ASSERT_GT(s.port, 0);
    cares_options o;
    o.servers = {"127.0.0.1:" + std::to_string(s.port)};
    o.timeout_ms = 300;
    o.tries = 2;  // 900 ms per query: 20 different names would take 18 s
    auto r = cares_resolver::create(o);
    ASSERT_TRUE(r.ok()) << r.err().message;
    const auto t0 = std::chrono::steady_clock::now();
    (*r)->set_deadline(t0 + std::chrono::milliseconds(1000));
    int timeouts = 0;
    answer last;
    for (int i = 0; i < 20; ++i) {
        last = (*r)->query(std::string("n").append(std::to_string(i)).append(".example"), rr_type::txt);
        timeouts += last.status == rcode::timeout ? 1 : 0;
    }
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    EXPECT_EQ(timeouts, 20);
    EXPECT_LT(took, std::chrono::milliseconds(1000 + 300)) << took.count() << " ms";
    EXPECT_NE(last.detail.find("the time allowed for these lookups is used up"), std::string::npos) << last.detail;
    EXPECT_LE((*r)->network_queries(), 3u);  // only the ones that fit before the deadline went out
    std::printf("[ measured ] 20 lookups against a silent server, overall deadline 1000 ms: %lld ms, %zu sent\n",
                static_cast<long long>(took.count()), (*r)->network_queries());
    // A failure caused by the overall deadline is not remembered: with a new deadline the name is
    // asked again.
    const auto sent = (*r)->network_queries();
    (*r)->set_deadline(std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
    EXPECT_EQ((*r)->query("n19.example", rr_type::txt).status, rcode::timeout);
    EXPECT_EQ((*r)->network_queries(), sent + 1);
}

TEST(dns_deadline, bad_query_deadline_is_refused) {
    cares_options o;
    o.query_deadline_ms = 0;
    EXPECT_FALSE(cares_resolver::create(o).ok());
}

// ---- query_many: many queries in flight on one channel, the same answers as query() ----------

TEST_F(nsd_server, query_many_gives_the_answers_of_query_in_turn) {
    cares_options o;
    o.cache = false;
    auto r = make(o);
    ASSERT_NE(r, nullptr);
    std::vector<question> qs;
    // Each query three times over: more than one batch of in-flight queries' worth of work, with
    // repeated questions (asked once each).
    for (int round = 0; round < 3; ++round)
        for (const auto& [name, type] : comparison_queries()) qs.push_back({name, type});
    const auto answers = r->query_many(qs);
    ASSERT_EQ(answers.size(), qs.size());
    for (std::size_t i = 0; i < qs.size(); ++i) {
        EXPECT_EQ(describe(answers[i]), describe(zone.resolve(qs[i].name, qs[i].type)))
            << qs[i].name << " type " << static_cast<int>(qs[i].type) << " (" << answers[i].detail << ")";
    }
    // "WWW.Dns.Test." and "www.dns.test" are one question; CNAME continuations add a few.
    EXPECT_LT(r->network_queries(), comparison_queries().size() + 10);
}

TEST_F(nsd_server, query_many_keeps_hundreds_in_flight_and_caches) {
    auto r = make();
    ASSERT_NE(r, nullptr);
    std::vector<question> qs;
    for (int i = 0; i < 2000; ++i) qs.push_back({"n" + std::to_string(i) + ".dns.test", rr_type::a});
    qs.push_back({"www.dns.test", rr_type::a});
    const auto t0 = std::chrono::steady_clock::now();
    const auto answers = r->query_many(qs);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    for (std::size_t i = 0; i + 1 < qs.size(); ++i) EXPECT_EQ(answers[i].status, rcode::nxdomain) << qs[i].name;
    EXPECT_EQ(addresses(answers.back()), (std::vector<std::string>{"192.0.2.10", "192.0.2.11"}));
    std::printf("[ measured ] query_many: 2001 queries against NSD in %lld ms\n", static_cast<long long>(took.count()));
    const auto sent = r->network_queries();
    EXPECT_EQ(sent, qs.size());
    // Everything is cached now (negative answers too): the same batch sends nothing.
    const auto again = r->query_many(qs);
    EXPECT_EQ(r->network_queries(), sent);
    EXPECT_EQ(again.back().status, rcode::noerror);
}

TEST(dns_deadline, query_many_against_a_silent_server_ends_within_one_query_deadline) {
    silent_server s;
    ASSERT_GT(s.port, 0);
    cares_options o;
    o.servers = {"127.0.0.1:" + std::to_string(s.port)};
    o.timeout_ms = 200;
    o.tries = 6;
    o.query_deadline_ms = 800;
    auto r = cares_resolver::create(o);
    ASSERT_TRUE(r.ok()) << r.err().message;
    std::vector<question> qs;
    for (int i = 0; i < 300; ++i) qs.push_back({"q" + std::to_string(i) + ".example", rr_type::ptr});
    const auto t0 = std::chrono::steady_clock::now();
    const auto answers = (*r)->query_many(qs);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    for (const auto& a : answers) EXPECT_EQ(a.status, rcode::timeout) << a.detail;
    // 256 in flight, then the other 44: two query deadlines at most, not 300.
    EXPECT_LT(took, std::chrono::milliseconds(2 * 800 + 400)) << took.count() << " ms";
}

TEST(resolver_default, query_many_asks_in_turn) {
    zone_resolver z;
    ASSERT_TRUE(z.load_text("$ORIGIN example.\na IN A 192.0.2.1\n").ok());
    const auto answers = z.query_many({{"a.example", rr_type::a}, {"b.example", rr_type::a}, {"A.EXAMPLE.", rr_type::aaaa}});
    ASSERT_EQ(answers.size(), 3u);
    EXPECT_EQ(addresses(answers[0]), (std::vector<std::string>{"192.0.2.1"}));
    EXPECT_EQ(answers[1].status, rcode::nxdomain);
    EXPECT_TRUE(answers[2].nodata());
}
