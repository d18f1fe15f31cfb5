-- dmarcsight schema v1 (SQLite). One row per report, one row per record; the auth results of a
-- record live in the record row as compact JSON arrays (cheap to write: storage, not parsing, is
-- the bottleneck of ingest; arrays rather than objects halve the bytes). Few indexes: the report key and the record→report link.
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
    content_hash         INTEGER NOT NULL DEFAULT 0,  -- over parsed values; tells re-sends from conflicts
    warnings             TEXT,               -- JSON array of strings
    input_label          TEXT,               -- where it came from (file, mbox#n, zip member)
    raw_sha256           TEXT,               -- of the input bytes, when they are kept in quarantine/
    ingested_at          INTEGER NOT NULL,
    UNIQUE (key_org, key_report_id, policy_domain, begin_time, end_time)
);
CREATE INDEX reports_domain_begin ON reports (policy_domain, begin_time);

-- A record's id is (report id << 32) | its position in the report: records cluster by report,
-- a report's records are one rowid range, and no secondary index is needed (one B-tree insert
-- per record instead of two).
CREATE TABLE records (
    id              INTEGER PRIMARY KEY,
    source_ip       TEXT NOT NULL,
    count           INTEGER NOT NULL,
    disposition     TEXT,
    dkim            TEXT,     -- policy_evaluated/dkim
    spf             TEXT,     -- policy_evaluated/spf
    reasons         TEXT,     -- JSON [[type, comment], ...] or NULL
    header_from     TEXT,
    envelope_from   TEXT,
    envelope_to     TEXT,
    dkim_results    TEXT,     -- JSON [[domain, selector, result(, human_result)], ...] or NULL
    spf_results     TEXT      -- JSON [[domain, scope, result(, human_result)], ...] or NULL
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
