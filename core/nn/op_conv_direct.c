/* Direct stride-1 convolution, one image at a time per engine thread,
 * without im2col.  On this class of machine the im2col + sgemm path
 * spends much of its time writing and re-packing a column buffer that
 * is k*k times the input (0.9 MB per 32-channel 28x28 image at k = 3);
 * here the input is copied once into a zero-padded plane per channel and
 * read in place.
 *
 * Planes are read as flat arrays of row stride wp = w + p, pixel (r, c)
 * at (r + p) wp + p + c: the p zero columns after each row serve as its
 * right padding and as the next row's left padding.  Output (oh, ow)
 * sits at oh * wp + ow and its tap (i, j) at that position + i * wp + j,
 * so every tap is one constant offset and a tile of three vectors of
 * consecutive flat outputs is three vector loads per tap (the last tile
 * of a plane one or two).  The flat columns past each row's end (p of
 * every w + p) are computed and dropped.
 *
 * Kernels (GCC vector extension of NN_VW floats):
 *   forward      CB output channels (4 for AVX2, 8 for AVX-512) x 3
 *                vectors of positions, 12 or 24 accumulators;
 *   input grad   the same kernel over the output gradient padded by
 *                k-1-p, with weights transposed and flipped;
 *   weight grad  CB output channels x 3 (input channel, tap) pairs,
 *                reduced along the flat positions.
 * Per-thread weight-gradient partials are summed in thread order.
 *
 * This file is built twice (core/nn/meson.build): for x86-64-v3 with
 * NN_VW = 8 (AVX2, what valgrind can run) and, on x86-64, for x86-64-v4
 * with NN_VW = 16 under the names ending in _v4, which op_conv.c calls
 * when the CPU has AVX-512 (nn/isa.h).  The forward and the input
 * gradient sum every output in the same order at either width, so they
 * agree bit for bit; the weight gradient's lane sums differ in order. */
#ifndef NN_VW
#define NN_VW 8
#endif
#if NN_VW == 16
#define nn_conv_direct_ok nn_conv_direct_ok_v4
#define nn_conv_direct_ws nn_conv_direct_ws_v4
#define nn_conv_direct_partial nn_conv_direct_partial_v4
#define nn_conv_direct_fwd nn_conv_direct_fwd_v4
#define nn_conv_direct_bwd nn_conv_direct_bwd_v4
#elif NN_VW != 8
#error "NN_VW must be 8 or 16"
#endif
#include "nn/conv_direct.h"
#include "nn/vec.h"

#include <string.h>

typedef float vf __attribute__((vector_size(NN_VW * sizeof(float))));

/* Loads and stores through memcpy: no alignment is assumed. */
static inline vf vf_ld(const float *p)
{
	vf v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline void vf_st(float *p, vf v)
{
	memcpy(p, &v, sizeof v);
}

/* x - 0 is x for every x, -0 included, so GCC emits a bare broadcast;
 * 0 + x is +0 for x = -0 and cost an add per weight in the kernel. */
static inline vf vf_set1(float x)
{
	return x - (vf){0};
}

/* Keeps v in a register: without it GCC folds the load of a value that
 * three FMAs use into each of them, three loads where one does, and the
 * kernels are bound by loads. */
static inline vf vf_reg(vf v)
{
	__asm__("" : "+v"(v));
	return v;
}

#if NN_VW == 16
/* The lane sums of eight vectors at once, lane r of the result v_r's: its
 * halves added (16 -> 8 lanes), then those 8 in v8_hsum's order
 * (nn/vec.h), which the AVX2 build uses, with two vectors in one
 * register at each step: a third of the instructions of eight sums one
 * by one, in a fixed order whatever the compiler schedules. */
static inline v8f vf_hsum8(vf v0, vf v1, vf v2, vf v3, vf v4, vf v5, vf v6,
                           vf v7)
{
#define LO8(a, b) __builtin_shufflevector(a, b, 0, 1, 2, 3, 4, 5, 6, 7, \
                                          16, 17, 18, 19, 20, 21, 22, 23)
#define HI8(a, b) __builtin_shufflevector(a, b, 8, 9, 10, 11, 12, 13, 14, \
                                          15, 24, 25, 26, 27, 28, 29, 30, 31)
	vf a0 = LO8(v0, v1) + HI8(v0, v1), a1 = LO8(v2, v3) + HI8(v2, v3);
	vf a2 = LO8(v4, v5) + HI8(v4, v5), a3 = LO8(v6, v7) + HI8(v6, v7);
