// The mail builder: RFC 5322 headers, RFC 2047 subjects, quoted-printable, multipart/alternative,
// CRLF and line lengths, and header injection refused. Each message is read back with our own
// MIME walk (src/mime) to check that a reader sees what was meant.
#include "notify/mail.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "mime/message.hpp"

namespace dmarcsight::notify {
namespace {

mail_envelope envelope() {
    mail_envelope e;
    e.from = "dmarc@example.com";
    e.to = {"alice@example.org", "bob@example.net"};
    e.date = 1796220000;  // 2026-12-02 14:00:00 UTC, a Wednesday
    e.message_id = "<t1@example.com>";
    return e;
}

message text_only() {
    message m;
    m.subject = "Weekly digest for example.com";
    m.text = "Volume: 1,234 messages\nPass share: 97.5%\n";
    m.id = "digest-2026-w49";
    return m;
}

std::vector<std::string> lines(const std::string& s) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < s.size()) {
        const auto e = s.find("\r\n", pos);
        if (e == std::string::npos) {
            out.push_back(s.substr(pos));
            break;
        }
        out.push_back(s.substr(pos, e - pos));
        pos = e + 2;
    }
    return out;
}

// Every line ends in CRLF (no bare CR or LF), headers fit 78 characters and body lines 76.
void expect_wire_form(const std::string& mail) {
    ASSERT_TRUE(mail.ends_with("\r\n"));
    for (std::size_t i = 0; i < mail.size(); ++i) {
        if (mail[i] == '\n') {
            ASSERT_TRUE(i > 0 && mail[i - 1] == '\r') << "bare LF at " << i;
        }
        if (mail[i] == '\r') {
            ASSERT_TRUE(i + 1 < mail.size() && mail[i + 1] == '\n') << "bare CR at " << i;
        }
    }
    bool in_headers = true;
    for (const auto& l : lines(mail)) {
        if (l.empty()) in_headers = false;
        EXPECT_LE(l.size(), in_headers ? 78u : 76u) << l;
        for (const char c : l) EXPECT_TRUE(c == '\t' || (c >= 0x20 && c < 0x7f)) << "non-ASCII byte in: " << l;
    }
}

TEST(rfc5322_date, formats_utc_with_weekday) {
    EXPECT_EQ(rfc5322_date(1796220000), "Wed, 02 Dec 2026 14:00:00 +0000");
    EXPECT_EQ(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
    EXPECT_EQ(rfc5322_date(951782400), "Tue, 29 Feb 2000 00:00:00 +0000");
}

TEST(build_mail, text_only_message_headers_and_body) {
    auto r = build_mail(envelope(), text_only());
    ASSERT_TRUE(r.ok()) << r.err().message;
    expect_wire_form(*r);
    const std::string head = r->substr(0, r->find("\r\n\r\n") + 2);
    EXPECT_NE(head.find("Date: Wed, 02 Dec 2026 14:00:00 +0000\r\n"), std::string::npos);
    EXPECT_NE(head.find("From: dmarc@example.com\r\n"), std::string::npos);
    EXPECT_NE(head.find("To: alice@example.org, bob@example.net\r\n"), std::string::npos);
    EXPECT_NE(head.find("Subject: Weekly digest for example.com\r\n"), std::string::npos);
    EXPECT_NE(head.find("Message-ID: <t1@example.com>\r\n"), std::string::npos);
    EXPECT_NE(head.find("MIME-Version: 1.0\r\n"), std::string::npos);
    EXPECT_NE(head.find("X-Dmarcsight-Id: digest-2026-w49\r\n"), std::string::npos);
    EXPECT_NE(head.find("Content-Type: text/plain; charset=utf-8\r\n"), std::string::npos);
    EXPECT_NE(head.find("Content-Transfer-Encoding: quoted-printable\r\n"), std::string::npos);
    EXPECT_EQ(r->substr(r->find("\r\n\r\n") + 4), "Volume: 1,234 messages\r\nPass share: 97.5%\r\n");

    auto parsed = mime::parse_message(*r);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->subject, "Weekly digest for example.com");
    ASSERT_EQ(parsed->leaves.size(), 1u);
    EXPECT_EQ(parsed->leaves[0].body, "Volume: 1,234 messages\r\nPass share: 97.5%\r\n");
}

