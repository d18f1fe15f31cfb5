#include "ingest/imap_response.hpp"

#include <algorithm>
#include <charconv>
#include <string>

namespace dmarcsight::ingest {

namespace {

// RFC 3501 §2.3.1.1: a UID is a non-zero 32-bit number; sizes are 32-bit too (number, §9).
constexpr std::uint64_t max_number = 0xffffffffULL;

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 32);
        if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 32);
        if (x != y) return false;
    }
    return true;
}

// Calls f(line) for each line, CR LF or LF ended.
template <class F>
void each_line(std::string_view text, F&& f) {
    while (!text.empty()) {
        const auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        f(line);
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
}

std::string_view next_word(std::string_view& s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    const auto end = s.find_first_of(" ()");
    std::string_view w = s.substr(0, end == 0 ? 1 : end);
    s.remove_prefix(w.size());
    return w;
}

bool number(std::string_view w, std::uint64_t& out) {
    if (w.empty() || w.size() > 10) return false;
    const auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), out);
    return ec == std::errc{} && end == w.data() + w.size() && out <= max_number;
}

}  // namespace

std::vector<std::uint64_t> parse_search(std::string_view untagged) {
    std::vector<std::uint64_t> out;
    each_line(untagged, [&](std::string_view line) {
        std::string_view rest = line;
        if (next_word(rest) != "*" || !iequals(next_word(rest), "SEARCH")) return;
        for (std::string_view w = next_word(rest); !w.empty() && out.size() < max_search_uids; w = next_word(rest)) {
            std::uint64_t uid = 0;
            if (!number(w, uid) || uid == 0) break;  // e.g. a "(MODSEQ …)" tail: the numbers end there
            out.push_back(uid);
        }
    });
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::map<std::uint64_t, std::uint64_t> parse_sizes(std::string_view untagged) {
    std::map<std::uint64_t, std::uint64_t> out;
    each_line(untagged, [&](std::string_view line) {
        std::string_view rest = line;
        std::uint64_t seq = 0;
        if (next_word(rest) != "*" || !number(next_word(rest), seq) || !iequals(next_word(rest), "FETCH") ||
            next_word(rest) != "(")
            return;
        std::uint64_t uid = 0, size = 0;
        bool have_uid = false, have_size = false;
        for (int items = 0; items < 64; ++items) {
            const std::string_view name = next_word(rest);
            if (name.empty() || name == ")") break;
            const std::string_view value = next_word(rest);
            if (iequals(name, "UID")) have_uid = number(value, uid) && uid != 0;
            else if (iequals(name, "RFC822.SIZE")) have_size = number(value, size);
            else if (value == "(") {
                // A parenthesised value (FLAGS (\Seen)): skip to its end; no nesting in these answers.
                const auto close = rest.find(')');
                if (close == std::string_view::npos) break;
                rest.remove_prefix(close + 1);
            }
        }
        if (have_uid && have_size && out.size() < max_search_uids) out[uid] = size;
    });
    return out;
}

bool has_capability(std::string_view untagged, std::string_view name) {
    bool found = false;
    each_line(untagged, [&](std::string_view line) {
        std::string_view rest = line;
        if (next_word(rest) != "*" || !iequals(next_word(rest), "CAPABILITY")) return;
        for (std::string_view w = next_word(rest); !w.empty(); w = next_word(rest))
            if (iequals(w, name)) found = true;
    });
    return found;
}

char parse_list_delimiter(std::string_view untagged) {
    char found = 0;
    each_line(untagged, [&](std::string_view line) {
        std::string_view rest = line;
        if (found || next_word(rest) != "*" || !iequals(next_word(rest), "LIST")) return;
        const auto close = rest.find(')');
        if (close == std::string_view::npos) return;
        rest.remove_prefix(close + 1);
        while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
        // A quoted single character; a backslash-quoted one ("\\" or "\"").
        if (rest.size() >= 3 && rest[0] == '"' && rest[1] != '\\' && rest[2] == '"') found = rest[1];
        else if (rest.size() >= 4 && rest[0] == '"' && rest[1] == '\\' && rest[3] == '"') found = rest[2];
    });
    return static_cast<unsigned char>(found) >= 0x20 && static_cast<unsigned char>(found) < 0x7f ? found : 0;
}

std::string uid_set(const std::vector<std::uint64_t>& uids) {
    std::string out;
    for (std::size_t i = 0; i < uids.size();) {
        std::size_t j = i;
        while (j + 1 < uids.size() && uids[j + 1] == uids[j] + 1) ++j;
        if (!out.empty()) out += ',';
        out += std::to_string(uids[i]);
        if (j > i) out += ':' + std::to_string(uids[j]);
        i = j + 1;
    }
    return out;
}

}  // namespace dmarcsight::ingest
