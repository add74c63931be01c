#include "pcs_result_json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pcs_date.h"

/* Integral values print as integers ("30", not "30.0"); readers compare numerically. */
static json_t *num(double x)
{
    if (x == 0)
        x = 0;   /* no "-0" */
    if (fabs(x) < 1e15 && x == floor(x))
        return json_integer((json_int_t)x);
    return json_real(x);
}

static json_t *r2(double x)
{
    return num(pcs_round2(x));
}

static json_t *day(int32_t d)
{
    char b[11];
    return d == INT32_MAX ? json_null() : json_string(pcs_day_format(d, b));
}

static json_t *month(int32_t m)
{
    char b[8];
    return json_string(pcs_month_format(m, b));
}

static json_t *sub_array(const pcs_metric_result_t *m)
{
    json_t *arr = json_array();
    for (int i = 0; i < m->n_subs; i++) {
        const pcs_sub_result_t *s = &m->subs[i];
        json_t *o = json_pack("{s:s, s:o, s:o}", "name", s->name ? s->name : "", "units", num(s->units), "points",
                              r2(s->points));
        if (o && s->prerequisite_failed)
            json_object_set_new(o, "prerequisite_failed", json_string(s->prerequisite_failed));
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *track_json(const pcs_rules_t *R, int area, int t, const pcs_track_result_t *tr)
{
    json_t *ms = json_array();
    for (int k = 0; k < PCS_METRIC_N; k++) {
        const pcs_metric_result_t *m = &tr->m[k];
        json_t *o = json_pack("{s:s, s:b}", "metric", pcs_metric_ids[k], "applicable", m->applicable);
        if (m->applicable) {
            json_object_set_new(o, "max", num(m->max));
            json_object_set_new(o, "units", num(m->units));
            json_object_set_new(o, "points", r2(m->points));
            if (m->prerequisite_failed)
                json_object_set_new(o, "prerequisite_failed", json_string(m->prerequisite_failed));
            const pcs_metric_t *rm = R->areas[area].metrics[t][k];
            if (rm && rm->kind == PCS_K_PARTS)
                json_object_set_new(o, "parts", sub_array(m));
            if (rm && rm->kind == PCS_K_OPTIONS) {
                json_object_set_new(o, "options", sub_array(m));
                json_object_set_new(o, "winner", json_string(m->subs[m->winner].name));
            }
        }
        json_array_append_new(ms, o);
    }
    return json_pack("{s:s, s:o, s:b, s:o}", "track", pcs_track_ids[t], "total", r2(tr->total), "qualified",
                     tr->qualified, "metrics", ms);
}

static json_t *metrics_contract(const pcs_track_result_t *tr)
{
    json_t *ms = json_array();
    for (int k = 0; k < PCS_METRIC_N; k++) {
        const pcs_metric_result_t *m = &tr->m[k];
        if (!m->applicable)
            continue;
        json_array_append_new(ms, json_pack("{s:s, s:o, s:o, s:o}", "metric", pcs_metric_ids[k], "value",
                                            num(m->units), "points", r2(m->points), "max", num(m->max)));
    }
    return ms;
}

static const char *const status_ids[3] = {"met", "not_met", "no_effect"};

static void pred_text(const pcs_pred_t *p, char *buf, size_t n, int32_t cur)
{
    static const char *const fields[] = {"ACR", "revenue", "MCV", "paid units", "active units"};
    static const char *const ops[] = {"", ">=", ">", "<=", "<"};
    bool money = p->field == PCS_F_ACR || p->field == PCS_F_REVENUE || p->field == PCS_F_MCV;
    double k = money ? 100.0 : 1.0;
    const char *u = money ? "USD " : "";
    char m1[8], m0[8];
    pcs_month_format(cur, m1);
    pcs_month_format(cur - 1, m0);
    switch (p->kind) {
    case PCS_P_MONTH_SUM_ANY2:
        snprintf(buf, n, "credited %s %s %s%.2f in %s or %s", fields[p->field], ops[p->lo_op], u, (double)p->lo / k,
                 m0, m1);
        break;
    case PCS_P_MONTH_SUM:
        snprintf(buf, n, "credited %s %s %s%.2f in %s", fields[p->field], ops[p->lo_op], u, (double)p->lo / k, m1);
        break;
    case PCS_P_TTM_RANGE:
        if (p->hi_op == PCS_OP_NONE)
            snprintf(buf, n, "credited %s over the 12 months to %s %s %s%.2f", fields[p->field], m1, ops[p->lo_op],
                     u, (double)p->lo / k);
        else
            snprintf(buf, n, "credited %s over the 12 months to %s %s %s%.2f and %s %s%.2f", fields[p->field], m1,
                     ops[p->lo_op], u, (double)p->lo / k, ops[p->hi_op], u, (double)p->hi / k);
        break;
    case PCS_P_SEAT_BAND:
        if (p->hi_op == PCS_OP_NONE)
            snprintf(buf, n, "a credited workload with >= %lld paid seats in %s", (long long)p->lo, m1);
        else
            snprintf(buf, n, "a credited workload with %lld..%lld paid seats in %s", (long long)p->lo,
                     (long long)p->hi, m1);
        break;
    case PCS_P_ACTIVE_RATIO:
        snprintf(buf, n, "active / paid >= %lld %% in %s", (long long)p->pct, m1);
        break;
    }
}

static json_t *criterion(const pcs_rules_t *R, const pcs_elig_row_t *row, int32_t M)
{
    const pcs_metric_t *m = R->areas[row->area].metrics[row->track][row->metric];
    if (m && row->sub >= 0)
        m = &m->subs[row->sub];
    char buf[256] = "";
    if (!m)
        return json_string("");
    if (row->prerequisite) {
        snprintf(buf, sizeof buf, "prerequisite failed: %s", row->prerequisite);
    } else if (m->kind == PCS_K_NET_COUNT) {
        pred_text(&m->preds[0], buf, sizeof buf, M);
        if (m->n_preds > 1) {
            size_t l = strlen(buf);
            snprintf(buf + l, sizeof buf - l, " and %d more condition%s", m->n_preds - 1, m->n_preds > 2 ? "s" : "");
        }
    } else if (m->kind == PCS_K_DISTINCT) {
        snprintf(buf, sizeof buf, "workloads with credited ACR > 0 over the 12 months to the data month");
    } else if (m->kind == PCS_K_GROWTH) {
        snprintf(buf, sizeof buf, "share of the credited %s (current vs comparison period)",
                 m->measure_ttm ? "12-month total" : "month");
    }
    return json_string(buf);
}

static json_t *elig_json(const pcs_rules_t *R, const pcs_result_t *res, const pcs_elig_row_t *row)
{
    const pcs_metric_t *m = R->areas[row->area].metrics[row->track][row->metric];
    const char *sub = row->sub >= 0 && m ? m->subs[row->sub].name : NULL;
    bool is_part = m && m->kind == PCS_K_PARTS;
    json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:o}", "area",
                          pcs_area_ids[row->area], "track", pcs_track_ids[row->track], "metric",
                          pcs_metric_ids[row->metric], "part", is_part && sub ? json_string(sub) : json_null(),
                          "option", !is_part && sub ? json_string(sub) : json_null(), "tenant_id",
                          row->tenant >= 0 ? json_string(res->tenant_ids[row->tenant]) : json_null(),
                          "customer_id",
                          row->tenant >= 0 && res->customer_of_tenant[row->tenant]
                              ? json_string(res->customer_of_tenant[row->tenant])
                              : json_null(),
                          "status", status_ids[row->status], "effect", num(row->effect), "current_value",
                          num(row->current), "comparison_value", num(row->comparison), "criterion",
                          criterion(R, row, res->data_month));
    if (o && row->excluded_already_deployed)
        json_object_set_new(o, "excluded_already_deployed", json_true());
    if (o && row->prerequisite)
        json_object_set_new(o, "prerequisite_failed", json_string(row->prerequisite));
    return o;
}

