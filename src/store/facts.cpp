#include "store/facts.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <cstring>
#include <tuple>

#include "core/time.hpp"

namespace dmarcsight::store {

namespace {

// 128-bit products keep count × weight exact for any int64 count.
__extension__ typedef __int128 i128;

std::int64_t sat_add(std::int64_t a, std::int64_t b) {
    std::int64_t r;
    if (__builtin_add_overflow(a, b, &r)) return b > 0 ? std::numeric_limits<std::int64_t>::max() : 0;
    return r;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

bool icontains(std::string_view hay, std::string_view needle) {
    if (needle.size() > hay.size()) return false;
    for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i)
        if (iequals(hay.substr(i, needle.size()), needle)) return true;
    return false;
}

// "user@example.com" → "example.com"; a bare domain stays; a trailing dot goes.
std::string_view domain_part(std::string_view s) {
    for (std::size_t i = s.size(); i > 0; --i)
        if (s[i - 1] == '@') {
            s.remove_prefix(i);
            break;
        }
    if (!s.empty() && s.back() == '.') s.remove_suffix(1);
    return s;
}

// Exact comparison with a literal, without the strlen a std::string == const char* pays.
template <std::size_t N>
bool is(const std::string& s, const char (&literal)[N]) {
    return s.size() == N - 1 && std::memcmp(s.data(), literal, N - 1) == 0;
}

// Is `a` equal to `b` or a subdomain of it (case-insensitive)?
bool at_or_under(std::string_view a, std::string_view b) {
    if (b.empty() || a.size() < b.size()) return false;
    if (!iequals(a.substr(a.size() - b.size()), b)) return false;
    return a.size() == b.size() || a[a.size() - b.size() - 1] == '.';
}

const report::spf_auth_result* mfrom_result(const report::record& rec) {
    for (const auto& s : rec.spf_results)
        if (s.scope.empty() || is(s.scope, "mfrom")) return &s;
    return rec.spf_results.empty() ? nullptr : &rec.spf_results.front();
}

// Per-record flags: which measures a message of this record counts in (bit i: measure i of
// for_each_measure).
struct record_flags {
    std::uint32_t on = 0;
    std::string_view foreign_spf, foreign_dkim;  // into the record (lower-cased when stored)
};

// The bit of a measure in record_flags::on, from its place in for_each_measure (so the two never
// disagree), worked out at compile time.
template <std::int64_t source_measures::*M>
constexpr std::uint32_t bit_of() {
    source_measures m;
    std::uint32_t out = 0, i = 0;
    for_each_measure(m, [&](const char*, std::int64_t& v) {
        if (&v == &(m.*M)) out = std::uint32_t{1} << i;
        ++i;
    });
    return out;
}
template <std::int64_t source_measures::*M>
std::uint32_t bit() {
    constexpr std::uint32_t b = bit_of<M>();
    static_assert(b != 0, "a measure for_each_measure does not list");
    return b;
}

record_flags flags_of(const report::record& rec, related_domain_memo& related) {
    using M = source_measures;
    record_flags f;
    std::uint32_t on = bit<&M::messages>();
    const auto set = [&on](bool cond, std::uint32_t b) {
        if (cond) on |= b;
    };
    const bool dkim_pe = is(rec.dkim, "pass"), spf_pe = is(rec.spf, "pass");
    set(dkim_pe || spf_pe, bit<&M::dmarc_pass>());
    set(spf_pe, bit<&M::spf_aligned>());
    set(dkim_pe, bit<&M::dkim_aligned>());
    const auto* spf = mfrom_result(rec);
    std::string_view envelope = domain_part(rec.envelope_from);
    if (envelope.empty() && spf) envelope = domain_part(spf->domain);
    const bool envelope_related = !envelope.empty() && related(envelope);
    set(envelope_related, bit<&M::envelope_aligned>());
    if (spf) {
        const std::string_view d = domain_part(spf->domain);
        const bool foreign = !d.empty() && (d == envelope ? !envelope_related : !related(d));
        const bool pass = is(spf->result, "pass");
        set(pass, bit<&M::spf_pass>());
        set(pass && foreign, bit<&M::spf_pass_foreign>());
        set(is(spf->result, "fail") || is(spf->result, "softfail"), bit<&M::spf_fail>());
        if (foreign) f.foreign_spf = d;
    }
    if (f.foreign_spf.empty() && !envelope.empty() && !envelope_related) f.foreign_spf = envelope;
    bool aligned_seen = false, aligned_pass = false, foreign_pass = false;
    for (const auto& d : rec.dkim_results) {
        const std::string_view dom = domain_part(d.domain);
        const bool pass = is(d.result, "pass");
        if (!dom.empty() && related(dom)) {
            aligned_seen = true;
            aligned_pass = aligned_pass || pass;
        } else if (!dom.empty()) {
            // The first passing foreign d=, else the first foreign one.
            if (f.foreign_dkim.empty() || (pass && !foreign_pass)) f.foreign_dkim = dom;
            foreign_pass = foreign_pass || pass;
        }
    }
    set(aligned_pass, bit<&M::dkim_aligned_pass>());
    set(aligned_seen && !aligned_pass, bit<&M::dkim_aligned_fail>());
    set(foreign_pass, bit<&M::dkim_foreign_pass>());
    set(rec.dkim_results.empty(), bit<&M::dkim_none>());
    for (const auto& r : rec.reasons) {
        const std::string_view t = r.type;
        if (iequals(t, "forwarded")) on |= bit<&M::reason_forwarded>();
        else if (iequals(t, "trusted_forwarder")) on |= bit<&M::reason_trusted_forwarder>();
        else if (iequals(t, "mailing_list")) on |= bit<&M::reason_mailing_list>();
        else if (iequals(t, "local_policy")) on |= bit<&M::reason_local_policy>();
        else if (iequals(t, "sampled_out")) on |= bit<&M::reason_sampled_out>();
        else on |= bit<&M::reason_other>();
        if (icontains(r.comment, "arc=pass")) on |= bit<&M::reason_arc_pass>();
    }
    // RFC 9990 adds disposition "pass" (the message passed DMARC): delivered, like none.
    if (is(rec.disposition, "quarantine")) on |= bit<&M::disposition_quarantine>();
    else if (is(rec.disposition, "reject")) on |= bit<&M::disposition_reject>();
    else on |= bit<&M::disposition_none>();
    f.on = on;
    return f;
}

void add_scaled(std::int64_t* into, std::uint32_t on, std::int64_t count) {  // into: measure_count measures
    for (; on != 0; on &= on - 1) {
        auto& v = into[static_cast<std::size_t>(__builtin_ctz(on))];
        v = sat_add(v, count);
    }
}

source_measures from_array(const std::array<std::int64_t, measure_count>& v) {
    source_measures m;
    std::size_t i = 0;
    for_each_measure(m, [&](const char*, std::int64_t& x) { x = v[i++]; });
    return m;
}

}  // namespace

void source_measures::add(const source_measures& o, std::int64_t sign) {
    const source_measures* src = &o;
    std::array<std::int64_t, measure_count> vals{};
    int i = 0;
    for_each_measure(*src, [&](const char*, const std::int64_t& v) { vals[i++] = v; });
    i = 0;
    for_each_measure(*this, [&](const char*, std::int64_t& v) { v = sat_add(v, sign * vals[i++]); });
}

bool is_column_measure(std::string_view n) {
    return n == "messages" || n == "dmarc_pass_messages" || n == "spf_aligned_messages" || n == "dkim_aligned_messages" ||
           n == "none_messages" || n == "quarantine_messages" || n == "reject_messages";
}

namespace {

bool get_varint(std::string_view& in, std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (in.empty()) return false;
        const auto b = static_cast<unsigned char>(in.front());
        in.remove_prefix(1);
        v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
        if (!(b & 0x80)) return true;
    }
    return false;
}

}  // namespace

