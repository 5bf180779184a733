/* Max and average pooling over k x k windows, and global average pooling.
 * Max pooling records, in TRAIN mode, which window element won (one byte
 * per output) so its backward needs neither the input nor a search.  Ties
 * go to the first element in row-major window order.
 *
 * Stride 1 (the search space's pools) runs on a padded copy of the plane
 * read as one flat array of row stride w + 2p: each window tap is then a
 * single long vector loop over the whole plane instead of one short loop
 * per output row, which on 28-wide planes was mostly loop overhead.  The
 * columns the flat loop computes past each row's end are discarded. */
#include "nn/ops.h"
#include "nn/vec.h"

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
	apnas_graph *g;
	geom q;
	int max, count_pad;
	const float *x, *dy;
	float *y, *dx;
	unsigned char *idx; /* maxpool, TRAIN only */
	int acc_x;
};

/* One output row segment [lo, hi) against window column j of one input
 * row: keeps the running maximum and, when idx is given, which window
 * element holds it.  The index row is int32 and every pointer restrict,
 * so the compare-and-select vectorises (a char pointer may alias
 * anything and would keep it scalar). */
static void max_row(const float *restrict xr, float *restrict m,
                    int32_t *restrict idx, int lo, int hi, int s,
                    int32_t code)
{
	if (idx && s == 1) {
		for (int ow = lo; ow < hi; ow++) {
			float v = xr[ow];
			int gt = v > m[ow];
			m[ow] = gt ? v : m[ow];
			idx[ow] = gt ? code : idx[ow];
		}
	} else if (idx) {
		for (int ow = lo; ow < hi; ow++) {
			float v = xr[ow * s];
			int gt = v > m[ow];
			m[ow] = gt ? v : m[ow];
			idx[ow] = gt ? code : idx[ow];
		}
	} else if (s == 1) {
		for (int ow = lo; ow < hi; ow++)
			m[ow] = xr[ow] > m[ow] ? xr[ow] : m[ow];
	} else {
		for (int ow = lo; ow < hi; ow++)
			m[ow] = xr[ow * s] > m[ow] ? xr[ow * s] : m[ow];
	}
}

/* Output rows are done in column chunks that fit a stack buffer. */
#define CHUNK 256

