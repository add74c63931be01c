/* pcs-bench: scores many generated partners in one process and prints partners/s, usage rows/s
 * and peak RSS. The generator is seeded, so every run scores the same partners.
 *
 *   pcs-bench [--partners N] [--rows N] [--seed S] [--rules FILE] [--mode current|full|docs]
 *             [--emit DIR]   (write the partner documents as JSON instead of scoring them)
 *             [--json-malloc] (jansson allocates with malloc, not the scorer's pool, pcs_jpool)
 *
 * --mode current scores what the scorer daemon computes when stored history exists (no status
 * window or history recomputed from the input); full also recomputes the six history months and
 * the status window from the input, as `pcs score` does. Generation is not timed.
 *
 * --mode docs times the result output instead of the engine: each partner is scored as in full
 * (every part of the document filled) and its result goes through pcs_batch_add, the scorer's
 * binary COPY rows of the result document and its snapshots; the batch is emptied every 250 partners
 * as a refresh slice does. Only pcs_batch_add is timed, in CPU seconds of this process; a checksum
 * of every COPY byte produced compares two builds for identical output. Its reference in the same
 * run: json_dumps of each document and of each track object (reference_docs). */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "pcs_date.h"
#include "pcs_engine.h"
#include "pcs_file.h"
#include "pcs_jpool.h"
#include "pcs_refresh.h"
#include "pcs_result_json.h"
#include "pcs_rules.h"

static uint64_t rng_state;
static uint32_t rnd(void)
{
    /* xorshift64*: fast and seedable; quality is irrelevant here */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}
static int pick(int n) { return (int)(rnd() % (uint32_t)n); }

static const char *const azure_wl[] = {"azure/sql_database", "azure/app_service", "azure/storage",
                                       "azure/virtual_machines", "azure/key_vault", "azure/sentinel",
                                       "azure/cosmos_db", "azure/firewall", "azure/defender_for_cloud",
                                       "azure/virtual_machines_licenses"};
static const char *const m365_wl[] = {"m365/teams", "m365/exchange_online", "m365/intune", "m365/sharepoint_online",
                                      "m365/entra_id_p1", "m365/defender_office365", "m365/apps", "m365/copilot"};
static const char *const biz_wl[] = {"bizapps/sales", "bizapps/power_bi", "bizapps/business_central",
                                     "bizapps/customer_service", "bizapps/power_apps", "bizapps/finance"};
static const char *const types[] = {"PAL", "DPOR", "CSP_T1", "CSP_T2", "CPOR", "CPOR_OSU", "CPOR_REVREC"};

typedef struct {
    int tenant, wl_family, wl;
    int32_t month;
    double acr, rev, paid, active;
} urow_t;

typedef struct {
    int n_tenants, n_rows, n_people;
    urow_t *rows;
    int *assoc_type, *assoc_family;
    int32_t *assoc_start;
    bool *smb;
    int *cert, *cert_person;
    int32_t *cert_earned;
    int n_certs;
} partner_t;

static const char *wl_name(int family, int wl)
{
    return family == 0 ? azure_wl[wl] : family == 1 ? m365_wl[wl] : biz_wl[wl];
}

