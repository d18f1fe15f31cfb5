#include "config/config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <set>
#include <toml++/toml.h>

#include "core/limits.hpp"
#include "core/text.hpp"
#include "core/utf8.hpp"

namespace dmarcsight::config {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// origin, secret, label classes

origin origin::file(const std::string& path, std::uint32_t line, std::uint32_t column) {
    return {kind::file, path + ":" + std::to_string(line) + ":" + std::to_string(column)};
}

std::string_view origin::kind_name() const {
    switch (k) {
        case kind::built_in: return "default";
        case kind::file: return "file";
        case kind::environment: return "environment";
        case kind::flag: return "flag";
    }
    return "default";
}

std::string origin::describe() const {
    if (k == kind::built_in) return "default";
    return std::string(kind_name()) + " " + where;
}

secret secret::literal(std::string value, origin from) {
    secret s;
    s.value_ = std::move(value);
    s.src_ = source::literal;
    s.from_ = std::move(from);
    return s;
}

secret secret::from_file(std::string value, std::string path, origin from) {
    secret s = literal(std::move(value), std::move(from));
    s.src_ = source::file;
    s.where_ = std::move(path);
    return s;
}

secret secret::from_environment(std::string value, std::string name, origin from) {
    secret s = literal(std::move(value), std::move(from));
    s.src_ = source::environment;
    s.where_ = std::move(name);
    return s;
}

std::string secret::describe() const {
    switch (src_) {
        case source::none: return "(not set)";
        case source::literal: return "(secret written in the configuration file)";
        case source::file: return "(secret from file " + where_ + ")";
        case source::environment: return "(secret from environment " + where_ + ")";
    }
    return "(not set)";
}

namespace {
constexpr std::pair<label_class, std::string_view> class_names[] = {
    {label_class::authorized, "authorized"},
    {label_class::authorized_failing, "authorized_failing"},
    {label_class::forwarded, "forwarded"},
    {label_class::mailing_list, "mailing_list"},
    {label_class::third_party_unaligned, "third_party_unaligned"},
    {label_class::spoofing, "spoofing"},
    {label_class::unknown, "unknown"},
};
}  // namespace

std::string_view to_string(label_class c) {
    for (const auto& [k, n] : class_names)
        if (k == c) return n;
    return "unknown";
}

std::optional<label_class> parse_label_class(std::string_view s) {
    for (const auto& [k, n] : class_names)
        if (n == s) return k;
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Value checks shared by the file, the environment and flags. Messages start with the value's
// name as the user wrote it ("dns.timeout", "DMARCSIGHT_DNS_TIMEOUT"); none of them is a secret.

namespace {

// A value in a message: at most 80 bytes of it, cut on a character boundary.
std::string quote(std::string_view v) {
    const std::string_view shown = utf8_prefix(v, 80);
    std::string out = "'";
    out.append(shown);
    out.append(shown.size() < v.size() ? "…'" : "'");
    return out;
}

result<void> check_server(std::string_view name, std::string_view s) {
    auto bad = [&] { return fail(std::string(name) + " entry " + quote(s) + " is not ip, ip:port or [ipv6]:port"); };
    std::string_view host = s, port;
    if (s.starts_with('[')) {
        const auto close = s.find(']');
        if (close == std::string_view::npos) return bad();
        host = s.substr(1, close - 1);
        const std::string_view rest = s.substr(close + 1);
        if (!rest.starts_with(':')) return bad();
        port = rest.substr(1);
        if (port.empty()) return bad();
    } else if (std::count(s.begin(), s.end(), ':') == 1) {
        host = s.substr(0, s.find(':'));
        port = s.substr(s.find(':') + 1);
        if (port.empty()) return bad();
    }
    if (!ip_address::parse(host)) return bad();
    if (!port.empty()) {
        unsigned p = 0;
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
        if (ec != std::errc{} || end != port.data() + port.size() || p == 0 || p > 65535) return bad();
    }
    return {};
}

struct int_range {
    std::int64_t min, max;
    const char* unit;  // "seconds", "days"
};
constexpr int_range timeout_range{1, 3600, "seconds"};
constexpr int_range ttl_range{1, 3650, "days"};

std::string range_text(const int_range& r) {
    return "a whole number of " + std::string(r.unit) + " from " + std::to_string(r.min) + " to " + std::to_string(r.max);
}

result<int> check_int(std::string_view name, std::int64_t v, const int_range& r) {
    if (v < r.min || v > r.max) return fail(std::string(name) + " must be " + range_text(r) + ", not " + std::to_string(v));
    return static_cast<int>(v);
}

result<int> parse_int_text(std::string_view name, std::string_view text, const int_range& r) {
    std::int64_t v = 0;
    const auto t = text::trim(text);
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc{} || end != t.data() + t.size())
        return fail(std::string(name) + " must be " + range_text(r) + ", not " + quote(text));
    return check_int(name, v, r);
}

result<bool> parse_bool_text(std::string_view name, std::string_view text) {
    const std::string t = text::ascii_lower(text::trim(text));
    if (t == "1" || t == "true") return true;
    if (t == "0" || t == "false") return false;
    return fail(std::string(name) + " must be 0, 1, true or false, not " + quote(text));
}

result<std::string> check_path(std::string_view name, std::string_view text) {
    if (text::trim(text).empty()) return fail(std::string(name) + " must not be empty");
    if (text.find('\0') != std::string_view::npos) return fail(std::string(name) + " must not contain a NUL byte");
    return std::string(text);
}

result<std::string> check_domain(std::string_view name, std::string_view text) {
    std::string d = text::normalize_domain(text);
    if (d.empty() || d.size() > 253 || d.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_.") != std::string::npos ||
        d.starts_with('.') || d.find("..") != std::string::npos)
        return fail(std::string(name) + " " + quote(text) + " is not a domain name");
    return d;
}

// toml++ quotes the character it stumbled on ("..., saw 'x'", "unknown escape sequence '\\q'"):
// that may be part of a secret written in the file, so those quotes are cut; the position stays.
// Its other quotes are grammar ("expected ']'") or key names ("cannot redefine existing table
// 'dns'"), which are not secret and help.
std::string without_quoted_input(std::string_view description) {
    std::string out(description);
    for (const std::string_view marker : {std::string_view("saw '"), std::string_view("unknown escape sequence '")}) {
        const auto at = out.find(marker);
        if (at == std::string::npos) continue;
        out.resize(at + marker.size() - 1);  // keep "saw" / "unknown escape sequence"
        if (marker.starts_with("saw")) {
            out.resize(at);
            out += "saw an unexpected character";
        }
    }
    return std::string(text::trim(out));
}

// ---------------------------------------------------------------------------------------------
// Reading files

struct file_bytes {
    std::string text;
    struct stat st {};
};

// Reads a regular file of at most `cap` bytes. Messages name the file and `what` it is, never its
// contents.
result<file_bytes> read_capped(const std::string& path, std::size_t cap, const std::string& what) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return fail("cannot read " + what + " " + path + ": " + std::strerror(errno));
    file_bytes out;
    auto close_fd = [fd] { ::close(fd); };
    if (::fstat(fd, &out.st) != 0) {
        const int e = errno;
        close_fd();
        return fail("cannot read " + what + " " + path + ": " + std::strerror(e));
    }
    if (!S_ISREG(out.st.st_mode)) {
        close_fd();
        return fail(what + " " + path + " is not a regular file");
    }
    const std::string too_big = what + " " + path + " is larger than " + std::to_string(cap / 1024) + " KiB";
    if (static_cast<std::uint64_t>(out.st.st_size) > cap) {
        close_fd();
        return fail(too_big);
    }
    char buf[8192];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int e = errno;
            close_fd();
            return fail("cannot read " + what + " " + path + ": " + std::strerror(e));
        }
        if (n == 0) break;
        // The size can change between fstat and read (a growing file): the cap holds regardless.
        if (out.text.size() + static_cast<std::size_t>(n) > cap) {
            close_fd();
            return fail(too_big);
        }
        out.text.append(buf, static_cast<std::size_t>(n));
    }
    close_fd();
    return out;
}

