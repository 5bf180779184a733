/* Winograd F(4x4, 3x3) convolution for the forward-only modes (INFER,
 * BATCHSTAT): stride 1, 3x3, at least 8 input channels.  Channel counts
 * that are not multiples of 8 (the paper-size search's 36) are padded
 * with zero channels inside the workspace: 36 -> 40 costs 23% more
 * products, against the 4x fewer multiplies.
 *
 * A direct 3x3 convolution is bounded by the FMA peak; at batch 128 on
 * these cores PyTorch's (oneDNN) inference already runs close to it.
 * Winograd's minimal filtering computes each 4x4 output tile from a 6x6
 * input tile with 36 multiplies per (input, output) channel pair instead
 * of 144 (Lavin & Gray, arXiv:1509.09308):
 *     Y = A^T [ (G g G^T) .* (B^T d B) ] A.
 * Per image: the padded input is laid out channel-last (8x8 register
 * transposes), every 6x6 tile is transformed (8 channels per vector), then
 * for each of the 36 transform positions a [tiles x Cin] x [Cin x Cout]
 * product is taken with a register-blocked kernel, and each tile is
 * transformed back, with the bias / folded batch norm / ReLU applied, into
 * a channel-last staging image that is transposed into NCHW.  All of one
 * image's buffers fit the core's L2.  The transforms add rounding: results differ
 * from the direct convolution by about 1e-5 relative, which is why TRAIN
 * mode (whose backward must match its forward) does not use this path. */
#include "nn/conv_wino.h"
#include "nn/vec.h"

#include <string.h>
#if defined(__AVX2__)
#include <immintrin.h>
#endif

#define TP 6  /* transformed tile side */
#define XI 36 /* transform positions */

typedef struct wgeom {
	int n, c, o, h, w, p, ho, wo;
	int th, tw, nt;   /* tiles down, across, total */
	int hp, wp;       /* channel-last padded input: rows, columns */
	int cp, op;       /* c and o rounded up to 8: the workspace's channel
	                     counts (zero past c and o) */
} wgeom;

static wgeom wgeom_of(const apnas_graph *g, const nn_node *nd)
{
	const apnas_tensor *x = nn_in(g, nd, 0);
	wgeom q;
	q.n = x->d.n;
	q.c = x->d.c;
	q.h = x->d.h;
	q.w = x->d.w;
	q.o = nd->out->d.c;
	q.p = nd->pad;
	q.ho = nd->out->d.h;
	q.wo = nd->out->d.w;
	q.th = (q.ho + 3) / 4;
	q.tw = (q.wo + 3) / 4;
	q.nt = q.th * q.tw;
	q.hp = 4 * q.th + 2;
	q.wp = 4 * q.tw + 2;
	q.cp = round8(q.c);
	q.op = round8(q.o);
	return q;
}

int nn_conv_wino_ok(const apnas_graph *g, const nn_node *nd)
{
	const apnas_tensor *x = nn_in(g, nd, 0);
	/* Below 8 input channels (a 1-channel stem) the padding would cost
	 * more than Winograd saves. */
	return nd->k == 3 && nd->stride == 1 && nd->pad <= 2 &&
	       x->d.c >= 8 && nd->out->d.h >= 4 && nd->out->d.w >= 4;
}

/* Per-thread workspace (floats): transformed weights U [36][Cin][Cout],
 * channel-last padded input [hp][wp][Cin], transformed input
 * V [36][tiles][Cin], products M [36][tiles][Cout], channel-last output
 * staging [4 th][4 tw][Cout]. */
typedef struct wlayout {
	size_t u, xp, v, m, st, total;
} wlayout;

static size_t fl(size_t n)
{
	return nn_round_up(n * sizeof(float));
}

static wlayout wlayout_of(const wgeom *q)
{
	wlayout l;
	size_t off = 0;
	l.u = off;
	off += fl((size_t)XI * q->cp * q->op);
	l.xp = off;
	off += fl((size_t)q->hp * q->wp * q->cp);
	l.v = off;
	off += fl((size_t)XI * q->nt * q->cp);
	l.m = off;
	off += fl((size_t)XI * q->nt * q->op);
	l.st = off;
	off += fl((size_t)16 * q->nt * q->op);
	l.total = off;
	return l;
}

