// Redaction of failure-report samples (ingest/failure_redact.hpp): local parts become a keyed,
// stable hash; domains, IPs and Message-IDs stay; bodies and DKIM canonicalised copies go.
#include <gtest/gtest.h>

#include "ingest/failure_redact.hpp"

using namespace dmarcsight;

TEST(failure_redact, local_parts_hashed_stably_and_keyed) {
    const std::string a = ingest::redact_addresses("From: Jane <Jane.Doe@example.com>, bob@example.net", "k1");
    EXPECT_EQ(a.find("Jane.Doe"), std::string::npos);
    EXPECT_EQ(a.find("bob@"), std::string::npos);
    EXPECT_NE(a.find("@example.com>"), std::string::npos);
    EXPECT_NE(a.find("@example.net"), std::string::npos);
    EXPECT_TRUE(a.starts_with("From: Jane <h-")) << a;
    // Stable for a key (and case-insensitive in the local part), different under another key.
    EXPECT_EQ(a, ingest::redact_addresses("From: Jane <jane.doe@example.com>, BOB@example.net", "k1"));
    EXPECT_NE(a, ingest::redact_addresses("From: Jane <Jane.Doe@example.com>, bob@example.net", "k2"));
    // Text without an address, a lone '@', "user@" alone: unchanged.
    EXPECT_EQ(ingest::redact_addresses("no address @ here user@", "k"), "no address @ here user@");
}

TEST(failure_redact, report_fields_and_body) {
    report::failure_report r;
    r.original_mail_from = "<bounce@example.com>";
    r.original_rcpt_to = {"<victim@receiver.example>"};
    r.dkim_canonicalized_body = "VGhpcyBpcyBhIG1lc3NhZ2U=";
    r.has_sample = true;
    r.sample.from = "A <a@example.com>";
    r.sample.body = "secret text";
    r.sample.headers = {{"From", "A <a@example.com>"}, {"Message-ID", "<id@example.com>"}, {"Received", "from x by y for <v@r.example>"}};
    ingest::redact_failure(r, "k");
    EXPECT_TRUE(r.redacted);
    EXPECT_TRUE(r.sample.body.empty());
    EXPECT_TRUE(r.sample.body_dropped);
    EXPECT_TRUE(r.dkim_canonicalized_body.empty());
    EXPECT_EQ(r.original_mail_from.find("bounce@"), std::string::npos);
    EXPECT_EQ(r.original_rcpt_to[0].find("victim@"), std::string::npos);
    EXPECT_EQ(r.sample.headers[1].second, "<id@example.com>");  // identifiers stay: the dedup key is unchanged
    EXPECT_EQ(r.sample.headers[2].second.find("<v@"), std::string::npos);
}
