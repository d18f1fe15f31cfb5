// Real report e-mails from the shared corpus, and the hostile cases of ../shared/hostile.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "core/limits.hpp"
#include "core/text.hpp"
#include "mime/container.hpp"
#include "mime/message.hpp"
#include "unit/mime/test_util.hpp"

using namespace dmarcsight;
using namespace dmarcsight::mime;
namespace fs = std::filesystem;

namespace {

const std::string corpus = std::string(DMARCSIGHT_CORPUS_DIR) + "/reports/";

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

struct leaf_seen {
    std::string chain;
    std::string bytes;
    std::vector<std::string> warnings;
};

result<std::vector<leaf_seen>> unwrap_all(std::string_view input, std::string label,
                                          std::uint64_t cap = limits::max_decompressed_report) {
    std::vector<leaf_seen> seen;
    auto r = unwrap_capped(std::make_unique<memory_source>(input), std::move(label),
                           [&](unwrapped& u) -> result<void> {
                               // Read to the end, keeping at most 16 MiB (bombs are read to their cap).
                               constexpr std::size_t keep = 16 << 20;
                               std::string bytes;
                               std::string buf(1 << 16, '\0');
                               for (;;) {
                                   auto n = u.stream->read(buf.data(), buf.size());
                                   if (!n) return unexpected{n.err()};
                                   if (*n == 0) break;
                                   if (bytes.size() < keep) bytes.append(buf.data(), *n);
                               }
                               seen.push_back({u.chain, std::move(bytes), u.stream->warnings()});
                               return {};
                           },
                           0, cap);
    if (!r) return unexpected{r.err()};
    return seen;
}

// What a report e-mail of the corpus must give.
struct report_mail {
    const char* path;
    const char* attachment_type;  // content type of the report part
    const char* filename;         // its file name
    container_kind kind;          // what its decoded body sniffs as
    const char* leaf_text;        // text the unwrapped leaf contains
    std::size_t leaves;           // MIME leaves in the message
};

const report_mail report_mails[] = {
    {"parsedmarc/aggregate/Report domain- borschow.com Submitter- google.com Report-ID- 949348866075514174.eml",
     "application/zip", "google.com!borschow.com!1549929600!1550015999.zip", container_kind::zip,
     "<domain>borschow.com</domain>", 2},
    {"parsedmarc/aggregate/twilight.eml", "application/zip", "google.com!twlnet.com!1549756800!1549843199.zip",
     container_kind::zip, "<report_id>1627703331531660819</report_id>", 2},
    {"parsedmarc/aggregate/mimecast-weird-gzip.eml", "application/gzip",
     "mimecast.org!ab.id.au!1693353600!1693439999!157a5fe30ec76f4bc0d8bccfc96c118a167a1280fee7c7465af5115e73082e5e.xml.gz",
     container_kind::gzip, "<feedback", 1},
    {"parsedmarc/smtp_tls/google.com_smtp_tls_report.eml", "application/tlsrpt+gzip",
     "google.com!cardinalhealth.ca!1725321600!1725407999!001.json.gz", container_kind::gzip,
     "\"organization-name\":\"Google Inc.\"", 2},
    {"mjl-+mox/testdata/dmarc-reports/mailru.eml", "application/gzip", "mail.ru!ueber.net!1559779200!1559865600.xml.gz",
     container_kind::gzip, "<feedback>", 2},
    {"mjl-+mox/testdata/dmarc-reports/xs4all.eml", "application/gzip",
     "xs4all.nl!ueber.net!1627257600!1627343999!9725429.xml.gz", container_kind::gzip, "<feedback>", 2},
    {"mjl-+mox/testdata/dmarc-reports/google.eml", "application/zip", "google.com!ueber.net!1633996800!1634083199.zip",
     container_kind::zip, "<feedback>", 1},
    {"mjl-+mox/testdata/dmarc-reports/yahoo.eml", "application/gzip", "yahoo.com!ueber.net!1559520000!1559606399.xml.gz",
     container_kind::gzip, "<feedback>", 2},
    {"mjl-+mox/testdata/dmarc-reports/outlook.eml", "application/gzip",
     "protection.outlook.com!ueber.net!1634256000!1634342400.xml.gz", container_kind::gzip, "<feedback", 3},
    {"mjl-+mox/testdata/tlsreports/microsoft.eml", "application/tlsrpt+gzip",
     "microsoft.com!test.xmox.nl!1673308800!1673395199!133198585438131172.json.gz", container_kind::gzip,
     "\"organization-name\":\"Microsoft Corporation\"", 2},
    {"mjl-+mox/testdata/tlsreports/example.eml", "application/tlsrpt+gzip",
     "google.com!test.xmox.nl!1663200000!1663286399!001.json.gz", container_kind::gzip, "organization-name", 2},
    {"stalwartlabs+mail-auth/resources/tlsrpt/rpt01.eml", "application/tlsrpt+gzip",
     "mail.sender.example!example.com!1013662812!1013749130.json.gz", container_kind::gzip, "Company-X", 2},
    {"stalwartlabs+mail-auth/resources/tlsrpt/rpt02.eml", "application/tlsrpt",
     "mail.sender.example!example.com!1013662812!1013749130.json", container_kind::plain,
     "2020-01-01T00:00:00Z_example.com", 2},
    {"stalwartlabs+mail-auth/resources/dmarc-feedback/100.eml", "application/zip",
     "google.com!stalw.art!1669507200!1669593599.zip", container_kind::zip, "<feedback>", 1},
    {"stalwartlabs+mail-auth/resources/dmarc-feedback/101.eml", "application/gzip",
     "backschues.net!stalw.art!1667948400!1668034800.xml.gz", container_kind::gzip, "<feedback>", 2},
    {"stalwartlabs+mail-auth/resources/dmarc-feedback/102.eml", "application/gzip",
     "mail.ru!stalw.art!1667865600!1667952000.xml.gz", container_kind::gzip, "<feedback>", 2},
    {"stalwartlabs+mail-auth/resources/dmarc-feedback/103.eml", "application/gzip",
     "protection.outlook.com!stalw.art!1666483200!1666569600.xml.gz", container_kind::gzip, "<feedback", 3},
    {"stalwartlabs+mail-auth/resources/dmarc-feedback/104.eml", "application/octet-stream",
     "amazonses.com!stalw.art!1663545600!1663632000.xml.gz", container_kind::gzip, "<feedback>", 2},
    {"opus-codium+email-report-processor/spec/fixtures/sample-reports/dmarc/report.elm", "application/zip",
     "google.com!example.com!1705363200!1705449599.zip", container_kind::zip, "<feedback>", 1},
    {"opus-codium+email-report-processor/spec/fixtures/sample-reports/tlsrpt/report.elm", "application/tlsrpt+gzip",
     "google.com!blogreen.org!1675296000!1675382399!001.json.gz", container_kind::gzip, "organization-name", 2},
};

struct arf_mail {
    const char* path;
    const char* feedback_type;  // Feedback-Type field of the message/feedback-report part
    const char* top_type = "multipart/report";
};

const arf_mail arf_mails[] = {
    {"parsedmarc/failure/DMARC Failure Report for domain.de (mail-from=sharepoint@domain.de, ip=10.10.10.10).eml",
     "auth-failure"},
    // NetEase: the feedback-report part is base64-encoded, and the message is multipart/mixed.
    {"parsedmarc/failure/[Netease DMARC Failure Report] Rent Reminder.eml", "auth-failure", "multipart/mixed"},
    {"parsedmarc/failure/dmarc_ruf_report_linkedin.eml", "auth-failure"},                      // starts with "From "
    {"parsedmarc/failure/dmarc_ruf_report_linkedin.crlf.eml", "auth-failure"},
    {"stalwartlabs+mail-auth/resources/arf/001.eml", "abuse"},
    {"stalwartlabs+mail-auth/resources/arf/002.eml", "abuse"},
    {"stalwartlabs+mail-auth/resources/arf/003.eml", "auth-failure"},
    {"stalwartlabs+mail-auth/resources/arf/004.eml", "auth-failure"},
    {"stalwartlabs+mail-auth/resources/arf/005.eml", "auth-failure"},
    {"rjbs+Email-ARF/t/messages/example0.msg", "abuse"},
    {"rjbs+Email-ARF/t/messages/example1.msg", "opt-out"},
    {"rjbs+Email-ARF/t/messages/example2.msg", "abuse"},
};

}  // namespace

