// dmarcsight: see every source that sends mail as your domains, and move safely to p=reject.
#include <cstdio>
#include <exception>
#include <iostream>

#include "cli/commands.hpp"

#ifndef DMARCSIGHT_VERSION
#define DMARCSIGHT_VERSION "0.0.0"
#endif

namespace dmarcsight::cli {
int& exit_code() {
    static int code = exit_ok;
    return code;
}
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
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return exit_usage;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "dmarcsight: %s\n", e.what());
        return exit_usage;
    }
    return exit_code();
}
