#include "auth/org_domain.hpp"

#include <libpsl.h>

#include <cstdlib>
#include <mutex>

#include "core/limits.hpp"
#include "core/text.hpp"

#ifndef DMARCSIGHT_PSL_FILE
#define DMARCSIGHT_PSL_FILE "/usr/share/publicsuffix/public_suffix_list.dat"
#endif

namespace dmarcsight::auth {

// ---- PSL ---------------------------------------------------------------------------------------

void public_suffix_list::deleter::operator()(void* p) const {
    // psl_builtin() must not be freed; psl_free ignores it (libpsl docs), but be explicit.
    if (p != nullptr && p != psl_builtin()) psl_free(static_cast<psl_ctx_t*>(p));
}

result<public_suffix_list> public_suffix_list::load_file(const std::string& path) {
    psl_ctx_t* ctx = psl_load_file(path.c_str());
    if (ctx == nullptr) return fail("cannot load the public suffix list " + text::for_terminal(path));
    public_suffix_list out;
    out.ctx_ = std::shared_ptr<void>(ctx, deleter{});
    return out;
}

const public_suffix_list* public_suffix_list::system() {
    static const std::optional<public_suffix_list> list = []() -> std::optional<public_suffix_list> {
        auto loaded = load_file(DMARCSIGHT_PSL_FILE);
        if (loaded) return std::move(loaded).value();
        const psl_ctx_t* builtin = psl_builtin();
        if (builtin == nullptr) return std::nullopt;
        public_suffix_list out;
        // The built-in context is static data: never freed.
        out.ctx_ = std::shared_ptr<void>(const_cast<psl_ctx_t*>(builtin), [](void*) {});
        return out;
    }();
    return list ? &*list : nullptr;
}

namespace {
// libpsl wants lower-case UTF-8; ASCII folding is done by us, non-ASCII by libpsl (with its IDN
// library) when present.
std::optional<std::string> psl_key(std::string_view domain) {
    std::string d(text::trim(domain));
    if (d.empty() || d.front() == '.' || d.size() > limits::max_domain_length + 1) return std::nullopt;
    if (d.find('\0') != std::string::npos) return std::nullopt;
    if (d.back() == '.') d.pop_back();
    if (d.empty()) return std::nullopt;
    bool ascii = true;
    for (char c : d) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    if (ascii) return text::ascii_lower(d);
    char* lower = nullptr;
    if (psl_str_to_utf8lower(d.c_str(), "utf-8", nullptr, &lower) != PSL_SUCCESS || lower == nullptr) {
        return std::nullopt;
    }
    std::string out(lower);
    psl_free_string(lower);
    return out;
}
}  // namespace

std::optional<std::string> public_suffix_list::registrable_domain(std::string_view domain) const {
    const auto key = psl_key(domain);
    if (!key || !ctx_) return std::nullopt;
    const char* r = psl_registrable_domain(static_cast<const psl_ctx_t*>(ctx_.get()), key->c_str());
    if (r == nullptr) return std::nullopt;
    return std::string(r);  // r points into key
}

bool public_suffix_list::is_public_suffix(std::string_view domain) const {
    const auto key = psl_key(domain);
    if (!key || !ctx_) return false;
    return psl_is_public_suffix(static_cast<const psl_ctx_t*>(ctx_.get()), key->c_str()) != 0;
}

std::string psl_organizational_domain(const public_suffix_list& psl, std::string_view domain) {
    if (auto r = psl.registrable_domain(domain)) return text::normalize_domain(*r);
    return text::normalize_domain(domain);
}

// ---- names -------------------------------------------------------------------------------------

std::size_t label_count(std::string_view domain) {
    if (domain.empty()) return 0;
    std::size_t n = 1;
    for (char c : domain) n += c == '.' ? 1 : 0;
    return n;
}

bool is_subdomain_or_self(std::string_view child, std::string_view parent) {
    if (parent.empty()) return true;
    if (child.size() < parent.size()) return false;
    if (!text::iequals(child.substr(child.size() - parent.size()), parent)) return false;
    return child.size() == parent.size() || child[child.size() - parent.size() - 1] == '.';
}

std::string join_txt(const dns::resource_record& rr) {
    const auto* t = std::get_if<dns::txt_rdata>(&rr.data);
    if (t == nullptr) return {};
    std::string out;
    for (const auto& s : t->strings) out += s;
    return out;
}

namespace {
// `domain` without its `n` leftmost labels.
std::string_view drop_labels(std::string_view domain, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        const auto dot = domain.find('.');
        if (dot == std::string_view::npos) return {};
        domain.remove_prefix(dot + 1);
    }
    return domain;
}
}  // namespace

