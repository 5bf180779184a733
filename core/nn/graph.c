/* Graph building: each apnas_op_* call validates its operands, computes
 * the output shape and appends one node.  Nothing here touches tensor
 * data; memory is planned at forward time (plan.c) and ops run in run.c.
 * A failed builder call records the first error in the graph and returns
 * NULL, which every later builder passes through, so plugins check once. */
#include "nn/ops.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const OP_NAMES[] = {
	[NN_INPUT] = "input", [NN_CONV] = "conv", [NN_DWCONV] = "dwconv",
	[NN_BN] = "bn", [NN_BN_RELU] = "bn_relu", [NN_RELU] = "relu",
	[NN_MAXPOOL] = "maxpool", [NN_AVGPOOL] = "avgpool", [NN_GAP] = "gap",
	[NN_FC] = "fc", [NN_DROPOUT] = "dropout", [NN_ADD] = "add",
	[NN_CONCAT] = "concat", [NN_SHIFT] = "shift", [NN_XENT] = "xent"};

int apnas_graph_create(int threads, apnas_graph **out, apnas_error *err)
{
	*out = NULL;
	if (threads < 0 || threads > 1024)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nn: graph threads must be in [0, 1024] "
		                       "(0: default), got %d", threads);
	if (threads == 0)
		threads = apnas_nn_threads();
	apnas_graph *g = calloc(1, sizeof *g);
	if (!g)
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "nn: out of memory creating a graph");
	g->threads = threads;
	g->loss_node = -1;
	nn_blas_single();
	if (nn_pool_create(threads, &g->pool) < 0) {
		free(g);
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "nn: could not start %d engine threads",
		                       threads);
	}
	*out = g;
	return 0;
}

void apnas_graph_destroy(apnas_graph *g)
{
	if (!g)
		return;
	nn_pool_destroy(g->pool);
	for (size_t i = 0; i < g->n_blocks; i++)
		free(g->blocks[i]);
	free(g->blocks);
	free(g->nodes);
	free(g->ins);
	free(g->arena);
	free(g->ws);
	free(g->plan_scratch);
	free(g->prof);
	free(g->ep);
	free(g->sh_buf);
	free(g);
}

void apnas_graph_reset(apnas_graph *g)
{
	if (!g)
		return;
	g->n_nodes = 0;
	g->n_tensors = 0;
	g->n_ins = 0;
	g->loss_node = -1;
	g->ran = 0;
	g->backward_done = 0;
	apnas_error_clear(&g->err);
}

int apnas_graph_status(const apnas_graph *g, apnas_error *err)
{
	if (!g)
		return apnas_error_set(err, APNAS_EINVAL, "nn: NULL graph");
	if (g->err.code && err)
		*err = g->err;
	return g->err.code;
}

int apnas_graph_threads(const apnas_graph *g)
{
	return g ? g->threads : 0;
}

apnas_dims4 apnas_tensor_dims(const apnas_tensor *t)
{
	apnas_dims4 z = {0, 0, 0, 0};
	return t ? t->d : z;
}

const float *apnas_tensor_data(const apnas_tensor *t)
{
	return t ? t->data : NULL;
}

const float *apnas_tensor_grad(const apnas_tensor *t)
{
	return t && t->grad_born ? t->grad : NULL;
}

void apnas_tensor_keep(apnas_tensor *t)
{
	if (t)
		t->keep = 1;
}

void apnas_nn_test_require_grad(apnas_tensor *t)
{
	if (t)
		t->needs_grad = 1;
}

/* Records the first failure; returns NULL for the builder to pass on. */
__attribute__((format(printf, 3, 4))) static apnas_tensor *
fail(apnas_graph *g, int code, const char *fmt, ...)
{
	if (g->err.code)
		return NULL;
	va_list ap;
	va_start(ap, fmt);
	char msg[sizeof g->err.msg];
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	apnas_error_set(&g->err, code, "nn: op %zu (%s", g->n_nodes, msg);
	return NULL;
}

