/* See array_metrics.h.  The compute totals follow apnas_cost_sum (the
 * models' own rule), so `apnas cost` agrees with SCALE-Sim's
 * COMPUTE_REPORT; the memory and energy totals follow apnas_mem_sum. */
#include "array_metrics.h"

#include <stdio.h>
#include <string.h>

#define HIDDEN __attribute__((visibility("hidden")))

HIDDEN const apnas_metric_decl am_metrics[AM_N + 1] = {
	[AM_CYCLES] = { "cycles", "cycles",
	  "compute cycles of the array (SCALE-Sim's total cycles)",
	  APNAS_GOAL_MIN, APNAS_SCOPE_BOTH, APNAS_TOTAL_SUM },
	[AM_MAPPING_EFF] = { "mapping_efficiency", "%",
	  "share of the array the mapping fills (network: weighted by cycles)",
	  APNAS_GOAL_MAX, APNAS_SCOPE_BOTH, APNAS_TOTAL_MODEL },
	[AM_UTILIZATION] = { "utilization", "%",
	  "MACs over cycles x PEs (network: all MACs over all cycles)",
	  APNAS_GOAL_MAX, APNAS_SCOPE_BOTH, APNAS_TOTAL_MODEL },
	[AM_IFMAP_SRAM] = { "ifmap_sram_reads", "words",
	  "ifmap SRAM reads, as SCALE-Sim counts them",
	  APNAS_GOAL_MIN, APNAS_SCOPE_BOTH, APNAS_TOTAL_SUM },
	[AM_FILTER_SRAM] = { "filter_sram_reads", "words",
	  "filter SRAM reads, as SCALE-Sim counts them",
	  APNAS_GOAL_MIN, APNAS_SCOPE_BOTH, APNAS_TOTAL_SUM },
	[AM_OFMAP_SRAM] = { "ofmap_sram_writes", "words",
	  "ofmap SRAM writes, as SCALE-Sim counts them",
	  APNAS_GOAL_MIN, APNAS_SCOPE_BOTH, APNAS_TOTAL_SUM },
	[AM_IFMAP_DRAM] = { "ifmap_dram_reads", "words",
	  "ifmap words read from DRAM (compulsory, or refetched tiles)",
	  APNAS_GOAL_MIN, APNAS_SCOPE_BOTH, APNAS_TOTAL_SUM },
	[AM_FILTER_DRAM] = { "filter_dram_reads", "words",
	  "filter words read from DRAM",
	  APNAS_GOAL_MIN, APNAS_SCOPE_BOTH, APNAS_TOTAL_SUM },
	[AM_OFMAP_DRAM] = { "ofmap_dram_writes", "words",
	  "output words written to DRAM",
	  APNAS_GOAL_MIN, APNAS_SCOPE_BOTH, APNAS_TOTAL_SUM },
	[AM_DRAM_BYTES] = { "dram_bytes", "bytes",
	  "all DRAM traffic in bytes",
	  APNAS_GOAL_MIN, APNAS_SCOPE_BOTH, APNAS_TOTAL_SUM },
	[AM_STALLS] = { "stall_cycles", "cycles",
	  "cycles the array waits on the DRAM port (0 at unlimited bandwidth)",
	  APNAS_GOAL_MIN, APNAS_SCOPE_BOTH, APNAS_TOTAL_SUM },
	[AM_LATENCY] = { "latency_cycles", "cycles",
	  "compute cycles plus stalls",
	  APNAS_GOAL_MIN, APNAS_SCOPE_BOTH, APNAS_TOTAL_SUM },
	[AM_ENERGY] = { "energy_pj", "pJ",
	  "energy of one inference: MACs, PE registers, hops, SRAM, DRAM, "
	  "leakage",
	  APNAS_GOAL_MIN, APNAS_SCOPE_BOTH, APNAS_TOTAL_SUM },
	[AM_EDP] = { "edp", "pJ*cycles",
	  "energy-delay product (network: its energy times its latency)",
	  APNAS_GOAL_MIN, APNAS_SCOPE_BOTH, APNAS_TOTAL_MODEL },
	[AM_N] = { NULL, NULL, NULL, 0, 0, 0 },
};

