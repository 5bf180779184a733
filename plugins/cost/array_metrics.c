/* See array_metrics.h.  The totals follow apnas_cost_sum (the models'
 * own rule), so `apnas cost` agrees with SCALE-Sim's COMPUTE_REPORT. */
#include "array_metrics.h"

#include <stdio.h>

__attribute__((visibility("hidden")))
const apnas_metric_decl am_metrics[AM_N + 1] = {
	{ "cycles", "cycles",
	  "compute cycles of the array (SCALE-Sim's total cycles)",
	  APNAS_GOAL_MIN, APNAS_SCOPE_BOTH, APNAS_TOTAL_SUM },
	{ "mapping_efficiency", "%",
	  "share of the array the mapping fills (network: weighted by cycles)",
	  APNAS_GOAL_MAX, APNAS_SCOPE_BOTH, APNAS_TOTAL_MODEL },
	{ "utilization", "%",
	  "MACs over cycles x PEs (network: all MACs over all cycles)",
	  APNAS_GOAL_MAX, APNAS_SCOPE_BOTH, APNAS_TOTAL_MODEL },
	{ NULL, NULL, NULL, 0, 0, 0 },
};

__attribute__((visibility("hidden")))
int am_layer(apnas_cost_sum *sum, const apnas_layer_cost *c, double *row,
             apnas_error *err)
{
	row[AM_CYCLES] = (double)c->cycles;
	row[AM_MAPPING_EFF] = c->mapping_eff;
	row[AM_UTILIZATION] = c->utilization;
	return apnas_cost_sum_add(sum, c, err);
}

__attribute__((visibility("hidden")))
void am_finish(apnas_cost_sum *sum, double pes, double *net_values)
{
	apnas_layer_cost total;
	apnas_cost_sum_finish(sum, pes, &total);
	net_values[AM_MAPPING_EFF] = total.mapping_eff;
	net_values[AM_UTILIZATION] = total.utilization;
}

__attribute__((visibility("hidden")))
void am_describe(const apnas_array *a, char *buf, size_t cap)
{
	snprintf(buf, cap, "%lldx%lld %s", (long long)a->rows,
	         (long long)a->cols, apnas_dataflow_name(a->dataflow));
}