static apnas_tensor *new_tensor(apnas_graph *g, int op, int n, int c, int h,
                                int w)
{
	size_t numel = (size_t)n * c * h * w;
	if (n < 1 || c < 1 || h < 1 || w < 1 || numel > ((size_t)1 << 33))
		return fail(g, APNAS_EINVAL,
		            "%s): shape %dx%dx%dx%d is empty or too large",
		            OP_NAMES[op], n, c, h, w);
	size_t b = g->n_tensors / NN_TBLOCK, i = g->n_tensors % NN_TBLOCK;
	if (b == g->n_blocks) {
		apnas_tensor **nb = realloc(g->blocks, (b + 1) * sizeof *nb);
		if (!nb)
			return fail(g, APNAS_ENOMEM, "%s): out of memory",
			            OP_NAMES[op]);
		g->blocks = nb;
		g->blocks[b] = malloc(NN_TBLOCK * sizeof(apnas_tensor));
		if (!g->blocks[b])
			return fail(g, APNAS_ENOMEM, "%s): out of memory",
			            OP_NAMES[op]);
		g->n_blocks++;
	}
	apnas_tensor *t = &g->blocks[b][i];
	memset(t, 0, sizeof *t);
	t->d.n = n;
	t->d.c = c;
	t->d.h = h;
	t->d.w = w;
	t->numel = numel;
	t->producer = (int)g->n_nodes;
	t->last_use = -1;
	t->bwd_keep_until = -1;
	g->n_tensors++;
	return t;
}

/* Appends a node reading xs[0..nin) and producing a fresh tensor of the
 * given shape.  Operand tensors must belong to this graph's current build:
 * a tensor from before a reset would be a dangling reference. */
static nn_node *add_node(apnas_graph *g, int op, apnas_tensor *const *xs,
                         int nin, int n, int c, int h, int w)
{
	if (g->err.code)
		return NULL;
	if (g->n_nodes >= (size_t)1 << 20) {
		fail(g, APNAS_EINVAL, "%s): more than 2^20 ops", OP_NAMES[op]);
		return NULL;
	}
	if (g->n_nodes == g->cap_nodes) {
		size_t cap = g->cap_nodes ? g->cap_nodes * 2 : 64;
		nn_node *v = realloc(g->nodes, cap * sizeof *v);
		if (!v) {
			fail(g, APNAS_ENOMEM, "%s): out of memory", OP_NAMES[op]);
			return NULL;
		}
		g->nodes = v;
		g->cap_nodes = cap;
	}
	if (g->n_ins + (size_t)nin > g->cap_ins) {
		size_t cap = g->cap_ins ? g->cap_ins * 2 : 128;
		while (cap < g->n_ins + (size_t)nin)
			cap *= 2;
		apnas_tensor **v = realloc(g->ins, cap * sizeof *v);
		if (!v) {
			fail(g, APNAS_ENOMEM, "%s): out of memory", OP_NAMES[op]);
			return NULL;
		}
		g->ins = v;
		g->cap_ins = cap;
	}
	apnas_tensor *out = new_tensor(g, op, n, c, h, w);
	if (!out)
		return NULL;
	nn_node *nd = &g->nodes[g->n_nodes];
	memset(nd, 0, sizeof *nd);
	nd->op = op;
	nd->out = out;
	nd->in0 = (int)g->n_ins;
	nd->nin = nin;
	for (int i = 0; i < nin; i++) {
		g->ins[g->n_ins++] = xs[i];
		xs[i]->last_use = (int)g->n_nodes;
		if (xs[i]->needs_grad)
			out->needs_grad = 1;
	}
	g->n_nodes++;
	return nd;
}

/* Operand checks shared by every builder. */
static int bad_operand(apnas_graph *g, const char *op, const apnas_tensor *x)
{
	if (g->err.code)
		return 1;
	if (!x) {
		fail(g, APNAS_EINVAL, "%s): NULL input tensor", op);
		return 1;
	}
	/* A tensor from an earlier build (before reset) has an index beyond
	 * this build's nodes or a stale shape: refuse rather than corrupt. */
	if (x->producer >= (int)g->n_nodes) {
		fail(g, APNAS_EINVAL,
		     "%s): input tensor does not belong to this build (was the "
		     "graph reset after it was made?)", op);
		return 1;
	}
	return 0;
}

