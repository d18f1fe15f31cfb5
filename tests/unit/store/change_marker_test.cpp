// store::change_marker in every driver: a reader's marker moves when another connection commits
// (what serve's kept answers rely on, web/answer_cache.hpp), and stays put while nothing is written.
#include <gtest/gtest.h>

#include <string>

#include "support/pg_test_db.hpp"
#include "support/store_drivers.hpp"

namespace dmarcsight {
namespace {

using test_support::store_drivers;
class change_marker : public store_drivers {};
INSTANTIATE_TEST_SUITE_P(drivers, change_marker, test_support::all_drivers(), test_support::driver_name);

TEST_P(change_marker, moves_on_another_connections_commit_only) {
    auto writer = open();
    ASSERT_TRUE(writer) << writer.err().message;
    auto reader = open(store::open_mode::read_only);
    ASSERT_TRUE(reader) << reader.err().message;
    auto first = (*reader)->change_marker();
    ASSERT_TRUE(first) << first.err().message;
    EXPECT_FALSE(first->empty());
    // Reading (the analysis a server does) does not move it.
    ASSERT_TRUE((*reader)->stats());
    ASSERT_TRUE((*reader)->labels(""));
    auto again = (*reader)->change_marker();
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *first);
    // A commit by the other connection does.
    ASSERT_TRUE((*writer)->put_dns_findings("example.com", R"([{"code":"spf.summary","level":"info","record":""}])", 1000));
    auto after = (*reader)->change_marker();
    ASSERT_TRUE(after);
    EXPECT_NE(*after, *first);
    store::label_row l;
    l.policy_domain = "example.com";
    l.source = "192.0.2.0/24";
    l.cls = "own_infrastructure";
    ASSERT_TRUE((*writer)->put_label(l));
    auto later = (*reader)->change_marker();
    ASSERT_TRUE(later);
    EXPECT_NE(*later, *after);
}

// On PostgreSQL the marker is the store's own: writes elsewhere on the cluster (another table of
// the database, as the dashboard's state is, another database) leave it; a transaction that
// writes the store moves it once it commits, not before, and a rolled-back one not at all.
TEST_P(change_marker, postgresql_counts_the_stores_commits_only) {
    if (!postgres()) GTEST_SKIP() << "PostgreSQL only (SQLite: data_version, per file)";
    auto writer = open();
    ASSERT_TRUE(writer) << writer.err().message;
    auto reader = open(store::open_mode::read_only);
    ASSERT_TRUE(reader) << reader.err().message;
    const auto first = (*reader)->change_marker();
    ASSERT_TRUE(first) << first.err().message;
    std::string why;
    ASSERT_TRUE(test_support::pg_query_value(db(), "CREATE SCHEMA elsewhere_web; CREATE TABLE elsewhere_web.t (x int); "
                                                    "INSERT INTO elsewhere_web.t SELECT generate_series(1, 100); SELECT 1", &why)) << why;
    EXPECT_EQ(*(*reader)->change_marker(), *first);
    ASSERT_TRUE(test_support::pg_query_value(db(), "BEGIN; INSERT INTO labels (policy_domain, source, service, class, note, created_at) "
                                                    "VALUES ('example.com', '192.0.2.1', '', 'own_infrastructure', '', 1); ROLLBACK; SELECT 1", &why)) << why;
    EXPECT_EQ(*(*reader)->change_marker(), *first);  // rolled back: nothing changed
    // Several statements in one transaction count once; the count is seen after the commit.
    ASSERT_TRUE(test_support::pg_query_value(db(), "BEGIN; INSERT INTO labels (policy_domain, source, service, class, note, created_at) "
                                                    "VALUES ('example.com', '192.0.2.1', '', 'own_infrastructure', '', 1); "
                                                    "UPDATE labels SET note = 'x'; COMMIT; SELECT 1", &why)) << why;
    const auto after = (*reader)->change_marker();
    ASSERT_TRUE(after);
    EXPECT_NE(*after, *first);
    EXPECT_EQ(*after, "pg:" + std::to_string(std::stoll(first->substr(3)) + 1));
}

}  // namespace
}  // namespace dmarcsight
