// The SQLite driver: the user's labels (table labels, schema/sqlite/0003_source_facts.sql).
#include "core/time.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace dmarcsight::store::sqlite {

result<void> sqlite_store::put_label(const label_row& row) {
    return execute("INSERT INTO labels (policy_domain, source, service, class, note, created_at) VALUES (?1,?2,?3,?4,?5,?6) "
                   "ON CONFLICT (policy_domain, source, service) DO UPDATE SET class = excluded.class, note = excluded.note, "
                   "created_at = excluded.created_at",
                   [&](statement& s) {
                       s.bind(1, row.policy_domain);
                       s.bind(2, row.source);
                       s.bind(3, row.service);
                       s.bind(4, row.cls);
                       s.bind_or_null(5, row.note);
                       s.bind(6, row.created_at != 0 ? row.created_at : utc::now());
                   });
}

result<bool> sqlite_store::remove_label(const label_row& row) {
    auto r = execute("DELETE FROM labels WHERE policy_domain = ?1 AND source = ?2 AND service = ?3", [&](statement& s) {
        s.bind(1, row.policy_domain);
        s.bind(2, row.source);
        s.bind(3, row.service);
    });
    if (!r) return unexpected{r.err()};
    return sqlite3_changes(db_) > 0;
}

result<std::vector<label_row>> sqlite_store::labels(const std::string& domain) {
    statement s;
    auto p = s.prepare(db_, domain.empty() ? "SELECT id, policy_domain, source, service, class, note, created_at FROM labels "
                                             "ORDER BY policy_domain, source, service"
                                           : "SELECT id, policy_domain, source, service, class, note, created_at FROM labels "
                                             "WHERE policy_domain = ?1 ORDER BY source, service");
    if (!p) return unexpected{p.err()};
    if (!domain.empty()) s.bind(1, domain);
    std::vector<label_row> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
        label_row l;
        l.id = s.i64(0);
        l.policy_domain = s.text(1);
        l.source = s.text(2);
        l.service = s.text(3);
        l.cls = s.text(4);
        l.note = s.text(5);
        l.created_at = s.i64(6);
        out.push_back(std::move(l));
    }
    if (rc != SQLITE_DONE) return fail(s.error_text(rc));
    return out;
}

}  // namespace dmarcsight::store::sqlite
