-- 0009: rescoring many partners after a bulk load runs like a refresh (issue 18.8). When the
-- outbox names more partners than one event batch holds, the scorer turns them into a run of kind
-- 'rescore' as of today, cut into slices that each name their partners: the slices are scored a
-- few partners per turn of the scorer's loop, shared between scorers and resumed after a crash,
-- exactly like the slices of a refresh (which name a range of partners instead).
ALTER TABLE refresh_runs DROP CONSTRAINT refresh_runs_kind_check;
ALTER TABLE refresh_runs ADD CONSTRAINT refresh_runs_kind_check CHECK (kind IN ('monthly', 'manual', 'rescore'));
ALTER TABLE refresh_slices ADD COLUMN partners text[];   -- NULL: the range lo .. hi
