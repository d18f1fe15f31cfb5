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

// Standard input is spooled to a temporary file so it is read like a file; beyond the largest
// report we would parse (decompressed cap) it is not a report stream but a mistake.
inline constexpr std::uint64_t max_stdin_input = max_decompressed_report;

// Warnings kept on one stored report (later notes, such as conflicting copies, stop there).
inline constexpr std::size_t max_warnings_per_report = 64;

// Quarantine: raw bytes of rejected inputs are kept up to this size, else hash + size only.
inline constexpr std::uint64_t max_quarantined_input = 64 * MiB;

// Attacker text echoed in messages and logs is cut to this many bytes (Postfix's %.100s).
inline constexpr std::size_t max_logged_text = 100;

}  // namespace dmarcsight::limits

// ---- report parser (src/report/: xml_reader, aggregate_parser) ------------------------------
// Every text field is capped WHILE it is read: the reader keeps at most the cap (cut on a UTF-8
// character boundary) and scans the rest for the end tag without holding it, so a 1 MiB text node
// costs a window, not a string. Caps never go below the protocol's own maxima.
namespace dmarcsight::limits {
// A domain name in presentation form (RFC 1035 §2.3.4: 255 octets on the wire = 253 characters)
// is max_domain_length above; a DKIM selector is one or more labels of such a name (RFC 6376
// §3.1), so it gets the same cap. A record whose domain or selector is longer is dropped; a
// policy_published domain that is longer rejects the report.
inline constexpr std::size_t max_dkim_selector = max_domain_length;
// An e-mail address: RFC 5321 §4.5.3.1.3 caps a path at 256 octets including "<" and ">", so 254
// (RFC 3696 erratum 1690). Used for report_metadata <email> (longer => rejected) and for a record's
// envelope_from/envelope_to (RFC 7489 says domain, some reporters send the address; longer =>
// record dropped).
inline constexpr std::size_t max_email_address = 254;
// Free text: human_result, reason comment, error, extra_contact_info, generator. Real ones are a
// sentence ("sender SPF authorized", "DKIM-Signature verified"); longer is cut with a warning.
inline constexpr std::size_t max_report_free_text = 512;
// RFC token words (result, disposition, scope, reason type, p/sp/np/adkim/aspf/fo/testing, version,
// discovery_method): the longest defined one is ~20 characters ("trusted_forwarder"). Cut with a
// warning; an over-long word is not one of the defined values anyway.
inline constexpr std::size_t max_report_word = 64;
// Numbers and addresses as text: count (19 digits), epoch timestamps (with a fraction some send),
// pct, source_ip (45 characters for the longest IPv6 form). Longer cannot be valid: the field is
// treated as unparseable (record dropped, or report rejected for date_range).
inline constexpr std::size_t max_report_number = 64;
// org_name and report_id are the report's identity (de-duplication key): truncating them could
// merge two reports, so an absurd length rejects the report instead. Real report_ids are up to
// ~100 bytes (Google: 20 digits; Microsoft: 32 hex; some "<uuid>@host"); org names are shorter.
inline constexpr std::size_t max_report_identity = 1 * KiB;
// Text stored for one record, all its strings together. A real record is a few hundred bytes; 100
// DKIM results (RFC 9990 §3.1.3) of domain+selector+result are ~8 KB. More than this and the
// record is dropped with a warning, so one record adds at most a few KB to the store whatever its
// fields hold (100 results x 512-byte human_result would be 51 KB).
inline constexpr std::size_t max_record_text = 8 * KiB;
// Records that arrive before report_metadata and policy_published are held until both are read
// (reports put the header first; this only covers odd element orders). Beyond either cap the
// report is refused: bounded memory even for 10,000 maximal records.
inline constexpr std::size_t max_pending_records = 10'000;
inline constexpr std::size_t max_pending_record_bytes = 16 * MiB;
}  // namespace dmarcsight::limits
// ---- end report parser ----

