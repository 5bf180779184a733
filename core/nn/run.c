/* Running a built graph: forward in build order, backward in reverse from
 * the loss, with the thread and OpenBLAS settings the engine relies on.
 * Which inputs' gradients are overwritten or accumulated is decided here,
 * on the calling thread, so that the ops' parallel parts never race. */
#include "nn/ops.h"
#include "util/threads.h"

#include <cblas.h>
#include <math.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* The process default thread count; 0 until set (then: the CPUs this
 * process may run on, as util/threads.h resolves run.threads = 0).
 * Callers set it at start-up, before creating graphs. */
static int default_threads;

static int online_cores(void)
{
	int c = apnas_threads_resolve(0);
	return c > 1024 ? 1024 : c;
}

void apnas_nn_set_threads(int n)
{
	default_threads = n > 0 ? (n > 1024 ? 1024 : n) : 0;
	nn_blas_single();
}

void nn_blas_single(void)
{
	/* Read first: setting the count, even to its current value, costs a
	 * wake-up of OpenBLAS's pool. */
	if (openblas_get_num_threads() != 1)
		openblas_set_num_threads(1);
}

int apnas_nn_threads(void)
{
	return default_threads > 0 ? default_threads : online_cores();
}

size_t nn_ws_bytes(const apnas_graph *g, const nn_node *nd)
{
	switch (nd->op) {
	case NN_CONV:
		return nn_conv_ws(g, nd);
	case NN_DWCONV:
		return nn_dwconv_ws(g, nd);
	case NN_BN:
	case NN_BN_RELU:
		return nn_bn_ws(g, nd);
	case NN_MAXPOOL:
	case NN_AVGPOOL:
		return nn_pool_ws(g, nd);
	default:
		return 0;
	}
}

size_t nn_aux_bytes(const apnas_graph *g, const nn_node *nd, apnas_mode mode)
{
	int train = mode == APNAS_MODE_TRAIN;
	switch (nd->op) {
	case NN_CONV:
		return nd->bnstat ? 2 * nd->out->numel / (size_t)nd->out->d.h /
		                        (size_t)nd->out->d.w * sizeof(float)
		                  : 0;
	case NN_BN:
	case NN_BN_RELU:
		return 2 * (size_t)nd->out->d.c * sizeof(float);
	case NN_MAXPOOL:
	case NN_DROPOUT:
		return train ? nd->out->numel : 0;  /* one byte per element */
	case NN_XENT:
		return nn_in(g, nd, 0)->numel * sizeof(float);
	default:
		return 0;
	}
}

struct reduce_ctx {
	apnas_graph *g;
	float *dst;
	size_t numel, off;
	int acc;
};

static void reduce_task(void *vc, int tid, int nt)
{
	struct reduce_ctx *c = vc;
	size_t a = c->numel * (size_t)tid / (size_t)nt;
	size_t b = c->numel * (size_t)(tid + 1) / (size_t)nt;
	for (size_t e = a; e < b; e++) {
		float s = c->acc ? c->dst[e] : 0.0f;
		for (int t = 0; t < c->g->threads; t++)
			s += ((const float *)((const unsigned char *)nn_ws(c->g, t) +
			                      c->off))[e];
		c->dst[e] = s;
	}
}

void nn_reduce_partials(apnas_graph *g, float *dst, size_t numel, size_t off,
                        int acc)
{
	struct reduce_ctx c = {g, dst, numel, off, acc};
	nn_par(g, reduce_task, &c, (double)numel * g->threads);
}

