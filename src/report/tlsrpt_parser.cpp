#include "report/tlsrpt_parser.hpp"

#include <limits>
#include <nlohmann/json.hpp>

#include "core/limits.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "core/utf8.hpp"

namespace dmarcsight::report {

using nlohmann::json;

tls_report_key tls_report_key::of(const tls_report& r) {
    return {text::ascii_lower(text::trim(r.organization_name)), text::ascii_lower(text::trim(r.report_id))};
}

namespace {

// ---- FNV-1a over the parsed values, each field length-prefixed so that no two reports collide
// by moving bytes between fields.
struct fnv {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    void bytes(std::string_view s) {
        number(s.size());
        for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    }
    void number(std::uint64_t v) {
        for (int i = 0; i < 8; ++i) h = (h ^ ((v >> (8 * i)) & 0xff)) * 0x100000001b3ULL;
    }
};

// ---- JSON with caps: a DOM built from SAX events, refusing (before keeping anything) what is
// deeper, bigger or longer than the limits. nlohmann's own parser does not recurse, but its DOM
// has no size or depth bound of its own: these caps are ours.
class capped_builder final : public nlohmann::json_sax<json> {
public:
    json root;
    std::string why;  // set when the builder refused

    bool null() override { return add(json(nullptr)); }
    bool boolean(bool v) override { return add(json(v)); }
    bool number_integer(number_integer_t v) override { return add(json(v)); }
    bool number_unsigned(number_unsigned_t v) override { return add(json(v)); }
    bool number_float(number_float_t v, const string_t&) override { return add(json(v)); }
    bool string(string_t& v) override {
        if (v.size() > limits::max_tlsrpt_string)
            return refuse("a JSON string of " + std::to_string(v.size()) + " bytes (the cap is " +
                          std::to_string(limits::max_tlsrpt_string) + ")");
        return add(json(without_nul(std::move(v))));
    }
    bool binary(binary_t&) override { return refuse("binary JSON values"); }
    bool start_object(std::size_t) override { return open(json::object()); }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open(json::array()); }
    bool end_array() override { return close(); }
    bool key(string_t& k) override {
        if (k.size() > limits::max_tlsrpt_string) return refuse("a JSON member name of " + std::to_string(k.size()) + " bytes");
        key_ = without_nul(std::move(k));
        return true;
    }
    bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override {
        // nlohmann's message names the position and what it expected; never the input's text at length.
        std::string m = ex.what();
        if (auto p = m.find("] "); p != std::string::npos) m = m.substr(p + 2);
        why = "not valid JSON at byte " + std::to_string(position) + ": " + text::for_terminal(m, 200);
        return false;
    }

private:
    struct frame {
        json* value;
        std::size_t count = 0;  // elements of an array, members of an object
        std::size_t cap = 0;    // most elements this array may hold
        std::string name;       // the member name it was opened under
    };
    std::vector<frame> stack_;
    std::string key_;
    std::size_t values_ = 0;

    // JSON may carry U+0000 (\u0000); no stored text holds it (PostgreSQL text cannot, and C
    // strings end there): it becomes U+FFFD, as invalid bytes do elsewhere.
    static std::string without_nul(std::string s) {
        if (s.find('\0') == std::string::npos) return s;
        std::string out;
        out.reserve(s.size() + 8);
        for (const char c : s) {
            if (c == '\0') out += "\xEF\xBF\xBD";
            else out += c;
        }
        return out;
    }

    bool refuse(std::string reason) {
        why = "SMTP TLS report refused: " + std::move(reason);
        return false;
    }

    // RFC 8460 §4.4 arrays are capped by name as they fill (a real report never comes near).
    static std::size_t cap_of(const std::string& name) {
        if (name == "policies") return limits::max_tlsrpt_policies;
        if (name == "failure-details") return limits::max_tlsrpt_failure_details;
        if (name == "policy-string") return limits::max_tlsrpt_policy_strings;
        if (name == "mx-host" || name == "mx-host-pattern") return limits::max_tlsrpt_mx_hosts;
        return limits::max_tlsrpt_values;
    }

