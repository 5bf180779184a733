/* What the array cost models (systolic, systolic_sim) share: their
 * options (the array, its three SRAMs, the word size, the DRAM bandwidth,
 * the energy table), the metrics they declare, and the one conversion from
 * the models' per-layer figures to the plugin ABI's value vectors.
 * Compiled into each of them, hidden. */
#ifndef APNAS_COST_ARRAY_METRICS_H
#define APNAS_COST_ARRAY_METRICS_H

#include <stddef.h>

#include <apnas/plugin.h>

#include "array_search.h"
#include "hw/energy.h"
#include "hw/systolic_memory.h"
#include "hw/systolic_model.h"

/* Positions in the declaration (and so in the plugins' vectors). */
enum {
	AM_CYCLES = 0, AM_MAPPING_EFF, AM_UTILIZATION,
	AM_IFMAP_SRAM, AM_FILTER_SRAM, AM_OFMAP_SRAM,
	AM_IFMAP_DRAM, AM_FILTER_DRAM, AM_OFMAP_DRAM, AM_DRAM_BYTES,
	AM_STALLS, AM_LATENCY, AM_ENERGY, AM_EDP,
	AM_N
};

extern const apnas_metric_decl am_metrics[AM_N + 1];

/* The option-table entries both models declare (rows .. ert), and the
 * model configuration built from them. */
#define AM_OPTIONS                                                          \
	{"rows", APNAS_OPT_INT, "32", 1, 1048576, NULL,                     \
	 "PE rows of the array (R)", 0},                                     \
	{"cols", APNAS_OPT_INT, "32", 1, 1048576, NULL,                     \
	 "PE columns of the array (C)", 0},                                  \
	{"dataflow", APNAS_OPT_STRING, "\"os\"", 1, 0, "os|ws|is",           \
	 "which operand stays in the PEs: output, weight or input "          \
	 "stationary", 0},                                                   \
	{"ifmap_sram_kb", APNAS_OPT_INT, "64", 1, 1073741824.0, NULL,       \
	 "ifmap SRAM in kB, double-buffered (SCALE-Sim's IfmapSramSzkB)",    \
	 0},                                                                 \
	{"filter_sram_kb", APNAS_OPT_INT, "64", 1, 1073741824.0, NULL,      \
	 "filter SRAM in kB, double-buffered (FilterSramSzkB)", 0},          \
	{"ofmap_sram_kb", APNAS_OPT_INT, "64", 1, 1073741824.0, NULL,       \
	 "ofmap SRAM in kB, double-buffered (OfmapSramSzkB)", 0},            \
	{"word_bytes", APNAS_OPT_INT, "1", 1, 4, NULL,                      \
	 "bytes per word: 1, 2 or 4", 0},                                    \
	{"bandwidth", APNAS_OPT_INT, "0", 0, 4294967296.0, NULL,            \
	 "DRAM words per cycle (SCALE-Sim's Bandwidth under "                \
	 "InterfaceBandwidth USER); 0: unlimited, no stalls", 0},            \
	{"energy", APNAS_OPT_STRING, "\"\"", 1, 0, NULL,                     \
	 "energy table entries to override, \"mac_pj=0.2, dram_pj=160\" "    \
	 "(docs/cost-models.md lists them)", 0},                             \
	{"ert", APNAS_OPT_STRING, "\"\"", 1, 0, NULL,                        \
	 "an Accelergy ERT.yaml to take the energy table from (the "         \
	 "`energy` overrides apply after it); empty: the default table", 0}, \
	AS_OPTIONS

typedef struct am_model {
	apnas_array array;          /* rows, cols, dataflow */
	apnas_mem_cfg mem;          /* SRAM sizes, word size, bandwidth */
	apnas_energy_table energy;  /* default, ERT, then overrides */
	as_search *hw;              /* owned: the co-search's hardware
	                               decisions, or NULL (none asked) */
} am_model;

/* Reads and checks AM_OPTIONS from o (a bad ERT file or override, or a
 * co-search budget that cannot be met, is refused naming it).  Free with
 * am_model_free (also after a failure). */
int am_model_from_opts(const apnas_opts *o, am_model *m, apnas_error *err);
void am_model_free(am_model *m);

/* One layer's compute and memory figures, by the analytical model or the
 * simulator. */
typedef int (*am_layer_fn)(void *ud, const apnas_layer *l,
                           apnas_layer_cost *c, apnas_mem_cost *mc,
                           apnas_error *err);

/* The cost() of both models: each layer's figures from fn into its row
 * of layer_values (AM_N values), and the MODEL totals of net_values
 * (mapping efficiency weighted by cycles, utilization of the whole
 * network, its EDP as its energy times its latency).  A network over 64
 * bits is refused. */
int am_net(const am_model *m, const apnas_net *net, am_layer_fn fn,
           void *ud, double *net_values, double *layer_values,
           apnas_error *err);

/* "32x32 os, 64/64/64 kB, 1 B/word, 4 words/cycle" into buf; with a
 * co-search, "; " and its budgets after it. */
void am_describe(const am_model *m, char *buf, size_t cap);

#endif
