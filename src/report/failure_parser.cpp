#include "report/failure_parser.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "core/ip_address.hpp"
#include "core/limits.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "core/utf8.hpp"

namespace dmarcsight::report {

namespace {

bool has_field_type(std::string_view ct) {
    return ct == "message/feedback-report";
}

// message/rfc822 (RFC 6591 §3.2: the whole message) or its header only (text/rfc822-headers,
// RFC 6522 §4; some send message/rfc822-headers).
bool is_sample_type(std::string_view ct) {
    return ct == "message/rfc822" || ct == "text/rfc822-headers" || ct == "message/rfc822-headers" ||
           ct == "message/global" || ct == "message/global-headers";
}

// A value kept: valid UTF-8, cut on a character boundary; says so when it was cut.
std::string kept(std::string_view v, std::size_t cap, std::string_view what, std::vector<std::string>& warnings) {
    std::string s(utf8_prefix(v, cap));
    if (s.size() < v.size())
        warnings.push_back(std::string(what) + " cut to " + std::to_string(s.size()) + " bytes (was " + std::to_string(v.size()) + ")");
    text::repair_utf8(s);
    return s;
}

// The addr-spec of a path or mailbox value: "<a@b>" → "a@b", "Name <a@b>" → "a@b".
std::string_view angle_stripped(std::string_view v) {
    v = text::trim(v);
    const auto lt = v.rfind('<');
    if (lt != std::string_view::npos) {
        const auto gt = v.find('>', lt);
        if (gt != std::string_view::npos) return text::trim(v.substr(lt + 1, gt - lt - 1));
    }
    return v;
}

void add_unique(std::vector<std::string>& v, std::string s) {
    if (s.empty() || v.size() >= limits::max_failure_repeats) return;
    if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(std::move(s));
}

// RFC 6591 §3.1 Auth-Failure: one of the registered words per field; some reporters list several
// ("dkim, spf"), so commas and spaces both separate.
void add_auth_failures(failure_report& r, std::string_view v) {
    std::string word;
    auto flush = [&] {
        if (!word.empty()) add_unique(r.auth_failure, text::ascii_lower(utf8_prefix(word, limits::max_report_word)));
        word.clear();
    };
    for (const char c : v) {
        if (c == ',' || c == ' ' || c == '\t' || c == ';') flush();
        else word.push_back(c);
    }
    flush();
}

// RFC 5965 §3.2 / RFC 6591 §3.1 Delivery-Result: delivered, spam, policy, reject, other. Reporters
// send their own words too ("smg-policy-action"): the registered word they contain, else other.
std::string delivery_result_of(std::string_view v) {
    const std::string w = text::ascii_lower(utf8_prefix(text::trim(v), limits::max_report_word));
    static constexpr std::array<std::string_view, 5> known = {"delivered", "spam", "policy", "reject", "other"};
    for (const auto k : known)
        if (w == k) return w;
    for (const auto k : known)
        if (w.find(k) != std::string::npos) return std::string(k);
    if (w.find("deliver") != std::string::npos || w.find("accept") != std::string::npos) return "delivered";
    return w.empty() ? std::string() : "other";
}

// One feedback field into the report (RFC 5965 §3.1/§3.2, RFC 6591 §3.1, RFC 9991 §4).
void apply_field(failure_report& r, std::string_view name, std::string_view raw, std::vector<std::string>& w) {
    const std::string n = text::ascii_lower(name);
    const std::string_view v = text::trim(raw);
    auto one = [&](std::string& dst) {
        // Required-once fields (RFC 5965 §3.1): the first one counts.
        if (dst.empty()) dst = kept(v, limits::max_failure_field, name, w);
    };
    if (n == "feedback-type") {
        if (r.feedback_type.empty()) r.feedback_type = text::ascii_lower(utf8_prefix(v, limits::max_report_word));
    } else if (n == "user-agent") one(r.user_agent);
    else if (n == "version") one(r.version);
    else if (n == "auth-failure") add_auth_failures(r, v);
    else if (n == "identity-alignment") one(r.identity_alignment);
    else if (n == "source-ip") {
        if (r.source_ip.empty()) r.source_ip = source_ip_of(v);
    } else if (n == "arrival-date" || n == "received-date") {
        // Received-Date is RFC 5965's obsolete name for Arrival-Date (§3.2).
        if (r.arrival_date.empty()) {
            r.arrival_date = kept(v, limits::max_report_free_text, name, w);
            r.arrival_epoch = parse_mail_date(r.arrival_date);
        }
    } else if (n == "original-mail-from") one(r.original_mail_from);
    else if (n == "original-rcpt-to") add_unique(r.original_rcpt_to, kept(v, limits::max_email_address + 2, name, w));
    else if (n == "original-envelope-id") one(r.original_envelope_id);
    else if (n == "reported-domain") add_unique(r.reported_domain, text::normalize_domain(utf8_prefix(v, limits::max_domain_length)));
    else if (n == "reporting-mta") {
        // RFC 5965 §3.2: "Reporting-MTA: dns; mta.example" (RFC 3464 mta-name-type).
        std::string_view m = v;
        if (const auto semi = m.find(';'); semi != std::string_view::npos) m = text::trim(m.substr(semi + 1));
        if (r.reporting_mta.empty()) r.reporting_mta = text::normalize_domain(utf8_prefix(m, limits::max_domain_length));
    } else if (n == "delivery-result") {
        if (r.delivery_result.empty()) r.delivery_result = delivery_result_of(v);
    } else if (n == "dkim-domain") {
        if (r.dkim_domain.empty()) r.dkim_domain = text::normalize_domain(utf8_prefix(v, limits::max_domain_length));
    } else if (n == "dkim-selector") {
        if (r.dkim_selector.empty()) r.dkim_selector = text::ascii_lower(utf8_prefix(v, limits::max_dkim_selector));
    } else if (n == "dkim-identity") one(r.dkim_identity);
    else if (n == "dkim-canonicalized-header") {
        if (r.dkim_canonicalized_header.empty()) r.dkim_canonicalized_header = kept(v, limits::max_failure_canonicalized, name, w);
    } else if (n == "dkim-canonicalized-body") {
        if (r.dkim_canonicalized_body.empty()) r.dkim_canonicalized_body = kept(v, limits::max_failure_canonicalized, name, w);
    } else if (n == "spf-dns") one(r.spf_dns);
    else if (n == "authentication-results") add_unique(r.authentication_results, kept(v, limits::max_failure_field, name, w));
    else if (n == "incidents") {
        // RFC 5965 §3.2: a positive count; an unreadable one stays 1.
        std::int64_t x = 0;
        bool ok = !v.empty() && v.size() <= 18;
        for (const char c : v) ok = ok && c >= '0' && c <= '9';
        if (ok) {
            for (const char c : v) x = x * 10 + (c - '0');
            if (x > 0) r.incidents = x;
        }
    } else if (n == "message-id") {
        // Not an ARF field, but some reporters (LinkedIn) name the failed message this way.
        if (r.message_id.empty()) r.message_id = kept(v, limits::max_report_free_text, name, w);
    }
}

// Header block and body of a sample (or of any text that starts with header lines).
struct split_text {
    std::string_view header, body;
    bool has_body = false;
};
split_text split_header(std::string_view s) {
    split_text out;
    for (std::size_t i = 0; i < s.size();) {
        const auto nl = s.find('\n', i);
        if (nl == std::string_view::npos) break;
        std::string_view line = s.substr(i, nl - i);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) {
            out.header = s.substr(0, i);
            out.body = s.substr(nl + 1);
            out.has_body = true;
            return out;
        }
        i = nl + 1;
    }
    out.header = s;
    return out;
}

void read_sample(std::string_view raw, bool headers_only, failure_report& r) {
    failure_sample& s = r.sample;
    r.has_sample = true;
    if (raw.size() > limits::max_failure_sample) {
        r.warnings.push_back("sample cut to " + std::to_string(limits::max_failure_sample) + " bytes (was " +
                             std::to_string(raw.size()) + ")");
        raw = raw.substr(0, limits::max_failure_sample);
    }
    const split_text parts = split_header(raw);
    const auto fields = mime::parse_fields(parts.header);
    for (const auto& f : fields) {
        const std::string n = text::ascii_lower(f.name);
        if (n == "received") {
            if (s.received.size() < limits::max_failure_received) s.received.push_back(kept(f.value, limits::max_failure_field, "Received", r.warnings));
        } else if (n == "from" && s.from.empty()) {
            s.from = kept(mime::decode_header_words(f.value), limits::max_report_free_text, "From", r.warnings);
        } else if (n == "to" && s.to.empty()) {
            s.to = kept(mime::decode_header_words(f.value), limits::max_failure_field, "To", r.warnings);
        } else if (n == "subject" && s.subject.empty()) {
            s.subject = kept(mime::decode_header_words(f.value), limits::max_report_free_text, "Subject", r.warnings);
        } else if (n == "date" && s.date.empty()) {
            s.date = kept(f.value, limits::max_report_free_text, "Date", r.warnings);
        } else if (n == "message-id" && s.message_id.empty()) {
            s.message_id = kept(f.value, limits::max_report_free_text, "Message-ID", r.warnings);
        }
        if (s.headers.size() < limits::max_failure_sample_headers)
            s.headers.emplace_back(kept(f.name, limits::max_report_word, "a field name", r.warnings),
                                   kept(f.value, limits::max_failure_field, f.name, r.warnings));
    }
    if (fields.size() > limits::max_failure_sample_headers)
        r.warnings.push_back("sample has " + std::to_string(fields.size()) + " header fields; the first " +
                             std::to_string(limits::max_failure_sample_headers) + " are kept");
    std::string_view body = parts.body;
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
    s.headers_only = headers_only || !parts.has_body || body.empty();
    if (!s.headers_only) s.body = kept(body, limits::max_failure_sample_body, "sample body", r.warnings);
}

std::string domain_of(std::string_view address) {
    const std::string_view a = angle_stripped(address);
    const auto at = a.rfind('@');
    if (at == std::string_view::npos) return {};
    std::string_view d = a.substr(at + 1);
    const auto end = d.find_first_of("> \t\r\n;,\"");
    if (end != std::string_view::npos) d = d.substr(0, end);
    return text::normalize_domain(utf8_prefix(d, limits::max_domain_length));
}

// --- best effort: receivers' own plain-text formats ------------------------------------------
// "  Sender IP Address: 203.0.113.68" → ("sender ip address", "203.0.113.68").
std::optional<std::pair<std::string, std::string_view>> labelled(std::string_view line) {
    line = text::trim(line);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 40) return std::nullopt;
    const std::string label = text::ascii_lower(text::trim(line.substr(0, colon)));
    for (const char c : label)
        if (!(std::isalpha(static_cast<unsigned char>(c)) || c == ' ' || c == '-' || c == '_')) return std::nullopt;
    return std::make_pair(label, text::trim(line.substr(colon + 1)));
}