static json_t *skill_json(const pcs_rules_t *R, const pcs_result_t *res, const pcs_skill_row_t *row)
{
    json_t *certs = json_array();
    for (int c = 0; c < R->n_certs; c++)
        if (row->counted_certs.w[c / 64] >> (c % 64) & 1)
            json_array_append_new(certs, json_string(R->certs[c].id));
    return json_pack("{s:s, s:s, s:s, s:i, s:s, s:o, s:b}", "area", pcs_area_ids[row->area], "track",
                     pcs_track_ids[row->track], "metric", pcs_metric_ids[row->metric], "step", row->step + 1,
                     "person_id", res->person_ids[row->person], "certs_counted", certs, "counted", row->counted);
}

static json_t *zero_metrics(const pcs_track_result_t *tr)
{
    json_t *z = json_array();
    for (int k = 0; k < PCS_METRIC_N; k++)
        if (tr->m[k].applicable && tr->m[k].points <= 1e-9)
            json_array_append_new(z, json_string(pcs_metric_ids[k]));
    return z;
}

static json_t *event_json(const pcs_rules_t *R, const pcs_result_t *res, const pcs_area_result_t *ar,
                          const pcs_event_t *ev)
{
    const pcs_track_result_t *sel = &ar->tracks[ar->selected];
    json_t *p = json_object();
    switch (ev->type) {
    case PCS_EV_CERT_EXPIRING:
        json_object_set_new(p, "person_id", json_string(res->person_ids[ev->person]));
        json_object_set_new(p, "cert", json_string(R->certs[ev->cert].id));
        json_object_set_new(p, "last_valid_day", day(ev->day));
        json_object_set_new(p, "days_left", json_integer(ev->days_left));
        json_object_set_new(p, "metric", ev->metric >= 0 ? json_string(pcs_metric_ids[ev->metric]) : json_null());
        json_object_set_new(p, "points_before", r2(ev->points_now));
        json_object_set_new(p, "points_after", r2(ev->points_after));
        break;
    case PCS_EV_CERTS_EXPIRING_COMBINED: {
        json_t *certs = json_array();
        for (int i = 0; i < ev->n_items; i++) {
            const pcs_event_item_t *it = &res->items[ev->first_item + i];
            json_array_append_new(certs, json_pack("{s:s, s:s, s:i, s:o}", "person_id", res->person_ids[it->cert.person],
                                                   "cert", R->certs[it->cert.cert].id, "days_left", it->cert.days_left,
                                                   "last_valid_day", day(it->cert.last_valid_day)));
        }
        json_object_set_new(p, "certs", certs);
        break;
    }
    case PCS_EV_NCA_AT_RISK: {
        json_object_set_new(p, "units_now", num(ev->units_now));
        json_object_set_new(p, "points_now", r2(ev->points_now));
        json_object_set_new(p, "projected_units", num(ev->units_after));
        json_object_set_new(p, "projected_points", r2(ev->points_after));
        json_t *ts = json_array();
        for (int i = 0; i < ev->n_items; i++) {
            const pcs_event_item_t *it = &res->items[ev->first_item + i];
            json_array_append_new(ts, json_pack("{s:s, s:s, s:o, s:o}", "tenant_id", res->tenant_ids[it->tenant.tenant],
                                                "reason", it->tenant.reason == PCS_NCA_ENTERS_COMPARISON
                                                              ? "enters_comparison_window"
                                                              : "leaves_current_window",
                                                "effect_now", num(it->tenant.effect_now), "effect_projected",
                                                num(it->tenant.effect_projected)));
        }
        json_object_set_new(p, "tenants", ts);
        break;
    }
    case PCS_EV_METRIC_ZERO_BLOCKING: {
        json_t *ms = json_array();
        for (int i = 0; i < ev->n_items; i++) {
            const pcs_event_item_t *it = &res->items[ev->first_item + i];
            json_array_append_new(ms, json_pack("{s:s, s:o, s:o}", "metric", pcs_metric_ids[it->metric.metric], "units",
                                                num(it->metric.units), "units_needed",
                                                it->metric.units_needed >= 0 ? num(it->metric.units_needed)
                                                                             : json_null()));
        }
        json_object_set_new(p, "metrics", ms);
        json_object_set_new(p, "total", r2(ev->total_before));
        break;
    }
    case PCS_EV_NEAR_THRESHOLD: {
        json_object_set_new(p, "total", r2(ev->total_before));
        json_object_set_new(p, "gap", r2(70 - ev->total_before));
        json_t *h = json_object();
        for (int k = 0; k < PCS_METRIC_N; k++)
            if (sel->m[k].applicable)
                json_object_set_new(h, pcs_metric_ids[k], r2(sel->m[k].max - sel->m[k].points));
        json_object_set_new(p, "headroom", h);
        json_object_set_new(p, "zero_metrics", zero_metrics(sel));
        break;
    }
    case PCS_EV_RENEWAL_REMINDER:
        json_object_set_new(p, "anniversary", day(ev->day));
        json_object_set_new(p, "days_left", json_integer(ev->days_left));
        json_object_set_new(p, "threshold", json_integer(ev->threshold));
        json_object_set_new(p, "window", json_pack("{s:o, s:o}", "start", day(ar->window_start), "end",
                                                    day(ar->window_end)));
        json_object_set_new(p, "total", r2(ev->total_before));
        break;
    case PCS_EV_DESIGNATION_AT_RISK: {
        json_object_set_new(p, "anniversary", day(ev->day));
        json_object_set_new(p, "days_left", json_integer(ev->days_left));
        json_object_set_new(p, "total", r2(ev->total_before));
        json_t *reasons = json_array();
        if (ev->total_before < 70 - 1e-9)
            json_array_append_new(reasons, json_string("below_70"));
        for (int k = 0; k < PCS_METRIC_N; k++)
            if (sel->m[k].applicable && sel->m[k].points <= 1e-9) {
                char b[64];
                snprintf(b, sizeof b, "zero:%s", pcs_metric_ids[k]);
                json_array_append_new(reasons, json_string(b));
            }
        json_object_set_new(p, "reasons", reasons);
        break;
    }
    case PCS_EV_OTHER_TRACK_QUALIFIES:
        json_object_set_new(p, "track", json_string(pcs_track_ids[ar->selected]));
        json_object_set_new(p, "total", r2(ev->total_before));
        json_object_set_new(p, "other_track", json_string(pcs_track_ids[ev->other_track]));
        json_object_set_new(p, "other_total", r2(ev->total_after));
        json_object_set_new(p, "blocking_metrics", zero_metrics(sel));
        break;
    default:
        break;
    }
    if (ev->type == PCS_EV_CERT_EXPIRING || ev->type == PCS_EV_CERTS_EXPIRING_COMBINED ||
        ev->type == PCS_EV_NCA_AT_RISK) {
        json_object_set_new(p, "total_before", r2(ev->total_before));
        json_object_set_new(p, "total_after", r2(ev->total_after));
        json_object_set_new(p, "area_becomes_unqualified", json_boolean(ev->becomes_unqualified));
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:o}", "event", pcs_event_ids[ev->type], "partner_id",
                     res->partner_id, "area", pcs_area_ids[ev->area], "track", pcs_track_ids[ev->track], "as_of",
                     day(res->as_of), "severity", pcs_severity_ids[ev->severity], "dedup_key", ev->dedup_key,
                     "payload", p);
}

