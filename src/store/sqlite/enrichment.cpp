// The SQLite driver: the enrichment cache (table ip_info, schema/sqlite/0003_source_facts.sql).
#include "store/sqlite/sqlite_store_impl.hpp"

namespace dmarcsight::store::sqlite {

result<std::vector<std::string>> sqlite_store::ips_to_enrich(std::int64_t, const fact_filter&) {
    return fail("not implemented yet");
}
result<void> sqlite_store::save_ip_info(const std::vector<ip_info>&) { return fail("not implemented yet"); }
result<std::vector<ip_info>> sqlite_store::ip_infos(const std::vector<std::string>&) { return std::vector<ip_info>(); }

}  // namespace dmarcsight::store::sqlite
