-- 0013: pcs_usage_unpack (0012) is planned as what it is, about one row per month of a tenant.
-- Inlined, its two string_to_table() calls were estimated at 1,000 x 1,000 rows per tenant, and a
-- partner's read of the usage view (pcs trends, pcs show, the API's pages) crossed the JIT
-- threshold: 140-250 ms of compiling for 500 rows that take 1 ms. A fixed search_path keeps the
-- function from being inlined, so its ROWS estimate holds (and nothing it calls can be shadowed).
CREATE OR REPLACE FUNCTION pcs_usage_unpack(data text, OUT workload text, OUT month date, OUT acr_cents bigint,
                                            OUT revenue_cents bigint, OUT paid_units bigint, OUT active_units bigint)
RETURNS SETOF record
LANGUAGE sql IMMUTABLE PARALLEL SAFE ROWS 30 SET search_path = pg_catalog AS $$
    SELECT split_part(b, E'\x1d', 1),
           make_date(split_part(e, ',', 1)::int / 12, split_part(e, ',', 1)::int % 12 + 1, 1),
           split_part(e, ',', 2)::bigint, split_part(e, ',', 3)::bigint,
           split_part(e, ',', 4)::bigint, split_part(e, ',', 5)::bigint
      FROM string_to_table(data, E'\x1e') AS b, string_to_table(split_part(b, E'\x1d', 2), E'\x1f') AS e
$$;
