// Parser and macro-syntax edge cases (RFC 7208 §4.5, §4.6, §5, §6, §7.1, §12).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "auth/spf_record.hpp"
#include "core/limits.hpp"

namespace dmarcsight::auth {
namespace {

spf_record parse_ok(std::string_view text) {
    auto r = parse_spf_record(text);
    EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.err().message);
    return r.ok() ? *r : spf_record{};
}

bool parses(std::string_view text) { return parse_spf_record(text).ok(); }

TEST(spf_record_select, version_tag) {
    EXPECT_TRUE(is_spf_record("v=spf1"));
    EXPECT_TRUE(is_spf_record("v=spf1 -all"));
    EXPECT_TRUE(is_spf_record("V=SpF1 ~all"));
    EXPECT_FALSE(is_spf_record("v=spf10"));
    EXPECT_FALSE(is_spf_record("v=spf1mx"));
    EXPECT_FALSE(is_spf_record(" v=spf1 -all"));  // leading space: not a record (checkdmarc #258)
    EXPECT_FALSE(is_spf_record("v=spf1\t-all"));
    EXPECT_FALSE(is_spf_record("spf2.0/pra ~all"));
    EXPECT_FALSE(is_spf_record(""));
}

TEST(spf_record_parse, mechanisms_and_qualifiers) {
    const auto r = parse_ok("v=spf1 +a -mx:mx.example.com/24 ~ptr ?ip4:192.0.2.0/24 ip6:2001:db8::/32 "
                            "exists:%{i}.x.example.com include:_spf.example.net -all");
    ASSERT_EQ(r.mechanisms.size(), 8U);
    EXPECT_EQ(r.mechanisms[0].kind, spf_mechanism_kind::a);
    EXPECT_EQ(r.mechanisms[0].qualifier, spf_qualifier::pass);
    EXPECT_EQ(r.mechanisms[0].domain_spec, "");
    EXPECT_EQ(r.mechanisms[1].kind, spf_mechanism_kind::mx);
    EXPECT_EQ(r.mechanisms[1].qualifier, spf_qualifier::fail);
    EXPECT_EQ(r.mechanisms[1].domain_spec, "mx.example.com");
    EXPECT_EQ(r.mechanisms[1].cidr4, 24);
    EXPECT_EQ(r.mechanisms[1].cidr6, 128);
    EXPECT_EQ(r.mechanisms[2].qualifier, spf_qualifier::softfail);
    EXPECT_EQ(r.mechanisms[3].qualifier, spf_qualifier::neutral);
    EXPECT_EQ(r.mechanisms[3].network.to_string(), "192.0.2.0");
    EXPECT_EQ(r.mechanisms[3].cidr4, 24);
    EXPECT_EQ(r.mechanisms[4].network.to_string(), "2001:db8::");
    EXPECT_EQ(r.mechanisms[4].cidr6, 32);
    EXPECT_TRUE(r.mechanisms[5].has_macros);
    EXPECT_TRUE(r.has_macros);
    EXPECT_EQ(r.mechanisms[6].domain_spec, "_spf.example.net");
    EXPECT_EQ(r.mechanisms[7].kind, spf_mechanism_kind::all);
    EXPECT_EQ(r.mechanisms[7].text, "-all");
    EXPECT_TRUE(r.mechanisms[6].queries_dns());
    EXPECT_FALSE(r.mechanisms[3].queries_dns());
}

TEST(spf_record_parse, dual_cidr) {
    auto r = parse_ok("v=spf1 a/24//64 a//0 mx:foo.example.com//48 a:foo:bar/baz.example.com");
    ASSERT_EQ(r.mechanisms.size(), 4U);
    EXPECT_EQ(r.mechanisms[0].cidr4, 24);
    EXPECT_EQ(r.mechanisms[0].cidr6, 64);
    EXPECT_EQ(r.mechanisms[1].cidr4, 32);
    EXPECT_EQ(r.mechanisms[1].cidr6, 0);
    EXPECT_EQ(r.mechanisms[2].domain_spec, "foo.example.com");
    EXPECT_EQ(r.mechanisms[2].cidr6, 48);
    // '/' and ':' are macro-literals: "/baz..." is part of the name, not a CIDR.
    EXPECT_EQ(r.mechanisms[3].domain_spec, "foo:bar/baz.example.com");
    EXPECT_FALSE(parses("v=spf1 a/24/64"));   // two ip4 lengths
    EXPECT_FALSE(parses("v=spf1 a/33"));
    EXPECT_FALSE(parses("v=spf1 a//129"));
    EXPECT_FALSE(parses("v=spf1 ip4:1.2.3.4/032"));  // leading zero
    EXPECT_FALSE(parses("v=spf1 ip4:1.2.3.4//32"));  // ip4 has no ip6 length
    EXPECT_FALSE(parses("v=spf1 ip6:::1.1.1.1//33"));
    EXPECT_FALSE(parses("v=spf1 ptr/0"));
    EXPECT_FALSE(parses("v=spf1 include:example.com/24"));
    EXPECT_FALSE(parses("v=spf1 exists:example.com/24"));
}

TEST(spf_record_parse, ip_networks) {
    EXPECT_TRUE(parses("v=spf1 ip4:0.0.0.0/0 ip6:::/0"));
    EXPECT_FALSE(parses("v=spf1 ip4"));
    EXPECT_FALSE(parses("v=spf1 ip4:"));
    EXPECT_FALSE(parses("v=spf1 ip4:1.2.3"));
    EXPECT_FALSE(parses("v=spf1 ip4:1.2.3.4:8080"));
    EXPECT_FALSE(parses("v=spf1 ip4:192.0.2.300"));
    EXPECT_FALSE(parses("v=spf1 ip4:2001:db8::1"));
    EXPECT_FALSE(parses("v=spf1 ip6:192.0.2.1"));
    EXPECT_FALSE(parses("v=spf1 ip6::CAFE::BABE"));
    // An IPv4-mapped ip6 network stays IPv6 (RFC 7208 §5.6: an IPv4 <ip> never matches ip6).
    const auto r = parse_ok("v=spf1 ip6:::FFFF:1.2.3.4");
    EXPECT_FALSE(r.mechanisms[0].network.is_v4());
}

TEST(spf_record_parse, modifiers) {
    auto r = parse_ok("v=spf1 -all exp=explain.%{d} redirect=_spf.example.com moo.cow-far_out=man:dog/cat");
    ASSERT_TRUE(r.exp.has_value());
    EXPECT_EQ(*r.exp, "explain.%{d}");
    ASSERT_TRUE(r.redirect.has_value());
    EXPECT_EQ(*r.redirect, "_spf.example.com");
    ASSERT_EQ(r.unknown_modifiers.size(), 1U);
    EXPECT_EQ(r.unknown_modifiers[0].name, "moo.cow-far_out");
    EXPECT_EQ(r.unknown_modifiers[0].value, "man:dog/cat");
    EXPECT_TRUE(parses("v=spf1 default=pass"));  // obsolete: an unknown modifier, ignored
    EXPECT_TRUE(parses("v=spf1 foo="));          // empty macro-string is fine for unknown modifiers
    EXPECT_TRUE(parses("v=spf1 REDIRECT=example.com"));
    // RFC 7208 §6: redirect and exp at most once each.
    EXPECT_FALSE(parses("v=spf1 redirect=a.example.com redirect=b.example.com"));
    EXPECT_FALSE(parses("v=spf1 exp=a.example.com exp=b.example.com"));
    EXPECT_FALSE(parses("v=spf1 exp= -all"));
    EXPECT_FALSE(parses("v=spf1 exp=-all"));
    EXPECT_FALSE(parses("v=spf1 redirect="));
    EXPECT_FALSE(parses("v=spf1 redirect:example.com"));  // a modifier, not a mechanism
    EXPECT_FALSE(parses("v=spf1 1up=foo"));
    EXPECT_FALSE(parses("v=spf1 =all"));
    EXPECT_FALSE(parses("v=spf1 foo=%abc"));
    EXPECT_FALSE(parses("v=spf1 moo.cow/far_out=man:dog/cat"));
}

TEST(spf_record_parse, terms_and_separators) {
    EXPECT_TRUE(parses("v=spf1"));
    EXPECT_TRUE(parses("v=spf1 a  -all"));   // 1*SP
    EXPECT_TRUE(parses("v=spf1 a -all "));   // trailing SP
    EXPECT_FALSE(parses("v=spf1 a\t-all"));  // only SP separates
    EXPECT_FALSE(parses("v=spf1 a:ctrl.example.com\rptr -all"));
    EXPECT_FALSE(parses("v=spf1 ip4:192.0.2.5\n include:x.example.com ~all"));
    EXPECT_FALSE(parses("v=spf1 -all."));
    EXPECT_FALSE(parses("v=spf1 -all:foobar"));
    EXPECT_FALSE(parses("v=spf1 -all/8"));
    EXPECT_FALSE(parses("v=spf1 include"));
    EXPECT_FALSE(parses("v=spf1 include:"));
    EXPECT_FALSE(parses("v=spf1 exists"));
    EXPECT_FALSE(parses("v=spf1 a:"));
    EXPECT_FALSE(parses("v=spf1 mx: -all"));
    EXPECT_FALSE(parses("v=spf1 ptr:"));
    EXPECT_FALSE(parses("v=spf1 \x80" "a:example.net -all"));
    EXPECT_FALSE(parses("v=spf1 a:\xEF\xBB\xBFgarbage.example.net -all"));
    EXPECT_FALSE(parses(std::string_view("v=spf1 a:foo.example.com\0", 25)));
    EXPECT_FALSE(parses("v=spf1 unknown:example.com"));
    EXPECT_FALSE(parses("v=spf1 ++all"));
    EXPECT_FALSE(parses("spf1 -all"));
    EXPECT_FALSE(parses(std::string(70'000, 'a')));
}

TEST(spf_record_parse, domain_end_toplabel) {
    EXPECT_TRUE(parses("v=spf1 a:foo.example.xn--zckzah -all"));
    EXPECT_TRUE(parses("v=spf1 a:o.spf.example.com. -all"));
    EXPECT_TRUE(parses("v=spf1 a:%{d}"));
    EXPECT_TRUE(parses("v=spf1 a:mail.example...com -all"));  // valid domain-spec; not a valid name
    EXPECT_FALSE(parses("v=spf1 a:foo-bar -all"));
    EXPECT_FALSE(parses("v=spf1 a:111.222.33.44"));
    EXPECT_FALSE(parses("v=spf1 a:abc.123"));
    EXPECT_FALSE(parses("v=spf1 a:museum"));
    EXPECT_FALSE(parses("v=spf1 a:museum."));
    EXPECT_FALSE(parses("v=spf1 a:example.-com"));
    EXPECT_FALSE(parses("v=spf1 a:example.com-"));
    EXPECT_FALSE(parses("v=spf1 a:%{d}com"));
}

TEST(spf_record_cache, reuses_parses_and_stays_bounded) {
    spf_record_cache cache;
    const auto a = cache.get("v=spf1 ip4:192.0.2.0/24 -all");
    const auto b = cache.get("v=spf1 ip4:192.0.2.0/24 -all");
    EXPECT_EQ(a.get(), b.get());
    ASSERT_TRUE(a->ok());
    EXPECT_EQ(a->value().mechanisms.size(), 2U);
    const auto bad = cache.get("v=spf1 ip4:192.0.2.300");
    EXPECT_FALSE(bad->ok());
    EXPECT_EQ(cache.size(), 2U);
    // 64 KiB records: the byte bound (4 MiB) empties the cache long before 4096 entries.
    std::size_t max_seen = 0;
    for (int i = 0; i < 200; ++i) {
        std::string big = "v=spf1 " + std::to_string(i) + std::string(60'000, ' ');
        (void)cache.get(big);
        max_seen = std::max(max_seen, cache.size());
    }
    EXPECT_LE(max_seen, limits::spf_record_cache_bytes / 60'000 + 2);  // 69 big + the 2 small ones
    EXPECT_GE(max_seen, 60U);
    // Entries handed out stay valid after the cache is cleared.
    EXPECT_EQ(a->value().mechanisms[0].text, "ip4:192.0.2.0/24");
}

TEST(spf_macro_syntax, letters_and_scope) {
    EXPECT_TRUE(validate_macro_string("%{s}%{l}%{o}%{d}%{i}%{p}%{h}%{v}", spf_macro_scope::domain).ok());
    EXPECT_TRUE(validate_macro_string("%{S}%{L10r-.}%{d2}%{ir}%{l2r+-}", spf_macro_scope::domain).ok());
    EXPECT_TRUE(validate_macro_string("%%%_%-", spf_macro_scope::domain).ok());
    // c, r, t: exp text only (RFC 7208 §7.2).
    EXPECT_FALSE(validate_macro_string("%{c}", spf_macro_scope::domain).ok());
    EXPECT_FALSE(validate_macro_string("%{r}", spf_macro_scope::domain).ok());
    EXPECT_FALSE(validate_macro_string("%{t}", spf_macro_scope::domain).ok());
    EXPECT_TRUE(validate_macro_string("from %{c} at %{t} by %{r}", spf_macro_scope::explanation).ok());
    EXPECT_FALSE(validate_macro_string("two words", spf_macro_scope::domain).ok());
    EXPECT_FALSE(validate_macro_string("%{a}", spf_macro_scope::domain).ok());
    EXPECT_FALSE(validate_macro_string("%{x}", spf_macro_scope::explanation).ok());
    EXPECT_FALSE(validate_macro_string("%(ir)", spf_macro_scope::domain).ok());
    EXPECT_FALSE(validate_macro_string("foo%", spf_macro_scope::domain).ok());
    EXPECT_FALSE(validate_macro_string("%{d", spf_macro_scope::domain).ok());
    EXPECT_FALSE(validate_macro_string("%{d0}", spf_macro_scope::domain).ok());  // §7.3: nonzero
    EXPECT_FALSE(validate_macro_string("%{d2x}", spf_macro_scope::domain).ok());
    EXPECT_FALSE(validate_macro_string("caf\xC3\xA9", spf_macro_scope::explanation).ok());
}

}  // namespace
}  // namespace dmarcsight::auth
