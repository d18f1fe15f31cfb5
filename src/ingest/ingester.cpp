#include "ingest/ingester.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <optional>

#include "core/limits.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "ingest/raw_input.hpp"
#include "mime/container.hpp"
#include "mime/mailbox.hpp"
#include "mime/message.hpp"
#include "report/aggregate_parser.hpp"
#include "report/content_hash.hpp"

namespace dmarcsight::ingest {

namespace {

namespace fs = std::filesystem;
using clock = std::chrono::steady_clock;

// A batch (one transaction) ends after this much work, so a second writer never waits long and
// a crash loses little; each report inside it is a savepoint.
constexpr std::uint64_t batch_max_records = 200'000;
constexpr std::size_t batch_max_units = 2'000;
constexpr auto batch_max_time = std::chrono::milliseconds(1500);
// Directory recursion bound (symlinked folders are never followed, so this only stops absurd trees).
constexpr int max_dir_depth = 64;
// Bytes looked at to tell XML from JSON from other content.
constexpr std::size_t sniff_bytes = 1024;

std::string with_offset(const error& e) {
    if (e.offset < 0) return e.message;
    return e.message + " (at byte " + std::to_string(e.offset) + ")";
}

std::string_view first_non_blank(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
    return s;
}

bool looks_like_json(std::string_view head) {
    head = first_non_blank(head);
    return !head.empty() && (head.front() == '{' || head.front() == '[');
}

// RFC 8460 §4.4 member names; any one near the start marks a TLS report.
bool looks_like_tlsrpt(std::string_view head) {
    return head.find("\"organization-name\"") != std::string_view::npos || head.find("\"policies\"") != std::string_view::npos ||
           head.find("\"report-id\"") != std::string_view::npos || head.find("\"date-range\"") != std::string_view::npos;
}

std::string domain_of_address(std::string_view from) {
    const auto at = from.rfind('@');
    if (at == std::string_view::npos) return {};
    std::string_view d = from.substr(at + 1);
    const auto end = d.find_first_of("> \t\r\n;,\"");
    if (end != std::string_view::npos) d = d.substr(0, end);
    return text::normalize_domain(d);
}

bool contains_ci(std::string_view hay, std::string_view needle) {
    return text::ascii_lower(hay).find(needle) != std::string::npos;
}

}  // namespace

struct ingester::impl {
    struct pending_unit {
        unit_result r;
        std::optional<std::int64_t> report;
        bool keep = false;
    };

    // The raw input being processed: what its bytes are (a file or memory), for the quarantine.
    struct raw_input {
        std::string label;
        std::string path;         // set for file inputs
        std::string_view memory;  // set for in-memory inputs (mbox messages, stdin)
        std::string sha;
        std::uint64_t size = 0;
        bool no_bytes = false;  // nothing to hash (the input could not be read)
    };

    // Receives parsed values and writes them; de-duplicates on the report key.
    struct store_sink final : report::aggregate_sink {
        store::store& db;
        std::string label;
        std::optional<store::existing_report> existing;
        std::int64_t id = 0;
        bool store_failed = false;
        report::content_hash copy_hash;  // only for a copy of a stored report
        store_sink(store::store& d, std::string l) : db(d), label(std::move(l)) {}
        result<void> on_header(const report::report_header& h) override {
            auto found = db.find_report(report::report_key::of(h));
            if (!found) {
                store_failed = true;
                return unexpected{found.err()};
            }
            existing = *found;
            if (existing) {
                copy_hash.header(h);
                return {};
            }
            auto ins = db.insert_report(h, label);
            if (!ins) {
                store_failed = true;
                return unexpected{ins.err()};
            }
            id = *ins;
            return {};
        }
        result<void> on_record(const report::record& rec) override {
            if (existing) {  // a copy: parsed to compare content, not stored
                copy_hash.record(rec);
                return {};
            }
            auto r = db.insert_record(id, rec);
            if (!r) store_failed = true;
            return r;
        }
    };

    store::store& db;
    options opt;
    totals& t;
    quarantine q;
    bool in_batch = false;
    clock::time_point batch_start{};
    std::uint64_t batch_records = 0;
    std::size_t batch_units = 0;
    std::string message_buf;

    impl(store::store& d, options o, totals& tt) : db(d), opt(std::move(o)), t(tt), q(opt.quarantine_dir) {}

    result<void> ensure_batch() {
        if (in_batch) return {};
        auto r = db.begin_batch();
        if (!r) return r;
        in_batch = true;
        batch_start = clock::now();
        batch_records = 0;
        batch_units = 0;
        return {};
    }

