/* pcs_alert_text: summary and "what to do" lines of an alert (see pcs_alert_text.h). */
#include "pcs_alert_text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_date.h"
#include "pcs_err.h"
#include "pcs_words.h"

/* a metric's name inside a sentence: "net customer adds" */
static const char *metric_word(const char *m, char buf[64])
{
    snprintf(buf, 64, "%s", pcs_words_metric(m ? m : "?"));
    if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
        buf[0] = (char)(buf[0] - 'A' + 'a');
    return buf;
}

/* 92 for 92.00, 62.73 for 62.7333: scores as pcs show writes them */
static const char *num(double v, char buf[32])
{
    return pcs_words_number(v, 2, buf, 32);
}

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "?";
}

static double dbl(const json_t *o, const char *k)
{
    return json_number_value(json_object_get(o, k));
}

/* "12 days", "1 day", "today", "3 days ago" */
static const char *days_word(int d, char buf[40])
{
    if (d == 0)
        snprintf(buf, 40, "today");
    else if (d == 1)
        snprintf(buf, 40, "1 day");
    else if (d > 1)
        snprintf(buf, 40, "%d days", d);
    else if (d == -1)
        snprintf(buf, 40, "1 day ago");
    else
        snprintf(buf, 40, "%d days ago", -d);
    return buf;
}

static const char *cert_word(const pcs_alert_text_in_t *in, const char *id)
{
    return in->rules && id ? pcs_words_cert(in->rules, id) : id ? id : "?";
}

/* A metric list "deployments and usage growth" from an array of strings or of {metric}. */
static void metric_list(FILE *f, const json_t *arr)
{
    size_t i, n = json_array_size(arr);
    json_t *v;
    char mb[64];
    json_array_foreach(arr, i, v) {
        const char *m = json_is_string(v) ? json_string_value(v) : json_string_value(json_object_get(v, "metric"));
        fprintf(f, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ", metric_word(m, mb));
    }
    if (n == 0)
        fputs("a metric", f);
}

static void drop_words(FILE *f, const json_t *p, const char *area)
{
    char a[32], b[32];
    fprintf(f, "%s drops from %s to %s%s", pcs_words_area(area), num(dbl(p, "total_before"), a),
            num(dbl(p, "total_after"), b), json_is_true(json_object_get(p, "area_becomes_unqualified")) ? " and stops qualifying" : "");
}

static void words_cert_expiring(const pcs_alert_text_in_t *in, FILE *s, FILE *a)
{
    const json_t *p = in->payload;
    int32_t last;
    char dw[40], pts[32], mb[64];
    const char *cert = cert_word(in, str(p, "cert")), *person = str(p, "person_id"), *lv = str(p, "last_valid_day");
    int d = pcs_day_parse(lv, &last) == 0 ? (int)(last + 1 - in->today) : 0;
    fprintf(s, "Renew %s of %s (expires %s, %s): ", cert, person, lv, days_word(d, dw));
    drop_words(s, p, in->area);
    fputc('.', s);
    fprintf(a, "Ask %s to renew %s before %s; otherwise %s lose %s points.", person, cert, lv,
            metric_word(str(p, "metric"), mb), num(dbl(p, "points_before") - dbl(p, "points_after"), pts));
}

static void words_certs_combined(const pcs_alert_text_in_t *in, FILE *s, FILE *a)
{
    const json_t *p = in->payload, *certs = json_object_get(p, "certs");
    size_t i, n = json_array_size(certs);
    json_t *c;
    char dw[40], first[11] = "";
    int first_d = 1 << 30;
    fprintf(s, "Renew %zu certifications expiring within 60 days (", n);
    json_array_foreach(certs, i, c) {
        /* payload days are counted from the result's as-of day */
        int d = (int)json_integer_value(json_object_get(c, "days_left")) + (int)(in->as_of - in->today);
        fprintf(s, "%s%s of %s, %s", i ? "; " : "", cert_word(in, str(c, "cert")), str(c, "person_id"), days_word(d, dw));
        if (d < first_d) {
            first_d = d;
            pcs_day_format(in->today + d - 1, first);
        }
    }
    fputs("): together ", s);
    drop_words(s, p, in->area);
    fputc('.', s);
    fprintf(a, "Renew them, the first before %s; each one renewed limits the drop.", first[0] ? first : "?");
}

static void words_nca(const pcs_alert_text_in_t *in, FILE *s, FILE *a)
{
    const json_t *p = in->payload;
    char u1[32], u2[32];
    fprintf(s, "%s: net customer adds fall from %s to %s next month; ", pcs_words_area(in->area),
            num(dbl(p, "units_now"), u1), num(dbl(p, "projected_units"), u2));
    drop_words(s, p, in->area);
    fputc('.', s);
    fprintf(a, "Win or win back %s customers this month", pcs_words_area(in->area));
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(p, "tenants"), i, t) {
        const char *r = str(t, "reason");
        fprintf(a, "%s%s %s", i ? "; " : " (", str(t, "tenant_id"),
                strcmp(r, "enters_comparison_window") == 0   ? "counted a year ago enters the comparison window"
                : strcmp(r, "leaves_current_window") == 0 ? "leaves the current window"
                                                          : r);
    }
    fputs(json_array_size(json_object_get(p, "tenants")) ? ")." : ".", a);
}

