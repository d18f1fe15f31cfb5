// The e-mail walk on hand-written messages: structure, decoders, RFC 2047/2231, caps.
#include <gtest/gtest.h>

#include <chrono>

#include "core/limits.hpp"
#include "mime/container.hpp"
#include "mime/message.hpp"
#include "unit/mime/test_util.hpp"

using namespace dmarcsight;
using namespace dmarcsight::mime;

namespace {
bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

std::string lf_to_crlf(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '\n') out += '\r';
        out += c;
    }
    return out;
}

const std::string report_mail =
    "From: \"DMARC\" <noreply-dmarc-support@google.com>\n"
    "To: dmarc@example.com\n"
    "Subject: Report domain: example.com\n"
    " Submitter: google.com\n"
    "Date: Mon, 10 Apr 2023 10:43:53 +0000\n"
    "Message-ID: <abc@google.com>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"==b1==\"\n"
    "\n"
    "This is the preamble.\n"
    "--==b1==\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "Hello\n"
    "--==b1==  \n"
    "Content-Type: application/zip; name=\"r.zip\"\n"
    "Content-Disposition: attachment; filename=\"google.com!example.com!1.zip\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "UEsDBA==\n"
    "--==b1==--\n"
    "epilogue --==b1== ignored\n";
}  // namespace

TEST(message, multipart_lf) {
    auto m = parse_message(report_mail);
    ASSERT_TRUE(m) << m.err().message;
    EXPECT_EQ(m->subject, "Report domain: example.com Submitter: google.com");
    EXPECT_EQ(m->from, "\"DMARC\" <noreply-dmarc-support@google.com>");
    EXPECT_EQ(m->date, "Mon, 10 Apr 2023 10:43:53 +0000");
    EXPECT_EQ(m->message_id, "<abc@google.com>");
    EXPECT_EQ(m->header("mime-version"), "1.0");
    EXPECT_EQ(m->header("X-Absent"), "");
    EXPECT_EQ(m->top_content_type, "multipart/mixed");
    EXPECT_EQ(m->top_params.at("boundary"), "==b1==");
    ASSERT_EQ(m->leaves.size(), 2u);
    EXPECT_EQ(m->leaves[0].content_type, "text/plain");
    EXPECT_EQ(m->leaves[0].params.at("charset"), "utf-8");
    EXPECT_EQ(m->leaves[0].body, "Hello");
    EXPECT_EQ(m->leaves[0].depth, 1);
    EXPECT_EQ(m->leaves[1].content_type, "application/zip");
    EXPECT_EQ(m->leaves[1].disposition, "attachment");
    EXPECT_EQ(m->leaves[1].filename, "google.com!example.com!1.zip");
    EXPECT_EQ(m->leaves[1].body, std::string("PK\x03\x04", 4));
    EXPECT_EQ(m->leaves[1].header("content-transfer-encoding"), "base64");
    EXPECT_TRUE(m->warnings.empty());
}

TEST(message, crlf_and_mixed_line_ends) {
    auto crlf = parse_message(lf_to_crlf(report_mail));
    ASSERT_TRUE(crlf) << crlf.err().message;
    ASSERT_EQ(crlf->leaves.size(), 2u);
    EXPECT_EQ(crlf->leaves[0].body, "Hello");  // the CR LF before the delimiter belongs to it
    EXPECT_EQ(crlf->subject, "Report domain: example.com Submitter: google.com");
    EXPECT_EQ(crlf->leaves[1].body, std::string("PK\x03\x04", 4));
    // Half the lines CRLF, half LF.
    std::string mixed;
    bool flip = false;
    for (char c : report_mail) {
        if (c == '\n' && (flip = !flip)) mixed += '\r';
        mixed += c;
    }
    auto mm = parse_message(mixed);
    ASSERT_TRUE(mm) << mm.err().message;
    ASSERT_EQ(mm->leaves.size(), 2u);
    EXPECT_EQ(mm->leaves[1].filename, "google.com!example.com!1.zip");
    EXPECT_EQ(mm->leaves[1].body, std::string("PK\x03\x04", 4));
}

