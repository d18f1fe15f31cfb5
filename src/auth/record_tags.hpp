// The tag=value list shared by DKIM key records (RFC 6376 §3.2), DMARC policy records (RFC 9989
// §4.7/§4.8), TLS-RPT (RFC 8460 §3), MTA-STS TXT (RFC 8461 §3.1) and BIMI records: a pure parser
// (no I/O) that never throws and reports every oddity as a record_issue instead of giving up, so
// the posture checks can tell the domain owner exactly what is wrong.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dmarcsight::auth {

// How serious one syntax observation is (the posture module maps this onto its finding severity).
enum class issue_level { error, warning, info };

// One observation about a record's syntax or content. `code` is a stable identifier suffix
// ("invalid_value", "duplicate_tag", ...) that the posture module prefixes with its area.
struct record_issue {
    issue_level level = issue_level::warning;
    std::string code;
    std::string message;
    std::string tag;  // the tag concerned, "" when none
};

struct tag_value {
    std::string name;        // as written (case preserved)
    std::string value;       // surrounding whitespace removed
    std::size_t offset = 0;  // byte offset of the tag name in the record text
};

struct tag_list {
    std::vector<tag_value> tags;
    std::vector<record_issue> issues;
    // Was the list cut at limits::max_record_tags / max_txt_record_text?
    bool truncated = false;

    // First tag with this name (ASCII case-insensitive when `fold_case`), or nullptr.
    const tag_value* find(std::string_view name, bool fold_case = false) const;
};

struct tag_list_options {
    // RFC 6376 §3.2: tag names are case-sensitive; DMARC receivers are lenient in practice.
    bool fold_case = false;
    // RFC 6376 §3.2: a duplicated tag makes the whole list invalid (an error issue); DMARC only
    // warns (RFC 9989 §4.8: syntax errors are discarded in favour of defaults).
    bool duplicate_is_error = true;
};

// Split `text` into tags. Separators are ";" with optional whitespace (FWS, RFC 6376 §3.2); a
// trailing ";" is allowed. Segments without "=", empty tag names or names that are not
// ALPHA *(ALNUM / "_") are reported and skipped. Never fails: the caller judges the issues.
tag_list parse_tag_list(std::string_view text, const tag_list_options& options = {});

// RFC 6376 §2.8 WSP/FWS characters (space, tab, CR, LF).
bool is_fws(char c);
std::string_view trim_fws(std::string_view s);

// Split a list on `sep` (e.g. ',' for rua, ':' for fo/h=/s=), trimming FWS from each element.
// Empty elements are kept (the caller reports them). At most `max_items` elements are returned;
// `truncated` (if given) is set when there were more.
std::vector<std::string_view> split_list(std::string_view s, char sep, std::size_t max_items,
                                         bool* truncated = nullptr);

// Checked decimal conversion: digits only (no sign, no spaces), no overflow of `max`.
std::optional<std::uint64_t> parse_decimal(std::string_view s, std::uint64_t max);

// A host name in presentation form: 1-63 byte labels of letters, digits, '-' and '_' (DNS allows
// "_" in owner names, e.g. _dmarc), at most 253 bytes; an optional trailing dot.
bool looks_like_domain(std::string_view s);

// Text for messages: control characters escaped, cut to limits::max_logged_text.
std::string shown(std::string_view s);

}  // namespace dmarcsight::auth