// An IP address after `marker` in free text ("from IP 203.0.113.68", "ip=10.10.10.10").
std::string ip_after(std::string_view s, std::string_view marker) {
    const std::string low = text::ascii_lower(s);
    for (std::size_t at = low.find(marker); at != std::string::npos; at = low.find(marker, at + 1)) {
        std::size_t b = at + marker.size();
        while (b < s.size() && (s[b] == ' ' || s[b] == '=' || s[b] == ':')) ++b;
        std::size_t e = b;
        while (e < s.size() && (std::isxdigit(static_cast<unsigned char>(s[e])) || s[e] == '.' || s[e] == ':')) ++e;
        if (auto ip = source_ip_of(s.substr(b, e - b)); !ip.empty()) return ip;
    }
    return {};
}

// A domain after `marker` in a subject ("... for example.com from IP ...").
std::string domain_after(std::string_view s, std::string_view marker) {
    const std::string low = text::ascii_lower(s);
    const auto at = low.find(marker);
    if (at == std::string::npos) return {};
    std::size_t b = at + marker.size();
    std::size_t e = b;
    while (e < s.size() && (std::isalnum(static_cast<unsigned char>(s[e])) || s[e] == '.' || s[e] == '-')) ++e;
    const std::string d = text::normalize_domain(s.substr(b, std::min<std::size_t>(e - b, limits::max_domain_length)));
    return d.find('.') != std::string::npos ? d : std::string();
}