TEST(message, single_part_defaults) {
    auto m = parse_message("Subject: hi\n\nbody line\n");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->top_content_type, "text/plain");  // RFC 2045 §5.2
    ASSERT_EQ(m->leaves.size(), 1u);
    EXPECT_EQ(m->leaves[0].content_type, "text/plain");
    EXPECT_EQ(m->leaves[0].params.at("charset"), "us-ascii");
    EXPECT_EQ(m->leaves[0].body, "body line\n");
    EXPECT_EQ(m->leaves[0].depth, 0);
    EXPECT_EQ(m->leaves[0].header("subject"), "hi");
    // Headers only, no body at all.
    auto h = parse_message("Subject: x");
    ASSERT_TRUE(h);
    ASSERT_EQ(h->leaves.size(), 1u);
    EXPECT_EQ(h->leaves[0].body, "");
    // An invalid Content-Type falls back to the default, with a warning.
    auto bad = parse_message("Content-Type: garbage\n\nx");
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->leaves[0].content_type, "text/plain");
    EXPECT_EQ(bad->warnings.size(), 1u);
}

TEST(message, not_a_message) {
    EXPECT_FALSE(parse_message(""));
    EXPECT_FALSE(parse_message("<?xml version=\"1.0\"?><feedback/>"));
    EXPECT_FALSE(parse_message("\n\nbody only"));
}

TEST(message, mbox_postmark_line_skipped) {
    auto m = parse_message("From someone@example.com Mon Apr 10 10:43:53 2023\nSubject: s\n\nb");
    ASSERT_TRUE(m) << m.err().message;
    EXPECT_EQ(m->subject, "s");
    EXPECT_EQ(m->headers.size(), 1u);
}

TEST(message, looks_like_message) {
    EXPECT_TRUE(looks_like_message("Received: from x\n by y\nSubject: a\n"));
    EXPECT_TRUE(looks_like_message("From x@y Mon Apr 10 10:43:53 2023\n"));
    EXPECT_TRUE(looks_like_message("Return-Path: <a@b>\r\n"));
    EXPECT_TRUE(looks_like_message("Subject: only a first line, cut"));
    EXPECT_FALSE(looks_like_message("<?xml version=\"1.0\"?>\n<feedback>"));
    EXPECT_FALSE(looks_like_message("{\"organization-name\": \"Google\"}"));
    EXPECT_FALSE(looks_like_message("\x1f\x8b\x08\x00"));
    EXPECT_FALSE(looks_like_message(""));
    EXPECT_FALSE(looks_like_message("Subject: a\nthis is not a header\n"));
    EXPECT_FALSE(looks_like_message("key:value\n<xml>\n"));
}

TEST(message, header_unfolding_and_encoded_words) {
    auto m = parse_message(
        "Subject: =?UTF-8?B?w6l0w6k=?= =?utf-8?q?_caf=C3=A9?=\r\n"
        "\tand more\r\n"
        "From: =?ISO-8859-1?Q?Andr=E9?= <a@example.com>\r\n"
        "\r\n");
    ASSERT_TRUE(m);
    // RFC 2047 §6.2: the space between the two encoded words is dropped; the "_" is a space.
    EXPECT_EQ(m->subject, "\xC3\xA9t\xC3\xA9 caf\xC3\xA9\tand more");
    EXPECT_EQ(m->from, "Andr\xC3\xA9 <a@example.com>");
    EXPECT_EQ(m->header("Subject"), "=?UTF-8?B?w6l0w6k=?= =?utf-8?q?_caf=C3=A9?=\tand more");  // raw
}

