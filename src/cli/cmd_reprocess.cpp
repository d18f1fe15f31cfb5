// dmarcsight reprocess --skipped: the inputs an earlier version recognised as failure or TLS
// reports but could not store yet were kept (their bytes in the quarantine, a `skipped` row each);
// this reads those bytes again through today's ingest, under the label of the input they came
// from, so their reports are stored now and the skipped rows become history. Nothing received
// before this version is lost. Re-running it is harmless: what is stored comes back duplicate.
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/text.hpp"
#include "ingest/ingester.hpp"

namespace dmarcsight::cli {

namespace {

struct args {
    std::string db = default_db_path();
    std::string quarantine = settings().quarantine.value.value_or("");  // empty: the database's
    std::string format = "text";
    bool skipped = false;
};

// A unit's label is its input's label, then ">" and the part or member inside it ("mail.eml>part2",
// "a.zip>zip:x.xml"): the input is what the bytes were kept for. (An input whose own name holds a
// ">" is read under the shorter name: its reports are stored all the same, and its old rows are
// listed as still skipped.)
std::string input_label_of(const std::string& unit_label) {
    const auto gt = unit_label.find('>');
    return gt == std::string::npos ? unit_label : unit_label.substr(0, gt);
}

// Kept files are named by the SHA-256 of their bytes (ingest/quarantine.hpp): 64 hex digits.
// Anything else is not a name this store wrote, and never reaches a path.
bool kept_name(const std::string& name) {
    if (name.size() != 64) return false;
    for (const char c : name)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

int run(const args& a) {
    if (!a.skipped) {
        error_line("reprocess: say what to read again: --skipped (the failure and TLS reports earlier versions kept)");
        return exit_usage;
    }
    auto db = open_store(a.db, store::open_mode::read_write);
    if (!db) return exit_usage;
    store::input_filter filter;
    filter.result = store::outcome::skipped;
    auto rows = db->inputs(filter);
    if (!rows) {
        error_line(rows.err().message);
        return exit_usage;
    }
    const std::string qdir = a.quarantine.empty() ? quarantine_dir_for(a.db) : a.quarantine;
    // One read per kept input (several skipped units may share one input's bytes).
    std::map<std::pair<std::string, std::string>, std::size_t> inputs;  // (file, input label) -> units
    std::vector<std::string> problems;
    for (const auto& r : *rows) {
        if (r.quarantine_path.empty()) {
            problems.push_back(r.label + ": its bytes were not kept; it cannot be read again");
            continue;
        }
        if (!kept_name(r.quarantine_path)) {
            problems.push_back(r.label + ": its kept file name is not one this store writes; not read");
            continue;
        }
        ++inputs[{r.quarantine_path, input_label_of(r.label)}];
    }

    ingest::options opt;
    opt.db_path = a.db;
    opt.quarantine_dir = qdir;
    install_stop_handlers();
    ingest::ingester ing(*db, opt);
    result<void> env_error;
    for (const auto& [key, units] : inputs) {
        if (ing.interrupted()) break;
        auto r = ing.ingest_kept(qdir + "/" + key.first, key.second);
        if (!r) {
            env_error = r;
            break;
        }
    }
    auto f = ing.finish();
    if (env_error && !f) env_error = f;
    const ingest::totals& t = ing.counts();
    // What is still skipped after the run (rows whose input was not read, or read under another name).
    auto left = db->inputs(filter);
    const std::int64_t still = left ? static_cast<std::int64_t>(left->size()) : -1;

    if (a.format == "json") {
        nlohmann::json out = {{"skipped_before", rows->size()},
                              {"inputs_read", t.inputs},
                              {"stored", t.stored},
                              {"duplicate", t.duplicate},
                              {"skipped", t.skipped},
                              {"rejected", t.rejected},
                              {"still_skipped", still < 0 ? nlohmann::json(nullptr) : nlohmann::json(still)},
                              {"problems", problems}};
        std::printf("%s\n", json_text(out, 2).c_str());
    } else {
        for (const auto& p : problems) error_line(p);
        std::printf("%zu skipped inputs; %llu read again: %llu stored, %llu duplicate, %llu skipped, %llu rejected; %lld still skipped\n",
                    rows->size(), static_cast<unsigned long long>(t.inputs), static_cast<unsigned long long>(t.stored),
                    static_cast<unsigned long long>(t.duplicate), static_cast<unsigned long long>(t.skipped),
                    static_cast<unsigned long long>(t.rejected), static_cast<long long>(still));
    }
    if (!env_error) {
        error_line(env_error.err().message);
        return exit_usage;
    }
    if (ing.interrupted()) return 128 + ingest::stop_signal();
    return problems.empty() ? exit_ok : exit_findings;
}

}  // namespace

void register_reprocess(CLI::App& app) {
    auto a = std::make_shared<args>();
    auto* cmd = app.add_subcommand("reprocess", "Read again what earlier versions kept but could not store (--skipped: failure and TLS reports)");
    cmd->add_option("--db", a->db, db_help)->capture_default_str();
    cmd->add_flag("--skipped", a->skipped, "The skipped inputs (dmarcsight rejected --skipped lists them): their kept bytes are ingested again");
    cmd->add_option("--quarantine", a->quarantine, "The quarantine folder they were kept in (default: <db>.quarantine)");
    cmd->add_option("--format", a->format, "Output format")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
    cmd->footer(
        "Exit status: 0 done; 1 some skipped inputs could not be read again (their bytes were not kept, or are gone: "
        "named on stderr); 2 usage or store error; 130 / 143 stopped by SIGINT / SIGTERM (what was complete is committed).");
    cmd->callback([a] { exit_code() = run(*a); });
}

}  // namespace dmarcsight::cli
