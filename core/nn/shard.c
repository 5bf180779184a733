/* Data-parallel steps (<apnas/collective.h>): a graph that is one rank's
 * share of a global batch, and the gradient sum over the ranks.
 *
 * A sharded forward computes exactly what one process would compute on
 * the whole batch, up to the order of the sums: the batch norms use the
 * global batch's statistics (their per-channel sums are added over the
 * ranks, forward and backward), the loss is the global batch's mean (its
 * gradient divides by the global count), dropout draws the mask of the
 * whole batch and keeps its own images' part, so its stream advances the
 * same on every rank and as it would in one process.  Why synchronised
 * batch norm rather than each rank's own statistics: the search compares
 * architectures by accuracy on batch statistics, and a rank's share (a
 * few images at large N) gives noisy statistics that would change what
 * is searched with N; with the global ones, N changes only rounding. */
#include "nn/nn_internal.h"

#include <stdlib.h>
#include <string.h>

void apnas_graph_set_collective(apnas_graph *g, const apnas_collective *coll)
{
	if (g)
		g->coll = coll;
}

static int shard_reserve(apnas_graph *g, size_t n)
{
	if (g->sh_cap >= n)
		return 0;
	double *p = realloc(g->sh_buf, n * sizeof *p);
	if (!p)
		return -1;
	g->sh_buf = p;
	g->sh_cap = n;
	return 0;
}

int nn_shard_begin(apnas_graph *g, apnas_error *err)
{
	g->shards = 1;
	g->sh_total = 0;
	g->sh_offset = 0;
	const apnas_collective *c = g->coll;
	int size = c ? c->size(c) : 1;
	if (size <= 1)
		return 0;
	int rank = c->rank(c);
	int64_t n = -1;
	for (size_t i = 0; i < g->n_nodes; i++)
		if (g->nodes[i].op == NN_INPUT) {
			n = g->nodes[i].out->d.n;
			break;
		}
	if (n < 0)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nn: a sharded forward needs an input");
	if (shard_reserve(g, (size_t)size) < 0)
		return apnas_error_set(err, APNAS_ENOMEM, "nn: out of memory");
	double *cnt = g->sh_buf;
	memset(cnt, 0, (size_t)size * sizeof *cnt);
	cnt[rank] = (double)n;
	int rc = c->sum_f64(c, cnt, (size_t)size, err);
	if (rc < 0)
		return apnas_error_prefix(err, "nn: exchanging batch shares");
	int64_t total = 0, off = 0;
	for (int r = 0; r < size; r++) {
		if (r == rank)
			off = total;
		total += (int64_t)cnt[r];
	}
	g->shards = size;
	g->sh_total = total;
	g->sh_offset = off;
	return 0;
}

int nn_shard_sum(apnas_graph *g, double *v, size_t n)
{
	if (g->shards <= 1)
		return 0;
	apnas_error e;
	apnas_error_clear(&e);
	int rc = g->coll->sum_f64(g->coll, v, n, &e);
	if (rc < 0 && !g->err.code)
		g->err = e;
	return rc;
}

/* The used parameters' gradients travel as one buffer, in creation
 * order, so a step costs one collective whatever the network. */
int apnas_params_sum_grads(apnas_params *ps, const apnas_collective *coll,
                           apnas_error *err)
{
	if (!ps)
		return apnas_error_set(err, APNAS_EINVAL, "nn: NULL set");
	if (!coll || coll->size(coll) <= 1)
		return 0;
	size_t total = 0;
	for (size_t i = 0; i < ps->n; i++)
		if (ps->v[i]->used && ps->v[i]->grad)
			total += ps->v[i]->numel;
	if (total > ps->sum_cap) {
		float *p = realloc(ps->sum_buf, total * sizeof *p);
		if (!p)
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "nn: out of memory for %zu "
			                       "gradients", total);
		ps->sum_buf = p;
		ps->sum_cap = total;
	}
	float *buf = ps->sum_buf;
	size_t o = 0;
	for (size_t i = 0; i < ps->n; i++) {
		apnas_param *p = ps->v[i];
		if (!p->used || !p->grad)
			continue;
		memcpy(buf + o, p->grad, p->numel * sizeof *buf);
		o += p->numel;
	}
	int rc = coll->sum_f32(coll, buf, total, err);
	if (rc < 0)
		return apnas_error_prefix(err, "nn: summing gradients");
	o = 0;
	for (size_t i = 0; i < ps->n; i++) {
		apnas_param *p = ps->v[i];
		if (!p->used || !p->grad)
			continue;
		memcpy(p->grad, buf + o, p->numel * sizeof *buf);
		o += p->numel;
	}
	return 0;
}
