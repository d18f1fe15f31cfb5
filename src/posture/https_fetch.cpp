#include "posture/https_fetch.hpp"

#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <fcntl.h>
#include <memory>

#include "auth/record_mail.hpp"
#include "core/limits.hpp"
#include "core/text.hpp"

namespace dmarcsight::posture {

namespace {


struct fd_closer {
    int fd = -1;
    ~fd_closer() {
        if (fd >= 0) ::close(fd);
    }
};
struct ctx_free {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct ssl_free {
    void operator()(SSL* s) const { SSL_free(s); }
};

std::string ssl_error() {
    const unsigned long e = ERR_get_error();
    if (e == 0) return "TLS error";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
}

// Connect with a time-out; returns the socket or -1.
int connect_with_timeout(const std::string& host, const std::string& port, int timeout_ms, std::string& error) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
        error = "cannot resolve " + text::for_terminal(host) + ": " + ::gai_strerror(rc);
        return -1;
    }
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(res, &::freeaddrinfo);
    error = "cannot connect to " + text::for_terminal(host) + ":" + port;
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
        const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) continue;
        const int flags = ::fcntl(fd, F_GETFL, 0);
        ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
        int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            pollfd p{fd, POLLOUT, 0};
            rc = ::poll(&p, 1, timeout_ms) == 1 ? 0 : -1;
            int soerr = 0;
            socklen_t len = sizeof soerr;
            if (rc == 0 && (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr != 0)) rc = -1;
        }
        if (rc == 0) {
            ::fcntl(fd, F_SETFL, flags);  // back to blocking, bounded by SO_RCVTIMEO/SO_SNDTIMEO
            timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
            ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
            error.clear();
            return fd;
        }
        ::close(fd);
    }
    return -1;
}

}  // namespace

std::optional<std::string> https_get(const std::string& url, const https_options& options, std::string& error) {
    constexpr std::string_view scheme = "https://";
    if (url.rfind(scheme, 0) != 0) {
        error = "not an https URL";
        return std::nullopt;
    }
    const std::string rest = url.substr(scheme.size());
    const std::size_t slash = rest.find('/');
    const std::string host = rest.substr(0, slash);
    const std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
    if (host.empty() || host.find_first_of(":@ \r\n") != std::string::npos ||
        path.find_first_of(" \r\n") != std::string::npos) {
        error = "unsupported URL";
        return std::nullopt;
    }
    std::string connect_host = host, connect_port = "443";
    if (!options.connect_to.empty()) {
        const auto colon = options.connect_to.rfind(':');
        connect_host = options.connect_to.substr(0, colon);
        if (colon != std::string::npos) connect_port = options.connect_to.substr(colon + 1);
    }

    std::unique_ptr<SSL_CTX, ctx_free> ctx(SSL_CTX_new(TLS_client_method()));
    if (!ctx) {
        error = ssl_error();
        return std::nullopt;
    }
    // RFC 8461 §3.3: TLS with a valid certificate for the policy host; TLS 1.2 as the floor.
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    const int loaded = options.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx.get())
                                               : SSL_CTX_load_verify_locations(ctx.get(), options.ca_file.c_str(), nullptr);
    if (loaded != 1) {
        error = "cannot load the trusted certificates: " + ssl_error();
        return std::nullopt;
    }

    fd_closer sock{connect_with_timeout(connect_host, connect_port, options.timeout_ms, error)};
    if (sock.fd < 0) return std::nullopt;
    std::unique_ptr<SSL, ssl_free> ssl(SSL_new(ctx.get()));
    if (!ssl || SSL_set_fd(ssl.get(), sock.fd) != 1 || SSL_set_tlsext_host_name(ssl.get(), host.c_str()) != 1 ||
        SSL_set1_host(ssl.get(), host.c_str()) != 1) {
        error = ssl_error();
        return std::nullopt;
    }
    if (SSL_connect(ssl.get()) != 1) {
        const long verify = SSL_get_verify_result(ssl.get());
        error = verify != X509_V_OK ? std::string("certificate not valid for ") + host + ": " +
                                          X509_verify_cert_error_string(verify)
                                    : "TLS handshake failed: " + ssl_error();
        return std::nullopt;
    }
    // HTTP/1.0: the reply ends at connection close, never in chunked coding.
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: " + host +
                                "\r\nUser-Agent: dmarcsight\r\nAccept: text/plain\r\nConnection: close\r\n\r\n";
    if (SSL_write(ssl.get(), request.data(), static_cast<int>(request.size())) != static_cast<int>(request.size())) {
        error = "cannot send the request: " + ssl_error();
        return std::nullopt;
    }
    std::string response;
    const std::size_t cap = limits::max_mta_sts_response_headers + limits::max_mta_sts_policy;
    constexpr std::size_t read_chunk = 4096;
    char buf[read_chunk];
    // Bounded: every iteration adds >= 1 byte until the cap, or ends.
    while (response.size() <= cap) {
        const int n = SSL_read(ssl.get(), buf, sizeof buf);
        if (n <= 0) {
            const int e = SSL_get_error(ssl.get(), n);
            if (e == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                error = "the server did not finish its reply in time";
                return std::nullopt;
            }
            // Closed, with or without close_notify (HTTP/1.0 ends the body at close).
            if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL) break;
            error = "reading the reply failed: " + ssl_error();
            return std::nullopt;
        }
        response.append(buf, static_cast<std::size_t>(n));
    }
    if (response.size() > cap) {
        error = "the reply is larger than 64 KiB";
        return std::nullopt;
    }
    return auth::mta_sts_policy_body(response, error);
}

}  // namespace dmarcsight::posture
