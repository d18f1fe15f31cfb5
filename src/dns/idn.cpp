#include "dns/idn.hpp"

#include <idn2.h>

#include <algorithm>
#include <memory>

#include "core/limits.hpp"
#include "core/text.hpp"

namespace dmarcsight::dns {

namespace {

struct idn2_freer {
    void operator()(char* p) const { idn2_free(p); }
};
using idn2_string = std::unique_ptr<char, idn2_freer>;

bool has_non_ascii(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// An "xn--" label anywhere in a (lower-case) name.
bool has_a_label(std::string_view s) {
    constexpr std::string_view prefix = "xn--";
    for (std::size_t at = s.find(prefix); at != std::string_view::npos; at = s.find(prefix, at + 1)) {
        if (at == 0 || s[at - 1] == '.') return true;
    }
    return false;
}

std::string why(int rc) { return idn2_strerror(rc); }

}  // namespace

result<idn_name> to_ascii_name(std::string_view input) {
    std::string name = text::normalize_domain(input);
    // Appended, not `"\"" + std::string`: g++ 12 -O2 gives a false -Wrestrict for that.
    const std::string shown = std::string(1, '"').append(text::for_terminal(name, limits::max_logged_text)).append(1, '"');
    if (name.find('\0') != std::string::npos) return fail(shown + " is not a domain name (NUL byte)");
    if (!has_non_ascii(name) && !has_a_label(name)) return idn_name{name, name};
    if (!text::is_valid_utf8(name)) return fail(shown + " is not valid UTF-8");

    // RFC 5891 §5 (lookup): UTS #46 non-transitional mapping + NFC, IDNA2008 validity of every
    // U-label, and the A-label round trip for labels given as "xn--…" (§5.4).
    constexpr int to_ascii_flags = IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL | IDN2_ALABEL_ROUNDTRIP;
    char* raw = nullptr;
    const int rc = idn2_lookup_u8(reinterpret_cast<const std::uint8_t*>(name.c_str()), reinterpret_cast<std::uint8_t**>(&raw),
                                  to_ascii_flags);
    idn2_string ascii(raw);
    if (rc != IDN2_OK || !ascii) return fail(shown + " is not a valid internationalised domain name: " + why(rc));

    char* uraw = nullptr;
    const int urc = idn2_to_unicode_8z8z(ascii.get(), &uraw, 0);
    idn2_string unicode(uraw);
    if (urc != IDN2_OK || !unicode) return fail(shown + " is not a valid internationalised domain name: " + why(urc));

    idn_name out{text::ascii_lower(ascii.get()), unicode.get()};
    // The round trip must give back the same A-labels: a "xn--" label that decodes to something
    // IDNA2008 would encode differently is not an A-label (RFC 5891 §5.4).
    char* again_raw = nullptr;
    const int arc = idn2_lookup_u8(reinterpret_cast<const std::uint8_t*>(out.unicode.c_str()),
                                   reinterpret_cast<std::uint8_t**>(&again_raw), to_ascii_flags);
    idn2_string again(again_raw);
    if (arc != IDN2_OK || !again || text::ascii_lower(again.get()) != out.ascii) {
        return fail(shown + " is not a valid internationalised domain name: an xn-- label does not round-trip");
    }
    return out;
}

}  // namespace dmarcsight::dns
