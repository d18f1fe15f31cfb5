// Open-addressing hash tables for the analysis hot paths: one array, no node per entry.
//
// A domain's fact pass meets a few hundred thousand sources; std::unordered_map spent a malloc and
// a free on every one, and a cache miss on every lookup (the node, then the key's text). Here a
// lookup touches one slot that holds the key's hash beside the entry's index, and reads the key
// itself only when the hashes agree.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace dmarcsight::flat_hash {

// A 64-bit mix (splitmix64's finaliser): every input bit moves every output bit.
constexpr std::uint64_t mix(std::uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}
// FNV-1a over the text, then mixed (FNV alone clusters on short, similar keys such as addresses).
constexpr std::uint64_t hash_text(std::string_view s) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    return mix(h);
}

// A set of 64-bit keys (any value but ~0).
class u64_set {
public:
    // True when the key was not in the set yet.
    bool insert(std::uint64_t key) {
        if ((used_ + 1) * 4 > slots_.size() * 3) grow();
        if (place(key)) {
            ++used_;
            return true;
        }
        return false;
    }
    std::size_t size() const { return used_; }

private:
    static constexpr std::uint64_t empty = ~0ULL;
    bool place(std::uint64_t key) {
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t at = mix(key) & mask;; at = (at + 1) & mask) {
            if (slots_[at] == key) return false;
            if (slots_[at] == empty) {
                slots_[at] = key;
                return true;
            }
        }
    }
    void grow() {
        std::vector<std::uint64_t> old(slots_.empty() ? 1024 : slots_.size() * 2, empty);
        old.swap(slots_);
        for (const std::uint64_t k : old)
            if (k != empty) place(k);
    }
    std::vector<std::uint64_t> slots_;
    std::size_t used_ = 0;
};

// Entries numbered 0..n-1 by the caller, found by a hash the caller computes and an equality the
// caller decides (the keys stay where the caller keeps them).
class index {
public:
    static constexpr std::uint32_t none = 0xffffffffu;
    // The entry with this hash for which same(entry) holds, or none.
    template <class Same>
    std::uint32_t find(std::uint64_t hash, Same&& same) const {
        if (slots_.empty()) return none;
        const std::size_t mask = slots_.size() - 1;
        const std::uint32_t tag = static_cast<std::uint32_t>(hash >> 32);
        for (std::size_t at = hash & mask;; at = (at + 1) & mask) {
            const std::uint64_t s = slots_[at];
            if (s == 0) return none;
            if (static_cast<std::uint32_t>(s >> 32) == tag && same(static_cast<std::uint32_t>(s) - 1)) return static_cast<std::uint32_t>(s) - 1;
        }
    }
    // Adds an entry that find did not find.
    void add(std::uint64_t hash, std::uint32_t entry) {
        if ((used_ + 1) * 4 > slots_.size() * 3) grow();
        place((hash & 0xffffffff00000000ULL) | (entry + 1ULL), hash);
        ++used_;
    }
    void clear() {
        slots_ = {};
        low_ = {};
        used_ = 0;
    }

private:
    // A slot: the hash's high 32 bits, the entry + 1 (0: empty). The low bits pick the slot, so
    // they are kept beside it for growing.
    void place(std::uint64_t slot, std::uint64_t hash) {
        const std::size_t mask = slots_.size() - 1;
        std::size_t at = hash & mask;
        while (slots_[at] != 0) at = (at + 1) & mask;
        slots_[at] = slot;
        low_[at] = static_cast<std::uint32_t>(hash);
    }
    void grow() {
        std::vector<std::uint64_t> old(slots_.empty() ? 1024 : slots_.size() * 2, 0);
        std::vector<std::uint32_t> old_low(old.size(), 0);
        old.swap(slots_);
        old_low.swap(low_);
        for (std::size_t i = 0; i < old.size(); ++i)
            if (old[i] != 0) place(old[i], (old[i] & 0xffffffff00000000ULL) | old_low[i]);
    }
    std::vector<std::uint64_t> slots_;
    std::vector<std::uint32_t> low_;
    std::size_t used_ = 0;
};

}  // namespace dmarcsight::flat_hash