size_t nn_conv_wino_ws(const apnas_graph *g, const nn_node *nd)
{
	wgeom q = wgeom_of(g, nd);
	return wlayout_of(&q).total;
}

/* U[xi][ci][co] = (G g[co][ci] G^T)[xi], zero for padded channels. */
static void transform_weights(const wgeom *q, const float *w, float *u)
{
	if (q->cp != q->c || q->op != q->o)
		memset(u, 0, (size_t)XI * q->cp * q->op * sizeof(float));
	for (int co = 0; co < q->o; co++)
		for (int ci = 0; ci < q->c; ci++) {
			const float *g = w + ((size_t)co * q->c + ci) * 9;
			float t[6][3], r[6][6];
			for (int j = 0; j < 3; j++) {
				float g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
				t[0][j] = g0 / 4;
				t[1][j] = -(g0 + g1 + g2) / 6;
				t[2][j] = -(g0 - g1 + g2) / 6;
				t[3][j] = g0 / 24 + g1 / 12 + g2 / 6;
				t[4][j] = g0 / 24 - g1 / 12 + g2 / 6;
				t[5][j] = g2;
			}
			for (int i = 0; i < 6; i++) {
				float g0 = t[i][0], g1 = t[i][1], g2 = t[i][2];
				r[i][0] = g0 / 4;
				r[i][1] = -(g0 + g1 + g2) / 6;
				r[i][2] = -(g0 - g1 + g2) / 6;
				r[i][3] = g0 / 24 + g1 / 12 + g2 / 6;
				r[i][4] = g0 / 24 - g1 / 12 + g2 / 6;
				r[i][5] = g2;
			}
			for (int xi = 0; xi < XI; xi++)
				u[((size_t)xi * q->cp + ci) * q->op + co] = r[xi / 6][xi % 6];
		}
}

/* Transposes an 8x8 block: rows src[r * ss + c] (r, c < 8) into
 * dst[c * ds + r]. */
static inline void tr8(const float *src, size_t ss, float *dst, size_t ds)
{
#if defined(__AVX2__)
	__m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + ss);
	__m256 r2 = _mm256_loadu_ps(src + 2 * ss), r3 = _mm256_loadu_ps(src + 3 * ss);
	__m256 r4 = _mm256_loadu_ps(src + 4 * ss), r5 = _mm256_loadu_ps(src + 5 * ss);
	__m256 r6 = _mm256_loadu_ps(src + 6 * ss), r7 = _mm256_loadu_ps(src + 7 * ss);
	__m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
	__m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
	__m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
	__m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
	__m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
	__m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
	__m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
	__m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
	_mm256_storeu_ps(dst, _mm256_permute2f128_ps(s0, s4, 0x20));
	_mm256_storeu_ps(dst + ds, _mm256_permute2f128_ps(s1, s5, 0x20));
	_mm256_storeu_ps(dst + 2 * ds, _mm256_permute2f128_ps(s2, s6, 0x20));
	_mm256_storeu_ps(dst + 3 * ds, _mm256_permute2f128_ps(s3, s7, 0x20));
	_mm256_storeu_ps(dst + 4 * ds, _mm256_permute2f128_ps(s0, s4, 0x31));
	_mm256_storeu_ps(dst + 5 * ds, _mm256_permute2f128_ps(s1, s5, 0x31));
	_mm256_storeu_ps(dst + 6 * ds, _mm256_permute2f128_ps(s2, s6, 0x31));
	_mm256_storeu_ps(dst + 7 * ds, _mm256_permute2f128_ps(s3, s7, 0x31));
#else
	for (int r = 0; r < 8; r++)
		for (int c = 0; c < 8; c++)
			dst[(size_t)c * ds + r] = src[(size_t)r * ss + c];
#endif
}

/* Channel-last copy of one image with its zero padding: pixel (r, c) of
 * channel ch at ((r + p) wp + c + p) cp + ch, zero for ch >= c.  Only the
 * border is cleared; 8 channels x 8 columns move per register transpose. */