static void words_zero_blocking(const pcs_alert_text_in_t *in, FILE *s, FILE *a)
{
    const json_t *m = json_object_get(in->payload, "metrics");
    fprintf(s, "%s has the points to qualify but scores nothing on ", pcs_words_area(in->area));
    metric_list(s, m);
    fputs(", so it does not qualify.", s);
    fputs("Earn at least one point on ", a);
    metric_list(a, m);
    size_t i;
    json_t *v;
    json_array_foreach(m, i, v) {
        json_t *need = json_object_get(v, "needed");
        if (!need)
            need = json_object_get(v, "units_needed");
        if (json_is_number(need)) {
            char b[32], mb[64];
            fprintf(a, " (%s: %s more net units)", metric_word(str(v, "metric"), mb), num(json_number_value(need), b));
        }
    }
    fputc('.', a);
}

static void words_near(const pcs_alert_text_in_t *in, FILE *s, FILE *a)
{
    const json_t *p = in->payload, *h = json_object_get(p, "headroom");
    char g[32], t[32], b[32], mb[64];
    fprintf(s, "%s is %s points short of qualifying (%s of 70).", pcs_words_area(in->area), num(dbl(p, "gap"), g),
            num(dbl(p, "total"), t));
    /* the two metrics with the most room */
    const char *best[2] = {NULL, NULL};
    double bv[2] = {0, 0};
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)h, k, v) {
        double x = json_number_value(v);
        if (x > bv[0]) {
            best[1] = best[0], bv[1] = bv[0];
            best[0] = k, bv[0] = x;
        } else if (x > bv[1]) {
            best[1] = k, bv[1] = x;
        }
    }
    if (!best[0]) {
        fputs("Every metric is at its maximum on this track; see pcs show for the other track.", a);
        return;
    }
    fprintf(a, "Most room to gain: %s (up to +%s)", metric_word(best[0], mb), num(bv[0], b));
    if (best[1])
        fprintf(a, ", %s (up to +%s)", metric_word(best[1], mb), num(bv[1], b));
    fputc('.', a);
}

static void words_renewal(const pcs_alert_text_in_t *in, FILE *s, FILE *a, bool at_risk)
{
    const json_t *p = in->payload;
    const char *ann = str(p, "anniversary");
    int32_t d;
    char dw[40], t[32];
    int left = pcs_day_parse(ann, &d) == 0 ? (int)(d - in->today) : 0;
    if (at_risk)
        fprintf(s, "%s designation is at risk: it renews on %s (%s) and scores %s, below 70.", pcs_words_area(in->area), ann,
                days_word(left, dw), num(dbl(p, "total"), t));
    else
        fprintf(s, "%s designation renews on %s (%s) and has not qualified in its renewal window (score %s).",
                pcs_words_area(in->area), ann, days_word(left, dw), num(dbl(p, "total"), t));
    const char *end = json_string_value(json_object_get(json_object_get(p, "window"), "end"));
    fprintf(a, "Bring %s to 70 before %s to renew the designation", pcs_words_area(in->area), end ? end : ann);
    const json_t *reasons = json_object_get(p, "reasons");
    char mb[64];
    size_t i;
    json_t *r;
    bool any = false;
    json_array_foreach(reasons, i, r) {
        const char *w = json_is_string(r) ? json_string_value(r) : json_string_value(json_object_get(r, "metric"));
        if (!w || strcmp(w, "below_70") == 0)
            continue;
        fprintf(a, "%s%s", any ? ", " : "; first earn points on ", metric_word(w, mb));
        any = true;
    }
    fputc('.', a);
}

