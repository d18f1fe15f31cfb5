// Domain names as the dns module keeps them ("canonical form"): presentation format, ASCII
// lower-case, no trailing dot, the root is "". Inside a label a literal '.' is written "\." and a
// literal '\' "\\"; every other byte is kept as is (so "a\.b.example" has two labels below the
// root's child "example" ... i.e. labels "a.b" and "example").
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace dmarcsight::dns {

// Normalise a name for comparisons: ASCII lower-case, one trailing (unescaped) dot removed.
std::string canonical_name(std::string_view name);
// The parent of a canonical name ("a.b.c" → "b.c", "c" → ""), nullopt for the root "".
std::optional<std::string_view> parent_name(std::string_view canonical);
// One raw label (bytes) → its canonical text: lower-cased, '.' and '\' escaped.
std::string escape_label(std::string_view raw_label);
// Octets of the canonical name in wire form, root label included (RFC 1035 §3.1).
std::size_t wire_length(std::string_view canonical);

}  // namespace dmarcsight::dns
