// The server's own state, apart from the reports (issue 12): users, the policy domains each may
// see, API tokens, browser sessions and saved views, in an SQLite file of its own (by default
// `<store>.web` beside an SQLite store) or a PostgreSQL schema of its own (by default in the
// store's database, shared by every server on that store). Passwords are kept as argon2id strings (libsodium's crypto_pwhash_str, RFC 9106, with
// its "interactive" limits); API tokens as their SHA-256 (a token is 32 random bytes: its hash
// is enough to find it and useless to anyone who reads the file).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace dmarcsight::web {

struct account {
    std::string name;
    bool all_domains = false;          // sees every policy domain (and the store's totals)
    std::vector<std::string> domains;  // else these policy domains and their subdomains
    std::int64_t created_at = 0;
    // Whether this account may see `policy_domain`: all_domains, or a granted domain or one of its
    // subdomains (a grant of example.com shows mail.example.com's reports, not badexample.com's).
    bool sees(std::string_view policy_domain) const;
};

struct token_info {
    std::int64_t id = 0;
    std::string user, label;
    std::int64_t created_at = 0;
};

// A browser session (a login): the cookie's secret (64 hex digits, shown once), the CSRF token
// that every state-changing request of the session must carry, and whose it is.
struct session {
    std::string secret, csrf;
    account who;
};
// A session ends after this long unused, and this long after it began, whichever comes first.
inline constexpr std::int64_t session_idle_s = 8 * 3600;
inline constexpr std::int64_t session_lifetime_s = 7 * 24 * 3600;
// How stale a session's last use may be kept (its idle end is that much less exact).
inline constexpr std::int64_t session_touch_s = 600;

// A user's saved view: a named link into the dashboard.
struct saved_view {
    std::int64_t id = 0;
    std::string name, route;
    std::int64_t created_at = 0;
};
inline constexpr std::size_t max_view_name = 100;
inline constexpr std::size_t max_view_route = 1024;
inline constexpr std::size_t max_views_per_user = 200;
bool valid_view_route(std::string_view route);

// A user name: 1-64 characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit.
bool valid_user_name(std::string_view name);
// The shortest password accepted.
inline constexpr std::size_t min_password_length = 12;
// Passwords longer than this are refused (argon2 takes any length; a cap keeps a request cheap).
inline constexpr std::size_t max_password_length = 1024;

class accounts {
public:
    // Opens (with `create`, creates) the state at `location`: an SQLite file, or a PostgreSQL URI
    // (the schema "<the store's schema>_web" of that database: public_web beside a store in public).
    // Errors name the location.
    static result<std::unique_ptr<accounts>> open(const std::string& location, bool create);
    // Whether `location` holds accounts (a file there; the schema's tables there).
    static result<bool> exists(const std::string& location);
    ~accounts();
    accounts(const accounts&) = delete;
    accounts& operator=(const accounts&) = delete;

    result<void> add_user(const std::string& name, const std::string& password, bool all_domains, const std::vector<std::string>& domains);
    result<void> remove_user(const std::string& name);  // its tokens go with it
    result<std::vector<account>> users();
    // A new token for `user`: the secret, shown once ("dms_" and 64 hex digits).
    result<std::string> add_token(const std::string& user, const std::string& label);
    result<void> revoke_token(std::int64_t id);
    result<std::vector<token_info>> tokens();
    // Whether any user exists: then every request but /healthz must authenticate.
    result<bool> any_user();

    // The account a password or a token stands for; nullopt when it stands for none.
    result<std::optional<account>> check_password(const std::string& name, const std::string& password);
    result<std::optional<account>> check_token(std::string_view secret);

    // Sessions: a new one for a user whose password was checked; the session a cookie's secret
    // stands for (nullopt: none, or expired, and then removed); a logout.
    result<session> create_session(const std::string& user);
    result<std::optional<session>> check_session(std::string_view secret);
    result<void> end_session(std::string_view secret);

    // Saved views, each user's own (the same name again replaces the route).
    result<saved_view> add_view(const std::string& user, const std::string& name, const std::string& route);
    result<std::vector<saved_view>> views(const std::string& user);
    result<bool> remove_view(const std::string& user, std::int64_t id);

private:
    struct impl;
    explicit accounts(std::unique_ptr<impl> p);
    std::unique_ptr<impl> p_;
};

// Where a store's accounts live by default: "<store>.web" beside an SQLite store; the same
// database (a schema of their own) for a PostgreSQL store.
std::string default_state_location(const std::string& store_location);

}  // namespace dmarcsight::web
