// The configuration: built-in defaults, then one TOML file, then DMARCSIGHT_* environment
// variables, then command-line flags (the CLI applies those: its options' defaults are these
// settings). Each value remembers where it came from so `dmarcsight config show` can say it.
//
// Which file: --config FILE, else $DMARCSIGHT_CONFIG, else /etc/dmarcsight/dmarcsight.toml when it
// exists, else none. A file that was named but is missing is an error; the default one absent is not.
// Relative paths in a file are relative to that file's folder (a file in /etc/dmarcsight must not
// mean something else in every working directory); in variables and flags, to the working folder.
//
// Strictness: an unknown key or table is an error naming file:line:column (a typo must not be
// silently ignored), so is a value of the wrong type. Secrets (see `secret`) never appear in an
// error message, in `describe()`, or in a log line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "core/cidr.hpp"
#include "core/result.hpp"

namespace dmarcsight::config {

inline constexpr const char* default_config_path = "/etc/dmarcsight/dmarcsight.toml";
// A configuration is a few KiB; a bigger file is a mistake (or not a configuration at all).
inline constexpr std::size_t max_config_size = 1024 * 1024;
// Passwords and tokens are short; a secret file this big is the wrong file.
inline constexpr std::size_t max_secret_size = 64 * 1024;

// Where a value came from.
struct origin {
    enum class kind : std::uint8_t { built_in, file, environment, flag };
    kind k = kind::built_in;
    // file: "path:line:column"; environment: the variable's name; flag: "--db"; built_in: empty.
    std::string where;

    static origin file(const std::string& path, std::uint32_t line, std::uint32_t column);
    static origin environment(std::string name) { return {kind::environment, std::move(name)}; }
    static origin flag(std::string name) { return {kind::flag, std::move(name)}; }
    // "default", "file /etc/dmarcsight/dmarcsight.toml:3:1", "environment DMARCSIGHT_DB", "flag --db".
    std::string describe() const;
    std::string_view kind_name() const;  // "default", "file", "environment", "flag"
};

template <class T>
struct setting {
    T value{};
    origin from;
};

// A password or token. Its text is reachable only through reveal(), so every use is easy to find
// in review; there is no operator<< and describe() never includes it.
// In a file a secret named X is given as exactly one of:
//   X_file = "/path"  the file's contents, trailing newlines trimmed (the file should be readable by
//                     its owner only; group/world-readable and not owned by root: a warning);
//   X_env = "NAME"    the value of that environment variable;
//   X = "text"        literally (a warning when the configuration file is group/world-readable).
class secret {
public:
    enum class source : std::uint8_t { none, literal, file, environment };

    secret() = default;
    static secret literal(std::string value, origin from);
    static secret from_file(std::string value, std::string path, origin from);
    static secret from_environment(std::string value, std::string name, origin from);

