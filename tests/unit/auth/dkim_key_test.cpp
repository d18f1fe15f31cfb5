// DKIM key records (RFC 6376 §3.6.1) and key measurement with OpenSSL.
#include <gtest/gtest.h>

#include <algorithm>

#include "auth/dkim_key.hpp"

using namespace dmarcsight::auth;

namespace {
// Generated with openssl genpkey for these tests (public halves only).
const std::string rsa512 = "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKvSMggd5fm4E8fopZRpaQGGlJ4Zg3UdtvD45PgV5GQ083gbtVkdPxe28+z6fwkquGEah83NvwilXKT6CpIFR80CAwEAAQ==";
const std::string rsa1024 = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCpW2QdQ5GYsMCOykPSKY4WOBsNNRdgra0LUPn4DQ3AVoTxp4YsZ5bqS7OFro7L5Oc6wdRwAIIwIDQWiz2CU/Re5uED+uAnwjuolWrEU48w0rU884ZFqy8h+Fu/st49jkYGINjWVLBwfQS/7wmBqfTZCqyfD59lfRrXEJU8hPuSywIDAQAB";
const std::string rsa2048 = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqbjgNCZ2eisKPPmBJQmiS4fA2sbiJQM76TXBnGFl0xnwT0gQWaHlIddkDxtDSIbvcv3mlreUHlGaDR/iDEL+yN1OXwrQN6scRAa6YVwwywuDiS/CcBU+QlhTuOcVUdVV/EJc/1LIcLq9geifID+Ia8+76+TF/hqDMYEskgz/hk1Bcdslrhewl6GUgy/I7DT3QAMaXxOZumuLNJeUVh+xBsOlr0SCbh24iKNNqs3qvd9T0aMiuwOiKI2P9Pyogwg9wOn+Tk0CZT30rF9KRFLNKH6JVju0/WahbTI/f5Sz/n0+tgW24sBrcCXnSOuWje0h/M6xUg4yIinB1QmWGBnjZwIDAQAB";
const std::string rsa1024_pkcs1 = "MIGJAoGBAKlbZB1DkZiwwI7KQ9IpjhY4Gw01F2CtrQtQ+fgNDcBWhPGnhixnlupLs4Wujsvk5zrB1HAAgjAgNBaLPYJT9F7m4QP64CfCO6iVasRTjzDStTzzhkWrLyH4W7+y3j2ORgYg2NZUsHB9BL/vCYGp9NkKrJ8Pn2V9GtcQlTyE+5LLAgMBAAE=";
const std::string ed25519 = "PUAzovKTQgF3DRSv1Z1dQkZtX/PGR5tSRrJhptu/ZoM=";

bool has_issue(const dkim_key_record& r, std::string_view code) {
    return std::any_of(r.issues.begin(), r.issues.end(), [&](const record_issue& i) { return i.code == code; });
}
}  // namespace

TEST(dkim_key, parses_all_tags) {
    auto r = parse_dkim_key_record("v=DKIM1; h=sha256; k=rsa; n=notes here; s=email; t=y:s; p=" + rsa2048);
    ASSERT_TRUE(r.ok()) << r.err().message;
    EXPECT_TRUE(r->version_present);
    EXPECT_EQ(r->hash_algs, std::vector<std::string>{"sha256"});
    EXPECT_EQ(r->key_type, dkim_key_type::rsa);
    EXPECT_EQ(r->notes, "notes here");
    EXPECT_EQ(r->service_types, std::vector<std::string>{"email"});
    EXPECT_TRUE(r->testing);
    EXPECT_TRUE(r->no_subdomains);
    EXPECT_FALSE(r->revoked);
    EXPECT_EQ(r->public_key, rsa2048);
    EXPECT_TRUE(r->issues.empty());
}

TEST(dkim_key, defaults_and_fws_inside_p) {
    auto r = parse_dkim_key_record("p=" + rsa1024.substr(0, 50) + " \r\n\t" + rsa1024.substr(50));
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->version_present);
    EXPECT_EQ(r->key_type, dkim_key_type::rsa);
    EXPECT_EQ(r->public_key, rsa1024);
    auto info = inspect_public_key(r->key_type, r->public_key);
    ASSERT_TRUE(info.ok()) << info.err().message;
    EXPECT_EQ(info->bits, 1024u);
}

TEST(dkim_key, revoked_key_is_empty_p) {
    auto r = parse_dkim_key_record("v=DKIM1; k=rsa; p=");
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->revoked);
}