static int bad_param(apnas_graph *g, const char *op, const apnas_param *p,
                     const char *what)
{
	if (!p) {
		fail(g, APNAS_EINVAL, "%s): NULL %s parameter", op, what);
		return 1;
	}
	if (!p->trainable) {
		fail(g, APNAS_EINVAL, "%s): %s parameter '%s' is a running "
		     "statistic, not a trainable tensor", op, what, p->name);
		return 1;
	}
	return 0;
}

static void mark_param(nn_node *nd)
{
	if ((nd->w && nd->w->trainable) || (nd->b && nd->b->trainable))
		nd->out->needs_grad = 1;
}

/* Output size of a window op; -1 if impossible. */
static int out_size(int in, int k, int s, int p)
{
	if (k < 1 || s < 1 || p < 0 || in + 2 * p < k)
		return -1;
	return (in + 2 * p - k) / s + 1;
}

apnas_tensor *apnas_op_input(apnas_graph *g, const float *x, int n, int c,
                             int h, int w)
{
	if (!g || g->err.code)
		return NULL;
	if (!x)
		return fail(g, APNAS_EINVAL, "input): NULL data");
	nn_node *nd = add_node(g, NN_INPUT, NULL, 0, n, c, h, w);
	if (!nd)
		return NULL;
	nd->x = x;
	return nd->out;
}

apnas_tensor *apnas_op_conv(apnas_graph *g, apnas_tensor *x, apnas_param *w,
                            apnas_param *b, int stride, int pad)
{
	if (!g || bad_operand(g, "conv", x) || bad_param(g, "conv", w, "weight"))
		return NULL;
	if (w->ndim != 4 || w->dims[1] != x->d.c || w->dims[2] != w->dims[3])
		return fail(g, APNAS_EINVAL,
		            "conv): weight '%s' must be [Cout][%d][k][k] for an "
		            "input of %d channels, is %dx%dx%dx%d", w->name,
		            x->d.c, x->d.c, w->dims[0], w->dims[1], w->dims[2],
		            w->dims[3]);
	if (b && (bad_param(g, "conv", b, "bias") || b->numel != (size_t)w->dims[0]))
		return fail(g, APNAS_EINVAL, "conv): bias '%s' must have %d "
		            "elements", b ? b->name : "", w->dims[0]);
	int k = w->dims[2];
	int ho = out_size(x->d.h, k, stride, pad);
	int wo = out_size(x->d.w, k, stride, pad);
	if (ho < 1 || wo < 1 || pad >= k)
		return fail(g, APNAS_EINVAL,
		            "conv): kernel %d, stride %d, pad %d do not fit a "
		            "%dx%d input (need stride >= 1, 0 <= pad < k)", k,
		            stride, pad, x->d.h, x->d.w);
	nn_node *nd = add_node(g, NN_CONV, &x, 1, x->d.n, w->dims[0], ho, wo);
	if (!nd)
		return NULL;
	nd->w = w;
	nd->b = b;
	nd->k = k;
	nd->stride = stride;
	nd->pad = pad;
	mark_param(nd);
	x->bwd_keep_until = x->bwd_keep_until < 0 ? (int)(nd - g->nodes)
	                                          : x->bwd_keep_until;
	return nd->out;
}

