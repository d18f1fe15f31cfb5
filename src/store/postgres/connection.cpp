#include "store/postgres/connection.hpp"

#include <charconv>
#include <climits>

#include "core/text.hpp"

namespace dmarcsight::store::pg {

namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence (RFC 3629 §4) at s[i], or 0 when there is none.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    if (c >= 0x01 && c < 0x80) return 1;
    const auto cont = [&](std::size_t k) { return k < s.size() && (b(k) & 0xC0) == 0x80; };
    if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(i + 1) || !cont(i + 2)) return 0;
        if (c == 0xE0 && b(i + 1) < 0xA0) return 0;   // overlong
        if (c == 0xED && b(i + 1) >= 0xA0) return 0;  // surrogates
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
        if (c == 0xF0 && b(i + 1) < 0x90) return 0;
        if (c == 0xF4 && b(i + 1) >= 0x90) return 0;
        return 4;
    }
    return 0;  // NUL, a stray continuation byte, or a byte that never starts a sequence
}

}  // namespace

std::string_view server_text(std::string_view in, std::string& scratch) {
    if (in.find('\0') == std::string_view::npos && text::is_valid_utf8(in)) return in;
    scratch.clear();
    for (std::size_t i = 0; i < in.size();) {
        const std::size_t n = utf8_sequence(in, i);
        if (n == 0) {
            scratch += replacement;
            ++i;
        } else {
            scratch.append(in.substr(i, n));
            i += n;
        }
    }
    return scratch;
}

// --- params ------------------------------------------------------------------------------------
params& params::text(std::string_view v) {
    store_.emplace_back(server_text(v, scratch_));
    is_null_.push_back(false);
    lengths_.push_back(0);
    formats_.push_back(0);
    return *this;
}
params& params::text_or_null(std::string_view v) { return v.empty() ? null() : text(v); }
params& params::i64(std::int64_t v) {
    store_.push_back(std::to_string(v));
    is_null_.push_back(false);
    lengths_.push_back(0);
    formats_.push_back(0);
    return *this;
}
params& params::i64_or_null(const std::optional<std::int64_t>& v) { return v ? i64(*v) : null(); }
params& params::boolean(bool v) {
    store_.emplace_back(v ? "t" : "f");
    is_null_.push_back(false);
    lengths_.push_back(0);
    formats_.push_back(0);
    return *this;
}
params& params::bytes(std::string_view v) {
    store_.emplace_back(v);
    is_null_.push_back(false);
    lengths_.push_back(static_cast<int>(v.size()));
    formats_.push_back(1);
    return *this;
}
params& params::null() {
    store_.emplace_back();
    is_null_.push_back(true);
    lengths_.push_back(0);
    formats_.push_back(0);
    return *this;
}
const char* const* params::values() const {
    values_.clear();
    for (std::size_t i = 0; i < store_.size(); ++i) values_.push_back(is_null_[i] ? nullptr : store_[i].c_str());
    return values_.data();
}

// --- results -----------------------------------------------------------------------------------
std::int64_t result_set::i64(int row, int col) const {
    const std::string_view v = view(row, col);
    if (v.empty()) return 0;
    std::int64_t out = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec == std::errc::result_out_of_range) return v.front() == '-' ? INT64_MIN : INT64_MAX;
    if (ec != std::errc()) return 0;
    // A numeric with a fraction (never from our sums of integers): its integer part.
    (void)end;
    return out;
}

std::int64_t result_set::binary_int(int row, int col) const {
    const std::string_view v = view(row, col);
    if (v.size() != 4 && v.size() != 8) return 0;
    std::uint64_t x = 0;
    for (const char c : v) x = (x << 8) | static_cast<unsigned char>(c);
    if (v.size() == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(x));
    return static_cast<std::int64_t>(x);
}

bool result_set::bytes(int row, int col, std::string& out) const {
    const std::string_view v = view(row, col);
    out.clear();
    if (v.size() < 2 || v[0] != '\\' || v[1] != 'x' || v.size() % 2 != 0) return v.empty();
    const auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    out.reserve((v.size() - 2) / 2);
    for (std::size_t i = 2; i < v.size(); i += 2) {
        const int hi = nibble(v[i]), lo = nibble(v[i + 1]);
        if (hi < 0 || lo < 0) return false;
        out.push_back(static_cast<char>((hi << 4) | lo));
    }
    return true;
}

// --- connection --------------------------------------------------------------------------------
connection::~connection() {
    if (conn_) PQfinish(conn_);
}

result<void> connection::open(const std::string& uri, const std::string& shown) {
    shown_ = shown;
    // expand_dbname: the URI is parsed by libpq; what it leaves out comes from the PG* variables
    // and the service file. fallback_application_name names us in pg_stat_activity unless the
    // user set one.
    const char* keys[] = {"dbname", "fallback_application_name", "client_encoding", nullptr};
    const char* values[] = {uri.c_str(), "dmarcsight", "UTF8", nullptr};
    conn_ = PQconnectdbParams(keys, values, 1);
    if (!conn_) return fail("cannot connect to " + shown + ": out of memory");
    if (PQstatus(conn_) != CONNECTION_OK) {
        std::string why = PQerrorMessage(conn_);
        while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
        PQfinish(conn_);
        conn_ = nullptr;
        return fail("cannot connect to " + shown + ": " + why);
    }
    // NOTICEs ("relation already exists, skipping") are not for the user.
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
    return {};
}