TEST(dkim_key, refusals) {
    EXPECT_FALSE(parse_dkim_key_record("").ok());
    EXPECT_FALSE(parse_dkim_key_record("v=DKIM1; k=rsa").ok());                 // no p=
    EXPECT_FALSE(parse_dkim_key_record("v=DKIM2; p=" + rsa1024).ok());          // wrong version
    EXPECT_FALSE(parse_dkim_key_record("garbage without tags").ok());
    auto r = parse_dkim_key_record("k=rsa; v=DKIM1; p=" + rsa1024);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(has_issue(*r, "version_not_first"));
}

TEST(dkim_key, issues) {
    auto r = parse_dkim_key_record("v=DKIM1; k=dsa; p=" + rsa1024);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->key_type, dkim_key_type::unknown);
    EXPECT_TRUE(has_issue(*r, "unknown_key_type"));
    r = parse_dkim_key_record("v=DKIM1; h=sha1; p=" + rsa1024);
    EXPECT_TRUE(has_issue(*r, "sha1_only"));
    r = parse_dkim_key_record("v=DKIM1; s=tlsrpt; p=" + rsa1024);
    EXPECT_TRUE(has_issue(*r, "not_for_email"));
    r = parse_dkim_key_record("v=DKIM1; p=" + rsa1024 + "; p=");
    EXPECT_TRUE(has_issue(*r, "duplicate_tag"));
    EXPECT_FALSE(r->revoked);  // the first p= counts
    r = parse_dkim_key_record("v=DKIM1; p=abc*def");
    EXPECT_TRUE(has_issue(*r, "bad_base64"));
    r = parse_dkim_key_record("v=DKIM1; g=*; t=x; zz=1; p=" + rsa1024);
    EXPECT_TRUE(has_issue(*r, "obsolete_tag"));
    EXPECT_TRUE(has_issue(*r, "unknown_flag"));
    EXPECT_TRUE(has_issue(*r, "unknown_tag"));
}

TEST(dkim_key, key_sizes) {
    auto i = inspect_public_key(dkim_key_type::rsa, rsa512);
    ASSERT_TRUE(i.ok()) << i.err().message;
    EXPECT_EQ(i->bits, 512u);
    EXPECT_EQ(i->form, "SubjectPublicKeyInfo");
    i = inspect_public_key(dkim_key_type::rsa, rsa2048);
    ASSERT_TRUE(i.ok());
    EXPECT_EQ(i->bits, 2048u);
    i = inspect_public_key(dkim_key_type::rsa, rsa1024_pkcs1);
    ASSERT_TRUE(i.ok()) << i.err().message;
    EXPECT_EQ(i->bits, 1024u);
    EXPECT_EQ(i->form, "RSAPublicKey (PKCS#1)");
    i = inspect_public_key(dkim_key_type::ed25519, ed25519);
    ASSERT_TRUE(i.ok()) << i.err().message;
    EXPECT_EQ(i->type, dkim_key_type::ed25519);
    EXPECT_EQ(i->bits, 256u);
}

TEST(dkim_key, bad_keys) {
    EXPECT_FALSE(inspect_public_key(dkim_key_type::rsa, "AAAAB3NzaC1yc2EAAAADAQABAAAAgQ==").ok());  // ssh format
    EXPECT_FALSE(inspect_public_key(dkim_key_type::rsa, "!!!").ok());
    EXPECT_FALSE(inspect_public_key(dkim_key_type::rsa, "").ok());
    EXPECT_FALSE(inspect_public_key(dkim_key_type::ed25519, rsa1024).ok());  // not 32 bytes
    EXPECT_FALSE(inspect_public_key(dkim_key_type::ed25519, "AAAA").ok());
    // Trailing bytes after a valid SubjectPublicKeyInfo.
    EXPECT_FALSE(inspect_public_key(dkim_key_type::rsa, rsa512.substr(0, rsa512.size() - 2) + "AAAAAA==").ok());
}

TEST(dkim_key, base64) {
    EXPECT_EQ(decode_base64("aGVsbG8="), "hello");
    EXPECT_EQ(decode_base64("aGVs bG8=\r\n"), "hello");
    EXPECT_EQ(decode_base64(""), "");
    EXPECT_FALSE(decode_base64("aGVsbG8").has_value());     // not a multiple of 4
    EXPECT_FALSE(decode_base64("aG=VsbG8").has_value());    // data after padding
    EXPECT_FALSE(decode_base64("aGVsbG8===").has_value());
    EXPECT_FALSE(decode_base64(std::string(20000, 'A')).has_value());  // over the cap
}
