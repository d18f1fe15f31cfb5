// Webhook bodies (json, Slack, Teams) and headers, without a network.
#include "notify/webhook.hpp"

#include <gtest/gtest.h>

#include "notify/hmac.hpp"

namespace dmarcsight::notify {
namespace {

message sample() {
    message m;
    m.subject = "failure_spike on example.com";
    m.text = "DMARC failures rose to 42% <b> & more\nsecond line";
    m.data = {{"kind", "failure_spike"}, {"messages", 1234}};
    m.id = "alert-17";
    return m;
}

config::channel_settings channel(std::string style) {
    config::channel_settings c;
    c.name = "ops";
    c.type = "webhook";
    c.url = "https://hooks.example/x";
    c.style = std::move(style);
    return c;
}

std::string header(const webhook_request& r, const std::string& name) {
    for (const auto& h : r.headers)
        if (h.starts_with(name + ": ")) return h.substr(name.size() + 2);
    return "(absent)";
}

TEST(webhook_payload, json_style_has_subject_text_data_id) {
    auto p = webhook_payload("json", sample());
    ASSERT_TRUE(p.ok());
    EXPECT_EQ((*p)["subject"], "failure_spike on example.com");
    EXPECT_EQ((*p)["text"], sample().text);
    EXPECT_EQ((*p)["data"]["messages"], 1234);
    EXPECT_EQ((*p)["id"], "alert-17");
    EXPECT_EQ(p->size(), 4u);
}

TEST(webhook_payload, slack_escapes_mrkdwn_and_uses_blocks) {
    auto p = webhook_payload("slack", sample());
    ASSERT_TRUE(p.ok());
    EXPECT_EQ((*p)["text"], "failure_spike on example.com");
    const auto& blocks = (*p)["blocks"];
    ASSERT_EQ(blocks.size(), 2u);
    EXPECT_EQ(blocks[0]["type"], "header");
    EXPECT_EQ(blocks[0]["text"]["type"], "plain_text");
    EXPECT_EQ(blocks[0]["text"]["text"], "failure_spike on example.com");
    EXPECT_EQ(blocks[1]["type"], "section");
    EXPECT_EQ(blocks[1]["text"]["type"], "mrkdwn");
    // <b> would be a link or mention to Slack: escaped.
    EXPECT_EQ(blocks[1]["text"]["text"], "DMARC failures rose to 42% &lt;b&gt; &amp; more\nsecond line");
}

TEST(webhook_payload, slack_respects_block_kit_limits) {
    message m = sample();
    m.subject = std::string(400, 'S');
    std::string line(99, 'x');
    line += '\n';
    m.text.clear();
    for (int i = 0; i < 100; ++i) m.text += line;  // 10,000 bytes
    auto p = webhook_payload("slack", m);
    ASSERT_TRUE(p.ok());
    const auto& blocks = (*p)["blocks"];
    EXPECT_LE(blocks[0]["text"]["text"].get<std::string>().size(), 150u);
    ASSERT_EQ(blocks.size(), 1u + 4u);  // 3000 bytes = 30 lines per section: 30+30+30+10
    std::string joined;
    for (std::size_t i = 1; i < blocks.size(); ++i) {
        const auto t = blocks[i]["text"]["text"].get<std::string>();
        EXPECT_LE(t.size(), 3000u);
        joined += t;
    }
    EXPECT_EQ(joined, m.text);  // nothing lost, cut at line ends
}

TEST(webhook_payload, teams_is_an_adaptive_card_message) {
    auto p = webhook_payload("teams", sample());
    ASSERT_TRUE(p.ok());
    EXPECT_EQ((*p)["type"], "message");
    const auto& att = (*p)["attachments"];
    ASSERT_EQ(att.size(), 1u);
    EXPECT_EQ(att[0]["contentType"], "application/vnd.microsoft.card.adaptive");
    const auto& card = att[0]["content"];
    EXPECT_EQ(card["type"], "AdaptiveCard");
    EXPECT_EQ(card["version"], "1.4");
    ASSERT_EQ(card["body"].size(), 2u);
    EXPECT_EQ(card["body"][0]["text"], "failure_spike on example.com");
    EXPECT_EQ(card["body"][0]["weight"], "Bolder");
    EXPECT_EQ(card["body"][1]["text"], sample().text);
    EXPECT_EQ(card["body"][1]["wrap"], true);
}

TEST(webhook_payload, teams_text_cannot_hide_a_link) {
    message m = sample();
    m.text = "reporter [Your Bank](https://evil.example/) sent 3 reports";
    auto p = webhook_payload("teams", m);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ((*p)["attachments"][0]["content"]["body"][1]["text"], "reporter [Your Bank] (https://evil.example/) sent 3 reports");
}

TEST(webhook_payload, unknown_style_is_an_error) {
    auto p = webhook_payload("xml", sample());
    ASSERT_FALSE(p.ok());
    EXPECT_NE(p.err().message.find("unknown webhook style 'xml'"), std::string::npos);
}

TEST(webhook_request, headers_and_signature_over_the_exact_body) {
    auto ch = channel("json");
    ch.secret = config::secret::literal("s3cret-key", {});
    auto r = build_webhook_request(ch, sample(), 1764684000);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(header(*r, "Content-Type"), "application/json");
    EXPECT_EQ(header(*r, "X-Dmarcsight-Timestamp"), "1764684000");
    EXPECT_EQ(header(*r, "X-Dmarcsight-Id"), "alert-17");
    EXPECT_EQ(header(*r, "X-Dmarcsight-Signature"), "sha256=" + hmac_sha256_hex("s3cret-key", "1764684000." + r->body));
    EXPECT_EQ(nlohmann::json::parse(r->body)["id"], "alert-17");
    for (const auto& h : r->headers) EXPECT_EQ(h.find("s3cret-key"), std::string::npos) << h;
    EXPECT_EQ(r->body.find("s3cret-key"), std::string::npos);
}

TEST(webhook_request, no_secret_no_signature) {
    auto r = build_webhook_request(channel("slack"), sample(), 1);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(header(*r, "X-Dmarcsight-Signature"), "(absent)");
}

TEST(webhook_request, an_id_with_a_line_break_cannot_add_a_header) {
    message m = sample();
    m.id = "x\r\nX-Evil: 1";
    auto r = build_webhook_request(channel("json"), m, 1);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(header(*r, "X-Dmarcsight-Id"), sha256_hex(m.id));
    for (const auto& h : r->headers) EXPECT_EQ(h.find_first_of("\r\n"), std::string::npos);
}

TEST(webhook_request, invalid_utf8_is_replaced_not_thrown) {
    message m = sample();
    m.text = "bad \xff byte";
    auto r = build_webhook_request(channel("json"), m, 1);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(nlohmann::json::parse(r->body)["text"], "bad \xEF\xBF\xBD byte");
}

}  // namespace
}  // namespace dmarcsight::notify
