/* The email sink: one message per notification over SMTP through libcurl (on the loop), with a
 * plain text and an HTML part (multipart/alternative). email_url is smtp://host:port (STARTTLS
 * required unless email_require_tls = false) or smtps://host:port. The password is never logged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pcs_sink.h"

typedef struct email_cfg {
    pcs_route_t route;
    char url[256];
    char from[256];
    char to[256];
    char username[256];
    char password[256];
    bool require_tls;
} email_cfg_t;

static const pcs_cfg_key_t keys[] = {
    PCS_ROUTE_KEYS("email", "warning", "false", "8", "1000", "10000"),
    PCS_SINK_STR(email_cfg_t, "email_url", url, PCS_CFG_SECRET),
    PCS_SINK_STR(email_cfg_t, "email_from", from, 0),
    PCS_SINK_STR(email_cfg_t, "email_to", to, 0),
    PCS_SINK_STR(email_cfg_t, "email_username", username, PCS_CFG_SECRET),
    PCS_SINK_STR(email_cfg_t, "email_password", password, PCS_CFG_SECRET),
    PCS_SINK_BOOL(email_cfg_t, "email_require_tls", require_tls, "true"),
};

static bool enabled(const void *cfg)
{
    return ((const email_cfg_t *)cfg)->url[0] != '\0';
}

/* An address is what goes between < and >: no spaces, no control characters, no brackets. */
static bool address_ok(const char *a, size_t n)
{
    if (n == 0 || n > 200 || !memchr(a, '@', n))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)a[i] <= 0x20 || a[i] == '<' || a[i] == '>' || a[i] == '"' || a[i] == 0x7f)
            return false;
    return true;
}

static int check(const void *cfg, char *why, size_t n)
{
    const email_cfg_t *c = cfg;
    if (strncmp(c->url, "smtp://", 7) != 0 && strncmp(c->url, "smtps://", 8) != 0)
        return snprintf(why, n, "email_url: expected smtp://host:port or smtps://host:port"), -1;
    if (!address_ok(c->from, strlen(c->from)))
        return snprintf(why, n, "email_from: expected one address such as pcs@example.com"), -1;
    int count = 0;
    for (const char *p = c->to; *p;) {
        p += strspn(p, ", ");
        size_t k = strcspn(p, ", ");
        if (k && !address_ok(p, k))
            return snprintf(why, n, "email_to: '%.*s' is not an address", (int)(k > 100 ? 100 : k), p), -1;
        count += k > 0;
        p += k;
    }
    if (!count)
        return snprintf(why, n, "email_to: expected one or more addresses, comma separated"), -1;
    return 0;
}

static void html_escaped(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

static char *html_of(const pcs_notice_t *m, const char *title)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fputs("<!DOCTYPE html><html><body style=\"font-family:sans-serif\"><h2>", f);
    html_escaped(f, title);
    fputs("</h2>", f);
    for (int i = 0; i < m->n; i++) {
        const pcs_item_t *it = &m->items[i];
        bool res = strcmp(it->transition, "resolved") == 0;
        const char *col = res ? "#2e7d32" : strcmp(it->severity, "critical") == 0 ? "#c62828" : "#ef6c00";
        fprintf(f, "<div style=\"border-left:4px solid %s;padding:4px 10px;margin:10px 0\"><b>", col);
        html_escaped(f, res ? "RESOLVED" : it->severity);
        fputs("</b> ", f);
        html_escaped(f, it->summary);
        fputs("<br><i>What to do:</i> ", f);
        html_escaped(f, it->action);
        fputs("<br><small>since ", f);
        html_escaped(f, it->first_seen);
        fputs("</small></div>", f);
    }
    fputs("</body></html>\r\n", f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* A Subject header; RFC 2047 base64 when the text is not plain ASCII. */
static char *subject_header(const char *title)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    bool ascii = true;
    for (const unsigned char *p = (const unsigned char *)title; *p; p++)
        ascii = ascii && *p >= 0x20 && *p < 0x7f;
    size_t n = strlen(title);
    if (n > 180) {   /* a header line stays short; cut between characters */
        n = 177;
        while (n > 0 && ((unsigned char)title[n] & 0xC0) == 0x80)
            n--;
    }
    char *out = malloc(n * 2 + 64);
    if (!out)
        return NULL;
    if (ascii) {
        snprintf(out, n * 2 + 64, "Subject: %.*s%s", (int)n, title, n < strlen(title) ? "..." : "");
        return out;
    }
    char *o = out + sprintf(out, "Subject: =?UTF-8?B?");
    const unsigned char *s = (const unsigned char *)title;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
        *o++ = b64[v >> 18 & 63];
        *o++ = b64[v >> 12 & 63];
        *o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? b64[v & 63] : '=';
    }
    strcpy(o, "?=");
    return out;
}

