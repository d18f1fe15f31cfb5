// Text hygiene for values that came from the internet: UTF-8 validation/repair, safe echoing to a
// terminal or log, CSV formula neutralising, trimming and ASCII case folding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace dmarcsight::text {

bool is_valid_utf8(std::string_view s);
// Replace every maximal invalid subsequence with U+FFFD. Returns true if anything was replaced.
bool repair_utf8(std::string& s);
// Appends code point `cp` (<= U+10FFFF) to `out` as UTF-8.
void append_utf8(std::string& out, std::uint32_t cp);
// Latin-1 / windows-1252 bytes to UTF-8.
std::string latin1_to_utf8(std::string_view s, bool windows1252);

// Code points that reorder, hide or break displayed text, and that some terminals act on: C1 controls
// U+0080..U+009F (U+009B is CSI), the bidi embeddings, overrides and isolates U+202A..U+202E and
// U+2066..U+2069 (Unicode UAX #9; CVE-2021-42574 "Trojan Source"), the marks U+200E, U+200F,
// U+061C, and the line/paragraph separators U+2028, U+2029. Never shown raw.
bool is_display_control(std::uint32_t cp);

// For a terminal or log line: C0 controls and DEL become \xNN, display controls (above) \uXXXX,
// bytes that are not UTF-8 \xNN; the result is cut to max_bytes of input, on a character
// boundary, with "..." when longer (Postfix's %.100s habit).
std::string for_terminal(std::string_view s, std::size_t max_bytes = std::string_view::npos);
// A CSV cell (RFC 4180): controls escaped as for_terminal does (CSV files are opened in
// spreadsheets and terminals), a leading = + - @ TAB or CR neutralised with a ' prefix so
// spreadsheets never evaluate report text as a formula (OWASP "CSV injection"), quoted when needed.
std::string csv_cell(std::string_view s);
// A CSV line (no line end): each cell through csv_cell, joined with commas.
std::string csv_line(std::initializer_list<std::string_view> cells);
// JSON text (valid UTF-8, as nlohmann's dump with error_handler_t::replace writes it) with every
// display control and DEL written as a \uXXXX escape. Sound on any JSON text: a byte >= 0x7F can
// only occur inside a string (RFC 8259 section 2: structural characters and literals are ASCII).
std::string escape_json_controls(std::string_view json);

// Display width on a terminal, roughly: one column per code point, two for East Asian wide and
// fullwidth characters, none for combining marks.
std::size_t display_width(std::string_view s);
// Cut to at most `width` columns on a character boundary; a cut value ends with "…" (which
// counts as one column). Values that fit are returned unchanged.
std::string truncate_display(std::string_view s, std::size_t width);

// "12.3%": part/whole to one decimal, rounded to nearest, but never "100.0%" unless part >=
// whole and never "0.0%" unless part <= 0 (999/1000 -> 99.9%, 99999/100000 -> 99.9%, 1/100000 ->
// 0.1%). whole <= 0 gives "0.0%".
std::string format_percent(std::int64_t part, std::int64_t whole);
// part/whole as a fraction with `decimals` digits (1..9), same rule: "1.0000" only when all passed,
// "0.0000" only when none did.
std::string format_share(std::int64_t part, std::int64_t whole, int decimals);

// Optimal string alignment distance (Levenshtein plus adjacent transposition), for suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `word` (ASCII case-insensitive), if it is near enough to be a typo:
// distance <= 1 for words up to 4 characters, <= 2 beyond. Ties go to the first candidate.
std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string>& candidates);

std::string_view trim(std::string_view s);
std::string ascii_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
// A domain as used in keys and comparisons: trimmed, lower-cased, without a trailing dot.
std::string normalize_domain(std::string_view s);

}  // namespace dmarcsight::text
