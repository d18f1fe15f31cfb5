#include "store/postgres/postgres_store.hpp"

namespace dmarcsight::store {

result<std::unique_ptr<store>> open_postgres(const std::string&, open_mode) { return fail("PostgreSQL driver: not yet"); }

}  // namespace dmarcsight::store
