// Macro expansion: the RFC 7208 §7.4 examples verbatim, URL escaping, §7.3 truncation.
#include <gtest/gtest.h>

#include "auth/spf_macro.hpp"

namespace dmarcsight::auth {
namespace {

class fixed_name : public spf_validated_name_source {
public:
    std::string validated_name(std::string_view domain) override {
        last_domain = std::string(domain);
        return "mx.example.org";
    }
    std::string last_domain;
};

spf_macro_values rfc_values(const ip_address& ip) {
    // RFC 7208 §7.4: <sender> strong-bad@email.example.com, IPv4 192.0.2.3, IPv6 2001:db8::cb01.
    spf_macro_values v;
    v.sender = "strong-bad@email.example.com";
    v.local_part = "strong-bad";
    v.sender_domain = "email.example.com";
    v.domain = "email.example.com";
    v.ip = ip;
    v.helo = "mx.example.org";
    return v;
}

std::string expand(std::string_view text, const spf_macro_values& v,
                   spf_macro_scope scope = spf_macro_scope::domain) {
    auto r = expand_macros(text, scope, v);
    EXPECT_TRUE(r.ok()) << text;
    return r.ok() ? *r : std::string("<error>");
}

TEST(spf_macro, rfc7208_section_7_4_examples) {
    const auto v = rfc_values(*ip_address::parse("192.0.2.3"));
    EXPECT_EQ(expand("%{s}", v), "strong-bad@email.example.com");
    EXPECT_EQ(expand("%{o}", v), "email.example.com");
    EXPECT_EQ(expand("%{d}", v), "email.example.com");
    EXPECT_EQ(expand("%{d4}", v), "email.example.com");
    EXPECT_EQ(expand("%{d3}", v), "email.example.com");
    EXPECT_EQ(expand("%{d2}", v), "example.com");
    EXPECT_EQ(expand("%{d1}", v), "com");
    EXPECT_EQ(expand("%{dr}", v), "com.example.email");
    EXPECT_EQ(expand("%{d2r}", v), "example.email");
    EXPECT_EQ(expand("%{l}", v), "strong-bad");
    EXPECT_EQ(expand("%{l-}", v), "strong.bad");
    EXPECT_EQ(expand("%{lr}", v), "strong-bad");
    EXPECT_EQ(expand("%{lr-}", v), "bad.strong");
    EXPECT_EQ(expand("%{l1r-}", v), "strong");
    EXPECT_EQ(expand("%{ir}.%{v}._spf.%{d2}", v), "3.2.0.192.in-addr._spf.example.com");
    EXPECT_EQ(expand("%{lr-}.lp._spf.%{d2}", v), "bad.strong.lp._spf.example.com");
    EXPECT_EQ(expand("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", v), "bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
    EXPECT_EQ(expand("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", v), "3.2.0.192.in-addr.strong.lp._spf.example.com");
    EXPECT_EQ(expand("%{d2}.trusted-domains.example.net", v), "example.com.trusted-domains.example.net");

    const auto v6 = rfc_values(*ip_address::parse("2001:db8::cb01"));
    EXPECT_EQ(expand("%{ir}.%{v}._spf.%{d2}", v6),
              "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
}

TEST(spf_macro, escapes_and_exp_letters) {
    auto v = rfc_values(*ip_address::parse("192.0.2.3"));
    EXPECT_EQ(expand("macro%%percent%_%_space%-url-space.example.com", v), "macro%percent  space%20url-space.example.com");
    v.local_part = "~jack&jill=up-a_b3.c";
    EXPECT_EQ(expand("http://example.com/why.html?l=%{L}", v, spf_macro_scope::explanation),
              "http://example.com/why.html?l=~jack%26jill%3Dup-a_b3.c");
    v.timestamp = 1700000000;
    v.receiver = "mx.receiver.example";
    EXPECT_EQ(expand("%{c} %{r} %{t} %{h}", v, spf_macro_scope::explanation),
              "192.0.2.3 mx.receiver.example 1700000000 mx.example.org");
    const auto v6 = rfc_values(*ip_address::parse("2001:db8::cb01"));
    EXPECT_EQ(expand("%{c} %{v}", v6, spf_macro_scope::explanation), "2001:db8::cb01 ip6");
    // Not allowed outside exp text:
    EXPECT_FALSE(expand_macros("%{c}", spf_macro_scope::domain, v).ok());
    // Transformer larger than the number of parts: all parts.
    EXPECT_EQ(expand("%{d99}", v), "email.example.com");
    EXPECT_EQ(expand("%{d99999999999999999999}", v), "email.example.com");
}

TEST(spf_macro, p_uses_the_source_with_the_current_domain) {
    auto v = rfc_values(*ip_address::parse("192.0.2.3"));
    EXPECT_EQ(expand("%{p}", v), "unknown");  // no source: "unknown" (§7.3)
    fixed_name src;
    v.validated = &src;
    v.domain = "example.org";
    EXPECT_EQ(expand("%{p2}", v), "example.org");
    EXPECT_EQ(src.last_domain, "example.org");
}

TEST(spf_macro, truncation_to_253) {
    // RFC 7208 §7.3: whole labels are removed from the left.
    std::string name;
    for (int i = 0; i < 8; ++i) name += "somewhat.long.exp.example.com.";
    name = "foobar." + name + "example.com";
    ASSERT_GT(name.size(), 253U);
    const std::string t = truncate_domain(name);
    EXPECT_LE(t.size(), 253U);
    EXPECT_EQ(t.substr(t.size() - 11), "example.com");
    EXPECT_NE(t.front(), '.');
    EXPECT_EQ(name.substr(name.size() - t.size()), t);
    EXPECT_EQ(name[name.size() - t.size() - 1], '.');
    EXPECT_EQ(truncate_domain("short.example.com"), "short.example.com");
    EXPECT_EQ(truncate_domain(std::string(300, 'a')).size(), 253U);
}

TEST(spf_macro, output_is_bounded) {
    auto v = rfc_values(*ip_address::parse("192.0.2.3"));
    std::string s(300, 'x');
    v.sender = s;
    std::string text;
    for (int i = 0; i < 100; ++i) text += "%{s}";
    EXPECT_FALSE(expand_macros(text, spf_macro_scope::explanation, v).ok());
}

TEST(spf_macro, reverse_names) {
    EXPECT_EQ(reverse_lookup_name(*ip_address::parse("192.0.2.3")), "3.2.0.192.in-addr.arpa");
    EXPECT_EQ(reverse_lookup_name(*ip_address::parse("2001:db8::1")),
              "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
    EXPECT_EQ(spf_ip_dotted(*ip_address::parse("192.0.2.3")), "192.0.2.3");
}

}  // namespace
}  // namespace dmarcsight::auth
