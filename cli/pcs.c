/* pcs: the command line. `pcs score` and `pcs simulate` score a partner document offline
 * (interfaces.md §2). Exit codes: 0 success, 2 bad input or usage, 1 internal failure. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcs_date.h"
#include "pcs_db.h"
#include "pcs_doc.h"
#include "pcs_engine.h"
#include "pcs_file.h"
#include "pcs_result_json.h"
#include "pcs_rules.h"
#include "pcs_stack.h"

#define MAX_INPUT (512u << 20)

static const char usage_text[] =
    "usage: pcs COMMAND [ARGS]\n"
    "\n"
    "Offline scoring (no database needed):\n"
    "  pcs score [--rules VERSION|FILE] [--as-of YYYY-MM-DD] [--area AREA] [--explain] FILE|-\n"
    "      Score one partner document and print the result document (JSON).\n"
    "  pcs simulate FILE|PARTNER [--add-cert PERSON:CERT[:EARNED]]... [--remove-cert PERSON:CERT]...\n"
    "               [--add-customer FILE]... [--as-of D] [--rules V] [--json]\n"
    "      The score with the changes beside the current one; --json prints {\"current\": R1, \"simulated\": R2}.\n"
    "      PARTNER (not a file): that partner's facts from the database of PCS_DB.\n"
    "\n"
    "Options:\n"
    "  --rules VERSION|FILE  rule set: pcs-2026 (default) or pcs-2023, or a rule file path\n"
    "  --as-of DATE          score as of DATE (wins over the document's as_of; default today, UTC)\n"
    "  --area AREA           only this area: data_ai, infrastructure, digital_app_innovation,\n"
    "                        business_applications, modern_work, security\n"
    "  --explain             add per-tenant eligibility and per-person skilling rows\n"
    "\n"
    "Database:\n"
    "  pcs migrate [--db CONNINFO]\n"
    "      Apply the pending migrations of sql/ (each in a transaction); running it twice changes nothing.\n"
    "  pcs rejects [--file NAME] [--limit N] [--json] [--db CONNINFO]\n"
    "      The rejected input rows, newest first: file:line:column: reason, and the row as it was.\n"
    "  pcs send FILE.jsonl [--endpoint tcp://127.0.0.1:5601] [--timeout-ms 2000] [--retries 5]\n"
    "      Send events (one envelope per line) to pcs-ingest; each is acknowledged once stored.\n"
    "  pcs watch ENDPOINT [--sub] [--count N] [--timeout-ms N]\n"
    "      Print the messages a daemon PUSHes (or PUBlishes, with --sub), one per line.\n"
    "\n"
    "Scores (pcs-scorer; control socket --endpoint or PCS_SCORER, default tcp://127.0.0.1:5603):\n"
    "  pcs refresh [--as-of YYYY-MM-DD] [--wait] [--timeout SECONDS]\n"
    "      Score every partner now (as of today unless given); --wait returns when all are stored.\n"
    "  pcs rescore PARTNER\n"
    "      Score one partner again as of today.\n"
    "  pcs scorer-status [--json]\n"
    "      What the scorer does: partners scored, open slices, pending outbox rows, last error.\n"
    "  pcs show PARTNER [--as-of YYYY-MM-DD] [--rules V] [--json]\n"
    "      The stored result (the latest, or that as-of date): a scorecard, or with --json the\n"
    "      result document exactly as `pcs score` prints it.\n"
    "  pcs history PARTNER [--months N] [--area A] [--as-of D] [--rules V] [--json|--csv]\n"
    "      Per month the best stored score of each area (scoring.md 11.3); 6 months, 0 = all.\n"
    "  pcs alerts [PARTNER] [--limit N] [--json]\n"
    "      The alerts raised by pcs-notifier, newest first, with their delivery to each sink.\n"
    "\n"
    "Insights (from the facts in the database; --as-of D, --rules V, --area A where it applies):\n"
    "  pcs eligibility PARTNER [--customer C] [--json|--csv]   which customers counted, and why not\n"
    "  pcs skilling PARTNER [--json|--csv]                     who counts, with which certification\n"
    "  pcs simulate PARTNER [--add-cert P:CERT[:EARNED]] [--remove-cert P:CERT] [--add-customer F] [--json]\n"
    "                                                          what-if beside the current score (never stored)\n"
    "  pcs recommend PARTNER [--json]                          ranked actions with their effect, and what is at risk\n"
    "  pcs trends PARTNER [--json|--csv]                       month by month: customers, usage, stored scores\n"
    "  pcs forecast PARTNER [--until D] [--json]               future scores from what is already known\n"
    "  pcs export PARTNER                                      the partner document (input of pcs score)\n"
    "  pcs rules list | show VERSION | diff V1 V2              the shipped rule sets and what changed\n"
    "\n"
    "Environment: PCS_DB (libpq conninfo, default: the PG* variables), PCS_SCORER (scorer control endpoint),\n"
    "PCS_SQL_DIR, PCS_RULES_DIR overrides where shipped rule sets are looked up.\n"
    "Exit status: 0 ok, 2 bad input or usage (one line on stderr: pcs: FILE:LINE:COL: reason).\n";


static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "pcs: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    return 2;
}

static void report(const char *file, const pcs_err_t *err)
{
    if (err->line > 0)
        fprintf(stderr, "pcs: %s:%d:%d: %s\n", file, err->line, err->column, err->msg);
    else
        fprintf(stderr, "pcs: %s: %s\n", file, err->msg);
}

/* Loads a rule set by shipped name or path; prints the error and returns NULL on failure. */
static pcs_rules_t *load_rules(const char *spec, int *rc)
{
    char path[4096];
    pcs_err_t err = {0};
    pcs_rules_t *r = pcs_rules_open(spec, path, sizeof path, &err);
    if (!r && pcs_rules_path(spec, path, sizeof path) < 0) {
        *rc = usage_error("--rules: %s", err.msg);
        return NULL;
    }
    if (!r) {
        report(path, &err);
        *rc = err.code == PCS_ENOMEM ? 1 : 2;
    }
    return r;
}

