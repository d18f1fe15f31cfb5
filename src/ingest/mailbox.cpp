#include "ingest/mailbox.hpp"

namespace dmarcsight::ingest {

mailbox_action parse_mailbox_action(std::string_view text) {
    if (text == "delete") return {mailbox_action::what::remove, {}};
    if (text == "seen") return {mailbox_action::what::seen, {}};
    if (text == "leave") return {mailbox_action::what::leave, {}};
    return {mailbox_action::what::move, std::string(text)};
}

std::string describe(const mailbox_action& a) {
    switch (a.w) {
        case mailbox_action::what::move: return "moved to " + a.folder;
        case mailbox_action::what::seen: return "flagged seen";
        case mailbox_action::what::remove: return "deleted";
        case mailbox_action::what::leave: return "left in place";
    }
    return "left in place";
}

const mailbox_action& mailbox_actions::for_verdict(input_verdict v) const {
    switch (v) {
        case input_verdict::aggregate: return aggregate;
        case input_verdict::failure: return failure;
        case input_verdict::tlsrpt: return tlsrpt;
        case input_verdict::invalid: return invalid;
    }
    return invalid;
}

}  // namespace dmarcsight::ingest