#undef LO8
#undef HI8
#define LO4(a, b) __builtin_shufflevector(a, b, 0, 1, 2, 3, 8, 9, 10, 11, \
                                          16, 17, 18, 19, 24, 25, 26, 27)
#define HI4(a, b) __builtin_shufflevector(a, b, 4, 5, 6, 7, 12, 13, 14, 15, \
                                          20, 21, 22, 23, 28, 29, 30, 31)
	vf b0 = LO4(a0, a1) + HI4(a0, a1), b1 = LO4(a2, a3) + HI4(a2, a3);
#undef LO4
#undef HI4
	vf c = __builtin_shufflevector(b0, b1, 0, 2, 4, 6, 8, 10, 12, 14, 16,
	                               18, 20, 22, 24, 26, 28, 30) +
	       __builtin_shufflevector(b0, b1, 1, 3, 5, 7, 9, 11, 13, 15, 17,
	                               19, 21, 23, 25, 27, 29, 31);
	return __builtin_shufflevector(c, c, 0, 2, 4, 6, 8, 10, 12, 14) +
	       __builtin_shufflevector(c, c, 1, 3, 5, 7, 9, 11, 13, 15);
}
#endif

/* Output channels per tile: 4 x 3 vectors of accumulators fill AVX2's 16
 * registers with the 3 inputs and a broadcast weight; AVX-512's 32 hold
 * 8 x 3, which halves the loads per FMA.  Every output and every weight
 * gradient lane is still summed in the same order, so the tile's size
 * never changes a bit. */
#if NN_VW == 16
#define CB 8
#else
#define CB 4
#endif
#define NV 3    /* vectors of positions per tile */
#define PT (NV * NN_VW) /* flat positions per tile */

typedef struct dgeom {
	int n, cin, h, w, cout, k, p, ho, wo;
	int kk;
	int wp, hp;       /* forward padded plane: (h + 2p) rows of w + p */
	size_t lf;        /* forward flat outputs, rounded up to a vector */
	size_t plane;     /* floats per padded input plane, with slack */
	int bp;           /* input-gradient padding: k - 1 - p */
	int bwp, bhp;     /* its padded plane: (ho + 2bp) rows of wo + bp */
	size_t lb;        /* input-gradient flat outputs, rounded up */
	size_t bplane;
	int cop, cip;     /* cout, cin rounded up to CB */
} dgeom;

/* Whole vectors.  The flat outputs are rounded no further: the tiles of
 * 3 end in one of 1 or 2 where the plane does (a 14x14 plane's 210 flat
 * outputs are 14 vectors of 16, not 15). */
static size_t round_vw(size_t x)
{
	return (x + NN_VW - 1) / NN_VW * NN_VW;
}

static dgeom dgeom_of(const apnas_graph *g, const nn_node *nd)
{
	const apnas_tensor *x = nn_in(g, nd, 0);
	dgeom q;
	q.n = x->d.n;
	q.cin = x->d.c;
	q.h = x->d.h;
	q.w = x->d.w;
	q.cout = nd->out->d.c;
	q.k = nd->k;
	q.p = nd->pad;
	q.ho = nd->out->d.h;
	q.wo = nd->out->d.w;
	q.kk = q.k * q.k;
	q.wp = q.w + q.p;
	q.hp = q.h + 2 * q.p;
	q.lf = round_vw((size_t)q.ho * q.wp);
	/* reads reach lf - 1 + (k-1) wp + (k-1) */
	q.plane = q.lf + (size_t)(q.k - 1) * (q.wp + 1) + NN_VW;
	if (q.plane < (size_t)q.hp * q.wp + q.p)
		q.plane = (size_t)q.hp * q.wp + q.p;
	/* whole vectors, so every plane of the 64-byte aligned workspace
	 * starts a vector: the weight gradient's loads of the output
	 * gradient never straddle two cache lines */
	q.plane = round_vw(q.plane);
	q.bp = q.k - 1 - q.p;
	q.bwp = q.wo + q.bp;
	q.bhp = q.ho + 2 * q.bp;
	q.lb = round_vw((size_t)q.h * q.bwp);
	q.bplane = q.lb + (size_t)(q.k - 1) * (q.bwp + 1) + NN_VW;
	if (q.bplane < (size_t)q.bhp * q.bwp + q.bp)
		q.bplane = (size_t)q.bhp * q.bwp + q.bp;
	q.bplane = round_vw(q.bplane);
	q.cop = (q.cout + CB - 1) / CB * CB;
	q.cip = (q.cin + CB - 1) / CB * CB;
	return q;
}

