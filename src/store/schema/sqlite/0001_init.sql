-- dmarcsight schema v1 (SQLite). One row per report; its records in binary blocks (below). Few indexes: the report key and the record→report link.
CREATE TABLE reports (
    id                   INTEGER PRIMARY KEY,
    key_org              TEXT NOT NULL,      -- org_name, trimmed and case-folded
    key_report_id        TEXT NOT NULL,      -- report_id, trimmed and case-folded
    policy_domain        TEXT NOT NULL,      -- normalised (lower-case, no trailing dot)
    begin_time           INTEGER NOT NULL,   -- epoch seconds UTC
    end_time             INTEGER NOT NULL,
    org_name             TEXT NOT NULL,
    org_email            TEXT,
    org_extra_contact    TEXT,
    report_id            TEXT NOT NULL,
    generator            TEXT,
    errors               TEXT,               -- JSON array of strings
    xml_schema           TEXT,
    xml_namespace        TEXT,
    adkim TEXT, aspf TEXT, p TEXT, sp TEXT, np TEXT, pct INTEGER, fo TEXT, testing TEXT,
    discovery_method     TEXT,
    record_count         INTEGER NOT NULL DEFAULT 0,
    message_count        INTEGER NOT NULL DEFAULT 0,  -- saturating sum of record counts
    dropped_records      INTEGER NOT NULL DEFAULT 0,
    warnings             TEXT,               -- JSON array of strings
    input_label          TEXT,               -- where it came from (file, mbox#n, zip member)
    raw_sha256           TEXT,               -- of the input bytes, when they are kept in quarantine/
    ingested_at          INTEGER NOT NULL,
    UNIQUE (key_org, key_report_id, policy_domain, begin_time, end_time)
);
CREATE INDEX reports_domain_begin ON reports (policy_domain, begin_time);

-- Records, in blocks: a report's records in the compact binary encoding of
-- src/store/record_codec.hpp, one row per ~256 KiB instead of one row per record (per-row work
-- was most of ingest's cost). id = (report id << 32) | block number, so a report's blocks are one
-- rowid range and need no index. Queries decode blocks in the store (store/sqlite/).
CREATE TABLE record_blocks (
    id      INTEGER PRIMARY KEY,
    format  INTEGER NOT NULL,   -- record_codec version
    records INTEGER NOT NULL,   -- records in this block
    data    BLOB NOT NULL
);

-- Inputs that did not become a new report (duplicate, skipped, rejected), and how they ended; a
-- stored report's origin is reports.input_label. One row per distinct input (by SHA-256 of its
-- bytes and its label), so re-running an ingest updates rather than duplicates.
CREATE TABLE inputs (
    id              INTEGER PRIMARY KEY,
    label           TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    size            INTEGER NOT NULL,
    outcome         TEXT NOT NULL CHECK (outcome IN ('stored', 'duplicate', 'skipped', 'rejected')),
    kind            TEXT,      -- aggregate, failure, tlsrpt, unknown
    reason          TEXT,      -- why rejected / skipped / what was odd
    quarantine_path TEXT,      -- relative to the quarantine folder, when the bytes were kept
    report          INTEGER REFERENCES reports (id) ON DELETE SET NULL,
    seen_at         INTEGER NOT NULL,
    UNIQUE (sha256, label)
);
