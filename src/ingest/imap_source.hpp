// An IMAP folder as a mailbox source (`ingest --imap NAME|URL`, [mailboxes.NAME] url = …).
//
// One run: claim the folder (store::try_claim, so two workers never both take a message), UID
// SEARCH for its messages (RFC 3501 §6.4.4; UNSEEN when an action is "seen", since those stay),
// their sizes (UID FETCH … RFC822.SIZE), then per message, oldest first, at most `batch`: FETCH
// its bytes once (BODY[], RFC 3501 §6.4.5) — one over the size cap is not fetched but rejected
// with the reason, so it still files as invalid and the box drains — and hand them to the
// ingester. (FETCH BODY[] sets \Seen by itself, RFC 3501 §6.4.5, so "seen" also sets the keyword
// DmarcsightDone, and the SEARCH then skips messages with that keyword: a message fetched but not
// committed is still found next time.) When a batch commits, the committed messages are filed by verdict: UID MOVE (RFC
// 6851) to the folder, or UID COPY + UID STORE \Deleted + UID EXPUNGE (RFC 4315; plain EXPUNGE
// without UIDPLUS) where MOVE is missing; delete = STORE \Deleted + expunge; seen = STORE \Seen.
// A cut connection stops the run with an error after committing what was complete; what was not
// filed is read again next run and is a duplicate then (exact totals, nothing lost).
//
// Labels name the message without credentials: "imaps://alice@host/INBOX;UID=42".
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ingest/mailbox.hpp"
#include "net/imap_client.hpp"
#include "store/store.hpp"

namespace dmarcsight::ingest {

struct imap_plan {
    mailbox_actions actions;
    std::size_t batch = 100;
    std::size_t max_message_bytes = 64 * 1024 * 1024;
};

class imap_source {
public:
    imap_source(net::imap_session session, imap_plan plan);
    // For options::on_input_committed: queues the message for filing (done between commands).
    void on_committed(const committed_input& c);
    // One pass over the folder (at most plan.batch messages). An error is an environment error:
    // the server (connection, login, a refused command) or the store.
    result<void> run_once(ingester& ing, store::store& db, mailbox_counts& out);
    // Whether the server offers IDLE (RFC 2177); known after the first run.
    bool server_has_idle() const { return idle_; }
    // Whether more messages were waiting than one batch took.
    bool more_waiting() const { return more_; }
    net::imap_session& session() { return session_; }

private:
    result<void> file_committed(mailbox_counts& out);
    result<void> ensure_folder(const std::string& folder);
    std::string label_for(std::uint64_t uid) const;

    net::imap_session session_;
    imap_plan plan_;
    bool capabilities_known_ = false, move_ = false, uidplus_ = false, idle_ = false, more_ = false;
    char delimiter_ = 0;  // the server's hierarchy delimiter ('/' in folder names becomes it)
    std::set<std::string> created_;
    std::map<std::string, std::uint64_t> mine_;  // label → UID, handed to the ingester this run
    std::vector<std::pair<std::uint64_t, input_verdict>> to_file_;
};

}  // namespace dmarcsight::ingest
