// Every report under ../shared/corpus/reports, ingested for real, checked against the upstream
// oracles: parsedmarc's JSON output for its own samples, and each source's MANIFEST.txt (kind and
// record count per file). Skips, visibly, where the shared corpus is absent.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/text.hpp"
#include "core/time.hpp"
#include "ingest/ingester.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

using namespace dmarcsight;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct stored {
    store::stored_report report;
    std::vector<report::record> records;
};

struct collector final : store::report_visitor {
    std::vector<stored> reports;
    result<void> begin_report(const store::stored_report& r) override {
        reports.push_back({r, {}});
        return {};
    }
    result<void> on_record(const report::record& r) override {
        reports.back().records.push_back(r);
        return {};
    }
    result<void> end_report() override { return {}; }
};

struct ingested {
    std::unique_ptr<store::store> db;
    std::vector<ingest::unit_result> units;
    std::vector<stored> reports;
};

ingested ingest_one(const test_support::temp_dir& dir, const std::string& name, const std::string& path) {
    ingested out;
    auto db = store::open_sqlite(dir / (name + ".db"), store::open_mode::read_write);
    EXPECT_TRUE(db.ok());
    out.db = std::move(*db);
    ingest::options opt;
    opt.quarantine_dir = dir / (name + ".quarantine");
    opt.on_unit = [&](const ingest::unit_result& u, const ingest::totals&) { out.units.push_back(u); };
    ingest::ingester ing(*out.db, opt);
    EXPECT_TRUE(ing.ingest_path(path).ok()) << path;
    EXPECT_TRUE(ing.finish().ok());
    collector c;
    EXPECT_TRUE(out.db->visit_reports({}, c).ok());
    out.reports = std::move(c.reports);
    return out;
}

std::string str(const json& j) { return j.is_string() ? j.get<std::string>() : std::string(); }

json load_json(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return json::parse(ss.str());
}

}  // namespace

