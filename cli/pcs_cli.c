/* pcs_cli: the argument parser, tables, the stack's today and the helpers every command shares
 * (see pcs_cli.h). */
#include "pcs_cli.h"

#include "pcs_curve.h"
#include "pcs_text.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "pcs_date.h"
#include "pcs_vocab.h"
#include "pcs_words.h"

/* ---- options: declared once ------------------------------------------------------------------------ */

typedef enum { K_FLAG, K_STR, K_LIST, K_DATE, K_AREA, K_INT, K_CHOICE } kind_t;

typedef struct opt {
    const char *name;
    kind_t kind;
    const char *arg;            /* the value's name in help */
    const char *help;
    const char *const *choices; /* K_CHOICE: NULL-terminated */
} opt_t;

static const char *const sort_keys[] = {"risk", "id", NULL};

static const opt_t options[] = {
    {"json", K_FLAG, NULL, "print JSON (ids, numbers as numbers)", NULL},
    {"csv", K_FLAG, NULL, "print CSV with a header row (ids, plain numbers)", NULL},
    {"as-of", K_DATE, "YYYY-MM-DD", "answer for this day (default: the stack's today)", NULL},
    {"rules", K_STR, "VERSION|FILE", "rule set: pcs-2026 (default), pcs-2023 or a rule file", NULL},
    {"area", K_AREA, "AREA",
     "only this area: data_ai, infrastructure, digital_app_innovation, business_applications, modern_work, security",
     NULL},
    {"explain", K_FLAG, NULL, "add per-tenant eligibility and per-person skilling rows", NULL},
    {"add-cert", K_LIST, "PERSON:CERT[:EARNED]", "a person holds CERT from EARNED (default the day) for a year (repeatable)",
     NULL},
    {"remove-cert", K_LIST, "PERSON:CERT", "the person no longer holds CERT (repeatable)", NULL},
    {"add-customer", K_LIST, "FILE", "append a fragment's customers, associations and usage (repeatable)", NULL},
    {"db", K_STR, "CONNINFO", "PostgreSQL connection (default PCS_DB, else the PG* variables)", NULL},
    {"file", K_STR, "NAME", "only rows of this file, as it was dropped", NULL},
    {"limit", K_INT, "N", "at most N rows", NULL},
    {"endpoint", K_STR, "ENDPOINT", "ZeroMQ endpoint of the daemon", NULL},
    {"timeout-ms", K_INT, "N", "wait at most N ms for each reply", NULL},
    {"retries", K_INT, "N", "resend up to N times", NULL},
    {"pub", K_STR, "ENDPOINT", "publish each line as score.updated on ENDPOINT (testing)", NULL},
    {"sub", K_FLAG, NULL, "subscribe (PUB socket) instead of pulling", NULL},
    {"count", K_INT, "N", "stop after N messages", NULL},
    {"wait", K_FLAG, NULL, "return when the work asked for is done (refresh: every partner scored; pull: the run ended)", NULL},
    {"timeout", K_INT, "SECONDS", "give up waiting after SECONDS", NULL},
    {"months", K_INT, "N", "the last N data months (0 = every stored month)", NULL},
    {"customer", K_STR, "CUSTOMER", "only this customer (customer id, tenant id or name)", NULL},
    {"until", K_DATE, "YYYY-MM-DD", "the last day (default 180 days on)", NULL},
    {"sort", K_CHOICE, "risk|id", "order: most at risk first (default) or by partner id", sort_keys},
    {"status", K_CHOICE, "STATUS", "only partners with an area in this status (not_started, in_progress, qualified, "
     "enrolled, renewal_due)", pcs_status_ids},
    {"state", K_STR, "STATE", "alerts in this state (default firing where alerts have states; all = every alert)", NULL},
    {"all", K_FLAG, NULL, "every partner", NULL},
    {"xlsx", K_STR, "FILE", "write the workbook to FILE", NULL},
    {"config", K_STR, "FILE", "the daemon's configuration file", NULL},
    {"name", K_STR, "NAME", "the token's name (letters, digits, . _ @ -)", NULL},
    {"admin", K_FLAG, NULL, "the token sees every partner", NULL},
    {"partner", K_LIST, "ID", "the token sees this partner (repeatable; more ids may follow it)", NULL},
};

