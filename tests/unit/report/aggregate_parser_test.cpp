// The aggregate parser on small hand-written documents: each recovery rule of the issue stores
// with a warning; each damage outside them rejects.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "report/aggregate_parser.hpp"
#include "report/content_hash.hpp"

using namespace dmarcsight;
using namespace dmarcsight::report;

namespace {

struct collecting_sink final : aggregate_sink {
    report_header header;
    std::vector<record> records;
    int headers = 0;
    result<void> on_header(const report_header& h) override {
        header = h;
        ++headers;
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
    std::int64_t offset = -1;
    collecting_sink sink;
    parse_summary summary;
};

parsed parse(const std::string& doc, const std::string& fallback_org = "") {
    parsed p;
    memory_source src(doc);
    parse_options opt;
    opt.fallback_org = fallback_org;
    auto r = parse_aggregate(src, p.sink, opt);
    p.ok = r.ok();
    if (r) p.summary = *r;
    else {
        p.error = r.err().message;
        p.offset = r.err().offset;
    }
    return p;
}

const std::string record_ok =
    "<record><row><source_ip>192.0.2.10</source_ip><count>3</count><policy_evaluated><disposition>none</disposition>"
    "<dkim>pass</dkim><spf>fail</spf></policy_evaluated></row><identifiers><header_from>example.com</header_from>"
    "</identifiers><auth_results><dkim><domain>example.com</domain><selector>s1</selector><result>pass</result></dkim>"
    "<spf><domain>bounce.example.com</domain><scope>mfrom</scope><result>softfail</result></spf></auth_results></record>";

std::string doc(const std::string& metadata_extra = "", const std::string& records = record_ok,
                const std::string& org = "<org_name>Reporter Inc.</org_name>", const std::string& prolog = "",
                const std::string& dates = "<begin>1700006400</begin><end>1700092799</end>") {
    return prolog + "<feedback><version>1.0</version><report_metadata>" + org +
           "<email>dmarc@reporter.example</email><report_id>r-1</report_id><date_range>" + dates + "</date_range>" +
           metadata_extra + "</report_metadata><policy_published><domain>Example.COM.</domain><adkim>r</adkim><aspf>s</aspf>"
           "<p>reject</p><sp>none</sp><pct>100</pct></policy_published>" + records + "</feedback>";
}

bool has_warning(const parsed& p, const std::string& needle) {
    for (const auto& w : p.summary.warnings)
        if (w.find(needle) != std::string::npos) return true;
    return false;
}

}  // namespace

TEST(aggregate_parser, reads_a_plain_rfc7489_report) {
    auto p = parse(doc());
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.sink.headers, 1);
    EXPECT_EQ(p.sink.header.metadata.org_name, "Reporter Inc.");
    EXPECT_EQ(p.sink.header.metadata.report_id, "r-1");
    EXPECT_EQ(p.sink.header.metadata.begin, 1700006400);
    EXPECT_EQ(p.sink.header.metadata.end, 1700092799);
    EXPECT_EQ(p.sink.header.policy.domain, "example.com");  // normalised
    EXPECT_EQ(p.sink.header.policy.p, "reject");
    EXPECT_EQ(p.sink.header.policy.pct, 100);
    EXPECT_EQ(p.sink.header.xml_schema, "1.0");
    EXPECT_EQ(p.sink.header.flavour, schema_flavour::rfc7489);
    ASSERT_EQ(p.sink.records.size(), 1u);
    const record& r = p.sink.records[0];
    EXPECT_EQ(r.source_ip.to_string(), "192.0.2.10");
    EXPECT_EQ(r.count, 3);
    EXPECT_EQ(r.disposition, "none");
    EXPECT_EQ(r.dkim, "pass");
    EXPECT_EQ(r.spf, "fail");
    EXPECT_EQ(r.header_from, "example.com");
    ASSERT_EQ(r.dkim_results.size(), 1u);
    EXPECT_EQ(r.dkim_results[0].selector, "s1");
    ASSERT_EQ(r.spf_results.size(), 1u);
    EXPECT_EQ(r.spf_results[0].domain, "bounce.example.com");
    EXPECT_EQ(r.spf_results[0].result, "softfail");
    EXPECT_EQ(p.summary.messages, 3u);
    EXPECT_TRUE(p.summary.warnings.empty());
}

