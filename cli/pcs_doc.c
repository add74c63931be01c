/* pcs_doc: the partner document of interfaces.md §2, decoded strictly into an engine. */
#include "pcs_doc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pcs_date.h"
#include "pcs_jsonloc.h"

typedef struct {
    pcs_engine_t *e;
    const char *text;    /* for positions; NULL when the document was assembled in memory */
    size_t len;
    pcs_jpath_t path;
    pcs_err_t *err;
} dc_t;

__attribute__((format(printf, 2, 3))) static int bad(dc_t *c, const char *fmt, ...)
{
    char where[256], why[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    int line = 0, col = 0;
    if (c->text)
        pcs_jsonloc_find(c->text, c->len, &c->path, &line, &col);
    return pcs_err_set(c->err, PCS_EINVAL, line, col, "%s: %s", pcs_jpath_format(&c->path, where, sizeof where), why);
}

static int only_keys(dc_t *c, json_t *o, const char *const *allowed)
{
    if (!json_is_object(o))
        return bad(c, "expected an object");
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, k) == 0;
        if (!ok) {
            pcs_jpath_push_key(&c->path, k);
            return bad(c, "unknown key '%s'", k);
        }
    }
    return 0;
}

/* A required (or optional, *out = NULL when absent/null) string member. */
static int str(dc_t *c, json_t *o, const char *key, bool required, const char **out)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    pcs_jpath_push_key(&c->path, key);
    if (!v || json_is_null(v)) {
        if (required)
            return bad(c, "missing");
        pcs_jpath_pop(&c->path);
        return 0;
    }
    if (!json_is_string(v))
        return bad(c, "expected a string");
    if (json_string_length(v) == 0 || json_string_length(v) > 200 || strlen(json_string_value(v)) != json_string_length(v))
        return bad(c, "expected a non-empty string of at most 200 bytes without NUL");
    *out = json_string_value(v);
    pcs_jpath_pop(&c->path);
    return 0;
}

static int date(dc_t *c, json_t *o, const char *key, bool required, int32_t *out)
{
    const char *s;
    *out = PCS_DAY_NONE;
    if (str(c, o, key, required, &s) < 0)
        return -1;
    if (s && pcs_day_parse(s, out) < 0) {
        pcs_jpath_push_key(&c->path, key);
        return bad(c, "bad date '%s' (expected YYYY-MM-DD)", s);
    }
    return 0;
}

static int number(dc_t *c, json_t *o, const char *key, double *out)
{
    json_t *v = json_object_get(o, key);
    *out = 0;
    if (!v)
        return 0;
    pcs_jpath_push_key(&c->path, key);
    if (!json_is_number(v))
        return bad(c, "expected a number");
    *out = json_number_value(v);
    pcs_jpath_pop(&c->path);
    return 0;
}

/* A missing array or null means empty. */
static int array(dc_t *c, json_t *root, const char *key, json_t **out)
{
    json_t *v = json_object_get(root, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v)) {
        pcs_jpath_push_key(&c->path, key);
        return bad(c, "expected an array");
    }
    *out = v;
    return 0;
}

/* Engine errors (range checks) get the position of the element. */
static int engine_rc(dc_t *c, int rc)
{
    if (rc == 0)
        return 0;
    if (c->err && c->err->code == PCS_EINVAL) {
        char why[sizeof c->err->msg];
        snprintf(why, sizeof why, "%s", c->err->msg);
        return bad(c, "%s", why);
    }
    return rc;
}

static int customers(dc_t *c, json_t *arr)
{
    static const char *const keys[] = {"tenant_id", "customer_id", "name", "segment", NULL};
    size_t i;
    json_t *o;
    pcs_jpath_push_key(&c->path, "customers");
    json_array_foreach(arr, i, o) {
        pcs_jpath_push_index(&c->path, (long)i);
        const char *tenant, *customer, *name, *segment;
        if (only_keys(c, o, keys) < 0 || str(c, o, "tenant_id", true, &tenant) < 0 ||
            str(c, o, "customer_id", false, &customer) < 0 || str(c, o, "name", false, &name) < 0 ||
            str(c, o, "segment", true, &segment) < 0)
            return -1;
        if (strcmp(segment, "smb") != 0 && strcmp(segment, "enterprise") != 0) {
            pcs_jpath_push_key(&c->path, "segment");
            return bad(c, "unknown segment '%s' (expected smb or enterprise)", segment);
        }
        if (engine_rc(c, pcs_engine_add_customer(c->e, tenant, customer, segment[0] == 's', c->err)) < 0)
            return -1;
        pcs_jpath_pop(&c->path);
    }
    pcs_jpath_pop(&c->path);
    return 0;
}

