/* pcs_stack: CLI commands against a running stack. Each returns the process exit status. */
#ifndef PCS_STACK_H
#define PCS_STACK_H

#include <stdbool.h>
#include <stddef.h>

/* pcs rejects [--file NAME] [--limit N] [--json] [--db CONNINFO] */
int pcs_cmd_rejects(int argc, char **argv);
/* pcs send FILE.jsonl [--endpoint E] [--timeout-ms N] [--retries N] */
int pcs_cmd_send(int argc, char **argv);

/* pcs watch ENDPOINT [--sub] [--count N] [--timeout-ms N]: prints the messages a daemon sends */
int pcs_cmd_watch(int argc, char **argv);

/* Shared by the commands of a running stack. */
const char *pcs_cli_opt(int argc, char **argv, const char *name);   /* last --name VALUE, or NULL */
bool pcs_cli_flag(int argc, char **argv, const char *name);
const char *pcs_cli_conninfo(int argc, char **argv);                /* --db, PCS_DB, or "" */
/* Sends one REQ message and waits for a reply with "ok": true, retrying on a fresh socket after a
 * timeout. 0 when acknowledged, 1 otherwise (reply holds the reply or the reason). */
int pcs_cli_request(void *ctx, const char *endpoint, const char *msg, size_t len, int timeout_ms, int retries,
                    char *reply, size_t rsize);

/* pcs_scores.c: the scorer's commands and the stored scores. */
int pcs_cmd_refresh(int argc, char **argv);
int pcs_cmd_rescore(int argc, char **argv);
int pcs_cmd_scorer_status(int argc, char **argv);
int pcs_cmd_show(int argc, char **argv);
int pcs_cmd_history(int argc, char **argv);
int pcs_cmd_alerts(int argc, char **argv);

/* pcs_insights.c: a partner's facts from the database as a partner document, and the insights. */
#include <stdint.h>
#include "pcs_err.h"
char *pcs_export_text(const char *conninfo, const char *partner, int32_t as_of, pcs_err_t *err);
int pcs_cmd_export(int argc, char **argv);
int pcs_cmd_eligibility(int argc, char **argv);
int pcs_cmd_skilling(int argc, char **argv);
int pcs_cmd_recommend(int argc, char **argv);
int pcs_cmd_forecast(int argc, char **argv);
int pcs_cmd_trends(int argc, char **argv);
int pcs_cmd_rules(int argc, char **argv);

#endif
