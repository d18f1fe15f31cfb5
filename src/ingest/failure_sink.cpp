#include "ingest/failure_sink.hpp"

#include "ingest/failure_redact.hpp"
#include "report/failure_parser.hpp"

namespace dmarcsight::ingest {

result<pending_unit> store_failure(store::store& db, const mime::message& m, const std::string& label, const failure_options& o) {
    pending_unit u;
    u.r.label = label;
    u.r.kind = report_kind::failure;
    auto parsed = report::parse_failure(m);
    if (!parsed) {
        u.r.result = store::outcome::rejected;
        u.r.reason = parsed.err().message;
        // Other ARF is explained, not a damaged failure report.
        if (parsed.err().message.starts_with("not a DMARC report (ARF")) u.r.kind = report_kind::other_arf;
        u.keep = true;
        return u;
    }
    report::failure_report& r = *parsed;
    for (const auto& w : m.warnings) r.warnings.push_back(w);
    if (o.redact) redact_failure(r, o.redact_key);
    auto ins = db.insert_failure_report(r, label);
    if (!ins) return unexpected{ins.err()};
    u.r.warnings = r.warnings;
    if (ins->existing) {
        // u.report stays empty: an input row's report names an aggregate report.
        u.r.result = store::outcome::duplicate;
        u.r.reason = "already stored as failure report #" + std::to_string(ins->id);
        return u;
    }
    u.r.result = store::outcome::stored;
    u.report = ins->id;
    // records/messages count aggregate data only (totals stay exact); a failure report is a unit.
    return u;
}

}  // namespace dmarcsight::ingest
