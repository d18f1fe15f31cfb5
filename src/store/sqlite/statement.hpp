// A prepared SQLite statement with checked binds: the first bind that fails (too big, out of
// memory, a wrong index) is remembered and step() reports it instead of running the statement
// with a parameter missing. Values from reports only ever reach SQL through these binds.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace dmarcsight::store::sqlite {

class statement {
public:
    statement() = default;
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    ~statement() { sqlite3_finalize(stmt_); }

    result<void> prepare(sqlite3* db, const char* sql) {
        sqlite3_finalize(stmt_);
        stmt_ = nullptr;
        db_ = db;
        if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK)
            return fail(std::string("SQLite: ") + sqlite3_errmsg(db));
        return {};
    }
    sqlite3_stmt* get() const { return stmt_; }
    void reset() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
        bind_rc_ = SQLITE_OK;
    }
    // reset, keeping the bound values: for a caller that binds every parameter again.
    void rewind() {
        sqlite3_reset(stmt_);
        bind_rc_ = SQLITE_OK;
    }

    void bind(int i, std::string_view s) {
        check(sqlite3_bind_text64(stmt_, i, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
    }
    // The text must stay valid until the statement is reset.
    void bind_text_static(int i, std::string_view s) {
        check(sqlite3_bind_text64(stmt_, i, s.empty() ? "" : s.data(), s.size(), SQLITE_STATIC, SQLITE_UTF8));
    }
    void bind_or_null(int i, std::string_view s) {
        if (s.empty()) bind_null(i);
        else bind(i, s);
    }
    void bind(int i, std::int64_t v) { check(sqlite3_bind_int64(stmt_, i, v)); }
    void bind_null(int i) { check(sqlite3_bind_null(stmt_, i)); }
    // The caller keeps the bytes alive until the statement is reset.
    void bind_blob_static(int i, const void* data, std::size_t n) {
        check(sqlite3_bind_blob64(stmt_, i, data, n, SQLITE_STATIC));
    }

    // One step: SQLITE_ROW, SQLITE_DONE, or an error code; a failed bind is returned as its code
    // without stepping.
    int step() {
        if (bind_rc_ != SQLITE_OK) return bind_rc_;
        return sqlite3_step(stmt_);
    }
    // Why the last bind or step failed.
    std::string error_text(int rc) const {
        if (bind_rc_ != SQLITE_OK) return std::string("cannot bind a value: ") + sqlite3_errstr(bind_rc_);
        std::string m = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        if ((rc & 0xff) == SQLITE_BUSY) m = "the database is locked by another process (" + m + ")";
        return "SQLite: " + m;
    }

    std::string text(int col) const {
        const auto* p = sqlite3_column_text(stmt_, col);
        return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
                 : std::string();
    }
    const char* cstr(int col) const { return reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col)); }
    std::int64_t i64(int col) const { return sqlite3_column_int64(stmt_, col); }
    double dbl(int col) const { return sqlite3_column_double(stmt_, col); }
    bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

private:
    void check(int rc) {
        if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
    }
    sqlite3_stmt* stmt_ = nullptr;
    sqlite3* db_ = nullptr;
    int bind_rc_ = SQLITE_OK;
};

}  // namespace dmarcsight::store::sqlite
