/* The memory model of systolic_memory.h.
 *
 * Folds run column fold outer, row fold inner, as SCALE-Sim v2 runs them.
 * Each operand of a product is held one of two ways:
 *
 *   - it fits: its distinct DRAM words (the footprint) are at most its
 *     buffer's capacity.  It is loaded whole before the first fold and
 *     never again: the compulsory traffic.
 *   - it does not: the buffer stages tiles, the block of the operand
 *     matrix one fold reads (every entry the fold reads, as the array reads
 *     it).  Which folds share a tile follows from the dataflow and the loop
 *     order (kind):
 *        os: ifmap tile = row fold (FR), filter tile = column fold (FC)
 *        ws: ifmap tile = row fold (FR), filter tile = the fold (FOLD)
 *        is: ifmap tile = the fold (FOLD), filter tile = row fold (FR)
 *     A fold fetches its tile unless the fold before it used the same
 *     tile and the tile fits in half the buffer (the other half holds the
 *     next tile being fetched).  Only os's filter tiles can be so held:
 *     a row-fold tile changes every fold when Fr > 1 and is the whole
 *     operand matrix (at least the footprint that did not fit) when
 *     Fr = 1.
 *
 * The ofmap: every output (os) or every row fold's partial sums (ws, is,
 * as SCALE-Sim writes them) go to DRAM once, during the next fold.
 *
 * Timing (bandwidth B words per cycle, one port): fold 0's fetch happens
 * before it (all stall); while fold i computes, the port moves fold i+1's
 * fetch and fold i-1's outputs, and fold i+1 starts when both are done;
 * after the last fold its outputs are written (stall).  So
 *   stall = ceil(P0/B) + sum_i max(0, ceil((P(i+1) + W(i-1))/B) - fold)
 *           + ceil(W(last)/B).
 * Folds in the middle of a pass, and passes in the middle of a layer, have
 * the same P and W, so the sum is taken in closed form over the folds'
 * positions (first, middle, last but one, last; product_stalls): O(1) per
 * layer, a divide only for a fold that waits. */
#include "systolic_memory.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void apnas_mem_cfg_default(apnas_mem_cfg *c)
{
	c->ifmap_kb = 64;
	c->filter_kb = 64;
	c->ofmap_kb = 64;
	c->word_bytes = 1;
	c->bandwidth = 0;
}

static int check_kb(const char *what, int64_t kb, apnas_error *err)
{
	if (kb < 1 || kb > APNAS_MEM_KB_MAX)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "%s: expected a buffer size in kB from 1 to "
		                       "%lld, got %lld", what,
		                       (long long)APNAS_MEM_KB_MAX, (long long)kb);
	return 0;
}

int apnas_mem_cfg_check(const apnas_mem_cfg *c, apnas_error *err)
{
	int rc;
	if ((rc = check_kb("ifmap_sram_kb", c->ifmap_kb, err)) ||
	    (rc = check_kb("filter_sram_kb", c->filter_kb, err)) ||
	    (rc = check_kb("ofmap_sram_kb", c->ofmap_kb, err)))
		return rc;
	if (c->word_bytes != 1 && c->word_bytes != 2 && c->word_bytes != 4)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "word_bytes: expected 1, 2 or 4, got %lld",
		                       (long long)c->word_bytes);
	if (c->bandwidth < 0 || c->bandwidth > APNAS_MEM_BW_MAX)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "bandwidth: expected words per cycle from 1 "
		                       "to %lld, or 0 for unlimited, got %lld",
		                       (long long)APNAS_MEM_BW_MAX,
		                       (long long)c->bandwidth);
	return 0;
}

int apnas_mem_cfg_set(apnas_mem_cfg *c, const char *name, int64_t value,
                      apnas_error *err)
{
	apnas_mem_cfg t = *c;
	if (!strcmp(name, "ifmap_sram_kb"))
		t.ifmap_kb = value;
	else if (!strcmp(name, "filter_sram_kb"))
		t.filter_kb = value;
	else if (!strcmp(name, "ofmap_sram_kb"))
		t.ofmap_kb = value;
	else if (!strcmp(name, "word_bytes"))
		t.word_bytes = value;
	else if (!strcmp(name, "bandwidth"))
		t.bandwidth = value;
	else
		return apnas_error_set(err, APNAS_EINVAL,
		                       "'%s': expected one of ifmap_sram_kb, "
		                       "filter_sram_kb, ofmap_sram_kb, word_bytes, "
		                       "bandwidth", name);
	int rc = apnas_mem_cfg_check(&t, err);
	if (!rc)
		*c = t;
	return rc;
}