static int associations(dc_t *c, json_t *arr)
{
    static const char *const keys[] = {"tenant_id", "type", "workload", "start", "end", NULL};
    size_t i;
    json_t *o;
    pcs_jpath_push_key(&c->path, "associations");
    json_array_foreach(arr, i, o) {
        pcs_jpath_push_index(&c->path, (long)i);
        const char *tenant, *type, *workload;
        int32_t start, end;
        if (only_keys(c, o, keys) < 0 || str(c, o, "tenant_id", true, &tenant) < 0 ||
            str(c, o, "type", true, &type) < 0 || str(c, o, "workload", true, &workload) < 0 ||
            date(c, o, "start", true, &start) < 0 || date(c, o, "end", false, &end) < 0)
            return -1;
        int t = pcs_assoc_type_index(type);
        if (t < 0) {
            pcs_jpath_push_key(&c->path, "type");
            return bad(c, "unknown association type '%s'", type);
        }
        if (engine_rc(c, pcs_engine_add_association(c->e, tenant, (pcs_assoc_type_t)t, workload, start, end, c->err)) < 0)
            return -1;
        pcs_jpath_pop(&c->path);
    }
    pcs_jpath_pop(&c->path);
    return 0;
}

static int usage(dc_t *c, json_t *arr)
{
    static const char *const keys[] = {"tenant_id", "workload", "month", "acr_usd", "revenue_usd", "paid_units",
                                       "active_units", NULL};
    size_t i;
    json_t *o;
    pcs_jpath_push_key(&c->path, "usage");
    json_array_foreach(arr, i, o) {
        pcs_jpath_push_index(&c->path, (long)i);
        const char *tenant, *workload, *ms;
        double acr, rev, paid, active;
        int32_t month;
        if (only_keys(c, o, keys) < 0 || str(c, o, "tenant_id", true, &tenant) < 0 ||
            str(c, o, "workload", true, &workload) < 0 || str(c, o, "month", true, &ms) < 0 ||
            number(c, o, "acr_usd", &acr) < 0 || number(c, o, "revenue_usd", &rev) < 0 ||
            number(c, o, "paid_units", &paid) < 0 || number(c, o, "active_units", &active) < 0)
            return -1;
        if (pcs_month_parse(ms, &month) < 0) {
            pcs_jpath_push_key(&c->path, "month");
            return bad(c, "bad month '%s' (expected YYYY-MM)", ms);
        }
        if (engine_rc(c, pcs_engine_add_usage(c->e, tenant, workload, month, acr, rev, paid, active, c->err)) < 0)
            return -1;
        pcs_jpath_pop(&c->path);
    }
    pcs_jpath_pop(&c->path);
    return 0;
}

static int people(dc_t *c, json_t *arr)
{
    static const char *const keys[] = {"person_id", "certifications", NULL};
    static const char *const cert_keys[] = {"name", "earned", "expires", NULL};
    size_t i, k;
    json_t *o, *cert;
    pcs_jpath_push_key(&c->path, "people");
    json_array_foreach(arr, i, o) {
        pcs_jpath_push_index(&c->path, (long)i);
        const char *person;
        json_t *certs;
        if (only_keys(c, o, keys) < 0 || str(c, o, "person_id", true, &person) < 0 ||
            array(c, o, "certifications", &certs) < 0)
            return -1;
        if (engine_rc(c, pcs_engine_add_person(c->e, person, c->err)) < 0)
            return -1;
        pcs_jpath_push_key(&c->path, "certifications");
        json_array_foreach(certs, k, cert) {
            pcs_jpath_push_index(&c->path, (long)k);
            const char *name;
            int32_t earned, expires;
            if (only_keys(c, cert, cert_keys) < 0 || str(c, cert, "name", true, &name) < 0 ||
                date(c, cert, "earned", true, &earned) < 0 || date(c, cert, "expires", false, &expires) < 0)
                return -1;
            if (engine_rc(c, pcs_engine_add_cert(c->e, person, name, earned, expires, c->err)) < 0)
                return -1;
            pcs_jpath_pop(&c->path);
        }
        pcs_jpath_pop(&c->path);
        pcs_jpath_pop(&c->path);
    }
    pcs_jpath_pop(&c->path);
    return 0;
}

