// The configuration file, the environment layer and what `config show` prints.
#include "config/config.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "support/temp_dir.hpp"

namespace dmarcsight::config {
namespace {

using test_support::temp_dir;

constexpr const char* secret_word = "Tr0ub4dor-hunter2";

void write(const std::string& path, const std::string& text, mode_t mode = 0600) {
    std::ofstream(path, std::ios::binary) << text;
    ::chmod(path.c_str(), mode);
}

// Clears every DMARCSIGHT_* variable the module reads, before and after each test.
class config_test : public ::testing::Test {
protected:
    void SetUp() override { clear(); }
    void TearDown() override { clear(); }
    static void clear() {
        ::unsetenv("DMARCSIGHT_CONFIG");
        ::unsetenv("DMARCSIGHT_TEST_PGPASS");
        for (const auto& v : environment_variables()) ::unsetenv(std::string(v.name).c_str());
    }
    // Parses text as the file <dir>/dmarcsight.toml (mode 0600).
    result<settings> parse(const std::string& text, mode_t mode = 0600) {
        const std::string path = dir / "dmarcsight.toml";
        write(path, text, mode);
        settings s;
        if (auto r = apply_file(s, path); !r) return unexpected{r.err()};
        return s;
    }
    std::string error_of(const std::string& text) {
        auto r = parse(text);
        EXPECT_FALSE(r.ok()) << text;
        return r.ok() ? std::string() : r.err().message;
    }
    temp_dir dir;
};

TEST_F(config_test, defaults_match_the_cli_without_a_file) {
    settings s;
    EXPECT_EQ(s.database.value, "dmarcsight.db");
    EXPECT_EQ(s.database.from.k, origin::kind::built_in);
    EXPECT_FALSE(s.quarantine.value);
    EXPECT_FALSE(s.dns.zone.value);
    EXPECT_FALSE(s.dns.with.value);
    EXPECT_TRUE(s.dns.servers.value.empty());
    EXPECT_FALSE(s.dns.timeout_s.value);
    EXPECT_FALSE(s.enrich.on_ingest.value);
    EXPECT_FALSE(s.enrich.offline.value);
    EXPECT_EQ(s.enrich.location_db.value, "/var/lib/location/database.db");
    EXPECT_FALSE(s.postgres.password.present());
}

TEST_F(config_test, every_key_parses) {
    write(dir / "pg.pass", std::string(secret_word) + "\n");
    auto r = parse(R"(
database = "/srv/dmarc/reports.db"
quarantine = "/srv/dmarc/quarantine"
services = "my-services.txt"

[dns]
zone = "/srv/zones/example.zone"
servers = ["192.0.2.53", "192.0.2.54:5353", "[2001:db8::53]:53", "2001:db8::54"]
timeout = 30

[enrich]
on_ingest = true
offline = true
location_db = "/srv/location.db"
mmdb = "/srv/GeoLite2-ASN.mmdb"
ttl_days = 14

[[label]]
domain = "Example.COM."
source = "198.51.100.0/24"
class = "forwarded"
note = "our relay"

[[label]]
domain = "example.com"
service = "mailchimp"
class = "authorized"

[postgres]
password_file = "pg.pass"
)");
    ASSERT_TRUE(r.ok()) << r.err().message;
    const settings& s = *r;
    EXPECT_EQ(s.database.value, "/srv/dmarc/reports.db");
    EXPECT_EQ(s.database.from.k, origin::kind::file);
    EXPECT_EQ(s.database.from.where, (dir / "dmarcsight.toml") + ":2:12");
    EXPECT_EQ(*s.quarantine.value, "/srv/dmarc/quarantine");
    // Relative paths are relative to the file's folder.
    EXPECT_EQ(*s.services.value, dir / "my-services.txt");
    EXPECT_EQ(*s.dns.zone.value, "/srv/zones/example.zone");
    ASSERT_EQ(s.dns.servers.value.size(), 4u);
    EXPECT_EQ(s.dns.servers.value[2], "[2001:db8::53]:53");
    EXPECT_EQ(*s.dns.timeout_s.value, 30);
    EXPECT_TRUE(s.enrich.on_ingest.value);
    EXPECT_TRUE(s.enrich.offline.value);
    EXPECT_EQ(s.enrich.location_db.value, "/srv/location.db");
    EXPECT_EQ(*s.enrich.mmdb.value, "/srv/GeoLite2-ASN.mmdb");
    EXPECT_EQ(*s.enrich.ttl_days.value, 14);
    ASSERT_EQ(s.labels.size(), 2u);
    EXPECT_EQ(s.labels[0].domain, "example.com");
    ASSERT_TRUE(s.labels[0].source);
    EXPECT_EQ(s.labels[0].source->to_string(), "198.51.100.0/24");
    EXPECT_TRUE(s.labels[0].source->contains(*ip_address::parse("198.51.100.7")));
    EXPECT_EQ(s.labels[0].cls, label_class::forwarded);
    EXPECT_EQ(s.labels[0].note, "our relay");
    EXPECT_EQ(s.labels[1].service, "mailchimp");
    EXPECT_EQ(s.labels[1].cls, label_class::authorized);
    EXPECT_FALSE(s.labels[1].source);
    ASSERT_TRUE(s.postgres.password.present());
    EXPECT_EQ(s.postgres.password.kind(), secret::source::file);
    EXPECT_EQ(s.postgres.password.reveal(), secret_word);  // trailing newline trimmed
    EXPECT_EQ(s.postgres.password.where(), dir / "pg.pass");
    EXPECT_TRUE(s.warnings.empty());
}

TEST_F(config_test, the_example_file_in_the_repository_is_valid) {
    settings s;
    auto r = apply_file(s, std::string(DMARCSIGHT_TEST_DIR) + "/../dmarcsight.toml.example");
    ASSERT_TRUE(r.ok()) << r.err().message;
    // Every value in it is the default (commented out): the example changes nothing.
    EXPECT_EQ(s.database.value, "dmarcsight.db");
    EXPECT_TRUE(s.labels.empty());
}

TEST_F(config_test, unknown_key_names_file_line_column_and_suggests) {
    const std::string e = error_of("database = \"x.db\"\n[dns]\ntimeout = 5\nzon = \"a.zone\"\n");
    EXPECT_NE(e.find(dir / "dmarcsight.toml" + ":4:1"), std::string::npos) << e;
    EXPECT_NE(e.find("unknown key 'dns.zon'"), std::string::npos) << e;
    EXPECT_NE(e.find("did you mean 'dns.zone'"), std::string::npos) << e;
}

TEST_F(config_test, unknown_table_is_an_error) {
    const std::string e = error_of("[alarms]\nurl = \"x\"\n");
    EXPECT_NE(e.find(":1:2: unknown key 'alarms'"), std::string::npos) << e;
    const std::string e2 = error_of("[[label]]\ndomain = \"example.com\"\nsource = \"192.0.2.1\"\nclass = \"spoofing\"\ncolour = \"red\"\n");
    EXPECT_NE(e2.find(":5:1: unknown key 'label[1].colour'"), std::string::npos) << e2;
}

TEST_F(config_test, wrong_types_are_errors) {
    EXPECT_NE(error_of("[dns]\ntimeout = \"5\"\n").find(":2:11: dns.timeout must be a number"), std::string::npos);
    EXPECT_NE(error_of("[dns]\ntimeout = 2.5\n").find("dns.timeout must be a whole number of seconds"), std::string::npos);
    EXPECT_NE(error_of("[dns]\ntimeout = 0\n").find("from 1 to 3600"), std::string::npos);
    EXPECT_NE(error_of("database = 3\n").find("database must be a string"), std::string::npos);
    EXPECT_NE(error_of("database = \"\"\n").find("database must not be empty"), std::string::npos);
    EXPECT_NE(error_of("[enrich]\non_ingest = \"yes\"\n").find("enrich.on_ingest must be true or false"), std::string::npos);
    EXPECT_NE(error_of("dns = 1\n").find("dns must be a table"), std::string::npos);
    EXPECT_NE(error_of("[dns]\nservers = \"192.0.2.1\"\n").find("dns.servers must be an array"), std::string::npos);
    EXPECT_NE(error_of("[dns]\nservers = [\"resolver.example\"]\n").find("'resolver.example' is not ip"), std::string::npos);
    EXPECT_NE(error_of("[dns]\nservers = [\"192.0.2.1:0\"]\n").find("is not ip"), std::string::npos);
    EXPECT_NE(error_of("[dns]\nzone = \"a\"\nwith = \"b\"\n").find("exclude each other"), std::string::npos);
    EXPECT_NE(error_of("[label]\ndomain = \"x.example\"\n").find("label must be written [[label]]"), std::string::npos);
}

TEST_F(config_test, toml_syntax_errors_have_a_position) {
    const std::string e = error_of("database = \"x.db\"\n\n[dns\n");
    EXPECT_NE(e.find(dir / "dmarcsight.toml" + ":3:"), std::string::npos) << e;
    // The character the tokenizer stopped at is not quoted: it may belong to a secret.
    const std::string junk = error_of("[postgres]\npassword = \"x\" Y\n");
    EXPECT_NE(junk.find(":2:16: "), std::string::npos) << junk;
    EXPECT_NE(junk.find("saw an unexpected character"), std::string::npos) << junk;
    EXPECT_EQ(junk.find("'Y'"), std::string::npos) << junk;
    const std::string escape = error_of("[postgres]\npassword = \"x\\Y\"\n");
    // (After the file's path: the temporary folder's random name may hold a Y.)
    const std::string message = escape.substr(std::min(escape.size(), escape.find("dmarcsight.toml")));
    EXPECT_EQ(message.find("Y"), std::string::npos) << escape;
    EXPECT_NE(escape.find("unknown escape sequence"), std::string::npos) << escape;
}

TEST_F(config_test, label_validation) {
    auto label_error = [&](const std::string& body) { return error_of("[[label]]\n" + body); };
    EXPECT_NE(label_error("source = \"192.0.2.1\"\nclass = \"spoofing\"\n").find("label[1] needs a domain"), std::string::npos);
    EXPECT_NE(label_error("domain = \"example.com\"\nclass = \"spoofing\"\n").find("needs a source (IP or CIDR) or a service"),
              std::string::npos);
    EXPECT_NE(label_error("domain = \"example.com\"\nsource = \"192.0.2.1\"\nservice = \"x\"\nclass = \"spoofing\"\n")
                  .find("both source and service"),
              std::string::npos);
    EXPECT_NE(label_error("domain = \"example.com\"\nsource = \"192.0.2.1\"\n").find("needs a class"), std::string::npos);
    EXPECT_NE(label_error("domain = \"example.com\"\nsource = \"192.0.2.300\"\nclass = \"spoofing\"\n")
                  .find("label[1].source: '192.0.2.300' is not an IP address or CIDR block"),
              std::string::npos);
    EXPECT_NE(label_error("domain = \"example.com\"\nsource = \"192.0.2.1/24\"\nclass = \"spoofing\"\n")
                  .find("the block is 192.0.2.0/24"),
              std::string::npos);
    const std::string bad_class = label_error("domain = \"example.com\"\nsource = \"192.0.2.1\"\nclass = \"fowarded\"\n");
    EXPECT_NE(bad_class.find("did you mean 'forwarded'"), std::string::npos) << bad_class;
    EXPECT_NE(label_error("domain = \"not a domain\"\nsource = \"192.0.2.1\"\nclass = \"spoofing\"\n").find("is not a domain name"),
              std::string::npos);
    // A second label's errors name it.
    const std::string second = error_of(
        "[[label]]\ndomain = \"a.example\"\nsource = \"2001:db8::/32\"\nclass = \"unknown\"\n"
        "[[label]]\ndomain = \"b.example\"\nclass = \"unknown\"\n");
    EXPECT_NE(second.find("label[2]"), std::string::npos) << second;
}

TEST_F(config_test, cidr_parsing) {
    EXPECT_EQ(cidr::parse("192.0.2.0/24")->length, 24u);
    EXPECT_EQ(cidr::parse("192.0.2.9")->length, 32u);
    EXPECT_EQ(cidr::parse("2001:db8::/32")->to_string(), "2001:db8::/32");
    EXPECT_EQ(cidr::parse("2001:db8::1")->to_string(), "2001:db8::1");
    EXPECT_EQ(cidr::parse("0.0.0.0/0")->length, 0u);
    EXPECT_EQ(cidr::parse("::ffff:192.0.2.0/120")->to_string(), "192.0.2.0/24");
    EXPECT_FALSE(cidr::parse("192.0.2.0/33").ok());
    EXPECT_FALSE(cidr::parse("192.0.2.0/").ok());
    EXPECT_FALSE(cidr::parse("192.0.2.0/x").ok());
    EXPECT_FALSE(cidr::parse("192.0.2.0/-1").ok());
    EXPECT_FALSE(cidr::parse("2001:db8::1/32").ok());
    EXPECT_FALSE(cidr::parse("example.com").ok());
    EXPECT_FALSE(cidr::parse("").ok());
    EXPECT_TRUE(cidr::parse("10.0.0.0/8")->contains(*ip_address::parse("10.200.1.1")));
    EXPECT_FALSE(cidr::parse("10.0.0.0/8")->contains(*ip_address::parse("11.0.0.1")));
    EXPECT_FALSE(cidr::parse("10.0.0.0/8")->contains(*ip_address::parse("2001:db8::1")));
}

TEST_F(config_test, size_cap) {
    std::string big = "# " + std::string(max_config_size, 'x') + "\n";
    const std::string e = error_of(big);
    EXPECT_NE(e.find("is larger than 1024 KiB"), std::string::npos) << e;
    // Just under the cap is fine.
    EXPECT_TRUE(parse("# " + std::string(max_config_size - 10, 'x') + "\n").ok());
}

TEST_F(config_test, secret_from_environment_variable_named_in_the_file) {
    ::setenv("DMARCSIGHT_TEST_PGPASS", secret_word, 1);
    auto r = parse("[postgres]\npassword_env = \"DMARCSIGHT_TEST_PGPASS\"\n");
    ASSERT_TRUE(r.ok()) << r.err().message;
    EXPECT_EQ(r->postgres.password.kind(), secret::source::environment);
    EXPECT_EQ(r->postgres.password.reveal(), secret_word);
    EXPECT_EQ(r->postgres.password.describe(), "(secret from environment DMARCSIGHT_TEST_PGPASS)");
    ::unsetenv("DMARCSIGHT_TEST_PGPASS");
    EXPECT_NE(error_of("[postgres]\npassword_env = \"DMARCSIGHT_TEST_PGPASS\"\n").find("which is not set"), std::string::npos);
    EXPECT_NE(error_of("[postgres]\npassword_env = \"not a name\"\n").find("must be the name of an environment variable"),
              std::string::npos);
}

TEST_F(config_test, secret_sources_exclude_each_other) {
    write(dir / "pg.pass", secret_word);
    const std::string e = error_of("[postgres]\npassword = \"x\"\npassword_file = \"pg.pass\"\n");
    EXPECT_NE(e.find("exclude each other"), std::string::npos) << e;
    EXPECT_NE(error_of("[postgres]\nhost = \"db\"\n").find("unknown key 'postgres.host'"), std::string::npos);
}

TEST_F(config_test, secret_file_permissions_warn) {
    write(dir / "pg.pass", secret_word, 0644);
    // Owned by root, a group/world-readable secret file is fine (root:group 0640 shares it).
    if (::geteuid() == 0) {
        auto r = parse("[postgres]\npassword_file = \"pg.pass\"\n");
        ASSERT_TRUE(r.ok()) << r.err().message;
        EXPECT_TRUE(r->warnings.empty());
        // Give it to another user to see the warning.
        if (::chown((dir / "pg.pass").c_str(), 65534, 65534) != 0) GTEST_SKIP() << "cannot chown as root";
    }
    auto r = parse("[postgres]\npassword_file = \"pg.pass\"\n");
    ASSERT_TRUE(r.ok()) << r.err().message;
    ASSERT_EQ(r->warnings.size(), 1u);
    EXPECT_NE(r->warnings[0].find("can be read by group or others (mode 0644)"), std::string::npos) << r->warnings[0];
    EXPECT_EQ(r->warnings[0].find(secret_word), std::string::npos);
    write(dir / "pg.pass", secret_word, 0600);
    auto tight = parse("[postgres]\npassword_file = \"pg.pass\"\n");
    ASSERT_TRUE(tight.ok());
    EXPECT_TRUE(tight->warnings.empty());
}

TEST_F(config_test, literal_secret_warns_when_the_file_is_readable_by_others) {
    auto tight = parse(std::string("[postgres]\npassword = \"") + secret_word + "\"\n", 0600);
    ASSERT_TRUE(tight.ok()) << tight.err().message;
    EXPECT_TRUE(tight->warnings.empty());
    EXPECT_EQ(tight->postgres.password.kind(), secret::source::literal);
    EXPECT_EQ(tight->postgres.password.reveal(), secret_word);
    auto loose = parse(std::string("[postgres]\npassword = \"") + secret_word + "\"\n", 0644);
    ASSERT_TRUE(loose.ok());
    ASSERT_EQ(loose->warnings.size(), 1u);
    EXPECT_NE(loose->warnings[0].find("postgres.password is written in a configuration file that group or others can read"),
              std::string::npos);
    EXPECT_EQ(loose->warnings[0].find(secret_word), std::string::npos);
}

// The secret's text must not reach an error message, whatever went wrong around it.
TEST_F(config_test, secret_never_appears_in_errors) {
    write(dir / "pg.pass", secret_word);
    write(dir / "empty.pass", "\n");
    const std::string w(secret_word);
    const std::vector<std::string> broken = {
        // The secret file is fine, something later in the file is not.
        "[postgres]\npassword_file = \"pg.pass\"\n[dns]\ntimeout = \"soon\"\n",
        // A literal secret of the wrong type, unterminated, with a bad escape, or followed by junk.
        "[postgres]\npassword = [\"" + w + "\"]\n",
        "[postgres]\npassword = \"" + w + "\n",
        "[postgres]\npassword = \"" + w + "\\q\"\n",
        "[postgres]\npassword = \"" + w + "\" " + w + "\n",
        "[postgres]\npassword = " + w + "\n",
        // A secret written under a misspelt key.
        "[postgres]\npasword = \"" + w + "\"\n",
        "[postgres]\npassword = \"" + w + "\"\npassword_env = \"X\"\n",
        // The configuration file is the secret file itself (a common slip: --config pg.pass).
        w + "\n",
        "[postgres]\npassword_file = \"empty.pass\"\n",
        "[postgres]\npassword_file = \"missing.pass\"\n",
    };
    for (const auto& text : broken) {
        const std::string e = error_of(text);
        EXPECT_FALSE(e.empty()) << text;
        EXPECT_EQ(e.find(w), std::string::npos) << "leaked in: " << e;
        // Not even its first few characters, as a tokenizer would quote them.
        EXPECT_EQ(e.find(w.substr(0, 4)), std::string::npos) << "leaked in: " << e;
    }
    // The same through the environment: a bad variable elsewhere names itself, not the secret.
    ::setenv("DMARCSIGHT_POSTGRES_PASSWORD", secret_word, 1);
    ::setenv("DMARCSIGHT_DNS_TIMEOUT", "never", 1);
    settings s;
    auto r = apply_environment(s);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.err().message.find("DMARCSIGHT_DNS_TIMEOUT"), std::string::npos);
    EXPECT_EQ(r.err().message.find(w), std::string::npos);
}

TEST_F(config_test, describe_redacts_secrets) {
    write(dir / "pg.pass", secret_word);
    for (const std::string& text : {std::string("[postgres]\npassword_file = \"pg.pass\"\n"),
                                    std::string("[postgres]\npassword = \"") + secret_word + "\"\n"}) {
        auto r = parse(text);
        ASSERT_TRUE(r.ok()) << r.err().message;
        bool found = false;
        for (const auto& line : describe(*r)) {
            EXPECT_EQ(line.value.find(secret_word), std::string::npos) << line.key;
            EXPECT_EQ(line.from.where.find(secret_word), std::string::npos) << line.key;
            if (line.key == "postgres.password") {
                found = true;
                EXPECT_EQ(line.from.k, origin::kind::file);
                if (r->postgres.password.kind() == secret::source::file)
                    EXPECT_EQ(line.value, "(secret from file " + (dir / "pg.pass") + ")");
                else
                    EXPECT_EQ(line.value, "(secret written in the configuration file)");
            }
        }
        EXPECT_TRUE(found);
    }
    ::setenv("DMARCSIGHT_POSTGRES_PASSWORD", secret_word, 1);
    settings s;
    ASSERT_TRUE(apply_environment(s).ok());
    EXPECT_EQ(s.postgres.password.reveal(), secret_word);
    for (const auto& line : describe(s)) EXPECT_EQ(line.value.find(secret_word), std::string::npos);
    EXPECT_EQ(s.postgres.password.describe(), "(secret from environment DMARCSIGHT_POSTGRES_PASSWORD)");
}

TEST_F(config_test, environment_variables_apply_and_name_themselves) {
    ::setenv("DMARCSIGHT_DB", "/tmp/env.db", 1);
    ::setenv("DMARCSIGHT_QUARANTINE", "/tmp/q", 1);
    ::setenv("DMARCSIGHT_DNS_WITH", "what-if.zone", 1);
    ::setenv("DMARCSIGHT_DNS_SERVERS", "192.0.2.1, 192.0.2.2:5353", 1);
    ::setenv("DMARCSIGHT_DNS_TIMEOUT", "7", 1);
    ::setenv("DMARCSIGHT_ENRICH", "TRUE", 1);
    ::setenv("DMARCSIGHT_OFFLINE", "1", 1);
    ::setenv("DMARCSIGHT_LOCATION_DB", "/tmp/loc.db", 1);
    ::setenv("DMARCSIGHT_MMDB", "/tmp/a.mmdb", 1);
    ::setenv("DMARCSIGHT_SERVICES", "/tmp/services.txt", 1);
    settings s;
    auto r = apply_environment(s);
    ASSERT_TRUE(r.ok()) << r.err().message;
    EXPECT_EQ(s.database.value, "/tmp/env.db");
    EXPECT_EQ(s.database.from.describe(), "environment DMARCSIGHT_DB");
    EXPECT_EQ(*s.quarantine.value, "/tmp/q");
    EXPECT_EQ(*s.dns.with.value, "what-if.zone");  // relative to the working folder: unchanged
    EXPECT_EQ(s.dns.servers.value, (std::vector<std::string>{"192.0.2.1", "192.0.2.2:5353"}));
    EXPECT_EQ(*s.dns.timeout_s.value, 7);
    EXPECT_TRUE(s.enrich.on_ingest.value);
    EXPECT_TRUE(s.enrich.offline.value);
    EXPECT_EQ(s.enrich.location_db.value, "/tmp/loc.db");
    EXPECT_EQ(*s.enrich.mmdb.value, "/tmp/a.mmdb");
    EXPECT_EQ(*s.services.value, "/tmp/services.txt");

    // Bad values name the variable.
    auto bad = [&](const char* name, const char* value) {
        clear();
        ::setenv(name, value, 1);
        settings t;
        auto e = apply_environment(t);
        EXPECT_FALSE(e.ok()) << name;
        return e.ok() ? std::string() : e.err().message;
    };
    EXPECT_NE(bad("DMARCSIGHT_DNS_TIMEOUT", "5s").find("DMARCSIGHT_DNS_TIMEOUT must be a whole number"), std::string::npos);
    EXPECT_NE(bad("DMARCSIGHT_ENRICH", "maybe").find("DMARCSIGHT_ENRICH must be 0, 1, true or false"), std::string::npos);
    EXPECT_NE(bad("DMARCSIGHT_DNS_SERVERS", "192.0.2.1,dns.example").find("DMARCSIGHT_DNS_SERVERS entry 'dns.example'"),
              std::string::npos);
    EXPECT_NE(bad("DMARCSIGHT_DNS_SERVERS", " , ").find("names no server"), std::string::npos);
    clear();
    ::setenv("DMARCSIGHT_DNS_ZONE", "a", 1);
    ::setenv("DMARCSIGHT_DNS_WITH", "b", 1);
    settings t;
    EXPECT_FALSE(apply_environment(t).ok());
}

TEST_F(config_test, empty_variables_count_as_unset) {
    ::setenv("DMARCSIGHT_DB", "", 1);
    settings s;
    ASSERT_TRUE(apply_environment(s).ok());
    EXPECT_EQ(s.database.value, "dmarcsight.db");
    EXPECT_EQ(s.database.from.k, origin::kind::built_in);
}

TEST_F(config_test, precedence_file_then_environment_then_flag) {
    const std::string path = dir / "dmarcsight.toml";
    write(path, "database = \"/from/file.db\"\nquarantine = \"/from/file.q\"\n[dns]\nzone = \"/from/file.zone\"\ntimeout = 5\n");
    load_options o;
    o.config_flag = path;
    auto only_file = load(o);
    ASSERT_TRUE(only_file.ok()) << only_file.err().message;
    EXPECT_EQ(only_file->database.value, "/from/file.db");
    EXPECT_EQ(only_file->file.value, path);
    EXPECT_EQ(only_file->file.from.describe(), "flag --config");

    ::setenv("DMARCSIGHT_DB", "/from/env.db", 1);
    ::setenv("DMARCSIGHT_DNS_WITH", "/from/env.zone", 1);
    auto s = load(o);
    ASSERT_TRUE(s.ok()) << s.err().message;
    EXPECT_EQ(s->database.value, "/from/env.db");               // env beats file
    EXPECT_EQ(s->database.from.describe(), "environment DMARCSIGHT_DB");
    EXPECT_EQ(*s->quarantine.value, "/from/file.q");            // the file still fills the rest
    EXPECT_EQ(s->quarantine.from.k, origin::kind::file);
    EXPECT_EQ(*s->dns.with.value, "/from/env.zone");            // one DNS choice: env's with
    EXPECT_FALSE(s->dns.zone.value);                            // replaces the file's zone
    EXPECT_EQ(*s->dns.timeout_s.value, 5);

    settings t = *s;
    ASSERT_TRUE(set_from_text(t, "database", "/from/flag.db", origin::flag("--db")).ok());
    EXPECT_EQ(t.database.value, "/from/flag.db");               // flag beats env
    EXPECT_EQ(t.database.from.describe(), "flag --db");
    auto bad = set_from_text(t, "dns.timeout", "soon", origin::flag("--timeout"));
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.err().message.find("--timeout must be"), std::string::npos);
}