std::vector<std::string> tree_walk_names(std::string_view domain_in) {
    const std::string domain = text::normalize_domain(domain_in);
    std::vector<std::string> out;
    std::size_t labels = label_count(domain);
    if (labels == 0) return out;
    out.push_back(domain);
    std::string_view cur = domain;
    // RFC 9989 §4.10 step 4: x >= 8 → strip to 7 labels; else one label. Then step 7: one label
    // at a time. Bounded: at most max_tree_walk_queries names.
    while (labels > 1 && out.size() < limits::max_tree_walk_queries) {
        const std::size_t drop = labels >= limits::max_tree_walk_queries ? labels - limits::tree_walk_shortcut_labels : 1;
        cur = drop_labels(cur, drop);
        labels -= drop;
        out.emplace_back(cur);
    }
    return out;
}

dmarc_lookup lookup_dmarc(dns::resolver& dns, std::string_view domain, dmarc_mode mode) {
    dmarc_lookup out;
    out.domain = text::normalize_domain(domain);
    const dns::answer a = dns.query("_dmarc." + out.domain, dns::rr_type::txt);
    out.status = a.status;
    out.detail = a.detail;
    std::size_t seen = 0;
    for (const auto& rr : a.records) {
        if (rr.type != dns::rr_type::txt) continue;
        if (++seen > limits::max_txt_records_per_name) break;
        std::string txt = join_txt(rr);
        if (is_dmarc_record(txt)) out.dmarc_texts.push_back(std::move(txt));
        else out.other_texts.push_back(std::move(txt));
    }
    if (out.dmarc_texts.size() == 1) out.parsed = parse_dmarc_record(out.dmarc_texts.front(), mode);
    return out;
}

tree_walk dns_tree_walk(dns::resolver& dns, std::string_view start, dmarc_mode mode) {
    tree_walk walk;
    walk.start = text::normalize_domain(start);
    for (const auto& name : tree_walk_names(walk.start)) {
        walk.steps.push_back(lookup_dmarc(dns, name, mode));
        const auto& step = walk.steps.back();
        if (step.temporary_failure()) {
            walk.temporary_failure = true;
            break;
        }
        // RFC 9989 §4.10 steps 2 and 6.
        if (step.found() && step.psd() != psd_flag::u) break;
    }
    return walk;
}

std::string select_organizational_domain(const tree_walk& walk) {
    // Steps are in walk order = longest name first.
    const dmarc_lookup* fewest = nullptr;
    for (std::size_t i = 0; i < walk.steps.size(); ++i) {
        const auto& s = walk.steps[i];
        if (!s.found()) continue;
        if (s.psd() == psd_flag::n) return s.domain;
        if (s.psd() == psd_flag::y && s.domain != walk.start) {
            // One label below the PSD, on the way from the start: the start with all but
            // (labels of PSD + 1) labels dropped.
            const std::size_t want = label_count(s.domain) + 1;
            const std::size_t have = label_count(walk.start);
            return std::string(drop_labels(walk.start, have - want));
        }
        fewest = &s;
    }
    return fewest != nullptr ? fewest->domain : walk.start;
}

std::string organizational_domain(dns::resolver& dns, std::string_view domain) {
    return select_organizational_domain(dns_tree_walk(dns, domain));
}

namespace {
std::optional<std::string> alignment_key(std::string_view d) {
    std::string n = text::normalize_domain(d);
    if (!looks_like_domain(n)) return std::nullopt;
    return n;
}
}  // namespace

