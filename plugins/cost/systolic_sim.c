/* cost_systolic_sim: the cycle-level simulator of the same systolic array
 * as cost_systolic (same options and figures), for users who want the
 * numbers a simulation observes rather than a formula's.  Each layer is
 * run through core/hw/systolic_sim.c on pseudo-random small-integer inputs
 * and weights drawn from the run seed: PE registers, skewed operands
 * moving one PE per cycle, the ws/is preload, real multiply-accumulates.
 * The cycles, MACs, mapping efficiency and utilization it reports are
 * counted from that run; with `verify` the output tensor is also checked
 * against a direct convolution.  It costs about rows x cols register
 * updates per simulated cycle, so `max_pe_cycles` refuses layers that
 * would take too long (the analytical `systolic` plugin gives the same
 * cycles in nanoseconds). */
#include <stdlib.h>
#include <string.h>

#include <apnas/plugin.h>
#include <apnas/rng.h>

#include "array_metrics.h"
#include "hw/systolic_model.h"
#include "hw/systolic_sim.h"

static const apnas_option sim_options[] = {
	AM_OPTIONS,
	{"max_pe_cycles", APNAS_OPT_INT, "2000000000", 0, 4.0e18, NULL,
	 "refuse a layer whose simulation takes more PE-cycles (0: no limit)", 0},
	{"verify", APNAS_OPT_BOOL, "true", 1, 0, NULL,
	 "check each simulated output tensor against a direct convolution", 0},
	{.key = NULL},
};

typedef struct sim_model {
	am_model m;         /* the array, its memories, the energy table */
	uint64_t max_pe_cycles;
	int verify;
	uint64_t seed;      /* run seed; each cost() call draws from it anew */
} sim_model;

static int sim_create(const apnas_plugin_ctx *ctx, void **self,
                      apnas_error *err)
{
	sim_model *s = calloc(1, sizeof *s);
	int rc;
	if (!s)
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "out of memory creating the cost model");
	int64_t cap = apnas_opts_int(ctx->opts, "max_pe_cycles");
	s->max_pe_cycles = cap > 0 ? (uint64_t)cap : 0;
	s->verify = apnas_opts_bool(ctx->opts, "verify");
	s->seed = ctx->seed;
	if ((rc = am_model_from_opts(ctx->opts, &s->m, err))) {
		am_model_free(&s->m);
		free(s);
		return rc;
	}
	*self = s;
	return 0;
}

static void sim_destroy(void *self)
{
	if (self)
		am_model_free(&((sim_model *)self)->m);
	free(self);
}

static const apnas_hw_decision *sim_hw_decisions(void *self)
{
	return as_search_decisions(((const sim_model *)self)->m.hw);
}

/* Small integers keep every sum exact in double whatever order the array
 * adds them in, so verification can demand equality. */
static void fill(apnas_rng *r, double *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] = (double)((int)apnas_rng_below(r, 9) - 4);
}

/* The convolution computed directly from its definition, the way a
 * framework would: the yardstick for the simulated outputs. */
static void direct(const apnas_layer *l, const double *in, const double *w,
                   double *out)
{
	if (l->type == APNAS_LAYER_FC) {
		size_t k = (size_t)l->in.c * (size_t)l->in.h * (size_t)l->in.w;
		for (int32_t m = 0; m < l->out.c; m++) {
			double s = 0.0;
			for (size_t i = 0; i < k; i++)
				s += in[i] * w[(size_t)m * k + i];
			out[m] = s;
		}
		return;
	}
	int dw = l->type == APNAS_LAYER_DWCONV;
	for (int32_t m = 0; m < l->out.c; m++)
	for (int32_t oy = 0; oy < l->out.h; oy++)
	for (int32_t ox = 0; ox < l->out.w; ox++) {
		double s = 0.0;
		int32_t c0 = dw ? m : 0, c1 = dw ? m + 1 : l->in.c;
		for (int32_t c = c0; c < c1; c++)
		for (int32_t fy = 0; fy < l->kh; fy++)
		for (int32_t fx = 0; fx < l->kw; fx++) {
			int64_t iy = (int64_t)oy * l->stride + fy - l->pad_h;
			int64_t ix = (int64_t)ox * l->stride + fx - l->pad_w;
			if (iy < 0 || iy >= l->in.h || ix < 0 || ix >= l->in.w)
				continue;
			size_t wi = dw ? ((size_t)c * l->kh + fy) * l->kw + fx
			               : (((size_t)m * l->in.c + c) * l->kh + fy) *
			                 l->kw + fx;
			s += in[((size_t)c * l->in.h + iy) * l->in.w + ix] * w[wi];
		}
		out[((size_t)m * l->out.h + oy) * l->out.w + ox] = s;
	}
}

