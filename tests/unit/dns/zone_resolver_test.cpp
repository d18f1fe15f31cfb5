#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/limits.hpp"
#include "dns/zone_resolver.hpp"
#include "dns_test_util.hpp"

using namespace dmarcsight;
using namespace dmarcsight::dns;
using namespace dmarcsight::dns::test;

namespace {

zone_resolver load_fixture(const std::string& name) {
    zone_resolver z;
    auto r = z.load_file(fixture_path(name));
    EXPECT_TRUE(r.ok()) << r.err().message;
    return z;
}

std::vector<resource_record> parse_ok(std::string_view text, std::string origin = "") {
    zone_parse_options o;
    o.origin = std::move(origin);
    auto r = parse_zone(text, o);
    EXPECT_TRUE(r.ok()) << r.err().message;
    return r.ok() ? *r : std::vector<resource_record>{};
}

std::string parse_error(std::string_view text, std::string source = "t.zone") {
    zone_parse_options o;
    o.source_name = std::move(source);
    auto r = parse_zone(text, o);
    EXPECT_FALSE(r.ok()) << "parsed: " << text;
    return r.ok() ? std::string() : r.err().message;
}

}  // namespace

// ---- the master-file parser ------------------------------------------------------------------------

TEST(zone_parser, features_fixture_parses_every_syntax_form) {
    zone_resolver z = load_fixture("features.zone");
    // $TTL 1h applies; an explicit TTL (before or after the class) wins.
    auto www = z.resolve("www.dns.test", rr_type::a);
    ASSERT_EQ(www.status, rcode::noerror);
    EXPECT_EQ(addresses(www), (std::vector<std::string>{"192.0.2.10", "192.0.2.11"}));
    EXPECT_EQ(www.records[0].ttl, 300u);
    EXPECT_EQ(www.records[1].ttl, 300u);
    // Blank owner continues "www"; no TTL → $TTL (3600).
    auto www6 = z.resolve("www.dns.test", rr_type::aaaa);
    EXPECT_EQ(addresses(www6), (std::vector<std::string>{"2001:db8::10"}));
    EXPECT_EQ(www6.records[0].ttl, 3600u);
    // Absolute upper-case owner is lower-cased.
    EXPECT_EQ(addresses(z.resolve("www2.dns.test", rr_type::a)), (std::vector<std::string>{"192.0.2.12"}));
    // MX: relative and absolute exchanges.
    auto mx = z.resolve("mail.dns.test", rr_type::mx);
    ASSERT_EQ(mx.records.size(), 2u);
    EXPECT_EQ(std::get<mx_rdata>(mx.records[0].data).preference, 10);
    EXPECT_EQ(std::get<mx_rdata>(mx.records[0].data).exchange, "mx1.dns.test");
    EXPECT_EQ(std::get<mx_rdata>(mx.records[1].data).exchange, "mx2.dns.test");
    // Multi-string TXT stays unjoined; joined() concatenates without separator (RFC 7208 §3.3).
    auto multi = z.resolve("multi.dns.test", rr_type::txt);
    ASSERT_EQ(multi.records.size(), 1u);
    const auto& t = std::get<txt_rdata>(multi.records[0].data);
    EXPECT_EQ(t.strings, (std::vector<std::string>{"v=spf1 ip4:192.0.2.0/24 ", "include:_spf.dns.test -all"}));
    EXPECT_EQ(t.joined(), "v=spf1 ip4:192.0.2.0/24 include:_spf.dns.test -all");
    // Quoted specials and \X escapes.
    EXPECT_EQ(txt_strings(z.resolve("quoted.dns.test", rr_type::txt)),
              (std::vector<std::string>{"semi;colon", "quote\"inside", "back\\slash", "paren(s)"}));
    // \DDD decimal escapes, unquoted string with an escaped space.
    EXPECT_EQ(txt_strings(z.resolve("escaped.dns.test", rr_type::txt)), (std::vector<std::string>{"ABC", "unquoted word"}));
    EXPECT_EQ(txt_strings(z.resolve("empty.dns.test", rr_type::txt)), (std::vector<std::string>{""}));
    // Parenthesised continuation with a comment inside.
    EXPECT_EQ(txt_strings(z.resolve("paren.dns.test", rr_type::txt)), (std::vector<std::string>{"first", "second"}));
    // SPF type is its own type; the TXT beside it is separate.
    auto spf = z.resolve("spf.dns.test", rr_type::spf);
    ASSERT_EQ(spf.records.size(), 1u);
    EXPECT_EQ(spf.records[0].type, rr_type::spf);
    EXPECT_EQ(txt_strings(spf), (std::vector<std::string>{"v=spf1 -all"}));
    // Long TXT: three 200-byte strings.
    auto lng = z.resolve("long.dns.test", rr_type::txt);
    ASSERT_EQ(lng.records.size(), 1u);
    EXPECT_EQ(std::get<txt_rdata>(lng.records[0].data).joined(), std::string(200, 'a') + std::string(200, 'b') + std::string(200, 'c'));
    // PTR with a numeric owner, and SOA over several lines.
    auto ptr = z.resolve("10.dns.test", rr_type::ptr);
    ASSERT_EQ(ptr.records.size(), 1u);
    EXPECT_EQ(std::get<std::string>(ptr.records[0].data), "www.dns.test");
    auto soa = z.resolve("dns.test", rr_type::soa);
    ASSERT_EQ(soa.records.size(), 1u);
    const auto& s = std::get<soa_rdata>(soa.records[0].data);
    EXPECT_EQ(s.mname, "ns1.dns.test");
    EXPECT_EQ(s.rname, "hostmaster.dns.test");
    EXPECT_EQ(s.serial, 2026112201u);
    EXPECT_EQ(s.refresh, 7200u);
    EXPECT_EQ(s.retry, 900u);
    EXPECT_EQ(s.expire, 1209600u);
    EXPECT_EQ(s.minimum, 300u);
    auto ns = z.resolve("dns.test", rr_type::ns);
    ASSERT_EQ(ns.records.size(), 1u);
    EXPECT_EQ(std::get<std::string>(ns.records[0].data), "ns1.dns.test");
    // A second $ORIGIN changes where relative names land.
    EXPECT_EQ(addresses(z.resolve("host.sub.dns.test", rr_type::a)), (std::vector<std::string>{"192.0.2.60"}));
}

