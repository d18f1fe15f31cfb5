// dmarcsight digest: the weekly (or monthly) summary a domain owner reads — volume, pass share,
// spoofing, new sources, what to fix, the period's alerts and the readiness for the next policy
// step — printed, or sent once per period through the mail channels (--send).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "alerts/delivery.hpp"
#include "alerts/engine.hpp"
#include "analyze/policy.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/services.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "digest/digest.hpp"

namespace dmarcsight::cli {

namespace {

struct args {
    std::string db;
    std::string domain, now;
    std::string period = "week";
    std::string format = "text";
    bool send = false, resend = false;
    std::vector<std::string> services_files;
};

nlohmann::json lines_json(const std::vector<digest::source_line>& v) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& s : v)
        j.push_back({{"source_ip", s.source_ip},
                     {"service", s.service.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.service)},
                     {"class", s.cls},
                     {"messages", s.messages},
                     {"dmarc_fail_messages", s.dmarc_fail},
                     {"fix", s.fix.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.fix)}});
    return j;
}

nlohmann::json digest_json(const digest::digest& d) {
    nlohmann::json j;
    j["title"] = d.title;
    j["since"] = d.since_day;
    j["until"] = d.until_day;  // exclusive
    j["last_day"] = d.last_day;
    j["domains"] = nlohmann::json::array();
    for (const auto& x : d.domains) {
        nlohmann::json o;
        o["domain"] = x.domain;
        o["messages"] = x.messages;
        o["dmarc_pass_messages"] = x.dmarc_pass;
        o["previous_messages"] = x.previous_messages;
        o["previous_dmarc_pass_messages"] = x.previous_dmarc_pass;
        o["spoofing_messages"] = x.spoofing_messages;
        o["sources"] = x.sources;
        o["new_sources"] = x.new_source_count;
        o["new_spoofing_sources"] = x.new_spoofing_sources;
        o["largest_new_sources"] = lines_json(x.new_sources);
        o["to_fix"] = lines_json(x.to_fix);
        o["alerts"] = nlohmann::json::array();
        for (const auto& a : x.alerts)
            o["alerts"].push_back({{"id", a.id}, {"day", a.a.day}, {"kind", std::string(analyze::to_string(a.a.kind))},
                                   {"detail", a.a.detail}, {"state", a.state}});
        if (x.ready)
            o["readiness"] = {{"verdict", x.ready->verdict},
                              {"legitimate_loss_share", x.ready->legitimate_loss_share},
                              {"next_record", x.ready->next_record},
                              {"why", x.ready->why}};
        else
            o["readiness"] = nullptr;
        j["domains"].push_back(std::move(o));
    }
    return j;
}

// Where each domain stands on the way to p=reject: the policy simulation over the period.
result<void> fill_readiness(store::store& db, digest::digest& d, const digest::options& opt) {
    for (auto& dom : d.domains) {
        store::fact_filter window;
        window.domain = dom.domain;
        window.since_day = d.since_day;
        window.until_day = d.until_day;
        auto r = analyze::assess_policy(db, dom.domain, window, opt.services, opt.labels);
        if (!r) return unexpected{r.err()};
        digest::readiness ready;
        ready.verdict = std::string(analyze::to_string(r->v));
        ready.legitimate_loss_share = r->legitimate_loss_share;
        ready.next_record = r->next.record;
        ready.why = r->next.why;
        dom.ready = std::move(ready);
    }
    return {};
}

