// The ingest pipeline, read straight down:
//
//   sources.hpp    path / folder / Maildir / mbox / stdin: each input opened once
//     → unwrap     mime::parse_message, mime::unwrap (gzip, zlib, zip)
//     → classify   classify.hpp, pure: aggregate | failure | tlsrpt | other ARF | not a report
//     → sink       one per kind: aggregate_sink.hpp stores aggregate reports; failure and TLS
//                  reports are kept (quarantine, content-addressed) until they are read
//     → outcome    every unit ends as exactly one of stored, duplicate, skipped, rejected
//
// Many units share a transaction (storage is the bottleneck); each report is one unit, kept or
// undone whole. Counts are those of committed work only. A bad input never stops the batch; an
// environment error (the store or the quarantine cannot be written) does, after committing what
// was complete.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "ingest/report_kind.hpp"
#include "store/store.hpp"

namespace dmarcsight::ingest {

struct unit_result {
    std::string label;  // names the unit: "path", "box.mbox#12", "a.zip>zip:member.xml"
    store::outcome result = store::outcome::rejected;
    report_kind kind = report_kind::none;
    std::string reason;  // why rejected / skipped; notes on duplicates
    std::vector<std::string> warnings;
    std::uint64_t records = 0, messages = 0;
    std::string quarantined;  // file name in the quarantine folder, when the bytes were kept
    bool unchanged = false;   // rejected before with the same bytes (SHA-256): nothing new
};

struct totals {
    std::uint64_t inputs = 0;  // files, messages, stdin
    std::uint64_t stored = 0, duplicate = 0, skipped = 0, rejected = 0;
    std::uint64_t unchanged = 0;              // of the rejected: the same bytes rejected before
    std::uint64_t records = 0, messages = 0;  // stored ones; messages saturating
    std::uint64_t bytes = 0;                  // raw input bytes read
};

// Where a mailbox files an input once its outcome is committed (the [mailboxes] actions): the
// kind of report it held, or invalid (rejected, unreadable, or not a report at all).
enum class input_verdict { aggregate, failure, tlsrpt, invalid };
constexpr std::string_view to_string(input_verdict v) {
    switch (v) {
        case input_verdict::aggregate: return "aggregate";
        case input_verdict::failure: return "failure";
        case input_verdict::tlsrpt: return "tlsrpt";
        case input_verdict::invalid: return "invalid";
    }
    return "invalid";
}

// One input whose outcome is now committed: its label (as the source named it) and its verdict.
struct committed_input {
    std::string label;
    input_verdict verdict = input_verdict::invalid;
};

// The verdict of an input from its units: the first report kind among units that were kept
// (stored, duplicate, skipped), aggregate before failure before TLS; none kept: invalid.
input_verdict verdict_of(const std::vector<unit_result>& units);


// Failure reports' samples (ingest/failure_redact.hpp): stored redacted when `redact` is set.
struct failure_options {
    bool redact = false;     // --redact, [ingest] redact_failure_samples
    std::string redact_key;  // the keyed hash's key ([ingest] redact_key); the same key, the same hashes
};

struct options {
    std::string db_path;  // never read as an input (nor its journal files or quarantine)
    std::string quarantine_dir;
    bool keep_raw = false;  // keep every report's bytes, not only rejected/skipped/damaged ones
    failure_options failure;
    // Called after every unit (for progress); `pending` counts include the open batch.
    std::function<void(const unit_result&, const totals& pending)> on_unit;
    // Called for every committed unit that was rejected (for the per-input lines).
    std::function<void(const unit_result&)> on_committed_rejection;
    // Called once per input, after the transaction that recorded its outcome committed (never
    // before: a source that moves or deletes the message must not lose it to a failed batch).
    // An input whose batch failed is never reported: it stays where it is for the next run.
    std::function<void(const committed_input&)> on_input_committed;
};

// SIGINT / SIGTERM: async-signal-safe; the run finishes (or undoes) the current input, commits
// what is complete and stops.
void request_stop(int signal_number);
int stop_signal();  // 0 when no stop was requested

class ingester {
public:
    ingester(store::store& db, options opt);
    ~ingester();
    // A file, a folder (recursive; Maildir aware) or an mbox. An error is an environment error
    // (the path does not exist, the store or quarantine failed); bad or unreadable content never is.
    result<void> ingest_path(const std::string& path);
    // Standard input, sniffed like a file (mbox, e-mail, gzip, zip, XML, JSON).
    result<void> ingest_stdin();
    // Bytes this store kept (the quarantine file at `path`) read again as the input `label` they
    // came from (`reprocess`): the outcome replaces that label's earlier one. The file is ours:
    // the guard that keeps the quarantine from being an input does not apply.
    result<void> ingest_kept(const std::string& path, const std::string& label);
    // Bytes already in memory (tests, IMAP later), named by `label`.
    result<void> ingest_bytes(std::string_view bytes, const std::string& label);
    // An input the source could not hand over (an IMAP message over the size cap): rejected
    // with this reason, like an unreadable file; its verdict is invalid.
    result<void> reject_input(const std::string& label, const std::string& reason);
    // Commits what is pending. Call once at the end (also after an error or a stop).
    result<void> finish();
    // Committed work only.
    const totals& counts() const;
    bool interrupted() const { return stop_signal() != 0; }
    // When a path named by the user is one of ours (the database ...): what it is.
    std::vector<std::string> ignored_paths() const;

private:
    struct impl;
    std::unique_ptr<impl> p_;
};

}  // namespace dmarcsight::ingest