// ---- dns module (src/dns/) ---------------------------------------------------------------------
namespace dmarcsight::limits {
// CNAME hops followed for one query. RFC 1034 §3.6.2 sets no number; BIND stops at 16 (max-cname
// chain of its resolver), Unbound at 11. Real chains are 1-3 hops.
inline constexpr int max_cname_chain = 16;
// A zone file read by load_file(): test and what-if zones are kilobytes; a mistaken path to a
// multi-GB file must not be slurped.
inline constexpr std::uint64_t max_zone_file = 64 * MiB;
// RFC 1035 §2.3.4: a label is at most 63 octets, a name at most 255 octets in wire form.
inline constexpr std::size_t max_dns_label = 63;
inline constexpr std::size_t max_dns_name_wire = 255;
// RFC 1035 §3.3: a <character-string> is a length octet and at most 255 octets.
inline constexpr std::size_t max_character_string = 255;
// RDATA is at most 65535 octets (RFC 1035 §3.2.1 RDLENGTH is 16 bits).
inline constexpr std::size_t max_rdata = 65535;
// Entries in the resolver cache (name+type). ~1 KiB each → ~10 MB worst case.
inline constexpr std::size_t max_dns_cache_entries = 10'000;
// TTLs are capped when caching (RFC 2181 §8 allows up to 2^31-1; resolvers cap at 1 day, Unbound's
// cache-max-ttl default). Negative answers: RFC 2308 §5 suggests 1-3 hours max; we use 3 hours.
inline constexpr std::uint32_t max_dns_cache_ttl = 86'400;
inline constexpr std::uint32_t max_dns_negative_ttl = 10'800;
// Responses read over TCP: at most 65535 octets (2-octet length prefix, RFC 1035 §4.2.2).
inline constexpr std::size_t max_dns_message = 65535;
// How long a server failure or time-out is remembered (RFC 9520 §3.2: at least 1 s, at most
// 5 min). Long enough that a dead server costs its time-out once per run, short enough for retries.
inline constexpr std::uint32_t dns_failure_cache_ttl = 30;
// EDNS0 UDP payload we advertise (DNS flag day 2020 value; avoids IP fragmentation).
inline constexpr int dns_edns_payload = 1232;
// One resolver query() in all — every server, every try and back-off, the TCP fallback after a
// truncated reply, and every CNAME continuation — ends within this (then rcode::timeout).
inline constexpr int dns_query_deadline_ms = 10'000;
// Queries one cares_resolver::query_many keeps in flight on its channel. A local recursive server
// (Unbound's num-queries-per-thread default is 1024, BIND's recursive-clients 1000) takes this
// many without dropping; more only fills its queue. c-ares multiplexes them on one UDP socket per
// server (16-bit query ids, so far below the 65536 ids of RFC 1035 §4.1.1).
inline constexpr std::size_t dns_max_in_flight = 256;
// ---- end dns module ----

// ---- enrich module (src/enrich/) --------------------------------------------------------------
// PTR targets of one IP that are checked forward (A/AAAA). RFC 1912 §2.1 asks for one PTR per
// address; a few hosts publish several (shared hosting lists dozens): the first few settle FCrDNS
// and bound the queries one hostile reverse zone can cause.
inline constexpr std::size_t enrich_max_ptr_targets = 4;
// A PTR name kept: a domain name in presentation form (RFC 1035 §2.3.4); longer is not a name.
inline constexpr std::size_t enrich_max_ptr_name = max_domain_length;
// How long a looked-up IP is believed: the PTR's TTL clamped to [1 day, 30 days] (reverse zones
// often say 5 minutes or 1 week; a report history neither needs minute-fresh data nor year-old).
inline constexpr std::int64_t enrich_min_ttl = 86'400;
inline constexpr std::int64_t enrich_max_ttl = 30 * 86'400;
// A temporary failure (time-out, SERVFAIL, REFUSED, an untrusted resolver's NXDOMAIN) is retried
// after an hour, never remembered as "no PTR".
inline constexpr std::int64_t enrich_error_ttl = 3'600;
// IPs handed to the resolver in one query_many batch (progress is reported between batches; the
// batch's answers are held in memory: a few MB).
inline constexpr std::size_t enrich_batch = 4'096;
// An AS name or a country code read from a geo database (files the user names are input too).
inline constexpr std::size_t enrich_max_as_name = 256;
// ---- end enrich module ----

// ---- auth records + posture checks (DMARC/DKIM/MTA-STS/TLS-RPT/BIMI parsers, `check`) --------
// One TXT record is at most 65535 octets of RDATA (RFC 1035 §3.3.14, 16-bit RDLENGTH).
inline constexpr std::size_t max_txt_record_text = 65535;
// Tags in one tag=value list (DMARC has 13 defined tags, DKIM keys 7): generous for unknown tags.
inline constexpr std::size_t max_record_tags = 64;
// URIs in one rua=/ruf= (or TLS-RPT rua=) list; RFC 7489 §6.2 only required receivers to use 2.
inline constexpr std::size_t max_report_uris = 16;
// TXT records examined at one name: more than this is a misconfiguration reported as such.
inline constexpr std::size_t max_txt_records_per_name = 32;
// RFC 9989 §4.10: a DNS Tree Walk makes at most 8 queries (>= 8 labels jump to 7).
inline constexpr std::size_t max_tree_walk_queries = 8;
inline constexpr std::size_t tree_walk_shortcut_labels = 7;
// Base64 text of one DKIM public key: an RSA-16384 SubjectPublicKeyInfo is ~2.8 KB of base64.
inline constexpr std::size_t max_dkim_key_base64 = 16 * KiB;
// DKIM key sizes (RFC 8301 §3.2): verifiers reject < 1024 bits; signers SHOULD use >= 2048.
inline constexpr unsigned dkim_rsa_min_bits = 1024;
inline constexpr unsigned dkim_rsa_recommended_bits = 2048;
// An MTA-STS policy file (RFC 8461 §3.3): a few lines; 64 KiB is far beyond any real one.
inline constexpr std::size_t max_mta_sts_policy = 64 * KiB;
inline constexpr std::size_t max_mta_sts_mx_patterns = 64;
// The HTTP response headers in front of it: a few hundred bytes in practice.
inline constexpr std::size_t max_mta_sts_response_headers = 16 * KiB;
// RFC 8461 §3.2: max_age is at most 31557600 seconds (about 1 year).
inline constexpr std::uint64_t max_mta_sts_max_age = 31'557'600;
// `dmarcsight check`: every DNS lookup and the MTA-STS policy fetch of one domain share one
// deadline (--timeout), so a dead or dripping server cannot hold a check for longer.
inline constexpr int check_domain_deadline_ms = 60'000;
// The MTA-STS policy fetch in all: connect, TLS, request and body (inside the domain's deadline).
inline constexpr int mta_sts_fetch_deadline_ms = 10'000;
// Domains named on one `dmarcsight check` command line / taken from the store.
inline constexpr std::size_t max_check_domains = 10'000;
// DKIM selectors checked for one domain (--selector plus those seen in stored reports).
inline constexpr std::size_t max_selectors_per_domain = 64;

// ---- mime module (src/mime/) ----
// A zip archive is read whole into memory to walk its central directory (APPNOTE 4.3.6): report
// archives are a few KB to a few MB; anything bigger is not a report archive.
inline constexpr std::size_t max_zip_archive = 64 * MiB;
// A zip member name is kept (as data, never as a path) up to this many bytes.
inline constexpr std::size_t max_zip_member_name = 1 * KiB;
// Bytes read ahead to sniff a container's magic number (gzip 2, zlib 2, zip 4).
inline constexpr std::size_t container_sniff_bytes = 8;
// Chunk of compressed input read from the upstream source per inflate() call.
inline constexpr std::size_t inflate_input_chunk = 64 * KiB;
// All bytes decompressed while unwrapping ONE input (every layer, every zip member together) stay
// under this many times the per-leaf cap: overlapping or nested zip members (16 x 16 x ... leaves
// of 768 MiB each from one small file) would otherwise be a CPU-time bomb.
inline constexpr std::uint64_t unwrap_total_factor = 2;
// An mbox "From " postmark line is recognised only within this many bytes of a line start.
inline constexpr std::size_t max_mbox_postmark_line = 1 * KiB;
// Chunk read from an mbox file at a time.
inline constexpr std::size_t mbox_read_chunk = 64 * KiB;
// Encoded-words (RFC 2047) decoded in one header value; the rest is left as is.
inline constexpr std::size_t max_encoded_words = 1000;
// RFC 2231 parameter continuations per parameter (name*0 .. name*N).
inline constexpr std::size_t max_param_sections = 100;
// ---- end mime module ----

// ---- auth module: SPF (src/auth/spf_*) ----
// RFC 7208 §4.6.4: DNS-querying terms (include, a, mx, ptr, exists, redirect) per check_host(),
// counted across the whole include/redirect recursion; one more is a permerror.
inline constexpr unsigned spf_max_dns_terms = 10;
// RFC 7208 §4.6.4: void lookups (NXDOMAIN or NODATA) per evaluation; one more is a permerror.
inline constexpr unsigned spf_max_void_lookups = 2;
// RFC 7208 §4.6.4: MX records one "mx" term may look up addresses for; more is a permerror.
inline constexpr std::size_t spf_max_mx_names = 10;
// RFC 7208 §4.6.4 / §5.5: PTR names processed by one "ptr" term or %{p}; the rest are ignored.
inline constexpr std::size_t spf_max_ptr_names = 10;
// RFC 7208 §7.3: a macro-expanded name is cut from the left to this many characters.
inline constexpr std::size_t spf_max_expanded_name = 253;
// Bytes one macro expansion may produce (an explanation or a name before §7.3 truncation): a
// record is at most a few KB, but "%{s}" repeated can multiply hostile input.
inline constexpr std::size_t spf_max_macro_output = 8 * KiB;
// Largest DIGIT transformer kept (RFC 7208 §7.3): a name has at most 127 labels.
inline constexpr std::size_t spf_max_macro_parts = 128;
// SPF record text parsed (joined TXT strings): a TXT RRset fits one 64 KiB DNS message.
inline constexpr std::size_t spf_max_record_length = 64 * KiB;
// Parsed records kept by one spf_record_cache (a busy receiver sees a few thousand policies), and
// the record text they may hold in all (hostile 64 KiB records must not pin 256 MiB).
inline constexpr std::size_t spf_record_cache_entries = 4096;
inline constexpr std::size_t spf_record_cache_bytes = 4 * MiB;
// Static analysis (analyze_spf): records walked in one include/redirect tree and DNS-querying
// terms followed before the walk stops: far above the evaluation limit of 10 so the report can
// say "needs 23 lookups", yet bounded against include loops and fan-out bombs.
inline constexpr std::size_t spf_analysis_max_records = 100;
inline constexpr unsigned spf_analysis_max_dns_terms = 200;
// ---- end auth module: SPF ----

// ---- catalog module: service catalogue files (data/services.toml and the user's own) ----
// A user's catalogue file is read whole and parsed into a DOM: the built-in one is ~100 KiB, so
// 4 MiB leaves room for a large private list while refusing a mistaken multi-GB file.
inline constexpr std::size_t catalog_max_file_size = 4 * MiB;
// [[service]] entries in one file (the built-in one has a few hundred).
inline constexpr std::size_t catalog_max_entries = 10'000;
// Values in one array of one entry (ptr_suffixes, asns, ...): real services need a handful.
inline constexpr std::size_t catalog_max_array = 256;
inline constexpr std::size_t catalog_max_name = 200;    // bytes of a service name
inline constexpr std::size_t catalog_max_text = 2048;   // bytes of setup or docs
// ---- end catalog module ----

// ---- analyze module: policy simulation ----
// Subdomains (header_from values under the policy domain) whose existence `policy` asks DNS
// about (np vs sp, RFC 9989 §3.2.13): spoofers invent names freely, so the largest by messages
// are asked and the rest stay "unknown" (sp applies to them).
inline constexpr std::size_t policy_max_existence_lookups = 2'000;
// (source IP, envelope domain) pairs `policy --with` re-evaluates SPF for, largest first.
inline constexpr std::size_t policy_max_spf_whatif_pairs = 20'000;
// ---- end analyze module ----

}  // namespace dmarcsight::limits

