// Internationalised domain names (IDNA2008, RFC 5890/5891, through libidn2): a name typed by a
// user — "bücher.example", "例え.jp", "Bücher.Example." — becomes the A-label form every DNS lookup
// uses ("xn--bcher-kva.example"); an A-label name is turned back into its U-label form for display.
// Mapping before conversion is UTS #46 non-transitional (what browsers do: case folding, NFC, and
// "ß" stays "ß"); a name IDNA2008 disallows (a snowman, a leading combining mark, a label over 63
// octets once encoded, a broken "xn--" label) is refused, never repaired.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace dmarcsight::dns {

struct idn_name {
    std::string ascii;    // what DNS is asked: A-labels, lower-case, no trailing dot
    std::string unicode;  // the same name with U-labels for display; == ascii when it has no IDN label
    bool is_idn() const { return ascii != unicode; }
};

// `input` is UTF-8 (a command-line argument). A name of plain ASCII with no "xn--" label is
// returned as it is (only lower-cased and without its trailing dot), so names that are not
// host names ("_dmarc.example") keep working; one with non-ASCII or "xn--" labels is converted and
// checked. Errors say why in a sentence fit for a usage error.
result<idn_name> to_ascii_name(std::string_view input);

}  // namespace dmarcsight::dns
