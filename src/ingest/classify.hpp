// Deciding what an input is, from its content only (never its name). Pure functions over bytes
// and parsed MIME structure: no I/O, no store, fuzzed (fuzz/classify.cpp).
//
// The pipeline asks twice: what the outer bytes are (an mbox, an e-mail, or a payload to unwrap:
// gzip/zip/zlib/XML/JSON), then, for every leaf after unwrapping, which report kind it holds.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/report_kind.hpp"
#include "mime/message.hpp"

namespace dmarcsight::ingest {

// Bytes looked at to classify (a leaf's or an input's first bytes).
inline constexpr std::size_t classify_head_bytes = 1024;

enum class outer_kind {
    mbox,     // "From " postmark first (RFC 4155)
    email,    // RFC 5322 header fields first
    payload,  // anything else: unwrapped (gzip/zlib/zip) and classified leaf by leaf
    empty,    // no bytes at all
};
outer_kind classify_outer(std::string_view head);

struct leaf_class {
    report_kind kind = report_kind::none;
    std::string reason;  // for none / other_arf: why it is not ours
};

// A leaf (the plain bytes after containers are peeled) by its first bytes: XML whose root is
// <feedback> (or whose root cannot be seen in the first bytes, e.g. UTF-16) is an aggregate
// report; JSON with RFC 8460 §4.4 member names is a TLS report; anything else is not a report.
leaf_class classify_leaf(std::string_view head);

// An e-mail as a whole and part by part.
struct message_class {
    // Set when the message as a whole is a report or an ARF of another kind (RFC 5965): then
    // `parts` is empty. `none` means: look at `parts`.
    report_kind whole = report_kind::none;
    std::string reason;  // for whole == other_arf / failure: what it is
    // Parts that may carry a report (attachments, XML/JSON bodies, containers), in order; each
    // is unwrapped and classified leaf by leaf. `tlsrpt` marks an application/tlsrpt+* part.
    struct part {
        std::size_t index = 0;  // into message::leaves
        bool tlsrpt_type = false;
    };
    std::vector<part> parts;
};
message_class classify_message(const mime::message& m);

// The domain of the first address in a From value ("Name <a@b.example>" → "b.example").
std::string domain_of_address(std::string_view from);

}  // namespace dmarcsight::ingest