static const opt_t *find_opt(const char *name)
{
    for (size_t i = 0; i < sizeof options / sizeof *options; i++)
        if (strcmp(options[i].name, name) == 0)
            return &options[i];
    return NULL;
}

/* Whether cmd takes option name (a word of cmd->options). */
static bool takes(const pcs_cmd_t *cmd, const char *name, size_t len)
{
    const char *s = cmd->options ? cmd->options : "";
    while (*s) {
        size_t n = strcspn(s, " ");
        if (n == len && strncmp(s, name, len) == 0)
            return true;
        s += n;
        s += strspn(s, " ");
    }
    return false;
}

int pcs_cli_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("pcs: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

int pcs_cli_err(const pcs_err_t *err)
{
    fprintf(stderr, "pcs: %s\n", err->msg[0] ? err->msg : "failed");
    return err->code == PCS_EINVAL || err->code == PCS_ENOTFOUND ? 2 : 1;
}

static bool is_count(const char *v)
{
    return *v && strspn(v, "0123456789") == strlen(v) && strlen(v) < 10;
}

static int check_value(const opt_t *o, const char *v)
{
    int32_t d;
    switch (o->kind) {
    case K_DATE:
        if (pcs_day_parse(v, &d) < 0)
            return pcs_cli_fail(2, "--%s: bad date '%s' (expected YYYY-MM-DD)", o->name, v);
        break;
    case K_AREA:
        if (pcs_area_index(v) < 0)
            return pcs_cli_fail(2, "--area: unknown area '%s' (one of data_ai, infrastructure, "
                                "digital_app_innovation, business_applications, modern_work, security)", v);
        break;
    case K_INT:
        if (!is_count(v))
            return pcs_cli_fail(2, "--%s: expected a whole number, got '%s'", o->name, v);
        break;
    case K_CHOICE:
        if (pcs_vocab_index(o->choices, v) < 0) {
            char list[256] = "";
            for (int i = 0; o->choices[i]; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", o->choices[i]);
            return pcs_cli_fail(2, "--%s: expected one of %s, got '%s'", o->name, list, v);
        }
        break;
    default:
        break;
    }
    return 0;
}

int pcs_args_parse(const pcs_cmd_t *cmd, int argc, char **argv, pcs_args_t *a)
{
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    bool dashdash = false;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (dashdash || s[0] != '-' || strcmp(s, "-") == 0) {
            if (a->npos == cmd->max_pos || a->npos == PCS_ARGS_MAX)
                return pcs_cli_fail(2, "%s: unexpected argument '%s' (usage: pcs %s %s)", cmd->name, s, cmd->name,
                                    cmd->synopsis);
            a->pos[a->npos++] = s;
            continue;
        }
        if (strcmp(s, "--") == 0) {
            dashdash = true;
            continue;
        }
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            pcs_args_help(cmd, stdout);
            return -1;
        }
        const char *name = s + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)(len < sizeof key ? len : sizeof key - 1), name);
        const opt_t *o = s[1] == '-' ? find_opt(key) : NULL;
        if (!o || !takes(cmd, name, len))
            return pcs_cli_fail(2, "%s: unknown option '%s' (see pcs %s --help)", cmd->name, s, cmd->name);
        const char *v = NULL;
        if (o->kind == K_FLAG) {
            if (eq)
                return pcs_cli_fail(2, "%s: --%s takes no value", cmd->name, o->name);
        } else if (eq) {
            v = eq + 1;
        } else if (i + 1 < argc) {
            v = argv[++i];
        } else {
            return pcs_cli_fail(2, "%s: --%s needs a value (%s)", cmd->name, o->name, o->arg);
        }
        if (v && check_value(o, v))
            return 2;
        if (a->nset == PCS_ARGS_MAX)
            return pcs_cli_fail(2, "%s: too many options", cmd->name);
        a->set[a->nset].name = o->name;
        a->set[a->nset++].value = v;
    }
    if (a->npos < cmd->min_pos)
        return pcs_cli_fail(2, "%s: missing argument (usage: pcs %s %s)", cmd->name, cmd->name, cmd->synopsis);
    if (pcs_args_flag(a, "json") && pcs_args_flag(a, "csv"))
        return pcs_cli_fail(2, "%s: --json and --csv exclude each other", cmd->name);
    return 0;
}

