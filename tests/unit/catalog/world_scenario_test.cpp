// The scenario generator's worlds name real services by their real PTR, SPF, DKIM and bounce
// names (/work/shared/scenario/README.md): the built-in catalogue must recognise them, with a
// type of the same family, or classification of those worlds cannot work.
#include "catalog/service_catalog.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

namespace dmarcsight::catalog {
namespace {

// Types that classification treats alike: a world may call Amazon SES "esp" where we say
// "transactional", or Intercom "crm" where we say "helpdesk"; it must never mix a forwarder
// with an ESP or a list with a mailbox provider.
int family(service_type t) {
    switch (t) {
        case service_type::esp:
        case service_type::transactional: return 1;
        case service_type::crm:
        case service_type::saas:
        case service_type::helpdesk:
        case service_type::hr_payroll:
        case service_type::survey: return 2;
        case service_type::mailbox_provider:
        case service_type::hosting: return 3;
        case service_type::forwarder: return 4;
        case service_type::mailing_list: return 5;
        case service_type::security_gateway: return 6;
    }
    return 0;
}

// The world's templates ({dashed}, {tenant}) filled the way the generator does for a domain.
std::string fill(std::string s) {
    for (const std::string key : {"{dashed}", "{tenant}", "{domain}"}) {
        for (auto p = s.find(key); p != std::string::npos; p = s.find(key)) s.replace(p, key.size(), "acme-outdoor-com");
    }
    return s;
}

TEST(WorldScenario, EveryServiceResolvesToTheSameFamily) {
    const std::filesystem::path file = std::filesystem::path(DMARCSIGHT_SHARED_DIR) / "scenario" / "world-a.json";
    if (!std::filesystem::exists(file)) GTEST_SKIP() << "scenario absent: " << file;
    std::ifstream in(file);
    const auto world = nlohmann::json::parse(in);
    const auto& cat = catalog::builtin();

    std::string local_entries;
    int resolved = 0;
    for (const auto& svc : world.at("services")) {
        const std::string name = svc.at("name");
        const auto world_type = parse_service_type(svc.at("type").get<std::string>());
        ASSERT_TRUE(world_type) << name << ": unknown world type " << svc.at("type");
        const service* first = nullptr;
        for (const auto& suffix : svc.at("ptr_suffixes")) {
            const service* s = cat.by_ptr("host-1." + suffix.get<std::string>());
            if (!s) continue;
            first = first ? first : s;
            EXPECT_EQ(s, first) << name << ": ptr suffixes resolve to different entries";
            EXPECT_EQ(family(s->type), family(*world_type))
                << name << " (" << to_string(*world_type) << ") resolves to " << s->name << " (" << to_string(s->type) << ")";
        }
        if (!first) {
            // Only an institution's own forwarders and list servers (a university's alumni
            // forwarding) are outside what a public catalogue can know: users add those in their
            // own file. Every commercial service must be built in.
            EXPECT_TRUE(*world_type == service_type::forwarder || *world_type == service_type::mailing_list)
                << name << " (" << to_string(*world_type) << ") is not in the built-in catalogue";
            std::cout << "[ note     ] " << name << ": local " << to_string(*world_type)
                      << ", not in the built-in catalogue (added from a user file below)\n";
            local_entries += "[[service]]\nname = " + nlohmann::json(name).dump() + "\ntype = \"" +
                             std::string(to_string(*world_type)) + "\"\nptr_suffixes = " + svc.at("ptr_suffixes").dump() + "\n";
            continue;
        }
        ++resolved;
        // The world's domain facts lead to the same entry.
        for (const char* key : {"spf_include", "dkim_domain", "bounce_domain"}) {
            if (!svc.contains(key)) continue;
            const std::string d = fill(svc.at(key).get<std::string>());
            EXPECT_EQ(cat.by_domain(d), first) << name << ": " << key << " " << d;
        }
    }
    EXPECT_GT(resolved, 0);

    // What the built-in catalogue lacks, a user file supplies.
    if (!local_entries.empty()) {
        catalog with_user = cat;
        auto r = with_user.add_text(local_entries, "local.toml");
        ASSERT_TRUE(r) << r.err().message;
        for (const auto& svc : world.at("services")) {
            for (const auto& suffix : svc.at("ptr_suffixes"))
                EXPECT_NE(with_user.by_ptr("host-1." + suffix.get<std::string>()), nullptr) << suffix;
        }
    }
}

}  // namespace
}  // namespace dmarcsight::catalog
