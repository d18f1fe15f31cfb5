// The SQLite driver, part 1: opening a database, refusing a file that is not ours, migrations.
// WAL journal so readers never block the writer and a SIGKILL mid-batch leaves the last committed
// state; a busy timeout so a second writer waits.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "store/sqlite/sqlite_store.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace dmarcsight::store {

std::string_view to_string(outcome o) {
    switch (o) {
        case outcome::stored: return "stored";
        case outcome::duplicate: return "duplicate";
        case outcome::skipped: return "skipped";
        case outcome::rejected: return "rejected";
    }
    return "rejected";
}

namespace sqlite {

namespace {
struct migration {
    const char* name;
    const char* sql;
};
constexpr migration sqlite_migrations[] = {
#include "store/sqlite_migrations.inc"
};
}  // namespace

std::string json_strings(const std::vector<std::string>& v) {
    return nlohmann::json(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<std::string> strings_from_json(const char* text) {
    std::vector<std::string> out;
    if (!text) return out;
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_array()) return out;
    for (const auto& e : j)
        if (e.is_string()) out.push_back(e.get<std::string>());
    return out;
}

sqlite_store::~sqlite_store() {
    // Statements first: sqlite3_close refuses while any is open.
    stmts_.clear();
    // close_v2 defers the close until the remaining statements are finalised.
    sqlite3_close_v2(db_);
}

result<void> sqlite_store::open(const std::string& path, open_mode mode) {
    path_ = path;
    int flags = SQLITE_OPEN_NOMUTEX;
    struct stat st;
    const bool exists = ::stat(path.c_str(), &st) == 0;
    if (mode == open_mode::read_only) {
        if (!exists) return fail("database '" + path + "' does not exist");
        flags |= SQLITE_OPEN_READONLY;
    } else {
        flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    }
    if (exists && S_ISDIR(st.st_mode)) return fail("database '" + path + "' is a folder");
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK)
        return fail("cannot open database '" + path + "': " + (db_ ? sqlite3_errmsg(db_) : "out of memory"));
    sqlite3_busy_timeout(db_, busy_timeout_ms);
    sqlite3_extended_result_codes(db_, 1);
    if (mode == open_mode::read_write) {
        auto m = register_pending_facts(db_, &pending_);
        if (!m) return m;
        // Before anything is written (even a PRAGMA that changes the file header): a file that
        // is not an SQLite database, or one that holds another program's tables, is refused.
        if (exists && st.st_size > 0) {
            auto r = with_busy_retry([&] { return refuse_foreign(path); });
            if (!r) return r;
        }
        // Two ingests may open a brand-new file at the same moment; switching it to WAL can
        // then answer BUSY without consulting the busy handler, so setup retries (bounded).
        auto r = with_busy_retry([&] {
            // 64 KiB pages: records are stored in ~256 KiB blocks, so large pages cut the write
            // calls (and their cost in this VM) several-fold. Only affects a new database.
            auto x = exec("PRAGMA page_size=65536");
            if (x) x = exec("PRAGMA journal_mode=WAL");
            // NORMAL in WAL mode: a crash or SIGKILL never corrupts; power loss may lose the
            // last batch.
            if (x) x = exec("PRAGMA synchronous=NORMAL");
            if (x) x = migrate();
            return x;
        });
        if (!r) return r;
    } else {
        auto r = refuse_foreign(path);
        if (!r) return r;
        auto v = pragma_value("PRAGMA user_version");
        if (!v) return unexpected{v.err()};
        if (*v == 0) return fail("'" + path + "' is not a dmarcsight database");
        if (*v < static_cast<std::int64_t>(std::size(sqlite_migrations))) {
            needs_upgrade_ = true;
            return fail("'" + path + "' was written by an older dmarcsight (schema " + std::to_string(*v) + ")");
        }
    }
    // A bounded page cache keeps memory flat however large the database grows.
    return exec("PRAGMA cache_size=-16000");
}

// Ours: our application_id, or (files written by schema v1, before the id) our tables. Empty
// (no schema objects at all): ours to set up. Anything else belongs to someone else.
result<void> sqlite_store::refuse_foreign(const std::string& path) {
    statement s;
    auto p = s.prepare(db_, "SELECT count(*), count(*) FILTER (WHERE type = 'table' AND name IN ('reports', 'record_blocks', 'inputs')) "
                            "FROM sqlite_schema");
    if (!p) {
        if ((sqlite3_errcode(db_) & 0xff) == SQLITE_BUSY) return unexpected{p.err()};
        return fail("'" + path + "' is not a dmarcsight database (" + sqlite3_errmsg(db_) + "); it was left untouched");
    }
    const int rc = s.step();
    if (rc != SQLITE_ROW) {
        if ((rc & 0xff) == SQLITE_BUSY) return sql_error();
        return fail("'" + path + "' is not a dmarcsight database (" + s.error_text(rc) + "); it was left untouched");
    }
    const std::int64_t objects = s.i64(0), ours = s.i64(1);
    auto app = pragma_value("PRAGMA application_id");
    if (!app) return unexpected{app.err()};
    if (*app == application_id) return {};
    if (objects == 0 && *app == 0) return {};
    auto v = pragma_value("PRAGMA user_version");
    if (!v) return unexpected{v.err()};
    if (*app == 0 && *v >= 1 && ours == 3) return {};  // written by schema v1
    return fail("'" + path + "' is an SQLite database of another program (" + std::to_string(objects) +
                " schema objects, none of them dmarcsight's); it was left untouched");
}

result<std::int64_t> sqlite_store::pragma_value(const char* sql) {
    statement s;
    auto p = s.prepare(db_, sql);
    if (!p) return unexpected{p.err()};
    const int rc = s.step();
    if (rc != SQLITE_ROW) return fail(s.error_text(rc));
    return s.i64(0);
}

result<void> sqlite_store::exec(const char* sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
        std::string m = msg ? msg : sqlite3_errmsg(db_);
        sqlite3_free(msg);
        if ((sqlite3_errcode(db_) & 0xff) == SQLITE_BUSY) m = "the database is locked by another process (" + m + ")";
        return fail("SQLite: " + m);
    }
    return {};
}

