#include "store/facts.hpp"

#include <algorithm>
#include <limits>
#include <numeric>

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

void hash_mix(std::size_t& h, std::string_view s) {
    h ^= std::hash<std::string_view>{}(s) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
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
    const auto at = s.rfind('@');
    if (at != std::string_view::npos) s.remove_prefix(at + 1);
    if (!s.empty() && s.back() == '.') s.remove_suffix(1);
    return s;
}

// Is `a` equal to `b` or a subdomain of it (case-insensitive)?
bool at_or_under(std::string_view a, std::string_view b) {
    if (b.empty() || a.size() < b.size()) return false;
    if (!iequals(a.substr(a.size() - b.size()), b)) return false;
    return a.size() == b.size() || a[a.size() - b.size() - 1] == '.';
}

std::string lowered(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = lower(c);
    return out;
}

const report::spf_auth_result* mfrom_result(const report::record& rec) {
    for (const auto& s : rec.spf_results)
        if (s.scope.empty() || s.scope == "mfrom") return &s;
    return rec.spf_results.empty() ? nullptr : &rec.spf_results.front();
}

// Per-record flags: which measures a message of this record counts in.
struct record_flags {
    std::array<bool, measure_count> on{};
    std::string_view foreign_spf, foreign_dkim;  // into the record (lower-cased when stored)
};

record_flags flags_of(const report::record& rec, std::string_view pd) {
    record_flags f;
    source_measures m;
    const bool dkim_pe = rec.dkim == "pass", spf_pe = rec.spf == "pass";
    m.messages = 1;
    m.dmarc_pass = dkim_pe || spf_pe;
    m.spf_aligned = spf_pe;
    m.dkim_aligned = dkim_pe;
    const auto* spf = mfrom_result(rec);
    std::string_view envelope = domain_part(rec.envelope_from);
    if (envelope.empty() && spf) envelope = domain_part(spf->domain);
    m.envelope_aligned = !envelope.empty() && related_domain(envelope, pd);
    if (spf) {
        const std::string_view d = domain_part(spf->domain);
        const bool foreign = !d.empty() && !related_domain(d, pd);
        m.spf_pass = spf->result == "pass";
        m.spf_pass_foreign = m.spf_pass && foreign;
        m.spf_fail = spf->result == "fail" || spf->result == "softfail";
        if (foreign) f.foreign_spf = d;
    }
    if (f.foreign_spf.empty() && !envelope.empty() && !related_domain(envelope, pd)) f.foreign_spf = envelope;
    bool aligned_seen = false, aligned_pass = false, foreign_pass = false;
    for (const auto& d : rec.dkim_results) {
        const std::string_view dom = domain_part(d.domain);
        const bool pass = d.result == "pass";
        if (!dom.empty() && related_domain(dom, pd)) {
            aligned_seen = true;
            aligned_pass = aligned_pass || pass;
        } else if (!dom.empty()) {
            // The first passing foreign d=, else the first foreign one.
            if (f.foreign_dkim.empty() || (pass && !foreign_pass)) f.foreign_dkim = dom;
            foreign_pass = foreign_pass || pass;
        }
    }
    m.dkim_aligned_pass = aligned_pass;
    m.dkim_aligned_fail = aligned_seen && !aligned_pass;
    m.dkim_foreign_pass = foreign_pass;
    m.dkim_none = rec.dkim_results.empty();
    for (const auto& r : rec.reasons) {
        const std::string_view t = r.type;
        if (iequals(t, "forwarded")) m.reason_forwarded = 1;
        else if (iequals(t, "trusted_forwarder")) m.reason_trusted_forwarder = 1;
        else if (iequals(t, "mailing_list")) m.reason_mailing_list = 1;
        else if (iequals(t, "local_policy")) m.reason_local_policy = 1;
        else if (iequals(t, "sampled_out")) m.reason_sampled_out = 1;
        else m.reason_other = 1;
        if (icontains(r.comment, "arc=pass")) m.reason_arc_pass = 1;
    }
    // RFC 9990 adds disposition "pass" (the message passed DMARC): delivered, like none.
    if (rec.disposition == "quarantine") m.disposition_quarantine = 1;
    else if (rec.disposition == "reject") m.disposition_reject = 1;
    else m.disposition_none = 1;
    int i = 0;
    for_each_measure(m, [&](const char*, std::int64_t v) { f.on[i++] = v != 0; });
    return f;
}

