-- 0004: what pcs-notifier keeps: the alerts raised (once per dedup key), their delivery to each
-- sink (state, attempts, next attempt: retries survive restarts) and the notifier's cursor.

CREATE TABLE alerts (
    alert_id    bigserial PRIMARY KEY,
    dedup_key   text NOT NULL UNIQUE,          -- scoring.md §13: an event is raised once per key
    partner_id  text NOT NULL,
    area        text NOT NULL,
    event       text NOT NULL,
    severity    text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    as_of       date NOT NULL,
    rule_set    text NOT NULL,
    payload     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alerts_partner ON alerts (partner_id, alert_id);

-- One row per (alert, sink) that takes it, written with the alert.
CREATE TABLE alert_deliveries (
    alert_id        bigint NOT NULL REFERENCES alerts,
    sink            text NOT NULL,              -- log, file, webhook
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    delivered_at    timestamptz,
    PRIMARY KEY (alert_id, sink)
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at) WHERE state = 'pending';

-- Where the notifier is in score_results.seq, and the last day the daily check ran.
CREATE TABLE notifier_state (
    name        text PRIMARY KEY,
    seq         bigint NOT NULL DEFAULT 0,
    daily_last  date
);

-- The seq of result documents, for a follower's cursor.
CREATE INDEX score_results_seq ON score_results (seq);

GRANT SELECT, INSERT, UPDATE ON alerts, alert_deliveries, notifier_state TO pcs_notifier;
GRANT USAGE ON SEQUENCE alerts_alert_id_seq TO pcs_notifier;
GRANT SELECT ON score_results, score_snapshots, enrollments, certifications, person_links, partners TO pcs_notifier;
-- the daily check asks the scorer to rescore partners as of today through the outbox
GRANT INSERT ON outbox TO pcs_notifier;
GRANT USAGE ON SEQUENCE outbox_outbox_id_seq TO pcs_notifier;
GRANT SELECT ON alerts, alert_deliveries, notifier_state TO pcs_reader;