const std::array<bool, measure_count>& column_measure_mask() {
    static const std::array<bool, measure_count> mask = [] {
        std::array<bool, measure_count> m{};
        source_measures any;
        std::size_t i = 0;
        for_each_measure(any, [&](const char* name, std::int64_t&) { m[i++] = is_column_measure(name); });
        return m;
    }();
    return mask;
}

const std::vector<std::size_t>& measure_indexes(bool columns) {
    static const auto lists = [] {
        std::array<std::vector<std::size_t>, 2> out;  // [0]: the others, [1]: the columns
        const auto& mask = column_measure_mask();
        for (std::size_t i = 0; i < measure_count; ++i) out[mask[i] ? 1 : 0].push_back(i);
        return out;
    }();
    return lists[columns ? 1 : 0];
}

const std::string& column_measure_names() {
    static const std::string names = [] {
        std::string out;
        source_measures m;
        for_each_measure(m, [&](const char* name, std::int64_t&) {
            if (!is_column_measure(name)) return;
            if (!out.empty()) out += ", ";
            out += name;
        });
        return out;
    }();
    return names;
}


// Written through a pointer into room sized beforehand (this runs once per fact row at every flush).
std::string_view encode_evidence(const fact_entry& e, const std::vector<std::uint64_t>& reporter_ids, std::string& out) {
    const std::vector<std::size_t>& others = measure_indexes(false);
    const std::size_t room = 1 + 10 * measure_count + 3 * 10 + e.foreign_spf_domain.size() + e.foreign_dkim_domain.size() +
                             10 * reporter_ids.size();
    if (out.size() < room) out.resize(room);  // only grows: no bytes are cleared per row
    char* p = out.data();
    const auto varint = [&p](std::uint64_t v) {
        while (v >= 0x80) {
            *p++ = static_cast<char>((v & 0x7f) | 0x80);
            v >>= 7;
        }
        *p++ = static_cast<char>(v);
    };
    const auto text = [&](std::string_view t) {
        varint(t.size());
        if (!t.empty()) std::memcpy(p, t.data(), t.size());
        p += t.size();
    };
    *p++ = static_cast<char>(evidence_version);
    for (const std::size_t i : others) {
        const std::int64_t v = e.measure(i);
        varint((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
    }
    text(e.foreign_spf_domain);
    text(e.foreign_dkim_domain);
    varint(reporter_ids.size());
    for (const std::uint64_t id : reporter_ids) varint(id);
    return {out.data(), static_cast<std::size_t>(p - out.data())};
}

ip_address fact_entry::source_ip() const {
    ip_address a;
    a.fam = static_cast<ip_address::family>(key[8]);
    std::memcpy(a.bytes.data(), key.data() + 9, 16);
    return a;
}


bool decode_evidence(std::string_view in, source_day_row& row, const std::vector<std::string>& reporter_names) {
    if (in.empty() || static_cast<std::uint8_t>(in.front()) != evidence_version) return false;
    in.remove_prefix(1);
    bool ok = true;
    const auto& columns = column_measure_mask();
    std::size_t i = 0;
    for_each_measure(row.m, [&](const char*, std::int64_t& v) {
        if (columns[i++] || !ok) return;
        std::uint64_t z;
        ok = get_varint(in, z);
        v = static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1));
    });
    for (std::string* d : {&row.foreign_spf_domain, &row.foreign_dkim_domain}) {
        std::uint64_t n;
        if (!ok || !get_varint(in, n) || n > in.size()) return false;
        d->assign(in.substr(0, n));
        in.remove_prefix(n);
    }
    std::uint64_t count;
    if (!ok || !get_varint(in, count) || count > max_row_reporters) return false;
    row.reporters.resize(count);
    for (auto& r : row.reporters) {
        std::uint64_t id;
        if (!get_varint(in, id) || id >= reporter_names.size() || reporter_names[id].empty()) return false;
        r.assign(reporter_names[id]);
    }
    return ok && in.empty();
}

