#include "report/xml_reader.hpp"

#include <algorithm>
#include <cstring>

#include "core/limits.hpp"
#include "core/text.hpp"
#include "core/utf8.hpp"

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

// A name or snippet quoted in an error: escaped, cut on a character boundary.
std::string shown(std::string_view s) {
    const std::string_view head = utf8_prefix(s, limits::max_logged_text);
    std::string out = text::for_terminal(head);
    if (head.size() < s.size()) out += "...";
    return out;
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

namespace {
// Bytes that end a tag name on the fast path of parse_start_tag: what may end the name (space,
// '/', '>') or start an attribute value.
struct name_stops {
    bool stop[256] = {};
    constexpr name_stops() {
        for (const char c : {' ', '\t', '\n', '\r', '/', '>', '"', '\''}) stop[static_cast<unsigned char>(c)] = true;
    }
};
constexpr name_stops name_stop;
}  // namespace

result<void> xml_reader::parse_start_tag() {
    // Fast path: a tag that is only a name ("<count>", most of a report), in the window: one pass
    // finds its end and its last ':'. What it accepts is exactly what the full path below
    // accepts for the same bytes (no quote before the '>', no '/' or space in the body).
    {
        const char* const b = buf_.data() + pos_ + 1;
        const char* const e = buf_.data() + end_;
        const char* p = b;
        const char* colon = nullptr;
        while (p < e && !name_stop.stop[static_cast<unsigned char>(*p)]) {
            if (*p == ':') colon = p;
            ++p;
        }
        if (p < e && *p == '>' && p > b && is_name_start(static_cast<unsigned char>(*b))) {
            const auto n = static_cast<std::size_t>(p - b);
            const std::int64_t at = offset();
            qname_.clear();
            qname_.append(b, n);  // (assign's general replace cost twice as much here)
            local_name_ = colon ? std::string_view(qname_).substr(static_cast<std::size_t>(colon - b) + 1) : std::string_view(qname_);
            attrs_.clear();
            self_closing_ = false;
            pos_ += n + 2;
            return open_element(at);
        }
    }
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
    return self_closing_ ? result<void>{} : open_element(at);
}

// The start tag just read (qname_) is open until its end tag.
result<void> xml_reader::open_element(std::int64_t at) {
    if (depth_ >= limits::max_xml_depth)
        return fail("elements nested deeper than " + std::to_string(limits::max_xml_depth), at);
    ++depth_;
    open_names_ += qname_;
    open_ends_.push_back(open_names_.size());
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
        return fail("end tag </" + shown(name) + "> without a start tag", at);
    if (name != open_back())
        return fail("end tag </" + shown(name) + "> does not match <" +
                        shown(open_back()) + ">",
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

namespace {
// Bytes the fast path copies as they are: printable ASCII, TAB, LF, and bytes >= 0x80 (checked
// as a whole in finish_text). `markup` adds '&' and '<' as stops, for text outside CDATA.
struct byte_classes {
    bool stop_cdata[256] = {};
    bool stop_text[256] = {};
    constexpr byte_classes() {
        for (int c = 0; c < 0x20; ++c) stop_cdata[c] = stop_text[c] = c != '\t' && c != '\n';
        stop_text[static_cast<unsigned char>('&')] = stop_text[static_cast<unsigned char>('<')] = true;
    }
};
constexpr byte_classes classes;
// Length of the run of fast-path bytes at the start of `raw`; notes a byte >= 0x80 in `high`.
inline std::size_t plain_run(std::string_view raw, const bool (&stop)[256], bool& high) {
    unsigned char any = 0;
    std::size_t j = 0;
    for (; j < raw.size(); ++j) {
        const auto u = static_cast<unsigned char>(raw[j]);
        if (stop[u]) break;
        any |= u;
    }
    if (any & 0x80) high = true;
    return j;
}
constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD
}  // namespace

std::string xml_reader::attribute(std::string_view want, std::size_t max_bytes) const {
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
            text_sink sink{out, max_bytes + 4};
            // A forbidden character reference makes the value unusable: keep none of it.
            if (!self->decode_text(value, sink)) return {};
            self->finish_text(sink, max_bytes);
            return out;
        }
    }
    return {};
}

result<bool> xml_reader::read_leaf_text(std::string& out, std::size_t max_bytes) {
    out.clear();
    if (self_closing_) return false;
    const std::int64_t at = offset();
    const auto with_offset = [at](const error& err) {
        error e = err;
        if (e.offset < 0) e.offset = at;
        return unexpected{e};
    };
    // The element's name stays in open_names_ (and this view valid) until the end tag pops it.
    const std::string_view name = open_back();
    // Bytes a '<' needs after it before it can be classified: "</name>" or "<![CDATA[" (the
    // longest markup recognised inside text; "<!--" and "<?" are shorter).
    const std::size_t look = std::max<std::size_t>(9, name.size() + 3);
    // A long run of text with literal '<' in it is decoded in pieces of about this size, so the
    // window never has to hold the whole text node.
    constexpr std::size_t flush_at = 16 * limits::KiB;
    text_sink sink{out, max_bytes + 4};
    std::size_t rel = 0;  // [pos_, pos_ + rel) is text without markup, not yet decoded
    const auto flush = [&](std::size_t n) -> result<void> {
        auto r = decode_text(std::string_view(buf_.data() + pos_, n), sink);
        if (!r) return r;
        pos_ += n;
        rel -= n;
        return {};
    };
    for (;;) {
        const char* base = buf_.data() + pos_;
        const void* lt = std::memchr(base + rel, '<', end_ - pos_ - rel);
        if (!lt) {
            rel = end_ - pos_;
            auto f = flush(stable_prefix(std::string_view(base, rel)));
            if (!f) return with_offset(f.err());
            auto more = fill(rel + 1);
            if (!more) return unexpected{more.err()};
            if (!*more)
                return fail("document ends inside <" + shown(name) + ">", at);
            continue;
        }
        const std::size_t k = static_cast<std::size_t>(static_cast<const char*>(lt) - base);
        // More bytes are needed after the '<' at k: decode the text before it first, so the window
        // holds only the token, not the text node (it would otherwise grow with every such edge).
        const auto more_after_lt = [&](std::size_t k_now, std::size_t bytes) -> result<bool> {
            rel = k_now;
            auto f = flush(stable_prefix(std::string_view(buf_.data() + pos_, k_now)));
            if (!f) return with_offset(f.err());
            return fill(rel + bytes);  // rel is where the '<' is now
        };
        if (end_ - pos_ < k + look && !eof_) {
            auto more = more_after_lt(k, look);
            if (!more) return unexpected{more.err()};
            continue;  // the window may have moved; rel is relative, so rescan from it
        }
        const std::string_view rest(base + k, end_ - pos_ - k);
        if (rest.size() >= 2 + name.size() && rest[1] == '/' && rest.substr(2, name.size()) == name) {
            std::size_t j = 2 + name.size();
            while (j < rest.size() && is_space(rest[j])) ++j;
            if (j < rest.size() && rest[j] == '>') {
                if (out.empty() && !sink.cut) {
                    // Fast path, the overwhelming majority of fields: the whole text is in the
                    // window and plain ASCII within its cap. Same result as the general path.
                    std::string_view t(base, k);
                    while (!t.empty() && is_space(t.front())) t.remove_prefix(1);
                    while (!t.empty() && is_space(t.back())) t.remove_suffix(1);
                    bool high = false;
                    if (t.size() <= max_bytes && plain_run(t, classes.stop_text, high) == t.size() && !high) {
                        out.assign(t);
                        pos_ += k + j + 1;
                        open_pop();
                        --depth_;
                        return false;
                    }
                }
                rel = k;
                auto f = flush(k);
                if (!f) return with_offset(f.err());
                pos_ += j + 1;
                open_pop();
                --depth_;
                return finish_text(sink, max_bytes);
            }
            if (j == rest.size() && !eof_) {
                auto more = more_after_lt(k, j + 1);
                if (!more) return unexpected{more.err()};
                continue;
            }
        }
        if (rest.substr(0, 9) == "<![CDATA[") {
            // It may legally contain "</name>" and '<': its content is text, taken as is (but under
            // the same character rules), streamed through the window in pieces.
            rel = k;
            auto f = flush(k);
            if (!f) return with_offset(f.err());
            pos_ += 9;
            for (;;) {
                const std::string_view window(buf_.data() + pos_, end_ - pos_);
                const auto close = window.find("]]>");
                if (close != std::string_view::npos) {
                    decode_cdata(window.substr(0, close), sink);
                    pos_ += close + 3;
                    break;
                }
                // Keep what could start "]]>" and a CR that could pair with a following LF.
                std::size_t n = window.size() > 2 ? window.size() - 2 : 0;
                if (n > 0 && window[n - 1] == '\r') --n;
                decode_cdata(window.substr(0, n), sink);
                pos_ += n;
                auto more = fill(end_ - pos_ + 1);
                if (!more) return unexpected{more.err()};
                if (!*more) return fail("document ends inside a CDATA section", at);
            }
            continue;
        }
        if (rest.substr(0, 4) == "<!--" || rest.substr(0, 2) == "<?") {
            // Comments and processing instructions are markup inside content (XML 1.0 §2.5, §2.6):
            // dropped, and a "</name>" inside them does not end the element.
            const bool comment = rest[1] == '!';
            rel = k;
            auto f = flush(k);
            if (!f) return with_offset(f.err());
            auto r = comment ? skip_until("-->", "a comment") : skip_until("?>", "a processing instruction");
            if (!r) return unexpected{r.err()};
            continue;
        }
        rel = k + 1;  // a literal '<' (warned about when decoded)
        if (rel >= flush_at) {
            auto f = flush(stable_prefix(std::string_view(base, rel)));
            if (!f) return with_offset(f.err());
        }
    }
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
        warnings_.push_back("document ends without closing <" + shown(open_back()) +
                            "> around the report");
    }
    return clean;
}

