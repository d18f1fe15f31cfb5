// Policy-impact simulation: what a candidate DMARC record would do to a domain's mail, from what
// receivers reported (issue 10). "If I publish p=reject tomorrow, whose genuine mail do I lose?"
//
// Two halves:
//  - load_policy_inputs reads the store (facts per source and header_from, the source inventory
//    for each source's class, the reports' headers for the published policy and the receivers'
//    schema; the records only when alignment must be recomputed) into policy_inputs;
//  - simulate, staged_path and failure_reports are pure: inputs and a candidate in, figures out,
//    so the unit tests and the digest (assess_policy) use them without a store.
//
// The model, per (source IP, header_from) group:
//  - it fails DMARC where policy_evaluated has neither dkim=pass nor spf=pass (RFC 7489 §4.2 /
//    RFC 9989 §4.4: the receivers' own relaxed verdict), or, when the candidate's adkim/aspf
//    differ from the published ones, where no reported DKIM d= / SPF domain aligns with the
//    header_from under the candidate's modes (RFC 9989 §3.2.10: strict = identical domains);
//  - the tag that applies: p for the policy domain itself, sp for an existing subdomain, np for a
//    non-existent one (RFC 9989 §4.10.1, §3.2.13: NXDOMAIN); existence unknown (offline) → sp;
//  - receivers that report in the RFC 9990 schema follow RFC 9989: they ignore pct (App. C.5.2)
//    and honour t=y (§4.7: one level below, reject → quarantine, quarantine → none); the others
//    follow RFC 7489: they honour pct (§6.6.4: the rest get the next lower policy) and ignore t
//    (an unknown tag, §6.3). Their shares of the domain's reported messages weight the two;
//  - "affected": the policy applied is quarantine or reject. Worst case: no receiver overrides.
//    `expected`: receivers keep overriding (forwarded, trusted_forwarder, mailing_list,
//    local_policy) the share of a group's failing messages they overrode in the window.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "analyze/classify.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace dmarcsight::analyze {

// RFC 9989 §4.8 dmarc-request, ordered by strength.
enum class policy_action { none = 0, quarantine = 1, reject = 2 };
std::string_view to_string(policy_action a);
std::optional<policy_action> parse_policy_action(std::string_view text);

// The loss target of issue 10: under 1% of legitimate mail.
inline constexpr double readiness_target = 0.01;
// The small pct of the first enforcing stage (RFC 7489 receivers; RFC 9989 ones see t=y).
inline constexpr int staged_pct = 10;

struct candidate_policy {
    policy_action p = policy_action::reject;
    std::optional<policy_action> sp, np;  // unset: p (RFC 9989 §4.7: np defaults to sp, sp to p)
    int pct = 100;                        // 0..100
    bool testing = false;                 // t=y
    char adkim = 'r', aspf = 'r';         // 'r' | 's'
    std::string rua, ruf, fo;             // carried into the record text when known
    policy_action subdomain() const { return sp.value_or(p); }
    policy_action nonexistent() const { return np.value_or(subdomain()); }
};
// The DMARC record text: v=DMARC1; p=…; then only what differs from the defaults
// (sp/np when they differ from p, pct below 100, t=y, strict modes, fo, rua, ruf).
std::string record_text(const candidate_policy& c);

// What the reports say the domain published (policy_published): each tag from the latest report
// that states it.
struct published_policy {
    std::string p, sp, np, adkim, aspf, fo, testing;
    std::optional<int> pct;
    std::int64_t report_begin = 0;  // the report it comes from (the latest by begin time)
    bool known = false;
    char adkim_mode() const { return adkim == "s" || adkim == "S" ? 's' : 'r'; }  // RFC 9989 §4.7: default r
    char aspf_mode() const { return aspf == "s" || aspf == "S" ? 's' : 'r'; }
};

// One (source IP, header_from) of the window.
struct policy_group {
    std::string source_ip, header_from;  // header_from lower-cased
    std::int64_t messages = 0;
    std::int64_t dmarc_pass = 0;   // under the candidate's alignment (see load_policy_inputs)
    std::int64_t overridden = 0;   // failing messages a receiver overrode (at most the failing ones)
    std::uint32_t source = 0;      // index into policy_inputs::source_list (index_sources)
    std::uint32_t header = 0;      // index into policy_inputs::header_froms (index_sources)
};

// One source IP: what the inventory says of it.
struct policy_source {
    source_class cls = source_class::unknown;
    std::string service, fix;
    bool legitimate() const { return cls != source_class::spoofing; }  // issue 10
};

// Which receivers follow which RFC, from the schema of their reports.
struct receiver_mix {
    std::vector<std::string> rfc9989_reporters, rfc7489_reporters;  // org_name, sorted
    std::int64_t rfc9989_messages = 0, rfc7489_messages = 0;
    double rfc9989_share() const;  // of the reported messages; 0 when nothing was reported
};