TEST(corpus, report_mails_attachment_and_leaf) {
    if (!fs::exists(corpus)) GTEST_SKIP() << "corpus absent: " << corpus;
    for (const auto& c : report_mails) {
        SCOPED_TRACE(c.path);
        const std::string raw = mime_test::read_file(corpus + c.path);
        ASSERT_FALSE(raw.empty());
        EXPECT_TRUE(looks_like_message(raw.substr(0, 4096)));
        auto m = parse_message(raw);
        ASSERT_TRUE(m) << m.err().message;
        EXPECT_EQ(m->leaves.size(), c.leaves);
        const mime_part* report = nullptr;
        for (const auto& p : m->leaves) {
            if (p.filename == c.filename) report = &p;
        }
        ASSERT_NE(report, nullptr) << "no part named " << c.filename;
        EXPECT_EQ(report->content_type, c.attachment_type);
        EXPECT_EQ(sniff_container(report->body), c.kind);
        auto leaves = unwrap_all(report->body, report->filename);
        ASSERT_TRUE(leaves) << leaves.err().message;
        ASSERT_EQ(leaves->size(), 1u);
        EXPECT_TRUE(contains((*leaves)[0].bytes, c.leaf_text)) << (*leaves)[0].bytes.substr(0, 200);
    }
}