static void words_other_track(const pcs_alert_text_in_t *in, FILE *s, FILE *a)
{
    const json_t *p = in->payload;
    char t1[32], t2[32];
    fprintf(s, "%s qualifies on the %s track (%s) while the %s track it reports (%s) does not.", pcs_words_area(in->area),
            str(p, "other_track"), num(dbl(p, "other_total"), t1), str(p, "track"), num(dbl(p, "total"), t2));
    fputs("Earn points on ", a);
    metric_list(a, json_object_get(p, "blocking_metrics"));
    fprintf(a, " on the %s track, or check the %s track's figures with pcs show.", str(p, "track"), str(p, "other_track"));
}

static void words_newly(const pcs_alert_text_in_t *in, FILE *s, FILE *a)
{
    char t[32];
    fprintf(s, "%s now qualifies (%s, %s track).", pcs_words_area(in->area), num(dbl(in->payload, "score"), t),
            str(in->payload, "track"));
    fprintf(a, "Nothing to do; keep %s at 70 or above through its window.", pcs_words_area(in->area));
}

/* Control characters (from ids) never reach a sink. */
static void scrub(char *s)
{
    for (unsigned char *p = (unsigned char *)s; p && *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            *p = '?';
}

int pcs_alert_text_build(const pcs_alert_text_in_t *in, int resolved, char **summary, char **action)
{
    char *sb = NULL, *ab = NULL;
    size_t sn = 0, an = 0;
    *summary = *action = NULL;
    FILE *s = open_memstream(&sb, &sn), *a = open_memstream(&ab, &an);
    if (!s || !a)
        goto oom;
    const char *ev = in->event ? in->event : "";
    if (resolved)
        fputs("Resolved: ", s);
    if (strcmp(ev, "cert_expiring") == 0)
        words_cert_expiring(in, s, a);
    else if (strcmp(ev, "certs_expiring_combined") == 0)
        words_certs_combined(in, s, a);
    else if (strcmp(ev, "nca_at_risk") == 0)
        words_nca(in, s, a);
    else if (strcmp(ev, "metric_zero_blocking") == 0)
        words_zero_blocking(in, s, a);
    else if (strcmp(ev, "near_threshold") == 0)
        words_near(in, s, a);
    else if (strcmp(ev, "renewal_reminder") == 0)
        words_renewal(in, s, a, false);
    else if (strcmp(ev, "designation_at_risk") == 0)
        words_renewal(in, s, a, true);
    else if (strcmp(ev, "other_track_qualifies") == 0)
        words_other_track(in, s, a);
    else if (strcmp(ev, "newly_qualified") == 0)
        words_newly(in, s, a);
    else {
        fprintf(s, "%s: %s.", pcs_words_area(in->area), ev);
        fputs("See pcs show for the details.", a);
    }
    if (resolved) {
        /* what was to be done is done: say so instead */
        fclose(a);
        free(ab);
        ab = NULL;
        an = 0;
        if (!(a = open_memstream(&ab, &an)))
            goto oom;
        fputs("Nothing to do: the latest settled score no longer raises this alert.", a);
    }
    if (fclose(s) != 0 || fclose(a) != 0) {
        s = a = NULL;
        goto oom;
    }
    scrub(sb);
    scrub(ab);
    *summary = sb;
    *action = ab;
    return 0;
oom:
    if (s)
        fclose(s);
    if (a)
        fclose(a);
    free(sb);
    free(ab);
    return PCS_ENOMEM;
}
