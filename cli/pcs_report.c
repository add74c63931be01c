/* pcs_report: `pcs report PARTNER... | --all --xlsx FILE`, one Excel workbook (libxlsxwriter) with
 * sheets of scores, history, eligibility, skilling and alerts: one row per partner and area and
 * metric (month, customer, person, alert), ids and Partner Center names side by side, numbers as
 * numbers with their formats, header rows frozen and filtered. Everything comes from the read model,
 * so each number is the one `pcs show` (and the others) print. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

#include "pcs_cli.h"
#include "pcs_date.h"
#include "pcs_insight.h"
#include "pcs_words.h"

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static double num(const json_t *o, const char *k)
{
    return json_number_value(json_object_get(o, k));
}

typedef struct formats {
    lxw_format *head, *score, *usd, *pct, *count, *date;
} formats_t;

typedef struct sheet {
    lxw_worksheet *ws;
    lxw_row_t row;
    lxw_col_t col, ncols;
    const formats_t *f;
} sheet_t;

/* A sheet with its header row (frozen, filtered) and column widths. */
static void sheet_open(sheet_t *s, lxw_workbook *wb, const char *name, const char *const *heads, const double *widths,
                       int n, const formats_t *f)
{
    s->ws = workbook_add_worksheet(wb, name);
    s->row = 0;
    s->col = 0;
    s->ncols = (lxw_col_t)n;
    s->f = f;
    for (int i = 0; i < n; i++) {
        worksheet_write_string(s->ws, 0, (lxw_col_t)i, heads[i], f->head);
        worksheet_set_column(s->ws, (lxw_col_t)i, (lxw_col_t)i, widths[i], NULL);
    }
    worksheet_freeze_panes(s->ws, 1, 0);
}

static void sheet_close(sheet_t *s)
{
    worksheet_autofilter(s->ws, 0, 0, s->row, s->ncols - 1);
}

static void next_row(sheet_t *s)
{
    s->row++;
    s->col = 0;
}

static void put_s(sheet_t *s, const char *v)
{
    if (v && *v)
        worksheet_write_string(s->ws, s->row, s->col, v, NULL);
    s->col++;
}

static void put_n(sheet_t *s, double v, lxw_format *fmt)
{
    worksheet_write_number(s->ws, s->row, s->col++, v, fmt);
}

static void put_b(sheet_t *s, bool v)
{
    worksheet_write_boolean(s->ws, s->row, s->col++, v, NULL);
}

/* A date as an Excel date (a blank cell when absent). */
static void put_d(sheet_t *s, const char *v)
{
    int32_t d;
    if (v && pcs_day_parse(v, &d) == 0) {
        int y, m, dd;
        pcs_day_to_civil(d, &y, &m, &dd);
        lxw_datetime dt = {.year = y, .month = m, .day = dd};
        worksheet_write_datetime(s->ws, s->row, s->col, &dt, s->f->date);
    }
    s->col++;
}

/* The number format of a value in unit. */
static lxw_format *unit_format(const formats_t *f, const char *unit)
{
    return !strcmp(unit, "USD") ? f->usd : !strcmp(unit, "%") ? f->pct : f->count;
}

typedef struct book {
    sheet_t scores, history, elig, skill, alerts;
    formats_t f;
    const pcs_rules_t *rules;
} book_t;

/* The selected track's detail of a metric (its parts or options), or NULL. */
static const json_t *track_metric(const json_t *area, const char *metric)
{
    size_t i, k;
    json_t *t, *m;
    json_array_foreach(json_object_get(area, "tracks"), i, t) {
        if (strcmp(str(t, "track"), str(area, "track")))
            continue;
        json_array_foreach(json_object_get(t, "metrics"), k, m) {
            if (!strcmp(str(m, "metric"), metric))
                return m;
        }
    }
    return NULL;
}

static void score_row(book_t *b, const char *partner, const json_t *doc, bool stored, const json_t *a)
{
    sheet_t *s = &b->scores;
    next_row(s);
    put_s(s, partner);
    put_d(s, str(doc, "as_of"));
    put_s(s, stored ? "stored" : "computed");
    put_s(s, str(a, "area"));
    put_s(s, pcs_words_area(str(a, "area")));
    put_s(s, pcs_words_track(str(a, "track")));
    put_n(s, num(a, "score"), b->f.score);
    put_b(s, json_is_true(json_object_get(a, "qualified")));
    put_s(s, pcs_words_status(str(a, "status")));
}

/* Per area and metric a row; a metric made of parts (or options) also gets a row per part, each in
 * its own unit, and its own value only where the parts share a unit. */
