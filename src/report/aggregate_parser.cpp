#include "report/aggregate_parser.hpp"

#include <charconv>
#include <cstring>
#include <limits>
#include <memory>

#include "core/limits.hpp"
#include "core/text.hpp"
#include "core/utf8.hpp"
#include "report/encoding.hpp"
#include "report/xml_reader.hpp"

namespace dmarcsight::report {

void record::clear() {
    source_ip = {};
    count = 0;
    disposition.clear();
    dkim.clear();
    spf.clear();
    reasons.clear();
    header_from.clear();
    envelope_from.clear();
    envelope_to.clear();
    dkim_results.clear();
    spf_results.clear();
}

report_key report_key::of(const report_header& h) {
    return {text::ascii_lower(text::trim(h.metadata.org_name)), text::ascii_lower(text::trim(h.metadata.report_id)),
            text::normalize_domain(h.policy.domain), h.metadata.begin, h.metadata.end};
}

bool looks_like_xml(std::string_view head) {
    if (head.size() >= 3 && head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);
    if (head.size() >= 2 && ((head[0] == '\xFF' && head[1] == '\xFE') || (head[0] == '\xFE' && head[1] == '\xFF')))
        return true;
    if (head.size() >= 2 && ((head[0] == '<' && head[1] == '\0') || (head[0] == '\0' && head[1] == '<'))) return true;
    for (const char c : head) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
        return c == '<';
    }
    return false;
}

namespace {

// Element-name test for the schema walk: length and first/last byte decide almost every mismatch
// without a memcmp call (this runs ~25 times per record).
template <std::size_t N>
inline bool is(std::string_view name, const char (&want)[N]) {
    constexpr std::size_t len = N - 1;
    return name.size() == len && name[0] == want[0] && name[len - 1] == want[len - 1] &&
           std::memcmp(name.data(), want, len) == 0;
}

constexpr std::size_t max_record_warnings = 20;

// Report text quoted in a warning or error: control characters escaped, cut to `n` bytes on a
// character boundary ("..." marks the cut).
std::string shown(std::string_view s, std::size_t n) {
    const std::string_view head = utf8_prefix(s, n);
    std::string out = text::for_terminal(head);
    if (head.size() < s.size()) out += "...";
    return out;
}

// A domain name may carry the root's trailing dot: 253 characters plus '.'.
bool domain_fits(std::string_view s) {
    return s.size() <= limits::max_domain_length || (s.size() == limits::max_domain_length + 1 && s.back() == '.');
}

// Bytes of text one record stores (what limits::max_record_text caps).
std::size_t text_bytes(const record& r) {
    std::size_t n = r.disposition.size() + r.dkim.size() + r.spf.size() + r.header_from.size() + r.envelope_from.size() +
                    r.envelope_to.size();
    for (const auto& x : r.reasons) n += x.type.size() + x.comment.size();
    for (const auto& x : r.dkim_results) n += x.domain.size() + x.selector.size() + x.result.size() + x.human_result.size();
    for (const auto& x : r.spf_results) n += x.domain.size() + x.scope.size() + x.result.size() + x.human_result.size();
    return n;
}

// Memory a held (pending) record takes, roughly: its text, its fixed part and its vectors.
std::size_t footprint(const record& r) {
    return sizeof(record) + text_bytes(r) + r.reasons.size() * sizeof(policy_override_reason) +
           r.dkim_results.size() * sizeof(dkim_auth_result) + r.spf_results.size() * sizeof(spf_auth_result);
}

// "1700000000", " 1700000000 ", "1700000000.0" (Mimecast): epoch seconds; nullopt if not a
// non-negative integer that fits int64.
std::optional<std::int64_t> parse_epoch(std::string_view s, bool& had_fraction) {
    s = text::trim(s);
    const auto dot = s.find('.');
    if (dot != std::string_view::npos) {
        const std::string_view frac = s.substr(dot + 1);
        for (const char c : frac)
            if (c < '0' || c > '9') return std::nullopt;
        s = s.substr(0, dot);
        had_fraction = true;
    }
    if (s.empty()) return std::nullopt;
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || v < 0) return std::nullopt;
    return v;
}

std::optional<std::int64_t> parse_count(std::string_view s) {
    s = text::trim(s);
    if (s.empty() || s[0] == '-' || s[0] == '+') return std::nullopt;
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
    return v;
}

