/* pcs_area: one area of one partner: tracks (§7), qualification (§5), status and windows (§11.1,
 * §11.2), history (§11.3) and events (§13). */
#include "pcs_area.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_date.h"

static const int usage_metrics[3] = {PCS_M_NCA, PCS_M_USAGE_GROWTH, PCS_M_DEPLOYMENTS};

static void usage_part(pcs_engine_t *e, int a, int t, int32_t Md, pcs_track_result_t *tr, bool explain)
{
    const pcs_area_rules_t *ar = &e->r->areas[a];
    for (int i = 0; i < 3; i++) {
        int k = usage_metrics[i];
        const pcs_metric_t *m = ar->metrics[t][k];
        if (m)
            pcs_metric_usage(e, a, t, k, m, Md, false, &tr->m[k], explain);
        else
            memset(&tr->m[k], 0, sizeof tr->m[k]);
    }
}

/* Skilling from the validity sets currently in e->pv. */
static void skill_part(pcs_engine_t *e, int a, int t, pcs_track_result_t *tr, bool explain)
{
    for (int k = PCS_M_INTERMEDIATE; k <= PCS_M_ADVANCED; k++) {
        const pcs_metric_t *m = e->r->areas[a].metrics[t][k];
        if (m)
            pcs_metric_skill(e, a, t, k, m, &tr->m[k], explain);
        else
            memset(&tr->m[k], 0, sizeof tr->m[k]);
    }
}

/* Total and qualification (§5) of the metrics m[0..PCS_METRIC_N) into tr. */
static void finish_with(pcs_track_result_t *tr, const pcs_metric_result_t *const m[PCS_METRIC_N])
{
    double total = 0;
    bool all = true;
    for (int k = 0; k < PCS_METRIC_N; k++) {
        if (!m[k]->applicable)
            continue;
        total += m[k]->points;
        all = all && m[k]->points > EPS;
    }
    tr->total = total;
    tr->qualified = total >= 70 - EPS && all;
}

static void finish(pcs_track_result_t *tr)
{
    const pcs_metric_result_t *m[PCS_METRIC_N];
    for (int k = 0; k < PCS_METRIC_N; k++)
        m[k] = &tr->m[k];
    finish_with(tr, m);
}

/* n cleared flags in the engine's scratch buffer (classification runs for every evaluated day, so
 * it must not allocate). */
static unsigned char *marks(pcs_engine_t *e, int n)
{
    if (GROW(e, e->marks, e->cap_marks, n + 1) < 0)
        return NULL;
    memset(e->marks, 0, (size_t)n + 1);
    return e->marks;
}

/* The large_workloads rule's test of a row's amount (§7). */
static bool large_amount(const pcs_area_rules_t *ar, const row_t *r)
{
    int64_t v = ar->field == PCS_F_REVENUE ? r->rev : ar->field == PCS_F_ACR ? r->acr : r->paid;
    return ar->op == PCS_OP_GT ? v > ar->value : v >= ar->value;
}

/* The large_workloads rule (§7) for the data months lo..hi at once: n[X - lo] workloads are large in
 * both X - 12 and X (by some tenant), in one pass over the partner's rows; -1 when out of memory. */
static int large_workloads(pcs_engine_t *e, int a, int32_t lo, int32_t hi, int *n)
{
    const pcs_area_rules_t *ar = &e->r->areas[a];
    int months = (int)(hi - lo + 1);
    unsigned char *large = marks(e, months * e->n_local);
    if (!large)
        return -1;
    memset(n, 0, sizeof *n * (size_t)months);
    for (int i = 0; i < e->n_rows; i++) {
        const row_t *r = &e->rows[i];
        int32_t X = r->month + 12;
        if (X < lo || X > hi || !(r->credit >> ar->scope & 1) || !large_amount(ar, r))
            continue;
        unsigned char *seen = &large[(X - lo) * e->n_local + e->wl_local[r->wl]];
        /* the same (tenant, workload) twelve months later: rows are sorted by month */
        for (int j = i + 1; j < e->n_rows && e->rows[j].tenant == r->tenant && e->rows[j].wl == r->wl && !*seen;
             j++) {
            const row_t *q = &e->rows[j];
            if (q->month == X && (q->credit >> ar->scope & 1) && large_amount(ar, q)) {
                *seen = 1;
                n[X - lo]++;
            }
        }
    }
    return 0;
}

