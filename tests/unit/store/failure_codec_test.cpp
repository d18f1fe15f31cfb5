// The failure report's detail column (store/failure_codec.hpp): every field survives the round
// trip, empty values are left out of the JSON, and rows written with every key (before empty
// values were left out) read back the same.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "report/failure_parser.hpp"
#include "store/failure_codec.hpp"

using namespace dmarcsight;

namespace {

report::failure_report full_report() {
    report::failure_report r;
    r.feedback_type = "auth-failure";
    r.user_agent = "Receiver/2.0";
    r.version = "1";
    r.auth_failure = {"dkim", "spf"};
    r.identity_alignment = "dkim";
    r.source_ip = "192.0.2.7";
    r.arrival_date = "Mon, 2 Dec 2024 10:00:00 +0000";
    r.arrival_epoch = 1733133600;
    r.original_mail_from = "<bounce@example.com>";
    r.original_rcpt_to = {"<a@receiver.example>", "<b@receiver.example>"};
    r.original_envelope_id = "env-1";
    r.reported_domain = {"example.com"};
    r.reporting_mta = "mx.receiver.example";
    r.delivery_result = "reject";
    r.dkim_domain = "example.com";
    r.dkim_selector = "s1";
    r.dkim_identity = "@example.com";
    r.dkim_canonicalized_header = "ZnJvbTo=";
    r.dkim_canonicalized_body = "Ym9keQ==";
    r.spf_dns = "txt : example.com : v=spf1 -all";
    r.authentication_results = {"mx.receiver.example; dmarc=fail header.from=example.com"};
    r.incidents = 12;
    r.message_id = "<m1@example.com>";
    r.report_from = "DMARC <dmarc@receiver.example>";
    r.report_subject = "Failure report \"quoted\" \\ and \x01 control";
    r.report_date = "Mon, 2 Dec 2024 11:00:00 +0000";
    r.report_message_id = "<r1@receiver.example>";
    r.best_effort = true;
    r.redacted = true;
    r.warnings = {"a warning"};
    r.has_sample = true;
    r.sample.from = "Støtte <support@example.com>";
    r.sample.to = "<a@receiver.example>";
    r.sample.subject = "Your account – action needed";
    r.sample.date = "Mon, 2 Dec 2024 09:59:00 +0000";
    r.sample.message_id = "<m1@example.com>";
    r.sample.received = {"from a by b", "from c by d"};
    r.sample.headers = {{"Received", "from a by b"}, {"Subject", "=?UTF-8?B?WW91cg==?="}};
    r.sample.body = "line one\nline two";
    r.sample.headers_only = false;
    r.sample.body_dropped = true;
    return r;
}

}  // namespace

TEST(failure_codec, every_field_survives_the_round_trip) {
    const report::failure_report r = full_report();
    const std::string text = store::encode_failure(r);
    auto d = store::decode_failure(text);
    ASSERT_TRUE(d) << d.err().message;
    EXPECT_EQ(store::encode_failure(*d), text);
    EXPECT_EQ(d->auth_failure, r.auth_failure);
    EXPECT_EQ(d->original_rcpt_to, r.original_rcpt_to);
    EXPECT_EQ(d->arrival_epoch, r.arrival_epoch);
    EXPECT_EQ(d->incidents, 12);
    EXPECT_TRUE(d->best_effort);
    EXPECT_TRUE(d->redacted);
    EXPECT_EQ(d->report_subject, r.report_subject);
    EXPECT_TRUE(d->has_sample);
    EXPECT_EQ(d->sample.from, r.sample.from);
    EXPECT_EQ(d->sample.received, r.sample.received);
    EXPECT_EQ(d->sample.headers, r.sample.headers);
    EXPECT_EQ(d->sample.body, r.sample.body);
    EXPECT_FALSE(d->sample.headers_only);
    EXPECT_TRUE(d->sample.body_dropped);
    // The output is JSON a user's own tools can read (sqlite3's json_extract, jq).
    const auto j = nlohmann::json::parse(text);
    EXPECT_EQ(j["sample"]["subject"], "Your account – action needed");
    EXPECT_EQ(j["report_subject"], r.report_subject);
}

TEST(failure_codec, empty_values_are_left_out_and_read_back_as_empty) {
    report::failure_report r;
    r.feedback_type = "auth-failure";
    r.source_ip = "192.0.2.8";
    const std::string text = store::encode_failure(r);
    const auto j = nlohmann::json::parse(text);
    EXPECT_FALSE(j.contains("user_agent"));
    EXPECT_FALSE(j.contains("auth_failure"));
    EXPECT_FALSE(j.contains("best_effort"));
    EXPECT_FALSE(j.contains("sample"));  // no sample came
    EXPECT_FALSE(j.contains("arrival_epoch"));
    EXPECT_EQ(j["incidents"], 1);
    auto d = store::decode_failure(text);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->feedback_type, "auth-failure");
    EXPECT_TRUE(d->user_agent.empty());
    EXPECT_FALSE(d->arrival_epoch);
    EXPECT_FALSE(d->has_sample);
    EXPECT_EQ(d->incidents, 1);

    // A sample with nothing in it is still a sample (headers only, say).
    r.has_sample = true;
    r.sample.headers_only = true;
    auto e = store::decode_failure(store::encode_failure(r));
    ASSERT_TRUE(e);
    EXPECT_TRUE(e->has_sample);
    EXPECT_TRUE(e->sample.headers_only);
    EXPECT_TRUE(e->sample.headers.empty());
}

TEST(failure_codec, rows_written_with_every_key_read_back_the_same) {
    // The shape stores held before empty values were left out: every key, "" and [] included.
    const std::string old = R"({"arrival_date":"","auth_failure":["dmarc"],"authentication_results":[],"best_effort":false,)"
                            R"("delivery_result":"","dkim_canonicalized_body":"","dkim_canonicalized_header":"","dkim_domain":"",)"
                            R"("dkim_identity":"","dkim_selector":"","feedback_type":"auth-failure","identity_alignment":"",)"
                            R"("incidents":1,"message_id":"","original_envelope_id":"","original_mail_from":"",)"
                            R"("original_rcpt_to":[],"redacted":false,"report_date":"","report_from":"","report_message_id":"",)"
                            R"("report_subject":"","reported_domain":["example.com"],"reporting_mta":"",)"
                            R"("sample":{"body":"","body_dropped":false,"date":"","from":"","headers":[["From","x@example.com"]],)"
                            R"("headers_only":true,"message_id":"","received":[],"subject":"","to":""},)"
                            R"("source_ip":"192.0.2.9","spf_dns":"","user_agent":"","version":"","warnings":[]})";
    auto d = store::decode_failure(old);
    ASSERT_TRUE(d) << d.err().message;
    EXPECT_EQ(d->auth_failure, std::vector<std::string>{"dmarc"});
    EXPECT_EQ(d->reported_domain, std::vector<std::string>{"example.com"});
    EXPECT_EQ(d->source_ip, "192.0.2.9");
    EXPECT_TRUE(d->has_sample);
    EXPECT_TRUE(d->sample.headers_only);
    ASSERT_EQ(d->sample.headers.size(), 1u);
    EXPECT_EQ(d->sample.headers[0].second, "x@example.com");
    auto again = store::decode_failure(store::encode_failure(*d));
    ASSERT_TRUE(again);
    EXPECT_EQ(store::encode_failure(*again), store::encode_failure(*d));
    EXPECT_FALSE(store::decode_failure("not json"));
    EXPECT_FALSE(store::decode_failure("[1,2]"));
}