    result<void> commit() {
        if (!in_batch) return {};
        in_batch = false;
        return db.commit_batch();
    }

    result<void> maybe_commit() {
        if (in_batch && (batch_records >= batch_max_records || batch_units >= batch_max_units ||
                         clock::now() - batch_start >= batch_max_time))
            return commit();
        return {};
    }

    static pending_unit rejected(std::string label, std::string reason, std::string kind = "unknown") {
        pending_unit u;
        u.r.label = std::move(label);
        u.r.result = store::outcome::rejected;
        u.r.kind = std::move(kind);
        u.r.reason = std::move(reason);
        u.keep = true;
        return u;
    }

    static pending_unit skipped(std::string label, std::string kind, std::string reason) {
        pending_unit u;
        u.r.label = std::move(label);
        u.r.result = store::outcome::skipped;
        u.r.kind = std::move(kind);
        u.r.reason = std::move(reason);
        return u;
    }

    // One aggregate report leaf, inside its own savepoint.
    result<void> aggregate_leaf(byte_source& s, const std::string& label, const std::string& fallback_org,
                                const std::vector<std::string>& extra_warnings, std::vector<pending_unit>& units) {
        auto b = ensure_batch();
        if (!b) return b;
        b = db.begin_unit();
        if (!b) return b;
        store_sink sink(db, label);
        report::parse_options po;
        po.fallback_org = fallback_org;
        auto parsed = report::parse_aggregate(s, sink, po);
        pending_unit u;
        u.r.label = label;
        u.r.kind = "aggregate";
        if (!parsed) {
            auto e = db.end_unit(false);
            if (!e) return e;
            if (sink.store_failed) return unexpected{parsed.err()};
            u = rejected(label, with_offset(parsed.err()), "aggregate");
            units.push_back(std::move(u));
            return {};
        }
        report::parse_summary& sum = *parsed;
        for (const auto& w : extra_warnings) sum.warnings.push_back(w);
        for (const auto& w : s.warnings()) sum.warnings.push_back(w);
        u.r.warnings = sum.warnings;
        if (sink.existing) {
            auto e = db.end_unit(true);
            if (!e) return e;
            u.r.result = store::outcome::duplicate;
            u.report = sink.existing->id;
            auto stored_hash = db.content_hash(sink.existing->id);
            if (!stored_hash) return unexpected{stored_hash.err()};
            if (*stored_hash != sink.copy_hash.value()) {
                // RFC 9990 §3.5.4 leaves duplicates to the consumer: keep the first, say so on it,
                // and keep this copy's bytes so nothing is lost.
                u.r.reason = "same report key as stored report #" + std::to_string(sink.existing->id) +
                             " but different content; the first copy is kept";
                u.keep = true;
                auto w = db.add_report_warning(sink.existing->id, "a different copy under the same key arrived in '" +
                                                                      text::for_terminal(label, 200) + "'");
                if (!w) return w;
            } else {
                u.r.reason = "already stored as report #" + std::to_string(sink.existing->id);
            }
            units.push_back(std::move(u));
            return {};
        }
        store::report_totals tot;
        tot.records = sum.records;
        tot.messages = sum.messages;
        tot.dropped_records = sum.dropped_records;
        tot.warnings = sum.warnings;
        auto f = db.finish_report(sink.id, tot);
        if (!f) return f;
        f = db.end_unit(true);
        if (!f) return f;
        u.r.result = store::outcome::stored;
        u.r.records = sum.records;
        u.r.messages = sum.messages;
        u.report = sink.id;
        // Reports that lost records keep their bytes, so nothing is lost.
        u.keep = opt.keep_raw || sum.dropped_records > 0;
        batch_records += sum.records;
        units.push_back(std::move(u));
        return {};
    }

    // One leaf (after containers): an aggregate report, a TLS report, or not a report.
    result<void> leaf(mime::unwrapped& w, const std::string& label, const std::string& fallback_org,
                      const std::vector<std::string>& extra_warnings, std::vector<pending_unit>& units) {
        mime::peek_source ps(std::move(w.stream));
        auto head = ps.peek(sniff_bytes);
        if (!head) {
            units.push_back(rejected(label, with_offset(head.err())));
            return {};
        }
        if (head->empty()) {
            units.push_back(rejected(label, "no content (0 bytes)"));
            return {};
        }
        if (report::looks_like_xml(*head)) return aggregate_leaf(ps, label, fallback_org, extra_warnings, units);
        if (looks_like_json(*head)) {
            if (looks_like_tlsrpt(*head)) {
                units.push_back(skipped(label, "tlsrpt", "SMTP TLS report (RFC 8460): recognised, not stored yet"));
            } else {
                units.push_back(rejected(label, "JSON that is not an SMTP TLS report"));
            }
            return {};
        }
        units.push_back(rejected(label, "not a DMARC report: the content is neither XML nor JSON"));
        return {};
    }