static void write_scores(book_t *b, const char *partner, const json_t *doc, bool stored)
{
    sheet_t *s = &b->scores;
    size_t i, k, j;
    json_t *a, *m, *sub;
    json_array_foreach(json_object_get(doc, "areas"), i, a) {
        json_array_foreach(json_object_get(a, "metrics"), k, m) {
            const char *metric = str(m, "metric");
            const char *unit = pcs_words_unit(b->rules, str(a, "area"), str(a, "track"), metric, NULL);
            score_row(b, partner, doc, stored, a);
            put_s(s, pcs_words_metric(metric));
            put_s(s, NULL);
            if (*unit)
                put_n(s, num(m, "value"), unit_format(&b->f, unit));
            else
                put_s(s, NULL);
            put_s(s, *unit ? unit : "mixed (see the part rows)");
            put_n(s, num(m, "points"), b->f.score);
            put_n(s, num(m, "max"), b->f.score);
            const json_t *tm = track_metric(a, metric);
            const char *key = json_object_get(tm, "parts") ? "parts" : "options";
            json_array_foreach(json_object_get(tm, key), j, sub) {
                const char *su = pcs_words_unit(b->rules, str(a, "area"), str(a, "track"), metric, str(sub, "name"));
                score_row(b, partner, doc, stored, a);
                put_s(s, pcs_words_metric(metric));
                put_s(s, str(sub, "name"));
                put_n(s, num(sub, "units"), unit_format(&b->f, su));
                put_s(s, su);
                put_n(s, num(sub, "points"), b->f.score);
                put_s(s, NULL);
            }
        }
    }
}

static void write_history(book_t *b, const char *partner, const json_t *rows)
{
    sheet_t *s = &b->history;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        next_row(s);
        put_s(s, partner);
        put_s(s, str(r, "month"));
        put_s(s, pcs_words_area(str(r, "area")));
        put_d(s, str(r, "as_of"));
        put_n(s, num(r, "score"), b->f.score);
        put_s(s, pcs_words_track(str(r, "track")));
        put_b(s, json_is_true(json_object_get(r, "qualified")));
        put_s(s, str(r, "source"));
    }
}

static void write_eligibility(book_t *b, const char *partner, const json_t *el)
{
    sheet_t *s = &b->elig;
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(el, "rows"), i, r) {
        const char *part = json_is_string(json_object_get(r, "part")) ? str(r, "part") : str(r, "option");
        const char *unit = pcs_words_unit(b->rules, str(r, "area"), str(r, "track"), str(r, "metric"), part);
        next_row(s);
        put_s(s, partner);
        put_s(s, pcs_words_area(str(r, "area")));
        put_s(s, pcs_words_track(str(r, "track")));
        put_s(s, pcs_words_metric(str(r, "metric")));
        put_s(s, part);
        put_s(s, str(r, "customer_id"));
        put_s(s, str(r, "customer_name"));
        put_s(s, str(r, "tenant_id"));
        put_s(s, str(r, "status"));
        put_n(s, num(r, "effect"), b->f.count);
        lxw_format *fmt = unit_format(&b->f, strcmp(unit, "%") ? unit : "USD");
        json_t *cv = json_object_get(r, "current_value"), *pv = json_object_get(r, "comparison_value");
        if (json_is_number(cv))
            put_n(s, json_number_value(cv), fmt);
        else
            put_s(s, json_is_boolean(cv) ? (json_is_true(cv) ? "yes" : "no") : str(r, "current_value"));
        if (json_is_number(pv))
            put_n(s, json_number_value(pv), fmt);
        else
            put_s(s, json_is_boolean(pv) ? (json_is_true(pv) ? "yes" : "no") : str(r, "comparison_value"));
        put_s(s, str(r, "criterion"));
    }
}

static void write_skilling(book_t *b, const char *partner, const json_t *sk)
{
    sheet_t *s = &b->skill;
    size_t i, k, z;
    json_t *m, *p, *c;
    json_array_foreach(sk, i, m) {
        json_array_foreach(json_object_get(m, "people"), k, p) {
            json_array_foreach(json_object_get(p, "certifications"), z, c) {
                next_row(s);
                put_s(s, partner);
                put_s(s, pcs_words_area(str(m, "area")));
                put_s(s, pcs_words_track(str(m, "track")));
                put_s(s, pcs_words_metric(str(m, "metric")));
                put_n(s, (double)json_integer_value(json_object_get(p, "step")), b->f.count);
                put_s(s, str(p, "person_id"));
                put_b(s, json_is_true(json_object_get(p, "counted")));
                put_s(s, pcs_words_cert(b->rules, str(c, "name")));
                put_d(s, str(c, "earned"));
                put_d(s, json_is_string(json_object_get(c, "expires")) ? str(c, "expires") : NULL);
                put_n(s, num(m, "points"), b->f.score);
                put_n(s, num(m, "max"), b->f.score);
            }
        }
    }
}

