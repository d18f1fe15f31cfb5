// dmarcsight alerts: what changed, day by day — new sources, failure spikes, reporters gone
// quiet, pass-rate drops, unauthorized surges (the facts), DNS posture changes and domains whose
// reports stopped (DNS) — with each alert's state: provisional until its day has settled, then
// sent once through the configured channels (--send), acknowledged (--ack) or muted (--mute).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "alerts/delivery.hpp"
#include "alerts/engine.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/dns_choice.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "views/analysis.hpp"

namespace dmarcsight::cli {

// The alert rules' thresholds as configured ([alerts] in the config file).
analyze::alert_rules alert_rules_from_settings() {
    const auto& s = settings().alerts;
    analyze::alert_rules r;
    r.window_days = s.window_days.value;
    r.min_history_days = s.min_history_days.value;
    r.new_source_min_messages = s.new_source_min_messages.value;
    r.failure_spike_min_messages = s.failure_spike_min_messages.value;
    r.failure_spike_min_days = s.failure_spike_min_days.value;
    r.failure_spike_rise = s.failure_spike_rise.value;
    r.pass_rate_drop_min_messages = s.pass_rate_drop_min_messages.value;
    r.pass_rate_drop = s.pass_rate_drop.value;
    r.unauthorized_spike_factor = s.unauthorized_spike_factor.value;
    r.unauthorized_spike_min_excess = s.unauthorized_spike_min_excess.value;
    return r;
}

namespace {

struct args {
    std::string db;
    std::string domain, since, until, now;
    std::string format = "table";
    bool send = false, exit_on_alert = false, no_dns = false, dry = false;
    std::string ack, note;
    bool mute = false, list_mutes = false;
    std::string mute_source, mute_kind, mute_until;
    std::int64_t unmute = 0;
    std::string zone_file, with_file;
    std::vector<std::string> servers;
    int settle_hours = -1;
};

bool parse_day_flag(const char* flag, const std::string& text, std::int64_t now, std::string& out) {
    if (text.empty()) return true;
    const auto t = utc::parse_user_time(text, now);
    if (!t) {
        error_line(std::string(flag) + " " + text + ": not a time (" + utc::user_time_forms + ")");
        exit_code() = exit_usage;
        return false;
    }
    out = utc::format_date(utc::day_of(*t) * 86400);
    return true;
}

int run_mutes(store::store& db, const args& a, std::int64_t now) {
    if (a.unmute != 0) {
        auto r = db.remove_mute(a.unmute);
        if (!r) {
            error_line(r.err().message);
            return exit_usage;
        }
        if (!*r) {
            error_line("--unmute " + std::to_string(a.unmute) + ": no mute rule has that id (--mutes lists them)");
            return exit_usage;
        }
        std::printf("removed mute rule %lld\n", static_cast<long long>(a.unmute));
        return exit_ok;
    }
    if (a.mute) {
        auto rule = alerts::mute_rule({a.domain, a.mute_source, a.mute_kind, a.mute_until, a.note}, now);
        if (!rule) {
            error_line("--mute: " + rule.err().message);
            return exit_usage;
        }
        const store::mute_row& m = *rule;
        auto id = db.put_mute(m);
        if (!id) {
            error_line(id.err().message);
            return exit_usage;
        }
        std::printf("mute rule %lld: %s%s%s until %s\n", static_cast<long long>(*id), m.domain.empty() ? "" : ("domain " + m.domain + " ").c_str(),
                    m.source.empty() ? "" : ("source " + m.source + " ").c_str(), m.kind.empty() ? "" : ("kind " + m.kind + " ").c_str(),
                    m.until_day.empty() ? "removed (--unmute)" : m.until_day.c_str());
        return exit_ok;
    }
    auto all = db.mutes();
    if (!all) {
        error_line(all.err().message);
        return exit_usage;
    }
    if (a.format == "json") {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& m : *all) j.push_back(views::mute_json(m));
        std::printf("%s\n", json_text(j, 2).c_str());
        return exit_ok;
    }
    if (all->empty()) {
        std::printf("no mute rules\n");
        return exit_ok;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& m : *all)
        rows.push_back({std::to_string(m.id), m.domain.empty() ? "*" : m.domain, m.source.empty() ? "*" : m.source,
                        m.kind.empty() ? "*" : m.kind, m.until_day.empty() ? "(for ever)" : m.until_day, m.note});
    print_table({"ID", "DOMAIN", "SOURCE", "KIND", "UNTIL", "NOTE"}, rows);
    return exit_ok;
}

void run(const args& a) {
    std::int64_t now = 0;
    if (!now_flag(a.now, now)) return;
    auto db = open_store(a.db, store::open_mode::read_write);
    if (!db) return;
    if (a.mute || a.unmute != 0 || a.list_mutes) {
        exit_code() = run_mutes(*db, a, now);
        return;
    }
    if (!a.ack.empty()) {
        auto r = db->ack_alert(a.ack, a.note, now);
        if (!r) {
            error_line(r.err().message);
            exit_code() = exit_usage;
        } else if (!*r) {
            error_line("--ack " + text::for_terminal(a.ack, 40) + ": no alert has that id (ids are in `alerts --format json`)");
            exit_code() = exit_usage;
        } else {
            std::printf("acknowledged %s\n", a.ack.c_str());
        }
        return;
    }

    alerts::options opt;
    opt.rules = alert_rules_from_settings();
    opt.now = now;
    const int settle_hours = a.settle_hours >= 0 ? a.settle_hours : settings().alerts.settle_hours.value;
    opt.settle_seconds = static_cast<std::int64_t>(settle_hours) * 3600;
    opt.no_reports_seconds = static_cast<std::int64_t>(settings().alerts.no_reports_hours.value) * 3600;
    opt.domain = a.domain.empty() ? "" : text::normalize_domain(a.domain);
    opt.keep = !a.dry;
    if (!parse_day_flag("--since", a.since, now, opt.since_day) || !parse_day_flag("--until", a.until, now, opt.until_day)) return;
    dns_choice dns;
    if (!a.no_dns) {
        if (auto chosen = choose_dns(a.zone_file, a.with_file, a.servers, dns); !chosen) {
            error_line(chosen.err().message + " (--no-dns skips the DNS rules)");
            exit_code() = exit_usage;
            return;
        }
        opt.resolver = dns.resolver;
    }
    auto ev = alerts::evaluate(*db, opt);
    if (!ev) {
        error_line("alerts over " + db->describe() + ": " + ev.err().message);
        exit_code() = exit_usage;
        return;
    }
    for (const auto& w : ev->warnings) error_line(w);

    const auto channels = alerts::channels_for(settings(), settings().alerts.channels.value);
    if (!channels) {
        error_line(channels.err().message);
        exit_code() = exit_usage;
        return;
    }
    std::vector<std::string> names;
    for (const auto* c : *channels) names.push_back(c->name);
    for (auto& v : ev->alerts) alerts::settle_state(v, names);
    bool delivery_failed = false;
    if (a.send) {
        if (channels->empty()) {
            error_line("--send: no channel is configured ([channels.NAME] in the config file; `dmarcsight notify --list`)");
            exit_code() = exit_usage;
            return;
        }
        auto sent = alerts::deliver(*db, ev->alerts, *channels, now);
        if (!sent) {
            error_line(sent.err().message);
            exit_code() = exit_usage;
            return;
        }
        for (const auto& f : sent->failures) error_line(f);
        delivery_failed = !sent->failures.empty();
        for (auto& v : ev->alerts) alerts::settle_state(v, names);
        if (a.format == "table")
            std::fprintf(stderr, "sent %zu deliveries (%zu alerts), %zu failed, %zu held by another worker\n", sent->delivered,
                         sent->alerts, sent->failures.size(), sent->claimed_elsewhere);
    }

    std::size_t firing = 0;
    for (const auto& v : ev->alerts)
        if (v.state != "acked" && v.state != "muted") ++firing;
    if (a.format == "json") {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& v : ev->alerts) j.push_back(views::alert_json(v));
        std::printf("%s\n", json_text(j, 2).c_str());
    } else if (a.format == "csv") {
        std::printf("id,day,kind,domain,source,reporter,severity,state,detail\n");
        for (const auto& v : ev->alerts)
            std::printf("%s,%s,%s,%s,%s,%s,%s,%s,%s\n", v.id.c_str(), v.a.day.c_str(), std::string(analyze::to_string(v.a.kind)).c_str(),
                        text::csv_cell(v.a.domain).c_str(), text::csv_cell(v.a.source).c_str(), text::csv_cell(v.a.reporter).c_str(),
                        v.severity.c_str(), v.state.c_str(), text::csv_cell(v.a.detail).c_str());
    } else if (ev->alerts.empty()) {
        std::printf("no alerts\n");
    } else {
        std::vector<std::vector<std::string>> rows;
        for (const auto& v : ev->alerts) {
            const std::string who = !v.a.source.empty() ? v.a.source : v.a.reporter;
            rows.push_back({v.a.day, std::string(analyze::to_string(v.a.kind)), v.a.domain, who, v.severity, v.state, v.a.detail, v.id});
        }
        std::vector<column> cols = {{.header = "DAY", .keep = true},      {.header = "KIND", .keep = true},
                                    {.header = "DOMAIN", .keep = true},   {.header = "SOURCE/REPORTER"},
                                    {.header = "SEVERITY", .keep = true}, {.header = "STATE", .keep = true},
                                    {.header = "DETAIL"},                 {.header = "ID", .keep = true}};
        drop_empty_columns(cols, rows);
        print_columns(cols, rows);
        std::printf("%zu alert%s (%zu provisional: their days end less than %d h ago, late reports may change them)\n",
                    ev->alerts.size(), ev->alerts.size() == 1 ? "" : "s",
                    static_cast<std::size_t>(std::count_if(ev->alerts.begin(), ev->alerts.end(),
                                                           [](const auto& v) { return v.state == "provisional"; })),
                    settle_hours);
    }
    if (delivery_failed) exit_code() = exit_findings;
    else if (a.exit_on_alert && firing > 0) exit_code() = exit_findings;
}

}  // namespace

