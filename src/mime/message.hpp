// The e-mail walk: RFC 5322 header section, RFC 2045-2049 MIME structure, transfer decodings
// (base64, quoted-printable), RFC 2047 encoded-words and RFC 2231 parameters.
// Pure: bytes of one whole message in, values or an error out; no I/O.
//
// Trust: the message comes from anyone. Every loop is bounded by the message size and the caps in
// core/limits.hpp (header section size, part count, nesting depth); decoding is linear time.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace dmarcsight::mime {

struct header_field {
    std::string name;   // as written (case kept)
    std::string value;  // unfolded (RFC 5322 §2.2.3), trimmed, raw (not RFC 2047-decoded)
};

struct mime_part {
    // Lower-cased type/subtype; "text/plain" by default (RFC 2045 §5.2), "message/rfc822" inside
    // multipart/digest (RFC 2046 §5.1.5).
    std::string content_type;
    // Content-Type parameters: lower-cased names, RFC 2231 continuations and charsets decoded.
    std::map<std::string, std::string> params;
    // Content-Disposition filename or Content-Type name, RFC 2047/2231 decoded, UTF-8.
    std::string filename;
    std::string disposition;  // lower-cased: "attachment", "inline" or ""
    // The decoded body (base64 leniently: characters outside the alphabet are skipped as real MUAs
    // do; quoted-printable; 7bit/8bit/binary as they are).
    std::string body;
    std::vector<header_field> headers;  // this part's own header fields
    int depth = 0;                      // multipart nesting level (0 = the message itself)
    // The first value of a header field of this part, case-insensitive, "" if absent.
    std::string header(std::string_view name) const;
};

struct message {
    std::vector<header_field> headers;  // top-level header fields
    // The first value of a top-level header field, case-insensitive, "" if absent.
    std::string header(std::string_view name) const;
    std::string subject, from, date, message_id;  // subject and from RFC 2047-decoded to UTF-8
    std::string top_content_type;                 // e.g. "multipart/report"
    std::map<std::string, std::string> top_params;  // e.g. report-type=feedback-report
    // Every non-multipart part in order, including a single-part message's body. message/rfc822
    // parts are leaves holding the attached message's raw text (not descended into: an attached
    // original message is not the report).
    std::vector<mime_part> leaves;
    std::vector<std::string> warnings;  // e.g. "closing boundary never came; EOF ends the last part"
};

// RFC 5322 header field lines (or an mbox "From " line) at the start of `first_bytes`.
bool looks_like_message(std::string_view first_bytes);

// Parses one whole message (CRLF, LF or mixed line ends). Errors: over limits::max_message_size,
// a header section over limits::max_header_section, more than limits::max_mime_parts parts,
// multipart nesting over limits::max_mime_depth, "multipart boundary never appears".
result<message> parse_message(std::string_view raw);

// Helpers, exposed for the failure-report parser and tests.
// RFC 2047 encoded-words in a header value to UTF-8 (other text: invalid UTF-8 repaired).
std::string decode_header_words(std::string_view value);
// A charset-labelled byte string to UTF-8: UTF-8/US-ASCII as is (invalid UTF-8 replaced by
// U+FFFD), ISO-8859-1 and windows-1252 converted here, any other charset glibc's iconv knows
// converted by it; an unknown charset keeps its bytes with invalid UTF-8 replaced by U+FFFD.
std::string charset_to_utf8(std::string_view bytes, std::string_view charset);
// Lenient base64 (RFC 2045 §6.8: characters outside the alphabet are ignored). `skipped` counts
// ignored characters other than whitespace and '='.
std::string decode_base64(std::string_view in, std::size_t* skipped = nullptr);
// Quoted-printable (RFC 2045 §6.7); malformed '=' sequences are kept literally.
std::string decode_quoted_printable(std::string_view in);
// "type/subtype; a=b; c*0=..." → lower-cased type/subtype and the parameters (RFC 2045 §5.1,
// RFC 2231). Returns "" as type when the value has none.
std::string parse_content_type(std::string_view value, std::map<std::string, std::string>& params);
// Fields of a "Name: value" block such as message/feedback-report's body (RFC 5965 §3.1), unfolded.
std::vector<header_field> parse_fields(std::string_view block);

}  // namespace dmarcsight::mime
