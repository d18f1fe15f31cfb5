#include "ingest/classify.hpp"

#include "core/text.hpp"
#include "mime/container.hpp"
#include "mime/mailbox.hpp"
#include "report/aggregate_parser.hpp"

namespace dmarcsight::ingest {

namespace {

std::string_view skip_blank(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
    return s;
}

bool looks_like_json(std::string_view head) {
    if (head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);
    head = skip_blank(head);
    return !head.empty() && (head.front() == '{' || head.front() == '[');
}

// RFC 8460 §4.4 member names; any one near the start marks a TLS report.
bool looks_like_tlsrpt(std::string_view head) {
    return head.find("\"organization-name\"") != std::string_view::npos || head.find("\"policies\"") != std::string_view::npos ||
           head.find("\"report-id\"") != std::string_view::npos || head.find("\"date-range\"") != std::string_view::npos;
}

bool contains_ci(std::string_view hay, std::string_view needle) { return text::ascii_lower(hay).find(needle) != std::string::npos; }

// The root element's name of an XML document, when it can be seen in `head` (UTF-8 or ASCII
// text; skips the XML declaration, processing instructions and comments). Empty when it cannot.
std::string_view root_element(std::string_view head) {
    if (head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);
    for (;;) {
        head = skip_blank(head);
        if (head.substr(0, 2) == "<?") {
            const auto end = head.find("?>");
            if (end == std::string_view::npos) return {};
            head.remove_prefix(end + 2);
        } else if (head.substr(0, 4) == "<!--") {
            const auto end = head.find("-->", 4);
            if (end == std::string_view::npos) return {};
            head.remove_prefix(end + 3);
        } else {
            break;
        }
    }
    if (head.size() < 2 || head[0] != '<' || head[1] == '!') return {};
    std::size_t n = 1;
    while (n < head.size() && head[n] != '>' && head[n] != '/' && head[n] != ' ' && head[n] != '\t' && head[n] != '\r' &&
           head[n] != '\n')
        ++n;
    if (n == head.size()) return {};  // the name may go on past the head
    std::string_view name = head.substr(1, n - 1);
    if (const auto colon = name.find(':'); colon != std::string_view::npos) name.remove_prefix(colon + 1);
    return name;
}

}  // namespace

outer_kind classify_outer(std::string_view head) {
    if (head.empty()) return outer_kind::empty;
    if (mime::is_mbox(head)) return outer_kind::mbox;
    if (mime::sniff_container(head) != mime::container_kind::plain) return outer_kind::payload;
    if (report::looks_like_xml(head) || looks_like_json(head)) return outer_kind::payload;
    if (mime::looks_like_message(head)) return outer_kind::email;
    return outer_kind::payload;
}

leaf_class classify_leaf(std::string_view head) {
    if (head.empty()) return {report_kind::none, "no content (0 bytes)"};
    if (report::looks_like_xml(head)) {
        // An unclosed wrapper around <feedback> is a known real-world variant (README: damaged
        // reports), so <feedback> anywhere in the head counts, whatever the root.
        if (contains_ci(head, "feedback")) return {report_kind::aggregate, {}};
        const std::string_view root = root_element(head);
        if (root.empty()) return {report_kind::aggregate, {}};  // UTF-16, long prolog: the parser decides
        return {report_kind::none, "XML whose root element is <" + text::for_terminal(root, 40) + ">, not a DMARC report"};
    }
    if (looks_like_json(head)) {
        if (looks_like_tlsrpt(head)) return {report_kind::tlsrpt, {}};
        return {report_kind::none, "JSON that is not an SMTP TLS report"};
    }
    return {report_kind::none, "not a DMARC report: the content is neither XML nor JSON"};
}

message_class classify_message(const mime::message& m) {
    message_class c;
    // ARF (RFC 5965): DMARC failure reports are auth-failure (RFC 6591 §3); abuse, fraud, opt-out
    // and the rest are feedback of other kinds, not ours.
    for (const auto& part : m.leaves) {
        if (part.content_type != "message/feedback-report") continue;
        std::string type;
        for (const auto& f : mime::parse_fields(part.body))
            if (text::iequals(f.name, "Feedback-Type")) type = text::ascii_lower(text::trim(f.value));
        if (type == "auth-failure") {
            c.whole = report_kind::failure;
            c.reason = "DMARC failure report (ARF auth-failure)";
        } else {
            c.whole = report_kind::other_arf;
            // The reason the failure parser gives too (report/failure_parser.hpp).
            c.reason = type.empty() ? "not a DMARC report (ARF without a Feedback-Type)"
                                    : "not a DMARC report (ARF " + text::for_terminal(type, 40) + ")";
        }
        return c;
    }
    for (std::size_t i = 0; i < m.leaves.size(); ++i) {
        const auto& part = m.leaves[i];
        const std::string& ct = part.content_type;
        // RFC 8460 §5.3: application/tlsrpt+json or application/tlsrpt+gzip.
        if (ct.starts_with("application/tlsrpt")) {
            c.parts.push_back({i, true});
            continue;
        }
        if (part.body.empty() || ct.starts_with("message/") || ct == "text/rfc822-headers" || ct == "text/html" ||
            ct.starts_with("image/") || ct.starts_with("multipart/"))
            continue;
        const bool attachment_like = ct.starts_with("application/") || ct == "text/xml" || !part.filename.empty();
        const std::string_view head = std::string_view(part.body).substr(0, classify_head_bytes);
        const bool container = mime::sniff_container(head) != mime::container_kind::plain;
        const bool xml = report::looks_like_xml(head) &&
                         (head.find("feedback") != std::string_view::npos || head.find("<?xml") != std::string_view::npos);
        const bool json = attachment_like && looks_like_json(head);
        if (!container && !xml && !json) continue;
        if (!attachment_like && !container && !xml) continue;
        c.parts.push_back({i, false});
    }
    if (!c.parts.empty()) return c;
    // Failure reports that are not ARF (e.g. Exim's plain-text ones) still say what they are.
    const std::string& subject = m.subject;
    if (contains_ci(subject, "failure report") || contains_ci(subject, "forensic") ||
        (contains_ci(subject, "dmarc") && contains_ci(subject, "fail"))) {
        c.whole = report_kind::failure;
        c.reason = "DMARC failure report (non-ARF)";
    }
    return c;
}

std::string domain_of_address(std::string_view from) {
    const auto at = from.rfind('@');
    if (at == std::string_view::npos) return {};
    std::string_view d = from.substr(at + 1);
    const auto end = d.find_first_of("> \t\r\n;,\"");
    if (end != std::string_view::npos) d = d.substr(0, end);
    return text::normalize_domain(d);
}

}  // namespace dmarcsight::ingest
