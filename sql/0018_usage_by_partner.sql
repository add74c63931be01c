-- 0018: usage kept by partner as well (issue 13). The scorer reads a partner's usage through its
-- tenants: one row of usage_by_partner per (partner, tenant) that a customer row or an association
-- ties together, holding the tenant's packed usage (the text of usage_packed, sql/0012). A slice of
-- partners is then one range of this table's key instead of an index lookup in usage_packed per
-- tenant: on the dev database (10,000 partners, 200,000 tenants), the facts of a whole refresh took
-- 1.7-1.9 s to read instead of 2.6-2.7 s.
--
-- usage_packed stays the truth; this table is derived from it, customers and associations, and
-- kept by the triggers below in the transaction that changes them, for every writer alike:
--   * a pair is here exactly when (partner_id, tenant_id) is in customers or in associations and
--     the tenant has a row in usage_packed, and its data is that row's;
--   * the trigger functions run as their owner (SECURITY DEFINER), so no daemon role writes here;
--   * they take one transaction-level advisory lock first: of two transactions that add a pair's
--     halves at once (an association event beside a usage load), the one whose trigger runs second
--     waits for the first to commit and then sees its rows, so the pair is not lost.

CREATE TABLE usage_by_partner (
    partner_id text NOT NULL,
    tenant_id  text NOT NULL,
    data       text NOT NULL,
    PRIMARY KEY (partner_id, tenant_id)
) WITH (fillfactor = 50);
-- half of each page left free: a month's usage for every tenant rewrites every pair, and with room
-- on its page the new version is a HOT update that touches neither index (a month of 200,000
-- tenants on the dev database: 1.8 s more for the pairs instead of 4 s; the facts stream reads
-- the larger table as fast, one page per pair either way)
ALTER TABLE usage_by_partner ALTER COLUMN data SET COMPRESSION lz4;
-- a tenant's pairs, for a change of its usage
CREATE INDEX usage_by_partner_tenant ON usage_by_partner (tenant_id);
-- a new tenant's customer rows (associations_tenant exists since 0001)
CREATE INDEX customers_tenant ON customers (tenant_id);

INSERT INTO usage_by_partner (partner_id, tenant_id, data)
SELECT k.partner_id, k.tenant_id, u.data
  FROM (SELECT partner_id, tenant_id FROM customers UNION SELECT partner_id, tenant_id FROM associations) k
  JOIN usage_packed u ON u.tenant_id = k.tenant_id;

-- the one lock every change of a pair takes (an arbitrary number, apart from pcs's other advisory
-- locks, 727001-727004)
CREATE FUNCTION pcs_usage_pairs_lock() RETURNS void
LANGUAGE sql SET search_path = pg_catalog AS $$ SELECT pg_advisory_xact_lock(7080651218) $$;

-- customers and associations: pairs whose rows came are added, pairs whose last row went are removed
-- (an UPDATE that keeps a row's partner and tenant, as a restated customer's, changes no pair)
CREATE FUNCTION pcs_usage_pairs_of_ties() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    -- a statement that changed no row (an ON CONFLICT that found none) waits for nobody
    -- (each test in its own IF: a statement naming a transition table the trigger lacks fails)
    IF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT FROM new_rows) THEN RETURN NULL; END IF;
    ELSIF NOT EXISTS (SELECT FROM old_rows) THEN
        RETURN NULL;
    END IF;
    PERFORM pcs_usage_pairs_lock();
    IF TG_OP = 'INSERT' THEN
        INSERT INTO usage_by_partner (partner_id, tenant_id, data)
        SELECT k.partner_id, k.tenant_id, u.data
          FROM (SELECT DISTINCT partner_id, tenant_id FROM new_rows) k JOIN usage_packed u ON u.tenant_id = k.tenant_id
        ON CONFLICT (partner_id, tenant_id) DO NOTHING;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO usage_by_partner (partner_id, tenant_id, data)
        SELECT k.partner_id, k.tenant_id, u.data
          FROM (SELECT partner_id, tenant_id FROM new_rows EXCEPT SELECT partner_id, tenant_id FROM old_rows) k
          JOIN usage_packed u ON u.tenant_id = k.tenant_id
        ON CONFLICT (partner_id, tenant_id) DO NOTHING;
        DELETE FROM usage_by_partner b
         USING (SELECT partner_id, tenant_id FROM old_rows EXCEPT SELECT partner_id, tenant_id FROM new_rows) k
         WHERE b.partner_id = k.partner_id AND b.tenant_id = k.tenant_id
           AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.partner_id = k.partner_id AND c.tenant_id = k.tenant_id)
           AND NOT EXISTS (SELECT 1 FROM associations a WHERE a.partner_id = k.partner_id AND a.tenant_id = k.tenant_id);
    ELSE
        DELETE FROM usage_by_partner b
         USING (SELECT DISTINCT partner_id, tenant_id FROM old_rows) k
         WHERE b.partner_id = k.partner_id AND b.tenant_id = k.tenant_id
           AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.partner_id = k.partner_id AND c.tenant_id = k.tenant_id)
           AND NOT EXISTS (SELECT 1 FROM associations a WHERE a.partner_id = k.partner_id AND a.tenant_id = k.tenant_id);
    END IF;
    RETURN NULL;