static int large_track(const pcs_area_rules_t *ar, int n_large)
{
    return n_large >= ar->min_workloads ? PCS_TRACK_ENTERPRISE : PCS_TRACK_SMB;
}

/* §7 classification; -1 when both tracks are evaluated. */
static int classify(pcs_engine_t *e, int a, int32_t Md)
{
    const pcs_area_rules_t *ar = &e->r->areas[a];
    switch (ar->track_rule) {
    case PCS_TR_FIXED:
        return ar->fixed_track;
    case PCS_TR_BEST_OF:
        return -1;
    case PCS_TR_AZURE_MIX: {
        int pop = 0, smb = 0;
        unsigned char *seen = marks(e, e->n_customers);
        if (!seen)
            return PCS_TRACK_ENTERPRISE;
        for (int t = 0; t < e->n_tenants; t++) {
            int c = e->tenants[t].customer;
            const cell_t *row = c < 0 || seen[c] ? NULL : pcs_cell_row(e, t, ar->scope);
            if (!row)
                continue;
            int32_t first, last;
            pcs_slot_span(e, Md - 11, Md, &first, &last);
            for (int32_t i = first; i <= last; i++) {
                if (row[i].n) {
                    seen[c] = 1;
                    pop++;
                    smb += e->customers[c].all_smb;
                    break;
                }
            }
        }
        return pop > 0 && (int64_t)smb * 100 >= ar->smb_pct * pop ? PCS_TRACK_SMB : PCS_TRACK_ENTERPRISE;
    }
    case PCS_TR_LARGE_WORKLOADS: {
        int n;
        return large_workloads(e, a, Md, Md, &n) < 0 ? PCS_TRACK_ENTERPRISE : large_track(ar, n);
    }
    }
    return PCS_TRACK_ENTERPRISE;
}

/* classify, cached for the months of the status window: every day qualified_between evaluates asks
 * it again. The large_workloads rule reads all of the partner's rows whatever the month: it is
 * worked out for every month of the window in the one pass. */
static int classify_at(pcs_engine_t *e, int a, int32_t Md)
{
    int32_t first = e->M - (HIST_MONTHS - 1);
    int i = (int)(Md - first);
    if (i < 0 || i >= HIST_MONTHS)
        return classify(e, a, Md);
    class_cache_t *c = &e->classes[a][i];
    int n[HIST_MONTHS];
    if (!c->valid && e->r->areas[a].track_rule == PCS_TR_LARGE_WORKLOADS && large_workloads(e, a, first, e->M, n) == 0)
        for (int k = 0; k < HIST_MONTHS; k++)
            e->classes[a][k] = (class_cache_t){.valid = true, .only = large_track(&e->r->areas[a], n[k])};
    if (!c->valid) {
        c->only = classify(e, a, Md);
        c->valid = true;
    }
    return c->only;
}

/* Higher unrounded total wins; |diff| <= EPS goes to enterprise (§7). */
static int select_track(const pcs_track_result_t tr[PCS_TRACK_N])
{
    if (!tr[PCS_TRACK_SMB].evaluated)
        return PCS_TRACK_ENTERPRISE;
    if (!tr[PCS_TRACK_ENTERPRISE].evaluated)
        return PCS_TRACK_SMB;
    return tr[PCS_TRACK_SMB].total - tr[PCS_TRACK_ENTERPRISE].total > EPS ? PCS_TRACK_SMB : PCS_TRACK_ENTERPRISE;
}

