/* The cycle-level systolic-array simulator (see systolic_sim.h).
 *
 * A layer is run as matrix products O (E x M) = A (E x K) * B (K x M),
 * A being the im2col view of the padded input and B the filters, fetched
 * by address arithmetic straight from the caller's tensors.  Each product
 * is cut into folds of the array (Sr x Sc by dataflow, as systolic.md
 * says); a fold is simulated cycle by cycle:
 *
 *   os: A's row e enters array row i from the left and B's column m enters
 *       array column j from the top, both skewed (row i i cycles late,
 *       column j j cycles late), one PE per cycle; each PE multiplies the
 *       pair it holds into its own accumulator.  The accumulators are read
 *       out when the fold ends, overlapped with the next fold (no cycles).
 *   ws: B's block is first shifted in from the top, one array row per
 *       cycle (R cycles); then A's columns stream in from the left, skewed,
 *       and partial sums flow down the columns to the output buffer.
 *   is: the same with A's block stationary and B streaming.
 *
 * Rows and columns a fold does not fill are driven with zeros by the
 * feeders (the schedule belongs to the array, not the data), and the
 * array is drained before the next fold starts.  Every count reported is
 * read off this run: the cycle of the last multiply, the multiplies on
 * real data, the PEs that did real work. */
#include "systolic_sim.h"

#include <stdlib.h>

#include "sim_buffers.h"
#include <string.h>

/* Operand fetch for one product.  The feeders call these at the array's
 * edges only, so their cost is O(R + C) per cycle, not O(R x C). */
typedef struct operands {
	const apnas_layer *l;
	const double *in;   /* [in.c][in.h][in.w] */
	const double *w;    /* layout by type, see apnas_sim_sizes */
	double *out;        /* [out.c][out.h][out.w], accumulated into */
	int32_t ch;         /* DWCONV: the channel this product is */
	uint64_t e, k, m;   /* product sizes */
} operands;

static double fetch_a(const operands *o, uint64_t e, uint64_t k)
{
	const apnas_layer *l = o->l;
	if (l->type == APNAS_LAYER_FC)
		return o->in[k];
	int64_t kk = (int64_t)l->kh * l->kw;
	int64_t c = l->type == APNAS_LAYER_DWCONV ? o->ch : (int64_t)k / kk;
	int64_t r = (int64_t)k % kk;
	int64_t oy = (int64_t)e / l->out.w, ox = (int64_t)e % l->out.w;
	int64_t iy = oy * l->stride + r / l->kw - l->pad_h;
	int64_t ix = ox * l->stride + r % l->kw - l->pad_w;
	if (iy < 0 || iy >= l->in.h || ix < 0 || ix >= l->in.w)
		return 0.0; /* padding, or past the edge of a partial window */
	return o->in[((size_t)c * (size_t)l->in.h + (size_t)iy) *
	             (size_t)l->in.w + (size_t)ix];
}

static double fetch_b(const operands *o, uint64_t k, uint64_t m)
{
	const apnas_layer *l = o->l;
	if (l->type == APNAS_LAYER_DWCONV)
		return o->w[(size_t)o->ch * (size_t)o->k + k];
	/* CONV: [m][c][fy][fx] is exactly [m][k]; FC: [m][k] too. */
	return o->w[m * o->k + k];
}

static void store_o(operands *o, uint64_t e, uint64_t m, double v)
{
	size_t plane = (size_t)o->e;
	size_t ch = o->l->type == APNAS_LAYER_DWCONV ? (size_t)o->ch : m;
	o->out[ch * plane + e] += v;
}

/* The PE grid's registers, R x C each, row-major.  A tag is the index
 * along the temporal dimension an operand or partial sum belongs to; -1
 * marks an empty register. */
typedef struct grid {
	size_t r, c;
	double *h_val;   /* operand moving right (A for os and ws, B for is) */
	int64_t *h_tag;
	uint8_t *h_real; /* 0: a zero driven into an unused row */
	double *v_val;   /* os: B moving down; ws/is: partial sum moving down */
	int64_t *v_tag;
	uint8_t *v_real; /* os only */
	double *s_val;   /* os: accumulator; ws/is: stationary operand */
	uint8_t *s_real; /* ws/is: stationary operand is real data */
	uint8_t *used;   /* PE did a real multiply this fold */
} grid;

