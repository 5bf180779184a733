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
 * the same P and W, so the sum is taken over at most 4 x 4 classes with
 * weights: O(1) per layer. */
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

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
	uint64_t q = apnas_udiv(a, b);
	return q + (q * b != a);
}

/* Positions of a padded input of n that windows of f at stride s, e of
 * them from 0, touch (SCALE-Sim's partial edge window included, clipped
 * at n).  Windows overlap or abut when s <= f; else only the last may be
 * partial (the output size is the floor or the ceiling rule). */
static uint64_t touched(int64_t n, int64_t f, int64_t s, int64_t e)
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

/* Representatives of 0..n-1 with weights: every index when n <= 4, else
 * 0, the run 1..n-3 (represented by 1), n-2 and n-1. */
static int reps(uint64_t n, uint64_t idx[4], uint64_t wt[4])
{
	if (n <= 4) {
		for (uint64_t i = 0; i < n; i++) {
			idx[i] = i;
			wt[i] = 1;
		}
		return (int)n;
	}
	idx[0] = 0; wt[0] = 1;
	idx[1] = 1; wt[1] = n - 3;
	idx[2] = n - 2; wt[2] = 1;
	idx[3] = n - 1; wt[3] = 1;
	return 4;
}

/* A fold's fetch and write-back depend only on where it lies: first of
 * the layer, first of its pass (fr = 0), in the last row fold, in the last
 * column fold.  The stall sum looks them up here instead of recomputing
 * them per class; the tables follow fetch_words and out_words. */
typedef struct fold_tab {
	uint64_t p_first;     /* fold (0, 0): fitting operands whole + tiles */
	uint64_t p[2][2][2];  /* other folds: [fr == 0][last fr][last fc] */
	uint64_t w[2][2];     /* outputs: [last fr][last fc] */
} fold_tab;

static void fold_tab_make(const apnas_mem_plan *mp, fold_tab *t)
{
	memset(t, 0, sizeof *t);
	for (int frl = 0; frl < 2; frl++) {
		for (int fcl = 0; fcl < 2; fcl++) {
			uint64_t fr = frl ? mp->p.fr - 1 : 0;
			uint64_t fc = fcl ? mp->p.fc - 1 : 0;
			/* A representative fold of each kind; fr = 0 and "last"
			 * coincide only when Fr = 1, which the caller indexes so. */
			for (int op = 0; op < 2; op++) {
				if (mp->fits[op])
					continue;
				uint64_t w = tile_words(mp, op, fc, fr);
				int held = mp->kind[op] == APNAS_TILE_FC &&
				           w <= mp->cap[op] / 2;
				t->p[1][frl][fcl] += w;
				t->p[0][frl][fcl] += held ? 0 : w;
			}
			t->w[frl][fcl] = out_words(mp, fc, fr);
		}
	}
	int frl = mp->p.fr == 1, fcl = mp->p.fc == 1;
	t->p_first = t->p[1][frl][fcl];
	for (int op = 0; op < 2; op++)
		if (mp->fits[op])
			t->p_first += mp->foot[op];
}

/* Stall cycles of one product (see the top of this file). */
static int product_stalls(const apnas_mem_plan *mp, uint64_t bw,
                          uint64_t *stall, apnas_error *err)
{
	const uint64_t fr_n = mp->p.fr, fc_n = mp->p.fc;
	uint64_t ci[4], cw[4], ri[4], rw[4], s, x, budget;
	int nc = reps(fc_n, ci, cw), nr = reps(fr_n, ri, rw);
	fold_tab t;
	fold_tab_make(mp, &t);
	/* A fold whose port traffic fits in fold x B cycles costs nothing;
	 * if fold x B overflows, no traffic can exceed it. */
	int unbounded = __builtin_mul_overflow(mp->p.fold_cycles, bw, &budget);
	s = ceil_div(t.p_first, bw);
	for (int a = 0; a < nc; a++) {
		for (int b = 0; b < nr; b++) {
			uint64_t fc = ci[a], fr = ri[b], next = 0, prev = 0, move;
			if (fr + 1 < fr_n)
				next = t.p[0][fr + 2 == fr_n][fc + 1 == fc_n];
			else if (fc + 1 < fc_n)
				next = t.p[1][fr_n == 1][fc + 2 == fc_n];
			if (fr > 0)
				prev = t.w[0][fc + 1 == fc_n];
			else if (fc > 0)
				prev = t.w[1][0];
			if (__builtin_add_overflow(next, prev, &move))
				return too_big(err, "a fold's DRAM traffic");
			if (unbounded || move <= budget)
				continue;
			move = ceil_div(move, bw);
			if (__builtin_mul_overflow(move - mp->p.fold_cycles,
			                           cw[a] * rw[b], &x) ||
			    __builtin_add_overflow(s, x, &s))
				return too_big(err, "the stall count");
		}
	}
	x = ceil_div(t.w[1][1], bw);
	if (__builtin_add_overflow(s, x, &s))
		return too_big(err, "the stall count");
	*stall = s;
	return 0;
}

