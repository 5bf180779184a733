/* Shared helpers of the cost suite: loading cost plugins through the real
 * host, the SCALE-Sim vectors, random tensors and the naive convolution
 * the simulator's outputs are compared with. */
#ifndef APNAS_TESTS_COST_HARNESS_H
#define APNAS_TESTS_COST_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include <apnas/plugin.h>
#include <apnas/rng.h>

#include <apnas/harness.h>

#include "host.h"
#include "hw/systolic_model.h"
#include "metrics/metrics.h"

/* A cost plugin instance loaded from $APNAS_PLUGIN_PATH. */
typedef struct ch_plugin {
	apnas_plugin_handle *h;           /* owned: the SDK harness's handle */
	const apnas_plugin_desc *desc;    /* owned by h */
	const apnas_opts *opts;           /* owned by h */
	const apnas_cost_ops *ops;        /* owned by h */
	void *self;                       /* owned by h */
	/* The run's metrics as the core builds them from this instance
	 * (accuracy, macs, params, then the plugin's); borrows from it. */
	apnas_metricset ms;
} ch_plugin;

/* Loads cost_<name>.so and creates it with "key=value" settings; returns
 * the options' or create()'s error code (nothing left open then).  A
 * plugin whose declarations the core refuses fails the test. */
int ch_open(ch_plugin *p, const char *name, const char *const *settings,
            size_t n, apnas_error *err);
void ch_close(ch_plugin *p);

/* The index of metric `name` in p->ms; fails the test if it is absent. */
size_t ch_index(const ch_plugin *p, const char *name);

/* Costs net as a search does (apnas_metricset_cost: the plugin's vectors,
 * checked, SUM and MAX totals formed by the core).  values has p->ms.n
 * entries; layer_values (may be NULL) net->n rows of p->ms.n.  Returns
 * the code with err filled. */
int ch_cost(ch_plugin *p, const apnas_net *net, double *values,
            double *layer_values, apnas_error *err);

/* ch_cost that fails the test on an error; returns malloc()ed values
 * (p->ms.n) and, when layers is not NULL, *layers (net->n x p->ms.n). */
double *ch_cost_ok(ch_plugin *p, const apnas_net *net, double **layers);

/* One row of systolic-vectors.csv. */
typedef struct ch_vector {
	int32_t h, w, fh, fw, ch, m, s, rows, cols;
	char dataflow[4];
	uint64_t cycles;
	double mapping_eff, utilization;
} ch_vector;

/* Reads tests/cost/data/systolic-vectors.csv (SCALE-Sim v2's outputs);
 * a missing or damaged file fails the test (exit 1). */
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
