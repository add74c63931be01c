/* pcs_events: certification, person and association events (interfaces.md §3, §4) made durable.
 *
 * One event is one transaction: the event row (deduplicated by its envelope id), its effect on
 * the facts and an outbox row commit together, so a sender that retries after a lost reply
 * changes nothing the second time. */
#include "pcs_events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_date.h"
#include "pcs_valid.h"
#include "pcs_vocab.h"

bool pcs_events_known_type(const char *type)
{
    return pcs_vocab_index(pcs_fact_event_ids, type) >= 0;
}

/* A string field of the body, validated by what it holds (pcs_valid.h: ids, workloads, text,
 * plausible dates); NULL when absent and optional. */
static int field(json_t *body, const char *key, bool required, bool is_date, const char **out, pcs_err_t *err)
{
    json_t *v = json_object_get(body, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return required ? pcs_err_set(err, PCS_EINVAL, 0, 0, "body.%s: missing", key) : 0;
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 200 ||
        strlen(json_string_value(v)) != json_string_length(v))
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "body.%s: expected a non-empty string", key);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    char why[300], name[64];
    snprintf(name, sizeof name, "body.%s", key);
    int32_t d;
    if (is_date && pcs_day_parse(s, &d) < 0)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "body.%s: bad date '%.40s'", key, s);
    int rc = 0;
    if (is_date)
        rc = pcs_valid_day(name, d, why, sizeof why);
    else if (!strcmp(key, "partner_id") || !strcmp(key, "person_id") || !strcmp(key, "tenant_id"))
        rc = pcs_valid_id(name, s, n, why, sizeof why);
    else if (!strcmp(key, "workload"))
        rc = pcs_valid_workload(name, s, n, why, sizeof why);
    else
        rc = pcs_valid_text(name, s, n, why, sizeof why);
    if (rc < 0)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "%s", why);
    *out = s;
    return 0;
}

static int32_t day_of(const char *s)
{
    int32_t d;
    return s && pcs_day_parse(s, &d) == 0 ? d : PCS_DAY_NONE;
}

int pcs_events_validate(const pcs_envelope_t *env, pcs_err_t *err)
{
    if (!pcs_events_known_type(env->type))
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "type: unknown event type '%.40s'", env->type);
    char why[300];
    /* an envelope id is only stored and echoed in a JSON ack: printable text is enough */
    if (pcs_valid_text("id", env->id, strlen(env->id), why, sizeof why) < 0)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "%s", why);
    json_t *b = env->body;
    const char *s;
    const char *k;
    json_t *v;
    bool assoc = strcmp(env->type, "association.upserted") == 0;
    json_object_foreach(b, k, v) {
        static const char *const cert_keys[] = {"partner_id", "person_id", "certification", "earned", "expires",
                                                "date", NULL};
        static const char *const assoc_keys[] = {"partner_id", "tenant_id", "association_type", "workload",
                                                 "start_date", "end_date", NULL};
        bool ok = false;
        for (const char *const *a = assoc ? assoc_keys : cert_keys; *a && !ok; a++)
            ok = strcmp(*a, k) == 0;
        if (!ok)
            return pcs_err_set(err, PCS_EINVAL, 0, 0, "body.%s: unknown key", k);
    }
    if (field(b, "partner_id", true, false, &s, err) < 0)
        return PCS_EINVAL;
    if (assoc) {
        const char *t;
        if (field(b, "tenant_id", true, false, &s, err) < 0 || field(b, "association_type", true, false, &t, err) < 0 ||
            field(b, "workload", true, false, &s, err) < 0 || field(b, "start_date", true, true, &s, err) < 0 ||
            field(b, "end_date", false, true, &s, err) < 0)
            return PCS_EINVAL;
        if (pcs_assoc_type_index(t) < 0)
            return pcs_err_set(err, PCS_EINVAL, 0, 0, "body.association_type: unknown '%.40s'", t);
        const char *start = json_string_value(json_object_get(b, "start_date"));
        const char *end = json_string_value(json_object_get(b, "end_date"));
        if (end && day_of(end) < day_of(start))
            return pcs_err_set(err, PCS_EINVAL, 0, 0, "body.end_date: %s is before start_date", end);
        return 0;
    }
    bool person = strncmp(env->type, "person.", 7) == 0;
    bool needs_earned = !person && strcmp(env->type, "cert.revoked") != 0;
    const char *earned, *expires, *date;
    if (field(b, "person_id", true, false, &s, err) < 0 ||
        field(b, "certification", !person, false, &s, err) < 0 ||
        field(b, "earned", needs_earned, true, &earned, err) < 0 || field(b, "expires", false, true, &expires, err) < 0 ||
        field(b, "date", person, true, &date, err) < 0)
        return PCS_EINVAL;
    bool expired = strcmp(env->type, "cert.expired") == 0;
    if (expired && !expires && !date)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "body: cert.expired needs expires or date");
    /* a certification is earned no later than today and does not expire before it was earned */
    if (earned && pcs_valid_cert_dates(day_of(earned), day_of(expires ? expires : expired ? date : NULL),
                                       pcs_day_today_utc(), why, sizeof why) < 0)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "body.%s", why);
    return 0;
}

