// `dmarcsight config show [--format text|json]`: the effective settings, each with where it came
// from (default, file:line:column, environment variable, flag); secrets are described, never shown.
// `dmarcsight config check [FILE]`: validate FILE (alone, without the environment), or the
// effective configuration (file and environment) when no FILE is named.
// Exit: 0 valid; 2 invalid (the errors name file:line:column or the variable).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "config/config.hpp"
#include "core/text.hpp"

namespace dmarcsight::cli {

namespace {

nlohmann::json origin_json(const config::origin& o) {
    nlohmann::json j = {{"kind", std::string(o.kind_name())}};
    j["where"] = o.where.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.where);
    return j;
}

template <class T>
nlohmann::json entry(const config::setting<T>& s) {
    return {{"value", s.value}, {"from", origin_json(s.from)}};
}

template <class T>
nlohmann::json entry(const config::setting<std::optional<T>>& s) {
    return {{"value", s.value ? nlohmann::json(*s.value) : nlohmann::json(nullptr)}, {"from", origin_json(s.from)}};
}

nlohmann::json secret_json(const config::secret& s) {
    nlohmann::json j = {{"set", s.present()}, {"description", s.describe()}, {"from", origin_json(s.from())}};
    if (s.present()) {
        static constexpr const char* kinds[] = {"none", "literal", "file", "environment"};
        j["source"] = kinds[static_cast<int>(s.kind())];
        j["where"] = s.where().empty() ? nlohmann::json(nullptr) : nlohmann::json(s.where());
    }
    return j;
}

nlohmann::json optional_secret_json(const std::optional<config::secret>& s) {
    return s ? secret_json(*s) : secret_json(config::secret{});
}

// [channels.NAME]: every key, secrets described only.
nlohmann::json channels_json(const std::vector<config::channel_settings>& channels) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& c : channels) {
        nlohmann::json j = {{"type", c.type}, {"url", c.url}, {"ca_file", c.ca_file.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.ca_file)},
                            {"timeout", c.timeout_s}, {"from", origin_json(c.where)}};
        if (c.type == "webhook") {
            j["style"] = c.style;
            j["secret"] = optional_secret_json(c.secret);
        } else {
            j["starttls"] = c.starttls;
            j["username"] = c.username.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.username);
            j["password"] = optional_secret_json(c.password);
            j["mail_from"] = c.from;
            j["to"] = c.to;
        }
        out[c.name] = std::move(j);
    }
    return out;
}

nlohmann::json alerts_json(const config::alert_settings& a) {
    return {{"settle_hours", entry(a.settle_hours)},
            {"window_days", entry(a.window_days)},
            {"min_history_days", entry(a.min_history_days)},
            {"new_source_min_messages", entry(a.new_source_min_messages)},
            {"failure_spike_min_messages", entry(a.failure_spike_min_messages)},
            {"failure_spike_min_days", entry(a.failure_spike_min_days)},
            {"failure_spike_rise", entry(a.failure_spike_rise)},
            {"pass_rate_drop_min_messages", entry(a.pass_rate_drop_min_messages)},
            {"pass_rate_drop", entry(a.pass_rate_drop)},
            {"unauthorized_spike_factor", entry(a.unauthorized_spike_factor)},
            {"unauthorized_spike_min_excess", entry(a.unauthorized_spike_min_excess)},
            {"no_reports_hours", entry(a.no_reports_hours)},
            {"channels", entry(a.channels)}};
}