    // Places v in the current container; returns where it went.
    json* place(json v) {
        if (stack_.empty()) {
            root = std::move(v);
            return &root;
        }
        frame& top = stack_.back();
        ++top.count;
        if (top.value->is_array()) {
            top.value->push_back(std::move(v));
            return &top.value->back();
        }
        // A repeated member name: the last one counts (RFC 8259 §4 leaves it open).
        json& slot = (*top.value)[key_];
        slot = std::move(v);
        return &slot;
    }

    bool count_value() {
        if (++values_ > limits::max_tlsrpt_values)
            return refuse("more than " + std::to_string(limits::max_tlsrpt_values) + " JSON values");
        if (!stack_.empty() && stack_.back().count >= stack_.back().cap)
            return refuse("more than " + std::to_string(stack_.back().cap) + " entries in \"" +
                          text::for_terminal(stack_.back().name, 40) + "\"");
        return true;
    }

    bool add(json v) {
        if (!count_value()) return false;
        place(std::move(v));
        return true;
    }

    bool open(json v) {
        if (!count_value()) return false;
        if (stack_.size() >= limits::max_tlsrpt_depth)
            return refuse("JSON nested deeper than " + std::to_string(limits::max_tlsrpt_depth) + " levels");
        std::string name = !stack_.empty() && stack_.back().value->is_object() ? key_
                           : !stack_.empty()                                  ? stack_.back().name
                                                                              : std::string();
        const bool array = v.is_array();
        json* at = place(std::move(v));
        stack_.push_back({at, 0, array ? cap_of(name) : limits::max_tlsrpt_values, std::move(name)});
        return true;
    }

    bool close() {
        if (stack_.empty()) return refuse("unbalanced JSON");
        stack_.pop_back();
        return true;
    }
};

// ---- reading the §4.4 members -----------------------------------------------------------------
struct reader {
    tls_report& out;
    bool warnings_full = false;

    void warn(std::string w) {
        if (out.warnings.size() < limits::max_warnings_per_report) {
            out.warnings.push_back(std::move(w));
        } else if (!warnings_full) {
            warnings_full = true;
            out.warnings.back() = "more warnings were left out";
        }
    }

    static const json* member(const json& obj, const char* name) {
        if (!obj.is_object()) return nullptr;
        auto it = obj.find(name);
        return it == obj.end() || it->is_null() ? nullptr : &*it;
    }

    // An optional text member, cut to `cap` on a UTF-8 boundary with a warning. A member of the
    // wrong type is treated as absent, with a warning.
    std::string text(const json& obj, const char* name, std::size_t cap, const std::string& where) {
        const json* v = member(obj, name);
        if (!v) return {};
        if (!v->is_string()) {
            warn(where + ": \"" + name + "\" is not a string; left out");
            return {};
        }
        std::string s = v->get<std::string>();
        if (utf8_truncate(s, cap)) warn(where + ": \"" + name + "\" cut to " + std::to_string(cap) + " bytes");
        return s;
    }

    // A host name or an address: a value over `cap` cannot be one and is left out (a cut one
    // would name another host).
    std::string name_field(const json& obj, const char* name, std::size_t cap, const std::string& where) {
        const json* v = member(obj, name);
        if (!v) return {};
        if (!v->is_string() || v->get_ref<const std::string&>().size() > cap) {
            warn(where + ": \"" + name + "\" is not a name or address of at most " + std::to_string(cap) + " bytes; left out");
            return {};
        }
        return std::string(text::trim(v->get_ref<const std::string&>()));
    }

