#include "web/metrics.hpp"

#include <cstdio>
#include <map>

#include "core/text.hpp"
#include "views/documents.hpp"

namespace dmarcsight::web {

namespace {

void gauge(std::string& out, const char* name, const char* help, std::int64_t v) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += " gauge\n";
    out += name;
    out += ' ';
    out += std::to_string(v);
    out += '\n';
}

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6f", v);
    return buf;
}

}  // namespace

std::string metrics_label_value(std::string_view v) {
    std::string s(v);
    text::repair_utf8(s);
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

result<std::string> metrics_text(store::store& db) {
    // The totals are the stats document's: /metrics and /api/v1/stats never disagree.
    auto st = views::stats_document(db);
    if (!st) return unexpected{st.err()};
    auto domains = db.domains(store::fact_filter{});
    if (!domains) return unexpected{domains.err()};
    const auto n = [&](const char* k) { return (*st)[k].get<std::int64_t>(); };
    std::string out;
    gauge(out, "dmarcsight_aggregate_reports", "Aggregate reports stored.", n("aggregate_reports"));
    gauge(out, "dmarcsight_records", "Aggregate report records stored.", n("records"));
    gauge(out, "dmarcsight_messages", "Messages the stored aggregate reports count.", n("messages"));
    gauge(out, "dmarcsight_failure_reports", "Failure (forensic) reports stored.", n("failure_reports"));
    gauge(out, "dmarcsight_tls_reports", "SMTP TLS reports stored.", n("tls_reports"));
    gauge(out, "dmarcsight_rejected_inputs", "Inputs rejected (not a report, or damaged).", n("rejected_inputs"));
    gauge(out, "dmarcsight_duplicate_inputs", "Inputs that held reports already stored.", n("duplicate_inputs"));
    gauge(out, "dmarcsight_policy_domains", "Policy domains with stored reports.", n("policy_domains"));
    out += "# HELP dmarcsight_domain_messages Messages per policy domain.\n# TYPE dmarcsight_domain_messages gauge\n";
    for (const auto& d : *domains)
        out += "dmarcsight_domain_messages{domain=\"" + metrics_label_value(d.policy_domain) + "\"} " + std::to_string(d.messages) + "\n";
    out += "# HELP dmarcsight_domain_dmarc_pass_share Share of a policy domain's messages that passed DMARC (0..1).\n"
           "# TYPE dmarcsight_domain_dmarc_pass_share gauge\n";
    for (const auto& d : *domains)
        if (d.messages > 0)
            out += "dmarcsight_domain_dmarc_pass_share{domain=\"" + metrics_label_value(d.policy_domain) + "\"} " +
                   number(static_cast<double>(d.dmarc_pass) / static_cast<double>(d.messages)) + "\n";
    // The alerts the alerts run kept (what fired, settled or not), per domain, open ones apart
    // from acknowledged ones.
    auto kept = db.kept_alerts();
    if (!kept) return unexpected{kept.err()};
    std::map<std::pair<std::string, bool>, std::int64_t> alerts;
    for (const auto& a : *kept) ++alerts[{a.domain, a.acked_at != 0}];
    out += "# HELP dmarcsight_alerts Alerts kept by the alerts run, per policy domain, by whether they were acknowledged.\n"
           "# TYPE dmarcsight_alerts gauge\n";
    for (const auto& [key, n] : alerts)
        out += "dmarcsight_alerts{domain=\"" + metrics_label_value(key.first) + "\",state=\"" + (key.second ? "acked" : "open") + "\"} " +
               std::to_string(n) + "\n";
    return out;
}

std::string serve_metrics_text(const serve_counters& c) {
    const auto n = [](std::uint64_t v) { return std::to_string(v); };
    return "# HELP dmarcsight_serve_answers_total Analysis answers given, by whether they were kept or computed for the request.\n"
           "# TYPE dmarcsight_serve_answers_total counter\n"
           "dmarcsight_serve_answers_total{from=\"kept\"} " + n(c.kept) + "\n"
           "dmarcsight_serve_answers_total{from=\"computed\"} " + n(c.computed) + "\n"
           "# HELP dmarcsight_serve_prefetched_total Answers computed ahead of any request and kept.\n"
           "# TYPE dmarcsight_serve_prefetched_total counter\n"
           "dmarcsight_serve_prefetched_total " + n(c.ahead) + "\n"
           "# HELP dmarcsight_serve_prefetch_rounds_total Rounds of answers computed ahead that ran to the end.\n"
           "# TYPE dmarcsight_serve_prefetch_rounds_total counter\n"
           "dmarcsight_serve_prefetch_rounds_total " + n(c.ahead_rounds) + "\n";
}

}  // namespace dmarcsight::web