int apnas_mem_cfg_set_text(apnas_mem_cfg *c, const char *name,
                           const char *text, apnas_error *err)
{
	if (!strcmp(name, "bandwidth") && text && !strcmp(text, "unlimited"))
		return apnas_mem_cfg_set(c, name, 0, err);
	char *end;
	errno = 0;
	long long v = text ? strtoll(text, &end, 10) : 0;
	if (!text || !*text || *end || errno)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "%s: expected an integer, got '%s'", name,
		                       text ? text : "");
	return apnas_mem_cfg_set(c, name, (int64_t)v, err);
}

uint64_t apnas_mem_capacity(int64_t kb, int64_t word_bytes)
{
	/* word_bytes is 1, 2 or 4 (checked): a shift, not a divide. */
	return ((uint64_t)kb << 10) >> (word_bytes == 4 ? 2 : word_bytes == 2);
}

/* Positions of a padded input of n that windows of f at stride s, e of
 * them from 0, touch (SCALE-Sim's partial edge window included, clipped
 * at n).  Windows overlap or abut when s <= f; else only the last may be
 * partial (the output size is the floor or the ceiling rule). */
static inline uint64_t touched(int64_t n, int64_t f, int64_t s, int64_t e)
{
	if (s <= f) {
		int64_t hi = (e - 1) * s + f;
		return (uint64_t)(hi < n ? hi : n);
	}
	int64_t full = n >= f ? (n - f) / s + 1 : 0;
	if (full > e)
		full = e;
	uint64_t t = (uint64_t)full * (uint64_t)f;
	for (int64_t o = full; o < e; o++)
		if (o * s < n)
			t += (uint64_t)(n - o * s < f ? n - o * s : f);
	return t;
}

static int too_big(apnas_error *err, const char *what)
{
	return apnas_error_set(err, APNAS_EINVAL,
	                       "%s does not fit in 64 bits", what);
}

int apnas_mem_plan_make(const apnas_array *a, const apnas_mem_cfg *m,
                        const apnas_layer *l, const apnas_gemm *g,
                        apnas_mem_plan *mp, apnas_error *err)
{
	int rc;
	if ((rc = apnas_systolic_plan(a, g->e, g->k, g->m, &mp->p, err)))
		return rc;
	mp->r = (uint64_t)a->rows;
	mp->c = (uint64_t)a->cols;
	mp->rl = mp->p.sr - (mp->p.fr - 1) * mp->r;
	mp->cl = mp->p.sc - (mp->p.fc - 1) * mp->c;
	/* Every tile is at most max(R, C) x T or R x C words. */
	uint64_t big = mp->r > mp->c ? mp->r : mp->c, x;
	if (__builtin_mul_overflow(big, mp->p.t, &x) ||
	    __builtin_mul_overflow(mp->p.sr, mp->p.sc, &x) ||
	    __builtin_mul_overflow(g->e, g->k, &x) ||
	    __builtin_mul_overflow(g->k, g->m, &x))
		return too_big(err, "a tile or operand size");
	/* Footprints of one product. */
	if (l->type == APNAS_LAYER_FC) {
		mp->foot[APNAS_OP_IFMAP] = g->k;
	} else {
		int64_t hp = (int64_t)l->in.h + 2 * l->pad_h;
		int64_t wp = (int64_t)l->in.w + 2 * l->pad_w;
		uint64_t th = touched(hp, l->kh, l->stride, l->out.h);
		uint64_t tw = touched(wp, l->kw, l->stride, l->out.w);
		uint64_t ch = l->type == APNAS_LAYER_CONV ? (uint64_t)l->in.c : 1;
		if (__builtin_mul_overflow(th, tw, &x) ||
		    __builtin_mul_overflow(x, ch, &x))
			return too_big(err, "the input footprint");
		mp->foot[APNAS_OP_IFMAP] = x;
	}
	mp->foot[APNAS_OP_FILTER] = g->k * g->m;
	mp->cap[APNAS_OP_IFMAP] = apnas_mem_capacity(m->ifmap_kb, m->word_bytes);
	mp->cap[APNAS_OP_FILTER] = apnas_mem_capacity(m->filter_kb,
	                                              m->word_bytes);
	for (int op = 0; op < 2; op++)
		mp->fits[op] = mp->foot[op] <= mp->cap[op];
	switch (a->dataflow) {
	case APNAS_DF_OS:
		mp->kind[APNAS_OP_IFMAP] = APNAS_TILE_FR;
		mp->kind[APNAS_OP_FILTER] = APNAS_TILE_FC;
		break;
	case APNAS_DF_WS:
		mp->kind[APNAS_OP_IFMAP] = APNAS_TILE_FR;
		mp->kind[APNAS_OP_FILTER] = APNAS_TILE_FOLD;
		break;
	case APNAS_DF_IS:
		mp->kind[APNAS_OP_IFMAP] = APNAS_TILE_FOLD;
		mp->kind[APNAS_OP_FILTER] = APNAS_TILE_FR;
		break;
	}
	return 0;
}