unexpected connection::error_of(PGresult* r, std::string_view what) {
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    last_state_ = state ? state : "";
    std::string why = r ? PQresultErrorMessage(r) : "";
    if (why.empty()) why = PQerrorMessage(conn_);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    if (why.starts_with("ERROR:  ")) why = why.substr(8);
    // The first line says it; the rest quotes our own statement back ("LINE 1: ...").
    if (const std::size_t nl = why.find('\n'); nl != std::string::npos) why.resize(nl);
    std::string msg = "PostgreSQL (" + shown_ + "): " + why;
    if (!what.empty()) msg += " (" + std::string(what) + ")";
    if (last_state_ == insufficient_privilege || last_state_ == read_only_transaction)
        msg += "; this role may only read: use the database owner's role to write";
    return fail(msg);
}

result<void> connection::not_streaming() const {
    if (streaming_) return fail("internal error: a statement on " + shown_ + " while another one's rows are being read");
    return {};
}

result<result_set> connection::query(std::string_view sql, const params& p) {
    if (auto s = not_streaming(); !s) return unexpected{s.err()};
    last_state_.clear();
    const std::string text(sql);
    result_set r(PQexecParams(conn_, text.c_str(), p.size(), nullptr, p.values(), p.lengths(), p.formats(), 0));
    const ExecStatusType st = r.get() ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) return error_of(r.get(), {});
    return r;
}

result<void> connection::exec(std::string_view sql, const params& p) {
    auto r = query(sql, p);
    if (!r) return unexpected{r.err()};
    return {};
}

result<void> connection::exec_script(std::string_view sql) {
    if (auto s = not_streaming(); !s) return s;
    last_state_.clear();
    const std::string text(sql);
    result_set r(PQexec(conn_, text.c_str()));
    const ExecStatusType st = r.get() ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) return error_of(r.get(), {});
    return {};
}

result<void> connection::each_row(std::string_view sql, const params& p, const row_fn& fn, bool binary) {
    if (auto s = not_streaming(); !s) return s;
    last_state_.clear();
    const std::string text(sql);
    if (!PQsendQueryParams(conn_, text.c_str(), p.size(), nullptr, p.values(), p.lengths(), p.formats(), binary ? 1 : 0))
        return error_of(nullptr, {});
    PQsetSingleRowMode(conn_);
    result<void> outcome;
    bool failed = false;
    streaming_ = true;
    // Every result is read to the end, even after the callback failed: the connection must be
    // idle again for the next statement.
    while (PGresult* raw = PQgetResult(conn_)) {
        result_set r(raw);
        const ExecStatusType st = PQresultStatus(raw);
        if (st == PGRES_SINGLE_TUPLE) {
            if (!failed) {
                auto f = fn(r);
                if (!f) {
                    outcome = f;
                    failed = true;
                }
            }
        } else if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && !failed) {
            outcome = error_of(raw, {});
            failed = true;
        }
    }
    streaming_ = false;
    return outcome;
}

result<void> connection::copy_in(std::string_view copy_sql, const std::function<bool(std::string& buffer)>& fill) {
    if (auto s = not_streaming(); !s) return s;
    last_state_.clear();
    const std::string text(copy_sql);
    {
        result_set r(PQexec(conn_, text.c_str()));
        if (!r.get() || PQresultStatus(r.get()) != PGRES_COPY_IN) return error_of(r.get(), "COPY");
    }
    std::string buffer;
    constexpr std::size_t chunk = 256 * 1024;
    bool more = true;
    bool sent_ok = true;
    while (more && sent_ok) {
        buffer.clear();
        while (buffer.size() < chunk && (more = fill(buffer))) {
        }
        if (!buffer.empty() && PQputCopyData(conn_, buffer.data(), static_cast<int>(buffer.size())) != 1) sent_ok = false;
    }
    if (PQputCopyEnd(conn_, sent_ok ? nullptr : "dmarcsight: sending the rows failed") != 1) sent_ok = false;
    result<void> outcome;
    while (PGresult* raw = PQgetResult(conn_)) {
        result_set r(raw);
        if (PQresultStatus(raw) != PGRES_COMMAND_OK && outcome) outcome = error_of(raw, "COPY");
    }
    if (!sent_ok && outcome) outcome = error_of(nullptr, "COPY");
    return outcome;
}

result<std::string> connection::identifier(std::string_view name) {
    char* q = PQescapeIdentifier(conn_, name.data(), name.size());
    if (!q) return fail("'" + std::string(name) + "' cannot be an identifier: " + PQerrorMessage(conn_));
    std::string out = q;
    PQfreemem(q);
    return out;
}

std::string array_literal(const std::vector<std::string>& items) {
    std::string out = "{";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ',';
        out += '"';
        for (const char c : items[i]) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

void append_copy_text(std::string& out, std::string_view v, std::string& scratch) {
    for (const char c : server_text(v, scratch)) {
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '\t': out += "\\t"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            default: out.push_back(c);
        }
    }
}

void append_copy_bytea(std::string& out, std::string_view v) {
    static constexpr char hex[] = "0123456789abcdef";
    out += "\\\\x";
    for (const char c : v) {
        const auto b = static_cast<unsigned char>(c);
        out.push_back(hex[b >> 4]);
        out.push_back(hex[b & 15]);
    }
}

}  // namespace dmarcsight::store::pg
