/* pcs_cli: what every `pcs` command shares: the one argument parser (options declared once, each
 * command naming the ones it takes; `pcs COMMAND --help`; unknown options and bad values are exit 2
 * with `pcs: ...` on stderr), tables (widths from the content, text or CSV), the stack's today,
 * and the read model's connection.
 *
 * Exit codes of every command: 0 success, 2 bad input or usage (unknown partner or customer
 * included), 1 internal failure (database down, out of memory). */
#ifndef PCS_CLI_H
#define PCS_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "pcs_err.h"
#include "pcs_rules.h"
#include "pcs_store.h"

#define PCS_ARGS_MAX 256

typedef struct pcs_args pcs_args_t;

typedef struct pcs_cmd {
    const char *name;
    const char *synopsis;       /* after "pcs NAME " */
    const char *summary;        /* one line for `pcs --help` */
    const char *help;           /* more lines for `pcs NAME --help`, or NULL */
    const char *options;        /* the options it takes, space separated names without "--" */
    int min_pos, max_pos;       /* positional arguments */
    int (*run)(pcs_args_t *a);
} pcs_cmd_t;

struct pcs_args {
    const pcs_cmd_t *cmd;
    int npos;
    const char *pos[PCS_ARGS_MAX];
    int nset;
    struct {
        const char *name;
        const char *value;      /* NULL for a flag */
    } set[PCS_ARGS_MAX];
};

/* Parses argv (argv[0] is the command name) for cmd. Returns 0, -1 when --help was printed (exit
 * 0), or 2 after printing `pcs: reason` (unknown option, missing value, bad date, area, number or
 * choice, wrong number of arguments). */
int pcs_args_parse(const pcs_cmd_t *cmd, int argc, char **argv, pcs_args_t *a);
/* `pcs NAME --help` text. */
void pcs_args_help(const pcs_cmd_t *cmd, FILE *f);
/* The one-line synopsis of each option of the table, for `pcs --help`. */
bool pcs_args_flag(const pcs_args_t *a, const char *name);
const char *pcs_args_str(const pcs_args_t *a, const char *name);           /* the last value or NULL */
int pcs_args_count(const pcs_args_t *a, const char *name);                 /* how many times given */
const char *pcs_args_nth(const pcs_args_t *a, const char *name, int i);    /* i-th value of a repeated option */
long pcs_args_long(const pcs_args_t *a, const char *name, long dflt);      /* validated by the parser */
int32_t pcs_args_day(const pcs_args_t *a, const char *name);               /* PCS_DAY_NONE when absent */
int pcs_args_area(const pcs_args_t *a);                                    /* --area index or -1 */

/* Prints `pcs: msg` and returns 2 (usage) — or the code given. */
int pcs_cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Exit code for a store or insight error, after printing `pcs: msg`: 2 for PCS_EINVAL and
 * PCS_ENOTFOUND, 1 otherwise. */
int pcs_cli_err(const pcs_err_t *err);

/* --db, else PCS_DB, else "" (the PG* variables). */
const char *pcs_cli_conninfo(const pcs_args_t *a);
/* A store on that database, or NULL after printing why. */
pcs_store_t *pcs_cli_store(const pcs_args_t *a);
/* A store on which partner (NULL: no check) is known: 0 with *st, else the exit code after printing
 * why (2 for an unknown partner). */
int pcs_cli_store_for(const pcs_args_t *a, const char *partner, pcs_store_t **st);
/* The rule set of --rules (default the newest shipped); NULL after printing why (*rc = 2 or 1). */
pcs_rules_t *pcs_cli_rules(const pcs_args_t *a, int *rc);
/* The scorer's control endpoint: --endpoint, PCS_SCORER, or tcp://127.0.0.1:5603. */
const char *pcs_cli_scorer(const pcs_args_t *a);

/* The day a command answers for: --as-of; else the stack's today (PCS_TODAY, else the `today` the
 * scorer reports when PCS_SCORER or --endpoint names one and it answers, else the date in UTC).
 * *how (may be NULL) receives words for the header: "given", "the stack's today, from pcs-scorer",
 * "the stack's today, PCS_TODAY" or "today's date, UTC". */
int32_t pcs_cli_today(const pcs_args_t *a, const char **how);

/* Sends one REQ message and waits for a reply with "ok": true, retrying on a fresh socket after a
 * timeout. 0 when acknowledged, 1 otherwise (reply holds the reply or the reason). server names the
 * daemon behind endpoint ("ingest", "scorer"; NULL: never CURVE) for pcs_cli_curve(). */
int pcs_cli_request(void *ctx, const char *endpoint, const char *server, const char *msg, size_t len, int timeout_ms,
                    int retries, char *reply, size_t rsize);
