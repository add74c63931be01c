-- 0006: Partner Center exports (interfaces.md §3.1).
--
-- attribution_months: the months in which a loaded export row credits a partner for a tenant and a
-- workload, by association type (PartnerAttributionType / AssociationType mapped through
-- rules/pc_attribution.tsv). Key (partner, tenant, workload, month): a later download that
-- restates a month replaces that month's attributions, as it replaces the month's usage.
CREATE TABLE attribution_months (
    partner_id       text NOT NULL REFERENCES partners,
    tenant_id        text NOT NULL,
    workload         text NOT NULL,
    month            date NOT NULL CHECK (extract(day FROM month) = 1),
    association_type text NOT NULL CHECK (association_type IN ('PAL', 'DPOR', 'CPOR', 'CPOR_OSA', 'CPOR_OSU',
                                          'CPOR_REVREC', 'CPOR_REVREC_PERF', 'CSP_T1', 'CSP_T2')),
    PRIMARY KEY (partner_id, tenant_id, workload, month, association_type)
);

-- The associations derived from attribution_months (each run of consecutive months is one
-- association; a run reaching the partner's latest attributed month stays open). pcs-ingest
-- recomputes a partner's derived rows in the transaction of every export it loads for that
-- partner, so the scorer, `pcs export` and every insight read them like any association.
-- An association loaded from a canonical feed has derived = false and is never touched by this.
ALTER TABLE associations ADD COLUMN derived boolean NOT NULL DEFAULT false;

-- A person linked implicitly (no person.linked event) counts from the earliest `earned` of all of
-- their certification events and TrainingCompletions rows, whatever the order they arrive in
-- (interfaces.md §3); such a link row has implicit_link = true and moves to an earlier date when
-- an earlier certification arrives. An explicit person.linked replaces it.
ALTER TABLE person_links ADD COLUMN implicit_link boolean NOT NULL DEFAULT false;
UPDATE person_links l SET implicit_link = true
 WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.type = 'person.linked'
                     AND e.body -> 'body' ->> 'partner_id' = l.partner_id
                     AND e.body -> 'body' ->> 'person_id' = l.person_id);

GRANT SELECT, INSERT, DELETE ON attribution_months TO pcs_ingest;
GRANT SELECT ON attribution_months TO pcs_reader;
