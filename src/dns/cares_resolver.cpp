#include "dns/cares_resolver.hpp"

#include <ares.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <map>
#include <set>

#include "core/text.hpp"
#include "dns/message.hpp"
#include "dns/names.hpp"

namespace dmarcsight::dns {

namespace {

// Slack on top of c-ares' own schedule before our hard deadline cancels a query.
constexpr std::chrono::milliseconds deadline_slack{250};

bool library_ready() {
    static std::once_flag once;
    static int status = ARES_ENOTINITIALIZED;
    std::call_once(once, [] { status = ares_library_init(ARES_LIB_INIT_ALL); });
    return status == ARES_SUCCESS;
}

}  // namespace

struct cares_resolver::impl {
    ares_channel channel = nullptr;
    // Every socket c-ares has open and what it waits for (readable, writable), from its socket
    // state callback: query_many() polls them all (ares_getsock() reports at most 16).
    std::map<ares_socket_t, std::pair<bool, bool>> sockets;
    ~impl() {
        if (channel != nullptr) ares_destroy(channel);
    }
};

struct cares_resolver::raw_result {
    int status = ARES_ETIMEOUT;
    int timeouts = 0;
    bool done = false;
    bool deadline_hit = false;
    std::vector<std::uint8_t> reply;
};

cares_resolver::cares_resolver(cares_options options)
    : options_(std::move(options)), impl_(std::make_unique<impl>()), cache_(options_.cache ? options_.cache_entries : 0) {}

cares_resolver::~cares_resolver() = default;

result<std::unique_ptr<cares_resolver>> cares_resolver::create(cares_options options) {
    if (!library_ready()) return fail("c-ares: library initialisation failed");
    if (options.timeout_ms <= 0 || options.tries <= 0 || options.query_deadline_ms <= 0) {
        return fail("c-ares: timeout_ms, tries and query_deadline_ms must be positive");
    }
    std::unique_ptr<cares_resolver> r(new cares_resolver(std::move(options)));
    const cares_options& o = r->options_;

    ares_options ao{};
    int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_NOROTATE;
    // NOCHECKRESP: hand us SERVFAIL/REFUSED replies as they are, so the rcode reaches the answer
    // (by default c-ares 1.18 turns a REFUSED into ARES_ECONNREFUSED after trying other servers).
    ao.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_NOCHECKRESP;
    if (o.use_tcp) ao.flags |= ARES_FLAG_USEVC;
    if (o.edns) {
        ao.flags |= ARES_FLAG_EDNS;
        ao.ednspsz = limits::dns_edns_payload;
        mask |= ARES_OPT_EDNSPSZ;
    }
    ao.timeout = o.timeout_ms;
    ao.tries = o.tries;
    ao.sock_state_cb = [](void* data, ares_socket_t fd, int readable, int writable) {
        auto* self = static_cast<impl*>(data);
        if (readable == 0 && writable == 0) self->sockets.erase(fd);
        else self->sockets[fd] = {readable != 0, writable != 0};
    };
    ao.sock_state_cb_data = r->impl_.get();
    mask |= ARES_OPT_SOCK_STATE_CB;
    if (int rc = ares_init_options(&r->impl_->channel, &ao, mask); rc != ARES_SUCCESS) {
        r->impl_->channel = nullptr;
        return fail(std::string("c-ares: ") + ares_strerror(rc));
    }
    if (!o.servers.empty()) {
        std::string csv;
        for (const auto& s : o.servers) {
            if (!csv.empty()) csv += ',';
            csv += s;
        }
        if (int rc = ares_set_servers_ports_csv(r->impl_->channel, csv.c_str()); rc != ARES_SUCCESS) {
            return fail("c-ares: bad server list '" + text::for_terminal(csv, limits::max_logged_text) + "': " + ares_strerror(rc));
        }
        r->server_text_ = csv;
        r->server_count_ = o.servers.size();
    } else {
        ares_addr_port_node* list = nullptr;
        std::size_t n = 0;
        if (ares_get_servers_ports(r->impl_->channel, &list) == ARES_SUCCESS) {
            char buf[INET6_ADDRSTRLEN];
            for (auto* p = list; p != nullptr; p = p->next) {
                ++n;
                if (inet_ntop(p->family, &p->addr, buf, sizeof buf) != nullptr) {
                    if (!r->server_text_.empty()) r->server_text_ += ',';
                    r->server_text_ += buf;
                }
            }
            ares_free_data(list);
        }
        r->server_count_ = std::max<std::size_t>(n, 1);
    }
    ares_set_socket_callback(
        r->impl_->channel,
        [](ares_socket_t, int type, void* self) -> int {
            if (type == SOCK_STREAM) ++static_cast<cares_resolver*>(self)->tcp_connections_;
            return ARES_SUCCESS;
        },
        r.get());
    return r;
}

std::chrono::milliseconds cares_resolver::max_wait() const {
    // c-ares 1.18 (ares_send.c / ares_process.c): the timeout of try k doubles every full round
    // over the server list: sum over rounds r of servers * timeout * 2^r.
    std::chrono::milliseconds total{0};
    std::int64_t round_timeout = options_.timeout_ms;
    for (int round = 0; round < options_.tries; ++round) {
        total += std::chrono::milliseconds(round_timeout * static_cast<std::int64_t>(server_count_));
        round_timeout *= 2;
    }
    return total + deadline_slack;
}

cares_resolver::raw_result cares_resolver::ask(const std::string& name, rr_type type, clock::time_point end) {
    raw_result r;
    ++network_queries_;
    const std::string qname = name.empty() ? std::string(".") : name;
    ares_query(
        impl_->channel, qname.c_str(), class_in, static_cast<int>(type),
        [](void* arg, int status, int timeouts, unsigned char* abuf, int alen) {
            auto* res = static_cast<raw_result*>(arg);
            res->status = status;
            res->timeouts = timeouts;
            res->done = true;
            if (abuf != nullptr && alen > 0) res->reply.assign(abuf, abuf + alen);
        },
        &r);
    const auto deadline = std::min(clock::now() + max_wait(), end);
    while (!r.done) {
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) {
            r.deadline_hit = true;
            ares_cancel(impl_->channel);  // calls our callback with ARES_ECANCELLED
            if (!r.done) {
                r.done = true;
                r.status = ARES_ECANCELLED;
            }
            break;
        }
        ares_socket_t socks[ARES_GETSOCK_MAXNUM];
        const int bits = ares_getsock(impl_->channel, socks, ARES_GETSOCK_MAXNUM);
        pollfd fds[ARES_GETSOCK_MAXNUM];
        nfds_t nfds = 0;
        for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
            const bool rd = ARES_GETSOCK_READABLE(bits, i) != 0;
            const bool wr = ARES_GETSOCK_WRITABLE(bits, i) != 0;
            if (!rd && !wr) continue;
            fds[nfds].fd = socks[i];
            fds[nfds].events = static_cast<short>((rd ? POLLIN : 0) | (wr ? POLLOUT : 0));
            fds[nfds].revents = 0;
            ++nfds;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
        timeval max_tv{static_cast<time_t>(left.count() / 1000), static_cast<suseconds_t>((left.count() % 1000) * 1000)};
        timeval tv{};
        const timeval* t = ares_timeout(impl_->channel, &max_tv, &tv);
        int wait_ms = static_cast<int>(t->tv_sec * 1000 + t->tv_usec / 1000);
        if (wait_ms <= 0 && (t->tv_sec > 0 || t->tv_usec > 0)) wait_ms = 1;
        const int n = poll(fds, nfds, wait_ms);
        if (n < 0) {
            if (errno == EINTR) continue;
            ares_cancel(impl_->channel);
            if (!r.done) {
                r.done = true;
                r.status = ARES_ECANCELLED;
            }
            break;
        }
        if (n == 0) {
            ares_process_fd(impl_->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // time-outs, resends
            continue;
        }
        for (nfds_t i = 0; i < nfds; ++i) {
            const bool rd = (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
            const bool wr = (fds[i].revents & (POLLOUT | POLLERR | POLLHUP)) != 0;
            if (!rd && !wr) continue;
            ares_process_fd(impl_->channel, rd ? fds[i].fd : ARES_SOCKET_BAD, wr ? fds[i].fd : ARES_SOCKET_BAD);
        }
    }
    return r;
}

namespace {

message_answer failed(rcode status, std::string detail, std::uint32_t ttl) {
    message_answer m;
    m.ans.status = status;
    m.ans.detail = std::move(detail);
    m.cache_ttl = ttl;
    return m;
}

}  // namespace

struct cares_resolver::follow {
    std::string name;  // the question (cache key)
    rr_type type = rr_type::a;
    std::string cur;   // the name asked next
    std::set<std::string> visited;
    answer total;
    std::uint32_t ttl = limits::max_dns_cache_ttl;
    clock::time_point end;
    bool overall_first = false;
    int round = 0;
    bool finished = false;
    std::string where;
};

cares_resolver::follow cares_resolver::start_follow(const std::string& name, rr_type type) {
    follow f;
    f.name = name;
    f.type = type;
    f.cur = name;
    f.visited.insert(name);
    f.where = server_text_.empty() ? std::string("the system resolver") : "server " + server_text_;
    // One end for the whole query (all rounds), and never past the overall deadline.
    const auto query_end = clock::now() + std::chrono::milliseconds(options_.query_deadline_ms);
    f.overall_first = deadline_.has_value() && *deadline_ < query_end;
    f.end = f.overall_first ? *deadline_ : query_end;
    return f;
}

bool cares_resolver::follow_expired(follow& f) {
    if (clock::now() < f.end) return false;
    // Not cached when the overall deadline ended it: the server may be fine.
    message_answer step = failed(rcode::timeout,
                                 f.overall_first ? std::string("not asked: the time allowed for these lookups is used up")
                                                 : f.where + " did not answer within the " +
                                                       std::to_string(options_.query_deadline_ms) + " ms query deadline",
                                 f.overall_first ? 0 : limits::dns_failure_cache_ttl);
    f.ttl = std::min(f.ttl, step.cache_ttl);
    f.total.status = step.ans.status;
    f.total.records.clear();
    f.total.detail = std::move(step.ans.detail);
    cache_.put(f.name, f.type, f.total, f.ttl);
    f.finished = true;
    return true;
}

void cares_resolver::follow_step(follow& f, const raw_result& raw) {
    message_answer step;
    const std::string& where = f.where;
    switch (raw.status) {
        case ARES_SUCCESS:
        case ARES_ENODATA:
        case ARES_ENOTFOUND: {
            auto msg = parse_message(raw.reply);
            if (raw.reply.empty() || !msg) {
                step = failed(rcode::formerr,
                              "malformed reply from " + where + ": " + (msg ? std::string("empty") : msg.err().message), 0);
            } else {
                step = answer_from_message(*msg, f.cur, f.type);
            }
            break;
        }
        case ARES_ETIMEOUT:
        case ARES_ECONNREFUSED:
        case ARES_ECANCELLED: {
            // Cut by the overall deadline before c-ares gave up by itself: not the server's
            // verdict, so not remembered.
            const bool cut_overall = raw.deadline_hit && f.overall_first && clock::now() >= f.end;
            step = failed(rcode::timeout,
                          where + (raw.status == ARES_ECONNREFUSED ? " refused the connection" : " did not answer") + " (" +
                              std::to_string(options_.tries) + " tries, " + std::to_string(options_.timeout_ms) +
                              " ms first time-out" + (cut_overall ? ", cut short by the time allowed for these lookups" : "") +
                              ")",
                          cut_overall ? 0 : limits::dns_failure_cache_ttl);
            break;
        }
        case ARES_ESERVFAIL:
            step = failed(rcode::servfail, where + " answered SERVFAIL", limits::dns_failure_cache_ttl);
            break;
        case ARES_EREFUSED:
            step = failed(rcode::refused, where + " refused the query", limits::dns_failure_cache_ttl);
            break;
        case ARES_EFORMERR:
        case ARES_EBADNAME:
        case ARES_EBADQUERY:
            step = failed(rcode::formerr, std::string("query not accepted: ") + ares_strerror(raw.status), 0);
            break;
        default:
            step = failed(rcode::servfail, std::string("c-ares: ") + ares_strerror(raw.status), limits::dns_failure_cache_ttl);
            break;
    }
    answer& total = f.total;
    f.ttl = std::min(f.ttl, step.cache_ttl);
    for (auto& c : step.ans.cnames) {
        if (total.cnames.size() >= static_cast<std::size_t>(limits::max_cname_chain)) {
            total.status = rcode::servfail;
            total.records.clear();
            total.detail = "CNAME chain longer than " + std::to_string(limits::max_cname_chain);
            f.finished = true;
            return;
        }
        total.cnames.push_back(c);
        if (!f.visited.insert(c).second) {
            total.status = rcode::servfail;
            total.detail = "CNAME loop at " + text::for_terminal(c, limits::max_logged_text);
            f.finished = true;
            return;
        }
    }
    if (!step.chain_incomplete) {
        total.status = step.ans.status;
        total.records = std::move(step.ans.records);
        if (total.detail.empty()) total.detail = std::move(step.ans.detail);
        cache_.put(f.name, f.type, total, f.ttl);
        f.finished = true;
        return;
    }
    f.cur = total.cnames.back();  // the server stopped at a target outside its data: ask for it
    // Each round either ends the query or moves cur along a chain of at least one new CNAME, so the
    // chain cap bounds the rounds.
    if (++f.round > limits::max_cname_chain) {
        total.status = rcode::servfail;
        total.detail = "CNAME chain longer than " + std::to_string(limits::max_cname_chain);
        f.finished = true;
    }
}

answer cares_resolver::ask_and_follow(const std::string& name, rr_type type) {
    follow f = start_follow(name, type);
    for (;;) {
        if (follow_expired(f)) return std::move(f.total);
        const raw_result raw = ask(f.cur, type, f.end);
        follow_step(f, raw);
        if (f.finished) return std::move(f.total);
    }
}

namespace {

// What a query_many() callback hands back to the loop (the loop, not the callback, moves the
// query on: c-ares may call back from inside ares_query itself).
struct completion {
    std::size_t job = 0;
    std::uint64_t token = 0;
    int status = ARES_ETIMEOUT;
    std::vector<std::uint8_t> reply;
};
struct batch_state {
    std::vector<completion> done;
    std::size_t outstanding = 0;  // callbacks c-ares still owes us (abandoned queries included)
};
struct callback_arg {
    batch_state* batch;
    std::size_t job;
    std::uint64_t token;
};

}  // namespace

std::vector<answer> cares_resolver::query_many(const std::vector<question>& qs) {
    std::vector<answer> out(qs.size());
    struct job {
        std::string name;
        rr_type type = rr_type::a;
        std::vector<std::size_t> slots;  // indices into out
        follow f;
        std::uint64_t token = 0;         // of the network query it waits for; 0: none
        clock::time_point raw_end;       // that query's own deadline (as ask() has)
    };
    std::vector<job> jobs;
    {
        std::map<std::pair<std::string, rr_type>, std::size_t> seen;
        for (std::size_t i = 0; i < qs.size(); ++i) {
            std::string n = canonical_name(qs[i].name);
            if (auto hit = cache_.get(n, qs[i].type)) {
                out[i] = std::move(*hit);
                continue;
            }
            auto [it, fresh] = seen.emplace(std::make_pair(n, qs[i].type), jobs.size());
            if (fresh) {
                jobs.push_back(job{std::move(n), qs[i].type, {}, {}, 0, {}});
            }
            jobs[it->second].slots.push_back(i);
        }
    }
    batch_state batch;
    std::uint64_t next_token = 0;
    std::size_t next_job = 0, finished = 0;
    std::vector<std::size_t> waiting;  // jobs with a network query out

    auto launch = [&](std::size_t k) {
        job& j = jobs[k];
        ++network_queries_;
        j.token = ++next_token;
        j.raw_end = std::min(clock::now() + max_wait(), j.f.end);
        waiting.push_back(k);
        ++batch.outstanding;
        const std::string qname = j.f.cur.empty() ? std::string(".") : j.f.cur;
        ares_query(
            impl_->channel, qname.c_str(), class_in, static_cast<int>(j.type),
            [](void* arg, int status, int, unsigned char* abuf, int alen) {
                std::unique_ptr<callback_arg> a(static_cast<callback_arg*>(arg));
                completion c;
                c.job = a->job;
                c.token = a->token;
                c.status = status;
                if (abuf != nullptr && alen > 0) c.reply.assign(abuf, abuf + alen);
                --a->batch->outstanding;
                a->batch->done.push_back(std::move(c));
            },
            new callback_arg{&batch, k, j.token});
    };
    auto finish = [&](std::size_t k) {
        job& j = jobs[k];
        for (std::size_t slot : j.slots) out[slot] = j.f.total;
        j.f.total = answer{};
        ++finished;
    };
    // After a step: done, or ask the next name of the chain (unless the deadline is gone).
    auto advance = [&](std::size_t k) {
        job& j = jobs[k];
        if (j.f.finished || follow_expired(j.f)) finish(k);
        else launch(k);
    };
    auto deliver = [&](std::size_t k, const raw_result& raw) {
        job& j = jobs[k];
        j.token = 0;
        waiting.erase(std::find(waiting.begin(), waiting.end(), k));
        follow_step(j.f, raw);
        advance(k);
    };

    // Queries abandoned at their deadline stay inside c-ares (1.18 cannot cancel one query) until
    // it gives up on them; they count against a limit of their own, and once nothing live is out
    // they are cancelled together.
    auto abandoned = [&] { return batch.outstanding - std::min(batch.outstanding, waiting.size()); };
    auto room = [&] { return waiting.size() < limits::dns_max_in_flight && abandoned() < limits::dns_max_in_flight; };
    while (finished < jobs.size()) {
        if (waiting.empty() && abandoned() > 0) {
            ares_cancel(impl_->channel);  // only abandoned queries are out: their callbacks are ignored
            batch.done.clear();
        }
        while (next_job < jobs.size() && room()) {
            const std::size_t k = next_job++;
            jobs[k].f = start_follow(jobs[k].name, jobs[k].type);
            advance(k);
        }
        // Replies that arrived (possibly from inside ares_query or ares_process_fd).
        while (!batch.done.empty()) {
            std::vector<completion> ready;
            ready.swap(batch.done);
            for (auto& c : ready) {
                if (jobs[c.job].token != c.token) continue;  // abandoned at its deadline
                raw_result raw;
                raw.status = c.status;
                raw.done = true;
                raw.reply = std::move(c.reply);
                deliver(c.job, raw);
            }
        }
        // Per-query deadlines: a query past its own end is abandoned (its late callback ignored).
        const auto now = clock::now();
        auto earliest = clock::time_point::max();
        for (std::size_t w = 0; w < waiting.size();) {
            const std::size_t k = waiting[w];
            if (jobs[k].raw_end <= now) {
                raw_result raw;
                raw.status = ARES_ECANCELLED;
                raw.done = true;
                raw.deadline_hit = true;
                deliver(k, raw);  // removes k from waiting
                continue;
            }
            earliest = std::min(earliest, jobs[k].raw_end);
            ++w;
        }
        if (finished >= jobs.size()) break;
        if (!batch.done.empty() || (next_job < jobs.size() && room()) || (waiting.empty() && abandoned() > 0)) continue;

        std::vector<pollfd> fds;
        fds.reserve(impl_->sockets.size());
        for (const auto& [fd, rw] : impl_->sockets) {
            fds.push_back(pollfd{fd, static_cast<short>((rw.first ? POLLIN : 0) | (rw.second ? POLLOUT : 0)), 0});
        }
        auto left = earliest == clock::time_point::max() ? std::chrono::milliseconds(max_wait())
                                                         : std::chrono::duration_cast<std::chrono::milliseconds>(earliest - now);
        if (left.count() < 0) left = std::chrono::milliseconds(0);
        timeval max_tv{static_cast<time_t>(left.count() / 1000), static_cast<suseconds_t>((left.count() % 1000) * 1000)};
        timeval tv{};
        const timeval* t = ares_timeout(impl_->channel, &max_tv, &tv);
        int wait_ms = static_cast<int>(t->tv_sec * 1000 + t->tv_usec / 1000);
        if (wait_ms <= 0 && (t->tv_sec > 0 || t->tv_usec > 0)) wait_ms = 1;
        const int n = poll(fds.data(), static_cast<nfds_t>(fds.size()), wait_ms);
        if (n < 0) {
            if (errno == EINTR) continue;
            // The loop cannot wait any more: every query still out ends as not answered.
            ares_cancel(impl_->channel);
            batch.done.clear();
            while (!waiting.empty()) {
                raw_result raw;
                raw.status = ARES_ECANCELLED;
                raw.done = true;
                const std::size_t k = waiting.front();
                jobs[k].token = 0;
                waiting.erase(waiting.begin());
                follow_step(jobs[k].f, raw);
                if (!jobs[k].f.finished) {
                    jobs[k].f.total.status = rcode::timeout;
                    jobs[k].f.finished = true;
                }
                finish(k);
            }
            continue;
        }
        if (n == 0) {
            ares_process_fd(impl_->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // time-outs, resends
            continue;
        }
        for (const auto& p : fds) {
            const bool rd = (p.revents & (POLLIN | POLLERR | POLLHUP)) != 0;
            const bool wr = (p.revents & (POLLOUT | POLLERR | POLLHUP)) != 0;
            if (!rd && !wr) continue;
            ares_process_fd(impl_->channel, rd ? p.fd : ARES_SOCKET_BAD, wr ? p.fd : ARES_SOCKET_BAD);
        }
    }
    // Abandoned queries c-ares still holds: end them now, while `batch` is alive for their callbacks.
    if (batch.outstanding > 0) ares_cancel(impl_->channel);
    return out;
}

answer cares_resolver::query(std::string_view name, rr_type type) {
    const std::string n = canonical_name(name);
    if (auto hit = cache_.get(n, type)) return *hit;
    return ask_and_follow(n, type);
}

}  // namespace dmarcsight::dns
