/* Reward plugin `linear`: R = a * ACC - c * CYC / CYC_ref, a weighted
 * difference of accuracy and normalised cycles.  Unlike mnas and penalty it
 * has no target to meet: every cycle costs the same, which makes the trade
 * easy to reason about (c is the accuracy one CYC_ref of cycles is worth).
 * CYC_ref is given in cycles, or as a fraction of a reference
 * architecture's cycles that the core resolves before the search. */
#include <stdlib.h>

#include <apnas/plugin.h>

#include "reward_common.h"

typedef struct linear_reward {
	rw_target ref; /* CYC_ref; owned */
	double a;      /* weight of accuracy */
	double c;      /* weight of normalised cycles */
} linear_reward;

static const apnas_option linear_options[] = {
	{ "a", APNAS_OPT_FLOAT, "1.0", 0, 1e6, NULL,
	  "weight of accuracy" },
	{ "c", APNAS_OPT_FLOAT, NULL, 0, 1e6, NULL,
	  "weight of cycles / cyc_ref: the accuracy cyc_ref cycles cost" },
	RW_TARGET_OPTIONS("cyc_ref",
		"cycle scale CYC_ref: cycles (e.g. 2e6), or with reference a "
		"fraction of the reference's cycles in (0, 10]"),
	{ NULL, 0, NULL, 0, 0, NULL, NULL }
};

static void linear_destroy(void *self)
{
	linear_reward *r = self;
	if (!r)
		return;
	rw_target_free(&r->ref);
	free(r);
}

static int linear_create(const apnas_plugin_ctx *ctx, void **self,
                         apnas_error *err)
{
	linear_reward *r = calloc(1, sizeof *r);
	if (!r)
		return apnas_error_set(err, APNAS_ENOMEM,
			"out of memory creating reward linear");
	int rc = rw_target_init(&r->ref, ctx->opts, "cyc_ref", err);
	if (rc < 0) {
		linear_destroy(r);
		return rc;
	}
	r->a = apnas_opts_float(ctx->opts, "a");
	r->c = apnas_opts_float(ctx->opts, "c");
	*self = r;
	return 0;
}

static uint32_t linear_needs(void *self)
{
	(void)self;
	return APNAS_METRIC_ACCURACY | APNAS_METRIC_CYCLES;
}

static int linear_compute(void *self, const apnas_metrics *m, double *out,
                          apnas_error *err)
{
	linear_reward *r = self;
	double cref;
	int rc = rw_check_metrics(m, linear_needs(self), err);
	if (rc < 0)
		return rc;
	rc = rw_target_cycles(&r->ref, &cref, err);
	if (rc < 0)
		return rc;
	*out = r->a * m->accuracy - r->c * (m->cycles / cref);
	return 0;
}

static const char *linear_reference(void *self)
{
	return rw_target_reference(&((linear_reward *)self)->ref);
}

static int linear_resolve(void *self, const apnas_metrics *ref,
                          double *target, apnas_error *err)
{
	return rw_target_resolve(&((linear_reward *)self)->ref, ref, target,
	                         err);
}

static const apnas_reward_ops linear_ops = {
	.create = linear_create,
	.destroy = linear_destroy,
	.needs = linear_needs,
	.reward = linear_compute,
	.reference = linear_reference,
	.resolve = linear_resolve,
};

APNAS_PLUGIN_DEFINE(APNAS_KIND_REWARD, "linear", "1.0",
                    "R = a * ACC - c * CYC / CYC_ref",
                    linear_options, &linear_ops);
