/* Reward plugin `linear`: R = a * ACC - sum_i w_i * M_i / S_i, a weighted
 * difference of accuracy and normalised cost metrics (by default one:
 * cycles).  Unlike mnas and penalty it has no target to meet: every unit
 * of cost costs the same, which makes the trade easy to reason about (w_i
 * is the accuracy S_i of metric i is worth).  Each scale S_i is given in
 * its metric's unit, or as a fraction of a reference architecture's value
 * that the core resolves before the search.  The first metric is the one
 * the run's Pareto front is drawn against. */
#include <stdlib.h>
#include <string.h>

#include <apnas/plugin.h>

#include "reward_common.h"

/* More cost terms than any cost model sensibly has metrics to trade. */
#define LINEAR_MAX_TERMS 16

typedef struct linear_reward {
	rw_metrics m;                    /* owned */
	double a;                        /* weight of accuracy */
	size_t n;                        /* cost terms */
	rw_target t[LINEAR_MAX_TERMS];   /* metric and scale S_i */
	double w[LINEAR_MAX_TERMS];      /* weight w_i */
} linear_reward;

static const apnas_option linear_options[] = {
	{ "a", APNAS_OPT_FLOAT, "1.0", 0, 1e6, NULL,
	  "weight of accuracy", 0 },
	{ "metrics", APNAS_OPT_STRING_LIST, "[\"cycles\"]", 1, 0, NULL,
	  "the cost metrics M_i (lower is better), at most 16; the first is "
	  "the Pareto front's x axis", 0 },
	{ "weights", APNAS_OPT_FLOAT_LIST, NULL, 0, 1e6, NULL,
	  "w_i, one per metric: the accuracy S_i of M_i is worth", 0 },
	{ "scales", APNAS_OPT_FLOAT_LIST, NULL, 0, 1e300, NULL,
	  "S_i, one per metric: in its unit, or with reference a fraction "
	  "of the reference's value in (0, 10]", 0 },
	RW_REFERENCE_OPTION("each scale is"),
	{ NULL, 0, NULL, 0, 0, NULL, NULL, 0 }
};

static void linear_destroy(void *self)
{
	linear_reward *r = self;
	if (!r)
		return;
	rw_metrics_free(&r->m);
	free(r);
}

static int linear_setup(linear_reward *r, const apnas_plugin_ctx *ctx,
                        apnas_error *err)
{
	const apnas_opts *o = ctx->opts;
	int rc = rw_metrics_init(&r->m, ctx, apnas_opts_string(o, "reference"),
	                         err);
	if (rc < 0)
		return rc;
	r->a = apnas_opts_float(o, "a");
	r->n = apnas_opts_len(o, "metrics");
	if (r->n == 0 || r->n > LINEAR_MAX_TERMS)
		return apnas_error_set(err, APNAS_EINVAL,
			"metrics has %zu entries: expected 1 to %d", r->n,
			LINEAR_MAX_TERMS);
	size_t nw = apnas_opts_len(o, "weights");
	size_t ns = apnas_opts_len(o, "scales");
	if (nw != r->n || ns != r->n)
		return apnas_error_set(err, APNAS_EINVAL,
			"metrics has %zu entries, weights %zu and scales %zu: "
			"give one weight and one scale per metric", r->n, nw, ns);
	for (size_t i = 0; i < r->n; i++) {
		const char *name = apnas_opts_string_at(o, "metrics", i);
		for (size_t j = 0; j < i; j++)
			if (r->t[j].name && !strcmp(r->t[j].name, name))
				return apnas_error_set(err, APNAS_EINVAL,
					"metrics names \"%s\" twice", name);
		rc = rw_target_init(&r->t[i], &r->m, name, "scales",
		                    apnas_opts_float_at(o, "scales", i), err);
		if (rc < 0)
			return rc;
		r->w[i] = apnas_opts_float_at(o, "weights", i);
	}
	return 0;
}

static int linear_create(const apnas_plugin_ctx *ctx, void **self,
                         apnas_error *err)
{
	linear_reward *r = calloc(1, sizeof *r);
	if (!r)
		return apnas_error_set(err, APNAS_ENOMEM,
			"out of memory creating reward linear");
	int rc = linear_setup(r, ctx, err);
	if (rc < 0) {
		linear_destroy(r);
		return rc;
	}
	*self = r;
	return 0;
}

static int linear_compute(void *self, const double *v, double *out,
                          apnas_error *err)
{
	linear_reward *r = self;
	double acc;
	int rc = rw_accuracy(&r->m, v, &acc, err);
	if (rc < 0)
		return rc;
	double sum = r->a * acc;
	for (size_t i = 0; i < r->n; i++) {
		double x, sc;
		if ((rc = rw_value(&r->t[i], v, &x, err)) < 0 ||
		    (rc = rw_target_scale(&r->t[i], &sc, err)) < 0)
			return rc;
		sum -= r->w[i] * (x / sc);
	}
	*out = sum;
	return 0;
}

static size_t linear_front(void *self)
{
	return ((linear_reward *)self)->t[0].metric;
}

static const char *linear_reference(void *self)
{
	return ((linear_reward *)self)->m.reference;
}

static int linear_resolve(void *self, const double *ref, double *target,
                          apnas_error *err)
{
	linear_reward *r = self;
	for (size_t i = 0; i < r->n; i++) {
		int rc = rw_target_resolve(&r->t[i], ref, err);
		if (rc < 0)
			return rc;
	}
	return rw_target_scale(&r->t[0], target, err);
}

static const apnas_reward_ops linear_ops = {
	.create = linear_create,
	.destroy = linear_destroy,
	.reward = linear_compute,
	.front_metric = linear_front,
	.reference = linear_reference,
	.resolve = linear_resolve,
};

APNAS_PLUGIN_DEFINE(APNAS_KIND_REWARD, "linear", "2.0",
                    "R = a * ACC - sum_i w_i * M_i / S_i over cost metrics "
                    "M_i",
                    linear_options, &linear_ops);
