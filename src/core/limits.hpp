// Every cap on untrusted input, in one place, with the reason for its size. Reports come from
// anyone on the internet: each loop over input-controlled data is bounded by one of these.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dmarcsight::limits {

inline constexpr std::size_t KiB = 1024;
inline constexpr std::size_t MiB = 1024 * KiB;

// Decompressed bytes of one report. Real reports are at most a few tens of MB; the largest
// legitimate test report is ~300 MB (400,000 records). A 2 GiB bomb must stop well before the end.
inline constexpr std::uint64_t max_decompressed_report = 768 * MiB;
// Members walked in one zip archive: a report archive holds one report (mox: exactly one).
inline constexpr std::size_t max_zip_members = 16;
// Container layers (zip in gzip in e-mail ...): real reports use at most two.
inline constexpr int max_container_depth = 4;

// E-mail (RFC 5322 / MIME).
inline constexpr std::size_t max_message_size = 128 * MiB;  // one e-mail held in memory
inline constexpr std::size_t max_header_section = 1 * MiB;  // all header lines of one entity
inline constexpr std::size_t max_mime_parts = 100;          // report mails have 1-5 parts
inline constexpr int max_mime_depth = 8;                     // multipart nesting

// XML.
inline constexpr int max_xml_depth = 64;                     // feedback/record/auth_results/dkim/... is 5
inline constexpr std::size_t max_xml_token = 1 * MiB;        // one text node, tag or attribute list
inline constexpr std::size_t max_text_field = 64 * KiB;      // a stored text value (comments, names)
inline constexpr std::size_t max_domain_length = 253;        // RFC 1035 §2.3.4 (presentation form)
inline constexpr std::size_t max_records_per_report = 10'000'000;
inline constexpr std::size_t max_auth_results_per_record = 100;  // RFC 9990 §3.1.3: <= 100 signatures
inline constexpr std::size_t max_reasons_per_record = 32;
inline constexpr std::size_t max_report_errors = 64;

// Quarantine: raw bytes of rejected inputs are kept up to this size, else hash + size only.
inline constexpr std::uint64_t max_quarantined_input = 64 * MiB;

// Attacker text echoed in messages and logs is cut to this many bytes (Postfix's %.100s).
inline constexpr std::size_t max_logged_text = 100;

}  // namespace dmarcsight::limits