static uint64_t rows_of(const apnas_mem_plan *mp, uint64_t fr)
{
	return fr + 1 == mp->p.fr ? mp->rl : mp->r;
}

static uint64_t cols_of(const apnas_mem_plan *mp, uint64_t fc)
{
	return fc + 1 == mp->p.fc ? mp->cl : mp->c;
}

/* Internal versions the stall sum inlines; the public ones wrap them. */
static inline uint64_t tile_words(const apnas_mem_plan *mp, int op,
                                  uint64_t fc, uint64_t fr)
{
	switch (mp->kind[op]) {
	case APNAS_TILE_FR: return rows_of(mp, fr) * mp->p.t;
	case APNAS_TILE_FC: return mp->p.t * cols_of(mp, fc);
	default: return rows_of(mp, fr) * cols_of(mp, fc);
	}
}

static inline uint64_t fetch_words(const apnas_mem_plan *mp, int op,
                                   uint64_t fc, uint64_t fr)
{
	if (mp->fits[op])
		return fc == 0 && fr == 0 ? mp->foot[op] : 0;
	uint64_t w = tile_words(mp, op, fc, fr);
	/* Only a column-fold tile (os's filter) serves folds in a row: a
	 * row-fold tile changes every fold when Fr > 1, and when Fr = 1 it is
	 * the whole operand matrix, at least the footprint that did not fit. */
	int held = mp->kind[op] == APNAS_TILE_FC && fr > 0 &&
	           w <= mp->cap[op] / 2;
	return held ? 0 : w;
}

static inline uint64_t out_words(const apnas_mem_plan *mp, uint64_t fc,
                                 uint64_t fr)
{
	if (mp->kind[APNAS_OP_IFMAP] == APNAS_TILE_FR &&
	    mp->kind[APNAS_OP_FILTER] == APNAS_TILE_FC) /* os */
		return rows_of(mp, fr) * cols_of(mp, fc);
	return mp->p.t * cols_of(mp, fc);
}

uint64_t apnas_mem_tile_words(const apnas_mem_plan *mp, int op, uint64_t fc,
                              uint64_t fr)
{
	return tile_words(mp, op, fc, fr);
}

uint64_t apnas_mem_fetch_words(const apnas_mem_plan *mp, int op, uint64_t fc,
                               uint64_t fr)
{
	return fetch_words(mp, op, fc, fr);
}

uint64_t apnas_mem_out_words(const apnas_mem_plan *mp, uint64_t fc,
                             uint64_t fr)
{
	return out_words(mp, fc, fr);
}

/* A fold's fetch and write-back depend only on where it lies: first of
 * the layer, first of its pass (fr = 0), in the last row fold, in the last
 * column fold.  The tables follow fetch_words and out_words, index [last
 * fr][last fc]; with Fr = 1 (Fc = 1) only the "last" row (column) entries
 * are read, so the others may take R (C) for the fold's rows (columns). */
typedef struct fold_tab {
	uint64_t p_first;  /* fold (0, 0): fitting operands whole + its tiles */
	uint64_t p1[2][2]; /* first fold of a pass: every tile it streams */
	uint64_t p0[2][2]; /* a later fold: a held tile (os's filter) skipped */
	uint64_t w[2][2];  /* outputs it writes back */
} fold_tab;

/* One entry of each table per dataflow (the kinds of apnas_mem_plan_make:
 * os ifmap FR, filter FC; ws ifmap FR, filter FOLD; is ifmap FOLD, filter
 * FR).  Tile sizes cannot overflow: the plan bounded max(R, C) x T and
 * Sr x Sc; sums wrap as fetch_words' callers' do, and are checked where
 * they are used. */
