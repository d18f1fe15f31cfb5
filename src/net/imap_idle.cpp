#include "net/imap_idle.hpp"

#include <curl/curl.h>
#include <poll.h>

#include <chrono>
#include <memory>
#include <string>

namespace dmarcsight::net {

namespace {

struct easy_free {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

// A server line longer than this is not one of the short status lines IDLE is about.
constexpr std::size_t max_line = 64 * 1024;

struct conn {
    CURL* c;
    std::string shown;
    std::string buf;

    result<void> send(const std::string& line) {
        std::size_t off = 0;
        for (int spins = 0; off < line.size() && spins < 1000; ++spins) {
            std::size_t n = 0;
            const CURLcode rc = curl_easy_send(c, line.data() + off, line.size() - off, &n);
            if (rc == CURLE_AGAIN) {
                wait_socket(POLLOUT, 100);
                continue;
            }
            if (rc != CURLE_OK) return fail(shown + ": IDLE connection: " + curl_easy_strerror(rc));
            off += n;
        }
        if (off < line.size()) return fail(shown + ": IDLE connection: cannot send");
        return {};
    }

    void wait_socket(short events, int ms) {
        curl_socket_t s = CURL_SOCKET_BAD;
        if (curl_easy_getinfo(c, CURLINFO_ACTIVESOCKET, &s) != CURLE_OK || s == CURL_SOCKET_BAD) return;
        pollfd p{static_cast<int>(s), events, 0};
        (void)::poll(&p, 1, ms);
    }

    // The next line (without CR LF), or nullopt-like empty+false when none came within `ms`.
    result<bool> line(std::string& out, int ms) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
        for (;;) {
            if (const auto nl = buf.find('\n'); nl != std::string::npos) {
                out = buf.substr(0, nl);
                if (!out.empty() && out.back() == '\r') out.pop_back();
                buf.erase(0, nl + 1);
                return true;
            }
            if (buf.size() > max_line) return fail(shown + ": IDLE connection: a server line over " + std::to_string(max_line) + " bytes");
            char tmp[4096];
            std::size_t n = 0;
            const CURLcode rc = curl_easy_recv(c, tmp, sizeof tmp, &n);
            if (rc == CURLE_OK) {
                if (n == 0) return fail(shown + ": the server closed the IDLE connection");
                buf.append(tmp, n);
                continue;
            }
            if (rc != CURLE_AGAIN) return fail(shown + ": IDLE connection: " + curl_easy_strerror(rc));
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count();
            if (left <= 0) return false;
            wait_socket(POLLIN, static_cast<int>(std::min<long long>(left, 1000)));
        }
    }

    // Reads to the tagged answer of `tag`: OK or an error.
    result<void> until_tagged(const std::string& tag, int ms) {
        std::string l;
        for (int lines = 0; lines < 10000; ++lines) {
            auto got = line(l, ms);
            if (!got) return unexpected{got.err()};
            if (!*got) return fail(shown + ": no answer to " + tag + " in time");
            if (l.rfind(tag + " ", 0) == 0) {
                if (l.compare(tag.size() + 1, 2, "OK") == 0) return {};
                return fail(shown + ": the server refused " + (tag == "I1" ? "SELECT" : "IDLE"));
            }
        }
        return fail(shown + ": too many lines before the answer to " + tag);
    }
};

bool announces_mail(const std::string& l) {
    if (l.rfind("* ", 0) != 0) return false;
    return l.find(" EXISTS") != std::string::npos || l.find(" RECENT") != std::string::npos;
}

}  // namespace

result<bool> imap_idle_wait(const imap_options& options, int seconds, const std::function<bool()>& stop) {
    // The session's own checks (URL, TLS policy, secrets); only its folder and base are used here.
    auto s = imap_session::open(options);
    if (!s) return unexpected{s.err()};
    std::unique_ptr<CURL, easy_free> easy(curl_easy_init());
    if (!easy) return fail(s->shown_url() + ": cannot start a libcurl session");
    CURL* c = easy.get();
    // The URL without its folder: CONNECT_ONLY stops after the login.
    std::string base = options.url;
    if (const auto p = base.find('/', base.find("://") + 3); p != std::string::npos) base.resize(p);
    base += "/";
    const bool loopback_host = s->shown_url().find("@127.") != std::string::npos || s->shown_url().find("@localhost") != std::string::npos;
    curl_easy_setopt(c, CURLOPT_URL, base.c_str());
    curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "imap,imaps");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    if (!options.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options.ca_file.c_str());
    curl_easy_setopt(c, CURLOPT_USE_SSL,
                     static_cast<long>(options.url.starts_with("imap://") && !loopback_host ? CURLUSESSL_ALL : CURLUSESSL_NONE));
    curl_easy_setopt(c, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_IGNORED));
    std::string user = options.username;
    if (user.empty()) {
        const std::string& shown = s->shown_url();
        const auto start = shown.find("://") + 3, at = shown.find('@', start);
        if (at != std::string::npos) user = shown.substr(start, at - start);
    }
    curl_easy_setopt(c, CURLOPT_USERNAME, user.c_str());
    if (!options.bearer.empty()) curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, options.bearer.c_str());
    else curl_easy_setopt(c, CURLOPT_PASSWORD, options.password.c_str());
    const CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_LOGIN_DENIED) return fail(s->shown_url() + ": login denied (wrong user name, password or token)");
    if (rc != CURLE_OK) return fail(s->shown_url() + ": IDLE connection: " + curl_easy_strerror(rc));

    conn k{c, s->shown_url(), {}};
    const int answer_ms = static_cast<int>(options.connect_timeout.count());
    if (auto r = k.send("I1 SELECT \"" + s->folder() + "\"\r\n"); !r) return unexpected{r.err()};
    if (auto r = k.until_tagged("I1", answer_ms); !r) return unexpected{r.err()};
    if (auto r = k.send("I2 IDLE\r\n"); !r) return unexpected{r.err()};
    std::string l;
    auto got = k.line(l, answer_ms);
    if (!got) return unexpected{got.err()};
    if (!*got || l.rfind("+", 0) != 0) return fail(k.shown + ": the server did not accept IDLE");
    bool changed = false;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (!changed && !stop() && std::chrono::steady_clock::now() < until) {
        auto more = k.line(l, 1000);
        if (!more) return unexpected{more.err()};
        if (*more && announces_mail(l)) changed = true;
    }
    if (auto r = k.send("DONE\r\n"); !r) return unexpected{r.err()};
    (void)k.until_tagged("I2", answer_ms);
    (void)k.send("I3 LOGOUT\r\n");
    return changed;
}

}  // namespace dmarcsight::net
