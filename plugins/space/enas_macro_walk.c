/* enas_macro's network, written once: the walk below builds an
 * architecture's graph on the engine (train_step, evaluate) and lists its
 * accelerator layers for cost models (child_net) in the same pass, so the
 * costed network cannot drift from the trained one.  Batch norm, ReLU,
 * the one-pixel shift and dropout are in the graph only: they are not
 * array work (BN folds into the conv before it at inference).
 *
 * Order, per method.md section 3: stem conv3x3 + BN; per layer l the
 * chosen branch (1x1 conv + BN + ReLU, then conv kxk + BN + ReLU, or
 * depthwise kxk + pointwise 1x1 + BN + ReLU, or a 3x3 stride-1 pool), for
 * l > 0 the sum of the chosen skip sources and the branch, then BN (as the
 * ENAS supernet; not the concat + 1x1 of ENAS's fixed-arc code); after a
 * reduction layer, a factorized reduction of every output still needed
 * (the next layer's input and the sources of later skips); head: global
 * average pool, dropout, FC. */
#include <stdio.h>
#include <string.h>

#include "enas_macro.h"

typedef struct em_val {
	apnas_tensor *t; /* NULL when only describing */
	apnas_shape s;   /* per image */
	int32_t at;      /* the net's layer that produced it, or
	                    APNAS_NET_INPUT */
} em_val;

typedef struct walk {
	em_space *s;
	apnas_graph *g;   /* may be NULL */
	apnas_net *net;   /* may be NULL */
	apnas_error *err;
	int rc;
} walk;

/* The data flow of the layer just added: its sources (net.h). */
static void w_wire(walk *W, const em_val *xs, int n)
{
	if (W->rc || !W->net)
		return;
	int32_t src[n];
	for (int i = 0; i < n; i++)
		src[i] = xs[i].at;
	W->rc = apnas_net_inputs(W->net, src, n, W->err);
}

/* A step on the output of x's layer, or on the input of the last layer
 * added; the description attaches steps to the last layer only. */
static void w_step(walk *W, const em_val *x, apnas_step st)
{
	if (W->rc || !W->net)
		return;
	if (x && x->at != (int32_t)W->net->n - 1) {
		W->rc = apnas_error_set(W->err, APNAS_EINVAL,
		                        "enas_macro: a step after layer %d is "
		                        "not after the last layer", (int)x->at);
		return;
	}
	W->rc = apnas_net_step(W->net, &st, W->err);
}

static int32_t last_layer(const walk *W)
{
	return W->net ? (int32_t)W->net->n - 1 : 0;
}

static int32_t out_dim(int32_t in, int k, int stride, int pad)
{
	return (in + 2 * pad - k) / stride + 1;
}

static em_val w_conv(walk *W, em_val x, const char *name, apnas_param *p,
                     int out_c, int k, int stride, int pad)
{
	em_val y = {NULL, {out_c, out_dim(x.s.h, k, stride, pad),
	                   out_dim(x.s.w, k, stride, pad)}, 0};
	if (W->rc)
		return y;
	if (W->net)
		W->rc = apnas_net_conv(W->net, name, x.s, out_c, k, stride, pad,
		                       W->err);
	w_wire(W, &x, 1);
	y.at = last_layer(W);
	if (W->g)
		y.t = apnas_op_conv(W->g, x.t, p, NULL, stride, pad);
	return y;
}

static em_val w_dwconv(walk *W, em_val x, const char *name, apnas_param *p,
                       int k, int pad)
{
	em_val y = {NULL, {x.s.c, out_dim(x.s.h, k, 1, pad),
	                   out_dim(x.s.w, k, 1, pad)}, 0};
	if (W->rc)
		return y;
	if (W->net)
		W->rc = apnas_net_dwconv(W->net, name, x.s, k, 1, pad, W->err);
	w_wire(W, &x, 1);
	y.at = last_layer(W);
	if (W->g)
		y.t = apnas_op_dwconv(W->g, x.t, p, 1, pad);
	return y;
}

