-- dmarcsight schema v5 (SQLite): alerts (src/alerts/). What fired and when it settled, each
-- channel's delivery of it, the user's mute rules, and the last DNS findings of each domain (the
-- dns_change rule compares a new check with them).
CREATE TABLE alerts (
    id          TEXT PRIMARY KEY,            -- analyze::alert_id: stable across runs and machines
    day         TEXT NOT NULL,               -- YYYY-MM-DD (UTC)
    kind        TEXT NOT NULL,
    domain      TEXT NOT NULL,
    source      TEXT NOT NULL DEFAULT '',
    reporter    TEXT NOT NULL DEFAULT '',
    severity    TEXT NOT NULL,
    detail      TEXT NOT NULL,
    first_seen  INTEGER NOT NULL,
    settled_at  INTEGER NOT NULL DEFAULT 0,  -- 0: provisional (late reports may still change it)
    acked_at    INTEGER NOT NULL DEFAULT 0,
    ack_note    TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX alerts_by_day ON alerts (day);

CREATE TABLE alert_deliveries (
    alert_id     TEXT NOT NULL,
    channel      TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_attempt INTEGER NOT NULL DEFAULT 0,
    delivered_at INTEGER NOT NULL DEFAULT 0,  -- 0: not delivered yet
    last_error   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (alert_id, channel)
) WITHOUT ROWID;

CREATE TABLE alert_mutes (
    id          INTEGER PRIMARY KEY,
    domain      TEXT NOT NULL DEFAULT '',     -- '' matches every value
    source      TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL DEFAULT '',
    until_day   TEXT NOT NULL DEFAULT '',     -- inclusive; '' for ever
    note        TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);

CREATE TABLE dns_findings (
    domain      TEXT PRIMARY KEY,
    findings    TEXT NOT NULL,                -- JSON written by src/alerts/
    checked_at  INTEGER NOT NULL
) WITHOUT ROWID;
