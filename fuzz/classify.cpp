// Fuzz target: ingest/classify.hpp over arbitrary bytes: the outer sniff, the leaf classifier and
// (when the bytes parse as an e-mail) the message classifier. Invariants: no crash/UB/leak, every
// reason is valid UTF-8 and safe to print, every part index points at a leaf of the message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/text.hpp"
#include "ingest/classify.hpp"
#include "mime/message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dmarcsight;
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const std::string_view head = in.substr(0, ingest::classify_head_bytes);
    (void)ingest::classify_outer(head);
    const auto leaf = ingest::classify_leaf(head);
    if (!text::is_valid_utf8(leaf.reason)) std::abort();
    if (leaf.kind == ingest::report_kind::none && leaf.reason.empty()) std::abort();
    (void)ingest::domain_of_address(head);
    auto m = mime::parse_message(in);
    if (!m) return 0;
    const auto c = ingest::classify_message(*m);
    if (!text::is_valid_utf8(c.reason)) std::abort();
    if (c.whole != ingest::report_kind::none && !c.parts.empty()) std::abort();
    for (const auto& p : c.parts)
        if (p.index >= m->leaves.size()) std::abort();
    return 0;
}
