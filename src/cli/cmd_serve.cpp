// dmarcsight serve: the JSON API over a store it only reads (web/server.hpp).
#include <pthread.h>

#include <csignal>
#include <filesystem>
#include <cstdio>
#include <thread>

#include "alerts/delivery.hpp"
#include "cli/allocator.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/services.hpp"
#include "store/open.hpp"
#include "web/accounts.hpp"
#include "web/server.hpp"

namespace dmarcsight::cli {

void register_serve(CLI::App& app) {
    struct args {
        std::string db = default_db_path();
        std::string listen = "127.0.0.1:8080";
        std::string state, tls_cert, tls_key;
        bool behind_proxy = false;
        bool no_prefetch = false;
    };
    auto a = std::make_shared<args>();
    auto* cmd = app.add_subcommand(
        "serve",
        "The web dashboard and its JSON API over HTTP: pages at /, /api/v1/{stats,domains,sources,policy,trends,failures,tls,"
        "alerts,posture,session,views} (docs/openapi.json), /metrics (Prometheus), /healthz. The store is only read (ingest may "
        "write beside it). With users (dmarcsight user add), every request authenticates (a login session, an API token, or a "
        "user's password) and sees only its account's domains; beyond loopback it needs users and TLS (--tls-cert/--tls-key) "
        "or --behind-proxy");
    cmd->add_option("--db", a->db, db_help)->capture_default_str();
    cmd->add_option("--listen", a->listen, "HOST:PORT to listen on: 127.0.0.1:8080, [::1]:8080, localhost:8080 (port 0: any free port)")
        ->capture_default_str();
    cmd->add_option("--state", a->state,
                    "The server's own state (users, tokens, sessions, views): an SQLite file (default <db>.web beside an SQLite store) or a "
                    "PostgreSQL URI (default: the PostgreSQL store's database, schema <store schema>_web; give a role that may write it)");
    cmd->add_option("--tls-cert", a->tls_cert, "PEM certificate (chain) to serve HTTPS with");
    cmd->add_option("--tls-key", a->tls_key, "PEM private key of --tls-cert");
    cmd->add_flag("--behind-proxy", a->behind_proxy,
                  "Plain HTTP beyond loopback: a reverse proxy in front terminates TLS (X-Forwarded-* headers are not trusted)");
    cmd->add_flag("--no-prefetch", a->no_prefetch,
                  "Do not answer the dashboard's first pages ahead (by default, once the store is quiet and each hour, the "
                  "largest domains' overview and sources pages are computed and kept until the store changes)");
    cmd->callback([a] {
        auto where = web::parse_listen(a->listen);
        if (!where) {
            error_line(where.err().message);
            exit_code() = exit_usage;
            return;
        }
        if (a->tls_cert.empty() != a->tls_key.empty()) {
            error_line("--tls-cert and --tls-key go together");
            exit_code() = exit_usage;
            return;
        }
        // The accounts, when the state holds them (serve never creates it: `user add` does).
        const std::string state = a->state.empty() ? web::default_state_location(a->db) : a->state;
        std::unique_ptr<web::accounts> users;
        web::exposure e;
        e.tls = !a->tls_cert.empty();
        e.behind_proxy = a->behind_proxy;
        auto held = web::accounts::exists(state);
        if (!held) {
            error_line(held.err().message);
            exit_code() = exit_usage;
            return;
        }
        if (*held) {
            auto opened = web::accounts::open(state, false);
            if (!opened) {
                error_line(opened.err().message);
                exit_code() = exit_usage;
                return;
            }
            users = std::move(*opened);
            auto any = users->any_user();
            if (!any) {
                error_line(any.err().message);
                exit_code() = exit_usage;
                return;
            }
            e.users = *any;
        } else if (!a->state.empty()) {
            error_line("--state " + store::redacted(a->state) + ": no accounts there (dmarcsight user add --state " + store::redacted(a->state) + " … creates them)");
            exit_code() = exit_usage;
            return;
        }
        if (auto ok = web::listen_allowed(*where, e); !ok) {
            error_line(ok.err().message);
            exit_code() = exit_usage;
            return;
        }
        auto db = cli::open_store(a->db, store::open_mode::read_only);
        if (!db) return;
        // What the analysis answers need, as the CLI's commands have it.
        auto services = load_services({});
        if (!services) {
            error_line(services.err().message);
            exit_code() = exit_usage;
            return;
        }
        web::analysis_context ctx;
        ctx.services = services->get();
        ctx.labels = [](store::store& s) { return labels_with_config(s); };
        ctx.alerts.rules = alert_rules_from_settings();
        ctx.alerts.settle_seconds = static_cast<std::int64_t>(settings().alerts.settle_hours.value) * 3600;
        ctx.alerts.no_reports_seconds = static_cast<std::int64_t>(settings().alerts.no_reports_hours.value) * 3600;
        if (auto channels = alerts::channels_for(settings(), settings().alerts.channels.value)) {
            for (const auto* c : *channels) ctx.channels.push_back(c->name);
        } else {
            error_line(channels.err().message);
            exit_code() = exit_usage;
            return;
        }
        // Acknowledgements and mute rules from the dashboard: the rows `alerts --ack` / `--mute`
        // write, through a store opened for writing on the first one (the reports stay read-only;
        // on PostgreSQL the role must be allowed to write the alert tables, else the change is
        // refused with the database's reason).
        ctx.open_for_changes = [db_name = a->db] { return store::open_store(db_name, store::open_mode::read_write); };
        ctx.after_computing = give_back_freed_memory;
        ctx.open_reader = [db_name = a->db] { return store::open_store(db_name, store::open_mode::read_only); };
        web::server srv(*db, users.get(), std::move(ctx), {a->tls_cert, a->tls_key}, a->behind_proxy, !a->no_prefetch);
        if (auto ok = srv.ready(); !ok) {
            error_line(ok.err().message);
            exit_code() = exit_usage;
            return;
        }
        // SIGINT / SIGTERM end it: blocked here, before the server's threads exist (they inherit
        // the mask), and taken by one thread with sigwait, which stops the server.
        sigset_t stop_signals;
        sigemptyset(&stop_signals);
        sigaddset(&stop_signals, SIGINT);
        sigaddset(&stop_signals, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
        auto port = srv.bind(*where);
        if (!port) {
            error_line(port.err().message);
            exit_code() = exit_usage;
            return;
        }
        std::thread watcher([&] {
            int sig = 0;
            sigwait(&stop_signals, &sig);
            srv.stop();
        });
        const std::string host = where->host.find(':') != std::string::npos ? "[" + where->host + "]" : where->host;
        std::fprintf(stderr, "dmarcsight serve: listening on %s://%s:%d/ (store %s; %s); stop with Ctrl-C\n", e.tls ? "https" : "http",
                     host.c_str(), *port, a->db.c_str(), e.users ? "users must authenticate" : "no users: loopback only, no authentication");
        const bool ran = srv.run();
        pthread_kill(watcher.native_handle(), SIGTERM);  // ends the sigwait when run() ended by itself
        watcher.join();
        if (!ran) {
            error_line("serve: the server stopped with an error");
            exit_code() = exit_usage;
            return;
        }
        std::fprintf(stderr, "dmarcsight serve: stopped\n");
    });
}

}  // namespace dmarcsight::cli
