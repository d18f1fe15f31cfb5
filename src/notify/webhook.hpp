// Webhook bodies and headers (pure: no I/O), and their delivery over HTTP(S).
//
// Styles: `json` — {"subject","text","data","id"}; `slack` — a Slack incoming-webhook payload
// ({"text": fallback, "blocks": [header, section…]}, Block Kit limits respected); `teams` — a
// message with one Adaptive Card attachment (what Teams Workflows' "When a Teams webhook request
// is received" and the older incoming webhooks both accept).
//
// Signature (when the channel has a secret): X-Dmarcsight-Signature: sha256=HEX, HEX the
// HMAC-SHA256 of "<timestamp>.<body>" keyed with the secret, X-Dmarcsight-Timestamp the Unix
// time in the signed text; a receiver recomputes it and refuses an old timestamp (replays).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "notify/notify.hpp"

namespace dmarcsight::notify {

// The body for a style ("json", "slack", "teams"); an unknown style is an error.
result<nlohmann::json> webhook_payload(std::string_view style, const message& m);

// "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body).
std::string webhook_signature(std::string_view secret, std::int64_t timestamp, std::string_view body);

struct webhook_request {
    std::string body;                  // the JSON text sent
    std::vector<std::string> headers;  // "Name: value" lines
};
// Body and headers as they are sent at `timestamp` (the secret, if any, from ch.secret).
// The id goes into X-Dmarcsight-Id only when it is printable ASCII (else its SHA-256).
result<webhook_request> build_webhook_request(const config::channel_settings& ch, const message& m, std::int64_t timestamp);

// The most of a response kept (a webhook answers "ok"; the rest is not read).
inline constexpr std::size_t max_webhook_response = 64 * 1024;

result<delivery> send_webhook(const config::channel_settings& ch, const message& m);

}  // namespace dmarcsight::notify
