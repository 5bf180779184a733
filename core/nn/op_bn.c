/* Batch normalisation (optionally fused with the ReLU after it).  Batch
 * statistics are summed per image plane in float vectors, then per
 * thread in double, then over threads in thread order, then (a sharded
 * graph, shard.c) over the ranks in rank order: one fixed reduction tree,
 * so the result is the same every run for a given thread and rank
 * count.  The fused form stores only relu(bn(x)); its backward recomputes
 * bn(x) from the kept input, with the forward's own factors and
 * expressions, for the ReLU mask: the same mask bit for bit, one tensor
 * fewer to read in these memory-bound passes. */
#include "nn/ops.h"
#include "nn/vec.h"

#include <math.h>

struct bn_ctx {
	apnas_graph *g;
	const nn_node *nd;
	int n, c, hw, relu;
	const float *x, *dy;
	float *out, *dx;
	const float *mean, *invstd;  /* aux: [c] each */
	const float *sa, *sb;        /* phase 2: per-channel factors */
	const float *sc;
	const float *fa, *fb;        /* backward: the forward's sa, sb */
	const float *pst;            /* plane sums from the conv before, or
	                                NULL (nn_node.bnstat) */
	int acc_x;
};

size_t nn_bn_ws(const apnas_graph *g, const nn_node *nd)
{
	(void)g;
	/* [2c] double partial sums, then [5c] float per-channel factors
	 * (forward: sa, sb; backward: sa, sb, sc, then the forward's) */
	return 2 * (size_t)nd->out->d.c * sizeof(double) +
	       5 * (size_t)nd->out->d.c * sizeof(float);
}

/* Thread 0's factor area, after its partial sums. */
static float *factors(apnas_graph *g, int c)
{
	return (float *)((double *)nn_ws(g, 0) + 2 * (size_t)c);
}

void nn_plane_stats(const float *x, int hw, float *s, float *ss)
{
	v8f a = v8_set1(0), a2 = a;
	int e = 0;
	for (; e + 8 <= hw; e += 8) {
		v8f v = v8_ld(x + e);
		a += v;
		a2 += v * v;
	}
	float t = v8_hsum(a), t2 = v8_hsum(a2);
	for (; e < hw; e++) {
		t += x[e];
		t2 += x[e] * x[e];
	}
	*s = t;
	*ss = t2;
}

void nn_image_stats(const float *y, int c, int hw, float *st)
{
	for (int o = 0; o < c; o++)
		nn_plane_stats(y + (size_t)o * hw, hw, &st[2 * o], &st[2 * o + 1]);
}

static void stats_task(void *vc, int tid, int nt)
{
	struct bn_ctx *c = vc;
	int a, b;
	nn_part(c->n, tid, nt, &a, &b);
	double *part = nn_ws(c->g, tid);
	for (int ch = 0; ch < c->c; ch++) {
		double s = 0, ss = 0;
		for (int n = a; n < b; n++) {
			float fs, fss;
			if (c->pst) {
				fs = c->pst[2 * ((size_t)n * c->c + ch)];
				fss = c->pst[2 * ((size_t)n * c->c + ch) + 1];
			} else {
				nn_plane_stats(c->x + ((size_t)n * c->c + ch) * c->hw,
				               c->hw, &fs, &fss);
			}
			s += fs;
			ss += fss;
		}
		part[2 * ch] = s;
		part[2 * ch + 1] = ss;
	}
}

/* bn(x) = x sa + sb, in one place: the backward's ReLU mask must be the
 * forward's bit for bit. */
static inline v8f bn_pre8(v8f x, v8f va, v8f vb)
{
	return x * va + vb;
}

static inline float bn_pre1(float x, float ka, float kb)
{
	return x * ka + kb;
}

/* The forward's per-channel factors from gamma, beta and the statistics
 * in aux; noinline so that the forward and the backward run the very
 * same code. */
__attribute__((noinline)) static void fwd_factors(const apnas_bn *bn,
                                                  const float *mean,
                                                  const float *invstd, int c,
                                                  float *sa, float *sb)
{
	for (int ch = 0; ch < c; ch++) {
		float ga = bn->gamma ? bn->gamma->value[ch] : 1.0f;
		float be = bn->beta ? bn->beta->value[ch] : 0.0f;
		sa[ch] = ga * invstd[ch];
		sb[ch] = be - mean[ch] * sa[ch];
	}
}

/* out = x * sa[c] + sb[c], then max(0, .) when fused. */
static void apply_task(void *vc, int tid, int nt)
{
	struct bn_ctx *c = vc;
	int a, b;
	nn_part(c->n, tid, nt, &a, &b);
	for (int n = a; n < b; n++)
		for (int ch = 0; ch < c->c; ch++) {
			size_t off = ((size_t)n * c->c + ch) * c->hw;
			const float *x = c->x + off;
			float *y = c->out + off;
			const float ka = c->sa[ch], kb = c->sb[ch];
			v8f va = v8_set1(ka), vb = v8_set1(kb);
			int e = 0;
			if (c->relu) {
				for (; e + 8 <= c->hw; e += 8) {
					v8f v = bn_pre8(v8_ld(x + e), va, vb);
					v8_st(y + e, v8_relu(v));
				}
				for (; e < c->hw; e++) {
					float v = bn_pre1(x[e], ka, kb);
					y[e] = v > 0.0f ? v : 0.0f;
				}
			} else {
				for (; e + 8 <= c->hw; e += 8)
					v8_st(y + e, v8_ld(x + e) * va + vb);
				for (; e < c->hw; e++)
					y[e] = x[e] * ka + kb;
			}
		}
}

