/* The metrics of each architecture (the run's metric list: MACs,
 * parameters and every metric of the cost model), computed once from the space's child network and the cost
 * model and then remembered: the controller resamples the same
 * architectures often, and the cost is a pure function of the tokens.
 * Internal to libapnas. */
#ifndef APNAS_SEARCH_COSTCACHE_H
#define APNAS_SEARCH_COSTCACHE_H

#include <stddef.h>
#include <stdint.h>

#include <apnas/plugin.h>

#include "cosearch/hwset.h"
#include "metrics/metrics.h"

typedef struct apnas_costcache {
	size_t nd;            /* tokens per architecture */
	size_t nm;            /* values per architecture: ms->n */
	size_t n, cap;        /* entries used / slots (a power of two) */
	int32_t *toks;        /* owned: cap x nd */
	double *v;            /* owned: cap x nm metric values */
	unsigned char *used;  /* owned: cap flags */
	apnas_net net;        /* owned: scratch for child_net */
	/* Who computes: borrowed from the caller, valid for the cache's life. */
	const apnas_space_ops *space_ops;
	void *space;
	apnas_metricset *ms;
	apnas_hwset *hw;       /* NULL or off: every architecture is costed
	                          on the configured hardware; else tokens
	                          from nd_space on choose its instance */
	size_t nd_space;       /* the space's tokens (== nd without hw) */
	uint64_t hits, misses; /* for the timing figures */
	double seconds;        /* spent in child_net + cost on misses */
} apnas_costcache;

int apnas_costcache_init(apnas_costcache *c, size_t nd,
                         const apnas_space_ops *sops, void *space,
                         apnas_metricset *ms, apnas_error *err);
/* Costs joint token lists from now on: hw chooses the instance from the
 * tokens after the space's nd_space (core/cosearch/hwset.h). */
void apnas_costcache_hw(apnas_costcache *c, apnas_hwset *hw,
                        size_t nd_space);
void apnas_costcache_free(apnas_costcache *c);

/* Fills values (ms->n entries) with tok's metrics; accuracy is NaN, for
 * the caller to fill. */
int apnas_costcache_get(apnas_costcache *c, const int32_t *tok,
                        double *values, apnas_error *err);

/* Costs tok without the cache (reference architectures, one-offs):
 * child_net into scratch, then every metric into values, on the
 * configured hardware, or with hw on, on the one tok[nd_space..] chose
 * (hw may be NULL). */
int apnas_cost_arch(const apnas_space_ops *sops, void *space,
                    apnas_metricset *ms, apnas_hwset *hw, size_t nd_space,
                    const int32_t *tok, apnas_net *scratch, double *values,
                    apnas_error *err);

uint64_t apnas_tokens_hash(const int32_t *tok, size_t n);

#endif