unexpected sqlite_store::sql_error() const {
    std::string m = sqlite3_errmsg(db_);
    if ((sqlite3_errcode(db_) & 0xff) == SQLITE_BUSY) m = "the database is locked by another process (" + m + ")";
    return fail("SQLite: " + m);
}

statement& sqlite_store::stmt(const char* sql) {
    // Callers pass string literals, so the same statement nearly always comes with the same
    // pointer: compare pointers first (a text comparison over every cached statement showed up in
    // the failure-ingest profile), then the text for a literal the compiler did not merge.
    for (auto& [text, s] : stmts_)
        if (text == sql) return *s;
    for (auto& [text, s] : stmts_)
        if (std::string_view(text) == sql) return *s;
    auto s = std::make_unique<statement>();
    auto p = s->prepare(db_, sql);
    if (!p) prepare_error_ = p.err().message;
    stmts_.emplace_back(sql, std::move(s));
    return *stmts_.back().second;
}

namespace {
// A claim of the SQLite driver: a write lock on one byte of <db>.claims (the byte chosen by the
// name's hash), on an open file description of its own, so it is released when the descriptor is
// closed: by the destructor, or by the kernel when the process ends, however it ends.
class file_claim final : public claim {
public:
    explicit file_claim(int fd) : fd_(fd) {}
    ~file_claim() override { ::close(fd_); }

private:
    int fd_;
};
}  // namespace

result<std::unique_ptr<claim>> sqlite_store::try_claim(std::string_view name) {
    const std::string file = path_ + ".claims";
    const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return fail("cannot open " + file + " to claim '" + std::string(name) + "': " + std::strerror(errno));
    struct flock lk {};
    lk.l_type = F_WRLCK;
    lk.l_whence = SEEK_SET;
    lk.l_start = static_cast<off_t>(stable_hash(name) & ((std::uint64_t{1} << 40) - 1));
    lk.l_len = 1;
    if (::fcntl(fd, F_OFD_SETLK, &lk) != 0) {
        const int e = errno;
        ::close(fd);
        if (e == EAGAIN || e == EACCES) return std::unique_ptr<claim>();
        return fail("cannot lock " + file + " to claim '" + std::string(name) + "': " + std::strerror(e));
    }
    return std::unique_ptr<claim>(new file_claim(fd));
}

// Applies every embedded migration newer than PRAGMA user_version, all in one transaction.
result<void> sqlite_store::migrate() {
    auto r = exec("BEGIN IMMEDIATE");
    if (!r) return r;
    auto v = pragma_value("PRAGMA user_version");
    if (!v) {
        (void)exec("ROLLBACK");
        return unexpected{v.err()};
    }
    const auto n = static_cast<std::int64_t>(std::size(sqlite_migrations));
    if (*v > n) {
        (void)exec("ROLLBACK");
        return fail("the database was written by a newer dmarcsight (schema " + std::to_string(*v) + ")");
    }
    for (std::int64_t i = *v; i < n; ++i) {
        r = exec(sqlite_migrations[i].sql);
        if (!r) {
            (void)exec("ROLLBACK");
            return fail(std::string("migration ") + sqlite_migrations[i].name + ": " + r.err().message);
        }
        r = exec(("PRAGMA user_version=" + std::to_string(i + 1)).c_str());
        if (!r) {
            (void)exec("ROLLBACK");
            return r;
        }
    }
    // A store written before schema v3 has reports but no facts: derive them from the stored
    // records now, in the same transaction (one pass over the records).
    if (*v >= 1 && *v < facts_schema_version && n >= facts_schema_version) {
        auto b = rebuild_facts_in_transaction({});
        if (!b) {
            (void)exec("ROLLBACK");
            return fail("upgrading the database (deriving the analysis facts): " + b.err().message);
        }
    }
    return exec("COMMIT");
}

}  // namespace sqlite

result<std::unique_ptr<store>> open_sqlite(const std::string& path, open_mode mode) {
    auto s = std::make_unique<sqlite::sqlite_store>();
    auto r = s->open(path, mode);
    if (!r && mode == open_mode::read_only && s->needs_upgrade()) {
        // Written by an older dmarcsight: upgrade it in place (the migrations), then read.
        s = std::make_unique<sqlite::sqlite_store>();
        r = s->open(path, open_mode::read_write);
        if (!r) return unexpected{error{"'" + path + "' needs an upgrade to this version's schema, which failed: " + r.err().message}};
        s = std::make_unique<sqlite::sqlite_store>();
        r = s->open(path, mode);
    }
    if (!r) return unexpected{r.err()};
    return std::unique_ptr<store>(std::move(s));
}

}  // namespace dmarcsight::store
