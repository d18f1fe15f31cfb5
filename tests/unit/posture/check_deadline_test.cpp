// One domain's whole `check` (MX, DMARC tree walk, SPF tree, MTA-STS, TLS-RPT, BIMI lookups) ends
// at the resolver's overall deadline even when the DNS server swallows every query.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "dns/cares_resolver.hpp"
#include "posture/check.hpp"

using namespace dmarcsight;

namespace {
// A real UDP socket on 127.0.0.1 that receives queries and never answers.
struct swallowing_dns_server {
    int fd = -1;
    int port = 0;
    swallowing_dns_server() {
        fd = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
            port = ntohs(a.sin_port);
        }
    }
    ~swallowing_dns_server() {
        if (fd >= 0) ::close(fd);
    }
};
}  // namespace

TEST(posture_check_deadline, a_check_against_a_silent_server_ends_at_the_deadline) {
    swallowing_dns_server s;
    ASSERT_GT(s.port, 0);
    dns::cares_options o;
    o.servers = {"127.0.0.1:" + std::to_string(s.port)};
    o.timeout_ms = 400;
    o.tries = 2;  // 1.2 s per query, over a dozen names: ~15 s without the overall deadline
    auto r = dns::cares_resolver::create(o);
    ASSERT_TRUE(r.ok()) << r.err().message;
    const auto t0 = std::chrono::steady_clock::now();
    (*r)->set_deadline(t0 + std::chrono::milliseconds(1500));
    posture::check_options opts;
    opts.selectors = {"s1", "s2"};
    const auto report = posture::check_domain(**r, "example.com", opts);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    EXPECT_LT(took, std::chrono::milliseconds(1500 + 400)) << took.count() << " ms";
    EXPECT_NE(report.find("mx.temperror"), nullptr);
    EXPECT_TRUE(report.has_errors());
    std::printf("[ measured ] check of example.com against a silent DNS server, deadline 1500 ms: %lld ms, %zu queries sent\n",
                static_cast<long long>(took.count()), (*r)->network_queries());
}