static void write_alerts(book_t *b, const json_t *arr)
{
    sheet_t *s = &b->alerts;
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x) {
        /* the notifier's own words where it keeps them (alerts.summary, 0005), else the event's */
        char *text = *str(x, "summary") ? strdup(str(x, "summary")) : pcs_insight_event_text(b->rules, x);
        next_row(s);
        put_s(s, str(x, "partner_id"));
        put_s(s, str(x, "created"));
        put_s(s, str(x, "severity"));
        put_s(s, json_is_string(json_object_get(x, "state")) ? str(x, "state") : "");
        put_s(s, pcs_words_area(str(x, "area")));
        put_s(s, str(x, "event"));
        put_s(s, text);
        put_s(s, str(x, "dedup_key"));
        free(text);
    }
}

static void open_sheets(book_t *b, lxw_workbook *wb)
{
    static const char *const sc[] = {"Partner", "As of", "Source", "Area id", "Area", "Track", "Score", "Qualified",
                                     "Status", "Metric", "Part", "Value", "Unit", "Points", "Max"};
    static const double scw[] = {22, 12, 10, 24, 24, 11, 8, 10, 12, 28, 10, 14, 12, 8, 6};
    static const char *const hi[] = {"Partner", "Data month", "Area", "Recorded", "Score", "Track", "Qualified", "Source"};
    static const double hiw[] = {22, 11, 24, 12, 8, 11, 10, 10};
    static const char *const el[] = {"Partner", "Area", "Track", "Metric", "Part", "Customer id", "Customer", "Tenant",
                                     "Status", "Effect", "Now", "Compared with", "Rule"};
    static const double elw[] = {22, 24, 11, 24, 8, 14, 24, 24, 10, 7, 14, 14, 60};
    static const char *const sk[] = {"Partner", "Area", "Track", "Metric", "Step", "Person", "Valid", "Certification",
                                     "Earned", "Expires", "Metric points", "Max"};
    static const double skw[] = {22, 24, 11, 28, 6, 20, 7, 44, 12, 12, 13, 6};
    static const char *const al[] = {"Partner", "Raised (UTC)", "Severity", "State", "Area", "Event", "What", "Dedup key"};
    static const double alw[] = {22, 21, 9, 9, 24, 24, 80, 50};
    sheet_open(&b->scores, wb, "Scores", sc, scw, 15, &b->f);
    sheet_open(&b->history, wb, "History", hi, hiw, 8, &b->f);
    sheet_open(&b->elig, wb, "Eligibility", el, elw, 13, &b->f);
    sheet_open(&b->skill, wb, "Skilling", sk, skw, 12, &b->f);
    sheet_open(&b->alerts, wb, "Alerts", al, alw, 8, &b->f);
}

/* One partner's rows in every sheet. */
static int write_partner(book_t *b, pcs_store_t *st, const char *partner, int32_t day, int months, pcs_err_t *err)
{
    char *text = NULL;
    bool stored;
    json_t *doc = NULL, *hist = NULL, *el = NULL, *sk = NULL, *al = NULL;
    pcs_insight_t *in = NULL;
    int rc = pcs_insight_result(st, b->rules, partner, day, &text, &stored, err);
    if (rc < 0 || !(doc = json_loads(text, 0, NULL)) ||
        !(hist = pcs_store_history(st, partner, b->rules->name, day, months, -1, err)) ||
        !(in = pcs_insight_open(st, b->rules, partner, day, -1, err)) || !(el = pcs_insight_eligibility(in, NULL, err)) ||
        !(sk = pcs_insight_skilling(in, err)) || !(al = pcs_store_alerts(st, partner, NULL, 1000, err))) {
        rc = err->code ? err->code : PCS_ENOMEM;
        goto out;
    }
    write_scores(b, partner, doc, stored);
    write_history(b, partner, hist);
    write_eligibility(b, partner, el);
    write_skilling(b, partner, sk);
    write_alerts(b, al);
out:
    pcs_insight_destroy(&in);
    json_decref(doc);
    json_decref(hist);
    json_decref(el);
    json_decref(sk);
    json_decref(al);
    free(text);
    return rc;
}