TEST(message, decode_header_words_edge_cases) {
    EXPECT_EQ(decode_header_words("=?windows-1252?Q?=80_5?="), "\xE2\x82\xAC 5");
    EXPECT_EQ(decode_header_words("=?us-ascii*en?q?hi?="), "hi");          // RFC 2231 §5 language
    EXPECT_EQ(decode_header_words("a =?utf-8?b?w6k=?= b"), "a \xC3\xA9 b");  // spaces around kept
    EXPECT_EQ(decode_header_words("=?utf-8?x?abc?="), "=?utf-8?x?abc?=");   // unknown encoding
    EXPECT_EQ(decode_header_words("=?utf-8?q?no end"), "=?utf-8?q?no end");
    EXPECT_EQ(decode_header_words("=?"), "=?");
    EXPECT_EQ(decode_header_words("=??q?x?="), "=??q?x?=");
    EXPECT_EQ(decode_header_words("=?utf-8?q?has space?="), "=?utf-8?q?has space?=");
    // Any charset iconv knows (RFC 2047 §3): KOI8-R 0xC1 is U+0430, ISO-2022-JP's escapes end in
    // ASCII, Shift_JIS; an unknown charset keeps its bytes with invalid UTF-8 replaced.
    EXPECT_EQ(decode_header_words("=?koi8-r?q?=C1?="), "\xD0\xB0");
    EXPECT_EQ(decode_header_words("=?koi8-r?q?abc?="), "abc");
    EXPECT_EQ(decode_header_words("=?ISO-2022-JP?B?GyRCRnxLXBsoQg==?="), "\xE6\x97\xA5\xE6\x9C\xAC");
    EXPECT_EQ(decode_header_words("=?x-unknown-cs?q?=C1?="), "\xEF\xBF\xBD");
    // Raw 8-bit header text that is not UTF-8 is repaired.
    EXPECT_EQ(decode_header_words("caf\xE9"), "caf\xEF\xBF\xBD");
    // Long runs of broken words stay linear (this would be quadratic otherwise).
    std::string hostile;
    for (int i = 0; i < 100000; ++i) hostile += "=?a?q?";
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(decode_header_words(hostile), hostile);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
}

TEST(message, rfc2231_and_filename_sources) {
    auto m = parse_message(
        "Content-Type: multipart/mixed; boundary=b\n\n"
        "--b\n"
        "Content-Type: application/gzip\n"
        "Content-Disposition: attachment; filename*=UTF-8''%C3%A9t%C3%A9.xml.gz\n\n"
        "x\n"
        "--b\n"
        "Content-Type: application/zip; name*0*=iso-8859-1'fr'caf%E9; name*1=\"-long.zip\"\n\n"
        "y\n"
        "--b\n"
        "Content-Type: application/zip; name=\"=?UTF-8?B?w6kuemlw?=\"\n"
        "Content-Disposition: ATTACHMENT\n\n"
        "z\n"
        "--b\n"
        "Content-Type: text/plain; charset=us-ascii (Plain text)\n"
        "Content-Disposition: inline; filename=unquoted name.txt\n\n"
        "w\n"
        "--b--\n");
    ASSERT_TRUE(m) << m.err().message;
    ASSERT_EQ(m->leaves.size(), 4u);
    EXPECT_EQ(m->leaves[0].filename, "\xC3\xA9t\xC3\xA9.xml.gz");
    EXPECT_EQ(m->leaves[1].filename, "caf\xC3\xA9-long.zip");
    EXPECT_EQ(m->leaves[1].params.at("name"), "caf\xC3\xA9-long.zip");
    EXPECT_EQ(m->leaves[2].filename, "\xC3\xA9.zip");
    EXPECT_EQ(m->leaves[2].disposition, "attachment");
    EXPECT_EQ(m->leaves[3].params.at("charset"), "us-ascii");
    EXPECT_EQ(m->leaves[3].filename, "unquoted name.txt");
    EXPECT_EQ(m->leaves[3].disposition, "inline");
}

