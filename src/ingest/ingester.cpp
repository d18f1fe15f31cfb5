#include "ingest/ingester.hpp"

#include <csignal>
#include <chrono>
#include <limits>

#include "core/limits.hpp"
#include "core/time.hpp"
#include "core/utf8.hpp"
#include "ingest/aggregate_sink.hpp"
#include "ingest/failure_sink.hpp"
#include "ingest/classify.hpp"
#include "ingest/input.hpp"
#include "ingest/quarantine.hpp"
#include "ingest/tlsrpt_sink.hpp"
#include "ingest/sources.hpp"
#include "mime/container.hpp"
#include "mime/message.hpp"

namespace dmarcsight::ingest {

namespace {

using clock = std::chrono::steady_clock;

// A batch (one transaction) ends after this much work, so a second writer never waits long and
// a crash loses little.
constexpr std::uint64_t batch_max_records = 200'000;
constexpr std::size_t batch_max_units = 2'000;
constexpr auto batch_max_time = std::chrono::milliseconds(1500);
// Names of parts that were not reports, listed in the note on the input.
constexpr std::size_t max_listed_parts = 5;
// Bytes of an attachment's file name kept in a unit's label (a file name is at most 255 bytes on
// common file systems; the MIME header may say more).
constexpr std::size_t max_part_label_name = 255;

volatile std::sig_atomic_t stop_signal_number = 0;

std::string with_offset(const error& e) {
    if (e.offset < 0) return e.message;
    return e.message + " (at byte " + std::to_string(e.offset) + ")";
}

pending_unit rejected(std::string label, std::string reason, report_kind kind = report_kind::none, bool keep = true) {
    pending_unit u;
    u.r.label = std::move(label);
    u.r.result = store::outcome::rejected;
    u.r.kind = kind;
    u.r.reason = std::move(reason);
    u.keep = keep;
    return u;
}

// Failure reports are recognised, and kept until a later version reads them.
pending_unit skipped(std::string label, report_kind kind, std::string what) {
    pending_unit u;
    u.r.label = std::move(label);
    u.r.result = store::outcome::skipped;
    u.r.kind = kind;
    u.r.reason = std::move(what) + ": recognised and kept, not read yet";
    u.keep = true;
    return u;
}

void add(totals& into, const totals& t) {
    into.inputs += t.inputs;
    into.stored += t.stored;
    into.duplicate += t.duplicate;
    into.skipped += t.skipped;
    into.rejected += t.rejected;
    into.unchanged += t.unchanged;
    into.records += t.records;
    constexpr auto cap = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    into.messages = std::min<std::uint64_t>(cap, into.messages + std::min(cap, t.messages));
    into.bytes += t.bytes;
}

}  // namespace

input_verdict verdict_of(const std::vector<unit_result>& units) {
    bool failure = false, tlsrpt = false;
    for (const auto& u : units) {
        if (u.result == store::outcome::rejected) continue;
        if (u.kind == report_kind::aggregate) return input_verdict::aggregate;
        failure = failure || u.kind == report_kind::failure;
        tlsrpt = tlsrpt || u.kind == report_kind::tlsrpt;
    }
    if (failure) return input_verdict::failure;
    if (tlsrpt) return input_verdict::tlsrpt;
    return input_verdict::invalid;
}

void request_stop(int signal_number) { stop_signal_number = signal_number; }
int stop_signal() { return stop_signal_number; }

struct ingester::impl final : input_sink {
    // What one input produced: its units, and the parts that were not reports.
    struct work {
        std::vector<pending_unit> units;
        std::vector<pending_unit> not_reports;
    };

    store::store& db;
    options opt;
    input_guard guard;
    quarantine q;
    bool in_batch = false;
    clock::time_point batch_start{};
    std::uint64_t batch_records = 0;
    std::size_t batch_units = 0;
    totals committed, pending;
    std::vector<unit_result> pending_rejections;
    std::vector<committed_input> pending_inputs;  // told to on_input_committed after the commit
    std::vector<std::string> ignored;
    std::string message_buf;

    impl(store::store& d, options o)
        : db(d), opt(std::move(o)), guard(opt.db_path, opt.quarantine_dir), q(opt.quarantine_dir) {}

    bool stop_requested() const override { return stop_signal() != 0; }

    // --- batches ---------------------------------------------------------------------------
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
        auto r = db.commit_batch();
        if (!r) {
            pending = {};
            pending_rejections.clear();
            pending_inputs.clear();
            return fail(r.err().message + " (the last batch was not stored)");
        }
        add(committed, pending);
        pending = {};
        if (opt.on_committed_rejection)
            for (const auto& u : pending_rejections) opt.on_committed_rejection(u);
        pending_rejections.clear();
        std::vector<committed_input> done = std::move(pending_inputs);
        pending_inputs.clear();
        if (opt.on_input_committed)
            for (const auto& c : done) opt.on_input_committed(c);
        return {};
    }