void xml_reader::text_sink::put(char c) {
    if (out.size() < limit) {
        if (out.empty() && is_space(c)) return;  // leading white space is trimmed anyway
        out += c;
    } else if (!is_space(c)) {
        cut = true;
    }
}

void xml_reader::text_sink::put(std::string_view s) {
    if (out.empty()) {
        std::size_t b = 0;
        while (b < s.size() && is_space(s[b])) ++b;
        s.remove_prefix(b);
    }
    const std::size_t room = limit > out.size() ? limit - out.size() : 0;
    if (s.size() <= room) {
        out.append(s);
        return;
    }
    out.append(s.substr(0, room));
    if (!cut && !all_space(s.substr(room))) cut = true;
}

std::size_t xml_reader::stable_prefix(std::string_view raw) {
    std::size_t n = raw.size();
    // A CR at the end may be the first half of CR LF (XML 1.0 §2.11).
    if (n > 0 && raw[n - 1] == '\r') --n;
    // An entity is at most 12 bytes ("&#x10FFFF;" plus room): an '&' that close to the end with no
    // ';' after it may still become one. No defined entity contains '&', so only the last counts.
    const std::size_t from = n > 12 ? n - 12 : 0;
    const auto amp = raw.substr(0, n).rfind('&');
    if (amp != std::string_view::npos && amp >= from && raw.substr(amp, n - amp).find(';') == std::string_view::npos)
        n = amp;
    return n;
}


