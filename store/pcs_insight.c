/* pcs_insight: computed answers about one partner (see pcs_insight.h). Everything is computed by
 * the engine from the partner document; nothing here prints. */
#include "pcs_insight.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_date.h"
#include "pcs_doc.h"
#include "pcs_engine.h"
#include "pcs_result_json.h"
#include "pcs_words.h"

struct pcs_insight {
    const pcs_rules_t *rules;
    pcs_engine_t *e;
    json_t *doc;                /* the partner document */
    json_t *snaps;              /* stored snapshots (database), or an empty array */
    char *partner;
    int32_t day;
    int area;
};

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static double num(const json_t *o, const char *k)
{
    return json_number_value(json_object_get(o, k));
}

/* The first object of arr whose string member key equals value, or NULL. */
static json_t *find_by(const json_t *arr, const char *key, const char *value)
{
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x) {
        if (!strcmp(str(x, key), value))
            return x;
    }
    return NULL;
}

static json_t *oom(pcs_err_t *err)
{
    pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
    return NULL;
}

static pcs_insight_t *make(const pcs_rules_t *rules, json_t *doc, json_t *snaps, int32_t day, int area, pcs_err_t *err)
{
    pcs_insight_t *in = calloc(1, sizeof *in);
    if (!in || !doc || !snaps || !(in->e = pcs_engine_new(rules)) ||
        !(in->partner = strdup(str(doc, "partner_id")))) {
        if (in)
            pcs_engine_destroy(&in->e);
        free(in);
        json_decref(doc);
        json_decref(snaps);
        oom(err);
        return NULL;
    }
    in->rules = rules;
    in->doc = doc;
    in->snaps = snaps;
    in->day = day;
    in->area = area;
    return in;
}

pcs_insight_t *pcs_insight_open(pcs_store_t *s, const pcs_rules_t *rules, const char *partner, int32_t day, int area,
                                pcs_err_t *err)
{
    json_t *doc = pcs_store_facts(s, partner, day, err);
    if (!doc)
        return NULL;
    json_t *snaps = pcs_store_snapshots(s, partner, rules->name, day, err);
    if (!snaps) {
        json_decref(doc);
        return NULL;
    }
    return make(rules, doc, snaps, day, area, err);
}

pcs_insight_t *pcs_insight_from_doc(const pcs_rules_t *rules, const json_t *doc, int32_t day, int area, pcs_err_t *err)
{
    return make(rules, json_deep_copy(doc), json_array(), day, area, err);
}

void pcs_insight_destroy(pcs_insight_t **pi)
{
    if (!pi || !*pi)
        return;
    pcs_insight_t *in = *pi;
    pcs_engine_destroy(&in->e);
    json_decref(in->doc);
    json_decref(in->snaps);
    free(in->partner);
    free(in);
    *pi = NULL;
}

int32_t pcs_insight_day(const pcs_insight_t *in)
{
    return in->day;
}

json_t *pcs_insight_doc(const pcs_insight_t *in)
{
    return in->doc;
}

/* The stored snapshots the scorer would feed for a score as of day: from the first day of
 * month(day) - 5 up to the day before. */
static int feed_stored(pcs_insight_t *in, int32_t day, pcs_err_t *err)
{
    int32_t from = pcs_month_first_day(pcs_month_of_day(day) - 5);
    size_t i;
    json_t *r;
    json_array_foreach(in->snaps, i, r) {
        int32_t d;
        int a = pcs_area_index(str(r, "area")), t = strcmp(str(r, "track"), "smb") == 0 ? PCS_TRACK_SMB : PCS_TRACK_ENTERPRISE;
        if (pcs_day_parse(str(r, "as_of"), &d) < 0 || d < from || d >= day || a < 0)
            continue;
        if (pcs_engine_add_stored(in->e, a, d, num(r, "total"), json_is_true(json_object_get(r, "qualified")), t, err) < 0)
            return -1;
    }
    return 0;
}

json_t *pcs_insight_score(pcs_insight_t *in, const json_t *doc, int32_t day, bool explain, pcs_err_t *err)
{
    int32_t ignored;
    if (pcs_doc_load(in->e, (json_t *)(doc ? doc : in->doc), NULL, 0, &ignored, err) < 0 || feed_stored(in, day, err) < 0)
        return NULL;
    pcs_score_opts_t o = {.explain = explain, .area_mask = in->area >= 0 ? 1u << in->area : 0};
    const pcs_result_t *res = pcs_engine_score(in->e, day, &o);
    json_t *j = res ? pcs_result_to_json(in->rules, res, explain) : NULL;
    return j ? j : oom(err);
}

