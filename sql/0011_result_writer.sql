-- 0011: which transaction wrote each stored result and snapshot, so that a refresh slice never
-- overwrites a result computed from newer facts than its own. A slice reads its facts through one
-- long COPY; a certification event arriving meanwhile is rescored at once and stored; without this
-- the slice's later batch wrote its older result over the newer one (and the notifier resolved, then
-- fired again, the event's alerts). The scorer captures the slice's snapshot before its COPY and
-- writes a row only when the row's writer is visible in that snapshot (scorer/pcs_refresh.c).
ALTER TABLE score_results ADD COLUMN writer xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE score_snapshots ADD COLUMN writer xid8 NOT NULL DEFAULT pg_current_xact_id();

-- True when the row was written by a transaction that the facts snapshot of this transaction
-- (pcs.facts_snapshot, set by a refresh slice) does not see: it holds newer facts; leave it.
CREATE FUNCTION pcs_written_after_facts(writer xid8) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('pcs.facts_snapshot', true), '') <> ''
       AND NOT pg_visible_in_snapshot(writer, current_setting('pcs.facts_snapshot')::pg_snapshot)
$$;
