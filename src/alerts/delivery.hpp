// Sending settled alerts through the configured channels (src/notify/), each (alert, channel)
// exactly once across runs and workers: a delivery is claimed (store::try_claim) before it is
// sent, its row read again under the claim (another worker may just have sent it), and the
// outcome written after. A failed channel keeps the alert pending for that channel only: the next
// run retries it, the channels that worked are not sent again.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "alerts/engine.hpp"
#include "config/config.hpp"
#include "core/result.hpp"
#include "notify/notify.hpp"
#include "store/store.hpp"

namespace dmarcsight::alerts {

// The channels named (empty: every configured channel); an unknown name is an error.
result<std::vector<const config::channel_settings*>> channels_for(const config::settings& s, const std::vector<std::string>& names);

struct delivery_summary {
    std::size_t delivered = 0;          // (alert, channel) deliveries made now
    std::size_t alerts = 0;             // alerts with at least one of them
    std::size_t claimed_elsewhere = 0;  // another worker held the claim
    std::vector<std::string> failures;  // one line each: alert, channel, reason
};

// One delivery of `m` (its id names it: an alert id, "digest week 2026-10-05 *") to one channel,
// once across runs and workers: claimed, the channel's row read again under the claim, sent
// unless it was delivered already (or `again`), the outcome recorded.
enum class attempt_outcome { delivered, failed, already_delivered, claimed_elsewhere };
struct attempt {
    attempt_outcome outcome = attempt_outcome::failed;
    store::delivery_row row;  // as recorded (failed: with last_error)
};
result<attempt> deliver_once(store::store& db, const config::channel_settings& ch, const notify::message& m, std::int64_t now,
                             bool again = false);

// What an alert looks like on a channel.
notify::message message_for(const alert_view& v);

// Delivers every settled alert that is neither acknowledged nor muted to each channel that has
// not had it yet. Updates the views' deliveries.
result<delivery_summary> deliver(store::store& db, std::vector<alert_view>& views,
                                 const std::vector<const config::channel_settings*>& channels, std::int64_t now);

}  // namespace dmarcsight::alerts