void register_alerts(CLI::App& app) {
    auto a = std::make_shared<args>();
    a->db = default_db_path();
    auto* cmd = app.add_subcommand(
        "alerts",
        "Alerts, day by day: new sources, failure spikes, reporter gaps, pass-rate drops, unauthorized surges, DNS changes, "
        "domains whose reports stopped; --send delivers each settled alert once");
    cmd->add_option("--db", a->db, db_help)->capture_default_str();
    cmd->add_option("--domain", a->domain, "Only this policy domain (and, with --mute, the domain the rule mutes)");
    cmd->add_option("--since", a->since,
                    "Show alerts of this UTC day and later (earlier days still serve as history): YYYY-MM-DD, RFC 3339, or an age");
    cmd->add_option("--until", a->until, "Evaluate and show days up to this UTC day, inclusive (same forms)");
    cmd->add_option("--format", a->format, "Output format")->check(CLI::IsMember({"table", "json", "csv"}))->capture_default_str();
    cmd->add_flag("--send", a->send,
                  "Deliver every settled alert not yet delivered (nor acknowledged, nor muted) to the configured channels "
                  "([alerts] channels, else every [channels.NAME]); a failed channel is retried on the next run");
    cmd->add_flag("--exit-code", a->exit_on_alert, "Exit 1 when an alert fires (not acknowledged or muted)");
    cmd->add_option("--ack", a->ack, "Acknowledge the alert with this id (it stays in the history and is not sent)");
    cmd->add_option("--note", a->note, "A note for --ack or --mute");
    cmd->add_flag("--mute", a->mute, "Add a mute rule from --domain, --source, --kind and --mute-until: matching alerts are kept, not sent");
    cmd->add_option("--source", a->mute_source, "With --mute: an IP or CIDR");
    cmd->add_option("--kind", a->mute_kind, std::string("With --mute: an alert kind: ") + analyze::alert_kind_names);
    cmd->add_option("--mute-until", a->mute_until, "With --mute: the last day the rule holds (default: until --unmute)");
    cmd->add_option("--unmute", a->unmute, "Remove the mute rule with this id");
    cmd->add_flag("--mutes", a->list_mutes, "List the mute rules");
    cmd->add_option("--now", a->now, "Evaluate as if it were this time (replays, tests): same forms as --since");
    cmd->add_option("--settle-hours", a->settle_hours,
                    "Hours after a day ends before its alerts are settled (default: [alerts] settle_hours, 48)")
        ->check(CLI::Range(0, 24 * 30));
    cmd->add_flag("--dry-run", a->dry, "Evaluate and show, but keep nothing in the store (no history, no DNS findings)");
    cmd->add_flag("--no-dns", a->no_dns, "Skip the DNS rules (dns_change, no_reports)");
    auto* zone = cmd->add_option("--zone", a->zone_file, "DNS rules answered only from this zone file (offline)");
    auto* with = cmd->add_option("--with", a->with_file, "DNS rules with this zone file laid over live DNS");
    auto* server = cmd->add_option("--dns-server", a->servers, "DNS server for the DNS rules (repeatable; default /etc/resolv.conf)");
    cmd->callback([a, zone, with, server] {
        fill_dns_from_settings(zone->count() + with->count() > 0, server->count() > 0, a->zone_file, a->with_file, a->servers);
        run(*a);
    });
}

}  // namespace dmarcsight::cli