static void gen_partner(partner_t *p, int rows_target, int32_t M, const pcs_rules_t *r)
{
    p->n_tenants = 5 + pick(30);
    int per_tenant = rows_target / p->n_tenants + 1;
    p->n_rows = 0;
    for (int t = 0; t < p->n_tenants; t++) {
        p->smb[t] = pick(100) < 60;
        p->assoc_type[t] = pick(7);
        p->assoc_family[t] = pick(3);
        p->assoc_start[t] = pcs_month_first_day(M - pick(30)) + pick(28);
        int fam = p->assoc_family[t];
        int nwl = fam == 0 ? 10 : fam == 1 ? 8 : 6;
        double scale = (double)(1 + pick(50)) * 100.0;
        for (int k = 0; k < per_tenant && p->n_rows < rows_target;) {
            int wl = pick(nwl);
            for (int m = 0; m < 25 && k < per_tenant && p->n_rows < rows_target; m++, k++) {
                urow_t *u = &p->rows[p->n_rows++];
                u->tenant = t;
                u->wl_family = fam;
                u->wl = wl;
                u->month = M - 24 + m;
                u->acr = fam == 0 ? scale * (0.5 + (double)pick(1000) / 1000.0) : 0;
                u->rev = fam == 2 ? scale * 3 * (0.5 + (double)pick(1000) / 1000.0) : 0;
                u->paid = fam != 0 ? (double)(5 + pick(500)) : 0;
                u->active = fam != 0 ? (double)pick((int)u->paid + 1) : 0;
            }
        }
    }
    p->n_people = 3 + pick(15);
    p->n_certs = 0;
    for (int i = 0; i < p->n_people; i++) {
        int n = 1 + pick(3);
        for (int k = 0; k < n; k++) {
            p->cert[p->n_certs] = pick(r->n_certs);
            p->cert_person[p->n_certs] = i;
            p->cert_earned[p->n_certs] = pcs_month_first_day(M - pick(20)) + pick(28);
            p->n_certs++;
        }
    }
}

static int feed(pcs_engine_t *e, const pcs_rules_t *r, const partner_t *p, int idx)
{
    char id[32], tenant[48], person[48];
    pcs_err_t err = {0};
    snprintf(id, sizeof id, "P%06d", idx);
    if (pcs_engine_begin(e, id, &err) < 0)
        return -1;
    for (int t = 0; t < p->n_tenants; t++) {
        snprintf(tenant, sizeof tenant, "%s-t%03d", id, t);
        if (pcs_engine_add_customer(e, tenant, NULL, p->smb[t], &err) < 0 ||
            pcs_engine_add_association(e, tenant, (pcs_assoc_type_t)pcs_assoc_type_index(types[p->assoc_type[t]]),
                                       "*", p->assoc_start[t], PCS_DAY_NONE, &err) < 0)
            return -1;
    }
    int last_t = -1;
    for (int i = 0; i < p->n_rows; i++) {
        const urow_t *u = &p->rows[i];
        if (u->tenant != last_t) {
            snprintf(tenant, sizeof tenant, "%s-t%03d", id, u->tenant);
            last_t = u->tenant;
        }
        if (pcs_engine_add_usage(e, tenant, wl_name(u->wl_family, u->wl), u->month, u->acr, u->rev, u->paid,
                                 u->active, &err) < 0)
            return -1;
    }
    for (int i = 0; i < p->n_certs; i++) {
        snprintf(person, sizeof person, "%s-p%02d", id, p->cert_person[i]);
        if (pcs_engine_add_cert(e, person, r->certs[p->cert[i]].id, p->cert_earned[i], p->cert_earned[i] + 365,
                                &err) < 0)
            return -1;
    }
    return 0;
}

static void emit(FILE *f, const pcs_rules_t *r, const partner_t *p, int idx, int32_t D)
{
    char d[11], m[8];
    fprintf(f, "{\"partner_id\":\"P%06d\",\"as_of\":\"%s\",\"customers\":[", idx, pcs_day_format(D, d));
    for (int t = 0; t < p->n_tenants; t++)
        fprintf(f, "%s{\"tenant_id\":\"t%03d\",\"segment\":\"%s\"}", t ? "," : "", t, p->smb[t] ? "smb" : "enterprise");
    fprintf(f, "],\"associations\":[");
    for (int t = 0; t < p->n_tenants; t++)
        fprintf(f, "%s{\"tenant_id\":\"t%03d\",\"type\":\"%s\",\"workload\":\"*\",\"start\":\"%s\"}", t ? "," : "", t,
                types[p->assoc_type[t]], pcs_day_format(p->assoc_start[t], d));
    fprintf(f, "],\"usage\":[");
    for (int i = 0; i < p->n_rows; i++) {
        const urow_t *u = &p->rows[i];
        fprintf(f, "%s{\"tenant_id\":\"t%03d\",\"workload\":\"%s\",\"month\":\"%s\",\"acr_usd\":%.2f,"
                   "\"revenue_usd\":%.2f,\"paid_units\":%.0f,\"active_units\":%.0f}",
                i ? "," : "", u->tenant, wl_name(u->wl_family, u->wl), pcs_month_format(u->month, m), u->acr, u->rev,
                u->paid, u->active);
    }
    fprintf(f, "],\"people\":[");
    for (int i = 0; i < p->n_certs; i++) {
        char e2[11];
        fprintf(f, "%s{\"person_id\":\"p%02d-%d\",\"certifications\":[{\"name\":\"%s\",\"earned\":\"%s\",\"expires\":\"%s\"}]}",
                i ? "," : "", p->cert_person[i], i, r->certs[p->cert[i]].id, pcs_day_format(p->cert_earned[i], d),
                pcs_day_format(p->cert_earned[i] + 365, e2));
    }
    fprintf(f, "]}\n");
}