TEST(corpus, mimecast_gzip_trailing_bytes_warn) {
    const std::string path = corpus + "parsedmarc/aggregate/mimecast-weird-gzip.eml";
    if (!fs::exists(path)) GTEST_SKIP() << "corpus absent: " << path;
    auto m = parse_message(mime_test::read_file(path));
    ASSERT_TRUE(m);
    // Not multipart: the whole body is the base64 gzip.
    EXPECT_EQ(m->top_content_type, "application/gzip");
    EXPECT_EQ(m->subject,
              "Report domain: ab.id.au Submitter: mimecast.org Report-ID: "
              "157a5fe30ec76f4bc0d8bccfc96c118a167a1280fee7c7465af5115e73082e5e");
    auto leaves = unwrap_all(m->leaves.at(0).body, "");
    ASSERT_TRUE(leaves) << leaves.err().message;
    EXPECT_EQ((*leaves)[0].chain, "gzip");
    ASSERT_EQ((*leaves)[0].warnings.size(), 1u);
    EXPECT_EQ((*leaves)[0].warnings[0], "2 trailing bytes after the end of the gzip data ignored");
    EXPECT_TRUE(contains((*leaves)[0].bytes, "standalone=\"yes\""));
}

TEST(corpus, arf_mails_have_a_feedback_report_part) {
    if (!fs::exists(corpus)) GTEST_SKIP() << "corpus absent: " << corpus;
    for (const auto& c : arf_mails) {
        SCOPED_TRACE(c.path);
        auto m = parse_message(mime_test::read_file(corpus + c.path));
        ASSERT_TRUE(m) << m.err().message;
        EXPECT_EQ(m->top_content_type, c.top_type);
        const mime_part* fr = nullptr;
        std::size_t originals = 0;
        for (const auto& p : m->leaves) {
            if (p.content_type == "message/feedback-report") fr = &p;
            if (p.content_type == "message/rfc822" || p.content_type == "text/rfc822-headers" ||
                p.content_type == "message/rfc822-headers") {
                ++originals;
            }
        }
        ASSERT_NE(fr, nullptr);
        EXPECT_EQ(originals, 1u);
        std::string type;
        for (const auto& f : parse_fields(fr->body)) {
            if (text::iequals(f.name, "Feedback-Type")) type = f.value;
        }
        EXPECT_EQ(type, c.feedback_type);
    }
}