apnas_tensor *apnas_op_dwconv(apnas_graph *g, apnas_tensor *x,
                              apnas_param *w, int stride, int pad)
{
	if (!g || bad_operand(g, "dwconv", x) ||
	    bad_param(g, "dwconv", w, "weight"))
		return NULL;
	if (w->ndim != 4 || w->dims[0] != x->d.c || w->dims[1] != 1 ||
	    w->dims[2] != w->dims[3])
		return fail(g, APNAS_EINVAL,
		            "dwconv): weight '%s' must be [%d][1][k][k], is "
		            "%dx%dx%dx%d", w->name, x->d.c, w->dims[0],
		            w->dims[1], w->dims[2], w->dims[3]);
	int k = w->dims[2];
	int ho = out_size(x->d.h, k, stride, pad);
	int wo = out_size(x->d.w, k, stride, pad);
	if (ho < 1 || wo < 1 || pad >= k || k > 15)
		return fail(g, APNAS_EINVAL,
		            "dwconv): kernel %d, stride %d, pad %d do not fit a "
		            "%dx%d input (need k <= 15, stride >= 1, 0 <= pad < k)",
		            k, stride, pad, x->d.h, x->d.w);
	nn_node *nd = add_node(g, NN_DWCONV, &x, 1, x->d.n, x->d.c, ho, wo);
	if (!nd)
		return NULL;
	nd->w = w;
	nd->k = k;
	nd->stride = stride;
	nd->pad = pad;
	mark_param(nd);
	if (x->bwd_keep_until < 0)
		x->bwd_keep_until = (int)(nd - g->nodes);
	return nd->out;
}

static apnas_tensor *bn_common(apnas_graph *g, apnas_tensor *x,
                               const apnas_bn *bn, int op)
{
	const char *name = op == NN_BN ? "bn" : "bn_relu";
	if (!g || bad_operand(g, name, x))
		return NULL;
	if (!bn || !bn->mean || !bn->var || bn->c != x->d.c ||
	    bn->mean->numel != (size_t)x->d.c ||
	    bn->var->numel != (size_t)x->d.c ||
	    (bn->gamma && bn->gamma->numel != (size_t)x->d.c) ||
	    (bn->beta && bn->beta->numel != (size_t)x->d.c) ||
	    (!bn->gamma != !bn->beta))
		return fail(g, APNAS_EINVAL,
		            "%s): batch norm is NULL, incomplete or not made for "
		            "%d channels", name, x->d.c);
	if (!(bn->momentum >= 0 && bn->momentum <= 1) || !(bn->eps > 0))
		return fail(g, APNAS_EINVAL,
		            "%s): batch norm momentum must be in [0, 1] and eps "
		            "> 0 (got %g, %g)", name, bn->momentum, bn->eps);
	nn_node *nd = add_node(g, op, &x, 1, x->d.n, x->d.c, x->d.h, x->d.w);
	if (!nd)
		return NULL;
	nd->bn = *bn;
	nd->w = bn->gamma;
	nd->b = bn->beta;
	mark_param(nd);
	if (x->bwd_keep_until < 0)
		x->bwd_keep_until = (int)(nd - g->nodes);
	if (op == NN_BN_RELU)
		nd->out->bwd_keep_until = (int)(nd - g->nodes);
	return nd->out;
}

apnas_tensor *apnas_op_bn(apnas_graph *g, apnas_tensor *x, const apnas_bn *bn)
{
	return bn_common(g, x, bn, NN_BN);
}

apnas_tensor *apnas_op_bn_relu(apnas_graph *g, apnas_tensor *x,
                               const apnas_bn *bn)
{
	return bn_common(g, x, bn, NN_BN_RELU);
}

apnas_tensor *apnas_op_relu(apnas_graph *g, apnas_tensor *x)
{
	if (!g || bad_operand(g, "relu", x))
		return NULL;
	nn_node *nd = add_node(g, NN_RELU, &x, 1, x->d.n, x->d.c, x->d.h,
	                       x->d.w);
	if (!nd)
		return NULL;
	nd->out->bwd_keep_until = (int)(nd - g->nodes);
	return nd->out;
}