TEST_F(config_test, which_file) {
    const std::string flag_file = dir / "flag.toml", env_file = dir / "env.toml", default_file = dir / "default.toml";
    write(flag_file, "database = \"/flag.db\"\n");
    write(env_file, "database = \"/env.db\"\n");
    write(default_file, "database = \"/default.db\"\n");
    load_options o;
    o.default_path = default_file;
    EXPECT_EQ(load(o)->database.value, "/default.db");
    EXPECT_EQ(load(o)->file.from.k, origin::kind::built_in);
    ::setenv("DMARCSIGHT_CONFIG", env_file.c_str(), 1);
    EXPECT_EQ(load(o)->database.value, "/env.db");
    EXPECT_EQ(load(o)->file.from.describe(), "environment DMARCSIGHT_CONFIG");
    o.config_flag = flag_file;
    EXPECT_EQ(load(o)->database.value, "/flag.db");

    // A named file that does not exist is an error; the default one absent is not.
    o.config_flag = dir / "nope.toml";
    auto missing = load(o);
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.err().message.find("nope.toml (flag --config) does not exist"), std::string::npos);
    o.config_flag.reset();
    ::setenv("DMARCSIGHT_CONFIG", (dir / "nope.toml").c_str(), 1);
    EXPECT_FALSE(load(o).ok());
    ::unsetenv("DMARCSIGHT_CONFIG");
    o.default_path = dir / "absent.toml";
    auto none = load(o);
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->file.value);
    EXPECT_EQ(none->database.value, "dmarcsight.db");
    // A folder is not a configuration file.
    o.config_flag = dir.path();
    EXPECT_FALSE(load(o).ok());
}

TEST_F(config_test, a_failed_file_changes_nothing) {
    settings s;
    ASSERT_FALSE(apply_text(s, "database = \"/x.db\"\n[dns]\ntimeout = \"x\"\n", "f.toml").ok());
    EXPECT_EQ(s.database.value, "dmarcsight.db");
}

}  // namespace
}  // namespace dmarcsight::config
