// `dmarcsight check` end to end: exit codes and JSON, closed world (--zone).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include "report/aggregate.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace fs = std::filesystem;

namespace {
struct run_result {
    int code = -1;
    std::string out;
};

run_result run(const std::string& args) {
    // Arguments are fixed test strings (no untrusted input reaches the shell).
    const std::string cmd = std::string(DMARCSIGHT_BINARY) + " " + args + " 2>/dev/null";
    run_result r;
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) return r;
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    const int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

std::string fixture(const std::string& name) {
    return (fs::path(DMARCSIGHT_TEST_DIR) / "fixtures" / "posture" / name).string();
}
}  // namespace

TEST(cli_check, clean_domain_exits_0) {
    const auto r = run("check --zone " + fixture("good.zone") + " --selector sel2048 good.example");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("good.example  (0 errors, 0 warnings)"), std::string::npos) << r.out;
}

TEST(cli_check, error_finding_exits_1_and_json_lists_it) {
    const auto r = run("check --zone " + fixture("dmarc.zone") + " --format json multi.test none.test");
    EXPECT_EQ(r.code, 1);
    const auto doc = nlohmann::json::parse(r.out);
    ASSERT_EQ(doc["domains"].size(), 2u);
    EXPECT_EQ(doc["domains"][0]["domain"], "multi.test");
    bool multiple = false;
    for (const auto& f : doc["domains"][0]["findings"]) multiple = multiple || f["code"] == "dmarc.multiple_records";
    EXPECT_TRUE(multiple);
    for (const auto& f : doc["domains"][1]["findings"]) {
        EXPECT_TRUE(f.contains("severity") && f.contains("code") && f.contains("message") && f.contains("record") &&
                    f.contains("fix"));
    }
}

TEST(cli_check, usage_errors_exit_2) {
    EXPECT_EQ(run("check --zone " + fixture("good.zone")).code, 2);  // no domain
    EXPECT_EQ(run("check --zone /nonexistent/zone good.example").code, 2);
    EXPECT_EQ(run("check --zone " + fixture("good.zone") + " --with " + fixture("good.zone") + " good.example").code, 2);
    EXPECT_EQ(run("check --zone " + fixture("good.zone") + " --format xml good.example").code, 2);
    EXPECT_EQ(run("check --zone " + fixture("good.zone") + " 'bad..name' good.example").code, 2);
    EXPECT_EQ(run("check --zone " + fixture("good.zone") + " localhost").code, 2);
    EXPECT_EQ(run("check --zone " + fixture("good.zone") + " --db /nonexistent/db.sqlite good.example").code, 2);
}

TEST(cli_check, unreachable_resolver_is_an_environment_error) {
    // Nothing listens on UDP port 9 of the loopback: every query times out (or is refused), which
    // is "no resolver reachable" (exit 2), not a finding.
    const auto r = run("check --server 127.0.0.1:9 --with " + fixture("good.zone") + " good.example");
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(r.out.empty());
}

