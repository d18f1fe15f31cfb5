// Cutting UTF-8 text to a byte budget without splitting a character: every place that truncates
// report text (stored fields, echoed snippets) goes through here, so a cut never leaves half a
// multi-byte sequence that a later repair would turn into U+FFFD or a consumer would choke on.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace dmarcsight {

// The longest prefix of `s` that is at most `max_bytes` long and does not end inside a UTF-8
// sequence (RFC 3629 §3: a cut is safe before any byte that is not a continuation byte 10xxxxxx).
// Invalid input is handled gracefully: a stray continuation byte or a truncated sequence at the
// cut is not a character, so the cut stays at `max_bytes` unless a valid lead byte's sequence
// would straddle it.
std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes);

// Shortens `s` in place to utf8_prefix(s, max_bytes). Returns true if anything was removed.
bool utf8_truncate(std::string& s, std::size_t max_bytes);

}  // namespace dmarcsight