static inline __attribute__((always_inline)) void
fold_entry(fold_tab *t, int i, int j, apnas_dataflow df, uint64_t rows,
           uint64_t cols, uint64_t T, uint64_t half, int fi, int ff)
{
	uint64_t rt = rows * T, rc = rows * cols, tc = T * cols;
	uint64_t in = df == APNAS_DF_IS ? rc : rt;
	uint64_t f = df == APNAS_DF_OS ? tc : df == APNAS_DF_WS ? rc : rt;
	/* Only os's filter tile can be held over the folds of its pass. */
	uint64_t fh = df == APNAS_DF_OS && tc <= half ? 0 : f;
	in = fi ? 0 : in;
	f = ff ? 0 : f;
	fh = ff ? 0 : fh;
	t->p1[i][j] = in + f;
	t->p0[i][j] = in + fh;
	t->w[i][j] = df == APNAS_DF_OS ? rc : tc;
}

static inline __attribute__((always_inline)) void
fold_tab_df(const apnas_mem_plan *mp, apnas_dataflow df, fold_tab *t)
{
	const uint64_t T = mp->p.t, half = mp->cap[APNAS_OP_FILTER] / 2;
	const int fi = mp->fits[APNAS_OP_IFMAP], ff = mp->fits[APNAS_OP_FILTER];
	fold_entry(t, 0, 0, df, mp->r, mp->c, T, half, fi, ff);
	fold_entry(t, 0, 1, df, mp->r, mp->cl, T, half, fi, ff);
	fold_entry(t, 1, 0, df, mp->rl, mp->c, T, half, fi, ff);
	fold_entry(t, 1, 1, df, mp->rl, mp->cl, T, half, fi, ff);
	t->p_first = t->p1[mp->p.fr == 1][mp->p.fc == 1] +
	             (fi ? mp->foot[APNAS_OP_IFMAP] : 0) +
	             (ff ? mp->foot[APNAS_OP_FILTER] : 0);
}

/* One copy per dataflow, so each holds only its own arithmetic. */
static void fold_tab_make(const apnas_mem_plan *mp, apnas_dataflow df,
                          fold_tab *t)
{
	switch (df) {
	case APNAS_DF_OS: fold_tab_df(mp, APNAS_DF_OS, t); break;
	case APNAS_DF_WS: fold_tab_df(mp, APNAS_DF_WS, t); break;
	default: fold_tab_df(mp, APNAS_DF_IS, t); break;
	}
}

/* ceil(x / B) for one B and many x, without a divide per x: for x and B
 * below 2^32, floor(x / B) is the high word of x times ceil(2^64 / B)
 * (Lemire, Kaser and Kurz, "Faster remainder by direct computation",
 * 2019, theorem 1 with N = 32, F = 64); B = 1 needs no division.  A
 * caller that knows every x is below 2^32 passes small = 1 and skips the
 * test per x; anything wider divides.  Exact either way. */
typedef struct divider {
	uint64_t b;
	uint64_t c; /* ceil(2^64 / b) for 1 < b < 2^32, else 0 */
} divider;

static inline void divider_init(divider *d, uint64_t b)
{
	d->b = b;
	d->c = 0;
#ifdef __SIZEOF_INT128__
	if (b > 1 && b >> 32 == 0)
		d->c = UINT64_MAX / b + 1;
#endif
}

static inline __attribute__((always_inline)) uint64_t
divider_ceil(const divider *d, uint64_t x, int small)
{
	uint64_t q;
#ifdef __SIZEOF_INT128__
	if (small || (d->c && x >> 32 == 0))
		q = (uint64_t)(((unsigned __int128)d->c * x) >> 64);
	else
#endif
		q = d->b == 1 ? x : apnas_udiv(x, d->b);
	return q + (q * d->b != x);
}

/* a + b and a x b, setting *bad on overflow when `checked`; unchecked
 * when the caller bounded every value (the common case). */
static inline uint64_t add_ck(uint64_t a, uint64_t b, int *bad, int checked)
{
	uint64_t r;
	if (!checked)
		return a + b;
	*bad |= __builtin_add_overflow(a, b, &r);
	return r;
}

static inline uint64_t mul_ck(uint64_t a, uint64_t b, int *bad, int checked)
{
	uint64_t r;
	if (!checked)
		return a * b;
	*bad |= __builtin_mul_overflow(a, b, &r);
	return r;
}

/* What the stall sum needs of one product. */
typedef struct stall_ctx {
	fold_tab t;
	uint64_t F, G;   /* row and column folds */
	uint64_t budget; /* words the port moves during a fold (saturated) */
	divider bw;
	int bad_move;    /* a fold's traffic passed 2^64 */
	int bad;         /* the stall count did */
} stall_ctx;