typedef struct {
    const char *rules;
    const char *as_of;
    const char *area;
    bool explain, json;
    const char *file;
    const char **add_cert, **remove_cert, **add_customer;
    int n_add_cert, n_remove_cert, n_add_customer;
} args_t;

static int parse_args(int argc, char **argv, bool simulate, args_t *a)
{
    enum { O_RULES = 1, O_ASOF, O_AREA, O_EXPLAIN, O_JSON, O_ADDCERT, O_RMCERT, O_ADDCUST, O_HELP };
    static const struct option opts[] = {
        {"rules", required_argument, NULL, O_RULES},         {"as-of", required_argument, NULL, O_ASOF},
        {"area", required_argument, NULL, O_AREA},           {"explain", no_argument, NULL, O_EXPLAIN},
        {"json", no_argument, NULL, O_JSON},                 {"add-cert", required_argument, NULL, O_ADDCERT},
        {"remove-cert", required_argument, NULL, O_RMCERT},  {"add-customer", required_argument, NULL, O_ADDCUST},
        {"help", no_argument, NULL, O_HELP},                 {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->add_cert = calloc((size_t)argc + 1, sizeof *a->add_cert);
    a->remove_cert = calloc((size_t)argc + 1, sizeof *a->remove_cert);
    a->add_customer = calloc((size_t)argc + 1, sizeof *a->add_customer);
    if (!a->add_cert || !a->remove_cert || !a->add_customer)
        return 1;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_RULES: a->rules = optarg; break;
        case O_ASOF: a->as_of = optarg; break;
        case O_AREA: a->area = optarg; break;
        case O_EXPLAIN: a->explain = true; break;
        case O_JSON: a->json = true; break;
        case O_ADDCERT:
            if (!simulate)
                return usage_error("%s: --add-cert is for pcs simulate", argv[0]);
            a->add_cert[a->n_add_cert++] = optarg;
            break;
        case O_RMCERT:
            if (!simulate)
                return usage_error("%s: --remove-cert is for pcs simulate", argv[0]);
            a->remove_cert[a->n_remove_cert++] = optarg;
            break;
        case O_ADDCUST:
            if (!simulate)
                return usage_error("%s: --add-customer is for pcs simulate", argv[0]);
            a->add_customer[a->n_add_customer++] = optarg;
            break;
        case O_HELP:
            fputs(usage_text, stdout);
            return -1;
        default:
            return usage_error("unknown or incomplete option '%s' (see pcs --help)", argv[optind - 1]);
        }
    }
    /* getopt_long permutes, so options may follow the file (pcs simulate FILE --add-cert ...) */
    if (optind < argc)
        a->file = argv[optind++];
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (!a->file)
        return usage_error("%s", "missing input file (use - for standard input)");
    if (a->area && pcs_area_index(a->area) < 0)
        return usage_error("--area: unknown area '%s'", a->area);
    int32_t d;
    if (a->as_of && pcs_day_parse(a->as_of, &d) < 0)
        return usage_error("--as-of: bad date '%s' (expected YYYY-MM-DD)", a->as_of);
    return 0;
}

