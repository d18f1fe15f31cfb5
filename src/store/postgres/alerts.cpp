// The PostgreSQL driver, part 6: alert state (schema/postgres/0002_alerts.sql) — the alerts that
// fired, their deliveries, mute rules, and each domain's last DNS findings. Two `alerts` runs at
// once (several workers) take turns on sync_alerts through one advisory lock; deliveries are
// claimed by src/alerts/ (try_claim) before they are sent, so this part only records them.
#include <unordered_set>

#include "core/time.hpp"
#include "store/postgres/postgres_store_impl.hpp"

namespace dmarcsight::store::postgres {

namespace {

constexpr const char* alert_columns =
    "id, day, kind, domain, source, reporter, severity, detail, first_seen, settled_at, acked_at, ack_note";

alert_row read_alert(const pg::result_set& q, int i) {
    alert_row a;
    a.id = q.text(i, 0);
    a.day = q.text(i, 1);
    a.kind = q.text(i, 2);
    a.domain = q.text(i, 3);
    a.source = q.text(i, 4);
    a.reporter = q.text(i, 5);
    a.severity = q.text(i, 6);
    a.detail = q.text(i, 7);
    a.first_seen = q.i64(i, 8);
    a.settled_at = q.i64(i, 9);
    a.acked_at = q.i64(i, 10);
    a.ack_note = q.text(i, 11);
    return a;
}

}  // namespace

result<void> postgres_store::sync_alerts(const std::vector<alert_row>& firing, std::string_view domain, std::string_view from_day, std::string_view until_day) {
    const bool own = !in_batch_;
    if (own) {
        auto b = db_.exec("BEGIN");
        if (!b) return b;
    }
    auto undo = [&](result<void> r) {
        if (own) (void)db_.exec("ROLLBACK");
        return r;
    };
    auto l = db_.exec("SELECT pg_advisory_xact_lock($1)",
                      pg::params().i64(static_cast<std::int64_t>(stable_hash("dmarcsight alerts"))));
    if (!l) return undo(l);
    const std::int64_t now = utc::now();
    std::unordered_set<std::string> ids;
    for (const auto& a : firing) {
        ids.insert(a.id);
        // A settled alert is history: only a provisional one takes the new values.
        auto w = db_.exec("INSERT INTO alerts (id, day, kind, domain, source, reporter, severity, detail, first_seen, settled_at) "
                          "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT (id) DO UPDATE SET severity = excluded.severity, "
                          "detail = excluded.detail, settled_at = excluded.settled_at WHERE alerts.settled_at = 0",
                          pg::params()
                              .text(a.id)
                              .text(a.day)
                              .text(a.kind)
                              .text(a.domain)
                              .text(a.source)
                              .text(a.reporter)
                              .text(a.severity)
                              .text(a.detail)
                              .i64(a.first_seen != 0 ? a.first_seen : now)
                              .i64(a.settled_at));
        if (!w) return undo(w);
    }
    auto q = db_.query("SELECT id FROM alerts WHERE settled_at = 0 AND day >= $1 AND day <= $2 AND ($3::text = '' OR domain = $3)",
                       pg::params().text(from_day).text(until_day).text(domain));
    if (!q) return undo(unexpected{q.err()});
    for (int i = 0; i < q->rows(); ++i) {
        const std::string id = q->text(i, 0);
        if (ids.count(id)) continue;
        auto d = db_.exec("DELETE FROM alert_deliveries WHERE alert_id = $1", pg::params().text(id));
        if (d) d = db_.exec("DELETE FROM alerts WHERE id = $1 AND settled_at = 0", pg::params().text(id));
        if (!d) return undo(d);
    }
    if (own) return db_.exec("COMMIT");
    return {};
}

result<std::vector<alert_row>> postgres_store::kept_alerts() {
    auto q = db_.query(std::string("SELECT ") + alert_columns + " FROM alerts ORDER BY day, id");
    if (!q) return unexpected{q.err()};
    std::vector<alert_row> out;
    for (int i = 0; i < q->rows(); ++i) out.push_back(read_alert(*q, i));
    return out;
}

result<bool> postgres_store::ack_alert(std::string_view id, std::string_view note, std::int64_t at) {
    auto q = db_.query("UPDATE alerts SET acked_at = $2, ack_note = $3 WHERE id = $1 RETURNING id",
                       pg::params().text(id).i64(at).text(note));
    if (!q) return unexpected{q.err()};
    return q->rows() > 0;
}

result<std::vector<delivery_row>> postgres_store::deliveries(std::string_view alert_id) {
    auto q = alert_id.empty()
                 ? db_.query("SELECT alert_id, channel, attempts, last_attempt, delivered_at, last_error FROM alert_deliveries "
                             "ORDER BY alert_id, channel")
                 : db_.query("SELECT alert_id, channel, attempts, last_attempt, delivered_at, last_error FROM alert_deliveries "
                             "WHERE alert_id = $1 ORDER BY channel",
                             pg::params().text(alert_id));
    if (!q) return unexpected{q.err()};
    std::vector<delivery_row> out;
    for (int i = 0; i < q->rows(); ++i) {
        delivery_row d;
        d.alert_id = q->text(i, 0);
        d.channel = q->text(i, 1);
        d.attempts = q->i64(i, 2);
        d.last_attempt = q->i64(i, 3);
        d.delivered_at = q->i64(i, 4);
        d.last_error = q->text(i, 5);
        out.push_back(std::move(d));
    }
    return out;
}

result<void> postgres_store::put_delivery(const delivery_row& d) {
    return db_.exec("INSERT INTO alert_deliveries (alert_id, channel, attempts, last_attempt, delivered_at, last_error) "
                    "VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (alert_id, channel) DO UPDATE SET attempts = excluded.attempts, "
                    "last_attempt = excluded.last_attempt, delivered_at = excluded.delivered_at, last_error = excluded.last_error",
                    pg::params().text(d.alert_id).text(d.channel).i64(d.attempts).i64(d.last_attempt).i64(d.delivered_at).text(d.last_error));
}

result<std::int64_t> postgres_store::put_mute(const mute_row& m) {
    auto q = db_.query("INSERT INTO alert_mutes (domain, source, kind, until_day, note, created_at) VALUES ($1,$2,$3,$4,$5,$6) "
                       "RETURNING id",
                       pg::params()
                           .text(m.domain)
                           .text(m.source)
                           .text(m.kind)
                           .text(m.until_day)
                           .text(m.note)
                           .i64(m.created_at != 0 ? m.created_at : utc::now()));
    if (!q) return unexpected{q.err()};
    return q->i64(0, 0);
}

result<bool> postgres_store::remove_mute(std::int64_t id) {
    auto q = db_.query("DELETE FROM alert_mutes WHERE id = $1 RETURNING id", pg::params().i64(id));
    if (!q) return unexpected{q.err()};
    return q->rows() > 0;
}

result<std::vector<mute_row>> postgres_store::mutes() {
    auto q = db_.query("SELECT id, domain, source, kind, until_day, note, created_at FROM alert_mutes ORDER BY id");
    if (!q) return unexpected{q.err()};
    std::vector<mute_row> out;
    for (int i = 0; i < q->rows(); ++i) {
        mute_row m;
        m.id = q->i64(i, 0);
        m.domain = q->text(i, 1);
        m.source = q->text(i, 2);
        m.kind = q->text(i, 3);
        m.until_day = q->text(i, 4);
        m.note = q->text(i, 5);
        m.created_at = q->i64(i, 6);
        out.push_back(std::move(m));
    }
    return out;
}

result<std::optional<std::pair<std::string, std::int64_t>>> postgres_store::dns_findings(std::string_view domain) {
    auto q = db_.query("SELECT findings, checked_at FROM dns_findings WHERE domain = $1", pg::params().text(domain));
    if (!q) return unexpected{q.err()};
    if (q->rows() == 0) return std::optional<std::pair<std::string, std::int64_t>>{};
    return std::optional<std::pair<std::string, std::int64_t>>{std::pair{q->text(0, 0), q->i64(0, 1)}};
}

result<void> postgres_store::put_dns_findings(std::string_view domain, std::string_view json, std::int64_t at) {
    return db_.exec("INSERT INTO dns_findings (domain, findings, checked_at) VALUES ($1,$2,$3) ON CONFLICT (domain) DO UPDATE "
                    "SET findings = excluded.findings, checked_at = excluded.checked_at",
                    pg::params().text(domain).text(json).i64(at));
}

}  // namespace dmarcsight::store::postgres
