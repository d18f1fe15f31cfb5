// mbox and Maildir readers on files written by the test (and the corpus mbox).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/limits.hpp"
#include "mime/mailbox.hpp"
#include "mime/message.hpp"
#include "unit/mime/test_util.hpp"

using namespace dmarcsight;
using namespace dmarcsight::mime;
namespace fs = std::filesystem;

namespace {

class temp_dir {
public:
    temp_dir() {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        path_ = fs::temp_directory_path() /
                ("dmarcsight-mime-" + std::to_string(::getpid()) + "-" + info->name());
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

void write(const fs::path& p, const std::string& s) {
    std::ofstream f(p, std::ios::binary);
    f << s;
}

struct mbox_item {
    bool ok;
    std::string text;
    std::size_t index;
    std::uint64_t offset;
    std::string error;
};

std::vector<mbox_item> read_mbox(const std::string& path) {
    std::vector<mbox_item> out;
    auto r = mbox_reader::open(path);
    EXPECT_TRUE(r) << r.err().message;
    if (!r) return out;
    std::string msg;
    for (int guard = 0; guard < 1000; ++guard) {
        std::size_t index = 0;
        std::uint64_t offset = 0;
        auto n = r->next(msg, index, offset);
        if (!n) {
            out.push_back({false, "", index, offset, n.err().message});
            continue;
        }
        if (!*n) break;
        out.push_back({true, msg, index, offset, ""});
    }
    return out;
}

}  // namespace

TEST(mbox, corpus_mbox_with_10_messages) {
    const std::string path = std::string(DMARCSIGHT_CORPUS_DIR) + "/reports/opus-codium+email-report-processor/spec/fixtures/mbox/romain";
    if (!mime_test::exists(path)) GTEST_SKIP() << "corpus absent: " << path;
    const auto items = read_mbox(path);
    ASSERT_EQ(items.size(), 10u);
    const std::vector<std::string> subjects = {
        "Riemann daily alert reminder: 1 critical; 3 warning", "TESTING n1 critical", "TESTING n1 critical",
        "TESTING n1 critical", "TESTING n2 critical", "TESTING n2 critical", "TESTING n2 critical",
        "TESTING n3 critical", "TESTING n3 critical", "TESTING n3 critical"};
    std::uint64_t last_offset = 0;
    for (std::size_t i = 0; i < items.size(); ++i) {
        ASSERT_TRUE(items[i].ok) << items[i].error;
        EXPECT_EQ(items[i].index, i + 1);
        if (i == 0) {
            EXPECT_EQ(items[i].offset, 0u);
        } else {
            EXPECT_GT(items[i].offset, last_offset);
        }
        last_offset = items[i].offset;
        EXPECT_NE(items[i].text.rfind("From ", 0), 0u) << "postmark must be stripped";
        auto m = parse_message(items[i].text);
        ASSERT_TRUE(m) << m.err().message;
        EXPECT_EQ(m->subject, subjects[i]) << "message " << i + 1;
    }
    // Offsets point at the postmark lines.
    const std::string raw = mime_test::read_file(path);
    for (const auto& it : items) EXPECT_EQ(raw.compare(it.offset, 5, "From "), 0);
}

TEST(mbox, from_quoting_and_separators) {
    temp_dir d;
    const fs::path p = d.path() / "box";
    write(p,
          "From a@example.com Mon Apr 10 10:43:53 2023\n"
          "Subject: one\n"
          "\n"
          ">From the desk of mboxrd\n"
          ">>From deeper\n"
          "From inside a paragraph (no blank line before, not a postmark)\n"
          ">Fromage stays\n"
          "\n"
          "From b@example.com Tue Apr 11 10:43:53 2023\n"
          "Subject: two\n"
          "\n"
          "body two\n"
          "From c@example.com Wed Apr 12 10:43:53 2023\n"  // postmark without blank line: lenient
          "Subject: three\n"
          "\n"
          "body three\n");
    const auto items = read_mbox(p.string());
    ASSERT_EQ(items.size(), 3u);
    EXPECT_EQ(items[0].text,
              "Subject: one\n\nFrom the desk of mboxrd\n>From deeper\n"
              "From inside a paragraph (no blank line before, not a postmark)\n>Fromage stays\n");
    EXPECT_EQ(items[1].text, "Subject: two\n\nbody two\n");
    EXPECT_EQ(items[2].text, "Subject: three\n\nbody three\n");
    EXPECT_EQ(items[2].index, 3u);
}

TEST(mbox, crlf_no_leading_postmark_and_empty) {
    temp_dir d;
    write(d.path() / "crlf", "\r\nSubject: first\r\n\r\nx\r\n\r\nFrom b@c Thu Jan  1 00:00:00 1970\r\nSubject: second\r\n\r\ny\r\n");
    const auto items = read_mbox((d.path() / "crlf").string());
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[0].text, "Subject: first\r\n\r\nx\r\n");
    EXPECT_EQ(items[1].text, "Subject: second\r\n\r\ny\r\n");
    write(d.path() / "empty", "");
    EXPECT_TRUE(read_mbox((d.path() / "empty").string()).empty());
    EXPECT_FALSE(mbox_reader::open((d.path() / "missing").string()));
}

TEST(mbox, long_lines_across_chunks) {
    temp_dir d;
    const std::string long_line(3 * limits::mbox_read_chunk + 17, 'x');
    write(d.path() / "long", "From a@b Mon Apr 10 10:43:53 2023\nSubject: l\n\n" + long_line + "\n\nFrom a@b Mon Apr 10 10:43:53 2023\nSubject: m\n\nz\n");
    const auto items = read_mbox((d.path() / "long").string());
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[0].text, "Subject: l\n\n" + long_line + "\n");
    EXPECT_EQ(items[1].text, "Subject: m\n\nz\n");
}

