-- dmarcsight schema v2 (SQLite).
-- Our own application id (the SQLite file-format header field meant for this, "dmsg"), so that a
-- file that belongs to another program is recognised and never written into.
PRAGMA application_id = 1684894567;

-- The content hash of a report (report::content_hash over its parsed header and records), stored
-- at ingest: a re-sent copy under the same key is compared without decoding the stored report.
-- NULL for reports stored by schema v1; computed (and kept) the first time a copy needs it.
ALTER TABLE reports ADD COLUMN content_hash INTEGER;

-- Inputs keep their history: one row per (bytes, label) with when it was first and last seen and
-- how often; `current` is 1 on the latest outcome of its label, 0 once the label's later bytes
-- ended otherwise (a fixed report stored, a newer rejection). `stats` and `rejected` show the
-- current rows; `rejected --all` the history.
ALTER TABLE inputs ADD COLUMN current INTEGER NOT NULL DEFAULT 1;
ALTER TABLE inputs ADD COLUMN first_seen INTEGER;
ALTER TABLE inputs ADD COLUMN times_seen INTEGER NOT NULL DEFAULT 1;
UPDATE inputs SET first_seen = seen_at;
UPDATE inputs SET current = 0
 WHERE EXISTS (SELECT 1 FROM reports r WHERE r.input_label = inputs.label AND r.ingested_at >= inputs.seen_at);
CREATE INDEX inputs_label_current ON inputs (label) WHERE current = 1;
CREATE INDEX inputs_sha256 ON inputs (sha256);
