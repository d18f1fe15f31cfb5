#include "posture/render.hpp"

#include <nlohmann/json.hpp>

#include "core/text.hpp"

namespace dmarcsight::posture {

namespace {
constexpr area area_order[] = {area::dns, area::dmarc, area::spf, area::dkim, area::mx, area::mta_sts, area::tls_rpt, area::bimi};
// Records are echoed in full (they are what the user must fix) but escaped, and cut well above
// any sane record so a hostile zone cannot flood the terminal.
constexpr std::size_t max_record_shown = 2048;

// JSON strings must be valid UTF-8: DNS text is bytes.
std::string utf8(std::string s) {
    text::repair_utf8(s);
    return s;
}
}  // namespace

std::string render_text(const std::vector<domain_report>& reports, const render_options& options) {
    std::string out;
    for (const auto& r : reports) {
        const std::string both = r.unicode.empty() ? r.domain : r.unicode + " (" + r.domain + ")";
        out += text::for_terminal(both) + "  (" + std::to_string(r.count(severity::error)) + " errors, " +
               std::to_string(r.count(severity::warning)) + " warnings)\n";
        for (const area a : area_order) {
            bool header = false;
            for (const auto& f : r.findings) {
                if (f.where != a || (f.level == severity::info && !options.show_info)) continue;
                if (!header) {
                    out += "  " + std::string(title(a)) + "\n";
                    header = true;
                }
                std::string sev(to_string(f.level));
                sev.resize(8, ' ');
                out += "    " + sev + text::for_terminal(f.message) + "  [" + f.code + "]\n";
                if (!f.record.empty()) out += "            record: " + text::for_terminal(f.record, max_record_shown) + "\n";
                if (!f.fix.empty()) out += "            fix:    " + text::for_terminal(f.fix) + "\n";
            }
        }
        out += "\n";
    }
    return out;
}

std::string render_json(const std::vector<domain_report>& reports) {
    nlohmann::json doc;
    doc["domains"] = nlohmann::json::array();
    std::size_t errors = 0, warnings = 0;
    for (const auto& r : reports) {
        nlohmann::json d;
        d["domain"] = utf8(r.domain);
        if (!r.unicode.empty()) d["domain_unicode"] = utf8(r.unicode);
        d["errors"] = r.count(severity::error);
        d["warnings"] = r.count(severity::warning);
        d["infos"] = r.count(severity::info);
        errors += r.count(severity::error);
        warnings += r.count(severity::warning);
        d["findings"] = nlohmann::json::array();
        for (const auto& f : r.findings) {
            d["findings"].push_back({{"severity", to_string(f.level)},
                                     {"area", to_string(f.where)},
                                     {"code", f.code},
                                     {"message", utf8(f.message)},
                                     {"record", utf8(f.record)},
                                     {"fix", utf8(f.fix)}});
        }
        doc["domains"].push_back(std::move(d));
    }
    doc["errors"] = errors;
    doc["warnings"] = warnings;
    return doc.dump(2) + "\n";
}

}  // namespace dmarcsight::posture