TEST(aggregate_parser, rfc9990_namespace_and_new_fields) {
    const std::string d =
        "<?xml version=\"1.0\"?><feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\"><report_metadata><org_name>X</org_name>"
        "<email>a@x.example</email><report_id>9</report_id><date_range><begin>1</begin><end>2</end></date_range>"
        "<generator>gen 1.2</generator></report_metadata><policy_published><domain>example.org</domain><p>quarantine</p>"
        "<np>reject</np><testing>n</testing><discovery_method>treewalk</discovery_method></policy_published>" +
        record_ok + "<extension><x:y xmlns:x=\"urn:x\">ignored</x:y></extension></feedback>";
    auto p = parse(d);
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.sink.header.flavour, schema_flavour::rfc9990);
    EXPECT_EQ(p.sink.header.xml_namespace, "urn:ietf:params:xml:ns:dmarc-2.0");
    EXPECT_EQ(p.sink.header.xml_schema, "draft");  // no <version>: parsedmarc's label
    EXPECT_EQ(p.sink.header.metadata.generator, "gen 1.2");
    EXPECT_EQ(p.sink.header.policy.np, "reject");
    EXPECT_EQ(p.sink.header.policy.discovery_method, "treewalk");
    EXPECT_FALSE(p.sink.header.policy.pct);
}

TEST(aggregate_parser, prefixed_namespace) {
    const std::string d =
        "<d:feedback xmlns:d=\"urn:ietf:params:xml:ns:dmarc-2.0\"><d:report_metadata><d:org_name>X</d:org_name>"
        "<d:report_id>9</d:report_id><d:date_range><d:begin>1</d:begin><d:end>2</d:end></d:date_range>"
        "</d:report_metadata><d:policy_published><d:domain>example.org</d:domain><d:p>none</d:p></d:policy_published>"
        "<d:record><d:row><d:source_ip>2001:db8::1</d:source_ip><d:count>7</d:count></d:row><d:identifiers>"
        "<d:header_from>example.org</d:header_from></d:identifiers></d:record></d:feedback>";
    auto p = parse(d);
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.sink.header.flavour, schema_flavour::rfc9990);
    ASSERT_EQ(p.sink.records.size(), 1u);
    EXPECT_EQ(p.sink.records[0].source_ip.to_string(), "2001:db8::1");
    EXPECT_EQ(p.sink.records[0].count, 7);
}

TEST(aggregate_parser, recovery_bom) {
    auto p = parse("\xEF\xBB\xBF" + doc());
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_TRUE(has_warning(p, "byte-order mark"));
}

TEST(aggregate_parser, recovery_windows1252_transcoded) {
    auto p = parse(doc("", record_ok, "<org_name>Caf\xE9 \x80</org_name>", "<?xml version=\"1.0\" encoding=\"windows-1252\"?>"));
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.sink.header.metadata.org_name, "Caf\xC3\xA9 \xE2\x82\xAC");
    EXPECT_TRUE(has_warning(p, "windows-1252"));
}

TEST(aggregate_parser, recovery_utf16le) {
    const std::string utf8 = doc("", record_ok, "<org_name>\xC3\x9Cni</org_name>", "<?xml version=\"1.0\" encoding=\"UTF-16\"?>");
    std::string utf16 = "\xFF\xFE";
    // ASCII + one Latin-1 character: UTF-16LE is each code unit low byte first.
    for (std::size_t i = 0; i < utf8.size(); ++i) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        if (c == 0xC3) {
            utf16 += static_cast<char>(0xDC);
            utf16 += '\0';
            ++i;
            continue;
        }
        utf16 += static_cast<char>(c);
        utf16 += '\0';
    }
    auto p = parse(utf16);
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.sink.header.metadata.org_name, "\xC3\x9Cni");
    EXPECT_EQ(p.sink.records.size(), 1u);
}

TEST(aggregate_parser, recovery_invalid_utf8_replaced) {
    auto p = parse(doc("", record_ok, "<org_name>Bad\xFF\xFE</org_name>"));
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.sink.header.metadata.org_name, "Bad\xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_TRUE(has_warning(p, "invalid UTF-8"));
}

TEST(aggregate_parser, recovery_float_timestamps) {
    auto p = parse(doc("", record_ok, "<org_name>M</org_name>", "", "<begin>1700006400.0</begin><end>1700092799.999</end>"));
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.sink.header.metadata.begin, 1700006400);
    EXPECT_EQ(p.sink.header.metadata.end, 1700092799);
    EXPECT_TRUE(has_warning(p, "fractional"));
}

