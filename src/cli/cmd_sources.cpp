// dmarcsight sources: who sends as each policy domain — every source named (reverse DNS, network,
// service), classified with its reason and fix. dmarcsight senders: the same inventory, per IP,
// in the older column set (with ptr, service and class added).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "analyze/sources.hpp"
#include "analyze/failures.hpp"
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
    std::string format = "table";
    std::string cls;
    std::string group = "ip";
    std::size_t limit = unset;  // tables: table_rows; json and csv: every row
    std::vector<std::string> services_files;
    static constexpr std::size_t unset = static_cast<std::size_t>(-1);
};

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
    return out;
}

nlohmann::json share_or_null(std::int64_t part, std::int64_t whole) {
    if (whole <= 0) return nullptr;
    return static_cast<double>(part) / static_cast<double>(whole);
}

nlohmann::json text_or_null(const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); }

// senders keeps its own, shorter shape (issue 6 renamed its fields to the JSON naming).
nlohmann::json senders_json(const analyze::source_row& r) {
    const auto& m = r.s.m;
    nlohmann::json j;
    j["policy_domain"] = r.s.policy_domain;
    j["source_ip"] = r.s.source_ip;
    j["ptr"] = r.ip ? text_or_null(r.ip->ptr) : nlohmann::json(nullptr);
    j["service"] = r.service ? nlohmann::json(r.service->name) : nlohmann::json(nullptr);
    j["class"] = std::string(analyze::to_string(r.c.cls));
    j["messages"] = m.messages;
    j["dmarc_pass_messages"] = m.dmarc_pass;
    j["dmarc_pass_share"] = share_or_null(m.dmarc_pass, m.messages);
    j["spf_aligned_messages"] = m.spf_aligned;
    j["spf_aligned_share"] = share_or_null(m.spf_aligned, m.messages);
    j["dkim_aligned_messages"] = m.dkim_aligned;
    j["dkim_aligned_share"] = share_or_null(m.dkim_aligned, m.messages);
    j["none_messages"] = m.disposition_none;
    j["quarantine_messages"] = m.disposition_quarantine;
    j["reject_messages"] = m.disposition_reject;
    j["reporters"] = r.s.reporters;
    j["first_seen"] = r.s.first_day.text();
    j["last_seen"] = r.s.last_day.text();
    return j;
}

constexpr const char* senders_csv_header =
    "policy_domain,source_ip,ptr,service,class,messages,dmarc_pass_share,spf_aligned_share,dkim_aligned_share,none_messages,"
    "quarantine_messages,reject_messages,reporters,first_seen,last_seen";

std::string senders_csv(const analyze::source_row& r) {
    const auto& m = r.s.m;
    std::string reporters;
    for (std::size_t i = 0; i < r.s.reporters.size(); ++i) reporters += (i ? "|" : "") + r.s.reporters[i];
    return text::csv_cell(r.s.policy_domain) + "," + text::csv_cell(r.s.source_ip) + "," + text::csv_cell(r.ip ? r.ip->ptr : "") +
           "," + text::csv_cell(r.service ? r.service->name : "") + "," + std::string(analyze::to_string(r.c.cls)) + "," +
           std::to_string(m.messages) + "," + text::format_share(m.dmarc_pass, m.messages, 4) + "," +
           text::format_share(m.spf_aligned, m.messages, 4) + "," + text::format_share(m.dkim_aligned, m.messages, 4) + "," +
           std::to_string(m.disposition_none) + "," + std::to_string(m.disposition_quarantine) + "," +
           std::to_string(m.disposition_reject) + "," + text::csv_cell(reporters) + "," + r.s.first_day.text() + "," + r.s.last_day.text();
}

constexpr const char* csv_header =
    "policy_domain,source_ip,source_ips,ptr,fcrdns,base_domain,asn,as_name,country,service,service_type,class,reason,fix,"
    "failing_mechanism,messages,dmarc_pass_messages,spf_aligned_messages,dkim_aligned_messages,reporters,first_seen,last_seen";

std::string row_csv(const analyze::source_row& r) {
    std::string reporters;
    for (std::size_t i = 0; i < r.s.reporters.size(); ++i) reporters += (i ? "|" : "") + r.s.reporters[i];
    const auto cell = [](const std::string& s) { return text::csv_cell(s); };
    std::string out;
    const auto add = [&](const std::string& v) {
        if (!out.empty()) out += ',';
        out += v;
    };
    out = cell(r.s.policy_domain);
    add(cell(r.s.source_ip));
    add(std::to_string(r.source_ips));
    add(cell(r.ip ? r.ip->ptr : ""));
    add(r.ip && r.ip->status != "error" ? (r.ip->fcrdns ? "true" : "false") : "");
    add(cell(r.ip ? r.ip->base_domain : ""));
    add(r.ip && r.ip->asn ? std::to_string(*r.ip->asn) : "");
    add(cell(r.ip ? r.ip->as_name : ""));
    add(cell(r.ip ? r.ip->country : ""));
    add(cell(r.service ? r.service->name : ""));
    add(cell(r.service ? r.service->type : ""));
    add(std::string(analyze::to_string(r.c.cls)));
    add(cell(r.c.reason));
    add(cell(r.c.fix));
    add(r.c.failing_mechanism);
    add(std::to_string(r.s.m.messages));
    add(std::to_string(r.s.m.dmarc_pass));
    add(std::to_string(r.s.m.spf_aligned));
    add(std::to_string(r.s.m.dkim_aligned));
    add(cell(reporters));
    add(r.s.first_day.text());
    add(r.s.last_day.text());
    return out;
}

