-- DMARC failure reports (RFC 6591 ARF auth-failure, RFC 9991; best-effort non-ARF ones too).
-- One row per report: the key columns it is de-duplicated on, the columns analysis selects and
-- groups by, and the whole parse as JSON (store/failure_codec.cpp) for export.
CREATE TABLE failure_reports (
    id bigserial PRIMARY KEY,
    reporter text NOT NULL,
    sample_id text NOT NULL,
    arrival bigint NOT NULL,
    source_ip text NOT NULL,
    policy_domain text NOT NULL,
    report_time bigint NOT NULL,
    auth_failure text NOT NULL,
    dkim_domain text NOT NULL,
    dkim_selector text NOT NULL,
    best_effort boolean NOT NULL,
    redacted boolean NOT NULL,
    detail text NOT NULL,
    input_label text NOT NULL,
    ingested_at bigint NOT NULL,
    UNIQUE (reporter, sample_id, arrival, source_ip)
);
CREATE INDEX failure_reports_by_domain ON failure_reports (policy_domain, report_time);
CREATE INDEX failure_reports_by_time ON failure_reports (report_time);