typedef struct {
    pcs_track_result_t tr[PCS_TRACK_N];
    int selected;
} eval_t;

/* The usage metrics of (area, track, data month), cached for the months of the status window;
 * worked out in scratch for another month. */
static const pcs_track_result_t *usage_at(pcs_engine_t *e, int a, int t, int32_t Md, pcs_track_result_t *scratch)
{
    int i = (int)(Md - (e->M - (HIST_MONTHS - 1)));
    if (i < 0 || i >= HIST_MONTHS) {
        usage_part(e, a, t, Md, scratch, false);
        return scratch;
    }
    usage_cache_t *c = &e->cache[a][t][i];
    if (!c->valid) {
        usage_part(e, a, t, Md, &c->tr, false);
        c->valid = true;
    }
    return &c->tr;
}

static pcs_certset_t area_certs(const pcs_engine_t *e, int a)
{
    pcs_certset_t s = {{0}};
    for (int t = 0; t < PCS_TRACK_N; t++)
        for (int k = PCS_M_INTERMEDIATE; k <= PCS_M_ADVANCED; k++) {
            const pcs_metric_t *m = e->r->areas[a].metrics[t][k];
            for (int i = 0; m && i < m->n_steps; i++)
                for (int w = 0; w < PCS_CERT_WORDS; w++)
                    s.w[w] |= m->steps[i].certs.w[w];
        }
    return s;
}

static bool in_set(const pcs_certset_t *s, int c)
{
    return s->w[c / 64] >> (c % 64) & 1;
}

/* Whether every record of a certification in used is valid at both days or at neither. */
static bool same_validity(const pcs_engine_t *e, const pcs_certset_t *used, int32_t d0, int32_t d1)
{
    for (int i = 0; i < e->n_certs; i++) {
        const certrec_t *c = &e->certs[i];
        if (in_set(used, c->cert) && pcs_cert_valid_on(c, d0) != pcs_cert_valid_on(c, d1))
            return false;
    }
    return true;
}

/* The area as of day d, from the input (no explanation rows): each track's evaluated, total and
 * qualified, and the track selected (the metrics stay in the caches). Skilling reads the validity of
 * the area's certifications alone: its results are kept (e->skills) for the days at which none of
 * it changes (most of the days qualified_between and history evaluate). */
static void eval_at(pcs_engine_t *e, int a, int32_t d, eval_t *out)
{
    int32_t Md = pcs_month_of_day(d) - 1;
    int only = classify_at(e, a, Md);
    skill_cache_t *sk = &e->skills[a];
    if (!sk->valid || !same_validity(e, &sk->used, sk->day, d)) {
        sk->valid = true;
        sk->day = d;
        sk->used = area_certs(e, a);
        memset(sk->has, 0, sizeof sk->has);
    }
    bool pv_at_d = false;
    for (int t = 0; t < PCS_TRACK_N; t++) {
        pcs_track_result_t *tr = &out->tr[t];
        tr->evaluated = e->r->areas[a].has_track[t] && (only < 0 || only == t);
        if (!tr->evaluated)
            continue;
        const pcs_track_result_t *u = usage_at(e, a, t, Md, tr);
        if (!sk->has[t]) {
            if (!pv_at_d)
                pcs_persons_valid_at(e, d, NULL, 0);
            pv_at_d = true;
            skill_part(e, a, t, &sk->tr[t], false);
            sk->has[t] = true;
        }
        const pcs_metric_result_t *m[PCS_METRIC_N];
        for (int k = 0; k < PCS_METRIC_N; k++)
            m[k] = k == PCS_M_INTERMEDIATE || k == PCS_M_ADVANCED ? &sk->tr[t].m[k] : &u->m[k];
        finish_with(tr, m);
    }
    out->selected = select_track(out->tr);
}

static const stored_t *stored_on(const pcs_engine_t *e, int a, int32_t d)
{
    for (int i = 0; i < e->n_stored; i++)
        if (e->stored[i].area == a && e->stored[i].as_of == d)
            return &e->stored[i];
    return NULL;
}