static void grid_free(grid *g)
{
	free(g->h_val); free(g->h_tag); free(g->h_real);
	free(g->v_val); free(g->v_tag); free(g->v_real);
	free(g->s_val); free(g->s_real); free(g->used);
	memset(g, 0, sizeof *g);
}

static int grid_alloc(grid *g, const apnas_array *a, apnas_error *err)
{
	memset(g, 0, sizeof *g);
	g->r = (size_t)a->rows;
	g->c = (size_t)a->cols;
	size_t n = g->r * g->c;
	g->h_val = malloc(n * sizeof *g->h_val);
	g->h_tag = malloc(n * sizeof *g->h_tag);
	g->h_real = malloc(n);
	g->v_val = malloc(n * sizeof *g->v_val);
	g->v_tag = malloc(n * sizeof *g->v_tag);
	g->v_real = malloc(n);
	g->s_val = malloc(n * sizeof *g->s_val);
	g->s_real = malloc(n);
	g->used = malloc(n);
	if (!g->h_val || !g->h_tag || !g->h_real || !g->v_val || !g->v_tag ||
	    !g->v_real || !g->s_val || !g->s_real || !g->used) {
		grid_free(g);
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "out of memory for a %zux%zu array", g->r,
		                       g->c);
	}
	return 0;
}

/* Per-product run state. */
typedef struct run {
	apnas_dataflow df;
	uint64_t sr, sc, t;   /* this product's fold plan sizes */
	uint64_t cycle;       /* cycles simulated in this product so far */
	uint64_t last_busy;   /* last cycle with a multiply */
	uint64_t macs, used_pes, folds;
	apnas_simbuf *mb;     /* the memory system, or NULL: not simulated */
} run;

/* Memory hooks: each does nothing when memory is not simulated. */
static void mem_tick(run *ru)
{
	if (ru->mb)
		apnas_simbuf_tick(ru->mb);
}

static void mem_read_a(run *ru, uint64_t e, uint64_t k)
{
	if (ru->mb)
		apnas_simbuf_read_a(ru->mb, e, k);
}

static void mem_read_b(run *ru, uint64_t k, uint64_t m)
{
	if (ru->mb)
		apnas_simbuf_read_b(ru->mb, k, m);
}

static void mem_hops(run *ru, uint64_t n)
{
	if (ru->mb)
		ru->mb->c->pe_hops += n;
}

static int stuck(void)
{
	/* A fold that does not drain means the register wiring is wrong; say
	 * so instead of spinning. */
	return APNAS_EINVAL;
}

/* Shifts every row's moving operand one PE right, dropping what leaves
 * the last column; returns how many operands left, and adds to *hops the
 * real operands that moved to a neighbour. */
static uint64_t shift_right(grid *g, uint64_t *hops)
{
	uint64_t gone = 0;
	for (size_t i = 0; i < g->r; i++) {
		size_t row = i * g->c;
		gone += g->h_tag[row + g->c - 1] >= 0;
		for (size_t j = 0; j + 1 < g->c; j++)
			*hops += g->h_tag[row + j] >= 0 && g->h_real[row + j];
		memmove(g->h_val + row + 1, g->h_val + row,
		        (g->c - 1) * sizeof *g->h_val);
		memmove(g->h_tag + row + 1, g->h_tag + row,
		        (g->c - 1) * sizeof *g->h_tag);
		memmove(g->h_real + row + 1, g->h_real + row, g->c - 1);
	}
	return gone;
}

/* Row i's feeder at stream cycle tau: the operand of temporal index
 * tau - i, if that is in [0, T).  Returns 1 if it put one in. */
static int feed_row(grid *g, const operands *o, run *ru, uint64_t r0,
                    size_t i, int64_t tau)
{
	size_t idx = i * g->c;
	int64_t t = tau - (int64_t)i;
	if (t < 0 || (uint64_t)t >= ru->t) {
		g->h_tag[idx] = -1;
		return 0;
	}
	uint64_t row = r0 + i;
	int real = row < ru->sr;
	double v = 0.0;
	if (real) {
		switch (ru->df) {
		case APNAS_DF_OS:
			v = fetch_a(o, row, (uint64_t)t);
			mem_read_a(ru, row, (uint64_t)t);
			break;
		case APNAS_DF_WS:
			v = fetch_a(o, (uint64_t)t, row);
			mem_read_a(ru, (uint64_t)t, row);
			break;
		case APNAS_DF_IS:
			v = fetch_b(o, row, (uint64_t)t);
			mem_read_b(ru, row, (uint64_t)t);
			break;
		}
	}
	g->h_val[idx] = v;
	g->h_tag[idx] = t;
	g->h_real[idx] = (uint8_t)real;
	return 1;
}

