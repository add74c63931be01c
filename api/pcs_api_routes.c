#include "pcs_api_routes.h"

#include <jansson.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_date.h"
#include "pcs_insight.h"
#include "pcs_rules.h"
#include "pcs_store.h"
#include "pcs_vocab.h"
#include "pcs_words.h"

/* ---- answers ---------------------------------------------------------------------------------------- */

/* The CLI's --json text of j (and a newline, as the CLI prints it); takes the reference. */
static void answer_json(pcs_api_answer_t *ans, json_t *j)
{
    char *s = j ? pcs_store_dumps(j) : NULL;
    json_decref(j);
    if (!s) {
        pcs_api_answer_error(ans, 500, "out of memory");
        return;
    }
    ans->status = 200;
    ans->body = s;
    ans->len = strlen(s);
    ans->type = "application/json";
}

/* A read-model error as its status: unknown 404, bad input 400, the database 503, else 500. */
static void answer_err(pcs_api_answer_t *ans, const pcs_err_t *err)
{
    switch (err->code) {
    case PCS_ENOTFOUND: pcs_api_answer_error(ans, 404, "%s", err->msg); break;
    case PCS_EINVAL: pcs_api_answer_error(ans, 400, "%s", err->msg); break;
    case PCS_EIO: pcs_api_answer_error(ans, 503, "the database failed: %s", err->msg); break;
    default: pcs_api_answer_error(ans, 500, "%s", err->msg[0] ? err->msg : "internal error");
    }
}

/* j when there is one, else the error that kept it from being. */
static void answer(pcs_api_answer_t *ans, json_t *j, const pcs_err_t *err)
{
    if (j)
        answer_json(ans, j);
    else
        answer_err(ans, err);
}

/* ---- query parameters --------------------------------------------------------------------------------- */

