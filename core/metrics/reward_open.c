/* Creating the reward: it is the one plugin that reads metrics by name,
 * so it is handed the run's metric list and asked which one its Pareto
 * front is drawn against.  `apnas config check`, the search and
 * `apnas cost` all open it here, so a reward that names a metric the cost
 * model lacks is refused the same way everywhere. */
#include <string.h>

#include "config.h"
#include "metrics.h"

int apnas_reward_open(apnas_config *cfg, const apnas_metricset *ms,
                      apnas_instance *reward, size_t *front,
                      apnas_error *err)
{
	apnas_plugin_ctx extra;
	memset(&extra, 0, sizeof extra);
	extra.metrics = ms->decl;
	extra.n_metrics = ms->n;
	int rc = apnas_config_instance(cfg, APNAS_KIND_REWARD, &extra, reward,
	                               err);
	if (rc < 0)
		return rc;
	const apnas_reward_ops *ops = reward->ops;
	size_t f = ops->front_metric(reward->self);
	if (f >= ms->n || f == APNAS_MX_ACCURACY ||
	    !apnas_metricset_net(ms, f))
		return apnas_error_set(err, APNAS_EPLUGIN,
			"reward '%s': front_metric() gave %zu, not a metric "
			"with a network value other than accuracy (the run has "
			"%zu metrics)", reward->lib.desc->name, f, ms->n);
	*front = f;
	return 0;
}
