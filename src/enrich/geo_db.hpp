// The network an IP belongs to, from an offline database: its autonomous system (number and name)
// and the country the registry lists for it. Two formats:
//   * libloc (IPFire's location database; Debian ships one in `libloc-database` at
//     default_location_db): one file with networks, AS names and countries;
//   * MaxMind DB (.mmdb: GeoLite2-ASN, GeoLite2-Country, DB-IP ASN/Country lite), one or more
//     files whose fields are merged (autonomous_system_number, autonomous_system_organization,
//     country.iso_code).
// Databases are snapshots: description() says which one and how old it is, so output can say
// "as of 2022-10-29" (Debian's libloc-database is that old).
// Text from the file (AS names) is input too: control characters are dropped and the length capped
// (limits::enrich_max_as_name); a country is kept only as two ASCII letters (ISO 3166-1 alpha-2).
//
// Thread-safety: none (one instance per thread).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip_address.hpp"
#include "core/result.hpp"

namespace dmarcsight::enrich {

inline constexpr const char* default_location_db = "/var/lib/location/database.db";

struct geo_info {
    std::optional<std::uint32_t> asn;
    std::string as_name;
    std::string country;  // ISO 3166-1 alpha-2, upper case; empty: unknown
};

class geo_db {
public:
    virtual ~geo_db() = default;
    // nullopt: the address is in no network of the database.
    virtual std::optional<geo_info> lookup(const ip_address& ip) = 0;
    // "libloc /var/lib/location/database.db (IPFire Project, built 2022-10-29)".
    virtual std::string description() const = 0;
    // The database's build time (seconds since the epoch), 0 when it does not say.
    virtual std::int64_t built_at() const = 0;
};

result<std::unique_ptr<geo_db>> open_libloc(const std::string& path = default_location_db);
result<std::unique_ptr<geo_db>> open_mmdb(const std::vector<std::string>& paths);

// AS names and countries as they are kept (shared by both formats; exposed for tests).
std::string clean_as_name(std::string_view raw);
std::string clean_country(std::string_view raw);

}  // namespace dmarcsight::enrich
