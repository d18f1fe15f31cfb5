// The facts a flush appends, as a virtual table the flush's one INSERT ... SELECT reads in place
// (https://sqlite.org/vtab.html): the rows go from the accumulator into the B-tree without binding
// 12 parameters a row to a 32-row INSERT ... VALUES and unbinding them again. Measured with
// cachegrind on the benchmark corpus (156,000 rows): the flush cost 5,300 instructions a row
// with binds, 4,800 read in place; most of what is left is SQLite's own work for a row of 12
// columns (the VM's ~45 opcodes, the record, the B-tree).
//
// The module is eponymous-only and registered on the writing connection alone: it is no table of
// the file, and `dmarcsight_pending_facts` is empty (no rows) whenever no flush is running.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/facts.hpp"

namespace dmarcsight::store::sqlite {

inline constexpr const char* pending_facts_table = "dmarcsight_pending_facts";

// What the table shows while a flush runs: the rows in the order they are appended, with each
// domain slot's fact_domains id and each reporter index's fact_reporters id.
struct pending_facts {
    const fact_accumulator* facts = nullptr;
    const std::vector<const fact_entry*>* rows = nullptr;
    const std::vector<std::int64_t>* domain_ids = nullptr;     // by fact_entry::domain
    const std::vector<std::uint64_t>* reporter_ids = nullptr;  // by fact_accumulator reporter index
};

// The table's columns, in order: domain_id, day, source_ip, header_from, the column measures
// (store::is_column_measure, for_each_measure order), evidence. `columns` names them as
// source_facts does, comma-separated.
const std::string& pending_fact_columns();

// Registers the module on db; `source` must outlive the connection.
result<void> register_pending_facts(sqlite3* db, const pending_facts* source);

}  // namespace dmarcsight::store::sqlite
