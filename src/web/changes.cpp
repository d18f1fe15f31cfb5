// What a user may change from the dashboard beside the reports (issue 12: "alerts (acknowledge and
// mute from the page)"): the rows `alerts --ack`, `--mute` and `--unmute` write, no other. The
// reports stay read-only; these writes go through the store opened for them (change_env::writer).
//
// Per-domain access as everywhere: an account acknowledges only alerts of its domains, sees and
// removes only mute rules of its domains, and a rule it adds names one of them. A rule without a
// domain (it mutes every domain) is for all-domains accounts only. What is not the caller's is
// answered as what does not exist (404), so ids of other accounts' alerts and rules tell nothing.
#include <algorithm>
#include <charconv>
#include <tuple>

#include "alerts/engine.hpp"
#include "core/time.hpp"
#include "core/utf8.hpp"
#include "views/analysis.hpp"
#include "web/http.hpp"

namespace dmarcsight::web {

namespace {

using json = nlohmann::json;

bool sees_rule(const caller& c, const store::mute_row& m) { return m.domain.empty() ? c.who.all_domains : c.who.sees(m.domain); }

// A JSON object body, or 400 (the parser refuses text that is not UTF-8).
std::optional<json> object_body(const httplib::Request& req, httplib::Response& res, const char* shape) {
    // JSON only: a form or text/plain post is what another site's page can send without asking
    // (no CORS preflight), and nothing here answers one.
    if (!req.get_header_value("Content-Type").starts_with("application/json")) {
        send_error(res, 415, std::string("give ") + shape + " as JSON (Content-Type: application/json)");
        return std::nullopt;
    }
    json j = json::parse(req.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        send_error(res, 400, std::string("give ") + shape + " as JSON");
        return std::nullopt;
    }
    return j;
}

// A string member ("" when absent); nullopt (and 400) when it is not a string or longer than `max`.
std::optional<std::string> member(const json& j, const char* name, std::size_t max, httplib::Response& res) {
    if (!j.contains(name) || j[name].is_null()) return std::string();
    if (!j[name].is_string()) {
        send_error(res, 400, std::string(name) + ": give a string");
        return std::nullopt;
    }
    std::string v = j[name].get<std::string>();
    if (v.size() > max) {
        send_error(res, 400, std::string(name) + ": at most " + std::to_string(max) + " bytes");
        return std::nullopt;
    }
    return v;
}

// The store the change is written to, or an answer (500) saying why there is none.
store::store* writable(change_env& env, httplib::Response& res) {
    auto w = env.writer();
    if (!w) {
        send_error(res, 500, "the change was not made: " + w.err().message);
        return nullptr;
    }
    return *w;
}

// POST /api/v1/alerts/ack {"id": …, "note": …}: the kept alert acknowledged (`alerts --ack`).
void ack(change_env& env, const httplib::Request& req, httplib::Response& res) {
    auto c = env.identify_change(req, res);
    if (!c) return;
    auto body = object_body(req, res, "{\"id\": \"…\", \"note\": \"…\"}");
    if (!body) return;
    auto id = member(*body, "id", max_query_value, res);
    if (!id) return;
    auto note = member(*body, "note", 4 * alerts::max_mute_note, res);
    if (!note) return;
    if (id->empty()) return send_error(res, 400, "id: give the alert's id (from GET /api/v1/alerts)");
    std::lock_guard lock(env.db_mu);
    auto kept = env.db.kept_alerts();
    if (!kept) return send_error(res, 500, kept.err().message);
    const auto it = std::find_if(kept->begin(), kept->end(), [&](const store::alert_row& a) { return a.id == *id; });
    if (it == kept->end() || !c->who.sees(it->domain))
        return send_error(res, 404, "no kept alert " + std::string(utf8_prefix(*id, 80)) +
                                        " among your domains' (the alerts run, `dmarcsight alerts`, keeps what fires: an alert it has "
                                        "not kept yet cannot be acknowledged)");
    store::store* w = writable(env, res);
    if (!w) return;
    const std::int64_t now = utc::now();
    const std::string kept_note(utf8_prefix(*note, alerts::max_mute_note));
    auto done = w->ack_alert(*id, kept_note, now);
    if (!done) return send_error(res, 500, "the alert was not acknowledged: " + done.err().message);
    if (!*done) return send_error(res, 404, "alert " + std::string(utf8_prefix(*id, 80)) + " is no longer kept");
    send_json(res, 200, json{{"id", *id}, {"state", "acked"}, {"acked_at", utc::format_iso8601(now)}, {"ack_note", kept_note}});
}

// GET /api/v1/mutes: the caller's mute rules.
void list_mutes(change_env& env, const httplib::Request& req, httplib::Response& res) {
    auto c = env.authenticate(req, res);
    if (!c) return;
    std::lock_guard lock(env.db_mu);
    auto all = env.db.mutes();
    if (!all) return send_error(res, 500, all.err().message);
    json out = json::array();
    for (const auto& m : *all)
        if (sees_rule(*c, m)) out.push_back(views::mute_json(m));
    send_json(res, 200, out);
}

// POST /api/v1/mutes {"domain", "source", "kind", "until", "note"}: a mute rule (`alerts --mute`).
void add_mute(change_env& env, const httplib::Request& req, httplib::Response& res) {
    auto c = env.identify_change(req, res);
    if (!c) return;
    auto body = object_body(req, res, "{\"domain\": …, \"source\": …, \"kind\": …, \"until\": …, \"note\": …}");
    if (!body) return;
    alerts::mute_request r;
    const std::tuple<const char*, std::string*, std::size_t> fields[] = {
        {"domain", &r.domain, max_query_value}, {"source", &r.source, max_query_value}, {"kind", &r.kind, max_query_value},
        {"until", &r.until, max_query_value},   {"note", &r.note, 4 * alerts::max_mute_note},
    };
    for (const auto& [name, out, max] : fields) {
        auto v = member(*body, name, max, res);
        if (!v) return;
        *out = std::move(*v);
    }
    const std::int64_t now = utc::now();
    auto rule = alerts::mute_rule(r, now);
    if (!rule) return send_error(res, 400, rule.err().message);
    if (rule->domain.empty() && !c->who.all_domains) return send_error(res, 400, "domain: give one of your domains");
    if (!rule->domain.empty() && !c->who.sees(rule->domain))
        return send_error(res, 403, "domain " + rule->domain + " is not one of account '" + c->who.name + "''s domains");
    std::lock_guard lock(env.db_mu);
    store::store* w = writable(env, res);
    if (!w) return;
    auto id = w->put_mute(*rule);
    if (!id) return send_error(res, 500, "the mute rule was not kept: " + id.err().message);
    rule->id = *id;
    send_json(res, 201, views::mute_json(*rule));
}

// DELETE /api/v1/mutes/ID (`alerts --unmute ID`).
void remove_mute(change_env& env, const httplib::Request& req, httplib::Response& res) {
    auto c = env.identify_change(req, res);
    if (!c) return;
    std::int64_t id = 0;
    const std::string& t = req.matches[1];
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), id);
    if (ec != std::errc() || end != t.data() + t.size()) return send_error(res, 404, "no such mute rule");
    std::lock_guard lock(env.db_mu);
    auto all = env.db.mutes();
    if (!all) return send_error(res, 500, all.err().message);
    const auto it = std::find_if(all->begin(), all->end(), [&](const store::mute_row& m) { return m.id == id; });
    if (it == all->end() || !sees_rule(*c, *it)) return send_error(res, 404, "no mute rule #" + std::to_string(id) + " of yours");
    store::store* w = writable(env, res);
    if (!w) return;
    auto gone = w->remove_mute(id);
    if (!gone) return send_error(res, 500, "the mute rule was not removed: " + gone.err().message);
    if (!*gone) return send_error(res, 404, "no mute rule #" + std::to_string(id) + " of yours");
    res.status = 204;
}

}  // namespace

void add_change_routes(httplib::Server& http, change_env& env) {
    http.Post("/api/v1/alerts/ack", [&env](const httplib::Request& req, httplib::Response& res) { ack(env, req, res); });
    http.Get("/api/v1/mutes", [&env](const httplib::Request& req, httplib::Response& res) { list_mutes(env, req, res); });
    http.Post("/api/v1/mutes", [&env](const httplib::Request& req, httplib::Response& res) { add_mute(env, req, res); });
    http.Delete(R"(/api/v1/mutes/(\d{1,18}))", [&env](const httplib::Request& req, httplib::Response& res) { remove_mute(env, req, res); });
}

}  // namespace dmarcsight::web
