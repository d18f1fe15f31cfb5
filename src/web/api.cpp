// The analysis paths of the JSON API: each answers the document the CLI prints with
// `--format json` for the same options (src/views), restricted to the caller's domains.
//
// Per-domain access (issue 12: an MSP's customers never see each other): a `domain` parameter
// must be one the account sees (403 otherwise, the same answer whether or not it is stored);
// without one, an all-domains account gets every row and any other account the rows of its own
// domains only. Documents that sum over domains (failures, tls) need a domain from such accounts.
#include "analyze/failures.hpp"
#include "analyze/policy.hpp"
#include "analyze/sources.hpp"
#include "analyze/tls.hpp"
#include "analyze/trends.hpp"
#include "core/time.hpp"
#include "views/analysis.hpp"
#include "views/documents.hpp"
#include "views/policy.hpp"
#include "web/http.hpp"

namespace dmarcsight::web {

namespace {

using json = nlohmann::json;

// The first of several parameters that was refused, with its reason.
template <class... R>
std::optional<std::string> first_error(const R&... r) {
    std::optional<std::string> e;
    ((!e && !r ? (e = r.err().message, 0) : 0), ...);
    return e;
}

// The request's filter, refused (400, 403) when malformed or not the caller's.
std::optional<store::query_filter> checked_filter(const caller& c, const httplib::Request& req, httplib::Response& res) {
    auto f = filter_of(req);
    if (!f) {
        send_error(res, 400, f.err().message);
        return std::nullopt;
    }
    if (!f->domain.empty() && !c.who.sees(f->domain)) {
        send_error(res, 403, "domain " + f->domain + " is not one of account '" + c.who.name + "''s domains");
        return std::nullopt;
    }
    return *f;
}

// For documents that add up every domain: an account limited to some domains names one.
bool needs_domain(const caller& c, const store::query_filter& f, httplib::Response& res) {
    if (c.who.all_domains || !f.domain.empty()) return true;
    send_error(res, 400, "give domain= (one of your domains): this document adds up every domain it covers");
    return false;
}

result<std::vector<store::label_row>> labels_of(route_env& env) {
    if (!env.ctx.labels) return std::vector<store::label_row>();
    return env.ctx.labels(env.db);
}

void set_total(httplib::Response& res, std::size_t total) { res.set_header("X-Total-Count", std::to_string(total)); }

// GET /api/v1/sources?domain&since&until&class&group&failing&limit&offset
void sources(route_env& env, const caller& c, const httplib::Request& req, httplib::Response& res) {
    auto f = checked_filter(c, req, res);
    if (!f) return;
    auto group = query_word(req, "group", {"ip", "service", "base-domain", "country"}, "ip");
    auto cls = query_value(req, "class");
    auto failing = query_word(req, "failing", {"0", "1", "false", "true"}, "0");
    auto limit = query_number(req, "limit", 0, 1000000, default_page_rows);
    auto offset = query_number(req, "offset", 0, 100000000, 0);
    if (auto e = first_error(group, cls, failing, limit, offset)) return send_error(res, 400, *e);
    analyze::sources_query q;
    q.filter = views::fact_window(*f);
    if (!cls->empty()) {
        q.only = analyze::parse_source_class(*cls);
        if (!q.only) return send_error(res, 400, "parameter class: not a class (" + std::string(analyze::source_class_names) + ")");
    }
    q.group = *group == "service"       ? analyze::group_by::service
              : *group == "base-domain" ? analyze::group_by::base_domain
              : *group == "country"     ? analyze::group_by::country
                                        : analyze::group_by::ip;
    const bool grouped = q.group != analyze::group_by::ip;
    const bool only_failing = *failing == "1" || *failing == "true";
    // Failing IPs the analysis chooses itself (the store sums DMARC passes beside the messages);
    // failing groups (a group is failing when its members' sum is) are filtered here.
    q.failing_only = only_failing && !grouped;
    const bool failing_groups = only_failing && grouped;
    const auto first = static_cast<std::size_t>(*offset);
    const auto rows = static_cast<std::size_t>(*limit);
    // Without a row filter of our own the analysis keeps only the largest first+rows sources;
    // with one (failing groups, or another account's rows) every source is looked at.
    const bool filtered = failing_groups || (!c.who.all_domains && f->domain.empty());
    std::size_t matched = 0;
    if (!filtered && rows > 0) {
        q.limit = first + rows;
        q.matched = &matched;
    }
    std::lock_guard lock(env.db_mu);
    auto labels = labels_of(env);
    if (!labels) return send_error(res, 500, labels.err().message);
    // As the CLI's JSON: each source's failure reports, and with every row asked for, the
    // sources that only failure reports name.
    std::optional<analyze::failure_join> failures;
    if (!grouped) {
        auto counts = env.db.failure_counts_by_source(q.filter);
        if (!counts) return send_error(res, 500, counts.err().message);
        failures.emplace(*counts);
    }
    json out = json::array();
    std::size_t seen = 0;
    auto r = analyze::list_sources(env.db, q, env.ctx.services, *labels, [&](const analyze::source_row& row) -> result<void> {
        if (!c.who.sees(row.s.policy_domain)) return {};
        if (failing_groups && row.s.m.dmarc_pass >= row.s.m.messages) return {};
        const std::size_t i = seen++;
        if (i < first || (rows > 0 && i >= first + rows)) return {};
        json j = views::source_json(row, grouped);
        if (failures) j["failure_reports"] = failures->take(row.s.policy_domain, row.s.source_ip);
        out.push_back(std::move(j));
        return {};
    });
    if (!r) return send_error(res, 500, r.err().message);
    if (failures && rows == 0 && !q.only && !only_failing) {
        for (const auto& u : failures->untaken()) {
            if (!c.who.sees(u.policy_domain)) continue;
            if (seen++ >= first) out.push_back(views::failure_only_source_json(u));
        }
    }
    set_total(res, filtered || rows == 0 ? seen : matched);
    send_json(res, 200, out);
}

std::optional<analyze::policy_action> action_param(const httplib::Request& req, const char* name, httplib::Response& res, bool& bad) {
    auto v = query_word(req, name, {"none", "quarantine", "reject"}, "");
    if (!v) {
        bad = true;
        send_error(res, 400, v.err().message);
        return std::nullopt;
    }
    if (v->empty()) return std::nullopt;
    return analyze::parse_policy_action(*v);
}

// GET /api/v1/policy?domain&p&sp&np&pct&testing&adkim&aspf&since&until&sources — `policy
// --offline`; sources=N keeps the N largest affected sources (the overview needs the verdict, not
// a botnet's hundreds of thousands of rows).
void policy(route_env& env, const caller& c, const httplib::Request& req, httplib::Response& res) {
    auto f = checked_filter(c, req, res);
    if (!f) return;
    if (f->domain.empty() || f->include_subdomains)
        return send_error(res, 400, "give domain= one policy domain (its subdomains' mail is simulated under sp and np)");
    bool bad = false;
    analyze::candidate_policy cand;
    cand.p = action_param(req, "p", res, bad).value_or(analyze::policy_action::reject);
    if (!bad) cand.sp = action_param(req, "sp", res, bad);
    if (!bad) cand.np = action_param(req, "np", res, bad);
    if (bad) return;
    auto pct = query_number(req, "pct", 0, 100, 100);
    auto testing = query_word(req, "testing", {"y", "n"}, "n");
    auto adkim = query_word(req, "adkim", {"r", "s"}, "");
    auto aspf = query_word(req, "aspf", {"r", "s"}, "");
    auto shown = query_number(req, "sources", 0, 100000000, 0);
    if (auto e = first_error(pct, testing, adkim, aspf, shown)) return send_error(res, 400, *e);
    cand.pct = static_cast<int>(*pct);
    cand.testing = *testing == "y";
    analyze::policy_load_options o;
    o.window = views::fact_window(*f);
    if (!adkim->empty()) o.adkim = (*adkim)[0];
    if (!aspf->empty()) o.aspf = (*aspf)[0];
    std::lock_guard lock(env.db_mu);
    auto labels = labels_of(env);
    if (!labels) return send_error(res, 500, labels.err().message);
    auto in = analyze::load_policy_inputs(env.db, o, env.ctx.services, *labels);
    if (!in) return send_error(res, 500, in.err().message);
    cand.adkim = o.adkim.value_or(in->published.adkim_mode());
    cand.aspf = o.aspf.value_or(in->published.aspf_mode());
    cand.fo = in->published.fo;
    const analyze::simulation sim = analyze::simulate(*in, cand);
    const analyze::policy_plan plan = analyze::staged_path(*in, cand);
    const analyze::failure_report_rates fr = analyze::failure_reports(*in);
    const views::policy_dns offline;  // the server asks no DNS: existence unknown, as `policy --offline`
    const views::policy_view view{*in, cand, o.window, sim, plan, fr, offline, nullptr, "", static_cast<std::size_t>(*shown)};
    send_json(res, 200, views::policy_document(view));
}

// GET /api/v1/trends?domain&by&since&until
void trends(route_env& env, const caller& c, const httplib::Request& req, httplib::Response& res) {
    auto f = checked_filter(c, req, res);
    if (!f) return;
    auto by = query_word(req, "by", {"day", "week"}, "day");
    if (!by) return send_error(res, 400, by.err().message);
    analyze::trends_query q;
    q.filter = views::fact_window(*f);
    q.by = *by == "week" ? analyze::trend_period::week : analyze::trend_period::day;
    q.today = utc::day_of(utc::now());
    std::lock_guard lock(env.db_mu);
    auto labels = labels_of(env);
    if (!labels) return send_error(res, 500, labels.err().message);
    auto t = analyze::compute_trends(env.db, q, env.ctx.services, *labels);
    if (!t) return send_error(res, 500, t.err().message);
    json out = json::array();
    for (const auto& row : t->rows)
        if (c.who.sees(row.domain)) out.push_back(views::trend_json(row, q.by == analyze::trend_period::week));
    send_json(res, 200, out);
}

// GET /api/v1/failures?domain&since&until&limit
void failures(route_env& env, const caller& c, const httplib::Request& req, httplib::Response& res) {
    auto f = checked_filter(c, req, res);
    if (!f || !needs_domain(c, *f, res)) return;
    auto limit = query_number(req, "limit", 0, 100000, 10);
    if (!limit) return send_error(res, 400, limit.err().message);
    store::failure_filter ff;
    ff.domain = f->domain;
    ff.include_subdomains = f->include_subdomains;
    ff.since = f->since;
    ff.until = f->until;
    analyze::failure_summarizer sum;
    std::lock_guard lock(env.db_mu);
    auto r = env.db.visit_failure_reports(ff, [&](const store::stored_failure& s) -> result<void> {
        sum.add(s);
        return {};
    });
    if (!r) return send_error(res, 500, r.err().message);
    send_json(res, 200, views::failures_document(sum.finish(static_cast<std::size_t>(*limit))));
}

// GET /api/v1/tls?domain&since&until
void tls(route_env& env, const caller& c, const httplib::Request& req, httplib::Response& res) {
    auto f = checked_filter(c, req, res);
    if (!f || !needs_domain(c, *f, res)) return;
    analyze::tls_accumulator acc(*f);
    std::lock_guard lock(env.db_mu);
    auto r = env.db.visit_tls_reports(*f, [&](const store::stored_tls_report& rep) -> result<void> {
        acc.add(rep);
        return {};
    });
    if (!r) return send_error(res, 500, r.err().message);
    send_json(res, 200, views::tls_document(acc.result()));
}

// GET /api/v1/alerts?domain&since&until — `alerts --no-dns --dry-run`: evaluated over the stored
// facts, nothing written (the report store is only read here).
void alert_list(route_env& env, const caller& c, const httplib::Request& req, httplib::Response& res) {
    auto f = checked_filter(c, req, res);
    if (!f) return;
    alerts::options opt = env.ctx.alerts;
    opt.now = utc::now();
    opt.domain = f->domain;
    opt.keep = false;
    opt.resolver = nullptr;
    if (f->since) opt.since_day = utc::format_date(utc::day_of(*f->since) * 86400);
    if (f->until) opt.until_day = utc::format_date(utc::day_of(*f->until) * 86400);
    std::lock_guard lock(env.db_mu);
    auto ev = alerts::evaluate(env.db, opt);
    if (!ev) return send_error(res, 500, ev.err().message);
    json out = json::array();
    for (auto& v : ev->alerts) {
        if (!c.who.sees(v.a.domain)) continue;
        alerts::settle_state(v, env.ctx.channels);
        out.push_back(views::alert_json(v));
    }
    send_json(res, 200, out);
}

// GET /api/v1/posture?domain — the DNS findings the last `alerts` run kept for the domain.
void posture(route_env& env, const caller& c, const httplib::Request& req, httplib::Response& res) {
    auto f = checked_filter(c, req, res);
    if (!f) return;
    if (f->domain.empty() || f->include_subdomains) return send_error(res, 400, "give domain= one policy domain");
    std::lock_guard lock(env.db_mu);
    auto kept = env.db.dns_findings(f->domain);
    if (!kept) return send_error(res, 500, kept.err().message);
    if (!*kept) return send_error(res, 404, "no DNS findings kept for " + f->domain + " (`dmarcsight alerts` checks DNS and keeps them)");
    json findings = json::parse((*kept)->first, nullptr, false);
    if (findings.is_discarded()) return send_error(res, 500, "the kept DNS findings of " + f->domain + " are not JSON");
    send_json(res, 200, json{{"domain", f->domain}, {"checked_at", utc::format_iso8601((*kept)->second)}, {"findings", std::move(findings)}});
}

using handler = void (*)(route_env&, const caller&, const httplib::Request&, httplib::Response&);
constexpr std::pair<const char*, handler> routes[] = {
    {"/api/v1/sources", sources}, {"/api/v1/policy", policy}, {"/api/v1/trends", trends},   {"/api/v1/failures", failures},
    {"/api/v1/tls", tls},         {"/api/v1/alerts", alert_list}, {"/api/v1/posture", posture},
};

}  // namespace

void add_data_routes(httplib::Server& http, route_env& env) {
    for (const auto& [path, h] : routes) {
        http.Get(path, [&env, h](const httplib::Request& req, httplib::Response& res) {
            auto c = env.authenticate(req, res);
            if (c) env.kept(*c, req, res, [&] { h(env, *c, req, res); });
        });
    }
}

bool answer_data_route(route_env& env, const caller& c, const httplib::Request& req, httplib::Response& res) {
    for (const auto& [path, h] : routes) {
        if (req.path != path) continue;
        env.kept(c, req, res, [&] { h(env, c, req, res); });
        return true;
    }
    return false;
}

}  // namespace dmarcsight::web