    // A session count (§4.4: integer). Absent: 0. Negative, fractional, over the cap or not a
    // number: nullopt (the caller drops its unit). Digit strings are read too (seen from senders
    // that quote every value).
    static std::optional<std::int64_t> count(const json& obj, const char* name, bool& present) {
        const json* v = member(obj, name);
        present = v != nullptr;
        if (!v) return std::int64_t{0};
        std::uint64_t n = 0;
        if (v->is_number_unsigned()) {
            n = v->get<std::uint64_t>();
        } else if (v->is_number_integer()) {
            const auto i = v->get<std::int64_t>();
            if (i < 0) return std::nullopt;
            n = static_cast<std::uint64_t>(i);
        } else if (v->is_string()) {
            const auto& s = v->get_ref<const std::string&>();
            if (s.empty() || s.size() > 19) return std::nullopt;
            for (const char c : s) {
                if (c < '0' || c > '9') return std::nullopt;
                n = n * 10 + static_cast<std::uint64_t>(c - '0');
            }
        } else {
            return std::nullopt;  // floats (5.5, 1e3), booleans, objects
        }
        if (n > limits::max_tlsrpt_sessions) return std::nullopt;
        return static_cast<std::int64_t>(n);
    }

    // date-range times (§4.4: RFC 3339 date-time). A time without an offset (seen from
    // Microsoft) is read as UTC with a warning.
    result<std::int64_t> datetime(const json& range, const char* name) {
        const json* v = member(range, name);
        if (!v || !v->is_string()) return fail(std::string("date-range has no \"") + name + "\" string");
        const auto& s = v->get_ref<const std::string&>();
        const std::string shown = text::for_terminal(s, limits::max_logged_text);
        // parse_user_time also reads ages ("30d"); a report's time must start with a date.
        const bool date_first = s.size() >= 10 && s[4] == '-' && s[7] == '-';
        const auto t = date_first && s.size() <= limits::max_report_number ? utc::parse_user_time(s, 0) : std::nullopt;
        if (!t) return fail(std::string("date-range \"") + name + "\" is not an RFC 3339 time: '" + shown + "'");
        const auto tpos = s.find_first_of("Tt ");
        if (tpos != std::string::npos) {
            const std::string_view time_part = std::string_view(s).substr(tpos);
            const char last = s.back();
            if (last != 'Z' && last != 'z' && time_part.find_first_of("+-") == std::string_view::npos)
                warn(std::string("date-range \"") + name + "\" '" + shown + "' has no UTC offset (RFC 3339 §5.6); read as UTC");
        }
        return *t;
    }

    std::optional<tls_failure_detail> failure_detail(const json& d, const std::string& where) {
        if (!d.is_object()) {
            warn(where + " is not an object; dropped");
            return std::nullopt;
        }
        tls_failure_detail f;
        // §4.3 result types; an unknown one is kept as text (new types are registered by IANA).
        f.result_type = text(d, "result-type", limits::max_report_word, where);
        if (f.result_type.empty()) {
            warn(where + " has no \"result-type\"; dropped");
            return std::nullopt;
        }
        bool present = false;
        auto n = count(d, "failed-session-count", present);
        if (!n) {
            warn(where + ": \"failed-session-count\" is not a whole number from 0 to " +
                 std::to_string(limits::max_tlsrpt_sessions) + "; dropped");
            return std::nullopt;
        }
        if (!present) warn(where + " has no \"failed-session-count\"; read as 0");
        f.failed_session_count = *n;
        f.sending_mta_ip = name_field(d, "sending-mta-ip", limits::max_tlsrpt_ip, where);
        f.receiving_ip = name_field(d, "receiving-ip", limits::max_tlsrpt_ip, where);
        f.receiving_mx_hostname = name_field(d, "receiving-mx-hostname", limits::max_domain_length, where);
        f.receiving_mx_helo = name_field(d, "receiving-mx-helo", limits::max_domain_length, where);
        f.additional_information = text(d, "additional-information", limits::max_tlsrpt_text, where);
        f.failure_reason_code = text(d, "failure-reason-code", limits::max_tlsrpt_text, where);
        return f;
    }