/* DRAM words of one operand over a product, in closed form. */
static int operand_dram(const apnas_mem_plan *mp, int op, uint64_t *out,
                        apnas_error *err)
{
	const apnas_fold_plan *p = &mp->p;
	uint64_t half = mp->cap[op] / 2, v, w;
	if (mp->fits[op]) {
		*out = mp->foot[op];
		return 0;
	}
	switch (mp->kind[op]) {
	case APNAS_TILE_FR:
		/* Every pass (column fold) reads every row-fold tile again. */
		if (__builtin_mul_overflow(p->sr * p->t, p->fc, out))
			return too_big(err, "the DRAM traffic");
		return 0;
	case APNAS_TILE_FC:
		/* A column fold's tile serves its Fr folds in a row: once if it
		 * fits half the buffer, else every fold. */
		w = p->t * mp->c;
		if (__builtin_mul_overflow(w, (p->fc - 1) * (w <= half ? 1 : p->fr),
		                           &v))
			return too_big(err, "the DRAM traffic");
		w = p->t * mp->cl;
		if (__builtin_mul_overflow(w, w <= half ? 1 : p->fr, &w) ||
		    __builtin_add_overflow(v, w, out))
			return too_big(err, "the DRAM traffic");
		return 0;
	default:
		*out = p->sr * p->sc;
		return 0;
	}
}

/* *acc += a x b x c x d; nonzero if anything overflows.  fast: the
 * caller has bounded every count far below 2^64, so no check is needed
 * (the common case, by many orders of magnitude). */
static inline int mul_add4(uint64_t *acc, uint64_t a, uint64_t b, uint64_t c,
                           uint64_t d, int fast)
{
	if (fast) {
		*acc += a * b * c * d;
		return 0;
	}
	/* Bitwise or, not ||: every step runs, no branch per step. */
	uint64_t x, y, z;
	int o = __builtin_mul_overflow(a, b, &x);
	o |= __builtin_mul_overflow(x, c, &y);
	o |= __builtin_mul_overflow(y, d, &z);
	o |= __builtin_add_overflow(*acc, z, acc);
	return o;
}

static inline int mul_add(uint64_t *acc, uint64_t a, uint64_t b, uint64_t c,
                          int fast)
{
	return mul_add4(acc, a, b, c, 1, fast);
}

