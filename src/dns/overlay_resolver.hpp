// "What if I publish these records?": a zone file laid over live DNS (`check --with FILE`).
//
// The rule, applied to every name of a query (the queried name and each CNAME target in turn):
//   1. `top` registers a failure for the name (add_timeout/add_failure) → that failure.
//   2. `top` owns an RRset of the queried type at exactly that name, or a CNAME there (for any
//      other type) → `top` answers: its records replace the live RRset (a CNAME replaces the
//      whole name, RFC 2181 §10.1).
//   3. Otherwise `bottom` (live DNS) answers. If `bottom` says NXDOMAIN, the name is absent from
//      live DNS, so the file decides: `top`'s own answer is returned — NODATA if the name exists in
//      the file (owns other types or has descendants there), a record set synthesised from the
//      file's wildcard (RFC 4592), or NXDOMAIN.
//   A live failure (timeout/servfail) is returned as is: the file cannot repair it.
// Why per RRset and not "the file owns every name at/under which it has data": a file that adds
// only `example.com TXT "v=spf1 ..."` must not hide example.com's live MX and A records (the SPF
// `mx` and `a` mechanisms look them up), and a file that adds `_spf.example.com` must not turn
// example.com itself into NODATA.
// CNAMEs are followed by the overlay itself, one hop at a time, so a chain may cross from the
// file into live DNS and back; answer.cnames lists every target, a loop or a chain longer than
// limits::max_cname_chain is SERVFAIL, exactly as in zone_resolver.
//
// Thread-safety: as the two resolvers underneath (cares_resolver: one instance per thread).
#pragma once

#include "dns/resolver.hpp"
#include "dns/zone_resolver.hpp"

namespace dmarcsight::dns {

class overlay_resolver : public resolver {
public:
    // Both must outlive the overlay.
    overlay_resolver(const zone_resolver& top, resolver& bottom) : top_(top), bottom_(bottom) {}

    answer query(std::string_view name, rr_type type) override;

private:
    // One name, without following a CNAME found there: the answer's cnames holds at most the
    // first target.
    answer one_name(const std::string& name, rr_type type);

    const zone_resolver& top_;
    resolver& bottom_;
};

}  // namespace dmarcsight::dns