int pcs_insight_result(pcs_store_t *s, const pcs_rules_t *rules, const char *partner, int32_t day, char **text,
                       bool *stored, pcs_err_t *err)
{
    *text = NULL;
    *stored = true;
    int rc = pcs_store_result(s, partner, rules->name, day, text, NULL, err);
    if (rc != PCS_ENOTFOUND)
        return rc;
    *stored = false;
    pcs_insight_t *in = pcs_insight_open(s, rules, partner, day, -1, err);
    json_t *res = in ? pcs_insight_score(in, NULL, day, false, err) : NULL;
    pcs_insight_destroy(&in);
    if (!res)
        return err && err->code ? err->code : PCS_ENOMEM;
    *text = json_dumps(res, PCS_JSON_DUMP_FLAGS);
    json_decref(res);
    return *text ? 0 : pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
}

/* ---- eligibility ---------------------------------------------------------------------------------- */

static const char *customer_name(const pcs_insight_t *in, const char *tenant)
{
    json_t *c = find_by(json_object_get(in->doc, "customers"), "tenant_id", tenant);
    return c && json_is_string(json_object_get(c, "name")) ? str(c, "name") : NULL;
}

static bool customer_matches(const pcs_insight_t *in, const json_t *row, const char *want)
{
    const char *name = customer_name(in, str(row, "tenant_id"));
    return !strcmp(str(row, "customer_id"), want) || !strcmp(str(row, "tenant_id"), want) || (name && !strcmp(name, want));
}

json_t *pcs_insight_eligibility(pcs_insight_t *in, const char *customer, pcs_err_t *err)
{
    if (customer) {
        bool known = false;
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(in->doc, "customers"), i, c) known = known || customer_matches(in, c, customer);
        json_array_foreach(json_object_get(in->doc, "associations"), i, c) known = known || !strcmp(str(c, "tenant_id"), customer);
        if (!known) {
            pcs_err_set(err, PCS_ENOTFOUND, 0, 0, "partner %s has no customer or tenant '%s'", in->partner, customer);
            return NULL;
        }
    }
    json_t *res = pcs_insight_score(in, NULL, in->day, true, err);
    if (!res)
        return NULL;
    json_t *rows = json_array(), *summary = json_array();
    size_t i, k;
    json_t *a, *row;
    json_array_foreach(json_object_get(res, "areas"), i, a) {
        json_array_foreach(json_object_get(a, "eligibility"), k, row) {
            if (customer && !customer_matches(in, row, customer))
                continue;
            json_t *x = json_deep_copy(row);
            const char *name = customer_name(in, str(row, "tenant_id"));
            json_object_set_new(x, "customer_name", name ? json_string(name) : json_null());
            json_array_append_new(rows, x);
            /* the summary per area, track and metric: customers with a positive, negative and no effect */
            json_t *s = NULL, *y;
            size_t j;
            json_array_foreach(summary, j, y) {
                if (!strcmp(str(y, "area"), str(row, "area")) && !strcmp(str(y, "track"), str(row, "track")) &&
                    !strcmp(str(y, "metric"), str(row, "metric")))
                    s = y;
            }
            if (!s) {
                s = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i}", "area", str(row, "area"), "track", str(row, "track"),
                              "metric", str(row, "metric"), "positive", 0, "negative", 0, "no_effect", 0);
                json_array_append_new(summary, s);
            }
            double eff = num(row, "effect");
            const char *key = eff > 0 ? "positive" : eff < 0 ? "negative" : "no_effect";
            json_object_set_new(s, key, json_integer(json_integer_value(json_object_get(s, key)) + 1));
        }
    }
    json_t *out = json_pack("{s:s, s:O, s:o, s:o}", "partner_id", in->partner, "as_of", json_object_get(res, "as_of"),
                            "summary", summary, "rows", rows);
    json_decref(res);
    return out ? out : oom(err);
}

/* ---- skilling ------------------------------------------------------------------------------------- */

/* The last day of validity of the person's certifications among the step's set, or NULL. */
static const char *valid_until(const pcs_insight_t *in, const char *person, const pcs_certset_t *set, char buf[11])
{
    json_t *p = find_by(json_object_get(in->doc, "people"), "person_id", person), *c;
    size_t i;
    int32_t best = PCS_DAY_NONE - 1;
    bool any = false;
    json_array_foreach(json_object_get(p, "certifications"), i, c) {
        int ci = pcs_rules_find_cert(in->rules, str(c, "name"));
        if (ci < 0 || !(set->w[ci / 64] >> (ci % 64) & 1))
            continue;
        int32_t e = PCS_DAY_NONE, s = PCS_DAY_NONE;
        if (json_is_string(json_object_get(c, "expires")))
            pcs_day_parse(str(c, "expires"), &e);
        pcs_day_parse(str(c, "earned"), &s);
        if (s != PCS_DAY_NONE && s > in->day)
            continue;
        if (e != PCS_DAY_NONE && e < in->day)
            continue;
        if (!any || e > best || e == PCS_DAY_NONE)
            best = e;
        any = true;
    }
    if (!any)
        return NULL;
    return best == PCS_DAY_NONE ? "never expires" : pcs_day_format(best, buf);
}

