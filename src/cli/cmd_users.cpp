// dmarcsight user / token: the accounts of `serve` (web/accounts.hpp), in the server's own state
// file. Passwords never come from the command line (every user sees it in ps): from a file, or
// standard input (prompted for, without echo, on a terminal).
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/time.hpp"
#include "web/accounts.hpp"

namespace dmarcsight::cli {

namespace {

struct state_args {
    std::string db = default_db_path();
    std::string state;
    std::string format = "table";
};

void add_state_options(CLI::App* cmd, state_args& a, bool with_format) {
    cmd->add_option("--db", a.db, "The report store whose server these accounts are for (the state defaults to <db>.web, or the PostgreSQL store's database)")
        ->capture_default_str();
    cmd->add_option("--state", a.state,
                    "The server's state: an SQLite file (default: <db>.web beside an SQLite store) or a PostgreSQL URI "
                    "(default for a PostgreSQL store: its database, schema <store schema>_web)");
    if (with_format) cmd->add_option("--format", a.format, "Output format")->check(CLI::IsMember({"table", "json"}))->capture_default_str();
}

std::unique_ptr<web::accounts> open_accounts(const state_args& a, bool create) {
    const std::string location = a.state.empty() ? web::default_state_location(a.db) : a.state;
    auto acc = web::accounts::open(location, create);
    if (!acc) {
        error_line(acc.err().message);
        exit_code() = exit_usage;
        return nullptr;
    }
    return std::move(*acc);
}

// The first line of a file or of standard input; on a terminal, asked twice without echo.
std::optional<std::string> read_password(const std::string& file) {
    std::string line;
    if (!file.empty()) {
        std::ifstream in(file);
        if (!in || !std::getline(in, line)) {
            error_line("--password-file " + file + ": cannot read a line from it");
            return std::nullopt;
        }
    } else if (::isatty(STDIN_FILENO)) {
        termios old{};
        tcgetattr(STDIN_FILENO, &old);
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
        std::string again;
        std::fprintf(stderr, "password: ");
        std::getline(std::cin, line);
        std::fprintf(stderr, "\nagain: ");
        std::getline(std::cin, again);
        std::fprintf(stderr, "\n");
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
        if (line != again) {
            error_line("the passwords differ");
            return std::nullopt;
        }
    } else if (!std::getline(std::cin, line)) {
        error_line("no password on standard input (one line), and no --password-file");
        return std::nullopt;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

void fail_with(const std::string& why) {
    error_line(why);
    exit_code() = exit_usage;
}

}  // namespace

void register_users(CLI::App& app) {
    auto* user = app.add_subcommand("user", "Users of `serve`: add, list, remove (passwords as argon2id, each user sees only its domains)");
    user->require_subcommand(1);

    struct add_args : state_args {
        std::string name, password_file;
        std::vector<std::string> domains;
        bool all = false;
    };
    auto a = std::make_shared<add_args>();
    auto* add = user->add_subcommand("add", "Add a user; the password comes from --password-file or standard input, never the command line");
    add->add_option("name", a->name, "User name (a-z, 0-9, '.', '_', '-')")->required();
    add->add_option("--domain", a->domains, "A policy domain the user sees, with its subdomains (repeatable)");
    add->add_flag("--all-domains", a->all, "The user sees every domain and the store's totals (an administrator)");
    add->add_option("--password-file", a->password_file, "A file whose first line is the password (at least 12 characters)");
    add_state_options(add, *a, false);
    add->callback([a] {
        if (a->all == !a->domains.empty()) return fail_with("give --domain D (repeatable) or --all-domains, not both");
        auto pw = read_password(a->password_file);
        if (!pw) {
            exit_code() = exit_usage;
            return;
        }
        auto acc = open_accounts(*a, true);
        if (!acc) return;
        if (auto r = acc->add_user(a->name, *pw, a->all, a->domains); !r) return fail_with(r.err().message);
        std::printf("user %s added (%s)\n", a->name.c_str(), a->all ? "every domain" : "its domains only");
    });

    auto l = std::make_shared<state_args>();
    auto* list = user->add_subcommand("list", "List the users and the domains each sees");
    add_state_options(list, *l, true);
    list->callback([l] {
        auto acc = open_accounts(*l, false);
        if (!acc) return;
        auto users = acc->users();
        if (!users) return fail_with(users.err().message);
        if (l->format == "json") {
            nlohmann::json out = nlohmann::json::array();
            for (const auto& u : *users)
                out.push_back({{"name", u.name}, {"all_domains", u.all_domains}, {"domains", u.domains},
                               {"created_at", utc::format_iso8601(u.created_at)}});
            std::printf("%s\n", json_text(out, 2).c_str());
            return;
        }
        for (const auto& u : *users) {
            std::string d;
            for (const auto& x : u.domains) d += (d.empty() ? "" : ", ") + x;
            std::printf("%s\t%s\n", u.name.c_str(), u.all_domains ? "(every domain)" : d.c_str());
        }
    });

    struct name_args : state_args {
        std::string name;
    };
    auto r = std::make_shared<name_args>();
    auto* remove = user->add_subcommand("remove", "Remove a user and its tokens");
    remove->add_option("name", r->name, "User name")->required();
    add_state_options(remove, *r, false);
    remove->callback([r] {
        auto acc = open_accounts(*r, false);
        if (!acc) return;
        if (auto x = acc->remove_user(r->name); !x) return fail_with(x.err().message);
        std::printf("user %s removed\n", r->name.c_str());
    });

    auto* token = app.add_subcommand("token", "API tokens of `serve` for scripts: add (printed once), list, revoke");
    token->require_subcommand(1);
    struct token_args : state_args {
        std::string user, label;
    };
    auto t = std::make_shared<token_args>();
    auto* tadd = token->add_subcommand("add", "A new API token for a user (Authorization: Bearer TOKEN); printed once, kept as its SHA-256");
    tadd->add_option("--user", t->user, "The user the token acts as (its domains)")->required();
    tadd->add_option("--label", t->label, "What the token is for (shown by token list)");
    add_state_options(tadd, *t, false);
    tadd->callback([t] {
        auto acc = open_accounts(*t, false);
        if (!acc) return;
        auto secret = acc->add_token(t->user, t->label);
        if (!secret) return fail_with(secret.err().message);
        std::printf("%s\n", secret->c_str());
    });
    auto tl = std::make_shared<state_args>();
    auto* tlist = token->add_subcommand("list", "List the tokens (never their secrets)");
    add_state_options(tlist, *tl, true);
    tlist->callback([tl] {
        auto acc = open_accounts(*tl, false);
        if (!acc) return;
        auto tokens = acc->tokens();
        if (!tokens) return fail_with(tokens.err().message);
        if (tl->format == "json") {
            nlohmann::json out = nlohmann::json::array();
            for (const auto& k : *tokens)
                out.push_back({{"id", k.id}, {"user", k.user}, {"label", k.label}, {"created_at", utc::format_iso8601(k.created_at)}});
            std::printf("%s\n", json_text(out, 2).c_str());
            return;
        }
        for (const auto& k : *tokens)
            std::printf("#%lld\t%s\t%s\t%s\n", static_cast<long long>(k.id), k.user.c_str(), utc::format_iso8601(k.created_at).c_str(),
                        k.label.c_str());
    });
    struct revoke_args : state_args {
        std::int64_t id = 0;
    };
    auto rv = std::make_shared<revoke_args>();
    auto* revoke = token->add_subcommand("revoke", "Revoke a token by its number (token list)");
    revoke->add_option("id", rv->id, "The token's number")->required();
    add_state_options(revoke, *rv, false);
    revoke->callback([rv] {
        auto acc = open_accounts(*rv, false);
        if (!acc) return;
        if (auto x = acc->revoke_token(rv->id); !x) return fail_with(x.err().message);
        std::printf("token #%lld revoked\n", static_cast<long long>(rv->id));
    });
}

}  // namespace dmarcsight::cli