bool related_domain_memo::operator()(std::string_view d) {
    for (std::size_t i = 0; i < used_; ++i)
        if (seen_[i] == d) return answer_[i];
    const bool a = related_domain(d, pd_);
    const std::size_t at = next_++ % seen_.size();
    seen_[at].assign(d);
    answer_[at] = a;
    used_ = std::max(used_, at + 1);
    return a;
}

void related_domain_memo::reset(std::string_view pd) {
    if (pd == pd_) return;
    pd_.assign(pd);
    used_ = 0;
    next_ = 0;
}

bool related_domain(std::string_view domain, std::string_view policy_domain) {
    if (domain.empty() || policy_domain.empty()) return false;
    if (domain.back() == '.') domain.remove_suffix(1);
    // A parent counts only when it has a dot: "com" is never the organization of "example.com".
    return at_or_under(domain, policy_domain) ||
           (domain.find('.') != std::string_view::npos && at_or_under(policy_domain, domain));
}

source_measures measures_of(const report::record& rec, std::string_view policy_domain) {
    related_domain_memo related;
    related.reset(policy_domain);
    std::array<std::int64_t, measure_count> v{};
    add_scaled(v.data(), flags_of(rec, related).on, rec.count);
    return from_array(v);
}

std::vector<day_share> report_days(std::int64_t begin, std::int64_t end) {
    // Receivers end a day at 23:59:59 as often as at the next midnight: hh:mm:59 ends a second
    // later (the range is half-open).
    if (end % 60 == 59 || end % 60 == -1) end = sat_add(end, 1);
    constexpr std::int64_t max_single = 25 * 3600;
    if (end <= begin || end - begin <= max_single) return {{utc::day_of(begin), 1}};
    std::vector<day_share> out;
    const std::int64_t first = utc::day_of(begin), last = utc::day_of(end - 1);
    for (std::int64_t d = first; d <= last && static_cast<std::int64_t>(out.size()) < max_report_days; ++d) {
        const std::int64_t lo = std::max(begin, d * 86400), hi = std::min(end, (d + 1) * 86400);
        if (hi > lo) out.push_back({d, hi - lo});
    }
    if (out.empty()) out.push_back({first, 1});
    return out;
}

