// dmarcsight ingest: read reports from files, folders, mbox, Maildir or standard input into the store.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/text.hpp"
#include "ingest/ingester.hpp"

namespace dmarcsight::cli {

namespace {

struct ingest_args {
    std::string db = default_db_path();
    std::vector<std::string> inputs;
    std::string format = "text";
    std::string quarantine;
    bool quiet = false;
    bool keep_raw = false;
};

int run_ingest(const ingest_args& a) {
    // Every named path must exist before anything is written: a typo is a usage error, not a
    // half-done batch.
    for (const auto& in : a.inputs) {
        if (in != "-" && ::access(in.c_str(), F_OK) != 0) {
            error_line("cannot read '" + in + "': no such file or folder");
            return exit_usage;
        }
    }
    auto db = open_store(a.db, store::open_mode::read_write);
    if (!db) return exit_usage;

    const bool json = a.format == "json";
    const bool progress = !a.quiet && !json && ::isatty(2);
    std::vector<ingest::unit_result> rejected;
    auto last = std::chrono::steady_clock::now();
    bool progress_shown = false;

    ingest::options opt;
    opt.quarantine_dir = a.quarantine.empty() ? quarantine_dir_for(a.db) : a.quarantine;
    opt.keep_raw = a.keep_raw;
    opt.on_unit = [&](const ingest::unit_result& u, const ingest::totals& t) {
        if (u.result == store::outcome::rejected) rejected.push_back(u);
        if (!progress) return;
        const auto now = std::chrono::steady_clock::now();
        if (now - last < std::chrono::milliseconds(200)) return;
        last = now;
        progress_shown = true;
        std::fprintf(stderr, "\r%llu inputs: %llu stored, %llu duplicate, %llu skipped, %llu rejected; %llu records   ",
                     static_cast<unsigned long long>(t.inputs), static_cast<unsigned long long>(t.stored),
                     static_cast<unsigned long long>(t.duplicate), static_cast<unsigned long long>(t.skipped),
                     static_cast<unsigned long long>(t.rejected), static_cast<unsigned long long>(t.records));
        std::fflush(stderr);
    };
    ingest::ingester ing(*db, opt);
    result<void> env_error;
    for (const auto& in : a.inputs) {
        auto r = in == "-" ? ing.ingest_stdin() : ing.ingest_path(in);
        if (!r) {
            env_error = r;
            break;
        }
    }
    // Commit what was done even when an environment error stopped the run: nothing is lost.
    auto f = ing.finish();
    if (progress_shown) std::fprintf(stderr, "\r\033[K");
    if (!env_error) {
        error_line(env_error.err().message);
        return exit_usage;
    }
    if (!f) {
        error_line(f.err().message);
        return exit_usage;
    }
    const ingest::totals& t = ing.counts();
    if (json) {
        nlohmann::json out = {{"inputs", t.inputs},     {"stored", t.stored},   {"duplicate", t.duplicate},
                              {"skipped", t.skipped},   {"rejected", t.rejected}, {"records", t.records},
                              {"messages", t.messages}, {"bytes", t.bytes}};
        nlohmann::json rej = nlohmann::json::array();
        for (const auto& u : rejected)
            rej.push_back({{"input", u.label},
                           {"kind", u.kind},
                           {"reason", u.reason},
                           {"quarantined", u.quarantined.empty() ? nlohmann::json(nullptr)
                                                                 : nlohmann::json(opt.quarantine_dir + "/" + u.quarantined)}});
        out["rejected_inputs"] = std::move(rej);
        std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else {
        for (const auto& u : rejected)
            std::fprintf(stderr, "rejected: %s: %s\n", text::for_terminal(u.label, 300).c_str(),
                         text::for_terminal(u.reason, 500).c_str());
        if (!a.quiet || !rejected.empty())
            std::printf("%llu stored, %llu duplicate, %llu skipped, %llu rejected (%llu inputs); %llu records, %llu messages stored\n",
                        static_cast<unsigned long long>(t.stored), static_cast<unsigned long long>(t.duplicate),
                        static_cast<unsigned long long>(t.skipped), static_cast<unsigned long long>(t.rejected),
                        static_cast<unsigned long long>(t.inputs), static_cast<unsigned long long>(t.records),
                        static_cast<unsigned long long>(t.messages));
        if (!rejected.empty() && !a.quiet)
            std::printf("rejected inputs are kept in %s; see `dmarcsight rejected --db %s`\n",
                        text::for_terminal(opt.quarantine_dir).c_str(), text::for_terminal(a.db).c_str());
    }
    return t.rejected ? exit_findings : exit_ok;
}

}  // namespace

void register_ingest(CLI::App& app) {
    auto a = std::make_shared<ingest_args>();
    auto* cmd = app.add_subcommand("ingest", "Read DMARC reports from files, folders, mbox files, Maildir folders or - (stdin)");
    cmd->add_option("--db", a->db, "SQLite database (created if missing)")->capture_default_str();
    cmd->add_option("inputs", a->inputs, "Files, folders (recursive), mbox files, Maildir folders, or - for stdin")
        ->required();
    cmd->add_option("--format", a->format, "Summary format")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
    cmd->add_option("--quarantine", a->quarantine, "Where rejected inputs' bytes are kept (default: <db>.quarantine)");
    cmd->add_flag("-q,--quiet", a->quiet, "No progress and no summary unless something was rejected");
    cmd->add_flag("--keep-raw", a->keep_raw, "Keep every report's raw bytes in the quarantine folder, not only rejected ones");
    cmd->footer("Exit status: 0 all inputs handled, 1 some inputs were rejected (the rest are stored), 2 usage or environment error.");
    cmd->callback([a] { exit_code() = run_ingest(*a); });
}

}  // namespace dmarcsight::cli
