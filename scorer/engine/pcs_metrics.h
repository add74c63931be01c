/* pcs_metrics: layer 2 of the engine (see pcs_engine_int.h): the metric kinds. Reads the facts
 * through layer 1 (pcs_facts.h) and appends explanation rows and event items through layer 0;
 * never calls pcs_area or pcs_engine. Not part of the public API. */
#ifndef PCS_METRICS_H
#define PCS_METRICS_H

#include "pcs_facts.h"

/* Md is the data month evaluated; proj = nca_at_risk projection (current period M+1,
 * comparison M-11). */
void pcs_metric_usage(pcs_engine_t *e, int area, int track, int metric, const pcs_metric_t *m, int32_t Md,
                      bool proj, pcs_metric_result_t *out, bool explain);
void pcs_metric_skill(pcs_engine_t *e, int area, int track, int metric, const pcs_metric_t *m,
                      pcs_metric_result_t *out, bool explain);
/* Tenants whose net_count effect drops in the projection (nca_at_risk payload): pushed as items. */
void pcs_metric_nca_drops(pcs_engine_t *e, const pcs_metric_t *m, int32_t M);
bool pcs_pred_holds(const pcs_engine_t *e, int tenant, int scope, const pcs_pred_t *p, int32_t month);

#endif
