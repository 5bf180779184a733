/* The metrics cache: open addressing on an FNV-1a hash of the tokens.  It
 * is never checkpointed: every entry can be recomputed bit for bit, so a
 * resumed run only pays the cost model again. */
#include "costcache.h"

#include "memcap.h"
#include "rundir/rundir.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t apnas_tokens_hash(const int32_t *tok, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		uint32_t v = (uint32_t)tok[i];
		for (int b = 0; b < 4; b++) {
			h ^= (v >> (8 * b)) & 0xffu;
			h *= 1099511628211ull;
		}
	}
	return h;
}

int apnas_cost_arch(const apnas_space_ops *sops, void *space,
                    apnas_metricset *ms, apnas_hwset *hw, size_t nd_space,
                    const int32_t *tok, apnas_net *scratch, double *values,
                    apnas_error *err)
{
	apnas_net_clear(scratch);
	int rc = sops->child_net(space, tok, scratch, err);
	if (rc < 0)
		return apnas_error_prefix(err, "space child_net");
	void *self = ms->cost;
	if (apnas_hwset_on(hw) &&
	    (rc = apnas_hwset_instance(hw, tok + nd_space, &self, err)) < 0)
		return rc;
	return apnas_metricset_cost_on(ms, self, scratch, values, NULL, err);
}

void apnas_costcache_hw(apnas_costcache *c, apnas_hwset *hw,
                        size_t nd_space)
{
	c->hw = hw;
	c->nd_space = nd_space;
}

int apnas_costcache_init(apnas_costcache *c, size_t nd,
                         const apnas_space_ops *sops, void *space,
                         apnas_metricset *ms, apnas_error *err)
{
	memset(c, 0, sizeof *c);
	c->nd = nd ? nd : 1;
	c->nm = ms->n;
	c->cap = 1024;
	c->toks = malloc(c->cap * c->nd * sizeof *c->toks);
	c->v = malloc(c->cap * c->nm * sizeof *c->v);
	c->used = calloc(c->cap, 1);
	apnas_net_init(&c->net);
	c->space_ops = sops;
	c->space = space;
	c->ms = ms;
	if (!c->toks || !c->v || !c->used) {
		apnas_costcache_free(c);
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "cost cache: out of memory");
	}
	return 0;
}

void apnas_costcache_free(apnas_costcache *c)
{
	free(c->toks);
	free(c->v);
	free(c->used);
	apnas_net_free(&c->net);
	memset(c, 0, sizeof *c);
}

static size_t find_slot(const apnas_costcache *c, const int32_t *tok)
{
	size_t mask = c->cap - 1;
	size_t i = (size_t)apnas_tokens_hash(tok, c->nd) & mask;
	while (c->used[i] &&
	       memcmp(c->toks + i * c->nd, tok, c->nd * sizeof *tok) != 0)
		i = (i + 1) & mask;
	return i;
}

static int grow(apnas_costcache *c)
{
	apnas_costcache big = *c;
	big.cap = c->cap * 2;
	big.toks = malloc(big.cap * c->nd * sizeof *big.toks);
	big.v = malloc(big.cap * c->nm * sizeof *big.v);
	big.used = calloc(big.cap, 1);
	if (!big.toks || !big.v || !big.used) {
		free(big.toks);
		free(big.v);
		free(big.used);
		return -1;
	}
	for (size_t i = 0; i < c->cap; i++) {
		if (!c->used[i])
			continue;
		size_t j = find_slot(&big, c->toks + i * c->nd);
		memcpy(big.toks + j * c->nd, c->toks + i * c->nd,
		       c->nd * sizeof *c->toks);
		memcpy(big.v + j * c->nm, c->v + i * c->nm,
		       c->nm * sizeof *c->v);
		big.used[j] = 1;
	}
	free(c->toks);
	free(c->v);
	free(c->used);
	c->toks = big.toks;
	c->v = big.v;
	c->used = big.used;
	c->cap = big.cap;
	return 0;
}

int apnas_costcache_get(apnas_costcache *c, const int32_t *tok,
                        double *values, apnas_error *err)
{
	size_t i = find_slot(c, tok);
	if (!c->used[i]) {
		double t0 = apnas_clock_now();
		int rc = apnas_cost_arch(c->space_ops, c->space, c->ms, c->hw,
		                         c->nd_space, tok, &c->net, values,
		                         err);
		c->seconds += apnas_clock_now() - t0;
		if (rc < 0)
			return rc;
		c->misses++;
		if (2 * (c->n + 1) > c->cap) {
			/* the doubled table beside the old while it is
			 * copied: three times the old one's bytes */
			uint64_t need = (uint64_t)c->cap * 3 *
			        (c->nd * sizeof *tok + c->nm * sizeof *values + 1);
			if ((rc = apnas_memcap_check(need, "the search's cost "
			                             "cache", err)) < 0)
				return rc;
			if (grow(c) < 0)
				return apnas_error_set(err, APNAS_ENOMEM,
					"cost cache: out of memory");
			i = find_slot(c, tok);
		}
		memcpy(c->toks + i * c->nd, tok, c->nd * sizeof *tok);
		memcpy(c->v + i * c->nm, values, c->nm * sizeof *values);
		c->used[i] = 1;
		c->n++;
		return 0;
	}
	c->hits++;
	memcpy(values, c->v + i * c->nm, c->nm * sizeof *values);
	return 0;
}
