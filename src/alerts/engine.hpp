// Alerts over a store: the rules of analyze/alert_rules.hpp applied to every domain's facts, the
// DNS rules (dns_change: the findings of `check` against the last run's; no_reports: a domain
// publishing rua= that has had no report for a while), and the state each alert has in the store
// (provisional or settled, sent, acknowledged, muted).
//
// Late reports: receivers send a day's report up to two days later (RFC 9990 §2.1.1 asks for a
// report soon after the period; in practice 1-48 h), so an alert for day d is provisional until
// `settle_seconds` after d ends — it may still appear, change or vanish — and only a settled alert
// is kept as history and sent.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyze/alert_rules.hpp"
#include "core/result.hpp"
#include "dns/resolver.hpp"
#include "store/store.hpp"

namespace dmarcsight::alerts {

struct options {
    analyze::alert_rules rules;
    std::int64_t now = 0;                     // epoch seconds
    std::int64_t settle_seconds = 48 * 3600;  // after the day's end
    std::string domain;                       // empty: every policy domain
    std::string since_day, until_day;         // shown alerts (YYYY-MM-DD, inclusive); empty: all
    // DNS rules: with a resolver, each domain is checked (posture::check_domain) and its findings
    // compared with those the store kept from the last run; null: no DNS rules.
    dns::resolver* resolver = nullptr;
    std::int64_t no_reports_seconds = 48 * 3600;
    // Keep what was evaluated (alerts, DNS findings) in the store. Off: a dry look.
    bool keep = true;
};

// One alert as shown: the alert, its id and its state in the store.
struct alert_view {
    analyze::alert a;
    std::string id, severity;
    bool settled = false;
    // provisional | pending (settled, not yet sent) | sent | failed (a channel failed; retried) |
    // acked | muted
    std::string state;
    std::int64_t acked_at = 0;
    std::string ack_note;
    std::int64_t muted_by = 0;  // the mute rule's id
    std::vector<store::delivery_row> deliveries;
};

struct evaluation {
    std::vector<alert_view> alerts;  // by day, then domain, kind, source, reporter
    std::vector<std::string> warnings;  // DNS checks that could not run, ...
};

result<evaluation> evaluate(store::store& db, const options& opt);

// Do a mute rule's fields all match the alert (empty fields match everything; source may be an
// IP or a CIDR), and is it still in force on `today` (YYYY-MM-DD)?
bool mute_applies(const store::mute_row& m, const analyze::alert& a, const std::string& today);

// A mute rule as a user asks for it (`alerts --mute`, the dashboard): the domain normalised, the
// source an IP or a CIDR, the kind one of analyze::alert_kind_names, `until` a day or a time in
// the CLI's forms (empty: for ever), at least one of domain, source, kind. The reason names the
// field (`domain`, `source`, `kind`, `until`).
struct mute_request {
    std::string domain, source, kind, until, note;
};
inline constexpr std::size_t max_mute_note = 500;  // bytes of UTF-8, cut on a character boundary
result<store::mute_row> mute_rule(const mute_request& r, std::int64_t now);

// Recomputes a view's state from its fields and deliveries, given the channels it goes to.
void settle_state(alert_view& v, const std::vector<std::string>& channels);

}  // namespace dmarcsight::alerts
