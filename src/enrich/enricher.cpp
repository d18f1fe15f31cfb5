#include "enrich/enricher.hpp"

#include <algorithm>
#include <limits>
#include <variant>

#include "core/limits.hpp"
#include "core/time.hpp"

namespace dmarcsight::enrich {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

bool valid_label_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

std::int64_t ok_ttl(std::int64_t record_ttl, const enrich_options& o) {
    if (o.ttl_days && *o.ttl_days > 0) return static_cast<std::int64_t>(*o.ttl_days) * 86'400;
    return std::clamp(record_ttl, limits::enrich_min_ttl, limits::enrich_max_ttl);
}

bool failed_temporarily(const dns::answer& a) {
    return a.status == dns::rcode::timeout || a.status == dns::rcode::servfail || a.status == dns::rcode::refused ||
           a.status == dns::rcode::formerr;
}

}  // namespace

std::string reverse_name(const ip_address& ip) {
    std::string out;
    if (ip.is_v4()) {
        for (int i = 3; i >= 0; --i) out += std::to_string(ip.bytes[i]) + ".";
        return out + "in-addr.arpa";
    }
    for (int i = 15; i >= 0; --i) {
        out.push_back(hex_digits[ip.bytes[i] & 0x0f]);
        out.push_back('.');
        out.push_back(hex_digits[ip.bytes[i] >> 4]);
        out.push_back('.');
    }
    return out + "ip6.arpa";
}

std::optional<std::string> clean_ptr_name(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    if (name.empty() || name.size() > limits::enrich_max_ptr_name) return std::nullopt;
    std::string out;
    out.reserve(name.size());
    std::size_t label = 0;
    for (char c : name) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c == '.') {
            if (label == 0) return std::nullopt;  // empty label
            label = 0;
        } else {
            // Escaped bytes ("\.", "\000"), spaces, controls and non-ASCII are not host names.
            if (!valid_label_char(c)) return std::nullopt;
            if (++label > limits::max_dns_label) return std::nullopt;
        }
        out.push_back(c);
    }
    if (label == 0) return std::nullopt;
    return out;
}

resolver_check check_resolver(dns::resolver& r) {
    resolver_check c;
    const std::vector<dns::question> qs = {{".", dns::rr_type::soa}, {"in-addr.arpa", dns::rr_type::ns}};
    const auto answers = r.query_many(qs);
    for (std::size_t i = 0; i < qs.size(); ++i) {
        const auto& a = answers[i];
        const std::string what = qs[i].name == "." ? std::string("the root SOA") : "the NS of " + qs[i].name;
        if (a.status == dns::rcode::nxdomain) {
            c.detail = "the resolver says " + what + " does not exist (NXDOMAIN): a broken or captive resolver";
            return c;
        }
        if (a.status != dns::rcode::noerror) {
            c.detail = "the resolver did not answer " + what + (a.detail.empty() ? std::string() : ": " + a.detail);
            return c;
        }
    }
    c.trusted = true;
    c.detail = "answers the root SOA and in-addr.arpa";
    return c;
}

enricher::enricher(dns::resolver* dns, geo_db* geo, const auth::public_suffix_list* psl, enrich_options options)
    : dns_(dns), geo_(geo), psl_(psl ? psl : auth::public_suffix_list::system()), options_(std::move(options)) {}

std::int64_t enricher::now() const { return options_.now != 0 ? options_.now : utc::now(); }

const resolver_check& enricher::check() {
    if (!check_) {
        if (dns_) check_ = check_resolver(*dns_);
        else check_ = resolver_check{false, "offline: no DNS asked"};
    }
    return *check_;
}

std::vector<store::ip_info> enricher::enrich(const std::vector<std::string>& ips) {
    std::vector<store::ip_info> out;
    out.reserve(ips.size());
    if (dns_) check();
    for (std::size_t from = 0; from < ips.size(); from += limits::enrich_batch) {
        const std::size_t to = std::min(ips.size(), from + limits::enrich_batch);
        enrich_batch(ips, from, to, out);
        if (options_.progress) options_.progress(to, ips.size());
    }
    return out;
}

