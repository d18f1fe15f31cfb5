// The project's own report e-mails under tests/fixtures/mime/ (synthetic, written for these tests):
// they keep the e-mail → attachment → container → report path covered without the shared corpus.
#include <gtest/gtest.h>

#include "core/limits.hpp"
#include "core/text.hpp"
#include "mime/container.hpp"
#include "mime/mailbox.hpp"
#include "mime/message.hpp"
#include "unit/mime/test_util.hpp"

using namespace dmarcsight;
using namespace dmarcsight::mime;

namespace {

const std::string fixtures = std::string(DMARCSIGHT_TEST_DIR) + "/fixtures/mime/";

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

struct leaf_seen {
    std::string chain;
    std::string bytes;
    std::vector<std::string> warnings;
};

std::vector<leaf_seen> unwrap_ok(const std::string& input, const std::string& label) {
    std::vector<leaf_seen> seen;
    auto r = unwrap(std::make_unique<memory_source>(input), label, [&](unwrapped& u) -> result<void> {
        auto bytes = mime_test::read_all(*u.stream);
        if (!bytes) return unexpected{bytes.err()};
        seen.push_back({u.chain, *bytes, u.stream->warnings()});
        return {};
    });
    EXPECT_TRUE(r) << r.err().message;
    return seen;
}

const mime_part* find_attachment(const message& m) {
    for (const auto& p : m.leaves) {
        if (!p.filename.empty()) return &p;
    }
    return nullptr;
}

}  // namespace

TEST(fixtures, zip_report_mail_crlf) {
    const std::string raw = mime_test::read_file(fixtures + "report_zip_crlf.eml");
    ASSERT_FALSE(raw.empty());
    ASSERT_TRUE(looks_like_message(raw));
    auto m = parse_message(raw);
    ASSERT_TRUE(m) << m.err().message;
    EXPECT_EQ(m->subject, "Report domain: example.com Submitter: fixture.example Report-ID: fixture-zip-1");
    EXPECT_EQ(m->from, "\"DMARC Reports\" <noreply@fixture.example>");
    EXPECT_EQ(m->message_id, "<fixture-zip-1@fixture.example>");
    ASSERT_EQ(m->leaves.size(), 2u);
    EXPECT_EQ(m->leaves[0].body, "This is an aggregate report from fixture.example \xE2\x80\x94 see attachment.\r\n");
    const mime_part* att = find_attachment(*m);
    ASSERT_NE(att, nullptr);
    EXPECT_EQ(att->filename, "fixture.example!example.com!1700006400!1700092799.zip");
    EXPECT_EQ(att->content_type, "application/zip");
    EXPECT_EQ(sniff_container(att->body), container_kind::zip);
    const auto leaves = unwrap_ok(att->body, att->filename);
    ASSERT_EQ(leaves.size(), 1u);
    EXPECT_EQ(leaves[0].chain,
              "fixture.example!example.com!1700006400!1700092799.zip>zip:"
              "fixture.example!example.com!1700006400!1700092799.xml");
    EXPECT_TRUE(contains(leaves[0].bytes, "<report_id>fixture-zip-1</report_id>"));
    EXPECT_TRUE(contains(leaves[0].bytes, "<count>3</count>"));
}

TEST(fixtures, single_part_gzip_with_trailing_crlf) {
    auto m = parse_message(mime_test::read_file(fixtures + "report_gzip_single_part.eml"));
    ASSERT_TRUE(m) << m.err().message;
    EXPECT_EQ(m->top_content_type, "application/gzip");
    ASSERT_EQ(m->leaves.size(), 1u);
    EXPECT_EQ(m->leaves[0].filename, "fixture.example!example.com!1700006400!1700092799!fixture-gz-2.xml.gz");
    const auto leaves = unwrap_ok(m->leaves[0].body, "");
    ASSERT_EQ(leaves.size(), 1u);
    EXPECT_EQ(leaves[0].chain, "gzip");
    EXPECT_TRUE(contains(leaves[0].bytes, "<count>5</count>"));
    ASSERT_EQ(leaves[0].warnings.size(), 1u);
    EXPECT_EQ(leaves[0].warnings[0], "2 trailing bytes after the end of the gzip data ignored");
}

TEST(fixtures, arf_auth_failure) {
    auto m = parse_message(mime_test::read_file(fixtures + "arf_auth_failure.eml"));
    ASSERT_TRUE(m) << m.err().message;
    EXPECT_EQ(m->top_content_type, "multipart/report");
    EXPECT_EQ(m->top_params.at("report-type"), "feedback-report");
    ASSERT_EQ(m->leaves.size(), 3u);
    EXPECT_EQ(m->leaves[1].content_type, "message/feedback-report");
    const auto fields = parse_fields(m->leaves[1].body);
    ASSERT_EQ(fields.size(), 9u);
    EXPECT_EQ(fields[0].name, "Feedback-Type");
    EXPECT_EQ(fields[0].value, "auth-failure");
    EXPECT_EQ(fields[5].name, "Source-IP");
    EXPECT_EQ(fields[5].value, "192.0.2.99");
    EXPECT_EQ(fields[8].value,
              "receiver.example; dmarc=fail (p=reject) header.from=example.com; spf=fail smtp.mailfrom=example.com");
    EXPECT_EQ(m->leaves[2].content_type, "text/rfc822-headers");
    EXPECT_TRUE(contains(m->leaves[2].body, "Subject: Urgent wire transfer"));
}

TEST(fixtures, tlsrpt_gzip) {
    auto m = parse_message(mime_test::read_file(fixtures + "tlsrpt_gzip.eml"));
    ASSERT_TRUE(m) << m.err().message;
    EXPECT_EQ(m->top_params.at("report-type"), "tlsrpt");
    EXPECT_EQ(m->header("TLS-Report-Domain"), "example.com");
    const mime_part* att = find_attachment(*m);
    ASSERT_NE(att, nullptr);
    EXPECT_EQ(att->content_type, "application/tlsrpt+gzip");
    const auto leaves = unwrap_ok(att->body, att->filename);
    ASSERT_EQ(leaves.size(), 1u);
    EXPECT_TRUE(contains(leaves[0].bytes, "\"report-id\":\"2023-11-15T00:00:00Z_example.com\""));
}

TEST(fixtures, mbox_with_three_messages) {
    auto r = mbox_reader::open(fixtures + "three_messages.mbox");
    ASSERT_TRUE(r) << r.err().message;
    std::string msg;
    std::size_t index = 0;
    std::uint64_t offset = 0;
    std::vector<std::string> subjects;
    std::vector<std::uint64_t> offsets;
    std::string second;
    for (;;) {
        auto n = r->next(msg, index, offset);
        ASSERT_TRUE(n) << n.err().message;
        if (!*n) break;
        auto m = parse_message(msg);
        ASSERT_TRUE(m) << m.err().message;
        subjects.push_back(m->subject);
        offsets.push_back(offset);
        if (index == 2) second = m->leaves.at(0).body;
    }
    ASSERT_EQ(subjects.size(), 3u);
    EXPECT_EQ(subjects[0], "Report domain: example.com Submitter: fixture.example Report-ID: fixture-zip-1");
    EXPECT_EQ(subjects[1], "not a report");
    EXPECT_EQ(subjects[2], "Report domain: example.com Submitter: fixture.example Report-ID: fixture-gz-2");
    EXPECT_EQ(offsets[0], 0u);
    EXPECT_EQ(second, "Hi,\nFrom the desk of someone: this line was quoted by the mbox writer.\n>From twice quoted.\n");
}
