-- dmarcsight schema v3 (SQLite): what analysis reads, maintained at ingest in the same transaction
-- as the report (src/store/facts.hpp says how a record becomes facts and how a report's day is
-- chosen), rebuilt from the records by `dmarcsight rebuild`. Plain SQL aggregates only, so the
-- PostgreSQL driver keeps the same tables.

-- One row per policy domain, UTC day, source IP and header_from. Every *_messages column counts
-- messages (a subset of `messages`); see store::source_measures for each one's meaning.
CREATE TABLE source_day (
    policy_domain              TEXT NOT NULL,
    source_ip                  TEXT NOT NULL,
    day                        TEXT NOT NULL,   -- YYYY-MM-DD (UTC)
    header_from                TEXT NOT NULL,
    messages                   INTEGER NOT NULL DEFAULT 0,
    dmarc_pass_messages        INTEGER NOT NULL DEFAULT 0,  -- policy_evaluated dkim=pass or spf=pass
    spf_aligned_messages       INTEGER NOT NULL DEFAULT 0,  -- policy_evaluated spf=pass
    dkim_aligned_messages      INTEGER NOT NULL DEFAULT 0,  -- policy_evaluated dkim=pass
    envelope_aligned_messages  INTEGER NOT NULL DEFAULT 0,  -- envelope domain in the policy domain
    spf_pass_messages          INTEGER NOT NULL DEFAULT 0,  -- auth_results SPF pass (any domain)
    spf_pass_foreign_messages  INTEGER NOT NULL DEFAULT 0,  -- ... for a domain outside the policy domain
    spf_fail_messages          INTEGER NOT NULL DEFAULT 0,  -- auth_results SPF fail or softfail
    dkim_aligned_pass_messages INTEGER NOT NULL DEFAULT 0,  -- a passing signature of the policy domain
    dkim_aligned_fail_messages INTEGER NOT NULL DEFAULT 0,  -- signatures of the policy domain, none passing
    dkim_foreign_pass_messages INTEGER NOT NULL DEFAULT 0,  -- a passing signature of another domain
    dkim_none_messages         INTEGER NOT NULL DEFAULT 0,  -- no DKIM result at all
    forwarded_messages         INTEGER NOT NULL DEFAULT 0,  -- policy override reason forwarded
    trusted_forwarder_messages INTEGER NOT NULL DEFAULT 0,
    mailing_list_messages      INTEGER NOT NULL DEFAULT 0,
    local_policy_messages      INTEGER NOT NULL DEFAULT 0,
    arc_pass_messages          INTEGER NOT NULL DEFAULT 0,  -- a reason whose comment says arc=pass
    sampled_out_messages       INTEGER NOT NULL DEFAULT 0,
    other_reason_messages      INTEGER NOT NULL DEFAULT 0,
    none_messages              INTEGER NOT NULL DEFAULT 0,  -- disposition none (or RFC 9990 pass)
    quarantine_messages        INTEGER NOT NULL DEFAULT 0,
    reject_messages            INTEGER NOT NULL DEFAULT 0,
    foreign_spf_domain         TEXT,   -- an SPF/envelope domain outside the policy domain (first seen)
    foreign_dkim_domain        TEXT,   -- a DKIM d= outside the policy domain (first passing one seen)
    PRIMARY KEY (policy_domain, source_ip, day, header_from)
) WITHOUT ROWID;

-- Which reporters (org_name) saw each source, and when.
CREATE TABLE source_reporter (
    policy_domain TEXT NOT NULL,
    source_ip     TEXT NOT NULL,
    reporter      TEXT NOT NULL,
    first_day     TEXT NOT NULL,
    last_day      TEXT NOT NULL,
    messages      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (policy_domain, source_ip, reporter)
) WITHOUT ROWID;

-- The public, stable view (README.md "SQL interface"): columns are only ever added.
CREATE VIEW v_source_day AS
SELECT policy_domain, day, source_ip, header_from, messages, dmarc_pass_messages, spf_aligned_messages,
       dkim_aligned_messages, none_messages, quarantine_messages, reject_messages
  FROM source_day;

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
