/* Max and average pooling over k x k windows, and global average pooling.
 * Max pooling records, in TRAIN mode, which window element won (one byte
 * per output) so its backward needs neither the input nor a search.  Ties
 * go to the first element in row-major window order. */
#include "nn/ops.h"

#include <math.h>
#include <string.h>

typedef struct geom {
	int n, c, h, w, k, s, p, ho, wo;
} geom;

static geom geom_of(const apnas_graph *g, const nn_node *nd)
{
	const apnas_tensor *x = nn_in(g, nd, 0);
	geom q = {x->d.n, x->d.c, x->d.h, x->d.w, nd->k, nd->stride, nd->pad,
	          nd->out->d.h, nd->out->d.w};
	return q;
}

/* Output columns [lo, hi) whose window column j is inside the input. */
static inline void valid_range(const geom *q, int j, int *lo, int *hi)
{
	int a = q->p - j;
	int l = a > 0 ? (a + q->s - 1) / q->s : 0;
	int b = q->w - 1 + q->p - j;
	int h = b < 0 ? 0 : b / q->s + 1;
	if (h > q->wo)
		h = q->wo;
	if (l > h)
		l = h;
	*lo = l;
	*hi = h;
}

/* Number of window rows (or columns) of output index o inside [0, n). */
static inline int window_count(int o, int s, int p, int k, int n)
{
	int a = o * s - p, b = a + k;
	if (a < 0)
		a = 0;
	if (b > n)
		b = n;
	return b - a;
}

struct pool_ctx {
	geom q;
	int max, count_pad;
	const float *x, *dy;
	float *y, *dx;
	unsigned char *idx; /* maxpool, TRAIN only */
	int acc_x;
};

static void max_plane(const geom *q, const float *x, float *y,
                      unsigned char *idx)
{
	for (int oh = 0; oh < q->ho; oh++) {
		float *yr = y + (size_t)oh * q->wo;
		unsigned char *ir = idx ? idx + (size_t)oh * q->wo : NULL;
		for (int ow = 0; ow < q->wo; ow++)
			yr[ow] = -INFINITY;
		if (ir)
			memset(ir, 0, (size_t)q->wo);
		for (int i = 0; i < q->k; i++) {
			int ih = oh * q->s - q->p + i;
			if (ih < 0 || ih >= q->h)
				continue;
			const float *xr = x + (size_t)ih * q->w - q->p;
			for (int j = 0; j < q->k; j++) {
				int lo, hi;
				valid_range(q, j, &lo, &hi);
				unsigned char code = (unsigned char)(i * q->k + j);
				if (ir) {
					for (int ow = lo; ow < hi; ow++) {
						float v = xr[ow * q->s + j];
						int gt = v > yr[ow];
						yr[ow] = gt ? v : yr[ow];
						ir[ow] = gt ? code : ir[ow];
					}
				} else if (q->s == 1) {
					for (int ow = lo; ow < hi; ow++) {
						float v = xr[ow + j];
						yr[ow] = v > yr[ow] ? v : yr[ow];
					}
				} else {
					for (int ow = lo; ow < hi; ow++) {
						float v = xr[ow * q->s + j];
						yr[ow] = v > yr[ow] ? v : yr[ow];
					}
				}
			}
		}
	}
}

static void avg_plane(const geom *q, int count_pad, const float *x, float *y)
{
	const float full = 1.0f / (float)(q->k * q->k);
	for (int oh = 0; oh < q->ho; oh++) {
		float *yr = y + (size_t)oh * q->wo;
		memset(yr, 0, (size_t)q->wo * sizeof(float));
		for (int i = 0; i < q->k; i++) {
			int ih = oh * q->s - q->p + i;
			if (ih < 0 || ih >= q->h)
				continue;
			const float *xr = x + (size_t)ih * q->w - q->p;
			for (int j = 0; j < q->k; j++) {
				int lo, hi;
				valid_range(q, j, &lo, &hi);
				if (q->s == 1)
					for (int ow = lo; ow < hi; ow++)
						yr[ow] += xr[ow + j];
				else
					for (int ow = lo; ow < hi; ow++)
						yr[ow] += xr[ow * q->s + j];
			}
		}
		if (count_pad) {
			for (int ow = 0; ow < q->wo; ow++)
				yr[ow] *= full;
		} else {
			int ch = window_count(oh, q->s, q->p, q->k, q->h);
			for (int ow = 0; ow < q->wo; ow++)
				yr[ow] /= (float)(ch * window_count(ow, q->s, q->p, q->k,
				                                    q->w));
		}
	}
}

static void pool_fwd_task(void *vc, int tid, int nt)
{
	struct pool_ctx *c = vc;
	const geom *q = &c->q;
	int a, b;
	nn_part(q->n, tid, nt, &a, &b);
	size_t in_pl = (size_t)q->h * q->w, out_pl = (size_t)q->ho * q->wo;
	for (int n = a; n < b; n++)
		for (int ch = 0; ch < q->c; ch++) {
			size_t pl = (size_t)n * q->c + ch;
			if (c->max)
				max_plane(q, c->x + pl * in_pl, c->y + pl * out_pl,
				          c->idx ? c->idx + pl * out_pl : NULL);
			else
				avg_plane(q, c->count_pad, c->x + pl * in_pl,
				          c->y + pl * out_pl);
		}
}