TEST(aggregate_parser, recovery_upper_case_words) {
    std::string rec = record_ok;
    rec.replace(rec.find("<dkim>pass</dkim>"), 17, "<dkim>Pass</dkim>");
    rec.replace(rec.find("<disposition>none"), 17, "<disposition>NONE");
    auto p = parse(doc("", rec));
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.sink.records[0].dkim, "pass");
    EXPECT_EQ(p.sink.records[0].disposition, "none");
    EXPECT_TRUE(has_warning(p, "upper-case"));
}

TEST(aggregate_parser, recovery_empty_elements) {
    auto p = parse(doc("<error/><extra_contact_info></extra_contact_info>"));
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_TRUE(p.sink.header.metadata.errors.empty());
    EXPECT_EQ(p.sink.header.metadata.extra_contact_info, "");
}

TEST(aggregate_parser, recovery_missing_org_name_uses_email_domain) {
    auto p = parse(doc("", record_ok, ""));
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.sink.header.metadata.org_name, "reporter.example");
    EXPECT_TRUE(has_warning(p, "no org_name"));
}

TEST(aggregate_parser, missing_org_name_and_email_uses_message_domain) {
    std::string d = doc("", record_ok, "");
    d.erase(d.find("<email>"), std::string("<email>dmarc@reporter.example</email>").size());
    EXPECT_FALSE(parse(d).ok);
    auto p = parse(d, "mail.example.net");
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.sink.header.metadata.org_name, "mail.example.net");
}

TEST(aggregate_parser, recovery_unclosed_wrapper) {
    auto p = parse("<?xml version=\"1.0\"?>\n<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n" + doc() + "\n");
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.sink.records.size(), 1u);
    EXPECT_TRUE(has_warning(p, "without closing <xs:schema>"));
}

TEST(aggregate_parser, recovery_unescaped_lt_and_amp_in_text) {
    auto p = parse(doc("", record_ok, "<org_name>AT&T <Mail> & Co</org_name>"));
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.sink.header.metadata.org_name, "AT&T <Mail> & Co");
    EXPECT_TRUE(has_warning(p, "unescaped '&'"));
    EXPECT_TRUE(has_warning(p, "unescaped '<'"));
}

TEST(aggregate_parser, entities_and_cdata_decoded) {
    auto p = parse(doc("", record_ok, "<org_name>A &amp; B &#x41;&#66; <![CDATA[<c>]]></org_name>"));
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.sink.header.metadata.org_name, "A & B AB <c>");
    EXPECT_TRUE(p.summary.warnings.empty());
}

TEST(aggregate_parser, broken_records_dropped_rest_stored) {
    std::string bad_ip = record_ok, bad_count = record_ok, big_count = record_ok, cidr = record_ok;
    bad_ip.replace(bad_ip.find("192.0.2.10"), 10, "999.1.1.1");
    bad_count.replace(bad_count.find("<count>3"), 8, "<count>-5");
    big_count.replace(big_count.find("<count>3"), 8, "<count>99999999999999999999");
    cidr.replace(cidr.find("192.0.2.10"), 10, "1.2.3.4/24");
    auto p = parse(doc("", bad_ip + record_ok + bad_count + big_count + cidr));
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.sink.records.size(), 1u);
    EXPECT_EQ(p.summary.dropped_records, 4u);
    EXPECT_TRUE(has_warning(p, "record 1 dropped: source_ip '999.1.1.1'"));
    EXPECT_TRUE(has_warning(p, "record 3 dropped: count '-5'"));
}

TEST(aggregate_parser, max_count_accepted_and_sum_saturates) {
    std::string big = record_ok;
    big.replace(big.find("<count>3"), 8, "<count>9223372036854775807");
    auto p = parse(doc("", big + big + record_ok));
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.sink.records.size(), 3u);
    EXPECT_EQ(p.summary.messages, 9223372036854775807ULL);
}

TEST(aggregate_parser, ipv4_mapped_normalised) {
    std::string rec = record_ok;
    rec.replace(rec.find("192.0.2.10"), 10, "::ffff:1.2.3.4");
    auto p = parse(doc("", rec));
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.sink.records[0].source_ip.to_string(), "1.2.3.4");
}

