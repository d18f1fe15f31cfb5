// One input, opened once: a regular file held by its descriptor, or bytes a source holds in
// memory (an mbox message; IMAP later). Everything done with an input (sniffing, parsing,
// hashing, keeping its bytes in quarantine) reads through this one descriptor from offset 0, so
// a file renamed or swapped meanwhile (a mail client moving new/ → cur/) can neither lose its
// bytes nor be kept under another file's hash.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/byte_source.hpp"
#include "core/result.hpp"

namespace dmarcsight::ingest {

class sha256 {
public:
    sha256();
    ~sha256();
    sha256(const sha256&) = delete;
    sha256& operator=(const sha256&) = delete;
    void update(const void* data, std::size_t n);
    std::string hex();  // finishes; call once
    static std::string of(std::string_view data);

private:
    EVP_MD_CTX* ctx_;
};

// A file descriptor that closes itself.
class unique_fd {
public:
    unique_fd() = default;
    explicit unique_fd(int fd) : fd_(fd) {}
    unique_fd(unique_fd&& o) noexcept : fd_(o.release()) {}
    unique_fd& operator=(unique_fd&& o) noexcept;
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;
    ~unique_fd();
    int get() const { return fd_; }
    int release() {
        const int f = fd_;
        fd_ = -1;
        return f;
    }
    explicit operator bool() const { return fd_ >= 0; }

private:
    int fd_ = -1;
};

// "a FIFO (named pipe)", "a socket", "a character device" ...: what a st_mode is, for messages.
const char* file_type_name(unsigned st_mode);

class input {
public:
    // Opens a regular file for reading. Anything else (a FIFO, a socket, a device such as
    // /dev/zero, a folder) is refused at once without reading: the error says what it is.
    static result<input> open_file(const std::string& path);
    // The same, named by `label` instead of its path (kept bytes read again under the name of
    // the input they came from).
    static result<input> open_file_as(const std::string& path, std::string label);
    // Takes an open regular file (standard input spooled to a temporary file).
    static input from_fd(unique_fd fd, std::string label, std::uint64_t size);
    // Bytes the caller keeps alive for as long as the input is used.
    static input from_memory(std::string_view bytes, std::string label);

    const std::string& label() const { return label_; }
    bool is_file() const { return static_cast<bool>(fd_); }
    int fd() const { return fd_.get(); }
    std::uint64_t size() const { return size_; }
    // Device and inode of the file (0 for memory): the ingest guard compares them.
    std::uint64_t device() const { return dev_; }
    std::uint64_t inode() const { return ino_; }

    // The first up to n bytes (fewer only when the input is shorter).
    result<std::string_view> head(std::size_t n);
    // A stream over the whole input from its first byte; reads never move other streams.
    std::unique_ptr<byte_source> stream() const;
    // The whole input into `out` (reused), refused over max_bytes.
    result<void> read_all(std::string& out, std::uint64_t max_bytes) const;
    // SHA-256 of the input's bytes (hex), computed once.
    result<std::string> sha256_hex();
    // Writes every byte of the input to `out_fd`.
    result<void> copy_to(int out_fd) const;

private:
    unique_fd fd_;
    std::string_view memory_;
    std::string label_;
    std::uint64_t size_ = 0, dev_ = 0, ino_ = 0;
    std::string head_;
    std::string sha_;
};

}  // namespace dmarcsight::ingest