TEST(zone_parser, origin_argument_and_at_sign) {
    auto rrs = parse_ok("@ 60 TXT \"apex\"\nwww 60 A 192.0.2.1\nabs.other. 60 A 192.0.2.2\n", "Example.COM.");
    ASSERT_EQ(rrs.size(), 3u);
    EXPECT_EQ(rrs[0].owner, "example.com");
    EXPECT_EQ(rrs[1].owner, "www.example.com");
    EXPECT_EQ(rrs[2].owner, "abs.other");
    // Origin given without the trailing dot is absolute too.
    auto rrs2 = parse_ok("www A 192.0.2.1\n", "example.com");
    ASSERT_EQ(rrs2.size(), 1u);
    EXPECT_EQ(rrs2[0].owner, "www.example.com");
    // No origin at all: relative names hang off the root.
    auto rrs3 = parse_ok("host.example A 192.0.2.1\n");
    EXPECT_EQ(rrs3.at(0).owner, "host.example");
}

TEST(zone_parser, ttl_defaults_follow_rfc2308) {
    // Before any $TTL: the last explicit TTL; after $TTL: $TTL; units are accepted.
    auto rrs = parse_ok("a 120 A 192.0.2.1\nb A 192.0.2.2\n$TTL 1d2h\nc A 192.0.2.3\nd 1W A 192.0.2.4\n", "x.");
    ASSERT_EQ(rrs.size(), 4u);
    EXPECT_EQ(rrs[0].ttl, 120u);
    EXPECT_EQ(rrs[1].ttl, 120u);
    EXPECT_EQ(rrs[2].ttl, 86400u + 7200u);
    EXPECT_EQ(rrs[3].ttl, 604800u);
    // Nothing at all: the option's default.
    zone_parse_options o;
    o.default_ttl = 42;
    auto r = parse_zone("a A 192.0.2.1\n", o);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->at(0).ttl, 42u);
}

