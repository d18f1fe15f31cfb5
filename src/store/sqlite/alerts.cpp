// The SQLite driver: alert state (schema/sqlite/0005_alerts.sql) — the alerts that fired, their
// deliveries, mute rules, and each domain's last DNS findings.
#include <algorithm>
#include <unordered_set>

#include "core/time.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace dmarcsight::store::sqlite {

namespace {

constexpr const char* alert_columns =
    "id, day, kind, domain, source, reporter, severity, detail, first_seen, settled_at, acked_at, ack_note";

alert_row read_alert(const statement& s) {
    alert_row a;
    a.id = s.text(0);
    a.day = s.text(1);
    a.kind = s.text(2);
    a.domain = s.text(3);
    a.source = s.text(4);
    a.reporter = s.text(5);
    a.severity = s.text(6);
    a.detail = s.text(7);
    a.first_seen = s.i64(8);
    a.settled_at = s.i64(9);
    a.acked_at = s.i64(10);
    a.ack_note = s.text(11);
    return a;
}

}  // namespace

result<void> sqlite_store::sync_alerts(const std::vector<alert_row>& firing, std::string_view domain, std::string_view from_day, std::string_view until_day) {
    auto begun = with_busy_retry([&] { return exec("SAVEPOINT sync_alerts"); });
    if (!begun) return begun;
    auto undo = [&](result<void> r) {
        (void)exec("ROLLBACK TO sync_alerts");
        (void)exec("RELEASE sync_alerts");
        return r;
    };
    const std::int64_t now = utc::now();
    std::unordered_set<std::string> ids;
    for (const auto& a : firing) {
        ids.insert(a.id);
        // A settled alert is history: only a provisional one takes the new values.
        auto w = execute("INSERT INTO alerts (id, day, kind, domain, source, reporter, severity, detail, first_seen, settled_at) "
                         "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10) ON CONFLICT (id) DO UPDATE SET severity = excluded.severity, "
                         "detail = excluded.detail, settled_at = excluded.settled_at WHERE alerts.settled_at = 0",
                         [&](statement& s) {
                             s.bind(1, a.id);
                             s.bind(2, a.day);
                             s.bind(3, a.kind);
                             s.bind(4, a.domain);
                             s.bind(5, a.source);
                             s.bind(6, a.reporter);
                             s.bind(7, a.severity);
                             s.bind(8, a.detail);
                             s.bind(9, a.first_seen != 0 ? a.first_seen : now);
                             s.bind(10, a.settled_at);
                         });
        if (!w) return undo(w);
    }
    // Provisional alerts of the range that no longer fire (late reports changed the day).
    std::vector<std::string> stale;
    {
        statement s;
        auto p = s.prepare(db_, "SELECT id FROM alerts WHERE settled_at = 0 AND day >= ?1 AND day <= ?2 AND (?3 = '' OR domain = ?3)");
        if (!p) return undo(p);
        s.bind(1, from_day);
        s.bind(2, until_day);
        s.bind(3, domain);
        int rc;
        while ((rc = s.step()) == SQLITE_ROW) {
            std::string id = s.text(0);
            if (!ids.count(id)) stale.push_back(std::move(id));
        }
        if (rc != SQLITE_DONE) return undo(fail(s.error_text(rc)));
    }
    for (const auto& id : stale) {
        auto d = execute("DELETE FROM alerts WHERE id = ?1 AND settled_at = 0", [&](statement& s) { s.bind(1, id); });
        if (!d) return undo(d);
        d = execute("DELETE FROM alert_deliveries WHERE alert_id = ?1", [&](statement& s) { s.bind(1, id); });
        if (!d) return undo(d);
    }
    return with_busy_retry([&] { return exec("RELEASE sync_alerts"); });
}

result<std::vector<alert_row>> sqlite_store::kept_alerts() {
    statement s;
    auto p = s.prepare(db_, (std::string("SELECT ") + alert_columns + " FROM alerts ORDER BY day, id").c_str());
    if (!p) return unexpected{p.err()};
    std::vector<alert_row> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_alert(s));
    if (rc != SQLITE_DONE) return fail(s.error_text(rc));
    return out;
}

result<bool> sqlite_store::ack_alert(std::string_view id, std::string_view note, std::int64_t at) {
    auto r = with_busy_retry([&] {
        return execute("UPDATE alerts SET acked_at = ?2, ack_note = ?3 WHERE id = ?1", [&](statement& s) {
            s.bind(1, id);
            s.bind(2, at);
            s.bind(3, note);
        });
    });
    if (!r) return unexpected{r.err()};
    return sqlite3_changes(db_) > 0;
}

