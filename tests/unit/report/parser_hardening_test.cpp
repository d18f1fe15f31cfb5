// Hardening of the aggregate parser, each defect fixed as a class:
//  - text fields are capped while they are read (free text cut, names too long drop the record,
//    identity fields too long reject the report, one record's text and the records held before
//    the header are bounded, the reader never holds a huge text node);
//  - CDATA follows the same character rules as other text;
//  - every cut falls on a UTF-8 character boundary (utf8_prefix);
//  - the result never depends on where the source's reads end (window look-ahead).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "core/limits.hpp"
#include "core/text.hpp"
#include "core/utf8.hpp"
#include "report/aggregate_parser.hpp"

using namespace dmarcsight;
using namespace dmarcsight::report;

namespace {

struct collecting_sink final : aggregate_sink {
    report_header header;
    std::vector<record> records;
    result<void> on_header(const report_header& h) override {
        header = h;
        return {};
    }
    result<void> on_record(const record& r) override {
        records.push_back(r);
        return {};
    }
};

struct parsed {
    bool ok = false;
    std::string error;
    collecting_sink sink;
    parse_summary summary;
};

parsed parse_from(byte_source& src) {
    parsed p;
    auto r = parse_aggregate(src, p.sink);
    p.ok = r.ok();
    if (r) p.summary = *r;
    else p.error = r.err().message;
    return p;
}

parsed parse(const std::string& doc) {
    memory_source src(doc);
    return parse_from(src);
}

bool has_warning(const parsed& p, const std::string& needle) {
    for (const auto& w : p.summary.warnings)
        if (w.find(needle) != std::string::npos) return true;
    return false;
}

const std::string header_xml =
    "<?xml version=\"1.0\"?><feedback><version>1.0</version><report_metadata><org_name>Reporter</org_name>"
    "<email>dmarc@reporter.example</email><report_id>r-1</report_id><date_range><begin>1700006400</begin>"
    "<end>1700092799</end></date_range></report_metadata><policy_published><domain>example.com</domain>"
    "<p>reject</p></policy_published>";

// A record with the given identifiers and auth results (raw XML).
std::string record_xml(const std::string& identifiers = "<header_from>example.com</header_from>",
                       const std::string& auth = "<spf><domain>example.com</domain><result>pass</result></spf>",
                       const std::string& policy = "<disposition>none</disposition><dkim>pass</dkim><spf>pass</spf>") {
    return "<record><row><source_ip>192.0.2.1</source_ip><count>2</count><policy_evaluated>" + policy +
           "</policy_evaluated></row><identifiers>" + identifiers + "</identifiers><auth_results>" + auth +
           "</auth_results></record>";
}

std::string report_doc(const std::string& records) { return header_xml + records + "</feedback>"; }

std::string dkim_xml(const std::string& domain, const std::string& selector, const std::string& human = "") {
    std::string s = "<dkim><domain>" + domain + "</domain><selector>" + selector + "</selector><result>pass</result>";
    if (!human.empty()) s += "<human_result>" + human + "</human_result>";
    return s + "</dkim>";
}

// Streams pieces (text x repeat) without ever holding the whole document; records the largest
// read the parser asks for, which is how big its window has grown.
struct generated_source final : byte_source {
    struct piece {
        std::string text;
        std::size_t repeat = 1;
    };
    std::vector<piece> pieces;
    std::size_t index = 0, done = 0, offset = 0;
    std::size_t largest_request = 0;
    result<std::size_t> read(char* buf, std::size_t n) override {
        largest_request = std::max(largest_request, n);
        std::size_t k = 0;
        while (k < n && index < pieces.size()) {
            const piece& p = pieces[index];
            const std::size_t take = std::min(n - k, p.text.size() - offset);
            std::memcpy(buf + k, p.text.data() + offset, take);
            k += take;
            offset += take;
            if (offset == p.text.size()) {
                offset = 0;
                if (++done == p.repeat) {
                    done = 0;
                    ++index;
                }
            }
        }
        return k;
    }
};

// Returns reads of exactly `chunk` bytes (the last one shorter).
struct chunked_source final : byte_source {
    std::string_view data;
    std::size_t chunk, pos = 0;
    chunked_source(std::string_view d, std::size_t c) : data(d), chunk(c) {}
    result<std::size_t> read(char* buf, std::size_t n) override {
        const std::size_t k = std::min({n, chunk, data.size() - pos});
        std::memcpy(buf, data.data() + pos, k);
        pos += k;
        return k;
    }
};

// Returns the first `split` bytes, then the rest: a window edge at every position in turn.
struct split_source final : byte_source {
    std::string_view data;
    std::size_t split, pos = 0;
    split_source(std::string_view d, std::size_t s) : data(d), split(s) {}
    result<std::size_t> read(char* buf, std::size_t n) override {
        const std::size_t limit = pos < split ? split : data.size();
        const std::size_t k = std::min(n, limit - pos);
        std::memcpy(buf, data.data() + pos, k);
        pos += k;
        return k;
    }
};

// Everything a parse produced, as one comparable string.
std::string describe(const parsed& p) {
    std::string s = p.ok ? "ok\n" : "error: " + p.error + "\n";
    if (!p.ok) return s;
    const auto& m = p.sink.header.metadata;
    const auto& pol = p.sink.header.policy;
    s += m.org_name + "|" + m.email + "|" + m.report_id + "|" + m.extra_contact_info + "|" + m.generator + "|" +
         std::to_string(m.begin) + "|" + std::to_string(m.end) + "\n";
    for (const auto& e : m.errors) s += "error=" + e + "\n";
    s += pol.domain + "|" + pol.p + "|" + pol.sp + "|" + pol.adkim + "|" + pol.aspf + "|" + pol.fo + "|" +
         std::to_string(pol.pct.value_or(-1)) + "|" + p.sink.header.xml_schema + "|" + p.sink.header.xml_namespace + "\n";
    for (const auto& r : p.sink.records) {
        s += r.source_ip.to_string() + "|" + std::to_string(r.count) + "|" + r.disposition + "|" + r.dkim + "|" + r.spf +
             "|" + r.header_from + "|" + r.envelope_from + "|" + r.envelope_to + "\n";
        for (const auto& x : r.reasons) s += " reason " + x.type + "|" + x.comment + "\n";
        for (const auto& x : r.dkim_results) s += " dkim " + x.domain + "|" + x.selector + "|" + x.result + "|" + x.human_result + "\n";
        for (const auto& x : r.spf_results) s += " spf " + x.domain + "|" + x.scope + "|" + x.result + "|" + x.human_result + "\n";
    }
    s += "dropped=" + std::to_string(p.summary.dropped_records) + "\n";
    for (const auto& w : p.summary.warnings) s += "warning=" + w + "\n";
    return s;
}

// No byte the parser stores may be a C0 control other than TAB/LF/CR, and every stored string is
// valid UTF-8. (DEL and C1 controls are XML characters: stored as sent, escaped on output.)
bool clean_text(std::string_view s) {
    if (!text::is_valid_utf8(s)) return false;
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 && u != '\t' && u != '\n' && u != '\r') return false;
    }
    return true;
}

}  // namespace