void run(const args& a) {
    std::int64_t now = 0;
    if (!now_flag(a.now, now)) return;
    auto services = load_services(a.services_files);
    if (!services) {
        error_line(services.err().message);
        exit_code() = exit_usage;
        return;
    }
    auto db = open_store(a.db, a.send ? store::open_mode::read_write : store::open_mode::read_only);
    if (!db) return;
    digest::options opt;
    opt.span = a.period == "month" ? digest::period::month : digest::period::week;
    opt.now = now;
    opt.domain = a.domain.empty() ? "" : text::normalize_domain(a.domain);
    opt.services = services->get();
    auto labels = labels_with_config(*db);
    if (!labels) {
        error_line(labels.err().message);
        exit_code() = exit_usage;
        return;
    }
    opt.labels = std::move(*labels);
    // The period's alerts as the engine sees them now; nothing is kept (that is `alerts`' job).
    alerts::options ao;
    ao.now = now;
    ao.domain = opt.domain;
    ao.keep = false;
    ao.settle_seconds = static_cast<std::int64_t>(settings().alerts.settle_hours.value) * 3600;
    auto ev = alerts::evaluate(*db, ao);
    if (!ev) {
        error_line("alerts over " + db->describe() + ": " + ev.err().message);
        exit_code() = exit_usage;
        return;
    }
    {
        std::vector<std::string> names;
        for (const auto& c : settings().channels) names.push_back(c.name);
        if (!settings().alerts.channels.value.empty()) names = settings().alerts.channels.value;
        for (auto& v : ev->alerts) alerts::settle_state(v, names);
    }
    auto d = digest::build(*db, opt, ev->alerts);
    if (!d) {
        error_line("digest over " + db->describe() + ": " + d.err().message);
        exit_code() = exit_usage;
        return;
    }
    if (auto r = fill_readiness(*db, *d, opt); !r) {
        error_line("policy simulation over " + db->describe() + ": " + r.err().message);
        exit_code() = exit_usage;
        return;
    }

    if (!a.send) {
        if (a.format == "json") std::printf("%s\n", json_text(digest_json(*d), 2).c_str());
        else if (a.format == "markdown") std::fputs(digest::render_markdown(*d).c_str(), stdout);
        else if (a.format == "html") std::fputs(digest::render_html(*d).c_str(), stdout);
        else std::fputs(digest::render_text(*d).c_str(), stdout);
        return;
    }
    // Sent once per (period, domain selection, channel), like an alert: claimed, then recorded.
    std::vector<std::string> names = settings().digest.channels.value;
    if (names.empty())
        for (const auto& c : settings().channels)
            if (c.type == "smtp") names.push_back(c.name);
    auto channels = alerts::channels_for(settings(), names);
    if (!channels) {
        error_line(channels.err().message);
        exit_code() = exit_usage;
        return;
    }
    if (channels->empty()) {
        error_line("--send: no mail channel is configured ([channels.NAME] with type = \"smtp\", or [digest] channels)");
        exit_code() = exit_usage;
        return;
    }
    notify::message m;
    m.subject = digest::subject(*d);
    m.text = digest::render_text(*d);
    m.html = digest::render_html(*d);
    m.data = digest_json(*d);
    m.id = "digest " + a.period + " " + d->since_day + " " + (opt.domain.empty() ? "*" : opt.domain);
    bool failed = false;
    for (const auto* ch : *channels) {
        auto r = alerts::deliver_once(*db, *ch, m, now, a.resend);
        if (!r) {
            error_line(r.err().message);
            exit_code() = exit_usage;
            return;
        }
        switch (r->outcome) {
            case alerts::attempt_outcome::claimed_elsewhere:
                std::printf("%s: held by another worker, skipped\n", ch->name.c_str());
                break;
            case alerts::attempt_outcome::already_delivered:
                std::printf("%s: the digest of %s was sent on %s UTC (--resend sends it again)\n", ch->name.c_str(), d->title.c_str(),
                            utc::format_datetime(r->row.delivered_at).c_str());
                break;
            case alerts::attempt_outcome::delivered:
                std::printf("%s: sent the digest of %s\n", ch->name.c_str(), d->title.c_str());
                break;
            case alerts::attempt_outcome::failed:
                error_line("digest to channel " + ch->name + ": " + r->row.last_error);
                failed = true;
                break;
        }
    }
    if (failed) exit_code() = exit_findings;
}

}  // namespace

void register_digest(CLI::App& app) {
    auto a = std::make_shared<args>();
    a->db = default_db_path();
    auto* cmd = app.add_subcommand("digest",
                                   "The weekly or monthly summary: volume, pass share, spoofing, new sources, what to fix, "
                                   "the period's alerts and the readiness for the next policy step; --send mails it once");
    cmd->add_option("--db", a->db, db_help)->capture_default_str();
    cmd->add_option("--domain", a->domain, "Only this policy domain (default: every domain with traffic in the period)");
    cmd->add_option("--period", a->period, "The last whole week (Monday to Sunday, UTC) or calendar month before now")
        ->check(CLI::IsMember({"week", "month"}))
        ->capture_default_str();
    cmd->add_option("--format", a->format, "Output format when not sending")
        ->check(CLI::IsMember({"text", "markdown", "html", "json"}))
        ->capture_default_str();
    cmd->add_flag("--send", a->send,
                  "Mail it through [digest] channels (default: every smtp channel), once per period and channel");
    cmd->add_flag("--resend", a->resend, "With --send: send again a digest already sent for this period");
    cmd->add_option("--now", a->now, "Compute as if it were this time (replays, tests): YYYY-MM-DD or RFC 3339");
    cmd->add_option("--services", a->services_files, "Your own service catalogue file (repeatable; default: `services` of the config)");
    cmd->callback([a] { run(*a); });
}

}  // namespace dmarcsight::cli
