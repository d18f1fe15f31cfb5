// The PostgreSQL driver, part 1: connecting, refusing a database whose tables are another
// program's, migrations (schema/postgres/NNNN_*.sql, recorded in dmarcsight_schema).
#include <nlohmann/json.hpp>

#include "core/time.hpp"
#include "store/open.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/postgres/postgres_store_impl.hpp"

namespace dmarcsight::store {

namespace postgres {

namespace {
struct migration {
    const char* name;
    const char* sql;
};
constexpr migration postgres_migrations[] = {
#include "store/postgres_migrations.inc"
};
// Session advisory lock held while migrating: workers starting at once on a new database apply
// the migrations once, one after the other ("dmsg" and "migr").
constexpr std::int64_t migration_lock = 0x646d73676d696772;
}  // namespace

std::int64_t schema_version() { return static_cast<std::int64_t>(std::size(postgres_migrations)); }

std::string json_strings(const std::vector<std::string>& v) {
    return nlohmann::json(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<std::string> strings_from_json(std::string_view text) {
    std::vector<std::string> out;
    if (text.empty()) return out;
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_array()) return out;
    for (const auto& e : j)
        if (e.is_string()) out.push_back(e.get<std::string>());
    return out;
}

result<void> postgres_store::open(const std::string& uri, open_mode mode) {
    uri_ = uri;
    shown_ = redacted(uri);
    mode_ = mode;
    auto c = db_.open(uri, shown_);
    if (!c) return c;
    if (mode == open_mode::read_only) {
        // Nothing this session runs can write, whatever the role may do.
        auto r = db_.exec("SET default_transaction_read_only = on");
        if (!r) return r;
        auto v = db_.query("SELECT to_regclass('dmarcsight_schema') IS NOT NULL");
        if (!v) return unexpected{v.err()};
        if (v->view(0, 0) != "t")
            return fail(shown_ + " holds no dmarcsight store (its tables are made by the first `dmarcsight ingest`)");
        auto n = db_.query("SELECT coalesce(max(version), 0) FROM dmarcsight_schema");
        if (!n) return unexpected{n.err()};
        const std::int64_t have = n->i64(0, 0);
        needs_upgrade_ = have < schema_version();
        if (have < schema_version())
            return fail(shown_ + " was written by an older dmarcsight (schema " + std::to_string(have) +
                        "); open it once for writing as its owner (any `dmarcsight ingest`) to upgrade it");
        if (have > schema_version())
            return fail(shown_ + " was written by a newer dmarcsight (schema " + std::to_string(have) + ")");
        return {};
    }
    auto l = db_.exec("SELECT pg_advisory_lock($1)", pg::params().i64(migration_lock));
    if (!l) return l;
    auto r = refuse_foreign();
    if (r) r = migrate();
    auto u = db_.exec("SELECT pg_advisory_unlock($1)", pg::params().i64(migration_lock));
    if (!r) return r;
    return u;
}

// Ours: dmarcsight_schema is there. A database without it that has a table of one of our names
// belongs to someone else and is left untouched; other tables beside ours are the user's affair.
result<void> postgres_store::refuse_foreign() {
    auto q = db_.query(
        "SELECT to_regclass('dmarcsight_schema') IS NOT NULL, "
        "(SELECT string_agg(c.relname, ', ' ORDER BY c.relname) FROM pg_class c "
        "  WHERE c.relnamespace = to_regnamespace(current_schema()) AND c.relkind IN ('r', 'v', 'p') "
        "    AND c.relname IN ('reports', 'record_blocks', 'inputs', 'fact_domains', 'fact_reporters', 'source_facts', "
        "                      'v_source_day', 'ip_info', 'labels', 'work_claims')), current_schema()");
    if (!q) return unexpected{q.err()};
    if (q->is_null(0, 2)) return fail(shown_ + ": no schema to create tables in (the search_path names none that exists)");
    if (q->view(0, 0) == "t" || q->is_null(0, 1)) return {};
    return fail(shown_ + " (schema " + q->text(0, 2) + ") holds tables of another program with dmarcsight's names (" + q->text(0, 1) +
                "); it was left untouched: use a database or schema of its own");
}

// Applies every migration newer than the database's, each in a transaction of its own with the
// record of it.
result<void> postgres_store::migrate() {
    // Only a new database needs DDL here: a role that may write reports but not create tables
    // opens a current store.
    auto exists = db_.query("SELECT to_regclass('dmarcsight_schema') IS NOT NULL");
    if (!exists) return unexpected{exists.err()};
    result<void> r;
    if (exists->view(0, 0) != "t")
        r = db_.exec("CREATE TABLE IF NOT EXISTS dmarcsight_schema (version integer PRIMARY KEY, name text NOT NULL, "
                     "applied_at bigint NOT NULL)");
    if (!r) return r;
    auto v = db_.query("SELECT coalesce(max(version), 0) FROM dmarcsight_schema");
    if (!v) return unexpected{v.err()};
    const std::int64_t have = v->i64(0, 0);
    if (have > schema_version())
        return fail(shown_ + " was written by a newer dmarcsight (schema " + std::to_string(have) + ")");
    for (std::int64_t i = have; i < schema_version(); ++i) {
        const migration& m = postgres_migrations[i];
        r = db_.exec("BEGIN");
        if (r) r = db_.exec_script(m.sql);
        if (r)
            r = db_.exec("INSERT INTO dmarcsight_schema (version, name, applied_at) VALUES ($1, $2, $3)",
                         pg::params().i64(i + 1).text(m.name).i64(utc::now()));
        if (r) r = db_.exec("COMMIT");
        if (!r) {
            (void)db_.exec("ROLLBACK");
            return fail(std::string("migration ") + m.name + ": " + r.err().message);
        }
    }
    return {};
}

}  // namespace postgres

result<std::unique_ptr<store>> open_postgres(const std::string& uri, open_mode mode) {
    auto s = std::make_unique<postgres::postgres_store>();
    auto r = s->open(uri, mode);
    if (!r && mode == open_mode::read_only && s->needs_upgrade()) {
        // Written by an older dmarcsight: upgrade it (the migrations, as a writer), then read.
        s = std::make_unique<postgres::postgres_store>();
        auto w = s->open(uri, open_mode::read_write);
        if (!w) return unexpected{error{r.err().message + "; upgrading it failed: " + w.err().message}};
        s = std::make_unique<postgres::postgres_store>();
        r = s->open(uri, mode);
    }
    if (!r) return unexpected{r.err()};
    return std::unique_ptr<store>(std::move(s));
}

}  // namespace dmarcsight::store
