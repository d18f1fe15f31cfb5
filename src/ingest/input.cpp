#include "ingest/input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

unique_fd& unique_fd::operator=(unique_fd&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = o.release();
    }
    return *this;
}
unique_fd::~unique_fd() {
    if (fd_ >= 0) ::close(fd_);
}

namespace {

constexpr std::size_t copy_chunk = 64 * 1024;


// pread() from a fixed offset onwards: a stream of the file that owns its position.
class fd_stream final : public byte_source {
public:
    explicit fd_stream(int fd) : fd_(fd) {}
    result<std::size_t> read(char* buf, std::size_t n) override {
        for (;;) {
            const ssize_t got = ::pread(fd_, buf, n, static_cast<off_t>(pos_));
            if (got < 0) {
                if (errno == EINTR) continue;
                return fail(std::string("read error: ") + std::strerror(errno));
            }
            pos_ += static_cast<std::uint64_t>(got);
            return static_cast<std::size_t>(got);
        }
    }

private:
    int fd_;
    std::uint64_t pos_ = 0;
};

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

const char* file_type_name(unsigned m) {
    if (S_ISDIR(m)) return "a folder";
    if (S_ISFIFO(m)) return "a FIFO (named pipe)";
    if (S_ISSOCK(m)) return "a socket";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    return "not a regular file";
}

result<input> input::open_file_as(const std::string& path, std::string label) {
    auto in = open_file(path);
    if (in) in->label_ = std::move(label);
    return in;
}

result<input> input::open_file(const std::string& path) {
    // O_NONBLOCK: opening a FIFO with no writer must not hang; the type is checked right after.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) return fail("cannot open: " + std::string(std::strerror(errno)));
    unique_fd owned(fd);
    struct stat st;
    if (::fstat(fd, &st) != 0) return fail("cannot stat: " + std::string(std::strerror(errno)));
    if (!S_ISREG(st.st_mode)) return fail(std::string("refused: it is ") + file_type_name(st.st_mode) + ", not a regular file");
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) (void)::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    input in;
    in.fd_ = std::move(owned);
    in.label_ = path;
    in.size_ = static_cast<std::uint64_t>(st.st_size);
    in.dev_ = static_cast<std::uint64_t>(st.st_dev);
    in.ino_ = static_cast<std::uint64_t>(st.st_ino);
    return in;
}

input input::from_fd(unique_fd fd, std::string label, std::uint64_t size) {
    input in;
    struct stat st;
    if (::fstat(fd.get(), &st) == 0) {
        in.dev_ = static_cast<std::uint64_t>(st.st_dev);
        in.ino_ = static_cast<std::uint64_t>(st.st_ino);
    }
    in.fd_ = std::move(fd);
    in.label_ = std::move(label);
    in.size_ = size;
    return in;
}

input input::from_memory(std::string_view bytes, std::string label) {
    input in;
    in.memory_ = bytes;
    in.label_ = std::move(label);
    in.size_ = bytes.size();
    return in;
}

result<std::string_view> input::head(std::size_t n) {
    if (!is_file()) return memory_.substr(0, n);
    if (head_.size() < n && head_.size() < size_) {
        head_.resize(n);
        std::size_t have = 0;
        while (have < n) {
            const ssize_t got = ::pread(fd_.get(), head_.data() + have, n - have, static_cast<off_t>(have));
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) return fail(std::string("read error: ") + std::strerror(errno));
            if (got == 0) break;
            have += static_cast<std::size_t>(got);
        }
        head_.resize(have);
    }
    return std::string_view(head_).substr(0, n);
}

std::unique_ptr<byte_source> input::stream() const {
    if (is_file()) return std::make_unique<fd_stream>(fd_.get());
    return std::make_unique<memory_source>(memory_);
}

result<void> input::read_all(std::string& out, std::uint64_t max_bytes) const {
    if (!is_file()) {
        if (memory_.size() > max_bytes) return fail("larger than " + std::to_string(max_bytes) + " bytes");
        out.assign(memory_);
        return {};
    }
    if (size_ > max_bytes) return fail("larger than " + std::to_string(max_bytes) + " bytes");
    out.clear();
    fd_stream s(fd_.get());
    char buf[copy_chunk];
    for (;;) {
        auto got = s.read(buf, sizeof buf);
        if (!got) return unexpected{got.err()};
        if (*got == 0) return {};
        if (out.size() + *got > max_bytes) return fail("larger than " + std::to_string(max_bytes) + " bytes");
        out.append(buf, *got);
    }
}

result<std::string> input::sha256_hex() {
    if (!sha_.empty()) return sha_;
    if (!is_file()) {
        sha_ = sha256::of(memory_);
        return sha_;
    }
    sha256 h;
    fd_stream s(fd_.get());
    char buf[copy_chunk];
    for (;;) {
        auto got = s.read(buf, sizeof buf);
        if (!got) return unexpected{got.err()};
        if (*got == 0) break;
        h.update(buf, *got);
    }
    sha_ = h.hex();
    return sha_;
}

result<void> input::copy_to(int out_fd) const {
    if (!is_file()) return write_all(out_fd, memory_.data(), memory_.size());
    fd_stream s(fd_.get());
    char buf[copy_chunk];
    for (;;) {
        auto got = s.read(buf, sizeof buf);
        if (!got) return unexpected{got.err()};
        if (*got == 0) return {};
        auto w = write_all(out_fd, buf, *got);
        if (!w) return w;
    }
}

}  // namespace dmarcsight::ingest