void xml_reader::decode_cdata(std::string_view raw, text_sink& sink) {
    // CDATA content is character data like any other text (XML 1.0 §2.7): the same rules for
    // control characters, CR LF and UTF-8 apply, only markup and entities are not recognised.
    std::size_t i = 0;
    while (i < raw.size()) {
        std::size_t j = i + plain_run(raw.substr(i), classes.stop_cdata, sink.scrub);
        sink.put(raw.substr(i, j - i));
        if (j == raw.size()) break;
        if (raw[j] == '\r') {
            sink.put('\n');
            j += (j + 1 < raw.size() && raw[j + 1] == '\n') ? 2 : 1;
        } else {  // a C0 control
            warn_once(warn_control, "a control character in a text field was replaced");
            sink.put(replacement);
            ++j;
        }
        i = j;
    }
}

result<void> xml_reader::decode_text(std::string_view raw, text_sink& sink) {
    for (std::size_t i = 0; i < raw.size();) {
        // Fast path: a run of plain bytes (the overwhelming majority of every field).
        const std::size_t j = i + plain_run(raw.substr(i), classes.stop_text, sink.scrub);
        if (j > i) {
            sink.put(raw.substr(i, j - i));
            i = j;
            if (i == raw.size()) break;
        }
        const char c = raw[i];
        if (c == '&') {
            // Bounded look for ';': the longest entity is "&#x10FFFF;" (and an unbounded find
            // would make "&&&&..." quadratic).
            const auto semi = raw.substr(i + 1, 11).find(';');
            const std::size_t len = semi == std::string_view::npos ? 0 : semi;
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
                sink.put('&');
                ++i;
                continue;
            }
            std::string utf8;  // at most 4 bytes: no allocation
            text::append_utf8(utf8, cp);
            sink.put(std::string_view(utf8));
            i += len + 2;
            continue;
        }
        if (c == '<') {
            // Markup was taken out by the caller: this is a literal '<'.
            warn_once(warn_lt, "an unescaped '<' in a text field was kept as text");
            sink.put('<');
            ++i;
            continue;
        }
        if (c == '\r') {
            // XML 1.0 §2.11 end-of-line handling.
            sink.put('\n');
            i += (i + 1 < raw.size() && raw[i + 1] == '\n') ? 2 : 1;
            continue;
        }
        // A C0 control (the only other stop).
        warn_once(warn_control, "a control character in a text field was replaced");
        sink.put(replacement);
        ++i;
    }
    return {};
}

bool xml_reader::finish_text(text_sink& sink, std::size_t max_bytes) {
    std::string& out = sink.out;
    const auto rtrim = [&out] {
        std::size_t e = out.size();
        while (e > 0 && is_space(out[e - 1])) --e;
        out.resize(e);
    };
    rtrim();
    if (!sink.scrub && out.size() <= max_bytes) return sink.cut;
    // Cut first on a character boundary of what was kept, so the slack byte cut inside put() is
    // not mistaken for invalid UTF-8 below; cut again if repairs made the text longer.
    if (utf8_truncate(out, max_bytes)) {
        sink.cut = true;
        rtrim();
    }
    if (sink.scrub && text::repair_utf8(out))
        warn_once(warn_utf8, "invalid UTF-8 in a text field was replaced with U+FFFD");
    if (utf8_truncate(out, max_bytes)) {
        sink.cut = true;
        rtrim();
    }
    return sink.cut;
}

}  // namespace dmarcsight::report
