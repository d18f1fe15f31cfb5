// Fuzz target: the e-mail walk (parse_message) and the header helpers over arbitrary bytes.
// Invariants checked: no crash/UB/leak, and every decoded text value is valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/text.hpp"
#include "mime/message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dmarcsight;
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    (void)mime::looks_like_message(in.substr(0, 1024));
    if (!text::is_valid_utf8(mime::decode_header_words(in.substr(0, 4096)))) std::abort();
    auto m = mime::parse_message(in);
    if (!m) return 0;
    if (!text::is_valid_utf8(m->subject) || !text::is_valid_utf8(m->from)) std::abort();
    for (const auto& part : m->leaves) {
        if (!text::is_valid_utf8(part.filename)) std::abort();
        if (part.depth < 0 || part.depth > 8) std::abort();
        if (part.content_type == "message/feedback-report") (void)mime::parse_fields(part.body);
    }
    return 0;
}
