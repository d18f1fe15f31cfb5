// DMARC failure (forensic) reports as plain values: the ARF machine-readable part (RFC 5965 §3.1,
// RFC 6591 §3.1 auth-failure fields, RFC 9991 §4) and the sample it carries (the failed message
// as message/rfc822 or its header as text/rfc822-headers, RFC 6591 §3.2). Strings are UTF-8.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dmarcsight::report {

// The failed message, as much of it as the reporter included.
struct failure_sample {
    std::string from, to, subject;  // RFC 2047-decoded to UTF-8
    std::string date, message_id;
    std::vector<std::string> received;                         // the Received chain, top first
    std::vector<std::pair<std::string, std::string>> headers;  // every field (name, unfolded raw value)
    std::string body;           // the body, cut to limits::max_failure_sample_body; empty when absent or dropped
    bool headers_only = false;  // text/rfc822-headers, or no body was included
    bool body_dropped = false;  // redacted: the body was not kept
};

struct failure_report {
    // RFC 5965 §3.1 required fields (Version is "1" in practice; RFC 6591 auth-failure).
    std::string feedback_type;  // lower-cased: "auth-failure"
    std::string user_agent, version;
    // RFC 6591 §3.1: dmarc, spf, dkim, signature, bodyhash, revoked (RFC 9991 §4 adds dmarc),
    // lower-cased, in order, without repeats.
    std::vector<std::string> auth_failure;
    std::string identity_alignment;  // RFC 9991 §4: none / dkim / spf / "dkim, spf"
    std::string source_ip;           // the address only (a comment after it is dropped)
    std::string arrival_date;        // as written
    std::optional<std::int64_t> arrival_epoch;  // parsed (RFC 5322 §3.3)
    std::string original_mail_from;
    std::vector<std::string> original_rcpt_to;  // RFC 5965 §3.2: may repeat
    std::string original_envelope_id;
    std::vector<std::string> reported_domain;  // RFC 5965 §3.2: may repeat; normalised
    std::string reporting_mta;
    std::string delivery_result;  // lower-cased: delivered / spam / policy / reject / other
    std::string dkim_domain, dkim_selector, dkim_identity;
    std::string dkim_canonicalized_header, dkim_canonicalized_body;  // base64 as written (RFC 6591 §3.1)
    std::string spf_dns;
    std::vector<std::string> authentication_results;
    std::int64_t incidents = 1;
    std::string message_id;  // the failed message's Message-ID: the sample's, else a feedback field

    failure_sample sample;
    bool has_sample = false;

    // The report e-mail itself.
    std::string report_from, report_subject, report_date, report_message_id;
    // No ARF part: read from the text of a receiver's own format (e.g. Exim's), best effort.
    bool best_effort = false;
    bool redacted = false;
    std::vector<std::string> warnings;

    // Who sent it: Reporting-MTA, else User-Agent, else the domain of the report mail's From.
    std::string reporter() const;
    // The de-duplication key's sample part: the Message-ID, else the Original-Envelope-Id.
    std::string sample_key() const;
    // The policy domain it is about: the first Reported-Domain, else the sample From's domain.
    std::string policy_domain() const;
};

}  // namespace dmarcsight::report
