/* The Slack sink: an incoming webhook receives {text, blocks}: a header block with the headline,
 * then a section per alert (severity, summary, what to do) in Slack's mrkdwn, where &, < and >
 * are escaped as Slack asks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_sink.h"

typedef struct slack_cfg {
    pcs_route_t route;
    char url[256];
    bool allow_http;
} slack_cfg_t;

static const pcs_cfg_key_t keys[] = {
    PCS_ROUTE_KEYS("slack", "warning", "true", "8", "1000", "5000"),
    PCS_SINK_STR(slack_cfg_t, "slack_url", url, PCS_CFG_SECRET),
    PCS_SINK_BOOL(slack_cfg_t, "slack_allow_http", allow_http, "false"),
};

static bool enabled(const void *cfg)
{
    return ((const slack_cfg_t *)cfg)->url[0] != '\0';
}

static int check(const void *cfg, char *why, size_t n)
{
    const slack_cfg_t *c = cfg;
    return pcs_sink_check_url("slack_url", c->url, c->allow_http, why, n);
}

static void escaped(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '&')
            fputs("&amp;", f);
        else if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else
            fputc(*s, f);
    }
}

static char *section(const pcs_item_t *it)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    bool res = strcmp(it->transition, "resolved") == 0;
    fprintf(f, "%s *%s* ", res ? ":white_check_mark:" : strcmp(it->severity, "critical") == 0 ? ":red_circle:" : ":warning:",
            res ? "RESOLVED" : it->severity);
    escaped(f, it->summary);
    fputs("\n_What to do:_ ", f);
    escaped(f, it->action);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int deliver(const pcs_sink_ctx_t *ctx, const pcs_notice_t *m, pcs_xfer_done_fn done, void *ud)
{
    const slack_cfg_t *c = ctx->cfg;
    char *title = pcs_notice_title(m);
    json_t *blocks = json_array(), *msg = NULL;
    char *text = NULL;
    int rc = -1;
    if (!title || !blocks)
        goto out;
    if (strlen(title) > 150) {   /* a header block holds at most 150 characters; cut between characters */
        size_t k = 146;
        while (k > 0 && ((unsigned char)title[k] & 0xC0) == 0x80)
            k--;
        strcpy(title + k, "...");
    }
    json_array_append_new(blocks, json_pack("{s:s, s:{s:s, s:s}}", "type", "header", "text", "type", "plain_text", "text", title));
    for (int i = 0; i < m->n && i < 45; i++) {   /* Slack takes up to 50 blocks */
        char *s = section(&m->items[i]);
        if (!s)
            goto out;
        json_array_append_new(blocks, json_pack("{s:s, s:{s:s, s:s}}", "type", "section", "text", "type", "mrkdwn", "text", s));
        free(s);
    }
    msg = json_pack("{s:s, s:O}", "text", title, "blocks", blocks);
    if (msg && (text = json_dumps(msg, JSON_COMPACT)))
        rc = pcs_sink_post_json(ctx, c->url, text, NULL, done, ud);
out:
    free(title);
    free(text);
    json_decref(blocks);
    json_decref(msg);
    return rc;
}

const pcs_sink_def_t pcs_sink_slack = {"slack", keys, (int)(sizeof keys / sizeof *keys), enabled, check, deliver};
