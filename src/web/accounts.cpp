#include "web/accounts.hpp"

#include <sodium.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <functional>

#include "core/text.hpp"
#include "core/time.hpp"

namespace dmarcsight::web {

namespace {

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS users (
    name          TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,   -- crypto_pwhash_str: $argon2id$v=19$m=...,t=...,p=1$salt$hash
    all_domains   INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS user_domains (
    user   TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    domain TEXT NOT NULL,
    PRIMARY KEY (user, domain)
);
CREATE TABLE IF NOT EXISTS tokens (
    id         INTEGER PRIMARY KEY,
    user       TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    label      TEXT NOT NULL,
    sha256     BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
-- Browser sessions: the cookie's SHA-256 (like a token's), its CSRF token, and its times.
CREATE TABLE IF NOT EXISTS sessions (
    id         INTEGER PRIMARY KEY,
    user       TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    sha256     BLOB NOT NULL UNIQUE,
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL
);
-- Saved views: a user's named deep links into the dashboard ("#/sources?domain=…").
CREATE TABLE IF NOT EXISTS saved_views (
    id         INTEGER PRIMARY KEY,
    user       TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    route      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (user, name)
);
)sql";

constexpr std::string_view token_prefix = "dms_";

// One statement: prepared, bound by `bind`, stepped; `row` sees each result row.
struct stmt {
    sqlite3_stmt* s = nullptr;
    ~stmt() { sqlite3_finalize(s); }
};

struct digest {
    unsigned char bytes[crypto_hash_sha256_BYTES];
};
digest sha256_of(std::string_view secret) {
    digest d;
    crypto_hash_sha256(d.bytes, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
    return d;
}

std::string hex(const unsigned char* p, std::size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        out += digits[p[i] >> 4];
        out += digits[p[i] & 15];
    }
    return out;
}

std::string random_hex(std::size_t bytes) {
    std::vector<unsigned char> raw(bytes);
    randombytes_buf(raw.data(), raw.size());
    return hex(raw.data(), raw.size());
}

}  // namespace

bool account::sees(std::string_view d) const {
    if (all_domains) return true;
    return std::any_of(domains.begin(), domains.end(), [&](const std::string& g) {
        return d == g || (d.size() > g.size() + 1 && d.ends_with(g) && d[d.size() - g.size() - 1] == '.');
    });
}

bool valid_user_name(std::string_view n) {
    if (n.empty() || n.size() > 64) return false;
    const auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'; };
    if (!std::all_of(n.begin(), n.end(), ok)) return false;
    return n[0] != '.' && n[0] != '_' && n[0] != '-';
}

std::optional<std::string> default_state_path(const std::string& store) {
    if (store.starts_with("postgres://") || store.starts_with("postgresql://")) return std::nullopt;
    return store + ".web";
}

struct accounts::impl {
    sqlite3* db = nullptr;
    std::string path;
    ~impl() { sqlite3_close(db); }

    unexpected error(const std::string& what) const { return fail(path + ": " + what + ": " + sqlite3_errmsg(db)); }

    // Runs `sql` with `bind` setting its parameters; `row` is called per result row.
    result<void> run(const char* sql, const std::function<void(sqlite3_stmt*)>& bind,
                     const std::function<void(sqlite3_stmt*)>& row = nullptr) {
        stmt st;
        if (sqlite3_prepare_v2(db, sql, -1, &st.s, nullptr) != SQLITE_OK) return error("cannot prepare a statement");
        if (bind) bind(st.s);
        int rc;
        while ((rc = sqlite3_step(st.s)) == SQLITE_ROW)
            if (row) row(st.s);
        if (rc != SQLITE_DONE) return error("cannot read or write the accounts");
        return {};
    }
    static std::string text(sqlite3_stmt* s, int col) {
        const auto* p = sqlite3_column_text(s, col);
        return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(s, col))) : std::string();
    }
    static void bind_text(sqlite3_stmt* s, int i, std::string_view v) {
        sqlite3_bind_text64(s, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    }

    result<std::optional<account>> user(const std::string& name) {
        std::optional<account> out;
        auto r = run("SELECT name, all_domains, created_at FROM users WHERE name = ?1", [&](sqlite3_stmt* s) { bind_text(s, 1, name); },
                     [&](sqlite3_stmt* s) {
                         account a;
                         a.name = text(s, 0);
                         a.all_domains = sqlite3_column_int(s, 1) != 0;
                         a.created_at = sqlite3_column_int64(s, 2);
                         out = std::move(a);
                     });
        if (!r) return unexpected{r.err()};
        if (!out) return out;
        r = run("SELECT domain FROM user_domains WHERE user = ?1 ORDER BY domain", [&](sqlite3_stmt* s) { bind_text(s, 1, name); },
                [&](sqlite3_stmt* s) { out->domains.push_back(text(s, 0)); });
        if (!r) return unexpected{r.err()};
        return out;
    }
};