static int deliver(const pcs_sink_ctx_t *ctx, const pcs_notice_t *m, pcs_xfer_done_fn done, void *ud)
{
    const email_cfg_t *c = ctx->cfg;
    CURL *e = curl_easy_init();
    curl_mime *mime = NULL, *alt = NULL;
    struct curl_slist *rcpt = NULL, *hdr = NULL, *t;
    char *title = pcs_notice_title(m), *text = pcs_notice_text(m), *html = title ? html_of(m, title) : NULL;
    char *subject = title ? subject_header(title) : NULL;
    char from[300], to[300], date[80], mid[120], mailfrom[260];
    int rc = -1;
    if (!e || !text || !html || !subject)
        goto out;
    /* recipients */
    for (const char *p = c->to; *p;) {
        p += strspn(p, ", ");
        size_t k = strcspn(p, ", ");
        if (k) {
            char a[260];
            snprintf(a, sizeof a, "<%.*s>", (int)k, p);
            if (!(t = curl_slist_append(rcpt, a)))
                goto out;
            rcpt = t;
        }
        p += k;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "Date: %a, %d %b %Y %H:%M:%S +0000", &tm);
    snprintf(from, sizeof from, "From: pcs <%s>", c->from);
    snprintf(to, sizeof to, "To: %s", c->to);
    snprintf(mid, sizeof mid, "Message-ID: <%s@pcs-notifier>", m->idempotency_key);
    snprintf(mailfrom, sizeof mailfrom, "<%s>", c->from);
    const char *hs[] = {date, from, to, subject, mid};
    for (size_t i = 0; i < sizeof hs / sizeof *hs; i++) {
        if (!(t = curl_slist_append(hdr, hs[i])))
            goto out;
        hdr = t;
    }
    /* multipart/alternative: text first, HTML preferred */
    mime = curl_mime_init(e);
    alt = curl_mime_init(e);
    if (!mime || !alt)
        goto out;
    curl_mimepart *part = curl_mime_addpart(alt);
    curl_mime_data(part, text, CURL_ZERO_TERMINATED);
    curl_mime_type(part, "text/plain; charset=utf-8");
    curl_mime_encoder(part, "quoted-printable");   /* SMTP lines stay under 1000 bytes */
    part = curl_mime_addpart(alt);
    curl_mime_data(part, html, CURL_ZERO_TERMINATED);
    curl_mime_type(part, "text/html; charset=utf-8");
    curl_mime_encoder(part, "quoted-printable");
    part = curl_mime_addpart(mime);
    curl_mime_subparts(part, alt);
    alt = NULL;   /* owned by mime now */
    curl_mime_type(part, "multipart/alternative");
    curl_easy_setopt(e, CURLOPT_URL, c->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(e, CURLOPT_MAIL_FROM, mailfrom);
    curl_easy_setopt(e, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(e, CURLOPT_MIMEPOST, mime);
    curl_easy_setopt(e, CURLOPT_UPLOAD, 0L);
    if (strncmp(c->url, "smtp://", 7) == 0)
        curl_easy_setopt(e, CURLOPT_USE_SSL, (long)(c->require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY));
    if (c->username[0]) {
        curl_easy_setopt(e, CURLOPT_USERNAME, c->username);
        curl_easy_setopt(e, CURLOPT_PASSWORD, c->password);
    }
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->route.timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)c->route.timeout_ms);
    rc = pcs_xfer_start(ctx->cu, e, hdr, rcpt, mime, NULL, done, ud);
    e = NULL, hdr = rcpt = NULL, mime = NULL;
out:
    if (e) {
        curl_mime_free(alt);
        curl_mime_free(mime);
        curl_easy_cleanup(e);
        curl_slist_free_all(rcpt);
        curl_slist_free_all(hdr);
    }
    free(title);
    free(text);
    free(html);
    free(subject);
    return rc;
}

const pcs_sink_def_t pcs_sink_email = {"email", keys, (int)(sizeof keys / sizeof *keys), enabled, check, deliver};