TEST(cli_check, db_supplies_domains_and_selectors) {
    const fs::path dir = fs::temp_directory_path() / ("dmarcsight_check_db_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string db = (dir / "reports.sqlite").string();
    {
        auto st = dmarcsight::store::open_sqlite(db, dmarcsight::store::open_mode::read_write);
        ASSERT_TRUE(st.ok()) << st.err().message;
        auto& s = **st;
        ASSERT_TRUE(s.begin_batch().ok());
        ASSERT_TRUE(s.begin_unit().ok());
        dmarcsight::report::report_header h;
        h.metadata.org_name = "receiver.example";
        h.metadata.report_id = "r1";
        h.metadata.begin = 1700000000;
        h.metadata.end = 1700086400;
        h.policy.domain = "good.example";
        h.policy.p = "reject";
        auto id = s.insert_report(h, "test");
        ASSERT_TRUE(id.ok()) << id.err().message;
        dmarcsight::report::record rec;
        rec.source_ip = *dmarcsight::ip_address::parse("192.0.2.10");
        rec.count = 3;
        rec.disposition = "none";
        rec.dkim = "pass";
        rec.spf = "pass";
        rec.header_from = "good.example";
        rec.dkim_results.push_back({"good.example", "sel2048", "pass", ""});
        rec.dkim_results.push_back({"Good.Example", "ed", "pass", ""});
        // A third-party signer's key is not the checked domain's business: not checked.
        rec.dkim_results.push_back({"esp.example", "s1", "pass", ""});
        ASSERT_TRUE(s.insert_record(id->id, rec).ok());
        dmarcsight::store::report_totals totals;
        totals.records = 1;
        totals.messages = 3;
        ASSERT_TRUE(s.finish_report(id->id, totals).ok());
        ASSERT_TRUE(s.end_unit(true).ok());
        ASSERT_TRUE(s.commit_batch().ok());
    }
    const auto r = run("check --zone " + fixture("good.zone") + " --db " + db + " --format json");
    EXPECT_EQ(r.code, 0) << r.out;
    const auto doc = nlohmann::json::parse(r.out);
    ASSERT_EQ(doc["domains"].size(), 1u);
    EXPECT_EQ(doc["domains"][0]["domain"], "good.example");
    int keys = 0;
    for (const auto& f : doc["domains"][0]["findings"]) keys += f["code"] == "dkim.key" ? 1 : 0;
    EXPECT_EQ(keys, 2);  // sel2048 and ed, both from the stored DKIM results
    fs::remove_all(dir);
}

// ---- internationalised domain names (IDNA2008 A-labels in DNS, U-labels on the command line) ----

TEST(cli_check_idn, u_label_domains_are_looked_up_as_a_labels_and_shown_as_both) {
    const auto r = run("check --zone " + fixture("idn.zone") + " --format json bücher.example 例え.jp");
    EXPECT_EQ(r.code, 1) << r.out;  // 例え.jp has no DMARC record: an error finding
    const auto doc = nlohmann::json::parse(r.out);
    ASSERT_EQ(doc["domains"].size(), 2u);
    const auto& b = doc["domains"][0];
    EXPECT_EQ(b["domain"], "xn--bcher-kva.example");
    EXPECT_EQ(b["domain_unicode"], "bücher.example");
    EXPECT_EQ(b["errors"], 0) << b.dump(2);
    bool mx_present = false;
    for (const auto& f : b["findings"]) {
        mx_present = mx_present || (f["code"] == "mx.present" && f["record"] == "10 mx.xn--bcher-kva.example");
    }
    EXPECT_TRUE(mx_present) << b.dump(2);
    const auto& j = doc["domains"][1];
    EXPECT_EQ(j["domain"], "xn--r8jz45g.jp");
    EXPECT_EQ(j["domain_unicode"], "例え.jp");
    bool no_dmarc = false;
    for (const auto& f : j["findings"]) no_dmarc = no_dmarc || f["code"] == "dmarc.missing";
    EXPECT_TRUE(no_dmarc) << j.dump(2);
}

TEST(cli_check_idn, text_output_shows_both_forms_and_a_label_input_is_the_same_domain) {
    // Upper case and a trailing dot map to the same name (UTS #46); the xn-- form is the same
    // domain and is checked once.
    const auto r = run("check --zone " + fixture("idn.zone") + " Bücher.Example. xn--bcher-kva.example");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("bücher.example (xn--bcher-kva.example)  (0 errors, 0 warnings)"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("xn--bcher-kva.example  ("), std::string::npos) << r.out;  // not checked twice
}

TEST(cli_check_idn, an_invalid_idn_is_a_usage_error) {
    const auto snowman = run("check --zone " + fixture("idn.zone") + " 'mail☃.example'");
    EXPECT_EQ(snowman.code, 2) << snowman.out;
    EXPECT_EQ(snowman.out, "");
    // The reason, on standard error.
    std::string said;
    {
        const std::string cmd = std::string(DMARCSIGHT_BINARY) + " check --zone " + fixture("idn.zone") + " 'mail☃.example' 2>&1 >/dev/null";
        FILE* p = popen(cmd.c_str(), "r");
        ASSERT_NE(p, nullptr);
        std::array<char, 4096> buf{};
        for (std::size_t n = 0; (n = fread(buf.data(), 1, buf.size(), p)) > 0;) said.append(buf.data(), n);
        pclose(p);
    }
    EXPECT_EQ(said,
              "dmarcsight check: \"mail☃.example\" is not a valid internationalised domain name: "
              "string contains a disallowed character\n");
    const auto bad_a_label = run("check --zone " + fixture("idn.zone") + " xn--zz.example");
    EXPECT_EQ(bad_a_label.code, 2) << bad_a_label.out;
}