static int run_fwd(apnas_graph *g, nn_node *nd, apnas_mode mode,
                   apnas_error *err)
{
	switch (nd->op) {
	case NN_INPUT:
		return 0;
	case NN_CONV:
		nn_conv_fwd(g, nd);
		return 0;
	case NN_DWCONV:
		nn_dwconv_fwd(g, nd);
		return 0;
	case NN_BN:
	case NN_BN_RELU:
		if (nn_bn_fwd(g, nd, mode) < 0)
			return apnas_graph_status(g, err);
		return 0;
	case NN_RELU:
		nn_relu_fwd(g, nd);
		return 0;
	case NN_MAXPOOL:
	case NN_AVGPOOL:
		nn_pool_fwd(g, nd, mode);
		return 0;
	case NN_GAP:
		nn_gap_fwd(g, nd);
		return 0;
	case NN_FC:
		nn_fc_fwd(g, nd);
		return 0;
	case NN_DROPOUT:
		nn_dropout_fwd(g, nd, mode);
		return 0;
	case NN_ADD:
		nn_add_fwd(g, nd);
		return 0;
	case NN_CONCAT:
		nn_concat_fwd(g, nd);
		return 0;
	case NN_SHIFT:
		nn_shift_fwd(g, nd);
		return 0;
	case NN_XENT:
		return nn_xent_fwd(g, nd, err);
	}
	return apnas_error_set(err, APNAS_EINVAL, "nn: unknown op %d", nd->op);
}

