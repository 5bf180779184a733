/* Shared helpers of the cost suite: loading cost plugins through the real
 * host, the SCALE-Sim vectors, random tensors and the naive convolution
 * the simulator's outputs are compared with. */
#ifndef APNAS_TESTS_COST_HARNESS_H
#define APNAS_TESTS_COST_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include <apnas/plugin.h>
#include <apnas/rng.h>

#include "host.h"
#include "hw/systolic_model.h"

/* A cost plugin instance loaded from $APNAS_PLUGIN_PATH. */
typedef struct ch_plugin {
	apnas_loaded lib;
	apnas_opts *opts;
	const apnas_cost_ops *ops;
	void *self;
} ch_plugin;

/* Loads cost_<name>.so and creates it with "key=value" settings; returns
 * the options' or create()'s error code (nothing left open then). */
int ch_open(ch_plugin *p, const char *name, const char *const *settings,
            size_t n, apnas_error *err);
void ch_close(ch_plugin *p);

/* One row of systolic-vectors.csv. */
typedef struct ch_vector {
	int32_t h, w, fh, fw, ch, m, s, rows, cols;
	char dataflow[4];
	uint64_t cycles;
	double mapping_eff, utilization;
} ch_vector;

/* Reads $SHARED_DOCS/systolic-vectors.csv; if it is missing, prints a loud
 * message and exits 77 (skip). */
void ch_vectors(ch_vector **v, size_t *n);

/* Uniform small integers in [-4, 4], so sums are exact in any order. */
void ch_fill(apnas_rng *r, double *x, size_t n);

/* The convolution (CONV, DWCONV, FC) straight from its definition, with
 * zeros outside the unpadded input; tensor layouts as apnas_sim_sizes. */
void ch_naive(const apnas_layer *l, const double *in, const double *w,
              double *out);

/* Asserts err's message contains every one of the NULL-ended words. */
void ch_assert_msg(const apnas_error *err, ...);

#endif