    // Containers → leaves. `label` names the input; zip members add their names.
    result<void> unwrap_input(std::unique_ptr<byte_source> in, const std::string& label, const std::string& fallback_org,
                              const std::vector<std::string>& extra_warnings, std::vector<pending_unit>& units) {
        std::size_t leaves = 0;
        result<void> store_error;
        auto r = mime::unwrap(std::move(in), label, [&](mime::unwrapped& w) -> result<void> {
            ++leaves;
            const std::string leaf_label = w.chain.find(">zip:") != std::string::npos ? w.chain : label;
            auto res = leaf(w, leaf_label, fallback_org, extra_warnings, units);
            if (!res) store_error = res;
            return res;
        });
        if (!store_error) return store_error;
        if (!r) {
            units.push_back(rejected(label, with_offset(r.err())));
            return {};
        }
        if (leaves == 0) units.push_back(rejected(label, "the archive holds no report"));
        return {};
    }

    // An e-mail: find the report(s) it carries, or recognise what else it is.
    result<void> message(std::string_view raw, const std::string& label, std::vector<pending_unit>& units) {
        auto m = mime::parse_message(raw);
        if (!m) {
            units.push_back(rejected(label, "e-mail: " + with_offset(m.err())));
            return {};
        }
        const std::string fallback_org = domain_of_address(m->from);
        // ARF (RFC 5965): DMARC failure reports are auth-failure; abuse/opt-out reports are not ours.
        for (const auto& part : m->leaves) {
            if (part.content_type != "message/feedback-report") continue;
            std::string type;
            for (const auto& f : mime::parse_fields(part.body))
                if (text::iequals(f.name, "Feedback-Type")) type = text::ascii_lower(text::trim(f.value));
            if (type == "auth-failure") {
                units.push_back(skipped(label, "failure", "DMARC failure report (ARF auth-failure): recognised, not stored yet"));
            } else {
                units.push_back(rejected(label, "ARF feedback report of type '" + text::for_terminal(type, 40) +
                                                    "', not a DMARC report", "arf"));
            }
            return {};
        }
        bool found = false;
        const bool several = m->leaves.size() > 1;
        for (std::size_t i = 0; i < m->leaves.size(); ++i) {
            const auto& part = m->leaves[i];
            const std::string& ct = part.content_type;
            if (ct.starts_with("application/tlsrpt")) {
                units.push_back(skipped(label, "tlsrpt", "SMTP TLS report (RFC 8460): recognised, not stored yet"));
                found = true;
                continue;
            }
            if (part.body.empty() || ct.starts_with("message/") || ct == "text/rfc822-headers" || ct == "text/html" ||
                ct.starts_with("image/") || ct.starts_with("multipart/"))
                continue;
            const bool attachment_like = ct.starts_with("application/") || ct == "text/xml" || !part.filename.empty();
            const std::string_view head = std::string_view(part.body).substr(0, sniff_bytes);
            const bool container = mime::sniff_container(head) != mime::container_kind::plain;
            const bool xml = report::looks_like_xml(head) && (head.find("feedback") != std::string_view::npos ||
                                                              head.find("<?xml") != std::string_view::npos);
            const bool json = attachment_like && looks_like_json(head);
            if (!container && !xml && !json) continue;
            if (!attachment_like && !container && !xml) continue;
            found = true;
            const std::string part_label =
                several ? label + ">" + (part.filename.empty() ? "part" + std::to_string(i + 1) : part.filename) : label;
            auto r = unwrap_input(std::make_unique<memory_source>(part.body), part_label, fallback_org, m->warnings, units);
            if (!r) return r;
        }
        if (found) return {};
        // Failure reports that are not ARF (e.g. Exim's plain-text ones) still say what they are.
        const std::string subject = text::ascii_lower(m->subject);
        if (contains_ci(subject, "failure report") || contains_ci(subject, "forensic") ||
            (contains_ci(subject, "dmarc") && contains_ci(subject, "fail")) || m->top_params.count("report-type")) {
            units.push_back(skipped(label, "failure", "DMARC failure report (non-ARF): recognised, not stored yet"));
            return {};
        }
        units.push_back(rejected(label, "no DMARC report found in the e-mail"));
        return {};
    }

