// The server's own state, apart from the reports (issue 12): users, the policy domains each may
// see, and API tokens, in an SQLite file of its own (by default `<store>.web` beside an SQLite
// store). Passwords are kept as argon2id strings (libsodium's crypto_pwhash_str, RFC 9106, with
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

// A user name: 1-64 characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit.
bool valid_user_name(std::string_view name);
// The shortest password accepted.
inline constexpr std::size_t min_password_length = 12;
// Passwords longer than this are refused (argon2 takes any length; a cap keeps a request cheap).
inline constexpr std::size_t max_password_length = 1024;

class accounts {
public:
    // Opens (with `create`, creates) the file. Errors name the file.
    static result<std::unique_ptr<accounts>> open(const std::string& path, bool create);
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

private:
    struct impl;
    explicit accounts(std::unique_ptr<impl> p);
    std::unique_ptr<impl> p_;
};

// Where an SQLite store's accounts live by default: "<store>.web". A PostgreSQL store has no
// default (the caller asks for --state): nullopt.
std::optional<std::string> default_state_path(const std::string& store_location);

}  // namespace dmarcsight::web
