-- 0010: least privilege (issue 18.12). Each daemon role keeps exactly what its code does; what
-- 0002 and 0004 granted beyond that is taken back. (Later migrations grant their own tables.)

-- pcs_ingest deletes only what it deletes: certification records (cert.revoked), implicit person
-- links, derived associations and attribution months (Partner Center exports, 0006). It never
-- deletes or rewrites a partner, a customer row, a usage row or an enrollment: a feed restates
-- them through INSERT ... ON CONFLICT DO UPDATE (UPDATE stays where that needs it).
REVOKE DELETE ON partners, customers, usage, usage_default, enrollments FROM pcs_ingest;
REVOKE UPDATE ON partners FROM pcs_ingest;
-- It stores events (deduplicated by ON CONFLICT DO NOTHING) and never reads them back.
REVOKE SELECT ON events FROM pcs_ingest;

-- pcs_notifier reads certifications only through the scoring_certs view (link periods applied),
-- and reads no person's raw records, link history or partner rows: the personal data it does not
-- need stays out of its reach.
REVOKE SELECT ON certifications, person_links, partners FROM pcs_notifier;

-- Nobody but the roles above gets anything by default.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
