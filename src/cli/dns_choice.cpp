#include "cli/dns_choice.hpp"

#include "cli/common.hpp"

namespace dmarcsight::cli {

namespace {
// A resolver that answers nothing at all (not even NXDOMAIN for the root) is an environment
// problem, not a finding about the domains checked.
bool reachable(dns::resolver& r, std::string& why) {
    const dns::answer a = r.query(".", dns::rr_type::ns);
    if (a.status == dns::rcode::timeout || a.status == dns::rcode::refused) {
        why = a.detail.empty() ? "no DNS resolver answered" : a.detail;
        return false;
    }
    return true;
}
}  // namespace

void fill_dns_from_settings(bool zone_or_with_flag_given, bool server_flag_given, std::string& zone_file,
                            std::string& with_file, std::vector<std::string>& servers) {
    const config::dns_settings& d = settings().dns;
    if (!zone_or_with_flag_given) {
        zone_file = d.zone.value.value_or("");
        with_file = d.with.value.value_or("");
    }
    if (!server_flag_given) servers = d.servers.value;
}

int default_dns_timeout_s(int command_default) { return settings().dns.timeout_s.value.value_or(command_default); }

result<void> choose_dns(const std::string& zone_file, const std::string& with_file, const std::vector<std::string>& servers,
                        dns_choice& out) {
    if (!zone_file.empty() && !with_file.empty()) return fail("--zone and --with exclude each other");
    const std::string& file = !zone_file.empty() ? zone_file : with_file;
    if (!file.empty()) {
        if (auto loaded = out.zone.load_file(file); !loaded) return loaded;
    }
    out.resolver = &out.zone;
    if (!zone_file.empty()) return {};
    dns::cares_options options;
    options.servers = servers;
    auto created = dns::cares_resolver::create(options);
    if (!created) return fail("cannot start the DNS resolver: " + created.err().message);
    out.live = std::move(created).value();
    std::string why;
    if (!reachable(*out.live, why)) return fail("no DNS resolver reachable: " + why);
    if (!with_file.empty()) {
        out.overlay = std::make_unique<dns::overlay_resolver>(out.zone, *out.live);
        out.resolver = out.overlay.get();
    } else {
        out.resolver = out.live.get();
    }
    return {};
}

}  // namespace dmarcsight::cli