result<failure_report> best_effort(const mime::message& m, failure_report r) {
    r.best_effort = true;
    r.feedback_type = "auth-failure";
    r.auth_failure.push_back("dmarc");
    const mime::mime_part* text_part = nullptr;
    for (const auto& p : m.leaves)
        if (p.content_type == "text/plain") {
            text_part = &p;
            break;
        }
    std::string body = text_part ? mime::charset_to_utf8(text_part->body.substr(0, limits::max_failure_sample),
                                                          text_part->params.count("charset") ? text_part->params.at("charset") : "")
                                  : std::string();
    // Labelled lines come first; the copied header starts at the first line that is a Received
    // or other header field after a blank line or a "copy of the headers" note.
    std::size_t header_start = std::string::npos;
    std::size_t pos = 0, lines = 0;
    while (pos < body.size() && lines < limits::max_failure_fields) {
        const auto nl = body.find('\n', pos);
        const std::size_t end = nl == std::string::npos ? body.size() : nl;
        std::string_view line(body.data() + pos, end - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const std::string low = text::ascii_lower(line);
        if (low.starts_with("received:") || low.starts_with("return-path:") || low.starts_with("authentication-results:") ||
            low.starts_with("dkim-signature:")) {
            header_start = pos;
            break;
        }
        if (auto l = labelled(line)) {
            const std::string& label = l->first;
            const std::string_view value = l->second;
            if (label.find("ip") != std::string::npos && r.source_ip.empty()) r.source_ip = source_ip_of(value);
            else if ((label == "sender domain" || label == "reported domain" || label == "domain" || label == "from domain") &&
                     r.reported_domain.empty())
                add_unique(r.reported_domain, text::normalize_domain(utf8_prefix(value, limits::max_domain_length)));
            else if ((label.find("date") != std::string::npos || label == "arrival") && r.arrival_date.empty()) {
                r.arrival_date = kept(value, limits::max_report_free_text, label, r.warnings);
                r.arrival_epoch = parse_mail_date(r.arrival_date);
            } else if (label == "delivery result" || label == "delivery-result")
                r.delivery_result = std::string(utf8_prefix(value, limits::max_report_word));
        }
        ++lines;
        pos = end + 1;
    }
    // The subject names the rest ("DMARC Forensic Report for example.com from IP 203.0.113.68").
    if (r.source_ip.empty()) r.source_ip = ip_after(m.subject, "ip");
    if (r.reported_domain.empty()) add_unique(r.reported_domain, domain_after(m.subject, "for "));
    if (r.arrival_date.empty() && !m.date.empty()) {
        r.arrival_date = kept(m.date, limits::max_report_free_text, "Date", r.warnings);
        r.arrival_epoch = parse_mail_date(r.arrival_date);
    }
    // What became of the message is rarely said in these texts ("DMARC Results: None, Accept" is
    // the policy's outcome, not a delivery): "other" unless a Delivery-Result line says (RFC 5965).
    r.delivery_result = delivery_result_of(r.delivery_result);
    if (r.delivery_result.empty()) r.delivery_result = "other";
    if (header_start != std::string::npos) read_sample(std::string_view(body).substr(header_start), true, r);
    else {
        // A sample attached as its own part, even without ARF.
        for (const auto& p : m.leaves)
            if (is_sample_type(p.content_type)) {
                read_sample(p.body, p.content_type != "message/rfc822" && p.content_type != "message/global", r);
                break;
            }
    }
    if (r.source_ip.empty())
        return fail("not a readable DMARC failure report: no ARF part, and no source IP address in its text");
    if (r.reported_domain.empty() && r.has_sample) add_unique(r.reported_domain, domain_of(r.sample.from));
    if (r.reported_domain.empty()) return fail("not a readable DMARC failure report: no ARF part, and no domain in its text");
    r.message_id = r.sample.message_id;
    r.warnings.push_back("no ARF part (RFC 6591): read best effort from the report's text");
    return r;
}

}  // namespace

