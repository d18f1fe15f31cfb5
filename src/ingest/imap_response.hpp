// Parsers of the few IMAP server answers a mailbox run reads (RFC 3501 §7, RFC 9051 §7): the
// untagged lines libcurl hands over for a command. Pure: text in, values out; the server is
// untrusted, so every number is checked (no wrap-around, no zero UID), counts are capped, and a
// line that does not fit is skipped rather than guessed at.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace dmarcsight::ingest {

// More UIDs than this in one SEARCH answer are not read (a run takes a batch of them anyway).
inline constexpr std::size_t max_search_uids = 1'000'000;

// "* SEARCH 3 7 12" lines (RFC 3501 §7.2.5): the UIDs, ascending, without duplicates.
std::vector<std::uint64_t> parse_search(std::string_view untagged);
// "* 4 FETCH (UID 12 RFC822.SIZE 3456)" lines (RFC 3501 §7.4.2, items in any order): UID → size.
std::map<std::uint64_t, std::uint64_t> parse_sizes(std::string_view untagged);
// Whether "* CAPABILITY …" lists `name` (case-insensitive, RFC 3501 §7.2.1).
bool has_capability(std::string_view untagged, std::string_view name);
// The hierarchy delimiter of a `LIST "" ""` answer (RFC 3501 §6.3.8: `* LIST (\Noselect) "/" ""`);
// 0 when there is none (NIL) or the answer does not say.
char parse_list_delimiter(std::string_view untagged);
// "1,4,9:12": a UID set for a command (RFC 3501 §9 sequence-set), from ascending UIDs.
std::string uid_set(const std::vector<std::uint64_t>& uids);

}  // namespace dmarcsight::ingest
