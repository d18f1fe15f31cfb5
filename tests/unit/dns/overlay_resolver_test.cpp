#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dns/overlay_resolver.hpp"
#include "dns/zone_resolver.hpp"
#include "dns_test_util.hpp"

using namespace dmarcsight;
using namespace dmarcsight::dns;
using namespace dmarcsight::dns::test;

namespace {

// "Live DNS" for the tests: a zone plus a log of what was asked.
class fake_live : public resolver {
public:
    zone_resolver zone;
    std::vector<std::string> asked;
    answer query(std::string_view name, rr_type type) override {
        asked.emplace_back(name);
        return zone.resolve(name, type);
    }
};

class overlay_test : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(live.zone.load_text(R"(
$ORIGIN example.com.
@        300 TXT   "v=spf1 include:old.example.net -all"
@        300 MX    10 mx.example.com.
@        300 A     192.0.2.1
mx       300 A     192.0.2.25
x.w      300 TXT   "live x"
b        300 CNAME target.example.com.
loop-b   300 CNAME loop-a.example.com.
slow     300 A     192.0.2.9
$ORIGIN example.net.
live     300 A     198.51.100.7
)").ok());
        live.zone.add_timeout("dead.example.com");
        ASSERT_TRUE(file.load_text(R"(
$ORIGIN example.com.
@        60 TXT   "v=spf1 include:_spf.example.com -all"
_spf     60 TXT   "v=spf1 ip4:203.0.113.0/24 -all"
a.b.new  60 A     203.0.113.5
*.w      60 TXT   "file wildcard"
alias    60 CNAME live.example.net.
target   60 A     203.0.113.9
loop-a   60 CNAME loop-b.example.com.
)").ok());
        file.add_timeout("slow.example.com");
    }

    fake_live live;
    zone_resolver file;
};

}  // namespace

TEST_F(overlay_test, file_rrset_replaces_live_rrset_of_that_type_only) {
    overlay_resolver o(file, live);
    EXPECT_EQ(txt_strings(o.query("example.com", rr_type::txt)), (std::vector<std::string>{"v=spf1 include:_spf.example.com -all"}));
    // MX and A of the same name still come from live DNS (the SPF "mx" and "a" mechanisms need them).
    auto mx = o.query("example.com", rr_type::mx);
    ASSERT_EQ(mx.records.size(), 1u);
    EXPECT_EQ(std::get<mx_rdata>(mx.records[0].data).exchange, "mx.example.com");
    EXPECT_EQ(addresses(o.query("Example.COM.", rr_type::a)), (std::vector<std::string>{"192.0.2.1"}));
}

TEST_F(overlay_test, name_new_in_the_file_answers_from_the_file) {
    overlay_resolver o(file, live);
    EXPECT_EQ(txt_strings(o.query("_spf.example.com", rr_type::txt)), (std::vector<std::string>{"v=spf1 ip4:203.0.113.0/24 -all"}));
    // The name exists in the file but not with this type; live says NXDOMAIN → the file's NODATA.
    auto nd = o.query("_spf.example.com", rr_type::a);
    EXPECT_EQ(nd.status, rcode::noerror);
    EXPECT_TRUE(nd.nodata());
    // An empty non-terminal of the file: NODATA, not NXDOMAIN.
    auto ent = o.query("b.new.example.com", rr_type::a);
    EXPECT_EQ(ent.status, rcode::noerror);
    EXPECT_TRUE(ent.nodata());
    // Absent from both: NXDOMAIN.
    EXPECT_EQ(o.query("nowhere.example.com", rr_type::a).status, rcode::nxdomain);
}

TEST_F(overlay_test, file_wildcard_covers_only_names_live_dns_lacks) {
    overlay_resolver o(file, live);
    EXPECT_EQ(txt_strings(o.query("x.w.example.com", rr_type::txt)), (std::vector<std::string>{"live x"}));
    auto y = o.query("y.w.example.com", rr_type::txt);
    EXPECT_EQ(txt_strings(y), (std::vector<std::string>{"file wildcard"}));
    EXPECT_EQ(y.records.at(0).owner, "y.w.example.com");
}

TEST_F(overlay_test, cname_chains_cross_layers) {
    overlay_resolver o(file, live);
    // File alias → live target.
    auto a = o.query("alias.example.com", rr_type::a);
    EXPECT_EQ(a.status, rcode::noerror);
    EXPECT_EQ(a.cnames, (std::vector<std::string>{"live.example.net"}));
    EXPECT_EQ(addresses(a), (std::vector<std::string>{"198.51.100.7"}));
    // Live alias → target the file defines.
    auto b = o.query("b.example.com", rr_type::a);
    EXPECT_EQ(b.cnames, (std::vector<std::string>{"target.example.com"}));
    EXPECT_EQ(addresses(b), (std::vector<std::string>{"203.0.113.9"}));
    // A loop through both layers.
    auto loop = o.query("loop-a.example.com", rr_type::a);
    EXPECT_EQ(loop.status, rcode::servfail);
    EXPECT_EQ(loop.cnames, (std::vector<std::string>{"loop-b.example.com", "loop-a.example.com"}));
    // Asking for the CNAME itself does not follow.
    auto c = o.query("alias.example.com", rr_type::cname);
    ASSERT_EQ(c.records.size(), 1u);
    EXPECT_TRUE(c.cnames.empty());
}

TEST_F(overlay_test, failures_from_either_layer) {
    overlay_resolver o(file, live);
    // The file says slow.example.com times out, although live DNS has it.
    EXPECT_EQ(o.query("slow.example.com", rr_type::a).status, rcode::timeout);
    // A live time-out is not repaired by the file.
    EXPECT_EQ(o.query("dead.example.com", rr_type::a).status, rcode::timeout);
}

TEST_F(overlay_test, live_dns_is_not_asked_for_rrsets_the_file_owns) {
    overlay_resolver o(file, live);
    (void)o.query("example.com", rr_type::txt);
    (void)o.query("_spf.example.com", rr_type::txt);
    EXPECT_TRUE(live.asked.empty());
    (void)o.query("example.com", rr_type::mx);
    EXPECT_EQ(live.asked, (std::vector<std::string>{"example.com"}));
}

TEST(overlay_resolver, empty_file_is_transparent) {
    fake_live live;
    ASSERT_TRUE(live.zone.load_text("a.example. 60 A 192.0.2.1\nb.example. 60 CNAME a.example.\n").ok());
    zone_resolver empty;
    overlay_resolver o(empty, live);
    for (const char* n : {"a.example", "b.example", "c.example", "example"}) {
        EXPECT_EQ(describe(o.query(n, rr_type::a)), describe(live.zone.resolve(n, rr_type::a))) << n;
    }
}
