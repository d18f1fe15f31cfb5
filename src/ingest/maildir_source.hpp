// A Maildir as a mailbox source (`ingest --maildir DIR`, or [mailboxes.NAME] maildir = "DIR").
// Reads DIR/new/ and the messages of DIR/cur/ not flagged seen (the Maildir "info" suffix
// ":2,FLAGS" without S), never tmp/ (messages being written) and never the Maildir++ sub-folders
// (.Aggregate …: where processed messages go). After commit each message is filed by its verdict
// with rename(2) only (atomic, never a copy; RENAME_NOREPLACE, so no message is overwritten):
//   a folder F  → DIR/.F/cur/NAME:2,S   (Maildir++ folder, created when missing; F's '/' → '.')
//   seen        → DIR/cur/NAME:2,S       (new/ → cur/, the S flag added to any others)
//   delete      → unlinked
//   leave       → untouched (read again by the next run: a duplicate then)
// A folder walked as a path (`ingest DIR`) is read as before and never changed.
#pragma once

#include <set>
#include <string>

#include "ingest/mailbox.hpp"
#include "store/store.hpp"

namespace dmarcsight::ingest {

class maildir_source {
public:
    maildir_source(std::string dir, mailbox_actions actions);
    // For options::on_input_committed: files the message once its outcome is committed.
    void on_committed(const committed_input& c);
    // Claims the Maildir, reads its unread messages, commits (ing.finish()) and files them.
    // An error is an environment error (not a Maildir, the store failed).
    result<void> run(ingester& ing, store::store& db, mailbox_counts& out);

private:
    std::string dir_;
    mailbox_actions actions_;
    std::set<std::string> mine_;  // the paths this run handed to the ingester
    mailbox_counts* counts_ = nullptr;
};

// The Maildir "info" of a file name: ("1700000000.M1P2.host", "2,RS") from "…host:2,RS";
// flags are kept in ASCII order, as the Maildir spec asks.
std::string maildir_with_flag(const std::string& name, char flag);

}  // namespace dmarcsight::ingest
