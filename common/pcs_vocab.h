/* pcs_vocab: the words of pcs, defined once (scoring.md, interfaces.md).
 *
 * Areas, tracks, metrics, association types, statuses, alert events and severities: each is an
 * enum and a table of its ids in enum order, NULL-terminated (so a table is also a list for
 * pcs_vocab_index() and for key checks). The engine, ingest, the CLI and the notifier use these
 * tables; the CHECK constraints of sql/ list the same words, and tests/unit/test_vocab.c fails when
 * a migration and a table disagree. */
#ifndef PCS_VOCAB_H
#define PCS_VOCAB_H

enum { PCS_AREA_N = 6, PCS_TRACK_N = 2, PCS_METRIC_N = 5 };
enum { PCS_TRACK_ENTERPRISE = 0, PCS_TRACK_SMB = 1 };
enum {
    PCS_M_NCA = 0, PCS_M_INTERMEDIATE, PCS_M_ADVANCED, PCS_M_USAGE_GROWTH, PCS_M_DEPLOYMENTS
};

typedef enum {
    PCS_AT_PAL, PCS_AT_DPOR, PCS_AT_CPOR, PCS_AT_CPOR_OSA, PCS_AT_CPOR_OSU, PCS_AT_CPOR_REVREC,
    PCS_AT_CPOR_REVREC_PERF, PCS_AT_CSP_T1, PCS_AT_CSP_T2, PCS_AT_N
} pcs_assoc_type_t;

typedef enum {
    PCS_ST_NOT_STARTED, PCS_ST_IN_PROGRESS, PCS_ST_QUALIFIED, PCS_ST_ENROLLED, PCS_ST_RENEWAL_DUE, PCS_ST_N
} pcs_status_t;

/* The §13 events of a result document (the notifier adds newly_qualified, which needs history). */
typedef enum {
    PCS_EV_CERT_EXPIRING, PCS_EV_CERTS_EXPIRING_COMBINED, PCS_EV_NCA_AT_RISK, PCS_EV_METRIC_ZERO_BLOCKING,
    PCS_EV_NEAR_THRESHOLD, PCS_EV_RENEWAL_REMINDER, PCS_EV_DESIGNATION_AT_RISK, PCS_EV_OTHER_TRACK_QUALIFIES,
    PCS_EV_N
} pcs_event_type_t;

typedef enum { PCS_SEV_INFO, PCS_SEV_WARNING, PCS_SEV_CRITICAL, PCS_SEV_N } pcs_severity_t;

/* The events that change facts (interfaces.md §3, §4): message types on the intake socket and in
 * *.certs.jsonl files. */
typedef enum {
    PCS_FE_CERT_EARNED, PCS_FE_CERT_RENEWED, PCS_FE_CERT_EXPIRED, PCS_FE_CERT_REVOKED, PCS_FE_PERSON_LINKED,
    PCS_FE_PERSON_UNLINKED, PCS_FE_ASSOCIATION_UPSERTED, PCS_FE_N
} pcs_fact_event_t;

extern const char *const pcs_area_ids[PCS_AREA_N + 1];
extern const char *const pcs_track_ids[PCS_TRACK_N + 1];
extern const char *const pcs_metric_ids[PCS_METRIC_N + 1];
extern const char *const pcs_assoc_type_ids[PCS_AT_N + 1];
extern const char *const pcs_status_ids[PCS_ST_N + 1];
extern const char *const pcs_event_ids[PCS_EV_N + 1];
extern const char *const pcs_severity_ids[PCS_SEV_N + 1];
extern const char *const pcs_fact_event_ids[PCS_FE_N + 1];

/* The index of word in a NULL-terminated table, or -1. */
int pcs_vocab_index(const char *const *ids, const char *word);

int pcs_area_index(const char *id);
int pcs_assoc_type_index(const char *id);
int pcs_severity_index(const char *id);

#endif
