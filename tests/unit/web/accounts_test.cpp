// serve's accounts (web/accounts.hpp): argon2id passwords, tokens kept as hashes, per-domain
// visibility, and what removing a user or revoking a token takes away.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "support/pg_test_db.hpp"
#include "support/temp_dir.hpp"
#include "web/accounts.hpp"

using namespace dmarcsight;

TEST(serve_accounts, passwords_tokens_domains) {
    test_support::temp_dir dir;
    const std::string path = (std::filesystem::path(dir.path()) / "s.db.web").string();
    EXPECT_FALSE(web::accounts::open(path, false));  // serve never creates it
    auto opened = web::accounts::open(path, true);
    ASSERT_TRUE(opened) << opened.err().message;
    auto& acc = **opened;
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_FALSE(*acc.any_user());

    EXPECT_FALSE(acc.add_user("cust", "short", false, {"example.org"}));              // too short
    EXPECT_FALSE(acc.add_user("Bad Name", "a long enough password", false, {"x.org"}));  // name
    EXPECT_FALSE(acc.add_user("cust", "a long enough password", false, {}));          // sees nothing
    ASSERT_TRUE(acc.add_user("cust", "a long enough password", false, {"Example.ORG."}));
    EXPECT_FALSE(acc.add_user("cust", "another long password", true, {}));  // exists
    ASSERT_TRUE(acc.add_user("admin", "the admin's password", true, {}));
    EXPECT_TRUE(*acc.any_user());

    auto ok = acc.check_password("cust", "a long enough password");
    ASSERT_TRUE(ok);
    ASSERT_TRUE(*ok);
    EXPECT_EQ((*ok)->name, "cust");
    EXPECT_EQ((*ok)->domains, std::vector<std::string>{"example.org"});  // normalised
    EXPECT_FALSE(*acc.check_password("cust", "a long enough passworD"));
    EXPECT_FALSE(*acc.check_password("nobody", "a long enough password"));
    EXPECT_FALSE(*acc.check_password("cust", std::string(5000, 'x')));

    const web::account& cust = **ok;
    EXPECT_TRUE(cust.sees("example.org"));
    EXPECT_TRUE(cust.sees("mail.example.org"));
    EXPECT_FALSE(cust.sees("badexample.org"));
    EXPECT_FALSE(cust.sees("example.com"));
    EXPECT_FALSE(cust.sees("org"));

    auto t = acc.add_token("cust", "ci");
    ASSERT_TRUE(t) << t.err().message;
    EXPECT_TRUE(t->starts_with("dms_"));
    EXPECT_EQ(t->size(), 4u + 64u);
    EXPECT_FALSE(acc.add_token("nobody", "x"));
    auto who = acc.check_token(*t);
    ASSERT_TRUE(who);
    ASSERT_TRUE(*who);
    EXPECT_EQ((*who)->name, "cust");
    std::string other = *t;
    other.back() = other.back() == '0' ? '1' : '0';
    EXPECT_FALSE(*acc.check_token(other));
    EXPECT_FALSE(*acc.check_token("dms_short"));

    // The file holds neither the token nor the password, only their hashes.
    std::ifstream in(path, std::ios::binary);
    std::stringstream raw;
    raw << in.rdbuf();
    for (const auto& f : std::filesystem::directory_iterator(dir.path())) {
        std::ifstream x(f.path(), std::ios::binary);
        raw << x.rdbuf();
    }
    EXPECT_EQ(raw.str().find(t->substr(4)), std::string::npos);
    EXPECT_EQ(raw.str().find("a long enough password"), std::string::npos);
    EXPECT_NE(raw.str().find("$argon2id$"), std::string::npos);

    auto list = acc.tokens();
    ASSERT_TRUE(list);
    ASSERT_EQ(list->size(), 1u);
    EXPECT_EQ((*list)[0].label, "ci");
    ASSERT_TRUE(acc.revoke_token((*list)[0].id));
    EXPECT_FALSE(*acc.check_token(*t));
    EXPECT_FALSE(acc.revoke_token((*list)[0].id));

    // Removing a user takes its tokens.
    auto t2 = acc.add_token("cust", "");
    ASSERT_TRUE(t2);
    ASSERT_TRUE(acc.remove_user("cust"));
    EXPECT_FALSE(*acc.check_token(*t2));
    EXPECT_TRUE(acc.tokens()->empty());
    EXPECT_FALSE(acc.remove_user("cust"));
    EXPECT_TRUE(*acc.any_user());  // admin stays
}

TEST(serve_accounts, state_beside_an_sqlite_store_or_in_the_postgresql_database) {
    EXPECT_EQ(web::default_state_location("/var/lib/dmarcsight/reports.db"), "/var/lib/dmarcsight/reports.db.web");
    EXPECT_EQ(web::default_state_location("postgresql://u@h/dmarc"), "postgresql://u@h/dmarc");
    EXPECT_EQ(web::default_state_location("postgres://u@h/dmarc"), "postgres://u@h/dmarc");
}

