/* Dense convolution by im2col + sgemm, one image at a time per engine
 * thread, for 1x1 and strided kernels; stride-1 kernels larger than 1x1
 * go to the direct convolution of op_conv_direct.c, and stride-1 3x3 ones
 * in the forward-only modes to the Winograd one of op_conv_wino.c.  Per-image GEMMs keep the column buffer in the core's L2 cache,
 * which measured 1.5-2x faster on this machine's thin 32-channel shapes
 * than one whole-batch GEMM (see ../shared/docs/baselines.md).  A 1x1
 * stride-1 conv needs no columns: the image itself is the GEMM operand.
 * Weight gradients accumulate per thread and are summed in thread order. */
#include "nn/conv_direct.h"
#include "nn/conv_wino.h"
#include "nn/isa.h"
#include "nn/ops.h"

#include <cblas.h>
#include <math.h>
#include <string.h>
#if defined(__AVX2__)
#include <immintrin.h>
#endif

typedef struct geom {
	int n, cin, h, w, cout, k, s, p, ho, wo;
	int kk;       /* cin * k * k: GEMM depth */
	int hw, howo; /* pixels per input / output plane */
	int direct;   /* 1x1, stride 1, pad 0: no columns needed */
} geom;

static geom geom_of(const apnas_graph *g, const nn_node *nd)
{
	const apnas_tensor *x = nn_in(g, nd, 0);
	geom q;
	q.n = x->d.n;
	q.cin = x->d.c;
	q.h = x->d.h;
	q.w = x->d.w;
	q.cout = nd->out->d.c;
	q.k = nd->k;
	q.s = nd->stride;
	q.p = nd->pad;
	q.ho = nd->out->d.h;
	q.wo = nd->out->d.w;
	q.kk = q.cin * q.k * q.k;
	q.hw = q.h * q.w;
	q.howo = q.ho * q.wo;
	q.direct = q.k == 1 && q.s == 1 && q.p == 0;
	return q;
}

/* Workspace layout per thread: columns [kk][howo], weight-gradient
 * partial [cout][kk], bias partial [cout]. */
static size_t col_bytes(const geom *q)
{
	return q->direct ? 0 : nn_round_up((size_t)q->kk * q->howo * sizeof(float));
}

static size_t dw_bytes(const geom *q)
{
	return nn_round_up((size_t)q->cout * q->kk * sizeof(float));
}

/* Winograd only where nothing runs backward: its rounding differs from the
 * direct convolution's, and TRAIN's backward must match its forward. */
static int use_wino(const apnas_graph *g, const nn_node *nd)
{
	return g->mode != APNAS_MODE_TRAIN && nn_conv_wino_ok(g, nd);
}

/* The direct kernels of the widest build the CPU runs (nn/isa.h); the
 * plan's workspace and the run use the same one. */
static size_t direct_ws(const apnas_graph *g, const nn_node *nd)
{
#ifdef NN_HAVE_V4
	if (nn_isa_wide())
		return nn_conv_direct_ws_v4(g, nd);
#endif
	return nn_conv_direct_ws(g, nd);
}

static size_t direct_partial(const apnas_graph *g, const nn_node *nd,
                             size_t *bias_off)
{
#ifdef NN_HAVE_V4
	if (nn_isa_wide())
		return nn_conv_direct_partial_v4(g, nd, bias_off);
#endif
	return nn_conv_direct_partial(g, nd, bias_off);
}

static void direct_fwd(apnas_graph *g, nn_node *nd, const float *x,
                       const float *w, const nn_epi *e, float *y)
{
#ifdef NN_HAVE_V4
	if (nn_isa_wide()) {
		nn_conv_direct_fwd_v4(g, nd, x, w, e, y);
		return;
	}
#endif
	nn_conv_direct_fwd(g, nd, x, w, e, y);
}

static void direct_bwd(apnas_graph *g, nn_node *nd, const float *x,
                       const float *w, const float *dy, float *dx, int acc_x,
                       int need_db)
{
#ifdef NN_HAVE_V4
	if (nn_isa_wide()) {
		nn_conv_direct_bwd_v4(g, nd, x, w, dy, dx, acc_x, need_db);
		return;
	}
#endif
	nn_conv_direct_bwd(g, nd, x, w, dy, dx, acc_x, need_db);
}

