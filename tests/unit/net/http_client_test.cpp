// net::http_client (libcurl) against a real TLS server on 127.0.0.1 (tls_test_server): the one
// deadline, the body cap, redirects returned and never followed, addresses pinned with
// CURLOPT_RESOLVE, POST (for alert webhooks), and the URLs it refuses.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "net/http_client.hpp"
#include "support/tls_test_server.hpp"

using namespace dmarcsight;
using dmarcsight::test::tls_test_server;

namespace {

net::http_options local(const tls_test_server& s) {
    net::http_options o;
    o.ca_file = (dmarcsight::test::tls_fixture_dir() / "ca.pem").string();
    o.connect_to = s.address();
    o.deadline = std::chrono::milliseconds(5000);
    o.max_body = 4096;
    return o;
}

}  // namespace

TEST(http_client, one_deadline_for_the_whole_transfer) {
    tls_test_server s(tls_test_server::mode::drip_body);
    ASSERT_GT(s.port(), 0);
    auto o = local(s);
    o.deadline = std::chrono::milliseconds(700);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = net::http_get("https://mta-sts.sts.test/x", o);
    const auto took = std::chrono::steady_clock::now() - t0;
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.err().message.find("within 700 ms"), std::string::npos) << r.err().message;
    EXPECT_GE(took, std::chrono::milliseconds(650));
    EXPECT_LT(took, std::chrono::milliseconds(700 + 500));
}

TEST(http_client, body_cap_aborts_the_transfer) {
    tls_test_server s(tls_test_server::mode::big_body, 100000);
    ASSERT_GT(s.port(), 0);
    auto r = net::http_get("https://mta-sts.sts.test/x", local(s));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().message, "the body is larger than 4096 bytes");
}

TEST(http_client, header_cap_aborts_the_transfer) {
    tls_test_server s(tls_test_server::mode::big_headers, 100000);
    ASSERT_GT(s.port(), 0);
    auto o = local(s);
    o.max_headers = 4096;
    auto r = net::http_get("https://mta-sts.sts.test/x", o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().message, "the response headers are larger than 4096 bytes");
    // Within the cap the same reply is fine.
    tls_test_server small(tls_test_server::mode::big_headers, 2000);
    auto ok = net::http_get("https://mta-sts.sts.test/x", local(small));
    ASSERT_TRUE(ok.ok()) << ok.err().message;
    EXPECT_EQ(ok->body, tls_test_server::policy);
}

TEST(http_client, redirect_is_returned_not_followed) {
    tls_test_server s(tls_test_server::mode::redirect);
    ASSERT_GT(s.port(), 0);
    auto r = net::http_get("https://mta-sts.sts.test/.well-known/mta-sts.txt", local(s));
    ASSERT_TRUE(r.ok()) << r.err().message;
    EXPECT_EQ(r->status, 301);
    EXPECT_EQ(r->location, "https://mta-sts.sts.test:" + std::to_string(s.port()) + "/moved");
    EXPECT_EQ(r->body, "");
    EXPECT_EQ(s.requests(), 1);
}

TEST(http_client, resolve_to_pins_the_host_to_our_addresses) {
    // mta-sts.sts.test exists in no DNS: only the pinned address can make this work; the
    // certificate is still checked against the URL's name.
    tls_test_server s(tls_test_server::mode::redirect);
    ASSERT_GT(s.port(), 0);
    auto o = local(s);
    o.connect_to.clear();
    o.resolve_to = {"127.0.0.1"};
    auto r = net::http_get("https://mta-sts.sts.test:" + std::to_string(s.port()) + "/moved", o);
    ASSERT_TRUE(r.ok()) << r.err().message;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->content_type, "text/plain");
    EXPECT_EQ(r->body, tls_test_server::policy);
}

TEST(http_client, post_sends_the_body_and_headers) {
    tls_test_server s(tls_test_server::mode::echo_post);
    ASSERT_GT(s.port(), 0);
    net::http_request req;
    req.method = "POST";
    req.url = "https://mta-sts.sts.test/hook";
    req.headers = {"Content-Type: application/json"};
    req.body = std::string(3000, 'b');  // > 1024: no "Expect: 100-continue" wait
    const auto t0 = std::chrono::steady_clock::now();
    auto r = net::http_fetch(req, local(s));
    ASSERT_TRUE(r.ok()) << r.err().message;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(900));
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->content_type, "application/json");
    EXPECT_EQ(r->body, req.body);
    EXPECT_EQ(s.paths(), std::vector<std::string>{"/hook"});
}

TEST(http_client, refused_urls_and_requests) {
    net::http_options o;
    EXPECT_EQ(net::http_get("http://example.com/", o).err().message, "not an https URL");
    EXPECT_EQ(net::http_get("ftp://example.com/", o).err().message, "not an https URL");
    EXPECT_EQ(net::http_get("https://user:pw@example.com/", o).err().message, "unsupported URL (credentials in the URL)");
    EXPECT_EQ(net::http_get("https://example.com/\r\nX: y", o).err().message, "unsupported URL");
    EXPECT_EQ(net::http_get("not a url", o).err().message, "unsupported URL");
    net::http_request put;
    put.method = "PUT";
    put.url = "https://example.com/";
    EXPECT_FALSE(net::http_fetch(put, o).ok());
    net::http_request inject;
    inject.url = "https://example.com/";
    inject.headers = {"X-A: b\r\nX-B: c"};
    EXPECT_EQ(net::http_fetch(inject, o).err().message, "header line with a line break");
}

TEST(http_client, connection_refused_is_an_error_naming_the_host) {
    net::http_options o;
    o.connect_to = "127.0.0.1:9";
    o.deadline = std::chrono::milliseconds(2000);
    auto r = net::http_get("https://mta-sts.sts.test/x", o);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.err().message.find("cannot connect to mta-sts.sts.test:443"), std::string::npos) << r.err().message;
}
