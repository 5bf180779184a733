/* Reward plugin `mnas`: the MnasNet-style product R = ACC * (CYC / T)^w,
 * with w = alpha when the architecture meets the cycle target T and beta
 * when it does not.  alpha = beta = -0.07 is the soft constraint (a smooth
 * trade of accuracy against cycles on both sides), alpha = 0, beta = -1 the
 * hard one (no bonus for being faster than T, a steep loss above it).  T is
 * given in cycles, or as a fraction of a reference architecture's cycles
 * that the core costs and hands to resolve() before the search starts. */
#include <math.h>
#include <stdlib.h>

#include <apnas/plugin.h>

#include "reward_common.h"

typedef struct mnas_reward {
	rw_target target; /* owned */
	double alpha;     /* exponent at or under the target */
	double beta;      /* exponent over the target */
} mnas_reward;

static const apnas_option mnas_options[] = {
	RW_TARGET_OPTIONS("target",
		"cycle target T: cycles (e.g. 2e6), or with reference a "
		"fraction of the reference's cycles in (0, 10]"),
	{ "alpha", APNAS_OPT_FLOAT, "-0.07", -10, 0, NULL,
	  "exponent w when cycles <= T (soft: -0.07, hard: 0)" },
	{ "beta", APNAS_OPT_FLOAT, "-0.07", -10, 0, NULL,
	  "exponent w when cycles > T (soft: -0.07, hard: -1)" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL }
};

static void mnas_destroy(void *self)
{
	mnas_reward *r = self;
	if (!r)
		return;
	rw_target_free(&r->target);
	free(r);
}

static int mnas_create(const apnas_plugin_ctx *ctx, void **self,
                       apnas_error *err)
{
	mnas_reward *r = calloc(1, sizeof *r);
	if (!r)
		return apnas_error_set(err, APNAS_ENOMEM,
			"out of memory creating reward mnas");
	int rc = rw_target_init(&r->target, ctx->opts, "target", err);
	if (rc < 0) {
		mnas_destroy(r);
		return rc;
	}
	r->alpha = apnas_opts_float(ctx->opts, "alpha");
	r->beta = apnas_opts_float(ctx->opts, "beta");
	*self = r;
	return 0;
}

static uint32_t mnas_needs(void *self)
{
	(void)self;
	return APNAS_METRIC_ACCURACY | APNAS_METRIC_CYCLES;
}

static int mnas_compute(void *self, const apnas_metrics *m, double *out,
                        apnas_error *err)
{
	mnas_reward *r = self;
	double t;
	int rc = rw_check_metrics(m, mnas_needs(self), err);
	if (rc < 0)
		return rc;
	rc = rw_target_cycles(&r->target, &t, err);
	if (rc < 0)
		return rc;
	/* A negative exponent on zero cycles is infinite. */
	if (!(m->cycles > 0))
		return apnas_error_set(err, APNAS_EINVAL,
			"cycles = %g: mnas needs cycles > 0", m->cycles);
	double w = m->cycles <= t ? r->alpha : r->beta;
	*out = m->accuracy * pow(m->cycles / t, w);
	return 0;
}

static const char *mnas_reference(void *self)
{
	return rw_target_reference(&((mnas_reward *)self)->target);
}

static int mnas_resolve(void *self, const apnas_metrics *ref, double *target,
                        apnas_error *err)
{
	return rw_target_resolve(&((mnas_reward *)self)->target, ref, target,
	                         err);
}

static const apnas_reward_ops mnas_ops = {
	.create = mnas_create,
	.destroy = mnas_destroy,
	.needs = mnas_needs,
	.reward = mnas_compute,
	.reference = mnas_reference,
	.resolve = mnas_resolve,
};

APNAS_PLUGIN_DEFINE(APNAS_KIND_REWARD, "mnas", "1.0",
                    "R = ACC * (CYC/T)^w, w = alpha if CYC <= T else beta "
                    "(MnasNet soft or hard cycle constraint)",
                    mnas_options, &mnas_ops);
