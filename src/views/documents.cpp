#include "views/documents.hpp"

#include <algorithm>

#include "core/text.hpp"
#include "core/time.hpp"

namespace dmarcsight::views {

namespace {
using json = nlohmann::json;

json iso_or_null(const std::optional<std::int64_t>& t) { return t ? json(utc::format_iso8601(*t)) : json(nullptr); }
}  // namespace

std::string document_text(const json& j, int indent) {
    std::string out = j.dump(indent, ' ', false, json::error_handler_t::replace);
    // Only bytes from DEL up can need an escape: a document without any is handed over as it is
    // (a policy JSON of every source is tens of megabytes).
    const bool plain = std::all_of(out.begin(), out.end(), [](char c) { return static_cast<unsigned char>(c) < 0x7F; });
    return plain ? out : text::escape_json_controls(out);
}

store::fact_filter fact_window(const store::query_filter& f) {
    store::fact_filter out;
    out.domain = f.domain;
    out.include_subdomains = f.include_subdomains;
    if (f.since) out.since_day = utc::format_date(utc::day_of(*f.since) * 86400);
    if (f.until) {
        std::int64_t d = utc::day_of(*f.until);
        if (d * 86400 < *f.until) ++d;
        out.until_day = utc::format_date(d * 86400);
    }
    return out;
}

result<json> stats_document(store::store& db) {
    auto s = db.stats();
    if (!s) return unexpected{s.err()};
    auto tls = db.tls_stats();
    if (!tls) return unexpected{tls.err()};
    auto failures = db.failure_report_count();
    if (!failures) return unexpected{failures.err()};
    json j = json::object();
    j["aggregate_reports"] = s->aggregate_reports;
    j["records"] = s->records;
    j["messages"] = s->messages;
    j["rejected_inputs"] = s->rejected_inputs;
    j["skipped_inputs"] = s->skipped_inputs;
    j["duplicate_inputs"] = s->duplicate_inputs;
    j["policy_domains"] = s->policy_domains;
    // SMTP TLS reports (RFC 8460): reports, their policies, and the sessions their summaries count.
    j["tls_reports"] = tls->reports;
    j["tls_policies"] = tls->policies;
    j["tls_sessions_successful"] = tls->sessions_successful;
    j["tls_sessions_failed"] = tls->sessions_failed;
    j["failure_reports"] = *failures;
    j["first_begin"] = iso_or_null(s->first_begin);
    j["last_end"] = iso_or_null(s->last_end);
    return j;
}

result<json> domains_document(store::store& db, const store::fact_filter& window) {
    auto rows = db.domains(window);
    if (!rows) return unexpected{rows.err()};
    json out = json::array();
    for (const auto& d : *rows) {
        json e = json::object();
        e["policy_domain"] = d.policy_domain;
        e["reports"] = d.reports;
        e["messages"] = d.messages;
        e["dmarc_pass_messages"] = d.dmarc_pass;
        e["dmarc_pass_share"] = d.messages > 0 ? json(static_cast<double>(d.dmarc_pass) / static_cast<double>(d.messages)) : json(nullptr);
        e["sources"] = d.sources;
        e["first_seen"] = d.first_day;
        e["last_seen"] = d.last_day;
        e["last_report_end"] = iso_or_null(d.last_report_end);
        out.push_back(std::move(e));
    }
    return out;
}

}  // namespace dmarcsight::views