std::string mode_text(mode_t m) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
    return buf;
}

bool group_or_world_readable(mode_t m) { return (m & (S_IRGRP | S_IROTH)) != 0; }

// A secret file's contents. Loose permissions are a warning, not an error: refusing would break a
// working setup on upgrade; root-owned files are exempt (root:group 0640 is how a group shares one).
result<std::string> read_secret_file(const std::string& path, const std::string& name, std::vector<std::string>& warnings) {
    auto r = read_capped(path, max_secret_size, name + " file");
    if (!r) return unexpected{r.err()};
    if (group_or_world_readable(r->st.st_mode) && r->st.st_uid != 0)
        warnings.push_back(name + " file " + path + " can be read by group or others (mode " + mode_text(r->st.st_mode) +
                           "); make it readable by its owner only (chmod 600)");
    std::string v = std::move(r->text);
    while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
    if (v.empty()) return fail(name + " file " + path + " is empty");
    return v;
}

}  // namespace

result<secret> secret::reread() const {
    if (src_ != source::file) return *this;
    std::vector<std::string> ignored;  // its permissions were judged when the configuration was read
    auto v = read_secret_file(where_, "secret", ignored);
    if (!v) return unexpected{v.err()};
    secret s = *this;
    s.value_ = std::move(*v);
    return s;
}

namespace {

bool valid_env_name(std::string_view n) {
    if (n.empty() || (n[0] >= '0' && n[0] <= '9')) return false;
    return n.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") == std::string_view::npos;
}

const char* env(const char* name) {
    const char* v = std::getenv(name);
    return v && *v ? v : nullptr;
}

// ---------------------------------------------------------------------------------------------
// The TOML file

struct file_context {
    std::string path;
    fs::path dir;  // relative paths in the file are relative to it
    mode_t mode = 0600;
    uid_t owner = 0;
    std::vector<std::string>* warnings = nullptr;