/* Every figure of one product. */
static int product(const apnas_array *a, const apnas_mem_cfg *m,
                   const apnas_mem_plan *mp, apnas_mem_cost *c,
                   apnas_error *err)
{
	const apnas_fold_plan *p = &mp->p;
	const uint64_t R = mp->r, C = mp->c;
	int bad = 0; /* c is zeroed by the caller */
	/* Every count below is at most max(Fr, Fc) x Sr x Sc x T x (2R + 2C
	 * + 3) (as Fr <= Sr, Fc <= Sc, (Fr - 1) R <= Sr, the last row fold's
	 * rows <= Sr): when that is under 2^58 none can overflow and the
	 * checks are skipped.  (Later sums are checked as always.) */
	double maxf = (double)(p->fr > p->fc ? p->fr : p->fc);
	int fast = maxf * (double)p->sr * (double)p->sc * (double)p->t *
	           (double)(2 * (R + C) + 3) < 0x1p58;
	/* SRAM, as SCALE-Sim's compute modules count them: each fold reads
	 * its block of each streamed operand (padding and partial edge
	 * windows included) and, os, writes its outputs plus R + C for the
	 * drain rows its ofmap demand carries. */
	switch (a->dataflow) {
	case APNAS_DF_OS:
		bad |= mul_add(&c->ifmap_sram_reads, p->fc, p->sr, p->t, fast);
		bad |= mul_add(&c->filter_sram_reads, p->fr, p->t, p->sc, fast);
		bad |= mul_add(&c->ofmap_sram_writes, p->sr, p->sc, 1, fast);
		bad |= mul_add(&c->ofmap_sram_writes, p->fr * p->fc, R + C, 1,
		               fast);
		bad |= mul_add(&c->ofmap_dram_writes, p->sr, p->sc, 1, fast);
		break;
	case APNAS_DF_WS:
		bad |= mul_add(&c->ifmap_sram_reads, p->fc, p->t, p->sr, fast);
		bad |= mul_add(&c->filter_sram_reads, p->sr, p->sc, 1, fast);
		bad |= mul_add(&c->ofmap_sram_writes, p->fr, p->t, p->sc, fast);
		bad |= mul_add(&c->ofmap_dram_writes, p->fr, p->t, p->sc, fast);
		break;
	case APNAS_DF_IS:
		bad |= mul_add(&c->ifmap_sram_reads, p->sr, p->sc, 1, fast);
		bad |= mul_add(&c->filter_sram_reads, p->fc, p->sr, p->t, fast);
		bad |= mul_add(&c->ofmap_sram_writes, p->fr, p->sc, p->t, fast);
		bad |= mul_add(&c->ofmap_dram_writes, p->fr, p->sc, p->t, fast);
		break;
	}
	/* Hops: a streamed operand crosses C - 1 (rows) or R - 1 (columns)
	 * links; ws and is partial sums go down R - 1 links and the
	 * stationary block is shifted down to its row, i links for row i. */
	bad |= mul_add4(&c->pe_hops, p->fc, p->sr, p->t, C - 1, fast);
	bad |= mul_add4(&c->pe_hops, p->fr, p->sc, p->t, R - 1, fast);
	if (a->dataflow != APNAS_DF_OS) {
		bad |= mul_add(&c->pe_hops, p->sc, p->fr - 1, R * (R - 1) / 2,
		               fast);
		bad |= mul_add(&c->pe_hops, p->sc, mp->rl * (mp->rl - 1) / 2, 1,
		               fast);
	}
	bad |= mul_add(&c->macs, p->sr, p->sc, p->t, fast);
	bad |= mul_add(&c->pe_reg_accesses, c->macs, 3, 1, fast);
	if (bad)
		return too_big(err, "an access count");
	int rc;
	if ((rc = operand_dram(mp, APNAS_OP_IFMAP, &c->ifmap_dram_reads, err)) ||
	    (rc = operand_dram(mp, APNAS_OP_FILTER, &c->filter_dram_reads, err)))
		return rc;
	c->cycles = p->cycles;
	if (m->bandwidth > 0 &&
	    (rc = product_stalls(mp, (uint64_t)m->bandwidth, &c->stall_cycles,
	                         err)))
		return rc;
	return 0;
}

static int scale(uint64_t *v, uint64_t k)
{
	return __builtin_mul_overflow(*v, k, v);
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
		uint64_t *f[] = {&c->ifmap_sram_reads, &c->filter_sram_reads,
		                 &c->ofmap_sram_writes, &c->ifmap_dram_reads,
		                 &c->filter_dram_reads, &c->ofmap_dram_writes,
		                 &c->cycles, &c->stall_cycles, &c->macs,
		                 &c->pe_reg_accesses, &c->pe_hops};
		for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
			if (scale(f[i], g.repeat))
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
 * all but always. */
static inline double u2d(uint64_t x)
{
	return x >> 63 ? (double)x : (double)(int64_t)x;
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
	double ri = e->sram_read_pj * fi, wi = e->sram_write_pj * fi;
	double rf = e->sram_read_pj * ff, wf = e->sram_write_pj * ff;
	double ro = e->sram_read_pj * fo, wo = e->sram_write_pj * fo;
	double dram = u2d(c->ifmap_dram_reads) + u2d(c->filter_dram_reads) +
	              u2d(c->ofmap_dram_writes);
	c->energy_pj = u2d(c->macs) * e->mac_pj +
	               u2d(c->pe_reg_accesses) * e->reg_pj +
	               u2d(c->pe_hops) * e->hop_pj +
	               u2d(c->ifmap_sram_reads) * ri +
	               u2d(c->ifmap_dram_reads) * wi +
	               u2d(c->filter_sram_reads) * rf +
	               u2d(c->filter_dram_reads) * wf +
	               u2d(c->ofmap_sram_writes) * wo +
	               u2d(c->ofmap_dram_writes) * ro +
	               dram * e->dram_pj +
	               u2d(c->latency_cycles) * e->leak_pj;
	c->edp = c->energy_pj * (double)c->latency_cycles;
}