class parser {
public:
    parser(byte_source& in, aggregate_sink& sink, const parse_options& opt) : in_(in), sink_(sink), opt_(opt) {}

    result<parse_summary> run() {
        auto src = utf8_source(in_, {}, sum_.warnings);
        if (!src) return unexpected{src.err()};
        source_ = std::move(*src);
        // One window per thread, reused by every report this thread parses.
        thread_local std::string window;
        reader_ = std::make_unique<xml_reader>(*source_, window);
        xml_reader& r = *reader_;
        bool found = false;
        while (!found) {
            auto t = r.next_tag();
            if (!t) return unexpected{t.err()};
            if (*t == xml_reader::token::eof)
                return fail("not a DMARC aggregate report: no <feedback> element", r.offset());
            if (*t != xml_reader::token::start) continue;
            if (is(r.name(), "feedback")) {
                found = true;
                if (r.depth() > 1) warn("the report is wrapped in another element");
                note_namespace();
                if (r.self_closing()) return fail("<feedback> is empty", r.offset());
                auto f = parse_feedback();
                if (!f) return unexpected{f.err()};
            }
        }
        auto clean = r.drain();
        if (!clean) return unexpected{clean.err()};
        if (!*clean) warn("unexpected content after </feedback> was ignored");
        if (!header_sent_) {
            auto h = send_header();
            if (!h) return unexpected{h.err()};
        }
        if (sum_.records == 0) warn("the report has no valid records");
        if (upper_seen_) warn("upper-case result words were folded to lower case");
        for (auto& w : r.warnings()) sum_.warnings.push_back(std::move(w));
        if (sum_.dropped_records > max_record_warnings)
            sum_.warnings.push_back(std::to_string(sum_.dropped_records - max_record_warnings) +
                                    " more records were dropped");
        return std::move(sum_);
    }

private:
    void warn(std::string w) {
        for (const auto& have : sum_.warnings)
            if (have == w) return;
        sum_.warnings.push_back(std::move(w));
    }

    void note_namespace() {
        xml_reader& r = *reader_;
        const std::string_view q = r.qualified_name();
        const auto colon = q.find(':');
        header_.xml_namespace =
            colon == std::string_view::npos
                ? r.attribute("xmlns", limits::max_report_free_text)
                : r.attribute("xmlns:" + std::string(q.substr(0, colon)), limits::max_report_free_text);
    }

    // Reads a leaf's text, trimmed, keeping at most `cap` bytes: true if it was longer.
    result<bool> leaf(std::string& out, std::size_t cap) { return reader_->read_leaf_text(out, cap); }

    // Free text (human_result, comments, errors, contact info, generator): cut with a warning.
    result<void> free_text(std::string& out, const char* element) {
        auto t = leaf(out, limits::max_report_free_text);
        if (!t) return unexpected{t.err()};
        if (*t)
            warn(std::string("a <") + element + "> longer than " + std::to_string(limits::max_report_free_text) +
                 " bytes was truncated");
        return {};
    }

    // An RFC token word: cut with a warning (an over-long one is no defined value anyway), folded.
    result<void> word(std::string& out, std::string_view element, bool fold = true) {
        auto t = leaf(out, limits::max_report_word);
        if (!t) return unexpected{t.err()};
        if (*t)
            warn("a <" + std::string(element) + "> longer than " + std::to_string(limits::max_report_word) +
                 " bytes was truncated");
        if (fold) fold_word(out);
        return {};
    }

    // A record's name field (domain, selector, address): a longer one drops the record. A domain
    // may carry the root's trailing dot on top (domain_fits).
    enum class name_kind { domain, other };
    result<void> record_name(std::string& out, std::size_t cap, const char* element, name_kind kind = name_kind::other) {
        auto t = leaf(out, cap + 1);
        if (!t) return unexpected{t.err()};
        const bool fits = !*t && (kind == name_kind::domain ? domain_fits(out) : out.size() <= cap);
        if (!fits && bad_.empty())
            bad_ = std::string(element) + " is longer than " + std::to_string(cap) + " bytes";
        return {};
    }

    // Report identity fields (org_name, report_id) and <email>: never truncated (that could merge
    // two reports' identities); an absurd length rejects the report.
    result<void> identity(std::string& out, std::size_t cap, const char* element) {
        const std::int64_t at = reader_->offset();
        auto t = leaf(out, cap);
        if (!t) return unexpected{t.err()};
        if (*t) return fail("report_metadata " + std::string(element) + " is longer than " + std::to_string(cap) + " bytes", at);
        return {};
    }

