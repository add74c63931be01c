-- 0007: pcs-api's bearer tokens and its role.
--
-- A token is shown once by `pcs token create` and never stored: the table keeps the SHA-256 of the
-- whole token and a short public lookup id (the 12 characters after "pcs_"), which finds the row
-- so the daemon can compare hashes in constant time. An admin token sees every partner; any other
-- sees the partners of its `partners` array. Revoking sets revoked_at (the row stays for the
-- record); every request reads the row again, so a revocation counts from the next request.
CREATE TABLE api_tokens (
    token_id    bigserial PRIMARY KEY,
    name        text NOT NULL CHECK (name ~ '^[A-Za-z0-9._@-]{1,64}$'),
    lookup      text NOT NULL UNIQUE CHECK (lookup ~ '^[0-9a-f]{12}$'),
    hash        bytea NOT NULL CHECK (length(hash) = 32),
    admin       boolean NOT NULL,
    partners    text[] NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    CHECK (admin OR cardinality(partners) > 0)
);
-- one live token per name; a revoked name can be given to a new token
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at IS NULL;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pcs_api') THEN CREATE ROLE pcs_api LOGIN; END IF;
END
$$;

-- pcs-api reads tokens (never writes them) and what the read model and /metrics read; nothing else.
GRANT SELECT (token_id, name, lookup, hash, admin, partners, revoked_at) ON api_tokens TO pcs_api;
GRANT SELECT ON partners, customers, associations, usage, person_links, certifications,
      enrollments, scoring_certs, score_snapshots, score_results, alerts, alert_deliveries,
      loaded_files, outbox, refresh_runs, refresh_slices TO pcs_api;
-- rejected rows are counted for /metrics; their raw text is not the API's business
GRANT SELECT (reject_id, file_id, created_at) ON rejected_rows TO pcs_api;
-- people with a shell see who holds a token, not the hashes
GRANT SELECT (token_id, name, admin, partners, created_at, revoked_at) ON api_tokens TO pcs_reader;
