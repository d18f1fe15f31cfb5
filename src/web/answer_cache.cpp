#include "web/answer_cache.hpp"

#include <libdeflate.h>

namespace dmarcsight::web {

std::string gzip_body_of(const std::string& body) {
    if (body.size() < 1024) return {};
    libdeflate_compressor* c = libdeflate_alloc_compressor(6);
    if (!c) return {};
    std::string buf(libdeflate_gzip_compress_bound(c, body.size()), '\0');
    const std::size_t n = libdeflate_gzip_compress(c, body.data(), body.size(), buf.data(), buf.size());
    libdeflate_free_compressor(c);
    // A string of its own size: the bound's buffer is as large as the body (a resized string
    // keeps its capacity, which the kept bytes would not count). 0: it did not fit (never).
    return std::string(buf.data(), n);
}

std::optional<kept_answer> answer_cache::find(const std::string& key, const std::string& marker, std::int64_t now) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    if (!fresh(it->second, marker, now)) {
        drop(it);
        return std::nullopt;
    }
    return it->second.answer;
}

void answer_cache::keep(const std::string& key, const std::string& marker, kept_answer a, std::int64_t now) {
    if (a.body.size() > max_answer_bytes) return;
    const std::size_t size = a.body.size() + a.gzip_body.size();
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(key); it != entries_.end()) drop(it);
    while (!order_.empty() && bytes_ + size > max_bytes) drop(entries_.find(order_.front()));
    order_.push_back(key);
    bytes_ += size;
    entries_.emplace(key, entry{marker, now, std::move(a), std::prev(order_.end())});
}

void answer_cache::drop_stale(const std::string& marker, std::int64_t now) {
    std::lock_guard lock(mu_);
    for (auto it = entries_.begin(); it != entries_.end();) {
        const auto next = std::next(it);
        if (!fresh(it->second, marker, now)) drop(it);
        it = next;
    }
}

bool answer_cache::fresh(const entry& e, const std::string& marker, std::int64_t now) {
    return e.marker == marker && now / period_s == e.at / period_s;
}

std::size_t answer_cache::bytes() const {
    std::lock_guard lock(mu_);
    return bytes_;
}

void answer_cache::drop(std::unordered_map<std::string, entry>::iterator it) {
    bytes_ -= it->second.answer.body.size() + it->second.answer.gzip_body.size();
    order_.erase(it->second.age);
    entries_.erase(it);
}

}  // namespace dmarcsight::web
