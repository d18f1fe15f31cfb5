// The PostgreSQL side of the store's tests: the harness they stand on (the ctest fixture's
// server, a fresh database per test) and the first things the driver must do. Each test skips,
// visibly, without a server (DMARCSIGHT_TEST_PG unset).
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/open.hpp"
#include "support/pg_test_db.hpp"

using namespace dmarcsight;
using test_support::pg_query_value;
using test_support::pg_test_database;

TEST(pg_harness, each_test_gets_a_fresh_database_of_its_own_dropped_after) {
    DMARCSIGHT_NEED_PG();
    auto a = std::make_unique<pg_test_database>("harness_a");
    pg_test_database b("harness_b");
    ASSERT_TRUE(a->ok()) << a->error();
    ASSERT_TRUE(b.ok()) << b.error();
    EXPECT_NE(a->name(), b.name());
    std::string why;
    EXPECT_EQ(pg_query_value(a->uri(), "SELECT current_database()", &why), a->name()) << why;
    EXPECT_EQ(pg_query_value(b.uri(), "SELECT current_database()", &why), b.name()) << why;
    EXPECT_EQ(pg_query_value(a->uri(),
                             "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')", &why),
              "0")
        << why;
    // The tests connect as the fixture's superuser over TCP, as `--db postgresql://...` does.
    EXPECT_EQ(pg_query_value(a->uri(), "SELECT rolsuper FROM pg_roles WHERE rolname = current_user", &why), "t") << why;
    EXPECT_EQ(pg_query_value(a->uri(), "SELECT inet_server_addr() IS NOT NULL", &why), "t") << why;

    const std::string dropped = a->name();
    a.reset();
    EXPECT_EQ(pg_query_value(test_support::pg_server_uri(), "SELECT count(*) FROM pg_database WHERE datname = '" + dropped + "'", &why),
              "0")
        << why;
}

TEST(pg_harness, uri_with_database_keeps_user_host_port_and_query) {
    EXPECT_EQ(test_support::pg_uri_with_database("postgresql://postgres@127.0.0.1:15432/postgres", "t_x"),
              "postgresql://postgres@127.0.0.1:15432/t_x");
    EXPECT_EQ(test_support::pg_uri_with_database("postgresql://u:p@h:1/db?sslmode=disable", "t_x"), "postgresql://u:p@h:1/t_x?sslmode=disable");
    EXPECT_EQ(test_support::pg_uri_with_database("postgres://h", "t_x"), "postgres://h/t_x");
    EXPECT_EQ(test_support::pg_uri_with_database("postgresql://h?application_name=a", "t_x"), "postgresql://h/t_x?application_name=a");
}

TEST(postgres_store, opens_a_fresh_database_then_again_and_read_only) {
    DMARCSIGHT_NEED_PG();
    pg_test_database db("opens_fresh");
    ASSERT_TRUE(db.ok()) << db.error();
    {
        auto s = store::open_store(db.uri(), store::open_mode::read_write);
        ASSERT_TRUE(s.ok()) << s.err().message;
        auto st = (*s)->stats();
        ASSERT_TRUE(st.ok()) << st.err().message;
        EXPECT_EQ(st->aggregate_reports, 0);
        EXPECT_EQ(st->records, 0);
    }
    // The second open finds the schema in place (migrations applied once), as does a reader.
    auto again = store::open_store(db.uri(), store::open_mode::read_write);
    ASSERT_TRUE(again.ok()) << again.err().message;
    auto ro = store::open_store(db.uri(), store::open_mode::read_only);
    ASSERT_TRUE(ro.ok()) << ro.err().message;
    auto st = (*ro)->stats();
    ASSERT_TRUE(st.ok()) << st.err().message;
    EXPECT_EQ(st->aggregate_reports, 0);
}

TEST(postgres_store, a_missing_database_is_an_error_that_names_it_and_hides_the_password) {
    DMARCSIGHT_NEED_PG();
    // The fixture trusts every local connection, so the password only has to stay out of messages.
    std::string uri = test_support::pg_uri_with_database(test_support::pg_server_uri(), "t_no_such_database");
    const std::size_t at = uri.find('@');
    ASSERT_NE(at, std::string::npos) << "DMARCSIGHT_TEST_PG names no user: " << uri;
    uri.insert(at, ":s3cret-Word");
    auto s = store::open_store(uri, store::open_mode::read_write);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.err().message.find("t_no_such_database"), std::string::npos) << s.err().message;
    EXPECT_EQ(s.err().message.find("s3cret-Word"), std::string::npos) << s.err().message;
    auto r = store::open_store(uri, store::open_mode::read_only);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().message.find("s3cret-Word"), std::string::npos) << r.err().message;
}
