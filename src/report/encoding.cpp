#include "report/encoding.hpp"

#include <algorithm>
#include <cstring>

#include "core/text.hpp"
#include "core/utf8.hpp"

namespace dmarcsight::report {

namespace {

enum class input_encoding { utf8, utf16le, utf16be, latin1, windows1252 };

// Replays `head` before the rest of `in`, transcoding to UTF-8 on the way.
class transcoding_source final : public byte_source {
public:
    transcoding_source(byte_source& in, std::string head, input_encoding enc)
        : in_(in), pending_(std::move(head)), enc_(enc) {}

    result<std::size_t> read(char* buf, std::size_t n) override {
        // Produce output into out_ until we can satisfy the request or the input ends.
        while (out_.size() - out_pos_ < n && !done_) {
            if (out_pos_ > 0) {
                out_.erase(0, out_pos_);
                out_pos_ = 0;
            }
            if (!pending_.empty()) {
                convert(pending_);
                pending_.clear();
                continue;
            }
            chunk_.resize(64 * 1024);
            auto got = in_.read(chunk_.data(), chunk_.size());
            if (!got) return unexpected{got.err()};
            if (*got == 0) done_ = true;
            convert(std::string_view(chunk_.data(), *got));
        }
        const std::size_t k = std::min(n, out_.size() - out_pos_);
        std::memcpy(buf, out_.data() + out_pos_, k);
        out_pos_ += k;
        return k;
    }

private:
    void convert(std::string_view chunk) {
        switch (enc_) {
            case input_encoding::utf8:
                out_.append(chunk);
                return;
            case input_encoding::latin1:
            case input_encoding::windows1252:
                out_ += text::latin1_to_utf8(chunk, enc_ == input_encoding::windows1252);
                return;
            case input_encoding::utf16le:
            case input_encoding::utf16be:
                carry_.append(chunk);
                std::size_t i = 0;
                for (; i + 1 < carry_.size(); i += 2) {
                    const auto b0 = static_cast<unsigned char>(carry_[i]), b1 = static_cast<unsigned char>(carry_[i + 1]);
                    const std::uint32_t unit = enc_ == input_encoding::utf16le ? (b1 << 8 | b0) : (b0 << 8 | b1);
                    if (high_) {
                        if (unit >= 0xDC00 && unit <= 0xDFFF) {
                            emit(0x10000 + ((high_ - 0xD800) << 10) + (unit - 0xDC00));
                            high_ = 0;
                            continue;
                        }
                        emit(0xFFFD);
                        high_ = 0;
                    }
                    if (unit >= 0xD800 && unit <= 0xDBFF) {
                        high_ = unit;
                    } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
                        emit(0xFFFD);
                    } else {
                        emit(unit);
                    }
                }
                carry_.erase(0, i);
                if (done_ && (high_ || !carry_.empty())) {
                    emit(0xFFFD);
                    high_ = 0;
                    carry_.clear();
                }
                return;
        }
    }
    void emit(std::uint32_t cp) { text::append_utf8(out_, cp); }

    byte_source& in_;
    std::string pending_;
    input_encoding enc_;
    std::string out_;
    std::size_t out_pos_ = 0;
    std::string carry_;
    std::string chunk_;
    std::uint32_t high_ = 0;
    bool done_ = false;
};

// A source that replays `head` and then reads `in` directly: the common UTF-8 case costs no copy.
class replay_source final : public byte_source {
public:
    replay_source(byte_source& in, std::string head) : in_(in), head_(std::move(head)) {}
    result<std::size_t> read(char* buf, std::size_t n) override {
        if (pos_ < head_.size()) {
            const std::size_t k = std::min(n, head_.size() - pos_);
            std::memcpy(buf, head_.data() + pos_, k);
            pos_ += k;
            return k;
        }
        return in_.read(buf, n);
    }

private:
    byte_source& in_;
    std::string head_;
    std::size_t pos_ = 0;
};

// The encoding named in an XML declaration at the start of `head` (lower-cased), or "".
std::string declared_encoding(std::string_view head) {
    if (head.substr(0, 5) != "<?xml") return {};
    const auto end = head.find("?>");
    const std::string_view decl = head.substr(0, end);
    const auto at = decl.find("encoding");
    if (at == std::string_view::npos) return {};
    std::string_view rest = decl.substr(at + 8);
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '=' || rest.front() == '\t')) rest.remove_prefix(1);
    if (rest.empty() || (rest.front() != '"' && rest.front() != '\'')) return {};
    const char q = rest.front();
    const auto close = rest.find(q, 1);
    if (close == std::string_view::npos) return {};
    return text::ascii_lower(rest.substr(1, close - 1));
}

}  // namespace

