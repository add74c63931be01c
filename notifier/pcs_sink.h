/* pcs_sink: where notifications go. Sinks are a table: each is {name, takes(alert), deliver(batch)}
 * with its own configuration section (keys "<name>_..."), in its own file pcs_sink_<name>.c, so
 * a new sink is one file and one line in pcs_sinks[] (pcs_sink.c).
 *
 * Every sink has the routing keys of pcs_route_t (built for it by pcs_sink_keys()); its own keys
 * follow in its config block, which starts with the pcs_route_t. A sink is enabled when its
 * `enabled()` says its required keys are set and its min_severity is not "off".
 *
 * deliver() sends one notification (a digest of one partner's alerts) and calls done exactly once,
 * at once (log, file) or later from the loop (HTTP and SMTP through pcs_xfer, never blocking). */
#ifndef PCS_SINK_H
#define PCS_SINK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcs_config.h"
#include "pcs_xfer.h"

#define PCS_SINK_CFG_SIZE 4096   /* bytes of one sink's config block */

/* The routing keys every sink has. */
typedef struct pcs_route {
    char min_severity[256];   /* info, warning, critical or off */
    char partners[256];       /* comma/space separated partner ids; empty: all */
    bool send_resolved;       /* deliver resolves */
    int64_t max_attempts;     /* then the delivery is recorded as failed */
    int64_t backoff_ms;       /* first retry after this, doubling, at most one hour */
    int64_t timeout_ms;       /* one attempt (HTTP, SMTP) */
} pcs_route_t;

/* One alert of a notification, as sinks see it. */
typedef struct pcs_item {
    long long alert_id;
    const char *transition;   /* firing, resolved, escalated, repeat */
    const char *state;        /* the alert's state now: firing or resolved */
    const char *event, *partner_id, *area, *severity, *dedup_key, *alert_key, *as_of, *rules;
    const char *first_seen, *last_seen, *resolved_at;   /* RFC 3339 UTC; resolved_at may be NULL */
    const char *summary, *action;
    json_t *payload;          /* borrowed */
} pcs_item_t;

/* One notification for one sink. */
typedef struct pcs_notice {
    long long notification_id;
    const char *partner_id, *reason, *created;   /* reason: change or repeat */
    const char *idempotency_key;                 /* "pcs-<notification_id>-<created epoch>": safe in a header */
    int attempt;                                 /* 1 for the first attempt */
    int n;
    pcs_item_t *items;
    const char *json;                            /* the digest document (proto/README.md) */
} pcs_notice_t;

typedef struct pcs_sink_ctx {
    pcs_curl_uv_t *cu;        /* transfers on the loop */
    const void *cfg;          /* the sink's config block (starts with pcs_route_t) */
} pcs_sink_ctx_t;

typedef struct pcs_sink_def {
    const char *name;
    const pcs_cfg_key_t *keys;   /* PCS_ROUTE_KEYS(...) then its own keys, offsets into its block */
    int n_keys;
    bool (*enabled)(const void *cfg);
    /* Validates the block at load and on SIGHUP; why gets a reason naming the key. */
    int (*check)(const void *cfg, char *why, size_t n);
    int (*deliver)(const pcs_sink_ctx_t *ctx, const pcs_notice_t *m, pcs_xfer_done_fn done, void *ud);
} pcs_sink_def_t;

extern const pcs_sink_def_t *const pcs_sinks[];
extern const int pcs_sinks_n;

/* The routing keys of a sink named NAME, with its defaults: the first keys of its table. */
#define PCS_ROUTE_KEYS(NAME, SEVERITY, RESOLVED, ATTEMPTS, BACKOFF, TIMEOUT)                                  \
    {NAME "_min_severity", PCS_CFG_STRING, SEVERITY, 0, 0, offsetof(pcs_route_t, min_severity), PCS_CFG_RELOAD, NULL}, \
    {NAME "_partners", PCS_CFG_STRING, "", 0, 0, offsetof(pcs_route_t, partners), PCS_CFG_RELOAD, NULL},              \
    {NAME "_send_resolved", PCS_CFG_BOOL, RESOLVED, 0, 0, offsetof(pcs_route_t, send_resolved), PCS_CFG_RELOAD, NULL}, \
    {NAME "_max_attempts", PCS_CFG_INT, ATTEMPTS, 1, 1000, offsetof(pcs_route_t, max_attempts), PCS_CFG_RELOAD, NULL}, \
    {NAME "_backoff_ms", PCS_CFG_INT, BACKOFF, 10, 3600000, offsetof(pcs_route_t, backoff_ms), PCS_CFG_RELOAD, NULL},  \
    {NAME "_timeout_ms", PCS_CFG_INT, TIMEOUT, 100, 600000, offsetof(pcs_route_t, timeout_ms), PCS_CFG_RELOAD, NULL}

/* A sink's own key named NAME for member M of its config type T (reloadable; secret when flagged). */
#define PCS_SINK_STR(T, NAME, M, FLAGS) {NAME, PCS_CFG_STRING, "", 0, 0, offsetof(T, M), PCS_CFG_RELOAD | (FLAGS), NULL}
#define PCS_SINK_BOOL(T, NAME, M, DEF) {NAME, PCS_CFG_BOOL, DEF, 0, 0, offsetof(T, M), PCS_CFG_RELOAD, NULL}

/* The key table of all sinks, offsets relative to base + i * PCS_SINK_CFG_SIZE; appended to
 * keys[*n] (room for pcs_sink_keys_n() more). */
int pcs_sink_keys_n(void);
void pcs_sink_keys(pcs_cfg_key_t *keys, int *n, size_t base);

/* Whether sink i takes the alert: enabled, severity at or above its minimum, partner listed, and
 * for a resolve, send_resolved. */
bool pcs_sink_takes(int i, const void *cfg, const char *partner, const char *severity, const char *transition);

/* Validates the routing of every sink and each sink's own keys. */
int pcs_sink_check_all(const unsigned char *blocks, char *why, size_t n);

/* ---- helpers the sinks share ---- */

/* pcs_vocab's order: 0 info, 1 warning, 2 critical; PCS_SEV_N (3) unknown */
int pcs_severity_rank(const char *s);
/* The digest as plain text (subject line first), for the log, email and chat sinks (malloc'd). */
char *pcs_notice_text(const pcs_notice_t *m);
/* A headline "contoso: 2 firing, 1 resolved" (malloc'd). */
char *pcs_notice_title(const pcs_notice_t *m);
/* An HTTP POST of a JSON body on the loop; headers: NULL-terminated extra header lines. */
int pcs_sink_post_json(const pcs_sink_ctx_t *ctx, const char *url, const char *body, const char *const *headers,
                       pcs_xfer_done_fn done, void *ud);
/* Refuses an empty URL, a non-http(s) URL, and http:// unless allow_http. */
int pcs_sink_check_url(const char *key, const char *url, bool allow_http, char *why, size_t n);

#endif