size_t nn_conv_ws(const apnas_graph *g, const nn_node *nd)
{
	if (use_wino(g, nd))
		return nn_conv_wino_ws(g, nd);
	if (nn_conv_direct_ok(g, nd))
		return direct_ws(g, nd);
	geom q = geom_of(g, nd);
	return col_bytes(&q) + dw_bytes(&q) +
	       nn_round_up((size_t)q.cout * sizeof(float));
}

/* Valid output columns [lo, hi) for kernel column j: those whose input
 * column wo*s - p + j lies in [0, w). */
static inline void valid_range(int wo_n, int s, int p, int j, int w, int *lo,
                               int *hi)
{
	int a = p - j; /* need wo*s >= a */
	int l = a > 0 ? (a + s - 1) / s : 0;
	int b = w - 1 + p - j; /* need wo*s <= b */
	int h = b < 0 ? 0 : b / s + 1;
	if (h > wo_n)
		h = wo_n;
	if (l > h)
		l = h;
	*lo = l;
	*hi = h;
}

/* dst[i] = src[2 i] for i < n, reading no further than src[avail - 1]:
 * the factorized reductions' stride-2 1x1 convs gather a quarter of every
 * plane, which element by element took as long as their GEMMs. */
static void gather2(float *dst, const float *src, int n, int avail)
{
	int i = 0;
#if defined(__AVX2__)
	for (; i + 8 <= n && 2 * i + 16 <= avail; i += 8) {
		__m256 a = _mm256_loadu_ps(src + 2 * i);
		__m256 b = _mm256_loadu_ps(src + 2 * i + 8);
		/* a0 a2 b0 b2 | a4 a6 b4 b6, then the 64-bit lanes reordered */
		__m256 t = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
		t = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t),
		                                           _MM_SHUFFLE(3, 1, 2, 0)));
		_mm256_storeu_ps(dst + i, t);
	}
#else
	(void)avail;
#endif
	for (; i < n; i++)
		dst[i] = src[2 * i];
}

/* col[(c*k + i)*k + j][oh*wo + ow] = x[c][oh*s - p + i][ow*s - p + j]. */
static void im2col(const geom *q, const float *x, float *col)
{
	const int k = q->k, s = q->s, p = q->p, wo = q->wo;
	for (int c = 0; c < q->cin; c++) {
		const float *xc = x + (size_t)c * q->hw;
		for (int i = 0; i < k; i++) {
			for (int j = 0; j < k; j++) {
				float *row = col + ((size_t)(c * k + i) * k + j) * q->howo;
				int lo, hi;
				valid_range(wo, s, p, j, q->w, &lo, &hi);
				for (int oh = 0; oh < q->ho; oh++) {
					float *r = row + (size_t)oh * wo;
					int ih = oh * s - p + i;
					if (ih < 0 || ih >= q->h) {
						memset(r, 0, (size_t)wo * sizeof(float));
						continue;
					}
					const float *xr = xc + (size_t)ih * q->w;
					for (int ow = 0; ow < lo; ow++)
						r[ow] = 0.0f;
					if (s == 1)
						memcpy(r + lo, xr + lo - p + j,
						       (size_t)(hi - lo) * sizeof(float));
					else if (s == 2)
						gather2(r + lo, xr + 2 * lo - p + j, hi - lo,
						        q->w - (2 * lo - p + j));
					else
						for (int ow = lo; ow < hi; ow++)
							r[ow] = xr[ow * s - p + j];
					for (int ow = hi; ow < wo; ow++)
						r[ow] = 0.0f;
				}
			}
		}
	}
}

/* The adjoint of im2col: dx[c][ih][iw] += every column entry that read it. */
static void col2im_add(const geom *q, const float *col, float *dx)
{
	const int k = q->k, s = q->s, p = q->p, wo = q->wo;
	for (int c = 0; c < q->cin; c++) {
		float *dc = dx + (size_t)c * q->hw;
		for (int i = 0; i < k; i++) {
			for (int j = 0; j < k; j++) {
				const float *row =
				    col + ((size_t)(c * k + i) * k + j) * q->howo;
				int lo, hi;
				valid_range(wo, s, p, j, q->w, &lo, &hi);
				for (int oh = 0; oh < q->ho; oh++) {
					int ih = oh * s - p + i;
					if (ih < 0 || ih >= q->h)
						continue;
					const float *r = row + (size_t)oh * wo;
					float *dr = dc + (size_t)ih * q->w - p + j;
					if (s == 1)
						for (int ow = lo; ow < hi; ow++)
							dr[ow] += r[ow];
					else
						for (int ow = lo; ow < hi; ow++)
							dr[ow * s] += r[ow];
				}
			}
		}
	}
}