static int enrollments(dc_t *c, json_t *arr)
{
    static const char *const keys[] = {"area", "enrolled", "anniversary", NULL};
    size_t i;
    json_t *o;
    pcs_jpath_push_key(&c->path, "enrollments");
    json_array_foreach(arr, i, o) {
        pcs_jpath_push_index(&c->path, (long)i);
        const char *area;
        int32_t enrolled, anniversary;
        if (only_keys(c, o, keys) < 0 || str(c, o, "area", true, &area) < 0 ||
            date(c, o, "enrolled", true, &enrolled) < 0 || date(c, o, "anniversary", true, &anniversary) < 0)
            return -1;
        int a = pcs_area_index(area);
        if (a < 0) {
            pcs_jpath_push_key(&c->path, "area");
            return bad(c, "unknown area '%s'", area);
        }
        if (engine_rc(c, pcs_engine_add_enrollment(c->e, a, enrolled, anniversary, c->err)) < 0)
            return -1;
        pcs_jpath_pop(&c->path);
    }
    pcs_jpath_pop(&c->path);
    return 0;
}

int pcs_doc_parse(const char *text, size_t len, json_t **out, pcs_err_t *err)
{
    *out = NULL;
    if (len >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB && (unsigned char)text[2] == 0xBF)
        return pcs_err_set(err, PCS_EINVAL, 1, 1, "UTF-8 byte-order mark not allowed");
    json_error_t je;
    json_t *root = json_loadb(text, len, 0, &je);
    if (!root)
        return pcs_err_set(err, PCS_EINVAL, je.line > 0 ? je.line : 1, je.column > 0 ? je.column : 1, "%s", je.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return pcs_err_set(err, PCS_EINVAL, 1, 1, "expected a JSON object (the partner document)");
    }
    *out = root;
    return 0;
}

int pcs_doc_load(pcs_engine_t *e, json_t *root, const char *text, size_t len, int32_t *as_of, pcs_err_t *err)
{
    static const char *const keys[] = {"partner_id", "as_of", "customers", "associations", "usage", "people",
                                       "enrollments", NULL};
    dc_t c = {.e = e, .text = text, .len = len, .err = err};
    *as_of = PCS_DAY_NONE;
    if (only_keys(&c, root, keys) < 0)
        return PCS_EINVAL;
    json_t *pid = json_object_get(root, "partner_id");
    char idbuf[32];
    const char *id = NULL;
    if (json_is_integer(pid)) {
        snprintf(idbuf, sizeof idbuf, "%lld", (long long)json_integer_value(pid));
        id = idbuf;
    } else if (str(&c, root, "partner_id", true, &id) < 0) {
        return PCS_EINVAL;
    }
    json_t *cu, *as, *us, *pe, *en;
    if (date(&c, root, "as_of", false, as_of) < 0 || array(&c, root, "customers", &cu) < 0 ||
        array(&c, root, "associations", &as) < 0 || array(&c, root, "usage", &us) < 0 ||
        array(&c, root, "people", &pe) < 0 || array(&c, root, "enrollments", &en) < 0)
        return PCS_EINVAL;
    if (pcs_engine_begin(e, id, err) < 0)
        return PCS_ENOMEM;
    if (customers(&c, cu) < 0 || associations(&c, as) < 0 || usage(&c, us) < 0 || people(&c, pe) < 0 ||
        enrollments(&c, en) < 0)
        return err && err->code ? err->code : PCS_EINVAL;
    return 0;
}