int nn_conv_direct_ok(const apnas_graph *g, const nn_node *nd)
{
	/* pad < k keeps the input-gradient padding k-1-p >= 0 */
	return nd->stride == 1 && nd->k > 1 && nd->pad < nd->k &&
	       nn_in(g, nd, 0)->d.w + 2 * nd->pad >= nd->k;
}

/* Per-thread workspace layout, in floats (each part cache-line aligned):
 * padded input planes [cin][plane], flat output [cop][max(lf, ...)],
 * packed forward weights [cop/CB][cin][kk][CB], padded output-gradient
 * planes [cout][bplane], packed input-gradient weights
 * [cip/CB][cout][kk][CB], flat input gradient [cip][lb], flat output
 * gradient [cout][lf], weight-gradient partial [cout][cin][kk] and bias
 * partial [cout]. */
typedef struct dlayout {
	size_t xp, yf, wf, dyp, wb, dxf, dyf, dw, db, total;
} dlayout;

static size_t fl(size_t n)
{
	return nn_round_up(n * sizeof(float));
}

static dlayout dlayout_of(const dgeom *q)
{
	dlayout l;
	size_t o = 0;
	l.xp = o;
	o += fl((size_t)q->cin * q->plane);
	l.yf = o;
	o += fl((size_t)q->cop * q->lf);
	l.wf = o;
	o += fl((size_t)q->cop * q->cin * q->kk);
	l.dyp = o;
	o += fl((size_t)q->cout * q->bplane);
	l.wb = o;
	o += fl((size_t)q->cip * q->cout * q->kk);
	l.dxf = o;
	o += fl((size_t)q->cip * q->lb);
	l.dyf = o;
	o += fl((size_t)q->cout * q->plane);
	l.dw = o;
	o += fl((size_t)q->cout * q->cin * q->kk);
	l.db = o;
	o += fl((size_t)q->cout);
	l.total = o;
	return l;
}

size_t nn_conv_direct_ws(const apnas_graph *g, const nn_node *nd)
{
	dgeom q = dgeom_of(g, nd);
	return dlayout_of(&q).total;
}

size_t nn_conv_direct_partial(const apnas_graph *g, const nn_node *nd,
                              size_t *bias_off)
{
	dgeom q = dgeom_of(g, nd);
	dlayout l = dlayout_of(&q);
	*bias_off = l.db;
	return l.dw;
}

/* v8_copy (nn/vec.h) at this build's width: rows are short (7 to 32
 * floats here), and a libc memcpy call per row cost a tenth of the
 * training step; whole vectors and one overlapping last vector instead
 * (s and d never overlap). */
static inline void copy_row(float *d, const float *s, int w)
{
	if (w < NN_VW) {
		v8_copy(d, s, w);
		return;
	}
	int e = 0;
	for (; e + NN_VW <= w; e += NN_VW)
		vf_st(d + e, vf_ld(s + e));
	if (e < w)
		vf_st(d + w - NN_VW, vf_ld(s + w - NN_VW));
}

/* Copies planes [c][h][w] into zeroed planes of row stride wp >= w + p,
 * pixel (r, c) at (r + p) wp + p + c, each `plane` floats long. */
static void pad_planes(const float *x, int c, int h, int w, int p, int wp,
                       size_t plane, float *xp)
{
	for (int ch = 0; ch < c; ch++) {
		float *d = xp + (size_t)ch * plane;
		const float *s = x + (size_t)ch * h * w;
		memset(d, 0, ((size_t)p * wp + p) * sizeof(float));
		for (int r = 0; r < h; r++) {
			float *row = d + (size_t)(r + p) * wp + p;
			copy_row(row, s + (size_t)r * w, w);
			/* right border of this row + left border of the next */
			for (int e = w; e < wp; e++)
				row[e] = 0.0f;
		}
		size_t used = (size_t)(h + p) * wp + p;
		memset(d + used, 0, (plane - used) * sizeof(float));
	}
}

/* Packs w [co][ci][kk] into [co/CB][ci][kk][CB] (zero rows past co), or,
 * for the input gradient (flip), w' [ci][co][kk'] = w[co][ci][kk-1-kk']
 * into [ci/CB][co][kk][CB]. */