static double conv_work(const geom *q)
{
	return (double)q->n * q->cout * q->howo * q->kk;
}

struct conv_ctx {
	apnas_graph *g;
	const nn_node *nd;
	geom q;
	const nn_epi *e;
	const float *x, *w;
	float *y;
	const float *dy;
	float *dx;    /* NULL: no input gradient */
	int acc_x;
	int need_db;
};

static void conv_fwd_task(void *vc, int tid, int nt)
{
	struct conv_ctx *c = vc;
	const geom *q = &c->q;
	int a, b;
	nn_part(q->n, tid, nt, &a, &b);
	float *col = nn_ws(c->g, tid);
	for (int n = a; n < b; n++) {
		const float *xn = c->x + (size_t)n * q->cin * q->hw;
		float *yn = c->y + (size_t)n * q->cout * q->howo;
		const float *B = xn;
		if (!q->direct) {
			im2col(q, xn, col);
			B = col;
		}
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, q->cout,
		            q->howo, q->kk, 1.0f, c->w, q->kk, B, q->howo, 0.0f,
		            yn, q->howo);
		if (c->e)
			for (int o = 0; o < q->cout; o++)
				nn_epi_apply(c->e, o, yn + (size_t)o * q->howo,
				             (size_t)q->howo);
		if (c->nd->bnstat)
			nn_image_stats(yn, q->cout, q->howo,
			               (float *)c->nd->aux + 2 * (size_t)n * q->cout);
	}
}

int nn_conv_can_fuse(const apnas_graph *g, size_t i)
{
	const nn_node *nd = &g->nodes[i];
	if (nd->op != NN_CONV || i + 1 >= g->n_nodes)
		return 0;
	const nn_node *bn = &g->nodes[i + 1];
	return (bn->op == NN_BN || bn->op == NN_BN_RELU) &&
	       nn_in(g, bn, 0) == nd->out && nd->out->last_use == (int)i + 1 &&
	       !nd->out->keep;
}

void nn_epi_apply(const nn_epi *e, int o, float *y, size_t hw)
{
	const float a = e->a ? e->a[o] : 1.0f, b = e->b ? e->b[o] : 0.0f;
	if (e->relu)
		for (size_t i = 0; i < hw; i++) {
			float v = a * y[i] + b;
			y[i] = v > 0.0f ? v : 0.0f;
		}
	else
		for (size_t i = 0; i < hw; i++)
			y[i] = a * y[i] + b;
}

void nn_conv_fwd(apnas_graph *g, nn_node *nd)
{
	nn_epi e = {NULL, nd->b ? nd->b->value : NULL, 0}, *ep = nd->b ? &e : NULL;
	float *y = nd->out->data;
	if (nd->fuse) {
		/* INFER: bn(conv + bias) = a conv + (a bias + beta - a mean),
		 * a = gamma / sqrt(var + eps), all constants */
		const nn_node *bnn = nd + 1;
		const apnas_bn *bn = &bnn->bn;
		int c = nd->out->d.c;
		float *a = g->ep, *b = g->ep + g->ep_cap;
		for (int o = 0; o < c; o++) {
			double s = 1.0 / sqrt((double)bn->var->value[o] + bn->eps);
			double ga = bn->gamma ? bn->gamma->value[o] : 1.0;
			double be = bn->beta ? bn->beta->value[o] : 0.0;
			double bias = nd->b ? nd->b->value[o] : 0.0;
			a[o] = (float)(ga * s);
			b[o] = (float)(be + ga * s * (bias - bn->mean->value[o]));
		}
		e = (nn_epi){a, b, bnn->op == NN_BN_RELU};
		ep = &e;
		y = bnn->out->data;
	}
	if (use_wino(g, nd)) {
		nn_conv_wino_fwd(g, nd, nn_in(g, nd, 0)->data, nd->w->value, ep, y);
		return;
	}
	if (nn_conv_direct_ok(g, nd)) {
		direct_fwd(g, nd, nn_in(g, nd, 0)->data, nd->w->value, ep, y);
		return;
	}
	struct conv_ctx c = {0};
	c.g = g;
	c.nd = nd;
	c.q = geom_of(g, nd);
	c.e = ep;
	c.x = nn_in(g, nd, 0)->data;
	c.w = nd->w->value;
	c.y = y;
	nn_par(g, conv_fwd_task, &c, conv_work(&c.q));
}

