// Mailbox readers: mbox files and Maildir folders. Unlike the rest of src/mime/, these touch the
// file system (they read files the user named); they never write, and never follow a symlink out
// of a Maildir. The messages they return are untrusted bytes for parse_message().
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace dmarcsight::mime {

// mbox (mboxrd / mboxo, as written by Postfix, procmail, mutt, Thunderbird, Google Takeout):
// messages start at a "From " postmark line at the start of the file or after a blank line, or at
// any "From " line that looks like a postmark ("From addr Www Mmm dd hh:mm:ss yyyy"). The postmark
// line itself is not part of the message; ">From " lines lose one '>' (mboxrd).
// Streaming: the file is read in chunks and at most one message is held; a message over
// limits::max_message_size is skipped without being buffered (next() returns an error for it) and
// reading continues with the next message.
class mbox_reader {
public:
    static result<mbox_reader> open(const std::string& path);
    // Reads an already open file from its first byte (the descriptor is duplicated; the caller
    // keeps its own). `name` is used in error messages only.
    static result<mbox_reader> open_fd(int fd, const std::string& name);
    // The next message into `out` (a reused buffer); false at the end of the file. `index` is the
    // 1-based message number and `offset` the byte offset of its postmark line in the file.
    result<bool> next(std::string& out, std::size_t& index, std::uint64_t& offset);

    mbox_reader(mbox_reader&&) noexcept = default;
    mbox_reader& operator=(mbox_reader&&) noexcept = default;
    ~mbox_reader() = default;

private:
    struct file_closer {
        void operator()(std::FILE* f) const {
            if (f != nullptr) std::fclose(f);
        }
    };
    mbox_reader() = default;
    // Makes at least `want` bytes available at pos_ (fewer only at the end of the file).
    result<void> fill(std::size_t want);
    bool separator_at_pos() const;

    std::unique_ptr<std::FILE, file_closer> file_;
    std::string path_;
    std::unique_ptr<char[]> buf_;
    std::size_t pos_ = 0, len_ = 0;  // unread bytes are buf_[pos_, len_)
    std::uint64_t file_offset_ = 0;  // file offset of buf_[0]
    bool eof_ = false;
    bool prev_blank_ = true;  // the previous line was blank (true at the start of the file)
    std::size_t index_ = 0;
};

bool is_mbox(std::string_view first_bytes);  // starts with "From "
// A "From " line that looks like an mbox postmark: "From <addr> <weekday> <month> ..." (RFC 4155).
bool is_mbox_postmark(std::string_view line);

// Maildir: a folder with cur/ and new/ (and usually tmp/).
bool is_maildir(const std::string& dir);
// The regular files (not symlinks) in new/ and cur/, never tmp/, sorted; dot files skipped.
std::vector<std::string> maildir_messages(const std::string& dir);

}  // namespace dmarcsight::mime
