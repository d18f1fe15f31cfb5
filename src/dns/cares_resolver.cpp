#include "dns/cares_resolver.hpp"

#include <ares.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
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

answer cares_resolver::ask_and_follow(const std::string& name, rr_type type) {
    answer total;
    std::string cur = name;
    std::set<std::string> visited{cur};
    std::uint32_t ttl = limits::max_dns_cache_ttl;
    const std::string where = server_text_.empty() ? std::string("the system resolver") : "server " + server_text_;
    // Each round either ends the query or moves cur along a chain of at least one new CNAME, so the
    // chain cap bounds the rounds.
    // One end for the whole query (all rounds), and never past the overall deadline.
    const auto query_end = clock::now() + std::chrono::milliseconds(options_.query_deadline_ms);
    const bool overall_first = deadline_.has_value() && *deadline_ < query_end;
    const auto end = overall_first ? *deadline_ : query_end;
    for (int round = 0; round <= limits::max_cname_chain; ++round) {
        message_answer step;
        if (clock::now() >= end) {
            // Not cached when the overall deadline ended it: the server may be fine.
            step = failed(rcode::timeout,
                          overall_first ? std::string("not asked: the time allowed for these lookups is used up")
                                        : where + " did not answer within the " + std::to_string(options_.query_deadline_ms) +
                                              " ms query deadline",
                          overall_first ? 0 : limits::dns_failure_cache_ttl);
            ttl = std::min(ttl, step.cache_ttl);
            total.status = step.ans.status;
            total.records.clear();
            total.detail = std::move(step.ans.detail);
            cache_.put(name, type, total, ttl);
            return total;
        }
        raw_result raw = ask(cur, type, end);
        switch (raw.status) {
            case ARES_SUCCESS:
            case ARES_ENODATA:
            case ARES_ENOTFOUND: {
                auto msg = parse_message(raw.reply);
                if (raw.reply.empty() || !msg) {
                    step = failed(rcode::formerr,
                                  "malformed reply from " + where + ": " + (msg ? std::string("empty") : msg.err().message), 0);
                } else {
                    step = answer_from_message(*msg, cur, type);
                }
                break;
            }
            case ARES_ETIMEOUT:
            case ARES_ECONNREFUSED:
            case ARES_ECANCELLED: {
                // Cut by the overall deadline before c-ares gave up by itself: not the server's
                // verdict, so not remembered.
                const bool cut_overall = raw.deadline_hit && overall_first && clock::now() >= end;
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
        ttl = std::min(ttl, step.cache_ttl);
        for (auto& c : step.ans.cnames) {
            if (total.cnames.size() >= static_cast<std::size_t>(limits::max_cname_chain)) {
                total.status = rcode::servfail;
                total.records.clear();
                total.detail = "CNAME chain longer than " + std::to_string(limits::max_cname_chain);
                return total;
            }
            total.cnames.push_back(c);
            if (!visited.insert(c).second) {
                total.status = rcode::servfail;
                total.detail = "CNAME loop at " + text::for_terminal(c, limits::max_logged_text);
                return total;
            }
        }
        if (!step.chain_incomplete) {
            total.status = step.ans.status;
            total.records = std::move(step.ans.records);
            if (total.detail.empty()) total.detail = std::move(step.ans.detail);
            cache_.put(name, type, total, ttl);
            return total;
        }
        cur = total.cnames.back();  // the server stopped at a target outside its data: ask for it
    }
    total.status = rcode::servfail;
    total.detail = "CNAME chain longer than " + std::to_string(limits::max_cname_chain);
    return total;
}

answer cares_resolver::query(std::string_view name, rr_type type) {
    const std::string n = canonical_name(name);
    if (auto hit = cache_.get(n, type)) return *hit;
    return ask_and_follow(n, type);
}

}  // namespace dmarcsight::dns
