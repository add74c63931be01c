#include "pcs_db.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_file.h"

PGconn *pcs_db_connect(const char *conninfo, pcs_err_t *err)
{
    PGconn *db = PQconnectdb(conninfo ? conninfo : "");
    if (!db) {
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        return NULL;
    }
    if (PQstatus(db) != CONNECTION_OK) {
        pcs_err_set(err, PCS_EIO, 0, 0, "cannot connect to PostgreSQL: %s", PQerrorMessage(db));
        PQfinish(db);
        return NULL;
    }
    return db;
}

int pcs_db_exec(PGconn *db, const char *sql, pcs_err_t *err)
{
    PGresult *r = PQexec(db, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        const char *m = PQresultErrorMessage(r);
        rc = pcs_err_set(err, PCS_EIO, 0, 0, "%.*s", (int)strcspn(m, "\n"), m);
    }
    PQclear(r);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Migration files: four digits, an underscore, a name, ".sql". */
static int version_of(const char *name)
{
    size_t n = strlen(name);
    if (n < 9 || strcmp(name + n - 4, ".sql") != 0 || name[4] != '_')
        return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        if (name[i] < '0' || name[i] > '9')
            return -1;
        v = v * 10 + (name[i] - '0');
    }
    return v;
}

int pcs_db_migrate(PGconn *db, const char *dir, int *applied, pcs_err_t *err)
{
    int rc = 0, n = 0, cap = 0;
    char **names = NULL, *sql = NULL;
    DIR *d = NULL;
    PGresult *r = NULL;
    *applied = 0;

    if ((rc = pcs_db_exec(db,
                          "SET client_min_messages = warning; SELECT pg_advisory_lock(727001);"
                          "CREATE TABLE IF NOT EXISTS pcs_migrations (version int PRIMARY KEY, name text NOT NULL,"
                          " applied_at timestamptz NOT NULL DEFAULT now())",
                          err)) < 0)
        goto out;
    d = opendir(dir);
    if (!d) {
        rc = pcs_err_set(err, PCS_EIO, 0, 0, "%s: cannot open the migrations directory", dir);
        goto out;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (version_of(de->d_name) < 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nn = realloc(names, sizeof *names * (size_t)cap);
            if (!nn) {
                rc = pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
                goto out;
            }
            names = nn;
        }
        names[n] = strdup(de->d_name);
        if (!names[n]) {
            rc = pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
            goto out;
        }
        n++;
    }
    if (n > 1)
        qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int i = 0; i < n; i++) {
        char ver[16];
        snprintf(ver, sizeof ver, "%d", version_of(names[i]));
        const char *params[2] = {ver, names[i]};
        r = PQexecParams(db, "SELECT 1 FROM pcs_migrations WHERE version = $1::int", 1, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            rc = pcs_err_set(err, PCS_EIO, 0, 0, "%s", PQresultErrorMessage(r));
            goto out;
        }
        bool done = PQntuples(r) > 0;
        PQclear(r);
        r = NULL;
        if (done)
            continue;
        char path[4096];
        size_t len;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if ((rc = pcs_file_read(path, 16u << 20, &sql, &len, err)) < 0)
            goto out;
        if ((rc = pcs_db_exec(db, "BEGIN", err)) < 0)
            goto out;
        if ((rc = pcs_db_exec(db, sql, err)) < 0) {
            char why[sizeof err->msg];
            snprintf(why, sizeof why, "%s", err ? err->msg : "");
            pcs_db_exec(db, "ROLLBACK", NULL);
            rc = pcs_err_set(err, PCS_EIO, 0, 0, "%s: %s", names[i], why);
            goto out;
        }
        r = PQexecParams(db, "INSERT INTO pcs_migrations (version, name) VALUES ($1::int, $2)", 2, NULL, params,
                         NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            rc = pcs_err_set(err, PCS_EIO, 0, 0, "%s", PQresultErrorMessage(r));
            pcs_db_exec(db, "ROLLBACK", NULL);
            goto out;
        }
        PQclear(r);
        r = NULL;
        if ((rc = pcs_db_exec(db, "COMMIT", err)) < 0)
            goto out;
        free(sql);
        sql = NULL;
        (*applied)++;
    }
out:
    PQclear(r);
    pcs_db_exec(db, "SELECT pg_advisory_unlock(727001)", NULL);
    if (d)
        closedir(d);
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(sql);
    return rc;
}
