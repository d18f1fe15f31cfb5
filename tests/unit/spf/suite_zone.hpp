// The openspf test-suite zone data (YAML) as a dns::resolver, following the suite's reference
// driver (pyspf test/testspf.py) exactly:
//   * a name's SPF: records also serve as its TXT records unless the name lists TXT: of its own
//     (a "TXT: NONE" entry counts as its own, and means "no TXT records");
//   * "TIMEOUT" in a name's list: a query for a type that has no record listed BEFORE the
//     TIMEOUT entry times out (so "TXT: ..., TIMEOUT" answers TXT but times out the rest);
//   * names not in the zone whose first label is "error" time out (RFC 4408 suite);
//   * everything else is answered by dns::zone_resolver (CNAMEs, NXDOMAIN vs NODATA).
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "dns/zone_resolver.hpp"

namespace dmarcsight::spf_test {

class suite_zone : public dns::resolver {
public:
    explicit suite_zone(const YAML::Node& zonedata) {
        if (!zonedata || !zonedata.IsMap()) return;
        for (auto entry : zonedata) {  // yaml-cpp iterators yield temporaries: copy the handles
            const std::string owner = dns::canonical_name(entry.first.as<std::string>());
            known_.insert(owner);
            const YAML::Node list = entry.second;
            if (!list || !list.IsSequence()) continue;
            bool own_txt = false;
            for (YAML::Node rr : list) {
                if (rr.IsMap() && rr.begin()->first.as<std::string>() == "TXT") own_txt = true;
            }
            std::set<dns::rr_type> before_timeout;
            bool timeout = false;
            for (YAML::Node rr : list) {
                if (rr.IsScalar()) {
                    if (rr.as<std::string>() == "TIMEOUT") {
                        timeout = true;
                        break;
                    }
                    continue;
                }
                if (!rr.IsMap()) continue;
                const std::string type = rr.begin()->first.as<std::string>();
                const YAML::Node value = rr.begin()->second;
                if (value.IsScalar() && value.as<std::string>() == "NONE") continue;
                add(owner, type, value, own_txt, before_timeout);
            }
            if (timeout) timeouts_[owner] = before_timeout;
        }
    }

    dns::answer query(std::string_view name, dns::rr_type type) override {
        const std::string key = dns::canonical_name(name);
        if (auto it = timeouts_.find(key); it != timeouts_.end() && !it->second.count(type)) {
            dns::answer a;
            a.status = dns::rcode::timeout;
            return a;
        }
        if (!known_.count(key) && key.rfind("error.", 0) == 0) {
            dns::answer a;
            a.status = dns::rcode::timeout;
            return a;
        }
        return zone_.query(name, type);
    }

private:
    void add(const std::string& owner, const std::string& type, const YAML::Node& value, bool own_txt,
             std::set<dns::rr_type>& seen) {
        dns::resource_record rr;
        rr.owner = owner;
        rr.ttl = 3600;
        if (type == "A" || type == "AAAA") {
            auto ip = ip_address::parse(value.as<std::string>());
            if (!ip) return;
            rr.type = type == "A" ? dns::rr_type::a : dns::rr_type::aaaa;
            rr.data = *ip;
        } else if (type == "MX") {
            dns::mx_rdata mx;
            mx.preference = static_cast<std::uint16_t>(value[0].as<unsigned>());
            mx.exchange = dns::canonical_name(value[1].as<std::string>());
            rr.type = dns::rr_type::mx;
            rr.data = mx;
        } else if (type == "PTR" || type == "CNAME") {
            rr.type = type == "PTR" ? dns::rr_type::ptr : dns::rr_type::cname;
            rr.data = dns::canonical_name(value.as<std::string>());
        } else if (type == "TXT" || type == "SPF") {
            dns::txt_rdata txt;
            if (value.IsSequence()) {
                for (const auto& s : value) txt.strings.push_back(s.as<std::string>());
            } else {
                txt.strings.push_back(value.as<std::string>());
            }
            rr.type = type == "TXT" ? dns::rr_type::txt : dns::rr_type::spf;
            rr.data = txt;
            if (type == "SPF" && !own_txt) {
                dns::resource_record copy = rr;
                copy.type = dns::rr_type::txt;
                seen.insert(dns::rr_type::txt);
                zone_.add(std::move(copy));
            }
        } else {
            return;
        }
        seen.insert(rr.type);
        zone_.add(std::move(rr));
    }

    dns::zone_resolver zone_;
    std::set<std::string> known_;
    std::map<std::string, std::set<dns::rr_type>> timeouts_;
};

}  // namespace dmarcsight::spf_test
