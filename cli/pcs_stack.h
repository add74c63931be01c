/* pcs_stack: CLI commands against a running stack. Each returns the process exit status. */
#ifndef PCS_STACK_H
#define PCS_STACK_H

/* pcs rejects [--file NAME] [--limit N] [--json] [--db CONNINFO] */
int pcs_cmd_rejects(int argc, char **argv);
/* pcs send FILE.jsonl [--endpoint E] [--timeout-ms N] [--retries N] */
int pcs_cmd_send(int argc, char **argv);

/* pcs watch ENDPOINT [--sub] [--count N] [--timeout-ms N]: prints the messages a daemon sends */
int pcs_cmd_watch(int argc, char **argv);

#endif
