#include "report/xml_reader.hpp"

#include <algorithm>
#include <cstring>

#include "core/limits.hpp"
#include "core/text.hpp"

namespace dmarcsight::report {

namespace {
// Bytes asked of the source per read: large enough to amortise calls, small enough to stay in L2.
constexpr std::size_t chunk_size = 128 * limits::KiB;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool is_name_start(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}

bool all_space(std::string_view s) {
    for (const char c : s)
        if (!is_space(c)) return false;
    return true;
}

// XML 1.0 §2.2 Char production.
bool is_xml_char(std::uint32_t cp) {
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
           (cp >= 0x10000 && cp <= 0x10FFFF);
}

enum warn_bits : unsigned {
    warn_stray_text = 1,
    warn_lt = 2,
    warn_amp = 4,
    warn_utf8 = 8,
    warn_control = 16,
    warn_cdata = 32,
};
}  // namespace

xml_reader::xml_reader(byte_source& in, std::string& buffer) : in_(in), buf_(buffer) {}

std::string_view xml_reader::open_back() const {
    const std::size_t end = open_ends_.back();
    const std::size_t begin = open_ends_.size() > 1 ? open_ends_[open_ends_.size() - 2] : 0;
    return std::string_view(open_names_).substr(begin, end - begin);
}

void xml_reader::open_pop() {
    open_ends_.pop_back();
    open_names_.resize(open_ends_.empty() ? 0 : open_ends_.back());
}

void xml_reader::warn_once(unsigned bit, std::string message) {
    if (warned_ & bit) return;
    warned_ |= bit;
    warnings_.push_back(std::move(message));
}

result<bool> xml_reader::fill(std::size_t need) {
    if (end_ - pos_ >= need) return true;
    if (need > limits::max_xml_token + chunk_size)
        return fail("an XML token is longer than " + std::to_string(limits::max_xml_token) + " bytes", offset());
    if (pos_ > 0) {
        std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
        base_offset_ += static_cast<std::int64_t>(pos_);
        end_ -= pos_;
        pos_ = 0;
    }
    if (buf_.size() < need + chunk_size) buf_.resize(need + chunk_size);
    while (end_ < need && !eof_) {
        auto got = in_.read(buf_.data() + end_, buf_.size() - end_);
        if (!got) return unexpected{got.err()};
        if (*got == 0) {
            eof_ = true;
            break;
        }
        // XML 1.0 §2.2: NUL is never a character; a C-string parser would silently truncate here.
        if (const void* nul = std::memchr(buf_.data() + end_, '\0', *got)) {
            const auto at = static_cast<const char*>(nul) - buf_.data();
            return fail("NUL byte in the document (not allowed in XML)", base_offset_ + at);
        }
        end_ += *got;
    }
    return end_ - pos_ >= need;
}

result<void> xml_reader::skip_until(std::string_view term, const char* what) {
    std::size_t from = 0;  // relative to pos_
    for (;;) {
        const std::string_view window(buf_.data() + pos_, end_ - pos_);
        const auto hit = window.find(term, from);
        if (hit != std::string_view::npos) {
            pos_ += hit + term.size();
            return {};
        }
        // Keep only what could start the terminator; the rest is discarded (bounded memory).
        const std::size_t keep = std::min(window.size(), term.size() - 1);
        pos_ = end_ - keep;
        from = 0;
        auto more = fill(keep + 1);
        if (!more) return unexpected{more.err()};
        if (!*more) return fail(std::string("document ends inside ") + what, offset());
    }
}

result<xml_reader::token> xml_reader::next_tag() {
    for (;;) {
        const char* start = buf_.data() + pos_;
        const void* lt = std::memchr(start, '<', end_ - pos_);
        const std::size_t text_len = lt ? static_cast<const char*>(lt) - start : end_ - pos_;
        if (text_len && !all_space(std::string_view(start, text_len)))
            warn_once(warn_stray_text, "text outside of any field was ignored");
        pos_ += text_len;
        if (!lt) {
            auto more = fill(1);
            if (!more) return unexpected{more.err()};
            if (!*more) return token::eof;
            continue;
        }
        auto more = fill(2);
        if (!more) return unexpected{more.err()};
        if (!*more) return fail("document ends inside a tag", offset());
        const char c = buf_[pos_ + 1];
        if (c == '/') {
            auto r = parse_end_tag();
            if (!r) return unexpected{r.err()};
            return token::end;
        }
        if (c == '?') {
            auto r = skip_until("?>", "a processing instruction");
            if (!r) return unexpected{r.err()};
            continue;
        }
        if (c == '!') {
            auto m = fill(9);
            if (!m) return unexpected{m.err()};
            const std::string_view head(buf_.data() + pos_, std::min<std::size_t>(9, end_ - pos_));
            if (head.substr(0, 4) == "<!--") {
                auto r = skip_until("-->", "a comment");
                if (!r) return unexpected{r.err()};
                continue;
            }
            if (head == "<![CDATA[") {
                warn_once(warn_cdata, "a CDATA section outside of any field was ignored");
                auto r = skip_until("]]>", "a CDATA section");
                if (!r) return unexpected{r.err()};
                continue;
            }
            if (text::iequals(head.substr(0, std::min<std::size_t>(9, head.size())), "<!DOCTYPE"))
                return fail("DOCTYPE is not allowed in a report (entity declarations are refused)", offset());
            return fail("unexpected markup '<!'", offset());
        }
        auto r = parse_start_tag();
        if (!r) return unexpected{r.err()};
        return token::start;
    }
}

result<void> xml_reader::parse_start_tag() {
    const std::int64_t at = offset();
    std::size_t rel = 1;
    char quote = 0;
    for (;;) {
        if (pos_ + rel >= end_) {
            auto more = fill(rel + 1);
            if (!more) return unexpected{more.err()};
            if (!*more) return fail("document ends inside a tag", at);
        }
        const char* p = buf_.data() + pos_ + rel;
        const char* e = buf_.data() + end_;
        while (p < e && *p != '>' && *p != '"' && *p != '\'') ++p;
        rel = static_cast<std::size_t>(p - (buf_.data() + pos_));
        if (p == e) continue;
        if (quote) {
            if (*p == quote) quote = 0;
        } else if (*p == '"' || *p == '\'') {
            quote = *p;
        } else {
            break;  // '>'
        }
        ++rel;
    }
    std::string_view body(buf_.data() + pos_ + 1, rel - 1);
    self_closing_ = !body.empty() && body.back() == '/';
    if (self_closing_) body.remove_suffix(1);
    std::size_t n = 0;
    while (n < body.size() && !is_space(body[n]) && body[n] != '/') ++n;
    if (n == 0 || !is_name_start(static_cast<unsigned char>(body[0])))
        return fail("malformed start tag", at);
    qname_.assign(body.substr(0, n));
    const auto colon = qname_.rfind(':');
    local_name_ = colon == std::string::npos ? std::string_view(qname_) : std::string_view(qname_).substr(colon + 1);
    attrs_.assign(body.substr(n));
    pos_ += rel + 1;
    if (!self_closing_) {
        if (depth_ >= limits::max_xml_depth)
            return fail("elements nested deeper than " + std::to_string(limits::max_xml_depth), at);
        ++depth_;
        open_names_ += qname_;
        open_ends_.push_back(open_names_.size());
    }
    return {};
}

result<void> xml_reader::parse_end_tag() {
    const std::int64_t at = offset();
    std::size_t rel = 2;
    for (;;) {
        const char* p = buf_.data() + pos_ + rel;
        const void* gt = std::memchr(p, '>', end_ - pos_ - rel);
        if (gt) {
            rel = static_cast<std::size_t>(static_cast<const char*>(gt) - (buf_.data() + pos_));
            break;
        }
        rel = end_ - pos_;
        auto more = fill(rel + 1);
        if (!more) return unexpected{more.err()};
        if (!*more) return fail("document ends inside an end tag", at);
    }
    const std::string_view name = text::trim(std::string_view(buf_.data() + pos_ + 2, rel - 2));
    if (open_ends_.empty())
        return fail("end tag </" + text::for_terminal(name, limits::max_logged_text) + "> without a start tag", at);
    if (name != open_back())
        return fail("end tag </" + text::for_terminal(name, limits::max_logged_text) + "> does not match <" +
                        text::for_terminal(open_back(), limits::max_logged_text) + ">",
                    at);
    qname_.assign(open_back());
    open_pop();
    --depth_;
    const auto colon = qname_.rfind(':');
    local_name_ = colon == std::string::npos ? std::string_view(qname_) : std::string_view(qname_).substr(colon + 1);
    self_closing_ = false;
    pos_ += rel + 1;
    return {};
}

std::string xml_reader::attribute(std::string_view want) const {
    std::string_view a = attrs_;
    while (!a.empty()) {
        while (!a.empty() && is_space(a.front())) a.remove_prefix(1);
        const auto eq = a.find('=');
        if (eq == std::string_view::npos) break;
        const std::string_view key = text::trim(a.substr(0, eq));
        a.remove_prefix(eq + 1);
        while (!a.empty() && is_space(a.front())) a.remove_prefix(1);
        if (a.empty() || (a.front() != '"' && a.front() != '\'')) break;
        const char q = a.front();
        const auto close = a.find(q, 1);
        if (close == std::string_view::npos) break;
        const std::string_view value = a.substr(1, close - 1);
        a.remove_prefix(close + 1);
        if (key == want) {
            std::string out;
            xml_reader* self = const_cast<xml_reader*>(this);
            if (!self->decode_text(value, out)) return std::string(value);
            return out;
        }
    }
    return {};
}

result<void> xml_reader::read_leaf_text(std::string& out) {
    out.clear();
    if (self_closing_) return {};
    const std::int64_t at = offset();
    const std::string_view name = open_back();
    std::size_t rel = 0;  // search position relative to pos_
    std::size_t close_start = 0, close_end = 0;
    for (;;) {
        const char* base = buf_.data() + pos_;
        const void* lt = std::memchr(base + rel, '<', end_ - pos_ - rel);
        if (!lt) {
            rel = end_ - pos_;
            auto more = fill(rel + 1);
            if (!more) return unexpected{more.err()};
            if (!*more) return fail("document ends inside <" + text::for_terminal(open_back(), limits::max_logged_text) + ">", at);
            continue;
        }
        const std::size_t k = static_cast<std::size_t>(static_cast<const char*>(lt) - base);
        // Enough bytes to recognise "</name>" (plus a little whitespace) or "<![CDATA[".
        const std::size_t want = k + name.size() + 4;
        if (end_ - pos_ < want && !eof_) {
            auto more = fill(want);
            if (!more) return unexpected{more.err()};
            continue;  // buffer may have moved; k is relative so just rescan from rel
        }
        const std::string_view rest(buf_.data() + pos_ + k, end_ - pos_ - k);
        if (rest.size() >= 2 + name.size() && rest[1] == '/' && rest.substr(2, name.size()) == name) {
            std::size_t j = 2 + name.size();
            while (j < rest.size() && is_space(rest[j])) ++j;
            if (j < rest.size() && rest[j] == '>') {
                close_start = k;
                close_end = k + j + 1;
                break;
            }
            if (j == rest.size() && !eof_) {
                auto more = fill(k + j + 1);
                if (!more) return unexpected{more.err()};
                continue;
            }
        }
        if (rest.substr(0, 9) == "<![CDATA[") {
            // Jump over the CDATA section: it may legally contain "</name>".
            const auto end = rest.find("]]>");
            if (end == std::string_view::npos) {
                if (eof_) return fail("document ends inside a CDATA section", at);
                auto more = fill(end_ - pos_ + 1);
                if (!more) return unexpected{more.err()};
                continue;
            }
            rel = k + end + 3;
            continue;
        }
        rel = k + 1;
    }
    auto r = decode_text(std::string_view(buf_.data() + pos_, close_start), out);
    if (!r) {
        error e = r.err();
        e.offset = at;
        return unexpected{e};
    }
    pos_ += close_end;
    open_pop();
    --depth_;
    return {};
}

result<void> xml_reader::skip_element() {
    if (self_closing_) return {};
    const int target = depth_ - 1;
    while (depth_ > target) {
        auto t = next_tag();
        if (!t) return unexpected{t.err()};
        if (*t == token::eof) return fail("document ends inside an element", offset());
    }
    return {};
}

result<bool> xml_reader::drain() {
    bool clean = true;
    for (;;) {
        auto t = next_tag();
        if (!t) return unexpected{t.err()};
        if (*t == token::eof) break;
        if (*t == token::start) clean = false;
    }
    if (!open_ends_.empty()) {
        warnings_.push_back("document ends without closing <" + text::for_terminal(open_back(), limits::max_logged_text) +
                            "> around the report");
    }
    return clean;
}

result<void> xml_reader::decode_text(std::string_view raw, std::string& out) {
    // Fast path: plain text (the overwhelming majority of fields).
    bool plain = true;
    for (const char c : raw) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '&' || c == '<' || u < 0x20 || u >= 0x80) {
            plain = false;
            break;
        }
    }
    if (plain) {
        out.assign(raw);
        return {};
    }
    out.clear();
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size();) {
        const char c = raw[i];
        if (c == '&') {
            const auto semi = raw.find(';', i + 1);
            const std::size_t len = semi == std::string_view::npos ? 0 : semi - i - 1;
            const std::string_view ent = len && len <= 10 ? raw.substr(i + 1, len) : std::string_view{};
            std::uint32_t cp = 0;
            bool ok = true;
            if (ent == "amp") {
                cp = '&';
            } else if (ent == "lt") {
                cp = '<';
            } else if (ent == "gt") {
                cp = '>';
            } else if (ent == "quot") {
                cp = '"';
            } else if (ent == "apos") {
                cp = '\'';
            } else if (ent.size() >= 2 && ent[0] == '#') {
                const bool hex = ent[1] == 'x';
                const std::string_view digits = ent.substr(hex ? 2 : 1);
                if (digits.empty()) ok = false;
                for (const char d : digits) {
                    std::uint32_t v;
                    if (d >= '0' && d <= '9') {
                        v = static_cast<std::uint32_t>(d - '0');
                    } else if (hex && d >= 'a' && d <= 'f') {
                        v = static_cast<std::uint32_t>(d - 'a' + 10);
                    } else if (hex && d >= 'A' && d <= 'F') {
                        v = static_cast<std::uint32_t>(d - 'A' + 10);
                    } else {
                        ok = false;
                        break;
                    }
                    cp = cp * (hex ? 16 : 10) + v;
                    if (cp > 0x10FFFF) {
                        cp = 0x110000;  // stays invalid; no overflow with <= 10 digits checked each step
                    }
                }
                if (ok && !is_xml_char(cp))
                    return fail("character reference &" + std::string(ent) + "; is not an XML character");
            } else {
                ok = false;
            }
            if (!ok) {
                // An unescaped '&' (AT&T) or an undefined entity: keep it literally.
                warn_once(warn_amp, "an unescaped '&' in a text field was kept as text");
                out += '&';
                ++i;
                continue;
            }
            text::append_utf8(out, cp);
            i = semi + 1;
            continue;
        }
        if (c == '<') {
            const std::string_view rest = raw.substr(i);
            if (rest.substr(0, 9) == "<![CDATA[") {
                const auto end = rest.find("]]>");
                const std::string_view inner = rest.substr(9, end == std::string_view::npos ? std::string_view::npos : end - 9);
                out.append(inner);
                i += end == std::string_view::npos ? rest.size() : end + 3;
                continue;
            }
            if (rest.substr(0, 4) == "<!--") {
                const auto end = rest.find("-->");
                i += end == std::string_view::npos ? rest.size() : end + 3;
                continue;
            }
            warn_once(warn_lt, "an unescaped '<' in a text field was kept as text");
            out += '<';
            ++i;
            continue;
        }
        if (c == '\r') {
            // XML 1.0 §2.11 end-of-line handling.
            out += '\n';
            i += (i + 1 < raw.size() && raw[i + 1] == '\n') ? 2 : 1;
            continue;
        }
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 && c != '\t' && c != '\n') {
            warn_once(warn_control, "a control character in a text field was replaced");
            out += "\xEF\xBF\xBD";
            ++i;
            continue;
        }
        out += c;
        ++i;
    }
    if (text::repair_utf8(out)) warn_once(warn_utf8, "invalid UTF-8 in a text field was replaced with U+FFFD");
    return {};
}

}  // namespace dmarcsight::report