int pcs_cmd_report(pcs_args_t *a)
{
    const char *file = pcs_args_str(a, "xlsx");
    bool all = pcs_args_flag(a, "all");
    if (!file)
        return pcs_cli_fail(2, "report: --xlsx FILE is required (usage: pcs report %s)", a->cmd->synopsis);
    if (all == (a->npos > 0))
        return pcs_cli_fail(2, "report: name partners or give --all (not both)");
    int rc = 0;
    book_t b = {0};
    pcs_rules_t *rules = pcs_cli_rules(a, &rc);
    pcs_store_t *st = NULL;
    json_t *list = json_array();
    lxw_workbook *wb = NULL;
    pcs_err_t err = {0};
    if (!rules)
        return rc;
    b.rules = rules;
    int32_t day = pcs_cli_today(a, NULL);
    if ((rc = pcs_cli_store_for(a, NULL, &st)))
        goto out;
    if (all) {
        json_t *fleet = pcs_store_partners(st, rules->name, day, "id", NULL, -1, &err);
        if (!fleet) {
            rc = pcs_cli_err(&err);
            goto out;
        }
        size_t i;
        json_t *p;
        json_array_foreach(fleet, i, p) json_array_append_new(list, json_string(str(p, "partner_id")));
        json_decref(fleet);
    } else {
        for (int i = 0; i < a->npos; i++) {
            int e = pcs_store_partner_exists(st, a->pos[i], &err);
            if (e <= 0) {
                rc = e == 0 ? pcs_cli_fail(2, "no partner %s in the database", a->pos[i]) : pcs_cli_err(&err);
                goto out;
            }
            json_array_append_new(list, json_string(a->pos[i]));
        }
    }
    lxw_workbook_options opts = {.constant_memory = LXW_FALSE, .tmpdir = NULL};
    if (!(wb = workbook_new_opt(file, &opts))) {
        rc = pcs_cli_fail(2, "%s: cannot create the workbook", file);
        goto out;
    }
    b.f.head = workbook_add_format(wb);
    format_set_bold(b.f.head);
    format_set_bottom(b.f.head, LXW_BORDER_THIN);
    b.f.score = workbook_add_format(wb);
    format_set_num_format(b.f.score, "0.00");
    b.f.usd = workbook_add_format(wb);
    format_set_num_format(b.f.usd, "\"USD\" #,##0.00");
    b.f.pct = workbook_add_format(wb);
    format_set_num_format(b.f.pct, "0.00\" %\"");
    b.f.count = workbook_add_format(wb);
    format_set_num_format(b.f.count, "#,##0");
    b.f.date = workbook_add_format(wb);
    format_set_num_format(b.f.date, "yyyy-mm-dd");
    open_sheets(&b, wb);
    size_t n = json_array_size(list), i;
    int months = (int)pcs_args_long(a, "months", 0);
    for (i = 0; i < n; i++) {
        pcs_cli_progress("report: partners", (long)i, (long)n, false);
        if ((rc = write_partner(&b, st, json_string_value(json_array_get(list, i)), day, months, &err)) < 0) {
            rc = pcs_cli_err(&err);
            goto out;
        }
    }
    pcs_cli_progress("report: partners", (long)n, (long)n, true);
    sheet_t *sheets[] = {&b.scores, &b.history, &b.elig, &b.skill, &b.alerts};
    for (size_t k = 0; k < 5; k++)
        sheet_close(sheets[k]);
    lxw_error le = workbook_close(wb);
    wb = NULL;
    if (le != LXW_NO_ERROR) {
        rc = pcs_cli_fail(1, "%s: %s", file, lxw_strerror(le));
        goto out;
    }
    if (pcs_args_flag(a, "json")) {
        json_t *o = json_pack("{s:s, s:O, s:{s:I, s:I, s:I, s:I, s:I}}", "file", file, "partners", list, "rows", "scores",
                              (json_int_t)b.scores.row, "history", (json_int_t)b.history.row, "eligibility",
                              (json_int_t)b.elig.row, "skilling", (json_int_t)b.skill.row, "alerts", (json_int_t)b.alerts.row);
        rc = pcs_cli_print_json(o);
        json_decref(o);
    } else {
        printf("%s: %zu partner%s; rows: scores %u, history %u, eligibility %u, skilling %u, alerts %u\n", file, n,
               n == 1 ? "" : "s", (unsigned)b.scores.row, (unsigned)b.history.row, (unsigned)b.elig.row,
               (unsigned)b.skill.row, (unsigned)b.alerts.row);
    }
out:
    if (wb)
        workbook_close(wb);
    json_decref(list);
    pcs_store_destroy(&st);
    pcs_rules_destroy(&rules);
    return rc;
}
