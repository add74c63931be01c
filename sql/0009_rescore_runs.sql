-- 0009: rescoring many partners after a bulk load runs like a refresh (issue 18.8). When the
-- outbox names more partners than one event batch holds, the scorer turns them into a run of kind
-- 'rescore' as of today, cut into slices that each name their partners: the slices are scored a
-- few partners per turn of the scorer's loop, shared between scorers and resumed after a crash,
-- exactly like the slices of a refresh (which name a range of partners instead).
ALTER TABLE refresh_runs DROP CONSTRAINT refresh_runs_kind_check;
ALTER TABLE refresh_runs ADD CONSTRAINT refresh_runs_kind_check CHECK (kind IN ('monthly', 'manual', 'rescore'));
ALTER TABLE refresh_slices ADD COLUMN partners text[];   -- NULL: the range lo .. hi

-- A refresh writes every partner's result document (about 12 KB each, 120 MB for 10,000
-- partners). pglz compression of those documents cost PostgreSQL as much CPU as the rest of the
-- write; lz4 (PostgreSQL 14+, when built with it) takes half of it. Rows already stored keep theirs.
DO $$
BEGIN
    ALTER TABLE score_results ALTER COLUMN document SET COMPRESSION lz4;
    ALTER TABLE score_snapshots ALTER COLUMN detail SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 not available: result documents keep the default compression';
END
$$;