void pcs_args_help(const pcs_cmd_t *cmd, FILE *f)
{
    fprintf(f, "usage: pcs %s %s\n\n%s\n", cmd->name, cmd->synopsis, cmd->summary);
    if (cmd->help)
        fprintf(f, "\n%s\n", cmd->help);
    if (cmd->options && *cmd->options)
        fputs("\nOptions:\n", f);
    const char *s = cmd->options ? cmd->options : "";
    while (*s) {
        size_t n = strcspn(s, " ");
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)n, s);
        const opt_t *o = find_opt(key);
        if (o) {
            char lhs[96];
            snprintf(lhs, sizeof lhs, "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
            fprintf(f, "  %-28s %s\n", lhs, o->help);
        }
        s += n;
        s += strspn(s, " ");
    }
    fputs("  --help                       this text\n", f);
}

bool pcs_args_flag(const pcs_args_t *a, const char *name)
{
    for (int i = 0; i < a->nset; i++)
        if (strcmp(a->set[i].name, name) == 0)
            return true;
    return false;
}

const char *pcs_args_str(const pcs_args_t *a, const char *name)
{
    const char *v = NULL;
    for (int i = 0; i < a->nset; i++)
        if (strcmp(a->set[i].name, name) == 0)
            v = a->set[i].value;
    return v;
}

int pcs_args_count(const pcs_args_t *a, const char *name)
{
    int n = 0;
    for (int i = 0; i < a->nset; i++)
        n += strcmp(a->set[i].name, name) == 0;
    return n;
}

const char *pcs_args_nth(const pcs_args_t *a, const char *name, int k)
{
    for (int i = 0; i < a->nset; i++)
        if (strcmp(a->set[i].name, name) == 0 && k-- == 0)
            return a->set[i].value;
    return NULL;
}

long pcs_args_long(const pcs_args_t *a, const char *name, long dflt)
{
    const char *v = pcs_args_str(a, name);
    return v ? atol(v) : dflt;
}

int32_t pcs_args_day(const pcs_args_t *a, const char *name)
{
    const char *v = pcs_args_str(a, name);
    int32_t d = PCS_DAY_NONE;
    if (v)
        pcs_day_parse(v, &d);
    return d;
}

int pcs_args_area(const pcs_args_t *a)
{
    const char *v = pcs_args_str(a, "area");
    return v ? pcs_area_index(v) : -1;
}

/* ---- the stack ------------------------------------------------------------------------------------- */

const char *pcs_cli_conninfo(const pcs_args_t *a)
{
    const char *v = pcs_args_str(a, "db");
    if (!v)
        v = getenv("PCS_DB");
    return v ? v : "";
}

pcs_store_t *pcs_cli_store(const pcs_args_t *a)
{
    pcs_err_t err = {0};
    pcs_store_t *s = pcs_store_open(pcs_cli_conninfo(a), &err);
    if (!s)
        fprintf(stderr, "pcs: %s\n", err.msg);
    return s;
}

int pcs_cli_store_for(const pcs_args_t *a, const char *partner, pcs_store_t **st)
{
    if (!(*st = pcs_cli_store(a)))
        return 1;
    pcs_err_t err = {0};
    int exists = partner ? pcs_store_partner_exists(*st, partner, &err) : 1;
    if (exists > 0)
        return 0;
    pcs_store_destroy(st);
    return exists == 0 ? pcs_cli_fail(2, "no partner %s in the database", partner) : pcs_cli_err(&err);
}