bool aligned_psl(const public_suffix_list& psl, std::string_view a, std::string_view b, alignment_mode mode) {
    const auto ka = alignment_key(a), kb = alignment_key(b);
    if (!ka || !kb) return false;
    if (mode == alignment_mode::s) return *ka == *kb;
    return psl_organizational_domain(psl, *ka) == psl_organizational_domain(psl, *kb);
}

bool aligned_tree_walk(dns::resolver& dns, std::string_view a, std::string_view b, alignment_mode mode) {
    const auto ka = alignment_key(a), kb = alignment_key(b);
    if (!ka || !kb) return false;
    if (*ka == *kb) return true;
    if (mode == alignment_mode::s) return false;
    return organizational_domain(dns, *ka) == organizational_domain(dns, *kb);
}

const dmarc_lookup* policy_discovery::applied() const {
    if (policy_domain.empty()) return nullptr;
    for (const auto& l : lookups) {
        if (l.domain == policy_domain && l.found()) return &l;
    }
    return nullptr;
}

policy_discovery discover_policy(dns::resolver& dns, std::string_view author_domain, dmarc_mode mode,
                                 bool author_exists, const public_suffix_list* psl) {
    policy_discovery out;
    out.author_domain = text::normalize_domain(author_domain);
    const dmarc_lookup* chosen = nullptr;
    if (mode == dmarc_mode::rfc7489) {
        // RFC 7489 §6.6.3: the author domain, then the PSL organizational domain.
        if (psl == nullptr) psl = public_suffix_list::system();
        out.organizational_domain = psl != nullptr ? psl_organizational_domain(*psl, out.author_domain) : out.author_domain;
        out.lookups.push_back(lookup_dmarc(dns, out.author_domain, mode));
        if (out.lookups.back().temporary_failure()) {
            out.temporary_failure = true;
            return out;
        }
        if (out.lookups.back().found()) {
            out.source = policy_source::author_domain;
        } else if (out.organizational_domain != out.author_domain) {
            out.lookups.push_back(lookup_dmarc(dns, out.organizational_domain, mode));
            if (out.lookups.back().temporary_failure()) {
                out.temporary_failure = true;
                return out;
            }
            if (out.lookups.back().found()) out.source = policy_source::organizational_domain;
        }
        if (out.source != policy_source::none) chosen = &out.lookups.back();
    } else {
        tree_walk walk = dns_tree_walk(dns, out.author_domain, mode);
        out.temporary_failure = walk.temporary_failure;
        out.organizational_domain = select_organizational_domain(walk);
        out.lookups = std::move(walk.steps);
        if (!out.lookups.empty() && out.lookups.front().found()) {
            out.source = policy_source::author_domain;
            chosen = &out.lookups.front();
        } else if (!out.temporary_failure) {
            // RFC 9989 §4.10.1: the Organizational Domain's record, else the PSD's (psd=y).
            for (const auto& l : out.lookups) {
                if (l.found() && l.domain == out.organizational_domain) {
                    out.source = policy_source::organizational_domain;
                    chosen = &l;
                }
            }
            if (chosen == nullptr) {
                for (const auto& l : out.lookups) {
                    if (l.found() && l.psd() == psd_flag::y) {
                        out.source = policy_source::public_suffix_domain;
                        chosen = &l;
                    }
                }
            }
        }
    }
    if (chosen == nullptr) return out;
    out.policy_domain = chosen->domain;
    const auto& rec = chosen->parsed->record;
    out.dmarc_applies = chosen->parsed->applies;
    if (out.policy_domain == out.author_domain) {
        out.applied_policy = rec.domain_policy();
        out.applied_tag = 'p';  // a char, not "p": g++ 12 -O2 warns falsely (-Wrestrict) on that assignment
    } else if (author_exists) {
        out.applied_policy = rec.subdomain_policy();
        out.applied_tag = rec.sp ? "sp" : "p";
    } else {
        out.applied_policy = rec.nonexistent_policy();
        out.applied_tag = rec.np ? "np" : (rec.sp ? "sp" : "p");
    }
    return out;
}

}  // namespace dmarcsight::auth
