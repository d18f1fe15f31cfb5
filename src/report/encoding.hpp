// Turns a leaf byte stream into UTF-8 for the XML reader: strips a UTF-8 BOM, transcodes UTF-16
// (BOM or the '<' '\0' pattern, XML 1.0 App. F) and single-byte encodings the XML declaration
// names (ISO-8859-1, windows-1252). Each repair is reported as a warning on the report.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/byte_source.hpp"
#include "core/result.hpp"

namespace dmarcsight::report {

// `in` must outlive the returned source. `head` are bytes already read from `in` (sniffed).
result<std::unique_ptr<byte_source>> utf8_source(byte_source& in, std::string head, std::vector<std::string>& warnings);

}  // namespace dmarcsight::report
