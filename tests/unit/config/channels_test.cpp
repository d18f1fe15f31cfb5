// [channels.NAME], [alerts], [digest] and [retention]: values, ranges, errors with file:line,
// and secrets that never reach describe().
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "config/config.hpp"
#include "support/temp_dir.hpp"

namespace dmarcsight::config {
namespace {

using test_support::temp_dir;

class channels_test : public ::testing::Test {
protected:
    void SetUp() override { ::setenv("DMARCSIGHT_TEST_SMTP_PASS", "pa55-w0rd-xyz", 1); }
    void TearDown() override { ::unsetenv("DMARCSIGHT_TEST_SMTP_PASS"); }
    result<settings> parse(const std::string& text) {
        const std::string path = dir / "d.toml";
        std::ofstream(path, std::ios::binary) << text;
        ::chmod(path.c_str(), 0600);
        settings s;
        if (auto r = apply_file(s, path); !r) return unexpected{r.err()};
        return s;
    }
    std::string error_of(const std::string& text) {
        auto r = parse(text);
        EXPECT_FALSE(r.ok()) << text;
        return r.ok() ? std::string() : r.err().message;
    }
    std::string shown(const settings& s, const std::string& key) {
        for (const auto& l : describe(s))
            if (l.key == key) return l.value + " @ " + l.from.describe();
        return "(absent)";
    }
    temp_dir dir;
};

constexpr const char* smtp_channel = R"(
[channels.mail]
type = "smtp"
url = "smtp://mail.example.com:587"
username = "alerts"
password_env = "DMARCSIGHT_TEST_SMTP_PASS"
from = "dmarc@example.com"
to = ["a@example.org", "b@example.net"]
timeout = 15
)";

TEST_F(channels_test, defaults_are_the_scenario_rules) {
    settings s;
    EXPECT_TRUE(s.channels.empty());
    EXPECT_EQ(s.alerts.settle_hours.value, 48);
    EXPECT_EQ(s.alerts.window_days.value, 7);
    EXPECT_EQ(s.alerts.min_history_days.value, 3);
    EXPECT_EQ(s.alerts.new_source_min_messages.value, 100);
    EXPECT_EQ(s.alerts.failure_spike_min_messages.value, 100);
    EXPECT_EQ(s.alerts.failure_spike_min_days.value, 3);
    EXPECT_DOUBLE_EQ(s.alerts.failure_spike_rise.value, 0.20);
    EXPECT_EQ(s.alerts.pass_rate_drop_min_messages.value, 500);
    EXPECT_DOUBLE_EQ(s.alerts.pass_rate_drop.value, 0.10);
    EXPECT_DOUBLE_EQ(s.alerts.unauthorized_spike_factor.value, 2.0);
    EXPECT_EQ(s.alerts.unauthorized_spike_min_excess.value, 500);
    EXPECT_EQ(s.alerts.no_reports_hours.value, 48);
    EXPECT_TRUE(s.alerts.channels.value.empty());
    EXPECT_FALSE(s.retention.older_than.value);
    EXPECT_EQ(shown(s, "alerts.failure_spike_rise"), "0.2 @ default");
    EXPECT_EQ(shown(s, "retention.older_than"), "(none: keep everything) @ default");
}

TEST_F(channels_test, smtp_and_webhook_channels_are_read) {
    auto s = parse(std::string(smtp_channel) + R"(
[channels.ops]
type = "webhook"
url = "https://hooks.example/T0/B0"
style = "slack"
secret = "hmac-k3y-abc"
)");
    ASSERT_TRUE(s.ok()) << s.err().message;
    ASSERT_EQ(s->channels.size(), 2u);
    const auto& m = s->channels[0];
    EXPECT_EQ(m.name, "mail");
    EXPECT_EQ(m.type, "smtp");
    EXPECT_EQ(m.url, "smtp://mail.example.com:587");
    EXPECT_EQ(m.starttls, "required");
    EXPECT_EQ(m.username, "alerts");
    ASSERT_TRUE(m.password);
    EXPECT_EQ(m.password->reveal(), "pa55-w0rd-xyz");
    EXPECT_EQ(m.from, "dmarc@example.com");
    EXPECT_EQ(m.to, (std::vector<std::string>{"a@example.org", "b@example.net"}));
    EXPECT_EQ(m.timeout_s, 15);
    EXPECT_EQ(m.where.where, dir / "d.toml" + ":2:1");
    const auto& o = s->channels[1];
    EXPECT_EQ(o.name, "ops");
    EXPECT_EQ(o.style, "slack");
    ASSERT_TRUE(o.secret);
    EXPECT_EQ(o.secret->reveal(), "hmac-k3y-abc");
    EXPECT_EQ(o.timeout_s, 30);
    // Secrets are described, never shown.
    for (const auto& l : describe(*s)) {
        EXPECT_EQ(l.value.find("pa55-w0rd-xyz"), std::string::npos) << l.key;
        EXPECT_EQ(l.value.find("hmac-k3y-abc"), std::string::npos) << l.key;
    }
    EXPECT_EQ(shown(*s, "channels.mail.password"), "(secret from environment DMARCSIGHT_TEST_SMTP_PASS) @ file " + dir / "d.toml" + ":6:16");
    EXPECT_EQ(shown(*s, "channels.ops.secret").substr(0, 42), "(secret written in the configuration file)");
    EXPECT_EQ(shown(*s, "channels.mail.to").substr(0, 28), "a@example.org,b@example.net ");
}

TEST_F(channels_test, alert_thresholds_and_lists) {
    auto s = parse(std::string(smtp_channel) + R"(
[alerts]
settle_hours = 24
failure_spike_rise = 0.35
pass_rate_drop = 1
unauthorized_spike_factor = 3
new_source_min_messages = 0
channels = ["mail"]
[digest]
channels = ["mail"]
[retention]
older_than = "400d"
)");
    ASSERT_TRUE(s.ok()) << s.err().message;
    EXPECT_EQ(s->alerts.settle_hours.value, 24);
    EXPECT_EQ(s->alerts.settle_hours.from.where, dir / "d.toml" + ":12:16");
    EXPECT_DOUBLE_EQ(s->alerts.failure_spike_rise.value, 0.35);
    EXPECT_DOUBLE_EQ(s->alerts.pass_rate_drop.value, 1.0);
    EXPECT_DOUBLE_EQ(s->alerts.unauthorized_spike_factor.value, 3.0);
    EXPECT_EQ(s->alerts.new_source_min_messages.value, 0);
    EXPECT_EQ(s->alerts.channels.value, std::vector<std::string>{"mail"});
    EXPECT_EQ(s->digest.channels.value, std::vector<std::string>{"mail"});
    EXPECT_EQ(s->retention.older_than.value, "400d");
}

TEST_F(channels_test, out_of_range_thresholds_name_the_line) {
    const std::string p = dir / "d.toml";
    EXPECT_EQ(error_of("[alerts]\nsettle_hours = -1\n"),
              p + ":2:16: alerts.settle_hours must be a whole number of hours from 0 to 8784, not -1");
    EXPECT_EQ(error_of("[alerts]\n\nfailure_spike_rise = 1.5\n"), p + ":3:22: alerts.failure_spike_rise must be a share from 0 to 1, not 1.5");
    EXPECT_EQ(error_of("[alerts]\npass_rate_drop = -0.1\n"), p + ":2:18: alerts.pass_rate_drop must be a share from 0 to 1, not -0.1");
    EXPECT_EQ(error_of("[alerts]\nwindow_days = 0\n"), p + ":2:15: alerts.window_days must be a whole number of days from 1 to 366, not 0");
    EXPECT_EQ(error_of("[alerts]\nnew_source_min_messages = -5\n").substr(p.size()), ":2:27: alerts.new_source_min_messages must be a whole number of messages from 0 to 1000000000000, not -5");
    EXPECT_EQ(error_of("[alerts]\nunauthorized_spike_factor = 0.5\n"), p + ":2:29: alerts.unauthorized_spike_factor must be a factor from 1 to 1000, not 0.5");
    EXPECT_EQ(error_of("[alerts]\nwindow_days = 2.5\n"), p + ":2:15: alerts.window_days must be a whole number of days from 1 to 366");
    EXPECT_EQ(error_of("[alerts]\nfailure_spike_rise = \"high\"\n"), p + ":2:22: alerts.failure_spike_rise must be a share from 0 to 1");
    EXPECT_EQ(error_of("[retention]\nolder_than = \"soon\"\n"), p + ":2:14: retention.older_than 'soon' is not an age such as 400d, 12w or 72h");
    EXPECT_EQ(error_of("[retention]\nolder_than = \"0d\"\n"), p + ":2:14: retention.older_than '0d' is not an age such as 400d, 12w or 72h");
}

TEST_F(channels_test, unknown_keys_are_errors_with_a_suggestion) {
    const std::string p = dir / "d.toml";
    EXPECT_EQ(error_of("[alerts]\nsettle_hour = 3\n"), p + ":2:1: unknown key 'alerts.settle_hour'; did you mean 'alerts.settle_hours'?");
    EXPECT_EQ(error_of(std::string(smtp_channel) + "tiemout = 3\n").substr(p.size()), ":10:1: unknown key 'channels.mail.tiemout'; did you mean 'channels.mail.timeout'?");
    EXPECT_NE(error_of("[digest]\nperiod = \"week\"\n").find("unknown key 'digest.period'"), std::string::npos);
}

TEST_F(channels_test, channel_mistakes_are_explained) {
    const std::string p = dir / "d.toml";
    EXPECT_EQ(error_of("[channels.x]\nurl = \"https://h.example/\"\n"), p + ":1:1: channels.x needs a type (\"webhook\" or \"smtp\")");
    EXPECT_EQ(error_of("[channels.x]\ntype = \"pigeon\"\n"), p + ":2:8: channels.x.type 'pigeon' is not webhook or smtp");
    EXPECT_EQ(error_of("[channels.x]\ntype = \"webhook\"\n"), p + ":1:1: channels.x needs a url");
    EXPECT_EQ(error_of("[channels.x]\ntype = \"webhook\"\nurl = \"ftp://h.example/\"\n"),
              p + ":3:7: channels.x.url 'ftp://h.example/' must start with https:// or http://");
    EXPECT_EQ(error_of("[channels.x]\ntype = \"webhook\"\nurl = \"https://user:pw@h.example/\"\n"),
              p + ":3:7: channels.x.url must not hold credentials (user@ in the URL)");
    EXPECT_EQ(error_of("[channels.x]\ntype = \"webhook\"\nurl = \"https://h.example/\"\nstyle = \"discord\"\n"),
              p + ":4:9: channels.x.style 'discord' is not one of json, slack, teams");
    EXPECT_EQ(error_of("[channels.x]\ntype = \"webhook\"\nurl = \"https://h.example/\"\nstarttls = \"off\"\n"),
              p + ":4:12: channels.x.starttls applies to smtp channels only");
    EXPECT_EQ(error_of("[channels.x]\ntype = \"smtp\"\nurl = \"smtp://h.example\"\nfrom = \"a@example.com\"\nto = \"b@example.com\"\nsecret = \"k\"\n"),
              p + ":6:10: channels.x.secret applies to webhook channels only");
    EXPECT_EQ(error_of("[channels.x]\ntype = \"smtp\"\nurl = \"smtp://h.example\"\nto = \"b@example.com\"\n"),
              p + ":1:1: channels.x needs from (the sender address)");
    EXPECT_EQ(error_of("[channels.x]\ntype = \"smtp\"\nurl = \"smtp://h.example\"\nfrom = \"Alerts <a@example.com>\"\n"),
              p + ":4:8: channels.x.from 'Alerts <a@example.com>' is not a mail address (local@domain, no display name)");
    EXPECT_EQ(error_of("[channels.x]\ntype = \"smtp\"\nurl = \"smtp://h.example\"\nfrom = \"a@example.com\"\nto = [\"b@example.com\\r\\nBcc: c@example.com\"]\n")
                  .substr(p.size()),
              ":5:6: channels.x.to 'b@example.com\\x0d\\x0aBcc: c@example.com' is not a mail address (local@domain, no display name)");
    EXPECT_EQ(error_of("[channels.x]\ntype = \"smtp\"\nurl = \"smtp://h.example\"\nfrom = \"a@example.com\"\nto = \"b@example.com\"\n"
                       "username = \"u\"\npassword = \"p\"\nstarttls = \"opportunistic\"\n"),
              p + ":1:1: channels.x sends a password: starttls must be \"required\" (or use smtps://)");
    EXPECT_EQ(error_of("[channels.x]\ntype = \"smtp\"\nurl = \"smtp://h.example\"\nfrom = \"a@example.com\"\nto = \"b@example.com\"\nusername = \"u\"\n"),
              p + ":1:1: channels.x has a username but no password");
    EXPECT_EQ(error_of("[channels.\"a b\"]\ntype = \"smtp\"\n"), p + ":1:11: channel name 'a b' must be 1 to 64 letters, digits, '-' or '_'");
    EXPECT_EQ(error_of(std::string(smtp_channel) + "[alerts]\nchannels = [\"mial\"]\n").substr(p.size()),
              ":11:12: alerts.channels names 'mial', which is no [channels.NAME] table; did you mean 'mail'?");
}

TEST_F(channels_test, a_literal_secret_in_an_error_is_never_quoted) {
    // A secret of the wrong type: the message names the key, not the value.
    const std::string e = error_of("[channels.x]\ntype = \"webhook\"\nurl = \"https://h.example/\"\nsecret = 12345678\n");
    EXPECT_NE(e.find("channels.x.secret must be a string"), std::string::npos) << e;
    EXPECT_EQ(e.find("12345678"), std::string::npos) << e;
}

}  // namespace
}  // namespace dmarcsight::config
