#include "auth/dmarc_record.hpp"

#include <array>
#include <cstdint>

#include "core/limits.hpp"
#include "core/text.hpp"

namespace dmarcsight::auth {

namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
bool valid_scheme(std::string_view s) {
    if (s.empty() || !is_alpha(s.front())) return false;
    for (char c : s) {
        if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return false;
    }
    return true;
}

std::string host_key(std::string_view h) { return text::normalize_domain(h); }

constexpr std::uint64_t kib = 1024;

// RFC 7489 §6.2: "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] (binary multiples).
std::optional<std::uint64_t> parse_size(std::string_view s) {
    if (s.empty()) return std::nullopt;
    std::uint64_t mult = 1;
    const char unit = static_cast<char>(s.back() | 0x20);
    if (!is_digit(s.back())) {
        switch (unit) {
            case 'k': mult = kib; break;
            case 'm': mult = kib * kib; break;
            case 'g': mult = kib * kib * kib; break;
            case 't': mult = kib * kib * kib * kib; break;
            default: return std::nullopt;
        }
        s.remove_suffix(1);
    }
    const auto n = parse_decimal(s, UINT64_MAX / mult);
    if (!n) return std::nullopt;
    return *n * mult;
}

struct parser {
    dmarc_mode mode;
    dmarc_parse_result out;
    bool bad_value = false;

    void issue(issue_level level, std::string code, std::string message, std::string tag = "") {
        out.issues.push_back({level, std::move(code), std::move(message), std::move(tag)});
    }

    // An invalid value of a known tag: RFC 7489 makes the record invalid; RFC 9989 §4.8 falls
    // back to the default.
    void invalid(const tag_value& t, std::string_view expected) {
        const bool fatal = mode == dmarc_mode::rfc7489;
        if (fatal) bad_value = true;
        issue(fatal ? issue_level::error : issue_level::warning, "invalid_value",
              t.name + "=" + shown(t.value) + " is not valid (expected " + std::string(expected) + ")" +
                  (fatal ? "" : "; receivers use the default"),
              t.name);
    }

    std::optional<policy> policy_tag(const tag_value& t, bool& present) {
        present = true;
        auto p = parse_policy(t.value);
        if (!p) {
            // Judged after all tags are read (the rua fallback of RFC 9989 §4.10.1).
            issue(issue_level::error, "invalid_policy",
                  t.name + "=" + shown(t.value) + " is not none, quarantine or reject", t.name);
        }
        return p;
    }

    std::optional<alignment_mode> rors(const tag_value& t) {
        if (text::iequals(t.value, "r")) return alignment_mode::r;
        if (text::iequals(t.value, "s")) return alignment_mode::s;
        invalid(t, "r or s");
        return std::nullopt;
    }

    void uri_list(const tag_value& t, std::vector<report_uri>& dest) {
        bool truncated = false;
        const auto items = split_list(t.value, ',', limits::max_report_uris, &truncated);
        if (truncated) {
            issue(issue_level::warning, "too_many_uris",
                  t.name + " lists more than " + std::to_string(limits::max_report_uris) + " URIs; the rest is ignored here", t.name);
        }
        for (const auto item : items) {
            report_uri u = parse_report_uri(item, true);
            if (item.empty()) {
                issue(issue_level::warning, "invalid_uri", "empty URI in " + t.name + "=", t.name);
                continue;
            }
            if (!u.valid) {
                issue(issue_level::warning, "invalid_uri",
                      t.name + " URI \"" + shown(item) + "\" is not a usable URI (mailto:local@host or scheme://host/...)", t.name);
            } else if (u.scheme != "mailto") {
                // RFC 9989 §4.7: receivers MUST support mailto; other schemes are ignored when
                // unsupported, and practically no receiver supports any other.
                issue(issue_level::warning, "unsupported_scheme",
                      t.name + " URI \"" + shown(u.text) + "\" uses scheme \"" + shown(u.scheme) +
                          "\"; receivers only have to support mailto:", t.name);
            }
            if (!u.size_suffix.empty()) {
                if (!u.max_bytes) {
                    issue(issue_level::warning, "invalid_uri",
                          t.name + " URI has a malformed size suffix \"" + shown(u.size_suffix) + "\"", t.name);
                } else {
                    // RFC 9989 App. C.4: size limits were removed; reporters ignore them.
                    issue(issue_level::info, "size_suffix",
                          t.name + " URI \"" + shown(u.text) + "\" has the size suffix \"" + shown(u.size_suffix) +
                              "\", obsolete in RFC 9989 (ignored by reporters)", t.name);
                }
            }
            dest.push_back(std::move(u));
        }
    }

