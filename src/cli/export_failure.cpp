#include "cli/export_failure.hpp"

#include <cstdio>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace dmarcsight::cli {

namespace {

using json = nlohmann::json;

json str_or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

// "Name <local@domain>" → parsedmarc's {display_name, address, local, domain}.
json address_json(std::string_view v) {
    std::string display, address;
    const auto lt = v.rfind('<');
    const auto gt = lt == std::string_view::npos ? std::string_view::npos : v.find('>', lt);
    if (gt != std::string_view::npos) {
        address = std::string(text::trim(v.substr(lt + 1, gt - lt - 1)));
        std::string_view d = text::trim(v.substr(0, lt));
        if (d.size() >= 2 && d.front() == '"' && d.back() == '"') d = d.substr(1, d.size() - 2);
        display = std::string(d);
    } else {
        address = std::string(text::trim(v));
    }
    const auto at = address.rfind('@');
    return {{"display_name", str_or_null(display)},
            {"address", address},
            {"local", at == std::string::npos ? json(nullptr) : json(address.substr(0, at))},
            {"domain", at == std::string::npos ? json(nullptr) : json(text::ascii_lower(address.substr(at + 1)))}};
}

// The To value's addresses (commas outside quotes and angle brackets separate them).
json address_list(std::string_view v) {
    json out = json::array();
    std::size_t start = 0;
    bool quoted = false;
    int angle = 0;
    for (std::size_t i = 0; i <= v.size(); ++i) {
        const char c = i < v.size() ? v[i] : ',';
        if (c == '"') quoted = !quoted;
        else if (c == '<') ++angle;
        else if (c == '>' && angle > 0) --angle;
        else if (c == ',' && !quoted && angle == 0) {
            const std::string_view one = text::trim(v.substr(start, i - start));
            if (!one.empty()) out.push_back(address_json(one));
            start = i + 1;
        }
    }
    return out;
}

// parsedmarc's parsed_forensic_reports_to_csv columns, in its order.
constexpr const char* csv_columns[] = {
    "feedback_type", "user_agent", "version", "original_envelope_id", "original_mail_from", "original_rcpt_to",
    "arrival_date", "arrival_date_utc", "subject", "message_id", "authentication_results", "dkim_domain",
    "source_ip_address", "source_country", "source_reverse_dns", "source_base_domain", "source_name", "source_type",
    "delivery_result", "auth_failure", "reported_domain", "authentication_mechanisms", "sample_headers_only"};

// A JSON value as parsedmarc's csv.DictWriter writes it: None → "", booleans True / False, lists
// joined with ',' (auth_failure, authentication_mechanisms).
std::string cell(const json& v) {
    if (v.is_null()) return "";
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
    if (v.is_array()) {
        std::string out;
        for (const auto& e : v) out += (out.empty() ? "" : ",") + cell(e);
        return out;
    }
    return v.dump();
}

void csv_line(const json& j) {
    std::string line;
    for (const char* c : csv_columns) {
        const std::string_view name = c;
        json v;
        if (name.starts_with("source_")) v = j["source"].value(std::string(name.substr(7)), json(nullptr));
        else if (name == "subject") v = j["parsed_sample"].is_object() ? j["parsed_sample"]["subject"] : json(nullptr);
        else v = j.value(std::string(name), json(nullptr));
        line += (line.empty() ? "" : ",") + text::csv_cell(cell(v));
    }
    std::printf("%s\n", line.c_str());
}

}  // namespace

json failure_json(const store::stored_failure& row) {
    const auto& r = row.report;
    json j;
    j["feedback_type"] = r.feedback_type;
    j["user_agent"] = str_or_null(r.user_agent);
    j["version"] = str_or_null(r.version);
    j["original_envelope_id"] = str_or_null(r.original_envelope_id);
    j["original_mail_from"] = str_or_null(r.original_mail_from);
    j["original_rcpt_to"] = r.original_rcpt_to.empty() ? json(nullptr) : json(r.original_rcpt_to.front());
    j["arrival_date"] = str_or_null(r.arrival_date);
    j["arrival_date_utc"] = r.arrival_epoch ? json(utc::format_datetime(*r.arrival_epoch)) : json(nullptr);
    j["message_id"] = str_or_null(r.message_id);
    std::string ar;
    for (const auto& a : r.authentication_results) ar += (ar.empty() ? "" : "\n") + a;
    j["authentication_results"] = str_or_null(ar);
    j["delivery_result"] = str_or_null(r.delivery_result);
    j["auth_failure"] = r.auth_failure;
    // parsedmarc: the mechanisms Identity-Alignment names as aligned (RFC 9991 §4).
    json mech = json::array();
    const std::string ia = text::ascii_lower(r.identity_alignment);
    if (ia.find("spf") != std::string::npos) mech.push_back("spf");
    if (ia.find("dkim") != std::string::npos) mech.push_back("dkim");
    j["authentication_mechanisms"] = mech;
    j["dkim_domain"] = str_or_null(r.dkim_domain);
    j["dkim_selector"] = str_or_null(r.dkim_selector);
    j["reported_domain"] = str_or_null(r.policy_domain());
    j["reporting_mta"] = str_or_null(r.reporting_mta);
    j["source"] = {{"ip_address", str_or_null(r.source_ip)}, {"reverse_dns", nullptr}, {"country", nullptr},
                   {"base_domain", nullptr},                 {"name", nullptr},        {"type", nullptr},
                   {"asn", nullptr},                         {"as_name", nullptr},     {"as_domain", nullptr}};
    j["sample_headers_only"] = r.sample.headers_only;
    j["best_effort"] = r.best_effort;
    j["redacted"] = r.redacted;
    if (r.has_sample) {
        const auto& s = r.sample;
        std::string raw;
        json headers = json::object();
        for (const auto& [n, v] : s.headers) {
            raw += n + ": " + v + "\n";
            if (!headers.contains(n)) headers[n] = v;
        }
        if (!s.headers_only) raw += "\n" + s.body;
        j["sample"] = raw;
        json p;
        p["subject"] = str_or_null(s.subject);
        p["date"] = str_or_null(s.date);
        p["message-id"] = str_or_null(s.message_id);
        p["from"] = s.from.empty() ? json(nullptr) : address_json(s.from);
        p["to"] = address_list(s.to);
        json received = json::array();
        for (std::size_t i = 0; i < s.received.size(); ++i) received.push_back({{"hop", i + 1}, {"raw", s.received[s.received.size() - 1 - i]}});
        p["received"] = received;
        p["headers"] = headers;
        p["body"] = s.headers_only ? json(nullptr) : json(s.body);
        j["parsed_sample"] = p;
    } else {
        j["sample"] = nullptr;
        j["parsed_sample"] = nullptr;
    }
    return j;
}

void export_failures(store::store& db, const store::query_filter& q, bool csv) {
    store::failure_filter f;
    f.domain = q.domain;
    f.include_subdomains = q.include_subdomains;
    f.since = q.since;
    f.until = q.until;
    begin_export(csv_columns, csv);
    bool first = true;
    auto r = db.visit_failure_reports(f, [&](const store::stored_failure& row) -> result<void> {
        if (csv) csv_line(failure_json(row));
        else std::printf("%s\n  %s", first ? "" : ",", json_text(failure_json(row)).c_str());
        first = false;
        return {};
    });
    if (!csv) std::printf("%s]\n", first ? "" : "\n");
    if (!r) {
        error_line(r.err().message);
        exit_code() = exit_usage;
    }
}

}  // namespace dmarcsight::cli