std::string failure_report::reporter() const {
    if (!reporting_mta.empty()) return reporting_mta;
    if (auto d = domain_of(report_from); !d.empty()) return d;
    return user_agent;
}

std::string failure_report::sample_key() const {
    if (!message_id.empty()) return message_id;
    return original_envelope_id;
}

std::string failure_report::policy_domain() const {
    if (!reported_domain.empty()) return reported_domain.front();
    return domain_of(sample.from);
}

std::string source_ip_of(std::string_view v) {
    v = text::trim(v);
    // Strip a trailing comment or host name: "192.0.2.1 (host.example)".
    if (const auto sp = v.find_first_of(" \t("); sp != std::string_view::npos) v = v.substr(0, sp);
    if (v.size() >= 2 && v.front() == '[' && v.back() == ']') v = v.substr(1, v.size() - 2);
    if (v.size() > 5 && text::iequals(v.substr(0, 5), "ipv6:")) v.remove_prefix(5);
    if (v.size() > limits::max_report_number) return {};
    auto ip = ip_address::parse(v);
    return ip ? ip->to_string() : std::string();
}

std::optional<std::int64_t> parse_mail_date(std::string_view s) {
    // Tokens, with comments dropped (RFC 5322 §3.2.2 CFWS).
    std::vector<std::string> tok;
    std::string cur;
    int depth = 0;
    for (const char c : s.substr(0, limits::max_report_free_text)) {
        if (c == '(') {
            ++depth;
            continue;
        }
        if (c == ')') {
            if (depth > 0) --depth;
            continue;
        }
        if (depth > 0) continue;
        if (c == ' ' || c == '\t' || c == ',' || c == '\r' || c == '\n') {
            if (!cur.empty()) tok.push_back(std::move(cur));
            cur.clear();
            if (tok.size() > 8) return std::nullopt;
        } else {
            cur.push_back(c);
        }
    }
    if (!cur.empty()) tok.push_back(std::move(cur));
    std::size_t i = 0;
    if (i < tok.size() && !tok[i].empty() && std::isalpha(static_cast<unsigned char>(tok[i][0]))) ++i;  // day-of-week
    if (tok.size() < i + 4) return std::nullopt;
    auto number = [](std::string_view t, int max_digits) -> std::optional<int> {
        if (t.empty() || t.size() > static_cast<std::size_t>(max_digits)) return std::nullopt;
        int x = 0;
        for (const char c : t) {
            if (c < '0' || c > '9') return std::nullopt;
            x = x * 10 + (c - '0');
        }
        return x;
    };
    const auto day = number(tok[i], 2);
    static constexpr std::array<std::string_view, 12> months = {"jan", "feb", "mar", "apr", "may", "jun",
                                                                "jul", "aug", "sep", "oct", "nov", "dec"};
    const std::string mon = text::ascii_lower(tok[i + 1]).substr(0, 3);
    const auto mit = std::find(months.begin(), months.end(), mon);
    auto year = number(tok[i + 2], 4);
    if (!day || *day < 1 || *day > 31 || mit == months.end() || !year) return std::nullopt;
    // RFC 5322 §4.3: two-digit years are 19xx from 50, 20xx below; three-digit ones add 1900.
    if (tok[i + 2].size() == 2) *year += *year < 50 ? 2000 : 1900;
    else if (tok[i + 2].size() == 3) *year += 1900;
    // hh:mm[:ss]
    const std::string& t = tok[i + 3];
    int hh = 0, mm = 0, ss = 0;
    {
        const auto c1 = t.find(':');
        if (c1 == std::string::npos) return std::nullopt;
        const auto c2 = t.find(':', c1 + 1);
        const auto h = number(std::string_view(t).substr(0, c1), 2);
        const auto m = number(std::string_view(t).substr(c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1), 2);
        std::optional<int> sec = 0;
        if (c2 != std::string::npos) sec = number(std::string_view(t).substr(c2 + 1), 2);
        if (!h || !m || !sec || *h > 23 || *m > 59 || *sec > 60) return std::nullopt;
        hh = *h, mm = *m, ss = *sec;
    }
    // Zone: +hhmm / -hhmm, or the obsolete names (§4.3); unknown or missing: -0000 (UTC).
    int offset = 0;
    if (tok.size() > i + 4) {
        const std::string z = text::ascii_lower(tok[i + 4]);
        if ((z[0] == '+' || z[0] == '-') && z.size() == 5) {
            const auto zh = number(std::string_view(z).substr(1, 2), 2), zm = number(std::string_view(z).substr(3, 2), 2);
            if (zh && zm && *zm < 60) offset = (z[0] == '-' ? -1 : 1) * (*zh * 3600 + *zm * 60);
        } else {
            static constexpr std::array<std::pair<std::string_view, int>, 10> names = {
                {{"ut", 0}, {"gmt", 0}, {"utc", 0}, {"z", 0}, {"est", -5}, {"edt", -4}, {"cst", -6}, {"cdt", -5}, {"mst", -7}, {"mdt", -6}}};
            for (const auto& [name, h] : names)
                if (z == name) offset = h * 3600;
            if (z == "pst") offset = -8 * 3600;
            if (z == "pdt") offset = -7 * 3600;
        }
    }
    const auto month = static_cast<unsigned>(mit - months.begin()) + 1;
    const std::int64_t days = utc::to_days(*year, month, static_cast<unsigned>(*day));
    return days * 86400 + hh * 3600 + mm * 60 + ss - offset;
}

