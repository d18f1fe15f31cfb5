// The resolver's cache of whole answers, keyed by (name, type): ours, because c-ares 1.18 has none.
// Entries expire after the TTL the caller computed (positive: the smallest TTL of the records and
// CNAMEs used, RFC 2181 §5.2; negative: RFC 2308 §5, min(SOA TTL, SOA MINIMUM)); a hit returns the
// records with their TTLs reduced by the time spent in the cache. Bounded: at capacity the least
// recently used entry goes. The clock is injectable for tests.
//
// Thread-safety: none (one instance per resolver, one resolver per thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "core/limits.hpp"
#include "dns/resolver.hpp"

namespace dmarcsight::dns {

class answer_cache {
public:
    using clock = std::chrono::steady_clock;
    using now_fn = std::function<clock::time_point()>;

    explicit answer_cache(std::size_t capacity = limits::max_dns_cache_entries, now_fn now = &clock::now)
        : capacity_(capacity), now_(std::move(now)) {}

    // `name` in canonical form (names.hpp). A hit is fresh: expired entries are dropped here.
    std::optional<answer> get(const std::string& name, rr_type type);
    // ttl 0 or capacity 0: not stored.
    void put(const std::string& name, rr_type type, answer a, std::uint32_t ttl_seconds);

    std::size_t size() const { return entries_.size(); }
    void clear() {
        entries_.clear();
        lru_.clear();
    }

private:
    using key = std::pair<std::string, rr_type>;
    struct entry {
        answer value;
        clock::time_point stored, expires;
        std::list<key>::iterator lru_pos;
    };
    std::size_t capacity_;
    now_fn now_;
    std::map<key, entry> entries_;
    std::list<key> lru_;  // front = most recently used
};

}  // namespace dmarcsight::dns
