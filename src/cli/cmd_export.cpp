// dmarcsight export: stored aggregate reports as JSON (parsedmarc's report shape, so pipelines and
// dashboards built on it keep working) or CSV (parsedmarc's aggregate columns, one row per record);
// failure and SMTP TLS reports likewise (cli/export_failure, cli/export_tls).
// Streams report by report and record by record: a 400,000-record report is never held whole.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/export_failure.hpp"
#include "cli/export_tls.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace dmarcsight::cli {

namespace {

using nlohmann::json;

json or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

std::string dump(const json& j) { return json_text(j); }

class json_exporter final : public store::report_visitor {
public:
    result<void> begin_report(const store::stored_report& r) override {
        const auto& m = r.header.metadata;
        const auto& p = r.header.policy;
        const std::int64_t span = m.end - m.begin;
        json meta = {{"org_name", m.org_name},
                     {"org_email", or_null(m.email)},
                     {"org_extra_contact_info", or_null(m.extra_contact_info)},
                     {"report_id", m.report_id},
                     {"begin_date", utc::format_datetime(m.begin)},
                     {"end_date", utc::format_datetime(m.end)},
                     {"timespan_requires_normalization", span > 86400},
                     {"original_timespan_seconds", span},
                     {"errors", m.errors},
                     {"generator", or_null(m.generator)}};
        json policy = {{"domain", p.domain}, {"adkim", or_null(p.adkim)}, {"aspf", or_null(p.aspf)},
                       {"p", or_null(p.p)},  {"sp", or_null(p.sp)},
                       {"pct", p.pct ? json(std::to_string(*p.pct)) : json(nullptr)},
                       {"fo", or_null(p.fo)}, {"np", or_null(p.np)}, {"testing", or_null(p.testing)},
                       {"discovery_method", or_null(p.discovery_method)}};
        begin_ = utc::format_datetime(m.begin);
        end_ = utc::format_datetime(m.end);
        std::printf("%s\n  {\"xml_schema\": %s, \"xml_namespace\": %s, \"report_metadata\": %s, \"policy_published\": %s, "
                    "\"dmarcsight\": %s, \"records\": [",
                    first_report_ ? "" : ",", dump(json(r.header.xml_schema)).c_str(),
                    dump(or_null(r.header.xml_namespace)).c_str(), dump(meta).c_str(), dump(policy).c_str(),
                    dump(json{{"id", r.id},
                              {"input", r.input_label},
                              {"warnings", r.totals.warnings},
                              {"dropped_records", r.totals.dropped_records},
                              {"raw_sha256", or_null(r.totals.raw_sha256)}})
                        .c_str());
        first_report_ = false;
        first_record_ = true;
        return {};
    }
    result<void> on_record(const report::record& rec) override {
        const bool spf = rec.spf == "pass", dkim = rec.dkim == "pass";
        json reasons = json::array();
        for (const auto& r : rec.reasons) reasons.push_back({{"type", r.type}, {"comment", or_null(r.comment)}});
        json dkim_results = json::array();
        for (const auto& d : rec.dkim_results)
            dkim_results.push_back({{"domain", d.domain}, {"selector", or_null(d.selector)}, {"result", d.result},
                                    {"human_result", or_null(d.human_result)}});
        json spf_results = json::array();
        for (const auto& s : rec.spf_results)
            spf_results.push_back({{"domain", s.domain}, {"scope", or_null(s.scope)}, {"result", s.result},
                                   {"human_result", or_null(s.human_result)}});
        json j = {{"source", {{"ip_address", rec.source_ip.to_string()}, {"reverse_dns", nullptr}, {"country", nullptr},
                              {"base_domain", nullptr}, {"name", nullptr}, {"type", nullptr}, {"asn", nullptr},
                              {"as_name", nullptr}, {"as_domain", nullptr}}},
                  {"count", rec.count},
                  {"alignment", {{"spf", spf}, {"dkim", dkim}, {"dmarc", spf || dkim}}},
                  {"policy_evaluated", {{"disposition", rec.disposition}, {"dkim", rec.dkim}, {"spf", rec.spf},
                                        {"policy_override_reasons", reasons}}},
                  {"identifiers", {{"envelope_from", or_null(rec.envelope_from)}, {"header_from", rec.header_from},
                                   {"envelope_to", or_null(rec.envelope_to)}}},
                  {"auth_results", {{"dkim", dkim_results}, {"spf", spf_results}}},
                  {"normalized_timespan", false},
                  {"interval_begin", begin_},
                  {"interval_end", end_}};
        std::printf("%s\n    %s", first_record_ ? "" : ",", dump(j).c_str());
        first_record_ = false;
        return {};
    }
    result<void> end_report() override {
        std::printf("]}");
        return {};
    }
    void finish() { std::printf("%s]\n", first_report_ ? "" : "\n"); }

private:
    bool first_report_ = true, first_record_ = true;
    std::string begin_, end_;
};

// parsedmarc 10's aggregate CSV columns, in its order.
constexpr const char* csv_columns[] = {
    "xml_schema", "org_name", "org_email", "org_extra_contact_info", "report_id", "begin_date", "end_date",
    "normalized_timespan", "errors", "domain", "adkim", "aspf", "p", "sp", "np", "pct", "fo", "testing",
    "discovery_method", "source_ip_address", "source_country", "source_reverse_dns", "source_base_domain",
    "source_name", "source_type", "source_asn", "source_as_name", "source_as_domain", "count", "spf_aligned",
    "dkim_aligned", "dmarc_aligned", "disposition", "policy_override_reasons", "policy_override_comments",
    "envelope_from", "header_from", "envelope_to", "dkim_domains", "dkim_selectors", "dkim_results", "spf_domains",
    "spf_scopes", "spf_results"};

class csv_exporter final : public store::report_visitor {
public:
    csv_exporter() {
        std::string line;
        for (const char* c : csv_columns) line += (line.empty() ? "" : ",") + std::string(c);
        std::printf("%s\n", line.c_str());
    }
    result<void> begin_report(const store::stored_report& r) override {
        const auto& m = r.header.metadata;
        const auto& p = r.header.policy;
        std::string errors;
        for (const auto& e : m.errors) errors += (errors.empty() ? "" : "|") + e;
        prefix_ = text::csv_line({r.header.xml_schema, m.org_name, m.email, m.extra_contact_info, m.report_id,
                        utc::format_datetime(m.begin), utc::format_datetime(m.end), "False", errors, p.domain, p.adkim,
                        p.aspf, p.p, p.sp, p.np, p.pct ? std::to_string(*p.pct) : "", p.fo, p.testing, p.discovery_method});
        return {};
    }
    result<void> on_record(const report::record& rec) override {
        std::string reasons, comments, dd, ds, dr, sd, ss, sr;
        for (const auto& x : rec.reasons) {
            reasons += (reasons.empty() ? "" : ",") + x.type;
            comments += (comments.empty() ? "" : ",") + x.comment;
        }
        for (const auto& d : rec.dkim_results) {
            const bool first = dd.empty() && ds.empty() && dr.empty();
            dd += (first ? "" : ",") + d.domain;
            ds += (first ? "" : ",") + d.selector;
            dr += (first ? "" : ",") + d.result;
        }
        for (const auto& s : rec.spf_results) {
            const bool first = sd.empty() && ss.empty() && sr.empty();
            sd += (first ? "" : ",") + s.domain;
            ss += (first ? "" : ",") + s.scope;
            sr += (first ? "" : ",") + s.result;
        }
        const bool spf = rec.spf == "pass", dkim = rec.dkim == "pass";
        const std::string row = text::csv_line({rec.source_ip.to_string(), "", "", "", "", "", "", "", "", std::to_string(rec.count),
                                      spf ? "True" : "False", dkim ? "True" : "False", spf || dkim ? "True" : "False",
                                      rec.disposition, reasons, comments, rec.envelope_from, rec.header_from,
                                      rec.envelope_to, dd, ds, dr, sd, ss, sr});
        std::printf("%s,%s\n", prefix_.c_str(), row.c_str());
        return {};
    }
    result<void> end_report() override { return {}; }

private:
    std::string prefix_;
};

}  // namespace