/* The steps of a cert_steps metric: what each requires, which certifications, how many hold one. */
static json_t *steps_json(const pcs_insight_t *in, const pcs_metric_t *m, const json_t *rows, double points,
                          json_t **missing)
{
    json_t *steps = json_array();
    *missing = NULL;
    for (int s = 0; s < m->n_steps; s++) {
        const pcs_step_t *st = &m->steps[s];
        json_t *names = json_array(), *holders = json_array();
        for (int ci = 0; ci < in->rules->n_certs; ci++)
            if (st->certs.w[ci / 64] >> (ci % 64) & 1)
                json_array_append_new(names, json_string(in->rules->certs[ci].name));
        size_t i;
        json_t *r;
        int valid = 0;
        json_array_foreach(rows, i, r) {
            if (json_integer_value(json_object_get(r, "step")) != s + 1 || !json_is_true(json_object_get(r, "counted")))
                continue;
            valid++;
            char d[11];
            const char *until = valid_until(in, str(r, "person_id"), &st->certs, d);
            json_array_append_new(holders, json_pack("{s:s, s:s?}", "person_id", str(r, "person_id"), "valid_until", until));
        }
        json_t *req = json_array();
        for (int q = 0; q < m->n_steps; q++)
            if (st->requires >> q & 1)
                json_array_append_new(req, json_integer(q + 1));
        json_t *o = json_pack("{s:i, s:i, s:s, s:o, s:i, s:b, s:o, s:o}", "step", s + 1, "min_people", st->min_people,
                              "award", st->award == PCS_AW_FLAT ? "flat" : st->award == PCS_AW_PER_PERSON ? "per_person" : "none",
                              "certifications", names, "valid", valid, "met", valid >= st->min_people, "requires_steps", req,
                              "holders", holders);
        if (st->award == PCS_AW_FLAT)
            json_object_set_new(o, "points", json_real(st->flat));
        else if (st->award == PCS_AW_PER_PERSON)
            json_object_set_new(o, "points_per_person", json_real(st->num / st->den));
        json_array_append_new(steps, o);
    }
    /* the first step that is not met: what it needs, in words */
    size_t i;
    json_t *o;
    json_array_foreach(steps, i, o) {
        if (json_is_true(json_object_get(o, "met")))
            continue;
        char text[1024];
        size_t n = 0;
        long long need = json_integer_value(json_object_get(o, "min_people")),
                  have = json_integer_value(json_object_get(o, "valid"));
        n += (size_t)snprintf(text + n, sizeof text - n, "step %zu needs %lld %s with ", i + 1, need,
                              need == 1 ? "person" : "people");
        json_t *names = json_object_get(o, "certifications"), *nm;
        size_t k, nn = json_array_size(names), shown = nn > 3 ? 2 : nn;
        json_array_foreach(names, k, nm) {
            if (n >= sizeof text - 1 || k == shown)
                break;
            n += (size_t)snprintf(text + n, sizeof text - n, "%s%s", k == 0 ? "" : k + 1 == nn ? " or " : ", ",
                                  json_string_value(nm));
        }
        if (shown < nn && n < sizeof text - 1)
            n += (size_t)snprintf(text + n, sizeof text - n, " or one of %zu other certifications", nn - shown);
        if (n < sizeof text - 1)
            n += (size_t)snprintf(text + n, sizeof text - n, ": has %lld", have);
        json_t *h;
        json_array_foreach(json_object_get(o, "holders"), k, h) {
            if (n >= sizeof text - 1)
                break;
            n += (size_t)snprintf(text + n, sizeof text - n, "%s%s%s%s", k == 0 ? " (" : ", ", str(h, "person_id"),
                                  json_is_string(json_object_get(h, "valid_until")) ? " valid until " : "",
                                  str(h, "valid_until"));
        }
        if (json_array_size(json_object_get(o, "holders")) && n < sizeof text - 1)
            snprintf(text + n, sizeof text - n, ")");
        *missing = json_string(text);
        break;
    }
    /* every step met but below the maximum: what one more person of the paying step adds */
    json_array_foreach(steps, i, o) {
        if (*missing || points >= m->max - 0.005)
            break;
        if (!json_object_get(o, "points_per_person"))
            continue;
        double per = json_real_value(json_object_get(o, "points_per_person"));
        int more = per > 0 ? (int)ceil((m->max - points) / per - 1e-9) : 0;
        json_t *names = json_object_get(o, "certifications");
        char text[1024];
        snprintf(text, sizeof text, "%d more %s with %s%s for full points (%.2f points each)", more,
                 more == 1 ? "person" : "people", json_string_value(json_array_get(names, 0)),
                 json_array_size(names) > 1 ? " or another certification of the step" : "", per);
        *missing = json_string(text);
    }
    return steps;
}

