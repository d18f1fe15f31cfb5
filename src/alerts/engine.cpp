#include "alerts/engine.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "analyze/trends.hpp"
#include "auth/org_domain.hpp"
#include "core/cidr.hpp"
#include "core/ip_address.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "core/utf8.hpp"
#include "posture/check.hpp"

namespace dmarcsight::alerts {

namespace {

// A detail line is shown in tables, mails and chat: keep it short.
constexpr std::size_t max_detail_bytes = 600;
// DNS rules look at this many domains at most per run (each check is a few dozen lookups).
constexpr std::size_t max_dns_domains = 1000;

// A stored day (YYYY-MM-DD, written by the store) as days since 1970-01-01.
std::int64_t parse_day(const std::string& d) { return analyze::parse_day(d).value_or(0); }

std::string date_of(std::int64_t seconds) { return utc::format_date(seconds); }

// The rules over each domain's facts, one domain in memory at a time.
result<void> data_alerts(store::store& db, const options& opt, std::vector<analyze::alert>& out) {
    store::fact_filter f;
    f.domain = opt.domain;
    // The history of a day reaches back to the domain's first day (new_source), so the facts are
    // read in full; until_day bounds the days evaluated.
    if (!opt.until_day.empty()) f.until_day = date_of((parse_day(opt.until_day) + 1) * 86400);
    // new_failure_report: the failure reports per domain, day and source (RFC 6591), judged
    // against the domain's aggregate days.
    std::map<std::string, std::vector<analyze::failure_day>> failures;
    {
        store::failure_filter ff;
        ff.domain = opt.domain;
        if (!opt.until_day.empty()) ff.until = (parse_day(opt.until_day) + 1) * 86400;
        std::map<std::tuple<std::string, std::int64_t, std::string>, std::int64_t> counts;
        auto fr = db.visit_failure_reports(ff, [&](const store::stored_failure& row) -> result<void> {
            if (!row.report.source_ip.empty()) ++counts[{row.report.policy_domain(), utc::day_of(row.report_time), row.report.source_ip}];
            return {};
        });
        if (!fr) return fr;
        for (const auto& [k, n] : counts) failures[std::get<0>(k)].push_back({std::get<1>(k), std::get<2>(k), n});
    }
    std::string domain;
    std::unordered_map<std::string, analyze::day_traffic> days;
    auto flush = [&] {
        if (domain.empty()) return;
        std::vector<analyze::day_traffic> v;
        v.reserve(days.size());
        for (auto& [d, t] : days) v.push_back(std::move(t));
        if (auto f = failures.find(domain); f != failures.end()) {
            auto fired = analyze::evaluate_failure_reports(domain, v, std::move(f->second), opt.rules);
            out.insert(out.end(), std::make_move_iterator(fired.begin()), std::make_move_iterator(fired.end()));
            failures.erase(f);
        }
        auto fired = analyze::evaluate_domain(domain, std::move(v), opt.rules);
        out.insert(out.end(), std::make_move_iterator(fired.begin()), std::make_move_iterator(fired.end()));
        days.clear();
    };
    auto r = db.source_days(f, [&](const store::source_day_row& row) -> result<void> {
        if (row.key.policy_domain != domain) {
            flush();
            domain = row.key.policy_domain;
        }
        auto& t = days[row.key.day];
        if (t.day == 0) t.day = parse_day(row.key.day);
        auto& c = t.sources[row.key.source_ip];
        c.messages += row.m.messages;
        c.dmarc_pass += row.m.dmarc_pass;
        t.reporters.insert(row.reporters.begin(), row.reporters.end());
        return {};
    });
    if (!r) return r;
    flush();
    // Domains only failure reports name: every source is new to them.
    for (auto& [d, f] : failures) {
        auto fired = analyze::evaluate_failure_reports(d, {}, std::move(f), opt.rules);
        out.insert(out.end(), std::make_move_iterator(fired.begin()), std::make_move_iterator(fired.end()));
    }
    return {};
}

// What a check found, in a form two runs compare: (code, level, record), sorted.
nlohmann::json snapshot_of(const posture::domain_report& rep) {
    std::vector<std::tuple<std::string, std::string, std::string>> items;
    for (const auto& fi : rep.findings)
        items.emplace_back(fi.code, std::string(posture::to_string(fi.level)), fi.record);
    std::sort(items.begin(), items.end());
    items.erase(std::unique(items.begin(), items.end()), items.end());
    nlohmann::json j = nlohmann::json::array();
    for (const auto& [code, level, record] : items) j.push_back({{"code", code}, {"level", level}, {"record", record}});
    return j;
}

std::string describe_item(const nlohmann::json& item) {
    std::string s = item.value("code", std::string());
    const auto rec = item.value("record", std::string());
    if (!rec.empty()) s += " (" + rec + ")";
    return s;
}

// The difference between two snapshots, one line: "new: ...; gone: ...".
std::string snapshot_change(const nlohmann::json& before, const nlohmann::json& after) {
    std::set<std::string> a, b;
    for (const auto& i : before) a.insert(i.dump());
    for (const auto& i : after) b.insert(i.dump());
    std::string added, removed;
    for (const auto& i : after)
        if (!a.count(i.dump())) added += (added.empty() ? "" : "; ") + describe_item(i);
    for (const auto& i : before)
        if (!b.count(i.dump())) removed += (removed.empty() ? "" : "; ") + describe_item(i);
    std::string out;
    if (!added.empty()) out += "new: " + added;
    if (!removed.empty()) out += std::string(out.empty() ? "" : " | ") + "gone: " + removed;
    return out;
}

bool publishes_rua(const posture::domain_report& rep) {
    bool record = false;
    for (const auto& fi : rep.findings) {
        if (fi.code == "dmarc.no_rua") return false;
        if (fi.where == posture::area::dmarc && text::ascii_lower(fi.record.substr(0, 8)) == "v=dmarc1") record = true;
    }
    return record;
}

result<void> dns_alerts(store::store& db, const options& opt, const std::vector<std::string>& domains,
                        std::vector<analyze::alert>& out, std::vector<std::string>& warnings) {
    auto sels = db.dkim_selectors();
    if (!sels) return unexpected{sels.err()};
    auto rows = db.domains(store::fact_filter{});
    if (!rows) return unexpected{rows.err()};
    std::unordered_map<std::string, std::int64_t> last_end;
    for (const auto& d : *rows)
        if (d.last_report_end) last_end[d.policy_domain] = *d.last_report_end;
    const std::string today = date_of(opt.now);
    std::size_t n = 0;
    for (const auto& d : domains) {
        if (++n > max_dns_domains) {
            warnings.push_back("DNS rules: only the first " + std::to_string(max_dns_domains) + " domains were checked");
            break;
        }
        posture::check_options co;
        for (const auto& key : *sels)
            if (auth::is_subdomain_or_self(key.first, d) && co.signing_keys.size() < 64) co.signing_keys.push_back(key);
        const auto rep = posture::check_domain(*opt.resolver, d, co);
        const auto now_snapshot = snapshot_of(rep);
        auto kept = db.dns_findings(d);
        if (!kept) return unexpected{kept.err()};
        if (*kept) {
            const auto before = nlohmann::json::parse((*kept)->first, nullptr, false);
            if (!before.is_discarded() && before != now_snapshot) {
                std::string detail = snapshot_change(before, now_snapshot);
                utf8_truncate(detail, max_detail_bytes);
                out.push_back(analyze::alert{today, analyze::alert_kind::dns_change, d, {}, {},
                                             "DNS posture changed since " + utc::format_datetime((*kept)->second) + " UTC: " + detail});
            }
        }
        if (opt.keep) {
            auto w = db.put_dns_findings(d, now_snapshot.dump(), opt.now);
            if (!w) return unexpected{w.err()};
        }
        // no_reports: rua= is published, yet nothing has come for no_reports_seconds. The day is
        // the one the silence crossed the limit, so one silence is one alert.
        const auto e = last_end.find(d);
        if (publishes_rua(rep) && e != last_end.end() && opt.now - e->second >= opt.no_reports_seconds) {
            char hours[32];
            std::snprintf(hours, sizeof hours, "%lld", static_cast<long long>((opt.now - e->second) / 3600));
            out.push_back(analyze::alert{date_of(e->second + opt.no_reports_seconds), analyze::alert_kind::no_reports, d, {}, {},
                                         "no aggregate report covers the last " + std::string(hours) +
                                             " h (the latest ends " + utc::format_datetime(e->second) +
                                             " UTC) although rua= is published: check the report mailbox and its filters"});
        }
    }
    return {};
}

bool sort_before(const alert_view& a, const alert_view& b) {
    return std::tie(a.a.day, a.a.domain, a.a.kind, a.a.source, a.a.reporter) <
           std::tie(b.a.day, b.a.domain, b.a.kind, b.a.source, b.a.reporter);
}

}  // namespace

result<store::mute_row> mute_rule(const mute_request& r, std::int64_t now) {
    store::mute_row m;
    m.domain = r.domain.empty() ? "" : text::normalize_domain(r.domain);
    m.source = r.source;
    m.kind = r.kind;
    m.note = std::string(utf8_prefix(r.note, max_mute_note));
    m.created_at = now;
    if (m.domain.empty() && m.source.empty() && m.kind.empty())
        return fail("a mute rule needs at least one of domain, source, kind (muting everything is --no-send)");
    if (!m.source.empty() && !ip_address::parse(m.source) && !cidr::parse(m.source))
        return fail("source " + text::for_terminal(m.source, 80) + ": not an IP address or CIDR");
    analyze::alert_kind k{};
    if (!m.kind.empty() && !analyze::parse_alert_kind(m.kind, k))
        return fail("kind " + text::for_terminal(m.kind, 80) + ": not an alert kind (" + analyze::alert_kind_names + ")");
    if (!r.until.empty()) {
        const auto t = utc::parse_user_time(r.until, now);
        if (!t) return fail("until " + text::for_terminal(r.until, 80) + ": not a time (" + utc::user_time_forms + ")");
        m.until_day = utc::format_date(utc::day_of(*t) * 86400);
    }
    return m;
}

bool mute_applies(const store::mute_row& m, const analyze::alert& a, const std::string& today) {
    if (!m.until_day.empty() && today > m.until_day) return false;
    if (!m.domain.empty() && m.domain != a.domain) return false;
    if (!m.kind.empty() && m.kind != analyze::to_string(a.kind)) return false;
    if (!m.source.empty()) {
        if (a.source.empty()) return false;
        if (m.source.find('/') != std::string::npos) {
            auto c = cidr::parse(m.source);
            auto ip = ip_address::parse(a.source);
            if (!c || !ip || !c->contains(*ip)) return false;
        } else if (m.source != a.source) {
            return false;
        }
    }
    return true;
}

void settle_state(alert_view& v, const std::vector<std::string>& channels) {
    if (v.acked_at != 0) v.state = "acked";
    else if (v.muted_by != 0) v.state = "muted";
    else if (!v.settled) v.state = "provisional";
    else {
        std::size_t delivered = 0;
        bool failed = false;
        for (const auto& ch : channels) {
            for (const auto& d : v.deliveries) {
                if (d.channel != ch) continue;
                if (d.delivered_at != 0) ++delivered;
                else if (d.attempts > 0) failed = true;
            }
        }
        if (!channels.empty() && delivered == channels.size()) v.state = "sent";
        else if (failed) v.state = "failed";
        else v.state = "pending";
    }
}

result<evaluation> evaluate(store::store& db, const options& opt) {
    evaluation ev;
    std::vector<analyze::alert> fired;
    auto r = data_alerts(db, opt, fired);
    if (!r) return unexpected{r.err()};
    const std::size_t data_count = fired.size();
    if (opt.resolver) {
        std::vector<std::string> domains;
        if (!opt.domain.empty()) {
            domains.push_back(opt.domain);
        } else {
            auto all = db.policy_domains();
            if (!all) return unexpected{all.err()};
            domains = std::move(*all);
        }
        auto d = dns_alerts(db, opt, domains, fired, ev.warnings);
        if (!d) return unexpected{d.err()};
    }

    // State kept from earlier runs.
    auto kept = db.kept_alerts();
    if (!kept) return unexpected{kept.err()};
    std::unordered_map<std::string, const store::alert_row*> by_id;
    for (const auto& k : *kept) by_id[k.id] = &k;
    auto mutes = db.mutes();
    if (!mutes) return unexpected{mutes.err()};
    auto deliveries = db.deliveries({});
    if (!deliveries) return unexpected{deliveries.err()};
    std::unordered_map<std::string, std::vector<store::delivery_row>> delivered;
    for (auto& d : *deliveries) delivered[d.alert_id].push_back(std::move(d));
    const std::string today = date_of(opt.now);

    std::vector<store::alert_row> rows;
    std::set<std::string> shown_ids;
    auto view_of = [&](analyze::alert a, bool settled) {
        alert_view v;
        v.id = analyze::alert_id(a);
        v.severity = std::string(analyze::severity_of(a.kind));
        utf8_truncate(a.detail, max_detail_bytes);
        v.a = std::move(a);
        v.settled = settled;
        if (auto k = by_id.find(v.id); k != by_id.end()) {
            v.acked_at = k->second->acked_at;
            v.ack_note = k->second->ack_note;
            if (k->second->settled_at != 0) v.settled = true;
        }
        for (const auto& m : *mutes)
            if (mute_applies(m, v.a, today)) {
                v.muted_by = m.id;
                break;
            }
        if (auto d = delivered.find(v.id); d != delivered.end()) v.deliveries = d->second;
        return v;
    };
    std::vector<alert_view> views;
    for (std::size_t i = 0; i < fired.size(); ++i) {
        auto& a = fired[i];
        // A data alert settles settle_seconds after its day ends; DNS alerts are observations
        // of now, settled at once.
        const bool settled = i >= data_count || opt.now >= (parse_day(a.day) + 1) * 86400 + opt.settle_seconds;
        auto v = view_of(std::move(a), settled);
        store::alert_row row;
        row.id = v.id;
        row.day = v.a.day;
        row.kind = std::string(analyze::to_string(v.a.kind));
        row.domain = v.a.domain;
        row.source = v.a.source;
        row.reporter = v.a.reporter;
        row.severity = v.severity;
        row.detail = v.a.detail;
        row.first_seen = opt.now;
        const auto k = by_id.find(v.id);
        row.settled_at = k != by_id.end() && k->second->settled_at != 0 ? k->second->settled_at : (v.settled ? opt.now : 0);
        rows.push_back(std::move(row));
        shown_ids.insert(v.id);
        views.push_back(std::move(v));
    }
    // Settled alerts of earlier runs that this run does not find again: DNS observations (they
    // fire once, when the change is seen) and history whose facts were pruned.
    for (const auto& k : *kept) {
        if (k.settled_at == 0 || shown_ids.count(k.id)) continue;
        if (!opt.domain.empty() && k.domain != opt.domain) continue;
        analyze::alert a;
        a.day = k.day;
        if (!analyze::parse_alert_kind(k.kind, a.kind)) continue;
        a.domain = k.domain;
        a.source = k.source;
        a.reporter = k.reporter;
        a.detail = k.detail;
        auto v = view_of(std::move(a), true);
        v.severity = k.severity;
        views.push_back(std::move(v));
    }
    if (opt.keep) {
        // The provisional alerts of every day evaluated are replaced by this run's.
        std::string from = "0000-00-00", until = "9999-99-99";
        if (!opt.until_day.empty()) until = opt.until_day;
        auto s = db.sync_alerts(rows, opt.domain, from, until);
        if (!s) return unexpected{s.err()};
    }
    for (auto& v : views) {
        if (!opt.since_day.empty() && v.a.day < opt.since_day) continue;
        if (!opt.until_day.empty() && v.a.day > opt.until_day) continue;
        ev.alerts.push_back(std::move(v));
    }
    std::sort(ev.alerts.begin(), ev.alerts.end(), sort_before);
    return ev;
}

}  // namespace dmarcsight::alerts
