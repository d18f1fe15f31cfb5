// serve's listen address (parsed, loopback only until users exist) and the Prometheus label
// escaping of /metrics (a report's domain can never end a label or a line).
#include <gtest/gtest.h>

#include "web/metrics.hpp"
#include "web/server.hpp"

using namespace dmarcsight;

TEST(serve_listen, host_and_port_in_every_form) {
    auto a = web::parse_listen("127.0.0.1:8080");
    ASSERT_TRUE(a) << a.err().message;
    EXPECT_EQ(a->host, "127.0.0.1");
    EXPECT_EQ(a->port, 8080);
    auto b = web::parse_listen("[::1]:0");
    ASSERT_TRUE(b) << b.err().message;
    EXPECT_EQ(b->host, "::1");
    EXPECT_EQ(b->port, 0);
    auto c = web::parse_listen("localhost:65535");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->port, 65535);
    for (const char* bad : {"127.0.0.1", "127.0.0.1:", ":8080", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:80x", "[::1]", "[::1]8080",
                            "::1:8080", "[::1:8080", ""}) {
        auto r = web::parse_listen(bad);
        EXPECT_FALSE(r) << bad;
        if (!r) {
            EXPECT_NE(r.err().message.find("--listen"), std::string::npos) << r.err().message;
        }
    }
}

TEST(serve_listen, only_loopback_without_users_and_tls_or_a_proxy_beyond) {
    for (const char* ok : {"127.0.0.1", "127.1.2.3", "::1", "localhost"}) {
        EXPECT_TRUE(web::listen_allowed({ok, 8080})) << ok;
        // Behind a proxy even loopback is reachable from beyond: users first.
        auto proxied = web::listen_allowed({ok, 8080}, {.users = false, .behind_proxy = true});
        EXPECT_FALSE(proxied) << ok;
        if (!proxied) {
            EXPECT_NE(proxied.err().message.find("user add"), std::string::npos);
        }
        EXPECT_TRUE(web::listen_allowed({ok, 8080}, {.users = true, .behind_proxy = true})) << ok;
    }
    for (const char* no : {"0.0.0.0", "::", "192.0.2.1", "10.0.0.1", "::ffff:127.0.0.1", "128.0.0.1", "localhost.example", "example.com"}) {
        auto r = web::listen_allowed({no, 8080});
        EXPECT_FALSE(r) << no;
        if (!r) {
            EXPECT_NE(r.err().message.find("loopback only"), std::string::npos);
        }
        // TLS alone is not enough without users; users alone are not enough without TLS or a proxy.
        EXPECT_FALSE(web::listen_allowed({no, 8080}, {.users = false, .tls = true}));
        auto plain = web::listen_allowed({no, 8080}, {.users = true});
        EXPECT_FALSE(plain) << no;
        if (!plain) {
            EXPECT_NE(plain.err().message.find("--tls-cert"), std::string::npos);
        }
        EXPECT_TRUE(web::listen_allowed({no, 8080}, {.users = true, .tls = true})) << no;
        EXPECT_TRUE(web::listen_allowed({no, 8080}, {.users = true, .behind_proxy = true})) << no;
    }
}

TEST(serve_metrics, label_values_are_escaped_and_valid_utf8) {
    EXPECT_EQ(web::metrics_label_value("example.com"), "example.com");
    EXPECT_EQ(web::metrics_label_value("a\"b"), "a\\\"b");
    EXPECT_EQ(web::metrics_label_value("a\\b"), "a\\\\b");
    EXPECT_EQ(web::metrics_label_value("a\nb} 1\nfake_metric 2"), "a\\nb} 1\\nfake_metric 2");
    EXPECT_EQ(web::metrics_label_value("bad\xff"), "bad\xEF\xBF\xBD");  // U+FFFD
    EXPECT_EQ(web::metrics_label_value("bücher.example"), "bücher.example");
}
