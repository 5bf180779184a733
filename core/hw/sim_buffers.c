/* The simulator's buffers and DRAM port (see sim_buffers.h). */
#include "sim_buffers.h"

#include <stdlib.h>
#include <string.h>

/* Which folds share an operand's tile, by dataflow and loop order
 * (column folds outer): 0 row fold, 1 column fold, 2 the fold. */
enum { BY_FR, BY_FC, BY_FOLD };

static int kind_of(apnas_dataflow df, int op)
{
	switch (df) {
	case APNAS_DF_OS: return op == APNAS_OP_IFMAP ? BY_FR : BY_FC;
	case APNAS_DF_WS: return op == APNAS_OP_IFMAP ? BY_FR : BY_FOLD;
	default: return op == APNAS_OP_IFMAP ? BY_FOLD : BY_FR;
	}
}

int apnas_simbuf_init(apnas_simbuf *b, const apnas_array *a,
                      const apnas_mem_cfg *m, apnas_mem_cost *c,
                      apnas_error *err)
{
	int rc = apnas_mem_cfg_check(m, err);
	memset(b, 0, sizeof *b);
	if (rc)
		return rc;
	b->df = a->dataflow;
	b->R = (uint64_t)a->rows;
	b->C = (uint64_t)a->cols;
	b->cap[APNAS_OP_IFMAP] = apnas_mem_capacity(m->ifmap_kb, m->word_bytes);
	b->cap[APNAS_OP_FILTER] = apnas_mem_capacity(m->filter_kb,
	                                             m->word_bytes);
	b->bw = (uint64_t)m->bandwidth;
	b->c = c;
	return 0;
}

void apnas_simbuf_free(apnas_simbuf *b)
{
	free(b->mark[0]);
	free(b->mark[1]);
	b->mark[0] = b->mark[1] = NULL;
}

/* Where A(e, k) lives in the padded input (SCALE-Sim's convention:
 * padding is data), or -1 past its edge (a partial window). */
static int64_t addr_a(const apnas_simbuf *b, uint64_t e, uint64_t k)
{
	const apnas_layer *l = b->l;
	if (l->type == APNAS_LAYER_FC)
		return (int64_t)k;
	int64_t kk = (int64_t)l->kh * l->kw;
	int64_t c = l->type == APNAS_LAYER_DWCONV ? 0 : (int64_t)k / kk;
	int64_t r = (int64_t)k % kk;
	int64_t hp = l->in.h + 2 * (int64_t)l->pad_h;
	int64_t wp = l->in.w + 2 * (int64_t)l->pad_w;
	int64_t y = (int64_t)e / l->out.w * l->stride + r / l->kw;
	int64_t x = (int64_t)e % l->out.w * l->stride + r % l->kw;
	if (y >= hp || x >= wp)
		return -1;
	return (c * hp + y) * wp + x;
}

static uint64_t words_a(const apnas_simbuf *b)
{
	const apnas_layer *l = b->l;
	if (l->type == APNAS_LAYER_FC)
		return b->k;
	uint64_t ch = l->type == APNAS_LAYER_DWCONV ? 1 : (uint64_t)l->in.c;
	return ch * (uint64_t)(l->in.h + 2 * l->pad_h) *
	       (uint64_t)(l->in.w + 2 * l->pad_w);
}

static int mark_alloc(apnas_simbuf *b, int op, uint64_t n, apnas_error *err)
{
	if (n > b->mark_cap[op]) {
		free(b->mark[op]);
		b->mark[op] = malloc(n ? n : 1);
		b->mark_cap[op] = b->mark[op] ? n : 0;
		if (!b->mark[op])
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "simulator: out of memory for a "
			                       "%llu-word buffer map",
			                       (unsigned long long)n);
	}
	memset(b->mark[op], 0, n ? n : 1);
	return 0;
}

/* Tile id of matrix position (sr index i, sc index j) for op. */
static int64_t tile_at(const apnas_simbuf *b, int op, uint64_t i, uint64_t j)
{
	switch (kind_of(b->df, op)) {
	case BY_FR: return (int64_t)(i / b->R);
	case BY_FC: return (int64_t)(j / b->C);
	default: return (int64_t)((j / b->C) * b->fr_n + i / b->R);
	}
}

static int64_t tile_of_fold(const apnas_simbuf *b, int op, uint64_t fc,
                            uint64_t fr)
{
	return tile_at(b, op, fr * b->R, fc * b->C);
}

/* Entries of op's tile for fold (fc, fr): the fold's rows and/or
 * columns of the operand, counted position by position. */
static uint64_t tile_words(const apnas_simbuf *b, int op, uint64_t fc,
                           uint64_t fr)
{
	uint64_t rows = 0, cols = 0;
	for (uint64_t i = 0; i < b->R; i++)
		rows += fr * b->R + i < b->sr;
	for (uint64_t j = 0; j < b->C; j++)
		cols += fc * b->C + j < b->sc;
	switch (kind_of(b->df, op)) {
	case BY_FR: return rows * b->t;
	case BY_FC: return b->t * cols;
	default: return rows * cols;
	}
}

/* Words op's fold (fc, fr) needs from DRAM: none if the operand is held
 * whole, or if the fold before it (first == 0) used the same tile and it
 * fits in the active half of the buffer. */
static uint64_t need(const apnas_simbuf *b, int op, uint64_t fc, uint64_t fr,
                     int first)
{
	if (b->fits[op])
		return 0;
	uint64_t w = tile_words(b, op, fc, fr);
	if (!first && tile_of_fold(b, op, fc, fr) == b->active[op] &&
	    w <= b->cap[op] / 2)
		return 0;
	return w;
}

