// The ingest pipeline: inputs (files, folders, mbox, Maildir, standard input) → MIME → containers →
// report parsers → store. Each report is one unit, kept or undone whole inside a savepoint; many
// units share a transaction (storage is the bottleneck). Every unit ends as exactly one of stored,
// duplicate, skipped (failure / TLS reports, recognised and counted) or rejected (bytes kept in
// quarantine, reason naming the input). A bad input never stops the rest of the batch.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/store.hpp"

namespace dmarcsight::ingest {

struct unit_result {
    std::string label;  // names the input: "path", "box.mbox#12", "a.zip>zip:member.xml"
    store::outcome result = store::outcome::rejected;
    std::string kind;    // aggregate | failure | tlsrpt | unknown
    std::string reason;  // why rejected / skipped; notes on duplicates
    std::vector<std::string> warnings;
    std::uint64_t records = 0, messages = 0;
    std::string quarantined;  // file name in the quarantine folder, if the bytes were kept
};

struct totals {
    std::uint64_t inputs = 0;  // files, messages, stdin
    std::uint64_t stored = 0, duplicate = 0, skipped = 0, rejected = 0;
    std::uint64_t records = 0, messages = 0;  // stored ones; messages saturating
    std::uint64_t bytes = 0;                  // raw input bytes read
};

struct options {
    std::string quarantine_dir;
    bool keep_raw = false;  // keep every report's bytes, not only rejected/damaged ones
    // Called after every unit (for progress and per-input lines).
    std::function<void(const unit_result&, const totals&)> on_unit;
};

class ingester {
public:
    ingester(store::store& db, options opt);
    ~ingester();
    // A file, a folder (recursive; Maildir aware) or an mbox. An error here is an environment
    // error (the path cannot be read at all, or the store failed); bad content never is.
    result<void> ingest_path(const std::string& path);
    // Standard input, read whole (capped).
    result<void> ingest_stdin();
    // Bytes already in memory (tests, IMAP later), named by `label`.
    result<void> ingest_bytes(std::string_view bytes, const std::string& label);
    // Commits what is pending. Call once at the end.
    result<void> finish();
    const totals& counts() const { return totals_; }

private:
    struct impl;
    std::unique_ptr<impl> p_;
    totals totals_;
};

}  // namespace dmarcsight::ingest