    result<void> maybe_commit() {
        if (in_batch && (batch_records >= batch_max_records || batch_units >= batch_max_units ||
                         clock::now() - batch_start >= batch_max_time))
            return commit();
        return {};
    }

    // --- sinks, one per report kind ----------------------------------------------------------
    // One leaf after containers: classified, then handed to its kind's sink.
    result<void> leaf(byte_source& stream, const std::string& label, const std::string& fallback_org,
                      const std::vector<std::string>& extra_warnings, bool tlsrpt_type, work& w) {
        mime::peek_source ps(std::unique_ptr<byte_source>(new borrowed(stream)));
        auto head = ps.peek(classify_head_bytes);
        if (!head) {
            w.units.push_back(rejected(label, with_offset(head.err())));
            return {};
        }
        leaf_class c = classify_leaf(*head);
        if (tlsrpt_type && c.kind != report_kind::aggregate) c.kind = report_kind::tlsrpt;
        switch (c.kind) {
            case report_kind::aggregate: {
                auto b = ensure_batch();
                if (!b) return b;
                auto u = store_aggregate(db, ps, label, fallback_org, extra_warnings);
                if (!u) return unexpected{u.err()};
                if (u->r.result == store::outcome::stored) batch_records += u->r.records;
                w.units.push_back(std::move(*u));
                return {};
            }
            case report_kind::tlsrpt: {
                auto b = ensure_batch();
                if (!b) return b;
                auto u = store_tlsrpt(db, ps, label, extra_warnings);
                if (!u) return unexpected{u.err()};
                if (u->r.result == store::outcome::stored) ++batch_records;
                w.units.push_back(std::move(*u));
                return {};
            }
            case report_kind::failure: {
                // Read to the end: a damaged container shows only there.
                auto d = drain(ps);
                if (!d) {
                    w.units.push_back(rejected(label, with_offset(d.err()), c.kind));
                    return {};
                }
                w.units.push_back(skipped(label, c.kind, "DMARC failure report"));
                return {};
            }
            case report_kind::other_arf:
            case report_kind::none: {
                auto d = drain(ps);
                w.not_reports.push_back(rejected(label, d ? c.reason : with_offset(d.err())));
                return {};
            }
        }
        return {};
    }

    // A byte_source that reads another one it does not own.
    struct borrowed final : byte_source {
        byte_source& s;
        explicit borrowed(byte_source& x) : s(x) {}
        result<std::size_t> read(char* b, std::size_t n) override { return s.read(b, n); }
        std::vector<std::string> warnings() const override { return s.warnings(); }
    };

    static result<void> drain(byte_source& s) {
        char buf[16 * 1024];
        for (;;) {
            auto got = s.read(buf, sizeof buf);
            if (!got) return unexpected{got.err()};
            if (*got == 0) return {};
        }
    }

    // --- unwrap ------------------------------------------------------------------------------
    // Containers → leaves. `label` names the input; zip members add their names.
    result<void> unwrap_input(std::unique_ptr<byte_source> in, const std::string& label, const std::string& fallback_org,
                              const std::vector<std::string>& extra_warnings, bool tlsrpt_type, work& w) {
        std::size_t leaves = 0;
        result<void> env_error;
        auto r = mime::unwrap(std::move(in), label, [&](mime::unwrapped& u) -> result<void> {
            ++leaves;
            const std::string leaf_label = u.chain.find(">zip:") != std::string::npos ? u.chain : label;
            auto res = leaf(*u.stream, leaf_label, fallback_org, extra_warnings, tlsrpt_type, w);
            if (!res) env_error = res;
            return res;
        });
        if (!env_error) return env_error;
        if (!r) {
            w.units.push_back(rejected(label, with_offset(r.err())));
            return {};
        }
        if (leaves == 0) w.units.push_back(rejected(label, "the archive holds no report"));
        return {};
    }