    // Records each unit of one input, keeping bytes where needed; then maybe commits. The input's
    // SHA-256 is computed here, only when something needs it: a new report is recorded by its
    // reports row, so the common case hashes nothing.
    result<void> finalize(raw_input& in, std::vector<pending_unit>& units) {
        ++t.inputs;
        t.bytes += in.size;
        bool need_sha = false;
        for (const auto& u : units) need_sha = need_sha || u.keep || u.r.result != store::outcome::stored;
        if (need_sha && in.sha.empty() && (!in.path.empty() || !in.memory.empty() || in.size == 0) && !in.no_bytes) {
            if (in.path.empty()) {
                in.sha = sha256::of(in.memory);
            } else {
                auto h = sha256_of_file(in.path);
                if (h) in.sha = *h;
            }
        }
        for (auto& u : units) {
            if (u.keep && !in.sha.empty()) {
                auto kept = in.path.empty() ? q.keep_bytes(in.memory, in.sha) : q.keep_file(in.path, in.size, in.sha);
                if (!kept) {
                    u.r.warnings.push_back("could not keep the bytes: " + kept.err().message);
                } else {
                    u.r.quarantined = *kept;
                    if (kept->empty()) u.r.warnings.push_back("too large to keep; SHA-256 " + in.sha + " recorded");
                }
                if (u.report && u.r.result == store::outcome::stored && !u.r.quarantined.empty()) {
                    auto a = db.attach_raw(*u.report, in.sha);
                    if (!a) return a;
                }
            }
            auto b = ensure_batch();
            if (!b) return b;
            if (u.r.result == store::outcome::stored) {
                count(u);
                continue;
            }
            store::input_row row;
            row.label = u.r.label;
            row.sha256 = in.sha;
            row.size = in.size;
            row.result = u.r.result;
            row.kind = u.r.kind;
            row.reason = u.r.reason;
            row.quarantine_path = u.r.quarantined;
            row.report = u.report;
            row.seen_at = utc::now();
            auto r = db.record_input(row);
            if (!r) return r;
            count(u);
        }
        return maybe_commit();
    }