static void conv_bwd_task(void *vc, int tid, int nt)
{
	struct conv_ctx *c = vc;
	const geom *q = &c->q;
	int a, b;
	nn_part(q->n, tid, nt, &a, &b);
	unsigned char *ws = nn_ws(c->g, tid);
	float *col = (float *)ws;
	float *dwp = (float *)(ws + col_bytes(q));
	float *dbp = (float *)(ws + col_bytes(q) + dw_bytes(q));
	if (a == b) {
		memset(dwp, 0, (size_t)q->cout * q->kk * sizeof(float));
		memset(dbp, 0, (size_t)q->cout * sizeof(float));
		return;
	}
	for (int n = a; n < b; n++) {
		const float *xn = c->x + (size_t)n * q->cin * q->hw;
		const float *dyn = c->dy + (size_t)n * q->cout * q->howo;
		const float *B = xn;
		if (!q->direct) {
			im2col(q, xn, col);
			B = col;
		}
		/* dW[cout][kk] (+)= dy[cout][howo] * cols[kk][howo]^T */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, q->cout, q->kk,
		            q->howo, 1.0f, dyn, q->howo, B, q->howo,
		            n == a ? 0.0f : 1.0f, dwp, q->kk);
		if (c->need_db)
			for (int o = 0; o < q->cout; o++) {
				const float *r = dyn + (size_t)o * q->howo;
				float s = 0.0f;
				for (int e = 0; e < q->howo; e++)
					s += r[e];
				dbp[o] = n == a ? s : dbp[o] + s;
			}
		if (!c->dx)
			continue;
		float *dxn = c->dx + (size_t)n * q->cin * q->hw;
		if (q->direct) {
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, q->kk,
			            q->howo, q->cout, 1.0f, c->w, q->kk, dyn,
			            q->howo, c->acc_x ? 1.0f : 0.0f, dxn, q->howo);
		} else {
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, q->kk,
			            q->howo, q->cout, 1.0f, c->w, q->kk, dyn,
			            q->howo, 0.0f, col, q->howo);
			if (!c->acc_x)
				memset(dxn, 0, (size_t)q->cin * q->hw * sizeof(float));
			col2im_add(q, col, dxn);
		}
	}
}

void nn_conv_bwd(apnas_graph *g, nn_node *nd, const unsigned char *acc)
{
	apnas_tensor *x = nn_in(g, nd, 0);
	if (nn_conv_direct_ok(g, nd)) {
		size_t boff, woff = direct_partial(g, nd, &boff);
		direct_bwd(g, nd, x->data, nd->w->value, nd->out->grad,
		           x->needs_grad ? x->grad : NULL, acc[0], nd->b != NULL);
		nn_reduce_partials(g, nd->w->grad, nd->w->numel, woff,
		                   nn_param_acc(nd->w));
		if (nd->b)
			nn_reduce_partials(g, nd->b->grad, nd->b->numel, boff,
			                   nn_param_acc(nd->b));
		return;
	}
	struct conv_ctx c = {0};
	c.g = g;
	c.nd = nd;
	c.q = geom_of(g, nd);
	c.x = x->data;
	c.w = nd->w->value;
	c.dy = nd->out->grad;
	c.dx = x->needs_grad ? x->grad : NULL;
	c.acc_x = acc[0];
	c.need_db = nd->b != NULL;
	nn_par(g, conv_bwd_task, &c, 2 * conv_work(&c.q));
	size_t col = col_bytes(&c.q);
	nn_reduce_partials(g, nd->w->grad, (size_t)c.q.cout * c.q.kk, col,
	                   nn_param_acc(nd->w));
	if (nd->b)
		nn_reduce_partials(g, nd->b->grad, (size_t)c.q.cout,
		                   col + dw_bytes(&c.q), nn_param_acc(nd->b));
}