/* Cycles a fold waits whose port moves a + b words:
 * max(0, ceil((a + b) / B) - fold) = ceil((a + b - fold B) / B) when the
 * words exceed the budget fold x B (a division only then). */
static inline __attribute__((always_inline)) uint64_t
fold_wait(stall_ctx *x, uint64_t a, uint64_t b, int checked, int small)
{
	uint64_t move = add_ck(a, b, &x->bad_move, checked);
	return move > x->budget ? divider_ceil(&x->bw, move - x->budget, small)
	                        : 0;
}

/* The waits of one pass (a column fold's Fr folds): its first fold
 * fetches the second's tiles while the previous pass's last outputs
 * (prev) are written; the middle ones (mid, computed once per kind of
 * pass) are alike; its last fetches the next pass's first tiles (next). */
static inline __attribute__((always_inline)) uint64_t
pass_wait(stall_ctx *x, int last, uint64_t prev, uint64_t next,
          const uint64_t mid[2], int checked, int small)
{
	if (x->F == 1)
		return fold_wait(x, next, prev, checked, small);
	uint64_t s = fold_wait(x, x->t.p0[x->F == 2][last], prev, checked,
	                       small);
	s = add_ck(s, mid[last], &x->bad, checked);
	return add_ck(s, fold_wait(x, next, x->t.w[0][last], checked, small),
	              &x->bad, checked);
}

/* The stall sum over the folds' positions: passes are the first, the
 * middle ones (all alike), the last but one and the last; within a pass,
 * folds are the first, the middle ones, the last but one and the last. */
static inline __attribute__((always_inline)) uint64_t
stall_sum(stall_ctx *x, int checked, int small)
{
	const uint64_t F = x->F, G = x->G;
	const fold_tab *t = &x->t;
	/* Middle folds of a pass (fr = 1 .. Fr - 2): each fetches the next
	 * fold's tiles while the previous fold's outputs are written; only
	 * the last but one fetches tiles of the last row fold.  [last pass] */
	uint64_t mid[2] = {0, 0};
	for (int last = G >= 2 ? 0 : 1; F >= 3 && last < 2; last++) {
		uint64_t m = fold_wait(x, t->p0[1][last], t->w[0][last], checked,
		                       small);
		if (F >= 4)
			m = add_ck(m, mul_ck(F - 3, fold_wait(x, t->p0[0][last],
			                                      t->w[0][last],
			                                      checked, small),
			                     &x->bad, checked), &x->bad, checked);
		mid[last] = m;
	}
	const uint64_t nx0 = t->p1[F == 1][0], nx1 = t->p1[F == 1][1];
	const uint64_t wp = t->w[1][0]; /* a pass's last outputs */
	uint64_t s = divider_ceil(&x->bw, t->p_first, small), v;
	v = pass_wait(x, G == 1, 0, G == 1 ? 0 : G == 2 ? nx1 : nx0, mid,
	              checked, small);
	s = add_ck(s, v, &x->bad, checked);
	if (G >= 4) {
		v = pass_wait(x, 0, wp, nx0, mid, checked, small);
		s = add_ck(s, mul_ck(G - 3, v, &x->bad, checked), &x->bad,
		           checked);
	}
	if (G >= 3)
		s = add_ck(s, pass_wait(x, 0, wp, nx1, mid, checked, small),
		           &x->bad, checked);
	if (G >= 2)
		s = add_ck(s, pass_wait(x, 1, wp, 0, mid, checked, small),
		           &x->bad, checked);
	return add_ck(s, divider_ceil(&x->bw, t->w[1][1], small), &x->bad,
	              checked);
}

/* Stall cycles of one product (see the top of this file). */
static int product_stalls(const apnas_mem_plan *mp, apnas_dataflow df,
                          uint64_t bw, uint64_t *stall, apnas_error *err)
{
	const apnas_fold_plan *p = &mp->p;
	stall_ctx x;
	x.F = p->fr;
	x.G = p->fc;
	x.bad_move = x.bad = 0;
	fold_tab_make(mp, df, &x.t);
	divider_init(&x.bw, bw);
	/* If fold x B overflows, no traffic can exceed it. */
	if (__builtin_mul_overflow(p->fold_cycles, bw, &x.budget))
		x.budget = UINT64_MAX;
	/* Every fold's traffic is at most V = (R + C) T + 2 R C + T C plus
	 * the footprints (two tiles and an output block, see fold_entry), and
	 * the stall count at most (Fr Fc + 2) V: under 2^62 nothing can
	 * overflow and the sum runs unchecked; with V under 2^32 too (and
	 * 1 < B < 2^32) every ceil(x / B) is a multiply. */
	double R = (double)mp->r, C = (double)mp->c, T = (double)p->t;
	double v = (R + C) * T + 2 * R * C + T * C +
	           (double)mp->foot[APNAS_OP_IFMAP] +
	           (double)mp->foot[APNAS_OP_FILTER];
	if (((double)p->fr * (double)p->fc + 2) * v < 0x1p62) {
		*stall = v < 0x1p32 && x.bw.c ? stall_sum(&x, 0, 1)
		                              : stall_sum(&x, 0, 0);
		return 0;
	}
	uint64_t s = stall_sum(&x, 1, 0);
	if (x.bad_move)
		return too_big(err, "a fold's DRAM traffic");
	if (x.bad)
		return too_big(err, "the stall count");
	*stall = s;
	return 0;
}

