#include "core/utf8.hpp"

namespace dmarcsight {

namespace {
bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Length of the sequence a lead byte starts (RFC 3629 §4: C2..DF, E0..EF, F0..F4), else 0.
std::size_t sequence_length(unsigned char c) {
    if (c >= 0xC2 && c <= 0xDF) return 2;
    if (c >= 0xE0 && c <= 0xEF) return 3;
    if (c >= 0xF0 && c <= 0xF4) return 4;
    return 0;
}
}  // namespace

std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes) {
    if (s.size() <= max_bytes) return s;
    // s[max_bytes] is the first byte left out. If it continues a character, walk back (at most 3
    // bytes: a sequence is at most 4 long) to the lead byte of that character.
    std::size_t lead = max_bytes;
    for (int back = 0; back < 3 && lead > 0 && is_continuation(static_cast<unsigned char>(s[lead])); ++back) --lead;
    if (lead == max_bytes) return s.substr(0, max_bytes);
    const std::size_t len = sequence_length(static_cast<unsigned char>(s[lead]));
    // Cut before the lead byte only when its sequence really reaches past the cut.
    if (len != 0 && lead + len > max_bytes) return s.substr(0, lead);
    return s.substr(0, max_bytes);
}

bool utf8_truncate(std::string& s, std::size_t max_bytes) {
    const std::size_t keep = utf8_prefix(s, max_bytes).size();
    if (keep == s.size()) return false;
    s.resize(keep);
    return true;
}

}  // namespace dmarcsight
