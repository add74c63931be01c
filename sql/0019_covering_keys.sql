-- 0019: the primary keys of the facts the scorer streams carry the other columns it reads (issue 13).
-- A refresh slice reads customers, associations, certification records, person links and
-- enrollments of a range of partners through their keys (scorer/pcs_refresh.c); with the columns it
-- reads in the key's index (INCLUDE, not part of the key: uniqueness and ON CONFLICT are as before)
-- the read is an index-only scan over consecutive leaf pages, with no visit to a table page per row
-- once autovacuum has marked the pages all-visible. On the dev database (10,000 partners, rows
-- stored in tenant order, so a partner's rows were on as many table pages as it has rows) one slice
-- of 625 partners took 43-46 ms to execute instead of 71-75 ms, and the 16 slices of a refresh,
-- sent through psql, 0.95-1.15 s instead of 1.54-1.78 s. The price: a restated customer (a new
-- name or segment) or a changed end date is no longer a HOT update.
CREATE UNIQUE INDEX customers_key ON customers (partner_id, tenant_id) INCLUDE (customer_id, segment);
ALTER TABLE customers DROP CONSTRAINT customers_pkey, ADD CONSTRAINT customers_pkey PRIMARY KEY USING INDEX customers_key;

CREATE UNIQUE INDEX associations_key ON associations (partner_id, tenant_id, association_type, workload, start_date)
    INCLUDE (end_date);
ALTER TABLE associations DROP CONSTRAINT associations_pkey,
    ADD CONSTRAINT associations_pkey PRIMARY KEY USING INDEX associations_key;

CREATE UNIQUE INDEX certifications_key ON certifications (partner_id, person_id, certification, earned) INCLUDE (expires);
ALTER TABLE certifications DROP CONSTRAINT certifications_pkey,
    ADD CONSTRAINT certifications_pkey PRIMARY KEY USING INDEX certifications_key;

CREATE UNIQUE INDEX person_links_key ON person_links (partner_id, person_id, linked) INCLUDE (unlinked);
ALTER TABLE person_links DROP CONSTRAINT person_links_pkey,
    ADD CONSTRAINT person_links_pkey PRIMARY KEY USING INDEX person_links_key;

CREATE UNIQUE INDEX enrollments_key ON enrollments (partner_id, area, enrolled_date) INCLUDE (anniversary_date);
ALTER TABLE enrollments DROP CONSTRAINT enrollments_pkey,
    ADD CONSTRAINT enrollments_pkey PRIMARY KEY USING INDEX enrollments_key;