static void dram_read(apnas_simbuf *b, int op, uint64_t n)
{
	if (op == APNAS_OP_IFMAP)
		b->c->ifmap_dram_reads += n;
	else
		b->c->filter_dram_reads += n;
	b->pending += n;
}

static void stall_until_idle(apnas_simbuf *b)
{
	if (!b->bw) {
		b->pending = 0; /* unlimited bandwidth: never waits */
		return;
	}
	while (b->pending) {
		apnas_simbuf_tick(b);
		b->c->stall_cycles++;
	}
}

int apnas_simbuf_product(apnas_simbuf *b, const apnas_layer *l, int32_t ch,
                         uint64_t e, uint64_t k, uint64_t m,
                         apnas_error *err)
{
	(void)ch; /* a depthwise channel's words are its own: maps restart */
	int rc;
	b->l = l;
	b->e = e;
	b->k = k;
	b->m = m;
	switch (b->df) {
	case APNAS_DF_OS: b->sr = e; b->sc = m; b->t = k; break;
	case APNAS_DF_WS: b->sr = k; b->sc = m; b->t = e; break;
	default: b->sr = k; b->sc = e; b->t = m; break;
	}
	b->fr_n = (b->sr + b->R - 1) / b->R;
	b->fc_n = (b->sc + b->C - 1) / b->C;
	b->pending = b->fold_w = b->prev_w = 0;
	/* Size each operand by marking every word the product reads. */
	uint64_t foot[2] = {0, 0};
	if ((rc = mark_alloc(b, APNAS_OP_IFMAP, words_a(b), err)) ||
	    (rc = mark_alloc(b, APNAS_OP_FILTER, k * m, err)))
		return rc;
	for (uint64_t i = 0; i < e; i++)
		for (uint64_t j = 0; j < k; j++) {
			int64_t x = addr_a(b, i, j);
			if (x >= 0 && !b->mark[APNAS_OP_IFMAP][x]) {
				b->mark[APNAS_OP_IFMAP][x] = 1;
				foot[APNAS_OP_IFMAP]++;
			}
		}
	for (uint64_t x = 0; x < k * m; x++) {
		b->mark[APNAS_OP_FILTER][x] = 1;
		foot[APNAS_OP_FILTER]++;
	}
	for (int op = 0; op < 2; op++) {
		b->fits[op] = foot[op] <= b->cap[op];
		b->active[op] = -1;
		if (b->fits[op])
			dram_read(b, op, foot[op]); /* the map stays: all held */
		else
			dram_read(b, op, need(b, op, 0, 0, 1));
	}
	stall_until_idle(b);
	return 0;
}

void apnas_simbuf_fold(apnas_simbuf *b, uint64_t fc, uint64_t fr)
{
	b->fc = fc;
	b->fr = fr;
	for (int op = 0; op < 2; op++)
		b->active[op] = tile_of_fold(b, op, fc, fr);
	uint64_t nc = fc, nr = fr + 1;
	if (nr == b->fr_n) {
		nr = 0;
		nc++;
	}
	if (nc < b->fc_n)
		for (int op = 0; op < 2; op++)
			dram_read(b, op, need(b, op, nc, nr, 0));
	b->pending += b->prev_w;
	b->prev_w = 0;
	b->fold_w = 0;
}

void apnas_simbuf_tick(apnas_simbuf *b)
{
	if (!b->bw || b->pending <= b->bw)
		b->pending = 0;
	else
		b->pending -= b->bw;
}

void apnas_simbuf_fold_end(apnas_simbuf *b)
{
	stall_until_idle(b);
	b->prev_w = b->fold_w;
}

void apnas_simbuf_product_end(apnas_simbuf *b)
{
	b->pending += b->prev_w;
	b->prev_w = 0;
	stall_until_idle(b);
}

static void check(apnas_simbuf *b, int op, uint64_t i, uint64_t j,
                  int64_t addr)
{
	if (b->fits[op]) {
		if (addr >= 0 && !b->mark[op][addr])
			b->miss = 1;
	} else if (tile_at(b, op, i, j) != b->active[op]) {
		b->miss = 1;
	}
}

void apnas_simbuf_read_a(apnas_simbuf *b, uint64_t e, uint64_t k)
{
	int op = APNAS_OP_IFMAP;
	b->c->ifmap_sram_reads++;
	/* A's rows are output pixels: along Sr for os, along Sc for is; its
	 * columns (the window) are along Sr for ws and is. */
	uint64_t i = b->df == APNAS_DF_OS ? e : k;
	uint64_t j = b->df == APNAS_DF_IS ? e : 0;
	check(b, op, i, j, addr_a(b, e, k));
}

void apnas_simbuf_read_b(apnas_simbuf *b, uint64_t k, uint64_t m)
{
	b->c->filter_sram_reads++;
	uint64_t i = b->df == APNAS_DF_OS ? 0 : k;
	uint64_t j = b->df == APNAS_DF_IS ? 0 : m;
	check(b, APNAS_OP_FILTER, i, j, (int64_t)(k * b->m + m));
}

void apnas_simbuf_write(apnas_simbuf *b, uint64_t n, uint64_t to_dram)
{
	b->c->ofmap_sram_writes += n;
	b->c->ofmap_dram_writes += to_dram;
	b->fold_w += to_dram;
}
