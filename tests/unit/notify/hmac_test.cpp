// HMAC-SHA256 against the test vectors of RFC 4231 §4 (all seven cases) and the webhook signature.
#include "notify/hmac.hpp"

#include <gtest/gtest.h>

#include <string>

#include "notify/webhook.hpp"

namespace dmarcsight::notify {
namespace {

std::string bytes(std::size_t n, unsigned char c) { return std::string(n, static_cast<char>(c)); }

TEST(hmac_sha256, rfc4231_test_case_1) {
    EXPECT_EQ(hmac_sha256_hex(bytes(20, 0x0b), "Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(hmac_sha256, rfc4231_test_case_2_key_shorter_than_the_output) {
    EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(hmac_sha256, rfc4231_test_case_3) {
    EXPECT_EQ(hmac_sha256_hex(bytes(20, 0xaa), bytes(50, 0xdd)), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
}

TEST(hmac_sha256, rfc4231_test_case_4) {
    std::string key;
    for (int i = 1; i <= 25; ++i) key += static_cast<char>(i);
    EXPECT_EQ(hmac_sha256_hex(key, bytes(50, 0xcd)), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
}

TEST(hmac_sha256, rfc4231_test_case_5_truncated_to_128_bits) {
    EXPECT_EQ(hmac_sha256_hex(bytes(20, 0x0c), "Test With Truncation").substr(0, 32), "a3b6167473100ee06e0c796c2955552b");
}

TEST(hmac_sha256, rfc4231_test_case_6_key_larger_than_a_block) {
    EXPECT_EQ(hmac_sha256_hex(bytes(131, 0xaa), "Test Using Larger Than Block-Size Key - Hash Key First"),
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(hmac_sha256, rfc4231_test_case_7_key_and_data_larger_than_a_block) {
    EXPECT_EQ(hmac_sha256_hex(bytes(131, 0xaa),
                              "This is a test using a larger than block-size key and a larger than block-size data. The key needs to "
                              "be hashed before being used by the HMAC algorithm."),
              "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(hmac_sha256, raw_bytes_match_the_hex) {
    const auto mac = hmac_sha256("Jefe", "what do ya want for nothing?");
    EXPECT_EQ(mac[0], 0x5b);
    EXPECT_EQ(mac[31], 0x43);
}

TEST(sha256, fips_180_examples) {
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(random_hex, is_hex_of_the_length_and_differs) {
    const auto a = random_hex(16), b = random_hex(16);
    EXPECT_EQ(a.size(), 32u);
    EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_NE(a, b);
}

// The signed text is "<timestamp>.<body>": the same HMAC as computed by hand, and a different
// timestamp or body gives another signature.
TEST(webhook_signature, signs_timestamp_dot_body) {
    const std::string body = R"({"subject":"x"})";
    EXPECT_EQ(webhook_signature("k3y", 1700000000, body), "sha256=" + hmac_sha256_hex("k3y", "1700000000." + body));
    EXPECT_NE(webhook_signature("k3y", 1700000001, body), webhook_signature("k3y", 1700000000, body));
    EXPECT_NE(webhook_signature("k3y", 1700000000, body + " "), webhook_signature("k3y", 1700000000, body));
}

}  // namespace
}  // namespace dmarcsight::notify
