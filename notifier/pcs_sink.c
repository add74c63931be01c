/* pcs_sink: the sink table, routing, and what the sinks share (see pcs_sink.h). */
#include "pcs_sink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_vocab.h"

extern const pcs_sink_def_t pcs_sink_log, pcs_sink_file, pcs_sink_webhook, pcs_sink_teams, pcs_sink_slack,
    pcs_sink_email;

/* A new sink: its file, and one line here. The order is the order of the config sections. */
const pcs_sink_def_t *const pcs_sinks[] = {&pcs_sink_log,   &pcs_sink_file,  &pcs_sink_webhook,
                                           &pcs_sink_teams, &pcs_sink_slack, &pcs_sink_email};
const int pcs_sinks_n = (int)(sizeof pcs_sinks / sizeof *pcs_sinks);

int pcs_sink_keys_n(void)
{
    int n = 0;
    for (int i = 0; i < pcs_sinks_n; i++)
        n += pcs_sinks[i]->n_keys;
    return n;
}

void pcs_sink_keys(pcs_cfg_key_t *keys, int *n, size_t base)
{
    for (int i = 0; i < pcs_sinks_n; i++)
        for (int k = 0; k < pcs_sinks[i]->n_keys; k++) {
            keys[*n] = pcs_sinks[i]->keys[k];
            keys[*n].offset += base + (size_t)i * PCS_SINK_CFG_SIZE;
            (*n)++;
        }
}

int pcs_severity_rank(const char *s)
{
    int i = s ? pcs_severity_index(s) : -1;
    return i < 0 ? PCS_SEV_N : i;
}

/* Whether a comma/space separated list names the partner (an empty list names every partner). */
static bool listed(const char *list, const char *partner)
{
    if (!*list)
        return true;
    size_t n = strlen(partner);
    for (const char *p = list; *p;) {
        p += strspn(p, ", ");
        size_t k = strcspn(p, ", ");
        if (k == n && strncmp(p, partner, n) == 0)
            return true;
        p += k;
    }
    return false;
}

bool pcs_sink_takes(int i, const void *cfg, const char *partner, const char *severity, const char *transition)
{
    const pcs_route_t *r = cfg;
    if (i < 0 || i >= pcs_sinks_n || !pcs_sinks[i]->enabled(cfg) || strcmp(r->min_severity, "off") == 0)
        return false;
    if (transition && strcmp(transition, "resolved") == 0 && !r->send_resolved)
        return false;
    return pcs_severity_rank(severity) < 3 && pcs_severity_rank(severity) >= pcs_severity_rank(r->min_severity) &&
           listed(r->partners, partner);
}

int pcs_sink_check_all(const unsigned char *blocks, char *why, size_t n)
{
    for (int i = 0; i < pcs_sinks_n; i++) {
        const void *cfg = blocks + (size_t)i * PCS_SINK_CFG_SIZE;
        const pcs_route_t *r = cfg;
        if (strcmp(r->min_severity, "off") != 0 && pcs_severity_rank(r->min_severity) > 2)
            return snprintf(why, n, "%s_min_severity: expected info, warning, critical or off", pcs_sinks[i]->name), -1;
        if (pcs_sinks[i]->enabled(cfg) && strcmp(r->min_severity, "off") != 0 && pcs_sinks[i]->check &&
            pcs_sinks[i]->check(cfg, why, n) < 0)
            return -1;
    }
    return 0;
}

int pcs_sink_check_url(const char *key, const char *url, bool allow_http, char *why, size_t n)
{
    if (!*url)
        return snprintf(why, n, "%s: empty", key), -1;
    if (strncmp(url, "https://", 8) == 0)
        return 0;
    if (strncmp(url, "http://", 7) == 0) {
        if (allow_http)
            return 0;
        return snprintf(why, n, "%s: http:// sends alerts in clear text; use https:// or set %.*s_allow_http = true",
                        key, (int)(strchr(key, '_') ? strchr(key, '_') - key : (ptrdiff_t)strlen(key)), key),
               -1;
    }
    return snprintf(why, n, "%s: expected an https:// URL", key), -1;
}

/* Text with control characters replaced, for anything that ends up in a header or a terminal. */
static void put_clean(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++)
        fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
}

char *pcs_notice_title(const pcs_notice_t *m)
{
    int firing = 0, resolved = 0, repeat = 0;
    for (int i = 0; i < m->n; i++) {
        const char *t = m->items[i].transition;
        if (strcmp(t, "resolved") == 0)
            resolved++;
        else if (strcmp(t, "repeat") == 0)
            repeat++;
        else
            firing++;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fputs("pcs ", f);
    put_clean(f, m->partner_id);
    fputs(":", f);
    if (firing)
        fprintf(f, " %d firing", firing);
    if (repeat)
        fprintf(f, "%s %d still firing", firing ? "," : "", repeat);
    if (resolved)
        fprintf(f, "%s %d resolved", firing || repeat ? "," : "", resolved);
    if (m->n == 1) {
        fputs(" - ", f);
        put_clean(f, m->items[0].summary);
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

char *pcs_notice_text(const pcs_notice_t *m)
{
    char *title = pcs_notice_title(m), *buf = NULL;
    size_t len = 0;
    FILE *f = title ? open_memstream(&buf, &len) : NULL;
    if (!f) {
        free(title);
        return NULL;
    }
    fprintf(f, "%s\n", title);
    free(title);
    for (int i = 0; i < m->n; i++) {
        const pcs_item_t *it = &m->items[i];
        fputs("\n[", f);
        put_clean(f, strcmp(it->transition, "resolved") == 0 ? "RESOLVED" : it->severity);
        fputs("] ", f);
        put_clean(f, it->summary);
        fputs("\n  What to do: ", f);
        put_clean(f, it->action);
        fputs("\n  Since ", f);
        put_clean(f, it->first_seen);
        if (it->resolved_at) {
            fputs(", resolved ", f);
            put_clean(f, it->resolved_at);
        }
        fputs(" (", f);
        put_clean(f, it->alert_key);
        fputs(")\n", f);
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

int pcs_sink_post_json(const pcs_sink_ctx_t *ctx, const char *url, const char *body, const char *const *headers,
                       pcs_xfer_done_fn done, void *ud)
{
    const pcs_route_t *r = ctx->cfg;
    CURL *c = curl_easy_init();
    char *copy = strdup(body);
    struct curl_slist *h = NULL, *t;
    if (!c || !copy)
        goto fail;
    if (!(t = curl_slist_append(h, "Content-Type: application/json")))
        goto fail;
    h = t;
    for (int i = 0; headers && headers[i]; i++) {
        if (!(t = curl_slist_append(h, headers[i])))
            goto fail;
        h = t;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, copy);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(copy));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)r->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)r->timeout_ms);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    return pcs_xfer_start(ctx->cu, c, h, NULL, NULL, copy, done, ud);
fail:
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    free(copy);
    return -1;
}