/* Every figure of one product but the stalls, the compute ones per
 * dataflow.  checked: overflow is possible, test every step. */
static inline __attribute__((always_inline)) int
product_counts(const apnas_mem_plan *mp, apnas_dataflow df, apnas_mem_cost *c,
               int checked)
{
	const apnas_fold_plan *p = &mp->p;
	const uint64_t R = mp->r, C = mp->c, fr = p->fr, fc = p->fc;
	const uint64_t sr = p->sr, sc = p->sc, t = p->t;
	uint64_t ifs, fis, ofs, ofd, hops, macs, regs;
	int bad = 0;
#define MUL(a, b) mul_ck((a), (b), &bad, checked)
#define ADD(a, b) add_ck((a), (b), &bad, checked)
	/* SRAM, as SCALE-Sim's compute modules count them: each fold reads
	 * its block of each streamed operand (padding and partial edge
	 * windows included) and, os, writes its outputs plus R + C for the
	 * drain rows its ofmap demand carries. */
	switch (df) {
	case APNAS_DF_OS:
		ifs = MUL(MUL(fc, sr), t);
		fis = MUL(MUL(fr, t), sc);
		ofd = MUL(sr, sc);
		ofs = ADD(ofd, MUL(fr * fc, R + C));
		break;
	case APNAS_DF_WS:
		ifs = MUL(MUL(fc, t), sr);
		fis = MUL(sr, sc);
		ofs = ofd = MUL(MUL(fr, t), sc);
		break;
	default:
		ifs = MUL(sr, sc);
		fis = MUL(MUL(fc, sr), t);
		ofs = ofd = MUL(MUL(fr, sc), t);
		break;
	}
	/* Hops: a streamed operand crosses C - 1 (rows) or R - 1 (columns)
	 * links; ws and is partial sums go down R - 1 links and the
	 * stationary block is shifted down to its row, i links for row i. */
	hops = ADD(MUL(MUL(MUL(fc, sr), t), C - 1),
	           MUL(MUL(MUL(fr, sc), t), R - 1));
	if (df != APNAS_DF_OS) {
		hops = ADD(hops, MUL(MUL(sc, fr - 1), R * (R - 1) / 2));
		hops = ADD(hops, MUL(sc, mp->rl * (mp->rl - 1) / 2));
	}
	macs = MUL(MUL(sr, sc), t);
	regs = MUL(macs, 3);
	/* DRAM: what does not fit is refetched (see the top of this file). */
	uint64_t ifd = mp->foot[APNAS_OP_IFMAP], fid = mp->foot[APNAS_OP_FILTER];
	if (!mp->fits[APNAS_OP_IFMAP])
		/* FR: every pass reads every row-fold tile again; FOLD: every
		 * fold its own block. */
		ifd = df == APNAS_DF_IS ? sr * sc : MUL(sr * t, fc);
	if (!mp->fits[APNAS_OP_FILTER]) {
		if (df == APNAS_DF_OS) {
			/* FC: a column fold's tile serves its Fr folds in a
			 * row: once if it fits half the buffer, else every
			 * fold. */
			uint64_t half = mp->cap[APNAS_OP_FILTER] / 2;
			uint64_t w = t * C, wl = t * mp->cl;
			fid = ADD(MUL(w, (fc - 1) * (w <= half ? 1 : fr)),
			          MUL(wl, wl <= half ? 1 : fr));
		} else {
			fid = df == APNAS_DF_WS ? sr * sc : MUL(sr * t, fc);
		}
	}
#undef MUL
#undef ADD
	c->ifmap_sram_reads = ifs;
	c->filter_sram_reads = fis;
	c->ofmap_sram_writes = ofs;
	c->ifmap_dram_reads = ifd;
	c->filter_dram_reads = fid;
	c->ofmap_dram_writes = ofd;
	c->macs = macs;
	c->pe_reg_accesses = regs;
	c->pe_hops = hops;
	c->cycles = p->cycles;
	return bad;
}