    // A list of strings that may come as one string (mx-host: erratum 6241).
    std::vector<std::string> strings(const json& obj, const char* name, std::size_t cap, const std::string& where) {
        std::vector<std::string> out;
        const json* v = member(obj, name);
        if (!v) return out;
        auto one = [&](const json& e) {
            if (!e.is_string()) {
                warn(where + ": an entry of \"" + name + "\" is not a string; left out");
                return;
            }
            std::string s = e.get<std::string>();
            if (utf8_truncate(s, cap)) warn(where + ": an entry of \"" + name + "\" cut to " + std::to_string(cap) + " bytes");
            out.push_back(std::move(s));
        };
        if (v->is_array()) {
            for (const auto& e : *v) one(e);
        } else {
            one(*v);
        }
        return out;
    }

    std::optional<tls_policy> policy(const json& p, const std::string& where) {
        if (!p.is_object()) {
            warn(where + " is not an object; dropped");
            return std::nullopt;
        }
        tls_policy out;
        const json* pol = member(p, "policy");
        static const json empty = json::object();
        const json& po = pol && pol->is_object() ? *pol : empty;
        if (!pol) warn(where + " has no \"policy\" member");
        out.policy_type = text(po, "policy-type", limits::max_report_word, where);
        if (out.policy_type.empty()) warn(where + " has no \"policy-type\"");
        const json* dom = member(po, "policy-domain");
        if (dom) {
            if (!dom->is_string() || dom->get_ref<const std::string&>().size() > limits::max_domain_length) {
                warn(where + ": \"policy-domain\" is not a domain of at most " + std::to_string(limits::max_domain_length) +
                     " bytes; the policy is dropped");
                return std::nullopt;
            }
            out.policy_domain = text::normalize_domain(dom->get_ref<const std::string&>());
        }
        if (out.policy_domain.empty()) warn(where + " has no \"policy-domain\"");
        out.policy_string = strings(po, "policy-string", limits::max_tlsrpt_text, where);
        // "mx-host" (RFC 8460 §4.4 and erratum 6241); "mx-host-pattern" in drafts and some senders.
        out.mx_host = strings(po, "mx-host", limits::max_domain_length, where);
        if (out.mx_host.empty()) out.mx_host = strings(po, "mx-host-pattern", limits::max_domain_length, where);
        // An empty string says "no MX host" (Mail::TLSRPT writes one): not a host.
        std::erase_if(out.mx_host, [](const std::string& s) { return text::trim(s).empty(); });

        const json* sum = member(p, "summary");
        if (!sum || !sum->is_object()) warn(where + " has no \"summary\"; its session counts are read as 0");
        const json& so = sum && sum->is_object() ? *sum : empty;
        bool present = false;
        auto ok = count(so, "total-successful-session-count", present);
        auto bad = count(so, "total-failure-session-count", present);
        if (!ok || !bad) {
            warn(where + " (" + text::for_terminal(out.policy_domain, 100) +
                 "): a session count is not a whole number from 0 to " + std::to_string(limits::max_tlsrpt_sessions) +
                 "; the policy is dropped");
            return std::nullopt;
        }
        out.total_successful_session_count = *ok;
        out.total_failure_session_count = *bad;
        if (const json* fd = member(p, "failure-details")) {
            if (!fd->is_array()) {
                warn(where + ": \"failure-details\" is not an array; left out");
            } else {
                std::size_t i = 0;
                for (const auto& d : *fd) {
                    auto f = failure_detail(d, where + " failure-details[" + std::to_string(i++) + "]");
                    if (f) out.failure_details.push_back(std::move(*f));
                }
            }
        }
        return out;
    }

