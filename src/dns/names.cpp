#include "dns/names.hpp"

#include "dns/resolver.hpp"

namespace dmarcsight::dns {

namespace {
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
}  // namespace

std::string canonical_name(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    for (char c : name) out += lower(c);
    if (!out.empty() && out.back() == '.') {
        // The final dot is the root label unless it is escaped (an odd run of backslashes).
        std::size_t slashes = 0;
        for (std::size_t i = out.size() - 1; i > 0 && out[i - 1] == '\\'; --i) ++slashes;
        if (slashes % 2 == 0) out.pop_back();
    }
    return out;
}

std::optional<std::string_view> parent_name(std::string_view canonical) {
    if (canonical.empty()) return std::nullopt;
    for (std::size_t i = 0; i < canonical.size(); ++i) {
        if (canonical[i] == '\\') {
            ++i;  // the escaped character is part of the label
            continue;
        }
        if (canonical[i] == '.') return canonical.substr(i + 1);
    }
    return std::string_view{};
}

std::string escape_label(std::string_view raw_label) {
    std::string out;
    out.reserve(raw_label.size());
    for (char c : raw_label) {
        if (c == '.' || c == '\\') out += '\\';
        out += lower(c);
    }
    return out;
}

std::size_t wire_length(std::string_view canonical) {
    if (canonical.empty()) return 1;
    std::size_t octets = 1 + 1;  // root label + the first label's length octet
    for (std::size_t i = 0; i < canonical.size(); ++i) {
        if (canonical[i] == '\\' && i + 1 < canonical.size()) {
            ++i;
            ++octets;
            continue;
        }
        ++octets;  // a content octet, or a '.' which becomes the next label's length octet
    }
    return octets;
}

// Declared in resolver.hpp.
std::string txt_rdata::joined() const {
    std::string out;
    for (const auto& s : strings) out += s;
    return out;
}

}  // namespace dmarcsight::dns
