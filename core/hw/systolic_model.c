/* The analytical systolic-array model: a layer's (E, K, M) mapped onto an
 * R x C array by dataflow, cut into folds, each fold costing its skewed
 * streaming time (plus the stationary preload for ws and is), exactly as
 * ../shared/docs/systolic.md states and SCALE-Sim v2 reports. */
#include "systolic_model.h"

#include <string.h>

/* Arrays beyond this are not hardware anyone builds, and keeping R and C
 * small keeps every sum below (T + 2R + C) far from 64-bit limits. */
#define ARRAY_DIM_MAX (1 << 20)

int apnas_dataflow_parse(const char *s, const char *what, apnas_dataflow *df,
                         apnas_error *err)
{
	if (s && !strcmp(s, "os"))
		*df = APNAS_DF_OS;
	else if (s && !strcmp(s, "ws"))
		*df = APNAS_DF_WS;
	else if (s && !strcmp(s, "is"))
		*df = APNAS_DF_IS;
	else
		return apnas_error_set(err, APNAS_EINVAL,
		                       "%s: expected a dataflow os, ws or is, "
		                       "got '%s'", what, s ? s : "");
	return 0;
}

const char *apnas_dataflow_name(apnas_dataflow df)
{
	switch (df) {
	case APNAS_DF_OS: return "os";
	case APNAS_DF_WS: return "ws";
	case APNAS_DF_IS: return "is";
	}
	return "?";
}

int apnas_array_check(const apnas_array *a, apnas_error *err)
{
	if (a->rows < 1 || a->rows > ARRAY_DIM_MAX)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "array rows: expected 1 to %d, got %lld",
		                       ARRAY_DIM_MAX, (long long)a->rows);
	if (a->cols < 1 || a->cols > ARRAY_DIM_MAX)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "array cols: expected 1 to %d, got %lld",
		                       ARRAY_DIM_MAX, (long long)a->cols);
	if (a->dataflow != APNAS_DF_OS && a->dataflow != APNAS_DF_WS &&
	    a->dataflow != APNAS_DF_IS)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "array dataflow: expected os, ws or is, got "
		                       "code %d", (int)a->dataflow);
	return 0;
}

int apnas_array_from_opts(const apnas_opts *o, apnas_array *a,
                          apnas_error *err)
{
	int rc = apnas_dataflow_parse(apnas_opts_string(o, "dataflow"),
	                              "dataflow", &a->dataflow, err);
	if (rc)
		return rc;
	a->rows = apnas_opts_int(o, "rows");
	a->cols = apnas_opts_int(o, "cols");
	return apnas_array_check(a, err);
}

static int too_big(const apnas_layer *l, const char *what, apnas_error *err)
{
	return apnas_error_set(err, APNAS_EINVAL,
	                       "layer %s: %s does not fit in 64 bits", l->name,
	                       what);
}

/* One spatial direction of a conv: checks the sizes and that `out` is what
 * the floor rule (the engine) or the ceiling rule (SCALE-Sim topologies)
 * gives for the padded input. */
static int check_axis(const apnas_layer *l, const char *axis, int32_t in,
                      int32_t k, int32_t pad, int32_t out, apnas_error *err)
{
	int64_t padded = (int64_t)in + 2 * (int64_t)pad;
	if (in < 1 || k < 1 || pad < 0 || out < 1)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "layer %s: %s: input %d, kernel %d, padding "
		                       "%d, output %d: expected input, kernel, "
		                       "output >= 1 and padding >= 0", l->name, axis,
		                       in, k, pad, out);
	if (k > padded)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "layer %s: %s: filter %d larger than the "
		                       "padded input %lld", l->name, axis, k,
		                       (long long)padded);
	/* out is floor(d / s) + 1 (the floor rule) or ceil(d / s) + 1 (the
	 * ceiling rule), d = padded - k >= 0, stride s >= 1: with o = out - 1
	 * that is (o - 1) s < d < (o + 1) s, tested without a divide (every
	 * costing passes here); all terms are below 2^63. */
	int64_t d = padded - k, o = (int64_t)out - 1, s = l->stride;
	if ((o - 1) * s < d && d < (o + 1) * s)
		return 0;
	return apnas_error_set(err, APNAS_EINVAL,
	                       "layer %s: %s: output %d does not follow from "
	                       "padded input %lld, kernel %d, stride %d "
	                       "(expected %lld)", l->name, axis, out,
	                       (long long)padded, k, l->stride,
	                       (long long)(d / s + 1));
}