TEST(message, content_type_parsing) {
    std::map<std::string, std::string> p;
    EXPECT_EQ(parse_content_type("Multipart/Report; Report-Type=\"feedback-report\"; boundary=\"a\\\"b\"", p),
              "multipart/report");
    EXPECT_EQ(p.at("report-type"), "feedback-report");
    EXPECT_EQ(p.at("boundary"), "a\"b");
    EXPECT_EQ(parse_content_type("text", p), "");
    EXPECT_EQ(parse_content_type("/plain", p), "");
    EXPECT_EQ(parse_content_type("text/", p), "");
    EXPECT_EQ(parse_content_type("a/b/c", p), "");
    EXPECT_EQ(parse_content_type("text/plain (comment); charset=\"x", p), "text/plain");
    EXPECT_EQ(p.at("charset"), "x");  // unterminated quote runs to the end
    EXPECT_EQ(parse_content_type("text/plain;;; ;=;a=1", p), "text/plain");
    EXPECT_EQ(p.at("a"), "1");
}

TEST(message, base64_lenient) {
    std::size_t skipped = 0;
    EXPECT_EQ(decode_base64("aGVs\r\nbG8=", &skipped), "hello");
    EXPECT_EQ(skipped, 0u);
    EXPECT_EQ(decode_base64("aGVsbG8", &skipped), "hello");  // padding omitted
    EXPECT_EQ(decode_base64("aG!!Vs*bG8=", &skipped), "hello");
    EXPECT_EQ(skipped, 3u);
    EXPECT_EQ(decode_base64(""), "");
    EXPECT_EQ(decode_base64("a"), "");  // a lone sextet carries no byte
    auto m = parse_message(
        "Content-Type: application/gzip\nContent-Transfer-Encoding: BASE64\n\nH4s#IAA\n=\n");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->leaves[0].body, std::string("\x1f\x8b\x08\x00", 4));
    ASSERT_EQ(m->warnings.size(), 1u);
    EXPECT_EQ(m->warnings[0], "message: 1 characters outside the base64 alphabet skipped");
}

TEST(message, quoted_printable) {
    EXPECT_EQ(decode_quoted_printable("a=3Db=\r\nc  \r\nd=e9=ZZ=\n"), "a=bc\r\nd\xE9=ZZ");
    EXPECT_EQ(decode_quoted_printable("tail=4"), "tail=4");
    EXPECT_EQ(decode_quoted_printable("x = y\n"), "x = y\n");
    auto m = parse_message("Content-Transfer-Encoding: quoted-printable\n\n<feedback>=\n</feedback>=0A");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->leaves[0].body, "<feedback></feedback>\n");
}

TEST(message, unknown_transfer_encoding_kept_with_warning) {
    auto m = parse_message("Content-Transfer-Encoding: x-uuencode\n\nbegin 644 x\n");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->leaves[0].body, "begin 644 x\n");
    ASSERT_EQ(m->warnings.size(), 1u);
    EXPECT_TRUE(contains(m->warnings[0], "x-uuencode"));
}

