/* pcs_api: the HTTP side of pcs-api (interfaces.md §5): routing, bearer tokens and scopes, limits,
 * JSON errors, the dashboard's files, /metrics.
 *
 * libmicrohttpd runs `workers` threads, each with its own epoll loop; a request is answered in the
 * thread that read it, with a PostgreSQL connection taken from a pool of as many connections
 * (read-only transactions, statement_timeout), through the read model the CLI uses (store/), so
 * an answer is byte for byte what the CLI prints with --json. Nothing is shared between the
 * threads but the pool (a mutex), the read-only configuration and files, and atomic counters.
 *
 * Requests are checked before anything is read from the database: the path is split on '/' before
 * percent-decoding, and a segment that is empty, '.', '..' or decodes to '/', '\' or a control
 * character is a 400; a body beyond max_body_bytes is a 413; headers beyond max_header_bytes a 431;
 * an idle connection is closed after timeout_s. Every error is {"error": "...", "status": N}. */
#ifndef PCS_API_H
#define PCS_API_H

#include <stdbool.h>
#include <stdint.h>

#include "pcs_daemon.h"
#include "pcs_err.h"

typedef struct pcs_api_config {
    pcs_daemon_cfg_t common;
    char db[256];
    char listen_address[256];
    int64_t port;
    int64_t workers;
    char web_dir[256];
    char rule_set[256];
    char today[256];
    int64_t max_body_bytes;
    int64_t max_header_bytes;
    int64_t max_connections;
    int64_t timeout_s;
    int64_t statement_timeout_ms;
    char tls_cert_file[256];
    char tls_key_file[256];
    bool access_log;
} pcs_api_config_t;

typedef struct pcs_api pcs_api_t;

/* Reads the dashboard's files and the TLS key pair, prepares the connection pool (connections are
 * made when first needed). NULL with the reason in err. The configuration is copied. */
pcs_api_t *pcs_api_new(const pcs_api_config_t *cfg, pcs_err_t *err);

/* Starts listening; *port receives the bound port (useful with port 0). */
int pcs_api_start(pcs_api_t *a, unsigned *port, pcs_err_t *err);

/* Stops taking connections, waits up to wait_ms for the requests in hand to be answered, then
 * closes every connection and stops the worker threads. */
void pcs_api_stop(pcs_api_t *a, int wait_ms);

/* Whether the configuration can start a server (addresses, dates, TLS pairs); for --check-config. */
int pcs_api_check_config(const pcs_api_config_t *cfg, pcs_err_t *err);

void pcs_api_destroy(pcs_api_t **a);

#endif