// parsedmarc's samples: same reports, records, counts, policies and auth results as its output.
TEST(corpus, parsedmarc_oracle) {
    if (!test_support::corpus_present()) GTEST_SKIP() << "corpus absent: " << test_support::corpus_dir();
    const std::string oracle_root = test_support::corpus_dir() + "/oracles/parsedmarc";
    const std::string report_root = test_support::corpus_dir() + "/reports/parsedmarc";
    test_support::temp_dir dir;
    int compared = 0, n = 0;
    for (const auto& e : fs::recursive_directory_iterator(oracle_root)) {
        if (!e.is_regular_file() || e.path().extension() != ".json") continue;
        const std::string rel = fs::relative(e.path(), oracle_root).string();
        const std::string input = report_root + "/" + rel.substr(0, rel.size() - 5);
        if (!fs::exists(input)) continue;
        SCOPED_TRACE(rel);
        const json oracle = load_json(e.path().string());
        auto got = ingest_one(dir, std::string("o").append(std::to_string(n++)), input);
        const std::string type = oracle.value("report_type", "");
        if (oracle.value("status", "") != "ok") {
            // empty.xml: parsedmarc refuses it; so do we.
            ASSERT_EQ(got.units.size(), 1u);
            EXPECT_EQ(got.units[0].result, store::outcome::rejected);
            continue;
        }
        if (type == "failure") {
            ASSERT_FALSE(got.units.empty());
            for (const auto& u : got.units) {
                // Failure reports are stored (issue 11; their values: tests/unit/report/failure_parser_test.cpp).
                EXPECT_EQ(u.result, store::outcome::stored) << u.reason;
                EXPECT_EQ(ingest::to_string(u.kind), "failure");
            }
            continue;
        }
        if (type == "smtp_tls") {
            // Values against the oracle: tests/unit/ingest/tlsrpt_corpus_test.cpp.
            ASSERT_EQ(got.units.size(), 1u);
            EXPECT_EQ(got.units[0].result, store::outcome::stored) << got.units[0].reason;
            EXPECT_EQ(ingest::to_string(got.units[0].kind), "tlsrpt");
            continue;
        }
        ASSERT_EQ(type, "aggregate");
        ASSERT_EQ(got.reports.size(), 1u) << "units: " << got.units.size();
        const json& want = oracle["report"];
        const stored& have = got.reports[0];
        const auto& m = have.report.header.metadata;
        const json& wm = want["report_metadata"];
        // parsedmarc replaces an org_name that is a domain name by its base domain, lower-cased
        // ("Outlook.com" → "outlook.com"); we keep the reporter's spelling.
        EXPECT_EQ(text::ascii_lower(m.org_name), text::ascii_lower(str(wm["org_name"])));
        EXPECT_EQ(m.report_id, str(wm["report_id"]));
        EXPECT_EQ(utc::format_datetime(m.begin), str(wm["begin_date"]));
        EXPECT_EQ(utc::format_datetime(m.end), str(wm["end_date"]));
        EXPECT_EQ(have.report.header.xml_schema, str(want["xml_schema"]));
        if (rel.find("invalid_xml") != std::string::npos) {
            // parsedmarc recovers this document by cutting it apart: it reports the e-mail
            // "<bad-xml@bad-xml.net>" as "@bad-xml.net>" and header_from "bad<xml.net" as "".
            // We keep the unescaped '<' as text (the recovery rule), so both values stay whole.
            EXPECT_EQ(m.email, "<bad-xml@bad-xml.net>");
        } else {
            EXPECT_EQ(m.email, str(wm["org_email"]));
        }
        const auto& p = have.report.header.policy;
        const json& wp = want["policy_published"];
        EXPECT_EQ(p.domain, str(wp["domain"]));
        // parsedmarc fills tags the report leaves out with their record defaults (adkim/aspf "r",
        // sp = p); we store what the report says, so an empty value stands for that default.
        const auto same_or_default = [](const std::string& ours, const std::string& theirs, const std::string& dflt) {
            return ours == theirs || (ours.empty() && theirs == dflt);
        };
        EXPECT_TRUE(same_or_default(p.adkim, str(wp["adkim"]), "r")) << p.adkim << " vs " << wp["adkim"];
        EXPECT_TRUE(same_or_default(p.aspf, str(wp["aspf"]), "r")) << p.aspf << " vs " << wp["aspf"];
        EXPECT_EQ(p.p, str(wp["p"]));
        EXPECT_TRUE(same_or_default(p.sp, str(wp["sp"]), p.p)) << p.sp << " vs " << wp["sp"];
        EXPECT_EQ(p.pct ? std::to_string(*p.pct) : "", str(wp["pct"]));
        EXPECT_EQ(p.fo, str(wp["fo"]));
        EXPECT_EQ(p.np, str(wp["np"]));
        EXPECT_EQ(p.testing, str(wp["testing"]));
        EXPECT_EQ(p.discovery_method, str(wp["discovery_method"]));
        const json& wrecs = want["records"];
        ASSERT_EQ(have.records.size(), wrecs.size());
        for (std::size_t i = 0; i < wrecs.size(); ++i) {
            SCOPED_TRACE("record " + std::to_string(i));
            const auto& r = have.records[i];
            const json& w = wrecs[i];
            EXPECT_EQ(r.source_ip.to_string(), str(w["source"]["ip_address"]));
            EXPECT_EQ(r.count, w["count"].get<std::int64_t>());
            EXPECT_EQ(r.disposition, str(w["policy_evaluated"]["disposition"]));
            EXPECT_EQ(r.dkim, str(w["policy_evaluated"]["dkim"]));
            EXPECT_EQ(r.spf, str(w["policy_evaluated"]["spf"]));
            const json& reasons = w["policy_evaluated"]["policy_override_reasons"];
            ASSERT_EQ(r.reasons.size(), reasons.size());
            for (std::size_t k = 0; k < reasons.size(); ++k) {
                EXPECT_EQ(r.reasons[k].type, str(reasons[k]["type"]));
                EXPECT_EQ(r.reasons[k].comment, str(reasons[k]["comment"]));
            }
            const json& ids = w["identifiers"];
            if (rel.find("invalid_xml") != std::string::npos) {
                EXPECT_EQ(r.header_from, "bad<xml.net");  // see above: parsedmarc says ""
            } else if (rel.find("invalid_utf_8") != std::string::npos) {
                // parsedmarc silently drops the invalid byte ("bad_byte"); we replace it with
                // U+FFFD, so the store holds valid UTF-8 and shows that something was there.
                EXPECT_EQ(r.header_from, "bad_byte\xEF\xBF\xBD");
                EXPECT_EQ(str(ids["header_from"]), "bad_byte");
            } else {
                EXPECT_EQ(r.header_from, str(ids["header_from"]));
            }
            // parsedmarc invents envelope_from from the SPF domain when the report has none; we
            // store what the report says (RFC 9990: empty means a null reverse-path).
            if (r.envelope_from.empty() && !str(ids["envelope_from"]).empty()) {
                ASSERT_FALSE(r.spf_results.empty());
                EXPECT_EQ(str(ids["envelope_from"]), r.spf_results.back().domain);
            } else {
                EXPECT_EQ(r.envelope_from, str(ids["envelope_from"]));
            }
            EXPECT_EQ(r.envelope_to, str(ids["envelope_to"]));
            // parsedmarc drops auth results whose <domain> is empty; we keep what the report says
            // (nothing lost), so compare only the ones with a domain.
            std::vector<report::dkim_auth_result> dkim;
            for (const auto& d : r.dkim_results)
                if (!d.domain.empty()) dkim.push_back(d);
            std::vector<report::spf_auth_result> spf;
            for (const auto& d : r.spf_results)
                if (!d.domain.empty()) spf.push_back(d);
            const json& wd = w["auth_results"]["dkim"];
            ASSERT_EQ(dkim.size(), wd.size());
            for (std::size_t k = 0; k < wd.size(); ++k) {
                EXPECT_EQ(dkim[k].domain, str(wd[k]["domain"]));
                // parsedmarc writes selector "none" where the report has none.
                EXPECT_EQ(dkim[k].selector.empty() ? "none" : dkim[k].selector, str(wd[k]["selector"]));
                EXPECT_EQ(dkim[k].result, str(wd[k]["result"]));
                EXPECT_EQ(dkim[k].human_result, str(wd[k]["human_result"]));
            }
            const json& ws = w["auth_results"]["spf"];
            ASSERT_EQ(spf.size(), ws.size());
            for (std::size_t k = 0; k < ws.size(); ++k) {
                EXPECT_EQ(spf[k].domain, str(ws[k]["domain"]));
                // parsedmarc writes scope "mfrom" where the report has none.
                EXPECT_EQ(spf[k].scope.empty() ? "mfrom" : spf[k].scope, str(ws[k]["scope"]));
                EXPECT_EQ(spf[k].result, str(ws[k]["result"]));
            }
        }
        ++compared;
    }
    EXPECT_GE(compared, 20) << "expected to compare every parsedmarc aggregate sample";
}

