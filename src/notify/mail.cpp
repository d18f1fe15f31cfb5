#include "notify/mail.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>

#include "core/limits.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "notify/hmac.hpp"

namespace dmarcsight::notify {

namespace {

// A part bigger than this is a mistake of the caller (a digest is a few KiB).
constexpr std::size_t max_part_size = 8 * 1024 * 1024;
// RFC 5322 §2.1.1: lines SHOULD be at most 78 characters (MUST at most 998).
constexpr std::size_t header_line_max = 78;
// RFC 2045 §6.7 (5): encoded lines at most 76 characters.
constexpr std::size_t qp_line_max = 76;
// RFC 2047 §2: an encoded-word is at most 75 characters.
constexpr std::size_t encoded_word_max = 75;

bool has_break(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos; }

std::string base64(std::string_view in) {
    static constexpr char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) | static_cast<unsigned char>(in[i + 2]);
        out += a[(v >> 18) & 63];
        out += a[(v >> 12) & 63];
        out += a[(v >> 6) & 63];
        out += a[v & 63];
    }
    if (i < in.size()) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
        out += a[(v >> 18) & 63];
        out += a[(v >> 12) & 63];
        out += i + 1 < in.size() ? a[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

// A bare address as the configuration accepts it (checked again: the builder is public).
bool plain_address(std::string_view a) {
    const auto at = a.rfind('@');
    if (a.empty() || a.size() > 254 || at == std::string_view::npos || at == 0 || at + 1 == a.size()) return false;
    return std::all_of(a.begin(), a.end(), [](char c) {
        return static_cast<unsigned char>(c) > 0x20 && c != 0x7f && std::string_view("<>()[],;:\\\"").find(c) == std::string_view::npos;
    });
}

bool printable_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// "Name: v1, v2, …" folded before an item that would pass 78 characters (RFC 5322 §2.2.3).
std::string address_list_header(std::string_view name, const std::vector<std::string>& items) {
    std::string out(name);
    out += ":";
    std::size_t line = out.size();
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string item = items[i] + (i + 1 < items.size() ? "," : "");
        if (i > 0 && line + 1 + item.size() > header_line_max) {
            out += "\r\n";
            line = 0;
        }
        out += " " + item;
        line += 1 + item.size();
    }
    return out + "\r\n";
}

}  // namespace

std::string rfc5322_date(std::int64_t t) {
    static constexpr const char* days[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};  // 1970-01-01 was a Thursday
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const std::int64_t day = utc::day_of(t);
    const std::int64_t secs = t - day * 86400;
    const auto c = utc::from_days(day);
    const std::int64_t wd = ((day % 7) + 7) % 7;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02u %s %04lld %02lld:%02lld:%02lld +0000", days[wd], c.day, months[c.month - 1],
                  static_cast<long long>(c.year), static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                  static_cast<long long>(secs % 60));
    return buf;
}

result<std::string> encode_unstructured(std::string_view value, std::size_t name_length) {
    if (has_break(value)) return fail("contains a line break or NUL (header injection refused)");
    if (!text::is_valid_utf8(value)) return fail("is not valid UTF-8");
    // Plain when every character is printable ASCII (or space/tab) and nothing looks like an
    // encoded-word ("=?", which a reader would decode: RFC 2047 §5(1) text must not look like one).
    const bool plain = std::all_of(value.begin(), value.end(), [](char c) { return c == '\t' || (c >= 0x20 && c < 0x7f); }) &&
                       value.find("=?") == std::string_view::npos;
    if (plain) {
        // Fold at spaces: a fold is CRLF put before a space (§2.2.3), so unfolding gives the value back.
        std::string out;
        std::size_t line = name_length;
        std::size_t longest = 0;
        std::size_t start = 0;
        while (start < value.size()) {
            std::size_t next = value.find(' ', start + 1);
            if (next == std::string_view::npos) next = value.size();
            const std::string_view word = value.substr(start, next - start);  // starts with its space (but the first)
            if (!out.empty() && word.starts_with(' ') && line + word.size() > header_line_max) {
                out += "\r\n";
                line = 0;
            }
            out += word;
            line += word.size();
            longest = std::max(longest, line);
            start = next;
        }
        if (longest <= 998 - 2) return out;  // else one unbreakable word: encode it
    }
    // B encoding (RFC 2047 §4.1): 45 bytes make 60 base64 characters, 72 with "=?UTF-8?B?" "?=".
    std::string out;
    std::size_t line = name_length;
    std::size_t i = 0;
    while (i < value.size()) {
        // Every word but the first starts a folded line of its own (" =?UTF-8?B?…?=").
        const std::size_t prefix = out.empty() ? line : 1;
        const std::size_t room = header_line_max > prefix + 12 ? header_line_max - prefix - 12 : 0;
        // Whole base64 quanta; at least 12 bytes, so that any character (4 bytes at most) fits.
        const std::size_t bytes = std::max<std::size_t>(std::min<std::size_t>((std::min(room, encoded_word_max - 12) / 4) * 3, 45), 12);
        std::size_t n = std::min(bytes, value.size() - i);
        // Whole characters in each word (§5(3)): back off continuation bytes.
        while (n > 0 && i + n < value.size() && (static_cast<unsigned char>(value[i + n]) & 0xC0) == 0x80) --n;
        if (n == 0) n = std::min(bytes, value.size() - i);  // not reached: valid UTF-8, 12 bytes
        const std::string word = "=?UTF-8?B?" + base64(value.substr(i, n)) + "?=";
        if (!out.empty()) out += "\r\n ";
        out += word;
        i += n;
    }
    return out;
}

