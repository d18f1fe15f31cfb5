// The pure parts of the mailbox sources: IMAP answers, UID sets, Maildir flags, verdicts, actions.
#include <gtest/gtest.h>

#include "ingest/imap_response.hpp"
#include "ingest/ingester.hpp"
#include "ingest/mailbox.hpp"
#include "ingest/maildir_source.hpp"

namespace dmarcsight::ingest {
namespace {

TEST(imap_response, search_uids_ascending_unique_checked) {
    EXPECT_EQ(parse_search("* SEARCH 7 3 12 3\r\n"), (std::vector<std::uint64_t>{3, 7, 12}));
    EXPECT_EQ(parse_search("* SEARCH\r\n"), std::vector<std::uint64_t>{});
    EXPECT_EQ(parse_search("* search 1 2\r\n* SEARCH 9\r\n"), (std::vector<std::uint64_t>{1, 2, 9}));
    // CONDSTORE's (MODSEQ n) tail ends the numbers; 0 and numbers over 32 bits are no UIDs.
    EXPECT_EQ(parse_search("* SEARCH 4 5 (MODSEQ 917162500)\r\n"), (std::vector<std::uint64_t>{4, 5}));
    EXPECT_EQ(parse_search("* SEARCH 0 4\r\n"), std::vector<std::uint64_t>{});
    EXPECT_EQ(parse_search("* SEARCH 4294967296\r\n"), std::vector<std::uint64_t>{});
    EXPECT_EQ(parse_search("* SEARCH 4294967295\r\n"), std::vector<std::uint64_t>{4294967295ULL});
    EXPECT_EQ(parse_search("* OK [UIDNEXT 3]\r\n* 2 EXISTS\r\n"), std::vector<std::uint64_t>{});
}

TEST(imap_response, sizes_in_any_item_order) {
    const auto s = parse_sizes(
        "* 1 FETCH (UID 5 RFC822.SIZE 667)\r\n* 2 FETCH (RFC822.SIZE 50 FLAGS (\\Seen \\Answered) UID 6)\r\n"
        "* 3 FETCH (UID 7)\r\n* 4 FETCH (UID 0 RFC822.SIZE 1)\r\n* 5 FETCH (UID 8 RFC822.SIZE 99999999999)\r\n");
    EXPECT_EQ(s, (std::map<std::uint64_t, std::uint64_t>{{5, 667}, {6, 50}}));
}

TEST(imap_response, capabilities_and_uid_sets) {
    const char* cap = "* CAPABILITY IMAP4rev1 SASL-IR IDLE UIDPLUS MOVE\r\n";
    EXPECT_TRUE(has_capability(cap, "MOVE"));
    EXPECT_TRUE(has_capability(cap, "idle"));
    EXPECT_FALSE(has_capability(cap, "MOV"));
    EXPECT_FALSE(has_capability("* OK MOVE\r\n", "MOVE"));
    EXPECT_EQ(uid_set({1, 2, 3, 5, 7, 8}), "1:3,5,7:8");
    EXPECT_EQ(uid_set({42}), "42");
    EXPECT_EQ(uid_set({}), "");
}

TEST(imap_response, list_delimiter) {
    EXPECT_EQ(parse_list_delimiter("* LIST (\\Noselect) \".\" \"\"\r\n"), '.');
    EXPECT_EQ(parse_list_delimiter("* LIST (\\Noselect) \"/\" \"\"\r\n"), '/');
    EXPECT_EQ(parse_list_delimiter("* LIST (\\Noselect) \"\\\\\" \"\"\r\n"), '\\');
    EXPECT_EQ(parse_list_delimiter("* LIST (\\Noselect) NIL \"\"\r\n"), 0);
    EXPECT_EQ(parse_list_delimiter("* OK nothing\r\n"), 0);
}

TEST(maildir, seen_flag_added_in_order) {
    EXPECT_EQ(maildir_with_flag("1700.M1P2.host", 'S'), "1700.M1P2.host:2,S");
    EXPECT_EQ(maildir_with_flag("1700.M1P2.host:2,R", 'S'), "1700.M1P2.host:2,RS");
    EXPECT_EQ(maildir_with_flag("1700.M1P2.host:2,T", 'S'), "1700.M1P2.host:2,ST");
    EXPECT_EQ(maildir_with_flag("1700.M1P2.host:2,S", 'S'), "1700.M1P2.host:2,S");
}

TEST(verdict, from_the_units_of_an_input) {
    auto unit = [](report_kind k, store::outcome o) {
        unit_result u;
        u.kind = k;
        u.result = o;
        return u;
    };
    using store::outcome;
    EXPECT_EQ(verdict_of({}), input_verdict::invalid);
    EXPECT_EQ(verdict_of({unit(report_kind::none, outcome::rejected)}), input_verdict::invalid);
    EXPECT_EQ(verdict_of({unit(report_kind::aggregate, outcome::rejected)}), input_verdict::invalid);  // damaged
    EXPECT_EQ(verdict_of({unit(report_kind::aggregate, outcome::duplicate)}), input_verdict::aggregate);
    EXPECT_EQ(verdict_of({unit(report_kind::failure, outcome::skipped)}), input_verdict::failure);
    EXPECT_EQ(verdict_of({unit(report_kind::tlsrpt, outcome::stored)}), input_verdict::tlsrpt);
    EXPECT_EQ(verdict_of({unit(report_kind::tlsrpt, outcome::stored), unit(report_kind::aggregate, outcome::stored)}),
              input_verdict::aggregate);
}

TEST(mailbox_action, parsed_and_chosen_by_verdict) {
    EXPECT_EQ(parse_mailbox_action("delete").w, mailbox_action::what::remove);
    EXPECT_EQ(parse_mailbox_action("seen").w, mailbox_action::what::seen);
    EXPECT_EQ(parse_mailbox_action("leave").w, mailbox_action::what::leave);
    const auto m = parse_mailbox_action("Archive/DMARC");
    EXPECT_EQ(m.w, mailbox_action::what::move);
    EXPECT_EQ(m.folder, "Archive/DMARC");
    mailbox_actions a;
    EXPECT_EQ(a.for_verdict(input_verdict::aggregate).folder, "Aggregate");
    EXPECT_EQ(a.for_verdict(input_verdict::failure).folder, "Failure");
    EXPECT_EQ(a.for_verdict(input_verdict::tlsrpt).folder, "TLS");
    EXPECT_EQ(a.for_verdict(input_verdict::invalid).folder, "Invalid");
}

}  // namespace
}  // namespace dmarcsight::ingest
