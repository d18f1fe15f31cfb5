#include "cli/mailbox_run.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "cli/common.hpp"
#include "core/text.hpp"
#include "net/imap_idle.hpp"

namespace dmarcsight::cli {

namespace {

constexpr int max_backoff_seconds = 300;
// RFC 2177 §3: a client re-issues IDLE at least every 29 minutes; we do so every 25.
constexpr int idle_renew_seconds = 25 * 60;

ingest::mailbox_actions actions_of(const config::mailbox_settings& m) {
    ingest::mailbox_actions a;
    a.aggregate = ingest::parse_mailbox_action(m.aggregate);
    a.failure = ingest::parse_mailbox_action(m.failure);
    a.tlsrpt = ingest::parse_mailbox_action(m.tlsrpt);
    a.invalid = ingest::parse_mailbox_action(m.invalid);
    return a;
}

const config::mailbox_settings* find_box(const std::string& name) {
    for (const auto& m : settings().mailboxes)
        if (m.name == name) return &m;
    return nullptr;
}

result<std::unique_ptr<mailbox_job>> imap_job(const config::mailbox_settings& m, const std::string& shown_name) {
    net::imap_options o;
    o.url = m.url;
    o.username = m.username;
    o.ca_file = m.ca_file;
    if (m.password) o.password = m.password->reveal();
    if (m.token) o.bearer = m.token->reveal();
    auto s = net::imap_session::open(o);
    if (!s) return fail(shown_name + ": " + s.err().message);
    auto job = std::make_unique<mailbox_job>();
    job->shown = s->shown_url();
    job->poll_seconds = m.poll_seconds;
    job->idle_options = o;
    if (m.password) job->password = *m.password;
    if (m.token) job->token = *m.token;
    ingest::imap_plan plan;
    plan.actions = actions_of(m);
    plan.batch = static_cast<std::size_t>(m.batch);
    plan.max_message_bytes = static_cast<std::size_t>(m.max_message_bytes);
    job->imap = std::make_unique<ingest::imap_source>(std::move(*s), std::move(plan));
    return job;
}

// Sleeps up to `seconds`, waking early on SIGINT/SIGTERM.
void nap(int seconds) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (ingest::stop_signal() == 0 && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

// Reads a password_file / token_file again; a changed secret goes to both connections.
result<void> refresh_secret(mailbox_job& job) {
    if (!job.imap) return {};
    auto pw = job.password.reread();
    if (!pw) return fail(job.shown + ": " + pw.err().message);
    auto tok = job.token.reread();
    if (!tok) return fail(job.shown + ": " + tok.err().message);
    job.idle_options.password = pw->reveal();
    job.idle_options.bearer = tok->reveal();
    job.imap->session().set_credentials(pw->reveal(), tok->reveal());
    return {};
}

const char* env_or_null(const char* name) {
    const char* v = std::getenv(name);
    return v && *v ? v : nullptr;
}

}  // namespace

result<std::unique_ptr<mailbox_job>> resolve_mailbox(const mailbox_request& r) {
    const int given = !r.maildir.empty() + !r.imap.empty() + !r.mailbox.empty();
    if (given > 1) return fail("give one of --maildir, --imap and --mailbox");
    if (!r.mailbox.empty() || (!r.imap.empty() && r.imap.find("://") == std::string::npos)) {
        const std::string name = r.mailbox.empty() ? r.imap : r.mailbox;
        const config::mailbox_settings* m = find_box(name);
        if (!m) {
            std::string msg = "no [mailboxes." + text::for_terminal(name, 64) + "] in the configuration";
            std::string known;
            for (const auto& b : settings().mailboxes) known += (known.empty() ? "" : ", ") + b.name;
            if (!known.empty()) msg += " (configured: " + known + ")";
            return fail(msg);
        }
        if (!r.imap.empty() && m->url.empty()) return fail("[mailboxes." + name + "] is a Maildir: use --mailbox " + name + " or --maildir");
        if (!m->maildir.empty()) {
            auto job = std::make_unique<mailbox_job>();
            job->shown = m->maildir;
            job->poll_seconds = m->poll_seconds;
            job->maildir = std::make_unique<ingest::maildir_source>(m->maildir, actions_of(*m));
            return job;
        }
        return imap_job(*m, "[mailboxes." + name + "]");
    }
    if (!r.maildir.empty()) {
        auto job = std::make_unique<mailbox_job>();
        job->shown = r.maildir;
        job->maildir = std::make_unique<ingest::maildir_source>(r.maildir, ingest::mailbox_actions{});
        return job;
    }
    // A bare URL: the secret from the environment only (never a flag: it would show in ps).
    config::mailbox_settings m;
    m.name = "url";
    m.url = r.imap;
    m.ca_file = r.ca_file;
    const char* pw = env_or_null("DMARCSIGHT_IMAP_PASSWORD");
    const char* tok = env_or_null("DMARCSIGHT_IMAP_TOKEN");
    if (!pw && !tok)
        return fail(net::redact_url(r.imap) + ": set DMARCSIGHT_IMAP_PASSWORD or DMARCSIGHT_IMAP_TOKEN (OAuth2), "
                                              "or configure [mailboxes.NAME] with password_file / token_file");
    if (pw && tok) return fail("set one of DMARCSIGHT_IMAP_PASSWORD and DMARCSIGHT_IMAP_TOKEN, not both");
    if (pw) m.password = config::secret::from_environment(pw, "DMARCSIGHT_IMAP_PASSWORD", config::origin::environment("DMARCSIGHT_IMAP_PASSWORD"));
    if (tok) m.token = config::secret::from_environment(tok, "DMARCSIGHT_IMAP_TOKEN", config::origin::environment("DMARCSIGHT_IMAP_TOKEN"));
    return imap_job(m, "--imap");
}

result<void> run_mailbox(mailbox_job& job, ingest::ingester& ing, store::store& db, bool watch, bool quiet,
                         ingest::mailbox_counts& counts) {
    int backoff = 1;
    bool said_claimed = false;
    for (;;) {
        ingest::mailbox_counts pass;
        result<void> r = watch ? refresh_secret(job) : result<void>{};
        if (r) r = job.maildir ? job.maildir->run(ing, db, pass) : job.imap->run_once(ing, db, pass);
        counts.seen += pass.seen;
        counts.filed += pass.filed;
        counts.left += pass.left;
        counts.gone += pass.gone;
        counts.not_filed += pass.not_filed;
        counts.claimed_elsewhere = pass.claimed_elsewhere;
        for (auto& w : pass.warnings) error_line(w);
        if (!watch) return r;
        if (ingest::stop_signal() != 0) return {};
        if (!r) {
            error_line(r.err().message + "; trying again in " + std::to_string(backoff) + " s");
            nap(backoff);
            backoff = std::min(backoff * 2, max_backoff_seconds);
            continue;
        }
        backoff = 1;
        if (pass.claimed_elsewhere && !said_claimed) error_line(job.shown + ": another worker is reading this mailbox; waiting");
        said_claimed = pass.claimed_elsewhere;
        if (!quiet && pass.seen > 0) {
            const auto& t = ing.counts();
            std::printf("%s: %llu message(s) read, %llu filed; in all %llu stored, %llu duplicate, %llu skipped, %llu rejected\n",
                        text::for_terminal(job.shown).c_str(), static_cast<unsigned long long>(pass.seen),
                        static_cast<unsigned long long>(pass.filed), static_cast<unsigned long long>(t.stored),
                        static_cast<unsigned long long>(t.duplicate), static_cast<unsigned long long>(t.skipped),
                        static_cast<unsigned long long>(t.rejected));
            std::fflush(stdout);
        }
        // A pass that filed mail goes again at once: what arrived while it ran is read now, not at
        // the next announcement (a pass that filed nothing ends the round, so mail left in place
        // cannot keep it spinning).
        if (job.imap && (job.imap->more_waiting() || pass.filed > 0)) continue;
        if (job.imap && job.imap->server_has_idle() && !pass.claimed_elsewhere) {
            // Wait for the server to say something arrived, a stop, or poll_seconds at most: a server
            // whose IDLE misses a delivery (Maildir changes seen late) is still polled.
            auto w = net::imap_idle_wait(job.idle_options, std::min(idle_renew_seconds, job.poll_seconds),
                                         [] { return ingest::stop_signal() != 0; });
            if (!w) {
                error_line(w.err().message + "; polling instead");
                nap(job.poll_seconds);
            }
            continue;
        }
        nap(job.poll_seconds);
    }
}

}  // namespace dmarcsight::cli
