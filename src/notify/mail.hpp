// The mail message (RFC 5322, MIME RFC 2045/2046/2047) built from a notify::message — a pure
// function, no I/O — and its delivery through SMTP (RFC 5321) with libcurl.
//
// What build_mail writes: Date, Message-ID, From, To, Subject (RFC 2047 B-encoded words when it is
// not plain ASCII), MIME-Version, X-Dmarcsight-Id; the body as text/plain, or multipart/alternative
// (text, then html: RFC 2046 §5.1.4, the last part is the preferred one) when there is html; UTF-8,
// quoted-printable (RFC 2045 §6.7); every line ends in CRLF and is at most 78 characters in
// the headers (folded, RFC 5322 §2.2.3) and 76 in the body (so far below the 998 limit of §2.1.1).
//
// Header injection is impossible: a CR or LF (or NUL) in the subject, an address or the id is an
// error, never copied into a header; addresses are bare local@domain, checked again here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "notify/notify.hpp"

namespace dmarcsight::notify {

struct mail_envelope {
    std::string from;             // local@domain
    std::vector<std::string> to;  // local@domain each
    std::int64_t date = 0;        // Unix seconds (the Date header, in UTC: "+0000")
    std::string message_id;       // "<left@right>"; "" = derived from the id, date and from domain
};

// The message as it goes on the wire after DATA (dot-stuffing is the SMTP client's job).
result<std::string> build_mail(const mail_envelope& e, const message& m);

// Pieces, for tests and the digest.
std::string rfc5322_date(std::int64_t unix_seconds);  // "Wed, 02 Dec 2026 14:00:00 +0000"
// An unstructured header value (Subject) as it follows "Name: ": folded ASCII when printable
// ASCII, else UTF-8 B encoded-words of at most 75 characters each (RFC 2047 §2), whole
// characters per word (§5(3)); `name_length` is the header name's length plus ": ".
result<std::string> encode_unstructured(std::string_view value, std::size_t name_length);
// Quoted-printable (RFC 2045 §6.7) of UTF-8 text: line breaks (LF or CRLF) become CRLF, lines of at
// most 76 characters with soft breaks, trailing spaces encoded, a leading "From " and "." encoded.
std::string quoted_printable(std::string_view text);

result<delivery> send_mail(const config::channel_settings& ch, const message& m);

}  // namespace dmarcsight::notify