static int cmp_day(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Some day in [lo, hi] qualified (§11.1). Only the first day of each month and the days a
 * relevant certification becomes valid or invalid can change the answer. */
static bool qualified_between(pcs_engine_t *e, int a, int32_t lo, int32_t hi)
{
    if (lo > hi)
        return false;
    for (int i = 0; i < e->n_stored; i++)
        if (e->stored[i].area == a && e->stored[i].as_of >= lo && e->stored[i].as_of <= hi && e->stored[i].qualified)
            return true;
    pcs_certset_t used = area_certs(e, a);
    int cap = 8 + 2 * e->n_certs, n = 0;
    int32_t *days = malloc(sizeof *days * (size_t)cap);
    if (!days) {
        e->oom = true;
        return false;
    }
    for (int32_t m = pcs_month_of_day(lo); m <= pcs_month_of_day(hi) && n < cap; m++) {
        int32_t d = pcs_month_first_day(m);
        days[n++] = d < lo ? lo : d;
    }
    for (int i = 0; i < e->n_certs && n + 2 <= cap; i++) {
        const certrec_t *c = &e->certs[i];
        if (!in_set(&used, c->cert))
            continue;
        if (c->earned >= lo && c->earned <= hi)
            days[n++] = c->earned;
        if (c->last != PCS_DAY_NONE && c->last + 1 >= lo && c->last + 1 <= hi)
            days[n++] = c->last + 1;
    }
    if (n > 1)
        qsort(days, (size_t)n, sizeof *days, cmp_day);
    bool q = false;
    for (int i = 0; i < n && !q; i++) {
        if (i > 0 && days[i] == days[i - 1])
            continue;
        const stored_t *s = stored_on(e, a, days[i]);
        if (s) {
            q = s->qualified;
            continue;
        }
        eval_t ev;
        eval_at(e, a, days[i], &ev);
        q = ev.tr[ev.selected].qualified;
    }
    free(days);
    return q;
}

static void history(pcs_engine_t *e, int a, pcs_area_result_t *ar)
{
    for (int i = 0; i < HIST_MONTHS; i++) {
        int32_t X = e->M - (HIST_MONTHS - 1) + i, cal = X + 1;
        pcs_history_row_t *h = &ar->history[i];
        h->month = X;
        const stored_t *best = NULL;
        bool any_q = false;
        for (int k = 0; k < e->n_stored; k++) {
            const stored_t *s = &e->stored[k];
            if (s->area != a || s->as_of > e->D || pcs_month_of_day(s->as_of) != cal)
                continue;
            any_q = any_q || s->qualified;
            if (!best || s->total > best->total || (s->total == best->total && s->as_of < best->as_of))
                best = s;
        }
        if (best) {
            h->as_of = best->as_of;
            h->total = best->total;
            h->track = best->track;
            h->qualified = any_q;
            /* the score being computed at D is a record of its month too (the scorer stores it) */
            if (cal == pcs_month_of_day(e->D) && best->as_of < e->D) {
                h->qualified = any_q || ar->qualified_now;
                if (ar->total > best->total) {
                    h->as_of = e->D;
                    h->total = ar->total;
                    h->track = ar->selected;
                }
            }
            continue;
        }
        int32_t d = pcs_month_last_day(cal);
        if (d >= e->D) {
            h->as_of = e->D;
            h->total = ar->total;
            h->track = ar->selected;
            h->qualified = ar->qualified_now;
            continue;
        }
        eval_t ev;
        eval_at(e, a, d, &ev);
        h->as_of = d;
        h->total = ev.tr[ev.selected].total;
        h->track = ev.selected;
        h->qualified = ev.tr[ev.selected].qualified;
    }
}

/* ---- events (§13) ------------------------------------------------------------------------------------- */

static pcs_event_t *event_new(pcs_engine_t *e, int a, pcs_event_type_t type, int track)
{
    if (GROW(e, e->events, e->cap_events, e->n_events + 1) < 0)
        return NULL;
    pcs_event_t *ev = &e->events[e->n_events++];
    memset(ev, 0, sizeof *ev);
    ev->type = type;
    ev->area = a;
    ev->track = track;
    ev->person = ev->cert = ev->metric = -1;
    ev->first_item = e->n_items;
    char m[8];
    snprintf(ev->dedup_key, sizeof ev->dedup_key, "%s:%s:%s:%s", e->partner_id, pcs_area_ids[a], pcs_event_ids[type],
             pcs_month_format(e->M, m));
    return ev;
}

/* Area total at D with some certifications treated as invalid; tracks reselected. */
static void recompute_without(pcs_engine_t *e, int a, const pcs_area_result_t *ar, const override_t *ovr, int n,
                              eval_t *out)
{
    pcs_persons_valid_at(e, e->D, ovr, n);
    for (int t = 0; t < PCS_TRACK_N; t++) {
        out->tr[t] = ar->tracks[t];
        if (!out->tr[t].evaluated)
            continue;
        skill_part(e, a, t, &out->tr[t], false);
        finish(&out->tr[t]);
    }
    out->selected = select_track(out->tr);
}

/* Last day of the unbroken validity run of (person, cert) that contains D; PCS_DAY_NONE if open. */
static int32_t run_end(const pcs_engine_t *e, int person, int cert)
{
    int32_t L = e->D - 1;
    bool changed = true;
    while (changed) {
        changed = false;
        for (int i = 0; i < e->n_certs; i++) {
            const certrec_t *c = &e->certs[i];
            if (c->person != person || c->cert != cert || c->earned > L + 1)
                continue;
            if (c->last == PCS_DAY_NONE)
                return PCS_DAY_NONE;
            if (c->last > L) {
                L = c->last;
                changed = true;
            }
        }
    }
    return L;
}

static bool cand_before(const pcs_engine_t *e, int32_t la, const override_t *a, int32_t lb, const override_t *b)
{
    if (la != lb)
        return la < lb;
    int c = strcmp(e->persons[a->person], e->persons[b->person]);
    return c != 0 ? c < 0 : a->cert < b->cert;
}

static void cert_events(pcs_engine_t *e, int a, pcs_area_result_t *ar)
{
    pcs_certset_t used = area_certs(e, a);
    pcs_persons_valid_at(e, e->D, NULL, 0);
    override_t *cand = NULL;
    int32_t *lasts = NULL;
    int n = 0, cap = 0, cap2 = 0;
    for (int p = 0; p < e->n_persons; p++) {
        /* the certifications valid and used, in catalogue order */
        for (int w = 0; w < PCS_CERT_WORDS; w++) {
            for (uint64_t b = e->pv[p].w[w] & used.w[w]; b; b &= b - 1) {
                int c = w * 64 + __builtin_ctzll(b);
                int32_t L = run_end(e, p, c);
                if (L == PCS_DAY_NONE || (L + 1) - e->D > 60)
                    continue;
                if (GROW(e, cand, cap, n + 1) < 0 || GROW(e, lasts, cap2, n + 1) < 0)
                    goto out;
                cand[n] = (override_t){p, c};
                lasts[n++] = L;
            }
        }
    }
    /* a canonical order (soonest first, then person id, then catalogue order), so the events do not
     * depend on the order the facts arrived in */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && cand_before(e, lasts[j], &cand[j], lasts[j - 1], &cand[j - 1]); j--) {
            override_t t = cand[j];
            cand[j] = cand[j - 1];
            cand[j - 1] = t;
            int32_t l = lasts[j];
            lasts[j] = lasts[j - 1];
            lasts[j - 1] = l;
        }
    const pcs_track_result_t *before = &ar->tracks[ar->selected];
    double largest = 0;
    for (int i = 0; i < n; i++) {
        eval_t after;
        recompute_without(e, a, ar, &cand[i], 1, &after);
        const pcs_track_result_t *at = &after.tr[after.selected];
        double drop = ar->total - at->total;
        if (drop <= EPS)
            continue;
        largest = drop > largest ? drop : largest;
        pcs_event_t *ev = event_new(e, a, PCS_EV_CERT_EXPIRING, ar->selected);
        if (!ev)
            goto out;
        char d[11];
        snprintf(ev->dedup_key, sizeof ev->dedup_key, "%s:%s:cert_expiring:%s:%s:%s", e->partner_id,
                 pcs_area_ids[a], e->persons[cand[i].person], e->r->certs[cand[i].cert].id,
                 pcs_day_format(lasts[i], d));
        ev->person = cand[i].person;
        ev->cert = cand[i].cert;
        ev->day = lasts[i];
        ev->days_left = (int)((lasts[i] + 1) - e->D);
        ev->total_before = ar->total;
        ev->total_after = at->total;
        ev->becomes_unqualified = ar->qualified_now && !at->qualified;
        ev->severity = ev->becomes_unqualified ? PCS_SEV_CRITICAL : PCS_SEV_WARNING;
        for (int k = PCS_M_INTERMEDIATE; k <= PCS_M_ADVANCED; k++) {
            if (before->m[k].applicable && at->m[k].points < before->m[k].points - EPS) {
                ev->metric = k;
                ev->points_now = before->m[k].points;
                ev->points_after = at->m[k].points;
                break;
            }
        }
    }
    if (n >= 2) {
        eval_t after;
        recompute_without(e, a, ar, cand, n, &after);
        const pcs_track_result_t *at = &after.tr[after.selected];
        double drop = ar->total - at->total;
        if (drop > largest + EPS) {
            pcs_event_t *ev = event_new(e, a, PCS_EV_CERTS_EXPIRING_COMBINED, ar->selected);
            if (!ev)
                goto out;
            for (int i = 0; i < n; i++)
                pcs_push_item(e, (pcs_event_item_t){.cert = {.person = cand[i].person, .cert = cand[i].cert,
                                                             .last_valid_day = lasts[i],
                                                             .days_left = (lasts[i] + 1) - e->D}});
            ev->n_items = e->n_items - ev->first_item;
            ev->total_before = ar->total;
            ev->total_after = at->total;
            ev->becomes_unqualified = ar->qualified_now && !at->qualified;
            ev->severity = ev->becomes_unqualified ? PCS_SEV_CRITICAL : PCS_SEV_WARNING;
        }
    }
out:
    free(cand);
    free(lasts);
}