std::vector<std::int64_t> split_count(std::int64_t count, const std::vector<day_share>& shares) {
    std::vector<std::int64_t> parts(shares.size(), 0);
    if (shares.size() == 1) {
        parts[0] = count;
        return parts;
    }
    i128 total = 0;
    for (const auto& s : shares) total += s.weight;
    if (total <= 0 || count <= 0) {
        if (!parts.empty()) parts[0] = count;
        return parts;
    }
    std::vector<std::pair<i128, std::size_t>> rem;
    rem.reserve(shares.size());
    std::int64_t given = 0;
    for (std::size_t i = 0; i < shares.size(); ++i) {
        const i128 p = static_cast<i128>(count) * shares[i].weight;
        parts[i] = static_cast<std::int64_t>(p / total);
        given += parts[i];
        rem.emplace_back(p % total, i);
    }
    // Largest remainder first; ties to the earlier day.
    std::stable_sort(rem.begin(), rem.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (std::size_t k = 0; given < count && k < rem.size(); ++k, ++given) ++parts[rem[k].second];
    return parts;
}

namespace {
constexpr std::size_t arena_block_size = 256 * 1024;

std::size_t hash_text(std::string_view s) { return std::hash<std::string_view>{}(s); }
}  // namespace

void fact_accumulator::drop_days_from(std::int32_t day) {
    for (auto& e : entries_)
        if (e.day >= day) e.records = 0;
}

void fact_accumulator::clear() {
    entries_.clear();
    more_reporters_.clear();
    std::fill(slots_.begin(), slots_.end(), 0u);
    arena_used_ = 0;
    arena_block_ = 0;
    if (arena_.size() > 8) arena_.resize(8);  // keep a few blocks for the next batch
    domains_.clear();
    have_last_domain_ = false;
    reporters_.clear();
    reporter_index_.clear();
    reporter_raw_.clear();
    reporter_ = fact_entry::no_reporter;
    reporter_known_ = false;
    cached_end_ = -1;
    cached_begin_ = 0;
}

char* fact_accumulator::allocate(std::size_t n) {
    if (n > arena_block_size) {
        // Longer than a block (capped fields make this impossible; handled anyway).
        arena_.insert(arena_.begin() + static_cast<std::ptrdiff_t>(arena_block_), std::make_unique<char[]>(n));
        char* p = arena_[arena_block_].get();
        ++arena_block_;
        arena_used_ = 0;
        return p;
    }
    if (arena_block_ >= arena_.size() || arena_used_ + n > arena_block_size) {
        if (arena_block_ < arena_.size() && arena_used_ > 0) ++arena_block_;
        if (arena_block_ >= arena_.size()) arena_.push_back(std::make_unique<char[]>(arena_block_size));
        arena_used_ = 0;
    }
    char* p = arena_[arena_block_].get() + arena_used_;
    arena_used_ += n;
    return p;
}

void fact_accumulator::reporters_of(const fact_entry& e, std::vector<std::uint32_t>& out) const {
    out.clear();
    if (e.first_reporter != fact_entry::no_reporter && e.first_reporter_records > 0) out.push_back(e.first_reporter);
    if (e.more == fact_entry::no_reporter) return;
    for (const auto& [reporter, records] : more_reporters_[e.more])
        if (records > 0) out.push_back(reporter);
}

std::int64_t* fact_accumulator::allocate_measures() {
    constexpr std::size_t bytes = measure_count * sizeof(std::int64_t);
    char* p = allocate(bytes + alignof(std::int64_t) - 1);
    const auto at = reinterpret_cast<std::uintptr_t>(p);
    auto* v = reinterpret_cast<std::int64_t*>((at + alignof(std::int64_t) - 1) & ~(std::uintptr_t{alignof(std::int64_t)} - 1));
    std::fill(v, v + measure_count, std::int64_t{0});
    return v;
}

std::string_view fact_accumulator::keep(std::string_view text) {
    if (text.empty()) return {};
    char* p = allocate(text.size());
    std::memcpy(p, text.data(), text.size());
    return {p, text.size()};
}

namespace {
// a < b with a lower-cased first (b is lower-case already).
bool lowered_less(std::string_view a, std::string_view b) {
    const std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        const char x = lower(a[i]);
        if (x != b[i]) return static_cast<unsigned char>(x) < static_cast<unsigned char>(b[i]);
    }
    return a.size() < b.size();
}
}  // namespace