static void pack_fwd(const float *w, int co, int ci, int kk, int cop,
                     float *out)
{
	for (int b = 0; b < cop / CB; b++)
		for (int c = 0; c < ci; c++)
			for (int t = 0; t < kk; t++)
				for (int r = 0; r < CB; r++) {
					int o = b * CB + r;
					out[(((size_t)b * ci + c) * kk + t) * CB + r] =
					    o < co ? w[((size_t)o * ci + c) * kk + t] : 0.0f;
				}
}

static void pack_bwd(const float *w, int co, int ci, int kk, int cip,
                     float *out)
{
	for (int b = 0; b < cip / CB; b++)
		for (int c = 0; c < co; c++)
			for (int t = 0; t < kk; t++)
				for (int r = 0; r < CB; r++) {
					int i = b * CB + r;
					out[(((size_t)b * co + c) * kk + t) * CB + r] =
					    i < ci ? w[((size_t)c * ci + i) * kk + (kk - 1 - t)]
					           : 0.0f;
				}
}

/* out[cb*CB + r][e0 + e] for e in [0, nv NN_VW):
 *   sum over c < nc, tap t of wpk[cb][c][t][r] * xp[c][e0 + e + off[t]].
 * CB x nv accumulators, nv input vectors and one broadcast weight: nv + CB
 * loads per CB x nv FMAs.  nv is a constant where this is inlined, so the
 * loops over r and v unroll and the accumulators live in registers. */
static inline __attribute__((always_inline)) void
tile(const float *xp, size_t plane, int nc, const int *off, int kk,
     const float *wpk, int ncb, float *out, size_t ostride, size_t e0,
     const int nv)
{
	for (int cb = 0; cb < ncb; cb++) {
		vf a[CB][NV];
#pragma GCC unroll 8
		for (int r = 0; r < CB; r++)
#pragma GCC unroll 3
			for (int v = 0; v < nv; v++)
				a[r][v] = vf_set1(0);
		const float *wc = wpk + (size_t)cb * nc * kk * CB;
		for (int c = 0; c < nc; c++) {
			const float *xc = xp + (size_t)c * plane + e0;
			for (int t = 0; t < kk; t++, wc += CB) {
				const float *xt = xc + off[t];
				vf x[NV];
#pragma GCC unroll 3
				for (int v = 0; v < nv; v++)
					x[v] = vf_ld(xt + v * NN_VW);
#pragma GCC unroll 8
				for (int r = 0; r < CB; r++) {
					vf w = vf_reg(vf_set1(wc[r]));
#pragma GCC unroll 3
					for (int v = 0; v < nv; v++)
						a[r][v] += w * x[v];
				}
			}
		}
		float *o = out + (size_t)cb * CB * ostride + e0;
#pragma GCC unroll 8
		for (int r = 0; r < CB; r++, o += ostride)
#pragma GCC unroll 3
			for (int v = 0; v < nv; v++)
				vf_st(o + v * NN_VW, a[r][v]);
	}
}

/* out[cb*CB + r][e] for e in [0, len) (len whole vectors): tiles of NV
 * vectors, the last of 1 or 2 where len ends there. */
static void direct_tiles(const float *xp, size_t plane, int nc,
                         const int *off, int kk, const float *wpk, int ncb,
                         float *out, size_t ostride, size_t len)
{
	size_t e0 = 0;
	for (; e0 + PT <= len; e0 += PT)
		tile(xp, plane, nc, off, kk, wpk, ncb, out, ostride, e0, NV);
	if (len - e0 == 2 * NN_VW)
		tile(xp, plane, nc, off, kk, wpk, ncb, out, ostride, e0, 2);
	else if (len - e0 == NN_VW)
		tile(xp, plane, nc, off, kk, wpk, ncb, out, ostride, e0, 1);
}

/* Copies the valid columns of flat rows (stride fs) into dense [c][h][w],
 * adding when acc. */
static void unflat(const float *f, size_t fstride, int fs, int c, int h,
                   int w, float *y, int acc)
{
	for (int ch = 0; ch < c; ch++)
		for (int r = 0; r < h; r++) {
			const float *s = f + (size_t)ch * fstride + (size_t)r * fs;
			float *d = y + ((size_t)ch * h + r) * w;
			if (acc)
				for (int e = 0; e < w; e++)
					d[e] += s[e];
			else
				copy_row(d, s, w);
		}
}

