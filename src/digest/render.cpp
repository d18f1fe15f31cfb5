// The digest as text (a terminal, a plain mail part), Markdown (chat, tickets) and HTML (the mail's
// rich part). Every value from the store is escaped for its format: a source's PTR name or a
// reporter's org_name comes from the internet.
#include <cstdio>

#include "core/text.hpp"
#include "digest/digest.hpp"

namespace dmarcsight::digest {

namespace {

std::string share_text(std::int64_t part, std::int64_t whole) {
    if (whole <= 0) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
    return buf;
}

std::string change_text(std::int64_t now, std::int64_t before) {
    if (before <= 0) return "no traffic the period before";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%+.1f%% against the period before", 100.0 * (static_cast<double>(now) / static_cast<double>(before) - 1));
    return buf;
}

std::string pass_change(const domain_digest& d) {
    if (d.previous_messages <= 0 || d.messages <= 0) return "";
    const double now = static_cast<double>(d.dmarc_pass) / static_cast<double>(d.messages);
    const double was = static_cast<double>(d.previous_dmarc_pass) / static_cast<double>(d.previous_messages);
    char buf[64];
    std::snprintf(buf, sizeof buf, " (%+.1f points)", 100.0 * (now - was));
    return buf;
}

std::string who(const source_line& s) {
    if (s.source_ips > 1) return (s.service.empty() ? std::string("?") : s.service) + " (" + std::to_string(s.source_ips) + " IPs)";
    std::string w = s.source_ip;
    if (!s.service.empty()) w += " (" + s.service + ")";
    else if (!s.ptr.empty()) w += " (" + s.ptr + ")";
    return w;
}

std::string readiness_line(const readiness& r) {
    char loss[32];
    std::snprintf(loss, sizeof loss, "%.2f%%", 100.0 * r.legitimate_loss_share);
    std::string s = (r.verdict == "ready" ? "ready for the next step" : "not ready") + std::string(": p=reject would lose ") + loss +
                    " of legitimate mail";
    if (!r.next_record.empty()) s += "; next: " + r.next_record;
    if (!r.why.empty()) s += " (" + r.why + ")";
    return s;
}

std::string html_escape(std::string_view raw) {
    const std::string s = text::for_terminal(raw);
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

// Markdown: control characters shown as escapes (a line break would start a block), characters
// that would start markup escaped.
std::string md_escape(std::string_view raw) {
    const std::string s = text::for_terminal(raw);
    std::string out;
    for (const char c : s) {
        if (std::string_view("\\`*_{}[]()#+-.!|<>").find(c) != std::string_view::npos) out += '\\';
        out += c;
    }
    return out;
}

// One renderer, three dialects.
struct dialect {
    std::string (*esc)(std::string_view);
    std::string h1_open, h1_close, h2_open, h2_close, p_open, p_close, ul_open, ul_close, li_open, li_close;
};

std::string plain(std::string_view s) { return text::for_terminal(s); }

std::string render(const digest& d, const dialect& x) {
    std::string o;
    o += x.h1_open + x.esc("DMARC digest, " + d.title + " (" + d.since_day + " to " + d.last_day + ", UTC)") + x.h1_close;
    if (d.domains.empty()) o += x.p_open + x.esc("No reports for this period.") + x.p_close;
    for (const auto& dom : d.domains) {
        o += x.h2_open + x.esc(dom.domain) + x.h2_close;
        o += x.ul_open;
        o += x.li_open + x.esc(std::to_string(dom.messages) + " messages from " + std::to_string(dom.sources) + " sources, " +
                               change_text(dom.messages, dom.previous_messages)) +
             x.li_close;
        o += x.li_open + x.esc("DMARC pass: " + share_text(dom.dmarc_pass, dom.messages) + pass_change(dom)) + x.li_close;
        o += x.li_open + x.esc("spoofing: " + std::to_string(dom.spoofing_messages) + " messages (" +
                               share_text(dom.spoofing_messages, dom.messages) + ")") +
             x.li_close;
        if (dom.ready) o += x.li_open + x.esc("readiness: " + readiness_line(*dom.ready)) + x.li_close;
        o += x.ul_close;
        if (!dom.to_fix.empty()) {
            o += x.p_open + x.esc("What to fix first:") + x.p_close + x.ul_open;
            for (const auto& s : dom.to_fix)
                o += x.li_open + x.esc(who(s) + ", " + s.cls + ", " + std::to_string(s.dmarc_fail) + " of " + std::to_string(s.messages) +
                                       " messages failing: " + s.fix) +
                     x.li_close;
            o += x.ul_close;
        }
        if (dom.new_source_count > 0 || dom.new_spoofing_sources > 0) {
            o += x.p_open + x.esc("New sources: " + std::to_string(dom.new_source_count) + " (and " +
                                  std::to_string(dom.new_spoofing_sources) + " spoofing)") +
                 x.p_close + x.ul_open;
            for (const auto& s : dom.new_sources)
                o += x.li_open + x.esc(who(s) + ", " + s.cls + ", " + std::to_string(s.messages) + " messages") + x.li_close;
            o += x.ul_close;
        }
        if (!dom.alerts.empty()) {
            o += x.p_open + x.esc("Alerts:") + x.p_close + x.ul_open;
            for (const auto& a : dom.alerts) {
                std::string line = a.a.day + " " + std::string(analyze::to_string(a.a.kind));
                if (!a.a.source.empty()) line += " " + a.a.source;
                if (!a.a.reporter.empty()) line += " " + a.a.reporter;
                line += ": " + a.a.detail + " [" + a.state + "]";
                o += x.li_open + x.esc(line) + x.li_close;
            }
            o += x.ul_close;
        }
    }
    return o;
}

}  // namespace

std::string render_text(const digest& d) {
    return render(d, {plain, "", "\n\n", "\n", "\n", "", "\n", "", "", "  - ", "\n"});
}

std::string render_markdown(const digest& d) {
    return render(d, {md_escape, "# ", "\n\n", "\n## ", "\n\n", "", "\n\n", "", "\n", "- ", "\n"});
}

std::string render_html(const digest& d) {
    return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + html_escape("DMARC digest, " + d.title) +
           "</title></head><body style=\"font-family:sans-serif\">\n" +
           render(d, {html_escape, "<h1>", "</h1>\n", "<h2>", "</h2>\n", "<p>", "</p>\n", "<ul>\n", "</ul>\n", "<li>", "</li>\n"}) +
           "</body></html>\n";
}

std::string subject(const digest& d) {
    std::int64_t messages = 0, pass = 0;
    for (const auto& x : d.domains) {
        messages += x.messages;
        pass += x.dmarc_pass;
    }
    return "DMARC digest, " + d.title + ": " + std::to_string(messages) + " messages, " + share_text(pass, messages) + " passing";
}

}  // namespace dmarcsight::digest