int pcs_cli_area_columns(char (*titles)[96], const char **cols, int n, int area)
{
    for (int k = 0; k < PCS_AREA_N; k++)
        if (area < 0 || area == k)
            snprintf(titles[n++], 96, "%s:%s", pcs_area_ids[k], pcs_words_area(pcs_area_ids[k]));
    for (int k = 0; k < n; k++)
        cols[k] = titles[k];
    return n;
}

pcs_rules_t *pcs_cli_rules(const pcs_args_t *a, int *rc)
{
    const char *spec = pcs_args_str(a, "rules");
    char path[4096];
    pcs_err_t err = {0};
    pcs_rules_t *r = pcs_rules_open(spec ? spec : pcs_rules_shipped[0], path, sizeof path, &err);
    if (r)
        return r;
    if (pcs_rules_path(spec ? spec : pcs_rules_shipped[0], path, sizeof path) < 0) {
        *rc = pcs_cli_fail(2, "--rules: %s", err.msg);
    } else {
        if (err.line > 0)
            fprintf(stderr, "pcs: %s:%d:%d: %s\n", path, err.line, err.column, err.msg);
        else
            fprintf(stderr, "pcs: %s: %s\n", path, err.msg);
        *rc = err.code == PCS_ENOMEM ? 1 : 2;
    }
    return NULL;
}

const char *pcs_cli_scorer(const pcs_args_t *a)
{
    const char *e = pcs_args_str(a, "endpoint");
    if (!e)
        e = getenv("PCS_SCORER");
    return e && *e ? e : "tcp://127.0.0.1:5603";
}

int32_t pcs_cli_today(const pcs_args_t *a, const char **how)
{
    int32_t d = pcs_args_day(a, "as-of");
    const char *why = "given";
    const char *env = getenv("PCS_TODAY");
    const char *ep = pcs_args_str(a, "endpoint");
    if (!ep)
        ep = getenv("PCS_SCORER");
    if (d != PCS_DAY_NONE) {
        why = "given";
    } else if (env && *env && pcs_day_parse(env, &d) == 0) {
        why = "the stack's today, PCS_TODAY";
    } else if (ep && *ep) {
        /* the scorer's own today: its pinned `today` setting, else its date */
        char reply[65536] = "";
        void *ctx = zmq_ctx_new();
        int r = pcs_cli_request(ctx, ep, "scorer", "{\"cmd\":\"status\"}", 16, 1500, 0, reply, sizeof reply);
        zmq_ctx_term(ctx);
        json_t *j = r == 0 ? json_loads(reply, 0, NULL) : NULL;
        const char *t = json_string_value(json_object_get(j, "today"));
        if (t && pcs_day_parse(t, &d) == 0)
            why = "the stack's today, from pcs-scorer";
        json_decref(j);
    }
    if (d == PCS_DAY_NONE) {
        d = pcs_day_today_utc();
        why = "today's date, UTC";
    }
    if (how)
        *how = why;
    return d;
}

int pcs_cli_curve(void *sock, const char *server, char *why, size_t wsize)
{
    const char *dir = getenv("PCS_CURVE_DIR");
    pcs_err_t err = {0};
    if (!server || !dir || !dir[0] || pcs_curve_apply(sock, dir, "pcs", server, &err) == 0)
        return 0;
    snprintf(why, wsize, "PCS_CURVE_DIR: %s", err.msg);
    return -1;
}

