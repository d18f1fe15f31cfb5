// Delivery of alerts and digests to the channels of the configuration ([channels.NAME]): a
// webhook (HTTP(S) POST of JSON, signed with HMAC-SHA256 when a secret is set) or mail through
// SMTP. What it talks to: the one server a channel names, nothing else; what it may touch: no
// files but the channel's CA bundle. Nothing here retries or remembers: the caller (alerts --send,
// digest --send) keeps the state of what was delivered and tries again later.
//
// Errors name the channel and the reason ("channel ops: webhook answered HTTP 500"); they never
// contain a secret or a password (the URL holds no credentials: the configuration refuses them).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "core/result.hpp"

namespace dmarcsight::notify {

struct message {          // what is delivered
    std::string subject;  // one line (mail Subject; webhook title)
    std::string text;     // plain text body
    std::string html;     // optional HTML alternative (mail: multipart/alternative)
    nlohmann::json data;  // the structured payload (webhook "json" style body)
    std::string id;       // stable id of what is sent (e.g. alert id) for idempotency headers
};

// What happened, for a person: "HTTP 200 from https://hooks.example/x", "accepted by
// smtp://127.0.0.1:25 for 2 recipients (250)".
struct delivery {
    std::string summary;
    long status = 0;  // the HTTP status or the last SMTP reply code
};

// Dispatches on ch.type ("webhook", "smtp"). One attempt; bounded by ch.timeout_s.
result<delivery> deliver(const config::channel_settings& ch, const message& m);
result<void> send(const config::channel_settings& ch, const message& m);

// The message `notify --test` sends: says what it is, which channel, from which host, when.
message test_message(const config::channel_settings& ch, std::int64_t now);

}  // namespace dmarcsight::notify
