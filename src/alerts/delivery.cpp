#include "alerts/delivery.hpp"

#include <nlohmann/json.hpp>

#include "core/text.hpp"
#include "core/time.hpp"

namespace dmarcsight::alerts {

namespace {

// A channel's error text is kept and shown: bounded.
constexpr std::size_t max_error_bytes = 400;

}  // namespace

result<std::vector<const config::channel_settings*>> channels_for(const config::settings& s, const std::vector<std::string>& names) {
    std::vector<const config::channel_settings*> out;
    if (names.empty()) {
        for (const auto& c : s.channels) out.push_back(&c);
        return out;
    }
    for (const auto& n : names) {
        const config::channel_settings* found = nullptr;
        for (const auto& c : s.channels)
            if (c.name == n) found = &c;
        if (!found) return fail("channel " + text::for_terminal(n, 80) + " is not configured ([channels." + n + "] in the config file)");
        out.push_back(found);
    }
    return out;
}

notify::message message_for(const alert_view& v) {
    notify::message m;
    const std::string kind(analyze::to_string(v.a.kind));
    const std::string who = !v.a.source.empty() ? " " + v.a.source : !v.a.reporter.empty() ? " " + v.a.reporter : "";
    // A reporter's org_name comes from a report: no control character reaches a mail header or a
    // chat title (the mail builder would refuse a line break, and the alert would never go out).
    m.subject = text::for_terminal("[dmarcsight] " + v.severity + ": " + kind + " for " + v.a.domain + who + " on " + v.a.day, 300);
    m.text = v.a.domain + ", " + v.a.day + ": " + kind + who + "\n" + v.a.detail + "\n\nseverity: " + v.severity +
             "\nalert id: " + v.id + " (dmarcsight alerts --ack " + v.id + ")\n";
    m.data = {{"id", v.id},
              {"day", v.a.day},
              {"kind", kind},
              {"domain", v.a.domain},
              {"source", v.a.source.empty() ? nlohmann::json(nullptr) : nlohmann::json(v.a.source)},
              {"reporter", v.a.reporter.empty() ? nlohmann::json(nullptr) : nlohmann::json(v.a.reporter)},
              {"severity", v.severity},
              {"detail", v.a.detail}};
    m.id = v.id;
    return m;
}

result<attempt> deliver_once(store::store& db, const config::channel_settings& ch, const notify::message& m, std::int64_t now,
                             bool again) {
    attempt out;
    auto held = db.try_claim("deliver " + m.id + " " + ch.name);
    if (!held) return unexpected{held.err()};
    if (!*held) {
        out.outcome = attempt_outcome::claimed_elsewhere;
        return out;
    }
    // Under the claim, the row again: another worker may have delivered it just now.
    auto rows = db.deliveries(m.id);
    if (!rows) return unexpected{rows.err()};
    for (const auto& d : *rows)
        if (d.channel == ch.name) out.row = d;
    if (out.row.delivered_at != 0 && !again) {
        out.outcome = attempt_outcome::already_delivered;
        return out;
    }
    out.row.alert_id = m.id;
    out.row.channel = ch.name;
    ++out.row.attempts;
    out.row.last_attempt = now;
    auto sent = notify::send(ch, m);
    if (sent) {
        out.outcome = attempt_outcome::delivered;
        out.row.delivered_at = utc::now();
        out.row.last_error.clear();
    } else {
        out.outcome = attempt_outcome::failed;
        out.row.last_error = text::for_terminal(sent.err().message, max_error_bytes);
    }
    auto w = db.put_delivery(out.row);
    if (!w) return unexpected{w.err()};
    return out;
}

result<delivery_summary> deliver(store::store& db, std::vector<alert_view>& views,
                                 const std::vector<const config::channel_settings*>& channels, std::int64_t now) {
    delivery_summary out;
    for (auto& v : views) {
        if (!v.settled || v.acked_at != 0 || v.muted_by != 0) continue;
        bool any = false;
        for (const auto* ch : channels) {
            auto have = [&] {
                for (const auto& d : v.deliveries)
                    if (d.channel == ch->name && d.delivered_at != 0) return true;
                return false;
            };
            if (have()) continue;
            auto r = deliver_once(db, *ch, message_for(v), now);
            if (!r) return unexpected{r.err()};
            if (r->outcome == attempt_outcome::claimed_elsewhere) {
                ++out.claimed_elsewhere;
                continue;
            }
            if (r->outcome == attempt_outcome::delivered) {
                ++out.delivered;
                any = true;
            } else if (r->outcome == attempt_outcome::failed) {
                out.failures.push_back("alert " + v.id + " (" + std::string(analyze::to_string(v.a.kind)) + ", " + v.a.domain +
                                       ") to channel " + ch->name + ": " + r->row.last_error + " (retried on the next --send)");
            }
            const store::delivery_row& row = r->row;
            bool replaced = false;
            for (auto& d : v.deliveries)
                if (d.channel == row.channel) {
                    d = row;
                    replaced = true;
                }
            if (!replaced) v.deliveries.push_back(row);
        }
        if (any) ++out.alerts;
    }
    return out;
}

}  // namespace dmarcsight::alerts
