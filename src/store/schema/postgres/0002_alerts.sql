-- dmarcsight schema 0002 (PostgreSQL): alerts (src/alerts/). What fired and when it settled, each
-- channel's delivery of it, the user's mute rules, and the last DNS findings of each domain (the
-- dns_change rule compares a new check with them).
CREATE TABLE alerts (
    id          text COLLATE "C" PRIMARY KEY,            -- analyze::alert_id: stable across runs and machines
    day         text COLLATE "C" NOT NULL,              -- YYYY-MM-DD (UTC)
    kind        text NOT NULL,
    domain      text COLLATE "C" NOT NULL,
    source      text NOT NULL DEFAULT '',
    reporter    text NOT NULL DEFAULT '',
    severity    text NOT NULL,
    detail      text NOT NULL,
    first_seen  bigint  NOT NULL,
    settled_at  bigint  NOT NULL DEFAULT 0,  -- 0: provisional (late reports may still change it)
    acked_at    bigint  NOT NULL DEFAULT 0,
    ack_note    text NOT NULL DEFAULT ''
);
CREATE INDEX alerts_by_day ON alerts (day);

CREATE TABLE alert_deliveries (
    alert_id     text COLLATE "C" NOT NULL,
    channel      text NOT NULL,
    attempts     bigint  NOT NULL DEFAULT 0,
    last_attempt bigint  NOT NULL DEFAULT 0,
    delivered_at bigint  NOT NULL DEFAULT 0,  -- 0: not delivered yet
    last_error   text NOT NULL DEFAULT '',
    PRIMARY KEY (alert_id, channel)
);

CREATE TABLE alert_mutes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain      text NOT NULL DEFAULT '',     -- '' matches every value
    source      text NOT NULL DEFAULT '',
    kind        text NOT NULL DEFAULT '',
    until_day   text NOT NULL DEFAULT '',     -- inclusive; '' for ever
    note        text NOT NULL DEFAULT '',
    created_at  bigint  NOT NULL
);

CREATE TABLE dns_findings (
    domain      text COLLATE "C" PRIMARY KEY,
    findings    text NOT NULL,                -- JSON written by src/alerts/
    checked_at  bigint  NOT NULL
);
