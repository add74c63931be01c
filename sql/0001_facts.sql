-- 0001: the facts pcs-ingest keeps (interfaces.md §3), the files it loaded, the rows it rejected,
-- the events it accepted and the outbox that tells the scorer what changed.
-- Money is integer cents, unit counts are integers, months are the first day of the month.

CREATE TABLE partners (
    partner_id   text PRIMARY KEY CHECK (partner_id <> ''),
    first_seen   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE customers (
    partner_id    text NOT NULL REFERENCES partners,
    tenant_id     text NOT NULL,
    customer_id   text NOT NULL,
    customer_name text,
    segment       text NOT NULL CHECK (segment IN ('smb', 'enterprise')),
    PRIMARY KEY (partner_id, tenant_id)
);

CREATE TABLE associations (
    partner_id       text NOT NULL REFERENCES partners,
    tenant_id        text NOT NULL,
    association_type text NOT NULL CHECK (association_type IN ('PAL', 'DPOR', 'CPOR', 'CPOR_OSA', 'CPOR_OSU',
                                          'CPOR_REVREC', 'CPOR_REVREC_PERF', 'CSP_T1', 'CSP_T2')),
    workload         text NOT NULL,
    start_date       date NOT NULL,
    end_date         date,
    PRIMARY KEY (partner_id, tenant_id, association_type, workload, start_date)
);
CREATE INDEX associations_tenant ON associations (tenant_id);

-- Usage belongs to a tenant, not to a partner (scoring.md §1). Partitioned by month so old months
-- can be detached; the default partition takes every month until monthly partitions are added.
CREATE TABLE usage (
    tenant_id     text   NOT NULL,
    workload      text   NOT NULL,
    month         date   NOT NULL CHECK (extract(day FROM month) = 1),
    acr_cents     bigint NOT NULL DEFAULT 0,
    revenue_cents bigint NOT NULL DEFAULT 0,
    paid_units    bigint NOT NULL DEFAULT 0 CHECK (paid_units >= 0),
    active_units  bigint NOT NULL DEFAULT 0 CHECK (active_units >= 0),
    PRIMARY KEY (tenant_id, workload, month)
) PARTITION BY RANGE (month);
CREATE TABLE usage_default PARTITION OF usage DEFAULT;

-- A person counts for a partner during link periods (person.linked / person.unlinked).
CREATE TABLE person_links (
    partner_id  text NOT NULL REFERENCES partners,
    person_id   text NOT NULL,
    linked      date NOT NULL,
    unlinked    date,
    PRIMARY KEY (partner_id, person_id, linked)
);

CREATE TABLE certifications (
    partner_id    text NOT NULL REFERENCES partners,
    person_id     text NOT NULL,
    certification text NOT NULL,     -- catalogue id or name as received
    earned        date NOT NULL,
    expires       date,
    PRIMARY KEY (partner_id, person_id, certification, earned)
);

CREATE TABLE enrollments (
    partner_id       text NOT NULL REFERENCES partners,
    area             text NOT NULL CHECK (area IN ('data_ai', 'infrastructure', 'digital_app_innovation',
                                                   'business_applications', 'modern_work', 'security')),
    enrolled_date    date NOT NULL,
    anniversary_date date NOT NULL,
    PRIMARY KEY (partner_id, area, enrolled_date)
);

CREATE TABLE loaded_files (
    file_id       bigserial PRIMARY KEY,
    name          text NOT NULL,
    sha256        bytea NOT NULL UNIQUE,
    kind          text NOT NULL,
    rows_loaded   bigint NOT NULL DEFAULT 0,
    rows_rejected bigint NOT NULL DEFAULT 0,
    loaded_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rejected_rows (
    reject_id   bigserial PRIMARY KEY,
    file_id     bigint REFERENCES loaded_files,
    file_name   text NOT NULL,
    line        bigint,
    col         bigint,
    raw         text NOT NULL,
    reason      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rejected_rows_file ON rejected_rows (file_name, reject_id);

-- Events accepted over ZeroMQ or from JSON Lines files, deduplicated by their envelope id.
CREATE TABLE events (
    event_id    text PRIMARY KEY,
    type        text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    body        jsonb NOT NULL
);

-- One row per committed change, written in the same transaction as the facts (persist first,
-- then signal). The scorer marks rows done; nothing depends on a message arriving.
CREATE TABLE outbox (
    outbox_id    bigserial PRIMARY KEY,
    created_at   timestamptz NOT NULL DEFAULT now(),
    kind         text NOT NULL CHECK (kind IN ('data.changed', 'cert.changed')),
    partners     text[] NOT NULL,
    months       date[] NOT NULL DEFAULT '{}',
    processed_at timestamptz
);
CREATE INDEX outbox_pending ON outbox (outbox_id) WHERE processed_at IS NULL;
