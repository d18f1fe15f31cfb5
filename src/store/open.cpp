#include "store/open.hpp"

#include "store/postgres/postgres_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace dmarcsight::store {

bool is_postgres_uri(std::string_view db) { return db.starts_with("postgresql://") || db.starts_with("postgres://"); }

std::string redacted(std::string_view db) {
    if (!is_postgres_uri(db)) return std::string(db);
    // scheme://[user[:password]@]host...: the password is between the first ':' after the
    // scheme and the last '@' of the authority (a password may hold '@' percent-encoded only).
    const std::size_t start = db.find("://") + 3;
    const std::size_t end = db.find_first_of("/?", start);
    const std::string_view authority = db.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    const std::size_t at = authority.rfind('@');
    if (at == std::string_view::npos) return std::string(db);
    const std::size_t colon = authority.find(':');
    if (colon == std::string_view::npos || colon > at) return std::string(db);
    return std::string(db.substr(0, start + colon + 1)) + "***" + std::string(db.substr(start + at));
}

result<std::unique_ptr<store>> open_store(const std::string& db, open_mode mode) {
    if (is_postgres_uri(db)) return open_postgres(db, mode);
    return open_sqlite(db, mode);
}

}  // namespace dmarcsight::store
