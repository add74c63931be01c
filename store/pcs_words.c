/* pcs_words: names and units for people (see pcs_words.h). */
#include "pcs_words.h"

#include "pcs_vocab.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *lookup(const char *id, const char *const *ids, const char *const *names, int n)
{
    for (int i = 0; id && i < n; i++)
        if (strcmp(id, ids[i]) == 0)
            return names[i];
    return id ? id : "";
}

const char *pcs_words_area(const char *area_id)
{
    static const char *const names[PCS_AREA_N] = {"Data & AI", "Infrastructure", "Digital & App Innovation",
                                                  "Business Applications", "Modern Work", "Security"};
    return lookup(area_id, pcs_area_ids, names, PCS_AREA_N);
}

const char *pcs_words_metric(const char *metric_id)
{
    static const char *const names[PCS_METRIC_N] = {"Net customer adds", "Intermediate certifications",
                                                    "Advanced certifications", "Usage growth", "Deployments"};
    return lookup(metric_id, pcs_metric_ids, names, PCS_METRIC_N);
}

const char *pcs_words_track(const char *track_id)
{
    static const char *const names[PCS_TRACK_N] = {"Enterprise", "SMB"};
    return lookup(track_id, pcs_track_ids, names, PCS_TRACK_N);
}

const char *pcs_words_status(const char *status_id)
{
    static const char *const names[PCS_ST_N] = {"Not started", "In progress", "Qualified", "Enrolled", "Renewal due"};
    return lookup(status_id, pcs_status_ids, names, PCS_ST_N);
}

static int index_of(const char *id, const char *const *ids, int n)
{
    for (int i = 0; id && i < n; i++)
        if (strcmp(id, ids[i]) == 0)
            return i;
    return -1;
}

static const char *unit_of(const pcs_metric_t *m)
{
    switch (m->kind) {
    case PCS_K_NET_COUNT:
        return m->unit_tenant_workload ? "customer workloads" : "customers";
    case PCS_K_DISTINCT:
        return "workloads";
    case PCS_K_CERT_STEPS:
        return "people";
    case PCS_K_GROWTH:
        if (m->percent)
            return "%";
        switch (m->field) {
        case PCS_F_PAID:
            return "seats";
        case PCS_F_ACTIVE:
            return "users";
        default:
            return "USD";
        }
    case PCS_K_PARTS:
    case PCS_K_OPTIONS: {
        const char *u = NULL;
        for (int i = 0; i < m->n_subs; i++) {
            const char *v = unit_of(&m->subs[i]);
            if (u && strcmp(u, v) != 0)
                return "";
            u = v;
        }
        return u ? u : "";
    }
    }
    return "";
}

/* The rule of a metric, or of its part or option when part names one. */
static const pcs_metric_t *metric_of(const pcs_rules_t *r, const char *area, const char *track, const char *metric,
                                     const char *part)
{
    int a = index_of(area, pcs_area_ids, PCS_AREA_N), t = index_of(track, pcs_track_ids, PCS_TRACK_N),
        k = index_of(metric, pcs_metric_ids, PCS_METRIC_N);
    const pcs_metric_t *m = r && a >= 0 && t >= 0 && k >= 0 ? r->areas[a].metrics[t][k] : NULL;
    if (m && part && (m->kind == PCS_K_PARTS || m->kind == PCS_K_OPTIONS))
        for (int i = 0; i < m->n_subs; i++)
            if (m->subs[i].name && strcmp(m->subs[i].name, part) == 0)
                return &m->subs[i];
    return m;
}

const char *pcs_words_unit(const pcs_rules_t *r, const char *area, const char *track, const char *metric,
                           const char *part)
{
    const pcs_metric_t *m = metric_of(r, area, track, metric, part);
    return m ? unit_of(m) : "";
}

static const char *field_unit(pcs_field_t f)
{
    return f == PCS_F_PAID ? "seats" : f == PCS_F_ACTIVE ? "users" : "USD";
}

