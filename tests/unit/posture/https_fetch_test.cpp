// The MTA-STS policy fetch (posture/https_fetch) against a local `openssl s_server -WWW` with a
// test CA (tests/fixtures/posture/tls/): certificate and host-name verification, status handling;
// and against tls_test_server (a misbehaving TLS server on 127.0.0.1): the one deadline, the
// body cap, no redirects.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <cstdio>
#include <optional>
#include <vector>

#include "auth/record_mail.hpp"
#include "core/limits.hpp"
#include "dns/zone_resolver.hpp"
#include "posture/https_fetch.hpp"
#include "support/tls_test_server.hpp"

using namespace dmarcsight::posture;
namespace fs = std::filesystem;

namespace {

const fs::path tls_dir = fs::path(DMARCSIGHT_TEST_DIR) / "fixtures" / "posture" / "tls";

int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

bool can_connect(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

// `openssl s_server -WWW` serving files from a temporary directory.
class local_https : public ::testing::Test {
protected:
    void SetUp() override {
        if (::access("/usr/bin/openssl", X_OK) != 0) GTEST_SKIP() << "openssl binary absent";
        root_ = fs::temp_directory_path() / ("dmarcsight_https_" + std::to_string(::getpid()));
        fs::create_directories(root_ / ".well-known");
        std::ofstream(root_ / ".well-known" / "mta-sts.txt") << "version: STSv1\nmode: enforce\nmx: mx.sts.test\nmax_age: 86400\n";
        port_ = free_port();
        pid_ = ::fork();
        if (pid_ == 0) {
            if (::chdir(root_.c_str()) != 0) ::_exit(127);
            const std::string accept = "127.0.0.1:" + std::to_string(port_);
            const std::string cert = (tls_dir / "server.pem").string(), key = (tls_dir / "server.key").string();
            ::freopen("/dev/null", "w", stdout);
            ::freopen("/dev/null", "w", stderr);
            ::execl("/usr/bin/openssl", "openssl", "s_server", "-quiet", "-accept", accept.c_str(), "-cert", cert.c_str(),
                    "-key", key.c_str(), "-WWW", static_cast<char*>(nullptr));
            ::_exit(127);
        }
        for (int i = 0; i < 100 && !can_connect(port_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        ASSERT_TRUE(can_connect(port_)) << "s_server did not start";
    }
    void TearDown() override {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            ::waitpid(pid_, nullptr, 0);
        }
        if (!root_.empty()) fs::remove_all(root_);
    }
    https_options opts() const {
        https_options o;
        o.ca_file = (tls_dir / "ca.pem").string();
        o.connect_to = "127.0.0.1:" + std::to_string(port_);
        o.timeout_ms = 5000;
        return o;
    }

    fs::path root_;
    int port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace

TEST_F(local_https, fetches_a_policy_over_verified_tls) {
    std::string err;
    const auto body = https_get("https://mta-sts.sts.test/.well-known/mta-sts.txt", opts(), err);
    ASSERT_TRUE(body.has_value()) << err;
    EXPECT_EQ(*body, "version: STSv1\nmode: enforce\nmx: mx.sts.test\nmax_age: 86400\n");
}

TEST_F(local_https, refuses_a_certificate_for_another_name) {
    std::string err;
    EXPECT_FALSE(https_get("https://mta-sts.other.test/.well-known/mta-sts.txt", opts(), err).has_value());
    EXPECT_NE(err.find("certificate"), std::string::npos) << err;
}

TEST_F(local_https, refuses_an_untrusted_ca) {
    auto o = opts();
    o.ca_file.clear();  // the system store does not know the test CA
    std::string err;
    EXPECT_FALSE(https_get("https://mta-sts.sts.test/.well-known/mta-sts.txt", o, err).has_value());
    EXPECT_NE(err.find("certificate"), std::string::npos) << err;
}

TEST(https_fetch, response_rules) {
    std::string err;
    EXPECT_EQ(dmarcsight::auth::mta_sts_policy_body("HTTP/1.0 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nversion: STSv1\n", err),
              "version: STSv1\n");
    EXPECT_FALSE(dmarcsight::auth::mta_sts_policy_body("HTTP/1.1 301 Moved\r\nLocation: https://x/\r\nContent-Type: text/plain\r\n\r\n", err));
    EXPECT_NE(err.find("HTTP status"), std::string::npos);
    EXPECT_FALSE(dmarcsight::auth::mta_sts_policy_body("HTTP/1.1 2000 OK\r\nContent-Type: text/plain\r\n\r\n", err));
    EXPECT_FALSE(dmarcsight::auth::mta_sts_policy_body("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\nx", err));
    EXPECT_NE(err.find("text/plain"), std::string::npos);
    EXPECT_FALSE(dmarcsight::auth::mta_sts_policy_body("HTTP/1.1 200 OK\r\n\r\nx", err));  // no Content-Type
    EXPECT_FALSE(dmarcsight::auth::mta_sts_policy_body("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n", err));  // cut
    EXPECT_FALSE(dmarcsight::auth::mta_sts_policy_body("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + std::string(70000, 'x'), err));
}

TEST(https_fetch, bad_urls_and_unreachable_hosts) {
    std::string err;
    EXPECT_FALSE(https_get("http://mta-sts.example/.well-known/mta-sts.txt", {}, err).has_value());
    EXPECT_FALSE(https_get("https://user@host/x", {}, err).has_value());
    https_options o;
    o.connect_to = "127.0.0.1:9";
    o.timeout_ms = 1000;
    EXPECT_FALSE(https_get("https://mta-sts.sts.test/.well-known/mta-sts.txt", o, err).has_value());
    EXPECT_NE(err.find("cannot connect"), std::string::npos) << err;
}

// ---- one deadline for the whole fetch, the body cap, no redirects (a misbehaving local server) ----

namespace {

using dmarcsight::test::tls_test_server;
const std::string policy_url = "https://mta-sts.sts.test/.well-known/mta-sts.txt";

https_options against(const tls_test_server& s, int timeout_ms) {
    https_options o;
    o.ca_file = (tls_dir / "ca.pem").string();
    o.connect_to = s.address();
    o.timeout_ms = timeout_ms;
    return o;
}

template <class F>
std::chrono::milliseconds timed(F&& f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
}

constexpr int small_deadline_ms = 1000;
// Scheduling slack on a loaded 2-core machine (ASan build): the fetch must end within it.
constexpr std::chrono::milliseconds slack{500};

}  // namespace

TEST(posture_https_deadline, a_server_dripping_the_body_is_cut_off_at_the_deadline) {
    tls_test_server s(tls_test_server::mode::drip_body);
    ASSERT_GT(s.port(), 0);
    std::string err;
    std::optional<std::string> body;
    const auto took = timed([&] { body = https_get(policy_url, against(s, small_deadline_ms), err); });
    EXPECT_FALSE(body.has_value());
    EXPECT_NE(err.find("within 1000 ms"), std::string::npos) << err;
    EXPECT_GE(took, std::chrono::milliseconds(small_deadline_ms - 50));
    EXPECT_LT(took, std::chrono::milliseconds(small_deadline_ms) + slack) << took.count() << " ms";
    EXPECT_EQ(s.requests(), 1);
    std::printf("[ measured ] drip body: failed after %lld ms (deadline %d ms)\n", static_cast<long long>(took.count()),
                small_deadline_ms);
}

TEST(posture_https_deadline, a_server_dripping_headers_is_cut_off_at_the_deadline) {
    tls_test_server s(tls_test_server::mode::drip_headers);
    ASSERT_GT(s.port(), 0);
    std::string err;
    std::optional<std::string> body;
    const auto took = timed([&] { body = https_get(policy_url, against(s, small_deadline_ms), err); });
    EXPECT_FALSE(body.has_value());
    EXPECT_NE(err.find("within 1000 ms"), std::string::npos) << err;
    EXPECT_LT(took, std::chrono::milliseconds(small_deadline_ms) + slack) << took.count() << " ms";
    std::printf("[ measured ] drip headers: failed after %lld ms (deadline %d ms)\n", static_cast<long long>(took.count()),
                small_deadline_ms);
}

TEST(posture_https_limits, a_body_over_the_cap_is_refused_without_reading_it_all) {
    // 1 MiB, no Content-Length: the write callback stops the transfer once 64 KiB is crossed.
    tls_test_server s(tls_test_server::mode::big_body, 1024 * 1024);
    ASSERT_GT(s.port(), 0);
    std::string err;
    EXPECT_FALSE(https_get(policy_url, against(s, 5000), err).has_value());
    EXPECT_EQ(err, "the body is larger than 65536 bytes");
}

TEST(posture_https_limits, a_body_of_exactly_the_cap_is_accepted_and_judged) {
    tls_test_server s(tls_test_server::mode::big_body, dmarcsight::limits::max_mta_sts_policy);
    ASSERT_GT(s.port(), 0);
    std::string err;
    const auto body = https_get(policy_url, against(s, 5000), err);
    ASSERT_TRUE(body.has_value()) << err;
    EXPECT_EQ(body->size(), 65536u);
}

TEST(posture_https_limits, a_declared_length_over_the_cap_is_refused_at_once) {
    tls_test_server s(tls_test_server::mode::big_declared, 200000);
    ASSERT_GT(s.port(), 0);
    std::string err;
    EXPECT_FALSE(https_get(policy_url, against(s, 5000), err).has_value());
    EXPECT_EQ(err, "the body is larger than 65536 bytes");
}

TEST(posture_https_rules, a_redirect_is_not_followed) {
    // RFC 8461 §3.3: "HTTP 3xx redirects MUST NOT be followed".
    tls_test_server s(tls_test_server::mode::redirect);
    ASSERT_GT(s.port(), 0);
    std::string err;
    EXPECT_FALSE(https_get(policy_url, against(s, 5000), err).has_value());
    EXPECT_NE(err.find("HTTP status 301"), std::string::npos) << err;
    EXPECT_NE(err.find("redirects are not followed"), std::string::npos) << err;
    EXPECT_EQ(s.requests(), 1);
    EXPECT_EQ(s.paths(), std::vector<std::string>{"/.well-known/mta-sts.txt"});
}

TEST(posture_https_resolve, the_policy_host_is_resolved_through_our_resolver) {
    // mta-sts.sts.test exists only in this zone: the fetch can only reach the server through the
    // address our resolver gives (CURLOPT_RESOLVE), and the certificate is still checked.
    tls_test_server s(tls_test_server::mode::redirect);
    ASSERT_GT(s.port(), 0);
    dmarcsight::dns::zone_resolver zone;
    ASSERT_TRUE(zone.load_text("$ORIGIN sts.test.\n$TTL 300\nmta-sts A 127.0.0.1\nnoaddr TXT \"x\"\n").ok());
    https_options o;
    o.ca_file = (tls_dir / "ca.pem").string();
    o.timeout_ms = 5000;
    std::string err;
    const auto body = https_get_resolved(zone, "https://mta-sts.sts.test:" + std::to_string(s.port()) + "/moved", o, err);
    ASSERT_TRUE(body.has_value()) << err;
    EXPECT_EQ(*body, tls_test_server::policy);
    EXPECT_FALSE(https_get_resolved(zone, "https://noaddr.sts.test/.well-known/mta-sts.txt", o, err).has_value());
    EXPECT_EQ(err, "noaddr.sts.test has no A or AAAA record");
    EXPECT_EQ(s.requests(), 1);
}
