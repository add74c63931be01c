-- 0002: one role per daemon with only the grants it needs. The roles cannot log in until an
-- operator gives them a password or a local (peer/trust) rule; pcs-local does that.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pcs_ingest') THEN CREATE ROLE pcs_ingest LOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pcs_scorer') THEN CREATE ROLE pcs_scorer LOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pcs_notifier') THEN CREATE ROLE pcs_notifier LOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pcs_reader') THEN CREATE ROLE pcs_reader LOGIN; END IF;
END
$$;

-- ingest writes facts; it reads only what a merge or a duplicate check needs.
GRANT SELECT, INSERT, UPDATE, DELETE ON partners, customers, associations, usage, usage_default,
      person_links, certifications, enrollments TO pcs_ingest;
GRANT SELECT, INSERT, UPDATE ON loaded_files TO pcs_ingest;
GRANT INSERT ON rejected_rows, outbox TO pcs_ingest;
GRANT SELECT, INSERT ON events TO pcs_ingest;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO pcs_ingest;

-- scorer reads facts and the outbox, marks outbox rows done.
GRANT SELECT ON partners, customers, associations, usage, usage_default, person_links, certifications,
      enrollments TO pcs_scorer;
GRANT SELECT, UPDATE ON outbox TO pcs_scorer;

-- people (pcs CLI) read everything.
GRANT SELECT ON ALL TABLES IN SCHEMA public TO pcs_reader;