TEST(aggregate_parser, rejects_truncated_document) {
    const std::string d = doc();
    auto p = parse(d.substr(0, d.size() - 30));
    EXPECT_FALSE(p.ok);
    EXPECT_NE(p.error.find("document ends"), std::string::npos) << p.error;
}

TEST(aggregate_parser, rejects_doctype) {
    auto p = parse("<?xml version=\"1.0\"?><!DOCTYPE feedback [<!ENTITY a \"b\">]>" + doc());
    EXPECT_FALSE(p.ok);
    EXPECT_NE(p.error.find("DOCTYPE"), std::string::npos);
    EXPECT_EQ(p.offset, 21);
}

TEST(aggregate_parser, rejects_nul_byte_and_nul_reference) {
    std::string d = doc("", record_ok, std::string("<org_name>Evil\0Org</org_name>", 28));
    auto p = parse(d);
    EXPECT_FALSE(p.ok);
    EXPECT_NE(p.error.find("NUL"), std::string::npos);
    auto q = parse(doc("", record_ok, "<org_name>Evil&#0;Org</org_name>"));
    EXPECT_FALSE(q.ok);
    EXPECT_NE(q.error.find("&#0;"), std::string::npos);
    EXPECT_FALSE(parse(doc("", record_ok, "<org_name>x&#xD800;</org_name>")).ok);
}

TEST(aggregate_parser, rejects_missing_identity) {
    std::string no_id = doc();
    no_id.erase(no_id.find("<report_id>"), std::string("<report_id>r-1</report_id>").size());
    EXPECT_NE(parse(no_id).error.find("no report_id"), std::string::npos);
    EXPECT_NE(parse(doc("", record_ok, "<org_name>X</org_name>", "", "<begin>5</begin>")).error.find("date_range"),
              std::string::npos);
    std::string no_domain = doc();
    no_domain.erase(no_domain.find("<domain>Example.COM.</domain>"), std::string("<domain>Example.COM.</domain>").size());
    EXPECT_NE(parse(no_domain).error.find("no domain"), std::string::npos);
    EXPECT_NE(parse(doc("", record_ok, "<org_name>X</org_name>", "", "<begin>9</begin><end>5</end>")).error.find("after"),
              std::string::npos);
}

TEST(aggregate_parser, rejects_deep_nesting_without_recursion) {
    std::string deep;
    for (int i = 0; i < 100000; ++i) deep += "<x>";
    auto p = parse(doc(deep));
    EXPECT_FALSE(p.ok);
    EXPECT_NE(p.error.find("nested deeper"), std::string::npos);
}

TEST(aggregate_parser, not_a_report) {
    EXPECT_FALSE(parse("<html><body>hi</body></html>").ok);
    EXPECT_FALSE(parse("").ok);
}

TEST(aggregate_parser, equal_content_hashes_equal_regardless_of_whitespace) {
    const auto hash_of = [](const parsed& p) {
        report::content_hash h;
        h.header(p.sink.header);
        for (const auto& r : p.sink.records) h.record(r);
        return h.value();
    };
    auto a = parse(doc());
    std::string spaced = doc();
    for (std::size_t i = spaced.find("><", spaced.find("<record>")); i != std::string::npos; i = spaced.find("><", i + 4))
        spaced.insert(i + 1, "\n  ");
    auto b = parse(spaced);
    ASSERT_TRUE(a.ok) << a.error;
    ASSERT_TRUE(b.ok) << b.error;
    EXPECT_EQ(hash_of(a), hash_of(b));
    std::string other = doc();
    other.replace(other.find("<count>3"), 8, "<count>4");
    EXPECT_NE(hash_of(parse(other)), hash_of(a));
}

TEST(aggregate_parser, small_reads_give_same_result) {
    // A source that returns one byte at a time exercises every buffer-refill path.
    struct trickle final : byte_source {
        std::string data;
        std::size_t pos = 0;
        result<std::size_t> read(char* buf, std::size_t n) override {
            if (pos >= data.size() || n == 0) return std::size_t{0};
            buf[0] = data[pos++];
            return std::size_t{1};
        }
    } src;
    src.data = doc("", record_ok + record_ok, "<org_name>A &amp; <![CDATA[x]]></org_name>");
    collecting_sink sink;
    auto r = parse_aggregate(src, sink);
    ASSERT_TRUE(r.ok()) << r.err().message;
    EXPECT_EQ(sink.records.size(), 2u);
    EXPECT_EQ(sink.header.metadata.org_name, "A & x");
}
