// dmarcsight notify --list | --test CHANNEL: the delivery channels of the configuration
// ([channels.NAME]): list them (never a secret), or send one test message through one of them and
// say what happened. Alerts and digests (`alerts --send`, `digest --send`) deliver the same way.
// Exit: 0 delivered / listed; 1 the delivery failed (the reason is printed); 2 no such channel,
// or a bad configuration.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "notify/notify.hpp"

namespace dmarcsight::cli {

namespace {

std::string secret_text(const std::optional<config::secret>& s) { return s ? s->describe() : "(none)"; }

nlohmann::json channel_json(const config::channel_settings& c) {
    nlohmann::json j = {{"name", c.name}, {"type", c.type}, {"url", c.url}, {"timeout", c.timeout_s}, {"from_config", c.where.where}};
    if (c.type == "webhook") {
        j["style"] = c.style;
        j["signed"] = c.secret.has_value();
        j["secret"] = secret_text(c.secret);
    } else {
        j["starttls"] = c.url.starts_with("smtps://") ? "implicit" : c.starttls;
        j["username"] = c.username.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.username);
        j["password"] = secret_text(c.password);
        j["from"] = c.from;
        j["to"] = c.to;
    }
    return j;
}

int run_list(const std::string& format) {
    const auto& channels = settings().channels;
    if (format == "json") {
        nlohmann::json a = nlohmann::json::array();
        for (const auto& c : channels) a.push_back(channel_json(c));
        std::printf("%s\n", json_text(a, 2).c_str());
        return exit_ok;
    }
    if (channels.empty()) {
        std::printf("no channels configured (add [channels.NAME] tables to the configuration; see dmarcsight.toml.example)\n");
        return exit_ok;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : channels) {
        std::string details;
        if (c.type == "webhook") {
            details = "style=" + c.style + (c.secret ? " signed " + c.secret->describe() : " unsigned");
        } else {
            details = "starttls=" + std::string(c.url.starts_with("smtps://") ? "implicit" : c.starttls);
            details += c.username.empty() ? " no AUTH" : " user=" + c.username + " password " + secret_text(c.password);
            details += " from=" + c.from + " to=";
            for (std::size_t i = 0; i < c.to.size(); ++i) details += (i ? "," : "") + c.to[i];
        }
        rows.push_back({c.name, c.type, c.url, details});
    }
    print_columns({{"CHANNEL", false, true}, {"TYPE", false, true}, {"URL", false, false}, {"DETAILS", false, false}}, rows);
    return exit_ok;
}

int run_test(const std::string& name) {
    const auto& channels = settings().channels;
    const config::channel_settings* ch = nullptr;
    std::vector<std::string> names;
    for (const auto& c : channels) {
        names.push_back(c.name);
        if (c.name == name) ch = &c;
    }
    if (!ch) {
        std::string msg = "no channel '" + text::for_terminal(name, 64) + "' in the configuration";
        if (auto near = text::closest_match(name, names)) msg += "; did you mean '" + *near + "'?";
        else if (names.empty()) msg += " (it has no [channels.NAME] table)";
        else {
            msg += "; channels:";
            for (std::size_t i = 0; i < names.size(); ++i) msg += (i ? ", " : " ") + names[i];
        }
        error_line(msg);
        return exit_usage;
    }
    const auto m = notify::test_message(*ch, utc::now());
    auto r = notify::deliver(*ch, m);
    if (!r) {
        error_line("delivery failed: " + r.err().message);
        return exit_findings;
    }
    std::printf("channel %s (%s): test message delivered: %s\n", ch->name.c_str(), ch->type.c_str(), r->summary.c_str());
    return exit_ok;
}

}  // namespace

void register_notify(CLI::App& app) {
    struct args {
        std::string test;
        bool list = false;
        std::string format = "text";
    };
    auto a = std::make_shared<args>();
    auto* cmd = app.add_subcommand("notify", "List the delivery channels of the configuration, or send a test message through one");
    auto* test = cmd->add_option("--test", a->test, "Send a test message through the channel NAME ([channels.NAME] in the configuration)");
    test->type_name("NAME");
    auto* list = cmd->add_flag("--list", a->list, "List the configured channels (secrets are never shown)");
    test->excludes(list);
    cmd->add_option("--format", a->format, "Output format of --list")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
    cmd->footer("Channels are [channels.NAME] tables of the configuration file (type = \"webhook\" or \"smtp\");\n"
                "see dmarcsight.toml.example.\n"
                "Exit status: 0 delivered (or listed); 1 the delivery failed (the reason is printed);\n"
                "2 no such channel or a bad configuration.");
    cmd->callback([a, test, list] {
        if (settings_error()) {
            error_line(*settings_error());
            exit_code() = exit_usage;
            return;
        }
        if (test->count() == 0 && list->count() == 0) {
            error_line("notify needs --list or --test NAME (see dmarcsight notify --help)");
            exit_code() = exit_usage;
            return;
        }
        exit_code() = a->list ? run_list(a->format) : run_test(a->test);
    });
}

}  // namespace dmarcsight::cli
