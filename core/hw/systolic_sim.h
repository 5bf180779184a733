/* A cycle-level simulator of the systolic array of
 * ../shared/docs/systolic.md: per-PE registers, operands moving one PE per
 * cycle with the input skew, the stationary operand preloaded one array
 * row per cycle (ws, is), real multiply-accumulates, and the layer's output
 * tensor.  Its cycle count is what it observes: the index (from 0, as
 * SCALE-Sim counts) of the last cycle in which any PE multiplied.
 *
 * It is the reference the analytical model (systolic_model.h) is tested
 * against, and the engine of the `systolic_sim` cost plugin.  Slow by
 * nature: about R x C register updates per simulated cycle.  Internal to
 * libapnas, exported for the plugin, the tests and the benchmark. */
#ifndef APNAS_CORE_HW_SYSTOLIC_SIM_H
#define APNAS_CORE_HW_SYSTOLIC_SIM_H

#include <stddef.h>
#include <stdint.h>

#include <apnas/error.h>
#include <apnas/net.h>

#include "systolic_memory.h"
#include "systolic_model.h"

/* What a simulation observed, summed over the layer's products; plain
 * values, owned by the caller that passed it in. */
typedef struct apnas_sim_stats {
	uint64_t cycles;     /* per product, the index of its last cycle with
	                        a multiply (from 0); summed over products */
	uint64_t macs;       /* multiplies on real operands (not the zeros
	                        the feeders drive into unused rows/columns) */
	uint64_t folds;      /* folds run */
	uint64_t used_pes;   /* over all folds, PEs that did a real multiply */
	uint64_t sim_cycles; /* every cycle simulated, preloads included */
	uint64_t pe_cycles;  /* sim_cycles * R * C: the work of simulating */
} apnas_sim_stats;

/* Tensor sizes (in doubles) the simulator reads and writes for layer l:
 *   in:  [in.c][in.h][in.w]               (unpadded; padding is implicit)
 *   w:   CONV   [out.c][in.c][kh][kw]
 *        DWCONV [in.c][kh][kw]
 *        FC     [out.c][in.c * in.h * in.w]  (input flattened c, h, w)
 *   out: [out.c][out.h][out.w]
 * Layers without array work have n_w == 0.  Refuses what
 * apnas_layer_gemm refuses, and sizes over SIZE_MAX. */
int apnas_sim_sizes(const apnas_layer *l, size_t *n_in, size_t *n_w,
                    size_t *n_out, apnas_error *err);

/* Simulates layer l on array a with the given tensors (see
 * apnas_sim_sizes; all owned by the caller, out is overwritten).  Input
 * positions outside the padded input (SCALE-Sim's partial edge window)
 * read as zero.  Refuses, before simulating, a layer whose simulation
 * would take more than max_pe_cycles PE-cycles (0: no limit).  For a
 * layer without array work, zeroes out and the stats.  Deterministic:
 * values are summed in a fixed order (per fold, down a column or along
 * K, then fold after fold). */
int apnas_sim_layer(const apnas_array *a, const apnas_layer *l,
                    const double *in, const double *w, double *out,
                    uint64_t max_pe_cycles, apnas_sim_stats *st,
                    apnas_error *err);

/* apnas_sim_layer with real buffers: the ifmap and filter SRAMs of m hold
 * what they hold (an operand that fits is loaded whole before the first
 * fold, one that does not is staged a fold's tile at a time, the next
 * tile fetched while the current fold computes), every operand read
 * checks its word is there, outputs are written back a fold later, and
 * one DRAM port moves m->bandwidth words per cycle (0: unlimited); the
 * array stalls, cycle by cycle, while the port is behind.  *mc gets every
 * access, DRAM word, hop and stall as counted during the run (and, with
 * e, energy and EDP), for comparison with apnas_mem_layer. */
int apnas_sim_layer_mem(const apnas_array *a, const apnas_mem_cfg *m,
                        const apnas_energy_table *e, const apnas_layer *l,
                        const double *in, const double *w, double *out,
                        uint64_t max_pe_cycles, apnas_sim_stats *st,
                        apnas_mem_cost *mc, apnas_error *err);

/* The PE-cycles apnas_sim_layer would spend on l (what the budget is
 * checked against); from the analytical fold plan. */
int apnas_sim_estimate(const apnas_array *a, const apnas_layer *l,
                       uint64_t *pe_cycles, apnas_error *err);

/* Refuses (APNAS_EINVAL, naming the layer, the estimate and the limit)
 * a layer whose simulation would exceed max_pe_cycles; 0 means no limit.
 * apnas_sim_layer calls it first; callers that allocate tensors call it
 * before allocating. */
int apnas_sim_budget(const apnas_array *a, const apnas_layer *l,
                     uint64_t max_pe_cycles, apnas_error *err);

/* Mapping efficiency and utilization (percent) from observed stats, as
 * SCALE-Sim defines them; 0 where the count is 0. */
double apnas_sim_mapping_eff(const apnas_array *a, const apnas_sim_stats *st);
double apnas_sim_utilization(const apnas_array *a, const apnas_sim_stats *st);

#endif
