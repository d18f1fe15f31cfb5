// dmarcsight: see every source that sends mail as your domains, and move safely to p=reject.
#include <cstdio>
#include <exception>
#include <iostream>
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
// The first argument that is not an option names the subcommand (the root app has only --help
// and --version, which take no value). An unknown one gets a suggestion instead of CLI11's
// "arguments were not expected". Returns false when it printed a usage error.
bool subcommand_known(CLI::App& app, int argc, char** argv) {
    std::vector<std::string> names;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) names.push_back(sub->get_name());
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--") return true;
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
}  // namespace

}  // namespace dmarcsight::cli

int main(int argc, char** argv) {
    using namespace dmarcsight::cli;
    CLI::App app{"dmarcsight " DMARCSIGHT_VERSION
                 ": DMARC aggregate reports in, every sender of your domains out.",
                 "dmarcsight"};
    app.set_version_flag("--version", "dmarcsight " DMARCSIGHT_VERSION);
    app.require_subcommand(1);
    app.fallthrough(false);
    register_ingest(app);
    register_stats(app);
    register_senders(app);
    register_export(app);
    register_rejected(app);
    register_check(app);
    register_spf(app);
    register_enrich(app);
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
