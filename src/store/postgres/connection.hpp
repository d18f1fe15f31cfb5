// The PostgreSQL driver's use of libpq, in one place: a connection, statement parameters, results,
// rows streamed one at a time, COPY. Every value from a report reaches the server as a parameter
// (PQexecParams) or as escaped COPY data, never as SQL text. Internal to src/store/postgres/.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace dmarcsight::store::pg {

// SQLSTATEs the driver acts on (PostgreSQL Appendix A).
inline constexpr std::string_view unique_violation = "23505";
inline constexpr std::string_view insufficient_privilege = "42501";
inline constexpr std::string_view read_only_transaction = "25006";

// Text as the server accepts it: a UTF8 database refuses invalid UTF-8 and NUL in any text value.
// Report fields are valid UTF-8 already (the XML reader repairs them); file names need not be.
// Invalid sequences and NUL become U+FFFD, the way the XML reader repairs report text. Returns
// `in` itself when it is acceptable, else the repaired text in `scratch`.
std::string_view server_text(std::string_view in, std::string& scratch);

// Statement parameters in libpq's text format (NULL where absent), bytea in binary.
class params {
public:
    params& text(std::string_view v);
    params& text_or_null(std::string_view v);  // empty: NULL
    params& i64(std::int64_t v);
    params& i64_or_null(const std::optional<std::int64_t>& v);
    params& boolean(bool v);
    params& bytes(std::string_view v);  // bytea, sent as binary
    params& null();
    int size() const { return static_cast<int>(values_.size()); }
    const char* const* values() const;
    const int* lengths() const { return lengths_.data(); }
    const int* formats() const { return formats_.data(); }

private:
    std::vector<std::string> store_;
    std::vector<bool> is_null_;
    std::vector<int> lengths_, formats_;
    mutable std::vector<const char*> values_;
    std::string scratch_;
};

// A result, freed when it goes. Values are text (libpq's text format).
class result_set {
public:
    result_set() = default;
    explicit result_set(PGresult* r) : r_(r, &PQclear) {}
    PGresult* get() const { return r_.get(); }
    int rows() const { return r_ ? PQntuples(r_.get()) : 0; }
    bool is_null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
    std::string_view view(int row, int col) const {
        return {PQgetvalue(r_.get(), row, col), static_cast<std::size_t>(PQgetlength(r_.get(), row, col))};
    }
    std::string text(int row, int col) const { return std::string(view(row, col)); }
    // Integers; a NULL is 0. A sum() (numeric) beyond int64 saturates at INT64_MAX.
    std::int64_t i64(int row, int col) const;
    bool boolean(int row, int col) const { return view(row, col) == "t"; }
    // An integer column of a binary-format result (int4 or int8, big-endian).
    std::int64_t binary_int(int row, int col) const;
    // A bytea value (hex output, "\x..."), decoded into `out`; false: not hex.
    bool bytes(int row, int col, std::string& out) const;

private:
    std::shared_ptr<PGresult> r_;
};

// One row of a streamed result (single-row mode): valid inside the callback only.
using row_fn = std::function<result<void>(const result_set& row)>;

class connection {
public:
    connection() = default;
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    // `uri` as libpq reads it (PG* variables fill the rest); `shown` names the database in errors.
    result<void> open(const std::string& uri, const std::string& shown);
    bool is_open() const { return conn_ != nullptr; }
    PGconn* raw() const { return conn_; }

    // Runs sql (with params): the rows it returns. An error says what the server said.
    result<result_set> query(std::string_view sql, const params& p = params());
    result<void> exec(std::string_view sql, const params& p = params());
    // Several statements of our own (a migration), without parameters.
    result<void> exec_script(std::string_view sql);
    // Streams the rows one at a time (memory stays bounded however many rows there are). With
    // `binary` the values come in libpq's binary format (bytea as its bytes: record blocks).
    result<void> each_row(std::string_view sql, const params& p, const row_fn& fn, bool binary = false);
    // COPY ... FROM STDIN: `fill` appends text-format lines to its buffer; the buffer is sent
    // whenever it holds ~256 KiB and returns true while there are more rows.
    result<void> copy_in(std::string_view copy_sql, const std::function<bool(std::string& buffer)>& fill);

    // An identifier quoted for SQL text (PQescapeIdentifier): for GRANT, which takes no parameters.
    result<std::string> identifier(std::string_view name);

    // The SQLSTATE of the last error ("" when none, or not from the server).
    const std::string& last_state() const { return last_state_; }

private:
    unexpected error_of(PGresult* r, std::string_view what);
    // A statement run while each_row streams would make libpq drop the rest of the stream without
    // a word: refused loudly instead.
    result<void> not_streaming() const;
    PGconn* conn_ = nullptr;
    bool streaming_ = false;
    std::string shown_;
    std::string last_state_;
};

// An array parameter in PostgreSQL's array literal syntax ({"a","b"}: every element quoted, '"'
// and '\\' escaped), for `= ANY($1::text[])` and unnest; int[] accepts it too.
std::string array_literal(const std::vector<std::string>& items);

// COPY text format (PostgreSQL "COPY", File Formats): backslash, tab, newline and carriage
// return are escaped; the text is made acceptable first (server_text).
void append_copy_text(std::string& out, std::string_view v, std::string& scratch);
// A bytea in COPY text format: "\\x" then hex (the backslash itself escaped).
void append_copy_bytea(std::string& out, std::string_view v);

}  // namespace dmarcsight::store::pg