static const char *arg(const pcs_api_request_t *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* ?name=YYYY-MM-DD into *day (dflt when absent); false after answering 400. */
static bool arg_day(const pcs_api_request_t *r, const char *name, int32_t dflt, int32_t *day, pcs_api_answer_t *ans)
{
    const char *v = arg(r, name);
    *day = dflt;
    if (v && pcs_day_parse(v, day) < 0) {
        pcs_api_answer_error(ans, 400, "%s: expected a date YYYY-MM-DD, got '%.40s'", name, v);
        return false;
    }
    return true;
}

/* ?area=ID into *area (-1 when absent); false after answering 400. */
static bool arg_area(const pcs_api_request_t *r, int *area, pcs_api_answer_t *ans)
{
    const char *v = arg(r, "area");
    *area = -1;
    if (v && (*area = pcs_area_index(v)) < 0) {
        pcs_api_answer_error(ans, 400, "area: unknown area '%.40s'", v);
        return false;
    }
    return true;
}

/* ?name=N (0..max) into *out; false after answering 400. */
static bool arg_count(const pcs_api_request_t *r, const char *name, long dflt, long max, long *out, pcs_api_answer_t *ans)
{
    const char *v = arg(r, name);
    *out = dflt;
    if (!v)
        return true;
    char *end;
    long x = strtol(v, &end, 10);
    if (!*v || *end || x < 0 || x > max || strspn(v, "0123456789") != strlen(v)) {
        pcs_api_answer_error(ans, 400, "%s: expected a number 0..%ld, got '%.40s'", name, max, v);
        return false;
    }
    *out = x;
    return true;
}

/* ---- endpoints --------------------------------------------------------------------------------------- */

static void partners(const pcs_api_request_t *r, pcs_api_answer_t *ans)
{
    const char *sort = arg(r, "sort"), *status = arg(r, "status");
    int area;
    int32_t day;
    if (!arg_area(r, &area, ans) || !arg_day(r, "as_of", r->today, &day, ans))
        return;
    if (sort && strcmp(sort, "risk") && strcmp(sort, "id")) {
        pcs_api_answer_error(ans, 400, "sort: expected risk or id, got '%.40s'", sort);
        return;
    }
    pcs_err_t err = {0};
    json_t *all = pcs_store_partners(r->store, r->rules->name, day, sort, status, area, &err);
    if (!all) {
        answer_err(ans, &err);
        return;
    }
    /* the partners outside the scope are not there at all */
    if (!r->scope->admin) {
        for (size_t i = json_array_size(all); i-- > 0;) {
            const char *id = json_string_value(json_object_get(json_array_get(all, i), "partner_id"));
            if (!id || !pcs_token_scope_allows(r->scope, id))
                json_array_remove(all, i);
        }
    }
    answer_json(ans, all);
}

static void show(const pcs_api_request_t *r, const char *id, pcs_api_answer_t *ans)
{
    int32_t day;
    if (!arg_day(r, "as_of", r->today, &day, ans))
        return;
    pcs_err_t err = {0};
    char *text = NULL;
    bool stored;
    /* the stored result of the day as it is (else computed), and the newline pcs show --json ends it with */
    if (pcs_insight_result(r->store, r->rules, id, day, &text, &stored, &err) < 0) {
        answer_err(ans, &err);
        return;
    }
    size_t n = strlen(text);
    char *body = realloc(text, n + 2);
    if (!body) {
        free(text);
        pcs_api_answer_error(ans, 500, "out of memory");
        return;
    }
    memcpy(body + n, "\n", 2);
    ans->status = 200;
    ans->body = body;
    ans->len = n + 1;
    ans->type = "application/json";
}

static void history(const pcs_api_request_t *r, const char *id, pcs_api_answer_t *ans)
{
    int32_t day;
    int area;
    long months;
    if (!arg_day(r, "as_of", r->today, &day, ans) || !arg_area(r, &area, ans) ||
        !arg_count(r, "months", 6, 100000, &months, ans))
        return;
    pcs_err_t err = {0};
    answer(ans, pcs_store_history(r->store, id, r->rules->name, day, (int)months, area, &err), &err);
}

static void alerts(const pcs_api_request_t *r, const char *id, pcs_api_answer_t *ans)
{
    long limit;
    if (!arg_count(r, "limit", 100, 100000, &limit, ans))
        return;
    pcs_err_t err = {0};
    answer(ans, pcs_store_alerts(r->store, id, arg(r, "state"), limit, &err), &err);
}

static void trends(const pcs_api_request_t *r, const char *id, pcs_api_answer_t *ans)
{
    int area;
    int32_t day;
    if (!arg_area(r, &area, ans) || !arg_day(r, "as_of", PCS_DAY_NONE, &day, ans))
        return;
    pcs_err_t err = {0};
    answer(ans, pcs_store_trends(r->store, id, r->rules->name, area, day, &err), &err);
}

typedef enum { INS_ELIGIBILITY, INS_SKILLING, INS_FORECAST, INS_RECOMMEND, INS_SIMULATE } insight_kind_t;

/* The simulate body: an object of the three arrays of interfaces.md §5, nothing else. */
static json_t *changes_of(const pcs_api_request_t *r, pcs_api_answer_t *ans)
{
    json_error_t je;
    json_t *c = json_loadb(r->body ? r->body : "", r->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!c) {
        pcs_api_answer_error(ans, 400, "the body is not JSON: %d:%d: %s", je.line, je.column, je.text);
        return NULL;
    }
    if (!json_is_object(c)) {
        pcs_api_answer_error(ans, 400, "the body must be an object {\"add_certs\", \"remove_certs\", \"add_customers\"}");
        json_decref(c);
        return NULL;
    }
    const char *k;
    json_t *v;
    json_object_foreach(c, k, v) {
        if ((strcmp(k, "add_certs") && strcmp(k, "remove_certs") && strcmp(k, "add_customers")) || !json_is_array(v)) {
            pcs_api_answer_error(ans, 400, "%.40s: expected one of the arrays add_certs, remove_certs, add_customers", k);
            json_decref(c);
            return NULL;
        }
    }
    return c;
}

static void insight(const pcs_api_request_t *r, const char *id, insight_kind_t kind, pcs_api_answer_t *ans)
{
    int32_t day, until = PCS_DAY_NONE;
    int area;
    json_t *changes = NULL, *j = NULL;
    pcs_insight_t *in = NULL;
    pcs_err_t err = {0};
    if (!arg_day(r, "as_of", r->today, &day, ans) || !arg_area(r, &area, ans))
        return;
    if (kind == INS_FORECAST && !arg_day(r, "until", PCS_DAY_NONE, &until, ans))
        return;
    if (kind == INS_SIMULATE && !(changes = changes_of(r, ans)))
        return;
    if (!(in = pcs_insight_open(r->store, r->rules, id, day, area, &err))) {
        answer_err(ans, &err);
        goto out;
    }
    switch (kind) {
    case INS_ELIGIBILITY: j = pcs_insight_eligibility(in, arg(r, "customer"), &err); break;
    case INS_SKILLING: j = pcs_insight_skilling(in, &err); break;
    case INS_FORECAST: j = pcs_insight_forecast(in, until == PCS_DAY_NONE ? day + 180 : until, &err); break;
    case INS_RECOMMEND: j = pcs_insight_recommend(in, &err); break;
    case INS_SIMULATE:
        j = pcs_insight_simulate(in, changes, &err);
        /* a person or customer the body names that the partner lacks is the body's fault */
        if (!j && err.code == PCS_ENOTFOUND)
            err.code = PCS_EINVAL;
        break;
    }
    answer(ans, j, &err);
out:
    pcs_insight_destroy(&in);
    json_decref(changes);
}

/* The words the dashboard shows instead of ids, from the rule set: names of areas, metrics, tracks
 * and statuses, each metric's unit per area and track, the certification catalogue. */
static void vocabulary(const pcs_api_request_t *r, pcs_api_answer_t *ans)
{
    const pcs_rules_t *ru = r->rules;
    json_t *areas = json_object(), *metrics = json_object(), *tracks = json_object(), *st = json_object();
    json_t *units = json_object(), *certs = json_array();
    for (int a = 0; a < PCS_AREA_N; a++) {
        json_object_set_new(areas, pcs_area_ids[a], json_string(pcs_words_area(pcs_area_ids[a])));
        json_t *ua = json_object();
        for (int t = 0; t < PCS_TRACK_N; t++) {
            if (!ru->areas[a].has_track[t])
                continue;
            json_t *ut = json_object();
            for (int k = 0; k < PCS_METRIC_N; k++)
                if (ru->areas[a].metrics[t][k])
                    json_object_set_new(ut, pcs_metric_ids[k], json_string(pcs_words_unit(ru, pcs_area_ids[a], pcs_track_ids[t],
                                                                                        pcs_metric_ids[k], NULL)));
            json_object_set_new(ua, pcs_track_ids[t], ut);
        }
        json_object_set_new(units, pcs_area_ids[a], ua);
    }
    for (int k = 0; k < PCS_METRIC_N; k++)
        json_object_set_new(metrics, pcs_metric_ids[k], json_string(pcs_words_metric(pcs_metric_ids[k])));
    for (int t = 0; t < PCS_TRACK_N; t++)
        json_object_set_new(tracks, pcs_track_ids[t], json_string(pcs_words_track(pcs_track_ids[t])));
    for (int i = 0; pcs_status_ids[i]; i++)
        json_object_set_new(st, pcs_status_ids[i], json_string(pcs_words_status(pcs_status_ids[i])));
    for (int ci = 0; ci < ru->n_certs; ci++)
        if (ru->certs[ci].retired_on == PCS_DAY_NONE)
            json_array_append_new(certs, json_pack("{s:s, s:s}", "id", ru->certs[ci].id, "name", ru->certs[ci].name));
    answer_json(ans, json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "rules", ru->name, "areas", areas, "metrics", metrics,
                               "tracks", tracks, "statuses", st, "units", units, "certifications", certs));
}

