// The "floor" of the ingest benchmark: merely reading, unwrapping (gzip/zip) and parsing every
// report with pugixml, extracting each record's fields, with no checks and no storage. Its CPU
// time, measured in the same run as `dmarcsight ingest`, is what the issue compares ingest to.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <pugixml.hpp>
#include <string>

#include "mime/container.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: floor_pugixml DIR\n");
        return 2;
    }
    std::size_t files = 0, records = 0, bytes = 0;
    unsigned long long messages = 0;
    std::string xml, raw;
    pugi::xml_document doc;
    for (const auto& e : fs::recursive_directory_iterator(argv[1])) {
        if (!e.is_regular_file()) continue;
        // Read with one fread into a reused buffer; plain XML skips the unwrap layer.
        std::FILE* f = std::fopen(e.path().c_str(), "rb");
        if (!f) continue;
        raw.resize(static_cast<std::size_t>(e.file_size()));
        raw.resize(std::fread(raw.data(), 1, raw.size(), f));
        std::fclose(f);
        if (!raw.empty() && raw[0] == '<') {
            xml.swap(raw);
        } else if (!dmarcsight::mime::unwrap(std::make_unique<dmarcsight::memory_source>(raw), "",
                                          [&](dmarcsight::mime::unwrapped& leaf) -> dmarcsight::result<void> {
                                              xml.clear();
                                              char buf[1 << 16];
                                              for (;;) {
                                                  auto got = leaf.stream->read(buf, sizeof buf);
                                                  if (!got || *got == 0) break;
                                                  xml.append(buf, *got);
                                              }
                                              return {};
                                          })) {
            continue;
        }
        ++files;
        bytes += xml.size();
        if (!doc.load_buffer_inplace(xml.data(), xml.size())) continue;
        const pugi::xml_node fb = doc.child("feedback");
        for (pugi::xml_node rec = fb.child("record"); rec; rec = rec.next_sibling("record")) {
            const pugi::xml_node row = rec.child("row");
            messages += std::strtoull(row.child_value("count"), nullptr, 10);
            volatile const char* keep = row.child_value("source_ip");
            keep = rec.child("identifiers").child_value("header_from");
            for (pugi::xml_node a : rec.child("auth_results").children()) keep = a.child_value("domain");
            (void)keep;
            ++records;
        }
    }
    std::printf("floor: %zu reports, %zu records, %llu messages, %zu bytes of XML\n", files, records, messages, bytes);
    return 0;
}
