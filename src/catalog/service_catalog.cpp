#include "catalog/service_catalog.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unordered_set>

#include <toml++/toml.h>

#include "core/limits.hpp"
#include "core/text.hpp"

namespace dmarcsight::catalog {

namespace {

// data/services.toml, embedded by src/catalog/CMakeLists.txt as a byte array (a raw string literal
// could exceed a compiler's literal limit as the file grows).
constexpr unsigned char embedded_services[] = {
#include "catalog/services_toml.inc"
};

constexpr std::string_view builtin_origin = "built-in";

constexpr std::array<std::string_view, 12> type_names = {
    "mailbox_provider", "esp",      "transactional",    "crm",       "saas",         "helpdesk",
    "hr_payroll",       "survey",   "security_gateway", "forwarder", "mailing_list", "hosting",
};
static_assert(std::size(all_service_types) == type_names.size());

const std::vector<std::string> known_keys = {"name",         "type",         "ptr_suffixes",
                                             "spf_includes", "dkim_domains", "bounce_domains",
                                             "asns",         "setup",        "docs"};

bool is_ldh(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// A lower-case DNS name of at least two labels (a one-label suffix such as "com" would claim a
// whole TLD), letters, digits, '-' and '_' (SPF includes such as _spf.google.com), labels of
// 1..63 octets not starting or ending with '-', at most 253 octets. Returns the reason, or "".
std::string domain_problem(std::string_view d) {
    if (d.empty()) return "is empty";
    if (d.size() > limits::max_domain_length) return "is longer than 253 octets";
    if (d.back() == '.') return "ends with a dot (write names without the root dot)";
    std::size_t labels = 0;
    std::size_t start = 0;
    while (start <= d.size()) {
        std::size_t end = d.find('.', start);
        if (end == std::string_view::npos) end = d.size();
        const auto label = d.substr(start, end - start);
        if (label.empty()) return "has an empty label";
        if (label.size() > 63) return "has a label longer than 63 octets";
        if (label.front() == '-' || label.back() == '-') return "has a label starting or ending with '-'";
        for (char c : label) {
            if (c >= 'A' && c <= 'Z') return "is not lower-case";
            if (!is_ldh(c)) return "contains a character that is not a letter, digit, '-' or '_'";
        }
        ++labels;
        start = end + 1;
    }
    if (labels < 2) return "has a single label (it would match a whole top-level domain)";
    return "";
}

// Names and one-line texts are echoed to terminals: refuse control and display-control characters
// rather than repair them (the file is ours or the user's; a fault should be seen and fixed).
std::string text_problem(std::string_view s, std::size_t max_bytes) {
    if (s.size() > max_bytes) return "is longer than " + std::to_string(max_bytes) + " bytes";
    if (!text::is_valid_utf8(s)) return "is not valid UTF-8";
    if (text::for_terminal(s) != s) return "contains control characters";
    return "";
}

std::string position(std::string_view origin, const toml::source_region& r) {
    return std::string(origin) + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
}

unexpected fail_at(std::string_view origin, const toml::source_region& r, const std::string& why) {
    return fail(position(origin, r) + ": " + why);
}

// One [[service]] table's facts, with where each pattern was written (for conflict messages).
struct parsed_entry {
    service svc;
    toml::source_region where;
};

struct file_parser {
    std::string_view origin;

    result<void> string_field(const toml::node& v, std::string_view key, std::string& out, std::size_t max) {
        const auto* s = v.as_string();
        if (!s) return fail_at(origin, v.source(), std::string(key) + " must be a string");
        if (auto why = text_problem(s->get(), max); !why.empty())
            return fail_at(origin, v.source(), std::string(key) + " " + why);
        out = s->get();
        return {};
    }

    result<void> domain_array(const toml::node& v, std::string_view key, std::vector<std::string>& out) {
        const auto* arr = v.as_array();
        if (!arr) return fail_at(origin, v.source(), std::string(key) + " must be an array of strings");
        if (arr->size() > limits::catalog_max_array)
            return fail_at(origin, v.source(),
                           std::string(key) + " has more than " + std::to_string(limits::catalog_max_array) + " values");
        for (const auto& item : *arr) {
            const auto* s = item.as_string();
            if (!s) return fail_at(origin, item.source(), std::string(key) + " must be an array of strings");
            const std::string& d = s->get();
            if (auto why = domain_problem(d); !why.empty())
                return fail_at(origin, item.source(),
                               std::string(key) + " value \"" + text::for_terminal(d, 100) + "\" " + why);
            for (const auto& seen : out) {
                if (seen == d)
                    return fail_at(origin, item.source(), std::string(key) + " lists \"" + d + "\" twice");
            }
            out.push_back(d);
        }
        return {};
    }

    result<void> asn_array(const toml::node& v, std::vector<std::uint32_t>& out) {
        const auto* arr = v.as_array();
        if (!arr) return fail_at(origin, v.source(), "asns must be an array of integers");
        if (arr->size() > limits::catalog_max_array)
            return fail_at(origin, v.source(),
                           "asns has more than " + std::to_string(limits::catalog_max_array) + " values");
        for (const auto& item : *arr) {
            const auto* n = item.as_integer();
            if (!n) return fail_at(origin, item.source(), "asns must be an array of integers");
            const std::int64_t a = n->get();
            // AS 0 is reserved (RFC 7607) and means "no ASN" in lookup data.
            if (a < 1 || a > 4294967295LL)
                return fail_at(origin, item.source(), "ASN " + std::to_string(a) + " is outside 1..4294967295");
            const auto asn = static_cast<std::uint32_t>(a);
            for (auto seen : out) {
                if (seen == asn) return fail_at(origin, item.source(), "asns lists " + std::to_string(a) + " twice");
            }
            out.push_back(asn);
        }
        return {};
    }

    result<parsed_entry> entry(const toml::table& t) {
        parsed_entry e;
        e.where = t.source();
        e.svc.origin = std::string(origin);
        bool have_type = false;
        for (const auto& [k, v] : t) {
            const std::string_view key = k.str();
            result<void> r;
            if (key == "name") {
                r = string_field(v, key, e.svc.name, limits::catalog_max_name);
            } else if (key == "type") {
                std::string s;
                r = string_field(v, key, s, 64);
                if (r) {
                    const auto ty = parse_service_type(s);
                    if (!ty) {
                        std::string list;
                        for (auto n : type_names) list += (list.empty() ? "" : ", ") + std::string(n);
                        return fail_at(origin, v.source(), "unknown type \"" + s + "\" (one of " + list + ")");
                    }
                    e.svc.type = *ty;
                    have_type = true;
                }
            } else if (key == "ptr_suffixes") {
                r = domain_array(v, key, e.svc.ptr_suffixes);
            } else if (key == "spf_includes") {
                r = domain_array(v, key, e.svc.spf_includes);
            } else if (key == "dkim_domains") {
                r = domain_array(v, key, e.svc.dkim_domains);
            } else if (key == "bounce_domains") {
                r = domain_array(v, key, e.svc.bounce_domains);
            } else if (key == "asns") {
                r = asn_array(v, e.svc.asns);
            } else if (key == "setup") {
                r = string_field(v, key, e.svc.setup, limits::catalog_max_text);
            } else if (key == "docs") {
                r = string_field(v, key, e.svc.docs, limits::catalog_max_text);
                if (r && !e.svc.docs.starts_with("https://") && !e.svc.docs.starts_with("http://"))
                    return fail_at(origin, v.source(), "docs must be an http(s) URL");
            } else {
                // A misspelt key would silently drop a fact: refuse it and suggest the key meant.
                std::string why = "unknown key \"" + text::for_terminal(key, 100) + "\"";
                if (auto near = text::closest_match(key, known_keys)) why += " (did you mean \"" + *near + "\"?)";
                return fail_at(origin, k.source(), why);
            }
            if (!r) return unexpected{r.err()};
        }
        if (e.svc.name.empty()) return fail_at(origin, e.where, "[[service]] has no name");
        if (!have_type) return fail_at(origin, e.where, "service \"" + e.svc.name + "\" has no type");
        return e;
    }

    result<std::vector<parsed_entry>> file(std::string_view text) {
        if (text.size() > limits::catalog_max_file_size)
            return fail(std::string(origin) + ": larger than " +
                        std::to_string(limits::catalog_max_file_size / limits::MiB) + " MiB");
        toml::table root;
        try {
            root = toml::parse(text, origin);
        } catch (const toml::parse_error& e) {
            return fail_at(origin, e.source(), std::string(e.description()));
        }
        std::vector<parsed_entry> out;
        for (const auto& [k, v] : root) {
            if (k.str() != "service") {
                std::string why = "unknown top-level key \"" + text::for_terminal(k.str(), 100) + "\"";
                if (auto near = text::closest_match(k.str(), {"service"})) why += " (did you mean [[service]]?)";
                return fail_at(origin, k.source(), why);
            }
            const auto* arr = v.as_array();
            if (!arr || !arr->is_array_of_tables())
                return fail_at(origin, v.source(), "service must be written as [[service]] tables");
            if (arr->size() > limits::catalog_max_entries)
                return fail(std::string(origin) + ": more than " + std::to_string(limits::catalog_max_entries) +
                            " [[service]] entries");
            for (const auto& item : *arr) {
                auto e = entry(*item.as_table());
                if (!e) return unexpected{e.err()};
                out.push_back(std::move(*e));
            }
        }
        return out;
    }
};

// Within one file each name, pattern and ASN belongs to one service: two entries claiming the
// same suffix would make the answer depend on file order.
result<void> check_unique(const std::vector<parsed_entry>& entries, std::string_view origin) {
    std::unordered_map<std::string, std::size_t> names, ptrs, domains;
    std::unordered_map<std::uint32_t, std::size_t> asns;
    auto clash = [&](const parsed_entry& e, std::size_t other, const std::string& what) {
        return fail_at(origin, e.where,
                       "service \"" + e.svc.name + "\" " + what + " also claimed by \"" + entries[other].svc.name + "\"");
    };
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const auto& e = entries[i];
        if (auto [it, fresh] = names.emplace(text::ascii_lower(e.svc.name), i); !fresh)
            return fail_at(origin, e.where,
                           "service name \"" + e.svc.name + "\" is used twice (also at line " +
                               std::to_string(entries[it->second].where.begin.line) + ")");
        for (const auto& p : e.svc.ptr_suffixes) {
            if (auto [it, fresh] = ptrs.emplace(p, i); !fresh && it->second != i)
                return clash(e, it->second, "ptr suffix \"" + p + "\"");
        }
        for (const auto* list : {&e.svc.dkim_domains, &e.svc.bounce_domains, &e.svc.spf_includes}) {
            for (const auto& d : *list) {
                if (auto [it, fresh] = domains.emplace(d, i); !fresh && it->second != i)
                    return clash(e, it->second, "domain \"" + d + "\"");
            }
        }
        for (auto a : e.svc.asns) {
            if (auto [it, fresh] = asns.emplace(a, i); !fresh && it->second != i)
                return clash(e, it->second, "ASN " + std::to_string(a));
        }
    }
    return {};
}

// Lower-cases `name` into `buf` without its one trailing dot; false if it cannot be a DNS name.
bool normalize(std::string_view name, std::array<char, 256>& buf, std::string_view& out) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    if (name.empty() || name.size() > limits::max_domain_length) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
    }
    out = std::string_view(buf.data(), name.size());
    return true;
}

}  // namespace

