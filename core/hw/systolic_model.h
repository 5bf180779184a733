/* The analytical systolic-array cost model of ../shared/docs/systolic.md
 * (SCALE-Sim v2's compute model), as pure functions: no state, no I/O.
 *
 * Shared by the `systolic` and `systolic_sim` cost plugins (the simulator
 * uses it only to refuse layers over its budget and never for the figures
 * it reports), by `apnas cost` and by bench/cost.  Internal to libapnas
 * (core/), but exported from it so that plugins built in this tree can
 * call it.
 *
 * Arithmetic is 64-bit unsigned throughout; a product that does not fit is
 * refused (APNAS_EINVAL), never wrapped. */
#ifndef APNAS_CORE_HW_SYSTOLIC_MODEL_H
#define APNAS_CORE_HW_SYSTOLIC_MODEL_H

#include <stdint.h>

#include <apnas/error.h>
#include <apnas/net.h>
#include <apnas/plugin.h>

/* One layer's (or a network's) figures as the array models compute them;
 * the cost plugins turn them into their declared metrics.  Plain values,
 * owned by the holder. */
typedef struct apnas_layer_cost {
	uint64_t cycles;        /* 0 for layers that do not use the array */
	uint64_t macs;
	double mapping_eff;     /* percent, as SCALE-Sim reports it; 0 if n/a */
	double utilization;     /* percent, as SCALE-Sim reports it; 0 if n/a */
} apnas_layer_cost;

typedef enum apnas_dataflow {
	APNAS_DF_OS = 0, /* output stationary */
	APNAS_DF_WS = 1, /* weight stationary */
	APNAS_DF_IS = 2  /* input stationary */
} apnas_dataflow;

/* The array a layer runs on.  Plain values, owned by whoever holds it. */
typedef struct apnas_array {
	int64_t rows;             /* R >= 1 */
	int64_t cols;             /* C >= 1 */
	apnas_dataflow dataflow;
} apnas_array;

/* A layer as the array sees it (plain values, owned by the holder):
 * `repeat` independent matrix products of (E x K) by (K x M).  A conv is one; a depthwise conv is in.c of them
 * (each with K = kh*kw and M = 1); a layer without array work has
 * repeat == 0. */
typedef struct apnas_gemm {
	uint64_t e;      /* output pixels Eh * Ew */
	uint64_t k;      /* window Fh * Fw * Ch */
	uint64_t m;      /* filters */
	uint64_t repeat; /* number of such products, run one after another */
} apnas_gemm;

/* How one product is cut into folds (systolic.md, "A convolution as three
 * matrix sizes" and "Cycles of one fold"); plain values, owned by the
 * holder. */
typedef struct apnas_fold_plan {
	uint64_t sr, sc, t;    /* spatial rows, spatial columns, temporal */
	uint64_t fr, fc;       /* row and column folds */
	uint64_t fold_cycles;  /* os: T+R+C-2; ws, is: T+2R+C-2 */
	uint64_t cycles;       /* fr * fc * fold_cycles - 1 */
} apnas_fold_plan;

/* "os" / "ws" / "is" into *df; returns 0, or APNAS_EINVAL with err naming
 * the three choices.  `what` prefixes the message (e.g. "cost.dataflow"). */
int apnas_dataflow_parse(const char *s, const char *what, apnas_dataflow *df,
                         apnas_error *err);
const char *apnas_dataflow_name(apnas_dataflow df);

/* Refuses rows or cols < 1 (or absurdly large) and unknown dataflows. */
int apnas_array_check(const apnas_array *a, apnas_error *err);

/* Fills *a from the `rows`, `cols` and `dataflow` options both systolic
 * cost models declare, and checks it: the core checked ranges and choices
 * already, but checking again keeps an embedder that builds options by
 * hand from a division by zero. */
int apnas_array_from_opts(const apnas_opts *o, apnas_array *a,
                          apnas_error *err);

/* a / b (b >= 1), in 32 bits when both fit: a 64-bit divide costs several
 * times a 32-bit one, and a layer's cost is a handful of divides (the
 * reward calls the models 10^7 times a second). */
static inline uint64_t apnas_udiv(uint64_t a, uint64_t b)
{
	if (((a | b) >> 32) == 0)
		return (uint32_t)a / (uint32_t)b;
	return a / b;
}

/* SCALE-Sim's output size for a padded input of n, filter f, stride s:
 * ceil((n - f) / s) + 1.  Requires n >= f >= 1 and s >= 1. */
static inline int64_t apnas_scalesim_out(int64_t n, int64_t f, int64_t s)
{
	return (n - f + s - 1) / s + 1;
}

/* Maps a layer of a network description to its matrix products,
 * refusing geometry that cannot be (non-positive sizes, a filter larger
 * than the padded input, an output size that neither the engine's floor
 * rule nor SCALE-Sim's ceiling rule gives, products over 64 bits). */
int apnas_layer_gemm(const apnas_layer *l, apnas_gemm *g, apnas_error *err);

/* The fold plan of one product (E, K, M >= 1) on array a. */
int apnas_systolic_plan(const apnas_array *a, uint64_t e, uint64_t k,
                        uint64_t m, apnas_fold_plan *p, apnas_error *err);

/* Cost of a layer's products: cycles summed over `repeat`, MACs, mapping
 * efficiency and utilization in percent.  All zero when repeat == 0. */
int apnas_systolic_gemm_cost(const apnas_array *a, const apnas_gemm *g,
                             apnas_layer_cost *c, apnas_error *err);

/* The same from a fold plan already made for g (apnas_systolic_plan), so
 * a caller that needs the plan too (the memory model) plans once. */
int apnas_systolic_plan_cost(const apnas_array *a, const apnas_gemm *g,
                             const apnas_fold_plan *p, apnas_layer_cost *c,
                             apnas_error *err);

/* apnas_layer_gemm + apnas_systolic_gemm_cost; errors name the layer. */
int apnas_systolic_layer(const apnas_array *a, const apnas_layer *l,
                         apnas_layer_cost *c, apnas_error *err);

/* Costs a whole network: per_layer (may be NULL) gets net->n entries,
 * *total the sums (see apnas_cost_sum). */
int apnas_systolic_net(const apnas_array *a, const apnas_net *net,
                       apnas_layer_cost *total, apnas_layer_cost *per_layer,
                       apnas_error *err);

/* Totals, shared by every cost model that reports per-layer figures:
 * start with a zeroed total, add each layer, then finish.  Cycles and MACs
 * are summed (a sum over 64 bits is refused); the total's utilization is
 * all MACs over (cycles x R x C); its mapping efficiency is the layers'
 * mapping efficiencies weighted by their cycles. */
typedef struct apnas_cost_sum { /* plain values, owned by the holder */
	apnas_layer_cost total; /* cycles and macs so far */
	double eff_cycles;      /* sum of mapping_eff * cycles */
} apnas_cost_sum;

void apnas_cost_sum_init(apnas_cost_sum *s);
int apnas_cost_sum_add(apnas_cost_sum *s, const apnas_layer_cost *layer,
                       apnas_error *err);
/* pes = R * C; 0 leaves mapping efficiency and utilization at 0. */
void apnas_cost_sum_finish(apnas_cost_sum *s, double pes,
                           apnas_layer_cost *total);

#endif
