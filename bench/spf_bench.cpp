// check_host() throughput with answers cached (zone_resolver is in memory), on a realistic policy:
// a top-level record with own ranges, three ESP includes (one nested three deep, Google-style),
// and an mx. Target (issue): >= 100,000 evaluations per second per core.
#include <benchmark/benchmark.h>

#include "auth/spf_analysis.hpp"
#include "auth/spf_check.hpp"
#include "auth/spf_record.hpp"
#include "dns/zone_resolver.hpp"

namespace {

using namespace dmarcsight;

constexpr const char* zone_text = R"(
$ORIGIN bench.test.
$TTL 300
@            TXT "v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.16/28 include:_spf.mail.bench.test include:spf.protection.bench.test include:sendgrid.bench.test mx ~all"
@            MX  10 mx1.bench.test.
@            MX  20 mx2.bench.test.
mx1          A   203.0.113.10
mx2          A   203.0.113.11
_spf.mail    TXT "v=spf1 include:_netblocks.mail.bench.test include:_netblocks2.mail.bench.test include:_netblocks3.mail.bench.test ~all"
_netblocks.mail  TXT "v=spf1 ip4:35.190.247.0/24 ip4:64.233.160.0/19 ip4:66.102.0.0/20 ip4:66.249.80.0/20 ip4:72.14.192.0/18 ip4:74.125.0.0/16 ip4:108.177.8.0/21 ip4:173.194.0.0/16 ip4:209.85.128.0/17 ip4:216.58.192.0/19 ip4:216.239.32.0/19 ~all"
_netblocks2.mail TXT "v=spf1 ip6:2001:4860:4000::/36 ip6:2404:6800:4000::/36 ip6:2607:f8b0:4000::/36 ip6:2800:3f0:4000::/36 ip6:2a00:1450:4000::/36 ip6:2c0f:fb50:4000::/36 ~all"
_netblocks3.mail TXT "v=spf1 ip4:172.217.0.0/19 ip4:172.217.32.0/20 ip4:172.217.128.0/19 ip4:172.217.160.0/20 ip4:172.217.192.0/19 ip4:172.253.56.0/21 ip4:172.253.112.0/20 ip4:108.177.96.0/19 ip4:35.191.0.0/16 ip4:130.211.0.0/22 ~all"
spf.protection   TXT "v=spf1 ip4:40.92.0.0/15 ip4:40.107.0.0/16 ip4:52.100.0.0/14 ip4:104.47.0.0/17 ip6:2a01:111:f400::/48 ip6:2a01:111:f403::/49 ip6:2a01:111:f403:8000::/51 -all"
sendgrid         TXT "v=spf1 ip4:167.89.0.0/17 ip4:208.117.48.0/20 ip4:50.31.32.0/19 ip4:198.37.144.0/20 ip4:198.21.0.0/21 ip4:192.254.112.0/20 ip4:168.245.0.0/17 ~all"
)";

dns::zone_resolver& zone() {
    static dns::zone_resolver z = [] {
        dns::zone_resolver r;
        auto ok = r.load_text(zone_text);
        if (!ok) std::abort();
        return r;
    }();
    return z;
}

void run_check(benchmark::State& state, const char* ip, auth::spf_result expected, bool trace, bool cache = true) {
    auto& z = zone();
    auth::spf_request req;
    req.ip = *ip_address::parse(ip);
    req.sender = "newsletter@bench.test";
    req.helo = "mta.example.net";
    req.timestamp = 1700000000;
    auth::spf_options opt;
    opt.keep_trace = trace;
    auth::spf_record_cache records;
    if (cache) opt.cache = &records;
    for (auto _ : state) {
        auto o = auth::check_spf(z, req, opt);
        if (o.result != expected) state.SkipWithError("unexpected SPF result");
        benchmark::DoNotOptimize(o);
    }
    state.SetItemsProcessed(state.iterations());
}

// Matches an ip4 range of the top-level record: 1 TXT lookup.
void BM_spf_pass_top(benchmark::State& s) { run_check(s, "192.0.2.7", auth::spf_result::pass, true); }
// Matches in the third nested include of the first ESP: 5 TXT lookups.
void BM_spf_pass_nested(benchmark::State& s) { run_check(s, "172.217.130.5", auth::spf_result::pass, true); }
// Matches in the last include: 8 TXT lookups.
void BM_spf_pass_last_include(benchmark::State& s) { run_check(s, "167.89.1.1", auth::spf_result::pass, true); }
// Matches nothing: every include, the mx and its addresses (8 TXT + 1 MX + 2 A), then ~all.
void BM_spf_softfail_full_walk(benchmark::State& s) { run_check(s, "100.64.1.1", auth::spf_result::softfail, true); }
void BM_spf_softfail_full_walk_no_trace(benchmark::State& s) {
    run_check(s, "100.64.1.1", auth::spf_result::softfail, false);
}
// Without the parsed-record cache: every record is parsed on every evaluation.
void BM_spf_softfail_full_walk_no_record_cache(benchmark::State& s) {
    run_check(s, "100.64.1.1", auth::spf_result::softfail, true, false);
}

void BM_spf_parse_record(benchmark::State& state) {
    const std::string rec =
        "v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.16/28 include:_spf.mail.bench.test "
        "include:spf.protection.bench.test include:sendgrid.bench.test a:mail.%{d2} mx/24//64 exists:%{ir}.x.%{d} ~all";
    for (auto _ : state) {
        auto r = auth::parse_spf_record(rec);
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_spf_analyze(benchmark::State& state) {
    auto& z = zone();
    for (auto _ : state) {
        auto a = auth::analyze_spf(z, "bench.test");
        benchmark::DoNotOptimize(a);
    }
    state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_spf_pass_top);
BENCHMARK(BM_spf_pass_nested);
BENCHMARK(BM_spf_pass_last_include);
BENCHMARK(BM_spf_softfail_full_walk);
BENCHMARK(BM_spf_softfail_full_walk_no_trace);
BENCHMARK(BM_spf_softfail_full_walk_no_record_cache);
BENCHMARK(BM_spf_parse_record);
BENCHMARK(BM_spf_analyze);

}  // namespace

BENCHMARK_MAIN();