static void tap_offsets(int k, int stride, int *off)
{
	for (int i = 0; i < k; i++)
		for (int j = 0; j < k; j++)
			off[i * k + j] = i * stride + j;
}

struct dctx {
	apnas_graph *g;
	dgeom q;
	dlayout l;
	const nn_epi *e;
	const float *x, *w, *dy;
	float *y, *dx;
	float *st;        /* forward: plane sums [n][cout][2], or NULL */
	int acc_x, need_db;
};

static float *wsf(struct dctx *c, int tid, size_t off)
{
	return (float *)((unsigned char *)nn_ws(c->g, tid) + off);
}

static void fwd_task(void *vc, int tid, int nt)
{
	struct dctx *c = vc;
	const dgeom *q = &c->q;
	int a, b;
	nn_part(q->n, tid, nt, &a, &b);
	if (a == b)
		return;
	float *xp = wsf(c, tid, c->l.xp), *yf = wsf(c, tid, c->l.yf);
	float *wf = wsf(c, tid, c->l.wf);
	int off[q->kk];
	tap_offsets(q->k, q->wp, off);
	pack_fwd(c->w, q->cout, q->cin, q->kk, q->cop, wf);
	for (int n = a; n < b; n++) {
		pad_planes(c->x + (size_t)n * q->cin * q->h * q->w, q->cin, q->h,
		           q->w, q->p, q->wp, q->plane, xp);
		direct_tiles(xp, q->plane, q->cin, off, q->kk, wf, q->cop / CB, yf,
		             q->lf, q->lf);
		float *yn = c->y + (size_t)n * q->cout * q->ho * q->wo;
		unflat(yf, q->lf, q->wp, q->cout, q->ho, q->wo, yn, 0);
		if (c->e)
			for (int o = 0; o < q->cout; o++)
				nn_epi_apply(c->e, o, yn + (size_t)o * q->ho * q->wo,
				             (size_t)q->ho * q->wo);
		if (c->st)
			nn_image_stats(yn, q->cout, q->ho * q->wo,
			               c->st + 2 * (size_t)n * q->cout);
	}
}

void nn_conv_direct_fwd(apnas_graph *g, nn_node *nd, const float *x,
                        const float *w, const nn_epi *e, float *y)
{
	struct dctx c = {0};
	c.g = g;
	c.q = dgeom_of(g, nd);
	c.l = dlayout_of(&c.q);
	c.e = e;
	c.x = x;
	c.w = w;
	c.y = y;
	c.st = nd->bnstat ? nd->aux : NULL;
	double work = (double)c.q.n * c.q.cout * c.q.ho * c.q.wo * c.q.kk * c.q.cin;
	nn_pool_run_work(g->pool, fwd_task, &c, work);
}

/* dw[co][c][t] (+)= sum_e dyf[co][e] * xp[c][e + off[t]] over e < len,
 * for CB output channels and WP (c, t) pairs at a time: CB x WP
 * accumulators, WP + CB loads per CB x WP FMAs. */
#define WP 3
static void wgrad(const dgeom *q, const float *xp, const float *dyf,
                  const int *off, float *dw, int first)
{
	const size_t len = q->lf;
	const int pairs = q->cin * q->kk;
	for (int co0 = 0; co0 < q->cout; co0 += CB) {
		int nco = q->cout - co0 < CB ? q->cout - co0 : CB;
		const float *d[CB];
		for (int r = 0; r < CB; r++)
			d[r] = dyf + (size_t)(co0 + (r < nco ? r : 0)) * q->plane;
		int pc = 0, pt = 0; /* (input channel, tap) of pair pr */
		for (int pr = 0; pr < pairs; pr += WP) {
			int np = pairs - pr < WP ? pairs - pr : WP;
			const float *x[WP];
			for (int u = 0; u < WP; u++) {
				if (u >= np) {
					x[u] = x[0];
					continue;
				}
				x[u] = xp + (size_t)pc * q->plane + off[pt];
				if (++pt == q->kk) {
					pt = 0;
					pc++;
				}
			}
			vf s[CB][WP];
#pragma GCC unroll 8
			for (int r = 0; r < CB; r++)
#pragma GCC unroll 3
				for (int u = 0; u < WP; u++)
					s[r][u] = vf_set1(0);
			for (size_t e = 0; e < len; e += NN_VW) {
				vf a[WP];
#pragma GCC unroll 3
				for (int u = 0; u < WP; u++)
					a[u] = vf_ld(x[u] + e);
#pragma GCC unroll 8
				for (int r = 0; r < CB; r++) {
					vf g = vf_reg(vf_ld(d[r] + e));
#pragma GCC unroll 3
					for (int u = 0; u < WP; u++)
						s[r][u] += g * a[u];
				}
			}
			/* constant indices only, or s would live in memory */
			float h[CB][WP];
#if NN_VW == 16
#pragma GCC unroll 3
			for (int u = 0; u < WP; u++) {
				v8f t = vf_hsum8(s[0][u], s[1][u], s[2][u], s[3][u],
				                 s[4][u], s[5][u], s[6][u], s[7][u]);
#pragma GCC unroll 8
				for (int r = 0; r < CB; r++)
					h[r][u] = t[r];
			}
#else
#pragma GCC unroll 8
			for (int r = 0; r < CB; r++)
#pragma GCC unroll 3
				for (int u = 0; u < WP; u++)
					h[r][u] = v8_hsum(s[r][u]);
#endif
			for (int r = 0; r < nco; r++)
				for (int u = 0; u < np; u++) {
					size_t i = (size_t)(co0 + r) * pairs + pr + u;
					dw[i] = first ? h[r][u] : dw[i] + h[r][u];
				}
		}
	}
}

