-- 0023: the triggers of usage_by_partner (sql/0018, 0021) join and hash in memory (issue 13).
--
-- A usage file's new tenants get their pairs by a hash join of the statement's new rows with
-- customers. With the default work_mem of 4 MB the hash of 200,000 customers took two batches, and the
-- half of the new rows (every tenant's packed usage) in the second batch went to a temporary file and
-- back first. With 64 MB the join is one batch: on a copy of the bench's database (200,000 new tenants,
-- each tied to a partner) the COPY of their packed rows with its trigger took 4.7-5.4 s instead of
-- 5.3-6.2 s, four alternations, the backend's CPU 4.2-4.9 s instead of 4.8-5.6 s. The triggers of
-- customers and associations join their new or old rows the same way. The setting holds inside the
-- functions only (their SET clause), as the join methods of 0021 do.
ALTER FUNCTION pcs_usage_pairs_of_usage() SET work_mem = '64MB';
ALTER FUNCTION pcs_usage_pairs_of_ties() SET work_mem = '64MB';
ALTER FUNCTION pcs_usage_pairs_rebuild() SET work_mem = '64MB';
