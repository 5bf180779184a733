/* The reward of one rated architecture, with the one error message both
 * the controller phase and derive give when a reward is not finite: it
 * names every metric the reward could have read, since any may be why. */
#include <math.h>

#include "search_int.h"

int apnas_search_reward(apnas_search *s, const double *v, double *reward,
                        apnas_error *err)
{
	int rc = s->rops->reward(s->reward.self, v, reward, err);
	if (rc < 0)
		return apnas_error_prefix(err, "reward '%s'",
		                          s->reward.lib.desc->name);
	if (!isfinite(*reward)) {
		char text[512];
		apnas_metrics_text(text, sizeof text, &s->ms, v);
		return apnas_error_set(err, APNAS_ENUM,
			"reward '%s' is not finite (accuracy %g, %s)",
			s->reward.lib.desc->name, v[APNAS_MX_ACCURACY], text);
	}
	return 0;
}
