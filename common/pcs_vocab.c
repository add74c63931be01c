#include "pcs_vocab.h"

#include <string.h>

const char *const pcs_area_ids[PCS_AREA_N + 1] = {"data_ai", "infrastructure", "digital_app_innovation",
                                                  "business_applications", "modern_work", "security", NULL};
const char *const pcs_track_ids[PCS_TRACK_N + 1] = {"enterprise", "smb", NULL};
const char *const pcs_metric_ids[PCS_METRIC_N + 1] = {"net_customer_adds", "intermediate_certifications",
                                                      "advanced_certifications", "usage_growth", "deployments",
                                                      NULL};
const char *const pcs_assoc_type_ids[PCS_AT_N + 1] = {"PAL", "DPOR", "CPOR", "CPOR_OSA", "CPOR_OSU", "CPOR_REVREC",
                                                      "CPOR_REVREC_PERF", "CSP_T1", "CSP_T2", NULL};
const char *const pcs_status_ids[PCS_ST_N + 1] = {"not_started", "in_progress", "qualified", "enrolled",
                                                  "renewal_due", NULL};
const char *const pcs_event_ids[PCS_EV_N + 1] = {"cert_expiring",       "certs_expiring_combined",
                                                 "nca_at_risk",         "metric_zero_blocking",
                                                 "near_threshold",      "renewal_reminder",
                                                 "designation_at_risk", "other_track_qualifies",
                                                 NULL};
const char *const pcs_severity_ids[PCS_SEV_N + 1] = {"info", "warning", "critical", NULL};
const char *const pcs_fact_event_ids[PCS_FE_N + 1] = {"cert.earned",   "cert.renewed",    "cert.expired",
                                                      "cert.revoked",  "person.linked",   "person.unlinked",
                                                      "association.upserted", NULL};

int pcs_vocab_index(const char *const *ids, const char *word)
{
    for (int i = 0; word && ids[i]; i++)
        if (strcmp(ids[i], word) == 0)
            return i;
    return -1;
}

int pcs_area_index(const char *id)
{
    return pcs_vocab_index(pcs_area_ids, id);
}

int pcs_assoc_type_index(const char *id)
{
    return pcs_vocab_index(pcs_assoc_type_ids, id);
}

int pcs_severity_index(const char *id)
{
    return pcs_vocab_index(pcs_severity_ids, id);
}