std::string quoted_printable(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t eol = text.find('\n', pos);
        const bool last = eol == std::string_view::npos;
        if (last) eol = text.size();
        std::string_view line = text.substr(pos, eol - pos);
        if (line.ends_with('\r')) line.remove_suffix(1);
        if (last && line.empty()) break;  // the text ended with a line break (or was empty)
        std::size_t col = 0;
        for (std::size_t k = 0; k < line.size(); ++k) {
            const unsigned char c = static_cast<unsigned char>(line[k]);
            const bool at_end = k + 1 == line.size();
            // Literal: printable ASCII but '='; space and tab unless last on the line (§6.7 (3));
            // '.' and the 'F' of "From " at a line's start are encoded so that no SMTP or mbox
            // software along the way changes them.
            bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_end);
            if (k == 0 && col == 0 && (c == '.' || (c == 'F' && line.substr(0, 5) == "From "))) literal = false;
            const std::size_t width = literal ? 1 : 3;
            // Room for the token and, unless it ends the line, a soft break "=".
            const std::size_t limit = at_end ? qp_line_max : qp_line_max - 1;
            if (col + width > limit) {
                out += "=\r\n";
                col = 0;
            }
            if (literal) {
                out += static_cast<char>(c);
            } else {
                out += '=';
                out += hex[c >> 4];
                out += hex[c & 15];
            }
            col += width;
        }
        if (last) break;
        out += "\r\n";
        pos = eol + 1;
    }
    return out;
}

