// A resolver answering from in-memory data as an authoritative server would: the offline backend
// for every DNS-dependent test (SPF suite, DKIM, DMARC, posture) and for `check --with FILE`.
//
// Data comes from add() or from RFC 1035 §5 master files. All records form ONE name tree (no zone
// cuts, no delegation): a test zone may hold records for many unrelated domains. Answers follow
// authoritative semantics exactly:
//   * a name that owns records of the queried type: NOERROR + records;
//   * a name that exists (owns records of other types, or is an empty non-terminal: it has no
//     records but has descendants): NOERROR + no records = NODATA (RFC 8020, RFC 4592 §2.2.2);
//   * a name that does not exist: wildcard synthesis per RFC 4592 §3.3.1 — find the closest
//     encloser (longest existing ancestor); if "*.<closest encloser>" exists its records are
//     copied with the query name as owner (NODATA if the wildcard has no records of the type);
//     otherwise NXDOMAIN. An existing name (ENTs included) is never covered by a wildcard, and a
//     wildcard only answers for names below its own parent, not for deeper names below an existing
//     intermediate label (RFC 4592 §2.2.1 example);
//   * CNAME (RFC 1034 §3.6.2, §4.3.2): a query of any type other than CNAME at an alias is
//     restarted at the target; each target is appended to answer.cnames, the final rcode is the
//     last name's (RFC 6604). A loop, or a chain longer than limits::max_cname_chain → SERVFAIL.
//   * names registered with add_timeout()/add_failure() answer every query with that rcode.
// Names are compared case-insensitively, with or without the trailing dot.
//
// Thread-safety: const queries on a loaded resolver may run concurrently; add/load must not run
// concurrently with anything else.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "dns/names.hpp"
#include "dns/resolver.hpp"

namespace dmarcsight::dns {

// ---- RFC 1035 §5 master-file parser (pure: no I/O; usable by the fuzz target) -----------------

struct zone_parse_options {
    // Initial $ORIGIN (absolute, with or without trailing dot; "" = the root).
    std::string origin;
    // TTL of records with none and no $TTL/previous TTL in force (RFC 2308 §4 era default).
    std::uint32_t default_ttl = 3600;
    // Name used in error messages ("zones/a.zone:12: ..."); "" → "<zone>".
    std::string source_name;
};

// Parse master-file text. Supported: $ORIGIN, $TTL ($INCLUDE is refused: zone data never reaches
// the file system), "@", relative and absolute owners, blank owner = previous owner, ( )
// continuation, ";" comments, \DDD and \X escapes, quoted character-strings, optional class IN and
// optional TTL in either order; types A, AAAA, MX, TXT, SPF, PTR, CNAME, NS, SOA (SPF is stored as
// rr_type::spf). Errors read "<source>:<line>: <what>" and carry the byte offset.
result<std::vector<resource_record>> parse_zone(std::string_view text, const zone_parse_options& options = {});

class zone_resolver : public resolver {
public:
    zone_resolver() = default;

    // Add one record (owner is normalised). Exact duplicates (same owner, type, rdata) are merged.
    void add(resource_record rr);
    // Every query for `name` (exactly that name) answers rcode::timeout (the SPF suite's TIMEOUT).
    void add_timeout(std::string name);
    // Every query for `name` answers `status` (servfail, refused, ...).
    void add_failure(std::string name, rcode status);

    // Parse a master file and add its records; on error nothing is added. The file's own name is
    // used in error messages. `origin` is the initial $ORIGIN.
    result<void> load_file(std::string_view path, std::string_view origin = "");
    result<void> load_text(std::string_view text, std::string_view origin = "");

    answer query(std::string_view name, rr_type type) override { return resolve(name, type); }
    // The same, const (query() is non-const only because the interface allows caching backends).
    answer resolve(std::string_view name, rr_type type) const;

    // For the overlay (see overlay_resolver.hpp) and for tests:
    // Does `name` exist in the tree (owns records, or is an empty non-terminal)?
    bool exists(std::string_view name) const;
    // Does exactly `name` (no wildcard) own records of `type`, or a CNAME when type != cname?
    bool owns(std::string_view name, rr_type type) const;
    // The rcode registered for `name` by add_timeout()/add_failure(), if any.
    std::optional<rcode> failure(std::string_view name) const;

    std::size_t size() const { return record_count_; }
    bool empty() const { return record_count_ == 0 && failures_.empty(); }
    // All records, in owner order (for dumps and tests).
    std::vector<resource_record> records() const;

private:
    // Canonical owner → its records.
    std::map<std::string, std::vector<resource_record>> nodes_;
    // Every proper ancestor of an owner (the empty non-terminals and the owners' parents).
    std::set<std::string> ancestors_;
    std::map<std::string, rcode> failures_;
    std::size_t record_count_ = 0;
};

}  // namespace dmarcsight::dns