    // Result words are tokens (RFC 9990 enums): fold case, and say so once.
    void fold_word(std::string& s) {
        for (char& c : s) {
            if (c >= 'A' && c <= 'Z') {
                c = static_cast<char>(c - 'A' + 'a');
                upper_seen_ = true;
            }
        }
    }

    result<void> parse_feedback() {
        xml_reader& r = *reader_;
        for (;;) {
            auto t = r.next_tag();
            if (!t) return unexpected{t.err()};
            if (*t == xml_reader::token::eof) return fail("document ends inside <feedback>", r.offset());
            if (*t == xml_reader::token::end) return {};  // </feedback> (mismatches are reader errors)
            const std::string_view n = r.name();
            result<void> res;
            if (is(n, "record")) {
                if (!header_sent_ && have_metadata_ && have_policy_) {
                    auto h = send_header();
                    if (!h) return h;
                }
                res = parse_record();
            } else if (is(n, "report_metadata")) {
                res = parse_metadata();
                have_metadata_ = true;
            } else if (is(n, "policy_published")) {
                res = parse_policy();
                have_policy_ = true;
            } else if (is(n, "version")) {
                res = word(header_.xml_schema, "version", false);
            } else {
                res = r.skip_element();  // <extension> and anything unknown
            }
            if (!res) return res;
        }
    }

    result<void> parse_metadata() {
        xml_reader& r = *reader_;
        // "<x/>" is an empty "<x></x>" (XML 1.0 §3.1), and has no end tag to wait for: every walk
        // of a container (here and below) returns at once on one.
        if (r.self_closing()) return {};
        report_metadata& m = header_.metadata;
        for (;;) {
            auto t = r.next_tag();
            if (!t) return unexpected{t.err()};
            if (*t == xml_reader::token::eof) return fail("document ends inside <report_metadata>", r.offset());
            if (*t == xml_reader::token::end) return {};
            const std::string_view n = r.name();
            result<void> res;
            if (is(n, "org_name")) {
                res = identity(m.org_name, limits::max_report_identity, "org_name");
            } else if (is(n, "email")) {
                res = identity(m.email, limits::max_email_address, "email");
            } else if (is(n, "extra_contact_info")) {
                res = free_text(m.extra_contact_info, "extra_contact_info");
            } else if (is(n, "report_id")) {
                res = identity(m.report_id, limits::max_report_identity, "report_id");
            } else if (is(n, "generator")) {
                res = free_text(m.generator, "generator");
            } else if (is(n, "error")) {
                res = free_text(tmp_, "error");
                if (res && !tmp_.empty()) {
                    if (m.errors.size() < limits::max_report_errors) {
                        m.errors.push_back(tmp_);
                    } else {
                        warn("more than " + std::to_string(limits::max_report_errors) + " <error> elements; the rest were ignored");
                    }
                }
            } else if (is(n, "date_range")) {
                res = parse_date_range();
            } else {
                res = r.skip_element();
            }
            if (!res) return res;
        }
    }

    result<void> parse_date_range() {
        xml_reader& r = *reader_;
        if (r.self_closing()) return {};  // "<x/>": empty (see parse_metadata)
        for (;;) {
            auto t = r.next_tag();
            if (!t) return unexpected{t.err()};
            if (*t == xml_reader::token::eof) return fail("document ends inside <date_range>", r.offset());
            if (*t == xml_reader::token::end) return {};
            const std::string_view n = r.name();
            const bool is_begin = is(n, "begin");
            if (!is_begin && n != "end") {
                auto s = r.skip_element();
                if (!s) return s;
                continue;
            }
            const std::int64_t at = r.offset();
            auto res = leaf(tmp_, limits::max_report_number);
            if (!res) return unexpected{res.err()};
            bool fraction = false;
            const auto v = *res ? std::nullopt : parse_epoch(tmp_, fraction);
            if (!v)
                return fail("date_range " + std::string(is_begin ? "begin" : "end") + " '" +
                                shown(tmp_, limits::max_logged_text) + "' is not a timestamp",
                            at);
            if (fraction) warn("date_range has fractional timestamps; truncated to whole seconds");
            (is_begin ? header_.metadata.begin : header_.metadata.end) = *v;
            (is_begin ? have_begin_ : have_end_) = true;
        }
    }

