// dmarcsight label / labels: the user's own classification of a source (IP or CIDR) or of a
// service for one policy domain. Labels live in the database, win over the rules, and outlive
// re-ingest and rebuild.
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "analyze/classify.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/ip_address.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "core/utf8.hpp"

namespace dmarcsight::cli {

namespace {

// "192.0.2.1", "2001:db8::1", "192.0.2.0/24", "2001:db8::/32" → canonical text; empty if invalid.
std::string canonical_source(const std::string& s) {
    const auto slash = s.find('/');
    const auto ip = ip_address::parse(std::string_view(s).substr(0, slash));
    if (!ip) return "";
    if (slash == std::string::npos) return ip->to_string();
    const std::string len = s.substr(slash + 1);
    if (len.empty() || len.size() > 3 || len.find_first_not_of("0123456789") != std::string::npos) return "";
    const unsigned n = static_cast<unsigned>(std::stoul(len));
    if (n > (ip->is_v4() ? 32u : 128u)) return "";
    return ip->to_string() + "/" + std::to_string(n);
}

}  // namespace

void register_label(CLI::App& app) {
    struct args {
        std::string db = default_db_path();
        std::string domain, source, service, cls, note;
        bool remove = false;
    };
    auto a = std::make_shared<args>();
    auto* cmd = app.add_subcommand("label", "Classify a source or a service yourself (wins over the rules; kept across re-ingest and rebuild)");
    cmd->add_option("--db", a->db, db_help)->capture_default_str();
    cmd->add_option("--domain", a->domain, "Policy domain")->required();
    auto* src = cmd->add_option("--source", a->source, "Source IP or CIDR (192.0.2.0/24, 2001:db8::/32)");
    auto* svc = cmd->add_option("--service", a->service, "Service name as `sources` shows it (SendGrid, Salesforce, ...)");
    src->excludes(svc);
    cmd->add_option("--as", a->cls, std::string("Class: ") + analyze::source_class_names);
    cmd->add_option("--note", a->note, "Why (shown as the reason)");
    cmd->add_flag("--remove", a->remove, "Remove the label of this source or service");
    cmd->callback([a] {
        if (a->source.empty() == a->service.empty()) {
            error_line("give --source IP|CIDR or --service NAME");
            exit_code() = exit_usage;
            return;
        }
        store::label_row l;
        l.policy_domain = text::normalize_domain(a->domain);
        if (!a->source.empty()) {
            l.source = canonical_source(a->source);
            if (l.source.empty()) {
                error_line("--source " + a->source + ": not an IP address or CIDR");
                exit_code() = exit_usage;
                return;
            }
        }
        l.service = a->service;
        utf8_truncate(l.service, 200);
        if (!a->remove) {
            const auto c = analyze::parse_source_class(a->cls);
            if (!c) {
                error_line(a->cls.empty() ? std::string("give --as CLASS (") + analyze::source_class_names + ")"
                                          : "--as " + a->cls + ": not a class (" + analyze::source_class_names + ")");
                exit_code() = exit_usage;
                return;
            }
            l.cls = std::string(analyze::to_string(*c));
            l.note = a->note;
            utf8_truncate(l.note, 500);
        }
        if (!store_exists(a->db)) {
            error_line("database '" + a->db + "' does not exist");
            exit_code() = exit_usage;
            return;
        }
        auto db = open_store(a->db, store::open_mode::read_write);
        if (!db) return;
        const std::string what = l.source.empty() ? "service " + l.service : l.source;
        if (a->remove) {
            auto r = db->remove_label(l);
            if (!r) {
                error_line(r.err().message);
                exit_code() = exit_usage;
                return;
            }
            std::printf(*r ? "removed the label of %s for %s\n" : "no label for %s of %s\n", text::for_terminal(what, 300).c_str(),
                        l.policy_domain.c_str());
            if (!*r) exit_code() = exit_findings;
            return;
        }
        auto r = db->put_label(l);
        if (!r) {
            error_line(r.err().message);
            exit_code() = exit_usage;
            return;
        }
        std::printf("labelled %s for %s as %s\n", text::for_terminal(what, 300).c_str(), l.policy_domain.c_str(), l.cls.c_str());
    });

    struct list_args {
        std::string db = default_db_path();
        std::string domain, format = "table";
    };
    auto b = std::make_shared<list_args>();
    auto* list = app.add_subcommand("labels", "List your labels");
    list->add_option("--db", b->db, db_help)->capture_default_str();
    list->add_option("--domain", b->domain, "Only this policy domain");
    list->add_option("--format", b->format, "Output format")->check(CLI::IsMember({"table", "json"}))->capture_default_str();
    list->callback([b] {
        auto db = open_store(b->db, store::open_mode::read_only);
        if (!db) return;
        auto rows = db->labels(b->domain.empty() ? "" : text::normalize_domain(b->domain));
        if (!rows) {
            error_line(rows.err().message);
            exit_code() = exit_usage;
            return;
        }
        if (b->format == "json") {
            nlohmann::json out = nlohmann::json::array();
            for (const auto& l : *rows)
                out.push_back({{"policy_domain", l.policy_domain},
                               {"source", l.source.empty() ? nlohmann::json(nullptr) : nlohmann::json(l.source)},
                               {"service", l.service.empty() ? nlohmann::json(nullptr) : nlohmann::json(l.service)},
                               {"class", l.cls},
                               {"note", l.note.empty() ? nlohmann::json(nullptr) : nlohmann::json(l.note)},
                               {"created_at", utc::format_iso8601(l.created_at)}});
            std::printf("%s\n", json_text(out, 2).c_str());
            return;
        }
        if (rows->empty()) {
            std::printf("no labels\n");
            return;
        }
        std::vector<std::vector<std::string>> table;
        for (const auto& l : *rows)
            table.push_back({l.policy_domain, l.source.empty() ? "service " + l.service : l.source, l.cls, l.note,
                             utc::format_date(l.created_at)});
        print_columns({{.header = "DOMAIN", .keep = true},
                       {.header = "SOURCE / SERVICE", .keep = true},
                       {.header = "CLASS", .keep = true},
                       {.header = "NOTE"},
                       {.header = "SINCE", .keep = true}},
                      table);
    });
}

}  // namespace dmarcsight::cli