// Runs the inventory and prints it; `senders_style` keeps senders' table columns.
void run(const args& a, bool senders_style) {
    store::query_filter qf;
    if (!make_filter(a.domain, a.since, a.until, qf)) return;
    analyze::sources_query q;
    q.filter = to_fact_filter(qf);
    // A table is for reading: the largest rows, and a line saying how many more there are.
    constexpr std::size_t table_rows = 50;
    q.limit = a.limit != args::unset ? a.limit : a.format == "table" ? table_rows : 0;
    std::size_t matched = 0;
    q.matched = &matched;
    if (!a.cls.empty()) {
        q.only = analyze::parse_source_class(a.cls);
        if (!q.only) {
            error_line("--class " + a.cls + ": not a class (" + analyze::source_class_names + ")");
            exit_code() = exit_usage;
            return;
        }
    }
    q.group = a.group == "service"       ? analyze::group_by::service
              : a.group == "base-domain" ? analyze::group_by::base_domain
              : a.group == "country"     ? analyze::group_by::country
                                         : analyze::group_by::ip;
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
    const bool grouped = q.group != analyze::group_by::ip;
    std::size_t n = 0;
    std::vector<std::vector<std::string>> table;
    bool enriched = false;
    // Issue 6 + 11: each source's failure reports, and the sources seen only in failure reports
    // (messages 0: the aggregate totals stay exact), joined in analyze/failures.hpp.
    std::optional<analyze::failure_join> failures;
    if (a.format == "json" && !senders_style && !grouped) {
        auto counts = db->failure_counts_by_source(q.filter);
        if (!counts) {
            error_line(counts.err().message);
            exit_code() = exit_usage;
            return;
        }
        failures.emplace(*counts);
    }
    if (a.format == "json") std::fputs("[", stdout);
    if (a.format == "csv") std::printf("%s\n", senders_style ? senders_csv_header : csv_header);
    auto r = analyze::list_sources(*db, q, services->get(), *labels, [&](const analyze::source_row& row) -> result<void> {
        enriched = enriched || row.ip.has_value();
        if (a.format == "json") {
            nlohmann::json j = senders_style ? senders_json(row) : views::source_json(row, grouped);
            if (failures) j["failure_reports"] = failures->take(row.s.policy_domain, row.s.source_ip);
            std::printf("%s\n  %s", n ? "," : "", json_text(j).c_str());
        } else if (a.format == "csv") {
            std::printf("%s\n", (senders_style ? senders_csv(row) : row_csv(row)).c_str());
        } else {
            const auto& m = row.s.m;
            std::string name = row.ip && !row.ip->ptr.empty() ? row.ip->ptr : "";
            if (row.ip && !row.ip->ptr.empty() && !row.ip->fcrdns) name += " (unconfirmed)";
            if (q.group == analyze::group_by::country) name = row.ip && !row.ip->country.empty() ? "country " + row.ip->country : "country unknown";
            const std::string source = grouped && row.source_ips > 1 ? std::to_string(row.source_ips) + " IPs" : row.s.source_ip;
            if (senders_style) {
                table.push_back({row.s.policy_domain, source, name, row.service ? row.service->name : "",
                                 std::string(analyze::to_string(row.c.cls)), std::to_string(m.messages),
                                 percent(m.dmarc_pass, m.messages), percent(m.spf_aligned, m.messages),
                                 percent(m.dkim_aligned, m.messages),
                                 std::to_string(m.disposition_none) + "/" + std::to_string(m.disposition_quarantine) + "/" +
                                     std::to_string(m.disposition_reject),
                                 join(row.s.reporters), row.s.first_day.text(), row.s.last_day.text()});
            } else {
                table.push_back({row.s.policy_domain, source, name, row.service ? row.service->name : "",
                                 std::string(analyze::to_string(row.c.cls)), std::to_string(m.messages),
                                 percent(m.dmarc_pass, m.messages), row.s.last_day.text(), row.c.reason});
            }
        }
        ++n;
        std::fflush(stdout);
        return {};
    });
    // Sources only failure reports name, after the aggregate ones (all rows, no class filter:
    // with a limit or a class they are left out, as they have no volume or class of their own).
    if (r && failures && q.limit == 0 && !q.only) {
        for (const auto& c : failures->untaken()) {
            nlohmann::json j = views::failure_only_source_json(c);
            std::printf("%s\n  %s", n ? "," : "", json_text(j).c_str());
            ++n;
        }
    }
    if (a.format == "json") std::printf("%s]\n", n ? "\n" : "");
    if (!r) {
        error_line(r.err().message);
        exit_code() = exit_usage;
        return;
    }
    if (a.format != "table") return;
    if (table.empty()) {
        std::printf("no sources%s\n", qf.domain.empty() ? "" : " for that domain");
        return;
    }
    std::vector<column> cols;
    if (senders_style) {
        cols = {{.header = "DOMAIN", .keep = true},
                       {.header = "SOURCE IP", .keep = true},
                       {.header = "PTR"},
                       {.header = "SERVICE"},
                       {.header = "CLASS", .keep = true},
                       {.header = "MESSAGES", .right = true, .keep = true},
                       {.header = "DMARC PASS", .right = true, .keep = true},
                       {.header = "SPF ALIGNED", .right = true, .keep = true},
                       {.header = "DKIM ALIGNED", .right = true, .keep = true},
                       {.header = "NONE/QUAR/REJ", .right = true, .keep = true},
                       {.header = "REPORTED BY"},
                       {.header = "FIRST", .keep = true},
                       {.header = "LAST", .keep = true}};
    } else {
        cols = {{.header = "DOMAIN", .keep = true},
                       {.header = grouped ? "SOURCE(S)" : "SOURCE IP", .keep = true},
                       {.header = "PTR"},
                       {.header = "SERVICE"},
                       {.header = "CLASS", .keep = true},
                       {.header = "MESSAGES", .right = true, .keep = true},
                       {.header = "DMARC PASS", .right = true, .keep = true},
                       {.header = "LAST", .keep = true},
                       {.header = "WHY"}};
    }
    drop_empty_columns(cols, table);
    print_columns(cols, table);
    if (q.limit > 0 && matched > table.size())
        std::printf("... %zu more %s (--limit 0 shows them all; --format json or csv exports every row)\n", matched - table.size(),
                    grouped ? "groups" : "sources");
    if (!enriched)
        std::printf("(no reverse DNS or network data yet: run `dmarcsight enrich` for names and surer classes)\n");
}