static void max_plane(const geom *q, const float *x, float *y,
                      unsigned char *idx)
{
	float m[CHUNK];
	int32_t id[CHUNK];
	for (int oh = 0; oh < q->ho; oh++) {
		for (int c0 = 0; c0 < q->wo; c0 += CHUNK) {
			int cw = q->wo - c0 < CHUNK ? q->wo - c0 : CHUNK;
			for (int e = 0; e < cw; e++) {
				m[e] = -INFINITY;
				id[e] = 0;
			}
			for (int i = 0; i < q->k; i++) {
				int ih = oh * q->s - q->p + i;
				if (ih < 0 || ih >= q->h)
					continue;
				const float *xr = x + (size_t)ih * q->w - q->p;
				for (int j = 0; j < q->k; j++) {
					int lo, hi;
					valid_range(q, j, &lo, &hi);
					lo = lo > c0 ? lo - c0 : 0;
					hi = hi - c0 < cw ? hi - c0 : cw;
					if (lo >= hi)
						continue;
					max_row(xr + (size_t)c0 * q->s + j, m, idx ? id : NULL,
					        lo, hi, q->s, i * q->k + j);
				}
			}
			float *yr = y + (size_t)oh * q->wo + c0;
			memcpy(yr, m, (size_t)cw * sizeof(float));
			if (idx) {
				unsigned char *ir = idx + (size_t)oh * q->wo + c0;
				for (int e = 0; e < cw; e++)
					ir[e] = (unsigned char)id[e];
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

/* ---- stride 1 on flat padded planes ---- */

typedef struct flat {
	int wp;      /* padded row stride: w + 2p */
	size_t in;   /* padded plane floats, with slack for 8-wide reads */
	size_t out;  /* flat outputs: ho * wp rounded up to 8 */
	size_t mg;   /* front margin of the backward's flat arrays, so that
	                position e - offset(tap) is always in bounds */
	size_t glen; /* length of those arrays, margin included */
} flat;

static flat flat_of(const geom *q)
{
	flat f;
	f.wp = q->w + 2 * q->p;
	f.out = ((size_t)q->ho * f.wp + 7) & ~(size_t)7;
	f.mg = ((size_t)(q->k - 1) * (f.wp + 1) + 7) & ~(size_t)7;
	size_t padded = (size_t)(q->h + 2 * q->p) * f.wp + 16;
	f.in = f.out + f.mg + 8 > padded ? f.out + f.mg + 8 : padded;
	f.glen = f.mg + (f.out + 8 > padded ? f.out + 8 : padded);
	return f;
}

/* Per-thread workspace of a stride-1 pool: padded plane, flat output (or
 * output gradient, with its margin), flat argmax (likewise). */
static size_t flat_ws(const geom *q)
{
	flat f = flat_of(q);
	return nn_round_up(f.in * sizeof(float)) +
	       2 * nn_round_up(f.glen * sizeof(float));
}

size_t nn_pool_ws(const apnas_graph *g, const nn_node *nd)
{
	geom q = geom_of(g, nd);
	return nd->op == NN_GAP || q.s != 1 ? 0 : flat_ws(&q);
}

static void pad_fill(const geom *q, const flat *f, const float *x, float v,
                     float *xp)
{
	size_t e = 0;
	for (; e < (size_t)q->p * f->wp; e++)
		xp[e] = v;
	for (int r = 0; r < q->h; r++) {
		for (int c = 0; c < q->p; c++)
			xp[e++] = v;
		v8_copy(xp + e, x + (size_t)r * q->w, q->w);
		e += (size_t)q->w;
		for (int c = 0; c < q->p; c++)
			xp[e++] = v;
	}
	for (; e < f->in; e++)
		xp[e] = v;
}

/* Max over every tap for 8 flat outputs at a time, value and winning
 * tap kept in registers; strict > keeps the first tap on ties. */
static void max_flat(const float *xp, const int *off, int kk, float *m,
                     int32_t *id, size_t n)
{
	for (size_t e = 0; e < n; e += 8) {
		v8f mv = v8_ld(xp + e + off[0]);
		v8i iv = {0, 0, 0, 0, 0, 0, 0, 0};
		for (int t = 1; t < kk; t++) {
			v8f v = v8_ld(xp + e + off[t]);
			v8i gt = v > mv;
			mv = (v8f)(((v8i)v & gt) | ((v8i)mv & ~gt));
			v8i tv = {t, t, t, t, t, t, t, t};
			iv = (tv & gt) | (iv & ~gt);
		}
		v8_st(m + e, mv);
		if (id)
			memcpy(id + e, &iv, sizeof iv);
	}
}

static void sum_flat(const float *xp, const int *off, int kk, float *m,
                     size_t n)
{
	for (size_t e = 0; e < n; e += 8) {
		v8f a = v8_ld(xp + e + off[0]);
		for (int t = 1; t < kk; t++)
			a += v8_ld(xp + e + off[t]);
		v8_st(m + e, a);
	}
}

static void pool_plane_s1(const geom *q, int max, int count_pad,
                          const float *x, float *y, unsigned char *idx,
                          unsigned char *ws)
{
	flat f = flat_of(q);
	float *xp = (float *)ws;
	float *m = (float *)(ws + nn_round_up(f.in * sizeof(float)));
	int32_t *id = (int32_t *)((unsigned char *)m +
	                          nn_round_up(f.glen * sizeof(float)));
	int off[q->k * q->k];
	for (int i = 0; i < q->k; i++)
		for (int j = 0; j < q->k; j++)
			off[i * q->k + j] = i * f.wp + j;
	pad_fill(q, &f, x, max ? -INFINITY : 0.0f, xp);
	if (max)
		max_flat(xp, off, q->k * q->k, m, idx ? id : NULL, f.out);
	else
		sum_flat(xp, off, q->k * q->k, m, f.out);
	const float full = 1.0f / (float)(q->k * q->k);
	for (int oh = 0; oh < q->ho; oh++) {
		const float *mr = m + (size_t)oh * f.wp;
		float *yr = y + (size_t)oh * q->wo;
		if (max) {
			v8_copy(yr, mr, q->wo);
			if (idx)
				for (int ow = 0; ow < q->wo; ow++)
					idx[(size_t)oh * q->wo + ow] =
					    (unsigned char)id[(size_t)oh * f.wp + ow];
		} else if (count_pad) {
			for (int ow = 0; ow < q->wo; ow++)
				yr[ow] = mr[ow] * full;
		} else {
			int ch = window_count(oh, 1, q->p, q->k, q->h);
			for (int ow = 0; ow < q->wo; ow++)
				yr[ow] = mr[ow] /
				         (float)(ch * window_count(ow, 1, q->p, q->k, q->w));
		}
	}
}

/* Backward of a stride-1 pool as a gather: padded input position e
 * receives, from every tap t, the (scaled) gradient of output e - off[t]
 * if that output took it (max) or always (avg).  The flat gradient and
 * argmax arrays carry a front margin of zeros / -1 so that e - off[t] is
 * always readable. */
static void pool_plane_s1_bwd(const geom *q, int max, int count_pad,
                              const float *dy, const unsigned char *idx,
                              float *dx, int acc, unsigned char *ws)
{
	flat f = flat_of(q);
	float *dp = (float *)ws;
	float *g = (float *)(ws + nn_round_up(f.in * sizeof(float)));
	int32_t *id = (int32_t *)((unsigned char *)g +
	                          nn_round_up(f.glen * sizeof(float)));
	const float full = 1.0f / (float)(q->k * q->k);
	memset(g, 0, f.mg * sizeof(float));
	for (size_t e = 0; e < f.mg && max; e++)
		id[e] = -1;
	float *gm = g + f.mg;
	int32_t *im = id + f.mg;
	for (int oh = 0; oh < q->ho; oh++) {
		float *gr = gm + (size_t)oh * f.wp;
		const float *dr = dy + (size_t)oh * q->wo;
		int ch = window_count(oh, 1, q->p, q->k, q->h);
		for (int ow = 0; ow < q->wo; ow++) {
			float sc = max ? 1.0f
			          : count_pad ? full
			                      : 1.0f / (float)(ch * window_count(
			                                    ow, 1, q->p, q->k, q->w));
			gr[ow] = dr[ow] * sc;
			if (max)
				im[(size_t)oh * f.wp + ow] = idx[(size_t)oh * q->wo + ow];
		}
		for (int ow = q->wo; ow < f.wp; ow++) {
			gr[ow] = 0.0f;
			if (max)
				im[(size_t)oh * f.wp + ow] = -1;
		}
	}
	for (size_t e = (size_t)q->ho * f.wp; e < f.glen - f.mg; e++) {
		gm[e] = 0.0f;
		if (max)
			im[e] = -1;
	}
	const int kk = q->k * q->k;
	int off[kk];
	for (int i = 0; i < q->k; i++)
		for (int j = 0; j < q->k; j++)
			off[i * q->k + j] = i * f.wp + j;
	/* every padded position that holds an input pixel */
	size_t n_in = (size_t)(q->h + q->p) * f.wp;
	for (size_t e = 0; e < n_in; e += 8) {
		v8f a = v8_set1(0);
		for (int t = 0; t < kk; t++) {
			const float *gs = gm + e - off[t];
			if (max) {
				v8i tv = {t, t, t, t, t, t, t, t}, iv;
				memcpy(&iv, im + e - off[t], sizeof iv);
				a += (v8f)((v8i)v8_ld(gs) & (iv == tv));
			} else {
				a += v8_ld(gs);
			}
		}
		v8_st(dp + e, a);
	}
	for (int r = 0; r < q->h; r++) {
		const float *sr = dp + (size_t)(r + q->p) * f.wp + q->p;
		float *xr = dx + (size_t)r * q->w;
		if (acc)
			for (int c = 0; c < q->w; c++)
				xr[c] += sr[c];
		else
			v8_copy(xr, sr, q->w);
	}
}

/* ---- 2x2 stride 2, no padding: the reduction layer ---- */

static int is_k2s2(const geom *q)
{
	return q->k == 2 && q->s == 2 && q->p == 0;
}

/* Even and odd floats of 16 consecutive ones: a window row's left and
 * right elements for 8 outputs. */
static inline void deal(const float *p, v8f *ev, v8f *od)
{
	v8f lo = v8_ld(p), hi = v8_ld(p + 8);
	*ev = __builtin_shufflevector(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14);
	*od = __builtin_shufflevector(lo, hi, 1, 3, 5, 7, 9, 11, 13, 15);
}

static inline v8f pick(v8i m, v8f a, v8f b)
{
	return (v8f)((m & (v8i)a) | (~m & (v8i)b));
}

/* Eight outputs at once, the scalar loop's compares in its order (strict
 * >, so a tie keeps the earlier element and a NaN never wins), hence its
 * values and indices bit for bit.  The 2x2 reduction pool was a scalar
 * loop and a tenth of an inference step. */
static void max8_k2s2(const float *r0, const float *r1, float *yr,
                      unsigned char *ir)
{
	v8f a, b, c, d;
	deal(r0, &a, &b);
	deal(r1, &c, &d);
	v8f m = a;
	v8i t = {0, 0, 0, 0, 0, 0, 0, 0}, one = t + 1;
	v8i gt = b > m;
	m = pick(gt, b, m);
	t = (gt & one) | (~gt & t);
	gt = c > m;
	m = pick(gt, c, m);
	t = (gt & (one + 1)) | (~gt & t);
	gt = d > m;
	m = pick(gt, d, m);
	t = (gt & (one + 2)) | (~gt & t);
	v8_st(yr, m);
	if (ir)
		for (int e = 0; e < 8; e++)
			ir[e] = (unsigned char)t[e];
}

static void max_plane_k2s2(const geom *q, const float *restrict x,
                           float *restrict y, unsigned char *restrict idx)
{
	for (int oh = 0; oh < q->ho; oh++) {
		const float *r0 = x + (size_t)2 * oh * q->w, *r1 = r0 + q->w;
		float *yr = y + (size_t)oh * q->wo;
		unsigned char *ir = idx ? idx + (size_t)oh * q->wo : NULL;
		int ow = 0;
		for (; ow + 8 <= q->wo; ow += 8)
			max8_k2s2(r0 + 2 * ow, r1 + 2 * ow, yr + ow,
			          ir ? ir + ow : NULL);
		for (; ow < q->wo; ow++) {
			float a = r0[2 * ow], b = r0[2 * ow + 1];
			float c = r1[2 * ow], d = r1[2 * ow + 1];
			/* first maximum in window order a, b, c, d */
			int t = 0;
			float m = a;
			if (b > m) { m = b; t = 1; }
			if (c > m) { m = c; t = 2; }
			if (d > m) { m = d; t = 3; }
			yr[ow] = m;
			if (ir)
				ir[ow] = (unsigned char)t;
		}
	}
}

static void max_plane_k2s2_bwd(const geom *q, const float *restrict dy,
                               const unsigned char *restrict idx,
                               float *restrict dx, int acc)
{
	/* Windows do not overlap: each covered input pixel gets exactly one
	 * term; an odd last row or column is covered by none. */
	if (!acc && ((q->h & 1) || (q->w & 1)))
		memset(dx, 0, (size_t)q->h * q->w * sizeof(float));
	for (int oh = 0; oh < q->ho; oh++) {
		float *r0 = dx + (size_t)2 * oh * q->w, *r1 = r0 + q->w;
		const float *dr = dy + (size_t)oh * q->wo;
		const unsigned char *ir = idx + (size_t)oh * q->wo;
		int ow = 0;
		for (; ow + 8 <= q->wo; ow += 8) {
			v8f g = v8_ld(dr + ow), z = v8_set1(0.0f);
			v8i t;
			for (int e = 0; e < 8; e++)
				t[e] = ir[ow + e];
			v8i one = {1, 1, 1, 1, 1, 1, 1, 1};
			v8f a = pick(t == 0, g, z), b = pick(t == one, g, z);
			v8f c = pick(t == one + 1, g, z), d = pick(t == one + 2, g, z);
			/* back to pairs: a0 b0 a1 b1 ..., c0 d0 c1 d1 ... */
			v8f x0 = __builtin_shufflevector(a, b, 0, 8, 1, 9, 2, 10, 3, 11);
			v8f x1 = __builtin_shufflevector(a, b, 4, 12, 5, 13, 6, 14, 7,
			                                 15);
			v8f y0 = __builtin_shufflevector(c, d, 0, 8, 1, 9, 2, 10, 3, 11);
			v8f y1 = __builtin_shufflevector(c, d, 4, 12, 5, 13, 6, 14, 7,
			                                 15);
			float *p0 = r0 + 2 * ow, *p1 = r1 + 2 * ow;
			if (acc) {
				x0 += v8_ld(p0);
				x1 += v8_ld(p0 + 8);
				y0 += v8_ld(p1);
				y1 += v8_ld(p1 + 8);
			}
			v8_st(p0, x0);
			v8_st(p0 + 8, x1);
			v8_st(p1, y0);
			v8_st(p1 + 8, y1);
		}
		for (; ow < q->wo; ow++) {
			float g = dr[ow];
			int t = ir[ow];
			float a = t == 0 ? g : 0.0f, b = t == 1 ? g : 0.0f;
			float c = t == 2 ? g : 0.0f, d = t == 3 ? g : 0.0f;
			if (acc) {
				r0[2 * ow] += a;
				r0[2 * ow + 1] += b;
				r1[2 * ow] += c;
				r1[2 * ow + 1] += d;
			} else {
				r0[2 * ow] = a;
				r0[2 * ow + 1] = b;
				r1[2 * ow] = c;
				r1[2 * ow + 1] = d;
			}
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
			if (q->s == 1)
				pool_plane_s1(q, c->max, c->count_pad, c->x + pl * in_pl,
				              c->y + pl * out_pl,
				              c->idx ? c->idx + pl * out_pl : NULL,
				              nn_ws(c->g, tid));
			else if (c->max && is_k2s2(q))
				max_plane_k2s2(q, c->x + pl * in_pl, c->y + pl * out_pl,
				               c->idx ? c->idx + pl * out_pl : NULL);
			else if (c->max)
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
	c.g = g;
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
			if (q->s == 1) {
				pool_plane_s1_bwd(q, c->max, c->count_pad, dy,
				                  c->idx ? c->idx + pl * out_pl : NULL, dx,
				                  c->acc_x, nn_ws(c->g, tid));
				continue;
			}
			if (c->max && is_k2s2(q)) {
				max_plane_k2s2_bwd(q, dy, c->idx + pl * out_pl, dx, c->acc_x);
				continue;
			}
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
	c.g = g;
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