static apnas_tensor *pool_common(apnas_graph *g, apnas_tensor *x, int op,
                                 int k, int stride, int pad, int count_pad)
{
	const char *name = op == NN_MAXPOOL ? "maxpool" : "avgpool";
	if (!g || bad_operand(g, name, x))
		return NULL;
	int ho = out_size(x->d.h, k, stride, pad);
	int wo = out_size(x->d.w, k, stride, pad);
	if (k > 255 || ho < 1 || wo < 1 || pad >= k)
		return fail(g, APNAS_EINVAL,
		            "%s): kernel %d, stride %d, pad %d do not fit a %dx%d "
		            "input (need 1 <= k <= 255, stride >= 1, 0 <= pad < k)",
		            name, k, stride, pad, x->d.h, x->d.w);
	nn_node *nd = add_node(g, op, &x, 1, x->d.n, x->d.c, ho, wo);
	if (!nd)
		return NULL;
	nd->k = k;
	nd->stride = stride;
	nd->pad = pad;
	nd->flag = count_pad;
	return nd->out;
}

apnas_tensor *apnas_op_maxpool(apnas_graph *g, apnas_tensor *x, int k,
                               int stride, int pad)
{
	return pool_common(g, x, NN_MAXPOOL, k, stride, pad, 0);
}

apnas_tensor *apnas_op_avgpool(apnas_graph *g, apnas_tensor *x, int k,
                               int stride, int pad, int count_pad)
{
	return pool_common(g, x, NN_AVGPOOL, k, stride, pad, count_pad != 0);
}

apnas_tensor *apnas_op_gap(apnas_graph *g, apnas_tensor *x)
{
	if (!g || bad_operand(g, "gap", x))
		return NULL;
	nn_node *nd = add_node(g, NN_GAP, &x, 1, x->d.n, x->d.c, 1, 1);
	return nd ? nd->out : NULL;
}

apnas_tensor *apnas_op_fc(apnas_graph *g, apnas_tensor *x, apnas_param *w,
                          apnas_param *b)
{
	if (!g || bad_operand(g, "fc", x) || bad_param(g, "fc", w, "weight"))
		return NULL;
	size_t in_f = x->numel / (size_t)x->d.n;
	if (w->ndim != 2 || (size_t)w->dims[1] != in_f)
		return fail(g, APNAS_EINVAL,
		            "fc): weight '%s' must be [F][%zu] for a %dx%dx%d "
		            "input", w->name, in_f, x->d.c, x->d.h, x->d.w);
	if (b && (bad_param(g, "fc", b, "bias") || b->numel != (size_t)w->dims[0]))
		return fail(g, APNAS_EINVAL, "fc): bias '%s' must have %d "
		            "elements", b ? b->name : "", w->dims[0]);
	nn_node *nd = add_node(g, NN_FC, &x, 1, x->d.n, w->dims[0], 1, 1);
	if (!nd)
		return NULL;
	nd->w = w;
	nd->b = b;
	mark_param(nd);
	if (x->bwd_keep_until < 0)
		x->bwd_keep_until = (int)(nd - g->nodes);
	return nd->out;
}

apnas_tensor *apnas_op_dropout(apnas_graph *g, apnas_tensor *x, float p_drop,
                               apnas_rng *rng)
{
	if (!g || bad_operand(g, "dropout", x))
		return NULL;
	if (!(p_drop >= 0 && p_drop < 1) || !rng)
		return fail(g, APNAS_EINVAL,
		            "dropout): p_drop must be in [0, 1) with an rng, got %g",
		            p_drop);
	nn_node *nd = add_node(g, NN_DROPOUT, &x, 1, x->d.n, x->d.c, x->d.h,
	                       x->d.w);
	if (!nd)
		return NULL;
	nd->p = p_drop;
	nd->rng = rng;
	return nd->out;
}

static int check_list(apnas_graph *g, const char *op,
                      apnas_tensor *const *xs, int n)
{
	if (g->err.code)
		return 1;
	if (!xs || n < 1 || n > 4096) {
		fail(g, APNAS_EINVAL, "%s): needs 1 to 4096 operands, got %d", op,
		     n);
		return 1;
	}
	for (int i = 0; i < n; i++)
		if (bad_operand(g, op, xs[i]))
			return 1;
	return 0;
}