int nn_bn_fwd(apnas_graph *g, nn_node *nd, apnas_mode mode)
{
	apnas_tensor *x = nn_in(g, nd, 0);
	const apnas_bn *bn = &nd->bn;
	struct bn_ctx c = {0};
	c.g = g;
	c.nd = nd;
	c.n = x->d.n;
	c.c = x->d.c;
	c.hw = x->d.h * x->d.w;
	c.relu = nd->op == NN_BN_RELU;
	c.x = x->data;
	c.out = nd->out->data;
	float *mean = nd->aux, *invstd = mean + c.c;
	double m = (double)c.n * c.hw;
	if (mode == APNAS_MODE_INFER) {
		for (int ch = 0; ch < c.c; ch++) {
			mean[ch] = bn->mean->value[ch];
			invstd[ch] = (float)(1.0 / sqrt((double)bn->var->value[ch] +
			                                bn->eps));
		}
	} else {
		const nn_node *p = &g->nodes[x->producer];
		if (p->op == NN_CONV && p->bnstat)
			c.pst = p->aux;
		/* the same parts either way, so the same sums */
		nn_par(g, stats_task, &c,
		       c.pst ? (double)c.n * c.c : (double)c.n * c.c * c.hw);
		/* Thread order into thread 0's partials, then (sharded) rank
		 * order over the ranks: the global batch's sums. */
		double *tot = nn_ws(g, 0);
		for (int ch = 0; ch < c.c; ch++) {
			double s = 0, ss = 0;
			for (int t = 0; t < g->threads; t++) {
				const double *p = nn_ws(g, t);
				s += p[2 * ch];
				ss += p[2 * ch + 1];
			}
			tot[2 * ch] = s;
			tot[2 * ch + 1] = ss;
		}
		if (nn_shard_sum(g, tot, 2 * (size_t)c.c) < 0)
			return -1;
		if (g->shards > 1)
			m = (double)g->sh_total * c.hw;
		for (int ch = 0; ch < c.c; ch++) {
			double s = tot[2 * ch], ss = tot[2 * ch + 1];
			double mu = s / m, var = ss / m - mu * mu;
			if (var < 0)
				var = 0;
			mean[ch] = (float)mu;
			invstd[ch] = (float)(1.0 / sqrt(var + bn->eps));
			if (mode == APNAS_MODE_TRAIN) {
				float mo = bn->momentum;
				double unb = m > 1 ? var * m / (m - 1) : var;
				bn->mean->value[ch] =
				    (1 - mo) * bn->mean->value[ch] + mo * (float)mu;
				bn->var->value[ch] =
				    (1 - mo) * bn->var->value[ch] + mo * (float)unb;
			}
		}
	}
	float *sa = factors(g, c.c), *sb = sa + c.c;
	fwd_factors(bn, mean, invstd, c.c, sa, sb);
	c.sa = sa;
	c.sb = sb;
	nn_par(g, apply_task, &c, (double)c.n * c.c * c.hw);
	return 0;
}

/* Per thread, per channel: sum of dy' and of dy' (x - mean), where dy' is
 * dy masked by the ReLU in the fused form. */
static void bwd_sums_task(void *vc, int tid, int nt)
{
	struct bn_ctx *c = vc;
	int a, b;
	nn_part(c->n, tid, nt, &a, &b);
	double *part = nn_ws(c->g, tid);
	for (int ch = 0; ch < c->c; ch++) {
		double s = 0, sx = 0;
		const float mu = c->mean[ch];
		const float fa = c->fa[ch], fb = c->fb[ch];
		const v8f vm = v8_set1(mu), z = v8_set1(0);
		const v8f vfa = v8_set1(fa), vfb = v8_set1(fb);
		for (int n = a; n < b; n++) {
			size_t off = ((size_t)n * c->c + ch) * c->hw;
			const float *x = c->x + off, *dy = c->dy + off;
			v8f a0 = z, a1 = z;
			int e = 0;
			for (; e + 8 <= c->hw; e += 8) {
				v8f d = v8_ld(dy + e), xv = v8_ld(x + e);
				if (c->relu)
					d = v8_where_pos(bn_pre8(xv, vfa, vfb), d);
				a0 += d;
				a1 += d * (xv - vm);
			}
			float t0 = v8_hsum(a0), t1 = v8_hsum(a1);
			for (; e < c->hw; e++) {
				float d = c->relu && !(bn_pre1(x[e], fa, fb) > 0.0f)
				          ? 0.0f : dy[e];
				t0 += d;
				t1 += d * (x[e] - mu);
			}
			s += t0;
			sx += t1;
		}
		part[2 * ch] = s;
		part[2 * ch + 1] = sx;
	}
}

