-- 0025: a load's UPDATE of stored tenants is never planned from statistics that say "empty" (issue 13).
--
-- A month file updates every tenant it names: UPDATE usage_packed FROM usage_upd (pcs_usageload.c), and
-- its trigger UPDATE usage_by_partner FROM new_rows (0021), both with hash and merge joins off so that
-- each changed tenant finds its row through the key. Which side of that nested loop drives is still
-- the planner's choice, from pg_class: reltuples / relpages rows a page, times the pages the table has
-- now. An ANALYZE (autovacuum's, say, for the load before) that runs while a large load is still
-- uncommitted counts none of its rows and records reltuples 0 over the pages they fill. The next month
-- is then planned as a table of one row scanned once, with the whole new month (a temporary table, or
-- the trigger's transition table) scanned again for each of its rows: on the dev cluster, a month of
-- 200,000 tenants right after the first load ran for more than 10 minutes instead of 10 s (its
-- backend reading the table in DataFileRead throughout), and EXPLAIN of the same UPDATE in that state
-- shows the plan. enable_seqscan = off does not prevent it (the disabled scan is costed once, not
-- once per loop).
--
-- pcs_usage_stats_check(changed), called by pcs-ingest before it updates `changed` stored tenants,
-- analyzes usage_packed and usage_by_partner when the planner would count fewer rows than that (and
-- fewer than 10,000, below which no plan of these statements is slow): a table the statistics
-- describe fairly is left alone, so a month costs one look at pg_class. It runs as the tables' owner
-- (SECURITY DEFINER; ANALYZE needs ownership), in the load's transaction, whose own rows ANALYZE counts.
-- Returns the tables it analyzed, for the daemon's log.
CREATE FUNCTION pcs_usage_stats_check(changed bigint) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    r record;
    analyzed text := '';
BEGIN
    FOR r IN SELECT c.relname, c.reltuples, c.relpages, pg_relation_size(c.oid) / current_setting('block_size')::bigint AS pages
               FROM pg_class c
              WHERE c.oid IN ('public.usage_packed'::regclass, 'public.usage_by_partner'::regclass)
              ORDER BY c.relname DESC LOOP
        -- never analyzed (reltuples -1) or no pages recorded: the planner counts from the row width
        CONTINUE WHEN r.reltuples < 0 OR r.relpages = 0 OR r.pages = 0;
        CONTINUE WHEN r.reltuples / r.relpages * r.pages >= least(changed, 10000);
        IF r.relname = 'usage_packed' THEN
            ANALYZE usage_packed;
        ELSE
            ANALYZE usage_by_partner;
        END IF;
        analyzed := analyzed || CASE WHEN analyzed = '' THEN '' ELSE ', ' END || r.relname;
    END LOOP;
    RETURN analyzed;
END
$$;
REVOKE ALL ON FUNCTION pcs_usage_stats_check(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pcs_usage_stats_check(bigint) TO pcs_ingest;
