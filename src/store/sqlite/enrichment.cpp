// The SQLite driver: the enrichment cache (table ip_info, schema/sqlite/0003_source_facts.sql; the facts: 0004).
#include "store/sqlite/sqlite_store_impl.hpp"

namespace dmarcsight::store::sqlite {

namespace {

// The fact_filter's domain and days over source_facts (?1 domain, ?2 since, ?3 until, ?4 source
// IP); ?5 is `now`.
std::string source_day_where(const fact_filter& f) {
    std::string w = " WHERE 1";
    if (!f.domain.empty())
        w += f.include_subdomains ? " AND (d.policy_domain = ?1 OR substr(d.policy_domain, -length(?1) - 1) = '.' || ?1)"
                                  : " AND d.policy_domain = ?1";
    if (!f.since_day.empty()) w += " AND f.day >= ?2";
    if (!f.until_day.empty()) w += " AND f.day < ?3";
    if (!f.source_ip.empty()) w += " AND f.source_ip = ?4";
    return w;
}

ip_info read_ip_info(const statement& s) {
    ip_info r;
    r.ip = s.text(0);
    r.ptr = s.text(1);
    r.fcrdns = s.i64(2) != 0;
    r.base_domain = s.text(3);
    if (!s.is_null(4)) r.asn = static_cast<std::uint32_t>(s.i64(4));
    r.as_name = s.text(5);
    r.country = s.text(6);
    r.status = s.text(7);
    r.checked_at = s.i64(8);
    r.expires_at = s.i64(9);
    return r;
}

}  // namespace

result<std::vector<std::string>> sqlite_store::ips_to_enrich(std::int64_t now, const fact_filter& f) {
    // Each IP once, whatever the number of days, domains and header_froms it has rows for.
    const std::string sql = "SELECT DISTINCT f.source_ip FROM source_facts f JOIN fact_domains d ON d.id = f.domain_id" +
                            source_day_where(f) +
                            " AND NOT EXISTS (SELECT 1 FROM ip_info WHERE ip_info.ip = f.source_ip AND "
                            "ip_info.expires_at > ?5) ORDER BY source_ip";
    statement s;
    auto p = s.prepare(db_, sql.c_str());
    if (!p) return unexpected{p.err()};
    if (!f.domain.empty()) s.bind(1, f.domain);
    if (!f.since_day.empty()) s.bind(2, f.since_day);
    if (!f.until_day.empty()) s.bind(3, f.until_day);
    if (!f.source_ip.empty()) s.bind(4, f.source_ip);
    s.bind(5, now);
    std::vector<std::string> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(s.text(0));
    if (rc != SQLITE_DONE) return fail(s.error_text(rc));
    return out;
}

result<void> sqlite_store::save_ip_info(const std::vector<ip_info>& rows) {
    if (rows.empty()) return {};
    // A savepoint is a transaction of its own outside a batch and nests inside one.
    auto begun = with_busy_retry([&] { return exec("SAVEPOINT save_ip_info"); });
    if (!begun) return begun;
    for (const auto& r : rows) {
        auto w = execute("INSERT INTO ip_info (ip, ptr, fcrdns, base_domain, asn, as_name, country, status, checked_at, expires_at) "
                         "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10) ON CONFLICT (ip) DO UPDATE SET ptr = excluded.ptr, "
                         "fcrdns = excluded.fcrdns, base_domain = excluded.base_domain, asn = excluded.asn, "
                         "as_name = excluded.as_name, country = excluded.country, status = excluded.status, "
                         "checked_at = excluded.checked_at, expires_at = excluded.expires_at",
                         [&](statement& s) {
                             s.bind(1, r.ip);
                             s.bind_or_null(2, r.ptr);
                             s.bind(3, std::int64_t{r.fcrdns ? 1 : 0});
                             s.bind_or_null(4, r.base_domain);
                             if (r.asn) s.bind(5, static_cast<std::int64_t>(*r.asn));
                             else s.bind_null(5);
                             s.bind_or_null(6, r.as_name);
                             s.bind_or_null(7, r.country);
                             s.bind(8, r.status);
                             s.bind(9, r.checked_at);
                             s.bind(10, r.expires_at);
                         });
        if (!w) {
            (void)exec("ROLLBACK TO save_ip_info");
            (void)exec("RELEASE save_ip_info");
            return w;
        }
    }
    return with_busy_retry([&] { return exec("RELEASE save_ip_info"); });
}

result<std::vector<ip_info>> sqlite_store::all_ip_infos() {
    statement s;
    auto p = s.prepare(db_, "SELECT ip, ptr, fcrdns, base_domain, asn, as_name, country, status, checked_at, expires_at "
                            "FROM ip_info ORDER BY ip");
    if (!p) return unexpected{p.err()};
    std::vector<ip_info> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_ip_info(s));
    if (rc != SQLITE_DONE) return fail(s.error_text(rc));
    return out;
}

result<std::vector<ip_info>> sqlite_store::ip_infos(const std::vector<std::string>& ips) {
    // One prepared point lookup per IP on the primary key: ~2 µs each, so 100,000 IPs take a
    // fraction of a second without a temporary table. Outside a transaction, every lookup would
    // be a read transaction of its own (two fcntl locks and a look at the WAL index each: 6% of
    // a policy run over 176,000 sources), so they share one, unless the caller has one open.
    const bool own = sqlite3_get_autocommit(db_) != 0;
    if (own) {
        if (auto b = exec("BEGIN"); !b) return unexpected{b.err()};
    }
    struct end_read {
        sqlite_store* self;
        bool own;
        ~end_read() {
            if (own) (void)self->exec("COMMIT");  // a read-only transaction: nothing to lose
        }
    } end{this, own};
    // stmt() keeps the pointer: a literal.
    auto& s = stmt("SELECT ip, ptr, fcrdns, base_domain, asn, as_name, country, status, checked_at, expires_at "
                   "FROM ip_info WHERE ip = ?1");
    if (!s.get()) return fail(prepare_error_);
    std::vector<ip_info> out;
    for (const auto& ip : ips) {
        s.reset();
        s.bind(1, ip);
        const int rc = s.step();
        if (rc == SQLITE_ROW) out.push_back(read_ip_info(s));
        else if (rc != SQLITE_DONE) {
            const std::string why = s.error_text(rc);
            s.reset();
            return fail(why);
        }
    }
    s.reset();
    return out;
}

}  // namespace dmarcsight::store::sqlite
