#include "notify/notify.hpp"

#include <unistd.h>

#include "core/time.hpp"
#include "notify/mail.hpp"
#include "notify/webhook.hpp"

namespace dmarcsight::notify {

result<delivery> deliver(const config::channel_settings& ch, const message& m) {
    if (ch.type == "webhook") return send_webhook(ch, m);
    if (ch.type == "smtp") return send_mail(ch, m);
    return fail("channel " + ch.name + ": unknown type '" + ch.type + "' (webhook or smtp)");
}

result<void> send(const config::channel_settings& ch, const message& m) {
    auto r = deliver(ch, m);
    if (!r) return unexpected{r.err()};
    return {};
}

namespace {
std::string html_escape(std::string_view s) {
    std::string out;
    for (const char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}
}  // namespace

message test_message(const config::channel_settings& ch, std::int64_t now) {
    char host[256] = {0};
    if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    const std::string when = utc::format_iso8601(now);
    message m;
    m.subject = "dmarcsight test message (channel " + ch.name + ")";
    m.text = "This is a test message from dmarcsight on " + std::string(host) + " at " + when +
             ".\n\nIt was sent by `dmarcsight notify --test " + ch.name +
             "`: alerts and digests for this channel will arrive the same way.\n";
    m.html = ch.type == "smtp" ? "<p>This is a test message from <b>dmarcsight</b> on " + html_escape(host) + " at " + when +
                                     ".</p>\n<p>Alerts and digests for channel <code>" + html_escape(ch.name) +
                                     "</code> will arrive the same way.</p>\n"
                               : std::string();
    m.data = {{"kind", "test"}, {"channel", ch.name}, {"host", host}, {"time", when}};
    m.id = "test-" + ch.name + "-" + std::to_string(now);
    return m;
}

}  // namespace dmarcsight::notify