TEST(corpus, non_arf_failure_mail_and_mbox_prefixed_mail) {
    const std::string exim = corpus + "parsedmarc/failure/exim_plain_text_only_no_arf_part.eml";
    if (!fs::exists(exim)) GTEST_SKIP() << "corpus absent: " << exim;
    auto m = parse_message(mime_test::read_file(exim));
    ASSERT_TRUE(m);
    EXPECT_EQ(m->top_content_type, "multipart/report");
    ASSERT_EQ(m->leaves.size(), 1u);
    EXPECT_EQ(m->leaves[0].content_type, "text/plain");
    EXPECT_TRUE(contains(m->leaves[0].body, "203.0.113.68"));

    // The LF and CRLF copies of the LinkedIn report give the same structure and fields.
    auto lf = parse_message(mime_test::read_file(corpus + "parsedmarc/failure/dmarc_ruf_report_linkedin.eml"));
    auto crlf = parse_message(mime_test::read_file(corpus + "parsedmarc/failure/dmarc_ruf_report_linkedin.crlf.eml"));
    ASSERT_TRUE(lf);
    ASSERT_TRUE(crlf);
    EXPECT_EQ(lf->subject, crlf->subject);
    EXPECT_EQ(lf->from, "dmarc-noreply@linkedin.com");
    ASSERT_EQ(lf->leaves.size(), crlf->leaves.size());
    const auto a = parse_fields(lf->leaves[1].body), b = parse_fields(crlf->leaves[1].body);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].name, b[i].name);
        EXPECT_EQ(a[i].value, b[i].value);
    }
}

TEST(corpus, plain_containers_on_disk) {
    if (!fs::exists(corpus)) GTEST_SKIP() << "corpus absent: " << corpus;
    struct item {
        const char* path;
        const char* chain;
        const char* same_as;  // the file the leaf must equal byte for byte (MANIFEST says so)
    };
    const item items[] = {
        {"parsedmarc/extract_report/nice-input.xml.gz", "gzip", "parsedmarc/extract_report/nice-input.xml"},
        {"parsedmarc/extract_report/nice-input.xml.zip", "zip:nice-input.xml", "parsedmarc/extract_report/nice-input.xml"},
        {"opus-codium+email-report-processor/spec/fixtures/sample-reports/dmarc/"
         "enterprise.protection.outlook.com!example.com!1704326400!1704412800.xml.gz",
         "gzip",
         "opus-codium+email-report-processor/spec/fixtures/sample-reports/dmarc/"
         "enterprise.protection.outlook.com!example.com!1704326400!1704412800.xml"},
        {"opus-codium+email-report-processor/spec/fixtures/sample-reports/dmarc/google.com!example.com!1705363200!1705449599.zip",
         "zip:google.com!example.com!1705363200!1705449599.xml",
         "opus-codium+email-report-processor/spec/fixtures/sample-reports/dmarc/google.com!example.com!1705363200!1705449599.xml"},
    };
    for (const auto& it : items) {
        SCOPED_TRACE(it.path);
        const std::string raw = mime_test::read_file(corpus + it.path);
        ASSERT_FALSE(raw.empty());
        auto leaves = unwrap_all(raw, "");
        ASSERT_TRUE(leaves) << leaves.err().message;
        ASSERT_EQ(leaves->size(), 1u);
        EXPECT_EQ((*leaves)[0].chain, it.chain);
        EXPECT_EQ((*leaves)[0].bytes, mime_test::read_file(corpus + it.same_as));
    }
}