    result<void> parse_policy() {
        xml_reader& r = *reader_;
        if (r.self_closing()) return {};  // "<x/>": empty (see parse_metadata)
        policy_published& p = header_.policy;
        for (;;) {
            auto t = r.next_tag();
            if (!t) return unexpected{t.err()};
            if (*t == xml_reader::token::eof) return fail("document ends inside <policy_published>", r.offset());
            if (*t == xml_reader::token::end) return {};
            const std::string_view n = r.name();
            std::string* field = nullptr;
            if (is(n, "domain")) field = &p.domain;
            else if (is(n, "adkim")) field = &p.adkim;
            else if (is(n, "aspf")) field = &p.aspf;
            else if (is(n, "p")) field = &p.p;
            else if (is(n, "sp")) field = &p.sp;
            else if (is(n, "np")) field = &p.np;
            else if (is(n, "fo")) field = &p.fo;
            else if (is(n, "testing")) field = &p.testing;
            else if (is(n, "discovery_method")) field = &p.discovery_method;
            if (field == &p.domain) {
                // The policy domain is part of the report's identity: too long rejects (send_header).
                auto res = leaf(p.domain, limits::max_domain_length + 1);
                if (!res) return unexpected{res.err()};
                if (*res || !domain_fits(p.domain))
                    return fail("policy_published domain is longer than " + std::to_string(limits::max_domain_length) +
                                    " characters: " + shown(p.domain, limits::max_logged_text),
                                r.offset());
                continue;
            }
            if (field) {
                const std::string element(n);  // n views the reader's current tag, replaced by the read
                auto res = word(*field, element, field != &p.fo);
                if (!res) return res;
                continue;
            }
            if (is(n, "pct")) {
                auto res = leaf(tmp_, limits::max_report_number);
                if (!res) return unexpected{res.err()};
                const auto v = *res ? std::nullopt : parse_count(tmp_);
                if (v && *v <= 100) {
                    p.pct = static_cast<int>(*v);
                } else if (!tmp_.empty()) {
                    warn("policy_published pct '" + shown(tmp_, 20) + "' is not 0..100; ignored");
                }
                continue;
            }
            auto s = r.skip_element();
            if (!s) return s;
        }
    }

    result<void> send_header() {
        report_metadata& m = header_.metadata;
        if (!have_metadata_) return fail("not a DMARC aggregate report: no <report_metadata>");
        if (m.org_name.empty()) {
            const auto at = m.email.rfind('@');
            std::string fallback = at != std::string::npos ? text::normalize_domain(m.email.substr(at + 1)) : "";
            if (fallback.empty()) fallback = opt_.fallback_org;
            if (fallback.empty()) return fail("report_metadata has no org_name");
            if (fallback.size() > limits::max_report_identity) return fail("report_metadata has no org_name");
            warn("report_metadata has no org_name; using '" + shown(fallback, 60) + "'");
            m.org_name = fallback;
        }
        if (m.report_id.empty()) return fail("report_metadata has no report_id");
        if (!have_begin_ || !have_end_) return fail("report_metadata has no complete date_range");
        if (m.begin > m.end) return fail("date_range begin is after its end");
        if (!have_policy_) return fail("not a DMARC aggregate report: no <policy_published>");
        policy_published& p = header_.policy;
        p.domain = text::normalize_domain(p.domain);
        if (p.domain.empty()) return fail("policy_published has no domain");
        if (p.domain.size() > limits::max_domain_length)
            return fail("policy_published domain is longer than " + std::to_string(limits::max_domain_length) +
                        " characters: " + shown(p.domain, limits::max_logged_text));
        if (header_.xml_namespace == "urn:ietf:params:xml:ns:dmarc-2.0" || header_.xml_schema.starts_with("2")) {
            header_.flavour = schema_flavour::rfc9990;
        } else if (!header_.xml_schema.empty()) {
            header_.flavour = schema_flavour::rfc7489;
        }
        if (header_.xml_schema.empty()) header_.xml_schema = "draft";
        auto res = sink_.on_header(header_);
        if (!res) return res;
        header_sent_ = true;
        for (const auto& rec : pending_) {
            auto d = deliver(rec);
            if (!d) return d;
        }
        pending_.clear();
        pending_bytes_ = 0;
        return {};
    }