static void free_args(args_t *a)
{
    free(a->add_cert);
    free(a->remove_cert);
    free(a->add_customer);
}

/* Scores one document; returns the result JSON or NULL (error printed, *rc set). */
static json_t *score_doc(pcs_engine_t *e, json_t *doc, const char *file, const char *text, size_t len,
                         const args_t *a, int32_t *as_of_out, int *rc)
{
    pcs_err_t err = {0};
    int32_t doc_as_of;
    if (pcs_doc_load(e, doc, text, len, &doc_as_of, &err) < 0) {
        report(file, &err);
        *rc = err.code == PCS_ENOMEM ? 1 : 2;
        return NULL;
    }
    int32_t as_of = doc_as_of != PCS_DAY_NONE ? doc_as_of : pcs_day_today_utc();
    if (a->as_of)
        pcs_day_parse(a->as_of, &as_of);
    if (as_of_out)
        *as_of_out = as_of;
    pcs_score_opts_t opts = {.explain = a->explain};
    if (a->area)
        opts.area_mask = 1u << pcs_area_index(a->area);
    const pcs_result_t *res = pcs_engine_score(e, as_of, &opts);
    json_t *out = res ? pcs_result_to_json(pcs_engine_rules(e), res, a->explain) : NULL;
    if (!out) {
        fprintf(stderr, "pcs: %s: out of memory\n", file);
        *rc = 1;
    }
    return out;
}

static int print_json(json_t *j)
{
    char *s = json_dumps(j, PCS_JSON_DUMP_FLAGS);
    if (!s)
        return 1;
    fputs(s, stdout);
    fputc('\n', stdout);
    free(s);
    return fflush(stdout) == 0 ? 0 : 1;
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
    json_t *people = array_member(doc, "people"), *p;
    size_t i;
    json_array_foreach(people, i, p) {
        json_t *pid = json_object_get(p, "person_id");
        if (json_is_string(pid) && strcmp(json_string_value(pid), id) == 0)
            return p;
    }
    if (!create)
        return NULL;
    p = json_pack("{s:s, s:[]}", "person_id", id, "certifications");
    json_array_append_new(people, p);
    return p;
}

static int apply_changes(json_t *doc, const pcs_rules_t *r, const args_t *a, int32_t as_of)
{
    for (int i = 0; i < a->n_remove_cert; i++) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s", a->remove_cert[i]);
        char *colon = strchr(buf, ':');
        if (!colon || colon == buf || !colon[1])
            return usage_error("--remove-cert: expected PERSON:CERT, got '%s'", a->remove_cert[i]);
        *colon = '\0';
        json_t *p = find_person(doc, buf, false);
        json_t *certs = p ? json_object_get(p, "certifications") : NULL;
        int want = pcs_rules_find_cert(r, colon + 1);
        for (size_t k = json_array_size(certs); k-- > 0;) {
            json_t *name = json_object_get(json_array_get(certs, k), "name");
            if (!json_is_string(name))
                continue;
            int have = pcs_rules_find_cert(r, json_string_value(name));
            if ((want >= 0 && have == want) || strcmp(json_string_value(name), colon + 1) == 0)
                json_array_remove(certs, k);
        }
    }
    for (int i = 0; i < a->n_add_cert; i++) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s", a->add_cert[i]);
        char *c1 = strchr(buf, ':');
        if (!c1 || c1 == buf || !c1[1])
            return usage_error("--add-cert: expected PERSON:CERT[:EARNED], got '%s'", a->add_cert[i]);
        *c1 = '\0';
        char *cert = c1 + 1, *c2 = strrchr(cert, ':');
        int32_t earned = as_of;
        if (c2 && pcs_day_parse(c2 + 1, &earned) == 0)
            *c2 = '\0';
        else
            earned = as_of;
        int32_t expires = pcs_day_add_years(earned, 1);
        char e1[11], e2[11];
        json_t *p = find_person(doc, buf, true);
        json_t *certs = json_object_get(p, "certifications");
        if (!json_is_array(certs)) {
            certs = json_array();
            json_object_set_new(p, "certifications", certs);
        }
        json_array_append_new(certs, json_pack("{s:s, s:s, s:s}", "name", cert, "earned", pcs_day_format(earned, e1),
                                               "expires", pcs_day_format(expires, e2)));
    }
    for (int i = 0; i < a->n_add_customer; i++) {
        char *text = NULL;
        size_t len;
        pcs_err_t err = {0};
        json_t *frag = NULL;
        if (pcs_file_read(a->add_customer[i], MAX_INPUT, &text, &len, &err) < 0 ||
            pcs_doc_parse(text, len, &frag, &err) < 0) {
            report(a->add_customer[i], &err);
            free(text);
            return 2;
        }
        free(text);
        const char *k;
        json_t *v;
        json_object_foreach(frag, k, v) {
            if (strcmp(k, "customers") && strcmp(k, "associations") && strcmp(k, "usage")) {
                fprintf(stderr, "pcs: %s: %s: unknown key (a fragment has customers, associations, usage)\n",
                        a->add_customer[i], k);
                json_decref(frag);
                return 2;
            }
            if (!json_is_array(v) && !json_is_null(v)) {
                fprintf(stderr, "pcs: %s: %s: expected an array\n", a->add_customer[i], k);
                json_decref(frag);
                return 2;
            }
            if (json_is_array(v))
                json_array_extend(array_member(doc, k), v);
        }
        json_decref(frag);
    }
    return 0;
}