int apnas_layer_gemm(const apnas_layer *l, apnas_gemm *g, apnas_error *err)
{
	int rc;
	memset(g, 0, sizeof *g);
	switch (l->type) {
	case APNAS_LAYER_CONV:
	case APNAS_LAYER_DWCONV:
		if (l->stride < 1)
			return apnas_error_set(err, APNAS_EINVAL,
			                       "layer %s: stride %d: expected >= 1",
			                       l->name, l->stride);
		if (l->in.c < 1 || l->out.c < 1)
			return apnas_error_set(err, APNAS_EINVAL,
			                       "layer %s: channels %d -> %d: expected "
			                       ">= 1", l->name, l->in.c, l->out.c);
		if ((rc = check_axis(l, "height", l->in.h, l->kh, l->pad_h,
		                     l->out.h, err)) ||
		    (rc = check_axis(l, "width", l->in.w, l->kw, l->pad_w,
		                     l->out.w, err)))
			return rc;
		g->e = (uint64_t)l->out.h * (uint64_t)l->out.w;
		if (l->type == APNAS_LAYER_CONV) {
			if (l->groups != 1)
				return apnas_error_set(err, APNAS_EINVAL,
				                       "layer %s: conv with %d groups: "
				                       "expected 1 (depthwise is its own "
				                       "type)", l->name, l->groups);
			g->k = (uint64_t)l->kh * (uint64_t)l->kw;
			if (__builtin_mul_overflow(g->k, (uint64_t)l->in.c, &g->k))
				return too_big(l, "the window size", err);
			g->m = (uint64_t)l->out.c;
			g->repeat = 1;
		} else {
			if (l->out.c != l->in.c)
				return apnas_error_set(err, APNAS_EINVAL,
				                       "layer %s: depthwise conv with %d "
				                       "input and %d output channels: "
				                       "expected them equal", l->name,
				                       l->in.c, l->out.c);
			g->k = (uint64_t)l->kh * (uint64_t)l->kw;
			g->m = 1;
			g->repeat = (uint64_t)l->in.c;
		}
		return 0;
	case APNAS_LAYER_FC:
		if (l->in.c < 1 || l->in.h < 1 || l->in.w < 1 || l->out.c < 1)
			return apnas_error_set(err, APNAS_EINVAL,
			                       "layer %s: fully connected %dx%dx%d -> "
			                       "%d: expected sizes >= 1", l->name,
			                       l->in.c, l->in.h, l->in.w, l->out.c);
		if (l->out.h != 1 || l->out.w != 1)
			return apnas_error_set(err, APNAS_EINVAL,
			                       "layer %s: fully connected output "
			                       "%dx%d: expected 1x1", l->name,
			                       l->out.h, l->out.w);
		g->e = 1;
		g->k = (uint64_t)l->in.c * (uint64_t)l->in.h;
		if (__builtin_mul_overflow(g->k, (uint64_t)l->in.w, &g->k))
			return too_big(l, "the input size", err);
		g->m = (uint64_t)l->out.c;
		g->repeat = 1;
		return 0;
	case APNAS_LAYER_MAXPOOL:
	case APNAS_LAYER_AVGPOOL:
	case APNAS_LAYER_GLOBALPOOL:
	case APNAS_LAYER_ADD:
	case APNAS_LAYER_CONCAT:
		return 0; /* no array work: repeat == 0 */
	}
	return apnas_error_set(err, APNAS_EINVAL,
	                       "layer %s: unknown layer type %d", l->name,
	                       (int)l->type);
}

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
	uint64_t q = apnas_udiv(a, b);
	return q + (q * b != a);
}

int apnas_systolic_plan(const apnas_array *a, uint64_t e, uint64_t k,
                        uint64_t m, apnas_fold_plan *p, apnas_error *err)
{
	uint64_t r = (uint64_t)a->rows, c = (uint64_t)a->cols;
	switch (a->dataflow) {
	case APNAS_DF_OS: p->sr = e; p->sc = m; p->t = k; break;
	case APNAS_DF_WS: p->sr = k; p->sc = m; p->t = e; break;
	case APNAS_DF_IS: p->sr = k; p->sc = e; p->t = m; break;
	default:
		return apnas_error_set(err, APNAS_EINVAL,
		                       "unknown dataflow code %d",
		                       (int)a->dataflow);
	}
	p->fr = ceil_div(p->sr, r);
	p->fc = ceil_div(p->sc, c);
	/* R and C are at most 2^20, so only T can push these over. */
	uint64_t skew = r + c - 2 + (a->dataflow == APNAS_DF_OS ? 0 : r);
	uint64_t folds;
	if (__builtin_add_overflow(p->t, skew, &p->fold_cycles) ||
	    __builtin_mul_overflow(p->fr, p->fc, &folds) ||
	    __builtin_mul_overflow(folds, p->fold_cycles, &p->cycles))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "cycle count does not fit in 64 bits");
	p->cycles -= 1; /* SCALE-Sim: index of the last busy cycle, from 0 */
	return 0;
}

