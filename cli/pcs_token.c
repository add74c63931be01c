/* pcs_token: `pcs token create | list | revoke`, the bearer tokens of pcs-api (interfaces.md §5).
 * The token is printed once by create; the database keeps only its SHA-256 (api/pcs_token.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_cli.h"
#include "pcs_db.h"
#include "pcs_token.h"

static int create(PGconn *db, pcs_args_t *a)
{
    const char *name = pcs_args_str(a, "name");
    bool admin = pcs_args_flag(a, "admin");
    int n = pcs_args_count(a, "partner");
    if (!name)
        return pcs_cli_fail(2, "token create: --name NAME is needed");
    if (n == 0 && a->npos > 1)
        return pcs_cli_fail(2, "token create: unexpected argument '%s'", a->pos[1]);
    /* --partner A B C: the words after the first value are positional; --partner A --partner B too */
    const char **partners = calloc((size_t)(n + a->npos), sizeof *partners);
    if (!partners)
        return 1;
    for (int i = 0; i < n; i++)
        partners[i] = pcs_args_nth(a, "partner", i);
    for (int i = 1; n > 0 && i < a->npos; i++)
        partners[n++] = a->pos[i];
    char token[PCS_TOKEN_LEN + 1];
    pcs_err_t err = {0};
    int rc = 0;
    if (pcs_token_create(db, name, admin, partners, n, token, &err) < 0) {
        rc = pcs_cli_err(&err);
    } else {
        /* the only time the token exists outside its holder's hands: stdout, nothing else */
        puts(token);
        fprintf(stderr, "pcs: token '%s' created (%s); it is shown only now, keep it safe\n", name,
                admin ? "admin: every partner" : "scoped to its partners");
    }
    free(partners);
    return rc;
}

static int list(PGconn *db)
{
    pcs_err_t err = {0};
    PGresult *r = pcs_token_list(db, &err);
    if (!r)
        return pcs_cli_err(&err);
    static const char *const cols[] = {"name:Name", "state:State", "created:Created (UTC)", "revoked:Revoked (UTC)",
                                       "sees:Sees"};
    pcs_table_t *t = pcs_table_new(cols, 5);
    for (int i = 0; t && i < PQntuples(r); i++) {
        bool revoked = PQgetvalue(r, i, 4)[0] != '\0';
        pcs_table_cell(t, PQgetvalue(r, i, 0), NULL);
        pcs_table_cell(t, revoked ? "revoked" : "live", NULL);
        pcs_table_cell(t, PQgetvalue(r, i, 3), NULL);
        pcs_table_cell(t, revoked ? PQgetvalue(r, i, 4) : "-", revoked ? PQgetvalue(r, i, 4) : "");
        pcs_table_cell(t, PQgetvalue(r, i, 1)[0] == 't' ? "every partner (admin)" : PQgetvalue(r, i, 2), NULL);
    }
    PQclear(r);
    if (!t)
        return 1;
    pcs_table_print(t, stdout, 0);
    pcs_table_destroy(&t);
    return fflush(stdout) == 0 ? 0 : 1;
}

int pcs_cmd_token(pcs_args_t *a)
{
    const char *sub = a->pos[0];
    if (strcmp(sub, "create") && strcmp(sub, "list") && strcmp(sub, "revoke"))
        return pcs_cli_fail(2, "token: unknown subcommand '%s' (create, list or revoke)", sub);
    if (!strcmp(sub, "revoke") && a->npos != 2)
        return pcs_cli_fail(2, "token revoke: the token's NAME, and only that, is needed");
    if (!strcmp(sub, "list") && a->npos != 1)
        return pcs_cli_fail(2, "token list: unexpected argument '%s'", a->pos[1]);
    pcs_err_t err = {0};
    PGconn *db = pcs_db_connect(pcs_cli_conninfo(a), &err);
    if (!db)
        return pcs_cli_err(&err);
    int rc;
    if (!strcmp(sub, "create")) {
        rc = create(db, a);
    } else if (!strcmp(sub, "list")) {
        rc = list(db);
    } else if (pcs_token_revoke(db, a->pos[1], &err) < 0) {
        rc = pcs_cli_err(&err);
    } else {
        printf("token '%s' revoked\n", a->pos[1]);
        rc = 0;
    }
    PQfinish(db);
    return rc;
}