static void nca_event(pcs_engine_t *e, int a, pcs_area_result_t *ar)
{
    eval_t after;
    const pcs_metric_t *sel_m = e->r->areas[a].metrics[ar->selected][PCS_M_NCA];
    if (!sel_m)
        return;
    for (int t = 0; t < PCS_TRACK_N; t++) {
        after.tr[t] = ar->tracks[t];
        const pcs_metric_t *m = e->r->areas[a].metrics[t][PCS_M_NCA];
        if (!after.tr[t].evaluated || !m)
            continue;
        pcs_metric_usage(e, a, t, PCS_M_NCA, m, e->M, true, &after.tr[t].m[PCS_M_NCA], false);
        finish(&after.tr[t]);
    }
    after.selected = select_track(after.tr);
    const pcs_metric_result_t *now = &ar->tracks[ar->selected].m[PCS_M_NCA];
    const pcs_metric_result_t *proj = &after.tr[ar->selected].m[PCS_M_NCA];
    if (!(proj->points < now->points - EPS))
        return;
    pcs_event_t *ev = event_new(e, a, PCS_EV_NCA_AT_RISK, ar->selected);
    if (!ev)
        return;
    char m[8];
    snprintf(ev->dedup_key, sizeof ev->dedup_key, "%s:%s:nca_at_risk:%s", e->partner_id, pcs_area_ids[a],
             pcs_month_format(e->M, m));
    ev->units_now = now->units;
    ev->points_now = now->points;
    ev->units_after = proj->units;
    ev->points_after = proj->points;
    ev->total_before = ar->total;
    ev->total_after = after.tr[after.selected].total;
    ev->becomes_unqualified = ar->qualified_now && !after.tr[after.selected].qualified;
    ev->severity = ev->becomes_unqualified ? PCS_SEV_CRITICAL : PCS_SEV_WARNING;
    ev->first_item = e->n_items;
    pcs_metric_nca_drops(e, sel_m, e->M);
    ev->n_items = e->n_items - ev->first_item;
}