static int sim_layer(const sim_model *s, apnas_rng *r, const apnas_layer *l,
                     apnas_layer_cost *c, apnas_mem_cost *mc,
                     apnas_error *err)
{
	size_t n_in, n_w, n_out;
	apnas_sim_stats st;
	int rc;
	memset(c, 0, sizeof *c);
	memset(mc, 0, sizeof *mc);
	if ((rc = apnas_sim_sizes(l, &n_in, &n_w, &n_out, err)))
		return rc;
	if (n_w == 0)
		return 0; /* no array work */
	/* Refuse before allocating: the tensors of a huge layer could exhaust
	 * memory before the simulator's own check ran. */
	if ((rc = apnas_sim_budget(&s->m.array, l, s->max_pe_cycles, err)))
		return rc;
	double *in = malloc(n_in * sizeof *in), *w = malloc(n_w * sizeof *w);
	double *out = malloc(n_out * sizeof *out);
	double *ref = s->verify ? malloc(n_out * sizeof *ref) : NULL;
	if (!in || !w || !out || (s->verify && !ref)) {
		rc = apnas_error_set(err, APNAS_ENOMEM, "layer %s: out of memory "
		                     "for its tensors", l->name);
		goto done;
	}
	fill(r, in, n_in);
	fill(r, w, n_w);
	if ((rc = apnas_sim_layer_mem(&s->m.array, &s->m.mem, &s->m.energy, l,
	                              in, w, out, s->max_pe_cycles, &st, mc,
	                              err)))
		goto done;
	if (s->verify) {
		direct(l, in, w, ref);
		for (size_t i = 0; i < n_out; i++)
			if (out[i] != ref[i]) {
				rc = apnas_error_set(err, APNAS_ENUM,
				                     "layer %s: simulated output %zu is "
				                     "%g, the direct convolution gives "
				                     "%g", l->name, i, out[i], ref[i]);
				goto done;
			}
	}
	c->cycles = st.cycles;
	c->macs = st.macs;
	c->mapping_eff = apnas_sim_mapping_eff(&s->m.array, &st);
	c->utilization = apnas_sim_utilization(&s->m.array, &st);
done:
	free(in);
	free(w);
	free(out);
	free(ref);
	return rc;
}

/* One cost() call: the model and its random stream. */
typedef struct sim_run {
	const sim_model *s;
	apnas_rng r;
} sim_run;

static int sim_one(void *ud, const apnas_layer *l, apnas_layer_cost *c,
                   apnas_mem_cost *mc, apnas_error *err)
{
	sim_run *run = ud;
	return sim_layer(run->s, &run->r, l, c, mc, err);
}

static const apnas_metric_decl *sim_metrics(void *self)
{
	(void)self;
	return am_metrics;
}

static int sim_cost(void *self, const apnas_net *net, double *net_values,
                    double *layer_values, apnas_error *err)
{
	sim_run run = {self, {{0, 0, 0, 0}}};
	/* A fresh stream per call: the same network always sees the same
	 * values, whatever was costed before. */
	apnas_rng_derive(&run.r, run.s->seed, "cost_systolic_sim");
	return am_net(&run.s->m, net, sim_one, &run, net_values, layer_values,
	              err);
}

static void sim_describe(void *self, char *buf, size_t cap)
{
	am_describe(&((const sim_model *)self)->m, buf, cap);
}

static const apnas_cost_ops sim_ops = {
	.create = sim_create,
	.destroy = sim_destroy,
	.metrics = sim_metrics,
	.cost = sim_cost,
	.describe = sim_describe,
	.hw_decisions = sim_hw_decisions,
};

APNAS_PLUGIN_DEFINE(APNAS_KIND_COST, "systolic_sim", "2.0",
                    "cycle-level systolic-array simulator (reference for "
                    "`systolic`; slow)",
                    sim_options, &sim_ops);
