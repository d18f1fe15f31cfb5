// Store tests that run against every driver: SQLite on a file of a temporary folder, PostgreSQL on
// a database of its own (created for the test, dropped after it) on the server that
// DMARCSIGHT_TEST_PG names (a URI of any database there; ctest's `postgres` fixture starts one,
// tests/integration/CMakeLists.txt). Without the variable the PostgreSQL runs skip, saying so.
//
//   class my_tests : public test_support::store_drivers {};
//   INSTANTIATE_TEST_SUITE_P(drivers, my_tests, test_support::all_drivers(), test_support::driver_name);
//   TEST_P(my_tests, something) { auto s = open(); ... }
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>

#include "store/open.hpp"
#include "support/temp_dir.hpp"

namespace dmarcsight::test_support {

inline auto all_drivers() { return ::testing::Values(std::string("sqlite"), std::string("postgres")); }
inline std::string driver_name(const ::testing::TestParamInfo<std::string>& p) { return p.param; }

// The PostgreSQL server of the tests, or empty.
inline std::string test_postgres() {
    const char* v = std::getenv("DMARCSIGHT_TEST_PG");
    return v ? v : "";
}

// `uri` with its database replaced by `name`.
inline std::string with_database(const std::string& uri, const std::string& name) {
    const std::size_t scheme = uri.find("://");
    const std::size_t slash = uri.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    const std::size_t query = uri.find('?');
    std::string out = slash == std::string::npos ? uri.substr(0, query) : uri.substr(0, slash);
    out += "/" + name;
    if (query != std::string::npos) out += uri.substr(query);
    return out;
}

// Runs one statement on the server (CREATE / DROP DATABASE); its error text, or empty.
inline std::string server_statement(const std::string& uri, const std::string& sql) {
    PGconn* c = PQconnectdb(uri.c_str());
    std::string error;
    if (PQstatus(c) != CONNECTION_OK) {
        error = PQerrorMessage(c);
    } else {
        PGresult* r = PQexec(c, sql.c_str());
        if (PQresultStatus(r) != PGRES_COMMAND_OK) error = PQresultErrorMessage(r);
        PQclear(r);
    }
    PQfinish(c);
    return error;
}

class store_drivers : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        if (GetParam() == "sqlite") {
            db_ = dir_ / "store.db";
            return;
        }
        const std::string server = test_postgres();
        if (server.empty()) GTEST_SKIP() << "PostgreSQL run skipped: DMARCSIGHT_TEST_PG names no server (ctest starts one)";
        static std::atomic<int> n{0};
        pg_name_ = "dmarcsight_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++);
        pg_server_ = server;
        const std::string e = server_statement(server, "CREATE DATABASE " + pg_name_);
        ASSERT_TRUE(e.empty()) << "cannot create a test database: " << e;
        db_ = with_database(server, pg_name_);
    }
    void TearDown() override {
        if (!pg_name_.empty()) (void)server_statement(pg_server_, "DROP DATABASE IF EXISTS " + pg_name_ + " WITH (FORCE)");
    }
    // The --db value of this test's store.
    const std::string& db() const { return db_; }
    bool postgres() const { return GetParam() == "postgres"; }
    result<std::unique_ptr<store::store>> open(store::open_mode mode = store::open_mode::read_write) {
        return store::open_store(db_, mode);
    }
    temp_dir dir_;

private:
    std::string db_, pg_name_, pg_server_;
};

}  // namespace dmarcsight::test_support
