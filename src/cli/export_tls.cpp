#include "cli/export_tls.hpp"

#include <cstdio>

#include "analyze/tls.hpp"
#include "cli/common.hpp"
#include "core/text.hpp"

namespace dmarcsight::cli {

using nlohmann::json;

namespace {
json or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }
}  // namespace

// parsedmarc's SMTP TLS report shape (its parse_smtp_tls_report_json): snake_case names, optional
// members only when the report has them. Two deliberate differences, where parsedmarc loses what
// the report says: mx-host (RFC 8460 §4.4, erratum 6241) is written as mx_host_patterns, which
// parsedmarc fills only from the draft name "mx-host-pattern"; and additional-information
// (§4.4) as additional_info_uri, which parsedmarc reads only from "additional-info-uri".
json tls_report_json(const store::stored_tls_report& sr) {
    const auto& r = sr.report;
    json policies = json::array();
    for (const auto& p : r.policies) {
        json pj = {{"policy_domain", p.policy_domain}, {"policy_type", p.policy_type}};
        if (!p.policy_string.empty()) pj["policy_strings"] = p.policy_string;
        if (!p.mx_host.empty()) pj["mx_host_patterns"] = p.mx_host;
        pj["successful_session_count"] = p.total_successful_session_count;
        pj["failed_session_count"] = p.total_failure_session_count;
        if (!p.failure_details.empty()) {
            json details = json::array();
            for (const auto& f : p.failure_details) {
                json fj = {{"result_type", f.result_type}, {"failed_session_count", f.failed_session_count}};
                if (!f.sending_mta_ip.empty()) fj["sending_mta_ip"] = f.sending_mta_ip;
                if (!f.receiving_ip.empty()) fj["receiving_ip"] = f.receiving_ip;
                if (!f.receiving_mx_hostname.empty()) fj["receiving_mx_hostname"] = f.receiving_mx_hostname;
                if (!f.receiving_mx_helo.empty()) fj["receiving_mx_helo"] = f.receiving_mx_helo;
                if (!f.additional_information.empty()) fj["additional_info_uri"] = f.additional_information;
                if (!f.failure_reason_code.empty()) fj["failure_reason_code"] = f.failure_reason_code;
                details.push_back(std::move(fj));
            }
            pj["failure_details"] = std::move(details);
        }
        policies.push_back(std::move(pj));
    }
    return {{"organization_name", r.organization_name},
            {"begin_date", r.start_datetime},
            {"end_date", r.end_datetime},
            {"contact_info", r.contact_info},
            {"report_id", r.report_id},
            {"policies", std::move(policies)},
            {"dmarcsight", {{"id", sr.id}, {"input", sr.input_label}, {"warnings", r.warnings},
                            {"raw_sha256", or_null(sr.raw_sha256)}}}};
}

namespace {

// parsedmarc's parsed_smtp_tls_reports_to_csv columns, in its order.
constexpr const char* csv_columns[] = {
    "organization_name", "begin_date", "end_date", "report_id", "result_type", "successful_session_count",
    "failed_session_count", "policy_domain", "policy_type", "policy_strings", "mx_host_patterns", "sending_mta_ip",
    "receiving_ip", "receiving_mx_hostname", "receiving_mx_helo", "additional_info_uri", "failure_reason_code"};

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : "|") + s;
    return out;
}

void csv_row(std::initializer_list<std::string_view> cells) { std::printf("%s\n", text::csv_line(cells).c_str()); }

// parsedmarc writes the policy's domain and type on its totals row only; a failure detail's row
// carries them too here, so each row says which policy it belongs to.
void csv_rows(const report::tls_report& r) {
    for (const auto& p : r.policies) {
        const std::string strings = joined(p.policy_string), mx = joined(p.mx_host);
        csv_row({r.organization_name, r.start_datetime, r.end_datetime, r.report_id, "",
                 std::to_string(p.total_successful_session_count), std::to_string(p.total_failure_session_count),
                 p.policy_domain, p.policy_type, strings, mx, "", "", "", "", "", ""});
        for (const auto& d : p.failure_details)
            csv_row({r.organization_name, r.start_datetime, r.end_datetime, r.report_id, d.result_type, "",
                     std::to_string(d.failed_session_count), p.policy_domain, p.policy_type, strings, mx, d.sending_mta_ip,
                     d.receiving_ip, d.receiving_mx_hostname, d.receiving_mx_helo, d.additional_information,
                     d.failure_reason_code});
    }
}

}  // namespace

result<void> export_tls(store::store& db, const store::query_filter& f, bool csv, bool& any) {
    begin_export(csv_columns, csv);
    bool first = true;
    auto r = db.visit_tls_reports(f, [&](const store::stored_tls_report& sr) -> result<void> {
        store::stored_tls_report shown = sr;
        if (!f.domain.empty()) {
            std::erase_if(shown.report.policies,
                          [&](const report::tls_policy& p) { return !analyze::tls_domain_selected(f, p.policy_domain); });
            if (shown.report.policies.empty()) return {};
        }
        if (csv) csv_rows(shown.report);
        else std::printf("%s\n  %s", first ? "" : ",", json_text(tls_report_json(shown)).c_str());
        first = false;
        return {};
    });
    if (!csv) std::printf("%s]\n", first ? "" : "\n");
    any = !first;
    return r;
}


}  // namespace dmarcsight::cli