void enricher::enrich_batch(const std::vector<std::string>& ips, std::size_t from, std::size_t to,
                            std::vector<store::ip_info>& out) {
    const std::int64_t t = now();
    const std::size_t first = out.size();
    std::vector<std::optional<ip_address>> parsed;
    parsed.reserve(to - from);
    for (std::size_t i = from; i < to; ++i) {
        store::ip_info row;
        row.ip = ips[i];
        row.checked_at = t;
        parsed.push_back(ip_address::parse(ips[i]));
        if (parsed.back()) row.ip = parsed.back()->to_string();
        if (parsed.back() && geo_) {
            if (auto g = geo_->lookup(*parsed.back())) {
                row.asn = g->asn;
                row.as_name = std::move(g->as_name);
                row.country = std::move(g->country);
                ++counts_.geo_found;
            }
        }
        out.push_back(std::move(row));
    }
    counts_.looked_up += to - from;

    auto finish_error = [&](store::ip_info& row) {
        row.status = status_error;
        row.expires_at = t + limits::enrich_error_ttl;
        ++counts_.errors;
    };

    if (!dns_) {
        for (std::size_t k = 0; k < parsed.size(); ++k) {
            auto& row = out[first + k];
            row.status = status_geo_only;
            row.expires_at = t;  // a run with DNS looks it up
        }
        return;
    }
    const bool trusted = check().trusted;

    // 1. PTR of every address.
    std::vector<dns::question> ptr_qs;
    std::vector<std::size_t> ptr_of;  // question → k
    for (std::size_t k = 0; k < parsed.size(); ++k) {
        if (!parsed[k]) continue;
        ptr_qs.push_back({reverse_name(*parsed[k]), dns::rr_type::ptr});
        ptr_of.push_back(k);
    }
    const auto ptr_answers = dns_->query_many(ptr_qs);

    // 2. A / AAAA of each IP's first few valid targets.
    struct pending {
        std::vector<std::string> targets;
        std::int64_t ttl = limits::enrich_min_ttl;
    };
    std::vector<pending> per(parsed.size());
    std::vector<dns::question> fwd_qs;
    std::vector<std::pair<std::size_t, std::size_t>> fwd_of;  // question → (k, target index)
    for (std::size_t q = 0; q < ptr_qs.size(); ++q) {
        const std::size_t k = ptr_of[q];
        auto& row = out[first + k];
        const dns::answer& a = ptr_answers[q];
        if (failed_temporarily(a)) {
            finish_error(row);
            continue;
        }
        if (a.is_void()) {
            if (!trusted) {
                finish_error(row);  // a negative answer we cannot believe
                continue;
            }
            row.status = status_no_ptr;
            row.expires_at = t + ok_ttl(limits::enrich_min_ttl, options_);
            ++counts_.no_ptr;
            continue;
        }
        row.status = status_ok;
        std::int64_t ttl = std::numeric_limits<std::int64_t>::max();
        for (const auto& rr : a.records) {
            ttl = std::min<std::int64_t>(ttl, rr.ttl);
            if (per[k].targets.size() >= limits::enrich_max_ptr_targets) continue;
            const auto* target = std::get_if<std::string>(&rr.data);
            if (!target) continue;
            auto clean = clean_ptr_name(*target);
            if (!clean || std::find(per[k].targets.begin(), per[k].targets.end(), *clean) != per[k].targets.end()) continue;
            per[k].targets.push_back(std::move(*clean));
        }
        per[k].ttl = ttl == std::numeric_limits<std::int64_t>::max() ? limits::enrich_min_ttl : ttl;
        const auto type = parsed[k]->is_v4() ? dns::rr_type::a : dns::rr_type::aaaa;
        for (std::size_t j = 0; j < per[k].targets.size(); ++j) {
            fwd_qs.push_back({per[k].targets[j], type});
            fwd_of.emplace_back(k, j);
        }
    }
    const auto fwd_answers = dns_->query_many(fwd_qs);

    // 3. Forward confirmation: the first target whose addresses include the IP.
    std::vector<std::optional<std::size_t>> confirmed(parsed.size());
    std::vector<bool> fwd_failed(parsed.size(), false);
    for (std::size_t q = 0; q < fwd_qs.size(); ++q) {
        const auto [k, j] = fwd_of[q];
        const dns::answer& a = fwd_answers[q];
        if (failed_temporarily(a)) {
            fwd_failed[k] = true;
            continue;
        }
        for (const auto& rr : a.records) {
            const auto* addr = std::get_if<ip_address>(&rr.data);
            if (addr && *addr == *parsed[k] && (!confirmed[k] || j < *confirmed[k])) confirmed[k] = j;
        }
    }
    for (std::size_t k = 0; k < parsed.size(); ++k) {
        auto& row = out[first + k];
        if (row.status != status_ok) continue;
        if (!per[k].targets.empty()) row.ptr = per[k].targets[confirmed[k].value_or(0)];
        row.fcrdns = confirmed[k].has_value();
        if (!row.ptr.empty() && psl_) row.base_domain = psl_->registrable_domain(row.ptr).value_or("");
        if (!row.fcrdns && fwd_failed[k]) {
            // Not confirmed only because a forward lookup failed: ask again soon (the PTR is kept).
            finish_error(row);
            continue;
        }
        row.expires_at = t + ok_ttl(per[k].ttl, options_);
        ++counts_.ptr_found;
        if (row.fcrdns) ++counts_.forward_confirmed;
    }
    // Addresses that do not parse cannot get better by asking again.
    for (std::size_t k = 0; k < parsed.size(); ++k) {
        if (parsed[k]) continue;
        auto& row = out[first + k];
        row.status = status_error;
        row.expires_at = t + limits::enrich_max_ttl;
        ++counts_.errors;
    }
}

}  // namespace dmarcsight::enrich