static void run_bwd(apnas_graph *g, nn_node *nd, const unsigned char *acc)
{
	switch (nd->op) {
	case NN_CONV:
		nn_conv_bwd(g, nd, acc);
		break;
	case NN_DWCONV:
		nn_dwconv_bwd(g, nd, acc);
		break;
	case NN_BN:
	case NN_BN_RELU:
		nn_bn_bwd(g, nd, acc);
		break;
	case NN_RELU:
		nn_relu_bwd(g, nd, acc);
		break;
	case NN_MAXPOOL:
	case NN_AVGPOOL:
		nn_pool_bwd(g, nd, acc);
		break;
	case NN_GAP:
		nn_gap_bwd(g, nd, acc);
		break;
	case NN_FC:
		nn_fc_bwd(g, nd, acc);
		break;
	case NN_DROPOUT:
		nn_dropout_bwd(g, nd, acc);
		break;
	case NN_ADD:
		nn_add_bwd(g, nd, acc);
		break;
	case NN_CONCAT:
		nn_concat_bwd(g, nd, acc);
		break;
	case NN_SHIFT:
		nn_shift_bwd(g, nd, acc);
		break;
	case NN_XENT:
		nn_xent_bwd(g, nd, acc);
		break;
	default:
		break;
	}
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int apnas_nn_profile(apnas_graph *g, int on)
{
	g->profile = on;
	return 0;
}

const double *apnas_nn_profile_times(const apnas_graph *g, size_t *n_nodes)
{
	*n_nodes = g->profile && g->prof ? g->n_nodes : 0;
	return g->profile ? g->prof : NULL;
}

int apnas_nn_node_info(const apnas_graph *g, size_t i, const char **op,
                       int *k, int *stride, apnas_dims4 *in,
                       apnas_dims4 *out)
{
	if (i >= g->n_nodes)
		return -1;
	const nn_node *nd = &g->nodes[i];
	*op = nn_op_name(nd->op);
	*k = nd->k;
	*stride = nd->stride;
	apnas_dims4 z = {0, 0, 0, 0};
	*in = nd->nin ? nn_in(g, nd, 0)->d : z;
	*out = nd->out->d;
	return 0;
}

/* Profiling storage, grown outside the timed ops. */
static int prof_reserve(apnas_graph *g)
{
	if (!g->profile || g->prof_cap >= g->n_nodes)
		return 0;
	double *p = realloc(g->prof, g->n_nodes * 2 * sizeof *p);
	if (!p)
		return -1;
	g->prof = p;
	g->prof_cap = g->n_nodes;
	return 0;
}

int apnas_graph_forward(apnas_graph *g, apnas_mode mode, apnas_error *err)
{
	if (!g)
		return apnas_error_set(err, APNAS_EINVAL, "nn: NULL graph");
	if (g->err.code)
		return apnas_graph_status(g, err);
	if (mode != APNAS_MODE_TRAIN && mode != APNAS_MODE_INFER &&
	    mode != APNAS_MODE_BATCHSTAT)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nn: forward: unknown mode %d", (int)mode);
	if (g->n_nodes == 0)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nn: forward: the graph is empty");
	g->ran = 0;
	g->backward_done = 0;
	g->mode = mode;
	/* INFER: a conv whose only reader is a batch norm writes the
	 * normalised (and rectified) result itself; the norm is skipped. */
	for (size_t i = 0; i < g->n_nodes; i++)
		g->nodes[i].fuse = g->nodes[i].skip = g->nodes[i].bnstat = 0;
	/* TRAIN, BATCHSTAT: such a conv hands the norm its plane sums. */
	for (size_t i = 0; i + 1 < g->n_nodes; i++)
		if (nn_conv_can_fuse(g, i)) {
			if (mode == APNAS_MODE_INFER) {
				g->nodes[i].fuse = 1;
				g->nodes[i + 1].skip = 1;
			} else {
				g->nodes[i].bnstat = 1;
			}
		}
	int rc = nn_plan(g, mode, err);
	if (rc == 0)
		rc = nn_shard_begin(g, err);
	if (rc < 0)
		return rc;
	if (prof_reserve(g) < 0)
		return apnas_error_set(err, APNAS_ENOMEM, "nn: out of memory");
	if (g->profile)
		memset(g->prof, 0, g->n_nodes * 2 * sizeof *g->prof);
	nn_blas_single();
	for (size_t i = 0; i < g->n_nodes && rc == 0; i++) {
		if (g->nodes[i].skip)
			continue;
		double t0 = g->profile ? now() : 0;
		rc = run_fwd(g, &g->nodes[i], mode, err);
		if (g->profile)
			g->prof[2 * i] = now() - t0;
		if (rc < 0)
			apnas_error_prefix(err, "nn: op %zu (%s)", i,
			                   nn_op_name(g->nodes[i].op));
	}
	if (rc == 0)
		g->ran = mode;
	return rc;
}

int apnas_graph_backward(apnas_graph *g, apnas_error *err)
{
	if (!g)
		return apnas_error_set(err, APNAS_EINVAL, "nn: NULL graph");
	if (g->err.code)
		return apnas_graph_status(g, err);
	if (g->ran != APNAS_MODE_TRAIN || g->backward_done)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nn: backward needs a TRAIN forward of this "
		                       "build first, and runs once per forward");
	if (g->loss_node < 0)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nn: backward: the graph has no xent loss");
	if (!isfinite(g->loss))
		return apnas_error_set(err, APNAS_ENUM,
		                       "nn: backward: loss is %g; no gradient "
		                       "computed", g->loss);
	for (size_t i = 0; i < g->n_nodes; i++) {
		nn_node *nd = &g->nodes[i];
		if (nd->w)
			nd->w->bwd_written = 0;
		if (nd->b)
			nd->b->bwd_written = 0;
	}
	nn_blas_single();
	unsigned char acc_small[16];
	for (int i = g->loss_node; i >= 0; i--) {
		nn_node *nd = &g->nodes[i];
		if (nd->op == NN_INPUT || !nd->out->needs_grad)
			continue;
		/* A branch that never reaches the loss has no gradient. */
		if (nd->op != NN_XENT && !nd->out->grad_born)
			continue;
		unsigned char *acc = acc_small;
		unsigned char acc_big[nd->nin > 16 ? nd->nin : 1];
		if (nd->nin > 16)
			acc = acc_big;
		for (int j = 0; j < nd->nin; j++) {
			apnas_tensor *t = nn_in(g, nd, j);
			acc[j] = t->grad_born;
			if (t->needs_grad)
				t->grad_born = 1;
		}
		double t0 = g->profile ? now() : 0;
		run_bwd(g, nd, acc);
		if (g->profile)
			g->prof[2 * i + 1] = now() - t0;
		/* Only a sharded sum fails in backward; the ranks are then
		 * out of step and the gradients meaningless. */
		if (g->err.code)
			return apnas_graph_status(g, err);
	}
	g->backward_done = 1;
	return 0;
}

int apnas_graph_loss(const apnas_graph *g, double *loss, int64_t *correct,
                     apnas_error *err)
{
	if (!g || g->loss_node < 0 || !g->ran)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nn: no loss: the graph has no xent op or "
		                       "has not run");
	if (loss)
		*loss = g->loss;
	if (correct)
		*correct = g->correct;
	return 0;
}

void apnas_graph_memory(const apnas_graph *g, apnas_graph_mem *m)
{
	if (!m)
		return;
	memset(m, 0, sizeof *m);
	if (g)
		*m = g->mem;
}
