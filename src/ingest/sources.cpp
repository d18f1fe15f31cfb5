#include "ingest/sources.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/limits.hpp"
#include "ingest/classify.hpp"
#include "mime/mailbox.hpp"

namespace dmarcsight::ingest {

namespace {

namespace fs = std::filesystem;

// Folder recursion bound (symlinked folders are never followed, so this only stops absurd trees).
constexpr int max_dir_depth = 64;

// Absolute, symlinks resolved; for a path that does not exist (yet), its resolved parent and name.
std::string canonical_name(const std::string& path) {
    if (path.empty()) return {};
    char buf[PATH_MAX];
    // realpath resolves every folder of the path again, a readlink each: for the inputs of one
    // folder, that was ~10 system calls per input. An existing leaf that is no symlink resolves
    // to its folder's answer plus its name, and the folder's answer is remembered.
    if (const auto slash = path.rfind('/'); slash != std::string::npos && slash > 0 && slash + 1 < path.size()) {
        const std::string_view leaf = std::string_view(path).substr(slash + 1);
        struct stat st;
        if (leaf != "." && leaf != ".." && ::lstat(path.c_str(), &st) == 0 && !S_ISLNK(st.st_mode)) {
            thread_local std::string folder, resolved;
            const std::string_view dir = std::string_view(path).substr(0, slash);
            bool known = !folder.empty() && dir == folder;
            if (!known && ::realpath(std::string(dir).c_str(), buf) != nullptr) {
                folder.assign(dir);
                resolved.assign(buf);
                known = true;
            }
            if (known) return (resolved == "/" ? std::string() : resolved) + "/" + std::string(leaf);
        }
    }
    if (::realpath(path.c_str(), buf) != nullptr) return buf;
    std::error_code ec;
    const fs::path p = fs::absolute(fs::path(path), ec);
    if (ec) return path;
    if (::realpath(p.parent_path().c_str(), buf) != nullptr) return (fs::path(buf) / p.filename()).string();
    return p.lexically_normal().string();
}


result<void> read_one_file(const std::string& path, const input_guard& guard, input_sink& sink) {
    if (guard.ours(path)) return {};
    // Never open what is not a regular file (a FIFO would block, /dev/zero never ends).
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return sink.on_unreadable(path, std::string("cannot read: ") + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return sink.on_unreadable(path, std::string("refused: it is ") + file_type_name(st.st_mode) + ", not a regular file");
    auto in = input::open_file(path);
    if (!in) return sink.on_unreadable(path, in.err().message);
    if (guard.ours(path, in->device(), in->inode())) return {};
    return read_file_input(*in, sink);
}

result<void> walk(const std::string& dir, int depth, const input_guard& guard, input_sink& sink) {
    if (guard.ours(dir)) return {};
    if (depth > max_dir_depth)
        return sink.on_unreadable(dir, "folders nested deeper than " + std::to_string(max_dir_depth) + "; not read");
    std::vector<fs::directory_entry> entries;
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    for (fs::directory_iterator end; !ec && it != end; it.increment(ec)) entries.push_back(*it);
    if (ec) return sink.on_unreadable(dir, "cannot read folder: " + ec.message());
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.path() < b.path(); });
    const bool maildir = mime::is_maildir(dir);
    if (maildir) {
        // RFC-less but universal Maildir rule: new/ and cur/ hold delivered messages; tmp/ holds
        // messages being written, which are never read.
        for (const char* sub : {"new", "cur"}) {
            const std::string sd = (fs::path(dir) / sub).string();
            std::error_code sec;
            fs::directory_iterator probe(sd, sec);
            if (sec) {
                auto r = sink.on_unreadable(sd, "cannot read folder: " + sec.message());
                if (!r) return r;
            }
        }
        for (const auto& m : mime::maildir_messages(dir)) {
            if (sink.stop_requested()) return {};
            auto r = read_one_file(m, guard, sink);
            if (!r) return r;
        }
    }
    for (const auto& e : entries) {
        if (sink.stop_requested()) return {};
        const std::string path = e.path().string();
        std::error_code sec;
        const bool link = e.is_symlink(sec);
        const auto status = e.status(sec);  // follows links
        if (fs::is_directory(status)) {
            if (link) continue;  // never follow a folder link (loops, escapes)
            const auto name = e.path().filename().string();
            if (maildir && (name == "cur" || name == "new" || name == "tmp")) continue;
            auto r = walk(path, depth + 1, guard, sink);
            if (!r) return r;
            continue;
        }
        if (link && sec) continue;  // a dangling link: nothing to read
        auto r = read_one_file(path, guard, sink);
        if (!r) return r;
    }
    return {};
}

}  // namespace

