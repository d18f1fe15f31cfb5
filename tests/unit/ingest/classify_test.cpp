// classify.hpp on its own: what the outer bytes are, which kind a leaf is, what an e-mail carries.
#include "ingest/classify.hpp"

#include <gtest/gtest.h>

#include "mime/message.hpp"

using namespace dmarcsight;
using namespace dmarcsight::ingest;

TEST(classify, outer_kinds) {
    EXPECT_EQ(classify_outer(""), outer_kind::empty);
    EXPECT_EQ(classify_outer("From a@b.example Mon Nov 17 00:00:00 2025\nFrom: x\n"), outer_kind::mbox);
    EXPECT_EQ(classify_outer("From: a@b.example\nSubject: report\n\nbody"), outer_kind::email);
    EXPECT_EQ(classify_outer("Return-Path: <a@b.example>\r\nReceived: from x\r\n"), outer_kind::email);
    EXPECT_EQ(classify_outer("\x1f\x8b\x08\x00"), outer_kind::payload);
    EXPECT_EQ(classify_outer("PK\x03\x04"), outer_kind::payload);
    EXPECT_EQ(classify_outer("<?xml version=\"1.0\"?><feedback>"), outer_kind::payload);
    EXPECT_EQ(classify_outer("{\"organization-name\":\"x\"}"), outer_kind::payload);
    EXPECT_EQ(classify_outer("plain words"), outer_kind::payload);
}

TEST(classify, aggregate_leaves) {
    EXPECT_EQ(classify_leaf("<?xml version=\"1.0\"?>\n<feedback><version>1.0</version>").kind, report_kind::aggregate);
    EXPECT_EQ(classify_leaf("\xEF\xBB\xBF<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">").kind, report_kind::aggregate);
    EXPECT_EQ(classify_leaf("<dmarc:feedback xmlns:dmarc=\"x\">").kind, report_kind::aggregate);
    // A wrapper around <feedback> (a known damaged variant) is still an aggregate report.
    EXPECT_EQ(classify_leaf("<root><feedback><report_metadata>").kind, report_kind::aggregate);
    // UTF-16: the root is not visible as ASCII; the parser decides.
    EXPECT_EQ(classify_leaf(std::string("\xFF\xFE<\0f\0", 6)).kind, report_kind::aggregate);
    // The root cannot be seen within the head (a long comment): the parser decides.
    EXPECT_EQ(classify_leaf("<!-- " + std::string(2000, 'x')).kind, report_kind::aggregate);
}

TEST(classify, leaves_that_are_not_reports) {
    const auto html = classify_leaf("<!-- c --><html><body>hello</body></html>");
    EXPECT_EQ(html.kind, report_kind::none);
    EXPECT_NE(html.reason.find("<html>"), std::string::npos) << html.reason;
    EXPECT_EQ(classify_leaf("<?xml version=\"1.0\"?><Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\">").kind,
              report_kind::none);
    EXPECT_EQ(classify_leaf("read me first\n").kind, report_kind::none);
    EXPECT_EQ(classify_leaf("\x89PNG\r\n\x1a\n").kind, report_kind::none);
    EXPECT_EQ(classify_leaf("{\"not\": \"a report\"}").kind, report_kind::none);
    EXPECT_EQ(classify_leaf("").kind, report_kind::none);
}

TEST(classify, tls_reports) {
    EXPECT_EQ(classify_leaf("{\"organization-name\":\"Google\",\"date-range\":{}}").kind, report_kind::tlsrpt);
    EXPECT_EQ(classify_leaf("\n  {\n \"report-id\": \"x\"}").kind, report_kind::tlsrpt);
}

namespace {
mime::message parse(const std::string& raw) {
    auto m = mime::parse_message(raw);
    EXPECT_TRUE(m.ok());
    return m.ok() ? *m : mime::message{};
}
}  // namespace

TEST(classify, arf_messages) {
    const std::string arf =
        "From: a@b.example\nContent-Type: multipart/report; report-type=feedback-report; boundary=\"B\"\n\n"
        "--B\nContent-Type: text/plain\n\nhuman part\n--B\nContent-Type: message/feedback-report\n\n"
        "Feedback-Type: %s\nUser-Agent: x\nVersion: 1\n--B--\n";
    char buf[512];
    std::snprintf(buf, sizeof buf, arf.c_str(), "auth-failure");
    EXPECT_EQ(classify_message(parse(buf)).whole, report_kind::failure);
    std::snprintf(buf, sizeof buf, arf.c_str(), "abuse");
    const auto abuse = classify_message(parse(buf));
    EXPECT_EQ(abuse.whole, report_kind::other_arf);
    EXPECT_NE(abuse.reason.find("abuse"), std::string::npos);
}

TEST(classify, report_parts_of_an_email) {
    const std::string m =
        "From: r@receiver.example\nContent-Type: multipart/mixed; boundary=\"B\"\n\n"
        "--B\nContent-Type: text/plain\n\nThis is a report.\n"
        "--B\nContent-Type: image/png\nContent-Disposition: attachment; filename=logo.png\n\nPNG\n"
        "--B\nContent-Type: application/gzip\nContent-Disposition: attachment; filename=r.xml.gz\n"
        "Content-Transfer-Encoding: base64\n\nH4sIAAAAAAAAAwMAAAAAAAAAAAA=\n"
        "--B\nContent-Type: application/tlsrpt+json\n\n{\"organization-name\":\"x\"}\n--B--\n";
    const auto c = classify_message(parse(m));
    EXPECT_EQ(c.whole, report_kind::none);
    ASSERT_EQ(c.parts.size(), 2u);
    EXPECT_EQ(c.parts[0].index, 2u);
    EXPECT_FALSE(c.parts[0].tlsrpt_type);
    EXPECT_EQ(c.parts[1].index, 3u);
    EXPECT_TRUE(c.parts[1].tlsrpt_type);
}

TEST(classify, non_arf_failure_and_plain_mail) {
    EXPECT_EQ(classify_message(parse("From: x@y.example\nSubject: DMARC Failure Report for example.com\n\ntext\n")).whole,
              report_kind::failure);
    const auto plain = classify_message(parse("From: x@y.example\nSubject: hello\n\njust text\n"));
    EXPECT_EQ(plain.whole, report_kind::none);
    EXPECT_TRUE(plain.parts.empty());
    // A delivery-status bounce is a multipart/report too, but not a DMARC failure report.
    EXPECT_EQ(classify_message(parse("From: MAILER-DAEMON@y.example\nSubject: Undelivered Mail\n"
                                     "Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n"
                                     "--B\nContent-Type: text/plain\n\nbounced\n--B--\n"))
                  .whole,
              report_kind::none);
}

TEST(classify, domain_of_address) {
    EXPECT_EQ(domain_of_address("Google <noreply-dmarc-support@Google.COM>"), "google.com");
    EXPECT_EQ(domain_of_address("a@b.example"), "b.example");
    EXPECT_EQ(domain_of_address("no address"), "");
}