std::string_view fact_accumulator::keep_lowered(std::string_view text) {
    if (text.empty()) return {};
    char* p = allocate(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) p[i] = lower(text[i]);
    return {p, text.size()};
}

void fact_accumulator::grow() {
    const std::size_t n = slots_.empty() ? 1024 : slots_.size() * 2;
    std::vector<std::uint64_t> old(n, 0u);
    old.swap(slots_);
    for (const std::uint64_t slot : old) {
        if (slot == 0) continue;
        // The tag is the hash's high half: the slot is found again from it and the entry's hash.
        const std::size_t h = hash_text(entries_[(slot & 0xffffffffu) - 1].key);
        std::size_t at = h & (n - 1);
        while (slots_[at] != 0) at = (at + 1) & (n - 1);
        slots_[at] = slot;
    }
}

fact_entry& fact_accumulator::find_or_add(std::string_view key, std::size_t hash, bool& fresh) {
    if ((entries_.size() + 1) * 2 > slots_.size()) grow();
    const std::size_t mask = slots_.size() - 1;
    const std::uint64_t tag = static_cast<std::uint64_t>(hash >> 32) << 32;
    std::size_t at = hash & mask;
    while (slots_[at] != 0) {
        const std::uint64_t slot = slots_[at];
        if ((slot & ~std::uint64_t{0xffffffffu}) == tag) {
            fact_entry& e = entries_[(slot & 0xffffffffu) - 1];
            if (e.key == key) {
                fresh = false;
                return e;
            }
        }
        at = (at + 1) & mask;
    }
    fresh = true;
    entries_.emplace_back();
    slots_[at] = tag | static_cast<std::uint32_t>(entries_.size());
    fact_entry& e = entries_.back();
    e.key = keep(key);
    return e;
}

std::uint32_t fact_accumulator::domain_slot(const std::string& pd) {
    if (have_last_domain_ && pd == last_domain_) return last_domain_slot_;
    std::uint32_t i = 0;
    while (i < domains_.size() && domains_[i] != pd) ++i;  // a batch names few domains
    if (i == domains_.size()) domains_.push_back(pd);
    last_domain_ = pd;
    last_domain_slot_ = i;
    have_last_domain_ = true;
    return i;
}

std::vector<const fact_entry*> fact_accumulator::by_domain() const {
    std::vector<std::uint32_t> order(domains_.size());
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return domains_[a] < domains_[b]; });
    std::vector<std::size_t> start(domains_.size() + 1, 0);
    for (const auto& e : entries_) ++start[e.domain + 1];
    // start[d] = where domain d's rows begin, domains in name order.
    std::vector<std::size_t> at(domains_.size(), 0);
    std::size_t pos = 0;
    for (const std::uint32_t d : order) {
        at[d] = pos;
        pos += start[d + 1];
    }
    std::vector<const fact_entry*> out(entries_.size());
    for (const auto& e : entries_) out[at[e.domain]++] = &e;
    return out;
}