static void to_padded_hwc(const wgeom *q, const float *x, float *xp)
{
	const size_t C = (size_t)q->cp, rs = (size_t)q->wp * C;
	const int c8 = q->c & ~7; /* channels moved by whole transposes */
	memset(xp, 0, (size_t)q->p * rs * sizeof(float));
	memset(xp + (size_t)(q->h + q->p) * rs, 0,
	       (size_t)(q->hp - q->h - q->p) * rs * sizeof(float));
	const size_t plane = (size_t)q->h * q->w;
	for (int r = 0; r < q->h; r++) {
		float *row = xp + (size_t)(r + q->p) * rs;
		memset(row, 0, (size_t)q->p * C * sizeof(float));
		memset(row + (size_t)(q->w + q->p) * C, 0,
		       (size_t)(q->wp - q->w - q->p) * C * sizeof(float));
		float *d = row + (size_t)q->p * C;
		const float *s = x + (size_t)r * q->w;
		int c0 = 0;
		for (; c0 + 8 <= q->w; c0 += 8)
			for (int ch = 0; ch < c8; ch += 8)
				tr8(s + ch * plane + c0, plane, d + (size_t)c0 * C + ch, C);
		for (int cc = 0; cc < c0; cc++)
			for (int ch = c8; ch < q->cp; ch++)
				d[(size_t)cc * C + ch] = ch < q->c ? s[ch * plane + cc] : 0.0f;
		for (; c0 < q->w; c0++)
			for (int ch = 0; ch < q->cp; ch++)
				d[(size_t)c0 * C + ch] = ch < q->c ? s[ch * plane + c0] : 0.0f;
	}
}

/* B^T along one axis: six vectors in, six out. */
#define BT6(d0, d1, d2, d3, d4, d5, r)                                     \
	do {                                                                  \
		r[0] = 4.0f * d0 - 5.0f * d2 + d4;                                \
		r[1] = -4.0f * (d1 + d2) + d3 + d4;                               \
		r[2] = 4.0f * (d1 - d2) - d3 + d4;                                \
		r[3] = 2.0f * (d3 - d1) - d2 + d4;                                \
		r[4] = 2.0f * (d1 - d3) - d2 + d4;                                \
		r[5] = 4.0f * d1 - 5.0f * d3 + d5;                                \
	} while (0)

/* V[xi][t][ci] for every tile, 8 input channels per vector. */
static void transform_input(const wgeom *q, const float *xp, float *v)
{
	const size_t rs = (size_t)q->wp * q->cp; /* padded row stride */
	const size_t vs = (size_t)q->nt * q->cp; /* V stride between xi */
	for (int a = 0; a < q->th; a++)
		for (int b = 0; b < q->tw; b++) {
			int t = a * q->tw + b;
			const float *base = xp + (size_t)(4 * a) * rs + (size_t)(4 * b) * q->cp;
			for (int ci = 0; ci < q->cp; ci += 8) {
				v8f tmp[6][6];
				for (int j = 0; j < 6; j++) {
					const float *col = base + (size_t)j * q->cp + ci;
					v8f d0 = v8_ld(col), d1 = v8_ld(col + rs);
					v8f d2 = v8_ld(col + 2 * rs), d3 = v8_ld(col + 3 * rs);
					v8f d4 = v8_ld(col + 4 * rs), d5 = v8_ld(col + 5 * rs);
					v8f r[6];
					BT6(d0, d1, d2, d3, d4, d5, r);
					for (int i = 0; i < 6; i++)
						tmp[i][j] = r[i];
				}
				for (int i = 0; i < 6; i++) {
					v8f r[6];
					BT6(tmp[i][0], tmp[i][1], tmp[i][2], tmp[i][3], tmp[i][4],
					    tmp[i][5], r);
					for (int j = 0; j < 6; j++)
						v8_st(v + (size_t)(i * 6 + j) * vs + (size_t)t * q->cp + ci,
						      r[j]);
				}
			}
		}
}

/* M[t][co] = sum_ci V[t][ci] U[ci][co] for rows t0 .. t0+R-1 and output
 * channels co0 .. co0 + 8 NV - 1: R x NV accumulators. */