static em_val w_pool(walk *W, em_val x, const char *name, int max)
{
	em_val y = {NULL, x.s, 0}; /* 3x3, stride 1, pad 1 */
	if (W->rc)
		return y;
	if (W->net)
		W->rc = apnas_net_pool(W->net, name,
		                       max ? APNAS_LAYER_MAXPOOL
		                           : APNAS_LAYER_AVGPOOL,
		                       x.s, 3, 1, 1, W->err);
	w_wire(W, &x, 1);
	y.at = last_layer(W);
	if (!W->rc && W->net && !max)
		W->rc = apnas_net_count_pad(W->net, 0, W->err);
	/* TF 'SAME' average pooling (ENAS) divides by the real pixels */
	if (W->g)
		y.t = max ? apnas_op_maxpool(W->g, x.t, 3, 1, 1)
		          : apnas_op_avgpool(W->g, x.t, 3, 1, 1, 0);
	return y;
}

static em_val w_bn(walk *W, em_val x, const apnas_bn *bn, const char *pname,
                   int relu)
{
	/* the engine's constructor values when there are no weights */
	apnas_step st = {APNAS_STEP_BN, 0, "", bn ? bn->eps : 1e-5f,
	                 bn ? bn->momentum : 0.1f, 0, 0, 0};
	snprintf(st.param, sizeof st.param, "%s", pname);
	w_step(W, &x, st);
	if (relu)
		w_step(W, &x, (apnas_step){.kind = APNAS_STEP_RELU});
	if (W->g && !W->rc)
		x.t = relu ? apnas_op_bn_relu(W->g, x.t, bn)
		           : apnas_op_bn(W->g, x.t, bn);
	return x;
}

static em_val w_sum(walk *W, const em_val *xs, int n, const char *name)
{
	em_val y = xs[0];
	if (n == 1 || W->rc)
		return y;
	if (W->net)
		W->rc = apnas_net_add_op(W->net, name, xs[0].s, n, W->err);
	w_wire(W, xs, n);
	y.at = last_layer(W);
	if (W->g) {
		apnas_tensor *ts[n];
		for (int i = 0; i < n; i++)
			ts[i] = xs[i].t;
		y.t = apnas_op_add(W->g, ts, n);
	}
	return y;
}

/* Two stride-2 1x1 convs to F/2 (the second on x shifted by one pixel, as
 * ENAS pads bottom-right and drops the first row and column), concat, BN. */
static em_val w_reduce(walk *W, em_val x, const em_reduce *r, int idx,
                       int src)
{
	em_space *s = W->s;
	char name[64];
	snprintf(name, sizeof name, "red%d.l%d.path1", idx, src);
	em_val a = w_conv(W, x, name, r ? r->w1 : NULL, s->F / 2, 1, 2, 0);
	em_val xs = x;
	if (W->g && !W->rc)
		xs.t = apnas_op_shift(W->g, x.t, 1, 1);
	snprintf(name, sizeof name, "red%d.l%d.path2", idx, src);
	em_val b = w_conv(W, xs, name, r ? r->w2 : NULL, s->F / 2, 1, 2, 0);
	w_step(W, NULL, (apnas_step){.kind = APNAS_STEP_SHIFT, .on_input = 1,
	                             .dy = 1, .dx = 1});
	em_val y = {NULL, {s->F, a.s.h, a.s.w}, 0};
	if (W->rc)
		return y;
	snprintf(name, sizeof name, "red%d.l%d.concat", idx, src);
	if (W->net)
		W->rc = apnas_net_concat(W->net, name, a.s, 2, s->F, W->err);
	em_val ab[2] = {a, b};
	w_wire(W, ab, 2);
	y.at = last_layer(W);
	if (W->g) {
		apnas_tensor *ts[2] = {a.t, b.t};
		y.t = apnas_op_concat(W->g, ts, 2);
	}
	snprintf(name, sizeof name, "red%d.l%d.bn", idx, src);
	return w_bn(W, y, r ? &r->bn : NULL, name, 0);
}