/* Every figure of one product. */
static int product(const apnas_array *a, const apnas_mem_cfg *m,
                   const apnas_mem_plan *mp, apnas_mem_cost *c,
                   apnas_error *err)
{
	const apnas_fold_plan *p = &mp->p;
	const uint64_t R = mp->r, C = mp->c;
	/* Every count is at most max(Fr, Fc) x Sr x Sc x T x (2R + 2C + 3)
	 * (as Fr <= Sr, Fc <= Sc, (Fr - 1) R <= Sr, the last row fold's rows
	 * <= Sr, and a refetched operand at most Fc x Sr x T or Fr x T x Sc):
	 * when that is under 2^58 none can overflow and the checks are
	 * skipped.  (Later sums are checked as always.) */
	double maxf = (double)(p->fr > p->fc ? p->fr : p->fc);
	int fast = maxf * (double)p->sr * (double)p->sc * (double)p->t *
	           (double)(2 * (R + C) + 3) < 0x1p58;
	if (fast)
		product_counts(mp, a->dataflow, c, 0);
	else if (product_counts(mp, a->dataflow, c, 1))
		return too_big(err, "an access count");
	if (m->bandwidth > 0)
		return product_stalls(mp, a->dataflow, (uint64_t)m->bandwidth,
		                      &c->stall_cycles, err);
	return 0;
}

int apnas_mem_layer(const apnas_array *a, const apnas_mem_cfg *m,
                    const apnas_energy_table *e, const apnas_layer *l,
                    apnas_layer_cost *lc, apnas_mem_cost *c,
                    apnas_error *err)
{
	apnas_gemm g;
	apnas_mem_plan mp;
	int rc;
	*c = (apnas_mem_cost){0};
	if (lc)
		*lc = (apnas_layer_cost){0};
	if ((rc = apnas_array_check(a, err)) ||
	    (rc = apnas_mem_cfg_check(m, err)) ||
	    (rc = apnas_layer_gemm(l, &g, err)))
		return rc;
	if (g.repeat == 0) {
		if (e)
			apnas_energy_of(e, m, c);
		return 0;
	}
	if ((rc = apnas_mem_plan_make(a, m, l, &g, &mp, err)) ||
	    (lc && (rc = apnas_systolic_plan_cost(a, &g, &mp.p, lc, err))) ||
	    (rc = product(a, m, &mp, c, err)))
		return apnas_error_prefix(err, "layer %s", l->name);
	/* A depthwise layer's channels are alike and run one after another,
	 * each loading its own operands (no data is shared between them). */
	if (g.repeat > 1) {
		const uint64_t k = g.repeat;
		int bad = 0;
#define SCALE(f) bad |= __builtin_mul_overflow(c->f, k, &c->f)
		SCALE(ifmap_sram_reads); SCALE(filter_sram_reads);
		SCALE(ofmap_sram_writes); SCALE(ifmap_dram_reads);
		SCALE(filter_dram_reads); SCALE(ofmap_dram_writes);
		SCALE(cycles); SCALE(stall_cycles); SCALE(macs);
		SCALE(pe_reg_accesses); SCALE(pe_hops);
#undef SCALE
		if (bad)
			return apnas_error_set(err, APNAS_EINVAL,
			                       "layer %s: an access count does "
			                       "not fit in 64 bits", l->name);
	}
	uint64_t words = c->ifmap_dram_reads;
	if (__builtin_add_overflow(words, c->filter_dram_reads, &words) ||
	    __builtin_add_overflow(words, c->ofmap_dram_writes, &words) ||
	    __builtin_mul_overflow(words, (uint64_t)m->word_bytes,
	                           &c->dram_bytes) ||
	    __builtin_add_overflow(c->cycles, c->stall_cycles,
	                           &c->latency_cycles))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "layer %s: DRAM bytes or latency do not fit "
		                       "in 64 bits", l->name);
	if (e)
		apnas_energy_of(e, m, c);
	return 0;
}

void apnas_mem_sum_init(apnas_mem_cost *total)
{
	memset(total, 0, sizeof *total);
}