json_t *pcs_insight_skilling(pcs_insight_t *in, pcs_err_t *err)
{
    json_t *res = pcs_insight_score(in, NULL, in->day, true, err);
    if (!res)
        return NULL;
    json_t *out = json_array();
    size_t i, k;
    json_t *a, *m;
    json_array_foreach(json_object_get(res, "areas"), i, a) {
        /* per skilling metric of the selected track: units, points against the maximum, and the rows */
        json_t *sel = find_by(json_object_get(a, "tracks"), "track", str(a, "track"));
        int ai = pcs_area_index(str(a, "area")), ti = strcmp(str(a, "track"), "smb") == 0 ? PCS_TRACK_SMB : PCS_TRACK_ENTERPRISE;
        json_array_foreach(json_object_get(sel, "metrics"), k, m) {
            const char *metric = str(m, "metric");
            int mi = !strcmp(metric, "intermediate_certifications") ? PCS_M_INTERMEDIATE
                     : !strcmp(metric, "advanced_certifications")   ? PCS_M_ADVANCED
                                                                    : -1;
            if (mi < 0 || !json_is_true(json_object_get(m, "applicable")))
                continue;
            json_t *people = json_array(), *r2;
            size_t j;
            json_array_foreach(json_object_get(a, "skilling"), j, r2) {
                if (strcmp(str(r2, "metric"), metric) || strcmp(str(r2, "track"), str(a, "track")))
                    continue;
                json_t *x = json_deep_copy(r2);
                json_t *person = find_by(json_object_get(in->doc, "people"), "person_id", str(r2, "person_id"));
                json_object_set(x, "certifications", json_object_get(person, "certifications"));
                json_array_append_new(people, x);
            }
            const pcs_metric_t *rm = ai >= 0 ? in->rules->areas[ai].metrics[ti][mi] : NULL;
            json_t *missing = NULL,
                   *steps = rm && rm->kind == PCS_K_CERT_STEPS ? steps_json(in, rm, people, num(m, "points"), &missing)
                                                                : json_array();
            json_t *o = json_pack("{s:s, s:s, s:s, s:O, s:O, s:O, s:o, s:o}", "area", str(a, "area"), "track",
                                  str(a, "track"), "metric", metric, "units", json_object_get(m, "units"), "points",
                                  json_object_get(m, "points"), "max", json_object_get(m, "max"), "steps", steps,
                                  "people", people);
            if (missing)
                json_object_set_new(o, "missing", missing);
            json_array_append_new(out, o);
        }
    }
    json_decref(res);
    return out;
}

/* ---- simulate ------------------------------------------------------------------------------------- */

static json_t *array_member(json_t *doc, const char *key)
{
    json_t *a = json_object_get(doc, key);
    if (!json_is_array(a)) {
        a = json_array();
        json_object_set_new(doc, key, a);
    }
    return a;
}

static json_t *find_person(json_t *doc, const char *id, bool create)
{
    json_t *p = find_by(array_member(doc, "people"), "person_id", id);
    if (p || !create)
        return p;
    p = json_pack("{s:s, s:[]}", "person_id", id, "certifications");
    json_array_append_new(json_object_get(doc, "people"), p);
    return p;
}

/* "person_id" and a catalogue certification of a change; PCS_EINVAL when either is bad. */
static int change_cert(const pcs_rules_t *r, const json_t *c, const char *what, const char **person, int *cert,
                       pcs_err_t *err)
{
    *person = json_string_value(json_object_get(c, "person_id"));
    const char *name = json_string_value(json_object_get(c, "certification"));
    if (!json_is_object(c) || !*person || !**person || !name)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "%s: expected {\"person_id\", \"certification\"}", what);
    if ((*cert = pcs_rules_find_cert(r, name)) < 0)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "%s: unknown certification '%s' in %s (see pcs rules show %s)", what,
                           name, r->name, r->name);
    return 0;
}