std::string_view to_string(service_type t) {
    const auto i = static_cast<std::size_t>(t);
    return i < type_names.size() ? type_names[i] : "unknown";
}

std::optional<service_type> parse_service_type(std::string_view s) {
    for (std::size_t i = 0; i < type_names.size(); ++i) {
        if (type_names[i] == s) return all_service_types[i];
    }
    return std::nullopt;
}

const catalog& catalog::builtin() {
    static const catalog instance = [] {
        catalog c;
        const std::string_view text(reinterpret_cast<const char*>(embedded_services), sizeof embedded_services);
        if (auto r = c.add_text(text, builtin_origin); !r) {
            std::fprintf(stderr, "dmarcsight: the built-in service catalogue is broken: %s\n", r.err().message.c_str());
            std::abort();
        }
        return c;
    }();
    return instance;
}

result<catalog> catalog::load(const std::vector<std::string>& user_files) {
    catalog c = builtin();
    for (const auto& path : user_files) {
        std::error_code ec;
        const auto size = std::filesystem::file_size(path, ec);
        if (ec) return fail(path + ": cannot read the service catalogue: " + ec.message());
        if (size > limits::catalog_max_file_size)
            return fail(path + ": larger than " + std::to_string(limits::catalog_max_file_size / limits::MiB) + " MiB");
        std::ifstream in(path, std::ios::binary);
        if (!in) return fail(path + ": cannot open the service catalogue");
        // Read at most one byte past the cap: the file may have grown since file_size.
        std::string text(static_cast<std::size_t>(size) + 1, '\0');
        in.read(text.data(), static_cast<std::streamsize>(text.size()));
        if (in.bad()) return fail(path + ": read error");
        text.resize(static_cast<std::size_t>(in.gcount()));
        if (auto r = c.add_text(text, path); !r) return unexpected{r.err()};
    }
    return c;
}