result<std::unique_ptr<byte_source>> utf8_source(byte_source& in, std::string head, std::vector<std::string>& warnings) {
    // Read enough to see a BOM and the XML declaration.
    while (head.size() < 512) {
        const std::size_t old = head.size();
        head.resize(512);
        auto got = in.read(head.data() + old, 512 - old);
        if (!got) return unexpected{got.err()};
        head.resize(old + *got);
        if (*got == 0) break;
    }
    const auto b = [&](std::size_t i) { return i < head.size() ? static_cast<unsigned char>(head[i]) : 0u; };
    if (b(0) == 0xEF && b(1) == 0xBB && b(2) == 0xBF) {
        warnings.push_back("the document starts with a byte-order mark");
        head.erase(0, 3);
    } else if (b(0) == 0xFF && b(1) == 0xFE) {
        warnings.push_back("the document is UTF-16LE; transcoded to UTF-8");
        head.erase(0, 2);
        return std::unique_ptr<byte_source>(std::make_unique<transcoding_source>(in, std::move(head), input_encoding::utf16le));
    } else if (b(0) == 0xFE && b(1) == 0xFF) {
        warnings.push_back("the document is UTF-16BE; transcoded to UTF-8");
        head.erase(0, 2);
        return std::unique_ptr<byte_source>(std::make_unique<transcoding_source>(in, std::move(head), input_encoding::utf16be));
    } else if (b(0) == '<' && b(1) == 0 && b(2) != 0) {
        warnings.push_back("the document is UTF-16LE without a byte-order mark; transcoded to UTF-8");
        return std::unique_ptr<byte_source>(std::make_unique<transcoding_source>(in, std::move(head), input_encoding::utf16le));
    } else if (b(0) == 0 && b(1) == '<') {
        warnings.push_back("the document is UTF-16BE without a byte-order mark; transcoded to UTF-8");
        return std::unique_ptr<byte_source>(std::make_unique<transcoding_source>(in, std::move(head), input_encoding::utf16be));
    }
    // Skip leading whitespace to find the declaration.
    std::size_t lead = 0;
    while (lead < head.size() && (head[lead] == ' ' || head[lead] == '\n' || head[lead] == '\r' || head[lead] == '\t')) ++lead;
    const std::string enc = declared_encoding(std::string_view(head).substr(lead));
    if (enc == "iso-8859-1" || enc == "latin1" || enc == "latin-1" || enc == "iso8859-1" || enc == "iso-8859-15") {
        warnings.push_back("the document is declared " + enc + "; transcoded to UTF-8");
        return std::unique_ptr<byte_source>(std::make_unique<transcoding_source>(in, std::move(head), input_encoding::latin1));
    }
    if (enc == "windows-1252" || enc == "cp1252") {
        warnings.push_back("the document is declared " + enc + "; transcoded to UTF-8");
        return std::unique_ptr<byte_source>(std::make_unique<transcoding_source>(in, std::move(head), input_encoding::windows1252));
    }
    if (!enc.empty() && enc != "utf-8" && enc != "utf8" && enc != "us-ascii" && enc != "ascii" && enc != "utf-16")
        warnings.push_back("the document declares the unsupported encoding '" + text::for_terminal(utf8_prefix(enc, 40)) +
                           "'; read as UTF-8 with invalid bytes replaced");
    return std::unique_ptr<byte_source>(std::make_unique<replay_source>(in, std::move(head)));
}

}  // namespace dmarcsight::report