void nn_pool_fwd(apnas_graph *g, nn_node *nd, apnas_mode mode)
{
	struct pool_ctx c = {0};
	c.q = geom_of(g, nd);
	c.max = nd->op == NN_MAXPOOL;
	c.count_pad = nd->flag;
	c.x = nn_in(g, nd, 0)->data;
	c.y = nd->out->data;
	c.idx = c.max && mode == APNAS_MODE_TRAIN ? nd->aux : NULL;
	nn_par(g, pool_fwd_task, &c, (double)nd->out->numel * nd->k * nd->k);
}

static void pool_bwd_task(void *vc, int tid, int nt)
{
	struct pool_ctx *c = vc;
	const geom *q = &c->q;
	int a, b;
	nn_part(q->n, tid, nt, &a, &b);
	size_t in_pl = (size_t)q->h * q->w, out_pl = (size_t)q->ho * q->wo;
	const float full = 1.0f / (float)(q->k * q->k);
	for (int n = a; n < b; n++)
		for (int ch = 0; ch < q->c; ch++) {
			size_t pl = (size_t)n * q->c + ch;
			float *dx = c->dx + pl * in_pl;
			const float *dy = c->dy + pl * out_pl;
			if (!c->acc_x)
				memset(dx, 0, in_pl * sizeof(float));
			if (c->max) {
				const unsigned char *id = c->idx + pl * out_pl;
				for (int oh = 0; oh < q->ho; oh++)
					for (int ow = 0; ow < q->wo; ow++) {
						int e = oh * q->wo + ow;
						int i = id[e] / q->k, j = id[e] % q->k;
						int ih = oh * q->s - q->p + i;
						int iw = ow * q->s - q->p + j;
						dx[(size_t)ih * q->w + iw] += dy[e];
					}
				continue;
			}
			for (int oh = 0; oh < q->ho; oh++) {
				const float *dr = dy + (size_t)oh * q->wo;
				int cnt_h = window_count(oh, q->s, q->p, q->k, q->h);
				for (int i = 0; i < q->k; i++) {
					int ih = oh * q->s - q->p + i;
					if (ih < 0 || ih >= q->h)
						continue;
					float *xr = dx + (size_t)ih * q->w - q->p;
					for (int j = 0; j < q->k; j++) {
						int lo, hi;
						valid_range(q, j, &lo, &hi);
						for (int ow = lo; ow < hi; ow++) {
							float f = c->count_pad
							    ? full
							    : 1.0f / (float)(cnt_h *
							                     window_count(ow, q->s, q->p,
							                                  q->k, q->w));
							xr[ow * q->s + j] += dr[ow] * f;
						}
					}
				}
			}
		}
}

void nn_pool_bwd(apnas_graph *g, nn_node *nd, const unsigned char *acc)
{
	apnas_tensor *x = nn_in(g, nd, 0);
	if (!x->needs_grad)
		return;
	struct pool_ctx c = {0};
	c.q = geom_of(g, nd);
	c.max = nd->op == NN_MAXPOOL;
	c.count_pad = nd->flag;
	c.dy = nd->out->grad;
	c.dx = x->grad;
	c.idx = nd->aux;
	c.acc_x = acc[0];
	nn_par(g, pool_bwd_task, &c, (double)nd->out->numel * nd->k * nd->k);
}

struct gap_ctx {
	int n, c, hw, acc_x;
	const float *x, *dy;
	float *y, *dx;
};

static void gap_fwd_task(void *vc, int tid, int nt)
{
	struct gap_ctx *c = vc;
	int a, b;
	nn_part(c->n, tid, nt, &a, &b);
	for (size_t pl = (size_t)a * c->c; pl < (size_t)b * c->c; pl++) {
		const float *x = c->x + pl * c->hw;
		float s = 0.0f;
		for (int e = 0; e < c->hw; e++)
			s += x[e];
		c->y[pl] = s / (float)c->hw;
	}
}

static void gap_bwd_task(void *vc, int tid, int nt)
{
	struct gap_ctx *c = vc;
	int a, b;
	nn_part(c->n, tid, nt, &a, &b);
	for (size_t pl = (size_t)a * c->c; pl < (size_t)b * c->c; pl++) {
		float *dx = c->dx + pl * c->hw;
		float v = c->dy[pl] / (float)c->hw;
		if (c->acc_x)
			for (int e = 0; e < c->hw; e++)
				dx[e] += v;
		else
			for (int e = 0; e < c->hw; e++)
				dx[e] = v;
	}
}

void nn_gap_fwd(apnas_graph *g, nn_node *nd)
{
	apnas_tensor *x = nn_in(g, nd, 0);
	struct gap_ctx c = {x->d.n, x->d.c, x->d.h * x->d.w, 0, x->data, NULL,
	                    nd->out->data, NULL};
	nn_par(g, gap_fwd_task, &c, (double)x->numel);
}

void nn_gap_bwd(apnas_graph *g, nn_node *nd, const unsigned char *acc)
{
	apnas_tensor *x = nn_in(g, nd, 0);
	if (!x->needs_grad)
		return;
	struct gap_ctx c = {x->d.n, x->d.c, x->d.h * x->d.w, acc[0], NULL,
	                    nd->out->grad, NULL, x->grad};
	nn_par(g, gap_bwd_task, &c, (double)x->numel);
}