// ---- SMTP TLS reports (src/report/tlsrpt_parser) ----------------------------------------------
// RFC 8460 §4.4 reports are JSON documents of a few KB (one policy per policy domain, failure
// details aggregated by result type and address). Every cap below is checked while the JSON is
// read (SAX events), before a value is kept; a report beyond a cap is rejected with the reason.
namespace dmarcsight::limits {
// Decompressed bytes of one TLS report: the largest real ones (big receivers, many MX hosts and
// failure kinds) are tens of KB; 16 MiB is far beyond any real report and bounds the parse.
inline constexpr std::size_t max_tlsrpt_bytes = 16 * MiB;
// JSON nesting: the §4.4 schema is 4 deep (report/policies/[]/policy/policy-string/[]), extension
// members add a little. Deeper is refused before it is built (no recursion in parse or teardown).
inline constexpr std::size_t max_tlsrpt_depth = 16;
// JSON values (every scalar, object and array) in one report: bounds the memory of what is kept
// (a 16 MiB input of tiny values would otherwise be ~100 bytes of nodes per 2 input bytes).
inline constexpr std::size_t max_tlsrpt_values = 500'000;
// One JSON string (a policy-string line, additional-information, an extension's text).
inline constexpr std::size_t max_tlsrpt_string = 64 * KiB;
// policies[] in one report (one per policy domain and MX set a sender delivered to).
inline constexpr std::size_t max_tlsrpt_policies = 10'000;
// failure-details[] of one policy (aggregated by result type, sending and receiving address).
inline constexpr std::size_t max_tlsrpt_failure_details = 10'000;
// policy-string[] lines of one policy: an MTA-STS policy (RFC 8461 §3.2) has version, mode,
// max_age and up to max_mta_sts_mx_patterns mx lines; TLSA policies list their RRs.
inline constexpr std::size_t max_tlsrpt_policy_strings = 256;
// mx-host[] entries of one policy (erratum 6241 makes it an array of MX patterns).
inline constexpr std::size_t max_tlsrpt_mx_hosts = max_mta_sts_mx_patterns;
// A stored free-text field (additional-information URI, failure-reason-code, contact-info, one
// policy-string line): cut on a UTF-8 boundary with a warning beyond this.
inline constexpr std::size_t max_tlsrpt_text = 1 * KiB;
// An IP address as text (45 characters for the longest IPv6 form, with a zone or a scope a bit
// more); longer is not an address: the field is dropped with a warning.
inline constexpr std::size_t max_tlsrpt_ip = 64;
// A session count of one policy or failure detail: a trillion sessions a day is beyond any real
// sender, and keeps sums over millions of policies inside 64 bits.
inline constexpr std::uint64_t max_tlsrpt_sessions = 1'000'000'000'000ULL;
}  // namespace dmarcsight::limits
// ---- end SMTP TLS reports ----

// ---- failure reports (src/report/failure_parser: RFC 5965 / RFC 6591 / RFC 9991) -----------------
// A report mail carries one feedback part of ~10-25 fields and one sample (a message or its header).
namespace dmarcsight::limits {
// Fields read from the message/feedback-report part; further ones are ignored with a warning.
inline constexpr std::size_t max_failure_fields = 256;
// One field value kept (a DKIM-Canonicalized-* value, base64 of a header or body, gets the larger
// cap); longer is cut on a UTF-8 boundary with a warning.
inline constexpr std::size_t max_failure_field = 4 * KiB;
inline constexpr std::size_t max_failure_canonicalized = 64 * KiB;
// Values of a repeatable field kept (Original-Rcpt-To, Reported-Domain, Authentication-Results).
inline constexpr std::size_t max_failure_repeats = 64;
// Bytes of the sample looked at, header fields and Received hops kept of it, body bytes kept.
inline constexpr std::size_t max_failure_sample = 1 * MiB;
inline constexpr std::size_t max_failure_sample_headers = 256;
inline constexpr std::size_t max_failure_received = 64;
inline constexpr std::size_t max_failure_sample_body = 64 * KiB;
}  // namespace dmarcsight::limits
