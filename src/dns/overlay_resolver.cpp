#include "dns/overlay_resolver.hpp"

#include <set>

#include "core/limits.hpp"
#include "core/text.hpp"

namespace dmarcsight::dns {

namespace {
// Keep only the first hop of an answer that followed a CNAME: the overlay decides per name.
answer first_hop(answer a) {
    if (a.cnames.empty()) return a;
    answer hop;
    hop.cnames.push_back(std::move(a.cnames.front()));
    return hop;
}
}  // namespace

answer overlay_resolver::one_name(const std::string& name, rr_type type) {
    if (auto f = top_.failure(name)) {  // rule 1
        answer a;
        a.status = *f;
        a.detail = "zone file: " + text::for_terminal(name, limits::max_logged_text) + " is configured to fail";
        return a;
    }
    if (top_.owns(name, type)) return first_hop(top_.resolve(name, type));  // rule 2
    answer live = bottom_.query(name, type);                                // rule 3
    if (!live.cnames.empty()) return first_hop(std::move(live));
    if (live.status != rcode::nxdomain) return live;
    return first_hop(top_.resolve(name, type));
}

answer overlay_resolver::query(std::string_view name, rr_type type) {
    answer out;
    std::string cur = canonical_name(name);
    std::set<std::string> visited{cur};
    for (;;) {
        answer a = one_name(cur, type);
        if (a.cnames.empty()) {
            a.cnames = std::move(out.cnames);
            return a;
        }
        std::string target = std::move(a.cnames.front());
        if (out.cnames.size() >= static_cast<std::size_t>(limits::max_cname_chain)) {
            out.status = rcode::servfail;
            out.detail = "CNAME chain longer than " + std::to_string(limits::max_cname_chain) + " at " +
                         text::for_terminal(cur, limits::max_logged_text);
            return out;
        }
        out.cnames.push_back(target);
        if (!visited.insert(target).second) {
            out.status = rcode::servfail;
            out.detail = "CNAME loop at " + text::for_terminal(target, limits::max_logged_text);
            return out;
        }
        cur = std::move(target);
    }
}

}  // namespace dmarcsight::dns
