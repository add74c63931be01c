/* The webhook sink: an HTTP POST of the notification's JSON, signed as Stripe and Slack sign:
 *   X-PCS-Timestamp: <unix seconds of this attempt>
 *   X-PCS-Signature: sha256=<hex HMAC-SHA256 under webhook_secret of "<timestamp>.<body>">
 *   Idempotency-Key: pcs-<notification id>-<created>   (the same on every attempt)
 * so a receiver checks the signature, refuses old timestamps (replays) and drops repeats. An empty
 * secret and an http:// URL are refused unless webhook_allow_http says otherwise for the URL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pcs_sha256.h"
#include "pcs_sink.h"

typedef struct webhook_cfg {
    pcs_route_t route;
    char url[256];
    char secret[256];
    bool allow_http;
} webhook_cfg_t;

static const pcs_cfg_key_t keys[] = {
    PCS_ROUTE_KEYS("webhook", "warning", "true", "8", "1000", "5000"),
    PCS_SINK_STR(webhook_cfg_t, "webhook_url", url, PCS_CFG_SECRET),
    PCS_SINK_STR(webhook_cfg_t, "webhook_secret", secret, PCS_CFG_SECRET),
    PCS_SINK_BOOL(webhook_cfg_t, "webhook_allow_http", allow_http, "false"),
};

static bool enabled(const void *cfg)
{
    return ((const webhook_cfg_t *)cfg)->url[0] != '\0';
}

static int check(const void *cfg, char *why, size_t n)
{
    const webhook_cfg_t *c = cfg;
    if (pcs_sink_check_url("webhook_url", c->url, c->allow_http, why, n) < 0)
        return -1;
    if (!c->secret[0])
        return snprintf(why, n, "webhook_secret: empty (receivers could not tell our alerts from forged ones)"), -1;
    return 0;
}

static int deliver(const pcs_sink_ctx_t *ctx, const pcs_notice_t *m, pcs_xfer_done_fn done, void *ud)
{
    const webhook_cfg_t *c = ctx->cfg;
    char ts[32], sig[100], hts[64], idem[120], hex[65];
    snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
    /* HMAC over "timestamp.body" */
    size_t tl = strlen(ts), bl = strlen(m->json);
    unsigned char mac[32];
    char *signed_text = malloc(tl + 1 + bl + 1);
    if (!signed_text)
        return -1;
    memcpy(signed_text, ts, tl);
    signed_text[tl] = '.';
    memcpy(signed_text + tl + 1, m->json, bl + 1);
    pcs_hmac_sha256(c->secret, strlen(c->secret), signed_text, tl + 1 + bl, mac);
    free(signed_text);
    pcs_sha256_hex(mac, hex);
    snprintf(sig, sizeof sig, "X-PCS-Signature: sha256=%s", hex);
    snprintf(hts, sizeof hts, "X-PCS-Timestamp: %s", ts);
    snprintf(idem, sizeof idem, "Idempotency-Key: %s", m->idempotency_key);   /* digits and dashes only */
    const char *h[] = {hts, sig, idem, NULL};
    return pcs_sink_post_json(ctx, c->url, m->json, h, done, ud);
}

const pcs_sink_def_t pcs_sink_webhook = {"webhook", keys, (int)(sizeof keys / sizeof *keys), enabled, check, deliver};