accounts::accounts(std::unique_ptr<impl> p) : p_(std::move(p)) {}
accounts::~accounts() = default;

result<std::unique_ptr<accounts>> accounts::open(const std::string& path, bool create) {
    if (sodium_init() < 0) return fail("libsodium cannot start");
    auto p = std::make_unique<impl>();
    p->path = path;
    const int flags = create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READWRITE;
    if (sqlite3_open_v2(path.c_str(), &p->db, flags, nullptr) != SQLITE_OK) {
        if (!create) return fail("no accounts file '" + path + "' (create one with: dmarcsight user add)");
        return p->error("cannot open the accounts file");
    }
    // Password hashes and token hashes: readable by the server's user alone.
    if (create) ::chmod(path.c_str(), 0600);
    sqlite3_busy_timeout(p->db, 5000);
    if (sqlite3_exec(p->db, "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL;", nullptr, nullptr, nullptr) != SQLITE_OK ||
        sqlite3_exec(p->db, schema, nullptr, nullptr, nullptr) != SQLITE_OK)
        return p->error("not an accounts file, or it cannot be written");
    return std::unique_ptr<accounts>(new accounts(std::move(p)));
}

result<void> accounts::add_user(const std::string& name, const std::string& password, bool all_domains,
                                const std::vector<std::string>& domains) {
    if (!valid_user_name(name)) return fail("user name '" + name + "': use 1-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit");
    if (password.size() < min_password_length)
        return fail("the password is shorter than " + std::to_string(min_password_length) + " characters");
    if (password.size() > max_password_length) return fail("the password is longer than " + std::to_string(max_password_length) + " bytes");
    if (!all_domains && domains.empty()) return fail("say which domains the user sees: --domain D (repeatable) or --all-domains");
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return fail("cannot hash the password (out of memory)");
    auto exists = p_->user(name);
    if (!exists) return unexpected{exists.err()};
    if (*exists) return fail("user '" + name + "' exists already");
    if (sqlite3_exec(p_->db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) return p_->error("cannot begin");
    auto r = p_->run("INSERT INTO users (name, password_hash, all_domains, created_at) VALUES (?1, ?2, ?3, ?4)", [&](sqlite3_stmt* s) {
        impl::bind_text(s, 1, name);
        impl::bind_text(s, 2, hash);
        sqlite3_bind_int(s, 3, all_domains ? 1 : 0);
        sqlite3_bind_int64(s, 4, utc::now());
    });
    for (const auto& d : domains) {
        if (!r) break;
        r = p_->run("INSERT OR IGNORE INTO user_domains (user, domain) VALUES (?1, ?2)", [&](sqlite3_stmt* s) {
            impl::bind_text(s, 1, name);
            impl::bind_text(s, 2, text::normalize_domain(d));
        });
    }
    sqlite3_exec(p_->db, r ? "COMMIT" : "ROLLBACK", nullptr, nullptr, nullptr);
    return r;
}

result<void> accounts::remove_user(const std::string& name) {
    auto r = p_->run("DELETE FROM users WHERE name = ?1", [&](sqlite3_stmt* s) { impl::bind_text(s, 1, name); });
    if (!r) return r;
    if (sqlite3_changes(p_->db) == 0) return fail("no user '" + name + "'");
    return {};
}

result<std::vector<account>> accounts::users() {
    std::vector<std::string> names;
    auto r = p_->run("SELECT name FROM users ORDER BY name", nullptr, [&](sqlite3_stmt* s) { names.push_back(impl::text(s, 0)); });
    if (!r) return unexpected{r.err()};
    std::vector<account> out;
    for (const auto& n : names) {
        auto u = p_->user(n);
        if (!u) return unexpected{u.err()};
        if (*u) out.push_back(std::move(**u));
    }
    return out;
}

result<bool> accounts::any_user() {
    bool any = false;
    auto r = p_->run("SELECT 1 FROM users LIMIT 1", nullptr, [&](sqlite3_stmt*) { any = true; });
    if (!r) return unexpected{r.err()};
    return any;
}

result<std::string> accounts::add_token(const std::string& user, const std::string& label) {
    auto u = p_->user(user);
    if (!u) return unexpected{u.err()};
    if (!*u) return fail("no user '" + user + "' (dmarcsight user add first)");
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    const std::string secret = std::string(token_prefix) + hex(raw, sizeof raw);
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
    auto r = p_->run("INSERT INTO tokens (user, label, sha256, created_at) VALUES (?1, ?2, ?3, ?4)", [&](sqlite3_stmt* s) {
        impl::bind_text(s, 1, user);
        impl::bind_text(s, 2, label);
        sqlite3_bind_blob(s, 3, digest, sizeof digest, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 4, utc::now());
    });
    if (!r) return unexpected{r.err()};
    return secret;
}

result<void> accounts::revoke_token(std::int64_t id) {
    auto r = p_->run("DELETE FROM tokens WHERE id = ?1", [&](sqlite3_stmt* s) { sqlite3_bind_int64(s, 1, id); });
    if (!r) return r;
    if (sqlite3_changes(p_->db) == 0) return fail("no token #" + std::to_string(id));
    return {};
}

result<std::vector<token_info>> accounts::tokens() {
    std::vector<token_info> out;
    auto r = p_->run("SELECT id, user, label, created_at FROM tokens ORDER BY id", nullptr, [&](sqlite3_stmt* s) {
        out.push_back({sqlite3_column_int64(s, 0), impl::text(s, 1), impl::text(s, 2), sqlite3_column_int64(s, 3)});
    });
    if (!r) return unexpected{r.err()};
    return out;
}

result<std::optional<account>> accounts::check_password(const std::string& name, const std::string& password) {
    if (password.size() > max_password_length || !valid_user_name(name)) return std::optional<account>();
    std::string hash;
    auto r = p_->run("SELECT password_hash FROM users WHERE name = ?1", [&](sqlite3_stmt* s) { impl::bind_text(s, 1, name); },
                     [&](sqlite3_stmt* s) { hash = impl::text(s, 0); });
    if (!r) return unexpected{r.err()};
    if (hash.empty() || crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) != 0) return std::optional<account>();
    return p_->user(name);
}