    void count(const pending_unit& u) {
        switch (u.r.result) {
            case store::outcome::stored:
                ++t.stored;
                t.records += u.r.records;
                t.messages = std::min<std::uint64_t>(t.messages + u.r.messages,
                                                     static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
                break;
            case store::outcome::duplicate: ++t.duplicate; break;
            case store::outcome::skipped: ++t.skipped; break;
            case store::outcome::rejected: ++t.rejected; break;
        }
        ++batch_units;
        if (opt.on_unit) opt.on_unit(u.r, t);
    }

    result<void> memory_input(std::string_view bytes, const std::string& label) {
        raw_input in;
        in.label = label;
        in.memory = bytes;
        in.size = bytes.size();
        std::vector<pending_unit> units;
        const std::string_view head = bytes.substr(0, sniff_bytes);
        result<void> r;
        if (bytes.empty()) {
            units.push_back(rejected(label, "empty input (0 bytes)"));
        } else if (mime::sniff_container(head) == mime::container_kind::plain && !report::looks_like_xml(head) &&
                   !looks_like_json(head) && mime::looks_like_message(head)) {
            r = message(bytes, label, units);
        } else {
            r = unwrap_input(std::make_unique<memory_source>(bytes), label, "", {}, units);
        }
        if (!r) return r;
        return finalize(in, units);
    }

    result<void> mbox(const std::string& path) {
        auto reader = mime::mbox_reader::open(path);
        if (!reader) return unexpected{reader.err()};
        std::size_t index = 0;
        std::uint64_t offset = 0;
        for (;;) {
            auto more = reader->next(message_buf, index, offset);
            const std::string label = path + "#" + std::to_string(index);
            if (!more) {
                raw_input in;
                in.label = label;
                in.no_bytes = true;
                std::vector<pending_unit> units{rejected(label, "mbox message at byte " + std::to_string(offset) + ": " +
                                                                    more.err().message)};
                units.back().keep = false;
                auto f = finalize(in, units);
                if (!f) return f;
                continue;
            }
            if (!*more) return {};
            auto r = memory_input(message_buf, label);
            if (!r) return r;
        }
    }

    result<void> file(const std::string& path) {
        // One open, one sequential pass: the first bytes are peeked to tell an mbox or e-mail from
        // a report file, and a report file then streams on from the same descriptor.
        auto src = hashing_file_source::open(path, /*hash=*/false);
        if (!src) {
            // Unreadable inside a folder walk: that input is rejected, the batch goes on.
            raw_input in;
            in.label = path;
            in.no_bytes = true;
            std::vector<pending_unit> units{rejected(path, src.err().message)};
            units.back().keep = false;
            return finalize(in, units);
        }
        hashing_file_source* file_src = src->get();
        auto peek = std::make_unique<mime::peek_source>(std::move(*src));
        auto head = peek->peek(sniff_bytes);
        if (!head) return unexpected{head.err()};
        const std::string_view h = *head;
        if (mime::is_mbox(h)) return mbox(path);
        if (mime::sniff_container(h) == mime::container_kind::plain && !report::looks_like_xml(h) && !looks_like_json(h) &&
            mime::looks_like_message(h)) {
            auto rd = read_file(path, message_buf, limits::max_message_size);
            if (!rd) {
                raw_input in;
                in.label = path;
                in.path = path;
                std::error_code ec;
                in.size = std::filesystem::file_size(path, ec);
                std::vector<pending_unit> units{rejected(path, "e-mail " + rd.err().message)};
                units.back().keep = false;
                return finalize(in, units);
            }
            std::string bytes = std::move(message_buf);
            auto r = memory_input(bytes, path);
            message_buf = std::move(bytes);
            return r;
        }
        // A report file (XML, gzip, zip, zlib): streamed, never held whole. The peek wrapper is
        // shared with unwrap, so the file source stays ours to drain and measure afterwards.
        struct shared_peek final : byte_source {
            mime::peek_source* s;
            explicit shared_peek(mime::peek_source* x) : s(x) {}
            result<std::size_t> read(char* b, std::size_t n) override { return s->read(b, n); }
            std::vector<std::string> warnings() const override { return s->warnings(); }
        };
        std::vector<pending_unit> units;
        auto r = unwrap_input(std::make_unique<shared_peek>(peek.get()), path, "", {}, units);
        if (!r) return r;
        auto d = file_src->drain();
        raw_input in;
        in.label = path;
        in.path = path;
        in.size = file_src->bytes_read();
        if (!d) {
            for (auto& u : units) u.r.warnings.push_back(d.err().message);
        }
        return finalize(in, units);
    }

    result<void> walk(const std::string& dir, int depth) {
        if (depth > max_dir_depth) return {};
        if (mime::is_maildir(dir)) {
            for (const auto& m : mime::maildir_messages(dir)) {
                auto r = file(m);
                if (!r) return r;
            }
        }
        std::vector<fs::directory_entry> entries;
        std::error_code ec;
        for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
             it.increment(ec))
            entries.push_back(*it);
        if (ec) return fail("cannot read folder '" + dir + "': " + ec.message());
        std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.path() < b.path(); });
        const bool maildir = mime::is_maildir(dir);
        for (const auto& e : entries) {
            std::error_code sec;
            if (e.is_symlink(sec)) {
                if (e.is_directory(sec)) continue;  // never follow a folder link (loops, escapes)
            }
            if (e.is_directory(sec)) {
                const auto name = e.path().filename().string();
                if (maildir && (name == "cur" || name == "new" || name == "tmp")) continue;
                auto r = walk(e.path().string(), depth + 1);
                if (!r) return r;
            } else if (e.is_regular_file(sec)) {
                auto r = file(e.path().string());
                if (!r) return r;
            }
        }
        return {};
    }
};

ingester::ingester(store::store& db, options opt) : p_(std::make_unique<impl>(db, std::move(opt), totals_)) {}
ingester::~ingester() = default;

result<void> ingester::ingest_path(const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return fail("cannot read '" + path + "': no such file or folder");
    if (S_ISDIR(st.st_mode)) return p_->walk(path, 0);
    if (::access(path.c_str(), R_OK) != 0) return fail("cannot read '" + path + "': permission denied");
    return p_->file(path);
}

result<void> ingester::ingest_stdin() {
    std::string bytes;
    char buf[64 * 1024];
    for (;;) {
        const ssize_t got = ::read(0, buf, sizeof buf);
        if (got < 0) return fail("cannot read standard input");
        if (got == 0) break;
        if (bytes.size() + static_cast<std::size_t>(got) > limits::max_message_size)
            return fail("standard input is larger than " + std::to_string(limits::max_message_size) + " bytes");
        bytes.append(buf, static_cast<std::size_t>(got));
    }
    return p_->memory_input(bytes, "-");
}

result<void> ingester::ingest_bytes(std::string_view bytes, const std::string& label) { return p_->memory_input(bytes, label); }

result<void> ingester::finish() { return p_->commit(); }

}  // namespace dmarcsight::ingest
