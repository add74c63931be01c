-- 0005: alerts with a life (issue 12) and results followed in commit order (issue 18.1).
--
-- * alert_queue: the partners whose stored result changed, written by a trigger on score_results
--   in the scorer's own transaction, so a result becomes visible to the notifier exactly when it
--   commits (a cursor on score_results.seq skipped results committed after a higher seq). The
--   notifier claims rows (FOR UPDATE SKIP LOCKED) and deletes them in the transaction that records
--   what it raised; a row whose partner's facts are still arriving is kept with a due time.
-- * alerts: one row per firing episode of a condition (alert_key: the engine's dedup key without its
--   last, time-bound part); firing while the latest settled result raises the condition, resolved
--   once one does not; the same condition returning opens a new row.
-- * notifications: one digest per partner per settled result (or per repeat), its items (which alert,
--   which transition, the words at that time) and its deliveries, one per sink that takes an item.
--   alert_deliveries becomes a view (the latest delivery of each alert to each sink) for readers.

CREATE TABLE alert_queue (
    partner_id  text NOT NULL,
    rule_set    text NOT NULL,
    cause       text NOT NULL,                 -- score_results.trigger of the latest write
    queued_at   timestamptz NOT NULL DEFAULT now(),
    due_at      timestamptz,                   -- NULL: read at once; else held until (not yet settled)
    PRIMARY KEY (partner_id, rule_set)
);

CREATE FUNCTION pcs_alert_queue_results() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- one row per partner, in partner order (two writers lock queue rows in the same order)
    INSERT INTO alert_queue (partner_id, rule_set, cause)
    SELECT DISTINCT ON (partner_id, rule_set) partner_id, rule_set, trigger
      FROM new_results ORDER BY partner_id, rule_set, as_of DESC
    ON CONFLICT (partner_id, rule_set) DO UPDATE
       SET cause = excluded.cause, queued_at = now(), due_at = NULL;
    -- wakes a LISTENing notifier at COMMIT (a result may change with no score.updated message)
    PERFORM pg_notify('pcs_alert_queue', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER score_results_queue_insert AFTER INSERT ON score_results
    REFERENCING NEW TABLE AS new_results FOR EACH STATEMENT EXECUTE FUNCTION pcs_alert_queue_results();
CREATE TRIGGER score_results_queue_update AFTER UPDATE ON score_results
    REFERENCING NEW TABLE AS new_results FOR EACH STATEMENT EXECUTE FUNCTION pcs_alert_queue_results();

-- A finished refresh settles the results it confirmed even when it rewrote none of them (the same
-- facts give the same digest, so no row changes): it wakes the notifier too.
CREATE FUNCTION pcs_alert_queue_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('pcs_alert_queue', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER refresh_runs_finished AFTER UPDATE OF finished_at ON refresh_runs
    FOR EACH ROW WHEN (OLD.finished_at IS NULL AND NEW.finished_at IS NOT NULL)
    EXECUTE FUNCTION pcs_alert_queue_wake();

-- Whether a partner's facts are still arriving: the notifier looks at the recent outbox rows.
CREATE INDEX outbox_created ON outbox (created_at);

-- ---- alerts: episodes with a state ------------------------------------------------------------------
ALTER TABLE alerts DROP CONSTRAINT alerts_dedup_key_key;
ALTER TABLE alerts
    ADD COLUMN alert_key   text,
    ADD COLUMN state       text NOT NULL DEFAULT 'firing' CHECK (state IN ('firing', 'resolved')),
    ADD COLUMN last_seen   timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN resolved_at timestamptz,
    ADD COLUMN notified_at timestamptz,       -- the last notification that carried it (repeat interval)
    ADD COLUMN summary     text NOT NULL DEFAULT '',
    ADD COLUMN action      text NOT NULL DEFAULT '';
UPDATE alerts SET alert_key = regexp_replace(dedup_key, ':[^:]*$', '');
ALTER TABLE alerts ALTER COLUMN alert_key SET NOT NULL;
-- at most one firing episode per condition
CREATE UNIQUE INDEX alerts_firing ON alerts (alert_key) WHERE state = 'firing';
CREATE INDEX alerts_partner_state ON alerts (partner_id, state);

CREATE TABLE notifications (
    notification_id bigserial PRIMARY KEY,
    partner_id      text NOT NULL,
    reason          text NOT NULL CHECK (reason IN ('change', 'repeat')),
    as_of           date,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notification_items (
    notification_id bigint NOT NULL REFERENCES notifications,
    alert_id        bigint NOT NULL REFERENCES alerts,
    transition      text NOT NULL CHECK (transition IN ('firing', 'resolved', 'escalated', 'repeat')),
    severity        text NOT NULL,
    summary         text NOT NULL,
    action          text NOT NULL,
    payload         jsonb NOT NULL,
    PRIMARY KEY (notification_id, alert_id)
);
CREATE INDEX notification_items_alert ON notification_items (alert_id);

-- One row per (notification, sink that takes one of its items). A sink works through its rows in
-- notification order, one at a time, so a resolve never overtakes its firing.
CREATE TABLE deliveries (
    notification_id bigint NOT NULL REFERENCES notifications,
    sink            text NOT NULL,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    delivered_at    timestamptz,
    sent            bigint[],                 -- the alert ids the delivered message carried
    PRIMARY KEY (notification_id, sink)
);
CREATE INDEX deliveries_pending ON deliveries (sink, notification_id) WHERE state = 'pending';

-- The per-alert deliveries of 0004 become a view: the latest delivery of each alert to each sink.
DROP TABLE alert_deliveries;
CREATE VIEW alert_deliveries AS
SELECT DISTINCT ON (i.alert_id, d.sink)
       i.alert_id, d.sink, d.state, d.attempts, d.next_attempt_at, d.last_error, d.delivered_at, i.transition,
       d.notification_id
  FROM notification_items i JOIN deliveries d USING (notification_id)
 ORDER BY i.alert_id, d.sink, d.notification_id DESC;

-- notifier_state.seq is no longer read (the queue replaced the cursor); kept for old readers.

-- ---- grants ------------------------------------------------------------------------------------------
-- the scorer's trigger writes the queue in the scorer's transaction
GRANT SELECT, INSERT, UPDATE ON alert_queue TO pcs_scorer;
GRANT SELECT, UPDATE, DELETE ON alert_queue TO pcs_notifier;
GRANT SELECT, INSERT, UPDATE ON notifications, notification_items, deliveries TO pcs_notifier;
GRANT USAGE ON SEQUENCE notifications_notification_id_seq TO pcs_notifier;
GRANT SELECT ON alert_deliveries TO pcs_notifier;
-- 18.2: the daily check reads the certification records that count (a view: 0004 granted its tables)
GRANT SELECT ON scoring_certs TO pcs_notifier;
-- settling: when the partner's last facts arrived (not what they were)
GRANT SELECT (outbox_id, created_at, kind, partners) ON outbox TO pcs_notifier;
GRANT SELECT ON alert_queue, notifications, notification_items, deliveries, alert_deliveries TO pcs_reader;