int pcs_insight_apply_changes(const pcs_rules_t *r, json_t *doc, const json_t *changes, int32_t day, pcs_err_t *err)
{
    size_t i;
    json_t *c;
    const char *person;
    int cert;
    json_array_foreach(json_object_get(changes, "remove_certs"), i, c) {
        if (change_cert(r, c, "remove_certs", &person, &cert, err) < 0)
            return PCS_EINVAL;
        json_t *p = find_person(doc, person, false);
        if (!p)
            return pcs_err_set(err, PCS_ENOTFOUND, 0, 0, "remove_certs: the partner has no person '%s'", person);
        json_t *certs = json_object_get(p, "certifications");
        for (size_t k = json_array_size(certs); k-- > 0;)
            if (pcs_rules_find_cert(r, str(json_array_get(certs, k), "name")) == cert)
                json_array_remove(certs, k);
    }
    json_array_foreach(json_object_get(changes, "add_certs"), i, c) {
        if (change_cert(r, c, "add_certs", &person, &cert, err) < 0)
            return PCS_EINVAL;
        int32_t earned = day;
        json_t *e = json_object_get(c, "earned");
        if (e && !json_is_null(e) && (!json_is_string(e) || pcs_day_parse(json_string_value(e), &earned) < 0))
            return pcs_err_set(err, PCS_EINVAL, 0, 0, "add_certs: earned: expected YYYY-MM-DD, got '%s'",
                               json_is_string(e) ? json_string_value(e) : "(not a string)");
        char e1[11], e2[11];
        json_t *certs = array_member(find_person(doc, person, true), "certifications");
        json_array_append_new(certs, json_pack("{s:s, s:s, s:s}", "name", r->certs[cert].id, "earned",
                                               pcs_day_format(earned, e1), "expires",
                                               pcs_day_format(pcs_day_add_years(earned, 1), e2)));
    }
    json_array_foreach(json_object_get(changes, "add_customers"), i, c) {
        const char *k;
        json_t *v;
        if (!json_is_object(c))
            return pcs_err_set(err, PCS_EINVAL, 0, 0, "add_customers: expected an object");
        json_object_foreach((json_t *)c, k, v) {
            if (strcmp(k, "customers") && strcmp(k, "associations") && strcmp(k, "usage"))
                return pcs_err_set(err, PCS_EINVAL, 0, 0,
                                   "%s: unknown key (a fragment has customers, associations, usage)", k);
            if (!json_is_array(v) && !json_is_null(v))
                return pcs_err_set(err, PCS_EINVAL, 0, 0, "%s: expected an array", k);
            if (json_is_array(v))
                json_array_extend(array_member(doc, k), v);
        }
    }
    return 0;
}

json_t *pcs_insight_simulate(pcs_insight_t *in, const json_t *changes, pcs_err_t *err)
{
    json_t *sim_doc = json_deep_copy(in->doc), *cur = NULL, *sim = NULL, *out = NULL;
    if (!sim_doc)
        return oom(err);
    if (pcs_insight_apply_changes(in->rules, sim_doc, changes, in->day, err) == 0 &&
        (cur = pcs_insight_score(in, NULL, in->day, false, err)) &&
        (sim = pcs_insight_score(in, sim_doc, in->day, false, err)) &&
        !(out = json_pack("{s:O, s:O}", "current", cur, "simulated", sim)))
        oom(err);
    json_decref(cur);
    json_decref(sim);
    json_decref(sim_doc);
    return out;
}

/* ---- events in words ------------------------------------------------------------------------------ */

char *pcs_insight_event_text(const pcs_rules_t *rules, const json_t *ev)
{
    const json_t *p = json_object_get(ev, "payload");
    const char *type = str(ev, "event"), *area = pcs_words_area(str(ev, "area"));
    char buf[1024], n1[32], n2[32];
    pcs_words_points(num(p, "total_before"), n1, sizeof n1);
    pcs_words_points(num(p, "total_after"), n2, sizeof n2);
    const char *lost = json_is_true(json_object_get(p, "area_becomes_unqualified")) ? ", no longer qualified" : "";
    if (!strcmp(type, "cert_expiring")) {
        snprintf(buf, sizeof buf, "%s's %s is valid until %s (%lld days): %s %s -> %s%s", str(p, "person_id"),
                 pcs_words_cert(rules, str(p, "cert")), str(p, "last_valid_day"),
                 (long long)json_integer_value(json_object_get(p, "days_left")), area, n1, n2, lost);
    } else if (!strcmp(type, "certs_expiring_combined")) {
        snprintf(buf, sizeof buf, "%zu certifications end within 60 days (together): %s %s -> %s%s",
                 json_array_size(json_object_get(p, "certs")), area, n1, n2, lost);
    } else if (!strcmp(type, "nca_at_risk")) {
        size_t nt = json_array_size(json_object_get(p, "tenants"));
        snprintf(buf, sizeof buf, "net customer adds fall from %g to %g next month (%zu customer%s the comparison): %s "
                 "%s -> %s%s", num(p, "units_now"), num(p, "projected_units"), nt,
                 nt == 1 ? " enters or leaves" : "s enter or leave", area, n1, n2, lost);
    } else if (!strcmp(type, "metric_zero_blocking")) {
        size_t i, n = 0;
        json_t *m;
        n += (size_t)snprintf(buf, sizeof buf, "%s has %s points but cannot qualify: ", area,
                              pcs_words_points(num(p, "total"), n1, sizeof n1));
        json_array_foreach(json_object_get(p, "metrics"), i, m) {
            if (n >= sizeof buf - 1)
                break;
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s is at zero", i ? ", " : "", pcs_words_metric(str(m, "metric")));
        }
    } else if (!strcmp(type, "near_threshold")) {
        snprintf(buf, sizeof buf, "%s is %s points short of 70", area, pcs_words_points(num(p, "gap"), n1, sizeof n1));
    } else if (!strcmp(type, "renewal_reminder") || !strcmp(type, "designation_at_risk")) {
        snprintf(buf, sizeof buf, "%s anniversary %s in %lld days, not qualified in the renewal window yet (score %s)%s",
                 area, str(p, "anniversary"), (long long)json_integer_value(json_object_get(p, "days_left")),
                 pcs_words_points(num(p, "total"), n1, sizeof n1),
                 !strcmp(type, "designation_at_risk") ? ": the designation is at risk" : "");
    } else if (!strcmp(type, "other_track_qualifies")) {
        snprintf(buf, sizeof buf, "%s: the %s track qualifies with %s while the %s track (%s) is reported", area,
                 pcs_words_track(str(p, "other_track")), pcs_words_points(num(p, "other_total"), n1, sizeof n1),
                 pcs_words_track(str(p, "track")), pcs_words_points(num(p, "total"), n2, sizeof n2));
    } else if (!strcmp(type, "newly_qualified")) {
        snprintf(buf, sizeof buf, "%s newly qualified", area);
    } else {
        snprintf(buf, sizeof buf, "%s: %s", area, type);
    }
    return strdup(buf);
}

