/* pcs: the command line. One table of commands, one argument parser (pcs_cli.c). `pcs score` and
 * `pcs simulate FILE` score a partner document offline (interfaces.md §2); the other commands ask a
 * running stack through the read model (store/) and the scorer's control socket.
 * Exit codes: 0 success, 2 bad input or usage, 1 internal failure. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcs_cli.h"
#include "pcs_date.h"
#include "pcs_db.h"
#include "pcs_doc.h"
#include "pcs_engine.h"
#include "pcs_file.h"
#include "pcs_insight.h"
#include "pcs_result_json.h"

#define MAX_INPUT (512u << 20)

#define STACK "db as-of rules json"
static const pcs_cmd_t commands[] = {
    {"score", "[--rules VERSION|FILE] [--as-of YYYY-MM-DD] [--area AREA] [--explain] FILE|-",
     "Score one partner document offline and print the result document (JSON).",
     "Bad input: nothing on stdout, one line `pcs: FILE:LINE:COL: reason` on stderr, exit 2.",
     "rules as-of area explain json", 1, 1, pcs_cmd_score},
    {"simulate",
     "FILE|PARTNER [--add-cert PERSON:CERT[:EARNED]]... [--remove-cert PERSON:CERT]... [--add-customer FILE]... "
     "[--as-of D] [--rules V] [--json|--csv]",
     "The score with the changes beside the current one (nothing is stored).",
     "FILE is a partner document; PARTNER (not a file) is a partner of the running stack (PCS_DB).\n"
     "--json prints {\"current\": R1, \"simulated\": R2}. An unknown certification, a bad date or a\n"
     "person to remove that does not exist is exit 2.",
     "rules as-of area add-cert remove-cert add-customer json csv db endpoint", 1, 1, pcs_cmd_simulate},
    {"migrate", "[--db CONNINFO] [--json]",
     "Apply the pending migrations of sql/ (each in a transaction); running it twice changes nothing.", NULL,
     "db json", 0, 0, pcs_cmd_migrate},
    {"rejects", "[--file NAME] [--limit N] [--json|--csv] [--db CONNINFO]",
     "The rejected input rows, newest first: file:line:column: reason, and the row as it was.", NULL,
     "file limit json csv db", 0, 0, pcs_cmd_rejects},
    {"send", "FILE.jsonl [--endpoint tcp://127.0.0.1:5601] [--timeout-ms 2000] [--retries 5] [--json] | FILE --pub ENDPOINT",
     "Send events (one envelope per line) to pcs-ingest; each is acknowledged once stored.",
     "The endpoint defaults to PCS_INTAKE, else tcp://127.0.0.1:5601.", "endpoint timeout-ms retries pub json", 1, 1,
     pcs_cmd_send},
    {"watch", "ENDPOINT [--sub] [--count N] [--timeout-ms N] [--json]",
     "Print the messages a daemon PUSHes (or PUBlishes, with --sub), one per line.",
     "A message of several frames (topic and body) prints its frames separated by a space; --json\n"
     "prints each as {\"frames\": [...]}.", "sub count timeout-ms json", 1, 1, pcs_cmd_watch},
    {"keys", "DIR",
     "Make the ZeroMQ CURVE key pairs of ingest, scorer, notifier and pcs in DIR (existing ones are kept).",
     "NAME.key (mode 0600: public and secret key) and NAME.pub for each; point every daemon's\n"
     "curve_keys_dir at DIR (deploy/README.md). With PCS_CURVE_DIR=DIR, send, watch, refresh and the\n"
     "other commands on the stack connect with CURVE as \"pcs\".", "", 1, 1, pcs_cmd_keys},
    {"refresh", "[--as-of YYYY-MM-DD] [--wait] [--timeout SECONDS] [--json]",
     "Score every partner now (as of the stack's today unless given); --wait returns when all are stored.",
     "Progress is shown on a terminal while waiting.", "as-of wait timeout endpoint db json", 0, 0, pcs_cmd_refresh},
    {"rescore", "PARTNER [--json]", "Score one partner again as of the stack's today.", NULL, "endpoint json", 1, 1,
     pcs_cmd_rescore},
    {"scorer-status", "[--json|--csv]", "What the scorer does: partners scored, open slices, pending outbox rows, last error.",
     NULL, "endpoint json csv", 0, 0, pcs_cmd_scorer_status},
    {"show", "PARTNER [--as-of YYYY-MM-DD] [--rules V] [--json|--csv]",
     "A partner's scorecard: the stored result of the day when there is one, else computed from the facts.",
     "The day is the stack's today unless --as-of gives one; the header says which day and whether the\n"
     "result is the stored one. --json prints the result document exactly (interfaces.md §2).",
     STACK " csv endpoint", 1, 1, pcs_cmd_show},
    {"history", "PARTNER [--months N] [--area A] [--as-of D] [--rules V] [--json|--csv]",
     "Per data month the best stored score of each area (scoring.md §11.3); 6 months by default, 0 = all.",
     "Months the stored result's history computed (no stored score that month) are marked computed.",
     STACK " months area csv endpoint", 1, 1, pcs_cmd_history},
    {"alerts", "[PARTNER] [--state STATE] [--limit N] [--json|--csv]",
     "The alerts raised by pcs-notifier, newest first, with their delivery to each sink.", NULL,
     "state limit json csv db", 0, 1, pcs_cmd_alerts},
    {"partners", "[--sort risk|id] [--status S] [--area A] [--as-of D] [--rules V] [--json|--csv]",
     "The fleet: every partner with its score and status per area, days to the next anniversary and firing alerts.",
     "One query over the stored results, fast for tens of thousands of partners. --sort risk (default)\n"
     "puts the worst firing alert first, then the most alerts, then the nearest anniversary.",
     STACK " sort status area csv endpoint", 0, 0, pcs_cmd_partners},
    {"report", "PARTNER... | --all --xlsx FILE [--as-of D] [--rules V] [--months N]",
     "Write an Excel workbook: sheets of scores, history, eligibility, skilling and alerts.",
     "Number formats and frozen header rows; one row per partner, area and metric (or month, customer,\n"
     "person, alert). Progress is shown on a terminal for large reports.",
     "all xlsx db as-of rules months endpoint json", 0, PCS_ARGS_MAX, pcs_cmd_report},
    {"export", "PARTNER [--as-of D] [--json]", "The partner document of a partner's facts (the input of pcs score).",
     NULL, "db as-of json endpoint", 1, 1, pcs_cmd_export},
    {"eligibility", "PARTNER [--area A] [--customer C] [--as-of D] [--rules V] [--json|--csv]",
     "Which customers counted for each metric, and why not (grouped by area, track and metric).", NULL,
     STACK " area customer csv endpoint", 1, 1, pcs_cmd_eligibility},
    {"skilling", "PARTNER [--area A] [--as-of D] [--rules V] [--json|--csv]",
     "Who counts, with which certification, what each step requires and what is missing.", NULL,
     STACK " area csv endpoint", 1, 1, pcs_cmd_skilling},
    {"recommend", "PARTNER [--area A] [--as-of D] [--rules V] [--json|--csv]",
     "Ranked actions (renewals before they lapse, new certifications) with their effect, and what is at risk.",
     "Renewals and actions that win or keep a designation come first, then by urgency and points per person.",
     STACK " area csv endpoint", 1, 1, pcs_cmd_recommend},
    {"forecast", "PARTNER [--until D] [--area A] [--as-of D] [--rules V] [--json|--csv]",
     "Future scores from what is already known (expiries, anniversaries; usage carried forward).",
     "The first day's scores are the day's own (the same as pcs show of that day).",
     STACK " until area csv endpoint", 1, 1, pcs_cmd_forecast},
    {"trends", "PARTNER [--as-of YYYY-MM-DD] [--area A] [--rules V] [--json|--csv]",
     "Month by month: customers with usage, ACR, revenue, active users, and the best stored score per area. "
     "--as-of shows what was known on that day (every stored month without it).", NULL,
     "db as-of rules area json csv", 1, 1, pcs_cmd_trends},
    {"pull", "login --config FILE | now [--endpoint E] [--wait] [--timeout SECONDS] | status [--limit N] [--json]",
     "Partner Center programmatic access (pcs-pull): sign in once, pull the Insights datasets now, see the runs.",
     "login: the device code sign-in of the account of FILE (pcs-pull's configuration): the URL and the\n"
     "code are printed; sign in as a user with the Executive report viewer role; the refresh token goes\n"
     "to the file's token_file, mode 0600. With auth = client_credentials it checks the app's secret.\n"
     "now: asks pcs-pull (--endpoint, PCS_PULL, else tcp://127.0.0.1:5607) to pull now; --wait returns\n"
     "when the run has ended (exit 1 when it failed). status: the runs, newest first, each dataset's state.",
     "config endpoint wait timeout limit json db", 1, 1, pcs_cmd_pull},
    {"rules", "list | show VERSION | diff V1 V2 [--json|--csv]",
     "The shipped rule sets, a set's requirements in words, and what changed between two sets.", NULL, "json csv", 1,
     3, pcs_cmd_rules},
    {"token", "create --name NAME (--admin | --partner ID...) | list | revoke NAME [--db CONNINFO]",
     "Bearer tokens of pcs-api: create one (printed once; only its SHA-256 is stored), list them, revoke one.",
     "A token sees every partner (--admin) or only the partners given (--partner A B, or --partner A --partner B).\n"
     "A revoked token is refused from the next request on; its name can then be given to a new token.\n"
     "Run with a role that may write api_tokens (the database owner); pcs-api itself only reads them.",
     "db name admin partner", 1, 64, pcs_cmd_token},
};
#define N_COMMANDS (sizeof commands / sizeof *commands)

static void usage(FILE *f)
{
    fputs("usage: pcs COMMAND [ARGS]     (pcs COMMAND --help for each command's options)\n\n", f);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  pcs %s %s\n      %s\n", commands[i].name, commands[i].synopsis, commands[i].summary);
    fputs("\nEvery command takes --json (and every table --csv). The day is the stack's today: PCS_TODAY, else the\n"
          "`today` pcs-scorer reports (PCS_SCORER), else the date (UTC); --as-of overrides it.\n"
          "Environment: PCS_DB (libpq conninfo, default: the PG* variables), PCS_SCORER (scorer control endpoint),\n"
          "PCS_INTAKE (ingest endpoint), PCS_PULL (pcs-pull endpoint), PCS_SQL_DIR, PCS_RULES_DIR (where shipped rule sets are looked up).\n"
          "Exit status: 0 ok, 2 bad input or usage (one line on stderr: pcs: ...), 1 internal failure.\n",
          f);
}

static void report(const char *file, const pcs_err_t *err)
{
    if (err->line > 0)
        fprintf(stderr, "pcs: %s:%d:%d: %s\n", file, err->line, err->column, err->msg);
    else
        fprintf(stderr, "pcs: %s: %s\n", file, err->msg);
}

/* Scores one document; returns the result JSON or NULL (error printed, *rc set). */
static json_t *score_doc(pcs_engine_t *e, json_t *doc, const char *file, const char *text, size_t len, pcs_args_t *a,
                         int32_t *as_of_out, int *rc)
{
    pcs_err_t err = {0};
    int32_t doc_as_of;
    if (pcs_doc_load(e, doc, text, len, &doc_as_of, &err) < 0) {
        report(file, &err);
        *rc = err.code == PCS_ENOMEM ? 1 : 2;
        return NULL;
    }
    int32_t as_of = doc_as_of != PCS_DAY_NONE ? doc_as_of : pcs_day_today_utc();
    if (pcs_args_day(a, "as-of") != PCS_DAY_NONE)
        as_of = pcs_args_day(a, "as-of");
    if (as_of_out)
        *as_of_out = as_of;
    bool explain = pcs_args_flag(a, "explain");
    pcs_score_opts_t opts = {.explain = explain};
    if (pcs_args_area(a) >= 0)
        opts.area_mask = 1u << pcs_args_area(a);
    const pcs_result_t *res = pcs_engine_score(e, as_of, &opts);
    json_t *out = res ? pcs_result_to_json(pcs_engine_rules(e), res, explain) : NULL;
    if (!out) {
        fprintf(stderr, "pcs: %s: out of memory\n", file);
        *rc = 1;
    }
    return out;
}