void register_export(CLI::App& app) {
    struct args {
        std::string db = default_db_path();
        std::string domain, since, until;
        std::string format = "json";
        std::string type = "aggregate";
    };
    auto a = std::make_shared<args>();
    auto* cmd = app.add_subcommand("export", "Write stored reports as JSON (parsedmarc's shapes) or CSV (parsedmarc's columns): aggregate, failure or SMTP TLS reports");
    cmd->add_option("--db", a->db, db_help)->capture_default_str();
    cmd->add_option("--format", a->format, "Output format")->check(CLI::IsMember({"json", "csv"}))->capture_default_str();
    cmd->add_option("--type", a->type, "Which reports: aggregate (DMARC), failure (DMARC failure reports, parsedmarc's forensic shape) or tls (SMTP TLS reports, RFC 8460; CSV: a row per policy and one per failure detail)")
        ->check(CLI::IsMember({"aggregate", "failure", "tls"}))
        ->capture_default_str();
    cmd->add_option("--domain", a->domain,
                    "Policy domain; '*.example.com' adds its subdomains. A domain with no stored reports at all "
                    "prints the stored domains on stderr and exits 1 (output stays valid, just empty)");
    cmd->add_option("--since", a->since,
                    "Reports beginning at or after this time: YYYY-MM-DD (UTC), RFC 3339 (2025-11-20T10:00:00Z, "
                    "...+02:00), or an age: 90m, 12h, 30d, 2w");
    cmd->add_option("--until", a->until, "Reports beginning before this time (same forms as --since)");
    cmd->callback([a] {
        store::query_filter f;
        if (!make_filter(a->domain, a->since, a->until, f)) return;
        auto db = open_store(a->db, store::open_mode::read_only);
        if (!db) return;
        if (a->type == "tls") {
            bool any = false;
            auto r = export_tls(*db, f, a->format == "csv", any);
            if (!r) {
                error_line(r.err().message);
                exit_code() = exit_usage;
            } else if (!any && !f.domain.empty()) {
                error_line("no SMTP TLS reports for domain '" + a->domain + "'");
                exit_code() = exit_findings;
            }
            return;
        }
        if (a->type == "failure") return export_failures(*db, f, a->format == "csv");
        check_domain_stored(*db, a->domain, f);
        result<void> r;
        if (a->format == "csv") {
            csv_exporter e;
            r = db->visit_reports(f, e);
        } else {
            std::printf("[");
            json_exporter e;
            r = db->visit_reports(f, e);
            e.finish();
        }
        if (!r) {
            error_line(r.err().message);
            exit_code() = exit_usage;
        }
    });
}

}  // namespace dmarcsight::cli