    // An e-mail: what it is as a whole, or the report(s) its parts carry.
    result<void> message(std::string_view raw, const std::string& label, work& w) {
        auto m = mime::parse_message(raw);
        if (!m) {
            w.units.push_back(rejected(label, "e-mail: " + with_offset(m.err())));
            return {};
        }
        const message_class c = classify_message(*m);
        if (c.whole == report_kind::failure) {
            auto b = ensure_batch();
            if (!b) return b;
            auto u = store_failure(db, *m, label, opt.failure);
            if (!u) return unexpected{u.err()};
            w.units.push_back(std::move(*u));
            return {};
        }
        if (c.whole == report_kind::other_arf) {
            w.units.push_back(rejected(label, c.reason, report_kind::other_arf));
            return {};
        }
        if (c.parts.empty()) {
            w.units.push_back(rejected(label, "no DMARC report found in the e-mail"));
            return {};
        }
        const std::string fallback_org = domain_of_address(m->from);
        const bool several = m->leaves.size() > 1;
        for (const auto& p : c.parts) {
            const auto& part = m->leaves[p.index];
            // The attachment's name is attacker text: a label holds at most max_part_label_name of it.
            const std::string part_label =
                several ? label + ">" +
                              (part.filename.empty() ? "part" + std::to_string(p.index + 1)
                                                     : std::string(utf8_prefix(part.filename, max_part_label_name)))
                        : label;
            auto r = unwrap_input(std::make_unique<memory_source>(part.body), part_label, fallback_org, m->warnings,
                                  p.tlsrpt_type, w);
            if (!r) return r;
        }
        return {};
    }

    // --- one input, straight down --------------------------------------------------------------
    result<void> on_input(input& in) override {
        if (stop_requested()) return {};
        work w;
        auto head = in.head(classify_head_bytes);
        if (!head) return on_unreadable(in.label(), head.err().message);
        switch (classify_outer(*head)) {
            case outer_kind::empty: w.units.push_back(rejected(in.label(), "empty input (0 bytes)")); break;
            case outer_kind::mbox:  // an mbox given as bytes: its first message is read as an e-mail
            case outer_kind::email: {
                auto rd = in.read_all(message_buf, limits::max_message_size);
                if (!rd) {
                    w.units.push_back(rejected(in.label(), "e-mail " + rd.err().message));
                    break;
                }
                std::string bytes = std::move(message_buf);
                auto r = message(bytes, in.label(), w);
                message_buf = std::move(bytes);
                if (!r) return r;
                break;
            }
            case outer_kind::payload: {
                auto r = unwrap_input(in.stream(), in.label(), "", {}, false, w);
                if (!r) return r;
                break;
            }
        }
        return finalize(in, w);
    }

    result<void> on_unreadable(const std::string& label, const std::string& reason) override {
        auto b = ensure_batch();
        if (!b) return b;
        pending_unit u = rejected(label, reason, report_kind::none, /*keep=*/false);
        auto seen = db.input_seen("", label, store::outcome::rejected);
        if (!seen) return unexpected{seen.err()};
        u.r.unchanged = *seen;
        store::input_row row;
        row.label = label;
        row.result = store::outcome::rejected;
        row.kind = std::string(to_string(u.r.kind));
        row.reason = reason;
        row.seen_at = utc::now();
        auto r = db.record_input(row);
        if (!r) return r;
        ++pending.inputs;
        count(u.r);
        pending_inputs.push_back({label, input_verdict::invalid});
        return maybe_commit();
    }

    // Parts that are not reports, beside a report, are not rejections (a readme or a logo in a
    // zip, a text body and a signature in an e-mail); with no report at all, they are.
    static void resolve_not_reports(work& w) {
        if (w.not_reports.empty()) return;
        if (!w.units.empty()) {
            std::string names;
            for (std::size_t i = 0; i < w.not_reports.size() && i < max_listed_parts; ++i)
                names += (i ? ", " : "") + w.not_reports[i].r.label;
            if (w.not_reports.size() > max_listed_parts) names += ", …";
            w.units.front().r.warnings.push_back(std::to_string(w.not_reports.size()) +
                                                 " part(s) beside the report are not reports and were ignored: " + names);
            return;
        }
        if (w.not_reports.size() == 1) {
            w.units.push_back(std::move(w.not_reports.front()));
            return;
        }
        pending_unit u = std::move(w.not_reports.front());
        u.r.reason = "no DMARC report among its " + std::to_string(w.not_reports.size()) + " parts (first: " + u.r.reason + ")";
        w.units.push_back(std::move(u));
    }

