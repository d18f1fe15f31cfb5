#!/usr/bin/env bash
# The configuration end to end: which file, file < environment < flag, config show / check, and
# that a secret is never printed.
set -u
bin=$(readlink -f "${1:?usage: config.sh DMARCSIGHT_BINARY PROJECT_DIR}")
project=$(readlink -f "${2:?}")
samples="$project/examples/reports"
one="$samples/yahoo.com!example.com!1763337600!1763423999.xml"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0; failn=0
check() {  # check NAME CONDITION-COMMAND...
  local name=$1; shift
  if "$@"; then pass=$((pass+1)); else failn=$((failn+1)); echo "FAIL: $name"; fi
}
eq() { [ "$1" = "$2" ] || { echo "  expected '$2', got '$1'"; return 1; }; }
contains() { case "$1" in *"$2"*) return 0;; esac; echo "  '$2' not in: ${1:0:400}"; return 1; }
lacks() { case "$1" in *"$2"*) echo "  unexpected '$2' in: ${1:0:400}"; return 1;; esac; return 0; }
reports() { "$bin" "$@" stats --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["aggregate_reports"])'; }

# Hermetic: no variable from the caller's environment.
for v in $(env | sed -n 's/^\(DMARCSIGHT_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
cd "$work" || exit 1
secret_word="Zq9-correct-horse-battery"

# No configuration at all: exactly today's behaviour (./dmarcsight.db, <db>.quarantine).
"$bin" ingest -q "$one" >/dev/null 2>&1
check "no config: ./dmarcsight.db" test -f "$work/dmarcsight.db"
check "no config: stats reads ./dmarcsight.db" eq "$(reports)" 1
out=$("$bin" config show)
check "no config: show says default" contains "$out" "dmarcsight.db"
check "no config: config_file none" contains "$out" "(none)"

# A file names the database; relative paths are relative to the file's folder.
mkdir -p "$work/etc"
printf '%s\n' "$secret_word" > "$work/etc/pg.pass"; chmod 600 "$work/etc/pg.pass"
cat > "$work/etc/d.toml" <<EOF
database = "file.db"
quarantine = "file.quarantine"

[postgres]
password_file = "pg.pass"
EOF
chmod 600 "$work/etc/d.toml"
"$bin" --config "$work/etc/d.toml" ingest "$samples" >/dev/null 2>&1
check "file: ingest writes the file's database" test -f "$work/etc/file.db"
check "file: rejected input kept in the file's quarantine" test -d "$work/etc/file.quarantine"
check "file: stats uses the file's database" eq "$(reports --config "$work/etc/d.toml")" 37
check "--config after the subcommand" eq "$("$bin" stats --config "$work/etc/d.toml" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["aggregate_reports"])')" 37
check "DMARCSIGHT_CONFIG picks the file" eq "$(DMARCSIGHT_CONFIG="$work/etc/d.toml" reports)" 37

# The environment beats the file; a flag beats the environment.
"$bin" ingest -q --db "$work/env.db" "$one" >/dev/null 2>&1
check "env beats file" eq "$(DMARCSIGHT_DB="$work/env.db" reports --config "$work/etc/d.toml")" 1
out=$(DMARCSIGHT_DB="$work/env.db" "$bin" --config "$work/etc/d.toml" stats --db "$work/etc/file.db" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["aggregate_reports"])')
check "flag beats env" eq "$out" 37
out=$("$bin" --config "$work/etc/d.toml" stats --db "$work/etc/file.db" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["aggregate_reports"])')
check "flag beats file" eq "$out" 37
out=$(DMARCSIGHT_DB="$work/env.db" "$bin" --config "$work/etc/d.toml" config show)
check "show: database from the environment" contains "$out" "environment DMARCSIGHT_DB"
check "show: quarantine from the file with its line" contains "$out" "file $work/etc/d.toml:2:"

# Secrets: described, never printed, whatever the output format or source.
for fmt in text json; do
  out=$("$bin" --config "$work/etc/d.toml" config show --format "$fmt" 2>&1)
  check "show $fmt: secret redacted" lacks "$out" "$secret_word"
  check "show $fmt: says where the secret is" contains "$out" "(secret from file $work/etc/pg.pass)"
  out=$(DMARCSIGHT_POSTGRES_PASSWORD="$secret_word" "$bin" config show --format "$fmt" 2>&1)
  check "show $fmt: env secret redacted" lacks "$out" "$secret_word"
  check "show $fmt: env secret described" contains "$out" "(secret from environment DMARCSIGHT_POSTGRES_PASSWORD)"
done
printf '[postgres]\npassword = "%s"\n' "$secret_word" > "$work/literal.toml"; chmod 644 "$work/literal.toml"
out=$("$bin" --config "$work/literal.toml" config show 2>&1)
check "literal secret redacted" lacks "$out" "$secret_word"
check "literal secret in a readable file warns" contains "$out" "warning: $work/literal.toml:2:12: postgres.password is written in a configuration file that group or others can read"
out=$("$bin" --config "$work/literal.toml" stats --db "$work/env.db" 2>&1 >/dev/null)
check "warnings reach other commands too" contains "$out" "warning:"
# A broken file around a secret, or the secret file given as the configuration: no leak.
printf '[postgres]\npassword = "%s\n' "$secret_word" > "$work/broken-secret.toml"
out=$("$bin" config check "$work/broken-secret.toml" 2>&1)
check "broken literal secret: no leak" lacks "$out" "${secret_word:0:5}"
out=$("$bin" --config "$work/etc/pg.pass" stats 2>&1); rc=$?
check "secret file as --config: exit 2" eq "$rc" 2
check "secret file as --config: no leak" lacks "$out" "${secret_word:0:5}"
out=$(DMARCSIGHT_POSTGRES_PASSWORD="$secret_word" DMARCSIGHT_DNS_TIMEOUT=soon "$bin" stats 2>&1); rc=$?
check "bad variable: exit 2" eq "$rc" 2
check "bad variable is named" contains "$out" "DMARCSIGHT_DNS_TIMEOUT"
check "bad variable: secret not leaked" lacks "$out" "$secret_word"

# config check: 0 for a good file, 2 naming file:line:column for a broken one.
out=$("$bin" config check "$work/etc/d.toml"); rc=$?
check "check good file exits 0" eq "$rc" 0
check "check good file says ok" contains "$out" "d.toml: ok"
cat > "$work/typo.toml" <<EOF
database = "x.db"

[dns]
timout = 5
EOF
out=$("$bin" config check "$work/typo.toml" 2>&1); rc=$?
check "check typo exits 2" eq "$rc" 2
check "check typo names line and key" contains "$out" "$work/typo.toml:4:1: unknown key 'dns.timout'; did you mean 'dns.timeout'?"
out=$("$bin" --config "$work/typo.toml" config check 2>&1); rc=$?
check "check effective broken exits 2" eq "$rc" 2
check "check effective broken names line" contains "$out" "typo.toml:4:1"
out=$("$bin" --config "$work/typo.toml" stats 2>&1); rc=$?
check "a broken file stops other commands (2)" eq "$rc" 2
check "... and says why" contains "$out" "typo.toml:4:1"
printf '[dns]\ntimeout = "60"\n' > "$work/type.toml"
out=$("$bin" config check "$work/type.toml" 2>&1); rc=$?
check "wrong type exits 2" eq "$rc" 2
check "wrong type message" contains "$out" "type.toml:2:11: dns.timeout must be a number"
"$bin" --config "$work/none.toml" stats >/dev/null 2>&1; check "named missing file is 2" eq "$?" 2
DMARCSIGHT_CONFIG="$work/none.toml" "$bin" stats >/dev/null 2>&1; check "DMARCSIGHT_CONFIG missing file is 2" eq "$?" 2
"$bin" --config "$work/typo.toml" --help >/dev/null 2>&1; check "--help works with a broken file" eq "$?" 0
out=$("$bin" --help); check "--help lists --config" contains "$out" "--config"

# DNS settings: the file's zone answers `check`, a flag replaces it.
printf '[dns]\nzone = "%s"\n' "$project/tests/fixtures/posture/good.zone" > "$work/dns.toml"
out=$("$bin" --config "$work/dns.toml" check --selector sel2048 good.example); rc=$?
check "check uses the configured zone" eq "$rc" 0
check "check output from the zone" contains "$out" "good.example  (0 errors, 0 warnings)"
out=$("$bin" --config "$work/dns.toml" check --zone "$project/tests/fixtures/posture/dmarc.zone" good.example 2>&1)
check "--zone replaces the configured zone" lacks "$out" "good.example  (0 errors, 0 warnings)"
out=$(DMARCSIGHT_DNS_ZONE="$project/tests/fixtures/posture/good.zone" "$bin" check --selector sel2048 good.example); rc=$?
check "DMARCSIGHT_DNS_ZONE applies" eq "$rc" 0

echo "config.sh: $pass passed, $failn failed"
[ "$failn" -eq 0 ]
