-- 0003: what pcs-scorer keeps: score snapshots (kept for ever), the result documents people read,
-- the refresh runs and their slices (how several scorers share a refresh), and the view of the
-- certification records that count for a partner.

-- Every stored score takes the next number of this sequence when it is written or changes, so a
-- reader (the notifier) can follow new and changed scores with a cursor.
CREATE SEQUENCE score_seq;

-- One snapshot per (partner, area, track, as-of, rule set): the engine's result for that track.
CREATE TABLE score_snapshots (
    snapshot_id  bigserial PRIMARY KEY,
    seq          bigint NOT NULL DEFAULT nextval('score_seq'),
    partner_id   text NOT NULL,
    area         text NOT NULL,
    track        text NOT NULL CHECK (track IN ('enterprise', 'smb')),
    as_of        date NOT NULL,
    rule_set     text NOT NULL,
    total        double precision NOT NULL,   -- unrounded, as the engine computed it
    qualified    boolean NOT NULL,
    selected     boolean NOT NULL,            -- the track the area reports
    status       text NOT NULL CHECK (status IN ('not_started', 'in_progress', 'qualified', 'enrolled', 'renewal_due')),
    detail       json NOT NULL,               -- the track object: metrics, units, points, qualification
    digest       text NOT NULL,               -- 128-bit digest of what is stored: equal content is not rewritten
    computed_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (partner_id, area, track, as_of, rule_set)
);
CREATE INDEX score_snapshots_seq ON score_snapshots (seq);
CREATE INDEX score_snapshots_partner ON score_snapshots (partner_id, rule_set, as_of);

-- The result document (interfaces.md §2) of each (partner, as-of, rule set): `pcs show --json`.
-- json, not jsonb: the text is kept byte for byte as the engine printed it.
CREATE TABLE score_results (
    partner_id   text NOT NULL,
    rule_set     text NOT NULL,
    as_of        date NOT NULL,
    seq          bigint NOT NULL DEFAULT nextval('score_seq'),
    document     json NOT NULL,
    digest       text NOT NULL,
    trigger      text NOT NULL,               -- refresh:RUN, event, rescore
    computed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partner_id, rule_set, as_of)
);

-- A refresh scores every partner as of one date. It is cut into slices of consecutive partners
-- (in the order of the partners key); a scorer takes a slice with a session advisory lock, so a slice is
-- never worked on twice at once and is taken over when its scorer dies. done_through is the last
-- partner whose snapshots are committed: a restart resumes after it.
CREATE TABLE refresh_runs (
    run_id        bigserial PRIMARY KEY,
    as_of         date NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('monthly', 'manual')),
    requested_at  timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    partners      bigint
);
CREATE UNIQUE INDEX refresh_runs_monthly ON refresh_runs (as_of) WHERE kind = 'monthly';

CREATE TABLE refresh_slices (
    run_id        bigint NOT NULL REFERENCES refresh_runs,
    slice         int NOT NULL,
    lo            text,                       -- first partner (NULL: from the start)
    hi            text,                       -- first partner of the next slice (NULL: to the end)
    done_through  text,
    partners_done bigint NOT NULL DEFAULT 0,
    worker        text,
    started_at    timestamptz,
    done_at       timestamptz,
    PRIMARY KEY (run_id, slice)
);
CREATE INDEX refresh_slices_open ON refresh_slices (run_id, slice) WHERE done_at IS NULL;

-- The certification records that count for a partner: a record counts while its person is linked
-- (person.linked / person.unlinked, interfaces.md §3), so each link period clips the record to
-- [greatest(earned, linked), least(expires, unlinked - 1)]. A person with no link record at all
-- (certifications loaded from a Partner Center export) counts with the record as it is.
CREATE VIEW scoring_certs AS
SELECT c.partner_id, c.person_id, c.certification,
       greatest(c.earned, l.linked) AS earned,
       CASE WHEN l.unlinked IS NULL THEN c.expires
            WHEN c.expires IS NULL OR c.expires >= l.unlinked THEN l.unlinked - 1
            ELSE c.expires END AS expires
  FROM certifications c
  JOIN person_links l ON l.partner_id = c.partner_id AND l.person_id = c.person_id
 WHERE (l.unlinked IS NULL OR l.unlinked > greatest(c.earned, l.linked))
   AND (c.expires IS NULL OR c.expires >= l.linked)
UNION ALL
SELECT c.partner_id, c.person_id, c.certification, c.earned, c.expires
  FROM certifications c
 WHERE NOT EXISTS (SELECT 1 FROM person_links l WHERE l.partner_id = c.partner_id AND l.person_id = c.person_id);

GRANT SELECT ON scoring_certs TO pcs_scorer, pcs_reader;
GRANT SELECT, INSERT, UPDATE ON score_snapshots, score_results, refresh_runs, refresh_slices TO pcs_scorer;
GRANT USAGE ON SEQUENCE score_seq, score_snapshots_snapshot_id_seq, refresh_runs_run_id_seq TO pcs_scorer;
GRANT SELECT ON score_snapshots, score_results, refresh_runs, refresh_slices TO pcs_reader, pcs_notifier;

-- `pcs rescore PARTNER` is an outbox row too (persist first, then signal), written by the scorer.
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('data.changed', 'cert.changed', 'rescore'));
GRANT INSERT ON outbox TO pcs_scorer;
GRANT USAGE ON SEQUENCE outbox_outbox_id_seq TO pcs_scorer;
