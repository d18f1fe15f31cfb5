#include "auth/record_tags.hpp"

#include <cstdint>
#include <set>

#include "core/limits.hpp"
#include "core/text.hpp"

namespace dmarcsight::auth {

bool is_fws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim_fws(std::string_view s) {
    while (!s.empty() && is_fws(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_fws(s.back())) s.remove_suffix(1);
    return s;
}

std::string shown(std::string_view s) { return text::for_terminal(s, limits::max_logged_text); }

namespace {
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// RFC 6376 §3.2: tag-name = ALPHA *ALNUMPUNC; ALNUMPUNC = ALPHA / DIGIT / "_".
bool valid_tag_name(std::string_view n) {
    if (n.empty() || !is_alpha(n.front())) return false;
    for (char c : n) {
        if (!is_alpha(c) && !is_digit(c) && c != '_') return false;
    }
    return true;
}
}  // namespace

const tag_value* tag_list::find(std::string_view name, bool fold_case) const {
    for (const auto& t : tags) {
        if (fold_case ? text::iequals(t.name, name) : t.name == name) return &t;
    }
    return nullptr;
}

tag_list parse_tag_list(std::string_view text, const tag_list_options& options) {
    tag_list out;
    if (text.size() > limits::max_txt_record_text) {
        text = text.substr(0, limits::max_txt_record_text);
        out.truncated = true;
        out.issues.push_back({issue_level::error, "too_long", "record longer than 65535 bytes", ""});
    }
    std::set<std::string> seen;
    std::size_t pos = 0;
    // Each iteration consumes one ';'-terminated segment, so the loop ends after <= size+1 steps.
    while (pos <= text.size()) {
        const std::size_t semi = text.find(';', pos);
        const std::size_t end = semi == std::string_view::npos ? text.size() : semi;
        const std::string_view raw = text.substr(pos, end - pos);
        const std::size_t seg_offset = pos;
        pos = end + 1;
        const std::string_view seg = trim_fws(raw);
        if (seg.empty()) {
            // RFC 6376 §3.2 allows one trailing ';'; an empty segment in the middle ("a=1;;b=2")
            // is outside the grammar but harmless: mention it.
            if (semi != std::string_view::npos && trim_fws(text.substr(pos)).size() > 0) {
                out.issues.push_back({issue_level::info, "empty_segment", "empty segment between ';' separators", ""});
            }
            if (semi == std::string_view::npos) break;
            continue;
        }
        if (out.tags.size() >= limits::max_record_tags) {
            out.truncated = true;
            out.issues.push_back({issue_level::error, "too_many_tags", "more than 64 tags; the rest was ignored", ""});
            break;
        }
        const std::size_t eq = seg.find('=');
        if (eq == std::string_view::npos) {
            out.issues.push_back({issue_level::error, "missing_equals",
                                  "segment \"" + shown(seg) + "\" is not tag=value", ""});
        } else {
            const std::string_view name = trim_fws(seg.substr(0, eq));
            const std::string_view value = trim_fws(seg.substr(eq + 1));
            if (!valid_tag_name(name)) {
                out.issues.push_back({issue_level::error, "bad_tag_name",
                                      std::string(1, '"').append(shown(name)) + "\" is not a valid tag name", std::string(name)});
            } else {
                const std::string key = options.fold_case ? text::ascii_lower(name) : std::string(name);
                if (!seen.insert(key).second) {
                    out.issues.push_back({options.duplicate_is_error ? issue_level::error : issue_level::warning,
                                          "duplicate_tag", "tag \"" + shown(name) + "\" appears more than once; the first one counts",
                                          std::string(name)});
                } else {
                    const std::size_t name_off = seg_offset + static_cast<std::size_t>(seg.data() - raw.data());
                    out.tags.push_back({std::string(name), std::string(value), name_off});
                }
            }
        }
        if (semi == std::string_view::npos) break;
    }
    return out;
}

std::vector<std::string_view> split_list(std::string_view s, char sep, std::size_t max_items, bool* truncated) {
    std::vector<std::string_view> out;
    if (truncated) *truncated = false;
    std::size_t pos = 0;
    while (pos <= s.size()) {
        if (out.size() >= max_items) {
            if (truncated) *truncated = true;
            break;
        }
        const std::size_t next = s.find(sep, pos);
        const std::size_t end = next == std::string_view::npos ? s.size() : next;
        out.push_back(trim_fws(s.substr(pos, end - pos)));
        if (next == std::string_view::npos) break;
        pos = next + 1;
    }
    return out;
}

bool looks_like_domain(std::string_view s) {
    if (!s.empty() && s.back() == '.') s.remove_suffix(1);
    if (s.empty() || s.size() > limits::max_domain_length) return false;
    std::size_t label = 0;
    for (char c : s) {
        if (c == '.') {
            if (label == 0) return false;
            label = 0;
            continue;
        }
        if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_') return false;
        if (++label > 63) return false;  // RFC 1035 §2.3.4
    }
    return label > 0;
}

std::optional<std::uint64_t> parse_decimal(std::string_view s, std::uint64_t max) {
    if (s.empty()) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (!is_digit(c)) return std::nullopt;
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (v > (max - d) / 10) return std::nullopt;
        v = v * 10 + d;
    }
    return v;
}

}  // namespace dmarcsight::auth