// ---- (10) text fields are capped while parsing ----------------------------------------------

// The reported attack: one record, 100 DKIM results, each <human_result> 1 MiB. Streamed, so the
// test itself holds no 100 MiB document; run on a fresh thread so the reader's window is new and
// its size shows what this document needed.
TEST(parser_caps, hundred_mebibyte_human_results_are_never_held_and_the_record_is_dropped) {
    generated_source src;
    src.pieces.push_back({header_xml + "<record><row><source_ip>192.0.2.1</source_ip><count>5</count></row>"
                                       "<identifiers><header_from>example.com</header_from></identifiers><auth_results>"});
    for (int i = 0; i < 100; ++i) {
        src.pieces.push_back({"<dkim><domain>example.com</domain><selector>s</selector><result>pass</result><human_result>"});
        src.pieces.push_back({std::string(64 * 1024, 'A'), 16});  // 1 MiB
        src.pieces.push_back({"</human_result></dkim>"});
    }
    src.pieces.push_back({"<spf><domain>example.com</domain><result>pass</result></spf></auth_results></record>" +
                          record_xml() + "</feedback>"});
    parsed p;
    std::thread([&] { p = parse_from(src); }).join();
    ASSERT_TRUE(p.ok) << p.error;
    // 100 x 512 bytes of human_result is far more than one record may store.
    EXPECT_EQ(p.summary.dropped_records, 1u);
    EXPECT_TRUE(has_warning(p, "record 1 dropped: its text fields hold")) << describe(p);
    EXPECT_TRUE(has_warning(p, "a <human_result> longer than 512 bytes was truncated"));
    ASSERT_EQ(p.sink.records.size(), 1u);  // the second, normal record
    EXPECT_EQ(p.sink.records[0].count, 2);
    // The window stayed near its 128 KiB chunk size instead of growing to hold a 1 MiB node.
    EXPECT_LT(src.largest_request, 512 * limits::KiB);
}