void add_common(CLI::App* cmd, args& a) {
    cmd->add_option("--db", a.db, db_help)->capture_default_str();
    cmd->add_option("--domain", a.domain,
                    "Policy domain; '*.example.com' adds its subdomains. A domain with no stored reports prints the stored "
                    "domains on stderr and exits 1 (output stays valid, just empty)");
    cmd->add_option("--since", a.since,
                    "From this UTC day (a time rounds down to its day): YYYY-MM-DD, RFC 3339, or an age: 12h, 30d, 2w");
    cmd->add_option("--until", a.until, "Before this UTC day (a time within a day includes that day; same forms as --since)");
    cmd->add_option("--format", a.format, "Output format (json and csv stream every row)")
        ->check(CLI::IsMember({"table", "json", "csv"}))
        ->capture_default_str();
    cmd->add_option("--class", a.cls, std::string("Only sources of this class: ") + analyze::source_class_names);
    cmd->add_option("--services", a.services_files,
                    "Your own service catalogue file (same format as the built-in one; its entries win); repeatable. "
                    "Default: `services` of the config file");
}

}  // namespace

void register_sources(CLI::App& app) {
    auto a = std::make_shared<args>();
    a->db = default_db_path();
    auto* cmd = app.add_subcommand("sources", "Every source sending as your domains: named, classified, with the reason and the fix");
    add_common(cmd, *a);
    cmd->add_option("--group", a->group, "One row per IP, per service, per base domain of the PTR name, or per country (enrich first)")
        ->check(CLI::IsMember({"ip", "service", "base-domain", "country"}))
        ->capture_default_str();
    cmd->add_option("--limit", a->limit,
                    "At most this many rows, the largest by messages over all domains (0 = all; default: 50 for a table, "
                    "all for json and csv)");
    cmd->callback([a] { run(*a, false); });
}

void register_senders(CLI::App& app) {
    auto a = std::make_shared<args>();
    a->db = default_db_path();
    auto* cmd = app.add_subcommand("senders", "Every source IP sending as your domains, by volume, with DMARC/SPF/DKIM results");
    add_common(cmd, *a);
    cmd->add_option("--limit", a->limit, "At most this many rows, the largest by messages (0 = all; default: 50 for a table, all for json and csv)");
    cmd->callback([a] { run(*a, true); });
}

}  // namespace dmarcsight::cli
