// dmarcsight: see every source that sends mail as your domains, and move safely to p=reject.
#include <cstdio>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/text.hpp"

#ifndef DMARCSIGHT_VERSION
#define DMARCSIGHT_VERSION "0.0.0"
#endif

namespace dmarcsight::cli {
int& exit_code() {
    static int code = exit_ok;
    return code;
}

namespace {
// The first argument that is not an option names the subcommand (the root app has --help and
// --version, which take no value, and --config FILE). An unknown one gets a suggestion instead of CLI11's
// "arguments were not expected". Returns false when it printed a usage error.
bool subcommand_known(CLI::App& app, int argc, char** argv) {
    std::vector<std::string> names;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) names.push_back(sub->get_name());
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--") return true;
        if (arg == "--config") {
            ++i;  // its value
            continue;
        }
        if (arg.starts_with("-")) {
            if (arg == "-h" || arg == "--help" || arg == "--version") return true;
            continue;
        }
        for (const auto& n : names)
            if (n == arg) return true;
        std::string msg = "unknown command '" + arg + "'";
        if (auto near = text::closest_match(arg, names)) {
            msg += "; did you mean '" + *near + "'?";
        } else {
            msg += "; commands:";
            for (std::size_t k = 0; k < names.size(); ++k) msg += (k ? ", " : " ") + names[k];
        }
        error_line(msg + " (see dmarcsight --help)");
        return false;
    }
    return true;
}

// After CLI11 refused extra arguments: for each option-looking one, the subcommand's option it is
// nearest to. Returns false if nothing was suggested.
bool suggest_options(CLI::App& app) {
    bool any = false;
    for (auto* sub : app.get_subcommands()) {
        std::vector<std::string> known;
        for (const auto* opt : sub->get_options())
            for (const auto& l : opt->get_lnames()) known.push_back("--" + l);
        for (const auto& extra : sub->remaining()) {
            if (!extra.starts_with("--")) continue;
            const std::string name = extra.substr(0, extra.find('='));
            std::string msg = "unknown option '" + name + "' for '" + sub->get_name() + "'";
            if (auto near = text::closest_match(name, known)) msg += "; did you mean '" + *near + "'?";
            error_line(msg + " (see dmarcsight " + sub->get_name() + " --help)");
            any = true;
        }
    }
    return any;
}
// What main() needs from the command line before CLI11 sees it: the configuration must be loaded
// before the subcommands are registered (CLI11 takes each option's default at registration).
struct early_args {
    std::optional<std::string> config;  // the last --config FILE / --config=FILE
    bool config_without_value = false;
    std::string command;                // the subcommand's name, "" if none
    bool help_or_version = false;
    std::vector<std::string> args;      // argv for CLI11: --config after the subcommand taken out
};

// --config is a global option; written after the subcommand (`dmarcsight stats --config F`) it is
// taken out here, as the subcommands do not know it. Everything after "--" is left alone.
early_args scan_args(int argc, char** argv) {
    early_args e;
    e.args.emplace_back(argv[0]);
    bool rest_verbatim = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (rest_verbatim) {
            e.args.push_back(arg);
            continue;
        }
        if (arg == "--") {
            rest_verbatim = true;
            e.args.push_back(arg);
            continue;
        }
        const bool before_command = e.command.empty();
        if (arg == "--config" || arg.starts_with("--config=")) {
            const bool joined = arg != "--config";
            if (!joined && i + 1 >= argc) {
                e.config_without_value = true;
                if (before_command) e.args.push_back(arg);
                continue;
            }
            e.config = joined ? arg.substr(9) : std::string(argv[i + 1]);
            if (before_command) {
                e.args.push_back(arg);
                if (!joined) e.args.emplace_back(argv[i + 1]);
            }
            if (!joined) ++i;
            continue;
        }
        if (arg == "-h" || arg == "--help" || arg == "--version" || arg == "--help-all") e.help_or_version = true;
        if (before_command && !arg.starts_with("-")) e.command = arg;
        e.args.push_back(arg);
    }
    return e;
}

// Loads the settings into cli::settings(). False (message printed) when the command cannot run.
// A broken configuration does not stop `config` (its `check` reports it) or --help / --version.
bool load_settings(const early_args& e) {
    if (e.config_without_value) {
        error_line("--config needs a file name");
        return false;
    }
    dmarcsight::config::load_options o;
    o.config_flag = e.config;
    auto loaded = dmarcsight::config::load(o);
    if (!loaded) {
        if (e.command == "config" || e.help_or_version) {
            set_settings_error(loaded.err().message);
            return true;
        }
        error_line(loaded.err().message);
        return false;
    }
    // `config` prints the warnings itself, with the rest of what it says about the file.
    if (e.command != "config")
        for (const auto& w : loaded->warnings) error_line("warning: " + w);
    set_settings(std::move(loaded).value());
    return true;
}

}  // namespace

}  // namespace dmarcsight::cli

int main(int argc, char** argv) {
    using namespace dmarcsight::cli;
    early_args early = scan_args(argc, argv);
    if (!load_settings(early)) return exit_usage;
    std::vector<char*> args;
    for (auto& a : early.args) args.push_back(a.data());
    argc = static_cast<int>(args.size());
    args.push_back(nullptr);
    argv = args.data();

    CLI::App app{"dmarcsight " DMARCSIGHT_VERSION
                 ": DMARC aggregate reports in, every sender of your domains out.",
                 "dmarcsight"};
    app.set_version_flag("--version", "dmarcsight " DMARCSIGHT_VERSION);
    // Read by scan_args before parsing; declared so --help shows it and CLI11 accepts it.
    std::string config_file;
    app.add_option("--config", config_file,
                   std::string("Configuration file (TOML; default: $DMARCSIGHT_CONFIG, else ") +
                       dmarcsight::config::default_config_path + " if present)");
    app.require_subcommand(1);
    app.fallthrough(false);
    register_ingest(app);
    register_stats(app);
    register_sources(app);
    register_senders(app);
    register_domains(app);
    register_label(app);
    register_rebuild(app);
    register_copy(app);
    register_grant_reader(app);
    register_export(app);
    register_tls(app);
    register_rejected(app);
    register_check(app);
    register_spf(app);
    register_enrich(app);
    register_trends(app);
    register_prune(app);
    register_alerts(app);
    register_digest(app);
    register_policy(app);
    register_failures(app);
    register_reprocess(app);
    register_serve(app);
    register_users(app);
    register_config(app);
    register_notify(app);
    if (!subcommand_known(app, argc, argv)) return exit_usage;
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ExtrasError& e) {
        if (!suggest_options(app)) app.exit(e);
        return exit_usage;
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return exit_usage;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "dmarcsight: %s\n", e.what());
        return exit_usage;
    }
    return exit_code();
}