input_guard::input_guard(const std::string& db_path, const std::string& quarantine_dir) {
    add(db_path, "the database itself", false);
    add(db_path + "-wal", "the database's write-ahead log", false);
    add(db_path + "-shm", "the database's shared-memory file", false);
    add(db_path + "-journal", "the database's rollback journal", false);
    add(db_path + ".claims", "the database's claims file", false);
    add(quarantine_dir, "the quarantine folder", true);
}

void input_guard::add(const std::string& path, std::string what, bool folder) {
    if (path.empty() || path == "-wal" || path == "-shm" || path == "-journal" || path == ".claims") return;
    entry e;
    e.canonical = canonical_name(path);
    e.what = std::move(what);
    e.folder = folder;
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) {
        e.dev = static_cast<std::uint64_t>(st.st_dev);
        e.ino = static_cast<std::uint64_t>(st.st_ino);
    }
    entries_.push_back(std::move(e));
}

std::optional<std::string> input_guard::ours(const std::string& path, std::uint64_t dev, std::uint64_t ino) const {
    if (entries_.empty()) return std::nullopt;
    std::string name;
    for (const auto& e : entries_) {
        if (ino != 0 && e.ino == ino && e.dev == dev) return e.what;
        if (name.empty()) name = canonical_name(path);
        if (name == e.canonical) return e.what;
        if (e.folder && name.size() > e.canonical.size() && name.compare(0, e.canonical.size(), e.canonical) == 0 &&
            name[e.canonical.size()] == '/')
            return "inside " + e.what;
    }
    if (ino == 0) {
        // Not opened yet: a hard link to one of ours has another name but the same inode.
        struct stat st;
        if (::stat(path.c_str(), &st) == 0)
            for (const auto& e : entries_)
                if (e.ino != 0 && e.ino == static_cast<std::uint64_t>(st.st_ino) && e.dev == static_cast<std::uint64_t>(st.st_dev))
                    return e.what;
    }
    return std::nullopt;
}

result<void> read_file_input(input& in, input_sink& sink) {
    auto head = in.head(classify_head_bytes);
    if (!head) return sink.on_unreadable(in.label(), head.err().message);
    if (classify_outer(*head) != outer_kind::mbox) return sink.on_input(in);
    auto reader = mime::mbox_reader::open_fd(in.fd(), in.label());
    if (!reader) return sink.on_unreadable(in.label(), reader.err().message);
    std::string message;
    std::size_t index = 0;
    std::uint64_t offset = 0;
    for (;;) {
        if (sink.stop_requested()) return {};
        auto more = reader->next(message, index, offset);
        const std::string label = in.label() + "#" + std::to_string(index);
        if (!more) {
            auto r = sink.on_unreadable(label, "mbox message at byte " + std::to_string(offset) + ": " + more.err().message);
            if (!r) return r;
            continue;
        }
        if (!*more) return {};
        input msg = input::from_memory(message, label);
        auto r = sink.on_input(msg);
        if (!r) return r;
    }
}

result<void> read_path(const std::string& path, const input_guard& guard, input_sink& sink) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) return fail("cannot read '" + path + "': no such file or folder");
        return sink.on_unreadable(path, std::string("cannot read: ") + std::strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) return walk(path, 0, guard, sink);
    return read_one_file(path, guard, sink);
}

result<void> read_stdin(input_sink& sink) {
    const char* tmpdir = std::getenv("TMPDIR");
    const std::string dir = tmpdir && *tmpdir ? tmpdir : "/tmp";
    // O_TMPFILE: an unlinked file that disappears with the process, whatever happens.
    int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
        std::string name = dir + "/dmarcsight-stdin-XXXXXX";
        fd = ::mkostemp(name.data(), O_CLOEXEC);
        if (fd < 0) return fail("cannot spool standard input into '" + dir + "': " + std::strerror(errno));
        ::unlink(name.c_str());
    }
    unique_fd spool(fd);
    std::uint64_t total = 0;
    char buf[64 * 1024];
    for (;;) {
        const ssize_t got = ::read(0, buf, sizeof buf);
        if (got < 0) {
            if (errno == EINTR) {
                if (sink.stop_requested()) return {};
                continue;
            }
            return fail(std::string("cannot read standard input: ") + std::strerror(errno));
        }
        if (got == 0) break;
        total += static_cast<std::uint64_t>(got);
        if (total > limits::max_stdin_input)
            return sink.on_unreadable("-", "standard input is larger than " + std::to_string(limits::max_stdin_input) +
                                               " bytes; not read (name the file instead)");
        for (ssize_t off = 0; off < got;) {
            const ssize_t w = ::write(fd, buf + off, static_cast<std::size_t>(got - off));
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) return fail("cannot spool standard input into '" + dir + "': " + std::strerror(errno));
            off += w;
        }
    }
    input in = input::from_fd(std::move(spool), "-", total);
    return read_file_input(in, sink);
}

}  // namespace dmarcsight::ingest
