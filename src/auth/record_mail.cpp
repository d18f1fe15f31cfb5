#include "auth/record_mail.hpp"

#include "core/limits.hpp"
#include "core/text.hpp"

namespace dmarcsight::auth {

namespace {
bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// "v=<version>" as the first tag: tag and value exact (RFC 8461 §3.1 / RFC 8460 §3 are
// case-sensitive), optional spaces around "=", then ';' or the end.
bool starts_with_version(std::string_view txt, std::string_view version) {
    const tag_list tags = parse_tag_list(txt.substr(0, txt.find(';')));
    return !tags.tags.empty() && tags.tags.front().name == "v" && tags.tags.front().value == version &&
           tags.tags.front().offset == 0;
}

void add(std::vector<record_issue>& v, issue_level l, std::string code, std::string msg, std::string tag = "") {
    v.push_back({l, std::move(code), std::move(msg), std::move(tag)});
}

bool is_https_url(std::string_view s) {
    const report_uri u = parse_report_uri(s, false);
    return u.valid && u.scheme == "https";
}
}  // namespace

// ---- MTA-STS ----------------------------------------------------------------------------------

bool is_mta_sts_txt(std::string_view txt) { return starts_with_version(txt, "STSv1"); }

result<mta_sts_txt> parse_mta_sts_txt(std::string_view text) {
    if (!is_mta_sts_txt(text)) return fail("does not start with v=STSv1");
    mta_sts_txt out;
    tag_list tags = parse_tag_list(text);
    out.issues = std::move(tags.issues);
    const tag_value* id = tags.find("id");
    if (id == nullptr) return fail("no id= tag (RFC 8461 §3.1)");
    // sts-id = 1*32(ALPHA / DIGIT)
    constexpr std::size_t max_id = 32;
    bool ok = !id->value.empty() && id->value.size() <= max_id;
    for (char c : id->value) ok = ok && is_alnum(c);
    if (!ok) return fail("id=" + shown(id->value) + " is not 1-32 letters and digits (RFC 8461 §3.1)");
    out.id = id->value;
    return out;
}

std::string_view to_string(sts_mode m) {
    switch (m) {
        case sts_mode::enforce: return "enforce";
        case sts_mode::testing: return "testing";
        case sts_mode::none: return "none";
    }
    return "none";
}

result<mta_sts_policy> parse_mta_sts_policy(std::string_view text) {
    if (text.size() > limits::max_mta_sts_policy) return fail("policy file larger than 64 KiB");
    mta_sts_policy out;
    std::optional<std::string> version, mode, max_age;
    std::size_t pos = 0, line_no = 0;
    while (pos < text.size()) {
        ++line_no;
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) nl = text.size();
        std::string_view line = text.substr(pos, nl - pos);
        pos = nl + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (trim_fws(line).empty()) continue;
        // RFC 8461 §3.2: sts-policy-field = key ":" *WSP value *WSP
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) {
            add(out.issues, issue_level::warning, "bad_line", "line " + std::to_string(line_no) + " is not key: value");
            continue;
        }
        const std::string key(line.substr(0, colon));
        const std::string value(trim_fws(line.substr(colon + 1)));
        if (key == "mx") {
            if (out.mx.size() >= limits::max_mta_sts_mx_patterns) {
                add(out.issues, issue_level::warning, "too_many_mx", "more than 64 mx: lines; the rest is ignored");
                continue;
            }
            std::string pat = text::ascii_lower(value);
            const std::string_view host = std::string_view(pat).substr(pat.rfind("*.", 0) == 0 ? 2 : 0);
            if (!looks_like_domain(host)) {
                add(out.issues, issue_level::error, "bad_mx", "mx: " + shown(value) + " is not a host name or *.pattern");
                continue;
            }
            out.mx.push_back(std::move(pat));
            continue;
        }
        std::optional<std::string>* slot = key == "version" ? &version : key == "mode" ? &mode : key == "max_age" ? &max_age : nullptr;
        if (slot == nullptr) {
            add(out.issues, issue_level::info, "unknown_field", "unknown field \"" + shown(key) + "\" is ignored");
            continue;
        }
        // §3.2: for fields other than mx, only the first instance is used.
        if (slot->has_value()) {
            add(out.issues, issue_level::warning, "duplicate_field", "field \"" + key + "\" appears more than once; the first counts");
            continue;
        }
        *slot = value;
    }
    if (!version || *version != "STSv1") return fail("version: STSv1 missing or wrong (RFC 8461 §3.2)");
    if (!mode) return fail("mode: missing");
    if (*mode == "enforce") out.mode = sts_mode::enforce;
    else if (*mode == "testing") out.mode = sts_mode::testing;
    else if (*mode == "none") out.mode = sts_mode::none;
    else return fail("mode: " + shown(*mode) + " is not enforce, testing or none");
    if (!max_age) return fail("max_age: missing");
    // max_age = 1*10DIGIT, at most 31557600.
    const auto age = parse_decimal(*max_age, limits::max_mta_sts_max_age);
    if (!age) return fail("max_age: " + shown(*max_age) + " is not a number of seconds up to 31557600");
    out.max_age = *age;
    if (out.mx.empty() && out.mode != sts_mode::none) return fail("no mx: line although mode is not none");
    return out;
}