static void fold_done(grid *g, run *ru)
{
	size_t n = g->r * g->c;
	for (size_t i = 0; i < n; i++)
		ru->used_pes += g->used[i];
	ru->folds++;
}

/* Output stationary: one fold covering A rows r0.. and B columns c0.. */
static int fold_os(grid *g, operands *o, run *ru, uint64_t r0, uint64_t c0)
{
	size_t R = g->r, C = g->c, n = R * C;
	for (size_t i = 0; i < n; i++) {
		g->h_tag[i] = g->v_tag[i] = -1;
		g->s_val[i] = 0.0;
		g->used[i] = 0;
	}
	uint64_t inflight = 0;
	int64_t tau = 0;
	/* Column j's feeder: B's row t = tau - j, column c0 + j. */
	for (;;) {
		for (size_t i = 0; i < R; i++)
			inflight += (uint64_t)feed_row(g, o, ru, r0, i, tau);
		for (size_t j = 0; j < C; j++) {
			int64_t t = tau - (int64_t)j;
			if (t < 0 || (uint64_t)t >= ru->t) {
				g->v_tag[j] = -1;
				continue;
			}
			int real = c0 + j < ru->sc;
			g->v_val[j] = real ? fetch_b(o, (uint64_t)t, c0 + j) : 0.0;
			if (real)
				mem_read_b(ru, (uint64_t)t, c0 + j);
			g->v_tag[j] = t;
			g->v_real[j] = (uint8_t)real;
			inflight++;
		}
		if (!inflight)
			break;
		int busy = 0;
		for (size_t x = 0; x < n; x++) {
			if (g->h_tag[x] < 0)
				continue;
			if (g->v_tag[x] != g->h_tag[x])
				return stuck();
			g->s_val[x] += g->h_val[x] * g->v_val[x];
			busy = 1;
			if (g->h_real[x] & g->v_real[x]) {
				ru->macs++;
				g->used[x] = 1;
			}
		}
		if (busy)
			ru->last_busy = ru->cycle;
		ru->cycle++;
		mem_tick(ru);
		/* End of cycle: operands move on. */
		uint64_t hops = 0;
		inflight -= shift_right(g, &hops);
		for (size_t j = 0; j < C; j++)
			inflight -= g->v_tag[(R - 1) * C + j] >= 0;
		for (size_t x = 0; x + C < n; x++)
			hops += g->v_tag[x] >= 0 && g->v_real[x];
		mem_hops(ru, hops);
		memmove(g->v_val + C, g->v_val, (n - C) * sizeof *g->v_val);
		memmove(g->v_tag + C, g->v_tag, (n - C) * sizeof *g->v_tag);
		memmove(g->v_real + C, g->v_real, n - C);
		tau++;
		if ((uint64_t)tau > ru->t + R + C)
			return stuck();
	}
	/* Read-out, overlapped with the next fold. */
	uint64_t outs = 0;
	for (size_t i = 0; i < R && r0 + i < ru->sr; i++)
		for (size_t j = 0; j < C && c0 + j < ru->sc; j++, outs++)
			store_o(o, r0 + i, c0 + j, g->s_val[i * C + j]);
	/* SCALE-Sim's ofmap demand for an os fold also carries R + C drain
	 * rows, which it counts as writes; they hold no result. */
	if (ru->mb)
		apnas_simbuf_write(ru->mb, outs + R + C, outs);
	fold_done(g, ru);
	return 0;
}

/* Weight or input stationary: one fold covering K rows r0.. and columns
 * c0.. (M for ws, E for is). */
