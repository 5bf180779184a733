/* The ENAS controller network over any decision list: plan, forward pass
 * (sampling or scoring a given architecture) and backprop through time.
 * See lstm.h for the model.  Everything is double precision and plain
 * loops in a fixed order, so that a run is bit-identical for a seed and
 * the finite-difference test can hold the gradient to tight tolerances;
 * the network is small enough (H = 64) that this costs little. */
#include "lstm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double sigm(double x)
{
	if (x >= 0)
		return 1.0 / (1.0 + exp(-x));
	double e = exp(x);
	return e / (1.0 + e);
}

/* log(sigmoid(x)) without overflow for large |x|. */
static double log_sigm(double x)
{
	return x >= 0 ? -log1p(exp(-x)) : x - log1p(exp(x));
}

/* ENAS's logit transform: divide by the temperature, then tanh_c * tanh,
 * each only when set.  *d gets the derivative. */
static double xform(const ctl_lstm_cfg *cfg, double raw, double *d)
{
	double a = raw, da = 1.0;
	if (cfg->temperature > 0) {
		a = raw / cfg->temperature;
		da = 1.0 / cfg->temperature;
	}
	if (cfg->tanh_c > 0) {
		double t = tanh(a);
		*d = da * cfg->tanh_c * (1.0 - t * t);
		return cfg->tanh_c * t;
	}
	*d = da;
	return a;
}

void ctl_lstm_free(ctl_lstm *m)
{
	if (!m)
		return;
	free(m->dec);
	free(m->blocks);
	free(m->tok_head);
	free(m->tok_anchor);
	free(m->tok_poff);
	free(m->head_size);
	free(m->steps);
	free(m->anchor_step);
	free(m->p);
	free(m->g);
	free(m->pt);
	free(m->tensors);
	free(m->off_soft);
	free(m->off_emb);
	free(m->off_skip);
	free(m->qbuf);
	free(m->tok);
	free(m->xin);
	free(m->gates);
	free(m->c);
	free(m->tc);
	free(m->h);
	free(m->lraw);
	free(m->lfin);
	free(m->prob);
	free(m->att_t);
	free(m->att_q);
	free(m->a1);
	free(m->hw2);
	free(m->xnext);
	free(m->d_a1);
	free(m->d_anc);
	free(m->dh);
	free(m->dc);
	free(m->dz);
	free(m->dxin);
	free(m->dusum);
	free(m->dlog);
	free(m->zero);
	free(m);
}

/* Splits the list into layer blocks and checks the order the LSTM walks. */
static int plan_blocks(ctl_lstm *m, apnas_error *err)
{
	const apnas_decision *d = m->dec;
	m->blocks = calloc(m->n_dec, sizeof *m->blocks);
	m->tok_anchor = malloc(m->n_dec * sizeof *m->tok_anchor);
	if (!m->blocks || !m->tok_anchor)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	/* the choices close the list (ctl_decisions_check) and belong to
	 * no block */
	m->n_net = m->n_dec;
	while (m->n_net > 0 && d[m->n_net - 1].kind == APNAS_DECISION_CHOICE)
		m->n_net--;
	for (size_t i = m->n_net; i < m->n_dec; i++)
		m->tok_anchor[i] = -1;
	for (size_t i = 0; i < m->n_net; i++) {
		m->tok_anchor[i] = -1;
		if (i == 0 || d[i].layer != d[i - 1].layer) {
			if (i > 0 && d[i].layer < d[i - 1].layer)
				return apnas_error_set(
					err, APNAS_EINVAL,
					"decision %zu: layer %d after layer %d;"
					" the LSTM controller needs each "
					"layer's decisions together, layers in "
					"increasing order", i, (int)d[i].layer,
					(int)d[i - 1].layer);
			m->blocks[m->n_blocks++].first = i;
		}
		ctl_block *b = &m->blocks[m->n_blocks - 1];
		if (d[i].kind == APNAS_DECISION_OP) {
			if (b->n_skip)
				return apnas_error_set(
					err, APNAS_EINVAL,
					"decision %zu (op of layer %d) follows a "
					"skip of the same layer; the LSTM "
					"controller needs a layer's ops before "
					"its skips", i, (int)d[i].layer);
			b->n_op++;
			continue;
		}
		b->n_skip++;
		m->use_anchors = 1;
		for (size_t k = 0; k + 1 < m->n_blocks; k++)
			if (d[m->blocks[k].first].layer == d[i].skip_from)
				m->tok_anchor[i] = (int32_t)k;
		if (m->tok_anchor[i] < 0)
			return apnas_error_set(
				err, APNAS_EINVAL,
				"decision %zu (skip of layer %d): layer %d has "
				"no decisions, so the LSTM controller has no "
				"anchor to attend to", i, (int)d[i].layer,
				(int)d[i].skip_from);
	}
	for (size_t k = 0; k < m->n_blocks; k++)
		if (m->blocks[k].n_skip)
			m->n_skip_blocks++;
	return 0;
}