TEST(build_mail, non_ascii_subject_is_rfc2047_encoded_in_whole_characters) {
    message m = text_only();
    m.subject = "Rapport hebdomadaire : échecs DMARC en hausse pour bücher.example — 例え.jp ✉ "
                "and a long tail to force several encoded words";
    auto r = build_mail(envelope(), m);
    ASSERT_TRUE(r.ok()) << r.err().message;
    expect_wire_form(*r);
    const auto parsed = mime::parse_message(*r);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->subject, m.subject);
    // Each encoded-word at most 75 characters and a whole base64 of whole characters.
    const std::string raw = parsed->header("Subject");
    std::size_t words = 0;
    for (std::size_t at = raw.find("=?UTF-8?B?"); at != std::string::npos; at = raw.find("=?UTF-8?B?", at + 1)) {
        const auto end = raw.find("?=", at + 10);
        ASSERT_NE(end, std::string::npos);
        EXPECT_LE(end + 2 - at, 75u);
        EXPECT_EQ((end - at - 10) % 4, 0u);
        ++words;
    }
    EXPECT_GE(words, 3u);
}

TEST(build_mail, ascii_that_looks_like_an_encoded_word_is_encoded) {
    message m = text_only();
    m.subject = "=?UTF-8?B?ZXZpbA==?=";
    auto r = build_mail(envelope(), m);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(mime::parse_message(*r)->subject, m.subject);
}

TEST(build_mail, long_ascii_subject_is_folded_at_spaces) {
    message m = text_only();
    m.subject.clear();
    for (int i = 0; i < 30; ++i) m.subject += "word" + std::to_string(i) + " ";
    m.subject += "end";
    auto r = build_mail(envelope(), m);
    ASSERT_TRUE(r.ok());
    expect_wire_form(*r);
    EXPECT_NE(r->find("\r\n word"), std::string::npos);  // folded: CRLF before a space
    EXPECT_EQ(mime::parse_message(*r)->subject, m.subject);
}

TEST(build_mail, multipart_alternative_with_boundaries) {
    message m = text_only();
    m.html = "<p>Volume: <b>1,234</b></p>\n<p>a = b</p>\n";
    auto r = build_mail(envelope(), m);
    ASSERT_TRUE(r.ok()) << r.err().message;
    expect_wire_form(*r);
    const auto ct_at = r->find("Content-Type: multipart/alternative;\r\n boundary=\"");
    ASSERT_NE(ct_at, std::string::npos);
    const auto b_start = ct_at + std::string("Content-Type: multipart/alternative;\r\n boundary=\"").size();
    const std::string boundary = r->substr(b_start, r->find('"', b_start) - b_start);
    EXPECT_TRUE(boundary.starts_with("=_dmarcsight_"));
    // Two delimiters and one close delimiter, each on a line of its own (RFC 2046 §5.1.1).
    std::size_t delimiters = 0;
    for (const auto& l : lines(*r)) {
        if (l == "--" + boundary) {
            ++delimiters;
        } else if (l != "--" + boundary + "--" && l != " boundary=\"" + boundary + "\"") {
            EXPECT_EQ(l.find(boundary), std::string::npos) << l;
        }
    }
    EXPECT_EQ(delimiters, 2u);
    EXPECT_TRUE(r->ends_with("\r\n--" + boundary + "--\r\n"));

    const auto parsed = mime::parse_message(*r);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->top_content_type, "multipart/alternative");
    ASSERT_EQ(parsed->leaves.size(), 2u);
    EXPECT_EQ(parsed->leaves[0].content_type, "text/plain");
    EXPECT_EQ(parsed->leaves[0].body, "Volume: 1,234 messages\r\nPass share: 97.5%\r\n");
    EXPECT_EQ(parsed->leaves[1].content_type, "text/html");
    EXPECT_EQ(parsed->leaves[1].params.at("charset"), "utf-8");
    EXPECT_EQ(parsed->leaves[1].body, "<p>Volume: <b>1,234</b></p>\r\n<p>a = b</p>\r\n");
}

TEST(build_mail, header_injection_is_refused) {
    for (const std::string& bad : std::vector<std::string>{"Hello\r\nBcc: victim@example.org", "Hello\nBcc: x@example.org", "Hello\rX: 1",
                                  std::string("Hello\0X", 7)}) {
        message m = text_only();
        m.subject = bad;
        auto r = build_mail(envelope(), m);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_NE(r.err().message.find("line break"), std::string::npos) << r.err().message;
    }
    mail_envelope e = envelope();
    e.to = {"alice@example.org\r\nBcc: victim@example.org"};
    EXPECT_FALSE(build_mail(e, text_only()).ok());
    e = envelope();
    e.from = "Evil <dmarc@example.com>";
    EXPECT_FALSE(build_mail(e, text_only()).ok());
    e = envelope();
    e.message_id = "<a@b>\r\nBcc: x@y";
    EXPECT_FALSE(build_mail(e, text_only()).ok());
    // An id is never copied raw: with a line break it becomes its hash.
    message m = text_only();
    m.id = "x\r\nBcc: victim@example.org";
    auto r = build_mail(envelope(), m);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->find("Bcc:"), std::string::npos);
}

TEST(build_mail, invalid_utf8_subject_is_refused) {
    message m = text_only();
    m.subject = "bad \xc3( byte";
    EXPECT_FALSE(build_mail(envelope(), m).ok());
}