result<std::optional<account>> accounts::check_token(std::string_view secret) {
    if (!secret.starts_with(token_prefix) || secret.size() != token_prefix.size() + 64) return std::optional<account>();
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
    std::string user;
    auto r = p_->run("SELECT user FROM tokens WHERE sha256 = ?1", [&](sqlite3_stmt* s) { sqlite3_bind_blob(s, 1, digest, sizeof digest, SQLITE_TRANSIENT); },
                     [&](sqlite3_stmt* s) { user = impl::text(s, 0); });
    if (!r) return unexpected{r.err()};
    if (user.empty()) return std::optional<account>();
    return p_->user(user);
}

result<session> accounts::create_session(const std::string& user) {
    session out;
    out.secret = random_hex(32);
    out.csrf = random_hex(32);
    const digest d = sha256_of(out.secret);
    const std::int64_t now = utc::now();
    // Expired sessions of everyone go when a new one starts: the table stays small.
    auto r = p_->run("DELETE FROM sessions WHERE last_seen <= ?1 OR created_at <= ?2", [&](sqlite3_stmt* s) {
        sqlite3_bind_int64(s, 1, now - session_idle_s);
        sqlite3_bind_int64(s, 2, now - session_lifetime_s);
    });
    if (!r) return unexpected{r.err()};
    r = p_->run("INSERT INTO sessions (user, sha256, csrf, created_at, last_seen) VALUES (?1, ?2, ?3, ?4, ?4)", [&](sqlite3_stmt* s) {
        impl::bind_text(s, 1, user);
        sqlite3_bind_blob(s, 2, d.bytes, sizeof d.bytes, SQLITE_TRANSIENT);
        impl::bind_text(s, 3, out.csrf);
        sqlite3_bind_int64(s, 4, now);
    });
    if (!r) return unexpected{r.err()};
    auto a = p_->user(user);
    if (!a) return unexpected{a.err()};
    if (!*a) return fail("no user '" + user + "'");
    out.who = std::move(**a);
    return out;
}