nlohmann::json settings_json(const config::settings& s) {
    nlohmann::json labels = nlohmann::json::array();
    for (const auto& l : s.labels) {
        labels.push_back({{"domain", l.domain},
                          {"source", l.source ? nlohmann::json(l.source->to_string()) : nlohmann::json(nullptr)},
                          {"service", l.service.empty() ? nlohmann::json(nullptr) : nlohmann::json(l.service)},
                          {"class", std::string(config::to_string(l.cls))},
                          {"note", l.note},
                          {"from", origin_json(l.from)}});
    }
    return {
        {"config_file", entry(s.file)},
        // A PostgreSQL URI may hold a password: shown as *** (PGPASSWORD or ~/.pgpass keep it out).
        {"database", {{"value", shown_db(s.database.value)}, {"from", origin_json(s.database.from)}}},
        {"quarantine", entry(s.quarantine)},
        {"services", entry(s.services)},
        {"dns",
         {{"zone", entry(s.dns.zone)}, {"with", entry(s.dns.with)}, {"servers", entry(s.dns.servers)}, {"timeout", entry(s.dns.timeout_s)}}},
        {"enrich",
         {{"on_ingest", entry(s.enrich.on_ingest)},
          {"offline", entry(s.enrich.offline)},
          {"location_db", entry(s.enrich.location_db)},
          {"mmdb", entry(s.enrich.mmdb)},
          {"ttl_days", entry(s.enrich.ttl_days)}}},
        {"labels", std::move(labels)},
        {"postgres", {{"password", secret_json(s.postgres.password)}}},
        {"channels", channels_json(s.channels)},
        {"alerts", alerts_json(s.alerts)},
        {"digest", {{"channels", entry(s.digest.channels)}}},
        {"retention", {{"older_than", entry(s.retention.older_than)}}},
        {"warnings", s.warnings},
    };
}

void print_warnings(const std::vector<std::string>& warnings) {
    for (const auto& w : warnings) error_line("warning: " + w);
}

int run_show(const std::string& format) {
    if (settings_error()) {
        error_line(*settings_error());
        return exit_usage;
    }
    const config::settings& s = settings();
    if (format == "json") {
        std::printf("%s\n", json_text(settings_json(s), 2).c_str());
    } else {
        std::vector<std::vector<std::string>> rows;
        for (const auto& line : config::describe(s))
            rows.push_back({line.key, line.key == "database" ? shown_db(line.value) : line.value, line.from.describe()});
        print_columns({{"SETTING", false, true}, {"VALUE", false, true}, {"FROM", false, true}}, rows);
    }
    print_warnings(s.warnings);
    return exit_ok;
}

int run_check(const std::string& file) {
    if (!file.empty()) {
        config::settings s;
        if (auto r = config::apply_file(s, file); !r) {
            error_line(r.err().message);
            return exit_usage;
        }
        print_warnings(s.warnings);
        std::printf("%s: ok\n", text::for_terminal(file).c_str());
        return exit_ok;
    }
    if (settings_error()) {
        error_line(*settings_error());
        return exit_usage;
    }
    const config::settings& s = settings();
    print_warnings(s.warnings);
    if (s.file.value) {
        std::printf("%s: ok\n", text::for_terminal(*s.file.value).c_str());
    } else {
        std::printf("no configuration file (no --config, no DMARCSIGHT_CONFIG, no %s); the environment is valid\n",
                    config::default_config_path);
    }
    return exit_ok;
}

}  // namespace

void register_config(CLI::App& app) {
    auto* cmd = app.add_subcommand("config", "Show or check the configuration (file, DMARCSIGHT_* variables, defaults)");
    cmd->require_subcommand(1);
    cmd->footer("Precedence: a flag beats a DMARCSIGHT_* variable, which beats the file, which beats the default.\n"
                "See dmarcsight.toml.example for every key.");

    auto format = std::make_shared<std::string>("text");
    auto* show = cmd->add_subcommand("show", "Print every setting and where it came from (secrets are never printed)");
    show->add_option("--format", *format, "Output format")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
    show->callback([format] { exit_code() = run_show(*format); });

    auto file = std::make_shared<std::string>();
    auto* check = cmd->add_subcommand("check", "Validate a configuration file (default: the effective configuration)");
    check->add_option("file", *file, "The file to check, on its own (without the environment)");
    check->footer("Exit status: 0 valid; 2 invalid (each error names file:line:column, or the variable).");
    check->callback([file] { exit_code() = run_check(*file); });
}

}  // namespace dmarcsight::cli