/* One softmax head per distinct op size, in order of first appearance,
 * or one per op decision; then one per choice decision, whatever the op
 * layout (a hardware decision shares no meaning with an op of the same
 * size). */
static int plan_heads(ctl_lstm *m, apnas_error *err)
{
	m->tok_head = malloc(m->n_dec * sizeof *m->tok_head);
	m->tok_poff = calloc(m->n_dec, sizeof *m->tok_poff);
	m->head_size = malloc(m->n_dec * sizeof *m->head_size);
	if (!m->tok_head || !m->tok_poff || !m->head_size)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	size_t poff = 0;
	for (size_t i = 0; i < m->n_dec; i++) {
		m->tok_head[i] = -1;
		if (m->dec[i].kind == APNAS_DECISION_SKIP)
			continue;
		int k = 0;
		if (m->cfg.head_per_decision ||
		    m->dec[i].kind == APNAS_DECISION_CHOICE)
			k = m->n_heads;
		while (k < m->n_heads && m->head_size[k] != m->dec[i].n_choices)
			k++;
		if (k == m->n_heads)
			m->head_size[m->n_heads++] = m->dec[i].n_choices;
		m->tok_head[i] = k;
		m->tok_poff[i] = poff;
		poff += (size_t)m->dec[i].n_choices;
		if (m->dec[i].kind == APNAS_DECISION_OP)
			m->n_op_heads = m->n_heads;
	}
	return 0;
}

static void plan_steps(ctl_lstm *m)
{
	size_t s = 0;
	long src = -1;
	for (size_t b = 0; b < m->n_blocks; b++) {
		const ctl_block *bl = &m->blocks[b];
		for (size_t t = bl->first; t < bl->first + bl->n_op; t++) {
			m->steps[s++] = (ctl_step){0, t, src};
			src = (long)t;
		}
		if (!m->use_anchors)
			continue;
		m->anchor_step[b] = s;
		m->steps[s++] = (ctl_step){1, b, src};
		src = bl->n_skip ? -2 - (long)b : -1;
	}
	/* the choices after the network, each an op-like step fed by what
	 * the last layer fed forward */
	for (size_t t = m->n_net; t < m->n_dec; t++) {
		m->steps[s++] = (ctl_step){0, t, src};
		src = (long)t;
	}
	m->n_steps = s;
}

static void add_tensor(ctl_lstm *m, const char *name, size_t rows,
                       size_t cols, size_t *off)
{
	ctl_tensor *t = &m->tensors[m->n_tensors++];
	snprintf(t->name, sizeof t->name, "%s", name);
	t->off = m->n_params;
	t->rows = rows;
	t->cols = cols;
	if (off)
		*off = t->off;
	m->n_params += rows * cols;
}