    bool present() const { return src_ != source::none; }
    source kind() const { return src_; }
    // The secret file's path or the variable's name (not secret themselves).
    const std::string& where() const { return where_; }
    // Where the setting naming it was written (the file line, or the DMARCSIGHT_ variable).
    const origin& from() const { return from_; }
    const std::string& reveal() const { return value_; }
    // "(secret from file /path)", "(secret from environment NAME)", "(secret written in the
    // configuration file)", "(not set)".
    std::string describe() const;
    // The secret as it is now: a file's is read again (an OAuth2 helper rewrites the token file
    // before the token expires, and a long `--watch` must pick up the new one); a literal's and a
    // variable's cannot change in this process and are returned as they are.
    result<secret> reread() const;

private:
    std::string value_;
    source src_ = source::none;
    std::string where_;
    origin from_;
};

// How a labelled source is to be treated (the classifier's classes).
enum class label_class : std::uint8_t {
    authorized,
    authorized_failing,
    forwarded,
    mailing_list,
    third_party_unaligned,
    spoofing,
    unknown,
};
std::string_view to_string(label_class c);
std::optional<label_class> parse_label_class(std::string_view s);

// One [[label]]: "mail for `domain` from `source` (or from service `service`) is `cls`".
// Exactly one of source / service is set.
struct label {
    std::string domain;  // normalised (lower case, no trailing dot)
    std::optional<cidr> source;
    std::string service;
    label_class cls = label_class::unknown;
    std::string note;
    origin from;  // the [[label]] table's position
};

struct dns_settings {
    // At most one of zone / with: zone answers only from the file; with lays it over live DNS.
    setting<std::optional<std::string>> zone;
    setting<std::optional<std::string>> with;
    setting<std::vector<std::string>> servers;  // "ip", "ip:port", "[v6]:port"; empty: /etc/resolv.conf
    setting<std::optional<int>> timeout_s;      // 1..3600; none: each command's own default
};

struct enrich_settings {
    setting<bool> on_ingest{false, {}};
    setting<bool> offline{false, {}};
    setting<std::string> location_db{"/var/lib/location/database.db", {}};
    setting<std::optional<std::string>> mmdb;
    setting<std::optional<int>> ttl_days;  // 1..3650
};

struct postgres_settings {
    secret password;
};

// One [channels.NAME] table: where alerts and digests are delivered (src/notify/).
struct channel_settings {
    std::string name;                   // NAME of [channels.NAME]: letters, digits, '-', '_'
    std::string type;                   // "webhook" | "smtp"
    std::string url;                    // webhook: http(s)://…; smtp: smtp://host[:port] or smtps://host[:port]
    std::string style = "json";         // webhook: json | slack | teams
    std::optional<config::secret> secret;  // webhook HMAC-SHA256 key (secret / secret_file / secret_env)
    std::string starttls = "required";  // smtp: required | opportunistic | off (smtp:// only)
    std::string username;               // smtp AUTH user ("" = no AUTH)
    std::optional<config::secret> password;  // smtp (password / password_file / password_env)
    std::string from;                   // smtp: the envelope and header From address
    std::vector<std::string> to;        // smtp: the recipients
    std::string ca_file;                // PEM CA bundle to verify the server with; "" = the system's
    int timeout_s = 30;                 // the whole delivery, 1..3600
    origin where;                       // the [channels.NAME] table's position
};

// One [mailboxes.NAME] table: a mailbox `ingest --mailbox NAME` (or --imap NAME) reads reports
// from (src/ingest/mailbox.hpp), and what it does with each message once its outcome is committed.
struct mailbox_settings {
    std::string name;     // NAME of [mailboxes.NAME]: letters, digits, '-', '_'
    std::string url;      // imap://user@host[:port]/FOLDER or imaps://… (exactly one of url / maildir)
    std::string maildir;  // a Maildir folder (its new/ cur/ tmp/)
    std::string username;                    // "" = the URL's user
    std::optional<config::secret> password;  // password / password_file / password_env
    std::optional<config::secret> token;     // OAuth2 bearer: token / token_file / token_env
    std::string ca_file;                     // PEM CA bundle; "" = the system's
    // Per verdict: a folder name to move the message to, "delete", "seen" (flag it, leave it in
    // place; Maildir: new/ → cur/ with ":2,S") or "leave".
    std::string aggregate = "Aggregate", failure = "Failure", tlsrpt = "TLS", invalid = "Invalid";
    int batch = 100;                  // messages per run (IMAP; 1..100000)
    int poll_seconds = 60;            // --watch: between polls where IDLE is not offered (5..86400)
    std::int64_t max_message_bytes = 64LL * 1024 * 1024;  // bigger: rejected unread, filed as invalid
    origin where;                     // the [mailboxes.NAME] table's position
};
// An archive action as written: "delete", "seen", "leave", or a folder name (letters, digits,
// space, '.', '_', '-', '/'; 1..200 bytes; not starting with '.' or '/', no "..").
bool valid_mailbox_action(std::string_view action);

// [alerts]: the event rules' thresholds (../shared/scenario/README.md, "Event rules").
struct alert_settings {
    setting<int> settle_hours{48, {}};
    setting<int> window_days{7, {}};
    setting<int> min_history_days{3, {}};
    setting<std::int64_t> new_source_min_messages{100, {}};
    setting<std::int64_t> failure_spike_min_messages{100, {}};
    setting<int> failure_spike_min_days{3, {}};
    setting<double> failure_spike_rise{0.20, {}};
    setting<std::int64_t> pass_rate_drop_min_messages{500, {}};
    setting<double> pass_rate_drop{0.10, {}};
    setting<double> unauthorized_spike_factor{2.0, {}};
    setting<std::int64_t> unauthorized_spike_min_excess{500, {}};
    setting<int> no_reports_hours{48, {}};
    setting<std::vector<std::string>> channels;  // names --send delivers to; empty: every channel
};

// [digest]
struct digest_settings {
    setting<std::vector<std::string>> channels;  // names the digest is sent to; empty: every channel
};

// [retention]
struct retention_settings {
    setting<std::optional<std::string>> older_than;  // an age "400d", "12w"; none: keep everything
};

// [ingest]: how reports are stored.
struct ingest_settings {
    // Failure reports' samples stored with local parts hashed and bodies dropped (ingest --redact).
    setting<bool> redact_failure_samples{false, {}};
    // The key of that hash (any text; the same key gives the same hashes). Empty: a fixed key, so
    // hashes are stable but can be recomputed by anyone who guesses an address.
    setting<std::string> redact_key{"", {}};
};

struct settings {
    // The configuration file that was read; none when only defaults and variables apply.
    setting<std::optional<std::string>> file;
    setting<std::string> database{"dmarcsight.db", {}};
    setting<std::optional<std::string>> quarantine;  // none: "<database>.quarantine"
    dns_settings dns;
    enrich_settings enrich;
    setting<std::optional<std::string>> services;  // the user's own service catalogue
    std::vector<label> labels;
    postgres_settings postgres;
    std::vector<channel_settings> channels;  // sorted by name (TOML tables have no order)
    std::vector<mailbox_settings> mailboxes;  // sorted by name
    alert_settings alerts;
    digest_settings digest;
    retention_settings retention;
    ingest_settings ingest;
    // Not errors, but worth saying (loose permissions on secrets); the CLI prints them on stderr.
    std::vector<std::string> warnings;
};

struct load_options {
    std::optional<std::string> config_flag;  // --config FILE
    std::string default_path = default_config_path;
    bool use_environment = true;  // DMARCSIGHT_CONFIG and the other variables
};

// The whole chain: pick the file, read it over the defaults, then the environment.
result<settings> load(const load_options& options = {});

// Reads one file over `s` (a missing file is an error here). Errors are "path:line:column: why".
result<void> apply_file(settings& s, const std::string& path, const origin& chosen_by = {});
// The same for text already in memory (`path` names it in messages and resolves relative paths).
// `file_mode` / `file_owner`: the file's permission bits and owner, for the literal-secret warning.
result<void> apply_text(settings& s, std::string_view text, const std::string& path, mode_t file_mode = 0600,
                        uid_t file_owner = 0);
// The DMARCSIGHT_* variables over `s` (not DMARCSIGHT_CONFIG: load() uses that to pick the file).
result<void> apply_environment(settings& s);

// One setting by its dotted name, from text as a variable or flag gives it: "database",
// "dns.servers" (comma-separated), "dns.timeout", "enrich.on_ingest" (0/1/true/false), ...
// `from.where` names the variable or flag in error messages. Not for secrets.
result<void> set_from_text(settings& s, std::string_view key, std::string_view text, const origin& from);

// Every DMARCSIGHT_* variable read, with the setting it sets (for help texts and the README).
struct environment_variable {
    std::string_view name;
    std::string_view key;
};
const std::vector<environment_variable>& environment_variables();

// The settings as `config show` prints them: one line each, secrets described, never revealed.
struct shown_setting {
    std::string key;
    std::string value;  // display text ("(none)" when unset)
    origin from;
};
std::vector<shown_setting> describe(const settings& s);

}  // namespace dmarcsight::config
