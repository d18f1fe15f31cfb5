# shellcheck shell=bash
# Sourced by the PostgreSQL tests (pg_workers.sh, pg_cli.sh, serve.sh, …).
# DMARCSIGHT_TEST_PG is the URI of a server where the caller may create databases and roles (the
# ctest fixture `postgres` sets it: scripts/start-postgres.sh, tests/integration/CMakeLists.txt).
# Every test makes databases of its own, named after the test and its pid, so tests running at
# once (ctest -j2) never share one; they are dropped on exit. The server is throw-away, so a test
# killed before its cleanup leaves nothing the next run trips over (the fixture starts anew).

# pg_need_server: exit 77 (skipped, SKIP_RETURN_CODE in CMakeLists.txt) with a visible reason when
# there is no server to use or no psql to talk to it.
pg_need_server() {
  if [ -z "${DMARCSIGHT_TEST_PG:-}" ]; then
    echo "SKIPPED: DMARCSIGHT_TEST_PG is not set (ctest sets it when PostgreSQL is installed: apt-get install -y postgresql)"
    exit 77
  fi
  if ! command -v psql >/dev/null; then
    echo "SKIPPED: psql is not installed (apt-get install -y postgresql-client)"
    exit 77
  fi
  if ! psql "$DMARCSIGHT_TEST_PG" -XAtqc 'select 1' >/dev/null 2>&1; then
    echo "FAIL: cannot connect to DMARCSIGHT_TEST_PG=$DMARCSIGHT_TEST_PG"
    exit 1
  fi
}

# pg_uri DB [USER]: DMARCSIGHT_TEST_PG with its database (and user) replaced; query kept.
pg_uri() {
  python3 - "$DMARCSIGHT_TEST_PG" "$1" "${2:-}" <<'PY'
import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1])
netloc = p.netloc
if sys.argv[3]:
    netloc = u.quote(sys.argv[3], safe='') + '@' + netloc.rpartition('@')[2]
print(u.urlunsplit((p.scheme, netloc, '/' + u.quote(sys.argv[2], safe=''), p.query, '')))
PY
}

# pg_sql SQL...: runs statements on the server's maintenance database as the fixture's superuser.
pg_sql() { psql "$DMARCSIGHT_TEST_PG" -XAtq -v ON_ERROR_STOP=1 "$@"; }

# pg_unique_name HINT: a database or role name no concurrent test picks (pid + time + random).
pg_unique_name() { echo "t_${1}_$$_$(date +%s%N | tail -c 7)_$RANDOM"; }

# pg_create_db NAME: a new, empty database owned by the fixture's superuser.
pg_create_db() { pg_sql -c "CREATE DATABASE \"$1\"" >/dev/null; }

# pg_drop_db NAME: drops it even while a (killed, hung) client still holds a session (FORCE, 13+).
pg_drop_db() { pg_sql -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" >/dev/null 2>&1 || true; }

# pg_create_reader DB ROLE: a role that may log in, connect to DB and read every table of the
# schemas the driver made there (public, or its own; not the catalogs), nothing else. A role is
# the cluster's: drop it (DROP ROLE) after the database its grants are in.
pg_create_reader() {
  pg_sql -c "CREATE ROLE \"$2\" LOGIN" -c "GRANT CONNECT ON DATABASE \"$1\" TO \"$2\"" >/dev/null || return 1
  psql "$(pg_uri "$1")" -XAtq -v ON_ERROR_STOP=1 -v role="$2" >/dev/null <<'SQL'
SELECT format('GRANT USAGE ON SCHEMA %I TO %I', nspname, :'role') ||
       format('; GRANT SELECT ON ALL TABLES IN SCHEMA %I TO %I', nspname, :'role')
FROM pg_namespace
WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema'
\gexec
SQL
}
