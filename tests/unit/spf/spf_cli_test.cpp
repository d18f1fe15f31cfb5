// `dmarcsight spf` end to end on the fixture zone: output, JSON fields, exit codes.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace {

const std::string binary = DMARCSIGHT_BINARY;
const std::string zone = std::string(DMARCSIGHT_TEST_DIR) + "/fixtures/spf/tree.zone";

struct run_result {
    int exit_code = -1;
    std::string out;
};

// Arguments are fixed strings from this file (no shell metacharacters from input).
run_result run(const std::string& args) {
    run_result r;
    const std::string cmd = binary + " " + args + " 2>/dev/null";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return r;
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    const int status = pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

class spf_cli : public ::testing::Test {
protected:
    void SetUp() override {
        if (!std::filesystem::exists(binary)) GTEST_SKIP() << "binary not built: " << binary;
    }
};

TEST_F(spf_cli, text_output_shows_result_and_trace) {
    const auto r = run("spf --ip 100.64.0.99 --sender user@tree.test --zone " + zone);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("spf: fail"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("DNS-querying terms: 7 of 10; void lookups: 2 of 2"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("*v [3] a:gone.tree.test: A gone.tree.test -> NXDOMAIN"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("include:_spf.crm.tree.test -> _spf.crm.tree.test"), std::string::npos) << r.out;
}

TEST_F(spf_cli, json_output) {
    const auto r = run("spf --ip 198.51.100.9 --sender user@tree.test --zone " + zone + " --format json");
    EXPECT_EQ(r.exit_code, 0);
    const auto j = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << r.out;
    EXPECT_EQ(j["result"], "pass");
    EXPECT_EQ(j["explanation"], "");
    EXPECT_EQ(j["lookups"], 2);
    EXPECT_EQ(j["void_lookups"], 0);
    ASSERT_TRUE(j["trace"].is_array());
    ASSERT_EQ(j["trace"].size(), 3U);
    EXPECT_EQ(j["trace"][2]["in"], "_netblocks.esp.tree.test");
    EXPECT_EQ(j["trace"][2]["counted"], true);
    EXPECT_EQ(j["records"][1]["via"], "include");
}

TEST_F(spf_cli, every_result_exits_zero) {
    EXPECT_EQ(run("spf --ip 192.0.2.1 --sender a@syntax.tree.test --zone " + zone).exit_code, 0);  // permerror
    EXPECT_EQ(run("spf --ip 192.0.2.1 --sender a@nothing.tree.test --zone " + zone).exit_code, 0);  // none
    const auto r = run("spf --ip 192.0.2.1 --sender '<>' --helo plus-all.tree.test --zone " + zone);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("spf: pass"), std::string::npos) << r.out;
}

TEST_F(spf_cli, usage_errors_exit_two) {
    EXPECT_EQ(run("spf --ip 1.2.3 --sender a@tree.test --zone " + zone).exit_code, 2);
    EXPECT_EQ(run("spf --ip 192.0.2.1 --zone " + zone).exit_code, 2);
    EXPECT_EQ(run("spf --sender a@tree.test --zone " + zone).exit_code, 2);
    EXPECT_EQ(run("spf --ip 192.0.2.1 --sender a@tree.test --zone /nonexistent/zone").exit_code, 2);
    EXPECT_EQ(run("spf --ip 192.0.2.1 --sender '' --zone " + zone).exit_code, 2);  // null sender needs --helo
    EXPECT_EQ(run("spf --ip 192.0.2.1 --sender a@tree.test --format xml --zone " + zone).exit_code, 2);
    // A zone file that does not parse.
    const std::string bad = std::string(DMARCSIGHT_TEST_DIR) + "/fixtures/spf/bad.zone";
    EXPECT_EQ(run("spf --ip 192.0.2.1 --sender a@tree.test --zone " + bad).exit_code, 2);
}

}  // namespace
