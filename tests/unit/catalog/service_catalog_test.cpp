#include "catalog/service_catalog.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <unistd.h>

#include "core/limits.hpp"

namespace dmarcsight::catalog {
namespace {

const catalog& cat() { return catalog::builtin(); }

std::string name_of(const service* s) { return s ? s->name : "(none)"; }

TEST(ServiceType, RoundTripsEveryType) {
    for (auto t : all_service_types) {
        const auto s = to_string(t);
        ASSERT_TRUE(parse_service_type(s)) << s;
        EXPECT_EQ(*parse_service_type(s), t);
    }
    EXPECT_FALSE(parse_service_type("ESP"));
    EXPECT_FALSE(parse_service_type("mailinglist"));
    EXPECT_FALSE(parse_service_type(""));
}

TEST(BuiltinCatalog, LoadsWithEnoughEntriesOfEveryType) {
    const auto& all = cat().services();
    EXPECT_GE(all.size(), 170u);
    std::map<service_type, int> by_type;
    for (const auto& s : all) {
        ++by_type[s.type];
        EXPECT_EQ(s.origin, "built-in");
        EXPECT_FALSE(s.name.empty());
    }
    for (auto t : all_service_types) EXPECT_GT(by_type[t], 0) << to_string(t);
}

TEST(BuiltinCatalog, EveryNameAndPatternFindsItsOwnEntry) {
    // Within the built-in file no two entries may claim a pattern, so each one leads back home.
    for (const auto& s : cat().services()) {
        EXPECT_EQ(cat().by_name(s.name), &s) << s.name;
        for (const auto& p : s.ptr_suffixes) EXPECT_EQ(name_of(cat().by_ptr(p)), s.name) << p;
        for (const auto* list : {&s.spf_includes, &s.dkim_domains, &s.bounce_domains}) {
            for (const auto& d : *list) EXPECT_EQ(name_of(cat().by_domain(d)), s.name) << d;
        }
        for (auto a : s.asns) EXPECT_EQ(name_of(cat().by_asn(a)), s.name) << a;
    }
}

struct world_fact {
    const char* service;
    service_type type;
    std::vector<std::string> ptr, spf, dkim, bounce;
};

TEST(BuiltinCatalog, WorldAFacts) {
    const std::vector<world_fact> facts = {
        {"Google Workspace", service_type::mailbox_provider, {"google.com"}, {"_spf.google.com"}, {"gappssmtp.com"}, {}},
        {"Microsoft 365", service_type::mailbox_provider, {"outbound.protection.outlook.com"},
         {"spf.protection.outlook.com"}, {"onmicrosoft.com"}, {}},
        {"SendGrid", service_type::esp, {"sendgrid.net"}, {"sendgrid.net"}, {"sendgrid.info", "sendgrid.net"}, {"sendgrid.net"}},
        {"Amazon SES", service_type::esp, {"amazonses.com"}, {"amazonses.com"}, {"amazonses.com"}, {"amazonses.com"}},
        {"Mailchimp", service_type::esp, {"mcdlv.net", "mcsv.net", "rsgsv.net"}, {"servers.mcsv.net"}, {"mcsv.net"}, {"mcsv.net"}},
        {"Salesforce", service_type::crm, {"mta.salesforce.com", "salesforce.com"}, {"_spf.salesforce.com"},
         {"salesforce.com"}, {"bnc.salesforce.com"}},
        {"Zendesk", service_type::helpdesk, {"zdsys.com", "zendesk.com"}, {"mail.zendesk.com"}, {"zendesk.com"}, {"zendesk.com"}},
        {"Workday", service_type::hr_payroll, {"myworkday.com"}, {"_spf.myworkday.com"}, {"myworkday.com"}, {"myworkday.com"}},
        {"Fastmail", service_type::forwarder, {"messagingengine.com"}, {"spf.messagingengine.com"}, {}, {}},
        {"GMX", service_type::forwarder, {"gmx.net"}, {"spf.gmx.net"}, {}, {}},
        {"Groups.io", service_type::mailing_list, {"groups.io"}, {}, {"groups.io"}, {"groups.io"}},
        {"lists.debian.org", service_type::mailing_list, {"debian.org"}, {}, {"lists.debian.org"}, {"lists.debian.org"}},
    };
    for (const auto& f : facts) {
        const service* s = cat().by_name(f.service);
        ASSERT_NE(s, nullptr) << f.service;
        EXPECT_EQ(s->type, f.type) << f.service;
        for (const auto& p : f.ptr) EXPECT_EQ(name_of(cat().by_ptr("host-1." + p)), f.service) << p;
        for (const auto* list : {&f.spf, &f.dkim, &f.bounce}) {
            for (const auto& d : *list) EXPECT_EQ(name_of(cat().by_domain(d)), f.service) << d;
        }
    }
}

TEST(BuiltinCatalog, MatchesRealNames) {
    EXPECT_EQ(name_of(cat().by_ptr("o1.ptr1234.sendgrid.net")), "SendGrid");
    EXPECT_EQ(name_of(cat().by_ptr("abcdefgh.outbound-mail.sendgrid.net")), "SendGrid");
    EXPECT_EQ(name_of(cat().by_ptr("mail8.groups.io")), "Groups.io");
    EXPECT_EQ(name_of(cat().by_ptr("bendel.debian.org")), "lists.debian.org");
    EXPECT_EQ(name_of(cat().by_ptr("mail-wr1-f41.google.com")), "Google Workspace");
    EXPECT_EQ(name_of(cat().by_ptr("mail-db8eur05on2041.outbound.protection.outlook.com")), "Microsoft 365");
    EXPECT_EQ(name_of(cat().by_ptr("a8-12.smtp-out.amazonses.com")), "Amazon SES");
    EXPECT_EQ(name_of(cat().by_ptr("mail12.suw21.mcdlv.net")), "Mailchimp");
    EXPECT_EQ(name_of(cat().by_ptr("smtp07-ia4-sp3.mta.salesforce.com")), "Salesforce");
    EXPECT_EQ(name_of(cat().by_ptr("out12.pod21.iad1.zdsys.com")), "Zendesk");
    EXPECT_EQ(name_of(cat().by_ptr("mx3.wd5.myworkday.com")), "Workday");
    EXPECT_EQ(name_of(cat().by_ptr("out2-smtp.messagingengine.com")), "Fastmail");
    EXPECT_EQ(name_of(cat().by_ptr("mout.gmx.net")), "GMX");
    EXPECT_EQ(name_of(cat().by_domain("bnc.salesforce.com")), "Salesforce");
    EXPECT_EQ(name_of(cat().by_domain("foo.20230601.gappssmtp.com")), "Google Workspace");
    EXPECT_EQ(name_of(cat().by_domain("contoso.onmicrosoft.com")), "Microsoft 365");
    EXPECT_EQ(name_of(cat().by_domain("us-east-1.amazonses.com")), "Amazon SES");
    EXPECT_EQ(name_of(cat().by_domain("sendgrid.info")), "SendGrid");
    EXPECT_EQ(name_of(cat().by_asn(11377)), "SendGrid");
    EXPECT_EQ(cat().by_asn(0), nullptr);
}

TEST(BuiltinCatalog, CaseAndTrailingDotAreIgnored) {
    EXPECT_EQ(name_of(cat().by_ptr("O1.PTR1234.SendGrid.NET.")), "SendGrid");
    EXPECT_EQ(name_of(cat().by_domain("BNC.Salesforce.com.")), "Salesforce");
    EXPECT_EQ(name_of(cat().by_name("sendgrid")), "SendGrid");
    EXPECT_EQ(name_of(cat().by_name("GOOGLE WORKSPACE")), "Google Workspace");
    EXPECT_EQ(cat().by_name("SendGrid2"), nullptr);
}

TEST(BuiltinCatalog, MatchesOnlyOnLabelBoundaries) {
    EXPECT_EQ(cat().by_ptr("evilsendgrid.net"), nullptr);
    EXPECT_EQ(cat().by_ptr("x.evilsendgrid.net"), nullptr);
    EXPECT_EQ(cat().by_ptr("sendgrid.net.evil.example"), nullptr);
    EXPECT_EQ(cat().by_ptr("notgroups.io"), nullptr);
    EXPECT_EQ(cat().by_domain("xgappssmtp.com"), nullptr);
    EXPECT_EQ(cat().by_domain("fakemcsv.net"), nullptr);
    // Top-level labels alone never match, nor do empty or oversized names.
    EXPECT_EQ(cat().by_ptr("net"), nullptr);
    EXPECT_EQ(cat().by_ptr(""), nullptr);
    EXPECT_EQ(cat().by_ptr("."), nullptr);
    EXPECT_EQ(cat().by_ptr(std::string(300, 'a') + ".sendgrid.net"), nullptr);
    // A PTR suffix is not a domain pattern and the other way round.
    EXPECT_EQ(cat().by_domain("x.zdsys.com"), nullptr);
}

TEST(BuiltinCatalog, LongestSuffixWins) {
    catalog c;
    ASSERT_TRUE(c.add_text(R"(
[[service]]
name = "Parent"
type = "hosting"
ptr_suffixes = ["example.net"]
dkim_domains = ["example.net"]
[[service]]
name = "Child"
type = "esp"
ptr_suffixes = ["mail.example.net"]
dkim_domains = ["d.example.net"]
)", "t.toml"));
    EXPECT_EQ(name_of(c.by_ptr("a.mail.example.net")), "Child");
    EXPECT_EQ(name_of(c.by_ptr("mail.example.net")), "Child");
    EXPECT_EQ(name_of(c.by_ptr("a.other.example.net")), "Parent");
    EXPECT_EQ(name_of(c.by_domain("x.d.example.net")), "Child");
    EXPECT_EQ(name_of(c.by_domain("example.net")), "Parent");
}

std::filesystem::path write_temp(const std::string& name, const std::string& text) {
    const auto p = std::filesystem::temp_directory_path() / ("dmarcsight_catalog_" + std::to_string(::getpid()) + "_" + name);
    std::ofstream(p, std::ios::binary) << text;
    return p;
}

TEST(UserFile, OverridesAndAdds) {
    const auto file = write_temp("user.toml", R"(
# Our own relay, and SendGrid as we see it.
[[service]]
name = "sendgrid"              # same name, other case: replaces the built-in entry
type = "transactional"
ptr_suffixes = ["relay.sendgrid.example"]

[[service]]
name = "Acme relay"
type = "hosting"
ptr_suffixes = ["relay.acme.example", "sendgrid.net"]   # user patterns are matched first
dkim_domains = ["acme-mail.example"]
asns = [64512]
)");
    auto r = catalog::load({file.string()});
    ASSERT_TRUE(r) << r.err().message;
    const catalog& c = *r;
    EXPECT_EQ(c.services().size(), cat().services().size() + 1);

    const service* sg = c.by_name("SendGrid");
    ASSERT_NE(sg, nullptr);
    EXPECT_EQ(sg->name, "sendgrid");
    EXPECT_EQ(sg->type, service_type::transactional);
    EXPECT_EQ(sg->origin, file.string());
    EXPECT_TRUE(sg->dkim_domains.empty());
    // The built-in entry's facts are gone with it.
    EXPECT_EQ(c.by_domain("sendgrid.info"), nullptr);
    EXPECT_EQ(c.by_asn(11377), nullptr);
    EXPECT_EQ(name_of(c.by_ptr("o1.relay.sendgrid.example")), "sendgrid");

    EXPECT_EQ(name_of(c.by_ptr("o1.ptr1234.sendgrid.net")), "Acme relay");
    EXPECT_EQ(name_of(c.by_ptr("mx1.relay.acme.example")), "Acme relay");
    EXPECT_EQ(name_of(c.by_domain("acme-mail.example")), "Acme relay");
    EXPECT_EQ(name_of(c.by_asn(64512)), "Acme relay");
    EXPECT_EQ(c.by_name("Acme relay")->origin, file.string());
    // Everything else is still built in, and the built-in catalogue itself is untouched.
    EXPECT_EQ(name_of(c.by_ptr("mail8.groups.io")), "Groups.io");
    EXPECT_EQ(name_of(cat().by_ptr("o1.ptr1234.sendgrid.net")), "SendGrid");
    std::filesystem::remove(file);
}

TEST(UserFile, LaterUserLayerWinsOverEarlierOne) {
    catalog c;
    // A later layer wins even with a shorter suffix: the user's word beats specificity.
    ASSERT_TRUE(c.add_text("[[service]]\nname = \"A\"\ntype = \"esp\"\nptr_suffixes = [\"x.example.org\"]\n", "a.toml"));
    ASSERT_TRUE(c.add_text("[[service]]\nname = \"B\"\ntype = \"esp\"\nptr_suffixes = [\"example.org\"]\n", "b.toml"));
    EXPECT_EQ(name_of(c.by_ptr("h.x.example.org")), "B");
    EXPECT_EQ(c.by_name("A")->origin, "a.toml");
}

TEST(UserFile, MissingAndOversizedFilesAreErrors) {
    auto r = catalog::load({"/nonexistent/services.toml"});
    ASSERT_FALSE(r);
    EXPECT_NE(r.err().message.find("/nonexistent/services.toml"), std::string::npos);

    const auto big = write_temp("big.toml", std::string(limits::catalog_max_file_size + 1, '#'));
    auto b = catalog::load({big.string()});
    ASSERT_FALSE(b);
    EXPECT_NE(b.err().message.find("larger than"), std::string::npos) << b.err().message;
    std::filesystem::remove(big);
}

// add_text's error for `text`, which must fail.
std::string error_of(const std::string& text) {
    catalog c;
    auto r = c.add_text(text, "user.toml");
    EXPECT_FALSE(r) << text;
    return r ? "" : r.err().message;
}

TEST(Validation, NamesOriginLineAndColumn) {
    EXPECT_EQ(error_of("[[service]]\nname = \"X\"\ntype = \"espp\"\n"),
              "user.toml:3:8: unknown type \"espp\" (one of mailbox_provider, esp, transactional, crm, saas, helpdesk, "
              "hr_payroll, survey, security_gateway, forwarder, mailing_list, hosting)");
    EXPECT_EQ(error_of("[[service]]\nname = \"X\"\ntype = \"esp\"\nptr_sufixes = [\"a.example\"]\n"),
              "user.toml:4:1: unknown key \"ptr_sufixes\" (did you mean \"ptr_suffixes\"?)");
    EXPECT_EQ(error_of("[[service]]\nname = \"X\"\ntype = \"esp\"\ndkim_domains = [\"ok.example\", \"Bad.Example\"]\n"),
              "user.toml:4:31: dkim_domains value \"Bad.Example\" is not lower-case");
}

TEST(Validation, RejectsBadDomains) {
    auto bad = [](const std::string& d) {
        return error_of("[[service]]\nname = \"X\"\ntype = \"esp\"\nptr_suffixes = [\"" + d + "\"]\n");
    };
    EXPECT_NE(bad("has space.example").find("user.toml:4:"), std::string::npos);
    EXPECT_NE(bad("has space.example").find("not a letter"), std::string::npos);
    EXPECT_NE(bad("a..example").find("empty label"), std::string::npos);
    EXPECT_NE(bad(".example").find("empty label"), std::string::npos);
    EXPECT_NE(bad("example.").find("ends with a dot"), std::string::npos);
    EXPECT_NE(bad("com").find("single label"), std::string::npos);
    EXPECT_NE(bad("-x.example").find("'-'"), std::string::npos);
    EXPECT_NE(bad(std::string(64, 'a') + ".example").find("63"), std::string::npos);
    std::string long_name;
    while (long_name.size() < 260) long_name += "abcdefgh.";
    long_name += "example";
    EXPECT_NE(bad(long_name).find("253"), std::string::npos);
    EXPECT_NE(bad("").find("empty"), std::string::npos);
}

TEST(Validation, RejectsWrongShapes) {
    const std::string head = "[[service]]\nname = \"X\"\ntype = \"esp\"\n";
    EXPECT_NE(error_of(head + "ptr_suffixes = \"a.example\"\n").find("user.toml:4:16: ptr_suffixes must be an array of strings"),
              std::string::npos);
    EXPECT_NE(error_of(head + "spf_includes = [1]\n").find("must be an array of strings"), std::string::npos);
    EXPECT_NE(error_of(head + "asns = [\"1\"]\n").find("asns must be an array of integers"), std::string::npos);
    EXPECT_NE(error_of(head + "asns = [0]\n").find("outside"), std::string::npos);
    EXPECT_NE(error_of(head + "asns = [4294967296]\n").find("outside"), std::string::npos);
    EXPECT_NE(error_of(head + "asns = [5, 5]\n").find("twice"), std::string::npos);
    EXPECT_NE(error_of(head + "ptr_suffixes = [\"a.example\", \"a.example\"]\n").find("twice"), std::string::npos);
    EXPECT_NE(error_of(head + "docs = \"ftp://x\"\n").find("docs must be an http(s) URL"), std::string::npos);
    EXPECT_NE(error_of(head + "setup = \"a\\u001bb\"\n").find("control characters"), std::string::npos);
    EXPECT_NE(error_of("[[service]]\ntype = \"esp\"\n").find("user.toml:1:1: [[service]] has no name"), std::string::npos);
    EXPECT_NE(error_of("[[service]]\nname = \"X\"\n").find("has no type"), std::string::npos);
    EXPECT_NE(error_of("[service]\nname = \"X\"\ntype = \"esp\"\n").find("[[service]] tables"), std::string::npos);
    EXPECT_NE(error_of("[[services]]\nname = \"X\"\n").find("unknown top-level key \"services\" (did you mean [[service]]?)"),
              std::string::npos);
    // TOML syntax errors carry the parser's position.
    EXPECT_NE(error_of("[[service]]\nname = \"X\ntype = \"esp\"\n").find("user.toml:2:"), std::string::npos);
}

TEST(Validation, NamesAndPatternsAreUniqueWithinAFile) {
    EXPECT_NE(error_of("[[service]]\nname = \"X\"\ntype = \"esp\"\n[[service]]\nname = \"x\"\ntype = \"esp\"\n")
                  .find("user.toml:4:1: service name \"x\" is used twice (also at line 1)"),
              std::string::npos);
    EXPECT_NE(error_of("[[service]]\nname = \"X\"\ntype = \"esp\"\nptr_suffixes = [\"a.example\"]\n"
                       "[[service]]\nname = \"Y\"\ntype = \"esp\"\nptr_suffixes = [\"a.example\"]\n")
                  .find("ptr suffix \"a.example\" also claimed by \"X\""),
              std::string::npos);
    EXPECT_NE(error_of("[[service]]\nname = \"X\"\ntype = \"esp\"\nspf_includes = [\"a.example\"]\n"
                       "[[service]]\nname = \"Y\"\ntype = \"esp\"\nbounce_domains = [\"a.example\"]\n")
                  .find("domain \"a.example\" also claimed by \"X\""),
              std::string::npos);
    // The same domain in several lists of one service is fine (SendGrid's sendgrid.net).
    catalog c;
    EXPECT_TRUE(c.add_text("[[service]]\nname = \"X\"\ntype = \"esp\"\nspf_includes = [\"a.example\"]\nbounce_domains = [\"a.example\"]\n",
                           "ok.toml"));
}

TEST(Validation, AFailedFileAddsNothing) {
    catalog c = cat();
    const auto before = c.services().size();
    auto r = c.add_text("[[service]]\nname = \"SendGrid\"\ntype = \"esp\"\n[[service]]\nname = \"Y\"\ntype = \"nope\"\n", "u.toml");
    ASSERT_FALSE(r);
    EXPECT_EQ(c.services().size(), before);
    EXPECT_EQ(name_of(c.by_ptr("o1.sendgrid.net")), "SendGrid");
    EXPECT_EQ(c.by_name("SendGrid")->origin, "built-in");
}

TEST(Validation, EntryCountIsCapped) {
    std::string text;
    text.reserve(limits::catalog_max_entries * 40);
    for (std::size_t i = 0; i <= limits::catalog_max_entries; ++i)
        text += "[[service]]\nname = \"s" + std::to_string(i) + "\"\ntype = \"esp\"\n";
    ASSERT_LE(text.size(), limits::catalog_max_file_size);
    EXPECT_NE(error_of(text).find("more than 10000 [[service]] entries"), std::string::npos);
}

}  // namespace
}  // namespace dmarcsight::catalog
