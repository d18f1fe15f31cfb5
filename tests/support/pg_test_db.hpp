// A PostgreSQL database of its own for one test, on the server of the ctest fixture `postgres`
// (scripts/start-postgres.sh; DMARCSIGHT_TEST_PG is its URI, tests/CMakeLists.txt sets it for
// unit_store). Made empty at construction, dropped at destruction, named after the test, the
// process and a random number, so tests running at once (ctest -j2: each gtest case is its own
// process) never share one. The server is throw-away: a test that crashes before its destructor
// leaves a database the next run's fresh server no longer has.
//
//   TEST(postgres_store, something) {
//       DMARCSIGHT_NEED_PG();              // skips, visibly, where there is no server
//       test_support::pg_test_database db("something");
//       ASSERT_TRUE(db.ok()) << db.error();
//       auto s = store::open_store(db.uri(), store::open_mode::read_write);
//
// libpq is used only to create and drop the databases (CREATE DATABASE cannot run in the driver's
// transactions anyway); the code under test reaches PostgreSQL through the store.
#pragma once

#include <libpq-fe.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace dmarcsight::test_support {

// The fixture server's URI (its maintenance database), or "" when the tests run without one.
inline std::string pg_server_uri() {
    const char* v = std::getenv("DMARCSIGHT_TEST_PG");
    return v ? std::string(v) : std::string();
}

#define DMARCSIGHT_NEED_PG()                                                                           \
    do {                                                                                               \
        if (::dmarcsight::test_support::pg_server_uri().empty())                                       \
            GTEST_SKIP() << "DMARCSIGHT_TEST_PG is not set (ctest sets it when PostgreSQL is installed)"; \
    } while (0)

// `uri` with its database replaced by `db` (scheme://authority/db?query), e.g.
// postgresql://postgres@127.0.0.1:15432/postgres?x=y → postgresql://postgres@127.0.0.1:15432/DB?x=y.
// `db` must need no percent-encoding (pg_test_database's names do not).
inline std::string pg_uri_with_database(const std::string& uri, std::string_view db) {
    const std::size_t scheme = uri.find("://");
    const std::size_t start = scheme == std::string::npos ? 0 : scheme + 3;
    const std::size_t path = uri.find_first_of("/?", start);
    const std::string authority = uri.substr(0, path);
    std::string query;
    if (path != std::string::npos) {
        const std::size_t q = uri.find('?', path);
        if (q != std::string::npos) query = uri.substr(q);
    }
    return authority + "/" + std::string(db) + query;
}

// The first column of the first row `sql` returns on the database `uri` names; nullopt (and
// `error` set, when given) on failure or when there is no row.
inline std::optional<std::string> pg_query_value(const std::string& uri, const std::string& sql, std::string* error = nullptr) {
    PGconn* c = PQconnectdb(uri.c_str());
    std::optional<std::string> out;
    if (PQstatus(c) != CONNECTION_OK) {
        if (error) *error = PQerrorMessage(c);
    } else {
        PGresult* r = PQexec(c, sql.c_str());
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && PQnfields(r) > 0)
            out = std::string(PQgetvalue(r, 0, 0), static_cast<std::size_t>(PQgetlength(r, 0, 0)));
        else if (error)
            *error = PQresultErrorMessage(r);
        PQclear(r);
    }
    PQfinish(c);
    return out;
}

class pg_test_database {
public:
    // `hint`: letters, digits and '_' (the test's name); anything else becomes '_'.
    explicit pg_test_database(std::string_view hint) : server_(pg_server_uri()) {
        if (server_.empty()) {
            error_ = "DMARCSIGHT_TEST_PG is not set";
            return;
        }
        // Unquoted-identifier characters only, lower case: the name needs no quoting in psql or a URI.
        std::string clean;
        for (char c : hint.substr(0, 30)) {
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            clean += (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '_';
        }
        std::random_device rd;
        name_ = "t_" + clean + "_" + std::to_string(::getpid()) + "_" + std::to_string(rd() % 1000000);
        if (!exec("CREATE DATABASE \"" + name_ + "\"")) {
            name_.clear();
            return;
        }
        uri_ = pg_uri_with_database(server_, name_);
    }
    ~pg_test_database() {
        // FORCE (PostgreSQL 13+): a session the test left open (a store not yet destroyed, a
        // stuck connection) must not keep the database.
        if (!name_.empty()) exec("DROP DATABASE IF EXISTS \"" + name_ + "\" WITH (FORCE)");
    }
    pg_test_database(const pg_test_database&) = delete;
    pg_test_database& operator=(const pg_test_database&) = delete;

    bool ok() const { return !uri_.empty(); }
    const std::string& error() const { return error_; }
    const std::string& name() const { return name_; }
    // postgresql://postgres@127.0.0.1:PORT/NAME: for --db and store::open_store.
    const std::string& uri() const { return uri_; }

    // Runs `sql` on the maintenance database as the fixture's superuser (roles, grants, checks
    // of the catalogue); false with error() set when it fails.
    bool exec(const std::string& sql) {
        PGconn* c = PQconnectdb(server_.c_str());
        bool good = PQstatus(c) == CONNECTION_OK;
        if (good) {
            PGresult* r = PQexec(c, sql.c_str());
            const ExecStatusType st = PQresultStatus(r);
            good = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
            if (!good) error_ = sql + ": " + PQresultErrorMessage(r);
            PQclear(r);
        } else {
            error_ = std::string("cannot connect to DMARCSIGHT_TEST_PG: ") + PQerrorMessage(c);
        }
        PQfinish(c);
        return good;
    }

private:
    std::string server_, name_, uri_, error_;
};

}  // namespace dmarcsight::test_support