    void fo_tag(const tag_value& t) {
        out.record.fo_present = true;
        // RFC 9989 §4.8 dmarc-fo: colon list of 0/1/d/s, each at most once, 0 and 1 exclusive.
        bool seen0 = false, seen1 = false, seend = false, seens = false, ok = true;
        for (const auto item : split_list(t.value, ':', limits::max_record_tags)) {
            bool* flag = nullptr;
            if (item == "0") flag = &seen0;
            else if (item == "1") flag = &seen1;
            else if (text::iequals(item, "d")) flag = &seend;
            else if (text::iequals(item, "s")) flag = &seens;
            if (flag == nullptr || *flag) {
                ok = false;
                break;
            }
            *flag = true;
        }
        if (seen0 && seen1) ok = false;
        if (!ok) {
            invalid(t, "a colon list of 0, 1, d, s");
            return;
        }
        out.record.fo = t.value;
    }

    void deprecated(const tag_value& t) {
        if (mode == dmarc_mode::rfc9989) {
            issue(issue_level::info, "deprecated_tag",
                  t.name + "= was removed by RFC 9989 (App. C.5.2) and is ignored by its receivers", t.name);
        }
    }

    void tag(const tag_value& t) {
        const std::string name = text::ascii_lower(t.name);
        auto& r = out.record;
        if (name == "p") {
            r.p = policy_tag(t, r.p_present);
        } else if (name == "sp") {
            r.sp = policy_tag(t, r.sp_present);
        } else if (name == "np") {
            r.np = policy_tag(t, r.np_present);
        } else if (name == "adkim") {
            if (auto v = rors(t)) r.adkim = *v;
        } else if (name == "aspf") {
            if (auto v = rors(t)) r.aspf = *v;
        } else if (name == "psd") {
            if (text::iequals(t.value, "y")) r.psd = psd_flag::y;
            else if (text::iequals(t.value, "n")) r.psd = psd_flag::n;
            else if (text::iequals(t.value, "u")) r.psd = psd_flag::u;
            else invalid(t, "y, n or u");
        } else if (name == "t") {
            if (text::iequals(t.value, "y")) r.testing = true;
            else if (text::iequals(t.value, "n")) r.testing = false;
            else invalid(t, "y or n");
        } else if (name == "pct") {
            deprecated(t);
            constexpr std::uint64_t max_pct = 100;
            if (auto v = parse_decimal(t.value, max_pct)) r.pct = static_cast<unsigned>(*v);
            else invalid(t, "an integer 0-100");
        } else if (name == "rf") {
            deprecated(t);
            // RFC 7489 §6.3: colon list of registered report formats; only "afrf" exists.
            bool ok = true;
            for (const auto item : split_list(t.value, ':', limits::max_record_tags)) {
                if (!text::iequals(item, "afrf")) ok = false;
            }
            if (ok) r.rf = t.value;
            else invalid(t, "afrf");
        } else if (name == "ri") {
            deprecated(t);
            if (auto v = parse_decimal(t.value, UINT32_MAX)) r.ri = static_cast<std::uint32_t>(*v);
            else invalid(t, "a 32-bit number of seconds");
        } else if (name == "fo") {
            fo_tag(t);
        } else if (name == "rua") {
            uri_list(t, r.rua);
        } else if (name == "ruf") {
            uri_list(t, r.ruf);
        } else if (name == "v") {
            issue(issue_level::warning, "duplicate_tag", "v= appears again after the start of the record", "v");
        } else {
            r.unknown_tags.push_back(t.name);
            issue(issue_level::info, "unknown_tag", "unknown tag \"" + shown(t.name) + "\" is ignored (a typo?)", t.name);
        }
    }
};

std::size_t version_length(std::string_view txt) {
    // dmarc-version = "v" equals %s"DMARC1"; equals = *WSP "=" *WSP (RFC 9989 §4.8).
    std::size_t i = 0;
    if (txt.empty() || (txt[0] != 'v' && txt[0] != 'V')) return 0;
    ++i;
    while (i < txt.size() && (txt[i] == ' ' || txt[i] == '\t')) ++i;
    if (i >= txt.size() || txt[i] != '=') return 0;
    ++i;
    while (i < txt.size() && (txt[i] == ' ' || txt[i] == '\t')) ++i;
    constexpr std::string_view tag = "DMARC1";
    if (txt.substr(i, tag.size()) != tag) return 0;
    i += tag.size();
    std::size_t j = i;
    while (j < txt.size() && is_fws(txt[j])) ++j;
    if (j < txt.size() && txt[j] != ';') return 0;  // "v=DMARC10" or "v=DMARC1 p=reject"
    return i;
}

}  // namespace

std::optional<policy> parse_policy(std::string_view s) {
    if (text::iequals(s, "none")) return policy::none;
    if (text::iequals(s, "quarantine")) return policy::quarantine;
    if (text::iequals(s, "reject")) return policy::reject;
    return std::nullopt;
}

std::string_view to_string(policy p) {
    switch (p) {
        case policy::none: return "none";
        case policy::quarantine: return "quarantine";
        case policy::reject: return "reject";
    }
    return "none";
}

std::string_view to_string(psd_flag f) {
    switch (f) {
        case psd_flag::y: return "y";
        case psd_flag::n: return "n";
        case psd_flag::u: return "u";
    }
    return "u";
}

bool is_dmarc_record(std::string_view txt) { return version_length(txt) != 0; }