    std::string at(const toml::source_region& r) const {
        return path + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
    }
    origin from(const toml::node& n) const { return origin::file(path, n.source().begin.line, n.source().begin.column); }
    unexpected error(const toml::node& n, const std::string& why) const { return fail(at(n.source()) + ": " + why); }
    std::string resolve(const std::string& p) const {
        // A PostgreSQL URI (database = "postgresql://...") is no path of the file's folder.
        if (p.starts_with("postgresql://") || p.starts_with("postgres://")) return p;
        if (dir.empty() || fs::path(p).is_absolute()) return p;
        return (dir / p).lexically_normal().string();
    }
};

std::string dotted(std::string_view table, std::string_view key) {
    return table.empty() ? std::string(key) : std::string(table) + "." + std::string(key);
}

unexpected unknown_key(const file_context& f, const toml::key& k, std::string_view table, const std::vector<std::string>& known) {
    const std::string name = dotted(table, k.str());
    std::string msg = f.at(k.source()) + ": unknown key '" + name + "'";
    std::vector<std::string> full;
    for (const auto& n : known) full.push_back(dotted(table, n));
    if (auto near = text::closest_match(name, full)) msg += "; did you mean '" + *near + "'?";
    else {
        msg += "; known keys here:";
        for (std::size_t i = 0; i < full.size(); ++i) msg += (i ? ", " : " ") + full[i];
    }
    return fail(msg);
}

result<std::string> get_string(const file_context& f, const toml::node& v, const std::string& name) {
    if (!v.is_string()) return f.error(v, name + " must be a string");
    return std::string(*v.value<std::string_view>());
}

result<std::string> get_path(const file_context& f, const toml::node& v, const std::string& name) {
    auto s = get_string(f, v, name);
    if (!s) return s;
    auto p = check_path(name, *s);
    if (!p) return f.error(v, p.err().message);
    return f.resolve(*p);
}

result<bool> get_bool(const file_context& f, const toml::node& v, const std::string& name) {
    if (!v.is_boolean()) return f.error(v, name + " must be true or false");
    return *v.value<bool>();
}

result<int> get_int(const file_context& f, const toml::node& v, const std::string& name, const int_range& r) {
    if (v.is_floating_point()) return f.error(v, name + " must be " + range_text(r));
    if (!v.is_integer()) return f.error(v, name + " must be a number");
    auto i = check_int(name, *v.value<std::int64_t>(), r);
    if (!i) return f.error(v, i.err().message);
    return i;
}

result<const toml::table*> get_table(const file_context& f, const toml::node& v, const std::string& name) {
    if (!v.is_table()) return f.error(v, name + " must be a table ([" + name + "])");
    return v.as_table();
}

// Reads the secret `name` of `table` (its X, X_file, X_env keys); `seen` says which keys it used.
result<void> get_secret(const file_context& f, const toml::table& t, std::string_view section, const std::string& name,
                        secret& out) {
    const toml::node* found = nullptr;
    std::string found_key;
    for (const std::string suffix : {"", "_file", "_env"}) {
        const std::string key = name + suffix;
        const toml::node* n = t.get(key);
        if (!n) continue;
        if (found)
            return f.error(*n, dotted(section, found_key) + " and " + dotted(section, key) +
                                   " exclude each other (give the secret one way)");
        found = n;
        found_key = key;
    }
    if (!found) return {};
    const std::string full = dotted(section, found_key);
    // The type error never shows the value: a mistyped password is still a password.
    if (!found->is_string()) return f.error(*found, full + " must be a string");
    const std::string v(*found->value<std::string_view>());
    if (found_key.ends_with("_file")) {
        auto p = check_path(full, v);
        if (!p) return f.error(*found, p.err().message);
        const std::string path = f.resolve(*p);
        auto content = read_secret_file(path, dotted(section, name), *f.warnings);
        if (!content) return f.error(*found, content.err().message);
        out = secret::from_file(std::move(content).value(), path, f.from(*found));
    } else if (found_key.ends_with("_env")) {
        if (!valid_env_name(v)) return f.error(*found, full + " must be the name of an environment variable");
        const char* value = env(v.c_str());
        if (!value) return f.error(*found, full + " names " + v + ", which is not set");
        out = secret::from_environment(value, v, f.from(*found));
    } else {
        if (v.empty()) return f.error(*found, full + " is empty");
        if (group_or_world_readable(f.mode))
            f.warnings->push_back(f.at(found->source()) + ": " + full + " is written in a configuration file that group or others can read (mode " +
                                  mode_text(f.mode) + "); use " + full + "_file or " + full + "_env, or chmod 600 the file");
        out = secret::literal(v, f.from(*found));
    }
    return {};
}

using key_handler = std::function<result<void>(const toml::node&)>;
struct key_rule {
    std::string key;
    key_handler handle;
};

// Walks a table: every key must have a rule; `extra_known` are keys handled elsewhere (secrets).
result<void> walk(const file_context& f, const toml::table& t, std::string_view table, const std::vector<key_rule>& rules,
                  const std::vector<std::string>& extra_known = {}) {
    std::vector<std::string> known;
    for (const auto& r : rules) known.push_back(r.key);
    known.insert(known.end(), extra_known.begin(), extra_known.end());
    for (auto&& [k, v] : t) {
        const key_rule* rule = nullptr;
        for (const auto& r : rules)
            if (r.key == k.str()) rule = &r;
        if (!rule) {
            bool handled = false;
            for (const auto& e : extra_known) handled = handled || e == k.str();
            if (handled) continue;
            return unknown_key(f, k, table, known);
        }
        if (auto r = rule->handle(v); !r) return r;
    }
    return {};
}

template <class T>
key_rule path_rule(const file_context& f, std::string key, std::string_view table, setting<T>& out) {
    const std::string name = dotted(table, key);
    return {std::move(key), [&f, &out, name](const toml::node& v) -> result<void> {
                auto p = get_path(f, v, name);
                if (!p) return unexpected{p.err()};
                out = {std::move(p).value(), f.from(v)};
                return {};
            }};
}

key_rule bool_rule(const file_context& f, std::string key, std::string_view table, setting<bool>& out) {
    const std::string name = dotted(table, key);
    return {std::move(key), [&f, &out, name](const toml::node& v) -> result<void> {
                auto b = get_bool(f, v, name);
                if (!b) return unexpected{b.err()};
                out = {*b, f.from(v)};
                return {};
            }};
}

key_rule int_rule(const file_context& f, std::string key, std::string_view table, const int_range& r,
                  setting<std::optional<int>>& out) {
    const std::string name = dotted(table, key);
    return {std::move(key), [&f, &out, name, r](const toml::node& v) -> result<void> {
                auto i = get_int(f, v, name, r);
                if (!i) return unexpected{i.err()};
                out = {*i, f.from(v)};
                return {};
            }};
}

result<void> read_dns(const file_context& f, const toml::table& t, dns_settings& d) {
    std::vector<key_rule> rules;
    rules.push_back(path_rule(f, "zone", "dns", d.zone));
    rules.push_back(path_rule(f, "with", "dns", d.with));
    rules.push_back({"servers", [&](const toml::node& v) -> result<void> {
                         const toml::array* a = v.as_array();
                         if (!a) return f.error(v, "dns.servers must be an array of strings ([\"192.0.2.53\", ...])");
                         std::vector<std::string> list;
                         for (const auto& e : *a) {
                             if (!e.is_string()) return f.error(e, "dns.servers must be an array of strings");
                             const std::string s(*e.value<std::string_view>());
                             if (auto ok = check_server("dns.servers", s); !ok) return f.error(e, ok.err().message);
                             list.push_back(s);
                         }
                         d.servers = {std::move(list), f.from(v)};
                         return {};
                     }});
    rules.push_back(int_rule(f, "timeout", "dns", timeout_range, d.timeout_s));
    if (t.get("zone") && t.get("with"))
        return f.error(*t.get("with"), "dns.zone and dns.with exclude each other (zone: only the file answers; with: the file over live DNS)");
    if (auto r = walk(f, t, "dns", rules); !r) return r;
    // One DNS choice: this file naming one of the two replaces the other from an earlier layer.
    if (t.get("zone")) d.with = {};
    if (t.get("with")) d.zone = {};
    return {};
}

result<void> read_enrich(const file_context& f, const toml::table& t, enrich_settings& e) {
    std::vector<key_rule> rules;
    rules.push_back(bool_rule(f, "on_ingest", "enrich", e.on_ingest));
    rules.push_back(bool_rule(f, "offline", "enrich", e.offline));
    rules.push_back(path_rule(f, "location_db", "enrich", e.location_db));
    rules.push_back(path_rule(f, "mmdb", "enrich", e.mmdb));
    rules.push_back(int_rule(f, "ttl_days", "enrich", ttl_range, e.ttl_days));
    return walk(f, t, "enrich", rules);
}

result<void> read_ingest(const file_context& f, const toml::table& t, ingest_settings& s) {
    std::vector<key_rule> rules;
    rules.push_back(bool_rule(f, "redact_failure_samples", "ingest", s.redact_failure_samples));
    rules.push_back({"redact_key", [&f, &s](const toml::node& v) -> result<void> {
                         const auto* str = v.as_string();
                         if (!str) return f.error(v, "ingest.redact_key must be a string");
                         s.redact_key = {str->get(), f.from(v)};
                         return {};
                     }});
    return walk(f, t, "ingest", rules);
}

result<void> read_label(const file_context& f, const toml::table& t, std::size_t index, label& out) {
    const std::string name = "label[" + std::to_string(index) + "]";
    out.from = f.from(t);
    bool have_class = false;
    std::vector<key_rule> rules;
    rules.push_back({"domain", [&](const toml::node& v) -> result<void> {
                         auto s = get_string(f, v, name + ".domain");
                         if (!s) return unexpected{s.err()};
                         auto d = check_domain(name + ".domain", *s);
                         if (!d) return f.error(v, d.err().message);
                         out.domain = std::move(d).value();
                         return {};
                     }});
    rules.push_back({"source", [&](const toml::node& v) -> result<void> {
                         auto s = get_string(f, v, name + ".source");
                         if (!s) return unexpected{s.err()};
                         auto c = cidr::parse(text::trim(*s));
                         if (!c) return f.error(v, name + ".source: " + c.err().message);
                         out.source = *c;
                         return {};
                     }});
    rules.push_back({"service", [&](const toml::node& v) -> result<void> {
                         auto s = get_string(f, v, name + ".service");
                         if (!s) return unexpected{s.err()};
                         if (text::trim(*s).empty()) return f.error(v, name + ".service must not be empty");
                         out.service = std::string(text::trim(*s));
                         return {};
                     }});
    rules.push_back({"class", [&](const toml::node& v) -> result<void> {
                         auto s = get_string(f, v, name + ".class");
                         if (!s) return unexpected{s.err()};
                         auto c = parse_label_class(*s);
                         if (!c) {
                             std::string msg = name + ".class " + quote(*s) + " is not one of";
                             std::vector<std::string> names;
                             for (const auto& [k, n] : class_names) names.emplace_back(n);
                             for (std::size_t i = 0; i < names.size(); ++i) msg += (i ? ", " : " ") + names[i];
                             if (auto near = text::closest_match(*s, names)) msg += "; did you mean '" + *near + "'?";
                             return f.error(v, msg);
                         }
                         out.cls = *c;
                         have_class = true;
                         return {};
                     }});
    rules.push_back({"note", [&](const toml::node& v) -> result<void> {
                         auto s = get_string(f, v, name + ".note");
                         if (!s) return unexpected{s.err()};
                         out.note = std::move(s).value();
                         return {};
                     }});
    if (auto r = walk(f, t, name, rules); !r) return r;
    if (out.domain.empty()) return f.error(t, name + " needs a domain");
    if (out.source && !out.service.empty()) return f.error(t, name + " has both source and service; give exactly one");
    if (!out.source && out.service.empty()) return f.error(t, name + " needs a source (IP or CIDR) or a service");
    if (!have_class) return f.error(t, name + " needs a class");
    return {};
}

// ---------------------------------------------------------------------------------------------
// [channels.NAME], [alerts], [digest], [retention]

constexpr int_range channel_timeout_range{1, 3600, "seconds"};

result<std::int64_t> get_int64(const file_context& f, const toml::node& v, const std::string& name, const int_range& r) {
    if (!v.is_integer()) return f.error(v, name + " must be " + range_text(r));
    const std::int64_t i = *v.value<std::int64_t>();
    if (i < r.min || i > r.max) return f.error(v, name + " must be " + range_text(r) + ", not " + std::to_string(i));
    return i;
}

template <class T>
key_rule whole_rule(const file_context& f, std::string key, std::string_view table, const int_range& r, setting<T>& out) {
    const std::string name = dotted(table, key);
    return {std::move(key), [&f, &out, name, r](const toml::node& v) -> result<void> {
                auto i = get_int64(f, v, name, r);
                if (!i) return unexpected{i.err()};
                out = {static_cast<T>(*i), f.from(v)};
                return {};
            }};
}

std::string number_text(double d) {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
    return ec == std::errc{} ? std::string(buf, end) : std::to_string(d);
}

// A share (0..1) or a factor: integers are accepted too (`rise = 1` is 1.0).
key_rule number_rule(const file_context& f, std::string key, std::string_view table, double min, double max, const char* what,
                     setting<double>& out) {
    const std::string name = dotted(table, key);
    return {std::move(key), [&f, &out, name, min, max, what](const toml::node& v) -> result<void> {
                const std::string range = std::string(what) + " from " + number_text(min) + " to " + number_text(max);
                if (!v.is_number()) return f.error(v, name + " must be " + range);
                const double d = v.is_integer() ? static_cast<double>(*v.value<std::int64_t>()) : *v.value<double>();
                if (!(d >= min && d <= max)) return f.error(v, name + " must be " + range + ", not " + number_text(d));
                out = {d, f.from(v)};
                return {};
            }};
}

result<std::vector<std::string>> get_string_list(const file_context& f, const toml::node& v, const std::string& name) {
    const toml::array* a = v.as_array();
    if (!a) return f.error(v, name + " must be an array of strings");
    std::vector<std::string> out;
    for (const auto& e : *a) {
        if (!e.is_string()) return f.error(e, name + " must be an array of strings");
        out.emplace_back(*e.value<std::string_view>());
    }
    return out;
}

bool valid_channel_name(std::string_view n) {
    return !n.empty() && n.size() <= 64 &&
           n.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == std::string_view::npos;
}

// An address for MAIL FROM / RCPT TO and the From/To headers: local@domain, no spaces, no
// controls, none of the characters that would end or open an address in a header (RFC 5321
// §4.5.3.1.3: a path is at most 256 octets; RFC 5322 §3.4). Display names are not supported:
// nothing a reader of the file writes can become a second header.
result<std::string> check_address(const std::string& name, std::string_view a) {
    const auto at = a.rfind('@');
    bool ok = !a.empty() && a.size() <= 254 && at != std::string_view::npos && at > 0 && at + 1 < a.size();
    for (const char c : a) ok = ok && static_cast<unsigned char>(c) > 0x20 && c != 0x7f && std::string_view("<>()[],;:\\\"").find(c) == std::string_view::npos;
    if (ok && !check_domain(name, a.substr(at + 1))) ok = false;
    if (!ok) return fail(name + " " + quote(text::for_terminal(a, 100)) + " is not a mail address (local@domain, no display name)");
    return std::string(a);
}

// A URL checked for its scheme and for line breaks and spaces (it goes into requests verbatim);
// libcurl's own parser checks the rest when the channel is used. No credentials in a URL: they
// would be shown by `config show` and in messages (use username/password).
result<std::string> check_url(const std::string& name, std::string_view url, std::initializer_list<std::string_view> schemes) {
    bool scheme_ok = false;
    for (const auto sc : schemes) scheme_ok = scheme_ok || (url.size() > sc.size() && url.substr(0, sc.size()) == sc);
    if (!scheme_ok) {
        std::string msg = name + " " + quote(url) + " must start with";
        std::size_t i = 0;
        for (const auto sc : schemes) msg += std::string(i++ ? " or " : " ") + std::string(sc);
        return fail(msg);
    }
    if (url.size() > 2048) return fail(name + " is longer than 2048 characters");
    for (const char c : url)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
            return fail(name + " " + quote(text::for_terminal(url, 100)) + " contains a space or a control character");
    const auto host_start = url.find("://") + 3;
    const auto host_end = url.find_first_of("/?#", host_start);
    const std::string_view authority = url.substr(host_start, host_end == std::string_view::npos ? std::string_view::npos : host_end - host_start);
    if (authority.find('@') != std::string_view::npos) return fail(name + " must not hold credentials (user@ in the URL)");
    if (authority.empty()) return fail(name + " " + quote(url) + " names no host");
    return std::string(url);
}

result<void> read_channel(const file_context& f, const toml::table& t, const std::string& channel_name, channel_settings& c) {
    const std::string section = "channels." + channel_name;
    c.name = channel_name;
    c.where = f.from(t);
    const toml::node* type_node = t.get("type");
    if (!type_node) return f.error(t, section + " needs a type (\"webhook\" or \"smtp\")");
    auto type = get_string(f, *type_node, section + ".type");
    if (!type) return unexpected{type.err()};
    if (*type != "webhook" && *type != "smtp") return f.error(*type_node, section + ".type " + quote(*type) + " is not webhook or smtp");
    c.type = *type;
    const bool webhook = c.type == "webhook";

    // A key of the other type is an error, not ignored: `style` on a mail channel is a mistake.
    auto only = [&](const char* key, bool mine, const key_handler& h) -> key_rule {
        return {key, [&f, &section, key, mine, h, &c](const toml::node& v) -> result<void> {
                    if (!mine) return f.error(v, section + "." + key + " applies to " + (c.type == "webhook" ? "smtp" : "webhook") + " channels only");
                    return h(v);
                }};
    };
    auto str = [&](const char* key, std::string& out) -> key_handler {
        return [&f, &section, key, &out](const toml::node& v) -> result<void> {
            auto s = get_string(f, v, section + "." + key);
            if (!s) return unexpected{s.err()};
            out = std::move(s).value();
            return {};
        };
    };
    auto one_of = [&](const char* key, std::string& out, std::vector<std::string> allowed) -> key_handler {
        return [&f, &section, key, &out, allowed](const toml::node& v) -> result<void> {
            auto s = get_string(f, v, section + "." + key);
            if (!s) return unexpected{s.err()};
            if (std::find(allowed.begin(), allowed.end(), *s) == allowed.end()) {
                std::string msg = section + "." + key + " " + quote(*s) + " is not one of";
                for (std::size_t i = 0; i < allowed.size(); ++i) msg += (i ? ", " : " ") + allowed[i];
                return f.error(v, msg);
            }
            out = std::move(s).value();
            return {};
        };
    };
    const toml::node* url_node = t.get("url");
    std::vector<key_rule> rules;
    rules.push_back({"type", [](const toml::node&) -> result<void> { return {}; }});
    rules.push_back({"url", [&](const toml::node& v) -> result<void> {
                         auto s = get_string(f, v, section + ".url");
                         if (!s) return unexpected{s.err()};
                         auto u = webhook ? check_url(section + ".url", *s, {"https://", "http://"})
                                          : check_url(section + ".url", *s, {"smtp://", "smtps://"});
                         if (!u) return f.error(v, u.err().message);
                         c.url = std::move(u).value();
                         return {};
                     }});
    rules.push_back(only("style", webhook, one_of("style", c.style, {"json", "slack", "teams"})));
    rules.push_back(only("starttls", !webhook, one_of("starttls", c.starttls, {"required", "opportunistic", "off"})));
    rules.push_back(only("username", !webhook, str("username", c.username)));
    rules.push_back(only("from", !webhook, [&](const toml::node& v) -> result<void> {
        auto s = get_string(f, v, section + ".from");
        if (!s) return unexpected{s.err()};
        auto a = check_address(section + ".from", *s);
        if (!a) return f.error(v, a.err().message);
        c.from = std::move(a).value();
        return {};
    }));
    rules.push_back(only("to", !webhook, [&](const toml::node& v) -> result<void> {
        // One address or a list of them.
        std::vector<std::string> list;
        if (v.is_string()) list.emplace_back(*v.value<std::string_view>());
        else {
            auto l = get_string_list(f, v, section + ".to");
            if (!l) return unexpected{l.err()};
            list = std::move(l).value();
        }
        if (list.empty()) return f.error(v, section + ".to names no recipient");
        if (list.size() > 100) return f.error(v, section + ".to names more than 100 recipients");
        for (const auto& a : list) {
            auto ok = check_address(section + ".to", a);
            if (!ok) return f.error(v, ok.err().message);
        }
        c.to = std::move(list);
        return {};
    }));
    rules.push_back({"ca_file", [&](const toml::node& v) -> result<void> {
                         auto p = get_path(f, v, section + ".ca_file");
                         if (!p) return unexpected{p.err()};
                         c.ca_file = std::move(p).value();
                         return {};
                     }});
    rules.push_back({"timeout", [&](const toml::node& v) -> result<void> {
                         auto i = get_int(f, v, section + ".timeout", channel_timeout_range);
                         if (!i) return unexpected{i.err()};
                         c.timeout_s = *i;
                         return {};
                     }});
    const std::vector<std::string> secret_keys = {"secret", "secret_file", "secret_env"};
    const std::vector<std::string> password_keys = {"password", "password_file", "password_env"};
    std::vector<std::string> extra = secret_keys;
    extra.insert(extra.end(), password_keys.begin(), password_keys.end());
    if (auto r = walk(f, t, section, rules, extra); !r) return r;
    for (const auto& k : webhook ? password_keys : secret_keys)
        if (const toml::node* n = t.get(k)) return f.error(*n, section + "." + k + " applies to " + (webhook ? "smtp" : "webhook") + " channels only");
    config::secret sec;
    if (auto r = get_secret(f, t, section, webhook ? "secret" : "password", sec); !r) return r;
    if (sec.present()) (webhook ? c.secret : c.password) = std::move(sec);

    if (!url_node) return f.error(t, section + " needs a url");
    if (!webhook) {
        if (c.from.empty()) return f.error(t, section + " needs from (the sender address)");
        if (c.to.empty()) return f.error(t, section + " needs to (one or more recipient addresses)");
        if (c.password && c.username.empty()) return f.error(t, section + " has a password but no username");
        if (!c.username.empty() && !c.password) return f.error(t, section + " has a username but no password");
        if (c.username.find_first_of("\r\n") != std::string::npos || c.username.size() > 256)
            return f.error(t, section + ".username must be one line of at most 256 characters");
        // Credentials over a connection that may stay plain would be sent in the clear.
        if (!c.username.empty() && c.url.starts_with("smtp://") && c.starttls != "required")
            return f.error(t, section + " sends a password: starttls must be \"required\" (or use smtps://)");
    }
    return {};
}

result<void> read_mailbox(const file_context& f, const toml::table& t, const std::string& box_name, mailbox_settings& m) {
    const std::string section = "mailboxes." + box_name;
    m.name = box_name;
    m.where = f.from(t);
    auto str = [&](const char* key, std::string& out) -> key_rule {
        return {key, [&f, section, key, &out](const toml::node& v) -> result<void> {
                    auto s = get_string(f, v, section + "." + key);
                    if (!s) return unexpected{s.err()};
                    out = std::move(s).value();
                    return {};
                }};
    };
    auto action = [&](const char* key, std::string& out) -> key_rule {
        return {key, [&f, section, key, &out](const toml::node& v) -> result<void> {
                    auto s = get_string(f, v, section + "." + key);
                    if (!s) return unexpected{s.err()};
                    if (!valid_mailbox_action(*s))
                        return f.error(v, section + "." + key + " " + quote(text::for_terminal(*s, 100)) +
                                              " is not a folder name (letters, digits, space, . _ - /), delete, seen or leave");
                    out = std::move(s).value();
                    return {};
                }};
    };
    std::vector<key_rule> rules;
    rules.push_back({"url", [&](const toml::node& v) -> result<void> {
                         auto s = get_string(f, v, section + ".url");
                         if (!s) return unexpected{s.err()};
                         if (!s->starts_with("imap://") && !s->starts_with("imaps://"))
                             return f.error(v, section + ".url must start with imap:// or imaps://");
                         if (s->size() > 2048 || s->find_first_of(" \r\n\t") != std::string::npos)
                             return f.error(v, section + ".url must be one URL without spaces (at most 2048 characters)");
                         // user:password@ would show in `config show`, ps and messages.
                         const auto host_start = s->find("://") + 3;
                         const std::string authority = s->substr(host_start, s->find('/', host_start) - host_start);
                         const auto at = authority.rfind('@');
                         if (at != std::string::npos && authority.substr(0, at).find(':') != std::string::npos)
                             return f.error(v, section + ".url must not hold a password (use password_file or password_env)");
                         m.url = std::move(s).value();
                         return {};
                     }});
    rules.push_back({"maildir", [&](const toml::node& v) -> result<void> {
                         auto p = get_path(f, v, section + ".maildir");
                         if (!p) return unexpected{p.err()};
                         m.maildir = std::move(p).value();
                         return {};
                     }});
    rules.push_back(str("username", m.username));
    rules.push_back({"ca_file", [&](const toml::node& v) -> result<void> {
                         auto p = get_path(f, v, section + ".ca_file");
                         if (!p) return unexpected{p.err()};
                         m.ca_file = std::move(p).value();
                         return {};
                     }});
    rules.push_back(action("aggregate", m.aggregate));
    rules.push_back(action("failure", m.failure));
    rules.push_back(action("tlsrpt", m.tlsrpt));
    rules.push_back(action("invalid", m.invalid));
    rules.push_back({"batch", [&](const toml::node& v) -> result<void> {
                         auto i = get_int(f, v, section + ".batch", int_range{1, 100000, "messages"});
                         if (!i) return unexpected{i.err()};
                         m.batch = *i;
                         return {};
                     }});
    rules.push_back({"poll_seconds", [&](const toml::node& v) -> result<void> {
                         auto i = get_int(f, v, section + ".poll_seconds", int_range{5, 86400, "seconds"});
                         if (!i) return unexpected{i.err()};
                         m.poll_seconds = *i;
                         return {};
                     }});
    rules.push_back({"max_message_bytes", [&](const toml::node& v) -> result<void> {
                         auto i = get_int64(f, v, section + ".max_message_bytes",
                                            int_range{1024, static_cast<std::int64_t>(limits::max_message_size), "bytes"});
                         if (!i) return unexpected{i.err()};
                         m.max_message_bytes = *i;
                         return {};
                     }});
    if (auto r = walk(f, t, section, rules, {"password", "password_file", "password_env", "token", "token_file", "token_env"}); !r)
        return r;
    config::secret pw, tok;
    if (auto r = get_secret(f, t, section, "password", pw); !r) return r;
    if (auto r = get_secret(f, t, section, "token", tok); !r) return r;
    if (pw.present()) m.password = std::move(pw);
    if (tok.present()) m.token = std::move(tok);
    if (m.url.empty() == m.maildir.empty()) return f.error(t, section + " needs exactly one of url (IMAP) or maildir");
    if (!m.url.empty() && !m.password == !m.token)
        return f.error(t, section + " needs exactly one of password (password_file, password_env) or token (token_file, token_env)");
    if (!m.maildir.empty() && (m.password || m.token || !m.ca_file.empty() || !m.username.empty()))
        return f.error(t, section + " is a Maildir: password, token, username and ca_file apply to IMAP mailboxes only");
    if (m.username.size() > 256 || m.username.find_first_of("\r\n") != std::string::npos)
        return f.error(t, section + ".username must be one line of at most 256 characters");
    return {};
}

result<void> read_mailboxes(const file_context& f, const toml::table& t, std::vector<mailbox_settings>& out) {
    std::vector<mailbox_settings> list;
    for (auto&& [k, v] : t) {
        const std::string name(k.str());
        if (!valid_channel_name(name))
            return fail(f.at(k.source()) + ": mailbox name '" + std::string(k.str().substr(0, 64)) +
                        "' must be 1 to 64 letters, digits, '-' or '_'");
        const toml::table* mt = v.as_table();
        if (!mt) return f.error(v, "mailboxes." + name + " must be a table ([mailboxes." + name + "])");
        mailbox_settings m;
        if (auto r = read_mailbox(f, *mt, name, m); !r) return r;
        list.push_back(std::move(m));
    }
    out = std::move(list);
    return {};
}

result<void> read_channels(const file_context& f, const toml::table& t, std::vector<channel_settings>& out) {
    std::vector<channel_settings> list;
    for (auto&& [k, v] : t) {
        const std::string name(k.str());
        if (!valid_channel_name(name))
            return fail(f.at(k.source()) + ": channel name '" + std::string(k.str().substr(0, 64)) +
                        "' must be 1 to 64 letters, digits, '-' or '_'");
        const toml::table* ct = v.as_table();
        if (!ct) return f.error(v, "channels." + name + " must be a table ([channels." + name + "])");
        channel_settings c;
        if (auto r = read_channel(f, *ct, name, c); !r) return r;
        list.push_back(std::move(c));
    }
    out = std::move(list);  // the file's channels replace an earlier layer's
    return {};
}

key_rule channel_list_rule(const file_context& f, std::string_view table, setting<std::vector<std::string>>& out) {
    const std::string name = dotted(table, "channels");
    return {"channels", [&f, &out, name](const toml::node& v) -> result<void> {
                auto l = get_string_list(f, v, name);
                if (!l) return unexpected{l.err()};
                out = {std::move(l).value(), f.from(v)};
                return {};
            }};
}

result<void> read_alerts(const file_context& f, const toml::table& t, alert_settings& a) {
    constexpr std::int64_t max_messages = 1'000'000'000'000;  // far above any domain's daily volume
    constexpr int_range hours{0, 24 * 366, "hours"};
    constexpr int_range window{1, 366, "days"};
    constexpr int_range history{0, 366, "days"};
    constexpr int_range messages{0, max_messages, "messages"};
    constexpr int_range gap_hours{1, 24 * 366, "hours"};
    std::vector<key_rule> rules;
    rules.push_back(whole_rule(f, "settle_hours", "alerts", hours, a.settle_hours));
    rules.push_back(whole_rule(f, "window_days", "alerts", window, a.window_days));
    rules.push_back(whole_rule(f, "min_history_days", "alerts", history, a.min_history_days));
    rules.push_back(whole_rule(f, "new_source_min_messages", "alerts", messages, a.new_source_min_messages));
    rules.push_back(whole_rule(f, "failure_spike_min_messages", "alerts", messages, a.failure_spike_min_messages));
    rules.push_back(whole_rule(f, "failure_spike_min_days", "alerts", window, a.failure_spike_min_days));
    rules.push_back(number_rule(f, "failure_spike_rise", "alerts", 0.0, 1.0, "a share", a.failure_spike_rise));
    rules.push_back(whole_rule(f, "pass_rate_drop_min_messages", "alerts", messages, a.pass_rate_drop_min_messages));
    rules.push_back(number_rule(f, "pass_rate_drop", "alerts", 0.0, 1.0, "a share", a.pass_rate_drop));
    rules.push_back(number_rule(f, "unauthorized_spike_factor", "alerts", 1.0, 1000.0, "a factor", a.unauthorized_spike_factor));
    rules.push_back(whole_rule(f, "unauthorized_spike_min_excess", "alerts", messages, a.unauthorized_spike_min_excess));
    rules.push_back(whole_rule(f, "no_reports_hours", "alerts", gap_hours, a.no_reports_hours));
    rules.push_back(channel_list_rule(f, "alerts", a.channels));
    return walk(f, t, "alerts", rules);
}

// An age: a count and a unit, h (hours), d (days) or w (weeks), as prune --older-than takes it.
bool valid_age(std::string_view s) {
    if (s.size() < 2 || s.size() > 8) return false;
    const char unit = s.back();
    if (unit != 'h' && unit != 'd' && unit != 'w') return false;
    const std::string_view digits = s.substr(0, s.size() - 1);
    return digits.find_first_not_of("0123456789") == std::string_view::npos && digits.find_first_not_of('0') != std::string_view::npos;
}

result<void> read_retention(const file_context& f, const toml::table& t, retention_settings& r) {
    std::vector<key_rule> rules;
    rules.push_back({"older_than", [&](const toml::node& v) -> result<void> {
                         auto s = get_string(f, v, "retention.older_than");
                         if (!s) return unexpected{s.err()};
                         if (!valid_age(*s))
                             return f.error(v, "retention.older_than " + quote(*s) + " is not an age such as 400d, 12w or 72h");
                         r.older_than = {std::move(s).value(), f.from(v)};
                         return {};
                     }});
    return walk(f, t, "retention", rules);
}

// alerts.channels and digest.channels must name channels that exist.
result<void> check_channel_names(const file_context& f, const toml::table& root, const settings& s) {
    std::set<std::string> names;
    for (const auto& c : s.channels) names.insert(c.name);
    std::vector<std::string> known(names.begin(), names.end());
    for (const char* table : {"alerts", "digest"}) {
        const toml::node* n = root.at_path(std::string(table) + ".channels").node();
        if (!n) continue;
        const auto& list = std::string_view(table) == "alerts" ? s.alerts.channels.value : s.digest.channels.value;
        for (const auto& name : list) {
            if (names.count(name)) continue;
            std::string msg = std::string(table) + ".channels names " + quote(name) + ", which is no [channels.NAME] table";
            if (auto near = text::closest_match(name, known)) msg += "; did you mean '" + *near + "'?";
            return f.error(*n, msg);
        }
    }
    return {};
}

result<void> read_root(const file_context& f, const toml::table& root, settings& s) {
    std::vector<key_rule> rules;
    rules.push_back(path_rule(f, "database", "", s.database));
    rules.push_back(path_rule(f, "quarantine", "", s.quarantine));
    rules.push_back(path_rule(f, "services", "", s.services));
    rules.push_back({"dns", [&](const toml::node& v) -> result<void> {
                         auto t = get_table(f, v, "dns");
                         if (!t) return unexpected{t.err()};
                         return read_dns(f, **t, s.dns);
                     }});
    rules.push_back({"enrich", [&](const toml::node& v) -> result<void> {
                         auto t = get_table(f, v, "enrich");
                         if (!t) return unexpected{t.err()};
                         return read_enrich(f, **t, s.enrich);
                     }});
    rules.push_back({"ingest", [&](const toml::node& v) -> result<void> {
                         auto t = get_table(f, v, "ingest");
                         if (!t) return unexpected{t.err()};
                         return read_ingest(f, **t, s.ingest);
                     }});
    rules.push_back({"label", [&](const toml::node& v) -> result<void> {
                         const toml::array* a = v.as_array();
                         if (!a) return f.error(v, "label must be written [[label]] (one table per label)");
                         for (const auto& e : *a) {
                             const toml::table* t = e.as_table();
                             if (!t) return f.error(e, "label must be written [[label]] (one table per label)");
                             label l;
                             if (auto r = read_label(f, *t, s.labels.size() + 1, l); !r) return r;
                             s.labels.push_back(std::move(l));
                         }
                         return {};
                     }});
    rules.push_back({"postgres", [&](const toml::node& v) -> result<void> {
                         auto t = get_table(f, v, "postgres");
                         if (!t) return unexpected{t.err()};
                         if (auto r = walk(f, **t, "postgres", {}, {"password", "password_file", "password_env"}); !r) return r;
                         return get_secret(f, **t, "postgres", "password", s.postgres.password);
                     }});
    rules.push_back({"channels", [&](const toml::node& v) -> result<void> {
                         auto t = get_table(f, v, "channels");
                         if (!t) return unexpected{t.err()};
                         return read_channels(f, **t, s.channels);
                     }});
    rules.push_back({"mailboxes", [&](const toml::node& v) -> result<void> {
                         auto t = get_table(f, v, "mailboxes");
                         if (!t) return unexpected{t.err()};
                         return read_mailboxes(f, **t, s.mailboxes);
                     }});
    rules.push_back({"alerts", [&](const toml::node& v) -> result<void> {
                         auto t = get_table(f, v, "alerts");
                         if (!t) return unexpected{t.err()};
                         return read_alerts(f, **t, s.alerts);
                     }});
    rules.push_back({"digest", [&](const toml::node& v) -> result<void> {
                         auto t = get_table(f, v, "digest");
                         if (!t) return unexpected{t.err()};
                         return walk(f, **t, "digest", {channel_list_rule(f, "digest", s.digest.channels)});
                     }});
    rules.push_back({"retention", [&](const toml::node& v) -> result<void> {
                         auto t = get_table(f, v, "retention");
                         if (!t) return unexpected{t.err()};
                         return read_retention(f, **t, s.retention);
                     }});
    if (auto r = walk(f, root, "", rules); !r) return r;
    return check_channel_names(f, root, s);
}

// The DMARCSIGHT_* variables; the secret one is handled apart from set_from_text.
const std::vector<environment_variable> variables = {
    {"DMARCSIGHT_DB", "database"},
    {"DMARCSIGHT_QUARANTINE", "quarantine"},
    {"DMARCSIGHT_DNS_ZONE", "dns.zone"},
    {"DMARCSIGHT_DNS_WITH", "dns.with"},
    {"DMARCSIGHT_DNS_SERVERS", "dns.servers"},
    {"DMARCSIGHT_DNS_TIMEOUT", "dns.timeout"},
    {"DMARCSIGHT_ENRICH", "enrich.on_ingest"},
    {"DMARCSIGHT_OFFLINE", "enrich.offline"},
    {"DMARCSIGHT_LOCATION_DB", "enrich.location_db"},
    {"DMARCSIGHT_MMDB", "enrich.mmdb"},
    {"DMARCSIGHT_SERVICES", "services"},
    {"DMARCSIGHT_POSTGRES_PASSWORD", "postgres.password"},
};
constexpr const char* postgres_password_variable = "DMARCSIGHT_POSTGRES_PASSWORD";

}  // namespace

