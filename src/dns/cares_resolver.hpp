// The real resolver: c-ares (1.18) as a stub resolver, driven synchronously.
//
// * Servers: options.servers ("192.0.2.1", "192.0.2.1:5353", "[2001:db8::1]:53"), or the system's
//   /etc/resolv.conf when empty.
// * Each query is sent over UDP (EDNS0 with a 1232-octet payload unless options.edns is false) and
//   retried over TCP when the reply is truncated (TC=1): c-ares does this itself (ares_process.c,
//   read_answers → TCP resend), and tcp_connections() counts the TCP sockets opened so tests can
//   see it happen. options.use_tcp sends over TCP from the start.
// * Time-outs: c-ares waits timeout_ms for the first try of each server and doubles the wait for
//   every further round (1.18's back-off), `tries` rounds in all; on top of that a hard deadline
//   of max_wait() per network query cancels whatever is still pending. Either way → rcode::timeout
//   with a detail naming the servers and tries. An unreachable server (ICMP port unreachable)
//   counts as a server that does not answer: rcode::timeout too.
// * Deadlines above that: one query() in all — tries × servers × back-off, the TCP fallback and
//   every CNAME continuation — ends within options.query_deadline_ms; and set_deadline() gives a
//   chain of lookups (one domain's `check`, one `spf` evaluation) one overall end: past it every
//   query that the cache cannot answer fails at once with rcode::timeout. A failure caused by the
//   overall deadline is not cached (the next chain has its own deadline).
// * A server's SERVFAIL / REFUSED / FORMERR reply is returned as that rcode (ARES_FLAG_NOCHECKRESP:
//   c-ares does not move on to the next server for them).
// * Replies are parsed by message.hpp (strict bounds checks), not by ares_parse_*: we need the
//   rcode, the authority SOA (negative caching) and the CNAME records themselves.
// * NXDOMAIN and NODATA are told apart by the reply's RCODE (RFC 2308); a chain the server did not
//   follow to the end is continued with a new query for the last target (same chain cap, loop
//   detection across queries).
// * Cache of our own (answer_cache.hpp): positive answers for the smallest TTL involved, negative
//   answers per RFC 2308 §5, server failures and time-outs for limits::dns_failure_cache_ttl
//   (RFC 9520 §3.2) so one dead server does not cost its time-out on every lookup of a run.
//
// * query_many(): the same answers as query() in turn (cache, CNAME following, per-query and
//   overall deadlines, failure caching), but with up to limits::dns_max_in_flight network queries
//   in flight on the one channel at once, each with its own deadline; repeated questions in a
//   batch are asked once.
//
// Thread-safety: none. A c-ares channel and our cache belong to one instance; use one instance per
// thread (they are cheap), or guard one with a lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/limits.hpp"
#include "core/result.hpp"
#include "dns/answer_cache.hpp"
#include "dns/resolver.hpp"

namespace dmarcsight::dns {

struct cares_options {
    std::vector<std::string> servers;  // empty: /etc/resolv.conf
    int timeout_ms = 2000;             // first try, per server
    int tries = 2;                     // rounds over the server list
    bool use_tcp = false;              // TCP from the first try (ARES_FLAG_USEVC)
    bool edns = true;                  // EDNS0 (RFC 6891), UDP payload 1232 (DNS flag day 2020)
    bool cache = true;
    std::size_t cache_entries = limits::max_dns_cache_entries;
    int query_deadline_ms = limits::dns_query_deadline_ms;  // one query() in all
};

class cares_resolver : public resolver {
public:
    // Fails when c-ares cannot be initialised or a server string does not parse.
    static result<std::unique_ptr<cares_resolver>> create(cares_options options = {});
    ~cares_resolver() override;
    cares_resolver(const cares_resolver&) = delete;
    cares_resolver& operator=(const cares_resolver&) = delete;

    answer query(std::string_view name, rr_type type) override;
    std::vector<answer> query_many(const std::vector<question>& qs) override;

    using clock = std::chrono::steady_clock;
    // Every query from now on ends by `end` (nullopt: no overall deadline, only the per-query one).
    void set_deadline(std::optional<clock::time_point> end) { deadline_ = end; }
    std::optional<clock::time_point> deadline() const { return deadline_; }

    // Upper bound on the time one network query may take (all tries, all servers, back-off).
    std::chrono::milliseconds max_wait() const;
    // TCP sockets opened so far (truncation fallback, or use_tcp).
    std::size_t tcp_connections() const { return tcp_connections_; }
    // Network queries sent so far (cache misses, and CNAME continuations).
    std::size_t network_queries() const { return network_queries_; }
    answer_cache& cache() { return cache_; }

private:
    struct impl;
    explicit cares_resolver(cares_options options);

    struct raw_result;
    // One query() in progress: the CNAME chain so far and its deadline.
    struct follow;
    raw_result ask(const std::string& name, rr_type type, clock::time_point end);
    answer ask_and_follow(const std::string& name, rr_type type);
    follow start_follow(const std::string& name, rr_type type);
    // True (and f finished with a time-out) when f's deadline has passed.
    bool follow_expired(follow& f);
    // Takes the reply to f.cur: f is finished, or f.cur is the next name to ask.
    void follow_step(follow& f, const raw_result& raw);

    cares_options options_;
    std::unique_ptr<impl> impl_;
    answer_cache cache_;
    std::size_t server_count_ = 1;
    std::size_t tcp_connections_ = 0;
    std::size_t network_queries_ = 0;
    std::string server_text_;
    std::optional<clock::time_point> deadline_;
};

}  // namespace dmarcsight::dns