result<std::optional<session>> accounts::check_session(std::string_view secret) {
    if (secret.size() != 64 || !std::all_of(secret.begin(), secret.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }))
        return std::optional<session>();
    const digest d = sha256_of(secret);
    std::string user, csrf;
    std::int64_t id = 0, created = 0, seen = 0;
    auto r = p_->run("SELECT id, user, csrf, created_at, last_seen FROM sessions WHERE sha256 = ?1",
                     [&](sqlite3_stmt* s) { sqlite3_bind_blob(s, 1, d.bytes, sizeof d.bytes, SQLITE_TRANSIENT); },
                     [&](sqlite3_stmt* s) {
                         id = sqlite3_column_int64(s, 0);
                         user = impl::text(s, 1);
                         csrf = impl::text(s, 2);
                         created = sqlite3_column_int64(s, 3);
                         seen = sqlite3_column_int64(s, 4);
                     });
    if (!r) return unexpected{r.err()};
    if (user.empty()) return std::optional<session>();
    const std::int64_t now = utc::now();
    if (now - seen >= session_idle_s || now - created >= session_lifetime_s) {
        r = p_->run("DELETE FROM sessions WHERE id = ?1", [&](sqlite3_stmt* s) { sqlite3_bind_int64(s, 1, id); });
        if (!r) return unexpected{r.err()};
        return std::optional<session>();
    }
    if (now - seen >= 60) {  // a write a minute at most, not one per request
        r = p_->run("UPDATE sessions SET last_seen = ?2 WHERE id = ?1", [&](sqlite3_stmt* s) {
            sqlite3_bind_int64(s, 1, id);
            sqlite3_bind_int64(s, 2, now);
        });
        if (!r) return unexpected{r.err()};
    }
    auto a = p_->user(user);
    if (!a) return unexpected{a.err()};
    if (!*a) return std::optional<session>();
    session out;
    out.who = std::move(**a);
    out.csrf = std::move(csrf);
    return std::optional<session>(std::move(out));
}

result<void> accounts::end_session(std::string_view secret) {
    const digest d = sha256_of(secret);
    return p_->run("DELETE FROM sessions WHERE sha256 = ?1",
                   [&](sqlite3_stmt* s) { sqlite3_bind_blob(s, 1, d.bytes, sizeof d.bytes, SQLITE_TRANSIENT); });
}

bool valid_view_route(std::string_view route) {
    if (!route.starts_with("#/") || route.size() > max_view_route) return false;
    // The dashboard's own routes only: printable ASCII (a route's values are percent-encoded).
    return std::all_of(route.begin(), route.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

result<saved_view> accounts::add_view(const std::string& user, const std::string& name, const std::string& route) {
    if (name.empty() || name.size() > max_view_name || !text::is_valid_utf8(name)) return fail("a view's name is 1-" + std::to_string(max_view_name) + " bytes of UTF-8");
    if (!valid_view_route(route)) return fail("a view's route is the dashboard's own link: '#/…', printable ASCII, at most " + std::to_string(max_view_route) + " bytes");
    std::int64_t count = 0;
    auto r = p_->run("SELECT count(*) FROM saved_views WHERE user = ?1", [&](sqlite3_stmt* s) { impl::bind_text(s, 1, user); },
                     [&](sqlite3_stmt* s) { count = sqlite3_column_int64(s, 0); });
    if (!r) return unexpected{r.err()};
    if (count >= static_cast<std::int64_t>(max_views_per_user)) return fail("at most " + std::to_string(max_views_per_user) + " saved views per user");
    saved_view v{0, name, route, utc::now()};
    r = p_->run("INSERT INTO saved_views (user, name, route, created_at) VALUES (?1, ?2, ?3, ?4) "
                "ON CONFLICT (user, name) DO UPDATE SET route = excluded.route, created_at = excluded.created_at",
                [&](sqlite3_stmt* s) {
                    impl::bind_text(s, 1, user);
                    impl::bind_text(s, 2, name);
                    impl::bind_text(s, 3, route);
                    sqlite3_bind_int64(s, 4, v.created_at);
                });
    if (!r) return unexpected{r.err()};
    r = p_->run("SELECT id FROM saved_views WHERE user = ?1 AND name = ?2", [&](sqlite3_stmt* s) {
            impl::bind_text(s, 1, user);
            impl::bind_text(s, 2, name);
        }, [&](sqlite3_stmt* s) { v.id = sqlite3_column_int64(s, 0); });
    if (!r) return unexpected{r.err()};
    return v;
}

result<std::vector<saved_view>> accounts::views(const std::string& user) {
    std::vector<saved_view> out;
    auto r = p_->run("SELECT id, name, route, created_at FROM saved_views WHERE user = ?1 ORDER BY name", [&](sqlite3_stmt* s) { impl::bind_text(s, 1, user); },
                     [&](sqlite3_stmt* s) { out.push_back({sqlite3_column_int64(s, 0), impl::text(s, 1), impl::text(s, 2), sqlite3_column_int64(s, 3)}); });
    if (!r) return unexpected{r.err()};
    return out;
}

result<bool> accounts::remove_view(const std::string& user, std::int64_t id) {
    auto r = p_->run("DELETE FROM saved_views WHERE id = ?1 AND user = ?2", [&](sqlite3_stmt* s) {
        sqlite3_bind_int64(s, 1, id);
        impl::bind_text(s, 2, user);
    });
    if (!r) return unexpected{r.err()};
    return sqlite3_changes(p_->db) > 0;
}

}  // namespace dmarcsight::web
