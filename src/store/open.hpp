// Opening a store: the driver is chosen by the --db value. A PostgreSQL URI (postgresql:// or
// postgres://, libpq's own forms: every PG* environment variable and a service file
// (?service=name) apply as libpq users expect) opens the PostgreSQL driver; anything else is
// the path of an SQLite file, the embedded default. The drivers' own headers stay in their folders.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "store/store.hpp"

namespace dmarcsight::store {

// True when `db` names a PostgreSQL database rather than an SQLite file.
bool is_postgres_uri(std::string_view db);

// `db` as it may be shown: a URI's password is replaced by "***".
std::string redacted(std::string_view db);

// Opens the store `db` names (see above). read_write applies the driver's migrations; read_only
// writes nothing (SQLite: refuses a missing file; PostgreSQL: a read-only session).
result<std::unique_ptr<store>> open_store(const std::string& db, open_mode mode);

}  // namespace dmarcsight::store
