// mbox and Maildir readers. The only code in src/mime/ that touches the file system (reads only).
#include "mime/mailbox.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "core/limits.hpp"
#include "core/text.hpp"

namespace dmarcsight::mime {

namespace {
constexpr std::string_view postmark_prefix = "From ";

bool is_wsp(char c) { return c == ' ' || c == '\t'; }
}  // namespace

bool is_mbox(std::string_view first_bytes) { return first_bytes.rfind(postmark_prefix, 0) == 0; }

// RFC 4155 App. A: "From " addr-spec SP timestamp (asctime: "Www Mmm dd hh:mm:ss yyyy").
bool is_mbox_postmark(std::string_view line) {
    if (line.rfind(postmark_prefix, 0) != 0) return false;
    std::size_t i = postmark_prefix.size();
    while (i < line.size() && is_wsp(line[i])) ++i;
    const std::size_t addr = i;
    while (i < line.size() && !is_wsp(line[i]) && line[i] != '\r' && line[i] != '\n') ++i;
    if (i == addr) return false;
    while (i < line.size() && is_wsp(line[i])) ++i;
    static constexpr std::array<std::string_view, 7> days = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static constexpr std::array<std::string_view, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const std::string_view rest = line.substr(i);
    constexpr std::size_t abbrev = 3;
    if (rest.size() < 2 * abbrev + 2 || rest[abbrev] != ' ') return false;
    const auto day = rest.substr(0, abbrev);
    const auto month = rest.substr(abbrev + 1, abbrev);
    return std::find(days.begin(), days.end(), day) != days.end() &&
           std::find(months.begin(), months.end(), month) != months.end();
}

result<mbox_reader> mbox_reader::open(const std::string& path) {
    mbox_reader r;
    r.file_.reset(std::fopen(path.c_str(), "rb"));
    if (!r.file_) return fail("cannot open mbox " + path + ": " + std::strerror(errno));
    r.path_ = path;
    r.buf_ = std::make_unique_for_overwrite<char[]>(limits::mbox_read_chunk);
    return r;
}

result<mbox_reader> mbox_reader::open_fd(int fd, const std::string& name) {
    const int copy = ::dup(fd);
    if (copy < 0) return fail("cannot read mbox " + name + ": " + std::strerror(errno));
    if (::lseek(copy, 0, SEEK_SET) != 0) {
        ::close(copy);
        return fail("cannot read mbox " + name + ": " + std::strerror(errno));
    }
    mbox_reader r;
    r.file_.reset(::fdopen(copy, "rb"));
    if (!r.file_) {
        ::close(copy);
        return fail("cannot read mbox " + name + ": " + std::strerror(errno));
    }
    r.path_ = name;
    r.buf_ = std::make_unique_for_overwrite<char[]>(limits::mbox_read_chunk);
    return r;
}

result<void> mbox_reader::fill(std::size_t want) {
    if (len_ - pos_ >= want || eof_) return {};
    if (pos_ > 0) {
        std::memmove(buf_.get(), buf_.get() + pos_, len_ - pos_);
        file_offset_ += pos_;
        len_ -= pos_;
        pos_ = 0;
    }
    while (len_ < want && len_ < limits::mbox_read_chunk && !eof_) {
        const std::size_t got = std::fread(buf_.get() + len_, 1, limits::mbox_read_chunk - len_, file_.get());
        if (got == 0) {
            if (std::ferror(file_.get())) return fail("read error in mbox " + path_, static_cast<std::int64_t>(file_offset_ + len_));
            eof_ = true;
        }
        len_ += got;
    }
    return {};
}

bool mbox_reader::separator_at_pos() const {
    const std::size_t avail = std::min(len_ - pos_, limits::max_mbox_postmark_line);
    std::string_view line(buf_.get() + pos_, avail);
    if (line.rfind(postmark_prefix, 0) != 0) return false;
    if (const std::size_t nl = line.find('\n'); nl != std::string_view::npos) line = line.substr(0, nl);
    // mboxo/mboxrd writers put a blank line before each postmark; be lenient with writers that did
    // not, when the line is an unmistakable postmark.
    return prev_blank_ || is_mbox_postmark(line);
}

result<bool> mbox_reader::next(std::string& out, std::size_t& index, std::uint64_t& offset) {
    out.clear();
    if (!file_) return false;
    // Blank lines before the first message.
    if (index_ == 0) {
        for (;;) {
            if (auto r = fill(2); !r) return unexpected{r.err()};
            if (pos_ < len_ && buf_[pos_] == '\n') {
                ++pos_;
            } else if (len_ - pos_ >= 2 && buf_[pos_] == '\r' && buf_[pos_ + 1] == '\n') {
                pos_ += 2;
            } else {
                break;
            }
        }
    }
    if (auto r = fill(limits::max_mbox_postmark_line); !r) return unexpected{r.err()};
    if (pos_ == len_) return false;
    index = ++index_;
    offset = file_offset_ + pos_;
    if (separator_at_pos()) {
        // Skip the postmark line (to its end, however long).
        for (;;) {
            const void* nl = std::memchr(buf_.get() + pos_, '\n', len_ - pos_);
            if (nl != nullptr) {
                pos_ = static_cast<const char*>(nl) - buf_.get() + 1;
                break;
            }
            pos_ = len_;
            if (auto r = fill(1); !r) return unexpected{r.err()};
            if (pos_ == len_) break;
        }
    }
    prev_blank_ = false;
    bool too_big = false;
    const auto append = [&](std::size_t from, std::size_t to) {
        if (too_big) return;
        if (out.size() + (to - from) > limits::max_message_size) {
            // Skip the rest of this message without buffering it.
            too_big = true;
            out.clear();
            out.shrink_to_fit();
            return;
        }
        out.append(buf_.get() + from, to - from);
    };
    for (;;) {
        if (auto r = fill(limits::max_mbox_postmark_line); !r) return unexpected{r.err()};
        if (pos_ == len_) break;
        if (separator_at_pos()) break;
        // mboxrd: ">From ", ">>From " ... lose one '>'.
        std::size_t start = pos_;
        if (buf_[pos_] == '>') {
            std::size_t k = pos_;
            while (k < len_ && buf_[k] == '>') ++k;
            if (std::string_view(buf_.get() + k, len_ - k).rfind(postmark_prefix, 0) == 0) start = pos_ + 1;
        }
        const void* nl = std::memchr(buf_.get() + pos_, '\n', len_ - pos_);
        std::size_t end = nl != nullptr ? static_cast<const char*>(nl) - buf_.get() + 1 : len_;
        bool blank = nl != nullptr && (end - pos_ == 1 || (end - pos_ == 2 && buf_[pos_] == '\r'));
        append(start, end);
        pos_ = end;
        while (nl == nullptr) {  // the rest of a line longer than what was buffered
            if (auto r = fill(1); !r) return unexpected{r.err()};
            if (pos_ == len_) break;
            nl = std::memchr(buf_.get() + pos_, '\n', len_ - pos_);
            end = nl != nullptr ? static_cast<const char*>(nl) - buf_.get() + 1 : len_;
            append(pos_, end);
            pos_ = end;
            blank = false;
        }
        prev_blank_ = blank;
    }
    if (too_big) {
        return fail("message " + std::to_string(index) + " at offset " + std::to_string(offset) + " of " + path_ +
                        " is larger than " + std::to_string(limits::max_message_size) + " bytes; skipped",
                    static_cast<std::int64_t>(offset));
    }
    // The blank line an mbox writer adds before the next postmark is not part of the message.
    if (out.size() >= 2 && out.compare(out.size() - 2, 2, "\n\n") == 0) {
        out.pop_back();
    } else if (out.size() >= 4 && out.compare(out.size() - 4, 4, "\r\n\r\n") == 0) {
        out.resize(out.size() - 2);
    }
    return true;
}

bool is_maildir(const std::string& dir) {
    std::error_code ec;
    const std::filesystem::path p(dir);
    return std::filesystem::is_directory(p / "cur", ec) && std::filesystem::is_directory(p / "new", ec);
}

std::vector<std::string> maildir_messages(const std::string& dir) {
    std::vector<std::string> out;
    const std::filesystem::path root(dir);
    // Maildir: new/ holds undelivered-to-MUA mail, cur/ seen mail; tmp/ holds files being written.
    for (const char* sub : {"new", "cur"}) {
        std::error_code ec;
        // new/ or cur/ as a symlink could lead anywhere: only real directories are listed.
        if (!std::filesystem::is_directory(std::filesystem::symlink_status(root / sub, ec)) || ec) continue;
        std::filesystem::directory_iterator it(root / sub, ec);
        if (ec) continue;
        // increment(ec), not range-for: an error while listing must not throw.
        for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
            if (ec) break;
            const auto& entry = *it;
            const std::string name = entry.path().filename().string();
            if (name.empty() || name[0] == '.') continue;
            std::error_code sec;
            // symlink_status: a symlink (which could point out of the tree) is not a regular file.
            if (!std::filesystem::is_regular_file(entry.symlink_status(sec)) || sec) continue;
            out.push_back(entry.path().string());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace dmarcsight::mime