/* CURVE for a socket of the command line when PCS_CURVE_DIR names a keys directory (pcs_curve.h,
 * issue 18.10): a client of `server` with the key pair "pcs". 0, or -1 with the reason in why. */
int pcs_cli_curve(void *sock, const char *server, char *why, size_t wsize);

/* Prints j (indented, 15 significant digits) and a newline; 0, or 1 when stdout fails. */
int pcs_cli_print_json(const json_t *j);

/* Progress on a terminal (stderr), silent when stderr is not one: "\r<what> n/total". done ends the
 * line. */
void pcs_cli_progress(const char *what, long n, long total, bool done);

/* ---- tables ---- */

typedef struct pcs_table pcs_table_t;

/* cols: "id:Title" pairs, one per column; a '>' before the id aligns the column right (numbers).
 * The id heads the CSV column, the title the text column. */
pcs_table_t *pcs_table_new(const char *const *cols, int ncols);
void pcs_table_destroy(pcs_table_t **pt);
/* Appends a cell to the current row (a new row starts after the last column): text for people,
 * csv (NULL: the same) for CSV. */
void pcs_table_cell(pcs_table_t *t, const char *text, const char *csv);
void pcs_table_cellf(pcs_table_t *t, const char *csv, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A number: text with its unit and thousands separators, CSV plain (up to 6 decimals). */
void pcs_table_num(pcs_table_t *t, double x, const char *unit);
/* A line of text across the table before the next row (a group header); not in CSV. */
void pcs_table_group(pcs_table_t *t, const char *text);
int pcs_table_rows(const pcs_table_t *t);
/* Prints the table: widths from the content, two spaces between columns, indent spaces before. */
void pcs_table_print(const pcs_table_t *t, FILE *f, int indent);
/* RFC 4180 CSV with the ids as header. */
void pcs_table_csv(const pcs_table_t *t, FILE *f);
/* One CSV field (quoted when needed) and a ',' or a newline. */
void pcs_csv_field(FILE *f, const char *s, bool last);
/* A plain number for CSV: up to 6 decimals, no trailing zeros. */
char *pcs_cli_plain(double x, char *buf, size_t n);

/* Appends one column per area (only `area` when >= 0) as "id:Partner Center name" to titles and
 * points cols[0..n) at titles; returns the new column count. */
int pcs_cli_area_columns(char (*titles)[96], const char **cols, int n, int area);

/* ---- the commands (one file per group) ---- */
int pcs_cmd_score(pcs_args_t *a);
int pcs_cmd_simulate(pcs_args_t *a);
int pcs_cmd_migrate(pcs_args_t *a);
int pcs_cmd_rejects(pcs_args_t *a);
int pcs_cmd_send(pcs_args_t *a);
int pcs_cmd_watch(pcs_args_t *a);
/* pcs keys DIR: the CURVE key pairs of the stack (pcs_curve.h); existing keys are kept. */
int pcs_cmd_keys(pcs_args_t *a);
int pcs_cmd_refresh(pcs_args_t *a);
int pcs_cmd_rescore(pcs_args_t *a);
int pcs_cmd_scorer_status(pcs_args_t *a);
int pcs_cmd_show(pcs_args_t *a);
int pcs_cmd_history(pcs_args_t *a);
int pcs_cmd_alerts(pcs_args_t *a);
int pcs_cmd_partners(pcs_args_t *a);
int pcs_cmd_export(pcs_args_t *a);
int pcs_cmd_eligibility(pcs_args_t *a);
int pcs_cmd_skilling(pcs_args_t *a);
int pcs_cmd_recommend(pcs_args_t *a);
int pcs_cmd_forecast(pcs_args_t *a);
int pcs_cmd_trends(pcs_args_t *a);
int pcs_cmd_rules(pcs_args_t *a);
int pcs_cmd_report(pcs_args_t *a);
int pcs_cmd_pull(pcs_args_t *a);   /* pcs_pull.c: pcs pull login | now | status */
int pcs_cmd_token(pcs_args_t *a);  /* pcs_token.c: pcs token create | list | revoke */

/* pcs simulate PARTNER on a running stack (pcs_insights.c); pcs_cmd_simulate calls it when the
 * argument is not a file. */
int pcs_cli_simulate_partner(pcs_args_t *a, json_t *changes);
/* The side-by-side view of {"current", "simulated"} (text or --csv). */
int pcs_cli_print_simulation(pcs_args_t *a, const json_t *both, const char *header);
/* The changes of --add-cert, --remove-cert and --add-customer as the JSON of pcs_insight_apply_changes;
 * NULL after printing why (*rc = 2). */
json_t *pcs_cli_changes(pcs_args_t *a, int *rc);

#endif
