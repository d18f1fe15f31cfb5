#include "ingest/raw_input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

#include "core/limits.hpp"

namespace dmarcsight::ingest {

sha256::sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
sha256::~sha256() { EVP_MD_CTX_free(ctx_); }
void sha256::update(const void* data, std::size_t n) { EVP_DigestUpdate(ctx_, data, n); }
std::string sha256::hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, md, &len);
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(len * 2);
    for (unsigned i = 0; i < len; ++i) {
        out += digits[md[i] >> 4];
        out += digits[md[i] & 15];
    }
    return out;
}
std::string sha256::of(std::string_view data) {
    sha256 h;
    h.update(data.data(), data.size());
    return h.hex();
}

result<std::unique_ptr<hashing_file_source>> hashing_file_source::open(const std::string& path, bool hash) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail("cannot open '" + path + "': " + std::strerror(errno));
    return std::unique_ptr<hashing_file_source>(new hashing_file_source(fd, path, hash));
}

result<std::string> sha256_of_file(const std::string& path) {
    auto src = hashing_file_source::open(path);
    if (!src) return unexpected{src.err()};
    auto d = (*src)->drain();
    if (!d) return unexpected{d.err()};
    return (*src)->digest();
}

hashing_file_source::~hashing_file_source() { ::close(fd_); }

result<std::size_t> hashing_file_source::read(char* buf, std::size_t n) {
    for (;;) {
        const ssize_t got = ::read(fd_, buf, n);
        if (got < 0) {
            if (errno == EINTR) continue;
            return fail("cannot read '" + path_ + "': " + std::strerror(errno));
        }
        if (hashing_) hash_.update(buf, static_cast<std::size_t>(got));
        total_ += static_cast<std::uint64_t>(got);
        return static_cast<std::size_t>(got);
    }
}

result<void> hashing_file_source::drain() {
    char buf[64 * 1024];
    for (;;) {
        auto got = read(buf, sizeof buf);
        if (!got) return unexpected{got.err()};
        if (*got == 0) return {};
    }
}

result<void> read_file(const std::string& path, std::string& out, std::uint64_t max_bytes) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail("cannot open '" + path + "': " + std::strerror(errno));
    struct stat st;
    if (::fstat(fd, &st) != 0 || static_cast<std::uint64_t>(st.st_size) > max_bytes) {
        ::close(fd);
        return fail("larger than " + std::to_string(max_bytes) + " bytes");
    }
    out.resize(static_cast<std::size_t>(st.st_size));
    std::size_t have = 0;
    while (have < out.size()) {
        const ssize_t got = ::read(fd, out.data() + have, out.size() - have);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        have += static_cast<std::size_t>(got);
    }
    ::close(fd);
    out.resize(have);
    return {};
}

result<void> quarantine::ensure_dir() {
    if (made_) return {};
    if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST)
        return fail("cannot create quarantine folder '" + dir_ + "': " + std::strerror(errno));
    made_ = true;
    return {};
}

namespace {
// Writes via a temporary name and renames, so a crash never leaves a half-written file under the
// final (content-addressed) name.
result<void> write_atomically(const std::string& final_path, const std::function<result<void>(int)>& writer) {
    struct stat st;
    if (::stat(final_path.c_str(), &st) == 0) return {};  // same bytes already kept
    const std::string tmp = final_path + ".tmp" + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return fail("cannot write '" + tmp + "': " + std::strerror(errno));
    auto r = writer(fd);
    if (::close(fd) != 0 && r) r = fail("cannot write '" + tmp + "': " + std::strerror(errno));
    if (!r) {
        ::unlink(tmp.c_str());
        return r;
    }
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        return fail("cannot rename into '" + final_path + "': " + std::strerror(errno));
    }
    return {};
}

result<void> write_all(int fd, const char* p, std::size_t n) {
    while (n) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return fail(std::string("write failed: ") + std::strerror(errno));
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return {};
}
}  // namespace

result<std::string> quarantine::keep_bytes(std::string_view data, const std::string& hex) {
    if (data.size() > limits::max_quarantined_input) return std::string();
    auto d = ensure_dir();
    if (!d) return unexpected{d.err()};
    auto w = write_atomically(dir_ + "/" + hex, [&](int fd) { return write_all(fd, data.data(), data.size()); });
    if (!w) return unexpected{w.err()};
    return hex;
}

result<std::string> quarantine::keep_file(const std::string& path, std::uint64_t size, const std::string& hex) {
    if (size > limits::max_quarantined_input) return std::string();
    auto d = ensure_dir();
    if (!d) return unexpected{d.err()};
    auto w = write_atomically(dir_ + "/" + hex, [&](int out) -> result<void> {
        const int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (in < 0) return fail("cannot reopen '" + path + "': " + std::strerror(errno));
        char buf[64 * 1024];
        for (;;) {
            const ssize_t got = ::read(in, buf, sizeof buf);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) break;
            auto r = write_all(out, buf, static_cast<std::size_t>(got));
            if (!r) {
                ::close(in);
                return r;
            }
        }
        ::close(in);
        return {};
    });
    if (!w) return unexpected{w.err()};
    return hex;
}

}  // namespace dmarcsight::ingest