TEST(zone_parser, escapes_in_names) {
    auto rrs = parse_ok("a\\.b.example. A 192.0.2.1\n\\065bc.example. A 192.0.2.2\nsp\\ ace.example. A 192.0.2.3\n");
    ASSERT_EQ(rrs.size(), 3u);
    EXPECT_EQ(rrs[0].owner, "a\\.b.example");  // one label "a.b": the dot stays escaped
    EXPECT_EQ(rrs[1].owner, "abc.example");    // \065 = 'A', lower-cased
    EXPECT_EQ(rrs[2].owner, "sp ace.example");
    zone_resolver z;
    for (auto& rr : rrs) z.add(rr);
    // "a\.b.example" is a child of example, so b.example does not exist.
    EXPECT_EQ(z.resolve("b.example", rr_type::a).status, rcode::nxdomain);
    EXPECT_EQ(addresses(z.resolve("A\\.B.example.", rr_type::a)), (std::vector<std::string>{"192.0.2.1"}));
}

TEST(zone_parser, comments_blank_lines_crlf_and_no_final_newline) {
    auto rrs = parse_ok("; header\r\n\r\n   \t ; indented comment\r\nwww A 192.0.2.1 ; trailing\r\n   TXT \"x\"", "e.");
    ASSERT_EQ(rrs.size(), 2u);
    EXPECT_EQ(rrs[1].owner, "www.e");
    EXPECT_EQ(rrs[1].type, rr_type::txt);
}

TEST(zone_parser, errors_name_file_and_line) {
    EXPECT_EQ(parse_error("www A 192.0.2.1\n\n$INCLUDE /etc/passwd\n"),
              "t.zone:3: $INCLUDE is not allowed: zone data never opens files");
    EXPECT_EQ(parse_error("a A 192.0.2.1\nb A 999.0.2.1\n"), "t.zone:2: bad IPv4 address '999.0.2.1'");
    EXPECT_EQ(parse_error("a A 2001:db8::1\n"), "t.zone:1: bad IPv4 address '2001:db8::1'");
    EXPECT_EQ(parse_error("a AAAA 192.0.2.1\n"), "t.zone:1: bad IPv6 address '192.0.2.1'");
    EXPECT_EQ(parse_error("a SRV 0 0 25 b.\n"), "t.zone:1: unsupported record type 'SRV'");
    EXPECT_EQ(parse_error("a CH TXT \"x\"\n"), "t.zone:1: only class IN is supported");
    EXPECT_EQ(parse_error("a 60\n"), "t.zone:1: record without a type");
    EXPECT_EQ(parse_error("a MX 70000 b.\n"), "t.zone:1: bad MX preference '70000'");
    EXPECT_EQ(parse_error("a MX 10\n"), "t.zone:1: too few fields for MX");
    EXPECT_EQ(parse_error("a CNAME b. c.\n"), "t.zone:1: unexpected data after the record: 'c.'");
    EXPECT_EQ(parse_error("  A 192.0.2.1\n"), "t.zone:1: record without an owner name and no previous owner");
    EXPECT_EQ(parse_error("a TXT \"open\n"), "t.zone:1: newline inside a quoted string");
    EXPECT_EQ(parse_error("a TXT \"open"), "t.zone:1: quoted string is never closed");
    EXPECT_EQ(parse_error("\n\na SOA ( b. c. 1 2 3 4\n 5\n"), "t.zone:3: '(' is never closed");
    EXPECT_EQ(parse_error("a TXT ( ( \"x\" ) )\n"), "t.zone:1: nested '('");
    EXPECT_EQ(parse_error("a TXT \"x\" )\n"), "t.zone:1: ')' without '('");
    EXPECT_EQ(parse_error("a TXT \"\\256\"\n"), "t.zone:1: '\\DDD' value above 255");
    EXPECT_EQ(parse_error("a TXT \"\\06\"\n"), "t.zone:1: '\\DDD' needs exactly three decimal digits");
    EXPECT_EQ(parse_error("a..b A 192.0.2.1\n"), "t.zone:1: empty label in 'a..b'");
    EXPECT_EQ(parse_error(std::string(64, 'l') + " A 192.0.2.1\n"), "t.zone:1: label longer than 63 octets (RFC 1035 §2.3.4)");
    EXPECT_EQ(parse_error("a TXT \"" + std::string(256, 'x') + "\"\n"),
              "t.zone:1: character-string longer than 255 octets (RFC 1035 §3.3)");
    EXPECT_EQ(parse_error("$TTL 1x\n"), "t.zone:1: bad TTL '1x'");
    EXPECT_EQ(parse_error("$TTL 4294967296\n"), "t.zone:1: TTL out of range");
    EXPECT_EQ(parse_error("$FOO bar\n"), "t.zone:1: unknown directive '$FOO'");
    EXPECT_EQ(parse_error("a CNAME b.\na A 192.0.2.1\n"), "t.zone:2: CNAME and other data at 'a' (RFC 2181 §10.1)");
    EXPECT_EQ(parse_error("a CNAME b.\na CNAME c.\n"), "t.zone:2: more than one CNAME at 'a'");
    // The line of a record that spans lines is the line where it starts.
    EXPECT_EQ(parse_error("ok A 192.0.2.1\nbad TXT (\n \"x\"\n) trailing ( \"y\"\n"), "t.zone:4: '(' is never closed");
}