struct policy_inputs {
    std::string domain;
    std::vector<policy_group> groups;
    // By source IP, for inputs built by hand (tests); load_policy_inputs fills the index below
    // directly and leaves this empty: read a source through source_info().
    std::unordered_map<std::string, policy_source> sources;
    // Subdomain (header_from) existence from DNS: true / false (NXDOMAIN); absent: unknown.
    std::map<std::string, bool> exists;
    receiver_mix receivers;
    published_policy published;
    std::string published_record;  // the domain's DMARC record as DNS has it now, when asked
    // Measures summed over the window (failure-report planning) and its days with data.
    store::source_measures totals;
    std::int64_t days = 0;
    bool alignment_recomputed = false;  // the records were read (candidate alignment differs)
    // Filled by index_sources: groups sorted by source IP, each naming its entry here, so that a
    // simulation (one per stage of the path) looks nothing up per group.
    std::vector<std::string> source_ips;
    std::vector<policy_source> source_list;
    std::vector<std::string> header_froms;  // the groups' distinct header_froms, sorted
    bool indexed = false;
    // A source's entry (indexed or not); unknown IPs are `unknown` (legitimate).
    policy_source source_info(const std::string& ip) const;
};
// Sorts the groups by (source IP, header_from) and resolves each one's source; load_policy_inputs
// calls it, and simulate indexes a copy of inputs that are not indexed.
void index_sources(policy_inputs& in);

// Which tag applies to mail with this header_from (RFC 9989 §4.10.1).
enum class policy_tag { p, sp, np };
std::string_view to_string(policy_tag t);
// p for the domain itself (and for a header_from outside it); sp for an existing or unknown
// subdomain; np for a non-existent one.
policy_tag tag_for(std::string_view header_from, const std::string& domain, const std::map<std::string, bool>& exists);

// The five figures of issue 10.
struct impact {
    std::int64_t messages = 0, legitimate_messages = 0;
    std::int64_t affected_messages = 0, affected_legitimate = 0, affected_unauthorized = 0;
    std::int64_t rejected_messages = 0;  // of the affected: rejected (the rest quarantined)
    double legitimate_loss_share = 0.0;  // affected_legitimate / legitimate_messages
};

struct source_impact {
    std::string source_ip;
    policy_source info;
    std::int64_t messages = 0, affected_messages = 0, expected_affected_messages = 0;
};

struct subdomain_impact {
    std::string header_from;
    policy_tag tag = policy_tag::p;
    std::optional<bool> exists;
    policy_action applied = policy_action::none;
    impact worst;
};

enum class verdict { ready, not_ready };
std::string_view to_string(verdict v);
// ready: the legitimate loss share is under the target (strictly), or there is no legitimate mail.
verdict readiness_of(const impact& i);

struct simulation {
    impact worst, expected;
    std::vector<source_impact> by_source;       // affected > 0, biggest first (then IP text order)
    std::vector<subdomain_impact> by_header_from;  // the domain first, then by messages
    verdict domain_verdict = verdict::ready;
};

// Applies the candidate to every group (pure).
simulation simulate(const policy_inputs& in, const candidate_policy& c);

struct stage {
    candidate_policy policy;
    std::string record;
    impact worst;
    verdict v = verdict::ready;
};
struct next_step {
    std::string record, why;
    std::vector<std::string> fix_sources;  // when not ready: the sources to fix first (IPs)
};
struct policy_plan {
    std::vector<stage> stages;  // none → quarantine pct/t=y → quarantine → reject, up to the target
    next_step next;
};
// The staged path from the published policy to the target candidate, each stage simulated; the
// next step is the first stage above the published one, or, when the target is not ready, the
// fewest legitimate sources (largest first) whose fix brings the loss under the target.
policy_plan staged_path(const policy_inputs& in, const candidate_policy& target);

// Failure reports per day a ruf= address would receive, per fo option (RFC 9989 §4.7, RFC 7489
// §6.3), from the window's daily means: an upper bound (not every receiver sends them).
struct failure_report_rates {
    double fo_0 = 0, fo_1 = 0, fo_d = 0, fo_s = 0;
};
failure_report_rates failure_reports(const policy_inputs& in);

// --- reading the store.
struct policy_load_options {
    store::fact_filter window;  // domain set, include_subdomains false
    // The candidate's alignment (unset: the published one); records are read when it differs.
    std::optional<char> adkim, aspf;
    thresholds rules;
};
result<policy_inputs> load_policy_inputs(store::store& db, const policy_load_options& o, const service_directory* services,
                                         const std::vector<store::label_row>& labels);

// For the digest: the readiness of a domain for p=reject (sp, np = reject, pct 100, published
// alignment, existence of subdomains unknown), over a window.
struct readiness {
    std::string domain;
    verdict v = verdict::not_ready;
    double legitimate_loss_share = 0.0;
    impact worst;
    next_step next;
};
result<readiness> assess_policy(store::store& db, const std::string& domain, const store::fact_filter& window,
                                const service_directory* services, const std::vector<store::label_row>& labels);

}  // namespace dmarcsight::analyze
