// serve's kept answers (web/answer_cache.hpp): given again only under the same store marker and
// within the UTC hour it was computed in, never beyond the byte limits, the oldest going first.
#include <gtest/gtest.h>

#include "web/answer_cache.hpp"

using namespace dmarcsight;

namespace {
web::kept_answer answer(std::string body) {
    web::kept_answer a;
    a.content_type = "application/json";
    a.body = std::move(body);
    a.headers.emplace_back("X-Total-Count", "7");
    return a;
}
}  // namespace

TEST(serve_answer_cache, same_marker_within_the_hour_only) {
    const std::int64_t hour = 1'796'428'800;  // 2026-12-05T00:00:00Z, an hour's start
    web::answer_cache c;
    c.keep("k", "m1", answer("[1]"), hour + 1000);
    auto a = c.find("k", "m1", hour + 3599);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->body, "[1]");
    EXPECT_EQ(a->headers.at(0).second, "7");
    EXPECT_FALSE(c.find("other", "m1", hour + 1000));
    EXPECT_FALSE(c.find("k", "m2", hour + 1001));  // the store changed: stale, and dropped
    EXPECT_FALSE(c.find("k", "m1", hour + 1001));
    EXPECT_EQ(c.bytes(), 0u);
    c.keep("k", "m1", answer("[2]"), hour + 3599);
    EXPECT_FALSE(c.find("k", "m1", hour + 3600));  // the hour turned (an alert may have settled)
    c.keep("k", "m1", answer("[3]"), hour + 1000);
    EXPECT_FALSE(c.find("k", "m1", hour - 1));  // the clock went back an hour: not trusted
}

TEST(serve_answer_cache, byte_limits) {
    web::answer_cache c;
    c.keep("huge", "m", answer(std::string(web::answer_cache::max_answer_bytes + 1, 'x')), 1);
    EXPECT_FALSE(c.find("huge", "m", 1));
    EXPECT_EQ(c.bytes(), 0u);
    // Five answers of 15 MB pass the 64 MB total: the oldest goes.
    const std::size_t big = 15u << 20;
    for (int i = 0; i < 5; ++i) c.keep(std::to_string(i), "m", answer(std::string(big, 'a' + i)), 1);
    EXPECT_LE(c.bytes(), web::answer_cache::max_bytes);
    EXPECT_FALSE(c.find("0", "m", 1));
    for (int i = 1; i < 5; ++i) EXPECT_TRUE(c.find(std::to_string(i), "m", 1)) << i;
    // Keeping a key again replaces it, counting its bytes once.
    c.keep("4", "m", answer("small"), 1);
    EXPECT_EQ(c.find("4", "m", 1)->body, "small");
    EXPECT_EQ(c.bytes(), 3 * big + 5);
}

TEST(serve_answer_cache, drop_stale_keeps_only_what_find_would_give) {
    const std::int64_t hour = 1'796'428'800;
    web::answer_cache c;
    c.keep("old-marker", "m1", answer("[1]"), hour + 10);
    c.keep("old-hour", "m2", answer("[22]"), hour - 10);
    c.keep("fresh", "m2", answer("[333]"), hour + 20);
    c.drop_stale("m2", hour + 30);
    EXPECT_EQ(c.bytes(), 5u);  // "[333]" alone
    EXPECT_TRUE(c.find("fresh", "m2", hour + 30));
    EXPECT_FALSE(c.find("old-marker", "m1", hour + 30));
}