// Every source's MANIFEST.txt: aggregate files are stored (or are duplicates of a copy in another
// container) with the stated record count; failure and TLS reports are stored (or duplicates);
// nothing else is stored; nothing crashes.
TEST(corpus, manifests) {
    if (!test_support::corpus_present()) GTEST_SKIP() << "corpus absent: " << test_support::corpus_dir();
    test_support::temp_dir dir;
    const std::string root = test_support::corpus_dir() + "/reports";
    auto got = ingest_one(dir, "all", root);
    std::map<std::string, const ingest::unit_result*> by_label;
    for (const auto& u : got.units) by_label[u.label] = &u;
    std::map<std::string, std::uint64_t> records_by_label;
    for (const auto& s : got.reports) records_by_label[s.report.input_label] = s.report.totals.records;
    // Same key (org, report_id, domain, period) as another sample with different content: the
    // first copy is kept (see DESIGN.md "Keys"); its record count is the other file's.
    const std::set<std::string> shares_key = {"pkg/dmarc/testdata/test_empty.xml"};
    int aggregate = 0, other = 0;
    for (const auto& src : fs::directory_iterator(root)) {
        std::ifstream manifest(src.path() / "MANIFEST.txt");
        std::string line;
        while (std::getline(manifest, line)) {
            std::vector<std::string> cols;
            std::stringstream ss(line);
            for (std::string c; std::getline(ss, c, '|');) {
                const auto b = c.find_first_not_of(' '), e = c.find_last_not_of(' ');
                cols.push_back(b == std::string::npos ? "" : c.substr(b, e - b + 1));
            }
            if (cols.size() < 9) continue;
            const std::string file = (src.path() / cols[0]).string();
            if (!fs::is_regular_file(file)) continue;
            SCOPED_TRACE(file + " (" + cols[1] + ", " + cols[8].substr(0, 120) + ")");
            std::vector<const ingest::unit_result*> units;
            for (const auto& u : got.units)
                if (u.label == file || u.label.starts_with(file + ">") || u.label.starts_with(file + "#")) units.push_back(&u);
            ASSERT_FALSE(units.empty()) << "no outcome recorded";
            const std::string& kind = cols[1];
            const bool negative = cols[8].find("MALFORMED") != std::string::npos || cols[8].find("negative") != std::string::npos;
            if (kind == "aggregate" && !negative) {
                ++aggregate;
                for (const auto* u : units) {
                    EXPECT_TRUE(u->result == store::outcome::stored || u->result == store::outcome::duplicate)
                        << u->label << ": " << u->reason;
                }
                if (units.size() == 1 && units[0]->result == store::outcome::stored && !cols[4].empty() &&
                    std::isdigit(static_cast<unsigned char>(cols[4][0])) && !shares_key.count(cols[0])) {
                    EXPECT_EQ(std::to_string(units[0]->records + 0), cols[4]);
                }
            } else if (kind == "forensic") {
                for (const auto* u : units)
                    EXPECT_TRUE(u->result == store::outcome::stored || u->result == store::outcome::duplicate)
                        << u->label << ": " << u->reason;
            } else if (kind == "tlsrpt") {
                for (const auto* u : units) {
                    // One TLS report is stored base64-encoded as a text file (a test artefact, not a
                    // real delivery form); it is rejected, which keeps its bytes.
                    if (cols[2].starts_with("base64")) continue;
                    // Several samples are one report in several containers (the RFC 8460 example,
                    // Mail::TLSRPT's json/gz/expected): the first is stored, the rest duplicates.
                    EXPECT_TRUE(u->result == store::outcome::stored || u->result == store::outcome::duplicate)
                        << u->label << ": " << u->reason;
                    EXPECT_EQ(ingest::to_string(u->kind), "tlsrpt");
                }
            } else {
                ++other;
                for (const auto* u : units) EXPECT_NE(u->result, store::outcome::stored) << u->reason;
            }
        }
    }
    EXPECT_GE(aggregate, 60);
    EXPECT_GE(other, 5);
}

