#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "dns/answer_cache.hpp"
#include "dns/message.hpp"
#include "dns_test_util.hpp"

using namespace dmarcsight;
using namespace dmarcsight::dns;
using namespace dmarcsight::dns::test;

namespace {
constexpr std::uint16_t t_a = 1, t_cname = 5, t_soa = 6, t_mx = 15, t_txt = 16, t_aaaa = 28, t_rrsig = 46;

dns_message parse_ok(const std::vector<std::uint8_t>& b) {
    auto m = parse_message(b);
    EXPECT_TRUE(m.ok()) << m.err().message;
    return m.ok() ? *m : dns_message{};
}
std::string parse_err(const std::vector<std::uint8_t>& b) {
    auto m = parse_message(b);
    EXPECT_FALSE(m.ok());
    return m.ok() ? std::string() : m.err().message;
}
}  // namespace

TEST(dns_message, parses_header_question_and_typed_rdata) {
    wire_builder w("Example.COM", t_mx);
    w.rr(1, "example.com", t_mx, 300, [] {
        std::vector<std::uint8_t> b{0, 10};
        put_name(b, "MX.example.com");
        return b;
    }());
    w.rr(1, "example.com", t_a, 60, {192, 0, 2, 1});
    w.rr(1, "example.com", t_aaaa, 60, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
    w.rr(1, "example.com", t_txt, 60, {3, 'a', 'b', 'c', 0, 2, 'd', 'e'});
    w.rr(1, "example.com", t_rrsig, 60, {1, 2, 3});  // unknown type: kept, not decoded
    const auto m = parse_ok(w.finish());
    EXPECT_EQ(m.id, 0x1234);
    EXPECT_TRUE(m.qr);
    EXPECT_TRUE(m.aa);
    EXPECT_FALSE(m.tc);
    EXPECT_EQ(m.qname, "example.com");
    EXPECT_EQ(m.qtype, t_mx);
    ASSERT_EQ(m.answers.size(), 5u);
    EXPECT_EQ(std::get<mx_rdata>(*m.answers[0].data).exchange, "mx.example.com");
    EXPECT_EQ(std::get<mx_rdata>(*m.answers[0].data).preference, 10);
    EXPECT_EQ(std::get<ip_address>(*m.answers[1].data).to_string(), "192.0.2.1");
    EXPECT_EQ(std::get<ip_address>(*m.answers[2].data).to_string(), "2001:db8::1");
    EXPECT_EQ(std::get<txt_rdata>(*m.answers[3].data).strings, (std::vector<std::string>{"abc", "", "de"}));
    EXPECT_FALSE(m.answers[4].data.has_value());
}

TEST(dns_message, compression_pointers_backwards_only) {
    // Answer owner is a pointer to the question name at offset 12.
    wire_builder w("example.com", t_a);
    std::vector<std::uint8_t> b = w.finish();
    b[7] = 1;  // ANCOUNT = 1
    const std::vector<std::uint8_t> rr = {0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7};
    b.insert(b.end(), rr.begin(), rr.end());
    const auto m = parse_ok(b);
    ASSERT_EQ(m.answers.size(), 1u);
    EXPECT_EQ(m.answers[0].owner, "example.com");
    // "www" + pointer to the question name.
    auto b2 = w.finish();
    b2[7] = 1;
    const std::vector<std::uint8_t> rr2 = {3, 'w', 'w', 'w', 0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 8};
    b2.insert(b2.end(), rr2.begin(), rr2.end());
    EXPECT_EQ(parse_ok(b2).answers.at(0).owner, "www.example.com");
    // A pointer to itself (a loop) or forwards is refused.
    auto b3 = w.finish();
    b3[7] = 1;
    const std::size_t at = b3.size();
    const std::vector<std::uint8_t> rr3 = {0xC0, static_cast<std::uint8_t>(at), 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4};
    b3.insert(b3.end(), rr3.begin(), rr3.end());
    EXPECT_EQ(parse_err(b3), "compression pointer does not point backwards");
    // Two names pointing at each other.
    std::vector<std::uint8_t> b4 = {0x12, 0x34, 0x84, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 14, 0xC0, 12, 0, 1, 0, 1};
    EXPECT_EQ(parse_err(b4), "compression pointer does not point backwards");
}

TEST(dns_message, hostile_lengths_are_refused) {
    EXPECT_EQ(parse_err({0x12, 0x34, 0x84}), "message shorter than its header");
    wire_builder w("example.com", t_a);
    // RDLENGTH past the end.
    auto b = w.finish();
    b[7] = 1;
    const std::vector<std::uint8_t> rr = {0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 40, 192, 0, 2, 7};
    b.insert(b.end(), rr.begin(), rr.end());
    EXPECT_EQ(parse_err(b), "RDATA runs past the message");
    // ANCOUNT larger than what is there.
    auto b2 = w.finish();
    b2[7] = 3;
    EXPECT_EQ(parse_err(b2), "name runs past the message");
    // A with 5 octets; TXT whose string runs past RDATA; label type 0x40.
    EXPECT_EQ(parse_err(wire_builder("e.com", t_a).rr(1, "e.com", t_a, 1, {1, 2, 3, 4, 5}).finish()), "A RDATA is not 4 octets");
    EXPECT_EQ(parse_err(wire_builder("e.com", t_txt).rr(1, "e.com", t_txt, 1, {5, 'a', 'b'}).finish()),
              "character-string runs past RDATA");
    EXPECT_EQ(parse_err(wire_builder("e.com", t_txt).rr(1, "e.com", t_txt, 1, {}).finish()), "TXT RDATA is empty");
    auto b3 = wire_builder("e.com", t_a).finish();
    b3[12] = 0x41;
    EXPECT_EQ(parse_err(b3), "unsupported label type");
    // CNAME RDATA with bytes after the name.
    auto cn = name_rdata("t.e.com");
    cn.push_back(0);
    EXPECT_EQ(parse_err(wire_builder("e.com", t_cname).rr(1, "e.com", t_cname, 1, cn).finish()), "data after the name in RDATA");
    // A name over 255 octets made of pointers-free labels.
    std::string longname;
    for (int i = 0; i < 5; ++i) longname += std::string(60, 'x') + ".";
    longname += "com";
    EXPECT_EQ(parse_err(wire_builder(longname, t_a).finish()), "name longer than 255 octets");
}

TEST(dns_message, answer_follows_chain_and_computes_cache_ttl) {
    wire_builder w("www.example.com", t_a);
    w.rr(1, "www.example.com", t_cname, 100, name_rdata("edge.example.net"));
    w.rr(1, "edge.example.net", t_cname, 50, name_rdata("host.example.net"));
    w.rr(1, "host.example.net", t_a, 300, {192, 0, 2, 80});
    w.rr(1, "unrelated.example.net", t_a, 1, {192, 0, 2, 81});  // not on the chain: ignored
    const auto ma = answer_from_message(parse_ok(w.finish()), "www.example.com", rr_type::a);
    EXPECT_EQ(ma.ans.status, rcode::noerror);
    EXPECT_EQ(ma.ans.cnames, (std::vector<std::string>{"edge.example.net", "host.example.net"}));
    EXPECT_EQ(addresses(ma.ans), (std::vector<std::string>{"192.0.2.80"}));
    EXPECT_EQ(ma.cache_ttl, 50u);  // the smallest TTL on the path
    EXPECT_FALSE(ma.chain_incomplete);
}

TEST(dns_message, negative_answers_use_the_soa_per_rfc2308) {
    // NXDOMAIN: min(SOA TTL 900, MINIMUM 120).
    auto nx = answer_from_message(parse_ok(wire_builder("x.example", t_a, 3).rr(2, "example", t_soa, 900, soa_rdata_wire(120)).finish()),
                                  "x.example", rr_type::a);
    EXPECT_EQ(nx.ans.status, rcode::nxdomain);
    EXPECT_EQ(nx.cache_ttl, 120u);
    // NODATA with the SOA TTL below MINIMUM.
    auto nd = answer_from_message(parse_ok(wire_builder("x.example", t_mx).rr(2, "example", t_soa, 30, soa_rdata_wire(120)).finish()),
                                  "x.example", rr_type::mx);
    EXPECT_EQ(nd.ans.status, rcode::noerror);
    EXPECT_TRUE(nd.ans.nodata());
    EXPECT_EQ(nd.cache_ttl, 30u);
    // No SOA: not cached (RFC 2308 §5).
    auto bare = answer_from_message(parse_ok(wire_builder("x.example", t_a, 3).finish()), "x.example", rr_type::a);
    EXPECT_EQ(bare.ans.status, rcode::nxdomain);
    EXPECT_EQ(bare.cache_ttl, 0u);
    // Huge MINIMUM is capped.
    auto big = answer_from_message(
        parse_ok(wire_builder("x.example", t_a, 3).rr(2, "example", t_soa, 999999, soa_rdata_wire(999999)).finish()), "x.example", rr_type::a);
    EXPECT_EQ(big.cache_ttl, limits::max_dns_negative_ttl);
}

TEST(dns_message, chain_cut_short_loops_and_rcodes) {
    // A CNAME to a name the reply says nothing about, no SOA: the caller must ask again.
    auto cut = answer_from_message(parse_ok(wire_builder("a.example", t_a).rr(1, "a.example", t_cname, 60, name_rdata("b.other")).finish()),
                                   "a.example", rr_type::a);
    EXPECT_TRUE(cut.chain_incomplete);
    EXPECT_EQ(cut.ans.cnames, (std::vector<std::string>{"b.other"}));
    // The same with an SOA: still asked again (the RCODE may be the first zone's, RFC 6604 §3).
    auto nd = answer_from_message(parse_ok(wire_builder("a.example", t_a)
                                               .rr(1, "a.example", t_cname, 60, name_rdata("b.other"))
                                               .rr(2, "other", t_soa, 60, soa_rdata_wire(60))
                                               .finish()),
                                  "a.example", rr_type::a);
    EXPECT_TRUE(nd.chain_incomplete);
    // NXDOMAIN after a chain is the last name's (RFC 6604 §2.1): final.
    auto nx = answer_from_message(parse_ok(wire_builder("a.example", t_a, 3)
                                               .rr(1, "a.example", t_cname, 60, name_rdata("b.other"))
                                               .rr(2, "other", t_soa, 60, soa_rdata_wire(60))
                                               .finish()),
                                  "a.example", rr_type::a);
    EXPECT_FALSE(nx.chain_incomplete);
    EXPECT_EQ(nx.ans.status, rcode::nxdomain);
    EXPECT_EQ(nx.ans.cnames, (std::vector<std::string>{"b.other"}));
    // A loop inside one reply.
    auto loop = answer_from_message(parse_ok(wire_builder("a.example", t_a)
                                                 .rr(1, "a.example", t_cname, 60, name_rdata("b.example"))
                                                 .rr(1, "b.example", t_cname, 60, name_rdata("a.example"))
                                                 .finish()),
                                    "a.example", rr_type::a);
    EXPECT_EQ(loop.ans.status, rcode::servfail);
    EXPECT_EQ(loop.cache_ttl, 0u);
    // RCODEs.
    EXPECT_EQ(answer_from_message(parse_ok(wire_builder("a.example", t_a, 2).finish()), "a.example", rr_type::a).ans.status, rcode::servfail);
    EXPECT_EQ(answer_from_message(parse_ok(wire_builder("a.example", t_a, 5).finish()), "a.example", rr_type::a).ans.status, rcode::refused);
    EXPECT_EQ(answer_from_message(parse_ok(wire_builder("a.example", t_a, 1).finish()), "a.example", rr_type::a).ans.status, rcode::formerr);
    EXPECT_EQ(answer_from_message(parse_ok(wire_builder("a.example", t_a, 4).finish()), "a.example", rr_type::a).ans.status, rcode::servfail);
}

TEST(dns_message, records_must_be_class_in_and_owned_by_the_name) {
    auto b = wire_builder("a.example", t_a).rr(1, "A.EXAMPLE", t_a, 60, {192, 0, 2, 1}).finish();
    auto ma = answer_from_message(parse_ok(b), "a.example", rr_type::a);
    EXPECT_EQ(addresses(ma.ans), (std::vector<std::string>{"192.0.2.1"}));
    // Same record in class CH (3): ignored → NODATA.
    auto b2 = b;
    b2[b2.size() - 4 - 2 - 4 - 1] = 3;  // CLASS low octet (RDATA 4, RDLENGTH 2, TTL 4 before the end)
    auto ma2 = answer_from_message(parse_ok(b2), "a.example", rr_type::a);
    EXPECT_TRUE(ma2.ans.nodata());
}

// ---- the cache -------------------------------------------------------------------------------------

namespace {
struct fake_clock {
    answer_cache::clock::time_point t{};
    answer_cache::now_fn fn() {
        return [this] { return t; };
    }
    void advance(int seconds) { t += std::chrono::seconds(seconds); }
};
answer one_a(std::uint32_t ttl) {
    answer a;
    a.records.push_back({"x.example", rr_type::a, ttl, *ip_address::parse("192.0.2.1")});
    return a;
}
}  // namespace

TEST(answer_cache, ttl_counts_down_and_expires) {
    fake_clock c;
    answer_cache cache(10, c.fn());
    cache.put("x.example", rr_type::a, one_a(100), 100);
    c.advance(40);
    auto hit = cache.get("x.example", rr_type::a);
    ASSERT_TRUE(hit.has_value());
    EXPECT_EQ(hit->records.at(0).ttl, 60u);
    EXPECT_FALSE(cache.get("x.example", rr_type::txt).has_value());  // keyed by type too
    c.advance(60);
    EXPECT_FALSE(cache.get("x.example", rr_type::a).has_value());
    EXPECT_EQ(cache.size(), 0u);
}

TEST(answer_cache, zero_ttl_is_not_stored_and_capacity_evicts_lru) {
    fake_clock c;
    answer_cache cache(2, c.fn());
    cache.put("zero.example", rr_type::a, one_a(0), 0);
    EXPECT_EQ(cache.size(), 0u);
    cache.put("a.example", rr_type::a, one_a(60), 60);
    cache.put("b.example", rr_type::a, one_a(60), 60);
    ASSERT_TRUE(cache.get("a.example", rr_type::a).has_value());  // a is now most recent
    cache.put("c.example", rr_type::a, one_a(60), 60);             // evicts b
    EXPECT_EQ(cache.size(), 2u);
    EXPECT_TRUE(cache.get("a.example", rr_type::a).has_value());
    EXPECT_FALSE(cache.get("b.example", rr_type::a).has_value());
    EXPECT_TRUE(cache.get("c.example", rr_type::a).has_value());
    // Replacing an entry does not grow the cache.
    cache.put("c.example", rr_type::a, one_a(5), 5);
    EXPECT_EQ(cache.size(), 2u);
    c.advance(6);
    EXPECT_FALSE(cache.get("c.example", rr_type::a).has_value());
    answer_cache off(0, c.fn());
    off.put("a.example", rr_type::a, one_a(60), 60);
    EXPECT_EQ(off.size(), 0u);
}
