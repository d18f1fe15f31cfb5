// What report text may look like once it reaches a terminal, a spreadsheet or a JSON parser;
// percentages that never round a failure away; table cell widths; typo suggestions.
#include <gtest/gtest.h>

#include "core/text.hpp"

using namespace dmarcsight;

TEST(output_text, terminal_escapes_c1_and_bidi_controls) {
    EXPECT_EQ(text::for_terminal("a\xC2\x85" "b"), "a\\u0085b");        // NEL
    EXPECT_EQ(text::for_terminal("\xC2\x80\xC2\x9F"), "\\u0080\\u009f");  // both ends of C1
    EXPECT_EQ(text::for_terminal("evil\xE2\x80\xAEgpj.exe"), "evil\\u202egpj.exe");  // RLO
    EXPECT_EQ(text::for_terminal("\xE2\x80\xAA\xE2\x80\xAB\xE2\x80\xAC\xE2\x80\xAD"), "\\u202a\\u202b\\u202c\\u202d");
    EXPECT_EQ(text::for_terminal("\xE2\x81\xA6x\xE2\x81\xA9"), "\\u2066x\\u2069");  // isolates
    EXPECT_EQ(text::for_terminal("\xE2\x81\xA7\xE2\x81\xA8"), "\\u2067\\u2068");
    EXPECT_EQ(text::for_terminal("\xE2\x80\x8E\xE2\x80\x8F\xD8\x9C"), "\\u200e\\u200f\\u061c");  // marks
    EXPECT_EQ(text::for_terminal("a\xE2\x80\xA8" "b\xE2\x80\xA9"), "a\\u2028b\\u2029");
}

TEST(output_text, terminal_keeps_ordinary_unicode) {
    EXPECT_EQ(text::for_terminal("Caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xE2\x80\xA6 \xC2\xA0"), "Caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xE2\x80\xA6 \xC2\xA0");
    EXPECT_EQ(text::for_terminal("\xE2\x80\xA9\xE2\x80\xAF"), "\\u2029\xE2\x80\xAF");  // neighbours of the ranges stay
    EXPECT_EQ(text::for_terminal("\xE2\x81\xA5\xE2\x81\xAA"), "\xE2\x81\xA5\xE2\x81\xAA");
    EXPECT_EQ(text::for_terminal("\xC2\xA0\xC2\x7F"), "\xC2\xA0\\xc2\\x7f");  // a stray lead byte is escaped
}

TEST(output_text, terminal_escapes_c0_del_and_bytes_that_are_not_utf8) {
    EXPECT_EQ(text::for_terminal("a\x1b]0;owned\x07"), "a\\x1b]0;owned\\x07");
    EXPECT_EQ(text::for_terminal("\x7f\t\n"), "\\x7f\\x09\\x0a");
    EXPECT_EQ(text::for_terminal("\x9b" "31m"), "\\x9b31m");  // 8-bit CSI on a Latin-1 terminal
    EXPECT_EQ(text::for_terminal("\xE2\x80"), "\\xe2\\x80");
}

TEST(output_text, terminal_cut_keeps_characters_whole) {
    EXPECT_EQ(text::for_terminal("ab\xC3\xA9" "cd", 3), "ab...");
    EXPECT_EQ(text::for_terminal("ab\xC3\xA9" "cd", 4), "ab\xC3\xA9...");
    EXPECT_EQ(text::for_terminal("\xE2\x80\xAE" "abc", 2), "...");
    EXPECT_EQ(text::for_terminal("abc", 3), "abc");
}