END
$$;

-- usage_packed: a new tenant's pairs are added, a changed tenant's pairs take its new data
CREATE FUNCTION pcs_usage_pairs_of_usage() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT FROM old_rows) THEN RETURN NULL; END IF;
    ELSIF NOT EXISTS (SELECT FROM new_rows) THEN
        RETURN NULL;
    END IF;
    PERFORM pcs_usage_pairs_lock();
    IF TG_OP = 'INSERT' THEN
        -- a new tenant's pairs: two plain joins, the second leaving out what a customer row ties
        -- (an anti-join, not 200,000 conflict checks) and skipping a partner's other associations of
        -- the tenant. One statement with a UNION sorted 100 MB of data on disk: 200,000 new tenants
        -- tied to their partners took 5.6 s here instead of 2.6 s.
        INSERT INTO usage_by_partner (partner_id, tenant_id, data)
        SELECT c.partner_id, n.tenant_id, n.data FROM new_rows n JOIN customers c ON c.tenant_id = n.tenant_id
        ON CONFLICT (partner_id, tenant_id) DO NOTHING;
        INSERT INTO usage_by_partner (partner_id, tenant_id, data)
        SELECT a.partner_id, n.tenant_id, n.data FROM new_rows n JOIN associations a ON a.tenant_id = n.tenant_id
         WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.partner_id = a.partner_id AND c.tenant_id = a.tenant_id)
        ON CONFLICT (partner_id, tenant_id) DO NOTHING;
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE usage_by_partner b SET data = n.data FROM new_rows n
         WHERE b.tenant_id = n.tenant_id AND b.data IS DISTINCT FROM n.data;
    ELSE   -- DELETE (no daemon deletes usage; an administrator may)
        DELETE FROM usage_by_partner b USING old_rows o
         WHERE b.tenant_id = o.tenant_id AND NOT EXISTS (SELECT 1 FROM usage_packed u WHERE u.tenant_id = o.tenant_id);
    END IF;
    RETURN NULL;
END
$$;

-- TRUNCATE of any of the three: the pairs are built again from what is left
CREATE FUNCTION pcs_usage_pairs_rebuild() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM pcs_usage_pairs_lock();
    DELETE FROM usage_by_partner;
    INSERT INTO usage_by_partner (partner_id, tenant_id, data)
    SELECT k.partner_id, k.tenant_id, u.data
      FROM (SELECT partner_id, tenant_id FROM customers UNION SELECT partner_id, tenant_id FROM associations) k
      JOIN usage_packed u ON u.tenant_id = k.tenant_id;
    RETURN NULL;
END
$$;

-- one trigger per table and event: a trigger with transition tables takes one event
CREATE TRIGGER customers_pairs_insert AFTER INSERT ON customers REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pcs_usage_pairs_of_ties();
CREATE TRIGGER customers_pairs_update AFTER UPDATE ON customers REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pcs_usage_pairs_of_ties();
CREATE TRIGGER customers_pairs_delete AFTER DELETE ON customers REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pcs_usage_pairs_of_ties();
CREATE TRIGGER associations_pairs_insert AFTER INSERT ON associations REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pcs_usage_pairs_of_ties();
CREATE TRIGGER associations_pairs_update AFTER UPDATE ON associations REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pcs_usage_pairs_of_ties();
CREATE TRIGGER associations_pairs_delete AFTER DELETE ON associations REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pcs_usage_pairs_of_ties();
CREATE TRIGGER usage_packed_pairs_insert AFTER INSERT ON usage_packed REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pcs_usage_pairs_of_usage();
CREATE TRIGGER usage_packed_pairs_update AFTER UPDATE ON usage_packed REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pcs_usage_pairs_of_usage();
CREATE TRIGGER usage_packed_pairs_delete AFTER DELETE ON usage_packed REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pcs_usage_pairs_of_usage();
CREATE TRIGGER customers_pairs_truncate AFTER TRUNCATE ON customers
    FOR EACH STATEMENT EXECUTE FUNCTION pcs_usage_pairs_rebuild();
CREATE TRIGGER associations_pairs_truncate AFTER TRUNCATE ON associations
    FOR EACH STATEMENT EXECUTE FUNCTION pcs_usage_pairs_rebuild();
CREATE TRIGGER usage_packed_pairs_truncate AFTER TRUNCATE ON usage_packed
    FOR EACH STATEMENT EXECUTE FUNCTION pcs_usage_pairs_rebuild();

REVOKE ALL ON FUNCTION pcs_usage_pairs_lock(), pcs_usage_pairs_of_ties(), pcs_usage_pairs_of_usage(),
    pcs_usage_pairs_rebuild() FROM PUBLIC;
GRANT SELECT ON usage_by_partner TO pcs_scorer, pcs_api, pcs_reader;
