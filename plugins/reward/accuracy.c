/* Reward plugin `accuracy`: R = ACC, the hardware-blind ENAS baseline.  It
 * reads nothing but the accuracy and has no options; it exists so that the
 * baseline runs through the same search loop as the hardware-aware
 * rewards and differs from them only in this one plugin. */
#include <stdlib.h>

#include <apnas/plugin.h>

#include "reward_common.h"

typedef struct accuracy_reward {
	int unused; /* malloc(0) may return NULL; an instance must not */
} accuracy_reward;

static int acc_create(const apnas_plugin_ctx *ctx, void **self,
                      apnas_error *err)
{
	(void)ctx;
	accuracy_reward *r = calloc(1, sizeof *r);
	if (!r)
		return apnas_error_set(err, APNAS_ENOMEM,
			"out of memory creating reward accuracy");
	*self = r;
	return 0;
}

static void acc_destroy(void *self)
{
	free(self);
}

static uint32_t acc_needs(void *self)
{
	(void)self;
	return APNAS_METRIC_ACCURACY;
}

static int acc_reward(void *self, const apnas_metrics *m, double *r,
                      apnas_error *err)
{
	(void)self;
	int rc = rw_check_metrics(m, APNAS_METRIC_ACCURACY, err);
	if (rc < 0)
		return rc;
	*r = m->accuracy;
	return 0;
}

static const apnas_reward_ops accuracy_ops = {
	.create = acc_create,
	.destroy = acc_destroy,
	.needs = acc_needs,
	.reward = acc_reward,
	.reference = NULL,
	.resolve = NULL,
};

APNAS_PLUGIN_DEFINE(APNAS_KIND_REWARD, "accuracy", "1.0",
                    "R = accuracy (hardware-blind ENAS baseline)", NULL,
                    &accuracy_ops);
