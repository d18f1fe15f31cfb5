-- dmarcsight schema v6 (SQLite): SMTP TLS reports (RFC 8460 §4.4). One row per report, keyed by
-- (organization-name, report-id) trimmed and case-folded (report::tls_report_key); its policies
-- and their failure details in report order. Values are stored as the report sent them (unknown
-- policy and result types as text).
CREATE TABLE tls_reports (
    id                   INTEGER PRIMARY KEY,
    key_org              TEXT NOT NULL,
    key_report_id        TEXT NOT NULL,
    organization_name    TEXT NOT NULL,
    report_id            TEXT NOT NULL,
    contact_info         TEXT NOT NULL DEFAULT '',
    start_datetime       TEXT NOT NULL,          -- date-range as sent (RFC 3339)
    end_datetime         TEXT NOT NULL,
    begin_time           INTEGER NOT NULL,       -- the same, epoch seconds (UTC)
    end_time             INTEGER NOT NULL,
    warnings             TEXT,                   -- JSON array of strings; NULL: none
    content_hash         INTEGER NOT NULL,       -- report::tls_content_hash
    raw_sha256           TEXT,                   -- the input's bytes, when kept in quarantine
    input_label          TEXT NOT NULL,
    ingested_at          INTEGER NOT NULL,
    UNIQUE (key_org, key_report_id)
);
CREATE INDEX tls_reports_begin ON tls_reports (begin_time);

CREATE TABLE tls_policies (
    id                   INTEGER PRIMARY KEY,
    report               INTEGER NOT NULL REFERENCES tls_reports (id),
    seq                  INTEGER NOT NULL,       -- position in the report's policies[]
    policy_type          TEXT NOT NULL,          -- sts | tlsa | no-policy-found | other text as sent
    policy_domain        TEXT NOT NULL,          -- normalised; '' when the report names none
    policy_string        TEXT NOT NULL,          -- JSON array of strings
    mx_host              TEXT NOT NULL,          -- JSON array of strings (erratum 6241)
    successful_sessions  INTEGER NOT NULL,
    failed_sessions      INTEGER NOT NULL
);
CREATE INDEX tls_policies_report ON tls_policies (report);

CREATE TABLE tls_failure_details (
    policy                 INTEGER NOT NULL REFERENCES tls_policies (id),
    seq                    INTEGER NOT NULL,
    result_type            TEXT NOT NULL,
    sending_mta_ip         TEXT NOT NULL DEFAULT '',
    receiving_mx_hostname  TEXT NOT NULL DEFAULT '',
    receiving_mx_helo      TEXT NOT NULL DEFAULT '',
    receiving_ip           TEXT NOT NULL DEFAULT '',
    failed_session_count   INTEGER NOT NULL,
    additional_information TEXT NOT NULL DEFAULT '',
    failure_reason_code    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (policy, seq)
) WITHOUT ROWID;