static int alloc_params(ctl_lstm *m, apnas_rng *rng, apnas_error *err)
{
	size_t H = (size_t)m->cfg.hidden;
	m->tensors = calloc(5 + 2 * (size_t)m->n_heads + m->n_blocks,
	                    sizeof *m->tensors);
	m->off_soft = calloc((size_t)m->n_heads + 1, sizeof *m->off_soft);
	m->off_emb = calloc((size_t)m->n_heads + 1, sizeof *m->off_emb);
	if (!m->tensors || !m->off_soft || !m->off_emb)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	add_tensor(m, "w_lstm", 2 * H, 4 * H, &m->off_lstm);
	add_tensor(m, "g_emb", 1, H, &m->off_gemb);
	for (int k = 0; k < m->n_op_heads; k++) {
		char name[32];
		size_t n = (size_t)m->head_size[k];
		/* per decision: named for the head's index, since sizes
		 * repeat */
		int tag = m->cfg.head_per_decision ? k : (int)n;
		snprintf(name, sizeof name, "w_soft_%s%d",
		         m->cfg.head_per_decision ? "d" : "", tag);
		add_tensor(m, name, H, n, &m->off_soft[k]);
		snprintf(name, sizeof name, "w_emb_%s%d",
		         m->cfg.head_per_decision ? "d" : "", tag);
		add_tensor(m, name, n, H, &m->off_emb[k]);
	}
	if (m->use_anchors && m->cfg.skip_linear) {
		m->off_skip = calloc(m->n_blocks, sizeof *m->off_skip);
		if (!m->off_skip)
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "out of memory");
		for (size_t b = 0; b < m->n_blocks; b++) {
			const ctl_block *bl = &m->blocks[b];
			if (!bl->n_skip)
				continue;
			char name[32];
			snprintf(name, sizeof name, "w_skip_%d",
			         (int)m->dec[bl->first].layer);
			add_tensor(m, name, H, bl->n_skip, &m->off_skip[b]);
		}
	} else if (m->use_anchors) {
		add_tensor(m, "w_attn1", H, H, &m->off_w1);
		add_tensor(m, "w_attn2", H, H, &m->off_w2);
		add_tensor(m, "v_attn", 1, H, &m->off_v);
	}
	/* last, so that the network's tensors keep their offsets and
	 * initial values when a co-search appends choices */
	for (int k = m->n_op_heads; k < m->n_heads; k++) {
		char name[32];
		size_t n = (size_t)m->head_size[k];
		snprintf(name, sizeof name, "w_soft_c%d", k - m->n_op_heads);
		add_tensor(m, name, H, n, &m->off_soft[k]);
		snprintf(name, sizeof name, "w_emb_c%d", k - m->n_op_heads);
		add_tensor(m, name, n, H, &m->off_emb[k]);
	}
	m->p = malloc(m->n_params * sizeof *m->p);
	m->g = calloc(m->n_params, sizeof *m->g);
	m->pt = malloc(m->n_params * sizeof *m->pt);
	if (!m->p || !m->g || !m->pt)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	double r = m->cfg.init_range;
	for (size_t i = 0; i < m->n_params; i++)
		m->p[i] = (2.0 * apnas_rng_uniform(rng) - 1.0) * r;
	return 0;
}