result<failure_report> parse_failure(const mime::message& m) {
    failure_report r;
    r.report_from = std::string(utf8_prefix(m.from, limits::max_report_free_text));
    r.report_subject = std::string(utf8_prefix(m.subject, limits::max_report_free_text));
    r.report_date = std::string(utf8_prefix(m.date, limits::max_report_free_text));
    r.report_message_id = std::string(utf8_prefix(m.message_id, limits::max_report_free_text));
    for (auto* s : {&r.report_from, &r.report_subject, &r.report_date, &r.report_message_id}) text::repair_utf8(*s);

    const mime::mime_part* feedback = nullptr;
    for (const auto& p : m.leaves)
        if (has_field_type(p.content_type)) {
            feedback = &p;
            break;
        }
    if (!feedback) return best_effort(m, std::move(r));

    const auto fields = mime::parse_fields(feedback->body);
    std::size_t n = 0;
    for (const auto& f : fields) {
        if (++n > limits::max_failure_fields) {
            r.warnings.push_back("feedback part has " + std::to_string(fields.size()) + " fields; the first " +
                                 std::to_string(limits::max_failure_fields) + " are read");
            break;
        }
        apply_field(r, f.name, f.value, r.warnings);
    }
    // RFC 5965 §3.1: Feedback-Type decides; RFC 6591 §3: DMARC failure reports are auth-failure.
    if (r.feedback_type.empty()) return fail("not a DMARC report (ARF without a Feedback-Type)");
    if (r.feedback_type != "auth-failure")
        return fail("not a DMARC report (ARF " + text::for_terminal(r.feedback_type, limits::max_report_word) + ")");

    for (const auto& p : m.leaves)
        if (is_sample_type(p.content_type)) {
            read_sample(p.body, p.content_type != "message/rfc822" && p.content_type != "message/global", r);
            break;
        }
    if (!r.sample.message_id.empty()) r.message_id = r.sample.message_id;
    if (r.reported_domain.empty() && r.has_sample) add_unique(r.reported_domain, domain_of(r.sample.from));
    if (r.auth_failure.empty()) {
        // RFC 6591 §3.1 requires Auth-Failure; a DMARC report without it is about DMARC.
        r.auth_failure.push_back("dmarc");
        r.warnings.push_back("no Auth-Failure field (RFC 6591 §3.1): taken as dmarc");
    }
    if (r.source_ip.empty()) r.warnings.push_back("no readable Source-IP field (RFC 6591 §3.1)");
    if (r.reported_domain.empty()) return fail("DMARC failure report names no domain (no Reported-Domain, no sample From)");
    return r;
}

result<failure_report> parse_failure_bytes(std::string_view raw) {
    auto m = mime::parse_message(raw);
    if (!m) return unexpected{m.err()};
    return parse_failure(*m);
}

}  // namespace dmarcsight::report