TEST(mbox, oversized_message_skipped_and_reading_continues) {
    temp_dir d;
    const fs::path p = d.path() / "big";
    {
        std::ofstream f(p, std::ios::binary);
        f << "From a@b Mon Apr 10 10:43:53 2023\nSubject: small1\n\nx\n\n";
        f << "From a@b Mon Apr 10 10:43:53 2023\nSubject: huge\n\n";
        const std::string line(1023, 'y');
        for (std::size_t written = 0; written <= limits::max_message_size; written += line.size() + 1) f << line << '\n';
        f << "\nFrom a@b Mon Apr 10 10:43:53 2023\nSubject: small3\n\nz\n";
    }
    const auto items = read_mbox(p.string());
    ASSERT_EQ(items.size(), 3u);
    EXPECT_TRUE(items[0].ok);
    EXPECT_FALSE(items[1].ok);
    EXPECT_EQ(items[1].index, 2u);
    EXPECT_NE(items[1].error.find("is larger than 134217728 bytes; skipped"), std::string::npos) << items[1].error;
    ASSERT_TRUE(items[2].ok);
    EXPECT_EQ(items[2].index, 3u);
    EXPECT_EQ(items[2].text, "Subject: small3\n\nz\n");
}

TEST(mbox, is_mbox_and_postmark) {
    EXPECT_TRUE(is_mbox("From a@b Mon Apr 10 10:43:53 2023\n"));
    EXPECT_FALSE(is_mbox("Received: x\n"));
    EXPECT_FALSE(is_mbox(">From a"));
    EXPECT_TRUE(is_mbox_postmark("From MAILER-DAEMON Fri Jul  8 12:08:34 2011"));
    EXPECT_TRUE(is_mbox_postmark("From - Mon Jan  1 00:00:00 2001"));
    EXPECT_FALSE(is_mbox_postmark("From here on, we go"));
    EXPECT_FALSE(is_mbox_postmark("From "));
    EXPECT_FALSE(is_mbox_postmark("From a@b Xyz Apr 10"));
}

TEST(maildir, new_and_cur_not_tmp_no_symlinks) {
    temp_dir d;
    const fs::path md = d.path() / "Maildir";
    for (const char* sub : {"new", "cur", "tmp"}) fs::create_directories(md / sub);
    write(md / "new" / "1700000002.M1P1.host", "Subject: b\n\nb");
    write(md / "cur" / "1700000001.M1P1.host:2,S", "Subject: a\n\na");
    write(md / "tmp" / "1700000003.M1P1.host", "Subject: partial");
    write(md / "new" / ".hidden", "x");
    fs::create_directories(md / "new" / "subdir");
    write(d.path() / "outside", "Subject: outside\n\n");
    fs::create_symlink(d.path() / "outside", md / "cur" / "link");
    EXPECT_TRUE(is_maildir(md.string()));
    const auto files = maildir_messages(md.string());
    ASSERT_EQ(files.size(), 2u);
    EXPECT_EQ(files[0], (md / "cur" / "1700000001.M1P1.host:2,S").string());
    EXPECT_EQ(files[1], (md / "new" / "1700000002.M1P1.host").string());
    EXPECT_FALSE(is_maildir(d.path().string()));
    // A Maildir whose new/ is a symlink to a directory elsewhere: that directory is not listed.
    const fs::path md2 = d.path() / "Maildir2";
    fs::create_directories(md2 / "cur");
    fs::create_directories(d.path() / "elsewhere");
    write(d.path() / "elsewhere" / "secret", "x");
    fs::create_directory_symlink(d.path() / "elsewhere", md2 / "new");
    EXPECT_TRUE(maildir_messages(md2.string()).empty());
    EXPECT_FALSE(is_maildir((d.path() / "nope").string()));
    EXPECT_TRUE(maildir_messages((d.path() / "nope").string()).empty());
}