int pcs_cli_request(void *ctx, const char *endpoint, const char *server, const char *msg, size_t len, int timeout_ms,
                    int retries, char *reply, size_t rsize)
{
    /* a REQ socket cannot resend on its own: each attempt takes a fresh one */
    for (int attempt = 0; attempt <= retries; attempt++) {
        void *s = zmq_socket(ctx, ZMQ_REQ);
        int zero = 0;
        zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
        zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
        zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout_ms, sizeof timeout_ms);
        if (pcs_cli_curve(s, server, reply, rsize) < 0) {
            zmq_close(s);
            return 1;
        }
        if (zmq_connect(s, endpoint) < 0) {
            zmq_close(s);
            snprintf(reply, rsize, "cannot connect to %s: %s", endpoint, zmq_strerror(errno));
            return 1;
        }
        int n = -1;
        if (zmq_send(s, msg, len, 0) >= 0)
            n = zmq_recv(s, reply, rsize - 1, 0);
        zmq_close(s);
        if (n >= 0) {
            reply[(size_t)n < rsize - 1 ? (size_t)n : rsize - 1] = '\0';
            json_t *j = json_loads(reply, 0, NULL);
            bool ok = j && json_is_true(json_object_get(j, "ok"));
            json_decref(j);
            if (ok)
                return 0;
            if (strstr(reply, "retry") == NULL)
                return 1;   /* refused for its content: retrying cannot help */
        }
        if (attempt < retries)
            zmq_sleep(0);
    }
    if (!reply[0])
        snprintf(reply, rsize, "no reply after %d attempt%s", retries + 1, retries ? "s" : "");
    return 1;
}

int pcs_cli_print_json(const json_t *j)
{
    char *s = pcs_store_dumps(j);
    if (!s)
        return 1;
    fputs(s, stdout);
    free(s);
    return fflush(stdout) == 0 ? 0 : 1;
}

void pcs_cli_progress(const char *what, long n, long total, bool done)
{
    if (!isatty(STDERR_FILENO))
        return;
    if (total > 0)
        fprintf(stderr, "\r%s %ld/%ld", what, n, total);
    else
        fprintf(stderr, "\r%s %ld", what, n);
    fputs(done ? "\n" : "", stderr);
    fflush(stderr);
}

/* ---- tables ---------------------------------------------------------------------------------------- */

typedef struct cell {
    char *text, *csv;
} cell_t;

struct pcs_table {
    int ncols;
    char **ids, **titles;
    bool *right;
    cell_t *cells;              /* rows * ncols */
    char **groups;              /* per row: a group line printed before it, or NULL */
    int n, cap;                 /* cells */
    char *pending_group;
};

pcs_table_t *pcs_table_new(const char *const *cols, int ncols)
{
    pcs_table_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->ncols = ncols;
    t->ids = calloc((size_t)ncols, sizeof *t->ids);
    t->titles = calloc((size_t)ncols, sizeof *t->titles);
    t->right = calloc((size_t)ncols, sizeof *t->right);
    if (!t->ids || !t->titles || !t->right) {
        pcs_table_destroy(&t);
        return NULL;
    }
    for (int i = 0; i < ncols; i++) {
        const char *c = cols[i];
        t->right[i] = c[0] == '>';
        c += t->right[i];
        const char *colon = strchr(c, ':');
        t->ids[i] = colon ? strndup(c, (size_t)(colon - c)) : strdup(c);
        t->titles[i] = strdup(colon ? colon + 1 : c);
    }
    return t;
}

void pcs_table_destroy(pcs_table_t **pt)
{
    if (!pt || !*pt)
        return;
    pcs_table_t *t = *pt;
    for (int i = 0; i < t->ncols; i++) {
        free(t->ids ? t->ids[i] : NULL);
        free(t->titles ? t->titles[i] : NULL);
    }
    for (int i = 0; i < t->n; i++) {
        free(t->cells[i].text);
        free(t->cells[i].csv);
    }
    for (int i = 0; t->groups && i < t->cap; i++)
        free(t->groups[i]);
    free(t->pending_group);
    free(t->groups);
    free(t->ids);
    free(t->titles);
    free(t->right);
    free(t->cells);
    free(t);
    *pt = NULL;
}