TEST(zone_parser, name_length_limit) {
    // 4 labels of 63 = 4*64 + 1 = 257 wire octets > 255.
    const std::string l(63, 'x');
    EXPECT_EQ(parse_error(l + "." + l + "." + l + "." + l + ". A 192.0.2.1\n"),
              "t.zone:1: name longer than 255 octets (RFC 1035 §2.3.4)");
    // 3 labels of 63 + one of 61 = 255 exactly: accepted.
    auto rrs = parse_ok(l + "." + l + "." + l + "." + std::string(61, 'y') + ". A 192.0.2.1\n");
    EXPECT_EQ(rrs.size(), 1u);
}

TEST(zone_resolver, load_file_reports_missing_file_and_line_of_bad_file) {
    zone_resolver z;
    auto r = z.load_file(fixture_path("does-not-exist.zone"));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.err().message.find("cannot open"), std::string::npos);
    auto bad = z.load_file(fixture_path("bad-line7.zone"));
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.err().message, fixture_path("bad-line7.zone") + ":7: bad IPv4 address '192.0.2.300'");
    EXPECT_TRUE(z.empty());  // nothing was added from the bad file
}

// ---- authoritative semantics -------------------------------------------------------------------------

// RFC 4592 §2.2.1: the worked example, every case of the section.
TEST(zone_resolver, rfc4592_wildcard_examples) {
    zone_resolver z = load_fixture("rfc4592.zone");
    // host3.example. MX: synthesised from *.example, owned by the query name.
    auto h3 = z.resolve("host3.example", rr_type::mx);
    ASSERT_EQ(h3.status, rcode::noerror);
    ASSERT_EQ(h3.records.size(), 1u);
    EXPECT_EQ(h3.records[0].owner, "host3.example");
    EXPECT_EQ(std::get<mx_rdata>(h3.records[0].data).exchange, "host1.example");
    // host3.example. A: the wildcard matches but has no A → NODATA, not NXDOMAIN.
    auto h3a = z.resolve("host3.example", rr_type::a);
    EXPECT_EQ(h3a.status, rcode::noerror);
    EXPECT_TRUE(h3a.nodata());
    // foo.bar.example. TXT: closest encloser is example; synthesised.
    EXPECT_EQ(txt_strings(z.resolve("foo.bar.example", rr_type::txt)), (std::vector<std::string>{"this is a wildcard"}));
    // host1.example. MX: host1 exists → NODATA, the wildcard does not apply.
    auto h1 = z.resolve("host1.example", rr_type::mx);
    EXPECT_EQ(h1.status, rcode::noerror);
    EXPECT_TRUE(h1.nodata());
    // sub.*.example. MX: exists (TXT only) → NODATA; "*" inside a name is no wildcard.
    auto sub = z.resolve("sub.*.example", rr_type::mx);
    EXPECT_EQ(sub.status, rcode::noerror);
    EXPECT_TRUE(sub.nodata());
    EXPECT_EQ(txt_strings(z.resolve("sub.*.example", rr_type::txt)), (std::vector<std::string>{"this is not a wildcard"}));
    // _telnet._tcp.host1.example: closest encloser _tcp.host1.example (an ENT), no *._tcp... → NXDOMAIN.
    EXPECT_EQ(z.resolve("_telnet._tcp.host1.example", rr_type::txt).status, rcode::nxdomain);
    // ghost.*.example: closest encloser *.example, source *.*.example does not exist → NXDOMAIN.
    EXPECT_EQ(z.resolve("ghost.*.example", rr_type::mx).status, rcode::nxdomain);
    // _tcp.host1.example and _tcp.host2.example are empty non-terminals: NODATA, the wildcard
    // does not apply to them (RFC 4592 §2.2.2), but host2.example too is an ENT.
    for (const char* ent : {"_tcp.host1.example", "_tcp.host2.example", "host2.example"}) {
        auto a = z.resolve(ent, rr_type::txt);
        EXPECT_EQ(a.status, rcode::noerror) << ent;
        EXPECT_TRUE(a.nodata()) << ent;
    }
    // The wildcard owner queried literally answers its own records.
    EXPECT_EQ(txt_strings(z.resolve("*.example", rr_type::txt)), (std::vector<std::string>{"this is a wildcard"}));
    // Outside the zone's data: NXDOMAIN.
    EXPECT_EQ(z.resolve("example.org", rr_type::a).status, rcode::nxdomain);
}

