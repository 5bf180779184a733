/* Element-wise and data-movement ops: ReLU, n-ary add, channel concat,
 * shift with zero fill, and inverted dropout.  All split the batch over
 * the engine threads; dropout draws its mask on the calling thread, in
 * element order, so the caller's RNG advances the same way at any thread
 * count. */
#include "nn/ops.h"
#include "nn/vec.h"

#include <string.h>

/* ---- ReLU ---- */

struct relu_ctx {
	size_t per_img;
	int n, acc_x;
	const float *x, *y, *dy;
	float *out, *dx;
};

static void relu_fwd_task(void *vc, int tid, int nt)
{
	struct relu_ctx *c = vc;
	int a, b;
	nn_part(c->n, tid, nt, &a, &b);
	size_t e = (size_t)a * c->per_img, end = (size_t)b * c->per_img;
	for (; e + 8 <= end; e += 8)
		v8_st(c->out + e, v8_relu(v8_ld(c->x + e)));
	for (; e < end; e++)
		c->out[e] = c->x[e] > 0.0f ? c->x[e] : 0.0f;
}

static void relu_bwd_task(void *vc, int tid, int nt)
{
	struct relu_ctx *c = vc;
	int a, b;
	nn_part(c->n, tid, nt, &a, &b);
	size_t e = (size_t)a * c->per_img, end = (size_t)b * c->per_img;
	for (; e + 8 <= end; e += 8) {
		v8f d = v8_where_pos(v8_ld(c->y + e), v8_ld(c->dy + e));
		if (c->acc_x)
			d += v8_ld(c->dx + e);
		v8_st(c->dx + e, d);
	}
	for (; e < end; e++) {
		float d = c->y[e] > 0.0f ? c->dy[e] : 0.0f;
		c->dx[e] = c->acc_x ? c->dx[e] + d : d;
	}
}

void nn_relu_fwd(apnas_graph *g, nn_node *nd)
{
	apnas_tensor *x = nn_in(g, nd, 0);
	struct relu_ctx c = {x->numel / (size_t)x->d.n, x->d.n, 0, x->data,
	                     NULL, NULL, nd->out->data, NULL};
	nn_par(g, relu_fwd_task, &c, (double)x->numel);
}

void nn_relu_bwd(apnas_graph *g, nn_node *nd, const unsigned char *acc)
{
	apnas_tensor *x = nn_in(g, nd, 0);
	if (!x->needs_grad)
		return;
	struct relu_ctx c = {x->numel / (size_t)x->d.n, x->d.n, acc[0], NULL,
	                     nd->out->data, nd->out->grad, NULL, x->grad};
	nn_par(g, relu_bwd_task, &c, (double)x->numel);
}

/* ---- add ---- */

struct multi_ctx {
	apnas_graph *g;
	nn_node *nd;
	const unsigned char *acc;
};

static void add_fwd_task(void *vc, int tid, int nt)
{
	struct multi_ctx *c = vc;
	apnas_tensor *o = c->nd->out;
	int a, b;
	nn_part(o->d.n, tid, nt, &a, &b);
	size_t per = o->numel / (size_t)o->d.n;
	size_t e0 = (size_t)a * per, e1 = (size_t)b * per;
	float *y = o->data;
	const int nin = c->nd->nin;
	if (nin == 1) {
		memcpy(y + e0, nn_in(c->g, c->nd, 0)->data + e0,
		       (e1 - e0) * sizeof(float));
		return;
	}
	/* ((x0 + x1) + x2) + ... in operand order, a block at a time so the
	 * partial sum stays in L1: one pass over y instead of nin. */
	for (size_t b0 = e0; b0 < e1; b0 += 2048) {
		size_t b1 = b0 + 2048 < e1 ? b0 + 2048 : e1;
		const float *x0 = nn_in(c->g, c->nd, 0)->data;
		const float *x1 = nn_in(c->g, c->nd, 1)->data;
		for (size_t e = b0; e < b1; e++)
			y[e] = x0[e] + x1[e];
		for (int i = 2; i < nin; i++) {
			const float *x = nn_in(c->g, c->nd, i)->data;
			for (size_t e = b0; e < b1; e++)
				y[e] += x[e];
		}
	}
}