// stalwartlabs/mail-auth's samples: each NNN.xml / NNN.eml has NNN.json, that project's full parse
// (its field names; enums spelled "Pass", "Relaxed", scope "Unspecified" for an absent one).
TEST(corpus, stalwart_oracle) {
    if (!test_support::corpus_present()) GTEST_SKIP() << "corpus absent: " << test_support::corpus_dir();
    const std::string root = test_support::corpus_dir() + "/reports/stalwartlabs+mail-auth/resources/dmarc-feedback";
    test_support::temp_dir dir;
    const auto lower = [](const json& j) { return text::ascii_lower(str(j)); };
    const auto alignment = [](const json& j) {
        const std::string v = text::ascii_lower(str(j));
        return v == "relaxed" ? "r" : v == "strict" ? "s" : v == "unspecified" ? "" : v == "mailfrom" ? "mfrom" : v;
    };
    int compared = 0;
    for (const auto& e : fs::directory_iterator(root)) {
        const std::string ext = e.path().extension().string();
        if (ext != ".xml" && ext != ".eml") continue;
        SCOPED_TRACE(e.path().filename().string());
        fs::path expected = e.path();
        expected.replace_extension(".json");
        const json want = load_json(expected.string());
        auto got = ingest_one(dir, e.path().stem().string() + ext, e.path().string());
        ASSERT_EQ(got.reports.size(), 1u);
        const stored& have = got.reports[0];
        const auto& m = have.report.header.metadata;
        EXPECT_EQ(m.org_name, str(want["report_metadata"]["org_name"]));
        EXPECT_EQ(m.report_id, str(want["report_metadata"]["report_id"]));
        EXPECT_EQ(m.begin, want["report_metadata"]["date_range"]["begin"].get<std::int64_t>());
        EXPECT_EQ(m.end, want["report_metadata"]["date_range"]["end"].get<std::int64_t>());
        const auto& p = have.report.header.policy;
        EXPECT_EQ(p.domain, str(want["policy_published"]["domain"]));
        EXPECT_TRUE(p.adkim == alignment(want["policy_published"]["adkim"]) ||
                    (p.adkim.empty() && alignment(want["policy_published"]["adkim"]) == "r"));
        EXPECT_EQ(p.p, lower(want["policy_published"]["p"]));
        const json& recs = want["record"];
        ASSERT_EQ(have.records.size(), recs.size());
        for (std::size_t i = 0; i < recs.size(); ++i) {
            const auto& r = have.records[i];
            const json& w = recs[i];
            EXPECT_EQ(r.source_ip, *ip_address::parse(str(w["row"]["source_ip"])));
            EXPECT_EQ(r.count, w["row"]["count"].get<std::int64_t>());
            EXPECT_EQ(r.disposition, lower(w["row"]["policy_evaluated"]["disposition"]));
            EXPECT_EQ(r.dkim, lower(w["row"]["policy_evaluated"]["dkim"]));
            EXPECT_EQ(r.spf, lower(w["row"]["policy_evaluated"]["spf"]));
            EXPECT_EQ(r.header_from, str(w["identifiers"]["header_from"]));
            EXPECT_EQ(r.envelope_from, str(w["identifiers"]["envelope_from"]));
            const json& wd = w["auth_results"]["dkim"];
            ASSERT_EQ(r.dkim_results.size(), wd.size());
            for (std::size_t k = 0; k < wd.size(); ++k) {
                EXPECT_EQ(r.dkim_results[k].domain, str(wd[k]["domain"]));
                EXPECT_EQ(r.dkim_results[k].selector, str(wd[k]["selector"]));
                EXPECT_EQ(r.dkim_results[k].result, lower(wd[k]["result"]));
            }
            const json& ws = w["auth_results"]["spf"];
            ASSERT_EQ(r.spf_results.size(), ws.size());
            for (std::size_t k = 0; k < ws.size(); ++k) {
                EXPECT_EQ(r.spf_results[k].domain, str(ws[k]["domain"]));
                EXPECT_EQ(r.spf_results[k].scope, alignment(ws[k]["scope"]));
                EXPECT_EQ(r.spf_results[k].result, lower(ws[k]["result"]));
            }
        }
        ++compared;
    }
    EXPECT_EQ(compared, 10);
}
