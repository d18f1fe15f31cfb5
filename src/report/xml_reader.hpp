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
//
// Characters: the same rules hold for text, CDATA sections and attribute values. C0 controls other
// than TAB/LF/CR (not XML 1.0 §2.2 characters) that appear literally become U+FFFD with a warning;
// CR and CR LF become LF (§2.11); invalid UTF-8 becomes U+FFFD. A character reference to a
// character XML forbids (&#0;, &#x1b;) rejects the document. DEL and C1 controls are XML
// characters: stored as sent, and escaped by every output (terminal, CSV, JSON).
//
// Windowing: every decision about a token is taken only after the window holds the longest token
// tested at that point ("<![CDATA[", "<!DOCTYPE", "</name>"), or the input has ended; the result
// never depends on how the source splits its reads.
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
    // Attribute value of the current start tag (entities decoded, same character rules as text),
    // at most `max_bytes` bytes of it, or empty.
    std::string attribute(std::string_view qname, std::size_t max_bytes) const;

    // After a start tag: the element's text up to its matching end tag, entities decoded, CDATA
    // unwrapped, comments and PIs dropped, XML white space trimmed at both ends. Consumes the end
    // tag. Empty for <x/>. At most `max_bytes` bytes are kept, cut on a UTF-8 character boundary;
    // the rest is scanned (and checked) but never held, so a huge text node costs no memory.
    // Returns true if text was cut off.
    result<bool> read_leaf_text(std::string& out, std::size_t max_bytes);
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
    result<void> open_element(std::int64_t at);
    result<void> parse_end_tag();
    result<void> skip_until(std::string_view terminator, const char* what);
    void warn_once(unsigned bit, std::string message);

    // Where decoded text goes: at most `limit` bytes (the caller's cap plus a little slack so the
    // final cut can fall on a character boundary); `cut` records that non-blank text was dropped.
    struct text_sink {
        std::string& out;
        std::size_t limit;
        bool cut = false;
        bool scrub = false;  // a byte >= 0x80 was kept: UTF-8 repair needed
        void put(char c);
        void put(std::string_view s);
    };
    // Decodes a piece of raw text (no markup other than literal '<') into `sink`: entities, CR LF,
    // control characters. CDATA content takes the same path without entity decoding.
    result<void> decode_text(std::string_view raw, text_sink& sink);
    void decode_cdata(std::string_view raw, text_sink& sink);
    // Trims, repairs UTF-8 and cuts to `max_bytes`: returns whether text was cut.
    bool finish_text(text_sink& sink, std::size_t max_bytes);
    // Length of the prefix of raw text that decodes the same whatever follows it (no entity or
    // CR LF pair is split).
    static std::size_t stable_prefix(std::string_view raw);

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