// Same class, other shapes of a huge text node: literal '<' all through it, one huge CDATA
// section, a huge comment inside the field. None may make the window grow to hold the node.
TEST(parser_caps, huge_text_nodes_of_any_shape_are_streamed) {
    const std::vector<std::pair<std::string, std::string>> shapes = {
        {"a < b ", "a < b "},   // literal '<' (warned) every few bytes
        {"&amp;&lt;", "&<"},    // entities across every window edge
    };
    for (const auto& [unit, decoded] : shapes) {
        std::string want;
        while (want.size() < 512) want += decoded;
        want.resize(512);
        while (want.back() == ' ') want.pop_back();
        generated_source src;
        src.pieces.push_back({header_xml + "<record><row><source_ip>192.0.2.1</source_ip><count>5</count></row>"
                                           "<identifiers><header_from>example.com</header_from></identifiers><auth_results>"
                                           "<dkim><domain>d.example</domain><selector>s</selector><result>pass</result>"
                                           "<human_result>"});
        src.pieces.push_back({unit, 3 * limits::MiB / unit.size()});
        src.pieces.push_back({"</human_result></dkim><spf><domain>s.example</domain><result>pass</result><human_result>"
                              "<![CDATA["});
        src.pieces.push_back({"]] <x> \r\n", 300'000});
        src.pieces.push_back({"]]><!--"});
        src.pieces.push_back({"- </human_result> -", 200'000});
        src.pieces.push_back({"--></human_result></spf></auth_results></record></feedback>"});
        parsed p;
        std::thread([&] { p = parse_from(src); }).join();
        ASSERT_TRUE(p.ok) << p.error;
        ASSERT_EQ(p.sink.records.size(), 1u) << describe(p);
        const record& r = p.sink.records[0];
        EXPECT_EQ(r.dkim_results.at(0).human_result, want) << unit;
        EXPECT_EQ(r.spf_results.at(0).human_result.rfind("]] <x> \n]] <x>", 0), 0u);
        EXPECT_LT(src.largest_request, 512 * limits::KiB) << unit;
    }
}

// Same class, a few huge fields in a record that stays small enough: kept, each field cut to 512.
TEST(parser_caps, huge_free_text_fields_are_cut_to_512_bytes) {
    const std::string big(3 * limits::MiB, 'h');
    const std::string auth = dkim_xml("example.com", "s1", big) + dkim_xml("example.com", "s2", "short one") +
                             "<spf><domain>example.com</domain><result>pass</result><human_result>" + big +
                             "</human_result></spf>";
    const std::string policy = "<disposition>none</disposition><dkim>pass</dkim><spf>pass</spf><reason><type>local_policy"
                               "</type><comment>" + big + "</comment></reason>";
    const std::string metadata_extra = "<extra_contact_info>" + big + "</extra_contact_info><error>" + big +
                                       "</error><generator>" + big + "</generator>";
    std::string d = report_doc(record_xml("<header_from>example.com</header_from>", auth, policy));
    d.insert(d.find("</report_metadata>"), metadata_extra);
    auto p = parse(d);
    ASSERT_TRUE(p.ok) << p.error;
    ASSERT_EQ(p.sink.records.size(), 1u);
    const record& r = p.sink.records[0];
    ASSERT_EQ(r.dkim_results.size(), 2u);
    EXPECT_EQ(r.dkim_results[0].human_result, std::string(512, 'h'));
    EXPECT_EQ(r.dkim_results[1].human_result, "short one");
    ASSERT_EQ(r.spf_results.size(), 1u);
    EXPECT_EQ(r.spf_results[0].human_result, std::string(512, 'h'));
    ASSERT_EQ(r.reasons.size(), 1u);
    EXPECT_EQ(r.reasons[0].type, "local_policy");
    EXPECT_EQ(r.reasons[0].comment, std::string(512, 'h'));
    const auto& m = p.sink.header.metadata;
    EXPECT_EQ(m.extra_contact_info.size(), 512u);
    EXPECT_EQ(m.generator.size(), 512u);
    ASSERT_EQ(m.errors.size(), 1u);
    EXPECT_EQ(m.errors[0].size(), 512u);
    for (const char* field : {"human_result", "comment", "extra_contact_info", "error", "generator"})
        EXPECT_TRUE(has_warning(p, std::string("a <") + field + "> longer than 512 bytes was truncated")) << field;
}

TEST(parser_caps, white_space_around_a_capped_field_does_not_count) {
    const std::string pad(2000, ' ');
    const std::string name = std::string(240, 'a') + ".example";  // 248 characters
    auto p = parse(report_doc(record_xml("<header_from>\n" + pad + name + pad + "\n</header_from>")));
    ASSERT_TRUE(p.ok) << p.error;
    ASSERT_EQ(p.sink.records.size(), 1u);
    EXPECT_EQ(p.sink.records[0].header_from, name);
}

TEST(parser_caps, record_names_longer_than_the_protocol_allows_drop_the_record) {
    const std::string d253 = std::string(245, 'a') + ".example";  // 253 characters
    ASSERT_EQ(d253.size(), 253u);
    const std::string d254 = "b" + d253;
    const std::string addr254 = std::string(242, 'u') + "@example.com";
    ASSERT_EQ(addr254.size(), 254u);
    const std::string spf_ok = "<spf><domain>example.com</domain><result>pass</result></spf>";
    const std::string records =
        record_xml("<header_from>" + d253 + "</header_from>") +                 // 1 kept
        record_xml("<header_from>" + d253 + ".</header_from>") +                // 2 kept: trailing root dot
        record_xml("<header_from>" + d254 + "</header_from>") +                 // 3 dropped
        record_xml("<header_from>x.example</header_from><envelope_from>" + addr254 + "</envelope_from>") +  // 4 kept
        record_xml("<header_from>x.example</header_from><envelope_from>u" + addr254 + "</envelope_from>") +  // 5
        record_xml("<header_from>x.example</header_from><envelope_to>" + std::string(100000, 'e') + "</envelope_to>") +
        record_xml("<header_from>x.example</header_from>", dkim_xml("example.com", std::string(254, 's')) + spf_ok) +
        record_xml("<header_from>x.example</header_from>", dkim_xml(std::string(2 * limits::MiB, 'd'), "s") + spf_ok) +
        record_xml("<header_from>x.example</header_from>",
                   "<spf><domain>" + std::string(300, 'f') + "</domain><result>pass</result></spf>") +
        record_xml("<header_from>x.example</header_from>", dkim_xml("example.com", std::string(253, 's')) + spf_ok) +
        // a selector is not a full name: no trailing root dot on top of its 253
        record_xml("<header_from>x.example</header_from>", dkim_xml("example.com", std::string(253, 's') + ".") + spf_ok);
    auto p = parse(report_doc(records));
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.summary.dropped_records, 7u) << describe(p);
    ASSERT_EQ(p.sink.records.size(), 4u);
    EXPECT_EQ(p.sink.records[0].header_from, d253);
    EXPECT_EQ(p.sink.records[1].header_from, d253 + ".");
    EXPECT_EQ(p.sink.records[2].envelope_from, addr254);
    EXPECT_EQ(p.sink.records[3].dkim_results.at(0).selector, std::string(253, 's'));
    EXPECT_TRUE(has_warning(p, "record 3 dropped: header_from is longer than 253 bytes"));
    EXPECT_TRUE(has_warning(p, "record 5 dropped: envelope_from is longer than 254 bytes"));
    EXPECT_TRUE(has_warning(p, "record 6 dropped: envelope_to is longer than 254 bytes"));
    EXPECT_TRUE(has_warning(p, "record 7 dropped: DKIM selector is longer than 253 bytes"));
    EXPECT_TRUE(has_warning(p, "record 8 dropped: DKIM domain is longer than 253 bytes"));
    EXPECT_TRUE(has_warning(p, "record 9 dropped: SPF domain is longer than 253 bytes"));
    EXPECT_TRUE(has_warning(p, "record 11 dropped: DKIM selector is longer than 253 bytes"));
}

TEST(parser_caps, report_identity_fields_too_long_reject_the_report) {
    const auto with = [](const std::string& from, const std::string& to) {
        std::string d = report_doc(record_xml());
        d.replace(d.find(from), from.size(), to);
        return d;
    };
    // Policy domain: 253 (+ root dot) is fine, 254 rejects.
    const std::string d253 = std::string(245, 'a') + ".example";
    auto ok = parse(with("<domain>example.com</domain>", "<domain>" + d253 + ".</domain>"));
    ASSERT_TRUE(ok.ok) << ok.error;
    EXPECT_EQ(ok.sink.header.policy.domain, d253);
    auto bad = parse(with("<domain>example.com</domain>", "<domain>x" + d253 + "</domain>"));
    EXPECT_FALSE(bad.ok);
    EXPECT_NE(bad.error.find("policy_published domain is longer than 253"), std::string::npos) << bad.error;
    EXPECT_FALSE(parse(with("<domain>example.com</domain>", "<domain>" + std::string(5 * limits::MiB, 'x') + "</domain>")).ok);
    // report_id / org_name: up to 1024 bytes stored whole, never truncated; longer rejects.
    const std::string id1024(1024, '7');
    auto id_ok = parse(with("<report_id>r-1</report_id>", "<report_id>" + id1024 + "</report_id>"));
    ASSERT_TRUE(id_ok.ok) << id_ok.error;
    EXPECT_EQ(id_ok.sink.header.metadata.report_id, id1024);
    auto id_bad = parse(with("<report_id>r-1</report_id>", "<report_id>" + id1024 + "8</report_id>"));
    EXPECT_FALSE(id_bad.ok);
    EXPECT_NE(id_bad.error.find("report_id is longer than 1024 bytes"), std::string::npos) << id_bad.error;
    auto org_bad = parse(with("<org_name>Reporter</org_name>", "<org_name>" + std::string(3 * limits::MiB, 'O') + "</org_name>"));
    EXPECT_FALSE(org_bad.ok);
    EXPECT_NE(org_bad.error.find("org_name is longer than 1024 bytes"), std::string::npos) << org_bad.error;
    auto mail_bad = parse(with("<email>dmarc@reporter.example</email>", "<email>" + std::string(250, 'm') + "@x.example</email>"));
    EXPECT_FALSE(mail_bad.ok);
    EXPECT_NE(mail_bad.error.find("email is longer than 254 bytes"), std::string::npos) << mail_bad.error;
}

TEST(parser_caps, one_record_stores_at_most_8_kib_of_text) {
    // 20 DKIM results with a 500-byte human_result each: every field is within its cap, the
    // record as a whole (about 10 KB) is not.
    std::string auth, small_auth;
    // (selector built by appending: g++ 12 -O3 warns -Wrestrict, falsely, on "lit" + std::string)
    const auto selector = [](int i) {
        std::string s = "s";
        s += std::to_string(i);
        return s;
    };
    for (int i = 0; i < 20; ++i) auth += dkim_xml("example.com", selector(i), std::string(500, 'q'));
    for (int i = 0; i < 12; ++i) small_auth += dkim_xml("example.com", selector(i), std::string(500, 'q'));
    auto p = parse(report_doc(record_xml() + record_xml("<header_from>example.com</header_from>", auth) +
                          record_xml("<header_from>example.com</header_from>", small_auth)));
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.summary.dropped_records, 1u);
    EXPECT_TRUE(has_warning(p, "record 2 dropped: its text fields hold")) << describe(p);
    ASSERT_EQ(p.sink.records.size(), 2u);
    EXPECT_EQ(p.sink.records[1].dkim_results.size(), 12u);  // ~6 KB: kept whole
}

TEST(parser_caps, auth_results_beyond_100_are_ignored_with_a_warning) {
    std::string auth;
    for (int i = 0; i < 105; ++i) auth += dkim_xml("e.example", "s");
    auto p = parse(report_doc(record_xml("<header_from>example.com</header_from>", auth)));
    ASSERT_TRUE(p.ok) << p.error;
    ASSERT_EQ(p.sink.records.size(), 1u);
    EXPECT_EQ(p.sink.records[0].dkim_results.size(), 100u);
    EXPECT_TRUE(has_warning(p, "more than 100 DKIM results"));
}

TEST(parser_caps, words_and_numbers_are_capped) {
    const std::string long_word(10000, 'z');
    auto p = parse(report_doc(record_xml("<header_from>example.com</header_from>",
                                     "<spf><domain>example.com</domain><result>" + long_word + "</result></spf>",
                                     "<disposition>" + long_word + "</disposition>") +
                          // a count padded far beyond any number: unparseable, the record is dropped
                          "<record><row><source_ip>192.0.2.9</source_ip><count>" + std::string(100000, '1') +
                          "</count></row></record>"));
    ASSERT_TRUE(p.ok) << p.error;
    ASSERT_EQ(p.sink.records.size(), 1u);
    EXPECT_EQ(p.sink.records[0].disposition, std::string(64, 'z'));
    EXPECT_EQ(p.sink.records[0].spf_results.at(0).result, std::string(64, 'z'));
    EXPECT_TRUE(has_warning(p, "a <disposition> longer than 64 bytes was truncated"));
    EXPECT_TRUE(has_warning(p, "record 2 dropped: count '1111"));
    // A timestamp with a 100 KB fraction is not one; before the cap it parsed as 1700006400.
    std::string d = report_doc(record_xml());
    d.replace(d.find("1700006400"), 10, "1700006400." + std::string(100000, '0'));
    auto q = parse(d);
    EXPECT_FALSE(q.ok);
    EXPECT_NE(q.error.find("is not a timestamp"), std::string::npos) << q.error;
}

TEST(parser_caps, records_held_before_the_header_are_bounded_in_bytes) {
    // Records before <policy_published> are held until it arrives: 2,100 records of ~8 KB each
    // would be 17 MB held; refused once more than 16 MiB is held.
    std::string auth;
    for (int i = 0; i < 15; ++i) auth += dkim_xml("example.com", "s", std::string(500, 'k'));
    const std::string big = record_xml("<header_from>example.com</header_from>", auth);
    const std::string head = "<feedback><report_metadata><org_name>R</org_name><report_id>1</report_id><date_range>"
                             "<begin>1</begin><end>2</end></date_range></report_metadata>";
    const std::string tail = "<policy_published><domain>example.com</domain><p>none</p></policy_published></feedback>";
    std::string many;
    for (int i = 0; i < 2100; ++i) many += big;
    auto p = parse(head + many + tail);
    EXPECT_FALSE(p.ok);
    EXPECT_NE(p.error.find("before report_metadata/policy_published"), std::string::npos) << p.error;
    // A few such records are held and delivered once the header is complete.
    auto q = parse(head + big + big + big + tail);
    ASSERT_TRUE(q.ok) << q.error;
    EXPECT_EQ(q.sink.records.size(), 3u);
}

// ---- (14) CDATA follows the same character rules as other text ----------------------------

TEST(parser_cdata, terminal_escape_in_cdata_is_replaced_like_plain_text) {
    const std::string payload = "\x1b]0;pwned\x07";
    auto in_cdata = parse(report_doc(record_xml("<header_from><![CDATA[" + payload + "]]></header_from>")));
    auto in_text = parse(report_doc(record_xml("<header_from>" + payload + "</header_from>")));
    ASSERT_TRUE(in_cdata.ok) << in_cdata.error;
    ASSERT_TRUE(in_text.ok) << in_text.error;
    ASSERT_EQ(in_cdata.sink.records.size(), 1u);
    EXPECT_EQ(in_cdata.sink.records[0].header_from, "\xEF\xBF\xBD]0;pwned\xEF\xBF\xBD");
    EXPECT_EQ(in_cdata.sink.records[0].header_from, in_text.sink.records.at(0).header_from);
    EXPECT_TRUE(has_warning(in_cdata, "control character"));
    // As a character reference it is not an XML character at all: rejected, as before.
    EXPECT_FALSE(parse(report_doc(record_xml("<header_from>&#x1b;]0;pwned</header_from>"))).ok);
}

TEST(parser_cdata, every_control_character_is_treated_alike_in_cdata_text_and_attributes) {
    // C0 controls XML 1.0 §2.2 excludes: replaced, wherever they appear.
    std::vector<std::string> controls;
    for (int c = 1; c < 0x20; ++c)
        if (c != '\t' && c != '\n' && c != '\r') controls.push_back(std::string(1, static_cast<char>(c)));
    for (const auto& ctl : controls) {
        const std::string v = "a" + ctl + "b";
        auto cdata = parse(report_doc(record_xml("<header_from>x.example</header_from>",
                                             dkim_xml("example.com", "s", "<![CDATA[" + v + "]]>"))));
        auto plain = parse(report_doc(record_xml("<header_from>x.example</header_from>", dkim_xml("example.com", "s", v))));
        ASSERT_TRUE(cdata.ok && plain.ok) << cdata.error << plain.error;
        const std::string got = cdata.sink.records.at(0).dkim_results.at(0).human_result;
        EXPECT_EQ(got, "a\xEF\xBF\xBD" "b") << text::for_terminal(ctl);
        EXPECT_EQ(got, plain.sink.records.at(0).dkim_results.at(0).human_result);
        EXPECT_TRUE(has_warning(cdata, "control character"));
        // An attribute value (the namespace, which is stored) follows the same rules.
        std::string d = report_doc(record_xml());
        d.replace(d.find("<feedback>"), 10, "<feedback xmlns=\"urn:" + v + "\">");
        auto attr = parse(d);
        ASSERT_TRUE(attr.ok) << attr.error;
        EXPECT_EQ(attr.sink.header.xml_namespace, "urn:a\xEF\xBF\xBD" "b");
    }
    // DEL and C1 controls are XML characters: stored as sent (outputs escape them), and the same
    // whether literal, in CDATA or a character reference.
    std::vector<std::pair<std::string, std::string>> kept = {{"\x7F", "&#127;"}};
    for (int c = 0x80; c <= 0x9F; ++c) {
        char ref[16];
        std::snprintf(ref, sizeof ref, "&#x%x;", c);
        kept.push_back({std::string("\xC2") + static_cast<char>(c), ref});
    }
    for (const auto& [literal, ref] : kept) {
        const std::string want = "a" + literal + "b";
        for (const std::string& form : {"a" + literal + "b", "<![CDATA[a" + literal + "b]]>", "a" + ref + "b"}) {
            auto p = parse(report_doc(record_xml("<header_from>" + form + "</header_from>")));
            ASSERT_TRUE(p.ok) << p.error;
            EXPECT_EQ(p.sink.records.at(0).header_from, want) << text::for_terminal(form);
            EXPECT_FALSE(has_warning(p, "control character"));
        }
    }
}

TEST(parser_cdata, line_ends_tab_and_text_around_cdata) {
    auto p = parse(report_doc(record_xml("<header_from>x.example</header_from>",
                                     dkim_xml("example.com", "s", "one\r\n<![CDATA[two\r\nthree\rfour\tfive]]>\rsix"))));
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.sink.records.at(0).dkim_results.at(0).human_result, "one\ntwo\nthree\nfour\tfive\nsix");
    EXPECT_TRUE(p.summary.warnings.empty()) << describe(p);
    // Every field stored from a document full of controls in CDATA is clean.
    std::string noisy;
    for (int c = 1; c < 0x20; ++c) noisy += static_cast<char>(c);
    noisy += "\x1b[31m\xFF";
    auto q = parse(report_doc(record_xml("<header_from><![CDATA[" + noisy + "]]></header_from>",
                                     dkim_xml("<![CDATA[" + noisy + "]]>", "<![CDATA[" + noisy + "]]>", "<![CDATA[" + noisy + "]]>"),
                                     "<disposition><![CDATA[" + noisy + "]]></disposition>")));
    ASSERT_TRUE(q.ok) << q.error;
    const record& r = q.sink.records.at(0);
    for (const std::string* s : {&r.header_from, &r.disposition, &r.dkim_results.at(0).domain,
                                 &r.dkim_results.at(0).selector, &r.dkim_results.at(0).human_result})
        EXPECT_TRUE(clean_text(*s)) << text::for_terminal(*s);
}

// ---- (15) truncation never splits a UTF-8 character ----------------------------------------

TEST(utf8_prefix, cuts_on_character_boundaries) {
    const std::string s = "a\xC3\xA9" "b\xE2\x82\xAC" "c\xF0\x9F\x98\x80";  // a é b € c 😀
    const std::vector<std::size_t> want = {0, 1, 1, 3, 4, 4, 4, 7, 8, 8, 8, 8, 12};
    for (std::size_t n = 0; n < want.size(); ++n) EXPECT_EQ(utf8_prefix(s, n).size(), want[n]) << n;
    EXPECT_EQ(utf8_prefix(s, 100), s);
    EXPECT_EQ(utf8_prefix("", 0), "");
    EXPECT_EQ(utf8_prefix("abc", 0), "");
}

TEST(utf8_prefix, invalid_input_is_handled_gracefully) {
    // Stray continuation bytes are not characters: a cut among them stays where asked.
    EXPECT_EQ(utf8_prefix("\x80\x80\x80\x80\x80\x80", 3).size(), 3u);
    EXPECT_EQ(utf8_prefix("ab\x80\x80", 3).size(), 3u);
    // A lead byte whose sequence ends before the cut (truncated sequence): no need to back off.
    EXPECT_EQ(utf8_prefix("\xE2\x82z\x80", 3).size(), 3u);
    // Bytes that never start a sequence.
    EXPECT_EQ(utf8_prefix("\xFF\xFE\xFD", 2).size(), 2u);
    EXPECT_EQ(utf8_prefix("\xC0\x80\xC0\x80", 1).size(), 1u);
    // A 4-byte lead followed by a cut after 1..3 of its bytes backs off to the lead.
    EXPECT_EQ(utf8_prefix("x\xF0\x9F\x98\x80", 2).size(), 1u);
    EXPECT_EQ(utf8_prefix("x\xF0\x9F\x98\x80", 4).size(), 1u);
    std::string t = "\xE2\x82\xAC\xE2\x82\xAC";
    EXPECT_TRUE(utf8_truncate(t, 5));
    EXPECT_EQ(t, "\xE2\x82\xAC");
    EXPECT_FALSE(utf8_truncate(t, 3));
}

TEST(parser_utf8, capped_fields_end_on_a_character_boundary) {
    // A multi-byte character placed so that it straddles the 512-byte (free text) and 64-byte
    // (word) caps at every offset.
    for (const std::string ch : {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"}) {
        for (std::size_t pad = 505; pad <= 512; ++pad) {
            const std::string v = std::string(pad, 'x') + ch + ch + std::string(600, 'y');
            const std::string w = std::string(pad - 448, 'w') + ch + ch + std::string(100, 'w');
            auto p = parse(report_doc(record_xml("<header_from>x.example</header_from>", dkim_xml("example.com", "s", v),
                                             "<disposition>" + w + "</disposition>")));
            ASSERT_TRUE(p.ok) << p.error;
            const std::string& got = p.sink.records.at(0).dkim_results.at(0).human_result;
            EXPECT_TRUE(text::is_valid_utf8(got)) << pad;
            EXPECT_LE(got.size(), 512u);
            EXPECT_GT(got.size(), 512u - ch.size());
            EXPECT_EQ(v.compare(0, got.size(), got), 0);
            const std::string& word = p.sink.records.at(0).disposition;
            EXPECT_TRUE(text::is_valid_utf8(word)) << pad;
            EXPECT_LE(word.size(), 64u);
            EXPECT_GT(word.size(), 64u - ch.size());
            // A cut is not damage: no "invalid UTF-8" warning for it.
            EXPECT_FALSE(has_warning(p, "invalid UTF-8")) << pad;
        }
    }
}

TEST(parser_utf8, quoted_values_in_warnings_end_on_a_character_boundary) {
    // source_ip is shown (cut to 60 bytes) in the drop warning; 'é' is 2 bytes, so an odd cut
    // would split one.
    std::string d = report_doc(record_xml());
    std::string ip;
    for (int i = 0; i < 31; ++i) ip += "\xC3\xA9";
    d.replace(d.find("192.0.2.1"), 9, "1" + ip);
    auto p = parse(d);
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.summary.dropped_records, 1u);
    ASSERT_TRUE(has_warning(p, "is not an IP address"));
    for (const auto& w : p.summary.warnings) EXPECT_TRUE(text::is_valid_utf8(w)) << text::for_terminal(w);
    // An oversized policy domain quoted in the error.
    std::string e = report_doc(record_xml());
    std::string dom;
    for (int i = 0; i < 200; ++i) dom += "\xE2\x82\xAC";
    e.replace(e.find("<domain>example.com</domain>"), 28, "<domain>x" + dom + "</domain>");
    auto q = parse(e);
    EXPECT_FALSE(q.ok);
    EXPECT_TRUE(text::is_valid_utf8(q.error)) << text::for_terminal(q.error);
}

// ---- (16) the result does not depend on where reads end ------------------------------------

namespace {

// Documents whose tokens straddle window edges: short element names (<p>, <sp>, <fo>), CDATA
// holding "</p>" and "]]" pieces, comments and PIs inside fields holding end tags, entities,
// CR LF, a DOCTYPE-like comment, a literal '<'. Each is long enough that the interesting part
// lies beyond the 512 bytes the encoding sniffer reads first.
std::vector<std::string> tricky_documents() {
    const std::string meta_pad = "<extra_contact_info>" + std::string(600, 'm') + "</extra_contact_info>";
    std::vector<std::string> docs;
    docs.push_back(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<!-- lead comment --><?pi data?>\r\n"
        "<feedback><report_metadata><org_name>A &amp; B &#x41;&#66;</org_name><email>a@b.example</email>" +
        meta_pad +
        "<report_id><![CDATA[id-]]>1<!-- </report_id> -->2<?x </report_id> ?></report_id><date_range><begin>1</begin>"
        "<end>2</end></date_range></report_metadata><policy_published><domain>e.example</domain>"
        "<p><![CDATA[</p>]]>reject<!-- </p> --></p><sp><![CDATA[]]]]><![CDATA[>]]></sp><fo>1&lt;2</fo>"
        "<adkim><![CDATA[r]]></adkim><pct> 50 </pct></policy_published>"
        "<record><row><source_ip>192.0.2.1</source_ip><count>1</count><policy_evaluated><disposition>"
        "<![CDATA[none]]></disposition><dkim>pass</dkim><spf>fail</spf><reason><type>forwarded</type><comment>"
        "a < b &amp;&unknown; c\r\nd<![CDATA[ <x> ]] ]]>e</comment></reason></policy_evaluated></row>"
        "<identifiers><header_from>x<!-- c -->.example</header_from></identifiers><auth_results><dkim><domain>"
        "d.example</domain><selector><![CDATA[s]]>1</selector><result>pass</result><human_result><![CDATA["
        "</human_result>]]></human_result></dkim><spf><domain>s.example</domain><scope>mfrom</scope><result>"
        "pass</result></spf></auth_results></record><!-- trailing --></feedback>\r\n");
    // Many short records with every kind of markup, so edges land on each token somewhere.
    std::string recs;
    for (int i = 0; i < 12; ++i)
        recs += "<record><row><source_ip>192.0.2." + std::to_string(i) + "</source_ip><count>" + std::to_string(i) +
                "</count><policy_evaluated><disposition>none</disposition><dkim><![CDATA[pass]]></dkim><spf><!--x-->"
                "fail</spf></policy_evaluated></row><identifiers><header_from>h&#x2e;example</header_from>"
                "</identifiers><auth_results><spf><domain><?p?>s.example</domain><result>pass</result></spf>"
                "</auth_results></record>\n";
    docs.push_back("<feedback><version>1.0</version><report_metadata><org_name>R</org_name>" + meta_pad +
                   "<report_id>r</report_id><date_range><begin>1</begin><end>2</end></date_range></report_metadata>"
                   "<policy_published><domain>e.example</domain><p>none</p></policy_published>" +
                   recs + "</feedback>");
    // Prefixed names (the reader's fast path for a bare name finds the last ':'), attributes
    // holding '>' and '/' in quotes, a space before '>', empty and self-closing elements.
    docs.push_back("<d:feedback xmlns:d=\"urn:x:y\"><d:report_metadata a='>' b=\"/>\"><d:org_name>P</d:org_name>" + meta_pad +
                   "<d:report_id >p1</d:report_id><d:date_range><d:begin>1</d:begin><d:end>2</d:end></d:date_range>"
                   "</d:report_metadata><d:policy_published><d:domain>p.example</d:domain><d:p>quarantine</d:p><d:sp/>"
                   "<d:pct></d:pct></d:policy_published><d:record><d:row><d:source_ip>192.0.2.9</d:source_ip>"
                   "<d:count>7</d:count><d:policy_evaluated x=\"1\"><d:disposition>none</d:disposition><d:dkim>pass"
                   "</d:dkim><d:spf>fail</d:spf></d:policy_evaluated></d:row><d:identifiers><d:header_from>h.example"
                   "</d:header_from></d:identifiers><d:auth_results/></d:record></d:feedback>");
    // Damaged documents must fail the same way too.
    docs.push_back(docs[0].substr(0, docs[0].size() / 2 + 250));
    std::string doctype = docs[1];
    doctype.insert(doctype.find("<record>"), "<!DOCTYPE x>");
    docs.push_back(doctype);
    std::string unclosed_cdata = docs[1];
    unclosed_cdata.replace(unclosed_cdata.rfind("]]>"), 3, "]>");
    docs.push_back(unclosed_cdata);
    return docs;
}

}  // namespace

TEST(parser_windows, tricky_document_parses_to_the_expected_values) {
    auto p = parse(tricky_documents()[0]);
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.sink.header.metadata.org_name, "A & B AB");
    EXPECT_EQ(p.sink.header.metadata.report_id, "id-12");
    EXPECT_EQ(p.sink.header.policy.p, "</p>reject");
    EXPECT_EQ(p.sink.header.policy.sp, "]]>");
    EXPECT_EQ(p.sink.header.policy.fo, "1<2");
    EXPECT_EQ(p.sink.header.policy.adkim, "r");
    EXPECT_EQ(p.sink.header.policy.pct, 50);
    ASSERT_EQ(p.sink.records.size(), 1u);
    const record& r = p.sink.records[0];
    EXPECT_EQ(r.disposition, "none");
    EXPECT_EQ(r.header_from, "x.example");
    ASSERT_EQ(r.reasons.size(), 1u);
    EXPECT_EQ(r.reasons[0].comment, "a < b &&unknown; c\nd <x> ]] e");
    EXPECT_EQ(r.dkim_results.at(0).selector, "s1");
    EXPECT_EQ(r.dkim_results.at(0).human_result, "</human_result>");
}