static bool net_kind(const pcs_metric_t *m)
{
    if (m->kind == PCS_K_PARTS || m->kind == PCS_K_OPTIONS)
        return m->subs[0].kind == PCS_K_NET_COUNT;
    return m->kind == PCS_K_NET_COUNT;
}

static void score_events(pcs_engine_t *e, int a, pcs_area_result_t *ar, const enroll_t *en)
{
    const pcs_track_result_t *sel = &ar->tracks[ar->selected];
    cert_events(e, a, ar);
    nca_event(e, a, ar);
    if (ar->total >= 70 - EPS) {
        int first = e->n_items;
        for (int k = 0; k < PCS_METRIC_N; k++) {
            const pcs_metric_t *m = e->r->areas[a].metrics[ar->selected][k];
            if (!sel->m[k].applicable || sel->m[k].points > EPS)
                continue;
            double needed = m && net_kind(m) ? 1 - sel->m[k].units : -1;
            pcs_push_item(e, (pcs_event_item_t){.metric = {.metric = k, .units = sel->m[k].units,
                                                           .units_needed = needed}});
        }
        if (e->n_items > first) {
            pcs_event_t *ev = event_new(e, a, PCS_EV_METRIC_ZERO_BLOCKING, ar->selected);
            if (ev) {
                ev->first_item = first;
                ev->n_items = e->n_items - first;
                ev->severity = PCS_SEV_CRITICAL;
                ev->total_before = ar->total;
            }
        }
    }
    if (!sel->qualified && ar->total >= 60 - EPS && ar->total < 70 - EPS) {
        pcs_event_t *ev = event_new(e, a, PCS_EV_NEAR_THRESHOLD, ar->selected);
        if (ev) {
            ev->severity = PCS_SEV_INFO;
            ev->total_before = ar->total;
        }
    }
    if (en) {
        int days_left = (int)(en->anniversary - e->D);
        if (days_left >= 0 && days_left <= 60 && !ar->qualified_in_window) {
            pcs_event_t *ev = event_new(e, a, PCS_EV_RENEWAL_REMINDER, ar->selected);
            if (ev) {
                ev->day = en->anniversary;
                ev->days_left = days_left;
                ev->threshold = days_left <= 7 ? 7 : days_left <= 30 ? 30 : 60;
                ev->severity = ev->threshold == 7 ? PCS_SEV_CRITICAL : ev->threshold == 30 ? PCS_SEV_WARNING : PCS_SEV_INFO;
                ev->total_before = ar->total;
                char d[11];
                snprintf(ev->dedup_key, sizeof ev->dedup_key, "%s:%s:renewal_reminder:%s:%d", e->partner_id,
                         pcs_area_ids[a], pcs_day_format(en->anniversary, d), ev->threshold);
            }
        }
        if (!ar->qualified_in_window && !ar->qualified_now) {
            pcs_event_t *ev = event_new(e, a, PCS_EV_DESIGNATION_AT_RISK, ar->selected);
            if (ev) {
                ev->day = en->anniversary;
                ev->days_left = days_left;
                ev->severity = days_left <= 30 ? PCS_SEV_CRITICAL : PCS_SEV_WARNING;
                ev->total_before = ar->total;
            }
        }
    }
    int other = 1 - ar->selected;
    if (ar->tracks[other].evaluated && !sel->qualified && ar->tracks[other].qualified) {
        pcs_event_t *ev = event_new(e, a, PCS_EV_OTHER_TRACK_QUALIFIES, ar->selected);
        if (ev) {
            ev->severity = PCS_SEV_WARNING;
            ev->other_track = other;
            ev->total_before = ar->total;
            ev->total_after = ar->tracks[other].total;
        }
    }
}