static int fold_stationary(grid *g, operands *o, run *ru, uint64_t r0,
                           uint64_t c0)
{
	size_t R = g->r, C = g->c, n = R * C;
	/* Preload: each cycle the stationary registers shift down one row and
	 * row 0 takes the next value, bottom row first. */
	memset(g->s_real, 0, n); /* the last fold's values leave unseen */
	for (size_t p = 0; p < R; p++) {
		uint64_t hops = 0;
		for (size_t x = 0; x + C < n; x++)
			hops += g->s_real[x];
		mem_hops(ru, hops);
		memmove(g->s_val + C, g->s_val, (n - C) * sizeof *g->s_val);
		memmove(g->s_real + C, g->s_real, n - C);
		uint64_t row = r0 + (R - 1 - p);
		for (size_t j = 0; j < C; j++) {
			uint64_t col = c0 + j;
			int real = row < ru->sr && col < ru->sc;
			double v = 0.0;
			if (real && ru->df == APNAS_DF_WS) {
				v = fetch_b(o, row, col);
				mem_read_b(ru, row, col);
			} else if (real) {
				v = fetch_a(o, col, row);
				mem_read_a(ru, col, row);
			}
			g->s_val[j] = v;
			g->s_real[j] = (uint8_t)real;
		}
		ru->cycle++;
		mem_tick(ru);
	}
	for (size_t i = 0; i < n; i++) {
		g->h_tag[i] = g->v_tag[i] = -1;
		g->used[i] = 0;
	}
	uint64_t inflight = 0;
	int64_t tau = 0;
	for (;;) {
		for (size_t i = 0; i < R; i++)
			inflight += (uint64_t)feed_row(g, o, ru, r0, i, tau);
		if (!inflight)
			break;
		int busy = 0;
		/* Bottom row first, so each PE reads the partial sum its upper
		 * neighbour made in the previous cycle. */
		for (size_t i = R; i-- > 0;) {
			for (size_t j = 0; j < C; j++) {
				size_t x = i * C + j;
				int64_t tag = g->h_tag[x];
				if (tag < 0) {
					g->v_tag[x] = -1;
					continue;
				}
				double in = 0.0;
				if (i > 0) {
					if (g->v_tag[x - C] != tag)
						return stuck();
					in = g->v_val[x - C];
					if (c0 + j < ru->sc)
						mem_hops(ru, 1);
				}
				double v = in + g->h_val[x] * g->s_val[x];
				g->v_val[x] = v;
				g->v_tag[x] = tag;
				busy = 1;
				if (g->h_real[x] & g->s_real[x]) {
					ru->macs++;
					g->used[x] = 1;
				}
				if (i == R - 1 && c0 + j < ru->sc) {
					/* Leaves the array into the output buffer,
					 * adding to earlier row folds' sums. */
					if (ru->df == APNAS_DF_WS)
						store_o(o, (uint64_t)tag, c0 + j, v);
					else
						store_o(o, c0 + j, (uint64_t)tag, v);
					if (ru->mb)
						apnas_simbuf_write(ru->mb, 1, 1);
				}
			}
		}
		if (busy)
			ru->last_busy = ru->cycle;
		ru->cycle++;
		mem_tick(ru);
		uint64_t hops = 0;
		inflight -= shift_right(g, &hops);
		mem_hops(ru, hops);
		tau++;
		if ((uint64_t)tau > ru->t + R + C)
			return stuck();
	}
	fold_done(g, ru);
	return 0;
}

