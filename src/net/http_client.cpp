#include "net/http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include "core/limits.hpp"
#include "core/text.hpp"

namespace dmarcsight::net {

namespace {

struct easy_free {
    void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct slist_free {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct url_free {
    void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using easy_ptr = std::unique_ptr<CURL, easy_free>;
using slist_ptr = std::unique_ptr<curl_slist, slist_free>;
using url_ptr = std::unique_ptr<CURLU, url_free>;

bool library_ready() {
    static std::once_flag once;
    static CURLcode status = CURLE_FAILED_INIT;
    std::call_once(once, [] { status = curl_global_init(CURL_GLOBAL_DEFAULT); });
    return status == CURLE_OK;
}

// Appends; false when curl could not allocate (the list keeps what it had).
bool append(slist_ptr& list, const std::string& line) {
    curl_slist* grown = curl_slist_append(list.get(), line.c_str());
    if (grown == nullptr) return false;
    (void)list.release();  // `grown` now owns the old nodes too
    list.reset(grown);
    return true;
}

std::string url_part(CURLU* u, CURLUPart part) {
    char* p = nullptr;
    if (curl_url_get(u, part, &p, 0) != CURLUE_OK || p == nullptr) return {};
    std::string out(p);
    curl_free(p);
    return out;
}

bool has_line_break(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

struct transfer_state {
    std::string body;
    std::size_t max_body = 0;
    bool body_over = false;
    std::size_t header_bytes = 0;
    std::size_t max_headers = 0;
    bool headers_over = false;
};

// Returning fewer bytes than given aborts the transfer (CURLE_WRITE_ERROR): the cap stops the
// download the moment it is crossed, not after the server decides to stop.
std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* st = static_cast<transfer_state*>(user);
    const std::size_t n = size * count;  // size is always 1 (libcurl documentation)
    if (n > st->max_body - st->body.size()) {
        st->body_over = true;
        return 0;
    }
    st->body.append(data, n);
    return n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    (void)data;
    auto* st = static_cast<transfer_state*>(user);
    const std::size_t n = size * count;
    if (n > st->max_headers - st->header_bytes) {
        st->headers_over = true;
        return 0;
    }
    st->header_bytes += n;
    return n;
}

}  // namespace

result<http_response> http_fetch(const http_request& request, const http_options& options) {
    if (!library_ready()) return fail("libcurl: initialisation failed");
    if (request.method != "GET" && request.method != "POST") return fail("unsupported HTTP method " + request.method);

    // The URL, parsed by curl itself (the parser that will use it): scheme, no credentials.
    url_ptr url(curl_url());
    if (!url) return fail("libcurl: out of memory");
    if (has_line_break(request.url) || curl_url_set(url.get(), CURLUPART_URL, request.url.c_str(), 0) != CURLUE_OK) {
        return fail("unsupported URL");
    }
    const std::string scheme = url_part(url.get(), CURLUPART_SCHEME);
    if (scheme != "https" && !(options.allow_plain_http && scheme == "http")) {
        return fail(options.allow_plain_http ? "not an http or https URL" : "not an https URL");
    }
    if (!url_part(url.get(), CURLUPART_USER).empty() || !url_part(url.get(), CURLUPART_PASSWORD).empty()) {
        return fail("unsupported URL (credentials in the URL)");
    }
    const std::string host = url_part(url.get(), CURLUPART_HOST);
    if (host.empty()) return fail("unsupported URL (no host)");
    std::string port = url_part(url.get(), CURLUPART_PORT);
    if (port.empty()) port = scheme == "https" ? "443" : "80";
    const std::string shown_host = text::for_terminal(host, limits::max_logged_text);

    easy_ptr h(curl_easy_init());
    if (!h) return fail("libcurl: cannot create a handle");
    CURL* c = h.get();
    char errbuf[CURL_ERROR_SIZE] = {0};
    transfer_state st;
    st.max_body = options.max_body;
    st.max_headers = options.max_headers;

    const long deadline_ms = std::max<long>(1, static_cast<long>(options.deadline.count()));
    const long connect_ms = std::clamp<long>(static_cast<long>(options.connect_timeout.count()), 1, deadline_ms);
    const char* protocols = options.allow_plain_http ? "http,https" : "https";

    slist_ptr headers, resolve, connect_to;
    bool built = true;
    if (!options.accept.empty()) built = built && append(headers, "Accept: " + options.accept);
    for (const auto& line : request.headers) {
        if (has_line_break(line)) return fail("header line with a line break");
        built = built && append(headers, line);
    }
    if (request.method == "POST") built = built && append(headers, "Expect:");  // no 100-continue round trip
    if (!options.resolve_to.empty()) {
        std::string entry = host + ":" + port + ":";
        for (std::size_t i = 0; i < options.resolve_to.size(); ++i) {
            const std::string& a = options.resolve_to[i];
            if (a.empty() || has_line_break(a) || a.find(',') != std::string::npos) return fail("bad address to connect to");
            entry += (i == 0 ? "" : ",") + (a.find(':') != std::string::npos ? "[" + a + "]" : a);
        }
        built = built && append(resolve, entry);
    }
    if (!options.connect_to.empty()) {
        if (has_line_break(options.connect_to)) return fail("bad connect_to");
        const auto colon = options.connect_to.rfind(':');
        const std::string to = colon == std::string::npos ? options.connect_to + ":" : options.connect_to;
        built = built && append(connect_to, host + ":" + port + ":" + to);
    }
    if (!built) return fail("libcurl: out of memory");

    // RFC 8461 §3.3 and the header's promises; every option is checked to have been accepted.
    bool set = true;
    auto opt = [&set](CURLcode rc) { set = set && rc == CURLE_OK; };
    opt(curl_easy_setopt(c, CURLOPT_CURLU, url.get()));
    opt(curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf));
    opt(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L));
    opt(curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols));
    opt(curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, protocols));
    opt(curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L));  // §3.3: "HTTP 3xx redirects MUST NOT be followed"
    opt(curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, deadline_ms));
    opt(curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms));
    opt(curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L));
    opt(curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L));
    opt(curl_easy_setopt(c, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2)));
    if (!options.ca_file.empty()) opt(curl_easy_setopt(c, CURLOPT_CAINFO, options.ca_file.c_str()));
    if (!options.proxy_from_environment) opt(curl_easy_setopt(c, CURLOPT_PROXY, ""));
    opt(curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options.max_body)));
    opt(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body));
    opt(curl_easy_setopt(c, CURLOPT_WRITEDATA, &st));
    opt(curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &on_header));
    opt(curl_easy_setopt(c, CURLOPT_HEADERDATA, &st));
    opt(curl_easy_setopt(c, CURLOPT_USERAGENT, options.user_agent.c_str()));
    if (headers) opt(curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get()));
    if (resolve) opt(curl_easy_setopt(c, CURLOPT_RESOLVE, resolve.get()));
    if (connect_to) opt(curl_easy_setopt(c, CURLOPT_CONNECT_TO, connect_to.get()));
    if (request.method == "POST") {
        opt(curl_easy_setopt(c, CURLOPT_POST, 1L));
        opt(curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size())));
        opt(curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.c_str()));
    }
    if (!set) return fail("libcurl: an option was refused (libcurl too old?)");

    const CURLcode rc = curl_easy_perform(c);
    const std::string detail = errbuf[0] != '\0' ? std::string(errbuf) : std::string(curl_easy_strerror(rc));
    const std::string where = shown_host + ":" + port;
    if (rc != CURLE_OK) {
        if (st.body_over || rc == CURLE_FILESIZE_EXCEEDED) {
            return fail("the body is larger than " + std::to_string(options.max_body) + " bytes");
        }
        if (st.headers_over) return fail("the response headers are larger than " + std::to_string(options.max_headers) + " bytes");
        switch (rc) {
            case CURLE_OPERATION_TIMEDOUT:
                return fail("no complete reply from " + where + " within " + std::to_string(deadline_ms) + " ms (" + detail + ")");
            case CURLE_PEER_FAILED_VERIFICATION:
                return fail("certificate not valid for " + shown_host + ": " + detail);
            case CURLE_SSL_CONNECT_ERROR:
                return fail("TLS handshake with " + where + " failed: " + detail);
            case CURLE_COULDNT_RESOLVE_HOST:
                return fail("cannot resolve " + shown_host + ": " + detail);
            case CURLE_COULDNT_CONNECT:
                return fail("cannot connect to " + where + ": " + detail);
            case CURLE_UNSUPPORTED_PROTOCOL:
                return fail("unsupported protocol: " + detail);
            default:
                return fail("fetching from " + where + " failed: " + detail);
        }
    }
    http_response out;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.status);
    char* ct = nullptr;
    if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != nullptr) out.content_type = ct;
    char* loc = nullptr;
    if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc != nullptr) out.location = loc;
    out.body = std::move(st.body);
    return out;
}

}  // namespace dmarcsight::net
