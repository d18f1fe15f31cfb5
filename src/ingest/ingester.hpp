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
    // Bytes already in memory (tests, IMAP later), named by `label`.
    result<void> ingest_bytes(std::string_view bytes, const std::string& label);
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
