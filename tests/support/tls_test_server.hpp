// A real TLS server on 127.0.0.1 (a thread of the test process, OpenSSL, the test certificate of
// tests/fixtures/posture/tls/ for mta-sts.sts.test) that misbehaves on purpose: it drips bytes,
// sends bodies over any cap, redirects, or echoes a POST. For the HTTP client and MTA-STS tests.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dmarcsight::test {

inline std::filesystem::path tls_fixture_dir() {
    return std::filesystem::path(DMARCSIGHT_TEST_DIR) / "fixtures" / "posture" / "tls";
}

class tls_test_server {
public:
    enum class mode {
        drip_body,     // 200 text/plain, then one body byte every drip_interval, forever
        drip_headers,  // a status line, then one header byte every drip_interval, forever
        big_body,      // 200 text/plain, no Content-Length, body_size bytes, then close
        big_declared,  // 200 text/plain, Content-Length: body_size, body_size bytes
        big_headers,   // 200 text/plain with body_size bytes of complete header lines, then a policy
        redirect,      // /.well-known/mta-sts.txt → 301 to /moved; /moved → 200 with a valid policy
        echo_post,     // 200 application/json, the request body echoed back
    };
    static constexpr std::chrono::milliseconds drip_interval{200};
    static constexpr const char* policy = "version: STSv1\nmode: enforce\nmx: mx.sts.test\nmax_age: 86400\n";

    explicit tls_test_server(mode m, std::size_t body_size = 0) : mode_(m), body_size_(body_size) {
        ::signal(SIGPIPE, SIG_IGN);  // the client hangs up on us mid-write on purpose
        ctx_ = SSL_CTX_new(TLS_server_method());
        const auto dir = tls_fixture_dir();
        if (ctx_ == nullptr || SSL_CTX_use_certificate_chain_file(ctx_, (dir / "server.pem").c_str()) != 1 ||
            SSL_CTX_use_PrivateKey_file(ctx_, (dir / "server.key").c_str(), SSL_FILETYPE_PEM) != 1) {
            return;
        }
        listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 8) != 0 ||
            ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
            return;
        }
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { run(); });
    }
    ~tls_test_server() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
        if (listen_fd_ >= 0) ::close(listen_fd_);
        if (ctx_ != nullptr) SSL_CTX_free(ctx_);
    }
    tls_test_server(const tls_test_server&) = delete;
    tls_test_server& operator=(const tls_test_server&) = delete;

    int port() const { return port_; }
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
    int requests() const { return requests_; }
    std::vector<std::string> paths() const {
        std::lock_guard<std::mutex> l(mu_);
        return paths_;
    }

private:
    bool stopping() const { return stop_.load(); }

    void run() {
        // One connection at a time is all the tests need.
        while (!stopping()) {
            pollfd p{listen_fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) != 1) continue;
            const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) continue;
            serve(fd);
            ::close(fd);
        }
    }

    bool write_all(SSL* ssl, const std::string& s) {
        return s.empty() || SSL_write(ssl, s.data(), static_cast<int>(s.size())) == static_cast<int>(s.size());
    }

    // Sleeps one drip interval in small steps so the destructor never waits long.
    bool drip_pause() {
        const auto until = std::chrono::steady_clock::now() + drip_interval;
        while (std::chrono::steady_clock::now() < until) {
            if (stopping()) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return true;
    }

    void serve(int fd) {
        timeval tv{2, 0};  // a client that stalls the handshake does not block the test forever
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        SSL* ssl = SSL_new(ctx_);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) == 1) handle(ssl);
        SSL_shutdown(ssl);
        SSL_free(ssl);
    }

    void handle(SSL* ssl) {
        std::string req;
        char buf[4096];
        while (req.find("\r\n\r\n") == std::string::npos && req.size() < 65536) {
            const int n = SSL_read(ssl, buf, sizeof buf);
            if (n <= 0) return;
            req.append(buf, static_cast<std::size_t>(n));
        }
        const auto head_end = req.find("\r\n\r\n") + 4;
        std::string body = req.substr(head_end);
        std::size_t declared = 0;
        if (const auto cl = req.find("Content-Length: "); cl != std::string::npos && cl < head_end) {
            declared = std::stoul(req.substr(cl + 16));
        }
        while (body.size() < declared) {
            const int n = SSL_read(ssl, buf, sizeof buf);
            if (n <= 0) return;
            body.append(buf, static_cast<std::size_t>(n));
        }
        const auto sp1 = req.find(' '), sp2 = req.find(' ', sp1 + 1);
        const std::string path = req.substr(sp1 + 1, sp2 - sp1 - 1);
        {
            std::lock_guard<std::mutex> l(mu_);
            paths_.push_back(path);
        }
        ++requests_;
        const std::string plain = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n";
        switch (mode_) {
            case mode::drip_body:
                if (!write_all(ssl, plain + "\r\n")) return;
                while (drip_pause() && write_all(ssl, "v")) {
                }
                return;
            case mode::drip_headers:
                if (!write_all(ssl, "HTTP/1.1 200 OK\r\nX-Slow: ")) return;
                while (drip_pause() && write_all(ssl, "x")) {
                }
                return;
            case mode::big_body:
            case mode::big_declared: {
                std::string head = plain;
                if (mode_ == mode::big_declared) head += "Content-Length: " + std::to_string(body_size_) + "\r\n";
                if (!write_all(ssl, head + "\r\n")) return;
                const std::string chunk(16384, 'x');
                for (std::size_t sent = 0; sent < body_size_ && !stopping(); sent += chunk.size()) {
                    if (!write_all(ssl, chunk.substr(0, std::min(chunk.size(), body_size_ - sent)))) return;
                }
                return;
            }
            case mode::big_headers: {
                std::string head = plain;
                for (int i = 0; head.size() < body_size_; ++i) head += "X-Pad-" + std::to_string(i) + ": padding padding\r\n";
                write_all(ssl, head + "\r\n" + policy);
                return;
            }
            case mode::redirect:
                if (path == "/moved") {
                    write_all(ssl, plain + "\r\n" + policy);
                } else {
                    write_all(ssl, "HTTP/1.1 301 Moved Permanently\r\nLocation: https://mta-sts.sts.test:" + std::to_string(port_) +
                                       "/moved\r\nContent-Type: text/plain\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                }
                return;
            case mode::echo_post:
                write_all(ssl, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                                   "\r\nConnection: close\r\n\r\n" + body);
                return;
        }
    }

    mode mode_;
    std::size_t body_size_;
    SSL_CTX* ctx_ = nullptr;
    int listen_fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> requests_{0};
    mutable std::mutex mu_;
    std::vector<std::string> paths_;
    std::thread thread_;
};

}  // namespace dmarcsight::test
