// The SQLite driver: the embedded default. WAL journal so readers never block the writer and a
// SIGKILL mid-batch leaves the last committed state; a busy timeout so a second writer waits.
// Its parts: open.cpp (opening, refusing other programs' files, migrations), write.cpp, read.cpp.
#pragma once

#include <memory>
#include <string>

#include "store/store.hpp"

namespace dmarcsight::store {

// read_write creates the file and applies migrations; it refuses, before writing anything, a file
// that is not an SQLite database or that holds another program's tables. read_only refuses a
// missing file (a read-only command must never silently create an empty database).
result<std::unique_ptr<store>> open_sqlite(const std::string& path, open_mode mode);

}  // namespace dmarcsight::store