/* ---- recommend ------------------------------------------------------------------------------------ */

/* The document with n new people holding certification cert (earned on day, for a year). */
static json_t *with_people(const json_t *doc, const char *cert, int n, int32_t day)
{
    json_t *d = json_deep_copy(doc);
    json_t *people = array_member(d, "people");
    char e1[11], e2[11];
    pcs_day_format(day, e1);
    pcs_day_format(pcs_day_add_years(day, 1), e2);
    for (int i = 0; i < n; i++) {
        char id[64];
        snprintf(id, sizeof id, "new-person-%d", i + 1);
        json_array_append_new(people, json_pack("{s:s, s:[{s:s, s:s, s:s}]}", "person_id", id, "certifications", "name",
                                                cert, "earned", e1, "expires", e2));
    }
    return d;
}

/* The effects of sim against cur per area: [{area, score_before, score_after, qualified_before,
 * qualifies}] for the areas whose score rises; *gain the sum of the rises. */
static json_t *effects(const json_t *cur, const json_t *sim, double *gain)
{
    json_t *out = json_array();
    *gain = 0;
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(sim, "areas"), i, a) {
        json_t *b = find_by(json_object_get(cur, "areas"), "area", str(a, "area"));
        double before = num(b, "score"), after = num(a, "score");
        if (after > before + 0.005) {
            *gain += after - before;
            json_array_append_new(out, json_pack("{s:s, s:f, s:f, s:b, s:b}", "area", str(a, "area"), "score_before",
                                                 before, "score_after", after, "qualifies",
                                                 json_is_true(json_object_get(a, "qualified")), "qualified_before",
                                                 json_is_true(json_object_get(b, "qualified"))));
        }
    }
    return out;
}

static bool changes_qualification(const json_t *action)
{
    size_t k;
    json_t *e;
    json_array_foreach(json_object_get(action, "effects"), k, e) {
        if (json_is_true(json_object_get(e, "qualifies")) != json_is_true(json_object_get(e, "qualified_before")))
            return true;
    }
    return false;
}

/* Ranking: an action that wins or keeps a designation first; then renewals due within 60 days
 * (soonest first); then points per person. */
static int rank_cmp(const json_t *x, const json_t *y)
{
    bool qx = changes_qualification(x), qy = changes_qualification(y);
    if (qx != qy)
        return qx ? -1 : 1;
    bool rx = !strcmp(str(x, "kind"), "renew"), ry = !strcmp(str(y, "kind"), "renew");
    if (rx != ry)
        return rx ? -1 : 1;
    if (rx) {
        json_int_t dx = json_integer_value(json_object_get(x, "days_left")), dy = json_integer_value(json_object_get(y, "days_left"));
        if (dx != dy)
            return dx < dy ? -1 : 1;
    }
    double vx = num(x, "points") / (double)json_integer_value(json_object_get(x, "people"));
    double vy = num(y, "points") / (double)json_integer_value(json_object_get(y, "people"));
    return vx > vy + 1e-9 ? -1 : vy > vx + 1e-9 ? 1 : 0;
}

/* Renewals: each certification the result says expires within 60 days and costs points. The effect
 * of renewing is the score kept: total_after -> total_before. */