result<std::string> build_mail(const mail_envelope& e, const message& m) {
    if (!plain_address(e.from)) return fail("the From address '" + text::for_terminal(e.from, 100) + "' is not a plain local@domain address");
    if (e.to.empty()) return fail("no recipient");
    for (const auto& a : e.to)
        if (!plain_address(a)) return fail("the recipient '" + text::for_terminal(a, 100) + "' is not a plain local@domain address");
    if (m.text.size() > max_part_size || m.html.size() > max_part_size)
        return fail("the message is larger than " + std::to_string(max_part_size / (1024 * 1024)) + " MiB");

    std::string message_id = e.message_id;
    if (message_id.empty()) {
        std::string seed = m.id + "\n" + std::to_string(e.date);
        for (const auto& a : e.to) seed += "\n" + a;
        message_id = "<dmarcsight." + sha256_hex(seed).substr(0, 32) + "@" + e.from.substr(e.from.rfind('@') + 1) + ">";
    }
    if (message_id.size() > 250 || !message_id.starts_with('<') || !message_id.ends_with('>') ||
        message_id.find('@') == std::string::npos || !printable_ascii(message_id))
        return fail("the Message-ID '" + text::for_terminal(message_id, 100) + "' is not <left@right>");

    auto subject = encode_unstructured(m.subject.empty() ? std::string_view("(no subject)") : std::string_view(m.subject), 9);
    if (!subject) return fail("the subject " + subject.err().message);

    std::string h;
    h += "Date: " + rfc5322_date(e.date) + "\r\n";
    h += "From: " + e.from + "\r\n";
    h += address_list_header("To", e.to);
    h += "Subject: " + *subject + "\r\n";
    h += "Message-ID: " + message_id + "\r\n";
    // RFC 3834 §5: automatic mail; responders must not answer it (no out-of-office loops).
    h += "Auto-Submitted: auto-generated\r\n";
    if (!m.id.empty()) h += "X-Dmarcsight-Id: " + (printable_ascii(m.id) && m.id.size() <= 200 ? m.id : sha256_hex(m.id)) + "\r\n";
    h += "MIME-Version: 1.0\r\n";

    // Bodies are declared UTF-8: anything else in them becomes U+FFFD rather than mojibake.
    std::string text = m.text, html = m.html;
    text::repair_utf8(text);
    text::repair_utf8(html);
    auto part_body = [](const std::string& s) {
        std::string b = quoted_printable(s);
        if (!b.empty() && !b.ends_with("\r\n")) b += "\r\n";
        return b;
    };
    constexpr const char* text_headers = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n";
    if (html.empty()) {
        h += text_headers;
        h += "\r\n";
        h += part_body(text);
        return h;
    }
    // Quoted-printable never writes "=_" ('=' starts "=XX" or ends a line), so this boundary
    // cannot occur in either part (RFC 2046 §5.1.1).
    const std::string boundary = "=_dmarcsight_" + sha256_hex(message_id).substr(0, 24);
    h += "Content-Type: multipart/alternative;\r\n boundary=\"" + boundary + "\"\r\n";
    h += "\r\n";
    h += "This is a MIME message: a plain text part and an HTML part.\r\n";
    h += "--" + boundary + "\r\n";
    h += text_headers;
    h += "\r\n";
    // The CRLF before a delimiter belongs to the delimiter (RFC 2046 §5.1.1): one more keeps the
    // part's own last line break.
    h += part_body(text) + "\r\n";
    h += "--" + boundary + "\r\n";
    h += "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n";
    h += "\r\n";
    h += part_body(html) + "\r\n";
    h += "--" + boundary + "--\r\n";
    return h;
}

// ---------------------------------------------------------------------------------------------
// SMTP through libcurl