static const char *str(json_t *b, const char *k)
{
    json_t *v = json_object_get(b, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int run(PGconn *db, const char *sql, int n, const char *const *params, pcs_err_t *err, int *rows)
{
    PGresult *r = PQexecParams(db, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        const char *m = PQresultErrorMessage(r);
        rc = pcs_err_set(err, PCS_EIO, 0, 0, "%.*s", (int)strcspn(m, "\n"), m);
    } else if (rows) {
        *rows = st == PGRES_TUPLES_OK ? PQntuples(r) : atoi(PQcmdTuples(r));
    }
    PQclear(r);
    return rc;
}

static int apply(PGconn *db, const pcs_envelope_t *env, pcs_err_t *err)
{
    json_t *b = env->body;
    const char *partner = str(b, "partner_id");
    const char *p[6];
    p[0] = partner;
    if (run(db, "INSERT INTO partners (partner_id) VALUES ($1) ON CONFLICT DO NOTHING", 1, p, err, NULL) < 0)
        return PCS_EIO;
    if (strcmp(env->type, "association.upserted") == 0) {
        const char *a[6] = {partner, str(b, "tenant_id"), str(b, "association_type"), str(b, "workload"),
                            str(b, "start_date"), str(b, "end_date")};
        return run(db,
                   "INSERT INTO associations (partner_id, tenant_id, association_type, workload, start_date, end_date)"
                   " VALUES ($1, $2, $3, $4, $5::date, $6::date)"
                   " ON CONFLICT (partner_id, tenant_id, association_type, workload, start_date)"
                   " DO UPDATE SET end_date = EXCLUDED.end_date",
                   6, a, err, NULL);
    }
    const char *person = str(b, "person_id"), *cert = str(b, "certification"), *earned = str(b, "earned");
    const char *expires = str(b, "expires"), *date = str(b, "date");
    if (strcmp(env->type, "person.linked") == 0) {
        /* an explicit link replaces the implicit one of the person's certifications */
        const char *a[3] = {partner, person, date};
        if (run(db, "DELETE FROM person_links WHERE partner_id = $1 AND person_id = $2 AND implicit_link", 2, a, err,
                NULL) < 0)
            return PCS_EIO;
        return run(db, "INSERT INTO person_links (partner_id, person_id, linked) VALUES ($1, $2, $3::date)"
                       " ON CONFLICT DO NOTHING",
                   3, a, err, NULL);
    }
    if (strcmp(env->type, "person.unlinked") == 0) {
        const char *a[3] = {partner, person, date};
        return run(db, "UPDATE person_links SET unlinked = $3::date WHERE partner_id = $1 AND person_id = $2"
                       " AND unlinked IS NULL AND linked <= $3::date",
                   3, a, err, NULL);
    }
    if (strcmp(env->type, "cert.revoked") == 0) {
        const char *a[3] = {partner, person, cert};
        return run(db, "DELETE FROM certifications WHERE partner_id = $1 AND person_id = $2 AND certification = $3", 3,
                   a, err, NULL);
    }
    if (strcmp(env->type, "cert.expired") == 0) {
        const char *a[5] = {partner, person, cert, earned, expires ? expires : date};
        return run(db, "UPDATE certifications SET expires = $5::date WHERE partner_id = $1 AND person_id = $2"
                       " AND certification = $3 AND earned = $4::date",
                   5, a, err, NULL);
    }
    /* cert.earned / cert.renewed: a person without an explicit link counts from the earliest
     * `earned` of all their events, whatever the order they arrive in (§3 table): the implicit link
     * moves earlier, or is made */
    const char *l[3] = {partner, person, earned};
    if (run(db,
            "WITH e AS (UPDATE person_links SET linked = $3::date WHERE partner_id = $1 AND person_id = $2"
            " AND implicit_link AND linked > $3::date RETURNING 1)"
            " INSERT INTO person_links (partner_id, person_id, linked, implicit_link) SELECT $1, $2, $3::date, true"
            " WHERE NOT EXISTS (SELECT 1 FROM person_links WHERE partner_id = $1 AND person_id = $2)",
            3, l, err, NULL) < 0)
        return PCS_EIO;
    const char *a[5] = {partner, person, cert, earned, expires};
    return run(db,
               "INSERT INTO certifications (partner_id, person_id, certification, earned, expires)"
               " VALUES ($1, $2, $3, $4::date, $5::date)"
               " ON CONFLICT (partner_id, person_id, certification, earned) DO UPDATE SET expires = EXCLUDED.expires",
               5, a, err, NULL);
}

int pcs_events_store_in_tx(PGconn *db, const pcs_envelope_t *env, const char *raw, bool *duplicate, pcs_err_t *err)
{
    int rows = 0;
    *duplicate = false;
    const char *p[3] = {env->id, env->type, raw};
    if (run(db, "INSERT INTO events (event_id, type, body) VALUES ($1, $2, $3::jsonb) ON CONFLICT DO NOTHING", 3, p,
            err, &rows) < 0)
        return PCS_EIO;
    if (rows == 0) {
        *duplicate = true;
        return 0;
    }
    if (apply(db, env, err) < 0)
        return PCS_EIO;
    const char *o[2] = {strncmp(env->type, "association.", 12) == 0 ? "data.changed" : "cert.changed",
                        str(env->body, "partner_id")};
    return run(db, "INSERT INTO outbox (kind, partners) VALUES ($1, ARRAY[$2])", 2, o, err, NULL);
}

int pcs_events_store(PGconn *db, const pcs_envelope_t *env, const char *raw, bool *duplicate, pcs_err_t *err)
{
    if (pcs_db_exec(db, "BEGIN", err) < 0)
        return PCS_EIO;
    if (pcs_events_store_in_tx(db, env, raw, duplicate, err) < 0) {
        pcs_db_exec(db, "ROLLBACK", NULL);
        return PCS_EIO;
    }
    return pcs_db_exec(db, "COMMIT", err);
}