static void bwd_task(void *vc, int tid, int nt)
{
	struct dctx *c = vc;
	const dgeom *q = &c->q;
	int a, b;
	nn_part(q->n, tid, nt, &a, &b);
	float *dw = wsf(c, tid, c->l.dw), *db = wsf(c, tid, c->l.db);
	if (a == b) {
		memset(dw, 0, (size_t)q->cout * q->cin * q->kk * sizeof(float));
		memset(db, 0, (size_t)q->cout * sizeof(float));
		return;
	}
	float *xp = wsf(c, tid, c->l.xp), *dyf = wsf(c, tid, c->l.dyf);
	float *dyp = wsf(c, tid, c->l.dyp), *wb = wsf(c, tid, c->l.wb);
	float *dxf = wsf(c, tid, c->l.dxf);
	int off[q->kk], boff[q->kk];
	tap_offsets(q->k, q->wp, off);
	tap_offsets(q->k, q->bwp, boff);
	if (c->dx)
		pack_bwd(c->w, q->cout, q->cin, q->kk, q->cip, wb);
	for (int n = a; n < b; n++) {
		const float *dyn = c->dy + (size_t)n * q->cout * q->ho * q->wo;
		pad_planes(c->x + (size_t)n * q->cin * q->h * q->w, q->cin, q->h,
		           q->w, q->p, q->wp, q->plane, xp);
		/* dy in the forward's flat layout: stride wp, zero past wo */
		pad_planes(dyn, q->cout, q->ho, q->wo, 0, q->wp, q->plane, dyf);
		wgrad(q, xp, dyf, off, dw, n == a);
		if (c->need_db)
			for (int o = 0; o < q->cout; o++) {
				const float *r = dyn + (size_t)o * q->ho * q->wo;
				float s = 0.0f;
				for (int e = 0; e < q->ho * q->wo; e++)
					s += r[e];
				db[o] = n == a ? s : db[o] + s;
			}
		if (!c->dx)
			continue;
		pad_planes(dyn, q->cout, q->ho, q->wo, q->bp, q->bwp, q->bplane,
		           dyp);
		direct_tiles(dyp, q->bplane, q->cout, boff, q->kk, wb, q->cip / CB,
		             dxf, q->lb, q->lb);
		unflat(dxf, q->lb, q->bwp, q->cin, q->h, q->w,
		       c->dx + (size_t)n * q->cin * q->h * q->w, c->acc_x);
	}
}

void nn_conv_direct_bwd(apnas_graph *g, nn_node *nd, const float *x,
                        const float *w, const float *dy, float *dx,
                        int acc_x, int need_db)
{
	struct dctx c = {0};
	c.g = g;
	c.q = dgeom_of(g, nd);
	c.l = dlayout_of(&c.q);
	c.x = x;
	c.w = w;
	c.dy = dy;
	c.dx = dx;
	c.acc_x = acc_x;
	c.need_db = need_db;
	double work = 2.0 * c.q.n * c.q.cout * c.q.ho * c.q.wo * c.q.kk * c.q.cin;
	nn_pool_run_work(g->pool, bwd_task, &c, work);
}
