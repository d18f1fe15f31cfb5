#include "ingest/aggregate_sink.hpp"

#include "core/text.hpp"
#include "report/aggregate_parser.hpp"
#include "report/content_hash.hpp"

namespace dmarcsight::ingest {

namespace {

std::string with_offset(const error& e) {
    if (e.offset < 0) return e.message;
    return e.message + " (at byte " + std::to_string(e.offset) + ")";
}

// Receives parsed values and writes them; a copy of a stored report is only hashed.
struct store_writer final : report::aggregate_sink {
    store::store& db;
    std::string label;
    std::optional<store::existing_report> existing;
    std::int64_t id = 0;
    bool store_failed = false;
    report::content_hash hash;
    store_writer(store::store& d, std::string l) : db(d), label(std::move(l)) {}

    result<void> on_header(const report::report_header& h) override {
        hash.header(h);
        auto found = db.find_report(report::report_key::of(h));
        if (!found) {
            store_failed = true;
            return unexpected{found.err()};
        }
        existing = *found;
        if (existing) return {};
        auto ins = db.insert_report(h, label);
        if (!ins) {
            store_failed = true;
            return unexpected{ins.err()};
        }
        if (ins->existing) {
            // Another worker stored this key since find_report looked: a copy, like any other.
            existing = store::existing_report{ins->id};
            return {};
        }
        id = ins->id;
        return {};
    }
    result<void> on_record(const report::record& rec) override {
        hash.record(rec);
        if (existing) return {};  // a copy: parsed to compare content, not stored
        auto r = db.insert_record(id, rec);
        if (!r) store_failed = true;
        return r;
    }
};

}  // namespace

result<pending_unit> store_aggregate(store::store& db, byte_source& in, const std::string& label,
                                     const std::string& fallback_org, const std::vector<std::string>& extra_warnings) {
    auto b = db.begin_unit();
    if (!b) return unexpected{b.err()};
    store_writer sink(db, label);
    report::parse_options po;
    po.fallback_org = fallback_org;
    auto parsed = report::parse_aggregate(in, sink, po);
    pending_unit u;
    u.r.label = label;
    u.r.kind = report_kind::aggregate;
    if (!parsed) {
        auto e = db.end_unit(false);
        if (!e) return unexpected{e.err()};
        if (sink.store_failed) return unexpected{parsed.err()};
        u.r.result = store::outcome::rejected;
        u.r.reason = with_offset(parsed.err());
        u.keep = true;
        return u;
    }
    report::parse_summary& sum = *parsed;
    for (const auto& w : extra_warnings) sum.warnings.push_back(w);
    for (const auto& w : in.warnings()) sum.warnings.push_back(w);
    u.r.warnings = sum.warnings;
    if (sink.existing) {
        auto e = db.end_unit(true);
        if (!e) return unexpected{e.err()};
        u.r.result = store::outcome::duplicate;
        u.report = sink.existing->id;
        auto stored_hash = db.content_hash(sink.existing->id);
        if (!stored_hash) return unexpected{stored_hash.err()};
        if (*stored_hash != sink.hash.value()) {
            u.r.reason = "same report key as stored report #" + std::to_string(sink.existing->id) +
                         " but different content; the first copy is kept";
            u.keep = true;
            auto w = db.add_report_warning(sink.existing->id, "a different copy under the same key arrived in '" +
                                                                  text::for_terminal(label, 200) + "'");
            if (!w) return unexpected{w.err()};
        } else {
            u.r.reason = "already stored as report #" + std::to_string(sink.existing->id);
        }
        return u;
    }
    store::report_totals tot;
    tot.records = sum.records;
    tot.messages = sum.messages;
    tot.dropped_records = sum.dropped_records;
    tot.warnings = sum.warnings;
    tot.content_hash = sink.hash.value();
    auto f = db.finish_report(sink.id, tot);
    if (!f) return unexpected{f.err()};
    f = db.end_unit(true);
    if (!f) return unexpected{f.err()};
    u.r.result = store::outcome::stored;
    u.r.records = sum.records;
    u.r.messages = sum.messages;
    u.report = sink.id;
    // Reports that lost records keep their bytes, so nothing is lost.
    u.keep = sum.dropped_records > 0;
    return u;
}

}  // namespace dmarcsight::ingest