bool dmarc_record::has_valid_rua() const {
    for (const auto& u : rua) {
        if (u.valid) return true;
    }
    return false;
}

report_uri parse_report_uri(std::string_view item, bool allow_size_suffix) {
    report_uri u;
    std::string_view s = item;
    // RFC 9989 §4.8: "!" inside a URI MUST be encoded, so the first "!" starts the size suffix.
    if (allow_size_suffix) {
        if (const auto bang = s.find('!'); bang != std::string_view::npos) {
            u.size_suffix = std::string(s.substr(bang));
            u.max_bytes = parse_size(s.substr(bang + 1));
            s = s.substr(0, bang);
        }
    }
    u.text = std::string(s);
    const auto colon = s.find(':');
    if (colon == std::string_view::npos || !valid_scheme(s.substr(0, colon))) return u;
    u.scheme = text::ascii_lower(s.substr(0, colon));
    std::string_view rest = s.substr(colon + 1);
    for (char c : rest) {
        // RFC 3986: no spaces or controls in a URI.
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return u;
    }
    if (u.scheme == "mailto") {
        // RFC 6068: mailto:addr-spec[?hfields]; the host is after the last '@'.
        const std::string_view addr = rest.substr(0, rest.find('?'));
        const auto at = addr.rfind('@');
        if (at == std::string_view::npos || at == 0) return u;
        const std::string_view host = addr.substr(at + 1);
        if (!looks_like_domain(host) || addr.substr(0, at).find('/') == 0) return u;
        u.address = std::string(addr);
        u.host = host_key(host);
        u.valid = true;
        return u;
    }
    // scheme://[userinfo@]host[:port]/...
    if (rest.substr(0, 2) != "//") return u;
    std::string_view auth = rest.substr(2);
    auth = auth.substr(0, auth.find_first_of("/?#"));
    if (const auto at = auth.rfind('@'); at != std::string_view::npos) auth = auth.substr(at + 1);
    if (const auto port = auth.find(':'); port != std::string_view::npos) auth = auth.substr(0, port);
    if (!looks_like_domain(auth)) return u;
    u.host = host_key(auth);
    u.valid = true;
    return u;
}

dmarc_parse_result parse_dmarc_record(std::string_view text, dmarc_mode mode) {
    parser ps{mode, {}};
    auto& out = ps.out;
    if (trim_fws(text).empty()) {
        out.status = dmarc_parse_status::empty;
        out.issues.push_back({issue_level::error, "empty", "the record is empty", ""});
        return out;
    }
    const std::size_t vlen = version_length(text);
    if (vlen == 0) {
        out.status = dmarc_parse_status::bad_version;
        out.issues.push_back({issue_level::error, "bad_version",
                              "the record does not start with v=DMARC1 (case-sensitive, no leading space): receivers ignore it", "v"});
        return out;
    }
    // Everything after "v=DMARC1": the first segment is the version itself.
    std::string_view rest = trim_fws(text.substr(vlen));
    if (!rest.empty() && rest.front() == ';') rest.remove_prefix(1);
    tag_list tags = parse_tag_list(rest, {.fold_case = true, .duplicate_is_error = false});
    for (auto& i : tags.issues) out.issues.push_back(std::move(i));
    for (const auto& t : tags.tags) ps.tag(t);

    auto& r = out.record;
    const bool bad_policy = (r.p_present && !r.p) || (r.sp_present && !r.sp) || (r.np_present && !r.np);
    out.applies = true;
    if (bad_policy || !r.p_present) {
        if (r.has_valid_rua()) {
            // RFC 9989 §4.10.1 / RFC 7489 §6.6.3: act as if p=none was retrieved.
            r.p = policy::none;
            r.sp.reset();
            r.np.reset();
        } else if (bad_policy) {
            out.applies = false;
            if (mode == dmarc_mode::rfc7489) ps.bad_value = true;
        }
    }
    if (!r.p_present) {
        if (mode == dmarc_mode::rfc7489 && !r.has_valid_rua()) {
            out.status = dmarc_parse_status::no_required_p;
            out.applies = false;
            out.issues.push_back({issue_level::error, "missing_p", "no p= tag: RFC 7489 §6.3 requires one", "p"});
        } else {
            out.issues.push_back({issue_level::warning, "missing_p",
                                  "no p= tag: receivers treat the record as p=none (RFC 9989 §4.7)", "p"});
        }
    }
    if (ps.bad_value && out.status == dmarc_parse_status::ok) {
        out.status = dmarc_parse_status::bad_value;
        out.applies = false;
    }
    if (r.fo_present && r.ruf.empty()) {
        out.issues.push_back({issue_level::info, "fo_without_ruf", "fo= has no effect without ruf= (RFC 9989 §4.7)", "fo"});
    }
    if (r.testing) {
        out.issues.push_back({issue_level::info, "testing",
                              "t=y: receivers apply one policy level less (reject→quarantine, quarantine→none)", "t"});
    }
    return out;
}

}  // namespace dmarcsight::auth