result<std::vector<delivery_row>> sqlite_store::deliveries(std::string_view alert_id) {
    statement s;
    auto p = s.prepare(db_, alert_id.empty()
                                ? "SELECT alert_id, channel, attempts, last_attempt, delivered_at, last_error FROM alert_deliveries "
                                  "ORDER BY alert_id, channel"
                                : "SELECT alert_id, channel, attempts, last_attempt, delivered_at, last_error FROM alert_deliveries "
                                  "WHERE alert_id = ?1 ORDER BY channel");
    if (!p) return unexpected{p.err()};
    if (!alert_id.empty()) s.bind(1, alert_id);
    std::vector<delivery_row> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
        delivery_row d;
        d.alert_id = s.text(0);
        d.channel = s.text(1);
        d.attempts = s.i64(2);
        d.last_attempt = s.i64(3);
        d.delivered_at = s.i64(4);
        d.last_error = s.text(5);
        out.push_back(std::move(d));
    }
    if (rc != SQLITE_DONE) return fail(s.error_text(rc));
    return out;
}

result<void> sqlite_store::put_delivery(const delivery_row& d) {
    return with_busy_retry([&] {
        return execute("INSERT INTO alert_deliveries (alert_id, channel, attempts, last_attempt, delivered_at, last_error) "
                       "VALUES (?1,?2,?3,?4,?5,?6) ON CONFLICT (alert_id, channel) DO UPDATE SET attempts = excluded.attempts, "
                       "last_attempt = excluded.last_attempt, delivered_at = excluded.delivered_at, last_error = excluded.last_error",
                       [&](statement& s) {
                           s.bind(1, d.alert_id);
                           s.bind(2, d.channel);
                           s.bind(3, d.attempts);
                           s.bind(4, d.last_attempt);
                           s.bind(5, d.delivered_at);
                           s.bind(6, d.last_error);
                       });
    });
}

result<std::int64_t> sqlite_store::put_mute(const mute_row& m) {
    auto r = with_busy_retry([&] {
        return execute("INSERT INTO alert_mutes (domain, source, kind, until_day, note, created_at) VALUES (?1,?2,?3,?4,?5,?6)",
                       [&](statement& s) {
                           s.bind(1, m.domain);
                           s.bind(2, m.source);
                           s.bind(3, m.kind);
                           s.bind(4, m.until_day);
                           s.bind(5, m.note);
                           s.bind(6, m.created_at != 0 ? m.created_at : utc::now());
                       });
    });
    if (!r) return unexpected{r.err()};
    return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
}

result<bool> sqlite_store::remove_mute(std::int64_t id) {
    auto r = with_busy_retry([&] { return execute("DELETE FROM alert_mutes WHERE id = ?1", [&](statement& s) { s.bind(1, id); }); });
    if (!r) return unexpected{r.err()};
    return sqlite3_changes(db_) > 0;
}

result<std::vector<mute_row>> sqlite_store::mutes() {
    statement s;
    auto p = s.prepare(db_, "SELECT id, domain, source, kind, until_day, note, created_at FROM alert_mutes ORDER BY id");
    if (!p) return unexpected{p.err()};
    std::vector<mute_row> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
        mute_row m;
        m.id = s.i64(0);
        m.domain = s.text(1);
        m.source = s.text(2);
        m.kind = s.text(3);
        m.until_day = s.text(4);
        m.note = s.text(5);
        m.created_at = s.i64(6);
        out.push_back(std::move(m));
    }
    if (rc != SQLITE_DONE) return fail(s.error_text(rc));
    return out;
}

result<std::optional<std::pair<std::string, std::int64_t>>> sqlite_store::dns_findings(std::string_view domain) {
    statement s;
    auto p = s.prepare(db_, "SELECT findings, checked_at FROM dns_findings WHERE domain = ?1");
    if (!p) return unexpected{p.err()};
    s.bind(1, domain);
    const int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<std::pair<std::string, std::int64_t>>{};
    if (rc != SQLITE_ROW) return fail(s.error_text(rc));
    return std::optional<std::pair<std::string, std::int64_t>>{std::pair{s.text(0), s.i64(1)}};
}

result<void> sqlite_store::put_dns_findings(std::string_view domain, std::string_view json, std::int64_t at) {
    return with_busy_retry([&] {
        return execute("INSERT INTO dns_findings (domain, findings, checked_at) VALUES (?1,?2,?3) ON CONFLICT (domain) DO UPDATE "
                       "SET findings = excluded.findings, checked_at = excluded.checked_at",
                       [&](statement& s) {
                           s.bind(1, domain);
                           s.bind(2, json);
                           s.bind(3, at);
                       });
    });
}

}  // namespace dmarcsight::store::sqlite
