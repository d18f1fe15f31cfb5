// A pull stream of bytes: files, decoded attachments and decompressors all look like this, so a
// 300 MB report flows file → gunzip → XML parser in fixed-size chunks and is never held whole.
#pragma once

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace dmarcsight {

class byte_source {
public:
    virtual ~byte_source() = default;
    // Reads up to `n` bytes into `buf`. Returns the count read; 0 means a clean end of stream.
    // An error means the stream is damaged (truncated gzip, a size cap reached, an I/O error);
    // the error message names the reason, and no further reads may be made.
    virtual result<std::size_t> read(char* buf, std::size_t n) = 0;
    // Non-fatal oddities seen so far ("trailing bytes after the gzip member"): stored as warnings.
    virtual std::vector<std::string> warnings() const { return {}; }
};

// A byte_source over memory the caller keeps alive.
class memory_source final : public byte_source {
public:
    explicit memory_source(std::string_view data) : data_(data) {}
    result<std::size_t> read(char* buf, std::size_t n) override {
        const std::size_t k = n < data_.size() - pos_ ? n : data_.size() - pos_;
        if (k) std::memcpy(buf, data_.data() + pos_, k);
        pos_ += k;
        return k;
    }

private:
    std::string_view data_;
    std::size_t pos_ = 0;
};

}  // namespace dmarcsight
