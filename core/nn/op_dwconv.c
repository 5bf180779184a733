/* Depthwise convolution by direct loops: each channel's plane is copied
 * once into a zero-padded scratch plane, so the stride-1 inner loops run
 * branch-free over 8-float vectors.  (Through sgemm a depthwise conv is a
 * GEMM with M = 1 and reaches a fraction of this.)  The input gradient of
 * a stride-1 depthwise conv is itself a stride-1 depthwise conv of the
 * output gradient with the kernel flipped and padding k-1-p, so the same
 * kernel serves both.  Other strides use plain scalar loops. */
#include "nn/ops.h"
#include "nn/vec.h"

#include <string.h>

typedef struct geom {
	int n, c, h, w, k, s, p, ho, wo;
	int wp;   /* padded input row stride: round8(wo) + k - 1 */
	int hp;   /* padded input rows: h + 2p */
	int bp;   /* backward-data padding: k - 1 - p */
	int bwp;  /* padded output-gradient row stride: round8(w) + k - 1 */
	int bhp;  /* its rows: ho + 2 bp */
} geom;

static geom geom_of(const apnas_graph *g, const nn_node *nd)
{
	const apnas_tensor *x = nn_in(g, nd, 0);
	geom q;
	q.n = x->d.n;
	q.c = x->d.c;
	q.h = x->d.h;
	q.w = x->d.w;
	q.k = nd->k;
	q.s = nd->stride;
	q.p = nd->pad;
	q.ho = nd->out->d.h;
	q.wo = nd->out->d.w;
	q.wp = round8(q.wo) + q.k - 1;
	if (q.wp < q.w + 2 * q.p)
		q.wp = q.w + 2 * q.p;
	q.hp = q.h + 2 * q.p;
	q.bp = q.k - 1 - q.p;
	q.bwp = round8(q.w) + q.k - 1;
	if (q.bwp < q.wo + 2 * q.bp)
		q.bwp = q.wo + 2 * q.bp;
	q.bhp = q.ho + 2 * q.bp;
	return q;
}

/* Per-thread workspace: padded input plane, padded output-gradient plane
 * (the larger of the two layouts it is used in), one output row of
 * round8 width, and the weight-gradient partial [c][k][k]. */
static size_t plane_bytes(const geom *q)
{
	return nn_round_up(((size_t)q->hp * q->wp + 8) * sizeof(float));
}

static size_t bplane_bytes(const geom *q)
{
	size_t a = (size_t)q->bhp * q->bwp;
	size_t b = (size_t)q->ho * round8(q->wo);
	return nn_round_up(((a > b ? a : b) + 8) * sizeof(float));
}

static size_t row_bytes(const geom *q)
{
	int m = q->wo > q->w ? q->wo : q->w;
	return nn_round_up((size_t)(round8(m) + 8) * sizeof(float));
}

static size_t part_off(const geom *q)
{
	return plane_bytes(q) + bplane_bytes(q) + row_bytes(q);
}

size_t nn_dwconv_ws(const apnas_graph *g, const nn_node *nd)
{
	geom q = geom_of(g, nd);
	return part_off(&q) +
	       nn_round_up((size_t)q.c * q.k * q.k * sizeof(float));
}

/* Copies an h x w plane into a zeroed (h + 2p) x stride plane at (p, p);
 * the right border extends to the full stride. */
static void pad_plane(const float *x, int h, int w, int p, int stride,
                      int rows, float *xp)
{
	memset(xp, 0, (size_t)p * stride * sizeof(float));
	for (int r = 0; r < h; r++) {
		float *d = xp + (size_t)(r + p) * stride;
		for (int e = 0; e < p; e++)
			d[e] = 0.0f;
		v8_copy(d + p, x + (size_t)r * w, w);
		for (int e = p + w; e < stride; e++)
			d[e] = 0.0f;
	}
	memset(xp + (size_t)(h + p) * stride, 0,
	       (size_t)(rows - h - p) * stride * sizeof(float));
}

/* y[oh][ow] (+)= sum_ij wk[i][j] xp[oh + i][ow + j] for a padded plane xp
 * with row stride wp; tmp holds round8(wo) floats. */
