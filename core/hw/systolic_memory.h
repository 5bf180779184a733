/* Memory traffic, stalls and energy of the systolic array of
 * ../shared/docs/systolic.md, as pure functions (no state, no I/O).
 *
 * Per layer: SRAM accesses per operand counted exactly as SCALE-Sim v2's
 * DETAILED_ACCESS_REPORT counts them; DRAM traffic per operand given the
 * three double-buffered SRAM sizes and the word size (compulsory when an
 * operand fits its buffer, else the tile refetch model of
 * docs/cost-models.md); stall cycles and latency under a DRAM bandwidth;
 * the PE action counts (MACs, register accesses, hops) and, with an energy
 * table (energy.h), energy and energy-delay product.
 *
 * The simulator (systolic_sim.h, apnas_sim_layer_mem) counts the same
 * figures as they happen; tests/cost holds the two equal.  Depends only on
 * include/apnas and the other core/hw model files, so the set can move
 * into a plugin folder as it is. */
#ifndef APNAS_CORE_HW_SYSTOLIC_MEMORY_H
#define APNAS_CORE_HW_SYSTOLIC_MEMORY_H

#include <stdint.h>

#include <apnas/error.h>
#include <apnas/net.h>

#include "energy.h"
#include "systolic_model.h"

/* Limits, refused with the value and the limit. */
#define APNAS_MEM_KB_MAX ((int64_t)1 << 30)    /* 1 TB per buffer */
#define APNAS_MEM_BW_MAX ((int64_t)1 << 32)    /* words per cycle */

/* The memory system a layer runs with.  Plain values, owned by the
 * holder.  Sizes are SCALE-Sim's IfmapSramSzkB, FilterSramSzkB and
 * OfmapSramSzkB (1 kB = 1024 bytes, each buffer double-buffered: a tile
 * that is streamed uses one half while the next is fetched into the
 * other); bandwidth is SCALE-Sim's Bandwidth with InterfaceBandwidth:
 * USER, in words per cycle, one DRAM port shared by reads and writes. */
typedef struct apnas_mem_cfg {
	int64_t ifmap_kb;   /* >= 1 */
	int64_t filter_kb;  /* >= 1 */
	int64_t ofmap_kb;   /* >= 1 */
	int64_t word_bytes; /* 1, 2 or 4 */
	int64_t bandwidth;  /* words per cycle >= 1; 0 = unlimited (no stalls) */
} apnas_mem_cfg;

/* Per-layer figures (summed over a depthwise layer's channels).  Plain
 * values, owned by the caller that passed the struct in.  Network totals:
 * every count, stall_cycles, latency_cycles and energy_pj are sums over
 * the layers (apnas_mem_sum_add); edp of the network is its energy times
 * its latency (apnas_mem_sum_finish), not a sum of the layers' edp. */
typedef struct apnas_mem_cost {
	uint64_t ifmap_sram_reads;   /* SCALE-Sim's counts (see docs) */
	uint64_t filter_sram_reads;
	uint64_t ofmap_sram_writes;
	uint64_t ifmap_dram_reads;   /* words */
	uint64_t filter_dram_reads;
	uint64_t ofmap_dram_writes;
	uint64_t dram_bytes;         /* the three above x word_bytes */
	uint64_t cycles;             /* compute cycles, == apnas_layer_cost */
	uint64_t stall_cycles;       /* array waiting on the DRAM port */
	uint64_t latency_cycles;     /* cycles + stall_cycles */
	uint64_t macs;               /* multiply-accumulates on real data */
	uint64_t pe_reg_accesses;    /* 3 per MAC: two operands, one psum */
	uint64_t pe_hops;            /* real operands or partial sums moved
	                                between neighbouring PEs */
	double energy_pj;            /* 0 until apnas_energy_of */
	double edp;                  /* energy_pj x latency_cycles (pJ cycles) */
} apnas_mem_cost;

/* SCALE-Sim's defaults for the study: 64 kB each, 1-byte words,
 * unlimited bandwidth. */
void apnas_mem_cfg_default(apnas_mem_cfg *c);

/* Refuses sizes outside [1, APNAS_MEM_KB_MAX], a word size other than
 * 1, 2 or 4, and a bandwidth outside [0, APNAS_MEM_BW_MAX]. */
int apnas_mem_cfg_check(const apnas_mem_cfg *c, apnas_error *err);

/* Sets one value by its option name, checking it: "ifmap_sram_kb",
 * "filter_sram_kb", "ofmap_sram_kb", "word_bytes", "bandwidth".  For the
 * plugins' option handling; an unknown name is refused naming the five. */
