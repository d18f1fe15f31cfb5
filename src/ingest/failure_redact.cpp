#include "ingest/failure_redact.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstring>

#include "core/text.hpp"

namespace dmarcsight::ingest {

namespace {

// RFC 5322 §3.2.3 atext, plus '.' of a dot-atom.
bool is_local_char(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::strchr("!#$%&'*+/=?^_`{|}~.-", c) != nullptr && c != '\0';
}
bool is_domain_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '[' ||
           c == ']' || c == ':' || static_cast<unsigned char>(c) >= 0x80;
}

std::string keyed_hash(std::string_view local, std::string_view key) {
    const std::string folded = text::ascii_lower(local);
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(folded.data()),
         folded.size(), mac.data(), &len);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "h-";
    // 64 bits: collisions among one domain's senders stay negligible.
    for (unsigned i = 0; i < 8 && i < len; ++i) {
        out.push_back(hex[mac[i] >> 4]);
        out.push_back(hex[mac[i] & 15]);
    }
    return out;
}

}  // namespace

std::string redact_addresses(std::string_view s, std::string_view key) {
    std::string out;
    out.reserve(s.size());
    std::size_t copied = 0;
    for (std::size_t at = s.find('@'); at != std::string_view::npos; at = s.find('@', at + 1)) {
        if (at < copied) continue;
        std::size_t b = at;
        while (b > copied && is_local_char(s[b - 1])) --b;
        std::size_t e = at + 1;
        while (e < s.size() && is_domain_char(s[e])) ++e;
        if (b == at || e == at + 1) continue;  // "@" alone, or "user@" without a domain
        out.append(s.substr(copied, b - copied));
        out += keyed_hash(s.substr(b, at - b), key);
        copied = at;  // the '@' and the domain are copied as they are
    }
    out.append(s.substr(copied));
    return out;
}

void redact_failure(report::failure_report& r, std::string_view key) {
    auto red = [&](std::string& v) { v = redact_addresses(v, key); };
    red(r.original_mail_from);
    for (auto& v : r.original_rcpt_to) red(v);
    red(r.dkim_identity);
    for (auto& v : r.authentication_results) red(v);
    red(r.spf_dns);
    r.dkim_canonicalized_header.clear();
    r.dkim_canonicalized_body.clear();
    auto& s = r.sample;
    red(s.from);
    red(s.to);
    for (auto& v : s.received) red(v);
    for (auto& [name, value] : s.headers) {
        // Message identifiers look like addresses but name no one; they stay (and so does the key).
        const std::string n = text::ascii_lower(name);
        if (n == "message-id" || n == "in-reply-to" || n == "references" || n == "thread-index") continue;
        red(value);
    }
    if (!s.body.empty()) s.body_dropped = true;
    s.body.clear();
    r.redacted = true;
}

}  // namespace dmarcsight::ingest