TEST(build_mail, many_recipients_are_folded) {
    mail_envelope e = envelope();
    e.to.clear();
    for (int i = 0; i < 12; ++i) e.to.push_back("recipient" + std::to_string(i) + "@example.org");
    auto r = build_mail(e, text_only());
    ASSERT_TRUE(r.ok());
    expect_wire_form(*r);
    const auto parsed = mime::parse_message(*r);
    ASSERT_TRUE(parsed.ok());
    std::string to = parsed->header("To");
    EXPECT_NE(to.find("recipient0@example.org, recipient1@example.org"), std::string::npos);
    EXPECT_NE(to.find("recipient11@example.org"), std::string::npos);
}

TEST(build_mail, message_id_derived_when_not_given) {
    mail_envelope e = envelope();
    e.message_id.clear();
    auto a = build_mail(e, text_only());
    ASSERT_TRUE(a.ok());
    const auto id = mime::parse_message(*a)->message_id;
    EXPECT_TRUE(id.starts_with("<dmarcsight.")) << id;
    EXPECT_TRUE(id.ends_with("@example.com>")) << id;
}

TEST(quoted_printable, encodes_what_rfc2045_requires) {
    EXPECT_EQ(quoted_printable("a=b"), "a=3Db");
    EXPECT_EQ(quoted_printable("trailing space \nnext"), "trailing space=20\r\nnext");
    EXPECT_EQ(quoted_printable("tab\t"), "tab=09");
    EXPECT_EQ(quoted_printable("é"), "=C3=A9");
    EXPECT_EQ(quoted_printable("From here\n.dot\n"), "=46rom here\r\n=2Edot\r\n");
    EXPECT_EQ(quoted_printable("crlf\r\nin"), "crlf\r\nin");
    EXPECT_EQ(quoted_printable(""), "");
}

TEST(quoted_printable, long_lines_get_soft_breaks_and_decode_back) {
    std::string line;
    for (int i = 0; i < 300; ++i) line += static_cast<char>(i % 3 == 0 ? '=' : 'a' + i % 26);
    line += "é ü";
    const std::string qp = quoted_printable(line);
    for (const auto& l : lines(qp)) EXPECT_LE(l.size(), 76u) << l;
    EXPECT_EQ(mime::decode_quoted_printable(qp), line);
}

// Many generated messages (fixed seed): words of ASCII, Latin, CJK and emoji characters, lines
// of any length with spaces, tabs, '=', '.' and "From " at their starts. Every one keeps the wire
// form and reads back exactly (subject decoded, text with its line breaks as CRLF).
TEST(build_mail, generated_messages_keep_the_wire_form_and_read_back) {
    std::mt19937 rng(20261202);
    const std::vector<std::string> atoms = {"a", "Z", "0", "=", "?", ".", "_", "-", "é", "ß", "€", "例", "え", "✉", "😀", "\t", "=?", "From"};
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    auto word = [&] {
        std::string w;
        const std::size_t n = 1 + pick(12);
        for (std::size_t i = 0; i < n; ++i) {
            const auto& a = atoms[pick(atoms.size())];
            w += a;
        }
        return w;
    };
    for (int round = 0; round < 500; ++round) {
        message m;
        const std::size_t words = 1 + pick(30);
        for (std::size_t i = 0; i < words; ++i) m.subject += (i ? " " : "") + word();
        const std::size_t lines_n = pick(8);
        for (std::size_t i = 0; i < lines_n; ++i) {
            std::string line;
            if (pick(5) == 0) line += pick(2) ? "From " : ".";
            const std::size_t n = pick(40);
            for (std::size_t k = 0; k < n; ++k) line += (pick(4) == 0 ? (pick(2) ? " " : "\t") : word());
            m.text += line + (pick(3) == 0 ? "\r\n" : "\n");
        }
        if (pick(2)) m.html = "<p>" + m.text + "</p>";
        auto r = build_mail(envelope(), m);
        ASSERT_TRUE(r.ok()) << r.err().message;
        expect_wire_form(*r);
        const auto parsed = mime::parse_message(*r);
        ASSERT_TRUE(parsed.ok());
        ASSERT_EQ(parsed->subject, m.subject) << "round " << round << "\n" << r->substr(0, r->find("\r\nMessage-ID"));
        std::string crlf;
        for (std::size_t i = 0; i < m.text.size(); ++i) {
            if (m.text[i] == '\n' && (i == 0 || m.text[i - 1] != '\r')) crlf += '\r';
            crlf += m.text[i];
        }
        ASSERT_FALSE(parsed->leaves.empty());
        ASSERT_EQ(parsed->leaves[0].body, crlf) << "round " << round;
    }
}

}  // namespace
}  // namespace dmarcsight::notify