int apnas_mem_cfg_set(apnas_mem_cfg *c, const char *name, int64_t value,
                      apnas_error *err);

/* The same from text (a decimal integer, whole string), for command-line
 * style values; "unlimited" is accepted for bandwidth (0). */
int apnas_mem_cfg_set_text(apnas_mem_cfg *c, const char *name,
                           const char *text, apnas_error *err);

/* Words a buffer of kb kilobytes holds: kb x 1024 / word_bytes. */
uint64_t apnas_mem_capacity(int64_t kb, int64_t word_bytes);

/* The memory figures of layer l on array a with memory m: every field but
 * energy_pj and edp.  Pass e (may be NULL) to fill those too
 * (apnas_energy_of), and lc (may be NULL) to get the layer's compute
 * figures as apnas_systolic_layer gives them, from the same fold plan (one
 * call then gives both, at the cost of one).  Layers without array work
 * give all zeros.  Counts that would pass 2^64 are refused (APNAS_EINVAL,
 * naming the layer), never wrapped. */
int apnas_mem_layer(const apnas_array *a, const apnas_mem_cfg *m,
                    const apnas_energy_table *e, const apnas_layer *l,
                    apnas_layer_cost *lc, apnas_mem_cost *c,
                    apnas_error *err);

/* Network totals: zero, add each layer, finish (edp from the totals). */
void apnas_mem_sum_init(apnas_mem_cost *total);
int apnas_mem_sum_add(apnas_mem_cost *total, const apnas_mem_cost *layer,
                      apnas_error *err);
void apnas_mem_sum_finish(apnas_mem_cost *total);

/* All layers of a network: per_layer (may be NULL) gets net->n entries. */
int apnas_mem_net(const apnas_array *a, const apnas_mem_cfg *m,
                  const apnas_energy_table *e, const apnas_net *net,
                  apnas_mem_cost *total, apnas_mem_cost *per_layer,
                  apnas_error *err);

/* Energy in pJ of the counts in c (fills c->energy_pj and c->edp):
 *   macs x mac + pe_reg_accesses x reg + pe_hops x hop
 *   + ifmap_sram_reads x read(ifmap_kb) + ifmap_dram_reads x write(ifmap_kb)
 *   + filter likewise with filter_kb
 *   + ofmap_sram_writes x write(ofmap_kb) + ofmap_dram_writes x read(ofmap_kb)
 *   + (all DRAM words) x dram + latency_cycles x leak
 * where read(S) and write(S) are the table's per-word SRAM energies scaled
 * to a buffer of S kB (energy.h).  Every DRAM word read lands in its SRAM
 * (one write) and every word written out leaves the ofmap SRAM (one
 * read). */
void apnas_energy_of(const apnas_energy_table *e, const apnas_mem_cfg *m,
                     apnas_mem_cost *c);

/* Internal, shared with the simulator: how each operand of a product is
 * buffered (see the .c file). */
typedef struct apnas_mem_plan {
	apnas_fold_plan p;   /* the fold plan */
	uint64_t r, c;       /* array rows and columns */
	uint64_t rl, cl;     /* rows of the last row fold, cols of the last
	                        column fold */
	uint64_t foot[2];    /* ifmap, filter: distinct words in DRAM */
	uint64_t cap[2];     /* their buffers in words */
	int fits[2];         /* foot <= cap: loaded whole, once */
	int kind[2];         /* APNAS_TILE_* of each operand */
} apnas_mem_plan;

enum { APNAS_OP_IFMAP = 0, APNAS_OP_FILTER = 1 };
enum {
	APNAS_TILE_FR = 0,   /* tile changes with the row fold */
	APNAS_TILE_FC = 1,   /* tile changes with the column fold */
	APNAS_TILE_FOLD = 2  /* a new tile every fold */
};

/* Fills the plan of one product of layer l (footprints per product). */
int apnas_mem_plan_make(const apnas_array *a, const apnas_mem_cfg *m,
                        const apnas_layer *l, const apnas_gemm *g,
                        apnas_mem_plan *mp, apnas_error *err);
/* Words of operand op's tile for fold (fc, fr), and that the fold
 * fetches from DRAM before it can run (0 if resident). */
uint64_t apnas_mem_tile_words(const apnas_mem_plan *mp, int op, uint64_t fc,
                              uint64_t fr);
uint64_t apnas_mem_fetch_words(const apnas_mem_plan *mp, int op, uint64_t fc,
                               uint64_t fr);
/* Ofmap words fold (fc, fr) sends to DRAM. */
uint64_t apnas_mem_out_words(const apnas_mem_plan *mp, uint64_t fc,
                             uint64_t fr);

#endif
