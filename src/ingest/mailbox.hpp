// Mailboxes as ingest sources: what happens to a message once its outcome is committed.
//
// A mailbox source (maildir_source.hpp, imap_source.hpp) hands each message to the ingester and
// hears, through options::on_input_committed, when the batch transaction that recorded it has
// committed; only then does it file the message by its verdict: move it to an archive folder,
// delete it, flag it seen, or leave it. A crash or a cut connection before that leaves the message
// where it was, and the next run reads it again: the store's dedup makes that a duplicate, so
// nothing is lost and nothing is counted twice.
//
// One worker per mailbox folder: a run holds store::try_claim("mailbox …") for the folder while
// it reads and files, so two workers (two machines on one PostgreSQL, or two timers) never both
// take a message; the second one finds the claim taken and says so.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "ingest/ingester.hpp"

namespace dmarcsight::ingest {

struct mailbox_action {
    enum class what { move, seen, remove, leave };
    what w = what::leave;
    std::string folder;  // move only
};

// "delete", "seen", "leave", or a folder name (config::valid_mailbox_action checked it).
mailbox_action parse_mailbox_action(std::string_view text);
std::string describe(const mailbox_action& a);  // "moved to Aggregate", "deleted", ...

struct mailbox_actions {
    mailbox_action aggregate{mailbox_action::what::move, "Aggregate"};
    mailbox_action failure{mailbox_action::what::move, "Failure"};
    mailbox_action tlsrpt{mailbox_action::what::move, "TLS"};
    mailbox_action invalid{mailbox_action::what::move, "Invalid"};
    const mailbox_action& for_verdict(input_verdict v) const;
};

// What one run did with the messages (committed outcomes only).
struct mailbox_counts {
    std::uint64_t seen = 0;       // messages found to read
    std::uint64_t filed = 0;      // moved, deleted or flagged after commit
    std::uint64_t left = 0;       // left in place by the "leave" action
    std::uint64_t gone = 0;       // gone before they were read (another client took them)
    std::uint64_t not_filed = 0;  // committed, but moving / deleting failed: read again next run
    bool claimed_elsewhere = false;  // another worker holds this mailbox: nothing was read
    std::vector<std::string> warnings;
};

}  // namespace dmarcsight::ingest