static int print_compact(json_t *j)
{
    char *s = json_dumps(j, PCS_JSON_DUMP_FLAGS);
    if (!s)
        return 1;
    fputs(s, stdout);
    fputc('\n', stdout);
    free(s);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* pcs score and pcs simulate FILE: one document, scored as it is (and with the changes). */
static int score_file(pcs_args_t *a, bool simulate)
{
    const char *file = a->pos[0];
    int rc = 0;
    char *text = NULL;
    size_t len = 0;
    pcs_err_t err = {0};
    json_t *doc = NULL, *cur = NULL, *sim = NULL, *sim_doc = NULL, *changes = NULL;
    pcs_rules_t *rules = NULL;
    pcs_engine_t *e = NULL;

    if (!(rules = pcs_cli_rules(a, &rc)))
        goto out;
    if (simulate && !(changes = pcs_cli_changes(a, &rc)))
        goto out;
    if (pcs_file_read(file, MAX_INPUT, &text, &len, &err) < 0 || pcs_doc_parse(text, len, &doc, &err) < 0) {
        report(file, &err);
        rc = err.code == PCS_ENOMEM ? 1 : 2;
        goto out;
    }
    if (!(e = pcs_engine_new(rules))) {
        rc = 1;
        goto out;
    }
    int32_t as_of;
    sim_doc = simulate ? json_deep_copy(doc) : NULL;
    if (!(cur = score_doc(e, doc, file, text, len, a, &as_of, &rc)))
        goto out;
    if (!simulate) {
        rc = print_compact(cur);
        goto out;
    }
    if (pcs_insight_apply_changes(rules, sim_doc, changes, as_of, &err) < 0) {
        rc = pcs_cli_err(&err);
        goto out;
    }
    if (!(sim = score_doc(e, sim_doc, file, NULL, 0, a, NULL, &rc)))
        goto out;
    json_t *both = json_pack("{s:O, s:O}", "current", cur, "simulated", sim);
    if (pcs_args_flag(a, "json"))
        rc = both ? print_compact(both) : 1;
    else
        rc = pcs_cli_print_simulation(a, both, file);
    json_decref(both);
out:
    json_decref(cur);
    json_decref(sim);
    json_decref(doc);
    json_decref(sim_doc);
    json_decref(changes);
    pcs_engine_destroy(&e);
    pcs_rules_destroy(&rules);
    free(text);
    return rc;
}

int pcs_cmd_score(pcs_args_t *a)
{
    return score_file(a, false);
}

int pcs_cmd_simulate(pcs_args_t *a)
{
    const char *f = a->pos[0];
    if (strcmp(f, "-") == 0 || access(f, F_OK) == 0 || strchr(f, '/'))
        return score_file(a, true);
    /* not a file: a partner of the running stack */
    int rc = 0;
    json_t *changes = pcs_cli_changes(a, &rc);
    if (!changes)
        return rc;
    rc = pcs_cli_simulate_partner(a, changes);
    json_decref(changes);
    return rc;
}

int pcs_cmd_migrate(pcs_args_t *a)
{
    pcs_err_t err = {0};
    PGconn *db = pcs_db_connect(pcs_cli_conninfo(a), &err);
    if (!db)
        return pcs_cli_fail(1, "migrate: %s", err.msg);
    const char *dir = getenv("PCS_SQL_DIR");
    int applied = 0;
    int rc = pcs_db_migrate(db, dir && *dir ? dir : PCS_SQL_DIR, &applied, &err);
    PQfinish(db);
    if (rc < 0)
        return pcs_cli_fail(1, "migrate: %s", err.msg);
    if (pcs_args_flag(a, "json")) {
        json_t *j = json_pack("{s:i}", "applied", applied);
        rc = pcs_cli_print_json(j);
        json_decref(j);
        return rc;
    }
    printf("pcs: migrate: %d migration%s applied\n", applied, applied == 1 ? "" : "s");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        if (argc >= 3 && strcmp(argv[1], "help") == 0)
            for (size_t i = 0; i < N_COMMANDS; i++)
                if (strcmp(argv[2], commands[i].name) == 0) {
                    pcs_args_help(&commands[i], stdout);
                    return 0;
                }
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("pcs %s\n", PCS_VERSION);
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(argv[1], commands[i].name) != 0)
            continue;
        pcs_args_t *a = calloc(1, sizeof *a);
        if (!a)
            return 1;
        int rc = pcs_args_parse(&commands[i], argc - 1, argv + 1, a);
        if (rc == 0)
            rc = commands[i].run(a);
        free(a);
        return rc < 0 ? 0 : rc;
    }
    return pcs_cli_fail(2, "unknown command '%s' (see pcs --help)", argv[1]);
}
