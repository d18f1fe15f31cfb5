// dmarcsight serve: the JSON API over a store it only reads (web/server.hpp).
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <thread>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "web/server.hpp"

namespace dmarcsight::cli {

void register_serve(CLI::App& app) {
    struct args {
        std::string db = default_db_path();
        std::string listen = "127.0.0.1:8080";
    };
    auto a = std::make_shared<args>();
    auto* cmd = app.add_subcommand(
        "serve",
        "Answer the JSON API over HTTP: /api/v1/stats, /api/v1/domains[?since=&until=], /metrics (Prometheus), /healthz. "
        "The store is only read (ingest may write beside it). Listens on loopback only: this version has no users yet");
    cmd->add_option("--db", a->db, db_help)->capture_default_str();
    cmd->add_option("--listen", a->listen, "HOST:PORT to listen on: 127.0.0.1:8080, [::1]:8080, localhost:8080 (port 0: any free port)")
        ->capture_default_str();
    cmd->callback([a] {
        auto where = web::parse_listen(a->listen);
        if (!where) {
            error_line(where.err().message);
            exit_code() = exit_usage;
            return;
        }
        if (auto ok = web::listen_allowed(*where); !ok) {
            error_line(ok.err().message);
            exit_code() = exit_usage;
            return;
        }
        auto db = open_store(a->db, store::open_mode::read_only);
        if (!db) return;
        web::server srv(*db);
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
        std::fprintf(stderr, "dmarcsight serve: listening on http://%s:%d/ (store %s); stop with Ctrl-C\n", host.c_str(), *port,
                     a->db.c_str());
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