result<void> catalog::add_text(std::string_view toml_text, std::string_view origin) {
    file_parser p{origin};
    auto entries = p.file(toml_text);
    if (!entries) return unexpected{entries.err()};
    if (auto r = check_unique(*entries, origin); !r) return r;

    const auto layer_index = static_cast<std::uint32_t>(layers_.size());
    layers_.emplace_back();
    for (auto& e : *entries) {
        // Same name as an earlier layer's entry: the new facts replace it where it stood, so the
        // old entry's patterns stop matching.
        if (auto it = by_name_.find(text::ascii_lower(e.svc.name)); it != by_name_.end()) {
            services_[it->second] = std::move(e.svc);
            layer_of_[it->second] = layer_index;
        } else {
            by_name_.emplace(text::ascii_lower(e.svc.name), static_cast<std::uint32_t>(services_.size()));
            services_.push_back(std::move(e.svc));
            layer_of_.push_back(layer_index);
        }
    }
    rebuild_indexes();
    return {};
}

void catalog::rebuild_indexes() {
    for (auto& l : layers_) {
        l.ptr.clear();
        l.domain.clear();
        l.asn.clear();
    }
    for (std::uint32_t i = 0; i < services_.size(); ++i) {
        const auto& s = services_[i];
        auto& l = layers_[layer_of_[i]];
        for (const auto& p : s.ptr_suffixes) l.ptr.emplace(p, i);
        for (const auto* list : {&s.dkim_domains, &s.bounce_domains, &s.spf_includes}) {
            for (const auto& d : *list) l.domain.emplace(d, i);
        }
        for (auto a : s.asns) l.asn.emplace(a, i);
    }
}