TEST(parser_windows, prefixed_names_and_attributes_parse_to_the_expected_values) {
    auto p = parse(tricky_documents()[2]);
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.sink.header.metadata.org_name, "P");
    EXPECT_EQ(p.sink.header.metadata.report_id, "p1");
    EXPECT_EQ(p.sink.header.policy.domain, "p.example");
    EXPECT_EQ(p.sink.header.policy.p, "quarantine");
    ASSERT_EQ(p.sink.records.size(), 1u);
    EXPECT_EQ(p.sink.records[0].count, 7);
    EXPECT_EQ(p.sink.records[0].source_ip.to_string(), "192.0.2.9");
    EXPECT_EQ(p.sink.records[0].header_from, "h.example");
}

TEST(parser_windows, every_chunk_size_gives_the_whole_buffer_result) {
    std::vector<std::size_t> sizes;
    for (std::size_t c = 1; c <= 64; ++c) sizes.push_back(c);
    for (std::size_t c : {67, 97, 127, 251, 509, 521, 1021, 4093, 65521, 131071}) sizes.push_back(c);
    for (const auto& d : tricky_documents()) {
        const std::string want = describe(parse(d));
        for (const std::size_t c : sizes) {
            chunked_source src(d, c);
            EXPECT_EQ(describe(parse_from(src)), want) << "chunk " << c;
        }
    }
}

