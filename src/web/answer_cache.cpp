#include "web/answer_cache.hpp"

namespace dmarcsight::web {

std::optional<kept_answer> answer_cache::find(const std::string& key, const std::string& marker, std::int64_t now) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    if (it->second.marker != marker || now / period_s != it->second.at / period_s) {
        drop(it);
        return std::nullopt;
    }
    return it->second.answer;
}

void answer_cache::keep(const std::string& key, const std::string& marker, kept_answer a, std::int64_t now) {
    if (a.body.size() > max_answer_bytes) return;
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(key); it != entries_.end()) drop(it);
    while (!order_.empty() && bytes_ + a.body.size() > max_bytes) drop(entries_.find(order_.front()));
    order_.push_back(key);
    bytes_ += a.body.size();
    entries_.emplace(key, entry{marker, now, std::move(a), std::prev(order_.end())});
}

std::size_t answer_cache::bytes() const {
    std::lock_guard lock(mu_);
    return bytes_;
}

void answer_cache::drop(std::unordered_map<std::string, entry>::iterator it) {
    bytes_ -= it->second.answer.body.size();
    order_.erase(it->second.age);
    entries_.erase(it);
}

}  // namespace dmarcsight::web
