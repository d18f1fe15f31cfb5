// dmarcsight trends: per policy domain and UTC day (or ISO week) the messages, the DMARC pass
// share, the unauthorized messages and the messages of each class of source (analyze/trends.hpp),
// as a table, JSON (an array of rows) or CSV (header documented in README.md, "trends").
#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "analyze/trends.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/services.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "views/analysis.hpp"

namespace dmarcsight::cli {

namespace {

struct args {
    std::string db;
    std::string domain, since, until;
    std::string by = "day";
    std::string format = "table";
    std::vector<std::string> services_files;
};

// The stable CSV header (README.md, "trends"): columns are only ever added at the end.
std::string csv_header() {
    std::string h = "domain,day,week,days,messages,dmarc_pass_messages,dmarc_pass_share,unauthorized_messages";
    for (const auto c : analyze::trend_classes) h += "," + std::string(analyze::to_string(c)) + "_messages";
    return h;
}

std::string row_csv(const analyze::trend_row& r, bool weeks) {
    std::string out = text::csv_cell(r.domain) + "," + utc::format_date(r.day * 86400) + "," + (weeks ? analyze::iso_week(r.day) : "") +
                      "," + std::to_string(r.days) + "," + std::to_string(r.messages) + "," + std::to_string(r.dmarc_pass) + "," +
                      (r.messages > 0 ? text::format_share(r.dmarc_pass, r.messages, 4) : "") + "," + std::to_string(r.unauthorized);
    for (const auto n : r.class_messages) out += "," + std::to_string(n);
    return out;
}

void run(const args& a) {
    store::query_filter qf;
    if (!make_filter(a.domain, a.since, a.until, qf)) return;
    analyze::trends_query q;
    q.filter = to_fact_filter(qf);
    q.by = a.by == "week" ? analyze::trend_period::week : analyze::trend_period::day;
    q.today = utc::day_of(utc::now());
    auto services = load_services(a.services_files);
    if (!services) {
        error_line(services.err().message);
        exit_code() = exit_usage;
        return;
    }
    auto db = open_store(a.db, store::open_mode::read_only);
    if (!db) return;
    check_domain_stored(*db, a.domain, qf);
    auto labels = labels_with_config(*db);
    if (!labels) {
        error_line(labels.err().message);
        exit_code() = exit_usage;
        return;
    }
    auto t = analyze::compute_trends(*db, q, services->get(), *labels);
    if (!t) {
        error_line(t.err().message);
        exit_code() = exit_usage;
        return;
    }
    if (t->cut)
        error_line("the window is longer than " + std::to_string(analyze::max_trend_days) + " days: showing from " +
                   utc::format_date(t->first_day * 86400) + " (give --since to choose)");
    const bool weeks = q.by == analyze::trend_period::week;
    if (a.format == "json") {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& r : t->rows) out.push_back(views::trend_json(r, weeks));
        std::printf("%s\n", json_text(out, 2).c_str());
        return;
    }
    if (a.format == "csv") {
        std::printf("%s\n", csv_header().c_str());
        for (const auto& r : t->rows) std::printf("%s\n", row_csv(r, weeks).c_str());
        return;
    }
    if (t->rows.empty()) {
        std::printf("no reports%s\n", qf.domain.empty() ? " stored" : " for that domain");
        return;
    }
    std::vector<column> cols = {{.header = "DOMAIN", .keep = true},
                                {.header = weeks ? "WEEK" : "DAY", .keep = true},
                                {.header = "MESSAGES", .right = true, .keep = true},
                                {.header = "DMARC PASS", .right = true, .keep = true},
                                {.header = "UNAUTHORIZED", .right = true, .keep = true}};
    // The classes, in trend_classes order, under short headers (every column stays whole).
    static constexpr std::array<const char*, analyze::trend_classes.size()> class_headers{"AUTHORIZED", "AUTH FAILING", "FORWARDED", "LISTS",
                                                                                        "THIRD PARTY", "SPOOFING", "UNKNOWN"};
    for (const char* h : class_headers) cols.push_back({.header = h, .right = true, .keep = true});
    std::vector<std::vector<std::string>> table;
    for (const auto& r : t->rows) {
        std::string when = weeks ? analyze::iso_week(r.day) : utc::format_date(r.day * 86400);
        if (weeks && r.days < 7) when += " (" + std::to_string(r.days) + "d)";
        std::vector<std::string> line = {r.domain, when, std::to_string(r.messages), r.messages > 0 ? percent(r.dmarc_pass, r.messages) : "-",
                                         std::to_string(r.unauthorized)};
        for (const auto n : r.class_messages) line.push_back(std::to_string(n));
        table.push_back(std::move(line));
    }
    print_columns(cols, table);
}

}  // namespace

void register_trends(CLI::App& app) {
    auto a = std::make_shared<args>();
    a->db = default_db_path();
    auto* cmd = app.add_subcommand("trends",
                                   "Per domain and day (or ISO week): messages, DMARC pass share, unauthorized messages, messages per class");
    cmd->add_option("--db", a->db, db_help)->capture_default_str();
    cmd->add_option("--domain", a->domain,
                    "Policy domain; '*.example.com' adds its subdomains; without it every stored domain (a row per domain and day). "
                    "A domain with no stored reports exits 1");
    cmd->add_option("--by", a->by, "One row per UTC day, or per ISO week (Monday to Sunday; an edge week sums the window's days of it)")
        ->check(CLI::IsMember({"day", "week"}))
        ->capture_default_str();
    cmd->add_option("--since", a->since,
                    "From this UTC day (a time rounds down to its day): YYYY-MM-DD, RFC 3339, or an age: 12h, 30d, 2w. "
                    "Default: the first day with reports");
    cmd->add_option("--until", a->until, "Before this UTC day (same forms as --since). Default: after the last day with reports");
    cmd->add_option("--format", a->format, "Output format (json: an array of rows; csv: the header README.md documents)")
        ->check(CLI::IsMember({"table", "json", "csv"}))
        ->capture_default_str();
    cmd->add_option("--services", a->services_files,
                    "Your own service catalogue file (as for `sources`); repeatable. Default: `services` of the config file");
    cmd->callback([a] { run(*a); });
}

}  // namespace dmarcsight::cli
