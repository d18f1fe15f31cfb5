// Raw inputs as the ingester sees them: a file read through a fixed buffer while its SHA-256 is
// computed on the way (one pass over the bytes), and the quarantine that keeps the bytes of inputs
// we could not (fully) store, named by their hash so that keeping the same bytes twice is a no-op.
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

// Reads a file sequentially, hashing every byte read unless told not to (a stored report needs no
// hash: hashing is done again, from the file, only for inputs whose bytes are kept or recorded).
// drain() reads (and hashes) the rest.
class hashing_file_source final : public byte_source {
public:
    static result<std::unique_ptr<hashing_file_source>> open(const std::string& path, bool hash = true);
    ~hashing_file_source() override;
    result<std::size_t> read(char* buf, std::size_t n) override;
    result<void> drain();
    std::string digest() { return hash_.hex(); }
    std::uint64_t bytes_read() const { return total_; }

private:
    hashing_file_source(int fd, std::string path, bool hash) : fd_(fd), path_(std::move(path)), hashing_(hash) {}
    int fd_;
    std::string path_;
    bool hashing_;
    sha256 hash_;
    std::uint64_t total_ = 0;
};

// SHA-256 of a file's bytes (hex).
result<std::string> sha256_of_file(const std::string& path);

// Reads a whole file into `out` (reused), refusing files over max_bytes.
result<void> read_file(const std::string& path, std::string& out, std::uint64_t max_bytes);

class quarantine {
public:
    explicit quarantine(std::string dir) : dir_(std::move(dir)) {}
    const std::string& dir() const { return dir_; }
    // Keeps `data` as <dir>/<sha256>; returns the file name (relative to dir), or "" when over
    // the size cap (the caller records hash + size only).
    result<std::string> keep_bytes(std::string_view data, const std::string& sha256_hex);
    // Same, copying from a file the user gave us.
    result<std::string> keep_file(const std::string& path, std::uint64_t size, const std::string& sha256_hex);

private:
    result<void> ensure_dir();
    std::string dir_;
    bool made_ = false;
};

}  // namespace dmarcsight::ingest
