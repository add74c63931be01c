-- 0008: what pcs-pull keeps (README "Pulling from Partner Center"): per partner account and dataset
-- the report query created once in Partner Center and the last execution downloaded; one row per
-- pull run and per (run, dataset) the report, its execution and the file delivered to the spool.
-- A restart resumes the open run from these rows: nothing is downloaded twice, nothing is lost.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pcs_pull') THEN CREATE ROLE pcs_pull LOGIN; END IF;
END
$$;

CREATE TABLE pull_queries (
    account             text NOT NULL,
    dataset             text NOT NULL CHECK (dataset IN ('CustomersAndTenants', 'AzureUsage', 'OfficeUsage',
                                                          'TrainingCompletions')),
    query_id            text NOT NULL,               -- Partner Center's queryId
    query_text          text NOT NULL,               -- the query as created (a changed text creates a new one)
    created_at          timestamptz NOT NULL DEFAULT now(),
    last_execution_id   text,                        -- the last execution whose file reached the spool
    last_downloaded_at  timestamptz,
    PRIMARY KEY (account, dataset)
);

CREATE TABLE pull_runs (
    run_id       bigserial PRIMARY KEY,
    account      text NOT NULL,
    trigger      text NOT NULL CHECK (trigger IN ('schedule', 'now')),
    period       text,                                -- YYYY-MM of a scheduled run: one per month
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    state        text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done', 'failed')),
    files        int NOT NULL DEFAULT 0,
    error        text
);
CREATE UNIQUE INDEX pull_runs_scheduled ON pull_runs (account, period) WHERE trigger = 'schedule';
-- at most one open run per account
CREATE UNIQUE INDEX pull_runs_open ON pull_runs (account) WHERE state = 'running';

CREATE TABLE pull_items (
    run_id        bigint NOT NULL REFERENCES pull_runs,
    dataset       text NOT NULL,
    state         text NOT NULL DEFAULT 'new'
                  CHECK (state IN ('new', 'reported', 'downloading', 'done', 'failed', 'skipped')),
    report_id     text,                               -- the one-time report of this run
    execution_id  text,
    file          text,                               -- the name it has in the spool
    bytes         bigint,
    attempts      int NOT NULL DEFAULT 0,             -- failed requests (429 not counted)
    error         text,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, dataset)
);

GRANT SELECT, INSERT, UPDATE ON pull_queries, pull_runs, pull_items TO pcs_pull;
GRANT USAGE ON SEQUENCE pull_runs_run_id_seq TO pcs_pull;
GRANT SELECT ON pull_queries, pull_runs, pull_items TO pcs_reader;