const char *pcs_words_elig_unit(const pcs_rules_t *r, const char *area, const char *track, const char *metric,
                                const char *part)
{
    const pcs_metric_t *m = metric_of(r, area, track, metric, part);
    if (m && (m->kind == PCS_K_PARTS || m->kind == PCS_K_OPTIONS) && m->n_subs)
        m = &m->subs[0];
    if (!m)
        return "";
    switch (m->kind) {
    case PCS_K_NET_COUNT:
        if (m->n_preds && m->preds[0].kind == PCS_P_ACTIVE_RATIO)
            return "%";
        if (m->n_preds && m->preds[0].kind == PCS_P_SEAT_BAND)
            return "seats";
        return m->n_preds ? field_unit(m->preds[0].field) : "";
    case PCS_K_DISTINCT:
        return "workloads";
    case PCS_K_GROWTH:
        return field_unit(m->field);
    default:
        return "";
    }
}

double pcs_words_full_at(const pcs_rules_t *r, const char *area, const char *track, const char *metric,
                         const char *part)
{
    const pcs_metric_t *m = metric_of(r, area, track, metric, part);
    if (!m || m->kind == PCS_K_CERT_STEPS || m->kind == PCS_K_PARTS || m->kind == PCS_K_OPTIONS)
        return 0;
    return strcmp(unit_of(m), "USD") == 0 ? m->ufm / 100.0 : m->ufm;
}

char *pcs_words_number(double x, int decimals, char *buf, size_t n)
{
    char raw[64];
    if (!isfinite(x)) {
        snprintf(buf, n, "%g", x);
        return buf;
    }
    snprintf(raw, sizeof raw, "%.*f", decimals, x);
    char *dot = strchr(raw, '.');
    if (dot) {   /* drop trailing zeros, then a lone dot */
        char *e = raw + strlen(raw) - 1;
        while (e > dot && *e == '0')
            *e-- = '\0';
        if (e == dot)
            *e = '\0';
    }
    if (strcmp(raw, "-0") == 0)
        strcpy(raw, "0");
    const char *digits = raw[0] == '-' ? raw + 1 : raw;
    size_t int_len = strcspn(digits, ".");
    size_t o = 0;
    if (raw[0] == '-' && o + 1 < n)
        buf[o++] = '-';
    for (size_t i = 0; digits[i] && o + 1 < n; i++) {
        if (i > 0 && i < int_len && (int_len - i) % 3 == 0 && o + 2 < n)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

char *pcs_words_points(double x, char *buf, size_t n)
{
    snprintf(buf, n, "%.2f", fabs(x) < 0.005 ? 0.0 : x);
    return buf;
}

char *pcs_words_amount(double x, const char *unit, char *buf, size_t n)
{
    char num[64];
    if (!unit || !*unit) {
        snprintf(buf, n, "%s", pcs_words_number(x, 2, num, sizeof num));
    } else if (strcmp(unit, "USD") == 0) {
        snprintf(buf, n, "%sUSD %s", x < 0 ? "-" : "", pcs_words_number(x < 0 ? -x : x, 2, num, sizeof num));
    } else if (strcmp(unit, "%") == 0) {
        snprintf(buf, n, "%s %%", pcs_words_number(x, 2, num, sizeof num));
    } else {
        bool one = fabs(x - 1) < 1e-9;
        const char *u = unit;
        if (one && strcmp(unit, "people") == 0)
            u = "person";
        char single[64];
        if (one && strcmp(u, "person") != 0) {   /* "customers" -> "customer" */
            snprintf(single, sizeof single, "%s", unit);
            size_t l = strlen(single);
            if (l > 1 && single[l - 1] == 's')
                single[l - 1] = '\0';
            u = single;
        }
        snprintf(buf, n, "%s %s", pcs_words_number(x, 2, num, sizeof num), u);
    }
    return buf;
}

const char *pcs_words_cert(const pcs_rules_t *r, const char *cert)
{
    int c = r && cert ? pcs_rules_find_cert(r, cert) : -1;
    return c >= 0 ? r->certs[c].name : cert ? cert : "";
}

const char *pcs_words_prerequisite(const char *id)
{
    static const char *const ids[] = {"baseline_not_positive", "min_current", "min_baseline"};
    static const char *const names[] = {"no usage in the comparison year, so there is no growth to measure",
                                        "the current year's usage is below the minimum",
                                        "the comparison year's usage is below the minimum"};
    return lookup(id, ids, names, 3);
}
