// The digest: what a domain owner reads on Monday — per policy domain, the period's volume and
// DMARC pass share against the period before, the sources first seen in it, what to fix first
// (the largest sources that fail and can be fixed), how much is spoofing, the alerts of the
// period, and whether the domain is ready for the next policy step. Built from the facts and the
// alert engine, so it reads the same on every driver; rendered as text, Markdown or HTML.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "alerts/engine.hpp"
#include "analyze/classify.hpp"
#include "analyze/sources.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace dmarcsight::digest {

enum class period { week, month };

struct options {
    period span = period::week;
    std::int64_t now = 0;  // the period is the last whole one before now (weeks start on Monday, UTC)
    std::string domain;    // empty: every policy domain
    const analyze::service_directory* services = nullptr;
    std::vector<store::label_row> labels;
    std::size_t max_rows = 5;  // per list
};

struct source_line {
    std::string source_ip, service, cls, fix, ptr;
    std::int64_t messages = 0, dmarc_fail = 0;
    std::int64_t source_ips = 1;  // to_fix: the sources of one service together
};

// Where the domain stands on the way to p=reject, from the policy simulation (filled by the
// caller, who owns the simulation).
struct readiness {
    std::string published;  // the policy in force ("none", "quarantine", ...)
    std::string verdict;    // ready | not_ready
    double legitimate_loss_share = 0;
    std::string next_record, why;
};

struct domain_digest {
    std::string domain;
    std::int64_t messages = 0, dmarc_pass = 0;
    std::int64_t previous_messages = 0, previous_dmarc_pass = 0;
    std::int64_t spoofing_messages = 0;
    std::int64_t sources = 0;
    // First seen in the period, largest first (spoofing sources come and go: counted apart).
    std::vector<source_line> new_sources;
    std::int64_t new_source_count = 0, new_spoofing_sources = 0;
    std::vector<source_line> to_fix;       // failing DMARC with a fix, most failures first
    std::vector<alerts::alert_view> alerts;
    std::optional<readiness> ready;
};

struct digest {
    std::string title;              // "Week 2026-W41" / "October 2026"
    std::string since_day, until_day;  // [since, until): YYYY-MM-DD
    std::string last_day;              // until_day - 1, for people
    std::vector<domain_digest> domains;
};

// The period's bounds: [since, until) as days since 1970-01-01.
std::pair<std::int64_t, std::int64_t> period_bounds(period p, std::int64_t now);

result<digest> build(store::store& db, const options& opt, const std::vector<alerts::alert_view>& all_alerts);

std::string render_text(const digest& d);
std::string render_markdown(const digest& d);
std::string render_html(const digest& d);
// A one-line subject for the mail.
std::string subject(const digest& d);

}  // namespace dmarcsight::digest
