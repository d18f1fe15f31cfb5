#include "ingest/tlsrpt_sink.hpp"

#include "core/limits.hpp"
#include "report/tlsrpt_parser.hpp"

namespace dmarcsight::ingest {

namespace {

std::string with_offset(const error& e) {
    if (e.offset < 0) return e.message;
    return e.message + " (at byte " + std::to_string(e.offset) + ")";
}

}  // namespace

result<pending_unit> store_tlsrpt(store::store& db, byte_source& in, const std::string& label,
                                  const std::vector<std::string>& extra_warnings) {
    pending_unit u;
    u.r.label = label;
    u.r.kind = report_kind::tlsrpt;
    // A TLS report is a few KB: parsed whole (with its caps) before the store sees any of it, so
    // a damaged report never writes a row.
    auto parsed = report::parse_tlsrpt(in);
    if (!parsed) {
        u.r.result = store::outcome::rejected;
        u.r.reason = with_offset(parsed.err());
        u.keep = true;
        return u;
    }
    report::tls_report& rep = *parsed;
    for (const auto& w : extra_warnings) rep.warnings.push_back(w);
    for (const auto& w : in.warnings()) rep.warnings.push_back(w);
    if (rep.warnings.size() > limits::max_warnings_per_report) rep.warnings.resize(limits::max_warnings_per_report);
    u.r.warnings = rep.warnings;
    const std::uint64_t hash = report::tls_content_hash(rep);

    auto b = db.begin_unit();
    if (!b) return unexpected{b.err()};
    std::optional<std::int64_t> existing;
    auto found = db.find_tls_report(report::tls_report_key::of(rep));
    if (!found) return unexpected{found.err()};
    if (*found) {
        existing = (*found)->id;
    } else {
        auto ins = db.insert_tls_report(rep, hash, label);
        if (!ins) {
            (void)db.end_unit(false);
            return unexpected{ins.err()};
        }
        if (ins->existing) existing = ins->id;  // another worker stored this key since find looked
        else u.tls_report = ins->id;
    }
    auto e = db.end_unit(true);
    if (!e) return unexpected{e.err()};
    if (existing) {
        u.r.result = store::outcome::duplicate;
        auto stored_hash = db.tls_content_hash(*existing);
        if (!stored_hash) return unexpected{stored_hash.err()};
        if (*stored_hash != hash) {
            u.r.reason = "same SMTP TLS report key (organization-name, report-id) as stored TLS report #" +
                         std::to_string(*existing) + " but different content; the first copy is kept";
            u.keep = true;
        } else {
            u.r.reason = "already stored as TLS report #" + std::to_string(*existing);
        }
        return u;
    }
    u.r.result = store::outcome::stored;
    return u;
}

}  // namespace dmarcsight::ingest