TEST(output_text, csv_shows_controls_as_escapes) {
    EXPECT_EQ(text::csv_cell("Evil\xE2\x80\xAE" "Org"), "Evil\\u202eOrg");
    EXPECT_EQ(text::csv_cell("a\xC2\x9B" "b"), "a\\u009bb");
    EXPECT_EQ(text::csv_cell("a\x1b[2Jb"), "a\\x1b[2Jb");
    EXPECT_EQ(text::csv_cell("line1\nline2"), "line1\\x0aline2");
    EXPECT_EQ(text::csv_cell("Caf\xC3\xA9, Inc."), "\"Caf\xC3\xA9, Inc.\"");
    EXPECT_EQ(text::csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
}

TEST(output_text, csv_line_joins_escaped_cells_keeping_empty_ones) {
    EXPECT_EQ(text::csv_line({"a", "", "b,c", "=x"}), "a,,\"b,c\",'=x");
    EXPECT_EQ(text::csv_line({"", ""}), ",");
    EXPECT_EQ(text::csv_line({"only"}), "only");
    EXPECT_EQ(text::csv_line({}), "");
}

TEST(output_text, csv_neutralises_formula_starts_including_tab_and_cr) {
    EXPECT_EQ(text::csv_cell("=1+2"), "'=1+2");
    EXPECT_EQ(text::csv_cell("+1"), "'+1");
    EXPECT_EQ(text::csv_cell("-1"), "'-1");
    EXPECT_EQ(text::csv_cell("@SUM(A1)"), "'@SUM(A1)");
    EXPECT_EQ(text::csv_cell("\t=cmd"), "'\\x09=cmd");
    EXPECT_EQ(text::csv_cell("\r=cmd"), "'\\x0d=cmd");
    EXPECT_EQ(text::csv_cell("=HYPERLINK(\"http://x\",\"y\")"), "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
    EXPECT_EQ(text::csv_cell("a=b"), "a=b");
    EXPECT_EQ(text::csv_cell(""), "");
}

TEST(output_text, json_controls_become_u_escapes) {
    EXPECT_EQ(text::escape_json_controls("{\"a\":\"x\xE2\x80\xAEy\"}"), "{\"a\":\"x\\u202ey\"}");
    EXPECT_EQ(text::escape_json_controls("[\"\xC2\x85\xC2\x9B\x7F\"]"), "[\"\\u0085\\u009b\\u007f\"]");
    EXPECT_EQ(text::escape_json_controls("\"\xE2\x81\xA6\xE2\x80\x8F\xD8\x9C\xE2\x80\xA8\""), "\"\\u2066\\u200f\\u061c\\u2028\"");
    EXPECT_EQ(text::escape_json_controls("\"Caf\xC3\xA9 \xE6\x97\xA5 \xF0\x9F\x98\x80\""), "\"Caf\xC3\xA9 \xE6\x97\xA5 \xF0\x9F\x98\x80\"");
    EXPECT_EQ(text::escape_json_controls("{\"k\": [1, 2.5, null]}"), "{\"k\": [1, 2.5, null]}");
    EXPECT_EQ(text::escape_json_controls("\"\xFF\""), "\"\\ufffd\"");
}

TEST(output_text, percent_never_rounds_a_failure_to_100_or_a_pass_to_0) {
    EXPECT_EQ(text::format_percent(0, 1000), "0.0%");
    EXPECT_EQ(text::format_percent(1000, 1000), "100.0%");
    EXPECT_EQ(text::format_percent(999, 1000), "99.9%");
    EXPECT_EQ(text::format_percent(9999, 10000), "99.9%");
    EXPECT_EQ(text::format_percent(99999, 100000), "99.9%");
    EXPECT_EQ(text::format_percent(1, 100000), "0.1%");
    EXPECT_EQ(text::format_percent(1, 2000), "0.1%");
    EXPECT_EQ(text::format_percent(2, 3), "66.7%");
    EXPECT_EQ(text::format_percent(1, 3), "33.3%");
    EXPECT_EQ(text::format_percent(1, 8), "12.5%");       // halves round up
    EXPECT_EQ(text::format_percent(1, 2), "50.0%");
    EXPECT_EQ(text::format_percent(0, 0), "0.0%");
    EXPECT_EQ(text::format_percent(5, 0), "0.0%");
    EXPECT_EQ(text::format_percent(INT64_MAX - 1, INT64_MAX), "99.9%");  // no overflow
    EXPECT_EQ(text::format_percent(1, INT64_MAX), "0.1%");
    EXPECT_EQ(text::format_percent(INT64_MAX / 2, INT64_MAX), "50.0%");
}

TEST(output_text, share_fraction_follows_the_same_rule) {
    EXPECT_EQ(text::format_share(99999, 100000, 4), "0.9999");
    EXPECT_EQ(text::format_share(1, 1000000, 4), "0.0001");
    EXPECT_EQ(text::format_share(3, 3, 4), "1.0000");
    EXPECT_EQ(text::format_share(0, 3, 4), "0.0000");
    EXPECT_EQ(text::format_share(1, 3, 4), "0.3333");
    EXPECT_EQ(text::format_share(1, 40, 2), "0.03");
}

TEST(output_text, display_width_counts_characters_and_wide_ones_twice) {
    EXPECT_EQ(text::display_width("abc"), 3u);
    EXPECT_EQ(text::display_width("Caf\xC3\xA9"), 4u);
    EXPECT_EQ(text::display_width("\xE6\x97\xA5\xE6\x9C\xAC"), 4u);  // 日本
    EXPECT_EQ(text::display_width("e\xCC\x81"), 1u);                // e + combining acute
    EXPECT_EQ(text::display_width("\xE2\x80\xA6"), 1u);
}

TEST(output_text, truncate_on_character_boundaries_with_ellipsis) {
    EXPECT_EQ(text::truncate_display("abcdef", 6), "abcdef");
    EXPECT_EQ(text::truncate_display("abcdef", 4), "abc\xE2\x80\xA6");
    EXPECT_EQ(text::truncate_display("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 3), "\xC3\xA9\xC3\xA9\xE2\x80\xA6");
    EXPECT_EQ(text::truncate_display("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", 4), "\xE6\x97\xA5\xE2\x80\xA6");  // 3 columns used
    EXPECT_EQ(text::truncate_display("e\xCC\x81" "e\xCC\x81" "e\xCC\x81", 2), "e\xCC\x81\xE2\x80\xA6");
    EXPECT_EQ(text::truncate_display("abc", 1), "\xE2\x80\xA6");
    EXPECT_EQ(text::truncate_display("abc", 0), "");
    EXPECT_LE(text::display_width(text::truncate_display("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", 5)), 5u);
}

TEST(output_text, edit_distance_and_suggestions) {
    EXPECT_EQ(text::edit_distance("ingset", "ingest"), 1u);  // adjacent transposition
    EXPECT_EQ(text::edit_distance("kitten", "sitting"), 3u);
    EXPECT_EQ(text::edit_distance("", "abc"), 3u);
    EXPECT_EQ(text::edit_distance("same", "same"), 0u);
    const std::vector<std::string> cmds = {"ingest", "stats", "senders", "export", "rejected", "check", "spf"};
    EXPECT_EQ(text::closest_match("ingset", cmds), "ingest");
    EXPECT_EQ(text::closest_match("sender", cmds), "senders");
    EXPECT_EQ(text::closest_match("EXPROT", cmds), "export");
    EXPECT_EQ(text::closest_match("rejectd", cmds), "rejected");
    EXPECT_EQ(text::closest_match("spd", cmds), "spf");
    EXPECT_FALSE(text::closest_match("frobnicate", cmds));
    EXPECT_FALSE(text::closest_match("xyz", cmds));
    EXPECT_EQ(text::closest_match("exmaple.com", {"example.com", "example.org"}), "example.com");
}
