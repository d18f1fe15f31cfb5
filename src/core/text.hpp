// Text hygiene for values that came from the internet: UTF-8 validation/repair, safe echoing to a
// terminal or log, CSV formula neutralising, trimming and ASCII case folding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dmarcsight::text {

bool is_valid_utf8(std::string_view s);
// Replace every maximal invalid subsequence with U+FFFD. Returns true if anything was replaced.
bool repair_utf8(std::string& s);
// Appends code point `cp` (<= U+10FFFF) to `out` as UTF-8.
void append_utf8(std::string& out, std::uint32_t cp);
// Latin-1 / windows-1252 bytes to UTF-8.
std::string latin1_to_utf8(std::string_view s, bool windows1252);

// For a terminal or log line: control characters (C0, DEL, C1, ESC sequences) become \xNN escapes,
// and the result is cut to max_bytes with "..." when longer (Postfix's %.100s habit).
std::string for_terminal(std::string_view s, std::size_t max_bytes = std::string_view::npos);
// A CSV cell: quoted when needed; a leading = + - @ (or TAB/CR) is neutralised with a ' prefix so
// spreadsheets never evaluate report text as a formula.
std::string csv_cell(std::string_view s);

std::string_view trim(std::string_view s);
std::string ascii_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
// A domain as used in keys and comparisons: trimmed, lower-cased, without a trailing dot.
std::string normalize_domain(std::string_view s);

}  // namespace dmarcsight::text
