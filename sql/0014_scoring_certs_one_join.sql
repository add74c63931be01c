-- 0014: scoring_certs (0003) reads each certification record once. The view was a join with the
-- person's link periods plus, for records of people never linked, an anti-join: two lookups in
-- person_links per record, and the certifications read twice. For the scorer's facts stream that
-- branch cost more than a third of the server's time (1.1 of 2.9 s of CPU over the 16 slices of a
-- 10,000-partner refresh). One left join gives the same rows: a record with link periods yields one
-- row per period that passes the clipping rules (as the join did), a record without any yields
-- itself unchanged (as the anti-join did: greatest() ignores the NULL link date, and a NULL unlink
-- date keeps the record's expiry).
CREATE OR REPLACE VIEW scoring_certs AS
SELECT c.partner_id, c.person_id, c.certification,
       greatest(c.earned, l.linked) AS earned,
       CASE WHEN l.unlinked IS NULL THEN c.expires
            WHEN c.expires IS NULL OR c.expires >= l.unlinked THEN l.unlinked - 1
            ELSE c.expires END AS expires
  FROM certifications c
  LEFT JOIN person_links l ON l.partner_id = c.partner_id AND l.person_id = c.person_id
 WHERE l.person_id IS NULL
    OR ((l.unlinked IS NULL OR l.unlinked > greatest(c.earned, l.linked))
        AND (c.expires IS NULL OR c.expires >= l.linked));