static inline __attribute__((always_inline)) void
gemm_block(const float *v, const float *u, float *m, int cin, int cout,
           int t0, int co0, const int R, const int NV)
{
	v8f acc[3][4];
	for (int r = 0; r < R; r++)
		for (int j = 0; j < NV; j++)
			acc[r][j] = v8_set1(0);
	const float *vr = v + (size_t)t0 * cin;
	const float *uc = u + co0;
	for (int ci = 0; ci < cin; ci++, uc += cout) {
		v8f ub[4];
		for (int j = 0; j < NV; j++)
			ub[j] = v8_ld(uc + 8 * j);
		for (int r = 0; r < R; r++) {
			v8f a = v8_set1(vr[(size_t)r * cin + ci]);
			for (int j = 0; j < NV; j++)
				acc[r][j] += a * ub[j];
		}
	}
	for (int r = 0; r < R; r++)
		for (int j = 0; j < NV; j++)
			v8_st(m + (size_t)(t0 + r) * cout + co0 + 8 * j, acc[r][j]);
}

static void gemm_xi(const wgeom *q, const float *v, const float *u, float *m)
{
	for (int co0 = 0; co0 < q->op; co0 += 32) {
		int nv = (q->op - co0) / 8 < 4 ? (q->op - co0) / 8 : 4;
		int t = 0;
		for (; t + 3 <= q->nt; t += 3) {
			switch (nv) {
			case 4: gemm_block(v, u, m, q->cp, q->op, t, co0, 3, 4); break;
			case 3: gemm_block(v, u, m, q->cp, q->op, t, co0, 3, 3); break;
			case 2: gemm_block(v, u, m, q->cp, q->op, t, co0, 3, 2); break;
			default: gemm_block(v, u, m, q->cp, q->op, t, co0, 3, 1); break;
			}
		}
		for (; t < q->nt; t++) {
			switch (nv) {
			case 4: gemm_block(v, u, m, q->cp, q->op, t, co0, 1, 4); break;
			case 3: gemm_block(v, u, m, q->cp, q->op, t, co0, 1, 3); break;
			case 2: gemm_block(v, u, m, q->cp, q->op, t, co0, 1, 2); break;
			default: gemm_block(v, u, m, q->cp, q->op, t, co0, 1, 1); break;
			}
		}
	}
}

/* A^T along one axis: six vectors in, four out. */
#define AT6(m0, m1, m2, m3, m4, m5, r)                                     \
	do {                                                                  \
		v8f s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;   \
		r[0] = m0 + s12 + s34;                                            \
		r[1] = d12 + 2.0f * d34;                                          \
		r[2] = s12 + 4.0f * s34;                                          \
		r[3] = d12 + 8.0f * d34 + m5;                                     \
	} while (0)

/* Every tile back through the epilogue into the channel-last staging
 * image st [4 th][4 tw][Cout] (vector stores only), then 8 x 8 register
 * transposes into NCHW, cropping the tiles past the output's edge. */