const std::vector<environment_variable>& environment_variables() { return variables; }

// ---------------------------------------------------------------------------------------------
// Layers

result<void> apply_text(settings& s, std::string_view text, const std::string& path, mode_t file_mode, uid_t file_owner) {
    settings next = s;  // a failed file changes nothing
    file_context f;
    f.path = path;
    f.dir = fs::path(path).parent_path();
    f.mode = file_mode;
    f.owner = file_owner;
    f.warnings = &next.warnings;
    toml::table root;
    try {
        root = toml::parse(text, std::string_view(path));
    } catch (const toml::parse_error& e) {
        return fail(f.at(e.source()) + ": " + without_quoted_input(e.description()));
    }
    if (auto r = read_root(f, root, next); !r) return r;
    s = std::move(next);
    return {};
}

result<void> apply_file(settings& s, const std::string& path, const origin& chosen_by) {
    auto bytes = read_capped(path, max_config_size, "configuration file");
    if (!bytes) return unexpected{bytes.err()};
    if (auto r = apply_text(s, bytes->text, path, bytes->st.st_mode, bytes->st.st_uid); !r) return r;
    s.file = {path, chosen_by};
    return {};
}

result<void> set_from_text(settings& s, std::string_view key, std::string_view text, const origin& from) {
    const std::string name = from.where.empty() ? std::string(key) : from.where;
    auto set_path = [&](setting<std::optional<std::string>>& out) -> result<void> {
        auto p = check_path(name, text);
        if (!p) return unexpected{p.err()};
        out = {std::move(p).value(), from};
        return {};
    };
    if (key == "database") {
        auto p = check_path(name, text);
        if (!p) return unexpected{p.err()};
        s.database = {std::move(p).value(), from};
    } else if (key == "quarantine") {
        return set_path(s.quarantine);
    } else if (key == "services") {
        return set_path(s.services);
    } else if (key == "dns.zone" || key == "dns.with") {
        // One DNS choice: a later layer naming one of the two replaces the other.
        auto& mine = key == "dns.zone" ? s.dns.zone : s.dns.with;
        auto& other = key == "dns.zone" ? s.dns.with : s.dns.zone;
        if (auto r = set_path(mine); !r) return r;
        other = {std::nullopt, from};
    } else if (key == "dns.servers") {
        std::vector<std::string> list;
        std::string_view rest = text;
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            const std::string_view item = text::trim(rest.substr(0, comma));
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            if (item.empty()) continue;
            if (auto ok = check_server(name, item); !ok) return ok;
            list.emplace_back(item);
        }
        if (list.empty()) return fail(name + " names no server (write ip[:port],ip[:port],...)");
        s.dns.servers = {std::move(list), from};
    } else if (key == "dns.timeout" || key == "enrich.ttl_days") {
        auto i = parse_int_text(name, text, key == "dns.timeout" ? timeout_range : ttl_range);
        if (!i) return unexpected{i.err()};
        (key == "dns.timeout" ? s.dns.timeout_s : s.enrich.ttl_days) = {*i, from};
    } else if (key == "enrich.on_ingest" || key == "enrich.offline") {
        auto b = parse_bool_text(name, text);
        if (!b) return unexpected{b.err()};
        (key == "enrich.on_ingest" ? s.enrich.on_ingest : s.enrich.offline) = {*b, from};
    } else if (key == "enrich.location_db") {
        auto p = check_path(name, text);
        if (!p) return unexpected{p.err()};
        s.enrich.location_db = {std::move(p).value(), from};
    } else if (key == "enrich.mmdb") {
        return set_path(s.enrich.mmdb);
    } else {
        return fail("unknown setting '" + std::string(key) + "'");
    }
    return {};
}