std::optional<std::string> mta_sts_policy_reply(long status, std::string_view content_type, std::string_view body,
                                                std::string& error) {
    // RFC 8461 §3.3: "HTTP 3xx redirects MUST NOT be followed"; only 200 counts.
    constexpr long http_ok = 200;
    if (status != http_ok) {
        error = "HTTP status " + std::to_string(status) + " (only 200 is accepted, redirects are not followed)";
        return std::nullopt;
    }
    if (body.size() > limits::max_mta_sts_policy) {
        error = "the policy is larger than 64 KiB";
        return std::nullopt;
    }
    // §3.2: the policy is served as text/plain (parameters such as charset allowed).
    const std::string lower = text::ascii_lower(text::trim(content_type));
    constexpr std::string_view text_plain = "text/plain";
    const bool plain = lower.compare(0, text_plain.size(), text_plain) == 0 &&
                       (lower.size() == text_plain.size() || lower[text_plain.size()] == ';' ||
                        lower[text_plain.size()] == ' ' || lower[text_plain.size()] == '\t');
    if (!plain) {
        error = "the policy is not served with Content-Type text/plain (RFC 8461 §3.2)";
        return std::nullopt;
    }
    return std::string(body);
}

std::optional<std::string> mta_sts_policy_body(std::string_view response, std::string& error) {
    constexpr std::string_view blank_line = "\r\n\r\n";
    const std::size_t head_end = response.find(blank_line);
    if (head_end == std::string_view::npos || head_end > limits::max_mta_sts_response_headers) {
        error = "no complete HTTP reply";
        return std::nullopt;
    }
    const std::string head(response.substr(0, head_end));
    const std::string status_line = head.substr(0, head.find("\r\n"));
    // "HTTP/1.x 200 ...": exactly three digits after the first space.
    const auto sp = status_line.find(' ');
    constexpr std::size_t status_digits = 3;
    long status = -1;
    if (status_line.rfind("HTTP/", 0) == 0 && sp != std::string::npos && status_line.size() >= sp + 1 + status_digits &&
        (status_line.size() == sp + 1 + status_digits || status_line[sp + 1 + status_digits] == ' ')) {
        const std::string digits = status_line.substr(sp + 1, status_digits);
        if (digits.find_first_not_of("0123456789") == std::string::npos) status = std::stol(digits);
    }
    if (status < 0) {
        error = "HTTP status \"" + text::for_terminal(status_line, limits::max_logged_text) + "\" is not a status line";
        return std::nullopt;
    }
    const std::string lower = text::ascii_lower(head);
    constexpr std::string_view field = "\r\ncontent-type:";
    const auto ct = lower.find(field);
    std::string_view content_type;
    if (ct != std::string::npos) {
        const auto value = ct + field.size();
        const auto eol = head.find("\r\n", value);
        content_type = std::string_view(head).substr(value, eol == std::string::npos ? std::string::npos : eol - value);
    }
    std::string reply_error;
    auto body = mta_sts_policy_reply(status, content_type, response.substr(head_end + blank_line.size()), reply_error);
    if (!body) error = reply_error;
    return body;
}

// ---- TLS-RPT ----------------------------------------------------------------------------------

bool is_tls_rpt_record(std::string_view txt) { return starts_with_version(txt, "TLSRPTv1"); }

result<tls_rpt_record> parse_tls_rpt_record(std::string_view text) {
    if (!is_tls_rpt_record(text)) return fail("does not start with v=TLSRPTv1");
    tls_rpt_record out;
    tag_list tags = parse_tag_list(text);
    out.issues = std::move(tags.issues);
    const tag_value* rua = tags.find("rua");
    if (rua == nullptr) return fail("no rua= tag (RFC 8460 §3)");
    for (const auto item : split_list(rua->value, ',', limits::max_report_uris)) {
        report_uri u = parse_report_uri(item, false);
        // RFC 8460 §3: tlsrpt-uri is mailto: or https:.
        if (!u.valid || (u.scheme != "mailto" && u.scheme != "https")) {
            add(out.issues, issue_level::error, "invalid_uri", "rua URI \"" + shown(item) + "\" is not a mailto: or https: URI", "rua");
            continue;
        }
        out.rua.push_back(std::move(u));
    }
    if (out.rua.empty()) return fail("rua= has no usable mailto: or https: URI");
    return out;
}

// ---- BIMI -------------------------------------------------------------------------------------

bool is_bimi_record(std::string_view txt) { return starts_with_version(txt, "BIMI1"); }

result<bimi_record> parse_bimi_record(std::string_view text) {
    if (!is_bimi_record(text)) return fail("does not start with v=BIMI1");
    bimi_record out;
    tag_list tags = parse_tag_list(text);
    out.issues = std::move(tags.issues);
    if (const tag_value* l = tags.find("l")) out.location = l->value;
    if (const tag_value* a = tags.find("a")) out.authority = a->value;
    if (tags.find("l") == nullptr) {
        add(out.issues, issue_level::error, "missing_l", "no l= tag (logo location)", "l");
    }
    out.declined = out.location.empty() && out.authority.empty();
    if (!out.location.empty()) {
        for (const auto loc : split_list(out.location, ',', limits::max_report_uris)) {
            if (!is_https_url(loc)) add(out.issues, issue_level::error, "bad_location", "l= " + shown(loc) + " is not an https: URL", "l");
            else if (!text::ascii_lower(loc).ends_with(".svg")) {
                add(out.issues, issue_level::warning, "not_svg", "l= " + shown(loc) + " does not name an .svg file (SVG Tiny PS required)", "l");
            }
        }
    }
    if (!out.authority.empty() && !is_https_url(out.authority)) {
        add(out.issues, issue_level::error, "bad_authority", "a= " + shown(out.authority) + " is not an https: URL", "a");
    }
    return out;
}

}  // namespace dmarcsight::auth