/* Whether the request's method is allowed (post: POST only; else GET or HEAD); a 405 when not. */
static bool method_ok(const pcs_api_request_t *r, bool post, pcs_api_answer_t *ans)
{
    bool ok = post ? !strcmp(r->method, "POST") : !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD");
    if (!ok) {
        ans->allow = post ? "POST" : "GET, HEAD";
        pcs_api_answer_error(ans, 405, "%s is not allowed here (%s)", r->method, ans->allow);
    }
    return ok;
}

/* /api/v1/partners/{id}[/{what}] */
static void partner(const pcs_api_request_t *r, const char *id, const char *what, pcs_api_answer_t *ans)
{
    static const char *const gets[] = {"history", "alerts", "eligibility", "skilling", "trends", "forecast", "recommend"};
    bool post = what && !strcmp(what, "simulate");
    bool known = !what || post;
    for (size_t i = 0; !known && i < sizeof gets / sizeof *gets; i++)
        known = !strcmp(what, gets[i]);
    if (!known) {
        pcs_api_answer_error(ans, 404, "no such endpoint");
        return;
    }
    /* scope before anything is read: a partner outside it is refused whether it exists or not */
    if (!pcs_token_scope_allows(r->scope, id)) {
        pcs_api_answer_error(ans, 403, "partner %s is outside this token's scope", id);
        return;
    }
    if (!method_ok(r, post, ans))
        return;
    /* the stored result says itself when there is none (404); the rest ask first */
    if (!what) {
        show(r, id, ans);
        return;
    }
    pcs_err_t err = {0};
    int known_partner = pcs_store_partner_exists(r->store, id, &err);
    if (known_partner < 0) {
        answer_err(ans, &err);
        return;
    }
    if (!known_partner) {
        pcs_api_answer_error(ans, 404, "no partner %s", id);
        return;
    }
    if (!strcmp(what, "history"))
        history(r, id, ans);
    else if (!strcmp(what, "alerts"))
        alerts(r, id, ans);
    else if (!strcmp(what, "trends"))
        trends(r, id, ans);
    else if (!strcmp(what, "eligibility"))
        insight(r, id, INS_ELIGIBILITY, ans);
    else if (!strcmp(what, "skilling"))
        insight(r, id, INS_SKILLING, ans);
    else if (!strcmp(what, "forecast"))
        insight(r, id, INS_FORECAST, ans);
    else if (!strcmp(what, "recommend"))
        insight(r, id, INS_RECOMMEND, ans);
    else
        insight(r, id, INS_SIMULATE, ans);
}

void pcs_api_routes_answer(const pcs_api_request_t *r, pcs_api_answer_t *ans)
{
    bool v1 = r->n_segs >= 2 && !strcmp(r->segs[0], "v1");
    if (v1 && r->n_segs == 2 && !strcmp(r->segs[1], "vocabulary")) {
        if (method_ok(r, false, ans))
            vocabulary(r, ans);
        return;
    }
    /* segs: "v1", "partners", [id, [what]] */
    if (!v1 || r->n_segs > 4 || strcmp(r->segs[1], "partners")) {
        pcs_api_answer_error(ans, 404, "no such endpoint");
        return;
    }
    if (r->n_segs == 2) {
        if (method_ok(r, false, ans))
            partners(r, ans);
        return;
    }
    partner(r, r->segs[2], r->n_segs == 4 ? r->segs[3] : NULL, ans);
}