/* dx (+)= sa dy' + sb (x - mean) + sc, per channel. */
static void bwd_dx_task(void *vc, int tid, int nt)
{
	struct bn_ctx *c = vc;
	int a, b;
	nn_part(c->n, tid, nt, &a, &b);
	for (int n = a; n < b; n++)
		for (int ch = 0; ch < c->c; ch++) {
			size_t off = ((size_t)n * c->c + ch) * c->hw;
			const float *x = c->x + off, *dy = c->dy + off;
			float *dx = c->dx + off;
			const float ka = c->sa[ch], kb = c->sb[ch], kc = c->sc[ch];
			const float mu = c->mean[ch];
			const float fa = c->fa[ch], fb = c->fb[ch];
			v8f va = v8_set1(ka), vb = v8_set1(kb), vc8 = v8_set1(kc),
			    vm = v8_set1(mu), vfa = v8_set1(fa), vfb = v8_set1(fb);
			int e = 0;
			for (; e + 8 <= c->hw; e += 8) {
				v8f d = v8_ld(dy + e), xv = v8_ld(x + e);
				if (c->relu)
					d = v8_where_pos(bn_pre8(xv, vfa, vfb), d);
				v8f r = va * d + vb * (xv - vm) + vc8;
				if (c->acc_x)
					r += v8_ld(dx + e);
				v8_st(dx + e, r);
			}
			for (; e < c->hw; e++) {
				float d = c->relu && !(bn_pre1(x[e], fa, fb) > 0.0f)
				          ? 0.0f : dy[e];
				float r = ka * d + kb * (x[e] - mu) + kc;
				dx[e] = c->acc_x ? dx[e] + r : r;
			}
		}
}

void nn_bn_bwd(apnas_graph *g, nn_node *nd, const unsigned char *acc)
{
	apnas_tensor *x = nn_in(g, nd, 0);
	const apnas_bn *bn = &nd->bn;
	struct bn_ctx c = {0};
	c.g = g;
	c.nd = nd;
	c.n = x->d.n;
	c.c = x->d.c;
	c.hw = x->d.h * x->d.w;
	c.relu = nd->op == NN_BN_RELU;
	c.x = x->data;
	c.dy = nd->out->grad;
	c.mean = nd->aux;
	c.invstd = c.mean + c.c;
	float *fa = factors(g, c.c) + 3 * (size_t)c.c, *fb = fa + c.c;
	fwd_factors(bn, c.mean, c.invstd, c.c, fa, fb);
	c.fa = fa;
	c.fb = fb;
	nn_par(g, bwd_sums_task, &c, (double)c.n * c.c * c.hw);
	double m = (double)c.n * c.hw;
	double *tot = nn_ws(g, 0);
	for (int ch = 0; ch < c.c; ch++) {
		double sdy = 0, sdx = 0;
		for (int t = 0; t < g->threads; t++) {
			const double *p = nn_ws(g, t);
			sdy += p[2 * ch];
			sdx += p[2 * ch + 1];
		}
		tot[2 * ch] = sdy;
		tot[2 * ch + 1] = sdx;
	}
	/* gamma and beta take this rank's sums: their gradients are summed
	 * over the ranks with every other parameter's (shard.c). */
	int acc_g = bn->gamma ? nn_param_acc(bn->gamma) : 0;
	int acc_b = bn->beta ? nn_param_acc(bn->beta) : 0;
	for (int ch = 0; ch < c.c; ch++) {
		if (bn->gamma) {
			float dg = (float)(tot[2 * ch + 1] * c.invstd[ch]);
			bn->gamma->grad[ch] = acc_g ? bn->gamma->grad[ch] + dg : dg;
		}
		if (bn->beta) {
			float db = (float)tot[2 * ch];
			bn->beta->grad[ch] = acc_b ? bn->beta->grad[ch] + db : db;
		}
	}
	/* The input gradient needs the global batch's sums.  A failed sum
	 * is the graph's error; backward reports it. */
	if (nn_shard_sum(g, tot, 2 * (size_t)c.c) < 0)
		return;
	if (g->shards > 1)
		m = (double)g->sh_total * c.hw;
	float *sa = factors(g, c.c), *sb = sa + c.c, *sc = sb + c.c;
	for (int ch = 0; ch < c.c; ch++) {
		double sdy = tot[2 * ch], sdx = tot[2 * ch + 1];
		double is = c.invstd[ch];
		double ga = bn->gamma ? bn->gamma->value[ch] : 1.0;
		double k1 = ga * is;
		sa[ch] = (float)k1;
		sb[ch] = (float)(-k1 * is * is * sdx / m);
		sc[ch] = (float)(-k1 * sdy / m);
	}
	if (!x->needs_grad)
		return;
	c.dx = x->grad;
	c.acc_x = acc[0];
	c.sa = sa;
	c.sb = sb;
	c.sc = sc;
	nn_par(g, bwd_dx_task, &c, (double)c.n * c.c * c.hw);
}