static void transform_output(const wgeom *q, const float *m, const nn_epi *e,
                             float *st, float *y)
{
	const size_t ms = (size_t)q->nt * q->op;
	const size_t O = (size_t)q->op, sw = (size_t)4 * q->tw; /* staging width */
	const int o8 = q->o & ~7; /* channels moved by whole transposes */
	for (int a = 0; a < q->th; a++)
		for (int b = 0; b < q->tw; b++) {
			int t = a * q->tw + b;
			for (int co = 0; co < q->op; co += 8) {
				const float *src = m + (size_t)t * q->op + co;
				v8f tmp[4][6];
				for (int j = 0; j < 6; j++) {
					v8f r[4];
					AT6(v8_ld(src + (size_t)(0 * 6 + j) * ms),
					    v8_ld(src + (size_t)(1 * 6 + j) * ms),
					    v8_ld(src + (size_t)(2 * 6 + j) * ms),
					    v8_ld(src + (size_t)(3 * 6 + j) * ms),
					    v8_ld(src + (size_t)(4 * 6 + j) * ms),
					    v8_ld(src + (size_t)(5 * 6 + j) * ms), r);
					for (int i = 0; i < 4; i++)
						tmp[i][j] = r[i];
				}
				v8f sa = v8_set1(1), sb = v8_set1(0);
				if (co + 8 <= q->o) {
					if (e && e->a)
						sa = v8_ld(e->a + co);
					if (e && e->b)
						sb = v8_ld(e->b + co);
				} else {
					/* the epilogue's arrays end at o */
					for (int i = 0; co + i < q->o; i++) {
						if (e && e->a)
							sa[i] = e->a[co + i];
						if (e && e->b)
							sb[i] = e->b[co + i];
					}
				}
				for (int i = 0; i < 4; i++) {
					v8f r[4];
					AT6(tmp[i][0], tmp[i][1], tmp[i][2], tmp[i][3], tmp[i][4],
					    tmp[i][5], r);
					float *d = st + ((size_t)(4 * a + i) * sw + 4 * b) * O + co;
					for (int j = 0; j < 4; j++) {
						v8f val = sa * r[j] + sb;
						if (e && e->relu)
							val = v8_relu(val);
						v8_st(d + (size_t)j * O, val);
					}
				}
			}
		}
	const size_t plane = (size_t)q->ho * q->wo;
	for (int oh = 0; oh < q->ho; oh++) {
		const float *srow = st + (size_t)oh * sw * O;
		float *drow = y + (size_t)oh * q->wo;
		int c0 = 0;
		for (; c0 + 8 <= q->wo; c0 += 8)
			for (int co = 0; co < o8; co += 8)
				tr8(srow + (size_t)c0 * O + co, O, drow + co * plane + c0,
				    plane);
		for (int cc = 0; cc < c0; cc++)
			for (int co = o8; co < q->o; co++)
				drow[co * plane + cc] = srow[(size_t)cc * O + co];
		for (; c0 < q->wo; c0++)
			for (int co = 0; co < q->o; co++)
				drow[co * plane + c0] = srow[(size_t)c0 * O + co];
	}
}

struct wctx {
	apnas_graph *g;
	wgeom q;
	wlayout l;
	const float *x, *w;
	const nn_epi *e;
	float *y;
	float *st;        /* plane sums [n][o][2] (nn_node.bnstat), or NULL */
};

static void wino_task(void *vc, int tid, int nt)
{
	struct wctx *c = vc;
	const wgeom *q = &c->q;
	int a, b;
	nn_part(q->n, tid, nt, &a, &b);
	if (a == b)
		return;
	unsigned char *ws = nn_ws(c->g, tid);
	float *u = (float *)(ws + c->l.u), *xp = (float *)(ws + c->l.xp);
	float *v = (float *)(ws + c->l.v), *m = (float *)(ws + c->l.m);
	float *st = (float *)(ws + c->l.st);
	transform_weights(q, c->w, u);
	for (int n = a; n < b; n++) {
		to_padded_hwc(q, c->x + (size_t)n * q->c * q->h * q->w, xp);
		transform_input(q, xp, v);
		for (int xi = 0; xi < XI; xi++)
			gemm_xi(q, v + (size_t)xi * q->nt * q->cp,
			        u + (size_t)xi * q->cp * q->op,
			        m + (size_t)xi * q->nt * q->op);
		float *yn = c->y + (size_t)n * q->o * q->ho * q->wo;
		transform_output(q, m, c->e, st, yn);
		if (c->st)
			nn_image_stats(yn, q->o, q->ho * q->wo,
			               c->st + 2 * (size_t)n * q->o);
	}
}

void nn_conv_wino_fwd(apnas_graph *g, nn_node *nd, const float *x,
                      const float *w, const nn_epi *e, float *y)
{
	struct wctx c = {0};
	c.g = g;
	c.q = wgeom_of(g, nd);
	c.l = wlayout_of(&c.q);
	c.x = x;
	c.w = w;
	c.e = e;
	c.y = y;
	c.st = nd->bnstat ? nd->aux : NULL;
	double work = (double)c.q.n * c.q.o * c.q.ho * c.q.wo * 9 * c.q.c;
	nn_pool_run_work(g->pool, wino_task, &c, work);
}
