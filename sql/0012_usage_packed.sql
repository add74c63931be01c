-- 0012: usage kept per tenant (issue 13). A tenant's usage, every workload and month, is one row of
-- usage_packed: the scorer reads a partner's usage as one row per tenant instead of one per tenant,
-- workload and month (5 M rows cost PostgreSQL 2.6 s to send in any COPY format, 25 times a scan),
-- and pcs-ingest writes one row per tenant a file touches. `usage` stays, as a view with the old
-- columns and key, for everything that reads rows (store/, people's own SQL).
--
-- The packed text (written by ingest/pcs_usage.c, read by scorer/pcs_refresh.c and by
-- pcs_usage_unpack below):
--   data     := block (RS block)*            one block per workload, workloads in byte order
--   block    := workload GS entry (US entry)*
--   entry    := month ',' acr_cents ',' revenue_cents ',' paid_units ',' active_units
-- RS, GS, US are the ASCII separators 0x1e, 0x1d, 0x1f (a workload id is a-z 0-9 _ / *, so none
-- occurs in one); month is year * 12 + month - 1 (pcs_date.h), entries in ascending month, one per
-- month; numbers are base-10 integers. The key (tenant_id, workload, month) is unique as before.

CREATE TABLE usage_packed (
    tenant_id text PRIMARY KEY,
    data      text NOT NULL CHECK (data <> '')
);
-- a tenant's usage grows past TOAST's 2 kB with ~80 months; lz4 decompresses fast (0009 does the same)
ALTER TABLE usage_packed ALTER COLUMN data SET COMPRESSION lz4;

-- rows -> packed text: the arrays hold one tenant's rows (rows with one key add up)
CREATE FUNCTION pcs_usage_pack(workloads text[], months date[], acr bigint[], revenue bigint[], paid bigint[],
                               active bigint[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT string_agg(w || E'\x1d' || e, E'\x1e' ORDER BY w COLLATE "C")
      FROM (SELECT w, string_agg(concat_ws(',', (extract(year FROM m) * 12 + extract(month FROM m) - 1)::int, a, r, p, x),
                                 E'\x1f' ORDER BY m) AS e
              FROM (SELECT w, m, sum(a)::bigint AS a, sum(r)::bigint AS r, sum(p)::bigint AS p, sum(x)::bigint AS x
                      FROM unnest(workloads, months, acr, revenue, paid, active) AS t(w, m, a, r, p, x)
                     GROUP BY w, m) k
             GROUP BY w) b
$$;

-- packed text -> rows
CREATE FUNCTION pcs_usage_unpack(data text, OUT workload text, OUT month date, OUT acr_cents bigint,
                                 OUT revenue_cents bigint, OUT paid_units bigint, OUT active_units bigint)
RETURNS SETOF record
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT split_part(b, E'\x1d', 1),
           make_date(split_part(e, ',', 1)::int / 12, split_part(e, ',', 1)::int % 12 + 1, 1),
           split_part(e, ',', 2)::bigint, split_part(e, ',', 3)::bigint,
           split_part(e, ',', 4)::bigint, split_part(e, ',', 5)::bigint
      FROM string_to_table(data, E'\x1e') AS b, string_to_table(split_part(b, E'\x1d', 2), E'\x1f') AS e
$$;

INSERT INTO usage_packed (tenant_id, data)
SELECT tenant_id, pcs_usage_pack(array_agg(workload), array_agg(month), array_agg(acr_cents), array_agg(revenue_cents),
                                 array_agg(paid_units), array_agg(active_units))
  FROM usage GROUP BY tenant_id;
DROP TABLE usage;   -- with usage_default

CREATE VIEW usage AS
SELECT p.tenant_id, u.workload, u.month, u.acr_cents, u.revenue_cents, u.paid_units, u.active_units
  FROM usage_packed p CROSS JOIN LATERAL pcs_usage_unpack(p.data) u;

-- ingest adds and restates tenants' usage, never deletes it (0010)
GRANT SELECT, INSERT, UPDATE ON usage_packed TO pcs_ingest;
GRANT SELECT ON usage_packed, usage TO pcs_scorer, pcs_api, pcs_reader;
GRANT SELECT ON usage TO pcs_ingest;
