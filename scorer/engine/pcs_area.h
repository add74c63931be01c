/* pcs_area: layer 3 of the engine (see pcs_engine_int.h): one area of one partner: tracks,
 * status, history and events. Calls layers 2 (pcs_metrics.h), 1 (pcs_facts.h) and 0; never
 * pcs_engine.c. Not part of the public API. */
#ifndef PCS_AREA_H
#define PCS_AREA_H

#include "pcs_metrics.h"

/* Scores area a into e->res.areas[a], appending its events and items. */
void pcs_area_score(pcs_engine_t *e, int area, const pcs_score_opts_t *opts);

#endif
