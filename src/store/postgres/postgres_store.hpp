// The PostgreSQL driver: for shared deployments (several ingest workers on several machines, a
// dashboard for many users, one database). libpq stays inside src/store/postgres/. Its parts:
// connection.{hpp,cpp} (libpq: connections, parameters, results, COPY), open.cpp (opening,
// refusing other programs' tables, migrations of schema/postgres/), write.cpp, read.cpp,
// facts.cpp, other.cpp (enrichment cache, labels, claims).
#pragma once

#include <memory>
#include <string>

#include "store/store.hpp"

namespace dmarcsight::store {

// `uri` is a libpq connection URI (postgresql://user@host:port/db?params); libpq fills what it
// leaves out from the PG* environment variables and ~/.pg_service.conf, as with psql.
// read_write applies migrations (as the database's owner role); read_only opens a read-only
// session and refuses a database whose schema is older than this version's (it cannot upgrade it).
result<std::unique_ptr<store>> open_postgres(const std::string& uri, open_mode mode);

}  // namespace dmarcsight::store
