// The digest's renderers escape what comes from reports for their format.
#include <gtest/gtest.h>

#include "digest/digest.hpp"

namespace dmarcsight::digest {
namespace {

digest hostile() {
    digest d;
    d.title = "Week of 2026-10-05";
    d.since_day = "2026-10-05";
    d.until_day = "2026-10-12";
    d.last_day = "2026-10-11";
    domain_digest x;
    x.domain = "example.com";
    x.messages = 1000;
    x.dmarc_pass = 900;
    x.previous_messages = 800;
    x.previous_dmarc_pass = 760;
    source_line s;
    s.source_ip = "192.0.2.1";
    s.ptr = "<script>alert(1)</script>";
    s.cls = "third_party_unaligned";
    s.fix = "sign with d=example.com\n# injected heading";
    s.messages = 100;
    s.dmarc_fail = 100;
    x.to_fix.push_back(s);
    alerts::alert_view a;
    a.a = {"2026-10-07", analyze::alert_kind::reporter_gap, "example.com", "", "Evil\r\nCorp", "gone"};
    a.state = "pending";
    x.alerts.push_back(a);
    d.domains.push_back(x);
    return d;
}

TEST(digest_render, html_escapes_and_markdown_keeps_one_line_per_item) {
    const auto d = hostile();
    const auto html = render_html(d);
    EXPECT_EQ(html.find("<script>"), std::string::npos);
    EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
    EXPECT_NE(html.find("<h2>example.com</h2>"), std::string::npos);
    const auto md = render_markdown(d);
    EXPECT_EQ(md.find("\n# injected"), std::string::npos) << md;
    EXPECT_EQ(md.find("Evil\r"), std::string::npos);
    const auto text = render_text(d);
    EXPECT_NE(text.find("DMARC pass: 90.0% (-5.0 points)"), std::string::npos) << text;
    EXPECT_NE(text.find("1000 messages from 0 sources, +25.0% against the period before"), std::string::npos) << text;
    EXPECT_EQ(subject(d), "DMARC digest, Week of 2026-10-05: 1000 messages, 90.0% passing");
}

TEST(digest_period, weeks_start_on_monday_and_months_on_the_first) {
    // 2026-10-14 is a Wednesday: the last whole week is 2026-10-05 .. 2026-10-11.
    const std::int64_t wed = 20740LL * 86400 + 3600;
    auto [s, u] = period_bounds(period::week, wed);
    EXPECT_EQ(s, 20731);
    EXPECT_EQ(u, 20738);
    std::tie(s, u) = period_bounds(period::month, wed);
    EXPECT_EQ(s, 20697);  // 2026-09-01
    EXPECT_EQ(u, 20727);  // 2026-10-01
    // On a Monday the week before is the last whole one.
    std::tie(s, u) = period_bounds(period::week, 20738LL * 86400);
    EXPECT_EQ(u, 20738);
}

}  // namespace
}  // namespace dmarcsight::digest
