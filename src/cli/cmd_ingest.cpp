// dmarcsight ingest: read reports from files, folders, mbox, Maildir or standard input into the store.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <optional>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/enrich_run.hpp"
#include "cli/mailbox_run.hpp"
#include "core/text.hpp"
#include "ingest/ingester.hpp"

namespace dmarcsight::cli {

namespace {

// Exit status after SIGINT / SIGTERM: 128 + the signal number, as shells report it.
constexpr int exit_signal_base = 128;

struct ingest_args {
    std::string db = default_db_path();
    std::vector<std::string> inputs;
    std::string format = "text";
    std::string quarantine = settings().quarantine.value.value_or("");  // empty: <db>.quarantine
    bool quiet = false;
    bool keep_raw = false;
    bool redact = false;
    // --enrich: `dmarcsight enrich` after the ingest (live DNS unless --enrich-zone).
    bool enrich = false;
    std::string enrich_zone;
    std::vector<std::string> enrich_servers;
    // A mailbox instead of (or besides) paths: messages are filed after commit (mailbox_run.hpp).
    mailbox_request mailbox;
    bool watch = false;
};

std::string summary_line(const ingest::totals& t) {
    std::string s = std::to_string(t.stored) + " stored, " + std::to_string(t.duplicate) + " duplicate, " +
                    std::to_string(t.skipped) + " skipped, " + std::to_string(t.rejected) + " rejected";
    if (t.unchanged) s += " (" + std::to_string(t.unchanged) + " unchanged since an earlier run)";
    s += " (" + std::to_string(t.inputs) + " inputs); " + std::to_string(t.records) + " records, " +
         std::to_string(t.messages) + " messages stored";
    return s;
}

int run_ingest(const ingest_args& a) {
    // Every named path must exist before anything is written: a typo is a usage error, not a
    // half-done batch. (A path that exists but cannot be read is a rejected input instead.)
    for (const auto& in : a.inputs) {
        if (in != "-" && ::access(in.c_str(), F_OK) != 0) {
            error_line("cannot read '" + in + "': no such file or folder");
            return exit_usage;
        }
    }
    if (a.inputs.empty() && !a.mailbox.any()) {
        error_line("ingest needs inputs (files, folders, -) or a mailbox (--maildir, --imap, --mailbox)");
        return exit_usage;
    }
    if (a.watch && (!a.mailbox.any() || !a.inputs.empty())) {
        error_line("--watch applies to a mailbox alone (--maildir, --imap or --mailbox, no paths)");
        return exit_usage;
    }
    std::unique_ptr<mailbox_job> box;
    if (a.mailbox.any()) {
        auto j = resolve_mailbox(a.mailbox);
        if (!j) {
            error_line(j.err().message);
            return exit_usage;
        }
        box = std::move(*j);
    }
    auto db = open_store(a.db, store::open_mode::read_write);
    if (!db) return exit_usage;

    const bool json = a.format == "json";
    const bool progress = !a.quiet && !json && ::isatty(2);
    std::vector<ingest::unit_result> rejected;
    auto last = std::chrono::steady_clock::now();
    bool progress_shown = false;

    ingest::options opt;
    opt.db_path = a.db;
    opt.quarantine_dir = a.quarantine.empty() ? quarantine_dir_for(a.db) : a.quarantine;
    opt.keep_raw = a.keep_raw;
    opt.failure.redact = a.redact || settings().ingest.redact_failure_samples.value;
    opt.failure.redact_key = settings().ingest.redact_key.value.empty() ? "dmarcsight failure sample redaction"
                                                                       : settings().ingest.redact_key.value;
    opt.on_committed_rejection = [&](const ingest::unit_result& u) {
        // A long --watch run keeps the newest rejections only (the summary counts them all).
        if (rejected.size() >= 10000) rejected.erase(rejected.begin());
        rejected.push_back(u);
    };
    if (box) opt.on_input_committed = [&](const ingest::committed_input& c) { box->on_committed(c); };
    opt.on_unit = [&](const ingest::unit_result&, const ingest::totals& t) {
        if (!progress) return;
        const auto now = std::chrono::steady_clock::now();
        if (now - last < std::chrono::milliseconds(200)) return;
        last = now;
        progress_shown = true;
        // Work read so far, committed or about to be: the final line says what was stored.
        std::fprintf(stderr, "\r%llu inputs read: %llu reports, %llu duplicate, %llu skipped, %llu rejected; %llu records   ",
                     static_cast<unsigned long long>(t.inputs), static_cast<unsigned long long>(t.stored),
                     static_cast<unsigned long long>(t.duplicate), static_cast<unsigned long long>(t.skipped),
                     static_cast<unsigned long long>(t.rejected), static_cast<unsigned long long>(t.records));
        std::fflush(stderr);
    };
    install_stop_handlers();
    ingest::ingester ing(*db, opt);
    result<void> env_error;
    for (const auto& in : a.inputs) {
        if (ing.interrupted()) break;
        auto r = in == "-" ? ing.ingest_stdin() : ing.ingest_path(in);
        if (!r) {
            env_error = r;
            break;
        }
    }
    ingest::mailbox_counts box_counts;
    if (box && env_error && !ing.interrupted()) env_error = run_mailbox(*box, ing, *db, a.watch, a.quiet, box_counts);
    // Commit what was complete even when an environment error or a signal stopped the run.
    auto f = ing.finish();
    if (progress_shown) std::fprintf(stderr, "\r\033[K");
    for (const auto& note : ing.ignored_paths()) error_line(note);
    const ingest::totals& t = ing.counts();
    const int sig = ingest::stop_signal();
    std::size_t new_rejections = 0;
    for (const auto& u : rejected) new_rejections += u.unchanged ? 0 : 1;

    // Enrichment of the new sources, once what was read is committed.
    int enrich_rc = exit_ok;
    std::optional<enrich_report> enriched;
    if (a.enrich && env_error && f && sig == 0) {
        enrich_request req;
        req.zone_file = a.enrich_zone;
        req.servers = a.enrich_servers;
        apply_config_defaults(req, !a.enrich_zone.empty() || !a.enrich_servers.empty());
        req.progress = progress;
        enriched.emplace();
        enrich_rc = run_enrichment(*db, req, *enriched);
        if (enrich_rc == exit_usage) enriched.reset();
    }

    if (json) {
        nlohmann::json out = {{"inputs", t.inputs},       {"stored", t.stored},     {"duplicate", t.duplicate},
                              {"skipped", t.skipped},     {"rejected", t.rejected}, {"unchanged", t.unchanged},
                              {"records", t.records},     {"messages", t.messages}, {"bytes", t.bytes},
                              {"interrupted", sig != 0}};
        nlohmann::json rej = nlohmann::json::array();
        for (const auto& u : rejected)
            rej.push_back({{"input", u.label},
                           {"kind", std::string(ingest::to_string(u.kind))},
                           {"reason", u.reason},
                           {"unchanged", u.unchanged},
                           {"quarantined", u.quarantined.empty() ? nlohmann::json(nullptr)
                                                                 : nlohmann::json(opt.quarantine_dir + "/" + u.quarantined)}});
        out["rejected_inputs"] = std::move(rej);
        if (enriched) out["enrichment"] = enrich_report_json(*enriched);
        if (box)
            out["mailbox"] = {{"name", box->shown},         {"messages", box_counts.seen},       {"filed", box_counts.filed},
                              {"left", box_counts.left},    {"gone", box_counts.gone},           {"not_filed", box_counts.not_filed},
                              {"claimed_elsewhere", box_counts.claimed_elsewhere}};
        if (!env_error) out["error"] = env_error.err().message;
        else if (!f) out["error"] = f.err().message;
        std::printf("%s\n", json_text(out, 2).c_str());
    } else {
        for (const auto& u : rejected) {
            if (u.unchanged && a.quiet) continue;
            std::fprintf(stderr, "rejected%s: %s: %s\n", u.unchanged ? " (unchanged)" : "",
                         text::for_terminal(u.label, 300).c_str(), text::for_terminal(u.reason, 500).c_str());
        }
        if (box && box_counts.claimed_elsewhere)
            error_line(box->shown + ": another worker is reading this mailbox; nothing was read");
        if (box && (!a.quiet || box_counts.not_filed))
            std::printf("%s: %llu message(s) read, %llu filed, %llu left in place, %llu not filed (read again next run)\n",
                        text::for_terminal(box->shown).c_str(), static_cast<unsigned long long>(box_counts.seen),
                        static_cast<unsigned long long>(box_counts.filed), static_cast<unsigned long long>(box_counts.left),
                        static_cast<unsigned long long>(box_counts.not_filed));
        if (sig != 0) {
            std::printf("interrupted: %s\n", summary_line(t).c_str());
        } else if (!a.quiet || new_rejections > 0 || !env_error || !f) {
            std::printf("%s\n", summary_line(t).c_str());
        }
        bool any_kept = false;
        for (const auto& u : rejected) any_kept = any_kept || !u.quarantined.empty();
        if (new_rejections > 0 && !a.quiet)
            std::printf("%s; see `dmarcsight rejected --db %s`\n",
                        any_kept ? ("rejected inputs are kept in " + text::for_terminal(opt.quarantine_dir)).c_str()
                                 : "rejected inputs could not be kept (unreadable)",
                        text::for_terminal(shown_db(a.db)).c_str());
        if (enriched && (!a.quiet || enrich_rc != exit_ok)) print_enrich_report(*enriched);
    }
    if (!env_error) {
        error_line(env_error.err().message);
        return exit_usage;
    }
    if (!f) {
        error_line(f.err().message);
        return exit_usage;
    }
    if (sig != 0) return exit_signal_base + sig;
    if (enrich_rc == exit_usage) return exit_usage;
    return new_rejections || enrich_rc != exit_ok ? exit_findings : exit_ok;
}

}  // namespace

void register_ingest(CLI::App& app) {
    auto a = std::make_shared<ingest_args>();
    a->enrich = settings().enrich.on_ingest.value;  // [enrich] on_ingest of the config file
    auto* cmd = app.add_subcommand("ingest", "Read DMARC reports from files, folders, mbox files, Maildir folders or - (stdin)");
    cmd->add_option("--db", a->db, db_help_create)->capture_default_str();
    cmd->add_option("inputs", a->inputs, "Files, folders (recursive), mbox files, Maildir folders, or - for stdin");
    cmd->add_option("--maildir", a->mailbox.maildir,
                    "A Maildir read as a mailbox: new/ and unseen cur/ messages, each filed after commit (moved to .Aggregate, "
                    ".Failure, .TLS, .Invalid)");
    cmd->add_option("--imap", a->mailbox.imap,
                    "A [mailboxes.NAME] IMAP mailbox, or imap[s]://user@host/FOLDER with the secret in DMARCSIGHT_IMAP_PASSWORD "
                    "or DMARCSIGHT_IMAP_TOKEN (OAuth2)");
    cmd->add_option("--mailbox", a->mailbox.mailbox, "A [mailboxes.NAME] of the configuration (IMAP or Maildir)");
    cmd->add_option("--ca-file", a->mailbox.ca_file, "PEM CA bundle to verify a bare --imap URL's server with");
    cmd->add_flag("--watch", a->watch,
                  "Keep reading the mailbox: IMAP IDLE where offered, else poll every poll_seconds; stop with SIGTERM/SIGINT");
    cmd->add_option("--format", a->format, "Summary format")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
    cmd->add_option("--quarantine", a->quarantine, "Where rejected inputs' bytes are kept (default: <db>.quarantine)");
    cmd->add_flag("-q,--quiet", a->quiet, "No progress and no summary unless something new was rejected");
    cmd->add_flag("--redact", a->redact, "Store failure reports' samples with address local parts hashed (keyed, stable) and bodies "
                  "dropped. Default: [ingest] redact_failure_samples of the config file");
    cmd->add_flag("--keep-raw", a->keep_raw, "Keep every report's raw bytes in the quarantine folder, not only rejected ones");
    cmd->add_flag("--enrich,!--no-enrich", a->enrich, "Then enrich the new source IPs (as `dmarcsight enrich`; DNS as [dns] of the config says, else live "
                  "DNS, unless --enrich-zone). Default: [enrich] on_ingest of the config file");
    cmd->add_option("--enrich-zone", a->enrich_zone, "Zone file --enrich answers from instead of live DNS");
    // One value per flag: without a required positional, a vector option would take the inputs too.
    cmd->add_option("--enrich-server", a->enrich_servers, "DNS server --enrich asks instead of /etc/resolv.conf (repeatable)")->allow_extra_args(false);
    cmd->footer(
        "Exit status: 0 all inputs handled (inputs rejected before with the same bytes do not count again);\n"
        "1 some inputs were rejected (the rest are stored); 2 usage or environment error (a path that does not exist,\n"
        "the database or quarantine cannot be written: what was complete is committed); 130 / 143 stopped by\n"
        "SIGINT / SIGTERM (the current input is finished or undone, the rest committed).");
    cmd->callback([a] { exit_code() = run_ingest(*a); });
}

}  // namespace dmarcsight::cli