namespace {

struct easy_free {
    void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct slist_free {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

bool curl_ready() {
    static std::once_flag once;
    static CURLcode status = CURLE_FAILED_INIT;
    std::call_once(once, [] { status = curl_global_init(CURL_GLOBAL_DEFAULT); });
    return status == CURLE_OK;
}

struct upload {
    std::string_view data;
    std::size_t sent = 0;
};

std::size_t on_read(char* buf, std::size_t size, std::size_t count, void* user) {
    auto* u = static_cast<upload*>(user);
    const std::size_t n = std::min(size * count, u->data.size() - u->sent);
    std::memcpy(buf, u->data.data() + u->sent, n);
    u->sent += n;
    return n;
}

// Whatever the server says is cut and made printable before it reaches a terminal or a log.
std::size_t on_discard(char*, std::size_t size, std::size_t count, void*) { return size * count; }

}  // namespace

result<delivery> send_mail(const config::channel_settings& ch, const message& m) {
    const std::string where = "channel " + ch.name + " (" + text::for_terminal(ch.url, 200) + "): ";
    if (!curl_ready()) return fail(where + "libcurl: initialisation failed");
    if (has_break(ch.url) || !(ch.url.starts_with("smtp://") || ch.url.starts_with("smtps://")))
        return fail(where + "not an smtp:// or smtps:// URL");

    mail_envelope e;
    e.from = ch.from;
    e.to = ch.to;
    e.date = utc::now();
    // Unique per attempt (a retry is a new message to the receiving MTA); the id stays in
    // X-Dmarcsight-Id for deduplication by the reader.
    e.message_id = "<dmarcsight." + random_hex(12) + "." + std::to_string(e.date) + "@" + ch.from.substr(ch.from.rfind('@') + 1) + ">";
    auto mail = build_mail(e, m);
    if (!mail) return fail(where + mail.err().message);

    std::unique_ptr<CURL, easy_free> h(curl_easy_init());
    if (!h) return fail(where + "libcurl: cannot create a handle");
    CURL* c = h.get();
    std::unique_ptr<curl_slist, slist_free> rcpt;
    for (const auto& a : ch.to) {
        curl_slist* grown = curl_slist_append(rcpt.get(), ("<" + a + ">").c_str());
        if (!grown) return fail(where + "libcurl: out of memory");
        (void)rcpt.release();
        rcpt.reset(grown);
    }
    const std::string mail_from = "<" + ch.from + ">";
    upload up{*mail, 0};
    char errbuf[CURL_ERROR_SIZE] = {0};
    const long deadline_ms = 1000L * std::max(1, ch.timeout_s);
    const long connect_ms = std::min(deadline_ms, 10000L);
    long use_ssl = CURLUSESSL_ALL;
    if (ch.starttls == "opportunistic") use_ssl = CURLUSESSL_TRY;
    if (ch.starttls == "off") use_ssl = CURLUSESSL_NONE;
    if (ch.url.starts_with("smtps://")) use_ssl = CURLUSESSL_ALL;  // implicit TLS (RFC 8314 §3.3)
    const std::string password = ch.password ? ch.password->reveal() : std::string();

    bool set = true;
    auto opt = [&set](CURLcode rc) { set = set && rc == CURLE_OK; };
    opt(curl_easy_setopt(c, CURLOPT_URL, ch.url.c_str()));
    opt(curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps"));
    opt(curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf));
    opt(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L));
    opt(curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, deadline_ms));
    opt(curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms));
    opt(curl_easy_setopt(c, CURLOPT_USE_SSL, use_ssl));
    opt(curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L));
    opt(curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L));
    opt(curl_easy_setopt(c, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2)));
    if (!ch.ca_file.empty()) opt(curl_easy_setopt(c, CURLOPT_CAINFO, ch.ca_file.c_str()));
    opt(curl_easy_setopt(c, CURLOPT_PROXY, ""));
    opt(curl_easy_setopt(c, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_IGNORED)));
    opt(curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str()));
    opt(curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get()));
    opt(curl_easy_setopt(c, CURLOPT_UPLOAD, 1L));
    opt(curl_easy_setopt(c, CURLOPT_READFUNCTION, &on_read));
    opt(curl_easy_setopt(c, CURLOPT_READDATA, &up));
    opt(curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(mail->size())));
    opt(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_discard));
    if (!ch.username.empty()) {
        opt(curl_easy_setopt(c, CURLOPT_USERNAME, ch.username.c_str()));
        opt(curl_easy_setopt(c, CURLOPT_PASSWORD, password.c_str()));
    }
    if (!set) return fail(where + "libcurl: an option was refused (libcurl too old?)");

    const CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (rc != CURLE_OK) {
        std::string detail = errbuf[0] != '\0' ? std::string(errbuf) : std::string(curl_easy_strerror(rc));
        // libcurl's messages never hold the password; the server's reply text may hold anything.
        detail = text::for_terminal(text::trim(detail), 200);
        const std::string reply = code > 0 ? " (last reply " + std::to_string(code) + ")" : "";
        switch (rc) {
            case CURLE_LOGIN_DENIED:
                return fail(where + "the server refused the login of " + text::for_terminal(ch.username, 100) + reply);
            case CURLE_USE_SSL_FAILED:
                return fail(where + "the server does not offer STARTTLS, and starttls is \"required\"" + reply);
            case CURLE_PEER_FAILED_VERIFICATION:
            case CURLE_SSL_CONNECT_ERROR:
            case CURLE_SSL_CACERT_BADFILE:
                return fail(where + "TLS failed: " + detail);
            case CURLE_OPERATION_TIMEDOUT:
                return fail(where + "no complete SMTP dialogue within " + std::to_string(ch.timeout_s) + " s (" + detail + ")");
            case CURLE_COULDNT_CONNECT:
            case CURLE_COULDNT_RESOLVE_HOST:
                return fail(where + "cannot connect: " + detail);
            default:
                return fail(where + "SMTP failed: " + detail + reply);
        }
    }
    return delivery{"accepted by " + text::for_terminal(ch.url, 200) + " for " + std::to_string(ch.to.size()) +
                        (ch.to.size() == 1 ? " recipient" : " recipients") + " (" + std::to_string(code) + ")",
                    code};
}

}  // namespace dmarcsight::notify