static int run_product(grid *g, operands *o, const apnas_array *a,
                       apnas_simbuf *mb, apnas_sim_stats *st,
                       apnas_error *err)
{
	run ru;
	int rc = 0;
	memset(&ru, 0, sizeof ru);
	ru.df = a->dataflow;
	ru.mb = mb;
	/* Which matrix dimension lies along the rows, the columns and time
	 * (systolic.md's table); the timing itself is simulated. */
	switch (ru.df) {
	case APNAS_DF_OS: ru.sr = o->e; ru.sc = o->m; ru.t = o->k; break;
	case APNAS_DF_WS: ru.sr = o->k; ru.sc = o->m; ru.t = o->e; break;
	case APNAS_DF_IS: ru.sr = o->k; ru.sc = o->e; ru.t = o->m; break;
	}
	if (mb && (rc = apnas_simbuf_product(mb, o->l, o->ch, o->e, o->k, o->m,
	                                     err)))
		return rc;
	/* Column folds outer, row folds inner, as SCALE-Sim runs them (the
	 * order the memory model's reuse follows). */
	for (uint64_t c0 = 0; c0 < ru.sc; c0 += g->c) {
		for (uint64_t r0 = 0; r0 < ru.sr; r0 += g->r) {
			if (mb)
				apnas_simbuf_fold(mb, c0 / g->c, r0 / g->r);
			rc = ru.df == APNAS_DF_OS ? fold_os(g, o, &ru, r0, c0)
			                          : fold_stationary(g, o, &ru, r0,
			                                            c0);
			if (!rc && mb)
				apnas_simbuf_fold_end(mb);
			if (!rc && mb && mb->miss)
				return apnas_error_set(err, APNAS_EINVAL,
				                       "simulator: an operand read in "
				                       "fold at row %llu, column %llu "
				                       "was not in its buffer (internal "
				                       "error)",
				                       (unsigned long long)r0,
				                       (unsigned long long)c0);
			if (rc)
				return apnas_error_set(err, APNAS_EINVAL,
				                       "simulator: operands out of step "
				                       "in fold at row %llu, column "
				                       "%llu (internal error)",
				                       (unsigned long long)r0,
				                       (unsigned long long)c0);
		}
	}
	if (mb)
		apnas_simbuf_product_end(mb);
	st->cycles += ru.last_busy;
	st->macs += ru.macs;
	st->folds += ru.folds;
	st->used_pes += ru.used_pes;
	st->sim_cycles += ru.cycle;
	return 0;
}

static int mul_size(size_t *acc, int64_t v)
{
	return v < 0 || __builtin_mul_overflow(*acc, (size_t)v, acc);
}

int apnas_sim_sizes(const apnas_layer *l, size_t *n_in, size_t *n_w,
                    size_t *n_out, apnas_error *err)
{
	apnas_gemm g;
	int rc;
	if ((rc = apnas_layer_gemm(l, &g, err)))
		return rc;
	size_t i = 1, w = 1, o = 1;
	int bad = mul_size(&i, l->in.c) || mul_size(&i, l->in.h) ||
	          mul_size(&i, l->in.w) || mul_size(&o, l->out.c) ||
	          mul_size(&o, l->out.h) || mul_size(&o, l->out.w);
	switch (l->type) {
	case APNAS_LAYER_CONV:
		bad = bad || mul_size(&w, l->out.c) || mul_size(&w, l->in.c) ||
		      mul_size(&w, l->kh) || mul_size(&w, l->kw);
		break;
	case APNAS_LAYER_DWCONV:
		bad = bad || mul_size(&w, l->in.c) || mul_size(&w, l->kh) ||
		      mul_size(&w, l->kw);
		break;
	case APNAS_LAYER_FC:
		bad = bad || mul_size(&w, l->out.c) || mul_size(&w, l->in.c) ||
		      mul_size(&w, l->in.h) || mul_size(&w, l->in.w);
		break;
	default:
		w = 0;
	}
	if (bad)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "layer %s: tensors too large to simulate",
		                       l->name);
	*n_in = i;
	*n_w = w;
	*n_out = o;
	return 0;
}

int apnas_sim_estimate(const apnas_array *a, const apnas_layer *l,
                       uint64_t *pe_cycles, apnas_error *err)
{
	apnas_gemm g;
	apnas_fold_plan p;
	int rc;
	*pe_cycles = 0;
	if ((rc = apnas_array_check(a, err)) ||
	    (rc = apnas_layer_gemm(l, &g, err)))
		return rc;
	if (g.repeat == 0)
		return 0;
	if ((rc = apnas_systolic_plan(a, g.e, g.k, g.m, &p, err)))
		return apnas_error_prefix(err, "layer %s", l->name);
	uint64_t v = p.cycles + 1; /* every cycle simulated, preloads too */
	if (__builtin_mul_overflow(v, g.repeat, &v) ||
	    __builtin_mul_overflow(v, (uint64_t)a->rows, &v) ||
	    __builtin_mul_overflow(v, (uint64_t)a->cols, &v))
		v = UINT64_MAX;
	*pe_cycles = v;
	return 0;
}