result<void> apply_environment(settings& s) {
    if (env("DMARCSIGHT_DNS_ZONE") && env("DMARCSIGHT_DNS_WITH"))
        return fail("DMARCSIGHT_DNS_ZONE and DMARCSIGHT_DNS_WITH exclude each other");
    settings next = s;
    for (const auto& v : variables) {
        const std::string name(v.name);
        const char* value = env(name.c_str());
        if (!value) continue;
        if (name == postgres_password_variable) {
            next.postgres.password = secret::from_environment(value, name, origin::environment(name));
            continue;
        }
        if (auto r = set_from_text(next, v.key, value, origin::environment(name)); !r) return r;
    }
    s = std::move(next);
    return {};
}

result<settings> load(const load_options& o) {
    settings s;
    std::optional<std::string> path;
    origin chosen;
    if (o.config_flag) {
        if (o.config_flag->empty()) return fail("--config needs a file name");
        path = *o.config_flag;
        chosen = origin::flag("--config");
    } else if (const char* e = o.use_environment ? env("DMARCSIGHT_CONFIG") : nullptr) {
        path = e;
        chosen = origin::environment("DMARCSIGHT_CONFIG");
    } else {
        std::error_code ec;
        // Present but unreadable is an error (apply_file says why); absent is the normal case.
        if (fs::exists(o.default_path, ec) || (ec && ec != std::errc::no_such_file_or_directory)) path = o.default_path;
    }
    if (path) {
        std::error_code ec;
        if (chosen.k != origin::kind::built_in && !fs::exists(*path, ec) && !ec)
            return fail("configuration file " + *path + " (" + chosen.describe() + ") does not exist");
        if (auto r = apply_file(s, *path, chosen); !r) return unexpected{r.err()};
    }
    if (o.use_environment) {
        if (auto r = apply_environment(s); !r) return unexpected{r.err()};
    }
    return s;
}