TEST(corpus, every_container_file_in_the_corpus_unwraps) {
    // MANIFEST kinds: every .gz/.zip/.zlib file (except the hostile generator's) decodes without error.
    if (!fs::exists(corpus)) GTEST_SKIP() << "corpus absent: " << corpus;
    std::size_t seen = 0;
    for (const auto& e : fs::recursive_directory_iterator(corpus)) {
        if (!e.is_regular_file()) continue;
        const std::string name = e.path().filename().string();
        const bool container = name.ends_with(".gz") || name.ends_with(".zip") || name.ends_with(".zlib");
        if (!container) continue;
        SCOPED_TRACE(e.path().string());
        const std::string raw = mime_test::read_file(e.path().string());
        EXPECT_NE(sniff_container(raw), container_kind::plain);
        auto leaves = unwrap_all(raw, name);
        ASSERT_TRUE(leaves) << leaves.err().message;
        ASSERT_GE(leaves->size(), 1u);
        for (const auto& l : *leaves) EXPECT_FALSE(l.bytes.empty());
        ++seen;
    }
    EXPECT_GE(seen, 8u);
}

// ---- hostile cases (../shared/hostile/gen_hostile.py; EXPECT.tsv says what must happen) ----

class hostile : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        const std::string gen = std::string(DMARCSIGHT_SHARED_DIR) + "/hostile/gen_hostile.py";
        if (!fs::exists(gen)) return;
        dir_ = fs::temp_directory_path() / "dmarcsight-mime-hostile";
        if (fs::exists(dir_ / "EXPECT.tsv") && fs::exists(dir_ / "zip_nested_50_levels.zip")) {
            ready_ = true;
            return;
        }
        // Generated once per machine into a private folder, then renamed into place, so tests
        // running in parallel (ctest -j) never read a half-written case.
        const fs::path tmp = dir_.string() + ".tmp." + std::to_string(::getpid());
        const std::string cmd = "python3 '" + gen + "' '" + tmp.string() + "' > /dev/null 2>&1";
        if (std::system(cmd.c_str()) != 0) return;
        std::error_code ec;
        fs::rename(tmp, dir_, ec);
        if (ec) fs::remove_all(tmp, ec);  // another process won the race: its copy is complete
        ready_ = fs::exists(dir_ / "EXPECT.tsv");
    }
    void SetUp() override {
        if (!ready_) GTEST_SKIP() << "hostile generator absent: " << DMARCSIGHT_SHARED_DIR << "/hostile";
    }
    static std::string file(const std::string& name) { return mime_test::read_file((dir_ / name).string()); }
    static inline fs::path dir_;
    static inline bool ready_ = false;
};

TEST_F(hostile, gzip_bombs_stop_at_the_cap) {
    // The real cap on one bomb; a smaller cap on the others (same code path, less CPU).
    auto big = unwrap_all(file("gzip_bomb_2.25GiB_whitespace.xml.gz"), "");
    ASSERT_FALSE(big);
    EXPECT_EQ(big.err().message, "decompressed size exceeds 805306368 bytes");
    for (const char* name : {"gzip_bomb_2GiB_repeated_records.xml.gz", "zlib_bomb_2.25GiB_whitespace.xml.zlib"}) {
        auto r = unwrap_all(file(name), "", 64 * limits::MiB);
        ASSERT_FALSE(r) << name;
        EXPECT_EQ(r.err().message, "decompressed size exceeds 67108864 bytes");
    }
}

TEST_F(hostile, zip_bombs_and_member_counts) {
    auto single = unwrap_all(file("zip_bomb_single_member_2.5GiB.zip"), "");
    ASSERT_FALSE(single);
    EXPECT_TRUE(contains(single.err().message, "declares 2684355782 bytes")) << single.err().message;
    auto nested = unwrap_all(file("zip_nested_zip_in_zip_bomb.zip"), "");
    ASSERT_FALSE(nested);
    EXPECT_TRUE(contains(nested.err().message, "declares 2684355779 bytes")) << nested.err().message;
    auto many = unwrap_all(file("zip_10000_members.zip"), "");
    ASSERT_FALSE(many);
    EXPECT_EQ(many.err().message, "zip: archive has 10000 members (more than 16 are refused)");
    auto deep = unwrap_all(file("zip_nested_50_levels.zip"), "");
    ASSERT_FALSE(deep);
    EXPECT_TRUE(contains(deep.err().message, "containers nested deeper than 4")) << deep.err().message;
}