static json_t *area_json(const pcs_rules_t *R, const pcs_result_t *res, const pcs_area_result_t *ar, bool explain)
{
    const pcs_track_result_t *sel = &ar->tracks[ar->selected];
    json_t *alts = json_array(), *tracks = json_array();
    for (int t = 0; t < PCS_TRACK_N; t++) {
        if (!ar->tracks[t].evaluated)
            continue;
        json_array_append_new(tracks, track_json(R, ar->area, t, &ar->tracks[t]));
        if (t != ar->selected)
            json_array_append_new(alts, json_pack("{s:s, s:o, s:b}", "track", pcs_track_ids[t], "score",
                                                  r2(ar->tracks[t].total), "qualified", ar->tracks[t].qualified));
    }
    json_t *o = json_pack("{s:s, s:s, s:o, s:b, s:s, s:o, s:o}", "area", pcs_area_ids[ar->area], "track",
                          pcs_track_ids[ar->selected], "score", r2(ar->total), "qualified", ar->qualified_now, "status",
                          pcs_status_ids[ar->status], "metrics", metrics_contract(sel), "alternatives", alts);
    if (!o)
        return NULL;
    json_object_set_new(o, "qualified_now", json_boolean(ar->qualified_now));
    json_object_set_new(o, "window", json_pack("{s:o, s:o}", "start", day(ar->window_start), "end", day(ar->window_end)));
    json_object_set_new(o, "qualified_in_window", json_boolean(ar->qualified_in_window));
    if (ar->status == PCS_ST_RENEWAL_DUE)
        json_object_set_new(o, "can_renew", json_boolean(ar->can_renew));
    if (ar->has_enrollment)
        json_object_set_new(o, "anniversary", day(ar->anniversary));
    json_object_set_new(o, "auto_enroll_eligible", json_boolean(ar->auto_enroll_eligible));
    json_object_set_new(o, "tracks", tracks);
    json_t *hist = json_array();
    for (int i = 0; i < 6 && ar->history[i].as_of; i++) {
        const pcs_history_row_t *h = &ar->history[i];
        json_array_append_new(hist, json_pack("{s:o, s:o, s:o, s:s, s:b}", "month", month(h->month), "as_of",
                                              day(h->as_of), "score", r2(h->total), "track", pcs_track_ids[h->track],
                                              "qualified", h->qualified));
    }
    json_object_set_new(o, "history", hist);
    json_t *evs = json_array();
    for (int i = 0; i < ar->n_events; i++)
        json_array_append_new(evs, event_json(R, res, ar, &res->events[ar->first_event + i]));
    json_object_set_new(o, "events", evs);
    if (explain) {
        json_t *el = json_array(), *sk = json_array();
        for (int i = 0; i < ar->n_elig; i++)
            json_array_append_new(el, elig_json(R, res, &res->elig[ar->first_elig + i]));
        for (int i = 0; i < ar->n_skill; i++)
            json_array_append_new(sk, skill_json(R, res, &res->skill[ar->first_skill + i]));
        json_object_set_new(o, "eligibility", el);
        json_object_set_new(o, "skilling", sk);
    }
    return o;
}

json_t *pcs_result_to_json(const pcs_rules_t *R, const pcs_result_t *res, bool explain)
{
    json_t *areas = json_array(), *warnings = json_array();
    for (int a = 0; a < PCS_AREA_N; a++)
        if (res->areas[a].scored)
            json_array_append_new(areas, area_json(R, res, &res->areas[a], explain));
    for (int i = 0; i < res->n_warnings; i++)
        json_array_append_new(warnings, json_string(res->warnings[i]));
    return json_pack("{s:s, s:o, s:o, s:s, s:o, s:o}", "partner_id", res->partner_id, "as_of", day(res->as_of),
                     "data_month", month(res->data_month), "rules", res->rules, "areas", areas, "warnings", warnings);
}