HIDDEN int am_model_from_opts(const apnas_opts *o, am_model *m,
                              apnas_error *err)
{
	int rc = apnas_array_from_opts(o, &m->array, err);
	if (rc)
		return rc;
	apnas_mem_cfg_default(&m->mem);
	m->mem.ifmap_kb = apnas_opts_int(o, "ifmap_sram_kb");
	m->mem.filter_kb = apnas_opts_int(o, "filter_sram_kb");
	m->mem.ofmap_kb = apnas_opts_int(o, "ofmap_sram_kb");
	m->mem.word_bytes = apnas_opts_int(o, "word_bytes");
	m->mem.bandwidth = apnas_opts_int(o, "bandwidth");
	if ((rc = apnas_mem_cfg_check(&m->mem, err)))
		return rc;
	if ((rc = apnas_energy_default((int)m->mem.word_bytes, &m->energy,
	                               err)))
		return rc;
	const char *ert = apnas_opts_string(o, "ert");
	/* A missing or unreadable ERT is the user's to fix: bad input. */
	if (ert[0] && (rc = apnas_energy_ert_load(&m->energy, ert, err)))
		return rc == APNAS_ENOMEM ? rc : (err->code = APNAS_EINVAL);
	const char *over = apnas_opts_string(o, "energy");
	if (over[0] && (rc = apnas_energy_overrides(&m->energy, over, err)))
		return apnas_error_prefix(err, "energy");
	if ((rc = apnas_energy_check(&m->energy, err)))
		return rc;
	return as_search_create(o, &m->hw, err);
}

HIDDEN void am_model_free(am_model *m)
{
	as_search_free(m->hw);
	m->hw = NULL;
}

static int am_layer(apnas_cost_sum *sum, apnas_mem_cost *mem_sum,
                    const apnas_layer_cost *c, const apnas_mem_cost *mc,
                    double *row, apnas_error *err)
{
	row[AM_CYCLES] = (double)c->cycles;
	row[AM_MAPPING_EFF] = c->mapping_eff;
	row[AM_UTILIZATION] = c->utilization;
	row[AM_IFMAP_SRAM] = (double)mc->ifmap_sram_reads;
	row[AM_FILTER_SRAM] = (double)mc->filter_sram_reads;
	row[AM_OFMAP_SRAM] = (double)mc->ofmap_sram_writes;
	row[AM_IFMAP_DRAM] = (double)mc->ifmap_dram_reads;
	row[AM_FILTER_DRAM] = (double)mc->filter_dram_reads;
	row[AM_OFMAP_DRAM] = (double)mc->ofmap_dram_writes;
	row[AM_DRAM_BYTES] = (double)mc->dram_bytes;
	row[AM_STALLS] = (double)mc->stall_cycles;
	row[AM_LATENCY] = (double)mc->latency_cycles;
	row[AM_ENERGY] = mc->energy_pj;
	row[AM_EDP] = mc->edp;
	int rc = apnas_cost_sum_add(sum, c, err);
	return rc ? rc : apnas_mem_sum_add(mem_sum, mc, err);
}

static void am_finish(apnas_cost_sum *sum, apnas_mem_cost *mem_sum,
                      double pes, double *net_values)
{
	apnas_layer_cost total;
	apnas_cost_sum_finish(sum, pes, &total);
	apnas_mem_sum_finish(mem_sum);
	net_values[AM_MAPPING_EFF] = total.mapping_eff;
	net_values[AM_UTILIZATION] = total.utilization;
	net_values[AM_EDP] = mem_sum->edp;
}

HIDDEN int am_net(const am_model *m, const apnas_net *net, am_layer_fn fn,
                  void *ud, double *net_values, double *layer_values,
                  apnas_error *err)
{
	apnas_cost_sum sum;
	apnas_mem_cost mem_sum, mc;
	apnas_layer_cost c;
	int rc;
	apnas_cost_sum_init(&sum);
	apnas_mem_sum_init(&mem_sum);
	for (size_t i = 0; i < net->n; i++)
		if ((rc = fn(ud, &net->layers[i], &c, &mc, err)) ||
		    (rc = am_layer(&sum, &mem_sum, &c, &mc,
		                   layer_values + i * AM_N, err)))
			return rc;
	am_finish(&sum, &mem_sum,
	          (double)m->array.rows * (double)m->array.cols, net_values);
	return 0;
}

HIDDEN void am_describe(const am_model *m, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%lldx%lld %s, %lld/%lld/%lld kB, %lld "
	                 "B/word", (long long)m->array.rows,
	                 (long long)m->array.cols,
	                 apnas_dataflow_name(m->array.dataflow),
	                 (long long)m->mem.ifmap_kb,
	                 (long long)m->mem.filter_kb,
	                 (long long)m->mem.ofmap_kb,
	                 (long long)m->mem.word_bytes);
	if (n >= 0 && (size_t)n < cap && m->mem.bandwidth > 0)
		n += snprintf(buf + n, cap - (size_t)n, ", %lld words/cycle",
		              (long long)m->mem.bandwidth);
	/* With a co-search the budgets tell runs apart: reports put runs of
	 * one budget in one front. */
	if (m->hw && n >= 0 && (size_t)n + 2 < cap) {
		memcpy(buf + n, "; ", 3);
		as_search_describe(m->hw, buf + n + 2, cap - (size_t)n - 2);
	}
}
