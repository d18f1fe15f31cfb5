#include "ingest/quarantine.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/limits.hpp"

namespace dmarcsight::ingest {

namespace {
std::string why() { return std::strerror(errno); }
}  // namespace

result<void> quarantine::ensure_dir() {
    if (dir_fd_) return {};
    if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST)
        return fail("cannot create quarantine folder '" + dir_ + "': " + why());
    const int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return fail("cannot open quarantine folder '" + dir_ + "': " + why());
    unique_fd owned(fd);
    struct stat st;
    if (::fstat(fd, &st) != 0) return fail("cannot stat quarantine folder '" + dir_ + "': " + why());
    if (st.st_uid != ::geteuid())
        return fail("quarantine folder '" + dir_ + "' belongs to user " + std::to_string(st.st_uid) + ", not to us");
    if ((st.st_mode & 077) != 0 && ::fchmod(fd, 0700) != 0)
        return fail("cannot make quarantine folder '" + dir_ + "' private (mode 0700): " + why());
    dir_fd_ = std::move(owned);
    return {};
}

result<std::string> quarantine::keep(const input& in, const std::string& hex) {
    if (in.size() > limits::max_quarantined_input) return std::string();
    if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos)
        return fail("internal: not a SHA-256 name");
    auto d = ensure_dir();
    if (!d) return unexpected{d.err()};
    const int dir = dir_fd_.get();
    struct stat st;
    if (::fstatat(dir, hex.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISREG(st.st_mode)) return hex;  // the same bytes are kept already
        return fail("quarantine entry '" + dir_ + "/" + hex + "' is not a regular file");
    }
    const std::string tmp = "." + hex + ".tmp" + std::to_string(::getpid());
    const int fd = ::openat(dir, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return fail("cannot write into quarantine folder '" + dir_ + "': " + why());
    auto w = in.copy_to(fd);
    if (::close(fd) != 0 && w) w = fail("cannot write into quarantine folder '" + dir_ + "': " + why());
    if (!w) {
        ::unlinkat(dir, tmp.c_str(), 0);
        return fail("cannot keep the bytes in '" + dir_ + "': " + w.err().message);
    }
    // link, not rename: never replaces an existing name (another ingest may have kept the same
    // bytes a moment ago, which is fine).
    if (::linkat(dir, tmp.c_str(), dir, hex.c_str(), 0) != 0 && errno != EEXIST) {
        const std::string e = why();
        ::unlinkat(dir, tmp.c_str(), 0);
        return fail("cannot keep the bytes in '" + dir_ + "': " + e);
    }
    ::unlinkat(dir, tmp.c_str(), 0);
    return hex;
}

}  // namespace dmarcsight::ingest
