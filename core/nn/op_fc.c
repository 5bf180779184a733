/* Fully connected layer and softmax cross-entropy: the network's head.
 * Both are small next to the convolutions (batch x features x classes),
 * so they run as whole-batch sgemm calls on the calling thread.  The loss
 * is accumulated in double in image order. */
#include "nn/ops.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

void nn_fc_fwd(apnas_graph *g, nn_node *nd)
{
	apnas_tensor *x = nn_in(g, nd, 0);
	int n = x->d.n, f = nd->out->d.c;
	int d = (int)(x->numel / (size_t)n);
	float *y = nd->out->data;
	/* y[n][f] = x[n][d] W[f][d]^T + b[f] */
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, f, d, 1.0f,
	            x->data, d, nd->w->value, d, 0.0f, y, f);
	if (nd->b)
		for (int i = 0; i < n; i++)
			for (int o = 0; o < f; o++)
				y[(size_t)i * f + o] += nd->b->value[o];
}

void nn_fc_bwd(apnas_graph *g, nn_node *nd, const unsigned char *acc)
{
	apnas_tensor *x = nn_in(g, nd, 0);
	int n = x->d.n, f = nd->out->d.c;
	int d = (int)(x->numel / (size_t)n);
	const float *dy = nd->out->grad;
	/* dW[f][d] (+)= dy[n][f]^T x[n][d] */
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, f, d, n, 1.0f, dy,
	            f, x->data, d, nn_param_acc(nd->w) ? 1.0f : 0.0f,
	            nd->w->grad, d);
	if (nd->b) {
		int acc_b = nn_param_acc(nd->b);
		for (int o = 0; o < f; o++) {
			float s = 0.0f;
			for (int i = 0; i < n; i++)
				s += dy[(size_t)i * f + o];
			nd->b->grad[o] = acc_b ? nd->b->grad[o] + s : s;
		}
	}
	if (x->needs_grad)
		/* dx[n][d] (+)= dy[n][f] W[f][d] */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, d, f,
		            1.0f, dy, f, nd->w->value, d, acc[0] ? 1.0f : 0.0f,
		            x->grad, d);
}

int nn_xent_fwd(apnas_graph *g, nn_node *nd, apnas_error *err)
{
	apnas_tensor *x = nn_in(g, nd, 0);
	int n = x->d.n, k = (int)(x->numel / (size_t)n);
	for (int i = 0; i < n; i++)
		if (nd->y[i] < 0 || nd->y[i] >= k)
			return apnas_error_set(err, APNAS_EINVAL,
			                       "label %d of image %d is outside 0..%d",
			                       (int)nd->y[i], i, k - 1);
	float *prob = nd->aux;
	double total = 0;
	int64_t correct = 0;
	for (int i = 0; i < n; i++) {
		const float *z = x->data + (size_t)i * k;
		float *p = prob + (size_t)i * k;
		int best = 0;
		for (int j = 1; j < k; j++)
			if (z[j] > z[best])
				best = j;
		double mx = z[best], s = 0;
		for (int j = 0; j < k; j++)
			s += exp((double)z[j] - mx);
		double lse = mx + log(s);
		for (int j = 0; j < k; j++)
			p[j] = (float)exp((double)z[j] - lse);
		total += lse - z[nd->y[i]];
		correct += best == nd->y[i];
	}
	/* Sharded: the global batch's loss and count, the same on every
	 * rank, so that every rank takes the same decision on a non-finite
	 * loss. */
	double sums[2] = {total, (double)correct};
	if (nn_shard_sum(g, sums, 2) < 0)
		return apnas_graph_status(g, err);
	g->loss = sums[0] / (double)(g->shards > 1 ? g->sh_total : n);
	g->correct = (int64_t)sums[1];
	nd->out->data[0] = (float)g->loss;
	return 0;
}

void nn_xent_bwd(apnas_graph *g, nn_node *nd, const unsigned char *acc)
{
	apnas_tensor *x = nn_in(g, nd, 0);
	if (!x->needs_grad)
		return;
	int n = x->d.n, k = (int)(x->numel / (size_t)n);
	const float *prob = nd->aux;
	const float inv = 1.0f / (float)(g->shards > 1 ? g->sh_total : n);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < k; j++) {
			size_t e = (size_t)i * k + j;
			float d = (prob[e] - (j == nd->y[i] ? 1.0f : 0.0f)) * inv;
			x->grad[e] = acc[0] ? x->grad[e] + d : d;
		}
}
