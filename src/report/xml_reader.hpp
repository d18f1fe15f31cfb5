// A pull XML reader specialised for DMARC aggregate reports: streams from a byte_source through a
// bounded window, so a 300 MB report is parsed in constant memory.
//
// Trust: input is hostile. The reader refuses any DOCTYPE (so no entity can be declared, expanded
// or fetched), caps element depth and token size, refuses NUL bytes and character references to
// characters XML 1.0 forbids (&#0;), and never touches files or the network.
//
// Leniency (the recovery rules real reports need): leaf text is read up to its matching end tag,
// so an unescaped '<' or '&' inside a text field is kept as text with a warning rather than
// failing the document; undefined entity references stay literal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_source.hpp"
#include "core/result.hpp"

namespace dmarcsight::report {

class xml_reader {
public:
    enum class token { start, end, eof };

    // `buffer` is the reader's window; pass the same string for every document so its memory is
    // reused (fresh pages cost ~10 us each on these machines) instead of allocated per report.
    xml_reader(byte_source& in, std::string& buffer);

    // Next start or end tag, skipping whitespace text, comments, processing instructions and the
    // XML declaration. Non-whitespace text between structural tags is ignored with a warning.
    result<token> next_tag();

    // The current tag: local name (namespace prefix removed), whether it was <x/>.
    std::string_view name() const { return local_name_; }
    std::string_view qualified_name() const { return qname_; }
    bool self_closing() const { return self_closing_; }
    // Attribute value of the current start tag (raw, entities decoded), or empty.
    std::string attribute(std::string_view qname) const;

    // After a start tag: the element's text up to its matching end tag, entities decoded,
    // CDATA unwrapped, comments dropped. Consumes the end tag. Empty for <x/>.
    result<void> read_leaf_text(std::string& out);
    // After a start tag: skip the element and everything inside it (iteratively, depth-capped).
    result<void> skip_element();

    // Current nesting depth (number of open elements).
    int depth() const { return depth_; }
    // Bytes of input consumed so far (for error messages: "at byte N").
    std::int64_t offset() const { return base_offset_ + static_cast<std::int64_t>(pos_); }
    std::vector<std::string>& warnings() { return warnings_; }
    // Drain the rest of the input (after the root closed): true if only whitespace, comments,
    // PIs and end tags followed.
    result<bool> drain();

private:
    result<bool> fill(std::size_t need);  // make at least `need` bytes available; false at EOF
    result<void> parse_start_tag();
    result<void> parse_end_tag();
    result<void> skip_until(std::string_view terminator, const char* what);
    void warn_once(unsigned bit, std::string message);
    result<void> decode_text(std::string_view raw, std::string& out);

    byte_source& in_;
    std::string& buf_;
    std::size_t pos_ = 0, end_ = 0;
    std::int64_t base_offset_ = 0;
    bool eof_ = false;
    int depth_ = 0;

    std::string qname_;
    std::string_view local_name_;
    std::string attrs_;  // raw attribute text of the current start tag
    bool self_closing_ = false;
    // Qualified names of the open elements, back to back in one string (no allocation per
    // element); open_ends_ holds where each one ends.
    std::string open_names_;
    std::vector<std::size_t> open_ends_;
    std::string_view open_back() const;
    void open_pop();
    std::vector<std::string> warnings_;
    unsigned warned_ = 0;
};

}  // namespace dmarcsight::report
