-- DMARC failure reports (RFC 6591 ARF auth-failure, RFC 9991; best-effort non-ARF ones too).
-- One row per report: the key columns it is de-duplicated on, the columns analysis selects and
-- groups by, and the whole parse as JSON (store/failure_codec.cpp) for export.
CREATE TABLE failure_reports (
    id INTEGER PRIMARY KEY,
    reporter TEXT NOT NULL,
    sample_id TEXT NOT NULL,
    arrival INTEGER NOT NULL,          -- Arrival-Date, epoch seconds; 0 when absent
    source_ip TEXT NOT NULL,
    policy_domain TEXT NOT NULL,
    report_time INTEGER NOT NULL,      -- Arrival-Date, else the report's Date, else ingest time
    auth_failure TEXT NOT NULL,        -- comma-separated RFC 6591 words
    dkim_domain TEXT NOT NULL,
    dkim_selector TEXT NOT NULL,
    best_effort INTEGER NOT NULL,
    redacted INTEGER NOT NULL,
    detail TEXT NOT NULL,
    input_label TEXT NOT NULL,
    ingested_at INTEGER NOT NULL,
    UNIQUE (reporter, sample_id, arrival, source_ip)
);
CREATE INDEX failure_reports_by_domain ON failure_reports (policy_domain, report_time);
CREATE INDEX failure_reports_by_time ON failure_reports (report_time);