int apnas_systolic_gemm_cost(const apnas_array *a, const apnas_gemm *g,
                             apnas_layer_cost *c, apnas_error *err)
{
	apnas_fold_plan p;
	int rc;
	memset(c, 0, sizeof *c);
	if (g->repeat == 0)
		return 0;
	if (g->e == 0 || g->k == 0 || g->m == 0)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "empty matrix product %llux%llux%llu",
		                       (unsigned long long)g->e,
		                       (unsigned long long)g->k,
		                       (unsigned long long)g->m);
	if ((rc = apnas_systolic_plan(a, g->e, g->k, g->m, &p, err)))
		return rc;
	return apnas_systolic_plan_cost(a, g, &p, c, err);
}

int apnas_systolic_plan_cost(const apnas_array *a, const apnas_gemm *g,
                             const apnas_fold_plan *pp, apnas_layer_cost *c,
                             apnas_error *err)
{
	const apnas_fold_plan p = *pp;
	uint64_t macs, cycles;
	memset(c, 0, sizeof *c);
	if (g->repeat == 0)
		return 0;
	if (__builtin_mul_overflow(g->e, g->k, &macs) ||
	    __builtin_mul_overflow(macs, g->m, &macs) ||
	    __builtin_mul_overflow(macs, g->repeat, &macs))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "MAC count does not fit in 64 bits");
	if (__builtin_mul_overflow(p.cycles, g->repeat, &cycles))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "cycle count does not fit in 64 bits");
	double pes = (double)a->rows * (double)a->cols;
	c->cycles = cycles;
	c->macs = macs;
	/* Every repeat maps identically, so one product's efficiency is the
	 * layer's. */
	c->mapping_eff = 100.0 * ((double)p.sr * (double)p.sc) /
	                 ((double)p.fr * (double)p.fc * pes);
	/* The count is a last-cycle index: a single one-cycle fold (one MAC
	 * on a 1x1 os array) reports 0 cycles, and no utilization. */
	c->utilization = cycles ? 100.0 * (double)macs / ((double)cycles * pes)
	                        : 0.0;
	return 0;
}

int apnas_systolic_layer(const apnas_array *a, const apnas_layer *l,
                         apnas_layer_cost *c, apnas_error *err)
{
	apnas_gemm g;
	int rc;
	if ((rc = apnas_layer_gemm(l, &g, err)))
		return rc;
	if ((rc = apnas_systolic_gemm_cost(a, &g, c, err)))
		return apnas_error_prefix(err, "layer %s", l->name);
	return 0;
}

int apnas_systolic_net(const apnas_array *a, const apnas_net *net,
                       apnas_layer_cost *total, apnas_layer_cost *per_layer,
                       apnas_error *err)
{
	apnas_cost_sum sum;
	apnas_layer_cost c;
	int rc;
	if ((rc = apnas_array_check(a, err)))
		return rc;
	apnas_cost_sum_init(&sum);
	for (size_t i = 0; i < net->n; i++) {
		if ((rc = apnas_systolic_layer(a, &net->layers[i], &c, err)) ||
		    (rc = apnas_cost_sum_add(&sum, &c, err)))
			return rc;
		if (per_layer)
			per_layer[i] = c;
	}
	apnas_cost_sum_finish(&sum, (double)a->rows * (double)a->cols, total);
	return 0;
}

void apnas_cost_sum_init(apnas_cost_sum *s)
{
	memset(s, 0, sizeof *s);
}

int apnas_cost_sum_add(apnas_cost_sum *s, const apnas_layer_cost *layer,
                       apnas_error *err)
{
	if (__builtin_add_overflow(s->total.cycles, layer->cycles,
	                           &s->total.cycles) ||
	    __builtin_add_overflow(s->total.macs, layer->macs, &s->total.macs))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "network total does not fit in 64 bits");
	s->eff_cycles += layer->mapping_eff * (double)layer->cycles;
	return 0;
}

void apnas_cost_sum_finish(apnas_cost_sum *s, double pes,
                           apnas_layer_cost *total)
{
	*total = s->total;
	total->mapping_eff = 0.0;
	total->utilization = 0.0;
	if (s->total.cycles && pes > 0) {
		total->mapping_eff = s->eff_cycles / (double)s->total.cycles;
		total->utilization = 100.0 * (double)s->total.macs /
		                     ((double)s->total.cycles * pes);
	}
}
