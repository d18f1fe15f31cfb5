#include "notify/webhook.hpp"

#include <algorithm>
#include <chrono>

#include "core/limits.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "net/http_client.hpp"
#include "notify/hmac.hpp"

namespace dmarcsight::notify {

namespace {

// Cuts UTF-8 text to at most `max` bytes on a character boundary, with "…" when cut.
std::string cut(std::string_view s, std::size_t max) {
    if (s.size() <= max) return std::string(s);
    std::size_t n = max >= 3 ? max - 3 : 0;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    return std::string(s.substr(0, n)) + "…";
}

// Slack's mrkdwn treats &, < and > as control characters: text must escape them, or a report's
// text could become a link or a mention (https://api.slack.com/reference/surfaces/formatting).
std::string slack_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            default: out += c;
        }
    }
    return out;
}

// Block Kit limits: a header's text 150 characters, a section's 3000, 50 blocks a message.
constexpr std::size_t slack_header_max = 150;
constexpr std::size_t slack_section_max = 3000;
constexpr std::size_t slack_max_sections = 40;

nlohmann::json slack_payload(const message& m) {
    nlohmann::json blocks = nlohmann::json::array();
    blocks.push_back({{"type", "header"}, {"text", {{"type", "plain_text"}, {"text", cut(m.subject, slack_header_max)}, {"emoji", false}}}});
    // The text in sections of whole lines, each within the limit once escaped.
    const std::string escaped = slack_escape(m.text);
    std::string_view rest = escaped;
    while (!rest.empty() && blocks.size() <= slack_max_sections) {
        std::size_t n = rest.size();
        if (n > slack_section_max) {
            const auto nl = rest.rfind('\n', slack_section_max);
            n = nl != std::string_view::npos && nl > 0 ? nl + 1 : slack_section_max;
            // Never cut an escape (&amp;) or a UTF-8 sequence in two.
            const auto amp = rest.rfind('&', n - 1);
            if (amp != std::string_view::npos && amp + 5 > n && rest.find(';', amp) >= n) n = amp;
            while (n > 0 && (static_cast<unsigned char>(rest[n]) & 0xC0) == 0x80) --n;
            if (n == 0) n = std::min(rest.size(), slack_section_max);
        }
        blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", std::string(rest.substr(0, n))}}}});
        rest.remove_prefix(n);
    }
    // `text` is the notification's fallback (shown where blocks are not).
    return {{"text", cut(slack_escape(m.subject), slack_header_max * 2)}, {"blocks", std::move(blocks)}};
}

// Adaptive Card TextBlocks render Markdown, whose "[text](url)" would let a report's text (a
// reporter's name, say) show a link that reads as something else; "] (" is no link, and stays
// readable. Bare URLs are left: they show what they open.
std::string teams_text(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        out += s[i];
        if (s[i] == ']' && i + 1 < s.size() && s[i + 1] == '(') out += ' ';
    }
    return out;
}

nlohmann::json teams_payload(const message& m) {
    nlohmann::json card = {
        {"$schema", "http://adaptivecards.io/schemas/adaptive-card.json"},
        {"type", "AdaptiveCard"},
        {"version", "1.4"},
        {"body",
         nlohmann::json::array({
             {{"type", "TextBlock"}, {"text", teams_text(m.subject)}, {"weight", "Bolder"}, {"size", "Medium"}, {"wrap", true}},
             {{"type", "TextBlock"}, {"text", teams_text(m.text)}, {"wrap", true}},
         })},
    };
    return {{"type", "message"},
            {"summary", m.subject},
            {"attachments",
             nlohmann::json::array({{{"contentType", "application/vnd.microsoft.card.adaptive"}, {"contentUrl", nullptr}, {"content", std::move(card)}}})}};
}

bool printable_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::string channel_prefix(const config::channel_settings& ch) { return "channel " + ch.name + ": "; }

}  // namespace

result<nlohmann::json> webhook_payload(std::string_view style, const message& m) {
    if (style == "json")
        return nlohmann::json{{"subject", m.subject}, {"text", m.text}, {"data", m.data.is_null() ? nlohmann::json::object() : m.data}, {"id", m.id}};
    if (style == "slack") return slack_payload(m);
    if (style == "teams") return teams_payload(m);
    return fail("unknown webhook style '" + text::for_terminal(style, 40) + "' (json, slack or teams)");
}

std::string webhook_signature(std::string_view secret, std::int64_t timestamp, std::string_view body) {
    std::string signed_text = std::to_string(timestamp);
    signed_text += '.';
    signed_text.append(body);
    return "sha256=" + hmac_sha256_hex(secret, signed_text);
}

result<webhook_request> build_webhook_request(const config::channel_settings& ch, const message& m, std::int64_t timestamp) {
    auto payload = webhook_payload(ch.style, m);
    if (!payload) return unexpected{payload.err()};
    webhook_request r;
    // Invalid UTF-8 in the texts becomes U+FFFD (nlohmann would throw); the body is what is signed.
    r.body = payload->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    r.headers.push_back("Content-Type: application/json");
    r.headers.push_back("X-Dmarcsight-Timestamp: " + std::to_string(timestamp));
    if (!m.id.empty()) {
        // A header value must stay one line of visible characters (no injection through an id).
        r.headers.push_back("X-Dmarcsight-Id: " + (printable_ascii(m.id) && m.id.size() <= 200 ? m.id : sha256_hex(m.id)));
    }
    if (ch.secret && ch.secret->present()) r.headers.push_back("X-Dmarcsight-Signature: " + webhook_signature(ch.secret->reveal(), timestamp, r.body));
    return r;
}

result<delivery> send_webhook(const config::channel_settings& ch, const message& m) {
    auto req = build_webhook_request(ch, m, utc::now());
    if (!req) return fail(channel_prefix(ch) + req.err().message);
    net::http_request h;
    h.method = "POST";
    h.url = ch.url;
    h.headers = std::move(req->headers);
    h.body = std::move(req->body);
    net::http_options o;
    o.deadline = std::chrono::seconds(ch.timeout_s);
    o.connect_timeout = std::chrono::seconds(std::min(ch.timeout_s, 10));
    o.max_body = max_webhook_response;
    o.ca_file = ch.ca_file;
    // http:// is the user's choice in the configuration (a receiver on the same host or network);
    // TLS, when https://, is verified as always.
    o.allow_plain_http = true;
    o.user_agent = "dmarcsight-notify";
    auto r = net::http_fetch(h, o);
    const std::string shown_url = text::for_terminal(ch.url, 200);
    if (!r) return fail(channel_prefix(ch) + "webhook " + shown_url + ": " + r.err().message);
    if (r->status < 200 || r->status > 299) {
        std::string why = channel_prefix(ch) + "webhook " + shown_url + " answered HTTP " + std::to_string(r->status);
        const auto first_line = r->body.substr(0, r->body.find_first_of("\r\n"));
        if (!text::trim(first_line).empty()) why += " (" + text::for_terminal(text::trim(first_line), limits::max_logged_text) + ")";
        if (r->status >= 300 && r->status < 400) why += "; redirects are not followed";
        return fail(why);
    }
    return delivery{"HTTP " + std::to_string(r->status) + " from " + shown_url, r->status};
}

}  // namespace dmarcsight::notify
