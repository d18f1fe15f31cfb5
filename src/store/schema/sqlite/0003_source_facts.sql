-- dmarcsight schema v3 (SQLite): what analysis reads, maintained at ingest in the same transaction
-- as the report (src/store/facts.hpp says how a record becomes facts and how a report's day is
-- chosen), rebuilt from the records by `dmarcsight rebuild`. Plain SQL aggregates only, so the
-- PostgreSQL driver keeps the same tables.

-- The policy domains that have facts, each with its own range of source_facts ids.
CREATE TABLE fact_domains (
    id            INTEGER PRIMARY KEY,
    policy_domain TEXT NOT NULL UNIQUE
);

-- The facts: per policy domain, UTC day, source IP and header_from, the messages, and
-- every measure analysis reads (store::source_measures says what each one counts; all are
-- subsets of `messages`). A key may have several rows (one per ingest batch that added to it):
-- readers sum them. Rows are appended, never updated: id = (fact_domains.id << 40) | n, so each
-- domain's facts are one id range, read without an index, and ingest writes at the end of it
-- (an UPSERT into a table keyed by the dimensions cost ~6 µs a row here, 3x the ingest itself).
CREATE TABLE source_facts (
    id                         INTEGER PRIMARY KEY,
    policy_domain              TEXT NOT NULL,
    day                        TEXT NOT NULL,   -- YYYY-MM-DD (UTC)
    source_ip                  TEXT NOT NULL,
    header_from                TEXT NOT NULL,
    messages                   INTEGER NOT NULL DEFAULT 0,
    dmarc_pass_messages        INTEGER NOT NULL DEFAULT 0,  -- policy_evaluated dkim=pass or spf=pass
    spf_aligned_messages       INTEGER NOT NULL DEFAULT 0,  -- policy_evaluated spf=pass
    dkim_aligned_messages      INTEGER NOT NULL DEFAULT 0,  -- policy_evaluated dkim=pass
    none_messages              INTEGER NOT NULL DEFAULT 0,  -- disposition none (or RFC 9990 pass)
    quarantine_messages        INTEGER NOT NULL DEFAULT 0,
    reject_messages            INTEGER NOT NULL DEFAULT 0,
    -- The other measures analysis reads (envelope in the domain, auth_results SPF/DKIM pass and
    -- fail, foreign passes, override reasons), a foreign SPF / DKIM domain seen and the reporters
    -- (org_name) behind the row, encoded as
    -- store/facts.hpp encode_evidence says: internal, read them through dmarcsight.
    evidence                   BLOB NOT NULL
);

-- The public, stable view (README.md "SQL interface"): one row per policy domain, day, source IP
-- and header_from. Columns are only ever added.
CREATE VIEW v_source_day AS
SELECT policy_domain, day, source_ip, header_from,
       sum(messages) AS messages, sum(dmarc_pass_messages) AS dmarc_pass_messages,
       sum(spf_aligned_messages) AS spf_aligned_messages, sum(dkim_aligned_messages) AS dkim_aligned_messages,
       sum(none_messages) AS none_messages, sum(quarantine_messages) AS quarantine_messages,
       sum(reject_messages) AS reject_messages
  FROM source_facts
 GROUP BY policy_domain, day, source_ip, header_from;

-- What we know of each source IP (dmarcsight enrich): reverse DNS, forward confirmation, base
-- domain, network. A row is looked up again after expires_at; failures are never cached as "no PTR".
CREATE TABLE ip_info (
    ip           TEXT PRIMARY KEY,
    ptr          TEXT,               -- the PTR name (the forward-confirmed one when there are several)
    fcrdns       INTEGER NOT NULL DEFAULT 0,   -- 1: the PTR name resolves back to the IP
    base_domain  TEXT,               -- registrable domain of ptr (Public Suffix List)
    asn          INTEGER,
    as_name      TEXT,
    country      TEXT,               -- ISO 3166-1 alpha-2
    status       TEXT NOT NULL,      -- ok | no_ptr | error (see store::ip_info)
    checked_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) WITHOUT ROWID;

-- The user's own classification of sources (dmarcsight label): it wins over the rules and outlives
-- re-ingest and rebuild. Exactly one of source (IP or CIDR) and service is set.
CREATE TABLE labels (
    id            INTEGER PRIMARY KEY,
    policy_domain TEXT NOT NULL,
    source        TEXT NOT NULL DEFAULT '',
    service       TEXT NOT NULL DEFAULT '',
    class         TEXT NOT NULL,
    note          TEXT,
    created_at    INTEGER NOT NULL,
    UNIQUE (policy_domain, source, service)
);
