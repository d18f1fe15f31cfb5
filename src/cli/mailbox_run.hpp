// `ingest --maildir DIR | --imap NAME|URL | --mailbox NAME [--watch]`: the mailbox named on the
// command line or in [mailboxes.NAME], resolved to a source, and the loop that runs it.
#pragma once

#include <memory>
#include <string>

#include "config/config.hpp"
#include "core/result.hpp"
#include "ingest/imap_source.hpp"
#include "ingest/maildir_source.hpp"

namespace dmarcsight::cli {

struct mailbox_request {
    std::string maildir;  // --maildir DIR
    std::string imap;     // --imap NAME (a [mailboxes.NAME] with a url) or imap[s]://user@host/FOLDER
    std::string mailbox;  // --mailbox NAME (either kind)
    std::string ca_file;  // --ca-file, for a bare URL
    bool any() const { return !maildir.empty() || !imap.empty() || !mailbox.empty(); }
};

struct mailbox_job {
    std::string shown;  // what messages call it (no credentials)
    int poll_seconds = 60;
    std::unique_ptr<ingest::maildir_source> maildir;
    std::unique_ptr<ingest::imap_source> imap;
    net::imap_options idle_options;  // for --watch's IDLE connection
    // The IMAP secret as configured: a password_file / token_file is read again before every pass
    // (an OAuth2 access token lives about an hour; a helper that refreshes it rewrites the file).
    config::secret password, token;
    void on_committed(const ingest::committed_input& c) {
        if (maildir) maildir->on_committed(c);
        if (imap) imap->on_committed(c);
    }
};

// A bad name, URL or missing secret is a usage error (message without secrets).
result<std::unique_ptr<mailbox_job>> resolve_mailbox(const mailbox_request& r);

// One pass, or with `watch` passes until SIGINT/SIGTERM: IMAP IDLE where the server offers it,
// else a poll every poll_seconds; a failed pass is retried with exponential backoff (1 s … 5 min).
// Without watch an error is returned (exit 2); with watch it is printed and retried.
result<void> run_mailbox(mailbox_job& job, ingest::ingester& ing, store::store& db, bool watch, bool quiet,
                         ingest::mailbox_counts& counts);

}  // namespace dmarcsight::cli
