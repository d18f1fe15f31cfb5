-- The store's change counter (store::store::change_marker; what serve's kept answers are checked
-- against, web/answer_cache.hpp). Every statement that writes a table of the store notes it,
-- once per transaction and inside that transaction, so a reader sees the new count exactly when
-- it sees the change. The marker used before, the cluster's WAL position, moved with any write on
-- the cluster: another database's, or the dashboard's own logins in its state schema.
--
-- One row per server backend (its pid): a backend runs one transaction at a time, so writers
-- never wait on one another's row and cannot deadlock on it; the marker is the sum. Rows of
-- backends long gone stay (one per pid ever used: a few thousand at most).
CREATE TABLE store_changes (
    backend integer PRIMARY KEY,
    n bigint NOT NULL
);

-- The transaction's id is remembered in a transaction-local setting: the first write statement of
-- a transaction counts, the others cost a comparison. The table is named with its schema, which
-- the function is made in (no search_path is trusted when it runs).
DO $do$
BEGIN
    EXECUTE format($f$
        CREATE FUNCTION %1$I.dmarcsight_note_change() RETURNS trigger LANGUAGE plpgsql AS $body$
        BEGIN
            IF current_setting('dmarcsight.change_noted', true) IS DISTINCT FROM txid_current()::text THEN
                INSERT INTO %1$I.store_changes AS c (backend, n) VALUES (pg_backend_pid(), 1)
                    ON CONFLICT (backend) DO UPDATE SET n = c.n + 1;
                PERFORM set_config('dmarcsight.change_noted', txid_current()::text, true);
            END IF;
            RETURN NULL;
        END
        $body$
    $f$, current_schema());
END
$do$;

-- The store's tables that readers' answers come from note their writes: ours only, named (other
-- tables beside ours are the user's, and their writers need not be allowed store_changes), and
-- not work_claims (a claim changes no answer). A later migration that adds such a table calls
-- this with its name; a table that has the trigger already is left as it is.
DO $do$
BEGIN
    EXECUTE format($f$
        CREATE FUNCTION %1$I.dmarcsight_watch_changes(names text[]) RETURNS void LANGUAGE plpgsql AS $body$
        DECLARE t regclass;
        BEGIN
            FOR t IN SELECT c.oid::regclass FROM pg_class c
                      WHERE c.relnamespace = %2$L::regnamespace AND c.relkind IN ('r', 'p') AND c.relname = ANY (names)
                        AND NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND g.tgname = 'note_change')
            LOOP
                EXECUTE format('CREATE TRIGGER note_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %%s '
                               'FOR EACH STATEMENT EXECUTE FUNCTION %%I.dmarcsight_note_change()', t, %2$L);
            END LOOP;
        END
        $body$
    $f$, current_schema(), current_schema());
END
$do$;

SELECT dmarcsight_watch_changes(ARRAY['reports', 'record_blocks', 'inputs', 'fact_domains', 'fact_reporters', 'source_facts',
                                       'ip_info', 'labels', 'alerts', 'alert_deliveries', 'alert_mutes', 'dns_findings',
                                       'tls_reports', 'tls_policies', 'tls_failure_details', 'failure_reports']);