static void dw_s1(const float *xp, int wp, int ho, int wo, const float *wk,
                  int k, float *y, int acc, float *tmp)
{
	const int w8 = round8(wo);
	for (int oh = 0; oh < ho; oh++) {
		int ow = 0;
		for (; ow + 32 <= w8; ow += 32) {
			v8f a0 = v8_set1(0), a1 = a0, a2 = a0, a3 = a0;
			for (int i = 0; i < k; i++) {
				const float *r = xp + (size_t)(oh + i) * wp + ow;
				for (int j = 0; j < k; j++) {
					v8f wv = v8_set1(wk[i * k + j]);
					a0 += wv * v8_ld(r + j);
					a1 += wv * v8_ld(r + j + 8);
					a2 += wv * v8_ld(r + j + 16);
					a3 += wv * v8_ld(r + j + 24);
				}
			}
			v8_st(tmp + ow, a0);
			v8_st(tmp + ow + 8, a1);
			v8_st(tmp + ow + 16, a2);
			v8_st(tmp + ow + 24, a3);
		}
		for (; ow < w8; ow += 8) {
			v8f a0 = v8_set1(0);
			for (int i = 0; i < k; i++) {
				const float *r = xp + (size_t)(oh + i) * wp + ow;
				for (int j = 0; j < k; j++)
					a0 += v8_set1(wk[i * k + j]) * v8_ld(r + j);
			}
			v8_st(tmp + ow, a0);
		}
		float *yr = y + (size_t)oh * wo;
		if (acc)
			for (int e = 0; e < wo; e++)
				yr[e] += tmp[e];
		else
			v8_copy(yr, tmp, wo);
	}
}

/* Scalar loops for strides other than 1. */
static void dw_fwd_any(const geom *q, const float *x, const float *wk,
                       float *y)
{
	for (int oh = 0; oh < q->ho; oh++)
		for (int ow = 0; ow < q->wo; ow++) {
			float s = 0.0f;
			for (int i = 0; i < q->k; i++) {
				int ih = oh * q->s - q->p + i;
				if (ih < 0 || ih >= q->h)
					continue;
				for (int j = 0; j < q->k; j++) {
					int iw = ow * q->s - q->p + j;
					if (iw >= 0 && iw < q->w)
						s += wk[i * q->k + j] * x[ih * q->w + iw];
				}
			}
			y[oh * q->wo + ow] = s;
		}
}

static void dw_bwd_any(const geom *q, const float *x, const float *wk,
                       const float *dy, float *dx, float *dwk)
{
	for (int oh = 0; oh < q->ho; oh++)
		for (int ow = 0; ow < q->wo; ow++) {
			float g = dy[oh * q->wo + ow];
			for (int i = 0; i < q->k; i++) {
				int ih = oh * q->s - q->p + i;
				if (ih < 0 || ih >= q->h)
					continue;
				for (int j = 0; j < q->k; j++) {
					int iw = ow * q->s - q->p + j;
					if (iw < 0 || iw >= q->w)
						continue;
					dwk[i * q->k + j] += g * x[ih * q->w + iw];
					if (dx)
						dx[ih * q->w + iw] += g * wk[i * q->k + j];
				}
			}
		}
}

static double dw_work(const geom *q)
{
	return (double)q->n * q->c * q->ho * q->wo * q->k * q->k;
}

struct dw_ctx {
	apnas_graph *g;
	geom q;
	const float *x, *w, *dy;
	float *y, *dx;
	int acc_x;
};

static void dw_fwd_task(void *vc, int tid, int nt)
{
	struct dw_ctx *c = vc;
	const geom *q = &c->q;
	int a, b;
	nn_part(q->n, tid, nt, &a, &b);
	unsigned char *ws = nn_ws(c->g, tid);
	float *xp = (float *)ws;
	float *tmp = (float *)(ws + plane_bytes(q) + bplane_bytes(q));
	const int kk = q->k * q->k;
	for (int n = a; n < b; n++)
		for (int ch = 0; ch < q->c; ch++) {
			size_t pl = (size_t)n * q->c + ch;
			const float *xc = c->x + pl * q->h * q->w;
			float *yc = c->y + pl * q->ho * q->wo;
			if (q->s == 1) {
				pad_plane(xc, q->h, q->w, q->p, q->wp, q->hp, xp);
				dw_s1(xp, q->wp, q->ho, q->wo, c->w + ch * kk, q->k, yc,
				      0, tmp);
			} else {
				dw_fwd_any(q, xc, c->w + ch * kk, yc);
			}
		}
}

void nn_dwconv_fwd(apnas_graph *g, nn_node *nd)
{
	struct dw_ctx c = {0};
	c.g = g;
	c.q = geom_of(g, nd);
	c.x = nn_in(g, nd, 0)->data;
	c.w = nd->w->value;
	c.y = nd->out->data;
	nn_par(g, dw_fwd_task, &c, dw_work(&c.q));
}

/* dwk[i][j] (+)= sum_{oh, ow} dy[oh][ow] xp[oh + i][ow + j], with dy in a
 * plane of row stride round8(wo) whose extra columns are zero.  Each
 * output-gradient vector is loaded once per kernel row and used for all
 * k taps of that row; K is a compile-time constant in the common cases so
 * the k accumulators stay in registers. */
