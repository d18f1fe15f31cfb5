// [mailboxes.NAME]: IMAP and Maildir mailboxes, their archive actions and secrets; errors name the
// key, and secrets never reach describe().
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "config/config.hpp"
#include "support/temp_dir.hpp"

namespace dmarcsight::config {
namespace {

using test_support::temp_dir;

constexpr const char* token_text = "eyJ-not-really-a-jwt-9f8e7d";

class mailboxes_test : public ::testing::Test {
protected:
    void SetUp() override { ::setenv("DMARCSIGHT_TEST_IMAP_TOKEN", token_text, 1); }
    void TearDown() override { ::unsetenv("DMARCSIGHT_TEST_IMAP_TOKEN"); }
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
    temp_dir dir;
};

TEST_F(mailboxes_test, imap_mailbox_with_actions_and_a_token) {
    auto s = parse(R"([mailboxes.reports]
url = "imaps://dmarc@mail.example.com/INBOX"
token_env = "DMARCSIGHT_TEST_IMAP_TOKEN"
aggregate = "Archive/Aggregate"
failure = "delete"
tlsrpt = "seen"
invalid = "leave"
batch = 25
poll_seconds = 30
max_message_bytes = 1048576
)");
    ASSERT_TRUE(s.ok()) << s.err().message;
    ASSERT_EQ(s->mailboxes.size(), 1u);
    const auto& m = s->mailboxes[0];
    EXPECT_EQ(m.name, "reports");
    EXPECT_EQ(m.url, "imaps://dmarc@mail.example.com/INBOX");
    ASSERT_TRUE(m.token);
    EXPECT_EQ(m.token->reveal(), token_text);
    EXPECT_FALSE(m.password);
    EXPECT_EQ(m.aggregate, "Archive/Aggregate");
    EXPECT_EQ(m.failure, "delete");
    EXPECT_EQ(m.tlsrpt, "seen");
    EXPECT_EQ(m.invalid, "leave");
    EXPECT_EQ(m.batch, 25);
    EXPECT_EQ(m.poll_seconds, 30);
    EXPECT_EQ(m.max_message_bytes, 1048576);
    for (const auto& line : describe(*s)) EXPECT_EQ(line.value.find(token_text), std::string::npos) << line.key;
}

TEST_F(mailboxes_test, maildir_mailbox_defaults_to_folders) {
    auto s = parse("[mailboxes.local]\nmaildir = \"box\"\n");
    ASSERT_TRUE(s.ok()) << s.err().message;
    const auto& m = s->mailboxes.at(0);
    EXPECT_EQ(m.maildir, dir / "box");  // relative to the file's folder
    EXPECT_EQ(m.aggregate, "Aggregate");
    EXPECT_EQ(m.failure, "Failure");
    EXPECT_EQ(m.tlsrpt, "TLS");
    EXPECT_EQ(m.invalid, "Invalid");
}

TEST_F(mailboxes_test, mistakes_are_errors_naming_the_key) {
    EXPECT_NE(error_of("[mailboxes.x]\nurl = \"imaps://u@h/INBOX\"\n").find("needs exactly one of password"), std::string::npos);
    EXPECT_NE(error_of("[mailboxes.x]\nmaildir = \"m\"\nurl = \"imaps://u@h/INBOX\"\npassword = \"p\"\n").find("exactly one of url"),
              std::string::npos);
    const std::string pw = error_of("[mailboxes.x]\nurl = \"imaps://u:hunter2@h/INBOX\"\npassword = \"p\"\n");
    EXPECT_NE(pw.find("must not hold a password"), std::string::npos);
    EXPECT_EQ(pw.find("hunter2"), std::string::npos);
    EXPECT_NE(error_of("[mailboxes.x]\nurl = \"https://h/\"\npassword = \"p\"\n").find("imap:// or imaps://"), std::string::npos);
    EXPECT_NE(error_of("[mailboxes.x]\nmaildir = \"m\"\naggregate = \"../etc\"\n").find("mailboxes.x.aggregate"), std::string::npos);
    EXPECT_NE(error_of("[mailboxes.x]\nmaildir = \"m\"\ninvalid = \"a\\\"b\"\n").find("is not a folder name"), std::string::npos);
    EXPECT_NE(error_of("[mailboxes.x]\nmaildir = \"m\"\nbatch = 0\n").find("mailboxes.x.batch"), std::string::npos);
    EXPECT_NE(error_of("[mailboxes.x]\nmaildir = \"m\"\npassword = \"p\"\n").find("IMAP mailboxes only"), std::string::npos);
    EXPECT_NE(error_of("[mailboxes.x]\nmaildir = \"m\"\nfolder = \"INBOX\"\n").find("folder"), std::string::npos);
    EXPECT_NE(error_of("[mailboxes.\"bad name\"]\nmaildir = \"m\"\n").find("mailbox name"), std::string::npos);
}

TEST(mailbox_action, valid_names) {
    for (const char* ok : {"delete", "seen", "leave", "Aggregate", "Archive/DMARC", "INBOX.Reports", "Junk Mail", "TLS-RPT_2"})
        EXPECT_TRUE(valid_mailbox_action(ok)) << ok;
    for (const char* bad : {"", ".hidden", "/abs", "a/../b", "a//b", "trail/", "quote\"", "back\\slash", "star*", "pct%", "line\nbreak"})
        EXPECT_FALSE(valid_mailbox_action(bad)) << bad;
}

}  // namespace
}  // namespace dmarcsight::config