TEST(message, nested_multipart_digest_and_rfc822_not_descended) {
    auto m = parse_message(
        "Content-Type: multipart/report; report-type=feedback-report; boundary=outer\n\n"
        "--outer\n"
        "Content-Type: multipart/alternative; boundary=inner\n\n"
        "--inner\n\ntext\n--inner\nContent-Type: text/html\n\n<p>html</p>\n--inner--\n"
        "--outer\n"
        "Content-Type: message/feedback-report\n\n"
        "Feedback-Type: auth-failure\nAuth-Failure: dmarc\n"
        "--outer\n"
        "Content-Type: message/rfc822\n\n"
        "Content-Type: multipart/mixed; boundary=x\n\n--x\n\nnot a leaf\n--x--\n"
        "--outer\n"
        "Content-Type: multipart/digest; boundary=d\n\n"
        "--d\n\nSubject: digest member\n\nhi\n--d--\n"
        "--outer--\n");
    ASSERT_TRUE(m) << m.err().message;
    EXPECT_EQ(m->top_content_type, "multipart/report");
    EXPECT_EQ(m->top_params.at("report-type"), "feedback-report");
    ASSERT_EQ(m->leaves.size(), 5u);
    EXPECT_EQ(m->leaves[0].content_type, "text/plain");
    EXPECT_EQ(m->leaves[0].depth, 2);
    EXPECT_EQ(m->leaves[0].body, "text");
    EXPECT_EQ(m->leaves[1].content_type, "text/html");
    EXPECT_EQ(m->leaves[2].content_type, "message/feedback-report");
    const auto fields = parse_fields(m->leaves[2].body);
    ASSERT_EQ(fields.size(), 2u);
    EXPECT_EQ(fields[0].name, "Feedback-Type");
    EXPECT_EQ(fields[0].value, "auth-failure");
    EXPECT_EQ(fields[1].value, "dmarc");
    EXPECT_EQ(m->leaves[3].content_type, "message/rfc822");
    EXPECT_TRUE(contains(m->leaves[3].body, "not a leaf"));
    EXPECT_EQ(m->leaves[4].content_type, "message/rfc822");  // RFC 2046 §5.1.5 digest default
    EXPECT_EQ(m->leaves[4].body, "Subject: digest member\n\nhi");
    EXPECT_TRUE(m->warnings.empty());
}

TEST(message, boundary_rules) {
    // "--b" followed by other text is not a delimiter; transport padding is allowed; a delimiter
    // may open the body directly (empty preamble).
    auto m = parse_message(
        "Content-Type: multipart/mixed; boundary=b\n\n"
        "--b \t\n\nline\n--bb not me\n--b-x not me either\n--b--  \n");
    ASSERT_TRUE(m) << m.err().message;
    ASSERT_EQ(m->leaves.size(), 1u);
    EXPECT_EQ(m->leaves[0].body, "line\n--bb not me\n--b-x not me either");
    // A multipart without boundary parameter: kept as text, with a warning.
    auto nb = parse_message("Content-Type: multipart/mixed\n\nbody");
    ASSERT_TRUE(nb);
    ASSERT_EQ(nb->leaves.size(), 1u);
    EXPECT_EQ(nb->leaves[0].body, "body");
    EXPECT_EQ(nb->warnings.size(), 1u);
}

TEST(message, boundary_never_appears_is_an_error) {
    auto m = parse_message("Content-Type: multipart/mixed; boundary=zzz\n\n--other\n\nx\n--other--\n");
    ASSERT_FALSE(m);
    EXPECT_EQ(m.err().message, "message: multipart boundary never appears");
}

TEST(message, closing_boundary_missing_is_a_warning) {
    auto m = parse_message("Content-Type: multipart/mixed; boundary=b\n\n--b\n\nfirst\n--b\n\nlast part\n");
    ASSERT_TRUE(m) << m.err().message;
    ASSERT_EQ(m->leaves.size(), 2u);
    EXPECT_EQ(m->leaves[1].body, "last part\n");
    ASSERT_EQ(m->warnings.size(), 1u);
    EXPECT_EQ(m->warnings[0], "message: closing boundary never came; EOF ends the last part");
}

TEST(message, part_count_cap) {
    auto build = [](std::size_t parts) {
        std::string s = "Content-Type: multipart/mixed; boundary=b\n\n";
        for (std::size_t i = 0; i < parts; ++i) s += "--b\n\np" + std::to_string(i) + "\n";
        return s + "--b--\n";
    };
    // The message itself is one entity: 99 parts + 1 = 100 entities is the most allowed.
    auto ok = parse_message(build(limits::max_mime_parts - 1));
    ASSERT_TRUE(ok) << ok.err().message;
    EXPECT_EQ(ok->leaves.size(), limits::max_mime_parts - 1);
    auto over = parse_message(build(limits::max_mime_parts));
    ASSERT_FALSE(over);
    EXPECT_EQ(over.err().message, "more than 100 MIME parts");
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(parse_message(build(100000)));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
}