static void add_renewals(const pcs_insight_t *in, const json_t *cur, json_t *actions)
{
    size_t i, k;
    json_t *a, *ev;
    json_array_foreach(json_object_get(cur, "areas"), i, a) {
        json_array_foreach(json_object_get(a, "events"), k, ev) {
            if (strcmp(str(ev, "event"), "cert_expiring"))
                continue;
            const json_t *p = json_object_get(ev, "payload");
            const char *person = str(p, "person_id"), *cert = str(p, "cert");
            int32_t last;
            if (pcs_day_parse(str(p, "last_valid_day"), &last) < 0)
                continue;
            /* one action per (person, certification): several areas add their effects to it */
            json_t *act = NULL, *x;
            size_t j;
            json_array_foreach(actions, j, x) {
                if (!strcmp(str(x, "kind"), "renew") && !strcmp(str(x, "person_id"), person) && !strcmp(str(x, "certification"), cert))
                    act = x;
            }
            if (!act) {
                char text[512], d[11];
                snprintf(text, sizeof text, "renew %s's %s by %s (its last valid day)", person,
                         pcs_words_cert(in->rules, cert), pcs_day_format(last, d));
                act = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:I, s:f, s:[]}", "kind", "renew", "action", text,
                                "certification", cert, "certification_name", pcs_words_cert(in->rules, cert), "person_id",
                                person, "people", 1, "deadline", d, "days_left",
                                (json_int_t)json_integer_value(json_object_get(p, "days_left")), "points", 0.0, "effects");
                json_array_append_new(actions, act);
            }
            double before = num(p, "total_after"), after = num(p, "total_before");
            json_object_set_new(act, "points", json_real(num(act, "points") + (after - before)));
            json_array_append_new(json_object_get(act, "effects"),
                                  json_pack("{s:s, s:f, s:f, s:b, s:b}", "area", str(a, "area"), "score_before", before,
                                            "score_after", after, "qualifies", json_is_true(json_object_get(a, "qualified")),
                                            "qualified_before",
                                            !json_is_true(json_object_get(p, "area_becomes_unqualified")) &&
                                                json_is_true(json_object_get(a, "qualified"))));
        }
    }
}

json_t *pcs_insight_recommend(pcs_insight_t *in, pcs_err_t *err)
{
    json_t *cur = pcs_insight_score(in, NULL, in->day, false, err);
    if (!cur)
        return NULL;
    const pcs_rules_t *R = in->rules;
    json_t *actions = json_array();
    add_renewals(in, cur, actions);
    /* candidates: 1..3 more people with each catalogue certification that some skilling step of an
     * area counts; each is simulated and kept when it adds points over the previous count */
    for (int ci = 0; ci < R->n_certs; ci++) {
        bool used = false;
        for (int a = 0; a < PCS_AREA_N && !used; a++)
            for (int t = 0; t < PCS_TRACK_N && !used; t++)
                for (int k = PCS_M_INTERMEDIATE; k <= PCS_M_ADVANCED && !used; k++) {
                    const pcs_metric_t *m = R->areas[a].metrics[t][k];
                    for (int s = 0; m && s < m->n_steps && !used; s++)
                        used = m->steps[s].certs.w[ci / 64] >> (ci % 64) & 1;
                }
        if (!used || R->certs[ci].retired_on != PCS_DAY_NONE)
            continue;
        double best_gain = 0;
        for (int n = 1; n <= 3; n++) {
            json_t *d = with_people(in->doc, R->certs[ci].id, n, in->day);
            json_t *sim = d ? pcs_insight_score(in, d, in->day, false, err) : NULL;
            json_decref(d);
            if (!sim)
                continue;
            double gain;
            json_t *eff = effects(cur, sim, &gain);
            json_decref(sim);
            if (gain > best_gain + 0.005) {
                best_gain = gain;
                char text[512];
                snprintf(text, sizeof text, "certify %d more %s in %s", n, n == 1 ? "person" : "people", R->certs[ci].name);
                json_array_append_new(actions, json_pack("{s:s, s:s, s:s, s:s, s:i, s:f, s:o}", "kind", "certify", "action",
                                                         text, "certification", R->certs[ci].id, "certification_name",
                                                         R->certs[ci].name, "people", n, "points", gain, "effects", eff));
            } else {
                json_decref(eff);
            }
        }
    }
    size_t na = json_array_size(actions);
    for (size_t i = 1; i < na; i++)   /* stable insertion sort */
        for (size_t j = i; j > 0 && rank_cmp(json_array_get(actions, j), json_array_get(actions, j - 1)) < 0; j--) {
            json_t *x = json_incref(json_array_get(actions, j - 1));
            json_array_set(actions, j - 1, json_array_get(actions, j));
            json_array_set_new(actions, j, x);
        }
    json_t *risks = json_array();
    size_t i, k;
    json_t *a, *ev;
    json_array_foreach(json_object_get(cur, "areas"), i, a) {
        json_array_foreach(json_object_get(a, "events"), k, ev) {
            json_t *x = json_deep_copy(ev);
            char *t = pcs_insight_event_text(R, ev);
            json_object_set_new(x, "text", json_string(t ? t : ""));
            free(t);
            json_array_append_new(risks, x);
        }
    }
    json_t *out = json_pack("{s:s, s:O, s:o, s:o}", "partner_id", in->partner, "as_of", json_object_get(cur, "as_of"),
                            "actions", actions, "at_risk", risks);
    json_decref(cur);
    return out ? out : oom(err);
}

/* ---- forecast ------------------------------------------------------------------------------------- */

/* The document with the usage of the partner's latest data month carried forward to data month `to`
 * (no new data: usage stays as it was, so only what is known changes the score). A tenant without
 * usage in that month stays without: the past is never changed, so the first day scores as today. */