void fact_accumulator::add_record(const report::report_header& h, const report::record& rec, std::int64_t sign) {
    const auto& meta = h.metadata;
    if (meta.begin != cached_begin_ || meta.end != cached_end_ || shares_.empty()) {
        cached_begin_ = meta.begin;
        cached_end_ = meta.end;
        shares_ = report_days(meta.begin, meta.end);
    }
    const std::string& pd = h.policy.domain;
    const std::uint32_t domain = domain_slot(pd);
    if (!reporter_known_ || reporter_raw_ != meta.org_name) {
        reporter_known_ = true;
        reporter_raw_ = meta.org_name;
        std::string text = meta.org_name;
        std::replace(text.begin(), text.end(), '\0', '?');
        if (text.empty()) {
            reporter_ = fact_entry::no_reporter;  // a report without org_name names no reporter
        } else if (const auto known = reporter_index_.find(text); known != reporter_index_.end()) {
            reporter_ = known->second;
        } else {
            reporter_ = static_cast<std::uint32_t>(reporters_.size());
            reporters_.push_back(keep(text));
            reporter_index_.emplace(reporters_.back(), reporter_);
        }
    }
    // The key: domain slot, day, address family and bytes, then the header_from domain lower-cased.
    // Fixed-width fields first, so no field needs a separator.
    const std::string_view hf = domain_part(rec.header_from);
    constexpr std::size_t fixed = fact_entry::key_fixed;
    probe_.resize(fixed + hf.size());
    char* k = probe_.data();
    std::memcpy(k, &domain, 4);
    k[8] = static_cast<char>(rec.source_ip.fam);
    std::memcpy(k + 9, rec.source_ip.bytes.data(), 16);
    for (std::size_t i = 0; i < hf.size(); ++i) k[fixed + i] = hf[i] == '\0' ? '?' : lower(hf[i]);  // text stays C-safe
    const auto set_day = [&](std::size_t i) {
        const auto day = static_cast<std::int32_t>(shares_[i].day);
        std::memcpy(k + 4, &day, 4);
    };
    // A one-day report's key is known before its flags: the probe's slot is fetched while they are
    // worked out (the table is larger than the cache, and the fetch was most of the probe's cost).
    std::size_t first_hash = 0;
    if (shares_.size() == 1) {
        set_day(0);
        first_hash = hash_text(probe_);
        if (!slots_.empty()) __builtin_prefetch(&slots_[first_hash & (slots_.size() - 1)]);
    }
    memo_.reset(pd);
    const record_flags f = flags_of(rec, memo_);
    const auto add_part = [&](std::int64_t count, std::size_t hash) {
        const std::string_view key(probe_);
        bool fresh = false;
        fact_entry& e = find_or_add(key, hash, fresh);
        if (fresh) {
            e.domain = domain;
            std::memcpy(&e.day, k + 4, 4);
            e.on = f.on;
        }
        if (!e.spilled && e.on != f.on) {
            // Records of other flags: the row keeps every measure from now on.
            e.spilled = allocate_measures();
            add_scaled(e.spilled, e.on, e.count);
        }
        if (e.spilled) add_scaled(e.spilled, f.on, sign * count);
        else e.count = sat_add(e.count, sign * count);
        e.records += sign;
        if (reporter_ == fact_entry::no_reporter) {
        } else if (e.first_reporter == fact_entry::no_reporter || e.first_reporter == reporter_) {
            e.first_reporter = reporter_;
            e.first_reporter_records += sign;
        } else {
            if (e.more == fact_entry::no_reporter) {
                e.more = static_cast<std::uint32_t>(more_reporters_.size());
                more_reporters_.emplace_back();
            }
            auto& more = more_reporters_[e.more];
            const auto known = std::find_if(more.begin(), more.end(), [&](const auto& m) { return m.first == reporter_; });
            if (known != more.end()) known->second += sign;
            else if (1 + more.size() < max_row_reporters) more.emplace_back(reporter_, sign);
        }
        // Of the foreign domains a row meets, the smallest (byte order, lower-cased): a choice
        // that does not depend on the order the records come in, so that workers ingesting the
        // same reports in any order, and in any batches, store rows that read the same.
        if (!f.foreign_spf.empty() && (e.foreign_spf_domain.empty() || lowered_less(f.foreign_spf, e.foreign_spf_domain)))
            e.foreign_spf_domain = keep_lowered(f.foreign_spf);
        if (!f.foreign_dkim.empty() && (e.foreign_dkim_domain.empty() || lowered_less(f.foreign_dkim, e.foreign_dkim_domain)))
            e.foreign_dkim_domain = keep_lowered(f.foreign_dkim);
    };
    if (shares_.size() == 1) {
        add_part(rec.count, first_hash);
        return;
    }
    const std::vector<std::int64_t> parts = split_count(rec.count, shares_);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        // A record's zero-message parts are no fact (but a record of count 0 is seen on its day).
        if (parts[i] == 0 && !(i == 0 && rec.count == 0)) continue;
        set_day(i);
        add_part(parts[i], hash_text(probe_));
    }
}

}  // namespace dmarcsight::store
