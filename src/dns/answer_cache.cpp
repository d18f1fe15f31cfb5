#include "dns/answer_cache.hpp"

namespace dmarcsight::dns {

std::optional<answer> answer_cache::get(const std::string& name, rr_type type) {
    auto it = entries_.find(key{name, type});
    if (it == entries_.end()) return std::nullopt;
    const auto now = now_();
    if (now >= it->second.expires) {
        lru_.erase(it->second.lru_pos);
        entries_.erase(it);
        return std::nullopt;
    }
    lru_.splice(lru_.begin(), lru_, it->second.lru_pos);
    answer a = it->second.value;
    // RFC 1035 §3.2.1 / RFC 2181 §8: a cached record's TTL counts down.
    const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - it->second.stored).count();
    const auto age32 = static_cast<std::uint32_t>(age < 0 ? 0 : age);
    for (auto& rr : a.records) rr.ttl = rr.ttl > age32 ? rr.ttl - age32 : 0;
    return a;
}

void answer_cache::put(const std::string& name, rr_type type, answer a, std::uint32_t ttl_seconds) {
    if (ttl_seconds == 0 || capacity_ == 0) return;
    const auto now = now_();
    key k{name, type};
    if (auto it = entries_.find(k); it != entries_.end()) {
        lru_.erase(it->second.lru_pos);
        entries_.erase(it);
    }
    while (entries_.size() >= capacity_ && !lru_.empty()) {
        entries_.erase(lru_.back());
        lru_.pop_back();
    }
    lru_.push_front(k);
    entries_.emplace(std::move(k), entry{std::move(a), now, now + std::chrono::seconds(ttl_seconds), lru_.begin()});
}

}  // namespace dmarcsight::dns