apnas_tensor *apnas_op_add(apnas_graph *g, apnas_tensor *const *xs, int n)
{
	if (!g || check_list(g, "add", xs, n))
		return NULL;
	for (int i = 1; i < n; i++)
		if (memcmp(&xs[i]->d, &xs[0]->d, sizeof xs[0]->d) != 0)
			return fail(g, APNAS_EINVAL,
			            "add): operand %d is %dx%dx%dx%d, operand 0 "
			            "%dx%dx%dx%d", i, xs[i]->d.n, xs[i]->d.c,
			            xs[i]->d.h, xs[i]->d.w, xs[0]->d.n, xs[0]->d.c,
			            xs[0]->d.h, xs[0]->d.w);
	nn_node *nd = add_node(g, NN_ADD, xs, n, xs[0]->d.n, xs[0]->d.c,
	                       xs[0]->d.h, xs[0]->d.w);
	return nd ? nd->out : NULL;
}

apnas_tensor *apnas_op_concat(apnas_graph *g, apnas_tensor *const *xs, int n)
{
	if (!g || check_list(g, "concat", xs, n))
		return NULL;
	long c = 0;
	for (int i = 0; i < n; i++) {
		if (xs[i]->d.n != xs[0]->d.n || xs[i]->d.h != xs[0]->d.h ||
		    xs[i]->d.w != xs[0]->d.w)
			return fail(g, APNAS_EINVAL,
			            "concat): operand %d is %dx%dx%dx%d, operand 0 "
			            "%dx%dx%dx%d (N, H, W must match)", i,
			            xs[i]->d.n, xs[i]->d.c, xs[i]->d.h, xs[i]->d.w,
			            xs[0]->d.n, xs[0]->d.c, xs[0]->d.h, xs[0]->d.w);
		c += xs[i]->d.c;
	}
	if (c > (1 << 24))
		return fail(g, APNAS_EINVAL, "concat): %ld channels", c);
	nn_node *nd = add_node(g, NN_CONCAT, xs, n, xs[0]->d.n, (int)c,
	                       xs[0]->d.h, xs[0]->d.w);
	return nd ? nd->out : NULL;
}

apnas_tensor *apnas_op_shift(apnas_graph *g, apnas_tensor *x, int dy, int dx)
{
	if (!g || bad_operand(g, "shift", x))
		return NULL;
	if (dy <= -x->d.h || dy >= x->d.h || dx <= -x->d.w || dx >= x->d.w)
		return fail(g, APNAS_EINVAL,
		            "shift): offsets (%d, %d) leave nothing of a %dx%d "
		            "input", dy, dx, x->d.h, x->d.w);
	nn_node *nd = add_node(g, NN_SHIFT, &x, 1, x->d.n, x->d.c, x->d.h,
	                       x->d.w);
	if (!nd)
		return NULL;
	nd->dy = dy;
	nd->dx = dx;
	return nd->out;
}

apnas_tensor *apnas_op_xent(apnas_graph *g, apnas_tensor *logits,
                            const int32_t *y)
{
	if (!g || bad_operand(g, "xent", logits))
		return NULL;
	if (!y)
		return fail(g, APNAS_EINVAL, "xent): NULL labels");
	if (g->loss_node >= 0)
		return fail(g, APNAS_EINVAL,
		            "xent): the graph already has a loss (op %d)",
		            g->loss_node);
	if (logits->numel / (size_t)logits->d.n < 2)
		return fail(g, APNAS_EINVAL, "xent): needs at least 2 classes");
	nn_node *nd = add_node(g, NN_XENT, &logits, 1, 1, 1, 1, 1);
	if (!nd)
		return NULL;
	nd->y = y;
	logits->keep = 1;
	g->loss_node = (int)(nd - g->nodes);
	return nd->out;
}

const char *nn_op_name(int op)
{
	return op >= NN_INPUT && op <= NN_XENT ? OP_NAMES[op] : "?";
}