static inline __attribute__((always_inline)) void
dw_wgrad_rows(const geom *q, const float *xp, const float *dyp, float *dwk,
              int first, const int K)
{
	const int w8 = round8(q->wo);
	for (int i = 0; i < K; i++) {
		v8f a[16];
		for (int j = 0; j < K; j++)
			a[j] = v8_set1(0);
		for (int oh = 0; oh < q->ho; oh++) {
			const float *r = xp + (size_t)(oh + i) * q->wp;
			const float *d = dyp + (size_t)oh * w8;
			for (int ow = 0; ow < w8; ow += 8) {
				v8f g = v8_ld(d + ow);
				for (int j = 0; j < K; j++)
					a[j] += g * v8_ld(r + ow + j);
			}
		}
		for (int j = 0; j < K; j++) {
			float s = v8_hsum(a[j]);
			dwk[i * K + j] = first ? s : dwk[i * K + j] + s;
		}
	}
}

static void dw_wgrad_s1(const geom *q, const float *xp, const float *dyp,
                        float *dwk, int first)
{
	switch (q->k) {
	case 3:
		dw_wgrad_rows(q, xp, dyp, dwk, first, 3);
		break;
	case 5:
		dw_wgrad_rows(q, xp, dyp, dwk, first, 5);
		break;
	case 7:
		dw_wgrad_rows(q, xp, dyp, dwk, first, 7);
		break;
	default: /* k <= 15, checked when the op is built */
		dw_wgrad_rows(q, xp, dyp, dwk, first, q->k);
		break;
	}
}

static void dw_bwd_task(void *vc, int tid, int nt)
{
	struct dw_ctx *c = vc;
	const geom *q = &c->q;
	int a, b;
	nn_part(q->n, tid, nt, &a, &b);
	unsigned char *ws = nn_ws(c->g, tid);
	float *xp = (float *)ws;
	float *bp = (float *)(ws + plane_bytes(q));
	float *tmp = (float *)(ws + plane_bytes(q) + bplane_bytes(q));
	float *part = (float *)(ws + part_off(q));
	const int k = q->k, kk = k * k;
	if (a == b) {
		memset(part, 0, (size_t)q->c * kk * sizeof(float));
		return;
	}
	for (int n = a; n < b; n++)
		for (int ch = 0; ch < q->c; ch++) {
			size_t pl = (size_t)n * q->c + ch;
			const float *xc = c->x + pl * q->h * q->w;
			const float *dyc = c->dy + pl * q->ho * q->wo;
			float *dxc = c->dx ? c->dx + pl * q->h * q->w : NULL;
			float *dwk = part + ch * kk;
			if (q->s != 1) {
				if (n == a)
					memset(dwk, 0, (size_t)kk * sizeof(float));
				if (dxc && !c->acc_x)
					memset(dxc, 0, (size_t)q->h * q->w * sizeof(float));
				dw_bwd_any(q, xc, c->w + ch * kk, dyc, dxc, dwk);
				continue;
			}
			/* weight gradient: dy with zeroed round8 row tails */
			const int w8 = round8(q->wo);
			pad_plane(xc, q->h, q->w, q->p, q->wp, q->hp, xp);
			for (int oh = 0; oh < q->ho; oh++) {
				float *d = bp + (size_t)oh * w8;
				v8_copy(d, dyc + (size_t)oh * q->wo, q->wo);
				for (int e = q->wo; e < w8; e++)
					d[e] = 0.0f;
			}
			dw_wgrad_s1(q, xp, bp, dwk, n == a);
			if (!dxc)
				continue;
			/* input gradient: flipped kernel over dy padded by k-1-p */
			float flip[kk];
			for (int e = 0; e < kk; e++)
				flip[e] = c->w[ch * kk + kk - 1 - e];
			pad_plane(dyc, q->ho, q->wo, q->bp, q->bwp, q->bhp, bp);
			dw_s1(bp, q->bwp, q->h, q->w, flip, k, dxc, c->acc_x, tmp);
		}
}

void nn_dwconv_bwd(apnas_graph *g, nn_node *nd, const unsigned char *acc)
{
	apnas_tensor *x = nn_in(g, nd, 0);
	struct dw_ctx c = {0};
	c.g = g;
	c.q = geom_of(g, nd);
	c.x = x->data;
	c.w = nd->w->value;
	c.dy = nd->out->grad;
	c.dx = x->needs_grad ? x->grad : NULL;
	c.acc_x = acc[0];
	nn_par(g, dw_bwd_task, &c, 2 * dw_work(&c.q));
	nn_reduce_partials(g, nd->w->grad, (size_t)c.q.c * c.q.k * c.q.k,
	                   part_off(&c.q), nn_param_acc(nd->w));
}
