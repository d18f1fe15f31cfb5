// store::change_marker in every driver: a reader's marker moves when another connection commits
// (what serve's kept answers rely on, web/answer_cache.hpp), and stays put while nothing is written.
#include <gtest/gtest.h>

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
    if (!postgres()) {  // PostgreSQL's marker is the cluster's WAL position: others may move it
        EXPECT_EQ(*again, *first);
    }
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

}  // namespace
}  // namespace dmarcsight