static int alloc_trace(ctl_lstm *m, apnas_error *err)
{
	size_t H = (size_t)m->cfg.hidden, T = m->n_steps, nb = m->n_blocks;
	size_t nprob = 0, maxn = 2;
	for (size_t i = 0; i < m->n_dec; i++)
		if (m->dec[i].kind != APNAS_DECISION_SKIP) {
			nprob += (size_t)m->dec[i].n_choices;
			if ((size_t)m->dec[i].n_choices > maxn)
				maxn = (size_t)m->dec[i].n_choices;
		}
	m->tok = calloc(m->n_dec, sizeof *m->tok);
	m->xin = calloc(T * 2 * H, sizeof(double));
	m->gates = calloc(T * 4 * H, sizeof(double));
	m->c = calloc(T * H, sizeof(double));
	m->tc = calloc(T * H, sizeof(double));
	m->h = calloc(T * H, sizeof(double));
	m->lraw = calloc(nprob + 1, sizeof(double));
	m->lfin = calloc(nprob + 1, sizeof(double));
	m->prob = calloc(nprob + 1, sizeof(double));
	m->att_t = calloc(m->n_dec * H, sizeof(double));
	m->att_q = calloc(m->n_dec, sizeof(double));
	/* nb + 1: a list of choices alone has no block, and calloc(0) may
	 * return NULL */
	m->a1 = calloc((nb + 1) * H, sizeof(double));
	m->hw2 = calloc(H, sizeof(double));
	m->xnext = calloc(H, sizeof(double));
	m->d_a1 = calloc((nb + 1) * H, sizeof(double));
	m->d_anc = calloc((nb + 1) * H, sizeof(double));
	m->dh = calloc(H, sizeof(double));
	m->dc = calloc(H, sizeof(double));
	m->dz = calloc(4 * H, sizeof(double));
	m->dxin = calloc(2 * H, sizeof(double));
	m->dusum = calloc(H, sizeof(double));
	m->dlog = calloc(maxn, sizeof(double));
	m->zero = calloc(2 * H, sizeof(double));
	size_t maxskip = 1;
	for (size_t b = 0; b < nb; b++)
		if (m->blocks[b].n_skip > maxskip)
			maxskip = m->blocks[b].n_skip;
	m->qbuf = calloc(maxskip, sizeof(double));
	if (!m->qbuf)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	if (!m->tok || !m->xin || !m->gates || !m->c || !m->tc || !m->h ||
	    !m->lraw || !m->lfin || !m->prob || !m->att_t || !m->att_q ||
	    !m->a1 || !m->hw2 || !m->xnext || !m->d_a1 || !m->d_anc ||
	    !m->dh || !m->dc || !m->dz || !m->dxin || !m->dusum || !m->dlog ||
	    !m->zero)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	return 0;
}

