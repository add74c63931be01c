#include <criterion/criterion.h>
#include <string.h>

#include "pcs_envelope.h"

Test(envelope, round_trips)
{
    json_t *body = json_pack("{s:s}", "partner_id", "4711");
    char *s = pcs_envelope_encode("cert.earned", "ev-1", "2026-11-20T10:00:00Z", body);
    cr_assert_not_null(s);
    pcs_envelope_t env;
    pcs_err_t err = {0};
    cr_assert_eq(pcs_envelope_decode(s, strlen(s), &env, &err), 0, "%s", err.msg);
    cr_assert_str_eq(env.type, "cert.earned");
    cr_assert_str_eq(env.id, "ev-1");
    cr_assert_str_eq(json_string_value(json_object_get(env.body, "partner_id")), "4711");
    pcs_envelope_clear(&env);
    free(s);
    json_decref(body);
}

Test(envelope, rejects_bad_messages_with_a_reason)
{
    static const struct { const char *msg, *reason; } cases[] = {
        {"", "invalid JSON"},
        {"\xff\xfe", "invalid JSON"},
        {"[1]", "expected an object"},
        {"{\"v\":2,\"type\":\"t\",\"id\":\"i\",\"ts\":\"2026-01-01T00:00:00Z\",\"body\":{}}", "v: expected 1"},
        {"{\"v\":1,\"type\":\"\",\"id\":\"i\",\"ts\":\"2026-01-01T00:00:00Z\",\"body\":{}}", "type:"},
        {"{\"v\":1,\"type\":\"t\",\"ts\":\"2026-01-01T00:00:00Z\",\"body\":{}}", "id: expected a string"},
        {"{\"v\":1,\"type\":\"t\",\"id\":\"i\",\"ts\":\"2026-01-01 00:00:00\",\"body\":{}}", "ts: not an RFC 3339"},
        {"{\"v\":1,\"type\":\"t\",\"id\":\"i\",\"ts\":\"2026-02-30T00:00:00Z\",\"body\":{}}", "ts: not an RFC 3339"},
        {"{\"v\":1,\"type\":\"t\",\"id\":\"i\",\"ts\":\"2026-01-01T00:00:00Z\",\"body\":[]}", "body: expected an object"},
        {"{\"v\":1,\"type\":\"t\",\"id\":\"i\",\"ts\":\"2026-01-01T00:00:00Z\",\"body\":{},\"x\":1}", "x: unknown key"},
        {"{\"v\":1,\"v\":1,\"type\":\"t\",\"id\":\"i\",\"ts\":\"2026-01-01T00:00:00Z\",\"body\":{}}", "invalid JSON"},
        {"{\"v\":1,\"type\":\"t\",\"id\":\"a\\u0000b\",\"ts\":\"2026-01-01T00:00:00Z\",\"body\":{}}", "invalid JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        pcs_envelope_t env;
        pcs_err_t err = {0};
        cr_expect_eq(pcs_envelope_decode(cases[i].msg, strlen(cases[i].msg), &env, &err), PCS_EINVAL, "case %zu", i);
        cr_expect(strstr(err.msg, cases[i].reason) != NULL, "case %zu: '%s' lacks '%s'", i, err.msg, cases[i].reason);
        cr_expect_null(env.body);
    }
}

Test(envelope, survives_random_bytes)
{
    unsigned seed = 7;
    char buf[512];
    for (int n = 0; n < 2000; n++) {
        size_t len = (size_t)(rand_r(&seed) % (int)sizeof buf);
        for (size_t i = 0; i < len; i++)
            buf[i] = (char)(rand_r(&seed) & 0xff);
        if (n % 3 == 0 && len > 2)
            buf[0] = '{';
        pcs_envelope_t env;
        pcs_err_t err = {0};
        int rc = pcs_envelope_decode(buf, len, &env, &err);
        cr_assert(rc == PCS_EINVAL || rc == 0);
        pcs_envelope_clear(&env);
    }
}