int apnas_mem_sum_add(apnas_mem_cost *t, const apnas_mem_cost *l,
                      apnas_error *err)
{
	apnas_mem_cost n = *t;
	int bad = 0;
#define ADD(f) bad |= __builtin_add_overflow(n.f, l->f, &n.f)
	ADD(ifmap_sram_reads); ADD(filter_sram_reads); ADD(ofmap_sram_writes);
	ADD(ifmap_dram_reads); ADD(filter_dram_reads); ADD(ofmap_dram_writes);
	ADD(dram_bytes); ADD(cycles); ADD(stall_cycles); ADD(latency_cycles);
	ADD(macs); ADD(pe_reg_accesses); ADD(pe_hops);
#undef ADD
	if (bad)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "network memory total does not fit in 64 "
		                       "bits");
	n.energy_pj += l->energy_pj;
	*t = n;
	return 0;
}

void apnas_mem_sum_finish(apnas_mem_cost *t)
{
	t->edp = t->energy_pj * (double)t->latency_cycles;
}

int apnas_mem_net(const apnas_array *a, const apnas_mem_cfg *m,
                  const apnas_energy_table *e, const apnas_net *net,
                  apnas_mem_cost *total, apnas_mem_cost *per_layer,
                  apnas_error *err)
{
	apnas_mem_cost c;
	int rc;
	apnas_mem_sum_init(total);
	for (size_t i = 0; i < net->n; i++) {
		if ((rc = apnas_mem_layer(a, m, e, &net->layers[i], NULL, &c,
		                          err)) ||
		    (rc = apnas_mem_sum_add(total, &c, err)))
			return rc;
		if (per_layer)
			per_layer[i] = c;
	}
	apnas_mem_sum_finish(total);
	return 0;
}

/* uint64_t to double: x86-64 converts signed 64-bit integers in one
 * instruction, unsigned ones in a branchy sequence; counts are below 2^63
 * all but always, which energy_sum tests once for all of them. */
static inline __attribute__((always_inline)) double u2d(uint64_t x, int wide)
{
	if (!wide)
		return (double)(int64_t)x;
	return x >> 63 ? (double)x : (double)(int64_t)x;
}

/* The sum of apnas_energy_of, in its order; wide: a count may be 2^63 or
 * more. */
static inline __attribute__((always_inline)) double
energy_sum(const apnas_energy_table *e, const apnas_mem_cost *c, double fi,
           double ff, double fo, int wide)
{
	double ri = e->sram_read_pj * fi, wi = e->sram_write_pj * fi;
	double rf = e->sram_read_pj * ff, wf = e->sram_write_pj * ff;
	double ro = e->sram_read_pj * fo, wo = e->sram_write_pj * fo;
	double dram = u2d(c->ifmap_dram_reads, wide) +
	              u2d(c->filter_dram_reads, wide) +
	              u2d(c->ofmap_dram_writes, wide);
	return u2d(c->macs, wide) * e->mac_pj +
	       u2d(c->pe_reg_accesses, wide) * e->reg_pj +
	       u2d(c->pe_hops, wide) * e->hop_pj +
	       u2d(c->ifmap_sram_reads, wide) * ri +
	       u2d(c->ifmap_dram_reads, wide) * wi +
	       u2d(c->filter_sram_reads, wide) * rf +
	       u2d(c->filter_dram_reads, wide) * wf +
	       u2d(c->ofmap_sram_writes, wide) * wo +
	       u2d(c->ofmap_dram_writes, wide) * ro +
	       dram * e->dram_pj +
	       u2d(c->latency_cycles, wide) * e->leak_pj;
}

void apnas_energy_of(const apnas_energy_table *e, const apnas_mem_cfg *m,
                     apnas_mem_cost *c)
{
	/* The three buffers are often one size: one factor then. */
	double fi = apnas_energy_size_factor(e, (double)m->ifmap_kb);
	double ff = m->filter_kb == m->ifmap_kb
	                ? fi : apnas_energy_size_factor(e, (double)m->filter_kb);
	double fo = m->ofmap_kb == m->ifmap_kb
	                ? fi : apnas_energy_size_factor(e, (double)m->ofmap_kb);
	uint64_t any = c->macs | c->pe_reg_accesses | c->pe_hops |
	               c->ifmap_sram_reads | c->ifmap_dram_reads |
	               c->filter_sram_reads | c->filter_dram_reads |
	               c->ofmap_sram_writes | c->ofmap_dram_writes |
	               c->latency_cycles;
	c->energy_pj = any >> 63 ? energy_sum(e, c, fi, ff, fo, 1)
	                         : energy_sum(e, c, fi, ff, fo, 0);
	c->edp = c->energy_pj * (double)c->latency_cycles;
}