TEST(zone_resolver, empty_non_terminal_is_nodata_and_absent_is_nxdomain) {
    zone_resolver z = load_fixture("features.zone");
    for (const char* name : {"b.ent.dns.test", "ent.dns.test", "sub.dns.test"}) {
        auto a = z.resolve(name, rr_type::a);
        EXPECT_EQ(a.status, rcode::noerror) << name;
        EXPECT_TRUE(a.nodata()) << name;
        EXPECT_TRUE(a.is_void()) << name;
        EXPECT_TRUE(z.exists(name)) << name;
    }
    auto nx = z.resolve("nothing.dns.test", rr_type::a);
    EXPECT_EQ(nx.status, rcode::nxdomain);
    EXPECT_TRUE(nx.is_void());
    EXPECT_FALSE(z.exists("nothing.dns.test"));
    // Below an existing leaf, no wildcard: NXDOMAIN.
    EXPECT_EQ(z.resolve("x.a.b.ent.dns.test", rr_type::a).status, rcode::nxdomain);
    // A name with other types only is NODATA.
    auto nd = z.resolve("www.dns.test", rr_type::mx);
    EXPECT_EQ(nd.status, rcode::noerror);
    EXPECT_TRUE(nd.nodata());
}

TEST(zone_resolver, wildcards_in_features_zone) {
    zone_resolver z = load_fixture("features.zone");
    auto w = z.resolve("anything.wild.dns.test", rr_type::a);
    EXPECT_EQ(addresses(w), (std::vector<std::string>{"192.0.2.40"}));
    EXPECT_EQ(w.records.at(0).owner, "anything.wild.dns.test");
    EXPECT_EQ(addresses(z.resolve("deep.er.wild.dns.test", rr_type::a)), (std::vector<std::string>{"192.0.2.40"}));
    // An existing name blocks the wildcard, for every type.
    EXPECT_EQ(addresses(z.resolve("exists.wild.dns.test", rr_type::a)), (std::vector<std::string>{"192.0.2.41"}));
    EXPECT_TRUE(z.resolve("exists.wild.dns.test", rr_type::txt).nodata());
    // Below an existing name the wildcard of its parent does not apply.
    EXPECT_EQ(z.resolve("x.exists.wild.dns.test", rr_type::a).status, rcode::nxdomain);
    // The wildcard's parent itself is an ENT: NODATA.
    EXPECT_TRUE(z.resolve("wild.dns.test", rr_type::a).nodata());
    // Wildcard NODATA for a type it lacks.
    auto mx = z.resolve("foo.wild.dns.test", rr_type::mx);
    EXPECT_EQ(mx.status, rcode::noerror);
    EXPECT_TRUE(mx.nodata());
    // A wildcard CNAME is synthesised and followed.
    auto wc = z.resolve("x.wcname.dns.test", rr_type::a);
    EXPECT_EQ(wc.cnames, (std::vector<std::string>{"www.dns.test"}));
    EXPECT_EQ(addresses(wc), (std::vector<std::string>{"192.0.2.10", "192.0.2.11"}));
}