void pcs_table_cell(pcs_table_t *t, const char *text, const char *csv)
{
    if (!t)
        return;
    if (t->n == t->cap) {   /* groups has one slot per cell, so always one per row */
        int cap = t->cap ? t->cap * 2 : 64;
        cell_t *c = realloc(t->cells, (size_t)cap * sizeof *c);
        if (c)
            t->cells = c;
        char **g = c ? realloc(t->groups, (size_t)cap * sizeof *g) : NULL;
        if (!c || !g)
            return;
        for (int i = t->cap; i < cap; i++)
            g[i] = NULL;
        t->groups = g;
        t->cap = cap;
    }
    if (t->n % t->ncols == 0) {   /* a new row: the group line waiting for it */
        t->groups[t->n / t->ncols] = t->pending_group;
        t->pending_group = NULL;
    }
    /* the terminal sees stored text (names, ids, reasons from feeds) escaped, never a control
     * character (issue 18.9, pcs_text.h); --csv gets the value as it is, quoted by CSV */
    text = text ? text : "";
    t->cells[t->n].text = pcs_text_escape_dup(text, strlen(text));
    t->cells[t->n].csv = strdup(csv ? csv : text);
    t->n++;
}

void pcs_table_cellf(pcs_table_t *t, const char *csv, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    pcs_table_cell(t, buf, csv);
}

char *pcs_cli_plain(double x, char *buf, size_t n)
{
    snprintf(buf, n, "%.6f", x);
    char *dot = strchr(buf, '.');
    if (dot) {
        char *e = buf + strlen(buf) - 1;
        while (e > dot && *e == '0')
            *e-- = '\0';
        if (e == dot)
            *e = '\0';
    }
    if (strcmp(buf, "-0") == 0)
        strcpy(buf, "0");
    return buf;
}

void pcs_table_num(pcs_table_t *t, double x, const char *unit)
{
    char text[96], csv[64];
    pcs_words_amount(x, unit, text, sizeof text);
    pcs_table_cell(t, text, pcs_cli_plain(x, csv, sizeof csv));
}

void pcs_table_group(pcs_table_t *t, const char *text)
{
    if (!t)
        return;
    free(t->pending_group);
    t->pending_group = strdup(text);
}

int pcs_table_rows(const pcs_table_t *t)
{
    return t ? t->n / t->ncols : 0;
}

/* Display width of UTF-8 text (code points). */
static int width(const char *s)
{
    int w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

void pcs_table_print(const pcs_table_t *t, FILE *f, int indent)
{
    if (!t)
        return;
    int rows = t->n / t->ncols;
    int *w = calloc((size_t)t->ncols, sizeof *w);
    if (!w)
        return;
    for (int c = 0; c < t->ncols; c++) {
        w[c] = width(t->titles[c]);
        for (int r = 0; r < rows; r++) {
            int x = width(t->cells[r * t->ncols + c].text);
            w[c] = x > w[c] ? x : w[c];
        }
    }
    for (int r = -1; r < rows; r++) {
        if (r >= 0 && t->groups[r]) {   /* a group line; a leading newline leaves a blank line before it */
            const char *g = t->groups[r];
            if (*g == '\n')
                fputc(*g++, f);
            fprintf(f, "%*s%s\n", indent, "", g);
        }
        fprintf(f, "%*s", indent, "");
        /* nothing after the last non-empty cell, so no line ends in spaces */
        int last = t->ncols - 1;
        while (last > 0 && !*(r < 0 ? t->titles[last] : t->cells[r * t->ncols + last].text))
            last--;
        for (int c = 0; c <= last; c++) {
            const char *s = r < 0 ? t->titles[c] : t->cells[r * t->ncols + c].text;
            int pad = w[c] - width(s);
            if (t->right[c])
                fprintf(f, "%*s%s", pad, "", s);
            else
                fprintf(f, "%s%*s", s, c == last ? 0 : pad, "");
            if (c < last)
                fputs("  ", f);
        }
        fputc('\n', f);
    }
    free(w);
}

void pcs_csv_field(FILE *f, const char *s, bool last)
{
    if (strpbrk(s, ",\"\n\r")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
    fputc(last ? '\n' : ',', f);
}

void pcs_table_csv(const pcs_table_t *t, FILE *f)
{
    if (!t)
        return;
    for (int c = 0; c < t->ncols; c++)
        pcs_csv_field(f, t->ids[c], c == t->ncols - 1);
    for (int i = 0; i < t->n; i++) {
        const cell_t *x = &t->cells[i];
        pcs_csv_field(f, x->csv ? x->csv : x->text, i % t->ncols == t->ncols - 1);
    }
}