static void add_bwd_task(void *vc, int tid, int nt)
{
	struct multi_ctx *c = vc;
	apnas_tensor *o = c->nd->out;
	int a, b;
	nn_part(o->d.n, tid, nt, &a, &b);
	size_t per = o->numel / (size_t)o->d.n;
	size_t e0 = (size_t)a * per, e1 = (size_t)b * per;
	const float *dy = o->grad;
	/* Operands in order, so add(x, x) overwrites then adds. */
	for (int i = 0; i < c->nd->nin; i++) {
		apnas_tensor *t = nn_in(c->g, c->nd, i);
		if (!t->needs_grad)
			continue;
		if (c->acc[i])
			for (size_t e = e0; e < e1; e++)
				t->grad[e] += dy[e];
		else
			memcpy(t->grad + e0, dy + e0, (e1 - e0) * sizeof(float));
	}
}

void nn_add_fwd(apnas_graph *g, nn_node *nd)
{
	struct multi_ctx c = {g, nd, NULL};
	nn_par(g, add_fwd_task, &c, (double)nd->out->numel * nd->nin);
}

void nn_add_bwd(apnas_graph *g, nn_node *nd, const unsigned char *acc)
{
	struct multi_ctx c = {g, nd, acc};
	nn_par(g, add_bwd_task, &c, (double)nd->out->numel * nd->nin);
}

/* ---- concat ---- */

static void concat_task(void *vc, int tid, int nt, int bwd)
{
	struct multi_ctx *c = vc;
	apnas_tensor *o = c->nd->out;
	int a, b;
	nn_part(o->d.n, tid, nt, &a, &b);
	size_t hw = (size_t)o->d.h * o->d.w;
	for (int n = a; n < b; n++) {
		size_t ch0 = 0;
		for (int i = 0; i < c->nd->nin; i++) {
			apnas_tensor *t = nn_in(c->g, c->nd, i);
			size_t cnt = (size_t)t->d.c * hw;
			size_t ob = ((size_t)n * o->d.c + ch0) * hw;
			size_t ib = (size_t)n * cnt;
			ch0 += (size_t)t->d.c;
			if (!bwd) {
				memcpy(o->data + ob, t->data + ib, cnt * sizeof(float));
			} else if (t->needs_grad) {
				if (c->acc[i])
					for (size_t e = 0; e < cnt; e++)
						t->grad[ib + e] += o->grad[ob + e];
				else
					memcpy(t->grad + ib, o->grad + ob, cnt * sizeof(float));
			}
		}
	}
}

static void concat_fwd_task(void *vc, int tid, int nt)
{
	concat_task(vc, tid, nt, 0);
}

static void concat_bwd_task(void *vc, int tid, int nt)
{
	concat_task(vc, tid, nt, 1);
}

void nn_concat_fwd(apnas_graph *g, nn_node *nd)
{
	struct multi_ctx c = {g, nd, NULL};
	nn_par(g, concat_fwd_task, &c, (double)nd->out->numel);
}

void nn_concat_bwd(apnas_graph *g, nn_node *nd, const unsigned char *acc)
{
	struct multi_ctx c = {g, nd, acc};
	nn_par(g, concat_bwd_task, &c, (double)nd->out->numel);
}

/* ---- shift ---- */

/* out[h][w] = in[h + dy][w + dx] or 0; the backward is the opposite
 * shift added into the input gradient. */
static void shift_plane(const float *in, float *out, int H, int W, int dy,
                        int dx, int acc)
{
	for (int h = 0; h < H; h++) {
		float *o = out + (size_t)h * W;
		int sh = h + dy;
		if (sh < 0 || sh >= H) {
			if (!acc)
				memset(o, 0, (size_t)W * sizeof(float));
			continue;
		}
		const float *r = in + (size_t)sh * W;
		/* columns w with w + dx in [0, W): [lo, hi) */
		int lo = dx < 0 ? -dx : 0, hi = dx > 0 ? W - dx : W;
		if (hi < lo)
			hi = lo = 0;
		if (acc) {
			for (int w = lo; w < hi; w++)
				o[w] += r[w + dx];
			continue;
		}
		memset(o, 0, (size_t)lo * sizeof(float));
		memcpy(o + lo, r + lo + dx, (size_t)(hi - lo) * sizeof(float));
		memset(o + hi, 0, (size_t)(W - hi) * sizeof(float));
	}
}

