// The quarantine: the bytes of inputs that were not (fully) stored — rejected, skipped (failure
// and TLS reports, until they are read), damaged, conflicting copies — kept by SHA-256 so that
// keeping the same bytes twice is a no-op and nothing is ever lost.
//
// Trust: the folder is ours (created 0700, refused if another user owns it or it is a symlink);
// files are created with O_EXCL|O_NOFOLLOW under a temporary name and linked into place, so a
// crash never leaves a half-written file under a final name. Names are hashes, never input text.
#pragma once

#include <string>

#include "core/result.hpp"
#include "ingest/input.hpp"

namespace dmarcsight::ingest {

class quarantine {
public:
    explicit quarantine(std::string dir) : dir_(std::move(dir)) {}
    const std::string& dir() const { return dir_; }
    // Keeps the input's bytes as <dir>/<sha256>; returns the file name (relative to dir), or ""
    // when the input is over limits::max_quarantined_input (the caller records hash and size
    // only). An error means nothing was kept: the caller must not say it was.
    result<std::string> keep(const input& in, const std::string& sha256_hex);

private:
    result<void> ensure_dir();
    std::string dir_;
    unique_fd dir_fd_;
};

}  // namespace dmarcsight::ingest