static void free_partner(partner_t *p)
{
    free(p->rows); free(p->assoc_type); free(p->assoc_family); free(p->assoc_start);
    free(p->smb); free(p->cert); free(p->cert_person); free(p->cert_earned);
}

static void free_input(partner_t *all, long partners, partner_t *scratch)
{
    for (long i = 0; i < partners; i++)
        free_partner(&all[i]);
    free(all);
    free_partner(scratch);
}

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_s(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

/* FNV-1a over the COPY bytes of a batch (not timed): equal output of two builds, equal checksums. */
static uint64_t fnv1a(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h;
}

typedef struct {
    uint64_t sum;
    double bytes;
} copy_total_t;

static void batch_drain(pcs_batch_t *b, copy_total_t *t)
{
    t->sum = fnv1a(fnv1a(t->sum, b->res.s, b->res.n), b->snap.s, b->snap.n);
    t->bytes += (double)(b->res.n + b->snap.n);
    pcs_batch_reset(b);
}

/* The reference of --mode docs, measured in the same run: the documents of the straightforward
 * way, json_dumps of each result document and of each of its track objects (the snapshot details),
 * as pcs_batch_add did before it dumped each track once and memoised recurring objects; without the
 * COPY escaping and the digests, so the ratio to it understates the change. */
static int reference_docs(const pcs_rules_t *r, const pcs_result_t *res, double *bytes)
{
    json_t *doc = pcs_result_to_json(r, res, false), *area, *track;
    char *text = doc ? json_dumps(doc, PCS_JSON_DUMP_FLAGS) : NULL;
    int rc = text ? 0 : -1;
    *bytes += text ? (double)strlen(text) : 0;
    free(text);
    size_t ai, ti;
    json_array_foreach(json_object_get(doc, "areas"), ai, area) json_array_foreach(json_object_get(area, "tracks"), ti, track)
    {
        char *detail = json_dumps(track, PCS_JSON_DUMP_FLAGS);
        rc = detail ? rc : -1;
        *bytes += detail ? (double)strlen(detail) : 0;
        free(detail);
    }
    json_decref(doc);
    return rc;
}

/* Feeds partner i to the engine and scores it as of D; NULL (with a message) on failure. */
static const pcs_result_t *score_one(pcs_engine_t *e, const pcs_rules_t *r, const partner_t *all, long i, int32_t D,
                                     const pcs_score_opts_t *o)
{
    if (feed(e, r, &all[i], (int)i) < 0) {
        fprintf(stderr, "pcs-bench: feeding partner %ld failed\n", i);
        return NULL;
    }
    const pcs_result_t *res = pcs_engine_score(e, D, o);
    if (!res)
        fprintf(stderr, "pcs-bench: out of memory\n");
    return res;
}

/* --mode docs: the result output of the scorer (pcs_batch_add) for every partner. */
static int bench_docs(pcs_rules_t *r, const partner_t *all, long partners, long total_rows, int32_t D,
                      unsigned long seed)
{
    pcs_engine_t *e = pcs_engine_new(r);
    pcs_score_opts_t o = {.no_history = false};
    pcs_batch_t b = {0};
    copy_total_t tot = {.sum = 0xcbf29ce484222325ull};
    double cpu = 0, ref_cpu = 0, ref_bytes = 0, t0 = now_s();
    long docs = 0;
    for (long i = 0; i < partners; i++) {
        const pcs_result_t *res = score_one(e, r, all, i, D, &o);
        if (!res)
            return 1;
        double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        int rc = pcs_batch_add(&b, r, res, "refresh:bench");
        double c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        rc = rc < 0 ? rc : reference_docs(r, res, &ref_bytes);
        ref_cpu += clock_s(CLOCK_PROCESS_CPUTIME_ID) - c1;
        cpu += c1 - c0;
        if (rc < 0) {
            fprintf(stderr, "pcs-bench: out of memory adding partner %ld\n", i);
            return 1;
        }
        docs++;
        if (docs % 250 == 0)
            batch_drain(&b, &tot);
    }
    batch_drain(&b, &tot);
    double dt = now_s() - t0;
    printf("rules %s, mode docs, seed %lu\n", r->name, seed);
    printf("partners %ld, usage rows %ld, seconds (scoring and output) %.3f\n", partners, total_rows, dt);
    printf("COPY MB %.1f (binary rows, %.0f bytes per partner)\n", tot.bytes / 1e6, tot.bytes / (double)partners);
    printf("pcs_batch_add CPU seconds %.3f (%.1f us per partner, %.1f MB/s)\n", cpu, cpu * 1e6 / (double)partners,
           tot.bytes / 1e6 / cpu);
    printf("reference (json_dumps of each document and of each track object, no COPY rows, no digests) CPU "
           "seconds %.3f (%.1f us per partner, %.1f MB of JSON)\n",
           ref_cpu, ref_cpu * 1e6 / (double)partners, ref_bytes / 1e6);
    printf("ratio reference / pcs_batch_add %.2f\n", ref_cpu / cpu);
    printf("checksum of COPY bytes %016llx\n", (unsigned long long)tot.sum);
    pcs_batch_free(&b);
    pcs_engine_destroy(&e);
    return 0;
}

int main(int argc, char **argv)
{
    long partners = 10000, rows = 5000000;
    unsigned long seed = 42;
    const char *rules_path = PCS_RULES_DIR "/pcs-2026.json", *mode = "current", *emit_dir = NULL;
    static const struct option opts[] = {{"partners", required_argument, NULL, 'p'}, {"rows", required_argument, NULL, 'r'},
                                         {"seed", required_argument, NULL, 's'},     {"rules", required_argument, NULL, 'R'},
                                         {"mode", required_argument, NULL, 'm'},     {"emit", required_argument, NULL, 'e'},
                                         {"json-malloc", no_argument, NULL, 'J'},    {NULL, 0, NULL, 0}};
    int c;
    bool pool = true;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'p': partners = atol(optarg); break;
        case 'r': rows = atol(optarg); break;
        case 's': seed = strtoul(optarg, NULL, 10); break;
        case 'R': rules_path = optarg; break;
        case 'm': mode = optarg; break;
        case 'e': emit_dir = optarg; break;
        case 'J': pool = false; break;
        default:
            fprintf(stderr, "usage: pcs-bench [--partners N] [--rows N] [--seed S] [--rules FILE] [--mode current|full|docs] [--emit DIR]"
                            " [--json-malloc]\n");
            return 2;
        }
    }
    if (partners <= 0 || rows < partners) {
        fprintf(stderr, "pcs-bench: need partners > 0 and rows >= partners\n");
        return 2;
    }
    if (pool)
        pcs_jpool_install();   /* as pcs-scorer does */
    char *text;
    size_t len;
    pcs_err_t err = {0};
    pcs_rules_t *r = NULL;
    if (pcs_file_read(rules_path, 1u << 26, &text, &len, &err) < 0 || !(r = pcs_rules_load(text, len, &err))) {
        fprintf(stderr, "pcs-bench: %s:%d:%d: %s\n", rules_path, err.line, err.column, err.msg);
        return 2;
    }
    free(text);
    rng_state = seed * 0x9E3779B97F4A7C15ull + 1;
    int rows_per = (int)(rows / partners);
    partner_t p = {0};
    p.rows = calloc((size_t)rows_per + 64, sizeof *p.rows);
    p.assoc_type = calloc(64, sizeof(int));
    p.assoc_family = calloc(64, sizeof(int));
    p.assoc_start = calloc(64, sizeof(int32_t));
    p.smb = calloc(64, sizeof(bool));
    p.cert = calloc(64, sizeof(int));
    p.cert_person = calloc(64, sizeof(int));
    p.cert_earned = calloc(64, sizeof(int32_t));
    int32_t D;
    pcs_day_parse("2026-11-20", &D);
    int32_t M = pcs_month_of_day(D) - 1;

    /* Generate everything first so the timed loop measures feeding and scoring only. */
    partner_t *all = calloc((size_t)partners, sizeof *all);
    long total_rows = 0;
    for (long i = 0; i < partners; i++) {
        gen_partner(&p, rows_per, M, r);
        all[i] = p;
        all[i].rows = malloc(sizeof *p.rows * (size_t)p.n_rows);
        memcpy(all[i].rows, p.rows, sizeof *p.rows * (size_t)p.n_rows);
#define DUP(f, n) all[i].f = malloc(sizeof *p.f * (n)); memcpy(all[i].f, p.f, sizeof *p.f * (n))
        DUP(assoc_type, 64); DUP(assoc_family, 64); DUP(assoc_start, 64); DUP(smb, 64);
        DUP(cert, 64); DUP(cert_person, 64); DUP(cert_earned, 64);
        total_rows += p.n_rows;
    }
    if (emit_dir) {
        mkdir(emit_dir, 0777);
        char path[4096];
        snprintf(path, sizeof path, "%s/partners.jsonl", emit_dir);
        FILE *f = fopen(path, "w");
        if (!f) {
            perror(path);
            return 1;
        }
        for (long i = 0; i < partners; i++)
            emit(f, r, &all[i], (int)i, D);
        fclose(f);
        printf("wrote %ld partner documents (%ld usage rows) to %s\n", partners, total_rows, path);
        return 0;
    }
    if (strcmp(mode, "docs") == 0) {
        int rc = bench_docs(r, all, partners, total_rows, D, seed);
        free_input(all, partners, &p);
        pcs_rules_destroy(&r);
        return rc;
    }
    pcs_engine_t *e = pcs_engine_new(r);
    pcs_score_opts_t o = {.no_history = strcmp(mode, "full") != 0};
    double checksum = 0;
    struct rusage ru0;
    getrusage(RUSAGE_SELF, &ru0);
    double t0 = now_s();
    for (long i = 0; i < partners; i++) {
        const pcs_result_t *res = score_one(e, r, all, i, D, &o);
        if (!res)
            return 1;
        for (int a = 0; a < PCS_AREA_N; a++)
            checksum += res->areas[a].total;
    }
    double dt = now_s() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("rules %s, mode %s, seed %lu\n", r->name, mode, seed);
    printf("partners %ld, usage rows %ld, seconds %.3f\n", partners, total_rows, dt);
    printf("partners/s %.0f\n", (double)partners / dt);
    printf("usage rows/s %.0f\n", (double)total_rows / dt);
    printf("peak RSS MiB %.1f (of which the generated input held in memory: %.1f; scoring added %.1f)\n",
           (double)ru.ru_maxrss / 1024.0, (double)ru0.ru_maxrss / 1024.0,
           (double)(ru.ru_maxrss - ru0.ru_maxrss) / 1024.0);
    printf("checksum of area totals %.4f\n", checksum);
    pcs_engine_destroy(&e);
    free_input(all, partners, &p);
    pcs_rules_destroy(&r);
    return 0;
}