/* The simulated score beside the current one, per area and metric. */
static int print_side_by_side(json_t *cur, json_t *sim)
{
    printf("%s as of %s: current -> simulated (nothing is stored)\n", json_string_value(json_object_get(cur, "partner_id")),
           json_string_value(json_object_get(cur, "as_of")));
    size_t i, k;
    json_t *a;
    json_array_foreach(json_object_get(sim, "areas"), i, a) {
        json_t *c = json_array_get(json_object_get(cur, "areas"), i);
        double s0 = json_number_value(json_object_get(c, "score")), s1 = json_number_value(json_object_get(a, "score"));
        printf("\n%-24s %7.2f -> %7.2f%s%s\n", json_string_value(json_object_get(a, "area")), s0, s1,
               json_is_true(json_object_get(a, "qualified")) ? "  qualified" : "",
               json_is_true(json_object_get(a, "qualified")) != json_is_true(json_object_get(c, "qualified"))
                   ? (json_is_true(json_object_get(a, "qualified")) ? " (newly)" : " (no longer)")
                   : "");
        json_t *m;
        json_array_foreach(json_object_get(a, "metrics"), k, m) {
            json_t *m0 = json_array_get(json_object_get(c, "metrics"), k);
            double p0 = json_number_value(json_object_get(m0, "points")), p1 = json_number_value(json_object_get(m, "points"));
            printf("    %-30s %6.2f -> %6.2f%s\n", json_string_value(json_object_get(m, "metric")), p0, p1,
                   p1 > p0 + 0.005 ? "  +" : p1 < p0 - 0.005 ? "  -" : "");
        }
    }
    return fflush(stdout) == 0 ? 0 : 1;
}

static int cmd_score(int argc, char **argv, bool simulate)
{
    args_t a;
    int rc = parse_args(argc, argv, simulate, &a);
    if (rc) {
        free_args(&a);
        return rc < 0 ? 0 : rc;
    }
    char *text = NULL;
    size_t len = 0;
    pcs_err_t err = {0};
    json_t *doc = NULL, *cur = NULL, *sim = NULL, *sim_doc = NULL;
    pcs_rules_t *rules = NULL;
    pcs_engine_t *e = NULL;
    const char *name = strcmp(a.file, "-") == 0 ? "-" : a.file;

    rules = load_rules(a.rules ? a.rules : "pcs-2026", &rc);
    if (!rules)
        goto out;
    if (simulate && strcmp(a.file, "-") != 0 && access(a.file, F_OK) != 0 && !strchr(a.file, '/')) {
        /* not a file: a partner of the running stack, its facts read from the database (PCS_DB) */
        int32_t d = pcs_day_today_utc();
        if (a.as_of)
            pcs_day_parse(a.as_of, &d);
        if (!(text = pcs_export_text(getenv("PCS_DB"), a.file, d, &err))) {
            fprintf(stderr, "pcs: %s\n", err.msg);
            rc = err.code == PCS_EINVAL ? 2 : 1;
            goto out;
        }
        len = strlen(text);
        name = a.file;
    } else if (pcs_file_read(a.file, MAX_INPUT, &text, &len, &err) < 0) {
        report(name, &err);
        rc = err.code == PCS_ENOMEM ? 1 : 2;
        goto out;
    }
    if (pcs_doc_parse(text, len, &doc, &err) < 0) {
        report(name, &err);
        rc = err.code == PCS_ENOMEM ? 1 : 2;
        goto out;
    }
    e = pcs_engine_new(rules);
    if (!e) {
        rc = 1;
        goto out;
    }
    int32_t as_of;
    sim_doc = simulate ? json_deep_copy(doc) : NULL;
    cur = score_doc(e, doc, name, text, len, &a, &as_of, &rc);
    if (!cur)
        goto out;
    if (!simulate) {
        rc = print_json(cur);
        goto out;
    }
    if ((rc = apply_changes(sim_doc, rules, &a, as_of)) != 0)
        goto out;
    sim = score_doc(e, sim_doc, name, NULL, 0, &a, NULL, &rc);
    if (!sim)
        goto out;
    if (a.json) {
        json_t *both = json_pack("{s:O, s:O}", "current", cur, "simulated", sim);
        rc = both ? print_json(both) : 1;
        json_decref(both);
    } else {
        rc = print_side_by_side(cur, sim);
    }
out:
    json_decref(cur);
    json_decref(sim);
    json_decref(doc);
    json_decref(sim_doc);
    pcs_engine_destroy(&e);
    pcs_rules_destroy(&rules);
    free(text);
    free_args(&a);
    return rc;
}