void add_scaled(source_measures& into, const record_flags& f, std::int64_t count) {
    int i = 0;
    for_each_measure(into, [&](const char*, std::int64_t& v) {
        if (f.on[i++]) v = sat_add(v, count);
    });
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

std::size_t source_day_key_hash::operator()(const source_day_key& k) const noexcept {
    std::size_t h = 0;
    hash_mix(h, k.policy_domain);
    hash_mix(h, k.source_ip);
    hash_mix(h, k.day);
    hash_mix(h, k.header_from);
    return h;
}

std::size_t source_reporter_key_hash::operator()(const source_reporter_key& k) const noexcept {
    std::size_t h = 0;
    hash_mix(h, k.policy_domain);
    hash_mix(h, k.source_ip);
    hash_mix(h, k.reporter);
    return h;
}

bool related_domain(std::string_view domain, std::string_view policy_domain) {
    if (domain.empty() || policy_domain.empty()) return false;
    if (domain.back() == '.') domain.remove_suffix(1);
    // A parent counts only when it has a dot: "com" is never the organization of "example.com".
    return at_or_under(domain, policy_domain) ||
           (domain.find('.') != std::string_view::npos && at_or_under(policy_domain, domain));
}

source_measures measures_of(const report::record& rec, std::string_view policy_domain) {
    source_measures m;
    add_scaled(m, flags_of(rec, policy_domain), rec.count);
    return m;
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

void fact_accumulator::clear() {
    days_.clear();
    reporters_.clear();
    cached_end_ = -1;
    cached_begin_ = 0;
}

void fact_accumulator::add_record(const report::report_header& h, const report::record& rec, std::int64_t sign) {
    const auto& meta = h.metadata;
    if (meta.begin != cached_begin_ || meta.end != cached_end_ || day_text_.empty()) {
        cached_begin_ = meta.begin;
        cached_end_ = meta.end;
        shares_ = report_days(meta.begin, meta.end);
        day_text_.clear();
        for (const auto& s : shares_) day_text_.push_back(utc::format_date(s.day * 86400));
    }
    const std::string& pd = h.policy.domain;
    const record_flags f = flags_of(rec, pd);
    const std::vector<std::int64_t> parts = split_count(rec.count, shares_);

    probe_.policy_domain = pd;
    probe_.source_ip.clear();
    rec.source_ip.append_to(probe_.source_ip);
    probe_.header_from.assign(domain_part(rec.header_from));
    for (auto& c : probe_.header_from) c = lower(c);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        // A record's zero-message parts are no fact (but a record of count 0 is seen on its day).
        if (parts[i] == 0 && !(i == 0 && rec.count == 0)) continue;
        probe_.day = day_text_[i];
        auto it = days_.find(probe_);
        if (it == days_.end()) {
            source_day_row row;
            row.key = probe_;
            it = days_.emplace(probe_, std::move(row)).first;
        }
        source_day_row& row = it->second;
        add_scaled(row.m, f, sign * parts[i]);
        row.records += sign;
        if (row.foreign_spf_domain.empty() && !f.foreign_spf.empty()) row.foreign_spf_domain = lowered(f.foreign_spf);
        if (row.foreign_dkim_domain.empty() && !f.foreign_dkim.empty()) row.foreign_dkim_domain = lowered(f.foreign_dkim);
    }
    rprobe_.policy_domain = pd;
    rprobe_.source_ip = probe_.source_ip;
    rprobe_.reporter = meta.org_name;
    auto rit = reporters_.find(rprobe_);
    const bool inserted = rit == reporters_.end();
    if (inserted) rit = reporters_.emplace(rprobe_, source_reporter_row{}).first;
    source_reporter_row& r = rit->second;
    if (inserted) {
        r.key = rprobe_;
        r.first_day = day_text_.front();
        r.last_day = day_text_.back();
    } else {
        r.first_day = std::min(r.first_day, day_text_.front());
        r.last_day = std::max(r.last_day, day_text_.back());
    }
    r.messages = sat_add(r.messages, sign * rec.count);
    r.records += sign;
}

}  // namespace dmarcsight::store