TEST(zone_resolver, cname_chain_loop_and_dangling) {
    zone_resolver z = load_fixture("features.zone");
    auto chain = z.resolve("chain1.dns.test", rr_type::a);
    EXPECT_EQ(chain.status, rcode::noerror);
    EXPECT_EQ(chain.cnames, (std::vector<std::string>{"chain2.dns.test", "chain3.dns.test"}));
    EXPECT_EQ(addresses(chain), (std::vector<std::string>{"192.0.2.30"}));
    EXPECT_EQ(chain.records[0].owner, "chain3.dns.test");
    // Asking for the CNAME itself does not follow it.
    auto c = z.resolve("chain1.dns.test", rr_type::cname);
    ASSERT_EQ(c.records.size(), 1u);
    EXPECT_EQ(std::get<std::string>(c.records[0].data), "chain2.dns.test");
    EXPECT_TRUE(c.cnames.empty());
    // NODATA at the end of a chain.
    auto mx = z.resolve("alias.dns.test", rr_type::mx);
    EXPECT_EQ(mx.status, rcode::noerror);
    EXPECT_TRUE(mx.nodata());
    EXPECT_EQ(mx.cnames, (std::vector<std::string>{"www.dns.test"}));
    // Dangling: the rcode is the target's (RFC 6604 §2).
    auto d = z.resolve("dangling.dns.test", rr_type::a);
    EXPECT_EQ(d.status, rcode::nxdomain);
    EXPECT_EQ(d.cnames, (std::vector<std::string>{"nowhere.dns.test"}));
    // Loop → SERVFAIL with a reason.
    auto loop = z.resolve("loop1.dns.test", rr_type::a);
    EXPECT_EQ(loop.status, rcode::servfail);
    EXPECT_TRUE(loop.temporary_failure());
    EXPECT_NE(loop.detail.find("CNAME loop"), std::string::npos);
}

TEST(zone_resolver, cname_chain_cap) {
    zone_resolver z;
    const int n = limits::max_cname_chain + 1;
    // Names built by appending: `"c" + std::to_string(i)` gives a false -Wrestrict with g++ 12 -O2.
    auto name = [](int i) { return std::string("c").append(std::to_string(i)).append(".example"); };
    for (int i = 0; i < n; ++i) z.add({name(i), rr_type::cname, 60, name(i + 1)});
    z.add({name(n), rr_type::a, 60, *ip_address::parse("192.0.2.1")});
    auto a = z.resolve("c0.example", rr_type::a);
    EXPECT_EQ(a.status, rcode::servfail);
    EXPECT_NE(a.detail.find("CNAME chain longer than"), std::string::npos);
    // One hop fewer resolves.
    auto ok = z.resolve("c1.example", rr_type::a);
    EXPECT_EQ(ok.status, rcode::noerror);
    EXPECT_EQ(ok.cnames.size(), static_cast<std::size_t>(limits::max_cname_chain));
}

