#include "views/analysis.hpp"

#include "core/time.hpp"

namespace dmarcsight::views {

namespace {

using json = nlohmann::json;

json share_or_null(std::int64_t part, std::int64_t whole) {
    if (whole <= 0) return nullptr;
    return static_cast<double>(part) / static_cast<double>(whole);
}

json text_or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json counted_json(const std::vector<analyze::counted>& v, const char* key) {
    json a = json::array();
    for (const auto& c : v) a.push_back({{key, c.name}, {"reports", c.reports}});
    return a;
}

json result_types_json(const analyze::tls_sessions& s) {
    json out = json::array();
    for (const auto& r : s.result_types) out.push_back({{"result_type", r.result_type}, {"sessions", r.sessions}});
    return out;
}

void add_sessions(json& j, const analyze::tls_sessions& s) {
    j["sessions_successful"] = s.successful;
    j["sessions_failed"] = s.failed;
    j["failure_share"] = s.failure_share();
    j["result_types"] = result_types_json(s);
}

}  // namespace

json source_json(const analyze::source_row& r, bool grouped) {
    const auto& m = r.s.m;
    json j;
    j["policy_domain"] = r.s.policy_domain;
    if (grouped) {
        j["source_ips"] = r.source_ips;
        j["sample_ips"] = r.sample_ips;
    } else {
        j["source_ip"] = r.s.source_ip;
    }
    j["ptr"] = r.ip ? text_or_null(r.ip->ptr) : json(nullptr);
    j["fcrdns"] = r.ip && r.ip->status != "error" ? json(r.ip->fcrdns) : json(nullptr);
    j["base_domain"] = r.ip ? text_or_null(r.ip->base_domain) : json(nullptr);
    j["asn"] = r.ip && r.ip->asn ? json(*r.ip->asn) : json(nullptr);
    j["as_name"] = r.ip ? text_or_null(r.ip->as_name) : json(nullptr);
    j["country"] = r.ip ? text_or_null(r.ip->country) : json(nullptr);
    j["service"] = r.service ? json(r.service->name) : json(nullptr);
    j["service_type"] = r.service ? json(r.service->type) : json(nullptr);
    j["class"] = std::string(analyze::to_string(r.c.cls));
    j["reason"] = r.c.reason;
    j["fix"] = text_or_null(r.c.fix);
    j["failing_mechanism"] = text_or_null(r.c.failing_mechanism);
    j["certain"] = r.c.certain;
    j["messages"] = m.messages;
    j["dmarc_pass_messages"] = m.dmarc_pass;
    j["dmarc_pass_share"] = share_or_null(m.dmarc_pass, m.messages);
    j["spf_aligned_messages"] = m.spf_aligned;
    j["dkim_aligned_messages"] = m.dkim_aligned;
    j["none_messages"] = m.disposition_none;
    j["quarantine_messages"] = m.disposition_quarantine;
    j["reject_messages"] = m.disposition_reject;
    j["header_from"] = r.s.header_from;
    j["reporters"] = r.s.reporters;
    j["days_active"] = r.s.days_active;
    j["first_seen"] = r.s.first_day.text();
    j["last_seen"] = r.s.last_day.text();
    j["evidence"] = {{"envelope_aligned_messages", m.envelope_aligned},
                     {"spf_pass_foreign_messages", m.spf_pass_foreign},
                     {"spf_fail_messages", m.spf_fail},
                     {"dkim_aligned_pass_messages", m.dkim_aligned_pass},
                     {"dkim_aligned_fail_messages", m.dkim_aligned_fail},
                     {"dkim_foreign_pass_messages", m.dkim_foreign_pass},
                     {"forwarded_messages", m.reason_forwarded + m.reason_trusted_forwarder},
                     {"arc_pass_messages", m.reason_arc_pass},
                     {"mailing_list_messages", m.reason_mailing_list},
                     {"foreign_spf_domain", text_or_null(r.s.foreign_spf_domain)},
                     {"foreign_dkim_domain", text_or_null(r.s.foreign_dkim_domain)}};
    return j;
}

json failure_only_source_json(const store::failure_source_count& c) {
    analyze::source_row only;
    only.s.policy_domain = c.policy_domain;
    only.s.source_ip = c.source_ip;
    only.s.first_day = analyze::compact_day::of(utc::format_date(c.first_time));
    only.s.last_day = analyze::compact_day::of(utc::format_date(c.last_time));
    only.c.reason = "seen only in DMARC failure reports: no aggregate report counts its messages";
    json j = source_json(only, false);
    j["failure_reports"] = c.reports;
    j["seen_only_in_failure_reports"] = true;
    return j;
}

json trend_json(const analyze::trend_row& r, bool weeks) {
    json j;
    j["domain"] = r.domain;
    j["day"] = utc::format_date(r.day * 86400);
    if (weeks) {
        j["week"] = analyze::iso_week(r.day);
        j["days"] = r.days;
    }
    j["messages"] = r.messages;
    j["dmarc_pass_messages"] = r.dmarc_pass;
    j["dmarc_pass_share"] = share_or_null(r.dmarc_pass, r.messages);
    j["unauthorized_messages"] = r.unauthorized;
    json classes = json::object();
    for (std::size_t i = 0; i < analyze::trend_classes.size(); ++i)
        classes[std::string(analyze::to_string(analyze::trend_classes[i]))] = r.class_messages[i];
    j["class_messages"] = std::move(classes);
    return j;
}

json mute_json(const store::mute_row& m) {
    return {{"id", m.id},     {"domain", m.domain}, {"source", m.source},
            {"kind", m.kind}, {"until", m.until_day}, {"note", m.note}, {"created_at", utc::format_iso8601(m.created_at)}};
}

json alert_json(const alerts::alert_view& v) {
    json j;
    j["id"] = v.id;
    j["day"] = v.a.day;
    j["kind"] = std::string(analyze::to_string(v.a.kind));
    j["domain"] = v.a.domain;
    j["source"] = text_or_null(v.a.source);
    j["reporter"] = text_or_null(v.a.reporter);
    j["severity"] = v.severity;
    j["detail"] = v.a.detail;
    j["state"] = v.state;
    j["settled"] = v.settled;
    if (v.acked_at != 0) {
        j["acked_at"] = utc::format_iso8601(v.acked_at);
        j["ack_note"] = text_or_null(v.ack_note);
    }
    if (v.muted_by != 0) j["muted_by"] = v.muted_by;
    json d = json::array();
    for (const auto& x : v.deliveries) {
        d.push_back({{"channel", x.channel},
                     {"attempts", x.attempts},
                     {"delivered_at", x.delivered_at ? json(utc::format_iso8601(x.delivered_at)) : json(nullptr)},
                     {"last_error", text_or_null(x.last_error)}});
    }
    j["deliveries"] = d;
    return j;
}

json failures_document(const analyze::failure_summary& s) {
    json j;
    j["failure_reports"] = s.reports;
    j["best_effort"] = s.best_effort;
    j["redacted"] = s.redacted;
    json src = json::array();
    for (const auto& t : s.top_sources)
        src.push_back({{"policy_domain", t.policy_domain},
                       {"source_ip", t.source_ip},
                       {"failure_reports", t.reports},
                       {"last_seen", utc::format_iso8601(t.last_time)}});
    j["top_sources"] = src;
    j["auth_failures"] = counted_json(s.auth_failures, "auth_failure");
    j["dkim"] = counted_json(s.dkim, "domain_selector");
    j["reporters"] = counted_json(s.reporters, "reporter");
    if (s.latest) {
        json h = json::array();
        for (const auto& [n, v] : s.latest_headers) h.push_back({{"name", n}, {"value", v}});
        j["latest_sample"] = {{"id", s.latest->id},
                              {"policy_domain", s.latest->report.policy_domain()},
                              {"source_ip", s.latest->report.source_ip},
                              {"arrival_date", utc::format_iso8601(s.latest->report_time)},
                              {"headers", h}};
    } else {
        j["latest_sample"] = nullptr;
    }
    return j;
}

json tls_document(const analyze::tls_overview& o) {
    json j = {{"reports", o.reports}};
    add_sessions(j, o.sessions);
    json domains = json::array();
    for (const auto& d : o.domains) {
        json dj = {{"policy_domain", d.policy_domain.empty() ? json(nullptr) : json(d.policy_domain)},
                   {"reports", d.reports},
                   {"policies", d.policies},
                   {"policy_types", d.policy_types}};
        add_sessions(dj, d.sessions);
        json mx = json::array();
        for (const auto& m : d.mx_hosts) {
            json mj = {{"mx_host", m.mx_host.empty() ? json(nullptr) : json(m.mx_host)}, {"policies", m.policies}};
            add_sessions(mj, m.sessions);
            mx.push_back(std::move(mj));
        }
        dj["mx_hosts"] = std::move(mx);
        domains.push_back(std::move(dj));
    }
    j["domains"] = std::move(domains);
    return j;
}

}  // namespace dmarcsight::views