TEST(message, nesting_cap) {
    auto build = [](int levels) {
        std::string head = "Content-Type: multipart/mixed; boundary=b0\n\n";
        std::string s = head;
        for (int i = 1; i <= levels; ++i) {
            s += "--b" + std::to_string(i - 1) + "\nContent-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\n\n";
        }
        s += "--b" + std::to_string(levels) + "\n\nleaf\n";
        return s;
    };
    auto ok = parse_message(build(limits::max_mime_depth - 1));
    ASSERT_TRUE(ok) << ok.err().message;
    ASSERT_EQ(ok->leaves.size(), 1u);
    EXPECT_EQ(ok->leaves[0].body, "leaf\n");
    EXPECT_EQ(ok->leaves[0].depth, limits::max_mime_depth);
    auto deep = parse_message(build(limits::max_mime_depth));
    ASSERT_FALSE(deep);
    EXPECT_EQ(deep.err().message, "MIME parts nested deeper than 8");
}

TEST(message, header_section_cap_is_fast) {
    std::string s = "Subject: x\nX-Long: " + std::string(50 * limits::MiB, 'A') + "\n\nbody";
    const auto t0 = std::chrono::steady_clock::now();
    auto m = parse_message(s);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(500));
    ASSERT_FALSE(m);
    EXPECT_EQ(m.err().message, "header section larger than 1048576 bytes");
    // No newline at all.
    EXPECT_FALSE(parse_message("X: " + std::string(2 * limits::MiB, 'a')));
    // Many short header lines adding up past the cap.
    std::string many;
    while (many.size() <= limits::max_header_section) many += "X-A: 0123456789012345678901234567890123456789\n";
    EXPECT_FALSE(parse_message(many + "\nbody"));
    // Just under the cap is fine.
    auto ok = parse_message("X: " + std::string(limits::max_header_section - 100, 'a') + "\n\nb");
    ASSERT_TRUE(ok);
}

TEST(message, header_section_without_blank_line) {
    auto m = parse_message("Subject: x\nthis line is not a header\nmore body\n");
    ASSERT_TRUE(m);
    ASSERT_EQ(m->leaves.size(), 1u);
    EXPECT_EQ(m->leaves[0].body, "this line is not a header\nmore body\n");
    EXPECT_EQ(m->warnings.size(), 1u);
    // A part without any header (body starts right away) is not warned about.
    auto p = parse_message("Content-Type: multipart/mixed; boundary=b\n\n--b\nno headers here\n--b--\n");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->leaves[0].body, "no headers here");
    EXPECT_TRUE(p->warnings.empty());
    // ... nor one whose first body line is indented (it is not a header continuation).
    auto q = parse_message("Content-Type: multipart/mixed; boundary=b\n\n--b\n  indented\n--b--\n");
    ASSERT_TRUE(q);
    EXPECT_EQ(q->leaves[0].body, "  indented");
}

TEST(message, charset_to_utf8) {
    EXPECT_EQ(charset_to_utf8("caf\xE9", "ISO-8859-1"), "caf\xC3\xA9");
    EXPECT_EQ(charset_to_utf8("\x80", "windows-1252"), "\xE2\x82\xAC");
    EXPECT_EQ(charset_to_utf8("\x80", "\"cp1252\""), "\xE2\x82\xAC");
    EXPECT_EQ(charset_to_utf8("caf\xC3\xA9", "utf-8"), "caf\xC3\xA9");
    EXPECT_EQ(charset_to_utf8("caf\xE9", "utf-8"), "caf\xEF\xBF\xBD");
    EXPECT_EQ(charset_to_utf8("abc", "x-unknown"), "abc");
}
