// Alert state in every driver (store::sync_alerts and the rest): provisional alerts replaced by a
// later evaluation, settled ones kept as history, acks, deliveries, mutes and DNS findings.
#include <gtest/gtest.h>

#include "support/store_drivers.hpp"

namespace dmarcsight {
namespace {

using test_support::store_drivers;
class alert_state : public store_drivers {};
INSTANTIATE_TEST_SUITE_P(drivers, alert_state, test_support::all_drivers(), test_support::driver_name);

store::alert_row row(std::string id, std::string day, std::string domain, std::int64_t settled) {
    store::alert_row a;
    a.id = std::move(id);
    a.day = std::move(day);
    a.kind = "new_source";
    a.domain = std::move(domain);
    a.source = "192.0.2.1";
    a.severity = "warning";
    a.detail = "first seen";
    a.first_seen = 100;
    a.settled_at = settled;
    return a;
}

TEST_P(alert_state, sync_replaces_provisional_and_keeps_settled) {
    auto db = open();
    ASSERT_TRUE(db) << db.err().message;
    auto& s = **db;
    ASSERT_TRUE(s.sync_alerts({row("a1", "2025-10-01", "example.com", 500), row("a2", "2025-10-02", "example.com", 0),
                               row("b1", "2025-10-02", "example.org", 0)},
                              "", "0000-00-00", "9999-99-99"));
    // A later run: a2 no longer fires, a1 fires with other words (settled: unchanged), a3 is new.
    auto changed = row("a1", "2025-10-01", "example.com", 900);
    changed.detail = "other words";
    ASSERT_TRUE(s.sync_alerts({changed, row("a3", "2025-10-03", "example.com", 0)}, "example.com", "0000-00-00", "9999-99-99"));
    auto kept = s.kept_alerts();
    ASSERT_TRUE(kept) << kept.err().message;
    std::vector<std::string> ids;
    for (const auto& k : *kept) ids.push_back(k.id + "@" + std::to_string(k.settled_at) + ":" + k.detail);
    // b1 belongs to another domain than the one evaluated: kept.
    EXPECT_EQ(ids, (std::vector<std::string>{"a1@500:first seen", "b1@0:first seen", "a3@0:first seen"}));
    // A provisional alert settles.
    ASSERT_TRUE(s.sync_alerts({row("a3", "2025-10-03", "example.com", 1000)}, "example.com", "2025-10-03", "2025-10-03"));
    kept = s.kept_alerts();
    ASSERT_TRUE(kept);
    EXPECT_EQ(kept->back().id, "a3");
    EXPECT_EQ(kept->back().settled_at, 1000);
    EXPECT_EQ(kept->size(), 3u);

    auto acked = s.ack_alert("a1", "known", 1234);
    ASSERT_TRUE(acked && *acked);
    acked = s.ack_alert("nope", "", 1);
    ASSERT_TRUE(acked);
    EXPECT_FALSE(*acked);
    kept = s.kept_alerts();
    EXPECT_EQ(kept->front().acked_at, 1234);
    EXPECT_EQ(kept->front().ack_note, "known");
}

TEST_P(alert_state, deliveries_mutes_and_dns_findings) {
    auto db = open();
    ASSERT_TRUE(db) << db.err().message;
    auto& s = **db;
    ASSERT_TRUE(s.put_delivery({"a1", "hook", 1, 10, 0, "HTTP 500"}));
    ASSERT_TRUE(s.put_delivery({"a1", "hook", 2, 20, 21, ""}));
    ASSERT_TRUE(s.put_delivery({"a1", "mail", 1, 20, 22, ""}));
    ASSERT_TRUE(s.put_delivery({"a2", "mail", 1, 20, 0, "refused"}));
    auto d = s.deliveries("a1");
    ASSERT_TRUE(d) << d.err().message;
    ASSERT_EQ(d->size(), 2u);
    EXPECT_EQ((*d)[0].channel, "hook");
    EXPECT_EQ((*d)[0].attempts, 2);
    EXPECT_EQ((*d)[0].delivered_at, 21);
    EXPECT_EQ((*d)[0].last_error, "");
    EXPECT_EQ(s.deliveries("")->size(), 3u);

    store::mute_row m;
    m.domain = "example.com";
    m.kind = "reporter_gap";
    m.until_day = "2026-01-01";
    m.note = "Mimecast outage";
    auto id1 = s.put_mute(m);
    ASSERT_TRUE(id1) << id1.err().message;
    m.kind = "";
    m.source = "192.0.2.0/24";
    auto id2 = s.put_mute(m);
    ASSERT_TRUE(id2);
    EXPECT_NE(*id1, *id2);
    auto ms = s.mutes();
    ASSERT_TRUE(ms);
    ASSERT_EQ(ms->size(), 2u);
    EXPECT_EQ((*ms)[0].note, "Mimecast outage");
    EXPECT_EQ((*ms)[1].source, "192.0.2.0/24");
    EXPECT_TRUE(*s.remove_mute(*id1));
    EXPECT_FALSE(*s.remove_mute(*id1));
    EXPECT_EQ(s.mutes()->size(), 1u);

    auto f = s.dns_findings("example.com");
    ASSERT_TRUE(f);
    EXPECT_FALSE(f->has_value());
    ASSERT_TRUE(s.put_dns_findings("example.com", R"([{"code":"dmarc.no_rua"}])", 50));
    ASSERT_TRUE(s.put_dns_findings("example.com", R"([])", 60));
    f = s.dns_findings("example.com");
    ASSERT_TRUE(f && f->has_value());
    EXPECT_EQ((*f)->first, "[]");
    EXPECT_EQ((*f)->second, 60);
}

}  // namespace
}  // namespace dmarcsight
