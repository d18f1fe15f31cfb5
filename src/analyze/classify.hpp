// Who is each source: the classification rules (pure). Inputs: the source's facts over the
// window (source_summary), what enrichment knows of its IP (reverse DNS, forward confirmation),
// the service it belongs to (catalogue), and the user's labels. Output: a class, a one-line
// reason, the evidence, and a fix where one exists. README.md "Classification" lists the rules;
// they are in this order:
//
//  1. a user's label wins;
//  2. forwarded: the envelope stays in the policy domain (>= 50%), SPF fails there, and aligned
//     DKIM survives (>= 50%), or receivers say forwarded / trusted_forwarder / arc=pass
//     (>= 50%), and the host is not the domain's own (SPF does not pass aligned);
//  3. mailing_list: SPF passes for a foreign envelope (the list's, >= 50%) while the domain's
//     DKIM breaks (>= 50%), or receivers say mailing_list (>= 50%), or a catalogued list host;
//  4. authorized / authorized_failing: the domain's own servers or a service it set up —
//     PTR under the domain, or SPF passes aligned (>= 50%: the IP is in the domain's SPF), or
//     aligned DKIM passes (>= 50%) — failing DMARC on at most 2% (authorized) or more
//     (authorized_failing, with the failing mechanism);
//  5. third_party_unaligned: a known sending service (catalogue, by PTR or by its bounce / DKIM
//     domain; or a host whose own domain is the one SPF passes for) sending as the domain with no
//     aligned pass;
//  6. spoofing: no forward-confirmed PTR, or nothing above fits, while failing DMARC;
//  7. unknown: where the data cannot decide (no messages; or offline and ambiguous).
// A source with forward confirmation known false can still be authorized when aligned
// authentication passes (an own server without reverse DNS): a spoofer cannot pass aligned.
#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analyze/source_summary.hpp"
#include "store/store.hpp"

namespace dmarcsight::analyze {

enum class source_class { authorized, authorized_failing, forwarded, mailing_list, third_party_unaligned, spoofing, unknown };
std::string_view to_string(source_class c);
std::optional<source_class> parse_source_class(std::string_view text);
inline constexpr const char* source_class_names =
    "authorized, authorized_failing, forwarded, mailing_list, third_party_unaligned, spoofing, unknown";

// What analysis needs of a catalogued service.
struct service_info {
    std::string name;
    std::string type;   // mailbox_provider, esp, ..., forwarder, mailing_list
    std::string setup;  // how a customer aligns it; may hold {domain}
    std::vector<std::string> spf_includes;
    bool is_forwarder() const { return type == "forwarder"; }
    bool is_list() const { return type == "mailing_list"; }
};

// The catalogue as analysis sees it (cli adapts catalog::catalog to it).
class service_directory {
public:
    virtual ~service_directory() = default;
    virtual const service_info* by_ptr(std::string_view ptr_name) const = 0;
    virtual const service_info* by_domain(std::string_view domain) const = 0;
};

struct thresholds {
    double authorized_max_failure = 0.02;  // issue 6: "failing DMARC on at most 2%"
    double majority = 0.5;                 // the ">= 50%" of each rule
};

struct source_evidence {
    const store::ip_info* ip = nullptr;       // null: not enriched (offline)
    const service_info* service = nullptr;    // by PTR when forward-confirmed, else by domain
    bool service_by_ptr = false;
    const store::label_row* label = nullptr;  // the user's label, if one applies
};

struct classification {
    source_class cls = source_class::unknown;
    std::string reason;             // one line, for people
    std::string fix;                // empty when there is nothing to fix
    std::string failing_mechanism;  // dkim | spf, for authorized_failing
    bool certain = true;            // false: decided without reverse DNS (offline)
};

classification classify(const source_summary& s, const source_evidence& e, const thresholds& t = {});

// Finds the service of a source: by PTR when forward-confirmed, else by its foreign DKIM d= or
// SPF/envelope domain.
source_evidence find_service(const source_summary& s, const store::ip_info* ip, const service_directory* dir);

// Does a label apply to this source (its IP in the label's CIDR, or its service's name)?
bool label_matches(const store::label_row& l, const source_summary& s, const service_info* service);

// A source's evidence (its service, the label that applies: the first matching one, except that
// one for the IP beats one for its service) and its class: what the inventory, the policy
// simulation and the trends give every source alike.
struct classified_source {
    source_evidence e;
    classification c;
};
classified_source classify_source(const source_summary& s, const store::ip_info* ip, const service_directory* services,
                                  const std::vector<store::label_row>& labels, const thresholds& rules);

// classify_source for each of `sums` in order, on what the store's enrichment knows of each IP:
// each(i, classified). The IPs are asked a chunk at a time, the next chunk read on a second thread
// while this one is classified (the caller must not use the store meanwhile; it may be inside a
// read of the facts, which waits for its callback).
result<void> classify_summaries(store::store& db, const std::deque<source_summary>& sums, const service_directory* services,
                                const std::vector<store::label_row>& labels, const thresholds& rules,
                                const std::function<void(std::size_t, const classified_source&)>& each);

}  // namespace dmarcsight::analyze
