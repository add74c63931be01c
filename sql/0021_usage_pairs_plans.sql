-- 0021: the usage triggers of usage_by_partner (sql/0018) planned for the loads they serve (issue 13).
--
-- A month of usage rewrites the packed row of every tenant it names, and the UPDATE trigger gives each
-- of their pairs the new data. PostgreSQL planned that join from the table's statistics, which right
-- after a large load (a first file, then the next month) still describe the table before it: it sorted
-- the whole transition table (every changed row with its data) for a merge join and spilled it to
-- disk. On a copy of the bench database (200,000 tenants, each tied to a partner, loaded just before)
-- the statement took 2.8-3.8 s, 1.5-2.4 s of it writing 240 MB of temporary files. Each changed tenant
-- now looks up its pairs through usage_by_partner_tenant (a nested loop): 1.31 s in the trigger for
-- the same rows (0.96 s for the same UPDATE from a table), whatever the statistics say, and a few
-- index probes for a file of a few tenants. The join methods
-- are turned off for that statement only, inside the function (its SET clause scopes them). JIT is off
-- in the function: the same stale statistics made a plain UPDATE look costly enough to compile, with
-- inlining and optimization, 70-120 ms of compiling for statements that evaluate no expression worth it.
--
-- A tenant new to usage_packed has no pair yet: a pair exists only while its tenant has a row there,
-- and no other transaction can add that row before this one ends (the key of usage_packed makes it
-- wait). Its pairs through customers (one per partner, the key of customers) are therefore inserted
-- without ON CONFLICT, which checked each of them against the key first: 200,000 pairs in 1.6 s
-- instead of 2.0 s. A pair there anyway (a table restored by hand) fails the load with a duplicate key
-- and loses nothing, where DO NOTHING would have kept the old data silently. The pairs through
-- associations keep DO NOTHING: a partner may hold several associations of one tenant.

CREATE OR REPLACE FUNCTION pcs_usage_pairs_of_usage() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
SET enable_hashjoin = on SET enable_mergejoin = on SET jit = off AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT FROM old_rows) THEN RETURN NULL; END IF;
    ELSIF NOT EXISTS (SELECT FROM new_rows) THEN
        RETURN NULL;
    END IF;
    PERFORM pcs_usage_pairs_lock();
    IF TG_OP = 'INSERT' THEN
        INSERT INTO usage_by_partner (partner_id, tenant_id, data)
        SELECT c.partner_id, n.tenant_id, n.data FROM new_rows n JOIN customers c ON c.tenant_id = n.tenant_id;
        INSERT INTO usage_by_partner (partner_id, tenant_id, data)
        SELECT a.partner_id, n.tenant_id, n.data FROM new_rows n JOIN associations a ON a.tenant_id = n.tenant_id
         WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.partner_id = a.partner_id AND c.tenant_id = a.tenant_id)
        ON CONFLICT (partner_id, tenant_id) DO NOTHING;
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true);
        UPDATE usage_by_partner b SET data = n.data FROM new_rows n
         WHERE b.tenant_id = n.tenant_id AND b.data IS DISTINCT FROM n.data;
    ELSE   -- DELETE (no daemon deletes usage; an administrator may)
        DELETE FROM usage_by_partner b USING old_rows o
         WHERE b.tenant_id = o.tenant_id AND NOT EXISTS (SELECT 1 FROM usage_packed u WHERE u.tenant_id = o.tenant_id);
    END IF;
    RETURN NULL;
END
$$;