const service* catalog::match(std::string_view name, bool ptr) const {
    std::array<char, 256> buf;
    std::string_view n;
    if (!normalize(name, buf, n)) return nullptr;
    for (auto l = layers_.rbegin(); l != layers_.rend(); ++l) {
        const auto& map = ptr ? l->ptr : l->domain;
        if (map.empty()) continue;
        // Longest first: the whole name, then each suffix after a dot (a name has at most 127
        // labels). Every pattern has at least two labels, so the last label alone is never probed.
        for (std::size_t start = 0;;) {
            const auto dot = n.find('.', start);
            if (dot == std::string_view::npos) break;
            if (auto it = map.find(n.substr(start)); it != map.end()) return &services_[it->second];
            start = dot + 1;
        }
    }
    return nullptr;
}

const service* catalog::by_ptr(std::string_view ptr_name) const { return match(ptr_name, true); }

const service* catalog::by_domain(std::string_view domain) const { return match(domain, false); }

const service* catalog::by_asn(std::uint32_t asn) const {
    for (auto l = layers_.rbegin(); l != layers_.rend(); ++l) {
        if (auto it = l->asn.find(asn); it != l->asn.end()) return &services_[it->second];
    }
    return nullptr;
}

const service* catalog::by_name(std::string_view name) const {
    auto it = by_name_.find(text::ascii_lower(name));
    return it == by_name_.end() ? nullptr : &services_[it->second];
}

}  // namespace dmarcsight::catalog
