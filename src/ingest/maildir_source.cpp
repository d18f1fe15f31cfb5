#include "ingest/maildir_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "mime/mailbox.hpp"

namespace dmarcsight::ingest {

namespace {

namespace fs = std::filesystem;

// A Maildir name collides only when two deliveries chose the same unique name; then ".N" is
// added before the info, at most this many times.
constexpr int max_rename_tries = 100;

bool has_seen_flag(const std::string& name) {
    const auto info = name.rfind(":2,");
    return info != std::string::npos && name.find('S', info + 3) != std::string::npos;
}

std::string base_of(const std::string& name) {
    const auto colon = name.rfind(':');
    return colon == std::string::npos ? name : name.substr(0, colon);
}

std::vector<std::string> list_folder(const std::string& folder, bool unseen_only) {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.empty() || name[0] == '.') continue;
        std::error_code sec;
        if (!it->is_regular_file(sec) || it->is_symlink(sec)) continue;
        if (unseen_only && has_seen_flag(name)) continue;
        out.push_back(it->path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

result<void> ensure_maildir(const std::string& d) {
    for (const std::string& sub : {d, d + "/cur", d + "/new", d + "/tmp"})
        if (::mkdir(sub.c_str(), 0700) != 0 && errno != EEXIST)
            return fail("cannot create the Maildir folder " + sub + ": " + std::strerror(errno));
    return {};
}

// rename(2) that never replaces a file; ".N" is added to the name when the target exists.
result<void> move_file(const std::string& from, const std::string& folder, const std::string& name) {
    const std::string base = base_of(name);
    const std::string info = name.size() > base.size() ? name.substr(base.size()) : "";
    for (int i = 0; i < max_rename_tries; ++i) {
        const std::string to = folder + "/" + (i ? base + "." + std::to_string(i) : base) + info;
        if (from == to) return {};
        if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return {};
        if (errno != EEXIST) return fail("cannot move " + from + " to " + folder + "/: " + std::strerror(errno));
    }
    return fail("cannot move " + from + " to " + folder + "/: " + std::to_string(max_rename_tries) + " files of that name");
}

}  // namespace

std::string maildir_with_flag(const std::string& name, char flag) {
    const auto info = name.rfind(":2,");
    std::string base = info == std::string::npos ? base_of(name) : name.substr(0, info);
    std::string flags = info == std::string::npos ? "" : name.substr(info + 3);
    if (flags.find(flag) == std::string::npos) flags += flag;
    std::sort(flags.begin(), flags.end());
    return base + ":2," + flags;
}

maildir_source::maildir_source(std::string dir, mailbox_actions actions) : dir_(std::move(dir)), actions_(std::move(actions)) {
    while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
}

void maildir_source::on_committed(const committed_input& c) {
    // A message file that starts with an mbox "From " line is read as an mbox: its message is
    // labelled "path#1". It is filed by its first message (a Maildir file holds one message).
    std::string path = c.label;
    if (!mine_.count(path))
        if (const auto hash = path.rfind('#'); hash != std::string::npos) path.resize(hash);
    if (!mine_.erase(path) || !counts_) return;
    const mailbox_action& a = actions_.for_verdict(c.verdict);
    const std::string name = fs::path(path).filename().string();
    result<void> r;
    switch (a.w) {
        case mailbox_action::what::leave: ++counts_->left; return;
        case mailbox_action::what::remove:
            if (::unlink(path.c_str()) != 0 && errno != ENOENT)
                r = fail("cannot delete " + path + ": " + std::strerror(errno));
            break;
        case mailbox_action::what::seen: r = move_file(path, dir_ + "/cur", maildir_with_flag(name, 'S')); break;
        case mailbox_action::what::move: {
            // Maildir++: a sub-folder is DIR/.NAME, its hierarchy separated by '.'.
            std::string sub = a.folder;
            std::replace(sub.begin(), sub.end(), '/', '.');
            const std::string folder = dir_ + "/." + sub;
            r = ensure_maildir(folder);
            if (r) r = move_file(path, folder + "/cur", maildir_with_flag(name, 'S'));
            break;
        }
    }
    if (r) {
        ++counts_->filed;
        return;
    }
    ++counts_->not_filed;
    counts_->warnings.push_back(r.err().message + " (it is read again next run)");
}

result<void> maildir_source::run(ingester& ing, store::store& db, mailbox_counts& out) {
    if (!mime::is_maildir(dir_)) return fail("'" + dir_ + "' is not a Maildir (it needs cur/, new/ and tmp/)");
    std::error_code ec;
    const fs::path canon = fs::canonical(dir_, ec);
    auto held = db.try_claim("mailbox maildir:" + (ec ? dir_ : canon.string()));
    if (!held) return unexpected{held.err()};
    if (!*held) {
        out.claimed_elsewhere = true;
        return {};
    }
    counts_ = &out;
    std::vector<std::string> messages = list_folder(dir_ + "/new", false);
    for (auto& m : list_folder(dir_ + "/cur", true)) messages.push_back(std::move(m));
    out.seen += messages.size();
    result<void> env;
    for (const auto& m : messages) {
        if (ing.interrupted()) break;
        if (::access(m.c_str(), F_OK) != 0) {
            ++out.gone;  // a mail client moved it meanwhile
            continue;
        }
        mine_.insert(m);
        env = ing.ingest_path(m);
        if (!env) break;
    }
    // Commit what was complete (also after an error or a stop), then file it: on_committed runs
    // inside finish(), while the claim is still held.
    auto f = ing.finish();
    mine_.clear();
    counts_ = nullptr;
    if (!env) return env;
    return f;
}

}  // namespace dmarcsight::ingest