static const char *db_conninfo(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--db") == 0)
            return argv[i + 1];
    const char *env = getenv("PCS_DB");
    return env ? env : "";
}

static int cmd_migrate(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            i++;
        else
            return usage_error("migrate: unexpected argument '%s' (pcs migrate [--db CONNINFO])", argv[i]);
    }
    pcs_err_t err = {0};
    PGconn *db = pcs_db_connect(db_conninfo(argc, argv), &err);
    if (!db) {
        fprintf(stderr, "pcs: migrate: %s\n", err.msg);
        return 1;
    }
    const char *dir = getenv("PCS_SQL_DIR");
    int applied = 0;
    int rc = pcs_db_migrate(db, dir && *dir ? dir : PCS_SQL_DIR, &applied, &err);
    PQfinish(db);
    if (rc < 0) {
        fprintf(stderr, "pcs: migrate: %s\n", err.msg);
        return 1;
    }
    printf("pcs: migrate: %d migration%s applied\n", applied, applied == 1 ? "" : "s");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("pcs %s\n", PCS_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "score") == 0)
        return cmd_score(argc - 1, argv + 1, false);
    if (strcmp(argv[1], "simulate") == 0)
        return cmd_score(argc - 1, argv + 1, true);
    if (strcmp(argv[1], "migrate") == 0)
        return cmd_migrate(argc - 1, argv + 1);
    if (strcmp(argv[1], "rejects") == 0)
        return pcs_cmd_rejects(argc - 1, argv + 1);
    if (strcmp(argv[1], "send") == 0)
        return pcs_cmd_send(argc - 1, argv + 1);
    if (strcmp(argv[1], "watch") == 0)
        return pcs_cmd_watch(argc - 1, argv + 1);
    if (strcmp(argv[1], "refresh") == 0)
        return pcs_cmd_refresh(argc - 1, argv + 1);
    if (strcmp(argv[1], "rescore") == 0)
        return pcs_cmd_rescore(argc - 1, argv + 1);
    if (strcmp(argv[1], "scorer-status") == 0)
        return pcs_cmd_scorer_status(argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0)
        return pcs_cmd_show(argc - 1, argv + 1);
    if (strcmp(argv[1], "history") == 0)
        return pcs_cmd_history(argc - 1, argv + 1);
    if (strcmp(argv[1], "alerts") == 0)
        return pcs_cmd_alerts(argc - 1, argv + 1);
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } insights[] = {{"export", pcs_cmd_export},     {"eligibility", pcs_cmd_eligibility}, {"skilling", pcs_cmd_skilling},
                    {"recommend", pcs_cmd_recommend}, {"forecast", pcs_cmd_forecast},      {"trends", pcs_cmd_trends},
                    {"rules", pcs_cmd_rules}};
    for (size_t i = 0; i < sizeof insights / sizeof *insights; i++)
        if (strcmp(argv[1], insights[i].name) == 0)
            return insights[i].fn(argc - 1, argv + 1);
    return usage_error("unknown command '%s' (see pcs --help)", argv[1]);
}
