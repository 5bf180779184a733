/* The metrics the array cost models (systolic, systolic_sim) declare, and
 * the one conversion from the models' per-layer figures to the plugin
 * ABI's value vectors.  Compiled into each of them, hidden. */
#ifndef APNAS_COST_ARRAY_METRICS_H
#define APNAS_COST_ARRAY_METRICS_H

#include <stddef.h>

#include <apnas/plugin.h>

#include "hw/systolic_model.h"

/* Positions in the declaration (and so in the plugins' vectors). */
enum { AM_CYCLES = 0, AM_MAPPING_EFF = 1, AM_UTILIZATION = 2, AM_N = 3 };

extern const apnas_metric_decl am_metrics[AM_N + 1];

/* One layer's model figures into its row of layer_values (AM_N values)
 * and into the running sum (a network over 64 bits is refused). */
int am_layer(apnas_cost_sum *sum, const apnas_layer_cost *c, double *row,
             apnas_error *err);
/* The MODEL totals of net_values: mapping efficiency weighted by cycles,
 * utilization of the whole network on pes PEs. */
void am_finish(apnas_cost_sum *sum, double pes, double *net_values);

/* "32x32 os" into buf. */
void am_describe(const apnas_array *a, char *buf, size_t cap);

#endif
