#include "net/imap_client.hpp"

#include <curl/curl.h>

#include <mutex>

namespace dmarcsight::net {

namespace {

struct easy_free {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct url_free {
    void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using easy_ptr = std::unique_ptr<CURL, easy_free>;
using url_ptr = std::unique_ptr<CURLU, url_free>;

bool library_ready() {
    static std::once_flag once;
    static CURLcode status = CURLE_FAILED_INIT;
    std::call_once(once, [] { status = curl_global_init(CURL_GLOBAL_DEFAULT); });
    return status == CURLE_OK;
}

std::string url_part(CURLU* u, CURLUPart part, unsigned flags = 0) {
    char* p = nullptr;
    if (curl_url_get(u, part, &p, flags) != CURLUE_OK || p == nullptr) return {};
    std::string out(p);
    curl_free(p);
    return out;
}

struct sink {
    std::string* out = nullptr;
    std::size_t max = 0;
    bool over = false;
};

extern "C" std::size_t write_cb(char* data, std::size_t size, std::size_t n, void* user) {
    auto* s = static_cast<sink*>(user);
    const std::size_t len = size * n;
    if (s->out->size() + len > s->max) {
        s->over = true;
        return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
    }
    s->out->append(data, len);
    return len;
}

bool loopback(std::string_view host) {
    return host == "localhost" || host == "::1" || host == "[::1]" || host.starts_with("127.");
}

void scrub(std::string& text, const std::string& secret) {
    if (secret.size() < 3) return;
    for (std::size_t at; (at = text.find(secret)) != std::string::npos;) text.replace(at, secret.size(), "***");
}

}  // namespace

std::string redact_url(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return std::string(url);
    const auto host_start = scheme_end + 3;
    const auto path_start = url.find('/', host_start);
    const std::string_view authority = url.substr(host_start, path_start == std::string_view::npos ? std::string_view::npos : path_start - host_start);
    const auto at = authority.rfind('@');
    if (at == std::string_view::npos) return std::string(url);
    std::string_view userinfo = authority.substr(0, at);
    // user;AUTH=…:password → keep the user, drop everything from the first ':' (the password).
    if (const auto colon = userinfo.find(':'); colon != std::string_view::npos) userinfo = userinfo.substr(0, colon);
    return std::string(url.substr(0, host_start)) + std::string(userinfo) + std::string(authority.substr(at)) +
           std::string(path_start == std::string_view::npos ? std::string_view() : url.substr(path_start));
}

struct imap_session::impl {
    imap_options opt;
    std::string shown, folder, base;  // base: scheme://user@host:port/FOLDER (no password)
    bool require_tls = false;
    easy_ptr easy;
    char errbuf[CURL_ERROR_SIZE] = {};

    result<void> ensure_handle() {
        if (easy) return {};
        easy.reset(curl_easy_init());
        if (!easy) return fail(shown + ": cannot start a libcurl session");
        CURL* c = easy.get();
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "imap,imaps");
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(opt.connect_timeout.count()));
        // A server that stalls mid-message is cut off (under 1 byte/s for 60 s), besides the deadline.
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
        curl_easy_setopt(c, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
        if (!opt.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, opt.ca_file.c_str());
        curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(require_tls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
        curl_easy_setopt(c, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_IGNORED));
        if (!opt.username.empty()) curl_easy_setopt(c, CURLOPT_USERNAME, opt.username.c_str());
        if (!opt.bearer.empty()) curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, opt.bearer.c_str());
        else curl_easy_setopt(c, CURLOPT_PASSWORD, opt.password.c_str());
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
        return {};
    }

    std::string describe(CURLcode rc, std::string_view what) {
        std::string why;
        switch (rc) {
            case CURLE_LOGIN_DENIED: why = "login denied (wrong user name, password or token)"; break;
            case CURLE_COULDNT_CONNECT: why = "cannot connect"; break;
            case CURLE_COULDNT_RESOLVE_HOST: why = "cannot resolve the host name"; break;
            case CURLE_OPERATION_TIMEDOUT: why = "no answer in time"; break;
            case CURLE_PEER_FAILED_VERIFICATION: why = "the server's certificate is not trusted (ca_file?)"; break;
            case CURLE_USE_SSL_FAILED: why = "the server offers no STARTTLS (use imaps://)"; break;
            case CURLE_QUOTE_ERROR: why = "the server refused " + std::string(what); break;
            default: why = curl_easy_strerror(rc);
        }
        std::string detail = errbuf;
        if (!detail.empty() && detail != why) why += " (" + detail + ")";
        scrub(why, opt.password);
        scrub(why, opt.bearer);
        return shown + ": " + why;
    }

    result<void> perform(const std::string& url, const char* custom, sink& s, std::string_view what, CURLcode* code = nullptr) {
        auto h = ensure_handle();
        if (!h) return h;
        CURL* c = easy.get();
        errbuf[0] = '\0';
        curl_easy_setopt(c, CURLOPT_URL, url.c_str());
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, custom);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(opt.deadline.count()));
        const CURLcode rc = curl_easy_perform(c);
        if (code) *code = rc;
        if (rc == CURLE_OK) return {};
        if (rc == CURLE_WRITE_ERROR && s.over) return {};  // the caller judges the cap
        std::string msg = describe(rc, what);
        // A failed transfer may leave the connection in any state: the next command starts anew.
        if (rc != CURLE_QUOTE_ERROR && rc != CURLE_REMOTE_FILE_NOT_FOUND) easy.reset();
        return fail(std::move(msg));
    }
};

