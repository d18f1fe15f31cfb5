#include "store/failure_codec.hpp"

#include <nlohmann/json.hpp>

#include "report/failure_parser.hpp"
#include "store/failure_rows.hpp"

namespace dmarcsight::store {

namespace {
using json = nlohmann::json;

std::string str(const json& j, const char* k) {
    const auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
std::vector<std::string> strs(const json& j, const char* k) {
    std::vector<std::string> out;
    const auto it = j.find(k);
    if (it == j.end() || !it->is_array()) return out;
    for (const auto& e : *it)
        if (e.is_string()) out.push_back(e.get<std::string>());
    return out;
}
bool flag(const json& j, const char* k) {
    const auto it = j.find(k);
    return it != j.end() && it->is_boolean() && it->get<bool>();
}
}  // namespace

failure_key failure_key::of(const report::failure_report& r) {
    failure_key k;
    k.reporter = r.reporter();
    k.sample_id = r.sample_key();
    k.arrival = r.arrival_epoch.value_or(0);
    k.source_ip = r.source_ip;
    return k;
}

// The detail column: the report as one JSON object. Empty strings, empty lists and false flags
// are left out (decode_failure reads an absent key as empty), and the object is built in place
// with moves, never through initializer lists (they copy every nested value): at a botnet's
// millions of failure reports a day this encoding was the costliest step of ingest (issue 11).
std::string encode_failure(const report::failure_report& r) {
    json j = json::object();
    auto text = [](json& o, const char* k, const std::string& v) {
        if (!v.empty()) o.emplace(k, v);
    };
    auto texts = [](json& o, const char* k, const std::vector<std::string>& v) {
        if (!v.empty()) o.emplace(k, v);
    };
    auto yes = [](json& o, const char* k, bool v) {
        if (v) o.emplace(k, true);
    };
    text(j, "feedback_type", r.feedback_type);
    text(j, "user_agent", r.user_agent);
    text(j, "version", r.version);
    texts(j, "auth_failure", r.auth_failure);
    text(j, "identity_alignment", r.identity_alignment);
    text(j, "source_ip", r.source_ip);
    text(j, "arrival_date", r.arrival_date);
    if (r.arrival_epoch) j.emplace("arrival_epoch", *r.arrival_epoch);
    text(j, "original_mail_from", r.original_mail_from);
    texts(j, "original_rcpt_to", r.original_rcpt_to);
    text(j, "original_envelope_id", r.original_envelope_id);
    texts(j, "reported_domain", r.reported_domain);
    text(j, "reporting_mta", r.reporting_mta);
    text(j, "delivery_result", r.delivery_result);
    text(j, "dkim_domain", r.dkim_domain);
    text(j, "dkim_selector", r.dkim_selector);
    text(j, "dkim_identity", r.dkim_identity);
    text(j, "dkim_canonicalized_header", r.dkim_canonicalized_header);
    text(j, "dkim_canonicalized_body", r.dkim_canonicalized_body);
    text(j, "spf_dns", r.spf_dns);
    texts(j, "authentication_results", r.authentication_results);
    j.emplace("incidents", r.incidents);
    text(j, "message_id", r.message_id);
    text(j, "report_from", r.report_from);
    text(j, "report_subject", r.report_subject);
    text(j, "report_date", r.report_date);
    text(j, "report_message_id", r.report_message_id);
    yes(j, "best_effort", r.best_effort);
    yes(j, "redacted", r.redacted);
    texts(j, "warnings", r.warnings);
    if (r.has_sample) {
        const auto& s = r.sample;
        json o = json::object();
        text(o, "from", s.from);
        text(o, "to", s.to);
        text(o, "subject", s.subject);
        text(o, "date", s.date);
        text(o, "message_id", s.message_id);
        texts(o, "received", s.received);
        json h = json::array();
        h.get_ref<json::array_t&>().reserve(s.headers.size());
        for (const auto& [n, v] : s.headers) {
            json pair = json::array();
            pair.push_back(n);
            pair.push_back(v);
            h.push_back(std::move(pair));
        }
        o.emplace("headers", std::move(h));
        text(o, "body", s.body);
        yes(o, "headers_only", s.headers_only);
        yes(o, "body_dropped", s.body_dropped);
        j.emplace("sample", std::move(o));  // present even when empty: it says a sample came
    }
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

result<report::failure_report> decode_failure(std::string_view text) {
    const json j = json::parse(text, nullptr, false);
    if (!j.is_object()) return fail("a stored failure report is not valid JSON");
    report::failure_report r;
    r.feedback_type = str(j, "feedback_type");
    r.user_agent = str(j, "user_agent");
    r.version = str(j, "version");
    r.auth_failure = strs(j, "auth_failure");
    r.identity_alignment = str(j, "identity_alignment");
    r.source_ip = str(j, "source_ip");
    r.arrival_date = str(j, "arrival_date");
    if (auto it = j.find("arrival_epoch"); it != j.end() && it->is_number_integer()) r.arrival_epoch = it->get<std::int64_t>();
    r.original_mail_from = str(j, "original_mail_from");
    r.original_rcpt_to = strs(j, "original_rcpt_to");
    r.original_envelope_id = str(j, "original_envelope_id");
    r.reported_domain = strs(j, "reported_domain");
    r.reporting_mta = str(j, "reporting_mta");
    r.delivery_result = str(j, "delivery_result");
    r.dkim_domain = str(j, "dkim_domain");
    r.dkim_selector = str(j, "dkim_selector");
    r.dkim_identity = str(j, "dkim_identity");
    r.dkim_canonicalized_header = str(j, "dkim_canonicalized_header");
    r.dkim_canonicalized_body = str(j, "dkim_canonicalized_body");
    r.spf_dns = str(j, "spf_dns");
    r.authentication_results = strs(j, "authentication_results");
    if (auto it = j.find("incidents"); it != j.end() && it->is_number_integer()) r.incidents = it->get<std::int64_t>();
    r.message_id = str(j, "message_id");
    r.report_from = str(j, "report_from");
    r.report_subject = str(j, "report_subject");
    r.report_date = str(j, "report_date");
    r.report_message_id = str(j, "report_message_id");
    r.best_effort = flag(j, "best_effort");
    r.redacted = flag(j, "redacted");
    r.warnings = strs(j, "warnings");
    if (auto it = j.find("sample"); it != j.end() && it->is_object()) {
        const json& s = *it;
        r.has_sample = true;
        r.sample.from = str(s, "from");
        r.sample.to = str(s, "to");
        r.sample.subject = str(s, "subject");
        r.sample.date = str(s, "date");
        r.sample.message_id = str(s, "message_id");
        r.sample.received = strs(s, "received");
        if (auto h = s.find("headers"); h != s.end() && h->is_array())
            for (const auto& e : *h)
                if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string())
                    r.sample.headers.emplace_back(e[0].get<std::string>(), e[1].get<std::string>());
        r.sample.body = str(s, "body");
        r.sample.headers_only = flag(s, "headers_only");
        r.sample.body_dropped = flag(s, "body_dropped");
    }
    return r;
}

std::int64_t failure_report_time(const report::failure_report& r, std::int64_t fallback) {
    if (r.arrival_epoch) return *r.arrival_epoch;
    if (auto d = report::parse_mail_date(r.report_date)) return *d;
    return fallback;
}

}  // namespace dmarcsight::store