// ---------------------------------------------------------------------------------------------
// config show

std::vector<shown_setting> describe(const settings& s) {
    std::vector<shown_setting> out;
    auto opt = [](const std::optional<std::string>& v, const char* none) { return v ? *v : std::string(none); };
    auto opt_int = [](const std::optional<int>& v, const char* none) { return v ? std::to_string(*v) : std::string(none); };
    auto yes_no = [](bool b) { return std::string(b ? "true" : "false"); };
    out.push_back({"config_file", opt(s.file.value, "(none)"), s.file.from});
    out.push_back({"database", s.database.value, s.database.from});
    out.push_back({"quarantine", opt(s.quarantine.value, "(none: <database>.quarantine)"), s.quarantine.from});
    out.push_back({"services", opt(s.services.value, "(none: the built-in catalogue only)"), s.services.from});
    out.push_back({"dns.zone", opt(s.dns.zone.value, "(none)"), s.dns.zone.from});
    out.push_back({"dns.with", opt(s.dns.with.value, "(none)"), s.dns.with.from});
    std::string servers;
    for (const auto& v : s.dns.servers.value) servers += (servers.empty() ? "" : ",") + v;
    out.push_back({"dns.servers", servers.empty() ? "(none: /etc/resolv.conf)" : servers, s.dns.servers.from});
    out.push_back({"dns.timeout", opt_int(s.dns.timeout_s.value, "(none: each command's default)"), s.dns.timeout_s.from});
    out.push_back({"enrich.on_ingest", yes_no(s.enrich.on_ingest.value), s.enrich.on_ingest.from});
    out.push_back({"ingest.redact_failure_samples", yes_no(s.ingest.redact_failure_samples.value), s.ingest.redact_failure_samples.from});
    out.push_back({"enrich.offline", yes_no(s.enrich.offline.value), s.enrich.offline.from});
    out.push_back({"enrich.location_db", s.enrich.location_db.value, s.enrich.location_db.from});
    out.push_back({"enrich.mmdb", opt(s.enrich.mmdb.value, "(none)"), s.enrich.mmdb.from});
    out.push_back({"enrich.ttl_days", opt_int(s.enrich.ttl_days.value, "(none: the built-in TTLs)"), s.enrich.ttl_days.from});
    for (std::size_t i = 0; i < s.labels.size(); ++i) {
        const label& l = s.labels[i];
        std::string v = "domain=" + l.domain;
        v += l.source ? " source=" + l.source->to_string() : " service=" + l.service;
        v += " class=" + std::string(to_string(l.cls));
        if (!l.note.empty()) v += " note=" + l.note;
        out.push_back({"label[" + std::to_string(i + 1) + "]", std::move(v), l.from});
    }
    out.push_back({"postgres.password", s.postgres.password.describe(), s.postgres.password.from()});
    for (const auto& m : s.mailboxes) {
        const std::string k = "mailboxes." + m.name;
        if (!m.url.empty()) {
            out.push_back({k + ".url", m.url, m.where});
            if (!m.username.empty()) out.push_back({k + ".username", m.username, m.where});
            if (m.password) out.push_back({k + ".password", m.password->describe(), m.password->from()});
            if (m.token) out.push_back({k + ".token", m.token->describe(), m.token->from()});
            out.push_back({k + ".ca_file", m.ca_file.empty() ? "(none: the system's trust store)" : m.ca_file, m.where});
            out.push_back({k + ".batch", std::to_string(m.batch), m.where});
            out.push_back({k + ".poll_seconds", std::to_string(m.poll_seconds), m.where});
        } else {
            out.push_back({k + ".maildir", m.maildir, m.where});
        }
        out.push_back({k + ".aggregate", m.aggregate, m.where});
        out.push_back({k + ".failure", m.failure, m.where});
        out.push_back({k + ".tlsrpt", m.tlsrpt, m.where});
        out.push_back({k + ".invalid", m.invalid, m.where});
        out.push_back({k + ".max_message_bytes", std::to_string(m.max_message_bytes), m.where});
    }
    for (const auto& c : s.channels) {
        const std::string k = "channels." + c.name;
        out.push_back({k + ".type", c.type, c.where});
        out.push_back({k + ".url", c.url, c.where});
        if (c.type == "webhook") {
            out.push_back({k + ".style", c.style, c.where});
            out.push_back({k + ".secret", c.secret ? c.secret->describe() : "(not set)", c.secret ? c.secret->from() : c.where});
        } else {
            out.push_back({k + ".starttls", c.url.starts_with("smtps://") ? "(implicit TLS: smtps://)" : c.starttls, c.where});
            out.push_back({k + ".username", c.username.empty() ? "(none: no AUTH)" : c.username, c.where});
            out.push_back({k + ".password", c.password ? c.password->describe() : "(not set)", c.password ? c.password->from() : c.where});
            out.push_back({k + ".from", c.from, c.where});
            std::string to;
            for (const auto& a : c.to) to += (to.empty() ? "" : ",") + a;
            out.push_back({k + ".to", to, c.where});
        }
        out.push_back({k + ".ca_file", c.ca_file.empty() ? "(none: the system's trust store)" : c.ca_file, c.where});
        out.push_back({k + ".timeout", std::to_string(c.timeout_s), c.where});
    }
    auto num = [](const auto& v) { return std::to_string(v); };
    const alert_settings& a = s.alerts;
    out.push_back({"alerts.settle_hours", num(a.settle_hours.value), a.settle_hours.from});
    out.push_back({"alerts.window_days", num(a.window_days.value), a.window_days.from});
    out.push_back({"alerts.min_history_days", num(a.min_history_days.value), a.min_history_days.from});
    out.push_back({"alerts.new_source_min_messages", num(a.new_source_min_messages.value), a.new_source_min_messages.from});
    out.push_back({"alerts.failure_spike_min_messages", num(a.failure_spike_min_messages.value), a.failure_spike_min_messages.from});
    out.push_back({"alerts.failure_spike_min_days", num(a.failure_spike_min_days.value), a.failure_spike_min_days.from});
    out.push_back({"alerts.failure_spike_rise", number_text(a.failure_spike_rise.value), a.failure_spike_rise.from});
    out.push_back({"alerts.pass_rate_drop_min_messages", num(a.pass_rate_drop_min_messages.value), a.pass_rate_drop_min_messages.from});
    out.push_back({"alerts.pass_rate_drop", number_text(a.pass_rate_drop.value), a.pass_rate_drop.from});
    out.push_back({"alerts.unauthorized_spike_factor", number_text(a.unauthorized_spike_factor.value), a.unauthorized_spike_factor.from});
    out.push_back({"alerts.unauthorized_spike_min_excess", num(a.unauthorized_spike_min_excess.value), a.unauthorized_spike_min_excess.from});
    out.push_back({"alerts.no_reports_hours", num(a.no_reports_hours.value), a.no_reports_hours.from});
    auto names = [](const std::vector<std::string>& v, const char* none) {
        std::string t;
        for (const auto& n : v) t += (t.empty() ? "" : ",") + n;
        return t.empty() ? std::string(none) : t;
    };
    out.push_back({"alerts.channels", names(a.channels.value, "(none: every channel)"), a.channels.from});
    out.push_back({"digest.channels", names(s.digest.channels.value, "(none: every channel)"), s.digest.channels.from});
    out.push_back({"retention.older_than", opt(s.retention.older_than.value, "(none: keep everything)"), s.retention.older_than.from});
    return out;
}

bool valid_mailbox_action(std::string_view a) {
    if (a == "delete" || a == "seen" || a == "leave") return true;
    if (a.empty() || a.size() > 200 || a.front() == '.' || a.front() == '/' || a.back() == '/') return false;
    if (a.find("..") != std::string_view::npos || a.find("//") != std::string_view::npos) return false;
    return a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ._-/") == std::string_view::npos;
}

}  // namespace dmarcsight::config