int apnas_sim_budget(const apnas_array *a, const apnas_layer *l,
                     uint64_t max_pe_cycles, apnas_error *err)
{
	uint64_t estimate;
	int rc;
	if ((rc = apnas_sim_estimate(a, l, &estimate, err)))
		return rc;
	if (max_pe_cycles && estimate > max_pe_cycles)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "layer %s: simulating it would take %llu "
		                       "PE-cycles, over the limit max_pe_cycles = "
		                       "%llu (raise it, or use the analytical "
		                       "`systolic` model, which gives the same "
		                       "cycles)", l->name,
		                       (unsigned long long)estimate,
		                       (unsigned long long)max_pe_cycles);
	return 0;
}

static int sim_layer(const apnas_array *a, const apnas_layer *l,
                     const double *in, const double *w, double *out,
                     uint64_t max_pe_cycles, apnas_simbuf *mb,
                     apnas_sim_stats *st, apnas_error *err)
{
	size_t n_in, n_w, n_out;
	apnas_gemm gm;
	grid g;
	int rc;
	memset(st, 0, sizeof *st);
	if ((rc = apnas_sim_sizes(l, &n_in, &n_w, &n_out, err)) ||
	    (rc = apnas_layer_gemm(l, &gm, err)))
		return rc;
	if ((rc = apnas_sim_budget(a, l, max_pe_cycles, err)))
		return rc;
	for (size_t i = 0; i < n_out; i++)
		out[i] = 0.0;
	if (gm.repeat == 0)
		return 0;
	if ((rc = grid_alloc(&g, a, err)))
		return rc;
	operands o = {.l = l, .in = in, .w = w, .out = out, .ch = 0,
	              .e = gm.e, .k = gm.k, .m = gm.m};
	for (uint64_t r = 0; r < gm.repeat && !rc; r++) {
		o.ch = (int32_t)r;
		rc = run_product(&g, &o, a, mb, st, err);
	}
	grid_free(&g);
	if (rc)
		return apnas_error_prefix(err, "layer %s", l->name);
	st->pe_cycles = st->sim_cycles * (uint64_t)a->rows * (uint64_t)a->cols;
	return 0;
}

int apnas_sim_layer(const apnas_array *a, const apnas_layer *l,
                    const double *in, const double *w, double *out,
                    uint64_t max_pe_cycles, apnas_sim_stats *st,
                    apnas_error *err)
{
	return sim_layer(a, l, in, w, out, max_pe_cycles, NULL, st, err);
}

int apnas_sim_layer_mem(const apnas_array *a, const apnas_mem_cfg *m,
                        const apnas_energy_table *e, const apnas_layer *l,
                        const double *in, const double *w, double *out,
                        uint64_t max_pe_cycles, apnas_sim_stats *st,
                        apnas_mem_cost *mc, apnas_error *err)
{
	apnas_simbuf b;
	int rc;
	memset(mc, 0, sizeof *mc);
	if ((rc = apnas_array_check(a, err)) ||
	    (rc = apnas_simbuf_init(&b, a, m, mc, err)))
		return rc;
	rc = sim_layer(a, l, in, w, out, max_pe_cycles, &b, st, err);
	apnas_simbuf_free(&b);
	if (rc) {
		memset(mc, 0, sizeof *mc);
		return rc;
	}
	/* The sim's counts are far below 2^64 (its budget bounds them); the
	 * totals are formed as the model forms them. */
	mc->cycles = st->cycles;
	mc->macs = st->macs;
	mc->pe_reg_accesses = 3 * st->macs;
	mc->latency_cycles = mc->cycles + mc->stall_cycles;
	mc->dram_bytes = (mc->ifmap_dram_reads + mc->filter_dram_reads +
	                  mc->ofmap_dram_writes) * (uint64_t)m->word_bytes;
	if (e)
		apnas_energy_of(e, m, mc);
	return 0;
}

double apnas_sim_mapping_eff(const apnas_array *a, const apnas_sim_stats *st)
{
	if (!st->folds)
		return 0.0;
	return 100.0 * (double)st->used_pes /
	       ((double)st->folds * (double)a->rows * (double)a->cols);
}

double apnas_sim_utilization(const apnas_array *a, const apnas_sim_stats *st)
{
	if (!st->cycles)
		return 0.0;
	return 100.0 * (double)st->macs /
	       ((double)st->cycles * (double)a->rows * (double)a->cols);
}
