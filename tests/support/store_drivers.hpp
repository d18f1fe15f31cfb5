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

#include <memory>
#include <string>

#include "store/open.hpp"
#include "support/pg_test_db.hpp"
#include "support/temp_dir.hpp"

namespace dmarcsight::test_support {

inline auto all_drivers() { return ::testing::Values(std::string("sqlite"), std::string("postgres")); }
inline std::string driver_name(const ::testing::TestParamInfo<std::string>& p) { return p.param; }

class store_drivers : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        if (GetParam() == "sqlite") {
            db_ = dir_ / "store.db";
            return;
        }
        if (pg_server_uri().empty()) GTEST_SKIP() << "PostgreSQL run skipped: DMARCSIGHT_TEST_PG names no server (ctest starts one)";
        pg_ = std::make_unique<pg_test_database>(::testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_TRUE(pg_->ok()) << "cannot create a test database: " << pg_->error();
        db_ = pg_->uri();
    }
    // Dropped after the test's stores are closed (members go before the fixture's own end).
    void TearDown() override { pg_.reset(); }
    // The --db value of this test's store.
    const std::string& db() const { return db_; }
    bool postgres() const { return GetParam() == "postgres"; }
    result<std::unique_ptr<store::store>> open(store::open_mode mode = store::open_mode::read_write) {
        return store::open_store(db_, mode);
    }
    temp_dir dir_;

private:
    std::string db_;
    std::unique_ptr<pg_test_database> pg_;
};

}  // namespace dmarcsight::test_support