imap_session::imap_session(std::unique_ptr<impl> p) : p_(std::move(p)) {}
imap_session::imap_session(imap_session&&) noexcept = default;
imap_session& imap_session::operator=(imap_session&&) noexcept = default;
imap_session::~imap_session() = default;

result<imap_session> imap_session::open(imap_options options) {
    if (!library_ready()) return fail("libcurl could not be initialised");
    auto p = std::make_unique<impl>();
    p->shown = redact_url(options.url);
    url_ptr u(curl_url());
    if (!u) return fail("out of memory");
    if (options.url.size() > 2048 || options.url.find_first_of(" \r\n\t") != std::string::npos ||
        curl_url_set(u.get(), CURLUPART_URL, options.url.c_str(), 0) != CURLUE_OK)
        return fail(p->shown + " is not an IMAP URL (imap://user@host/FOLDER or imaps://…)");
    const std::string scheme = url_part(u.get(), CURLUPART_SCHEME);
    if (scheme != "imap" && scheme != "imaps") return fail(p->shown + ": the URL must start with imap:// or imaps://");
    if (!url_part(u.get(), CURLUPART_PASSWORD).empty())
        return fail(p->shown + ": the URL must not hold the password (it would show in ps and logs): "
                               "give password_file / password_env, or DMARCSIGHT_IMAP_PASSWORD");
    if (!url_part(u.get(), CURLUPART_QUERY).empty() || !url_part(u.get(), CURLUPART_FRAGMENT).empty())
        return fail(p->shown + ": the URL names a folder only (no ?query or #fragment)");
    const std::string host = url_part(u.get(), CURLUPART_HOST);
    std::string path = url_part(u.get(), CURLUPART_PATH, CURLU_URLDECODE);
    while (!path.empty() && path.front() == '/') path.erase(0, 1);
    while (!path.empty() && path.back() == '/') path.pop_back();
    if (path.empty()) path = "INBOX";
    if (path.find(';') != std::string::npos || path.find_first_of("\r\n\"\\") != std::string::npos)
        return fail(p->shown + ": the URL names a folder only (no ;UID= or ;TYPE= parts, no quotes)");
    if (options.username.empty()) {
        options.username = url_part(u.get(), CURLUPART_USER, CURLU_URLDECODE);
        if (auto semi = options.username.find(';'); semi != std::string::npos) options.username.resize(semi);
    }
    if (options.username.empty()) return fail(p->shown + ": no user name (imaps://user@host/FOLDER)");
    if (options.password.empty() && options.bearer.empty()) return fail(p->shown + ": no password or OAuth2 token given");
    p->folder = path;
    p->require_tls = scheme == "imap" && !loopback(host);
    // The base URL: the user's own, minus any user info (the user name goes as an option).
    curl_url_set(u.get(), CURLUPART_USER, nullptr, 0);
    curl_url_set(u.get(), CURLUPART_OPTIONS, nullptr, 0);
    std::string base = url_part(u.get(), CURLUPART_URL);
    while (!base.empty() && base.back() == '/') base.pop_back();
    // No folder in the URL: INBOX (RFC 3501 §5.1), named so libcurl SELECTs it.
    if (url_part(u.get(), CURLUPART_PATH).find_first_not_of('/') == std::string::npos) base += "/INBOX";
    p->base = base;
    p->opt = std::move(options);
    return imap_session(std::move(p));
}

const std::string& imap_session::folder() const { return p_->folder; }
const std::string& imap_session::shown_url() const { return p_->shown; }

result<std::string> imap_session::command(std::string_view command_line, std::size_t max_response) {
    if (command_line.find_first_of("\r\n") != std::string_view::npos) return fail("an IMAP command is one line");
    std::string out;
    sink s{&out, max_response};
    const std::string cmd(command_line);
    const std::string what = "`" + cmd.substr(0, cmd.find(' ', cmd.find(' ') + 1)) + "`";
    auto r = p_->perform(p_->base, cmd.c_str(), s, what);
    if (!r) return unexpected{r.err()};
    if (s.over) {
        p_->easy.reset();
        return fail(p_->shown + ": the answer to " + what + " is larger than " + std::to_string(max_response) + " bytes");
    }
    return out;
}

result<fetch_status> imap_session::fetch(std::uint64_t uid, std::size_t max_bytes, std::string& out) {
    out.clear();
    sink s{&out, max_bytes};
    CURLcode rc = CURLE_OK;
    auto r = p_->perform(p_->base + "/;UID=" + std::to_string(uid), nullptr, s, "`UID FETCH`", &rc);
    if (!r) {
        if (rc == CURLE_REMOTE_FILE_NOT_FOUND) return fetch_status::gone;
        return unexpected{r.err()};
    }
    if (s.over) {
        p_->easy.reset();  // the rest of the literal is still on the wire
        out.clear();
        return fetch_status::too_big;
    }
    return fetch_status::ok;
}

void imap_session::close() { p_->easy.reset(); }

void imap_session::set_credentials(std::string password, std::string bearer) {
    if (password == p_->opt.password && bearer == p_->opt.bearer) return;
    p_->opt.password = std::move(password);
    p_->opt.bearer = std::move(bearer);
    p_->easy.reset();
}

}  // namespace dmarcsight::net
