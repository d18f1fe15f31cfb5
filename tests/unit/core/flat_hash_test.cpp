// The open-addressing tables of the analysis hot paths: every key found again after the tables
// grew, nothing found that was never added, distinct counting exact.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/flat_hash.hpp"

using namespace dmarcsight;

TEST(flat_hash, set_counts_distinct_keys_across_growth) {
    flat_hash::u64_set s;
    std::set<std::uint64_t> truth;
    std::mt19937_64 rng(7);
    for (int i = 0; i < 200000; ++i) {
        const std::uint64_t k = rng() % 50000;  // many repeats
        EXPECT_EQ(s.insert(k), truth.insert(k).second);
    }
    EXPECT_EQ(s.size(), truth.size());
    EXPECT_EQ(s.insert(0), truth.insert(0).second);  // 0 is a key like any other
    EXPECT_FALSE(s.insert(0));
}

TEST(flat_hash, set_keeps_keys_that_differ_only_in_high_bits) {
    flat_hash::u64_set s;
    for (std::uint64_t source = 0; source < 3000; ++source)
        for (std::uint64_t day = 20260101; day < 20260105; ++day) EXPECT_TRUE(s.insert((source << 32) | day));
    EXPECT_EQ(s.size(), 12000u);
    EXPECT_FALSE(s.insert((2999ULL << 32) | 20260104));
}

TEST(flat_hash, index_finds_every_entry_by_its_text) {
    std::vector<std::string> keys;
    for (int a = 0; a < 256; ++a)
        for (int b = 0; b < 300; ++b) keys.push_back("10." + std::to_string(a) + "." + std::to_string(b) + ".1");
    keys.push_back("2001:db8::1");
    keys.push_back("");
    flat_hash::index ix;
    for (std::uint32_t i = 0; i < keys.size(); ++i) {
        const auto h = flat_hash::hash_text(keys[i]);
        ASSERT_EQ(ix.find(h, [&](std::uint32_t e) { return keys[e] == keys[i]; }), flat_hash::index::none);
        ix.add(h, i);
    }
    for (std::uint32_t i = 0; i < keys.size(); ++i)
        EXPECT_EQ(ix.find(flat_hash::hash_text(keys[i]), [&](std::uint32_t e) { return keys[e] == keys[i]; }), i);
    const std::string absent = "10.0.0.2";
    EXPECT_EQ(ix.find(flat_hash::hash_text(absent), [&](std::uint32_t e) { return keys[e] == absent; }), flat_hash::index::none);
    ix.clear();
    EXPECT_EQ(ix.find(flat_hash::hash_text(keys[0]), [&](std::uint32_t e) { return keys[e] == keys[0]; }), flat_hash::index::none);
}

TEST(flat_hash, index_tells_apart_entries_whose_hashes_collide) {
    // The same hash for two different keys: the caller's equality decides.
    std::vector<std::string> keys = {"a", "b", "c"};
    flat_hash::index ix;
    for (std::uint32_t i = 0; i < keys.size(); ++i) ix.add(42, i);
    for (std::uint32_t i = 0; i < keys.size(); ++i) EXPECT_EQ(ix.find(42, [&](std::uint32_t e) { return keys[e] == keys[i]; }), i);
}