static json_t *carried(const json_t *doc, int32_t to)
{
    json_t *d = json_deep_copy(doc), *usage = array_member(d, "usage"), *add = json_array();
    int32_t latest = -1;
    size_t i;
    json_t *u;
    json_array_foreach(usage, i, u) {
        int32_t m;
        if (pcs_month_parse(str(u, "month"), &m) == 0 && m > latest)
            latest = m;
    }
    json_array_foreach(usage, i, u) {
        int32_t m;
        if (pcs_month_parse(str(u, "month"), &m) < 0 || m != latest)
            continue;
        for (int32_t x = m + 1; x <= to; x++) {
            json_t *row = json_deep_copy(u);
            char mb[8];
            json_object_set_new(row, "month", json_string(pcs_month_format(x, mb)));
            json_array_append_new(add, row);
        }
    }
    json_array_extend(usage, add);
    json_decref(add);
    return d;
}

#define FORECAST_DAYS 512

typedef struct fday {
    int32_t day;
    char reason[160];
} fday_t;

static int fday_cmp(const void *a, const void *b)
{
    int32_t x = ((const fday_t *)a)->day, y = ((const fday_t *)b)->day;
    return x < y ? -1 : x > y;
}

json_t *pcs_insight_forecast(pcs_insight_t *in, int32_t until, pcs_err_t *err)
{
    if (until < in->day) {
        pcs_err_set(err, PCS_EINVAL, 0, 0, "until: before the first day");
        return NULL;
    }
    /* the days that can change a score: the first of each month, the day after a certification's
     * last valid day, and each enrollment anniversary */
    fday_t *days = calloc(FORECAST_DAYS, sizeof *days);
    if (!days)
        return oom(err);
    int n = 0;
    days[n++] = (fday_t){in->day, "today"};
    for (int32_t m = pcs_month_of_day(in->day) + 1; m <= pcs_month_of_day(until) && n < 200; m++) {
        days[n].day = pcs_month_first_day(m);
        snprintf(days[n++].reason, sizeof days->reason, "a new data month (usage carried forward)");
    }
    size_t i, k;
    json_t *p, *ce;
    json_array_foreach(json_object_get(in->doc, "people"), i, p) {
        json_array_foreach(json_object_get(p, "certifications"), k, ce) {
            int32_t x;
            if (json_is_string(json_object_get(ce, "expires")) && pcs_day_parse(str(ce, "expires"), &x) == 0 &&
                x + 1 > in->day && x + 1 <= until && n < FORECAST_DAYS - 20) {
                days[n].day = x + 1;
                snprintf(days[n++].reason, sizeof days->reason, "%s's %s ended %s", str(p, "person_id"),
                         pcs_words_cert(in->rules, str(ce, "name")), str(ce, "expires"));
            }
        }
    }
    json_array_foreach(json_object_get(in->doc, "enrollments"), i, p) {
        int32_t x;
        if (pcs_day_parse(str(p, "anniversary"), &x) == 0 && x > in->day && x <= until && n < FORECAST_DAYS) {
            days[n].day = x;
            snprintf(days[n++].reason, sizeof days->reason, "%s anniversary", pcs_words_area(str(p, "area")));
        }
    }
    qsort(days + 1, (size_t)n - 1, sizeof *days, fday_cmp);
    json_t *doc = carried(in->doc, pcs_month_of_day(until) - 1);
    json_t *rows = json_array(), *prev = NULL;
    for (int d = 0; d < n && doc; d++) {
        if (d && days[d].day == days[d - 1].day)
            continue;
        json_t *res = pcs_insight_score(in, doc, days[d].day, false, err);
        if (!res) {
            json_decref(rows);
            rows = NULL;
            break;
        }
        json_t *a;
        json_array_foreach(json_object_get(res, "areas"), i, a) {
            json_t *b = prev ? find_by(json_object_get(prev, "areas"), "area", str(a, "area")) : NULL;
            /* a row when something changed (and the first day) */
            if (b && fabs(num(a, "score") - num(b, "score")) < 0.005 &&
                json_equal(json_object_get(a, "qualified"), json_object_get(b, "qualified")) &&
                !strcmp(str(a, "status"), str(b, "status")))
                continue;
            char day[11];
            json_t *row = json_pack("{s:s, s:s, s:s, s:O, s:O, s:s}", "date", pcs_day_format(days[d].day, day), "area",
                                    str(a, "area"), "track", str(a, "track"), "score", json_object_get(a, "score"),
                                    "qualified", json_object_get(a, "qualified"), "status", str(a, "status"));
            if (b) {   /* what happened that day (the several causes of one day: the first known) */
                const char *why = days[d].reason;
                for (int e = d; e < n && days[e].day == days[d].day; e++)
                    if (strstr(days[e].reason, "ended"))
                        why = days[e].reason;
                json_object_set_new(row, "reason", json_string(why));
            }
            json_array_append_new(rows, row);
        }
        json_decref(prev);
        prev = res;
    }
    json_decref(prev);
    json_decref(doc);
    free(days);
    return rows;
}
