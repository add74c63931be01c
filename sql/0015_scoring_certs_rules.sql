-- 0015: the rules of scoring_certs (0014) as functions, so that the view and the scorer's facts
-- stream (scorer/pcs_refresh.c) apply one definition. The stream cannot read the view: a slice's
-- range of partners reaches the certification records but not, through the left join, the
-- person's link periods, so each record looked its periods up in person_links one by one (2 M
-- lookups, 6 of 8 s of the server's time streaming 100,000 partners). Restricting both tables to
-- the slice lets them meet in one ordered pass (a merge join). Plain SQL functions without
-- settings: the planner inlines them, so the view plans as before. The view returns the same rows.

-- The day a record starts to count: not before the person was linked.
CREATE FUNCTION pcs_cert_earned(earned date, linked date) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT greatest(earned, linked) $$;

-- The last day it counts: its expiry, clipped to the day before the person was unlinked.
CREATE FUNCTION pcs_cert_expires(expires date, unlinked date) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN unlinked IS NULL THEN expires
                WHEN expires IS NULL OR expires >= unlinked THEN unlinked - 1
                ELSE expires END $$;

-- Whether a record counts in a link period (link_person NULL: the person was never linked, and
-- the record counts as it is): the period has days left after the record starts, and the record
-- had not expired when the period began.
CREATE FUNCTION pcs_cert_counts(link_person text, earned date, expires date, linked date, unlinked date)
    RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT link_person IS NULL
        OR ((unlinked IS NULL OR unlinked > greatest(earned, linked)) AND (expires IS NULL OR expires >= linked)) $$;

CREATE OR REPLACE VIEW scoring_certs AS
SELECT c.partner_id, c.person_id, c.certification,
       pcs_cert_earned(c.earned, l.linked) AS earned,
       pcs_cert_expires(c.expires, l.unlinked) AS expires
  FROM certifications c
  LEFT JOIN person_links l ON l.partner_id = c.partner_id AND l.person_id = c.person_id
 WHERE pcs_cert_counts(l.person_id, c.earned, c.expires, l.linked, l.unlinked);
