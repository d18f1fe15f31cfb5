// Output of `dmarcsight check`: a readable report grouped by domain and area (DNS text escaped
// for the terminal) and JSON (per domain: the findings with severity, area, code, message,
// record and fix).
#pragma once

#include <string>
#include <vector>

#include "posture/finding.hpp"

namespace dmarcsight::posture {

struct render_options {
    bool show_info = true;  // list info findings too
};

std::string render_text(const std::vector<domain_report>& reports, const render_options& options = {});
// {"domains":[{"domain":..., "errors":n, "warnings":n, "infos":n, "findings":[...]}], "errors":n, "warnings":n}
std::string render_json(const std::vector<domain_report>& reports);

}  // namespace dmarcsight::posture