    // Keeps bytes where needed, records every unit, counts; then maybe commits. Keeping comes
    // first: if the quarantine cannot be written, this input's reports are undone and the run
    // stops (environment error) without saying anything was kept.
    result<void> finalize(input& in, work& w) {
        resolve_not_reports(w);
        auto b = ensure_batch();
        if (!b) return b;
        bool need_sha = false, keep = false, any_rejected = false;
        for (auto& u : w.units) {
            if (opt.keep_raw && u.r.result == store::outcome::stored) u.keep = true;
            keep = keep || u.keep;
            need_sha = need_sha || u.keep || u.r.result != store::outcome::stored;
            any_rejected = any_rejected || u.r.result == store::outcome::rejected;
        }
        std::string sha;
        if (need_sha) {
            auto h = in.sha256_hex();
            if (!h) return undo_input(w, "cannot read '" + in.label() + "' again to hash it: " + h.err().message);
            sha = *h;
        }
        std::string kept;
        if (keep) {
            auto k = q.keep(in, sha);
            if (!k) return undo_input(w, k.err().message + " — nothing was kept from '" + in.label() + "'");
            kept = *k;
        }
        bool seen = false;
        if (any_rejected) {
            auto s = db.input_seen(sha, in.label(), store::outcome::rejected);
            if (!s) return unexpected{s.err()};
            seen = *s;
        }
        ++pending.inputs;
        pending.bytes += in.size();
        for (auto& u : w.units) {
            if (u.keep) {
                if (kept.empty()) u.r.warnings.push_back("too large to keep (over " + std::to_string(limits::max_quarantined_input) +
                                                         " bytes); its SHA-256 " + sha + " is recorded");
                u.r.quarantined = kept;
            }
            if (u.r.result == store::outcome::stored) {
                auto s = db.supersede_inputs(u.r.label);
                if (!s) return s;
                if (u.report && !u.r.quarantined.empty() && u.r.kind == report_kind::aggregate) {
                    auto a = db.attach_raw(*u.report, sha);
                    if (!a) return a;
                }
                if (u.tls_report && !u.r.quarantined.empty()) {
                    auto a = db.attach_tls_raw(*u.tls_report, sha);
                    if (!a) return a;
                }
                count(u.r);
                continue;
            }
            if (u.r.result == store::outcome::rejected) u.r.unchanged = seen;
            store::input_row row;
            row.label = u.r.label;
            row.sha256 = sha;
            row.size = in.size();
            row.result = u.r.result;
            row.kind = std::string(to_string(u.r.kind));
            row.reason = u.r.reason;
            row.quarantine_path = u.r.quarantined;
            row.report = u.report;
            row.seen_at = utc::now();
            auto r = db.record_input(row);
            if (!r) return r;
            count(u.r);
        }
        std::vector<unit_result> results;
        results.reserve(w.units.size());
        for (const auto& u : w.units) results.push_back(u.r);
        pending_inputs.push_back({in.label(), verdict_of(results)});
        return maybe_commit();
    }

    // The reports this input stored are removed again; the error stops the run.
    result<void> undo_input(const work& w, const std::string& why) {
        for (const auto& u : w.units) {
            if (u.r.result != store::outcome::stored) continue;
            result<void> r;
            if (u.tls_report) r = db.undo_tls_report(*u.tls_report);
            else if (u.report) r = u.r.kind == report_kind::failure ? db.undo_failure_report(*u.report) : db.undo_report(*u.report);
            if (!r) return fail(why + "; and undoing its reports failed: " + r.err().message);
        }
        return fail(why);
    }

    void count(const unit_result& u) {
        switch (u.result) {
            case store::outcome::stored:
                ++pending.stored;
                pending.records += u.records;
                pending.messages = std::min<std::uint64_t>(pending.messages + u.messages,
                                                           static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
                break;
            case store::outcome::duplicate: ++pending.duplicate; break;
            case store::outcome::skipped: ++pending.skipped; break;
            case store::outcome::rejected:
                ++pending.rejected;
                if (u.unchanged) ++pending.unchanged;
                pending_rejections.push_back(u);
                break;
        }
        ++batch_units;
        if (opt.on_unit) {
            totals view = committed;
            add(view, pending);
            opt.on_unit(u, view);
        }
    }
};

ingester::ingester(store::store& db, options opt) : p_(std::make_unique<impl>(db, std::move(opt))) {}
ingester::~ingester() = default;

result<void> ingester::ingest_path(const std::string& path) {
    if (auto what = p_->guard.ours(path)) {
        p_->ignored.push_back("'" + path + "' is " + *what + ", never an input; not read");
        return {};
    }
    return read_path(path, p_->guard, *p_);
}

result<void> ingester::ingest_stdin() { return read_stdin(*p_); }

result<void> ingester::ingest_kept(const std::string& path, const std::string& label) {
    auto in = input::open_file_as(path, label);
    if (!in) return p_->on_unreadable(label, "its kept bytes (" + path + "): " + in.err().message);
    return p_->on_input(*in);  // one input, as it was (an mbox message is kept alone)
}

result<void> ingester::ingest_bytes(std::string_view bytes, const std::string& label) {
    input in = input::from_memory(bytes, label);
    return p_->on_input(in);
}

result<void> ingester::reject_input(const std::string& label, const std::string& reason) {
    return p_->on_unreadable(label, reason);
}

result<void> ingester::finish() { return p_->commit(); }

const totals& ingester::counts() const { return p_->committed; }

std::vector<std::string> ingester::ignored_paths() const { return p_->ignored; }

}  // namespace dmarcsight::ingest