static em_val w_branch(walk *W, em_val x, int32_t l, int32_t op)
{
	em_space *s = W->s;
	em_op_kind kind = s->ops[op];
	const char *kn = em_kind_names[kind];
	const em_branch *b = s->br ? &s->br[l * s->n_ops + op] : NULL;
	char name[64];
	snprintf(name, sizeof name, "l%d.%s.in", l, kn);
	x = w_conv(W, x, name, b ? b->in_w : NULL, s->F, 1, 1, 0);
	snprintf(name, sizeof name, "l%d.%s.in.bn", l, kn);
	x = w_bn(W, x, b ? &b->in_bn : NULL, name, 1);
	if (em_kind_is_pool(kind)) {
		snprintf(name, sizeof name, "l%d.%s", l, kn);
		return w_pool(W, x, name, kind == EM_MAX3);
	}
	int k = em_kind_ksize(kind);
	if (em_kind_is_sep(kind)) {
		snprintf(name, sizeof name, "l%d.%s.dw", l, kn);
		x = w_dwconv(W, x, name, b ? b->w : NULL, k, k / 2);
		snprintf(name, sizeof name, "l%d.%s.pw", l, kn);
		x = w_conv(W, x, name, b ? b->pw : NULL, s->F, 1, 1, 0);
	} else {
		snprintf(name, sizeof name, "l%d.%s", l, kn);
		x = w_conv(W, x, name, b ? b->w : NULL, s->F, k, 1, k / 2);
	}
	snprintf(name, sizeof name, "l%d.%s.bn", l, kn);
	return w_bn(W, x, b ? &b->bn : NULL, name, 1);
}

int em_walk(em_space *s, const int32_t *tok, apnas_graph *g,
            const float *x, int32_t n, apnas_net *net,
            apnas_tensor **logits, apnas_error *err)
{
	int rc = em_check_tok(s, tok, err);
	if (rc)
		return rc;
	walk W = {s, g, net, err, 0};
	/* Which outputs later layers read through skips decides which a
	 * reduction must carry along. */
	for (int32_t j = 0; j < s->L; j++)
		s->last_use[j] = -1;
	for (int32_t m = 1; s->skips && m < s->L; m++)
		for (int32_t j = 0; j < m; j++)
			if (tok[s->first[m] + 1 + (size_t)j])
				s->last_use[j] = m;

	em_val outs[s->L];
	em_val cur = {NULL, s->input, APNAS_NET_INPUT};
	if (g)
		cur.t = apnas_op_input(g, x, n, s->input.c, s->input.h,
		                       s->input.w);
	cur = w_conv(&W, cur, "stem", s->stem_w, s->F, 3, 1, 1);
	cur = w_bn(&W, cur, s->ps ? &s->stem_bn : NULL, "stem.bn", 0);
	for (int32_t l = 0; l < s->L; l++) {
		em_val y = w_branch(&W, cur, l, tok[s->first[l]]);
		if (l > 0) {
			em_val terms[s->L];
			int nt = 0;
			for (int32_t j = 0; s->skips && j < l; j++)
				if (tok[s->first[l] + 1 + (size_t)j])
					terms[nt++] = outs[j];
			terms[nt++] = y;
			char name[64];
			snprintf(name, sizeof name, "l%d.add", l);
			y = w_sum(&W, terms, nt, name);
			snprintf(name, sizeof name, "l%d.out.bn", l);
			y = w_bn(&W, y, s->out_bn ? &s->out_bn[l] : NULL, name,
			         0);
		}
		outs[l] = y;
		int32_t r = s->red_at[l];
		for (int32_t j = 0; r >= 0 && j <= l; j++)
			if (j == l || s->last_use[j] > l)
				outs[j] = w_reduce(&W, outs[j],
				                   s->red ? &s->red[r * s->L + j]
				                          : NULL, r, j);
		cur = outs[l];
	}
	if (W.rc == 0 && net)
		W.rc = apnas_net_gpool(net, "gap", cur.s, err);
	w_wire(&W, &cur, 1);
	em_val pooled = {NULL, {cur.s.c, 1, 1}, last_layer(&W)};
	apnas_tensor *t = NULL;
	if (g && W.rc == 0) {
		t = apnas_op_gap(g, cur.t);
		if (s->keep_prob < 1)
			t = apnas_op_dropout(g, t, (float)(1 - s->keep_prob),
			                     &s->drop_rng);
		t = apnas_op_fc(g, t, s->fc_w, NULL);
	}
	if (W.rc == 0 && net)
		W.rc = apnas_net_fc(net, "fc", (apnas_shape){cur.s.c, 1, 1},
		                    s->classes, err);
	w_wire(&W, &pooled, 1);
	if (s->keep_prob < 1)
		w_step(&W, NULL, (apnas_step){.kind = APNAS_STEP_DROPOUT,
		                              .on_input = 1,
		                              .p = (float)(1 - s->keep_prob)});
	if (logits)
		*logits = t;
	return W.rc;
}

int em_child_net(void *self, const int32_t *tok, apnas_net *net,
                 apnas_error *err)
{
	return em_walk(self, tok, NULL, NULL, 0, net, NULL, err);
}
