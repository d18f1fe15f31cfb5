// The PostgreSQL driver, part 5: the enrichment cache (ip_info), the user's labels, and claims on
// work done once across workers (work_claims).
#include <algorithm>

#include "core/time.hpp"
#include "store/postgres/postgres_store_impl.hpp"

namespace dmarcsight::store::postgres {

namespace {

constexpr const char* ip_info_columns = "ip, ptr, fcrdns, base_domain, asn, as_name, country, status, checked_at, expires_at";

ip_info read_ip_info(const pg::result_set& q, int i) {
    ip_info r;
    r.ip = q.text(i, 0);
    r.ptr = q.text(i, 1);
    r.fcrdns = q.boolean(i, 2);
    r.base_domain = q.text(i, 3);
    if (!q.is_null(i, 4)) r.asn = static_cast<std::uint32_t>(q.i64(i, 4));
    r.as_name = q.text(i, 5);
    r.country = q.text(i, 6);
    r.status = q.text(i, 7);
    r.checked_at = q.i64(i, 8);
    r.expires_at = q.i64(i, 9);
    return r;
}

// A claim: its row stays locked by the open transaction of a connection of its own; ending the
// transaction (or the connection, or the process) releases it.
class row_claim final : public claim {
public:
    explicit row_claim(std::unique_ptr<pg::connection> c) : c_(std::move(c)) {}
    ~row_claim() override { (void)c_->exec("COMMIT"); }

private:
    std::unique_ptr<pg::connection> c_;
};

}  // namespace

result<std::vector<std::string>> postgres_store::ips_to_enrich(std::int64_t now, const fact_filter& f) {
    std::string sql = "SELECT DISTINCT f.source_ip FROM source_facts f JOIN fact_domains d ON d.id = f.domain_id WHERE ";
    pg::params ps;
    if (f.domain.empty()) {
        sql += "$1::text IS NULL";
        ps.null();
    } else {
        sql += f.include_subdomains ? "(d.policy_domain = $1 OR right(d.policy_domain, length($1) + 1) = '.' || $1)"
                                    : "d.policy_domain = $1";
        ps.text(f.domain);
    }
    sql += " AND ($2::date IS NULL OR f.day >= $2::date) AND ($3::date IS NULL OR f.day < $3::date)"
           " AND ($4::text IS NULL OR f.source_ip = $4)"
           " AND NOT EXISTS (SELECT 1 FROM ip_info i WHERE i.ip = f.source_ip AND i.expires_at > $5) ORDER BY 1";
    ps.text_or_null(f.since_day).text_or_null(f.until_day).text_or_null(f.source_ip).i64(now);
    std::vector<std::string> out;
    auto r = db_.each_row(sql, ps, [&](const pg::result_set& row) -> result<void> {
        out.emplace_back(row.view(0, 0));
        return {};
    });
    if (!r) return unexpected{r.err()};
    return out;
}

result<void> postgres_store::save_ip_info(const std::vector<ip_info>& rows) {
    if (rows.empty()) return {};
    // In IP order, so two enrich runs writing overlapping rows lock them in the same order.
    std::vector<const ip_info*> sorted;
    for (const auto& r : rows) sorted.push_back(&r);
    std::sort(sorted.begin(), sorted.end(), [](const ip_info* a, const ip_info* b) { return a->ip < b->ip; });
    const bool own = !in_batch_;
    if (own) {
        auto b = db_.exec("BEGIN");
        if (!b) return b;
    }
    for (const ip_info* r : sorted) {
        pg::params ps;
        ps.text(r->ip).text_or_null(r->ptr).boolean(r->fcrdns).text_or_null(r->base_domain);
        if (r->asn) ps.i64(*r->asn);
        else ps.null();
        ps.text_or_null(r->as_name).text_or_null(r->country).text(r->status).i64(r->checked_at).i64(r->expires_at);
        auto w = db_.exec("INSERT INTO ip_info (" + std::string(ip_info_columns) +
                              ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT (ip) DO UPDATE SET ptr = excluded.ptr, "
                              "fcrdns = excluded.fcrdns, base_domain = excluded.base_domain, asn = excluded.asn, "
                              "as_name = excluded.as_name, country = excluded.country, status = excluded.status, "
                              "checked_at = excluded.checked_at, expires_at = excluded.expires_at",
                          ps);
        if (!w) {
            if (own) (void)db_.exec("ROLLBACK");
            return w;
        }
    }
    return own ? db_.exec("COMMIT") : result<void>{};
}

result<std::vector<ip_info>> postgres_store::ip_infos(const std::vector<std::string>& ips) {
    std::vector<ip_info> out;
    // A few thousand at a time: one statement each, not one per IP.
    constexpr std::size_t per_query = 4096;
    for (std::size_t at = 0; at < ips.size(); at += per_query) {
        const std::size_t to = std::min(ips.size(), at + per_query);
        const std::vector<std::string> some(ips.begin() + static_cast<std::ptrdiff_t>(at), ips.begin() + static_cast<std::ptrdiff_t>(to));
        auto q = db_.query("SELECT " + std::string(ip_info_columns) + " FROM ip_info WHERE ip = ANY($1::text[])",
                           pg::params().text(pg::array_literal(some)));
        if (!q) return unexpected{q.err()};
        for (int i = 0; i < q->rows(); ++i) out.push_back(read_ip_info(*q, i));
    }
    return out;
}

result<std::vector<ip_info>> postgres_store::all_ip_infos() {
    std::vector<ip_info> out;
    auto r = db_.each_row("SELECT " + std::string(ip_info_columns) + " FROM ip_info ORDER BY ip", pg::params(),
                          [&](const pg::result_set& row) -> result<void> {
                              out.push_back(read_ip_info(row, 0));
                              return {};
                          });
    if (!r) return unexpected{r.err()};
    return out;
}

result<void> postgres_store::put_label(const label_row& row) {
    return db_.exec("INSERT INTO labels (policy_domain, source, service, class, note, created_at) VALUES ($1,$2,$3,$4,$5,$6) "
                    "ON CONFLICT (policy_domain, source, service) DO UPDATE SET class = excluded.class, note = excluded.note, "
                    "created_at = excluded.created_at",
                    pg::params()
                        .text(row.policy_domain)
                        .text(row.source)
                        .text(row.service)
                        .text(row.cls)
                        .text_or_null(row.note)
                        .i64(row.created_at != 0 ? row.created_at : utc::now()));
}

result<bool> postgres_store::remove_label(const label_row& row) {
    auto q = db_.query("DELETE FROM labels WHERE policy_domain = $1 AND source = $2 AND service = $3 RETURNING id",
                       pg::params().text(row.policy_domain).text(row.source).text(row.service));
    if (!q) return unexpected{q.err()};
    return q->rows() > 0;
}

result<std::vector<label_row>> postgres_store::labels(const std::string& domain) {
    auto q = domain.empty() ? db_.query("SELECT id, policy_domain, source, service, class, note, created_at FROM labels "
                                        "ORDER BY policy_domain, source, service")
                            : db_.query("SELECT id, policy_domain, source, service, class, note, created_at FROM labels "
                                        "WHERE policy_domain = $1 ORDER BY source, service",
                                        pg::params().text(domain));
    if (!q) return unexpected{q.err()};
    std::vector<label_row> out;
    for (int i = 0; i < q->rows(); ++i) {
        label_row l;
        l.id = q->i64(i, 0);
        l.policy_domain = q->text(i, 1);
        l.source = q->text(i, 2);
        l.service = q->text(i, 3);
        l.cls = q->text(i, 4);
        l.note = q->text(i, 5);
        l.created_at = q->i64(i, 6);
        out.push_back(std::move(l));
    }
    return out;
}

result<void> postgres_store::grant_reader(std::string_view role) {
    auto names = db_.query("SELECT current_database(), current_schema()");
    if (!names) return unexpected{names.err()};
    auto who = db_.identifier(role);
    auto database = db_.identifier(names->view(0, 0));
    auto schema = db_.identifier(names->view(0, 1));
    if (!who) return unexpected{who.err()};
    if (!database) return unexpected{database.err()};
    if (!schema) return unexpected{schema.err()};
    auto r = db_.exec("BEGIN");
    for (const std::string& sql : {"GRANT CONNECT ON DATABASE " + *database + " TO " + *who,
                                   "GRANT USAGE ON SCHEMA " + *schema + " TO " + *who,
                                   "GRANT SELECT ON ALL TABLES IN SCHEMA " + *schema + " TO " + *who,
                                   // Tables later migrations make (as this owner) are readable too.
                                   "ALTER DEFAULT PRIVILEGES IN SCHEMA " + *schema + " GRANT SELECT ON TABLES TO " + *who})
        if (r) r = db_.exec(sql);
    if (!r) {
        (void)db_.exec("ROLLBACK");
        return r;
    }
    return db_.exec("COMMIT");
}

result<std::unique_ptr<claim>> postgres_store::try_claim(std::string_view name) {
    auto c = std::make_unique<pg::connection>();
    auto o = c->open(uri_, shown_);
    if (!o) return unexpected{o.err()};
    // The row first, in a statement of its own (a new name's row is then there for everyone);
    // then, in the transaction that holds the claim, its lock, skipping a row that is locked.
    auto r = c->exec("INSERT INTO work_claims (name) SELECT $1::text WHERE NOT EXISTS "
                     "(SELECT 1 FROM work_claims WHERE name = $1) ON CONFLICT (name) DO NOTHING",
                     pg::params().text(name));
    if (r) r = c->exec("SELECT set_config('application_name', $1, false)", pg::params().text("dmarcsight claim " + std::string(name)));
    if (r) r = c->exec("BEGIN");
    if (!r) return unexpected{r.err()};
    auto q = c->query("SELECT name FROM work_claims WHERE name = $1 FOR UPDATE SKIP LOCKED", pg::params().text(name));
    if (!q) return unexpected{q.err()};
    if (q->rows() == 0) return std::unique_ptr<claim>();
    return std::unique_ptr<claim>(new row_claim(std::move(c)));
}

}  // namespace dmarcsight::store::postgres