/* ---- the area ------------------------------------------------------------------------------------------ */

/* The active enrollment at D: latest enrolled date wins, the first listed wins a tie (§17.13). */
static const enroll_t *active_enrollment(const pcs_engine_t *e, int a)
{
    const enroll_t *best = NULL;
    for (int i = 0; i < e->n_enrolls; i++) {
        const enroll_t *en = &e->enrolls[i];
        if (en->area != a || en->enrolled > e->D || e->D > pcs_month_last_day(pcs_month_of_day(en->anniversary)))
            continue;
        if (!best || en->enrolled > best->enrolled)
            best = en;
    }
    return best;
}

void pcs_area_score(pcs_engine_t *e, int a, const pcs_score_opts_t *opts)
{
    pcs_area_result_t *ar = &e->res.areas[a];
    memset(ar, 0, sizeof *ar);
    ar->area = a;
    ar->scored = true;
    ar->first_elig = e->n_elig;
    ar->first_skill = e->n_skill;
    ar->first_event = e->n_events;

    /* The area at D, with explanations. */
    int only = classify_at(e, a, e->M);
    pcs_persons_valid_at(e, e->D, NULL, 0);
    for (int t = 0; t < PCS_TRACK_N; t++) {
        pcs_track_result_t *tr = &ar->tracks[t];
        tr->evaluated = e->r->areas[a].has_track[t] && (only < 0 || only == t);
        if (!tr->evaluated)
            continue;
        usage_part(e, a, t, e->M, tr, e->explain);
        if (!opts->no_history) {
            e->cache[a][t][HIST_MONTHS - 1].tr = *tr;
            e->cache[a][t][HIST_MONTHS - 1].valid = true;
        }
        skill_part(e, a, t, tr, e->explain);
        tr->evaluated = true;
        finish(tr);
    }
    ar->selected = select_track(ar->tracks);
    ar->total = ar->tracks[ar->selected].total;
    ar->qualified_now = ar->tracks[ar->selected].qualified;
    ar->n_elig = e->n_elig - ar->first_elig;
    ar->n_skill = e->n_skill - ar->first_skill;

    /* Status and window (§11). */
    const enroll_t *en = active_enrollment(e, a);
    int32_t ws, we;
    if (en) {
        int32_t am = pcs_month_of_day(en->anniversary);
        ws = pcs_month_first_day(am - 5);
        we = pcs_month_last_day(am);
        ar->has_enrollment = true;
        ar->anniversary = en->anniversary;
    } else {
        ws = pcs_month_first_day(pcs_month_of_day(e->D) - 5);
        we = e->D;
    }
    ar->window_start = ws;
    ar->window_end = we;
    int32_t hi = we < e->D ? we : e->D;
    if (ar->qualified_now && e->D >= ws && e->D <= hi)
        ar->qualified_in_window = true;
    else if (!opts->no_history)
        ar->qualified_in_window = qualified_between(e, a, ws, hi);
    if (en) {
        ar->status = e->D < ws ? PCS_ST_ENROLLED : PCS_ST_RENEWAL_DUE;
        ar->can_renew = ar->qualified_in_window;
    } else if (ar->qualified_in_window) {
        ar->status = PCS_ST_QUALIFIED;
    } else {
        ar->status = ar->total > EPS ? PCS_ST_IN_PROGRESS : PCS_ST_NOT_STARTED;
    }
    if (!opts->no_history)
        history(e, a, ar);
    score_events(e, a, ar, en);
    ar->n_events = e->n_events - ar->first_event;
}