    result<void> read(const json& doc) {
        if (!doc.is_object()) return fail("an SMTP TLS report (RFC 8460 §4.4) is a JSON object; this is not one");
        auto identity = [&](const char* name) -> result<std::string> {
            const json* v = member(doc, name);
            if (!v || !v->is_string() || text::trim(v->get_ref<const std::string&>()).empty())
                return fail(std::string("no \"") + name + "\" (RFC 8460 §4.4 requires it)");
            // Part of the de-duplication key: never cut (two reports could merge), refused instead.
            if (v->get_ref<const std::string&>().size() > limits::max_report_identity)
                return fail(std::string("\"") + name + "\" is longer than " + std::to_string(limits::max_report_identity) + " bytes");
            return std::string(text::trim(v->get_ref<const std::string&>()));
        };
        auto org = identity("organization-name");
        if (!org) return unexpected{org.err()};
        out.organization_name = *org;
        auto rid = identity("report-id");
        if (!rid) return unexpected{rid.err()};
        out.report_id = *rid;
        out.contact_info = text(doc, "contact-info", limits::max_tlsrpt_text, "report");
        const json* range = member(doc, "date-range");
        if (!range || !range->is_object()) return fail("no \"date-range\" object (RFC 8460 §4.4 requires it)");
        auto b = datetime(*range, "start-datetime");
        if (!b) return unexpected{b.err()};
        auto e = datetime(*range, "end-datetime");
        if (!e) return unexpected{e.err()};
        if (*e < *b) return fail("date-range ends before it starts");
        out.begin = *b;
        out.end = *e;
        out.start_datetime = range->at("start-datetime").get<std::string>();
        out.end_datetime = range->at("end-datetime").get<std::string>();
        const json* pols = member(doc, "policies");
        if (!pols || !pols->is_array()) return fail("no \"policies\" array (RFC 8460 §4.4 requires it)");
        std::size_t i = 0;
        for (const auto& p : *pols) {
            auto one = policy(p, "policies[" + std::to_string(i++) + "]");
            if (one) out.policies.push_back(std::move(*one));
        }
        if (pols->empty()) warn("the report lists no policies");
        return {};
    }
};

}  // namespace

std::uint64_t tls_content_hash(const tls_report& r) {
    fnv h;
    h.bytes(r.organization_name);
    h.bytes(r.contact_info);
    h.bytes(r.report_id);
    h.bytes(r.start_datetime);
    h.bytes(r.end_datetime);
    h.number(r.policies.size());
    for (const auto& p : r.policies) {
        h.bytes(p.policy_type);
        h.bytes(p.policy_domain);
        h.number(p.policy_string.size());
        for (const auto& s : p.policy_string) h.bytes(s);
        h.number(p.mx_host.size());
        for (const auto& s : p.mx_host) h.bytes(s);
        h.number(static_cast<std::uint64_t>(p.total_successful_session_count));
        h.number(static_cast<std::uint64_t>(p.total_failure_session_count));
        h.number(p.failure_details.size());
        for (const auto& f : p.failure_details) {
            for (const auto* s : {&f.result_type, &f.sending_mta_ip, &f.receiving_mx_hostname, &f.receiving_mx_helo,
                                  &f.receiving_ip, &f.additional_information, &f.failure_reason_code})
                h.bytes(*s);
            h.number(static_cast<std::uint64_t>(f.failed_session_count));
        }
    }
    return h.h;
}

result<tls_report> parse_tlsrpt(std::string_view json_text) {
    if (json_text.size() > limits::max_tlsrpt_bytes)
        return fail("SMTP TLS report larger than " + std::to_string(limits::max_tlsrpt_bytes) + " bytes");
    capped_builder b;
    bool ok = false;
    try {
        ok = json::sax_parse(json_text, &b);
    } catch (const std::exception& e) {
        // Reached only through resource exhaustion: the report is refused, the batch goes on.
        return fail(std::string("SMTP TLS report could not be read: ") + e.what());
    }
    if (!ok) return fail(b.why.empty() ? "not valid JSON" : b.why);
    tls_report r;
    reader rd{r};
    auto done = rd.read(b.root);
    if (!done) return fail("SMTP TLS report: " + done.err().message);
    return r;
}

result<tls_report> parse_tlsrpt(byte_source& in) {
    std::string text;
    char buf[16 * 1024];
    for (;;) {
        auto got = in.read(buf, sizeof buf);
        if (!got) return unexpected{got.err()};
        if (*got == 0) break;
        if (text.size() + *got > limits::max_tlsrpt_bytes)
            return fail("SMTP TLS report larger than " + std::to_string(limits::max_tlsrpt_bytes) + " bytes");
        text.append(buf, *got);
    }
    return parse_tlsrpt(std::string_view(text));
}

}  // namespace dmarcsight::report