    result<void> deliver(const record& rec) {
        ++sum_.records;
        const auto room = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) - sum_.messages;
        sum_.messages += static_cast<std::uint64_t>(rec.count) < room ? static_cast<std::uint64_t>(rec.count) : room;
        return sink_.on_record(rec);
    }

    void drop(const std::string& why) {
        ++sum_.dropped_records;
        if (sum_.dropped_records <= max_record_warnings)
            sum_.warnings.push_back("record " + std::to_string(record_index_) + " dropped: " + why);
    }

    result<void> parse_record() {
        ++record_index_;
        if (record_index_ > limits::max_records_per_report)
            return fail("more than " + std::to_string(limits::max_records_per_report) + " records");
        rec_.clear();
        bad_.clear();
        have_ip_ = have_count_ = false;
        dkim_seen_ = spf_seen_ = 0;
        auto res = walk_record(1);
        if (!res) return res;
        if (bad_.empty() && !have_ip_) bad_ = "no source_ip";
        if (bad_.empty() && !have_count_) bad_ = "no count";
        if (bad_.empty()) {
            const std::size_t bytes = text_bytes(rec_);
            if (bytes > limits::max_record_text)
                bad_ = "its text fields hold " + std::to_string(bytes) + " bytes, more than " +
                       std::to_string(limits::max_record_text);
        }
        if (!bad_.empty()) {
            drop(bad_);
            return {};
        }
        if (!header_sent_) {
            pending_bytes_ += footprint(rec_);
            if (pending_.size() >= limits::max_pending_records || pending_bytes_ > limits::max_pending_record_bytes)
                return fail("too many records arrive before report_metadata/policy_published");
            pending_.push_back(rec_);
            return {};
        }
        return deliver(rec_);
    }

    // Walks <record> and its known children. The nesting of the known schema is at most 4 below
    // <record>; unknown elements are skipped iteratively by the reader.
    result<void> walk_record(int level) {
        xml_reader& r = *reader_;
        if (r.self_closing()) return {};  // "<x/>": empty (see parse_metadata)
        for (;;) {
            auto t = r.next_tag();
            if (!t) return unexpected{t.err()};
            if (*t == xml_reader::token::eof) return fail("document ends inside <record>", r.offset());
            if (*t == xml_reader::token::end) return {};
            const std::string_view n = r.name();
            result<void> res;
            if (is(n, "row") || is(n, "policy_evaluated") || is(n, "identifiers")) {
                res = level < 3 ? walk_record(level + 1) : r.skip_element();
            } else if (is(n, "auth_results")) {
                res = parse_auth_results();
            } else if (is(n, "source_ip")) {
                auto t = leaf(tmp_, limits::max_report_number);
                if (!t) return unexpected{t.err()};
                have_ip_ = true;
                const auto ip = *t ? std::nullopt : ip_address::parse(tmp_);
                if (ip) {
                    rec_.source_ip = *ip;
                } else if (bad_.empty()) {
                    bad_ = "source_ip '" + shown(tmp_, 60) + "' is not an IP address";
                }
            } else if (is(n, "count")) {
                auto t = leaf(tmp_, limits::max_report_number);
                if (!t) return unexpected{t.err()};
                have_count_ = true;
                const auto c = *t ? std::nullopt : parse_count(tmp_);
                if (c) {
                    rec_.count = *c;
                } else if (bad_.empty()) {
                    bad_ = "count '" + shown(tmp_, 40) + "' is not a number in 0..2^63-1";
                }
            } else if (is(n, "disposition")) {
                res = word(rec_.disposition, "disposition");
            } else if (is(n, "dkim")) {
                res = word(rec_.dkim, "dkim");
            } else if (is(n, "spf")) {
                res = word(rec_.spf, "spf");
            } else if (is(n, "reason")) {
                res = parse_reason();
            } else if (is(n, "header_from")) {
                res = record_name(rec_.header_from, limits::max_domain_length, "header_from", name_kind::domain);
            } else if (is(n, "envelope_from")) {
                res = record_name(rec_.envelope_from, limits::max_email_address, "envelope_from");
            } else if (is(n, "envelope_to")) {
                res = record_name(rec_.envelope_to, limits::max_email_address, "envelope_to");
            } else {
                res = r.skip_element();
            }
            if (!res) return res;
        }
    }

    result<void> parse_reason() {
        xml_reader& r = *reader_;
        policy_override_reason reason;
        for (bool empty = r.self_closing(); !empty;) {  // "<reason/>": an empty reason
            auto t = r.next_tag();
            if (!t) return unexpected{t.err()};
            if (*t == xml_reader::token::eof) return fail("document ends inside <reason>", r.offset());
            if (*t == xml_reader::token::end) break;
            result<void> res;
            if (is(r.name(), "type")) {
                res = word(reason.type, "type");
            } else if (is(r.name(), "comment")) {
                res = free_text(reason.comment, "comment");
            } else {
                res = r.skip_element();
            }
            if (!res) return res;
        }
        // An empty <reason> is kept too: we store what the report says.
        if (rec_.reasons.size() < limits::max_reasons_per_record) {
            rec_.reasons.push_back(std::move(reason));
        } else {
            warn("a record has more than " + std::to_string(limits::max_reasons_per_record) +
                 " <reason> elements; the rest were ignored");
        }
        return {};
    }

    result<void> parse_auth_results() {
        xml_reader& r = *reader_;
        if (r.self_closing()) return {};  // "<x/>": empty (see parse_metadata)
        for (;;) {
            auto t = r.next_tag();
            if (!t) return unexpected{t.err()};
            if (*t == xml_reader::token::eof) return fail("document ends inside <auth_results>", r.offset());
            if (*t == xml_reader::token::end) return {};
            const std::string_view n = r.name();
            const bool is_dkim = is(n, "dkim");
            if (!is_dkim && n != "spf") {
                auto s = r.skip_element();
                if (!s) return s;
                continue;
            }
            std::string domain, selector_or_scope, result_word, human;
            for (bool empty = r.self_closing(); !empty;) {  // "<dkim/>": a result with nothing in it
                auto u = r.next_tag();
                if (!u) return unexpected{u.err()};
                if (*u == xml_reader::token::eof) return fail("document ends inside <auth_results>", r.offset());
                if (*u == xml_reader::token::end) break;
                const std::string_view f = r.name();
                result<void> res;
                if (is(f, "domain")) res = record_name(domain, limits::max_domain_length, is_dkim ? "DKIM domain" : "SPF domain",
                                                      name_kind::domain);
                else if (is_dkim && is(f, "selector")) res = record_name(selector_or_scope, limits::max_dkim_selector, "DKIM selector");
                else if (!is_dkim && is(f, "scope")) res = word(selector_or_scope, "scope");
                else if (is(f, "result")) res = word(result_word, "result");
                else if (is(f, "human_result")) res = free_text(human, "human_result");
                else res = r.skip_element();
                if (!res) return res;
            }
            auto& count = is_dkim ? dkim_seen_ : spf_seen_;
            if (++count == limits::max_auth_results_per_record + 1)
                warn("a record has more than " + std::to_string(limits::max_auth_results_per_record) + " " +
                     (is_dkim ? "DKIM" : "SPF") + " results; the rest were ignored");
            if (is_dkim) {
                if (rec_.dkim_results.size() < limits::max_auth_results_per_record)
                    rec_.dkim_results.push_back({std::move(domain), std::move(selector_or_scope), std::move(result_word), std::move(human)});
            } else {
                if (rec_.spf_results.size() < limits::max_auth_results_per_record)
                    rec_.spf_results.push_back({std::move(domain), std::move(selector_or_scope), std::move(result_word), std::move(human)});
            }
        }
    }

    byte_source& in_;
    aggregate_sink& sink_;
    const parse_options& opt_;
    std::unique_ptr<byte_source> source_;
    std::unique_ptr<xml_reader> reader_;
    parse_summary sum_;
    report_header header_;
    record rec_;
    std::vector<record> pending_;
    std::size_t pending_bytes_ = 0;
    std::size_t dkim_seen_ = 0, spf_seen_ = 0;  // results in the current record, kept or not
    std::string tmp_, bad_;
    std::uint64_t record_index_ = 0;
    bool header_sent_ = false, have_metadata_ = false, have_policy_ = false;
    bool have_begin_ = false, have_end_ = false, have_ip_ = false, have_count_ = false, upper_seen_ = false;
};

}  // namespace

result<parse_summary> parse_aggregate(byte_source& in, aggregate_sink& sink, const parse_options& options) {
    parser p(in, sink, options);
    return p.run();
}

}  // namespace dmarcsight::report