static void shift_task(void *vc, int tid, int nt, int bwd)
{
	struct multi_ctx *c = vc;
	apnas_tensor *o = c->nd->out, *x = nn_in(c->g, c->nd, 0);
	int a, b;
	nn_part(o->d.n, tid, nt, &a, &b);
	size_t hw = (size_t)o->d.h * o->d.w;
	for (size_t pl = (size_t)a * o->d.c; pl < (size_t)b * o->d.c; pl++) {
		if (!bwd)
			shift_plane(x->data + pl * hw, o->data + pl * hw, o->d.h,
			            o->d.w, c->nd->dy, c->nd->dx, 0);
		else
			shift_plane(o->grad + pl * hw, x->grad + pl * hw, o->d.h,
			            o->d.w, -c->nd->dy, -c->nd->dx, c->acc[0]);
	}
}

static void shift_fwd_task(void *vc, int tid, int nt)
{
	shift_task(vc, tid, nt, 0);
}

static void shift_bwd_task(void *vc, int tid, int nt)
{
	shift_task(vc, tid, nt, 1);
}

void nn_shift_fwd(apnas_graph *g, nn_node *nd)
{
	struct multi_ctx c = {g, nd, NULL};
	nn_par(g, shift_fwd_task, &c, (double)nd->out->numel);
}

void nn_shift_bwd(apnas_graph *g, nn_node *nd, const unsigned char *acc)
{
	if (!nn_in(g, nd, 0)->needs_grad)
		return;
	struct multi_ctx c = {g, nd, acc};
	nn_par(g, shift_bwd_task, &c, (double)nd->out->numel);
}

/* ---- dropout ---- */

struct drop_ctx {
	size_t per;
	int n, acc_x;
	const unsigned char *mask;
	float scale;
	const float *x, *dy;
	float *y, *dx;
};

static void drop_task(void *vc, int tid, int nt, int bwd)
{
	struct drop_ctx *c = vc;
	int a, b;
	nn_part(c->n, tid, nt, &a, &b);
	for (size_t e = (size_t)a * c->per; e < (size_t)b * c->per; e++) {
		float keep = c->mask ? (c->mask[e] ? c->scale : 0.0f) : 1.0f;
		if (!bwd)
			c->y[e] = c->x[e] * keep;
		else
			c->dx[e] = (c->acc_x ? c->dx[e] : 0.0f) + c->dy[e] * keep;
	}
}

static void drop_fwd_task(void *vc, int tid, int nt)
{
	drop_task(vc, tid, nt, 0);
}

static void drop_bwd_task(void *vc, int tid, int nt)
{
	drop_task(vc, tid, nt, 1);
}

void nn_dropout_fwd(apnas_graph *g, nn_node *nd, apnas_mode mode)
{
	apnas_tensor *x = nn_in(g, nd, 0);
	struct drop_ctx c = {x->numel / (size_t)x->d.n, x->d.n, 0, NULL,
	                     1.0f, x->data, NULL, nd->out->data, NULL};
	if (mode == APNAS_MODE_TRAIN && nd->p > 0) {
		unsigned char *m = nd->aux;
		/* Sharded: the lower ranks' images' draws, ours, the higher
		 * ranks', so the stream moves as in one process. */
		size_t before = 0, after = 0;
		if (g->shards > 1) {
			before = (size_t)g->sh_offset * c.per;
			after = ((size_t)g->sh_total - (size_t)g->sh_offset -
			         (size_t)x->d.n) * c.per;
		}
		for (size_t e = 0; e < before; e++)
			(void)apnas_rng_uniformf(nd->rng);
		for (size_t e = 0; e < x->numel; e++)
			m[e] = apnas_rng_uniformf(nd->rng) >= nd->p;
		for (size_t e = 0; e < after; e++)
			(void)apnas_rng_uniformf(nd->rng);
		c.mask = m;
		c.scale = 1.0f / (1.0f - nd->p);
	} else if (mode == APNAS_MODE_TRAIN) {
		memset(nd->aux, 1, x->numel);
	}
	nn_par(g, drop_fwd_task, &c, (double)x->numel);
}

void nn_dropout_bwd(apnas_graph *g, nn_node *nd, const unsigned char *acc)
{
	apnas_tensor *x = nn_in(g, nd, 0);
	if (!x->needs_grad)
		return;
	struct drop_ctx c = {x->numel / (size_t)x->d.n, x->d.n, acc[0],
	                     nd->aux, 1.0f / (1.0f - nd->p), NULL,
	                     nd->out->grad, NULL, x->grad};
	nn_par(g, drop_bwd_task, &c, (double)x->numel);
}
