/* The metrics cache: open addressing on an FNV-1a hash of the tokens.  It
 * is never checkpointed: every entry can be recomputed bit for bit, so a
 * resumed run only pays the cost model again. */
#include "costcache.h"

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

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int apnas_cost_arch(const apnas_space_ops *sops, void *space,
                    const apnas_cost_ops *cops, void *cost,
                    const int32_t *tok, apnas_net *scratch,
                    apnas_metrics *m, apnas_error *err)
{
	apnas_net_clear(scratch);
	int rc = sops->child_net(space, tok, scratch, err);
	if (rc < 0)
		return apnas_error_prefix(err, "space child_net");
	apnas_layer_cost total;
	memset(&total, 0, sizeof total);
	rc = cops->cost(cost, scratch, &total, NULL, err);
	if (rc < 0)
		return apnas_error_prefix(err, "cost model");
	m->cycles = (double)total.cycles;
	m->macs = (double)apnas_net_macs(scratch);
	m->params = (double)apnas_net_params(scratch);
	m->utilization = total.utilization;
	m->have |= APNAS_METRIC_CYCLES | APNAS_METRIC_MACS |
	           APNAS_METRIC_PARAMS | APNAS_METRIC_UTIL;
	return 0;
}

int apnas_costcache_init(apnas_costcache *c, size_t nd,
                         const apnas_space_ops *sops, void *space,
                         const apnas_cost_ops *cops, void *cost,
                         apnas_error *err)
{
	memset(c, 0, sizeof *c);
	c->nd = nd ? nd : 1;
	c->cap = 1024;
	c->toks = malloc(c->cap * c->nd * sizeof *c->toks);
	c->m = malloc(c->cap * sizeof *c->m);
	c->used = calloc(c->cap, 1);
	apnas_net_init(&c->net);
	c->space_ops = sops;
	c->space = space;
	c->cost_ops = cops;
	c->cost = cost;
	if (!c->toks || !c->m || !c->used) {
		apnas_costcache_free(c);
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "cost cache: out of memory");
	}
	return 0;
}

void apnas_costcache_free(apnas_costcache *c)
{
	free(c->toks);
	free(c->m);
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
	big.m = malloc(big.cap * sizeof *big.m);
	big.used = calloc(big.cap, 1);
	if (!big.toks || !big.m || !big.used) {
		free(big.toks);
		free(big.m);
		free(big.used);
		return -1;
	}
	for (size_t i = 0; i < c->cap; i++) {
		if (!c->used[i])
			continue;
		size_t j = find_slot(&big, c->toks + i * c->nd);
		memcpy(big.toks + j * c->nd, c->toks + i * c->nd,
		       c->nd * sizeof *c->toks);
		big.m[j] = c->m[i];
		big.used[j] = 1;
	}
	free(c->toks);
	free(c->m);
	free(c->used);
	c->toks = big.toks;
	c->m = big.m;
	c->used = big.used;
	c->cap = big.cap;
	return 0;
}

int apnas_costcache_get(apnas_costcache *c, const int32_t *tok,
                        apnas_metrics *m, apnas_error *err)
{
	size_t i = find_slot(c, tok);
	if (!c->used[i]) {
		apnas_metrics fresh;
		memset(&fresh, 0, sizeof fresh);
		double t0 = now_s();
		int rc = apnas_cost_arch(c->space_ops, c->space, c->cost_ops,
		                         c->cost, tok, &c->net, &fresh, err);
		c->seconds += now_s() - t0;
		if (rc < 0)
			return rc;
		c->misses++;
		if (2 * (c->n + 1) > c->cap) {
			if (grow(c) < 0)
				return apnas_error_set(err, APNAS_ENOMEM,
					"cost cache: out of memory");
			i = find_slot(c, tok);
		}
		memcpy(c->toks + i * c->nd, tok, c->nd * sizeof *tok);
		c->m[i] = fresh;
		c->used[i] = 1;
		c->n++;
	} else {
		c->hits++;
	}
	m->cycles = c->m[i].cycles;
	m->macs = c->m[i].macs;
	m->params = c->m[i].params;
	m->utilization = c->m[i].utilization;
	m->have |= c->m[i].have;
	return 0;
}