// The state's schema follows the store's tables, not the connecting role's first schema: a role
// whose search_path starts with a schema of its own finds the accounts the owner made.
TEST(serve_accounts, postgresql_state_schema_is_the_stores) {
    DMARCSIGHT_NEED_PG();
    test_support::pg_test_database db("web_schema");
    ASSERT_TRUE(db.ok()) << db.error();
    std::string why;
    ASSERT_TRUE(test_support::pg_query_value(db.uri(), "CREATE SCHEMA tenant; CREATE SCHEMA mine; "
                                                       "CREATE TABLE tenant.dmarcsight_schema (version int); SELECT 1", &why)) << why;
    const std::string sep = db.uri().find('?') == std::string::npos ? "?" : "&";
    const std::string owner = db.uri() + sep + "options=-csearch_path%3Dtenant";
    const std::string other = db.uri() + sep + "options=-csearch_path%3Dmine,tenant";
    auto made = web::accounts::open(owner, true);
    ASSERT_TRUE(made) << made.err().message;
    ASSERT_TRUE((*made)->add_user("ops", "a long enough password", true, {}));
    EXPECT_EQ(test_support::pg_query_value(db.uri(), "SELECT count(*) FROM tenant_web.users"), "1");
    auto seen = web::accounts::open(other, false);
    ASSERT_TRUE(seen) << seen.err().message;
    auto users = (*seen)->users();
    ASSERT_TRUE(users) << users.err().message;
    ASSERT_EQ(users->size(), 1u);
    EXPECT_EQ((*users)[0].name, "ops");
}