TEST_F(hostile, zip_member_path_traversal_is_parsed_in_memory) {
    auto r = unwrap_all(file("zip_member_path_traversal.zip"), "");
    ASSERT_TRUE(r) << r.err().message;
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0].chain, "zip:../../etc/passwd.xml");
    EXPECT_TRUE(contains((*r)[0].bytes, "hostile-zip_member_path_traversal"));
}

TEST_F(hostile, gzip_damage_and_trailers) {
    auto trunc = unwrap_all(file("gzip_truncated.xml.gz"), "");
    ASSERT_FALSE(trunc);
    EXPECT_TRUE(contains(trunc.err().message, "truncated gzip"));
    auto rnd = unwrap_all(file("gzip_header_then_random.xml.gz"), "");
    ASSERT_FALSE(rnd);
    EXPECT_TRUE(contains(rnd.err().message, "corrupt compressed data"));
    auto crlf = unwrap_all(file("gzip_trailing_crlf_mimecast.xml.gz"), "");
    ASSERT_TRUE(crlf) << crlf.err().message;
    EXPECT_TRUE(contains((*crlf)[0].bytes, "hostile-gzip_trailing_crlf_mimecast"));
    EXPECT_EQ((*crlf)[0].warnings.size(), 1u);
    auto garbage = unwrap_all(file("gzip_trailing_garbage.xml.gz"), "");
    ASSERT_TRUE(garbage) << garbage.err().message;
    EXPECT_TRUE(contains((*garbage)[0].warnings.at(0), "64 trailing bytes"));
    auto empty = unwrap_all(file("gzip_empty_payload.xml.gz"), "");
    ASSERT_TRUE(empty);  // the caller rejects an empty leaf
    EXPECT_TRUE((*empty)[0].bytes.empty());
}

TEST_F(hostile, email_cases) {
    auto many = parse_message(file("email_10000_mime_parts.eml"));
    ASSERT_FALSE(many);
    EXPECT_EQ(many.err().message, "more than 100 MIME parts");

    auto never = parse_message(file("email_boundary_never_appears.eml"));
    ASSERT_FALSE(never);
    EXPECT_TRUE(contains(never.err().message, "multipart boundary never appears"));

    auto unclosed = parse_message(file("email_boundary_never_closes.eml"));
    ASSERT_TRUE(unclosed) << unclosed.err().message;
    ASSERT_EQ(unclosed->warnings.size(), 1u);
    EXPECT_TRUE(contains(unclosed->warnings[0], "closing boundary never came"));
    const mime_part& gz = unclosed->leaves.back();
    EXPECT_EQ(gz.filename, "hostile-email_boundary_never_closes.xml.gz");
    auto leaf = unwrap_all(gz.body, gz.filename);
    ASSERT_TRUE(leaf) << leaf.err().message;
    EXPECT_TRUE(contains((*leaf)[0].bytes, "<count>3</count>"));

    auto corrupt = parse_message(file("email_corrupt_base64_attachment.eml"));
    ASSERT_TRUE(corrupt);  // lenient base64 ...
    EXPECT_FALSE(corrupt->warnings.empty());
    auto inflated = unwrap_all(corrupt->leaves.back().body, "");
    EXPECT_FALSE(inflated);  // ... but inflating the damaged gzip fails

    const std::string huge = file("email_header_line_50MB.eml");
    const auto t0 = std::chrono::steady_clock::now();
    auto header = parse_message(huge);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(500));
    ASSERT_FALSE(header);
    EXPECT_EQ(header.err().message, "header section larger than 1048576 bytes");
}

TEST_F(hostile, plain_inputs_are_leaves) {
    for (const char* name : {"empty_file.xml", "random_bytes_64KiB.bin", "xml_billion_laughs.xml"}) {
        auto r = unwrap_all(file(name), name);
        ASSERT_TRUE(r) << name;
        ASSERT_EQ(r->size(), 1u);
        EXPECT_EQ((*r)[0].bytes, file(name));
        EXPECT_FALSE(looks_like_message(file(name).substr(0, 1024))) << name;
    }
}