TEST(zone_resolver, add_case_and_trailing_dot_and_duplicates) {
    zone_resolver z;
    z.add({"Mixed.Example.COM.", rr_type::txt, 60, txt_rdata{{"v=spf1 -all"}}});
    z.add({"mixed.example.com", rr_type::txt, 60, txt_rdata{{"v=spf1 -all"}}});  // duplicate: merged
    z.add({"mixed.example.com", rr_type::mx, 60, mx_rdata{5, "MX.Example.COM."}});
    EXPECT_EQ(z.size(), 2u);
    auto a = z.resolve("MIXED.example.com.", rr_type::txt);
    ASSERT_EQ(a.records.size(), 1u);
    EXPECT_EQ(a.records[0].owner, "mixed.example.com");
    EXPECT_EQ(std::get<mx_rdata>(z.resolve("mixed.example.com", rr_type::mx).records.at(0).data).exchange, "mx.example.com");
    // Parents of an added name are empty non-terminals.
    EXPECT_TRUE(z.resolve("example.com", rr_type::a).nodata());
    EXPECT_TRUE(z.resolve("com", rr_type::a).nodata());
    EXPECT_EQ(z.resolve("other.com", rr_type::a).status, rcode::nxdomain);
}

TEST(zone_resolver, timeouts_and_failures) {
    zone_resolver z;
    z.add({"ok.example", rr_type::a, 60, *ip_address::parse("192.0.2.1")});
    z.add({"to-timeout.example", rr_type::cname, 60, std::string("slow.example")});
    z.add_timeout("Slow.Example.");
    z.add_failure("broken.example", rcode::servfail);
    auto t = z.resolve("slow.example", rr_type::txt);
    EXPECT_EQ(t.status, rcode::timeout);
    EXPECT_TRUE(t.temporary_failure());
    EXPECT_FALSE(t.is_void());
    EXPECT_EQ(z.resolve("slow.example", rr_type::a).status, rcode::timeout);
    EXPECT_EQ(z.resolve("broken.example", rr_type::mx).status, rcode::servfail);
    // A CNAME into a timing-out name times out, with the chain recorded.
    auto c = z.resolve("to-timeout.example", rr_type::a);
    EXPECT_EQ(c.status, rcode::timeout);
    EXPECT_EQ(c.cnames, (std::vector<std::string>{"slow.example"}));
    EXPECT_EQ(z.failure("SLOW.example"), rcode::timeout);
    EXPECT_FALSE(z.failure("ok.example").has_value());
}

TEST(zone_resolver, empty_resolver_is_nxdomain_everywhere) {
    zone_resolver z;
    EXPECT_TRUE(z.empty());
    EXPECT_EQ(z.resolve("example.com", rr_type::a).status, rcode::nxdomain);
    EXPECT_EQ(z.resolve("", rr_type::ns).status, rcode::nxdomain);
}

TEST(zone_resolver, root_wildcard_and_root_records) {
    zone_resolver z;
    ASSERT_TRUE(z.load_text("* 60 TXT \"root wildcard\"\nhost.example. 60 A 192.0.2.1\n").ok());
    // example exists (ENT), so the root wildcard does not cover it; unknown TLDs are covered.
    EXPECT_TRUE(z.resolve("example", rr_type::txt).nodata());
    EXPECT_EQ(txt_strings(z.resolve("nosuch", rr_type::txt)), (std::vector<std::string>{"root wildcard"}));
    EXPECT_EQ(z.resolve("x.example", rr_type::txt).status, rcode::nxdomain);
}