TEST(parser_windows, a_window_edge_at_every_position_gives_the_whole_buffer_result) {
    for (const auto& d : tricky_documents()) {
        const std::string want = describe(parse(d));
        // The encoding sniffer reads the first 512 bytes whole, so edges start mattering after them.
        for (std::size_t split = 400; split < d.size(); ++split) {
            split_source src(d, split);
            const std::string got = describe(parse_from(src));
            ASSERT_EQ(got, want) << "edge at byte " << split;
        }
    }
}

// ---- (17) "<x/>" is "<x></x>" for every element the parser descends into -----------------

// An empty element written self-closing (XML 1.0 §3.1) parses exactly as its start-end pair, at
// every level: the parser must not wait for an end tag it will never see (it used to take the
// parent's end for it, and report the document as cut short).
TEST(parser_empty_elements, self_closing_is_the_same_as_start_and_end) {
    const std::string second = record_xml("<header_from>two.example</header_from>");
    const std::vector<std::string> names = {"row",    "policy_evaluated", "identifiers", "auth_results", "dkim",
                                            "spf",    "reason",           "record",      "date_range",   "report_metadata",
                                            "policy_published", "extension", "unknown_thing"};
    for (const std::string& name : names) {
        const std::string pair = "<" + name + "></" + name + ">", closed = "<" + name + "/>", spaced = "<" + name + " />";
        // Where the element goes: inside a record for the record's parts, else among feedback's children.
        std::string doc;
        if (name == "dkim" || name == "spf")
            doc = report_doc(record_xml("<header_from>example.com</header_from>", "#HERE#") + second);
        else if (name == "reason")
            doc = report_doc(record_xml("<header_from>example.com</header_from>",
                                        "<spf><domain>example.com</domain><result>pass</result></spf>",
                                        "<disposition>none</disposition><dkim>pass</dkim><spf>pass</spf>#HERE#") + second);
        else if (name == "row" || name == "policy_evaluated" || name == "identifiers" || name == "auth_results")
            doc = report_doc("<record>#HERE#<row><source_ip>192.0.2.1</source_ip><count>2</count></row></record>" + second);
        else if (name == "date_range" || name == "report_metadata" || name == "policy_published")
            doc = header_xml.substr(0, header_xml.find("<report_metadata>")) + "#HERE#" +
                  header_xml.substr(header_xml.find("<report_metadata>")) + second + "</feedback>";
        else
            doc = report_doc("#HERE#" + second);
        const auto with = [&](const std::string& e) {
            std::string d = doc;
            d.replace(d.find("#HERE#"), 6, e);
            return describe(parse(d));
        };
        const std::string want = with(pair);
        EXPECT_EQ(with(closed), want) << name;
        EXPECT_EQ(with(spaced), want) << name;
        // The record after it is read whole either way.
        EXPECT_NE(want.find("two.example"), std::string::npos) << name << "\n" << want;
    }
}
