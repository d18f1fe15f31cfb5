#include "ingest/imap_source.hpp"

#include <algorithm>

#include "ingest/imap_response.hpp"

namespace dmarcsight::ingest {

namespace {

// An IMAP quoted string (RFC 3501 §4.3): folder names were checked to hold no '"' or '\'.
std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// The keyword (RFC 3501 §2.3.2) a "seen" message gets besides \Seen, which FETCH sets anyway.
constexpr const char* done_keyword = "DmarcsightDone";

}  // namespace

imap_source::imap_source(net::imap_session session, imap_plan plan) : session_(std::move(session)), plan_(std::move(plan)) {}

std::string imap_source::label_for(std::uint64_t uid) const {
    std::string base = session_.shown_url();
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base + ";UID=" + std::to_string(uid);
}

void imap_source::on_committed(const committed_input& c) {
    const auto it = mine_.find(c.label);
    if (it == mine_.end()) return;
    to_file_.emplace_back(it->second, c.verdict);
    mine_.erase(it);
}

result<void> imap_source::ensure_folder(const std::string& folder) {
    if (created_.count(folder)) return {};
    // CREATE answers NO when the folder exists (RFC 3501 §6.3.3): that is fine; a real problem
    // shows in the MOVE that follows.
    (void)session_.command("CREATE " + quoted(folder));
    created_.insert(folder);
    return {};
}

result<void> imap_source::file_committed(mailbox_counts& out) {
    if (to_file_.empty()) return {};
    // Group by action, so a batch is a few commands, not a few per message.
    std::map<std::string, std::vector<std::uint64_t>> moves;
    std::vector<std::uint64_t> deletes, seen;
    for (const auto& [uid, verdict] : to_file_) {
        const mailbox_action& a = plan_.actions.for_verdict(verdict);
        switch (a.w) {
            case mailbox_action::what::move: moves[a.folder].push_back(uid); break;
            case mailbox_action::what::remove: deletes.push_back(uid); break;
            case mailbox_action::what::seen: seen.push_back(uid); break;
            case mailbox_action::what::leave: ++out.left; break;
        }
    }
    to_file_.clear();
    auto done = [&](const result<std::string>& r, std::vector<std::uint64_t>& uids, const std::string& what) {
        if (r) {
            out.filed += uids.size();
            return;
        }
        out.not_filed += uids.size();
        out.warnings.push_back(what + " failed: " + r.err().message + " (read again next run)");
    };
    auto expunge = [&](const std::string& set) -> result<std::string> {
        auto st = session_.command("UID STORE " + set + " +FLAGS.SILENT (\\Deleted)");
        if (!st) return st;
        return session_.command(uidplus_ ? "UID EXPUNGE " + set : std::string("EXPUNGE"));
    };
    for (auto& [name, uids] : moves) {
        std::sort(uids.begin(), uids.end());
        std::string folder = name;
        if (delimiter_ != 0 && delimiter_ != '/') std::replace(folder.begin(), folder.end(), '/', delimiter_);
        const std::string set = uid_set(uids);
        (void)ensure_folder(folder);
        result<std::string> r = move_ ? session_.command("UID MOVE " + set + " " + quoted(folder))
                                      : session_.command("UID COPY " + set + " " + quoted(folder));
        if (r && !move_) r = expunge(set);
        done(r, uids, "moving " + std::to_string(uids.size()) + " message(s) to " + folder);
    }
    if (!deletes.empty()) {
        std::sort(deletes.begin(), deletes.end());
        done(expunge(uid_set(deletes)), deletes, "deleting " + std::to_string(deletes.size()) + " message(s)");
    }
    if (!seen.empty()) {
        std::sort(seen.begin(), seen.end());
        done(session_.command("UID STORE " + uid_set(seen) + " +FLAGS.SILENT (\\Seen " + done_keyword + ")"), seen,
             "flagging " + std::to_string(seen.size()) + " message(s) seen");
    }
    return {};
}

result<void> imap_source::run_once(ingester& ing, store::store& db, mailbox_counts& out) {
    more_ = false;
    if (!capabilities_known_) {
        auto cap = session_.command("CAPABILITY");
        if (!cap) return unexpected{cap.err()};
        move_ = has_capability(*cap, "MOVE");
        uidplus_ = has_capability(*cap, "UIDPLUS");
        idle_ = has_capability(*cap, "IDLE");
        auto list = session_.command("LIST \"\" \"\"");
        if (list) delimiter_ = parse_list_delimiter(*list);
        capabilities_known_ = true;
    }
    std::string name = session_.shown_url();
    while (!name.empty() && name.back() == '/') name.pop_back();
    auto held = db.try_claim("mailbox " + name);
    if (!held) return unexpected{held.err()};
    if (!*held) {
        out.claimed_elsewhere = true;
        return {};
    }
    const auto& a = plan_.actions;
    const bool any_seen = a.aggregate.w == mailbox_action::what::seen || a.failure.w == mailbox_action::what::seen ||
                          a.tlsrpt.w == mailbox_action::what::seen || a.invalid.w == mailbox_action::what::seen;
    // NOOP first (RFC 3501 §6.1.2): a session that stays selected sees mail that arrived since its
    // last command only when the server syncs it, which Dovecot does after a command's result is
    // computed; without it, SEARCH misses what IDLE (on the other connection) just announced.
    if (auto synced = session_.command("NOOP"); !synced) return unexpected{synced.err()};
    auto found = session_.command(any_seen ? std::string("UID SEARCH UNDELETED UNKEYWORD ") + done_keyword : std::string("UID SEARCH UNDELETED"));
    if (!found) return unexpected{found.err()};
    std::vector<std::uint64_t> uids = parse_search(*found);
    if (uids.size() > plan_.batch) {
        more_ = true;
        uids.resize(plan_.batch);
    }
    if (uids.empty()) return {};
    auto sized = session_.command("UID FETCH " + uid_set(uids) + " (RFC822.SIZE)");
    if (!sized) return unexpected{sized.err()};
    const auto sizes = parse_sizes(*sized);
    out.seen += uids.size();

    result<void> env;
    std::string bytes;
    for (const std::uint64_t uid : uids) {
        if (ing.interrupted()) break;
        const auto size = sizes.find(uid);
        if (size == sizes.end()) {
            ++out.gone;  // expunged since the SEARCH (another client)
            continue;
        }
        const std::string label = label_for(uid);
        const std::string cap_text = std::to_string(plan_.max_message_bytes) + " bytes (max_message_bytes)";
        if (size->second > plan_.max_message_bytes) {
            mine_[label] = uid;
            env = ing.reject_input(label, "the message is " + std::to_string(size->second) + " bytes, over the cap of " +
                                              cap_text + "; not fetched");
        } else {
            auto got = session_.fetch(uid, plan_.max_message_bytes, bytes);
            if (!got) {
                env = unexpected{got.err()};
                break;
            }
            if (*got == net::fetch_status::gone) {
                ++out.gone;
                continue;
            }
            mine_[label] = uid;
            if (*got == net::fetch_status::too_big)
                env = ing.reject_input(label, "the message is larger than the cap of " + cap_text +
                                                  " (more than the server announced); not read");
            else
                env = ing.ingest_bytes(bytes, label);
        }
        if (!env) break;
        (void)file_committed(out);
    }
    // Commit what was complete (also after an error or a stop), then file it under the claim.
    auto f = ing.finish();
    (void)file_committed(out);
    mine_.clear();
    if (!env) return env;
    return f;
}

}  // namespace dmarcsight::ingest