int ctl_lstm_create(ctl_lstm **out, const ctl_lstm_cfg *cfg,
                    const apnas_decision *d, size_t n, apnas_rng *rng,
                    apnas_error *err)
{
	*out = NULL;
	if (cfg->hidden < 1)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "hidden must be >= 1, got %d",
		                       cfg->hidden);
	ctl_lstm *m = calloc(1, sizeof *m);
	if (!m)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	m->cfg = *cfg;
	m->n_dec = n;
	m->dec = malloc(n * sizeof *m->dec);
	int rc = m->dec ? 0 : apnas_error_set(err, APNAS_ENOMEM,
	                                      "out of memory");
	if (!rc) {
		memcpy(m->dec, d, n * sizeof *d);
		rc = plan_blocks(m, err);
	}
	if (!rc)
		rc = plan_heads(m, err);
	if (!rc) {
		size_t nsteps = n + m->n_blocks;
		m->steps = calloc(nsteps, sizeof *m->steps);
		m->anchor_step = calloc(m->n_blocks + 1,
		                        sizeof *m->anchor_step);
		if (!m->steps || !m->anchor_step)
			rc = apnas_error_set(err, APNAS_ENOMEM,
			                     "out of memory");
		else
			plan_steps(m);
	}
	if (!rc)
		rc = alloc_params(m, rng, err);
	if (!rc)
		rc = alloc_trace(m, err);
	if (rc) {
		ctl_lstm_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

/* out[0..cols) = x[0..rows) W, W row-major rows x cols.  Row by row so
 * the inner loop is an axpy over contiguous memory, which the compiler
 * vectorizes without reordering any sum. */
static void vecmat(const double *restrict x, const double *restrict W,
                   size_t rows, size_t cols, double *restrict out)
{
	memset(out, 0, cols * sizeof *out);
	for (size_t i = 0; i < rows; i++) {
		double xi = x[i];
		const double *restrict row = W + i * cols;
		for (size_t j = 0; j < cols; j++)
			out[j] += xi * row[j];
	}
}

/* For out = x W: gW += x^T dout and, if dx, dx = W dout, read from WT
 * (W transposed, cols x rows) so that it too is a chain of axpys instead
 * of dot products. */
static void vecmat_back(const double *restrict x, const double *restrict WT,
                        size_t rows, size_t cols,
                        const double *restrict dout, double *restrict gW,
                        double *restrict dx)
{
	for (size_t i = 0; i < rows; i++) {
		double xi = x[i];
		double *restrict grow = gW + i * cols;
		for (size_t j = 0; j < cols; j++)
			grow[j] += xi * dout[j];
	}
	if (!dx)
		return;
	memset(dx, 0, rows * sizeof *dx);
	for (size_t j = 0; j < cols; j++) {
		double dj = dout[j];
		const double *restrict col = WT + j * rows;
		for (size_t i = 0; i < rows; i++)
			dx[i] += dj * col[i];
	}
}

static void transpose(const double *restrict W, size_t rows, size_t cols,
                      double *restrict WT)
{
	for (size_t i = 0; i < rows; i++)
		for (size_t j = 0; j < cols; j++)
			WT[j * rows + i] = W[i * cols + j];
}

static void lstm_cell(ctl_lstm *m, size_t s)
{
	size_t H = (size_t)m->cfg.hidden;
	double *xs = m->xin + s * 2 * H;
	double *gs = m->gates + s * 4 * H;
	const double *cprev = s ? m->c + (s - 1) * H : m->zero;
	memcpy(xs, m->xnext, H * sizeof *xs);
	memcpy(xs + H, s ? m->h + (s - 1) * H : m->zero, H * sizeof *xs);
	vecmat(xs, m->p + m->off_lstm, 2 * H, 4 * H, gs);
	double *c = m->c + s * H, *tc = m->tc + s * H, *h = m->h + s * H;
	for (size_t j = 0; j < H; j++) {
		double i = sigm(gs[j]);
		double f = sigm(gs[H + j]);
		double o = sigm(gs[2 * H + j]);
		double g = tanh(gs[3 * H + j]);
		gs[j] = i;
		gs[H + j] = f;
		gs[2 * H + j] = o;
		gs[3 * H + j] = g;
		c[j] = i * g + f * cprev[j];
		tc[j] = tanh(c[j]);
		h[j] = o * tc[j];
	}
}

static int32_t draw(apnas_rng *rng, const double *p, size_t n)
{
	double u = apnas_rng_uniform(rng), cum = 0;
	for (size_t k = 0; k + 1 < n; k++) {
		cum += p[k];
		if (u < cum)
			return (int32_t)k;
	}
	return (int32_t)(n - 1);
}

static void op_step(ctl_lstm *m, size_t s, size_t t, apnas_rng *rng,
                    int32_t *tok, ctl_lstm_out *out)
{
	size_t H = (size_t)m->cfg.hidden;
	int k = m->tok_head[t];
	size_t n = (size_t)m->head_size[k];
	double *lraw = m->lraw + m->tok_poff[t];
	double *lfin = m->lfin + m->tok_poff[t];
	double *p = m->prob + m->tok_poff[t];
	vecmat(m->h + s * H, m->p + m->off_soft[k], H, n, lraw);
	double mx = -INFINITY, sum = 0, d;
	for (size_t j = 0; j < n; j++) {
		lfin[j] = xform(&m->cfg, lraw[j], &d);
		if (lfin[j] > mx)
			mx = lfin[j];
	}
	for (size_t j = 0; j < n; j++) {
		p[j] = exp(lfin[j] - mx);
		sum += p[j];
	}
	double lse = mx + log(sum);
	for (size_t j = 0; j < n; j++) {
		p[j] /= sum;
		out->entropy -= p[j] * (lfin[j] - lse);
	}
	int32_t a = rng ? draw(rng, p, n) : tok[t];
	if (rng)
		tok[t] = a;
	m->tok[t] = a;
	double lp = lfin[a] - lse;
	out->log_prob += lp;
	out->entropy_sampled -= exp(lp) * lp;
	memcpy(m->xnext, m->p + m->off_emb[k] + (size_t)a * H,
	       H * sizeof *m->xnext);
}

static void anchor_step(ctl_lstm *m, size_t s, size_t b, apnas_rng *rng,
                        int32_t *tok, ctl_lstm_out *out)
{
	size_t H = (size_t)m->cfg.hidden;
	const double *h = m->h + s * H;
	const ctl_block *bl = &m->blocks[b];
	int lin = m->cfg.skip_linear;
	if (!lin)
		vecmat(h, m->p + m->off_w1, H, H, m->a1 + b * H);
	if (!bl->n_skip) {
		memcpy(m->xnext, m->p + m->off_gemb, H * sizeof *m->xnext);
		return;
	}
	if (lin)
		vecmat(h, m->p + m->off_skip[b], H, bl->n_skip, m->qbuf);
	else
		vecmat(h, m->p + m->off_w2, H, H, m->hw2);
	const double *v = m->p + m->off_v;
	double st = m->cfg.skip_target, kl = 0;
	int on = 0;
	memset(m->xnext, 0, H * sizeof *m->xnext);
	for (size_t t = bl->first + bl->n_op; t < bl->first + bl->n_op + bl->n_skip;
	     t++) {
		size_t a = (size_t)m->tok_anchor[t];
		double *tt = m->att_t + t * H, q = 0, d;
		if (lin) {
			q = m->qbuf[t - bl->first - bl->n_op];
		} else {
			for (size_t j = 0; j < H; j++) {
				tt[j] = tanh(m->a1[a * H + j] + m->hw2[j]);
				q += tt[j] * v[j];
			}
		}
		m->att_q[t] = q;
		double r = xform(&m->cfg, q, &d);
		/* logits [-r, r]: P(on) = sigmoid(2r) */
		double lp1 = log_sigm(2 * r), lp0 = log_sigm(-2 * r);
		double p1 = exp(lp1), p0 = exp(lp0);
		out->entropy -= p1 * lp1 + p0 * lp0;
		int32_t bit = rng ? (apnas_rng_uniform(rng) < p1) : tok[t];
		if (rng)
			tok[t] = bit;
		m->tok[t] = bit;
		double lp = bit ? lp1 : lp0;
		out->log_prob += lp;
		out->entropy_sampled -= exp(lp) * lp;
		/* ENAS applies sigmoid to both logits for the penalty */
		kl += sigm(r) * (log_sigm(r) - log(st)) +
		      sigm(-r) * (log_sigm(-r) - log(1 - st));
		if (bit) {
			const double *ha = m->h + m->anchor_step[a] * H;
			for (size_t j = 0; j < H; j++)
				m->xnext[j] += ha[j];
			on++;
		}
	}
	for (size_t j = 0; j < H; j++)
		m->xnext[j] /= 1.0 + on;
	out->kl += kl / (double)m->n_skip_blocks;
}

void ctl_lstm_forward(ctl_lstm *m, apnas_rng *rng, int32_t *tok,
                      ctl_lstm_out *out)
{
	size_t H = (size_t)m->cfg.hidden;
	memset(out, 0, sizeof *out);
	memcpy(m->xnext, m->p + m->off_gemb, H * sizeof *m->xnext);
	for (size_t s = 0; s < m->n_steps; s++) {
		lstm_cell(m, s);
		if (m->steps[s].anchor)
			anchor_step(m, s, m->steps[s].index, rng, tok, out);
		else
			op_step(m, s, m->steps[s].index, rng, tok, out);
	}
}

/* dh += gradient of the op head of token t at step s. */
static void op_back(ctl_lstm *m, size_t s, size_t t, double c_logp)
{
	size_t H = (size_t)m->cfg.hidden;
	int k = m->tok_head[t];
	size_t n = (size_t)m->head_size[k];
	const double *lraw = m->lraw + m->tok_poff[t];
	const double *p = m->prob + m->tok_poff[t];
	int32_t a = m->tok[t];
	double d;
	for (size_t j = 0; j < n; j++) {
		xform(&m->cfg, lraw[j], &d);
		m->dlog[j] = c_logp * ((int32_t)j == a ? 1.0 - p[j] : -p[j]) * d;
	}
	double *dtmp = m->dxin; /* free until the cell's backward */
	vecmat_back(m->h + s * H, m->pt + m->off_soft[k], H, n, m->dlog,
	            m->g + m->off_soft[k], dtmp);
	for (size_t i = 0; i < H; i++)
		m->dh[i] += dtmp[i];
}

/* dh += gradient of block b's skip bits (through W2) and of every later
 * use of this anchor (through W1 and the skip means). */
static void anchor_back(ctl_lstm *m, size_t s, size_t b, double c_logp,
                        double c_kl)
{
	size_t H = (size_t)m->cfg.hidden;
	const double *h = m->h + s * H;
	const ctl_block *bl = &m->blocks[b];
	double *dtmp = m->dxin; /* free until the cell's backward */
	if (bl->n_skip && m->cfg.skip_linear) {
		double st = m->cfg.skip_target;
		double ckl = c_kl / (double)m->n_skip_blocks;
		double lt = log(st / (1 - st));
		size_t t0 = bl->first + bl->n_op;
		for (size_t t = t0; t < t0 + bl->n_skip; t++) {
			double d, r = xform(&m->cfg, m->att_q[t], &d);
			double dlp = 2.0 * ((double)m->tok[t] - sigm(2 * r));
			double dkl = sigm(r) * sigm(-r) * (r - lt);
			m->qbuf[t - t0] = (c_logp * dlp + ckl * dkl) * d;
		}
		vecmat_back(h, m->pt + m->off_skip[b], H, bl->n_skip, m->qbuf,
		            m->g + m->off_skip[b], dtmp);
		for (size_t j = 0; j < H; j++)
			m->dh[j] += dtmp[j] + m->d_anc[b * H + j];
		return;
	}
	if (m->cfg.skip_linear) {
		for (size_t j = 0; j < H; j++)
			m->dh[j] += m->d_anc[b * H + j];
		return;
	}
	if (bl->n_skip) {
		const double *v = m->p + m->off_v;
		double *gv = m->g + m->off_v;
		double st = m->cfg.skip_target;
		double ckl = c_kl / (double)m->n_skip_blocks;
		double lt = log(st / (1 - st));
		memset(m->dusum, 0, H * sizeof *m->dusum);
		for (size_t t = bl->first + bl->n_op;
		     t < bl->first + bl->n_op + bl->n_skip; t++) {
			size_t a = (size_t)m->tok_anchor[t];
			double d, r = xform(&m->cfg, m->att_q[t], &d);
			double p1 = sigm(2 * r);
			double dlp = 2.0 * ((double)m->tok[t] - p1);
			double dkl = sigm(r) * sigm(-r) * (r - lt);
			double dq = (c_logp * dlp + ckl * dkl) * d;
			const double *tt = m->att_t + t * H;
			double *da = m->d_a1 + a * H;
			for (size_t j = 0; j < H; j++) {
				gv[j] += dq * tt[j];
				double du = dq * v[j] * (1.0 - tt[j] * tt[j]);
				da[j] += du;
				m->dusum[j] += du;
			}
		}
		vecmat_back(h, m->pt + m->off_w2, H, H, m->dusum,
		            m->g + m->off_w2, dtmp);
		for (size_t j = 0; j < H; j++)
			m->dh[j] += dtmp[j];
	}
	vecmat_back(h, m->pt + m->off_w1, H, H, m->d_a1 + b * H,
	            m->g + m->off_w1, dtmp);
	for (size_t j = 0; j < H; j++)
		m->dh[j] += dtmp[j] + m->d_anc[b * H + j];
}

/* Backward through step s's cell; leaves dh/dc for step s - 1 and routes
 * the input gradient to its source. */
static void cell_back(ctl_lstm *m, size_t s)
{
	size_t H = (size_t)m->cfg.hidden;
	const double *gs = m->gates + s * 4 * H;
	const double *tc = m->tc + s * H;
	const double *cprev = s ? m->c + (s - 1) * H : m->zero;
	for (size_t j = 0; j < H; j++) {
		double i = gs[j], f = gs[H + j], o = gs[2 * H + j],
		       g = gs[3 * H + j];
		double dob = m->dh[j] * tc[j];
		double dcj = m->dc[j] + m->dh[j] * o * (1.0 - tc[j] * tc[j]);
		m->dz[j] = dcj * g * i * (1.0 - i);
		m->dz[H + j] = dcj * cprev[j] * f * (1.0 - f);
		m->dz[2 * H + j] = dob * o * (1.0 - o);
		m->dz[3 * H + j] = dcj * i * (1.0 - g * g);
		m->dc[j] = dcj * f;
	}
	vecmat_back(m->xin + s * 2 * H, m->pt + m->off_lstm, 2 * H, 4 * H,
	            m->dz, m->g + m->off_lstm, m->dxin);
	memcpy(m->dh, m->dxin + H, H * sizeof *m->dh);
	const double *dx = m->dxin;
	long src = m->steps[s].src;
	if (src == -1) {
		double *gg = m->g + m->off_gemb;
		for (size_t j = 0; j < H; j++)
			gg[j] += dx[j];
	} else if (src >= 0) {
		size_t t = (size_t)src;
		double *ge = m->g + m->off_emb[m->tok_head[t]] +
		             (size_t)m->tok[t] * H;
		for (size_t j = 0; j < H; j++)
			ge[j] += dx[j];
	} else {
		const ctl_block *bl = &m->blocks[(size_t)(-2 - src)];
		size_t t0 = bl->first + bl->n_op, t1 = t0 + bl->n_skip;
		int on = 0;
		for (size_t t = t0; t < t1; t++)
			on += m->tok[t];
		for (size_t t = t0; t < t1; t++) {
			if (!m->tok[t])
				continue;
			double *da = m->d_anc + (size_t)m->tok_anchor[t] * H;
			for (size_t j = 0; j < H; j++)
				da[j] += dx[j] / (1.0 + on);
		}
	}
}

void ctl_lstm_backward(ctl_lstm *m, double c_logp, double c_kl)
{
	size_t H = (size_t)m->cfg.hidden;
	/* p may have changed since the last pass (an optimizer step, a load,
	 * a finite-difference probe): transposing it costs a small fraction
	 * of one pass. */
	for (size_t t = 0; t < m->n_tensors; t++) {
		const ctl_tensor *ts = &m->tensors[t];
		transpose(m->p + ts->off, ts->rows, ts->cols, m->pt + ts->off);
	}
	memset(m->dh, 0, H * sizeof *m->dh);
	memset(m->dc, 0, H * sizeof *m->dc);
	memset(m->d_a1, 0, m->n_blocks * H * sizeof *m->d_a1);
	memset(m->d_anc, 0, m->n_blocks * H * sizeof *m->d_anc);
	for (size_t s = m->n_steps; s-- > 0;) {
		if (m->steps[s].anchor)
			anchor_back(m, s, m->steps[s].index, c_logp, c_kl);
		else
			op_back(m, s, m->steps[s].index, c_logp);
		cell_back(m, s);
	}
}