// The state in PostgreSQL: a schema of its own beside the store's, shared by every server that
// opens it (a session made through one is valid through another), hashes only.
TEST(serve_accounts, postgresql_state_is_a_schema_shared_by_every_server) {
    DMARCSIGHT_NEED_PG();
    test_support::pg_test_database db("web_state");
    ASSERT_TRUE(db.ok()) << db.error();
    auto absent = web::accounts::exists(db.uri());
    ASSERT_TRUE(absent) << absent.err().message;
    EXPECT_FALSE(*absent);
    EXPECT_FALSE(web::accounts::open(db.uri(), false));  // serve never creates it
    auto one = web::accounts::open(db.uri(), true);
    ASSERT_TRUE(one) << one.err().message;
    EXPECT_TRUE(*web::accounts::exists(db.uri()));
    EXPECT_EQ(test_support::pg_query_value(db.uri(), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public_web'"), "5");
    ASSERT_TRUE((*one)->add_user("cust", "a long enough password", false, {"Example.ORG."}));
    ASSERT_TRUE((*one)->add_user("admin", "the admin's password", true, {}));
    EXPECT_FALSE((*one)->add_user("cust", "another long password", true, {}));  // exists

    auto two = web::accounts::open(db.uri(), false);  // a second server on the same store
    ASSERT_TRUE(two) << two.err().message;
    auto ok = (*two)->check_password("cust", "a long enough password");
    ASSERT_TRUE(ok) << ok.err().message;
    ASSERT_TRUE(*ok);
    EXPECT_EQ((*ok)->domains, std::vector<std::string>{"example.org"});
    EXPECT_FALSE(*(*two)->check_password("cust", "a long enough passworD"));
    auto s = (*one)->create_session("cust");
    ASSERT_TRUE(s) << s.err().message;
    auto back = (*two)->check_session(s->secret);
    ASSERT_TRUE(back) << back.err().message;
    ASSERT_TRUE(*back);
    EXPECT_EQ((*back)->csrf, s->csrf);
    ASSERT_TRUE((*two)->end_session(s->secret));
    EXPECT_FALSE(*(*one)->check_session(s->secret));  // logged out everywhere

    auto t = (*one)->add_token("cust", "ci");
    ASSERT_TRUE(t) << t.err().message;
    auto who = (*two)->check_token(*t);
    ASSERT_TRUE(who && *who);
    EXPECT_EQ((*who)->name, "cust");
    const auto stored = test_support::pg_query_value(db.uri(), "SELECT encode(sha256, 'hex') FROM public_web.tokens");
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->size(), 64u);
    EXPECT_EQ(stored->find(t->substr(4)), std::string::npos);  // the hash, not the token
    EXPECT_EQ(test_support::pg_query_value(db.uri(), "SELECT count(*) FROM public_web.users WHERE password_hash LIKE '$argon2id$%'"), "2");

    auto v = (*one)->add_view("cust", "spoofing", "#/sources?class=spoofing");
    ASSERT_TRUE(v) << v.err().message;
    EXPECT_GT(v->id, 0);
    auto again = (*two)->add_view("cust", "spoofing", "#/sources?class=unknown");  // the same name replaces
    ASSERT_TRUE(again) << again.err().message;
    EXPECT_EQ(again->id, v->id);
    auto views = (*one)->views("cust");
    ASSERT_TRUE(views);
    ASSERT_EQ(views->size(), 1u);
    EXPECT_EQ((*views)[0].route, "#/sources?class=unknown");
    EXPECT_FALSE(*(*one)->remove_view("admin", v->id));  // not theirs
    EXPECT_TRUE(*(*one)->remove_view("cust", v->id));

    ASSERT_TRUE((*two)->remove_user("cust"));  // its tokens go with it
    EXPECT_FALSE(*(*one)->check_token(*t));
    EXPECT_TRUE((*one)->tokens()->empty());
    EXPECT_FALSE((*one)->remove_user("cust"));
    auto users = (*one)->users();
    ASSERT_TRUE(users);
    ASSERT_EQ(users->size(), 1u);
    EXPECT_EQ((*users)[0].name, "admin");
}

TEST(serve_accounts, sessions_and_saved_views) {
    test_support::temp_dir dir;
    const std::string path = (std::filesystem::path(dir.path()) / "s.db.web").string();
    auto opened = web::accounts::open(path, true);
    ASSERT_TRUE(opened) << opened.err().message;
    auto& acc = **opened;
    ASSERT_TRUE(acc.add_user("cust", "a long enough password", false, {"example.org"}));
    ASSERT_TRUE(acc.add_user("other", "another long password", false, {"example.com"}));

    auto s = acc.create_session("cust");
    ASSERT_TRUE(s) << s.err().message;
    EXPECT_EQ(s->secret.size(), 64u);
    EXPECT_EQ(s->csrf.size(), 64u);
    EXPECT_NE(s->secret, s->csrf);
    EXPECT_EQ(s->who.name, "cust");
    auto s2 = acc.create_session("cust");
    ASSERT_TRUE(s2);
    EXPECT_NE(s2->secret, s->secret);  // every login its own secret and token

    auto back = acc.check_session(s->secret);
    ASSERT_TRUE(back);
    ASSERT_TRUE(*back);
    EXPECT_EQ((*back)->who.name, "cust");
    EXPECT_EQ((*back)->who.domains, std::vector<std::string>{"example.org"});
    EXPECT_EQ((*back)->csrf, s->csrf);
    // The file keeps the secret's hash, not the secret.
    std::ifstream f(path, std::ios::binary);
    std::stringstream bytes;
    bytes << f.rdbuf();
    EXPECT_EQ(bytes.str().find(s->secret), std::string::npos);

    for (const std::string& bad : {std::string(), std::string(64, 'g'), s->secret.substr(1), s->secret + "0", std::string(64, '0')})
        EXPECT_FALSE(*acc.check_session(bad)) << bad;
    ASSERT_TRUE(acc.end_session(s->secret));
    EXPECT_FALSE(*acc.check_session(s->secret));  // logged out
    EXPECT_TRUE(*acc.check_session(s2->secret));  // the other login stays

    // Saved views: the user's own; the same name replaces; only the dashboard's links.
    auto v = acc.add_view("cust", "spoofing", "#/sources?domain=example.org&class=spoofing");
    ASSERT_TRUE(v) << v.err().message;
    auto v2 = acc.add_view("cust", "spoofing", "#/sources?domain=example.org&class=spoofing&failing=1");
    ASSERT_TRUE(v2);
    EXPECT_EQ(v2->id, v->id);
    auto mine = acc.views("cust");
    ASSERT_TRUE(mine);
    ASSERT_EQ(mine->size(), 1u);
    EXPECT_EQ((*mine)[0].route, "#/sources?domain=example.org&class=spoofing&failing=1");
    EXPECT_TRUE(acc.views("other")->empty());
    EXPECT_FALSE(*acc.remove_view("other", v->id));  // not theirs
    for (const std::string& bad : std::vector<std::string>{"javascript:alert(1)", "/sources", "#/a b", "#/\x01", std::string("#/") + std::string(2000, 'a')})
        EXPECT_FALSE(acc.add_view("cust", "x", bad)) << bad;
    EXPECT_FALSE(acc.add_view("cust", "", "#/overview"));
    EXPECT_FALSE(acc.add_view("cust", std::string(101, 'n'), "#/overview"));
    EXPECT_TRUE(*acc.remove_view("cust", v->id));
    EXPECT_TRUE(acc.views("cust")->empty());

    // Removing a user ends its sessions.
    ASSERT_TRUE(acc.remove_user("cust"));
    EXPECT_FALSE(*acc.check_session(s2->secret));
}
