-- dmarcsight schema v4 (SQLite): the facts are appended at the end of the table, in ingest order.
-- In v3 each policy domain had its own id range, so with many domains most rows went into the
-- middle of the B-tree: a seek and a page split per row, half-full pages, and about 40% of the
-- facts' ingest cost. Now a row's id only grows, and fact_ranges says which ids hold each domain's
-- rows (one row per run of a domain's rows, a run extended while the domain's rows stay
-- consecutive). The policy domain is kept once, in fact_domains, and each reporter once, in
-- fact_reporters (a row's evidence held their names: a third of its bytes). The facts are derived again from
-- the stored records when a store is upgraded (src/store/sqlite/open.cpp).

DROP VIEW v_source_day;
DROP TABLE source_facts;

-- The facts: per policy domain, UTC day, source IP and header_from, the messages, and every
-- measure analysis reads (store::source_measures says what each one counts; all are subsets of
-- `messages`). A key may have several rows (one per ingest batch that added to it): readers sum
-- them. Rows are appended, never updated.
CREATE TABLE source_facts (
    id                         INTEGER PRIMARY KEY,         -- grows with every write
    domain_id                  INTEGER NOT NULL,            -- fact_domains.id
    day                        TEXT NOT NULL,               -- YYYY-MM-DD (UTC)
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
    -- (fact_reporters ids) behind the row, encoded as store/facts.hpp encode_evidence says:
    -- internal, read them through dmarcsight.
    evidence                   BLOB NOT NULL
);

-- The reporters (org_name) behind fact rows, each once: a row's evidence names them by id.
CREATE TABLE fact_reporters (
    id    INTEGER PRIMARY KEY,
    name  TEXT NOT NULL UNIQUE
);

-- Where each domain's facts are: source_facts ids first_id..last_id (inclusive) are all of
-- domain_id. A domain is read by joining its ranges to source_facts on the id, without an index.
CREATE TABLE fact_ranges (
    domain_id  INTEGER NOT NULL,
    first_id   INTEGER NOT NULL,
    last_id    INTEGER NOT NULL,
    PRIMARY KEY (domain_id, first_id)
) WITHOUT ROWID;

-- The public, stable view (README.md "SQL interface"): one row per policy domain, day, source IP
-- and header_from. Columns are only ever added.
CREATE VIEW v_source_day AS
SELECT d.policy_domain AS policy_domain, f.day AS day, f.source_ip AS source_ip, f.header_from AS header_from,
       sum(f.messages) AS messages, sum(f.dmarc_pass_messages) AS dmarc_pass_messages,
       sum(f.spf_aligned_messages) AS spf_aligned_messages, sum(f.dkim_aligned_messages) AS dkim_aligned_messages,
       sum(f.none_messages) AS none_messages, sum(f.quarantine_messages) AS quarantine_messages,
       sum(f.reject_messages) AS reject_messages
  FROM source_facts f JOIN fact_domains d ON d.id = f.domain_id
 GROUP BY d.policy_domain, f.day, f.source_ip, f.header_from;
