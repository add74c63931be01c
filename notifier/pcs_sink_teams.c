/* The Microsoft Teams sink: a channel's incoming webhook (a Workflows "When a Teams webhook request
 * is received" flow, or a classic connector URL) receives a message with one Adaptive Card: the
 * headline, then per alert its severity, summary and what to do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_sink.h"

typedef struct teams_cfg {
    pcs_route_t route;
    char url[256];
    bool allow_http;
} teams_cfg_t;

static const pcs_cfg_key_t keys[] = {
    PCS_ROUTE_KEYS("teams", "warning", "true", "8", "1000", "5000"),
    PCS_SINK_STR(teams_cfg_t, "teams_url", url, PCS_CFG_SECRET),
    PCS_SINK_BOOL(teams_cfg_t, "teams_allow_http", allow_http, "false"),
};

static bool enabled(const void *cfg)
{
    return ((const teams_cfg_t *)cfg)->url[0] != '\0';
}

static int check(const void *cfg, char *why, size_t n)
{
    const teams_cfg_t *c = cfg;
    return pcs_sink_check_url("teams_url", c->url, c->allow_http, why, n);
}

static const char *color(const pcs_item_t *it)
{
    if (strcmp(it->transition, "resolved") == 0)
        return "Good";
    return strcmp(it->severity, "critical") == 0 ? "Attention" : strcmp(it->severity, "warning") == 0 ? "Warning" : "Default";
}

static int deliver(const pcs_sink_ctx_t *ctx, const pcs_notice_t *m, pcs_xfer_done_fn done, void *ud)
{
    const teams_cfg_t *c = ctx->cfg;
    char *title = pcs_notice_title(m);
    json_t *body = json_array();
    if (!title || !body)
        goto fail;
    json_array_append_new(body, json_pack("{s:s, s:s, s:s, s:s, s:b}", "type", "TextBlock", "size", "Medium", "weight",
                                          "Bolder", "text", title, "wrap", 1));
    for (int i = 0; i < m->n; i++) {
        const pcs_item_t *it = &m->items[i];
        char head[64];
        snprintf(head, sizeof head, "%s", strcmp(it->transition, "resolved") == 0 ? "RESOLVED" : it->severity);
        for (char *p = head; *p; p++)
            *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        json_array_append_new(body, json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "type", "TextBlock", "text", head, "color",
                                              color(it), "weight", "Bolder", "wrap", 1, "separator", 1));
        json_array_append_new(body, json_pack("{s:s, s:s, s:b}", "type", "TextBlock", "text", it->summary, "wrap", 1));
        json_array_append_new(body, json_pack("{s:s, s:s, s:b, s:b}", "type", "TextBlock", "text", it->action, "wrap", 1,
                                              "isSubtle", 1));
    }
    json_t *card = json_pack("{s:s, s:s, s:s, s:o}", "$schema", "http://adaptivecards.io/schemas/adaptive-card.json",
                             "type", "AdaptiveCard", "version", "1.4", "body", body);
    body = NULL;
    json_t *msg = card ? json_pack("{s:s, s:[{s:s, s:n, s:o}]}", "type", "message", "attachments", "contentType",
                                   "application/vnd.microsoft.card.adaptive", "contentUrl", "content", card)
                       : NULL;
    char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
    json_decref(msg);
    free(title);
    if (!text)
        return -1;
    int rc = pcs_sink_post_json(ctx, c->url, text, NULL, done, ud);
    free(text);
    return rc;
fail:
    free(title);
    json_decref(body);
    return -1;
}

const pcs_sink_def_t pcs_sink_teams = {"teams", keys, (int)(sizeof keys / sizeof *keys), enabled, check, deliver};
