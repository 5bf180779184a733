/* Reward plugin `accuracy`: R = ACC, the hardware-blind ENAS baseline.  It
 * reads nothing but the accuracy and has no options; it exists so that the
 * baseline runs through the same search loop as the hardware-aware
 * rewards and differs from them only in this one plugin.  Its Pareto
 * front is still drawn against cycles (or MACs without a cycle model), so
 * its runs compare with the others'. */
#include <stdlib.h>

#include <apnas/plugin.h>

#include "reward_common.h"

typedef struct accuracy_reward {
	rw_metrics m; /* owned */
} accuracy_reward;

static void acc_destroy(void *self)
{
	accuracy_reward *r = self;
	if (!r)
		return;
	rw_metrics_free(&r->m);
	free(r);
}

static int acc_create(const apnas_plugin_ctx *ctx, void **self,
                      apnas_error *err)
{
	accuracy_reward *r = calloc(1, sizeof *r);
	if (!r)
		return apnas_error_set(err, APNAS_ENOMEM,
			"out of memory creating reward accuracy");
	int rc = rw_metrics_init(&r->m, ctx, NULL, err);
	if (rc < 0) {
		acc_destroy(r);
		return rc;
	}
	*self = r;
	return 0;
}

static int acc_reward(void *self, const double *v, double *r,
                      apnas_error *err)
{
	return rw_accuracy(&((accuracy_reward *)self)->m, v, r, err);
}

static size_t acc_front(void *self)
{
	return rw_default_front(&((accuracy_reward *)self)->m);
}

static const apnas_reward_ops accuracy_ops = {
	.create = acc_create,
	.destroy = acc_destroy,
	.reward = acc_reward,
	.front_metric = acc_front,
};

APNAS_PLUGIN_DEFINE(APNAS_KIND_REWARD, "accuracy", "2.0",
                    "R = accuracy (hardware-blind ENAS baseline)", NULL,
                    &accuracy_ops);
