/* enas_macro's supernet: the shared weights (one set per (layer, op), per
 * (reduction, source layer), plus the stem and the classifier), one SGD
 * step per minibatch on what an architecture uses, evaluation that
 * changes nothing, and checkpoints.  Under MPI each step is this rank's
 * share of the batch (ctx->coll): the graph is sharded and the gradients
 * summed over the ranks before the update.  The engine marks the parameters a
 * backward pass touched and apnas_sgd_step updates only those, so weights
 * and momentum of unused ops stay exactly as they were. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apnas/codec.h>

#include "enas_macro.h"

#define EM_SAVE_MAGIC "APNASEM1"

static int add_bn(em_space *s, const char *name, apnas_bn *bn,
                  apnas_error *err)
{
	return apnas_bn_add(s->ps, name, s->F, 1, bn, err);
}

static int build_branch(em_space *s, int32_t l, int32_t op, apnas_error *err)
{
	em_branch *b = &s->br[l * s->n_ops + op];
	em_op_kind kind = s->ops[op];
	const char *kn = em_kind_names[kind];
	char name[64];
	int rc;
	snprintf(name, sizeof name, "l%d.%s.in.w", l, kn);
	if ((rc = apnas_param_conv(s->ps, name, s->F, s->F, 1, &b->in_w, err)))
		return rc;
	snprintf(name, sizeof name, "l%d.%s.in.bn", l, kn);
	if ((rc = add_bn(s, name, &b->in_bn, err)))
		return rc;
	if (em_kind_is_pool(kind))
		return 0;
	int k = em_kind_ksize(kind);
	if (em_kind_is_sep(kind)) {
		snprintf(name, sizeof name, "l%d.%s.dw.w", l, kn);
		if ((rc = apnas_param_dwconv(s->ps, name, s->F, k, &b->w, err)))
			return rc;
		snprintf(name, sizeof name, "l%d.%s.pw.w", l, kn);
		if ((rc = apnas_param_conv(s->ps, name, s->F, s->F, 1, &b->pw,
		                           err)))
			return rc;
	} else {
		snprintf(name, sizeof name, "l%d.%s.w", l, kn);
		if ((rc = apnas_param_conv(s->ps, name, s->F, s->F, k, &b->w,
		                           err)))
			return rc;
	}
	snprintf(name, sizeof name, "l%d.%s.bn", l, kn);
	return add_bn(s, name, &b->bn, err);
}

/* Creation order fixes the initial values (the engine draws them in
 * order from the set's seed), so it never depends on anything but the
 * options. */
int em_params_build(em_space *s, apnas_error *err)
{
	apnas_rng r;
	apnas_rng_derive(&r, s->seed, "space.init");
	int rc = apnas_params_create(apnas_rng_u64(&r), &s->ps, err);
	if (rc)
		return rc;
	apnas_rng_derive(&s->drop_rng, s->seed, "space.dropout");
	s->br = calloc((size_t)s->L * (size_t)s->n_ops, sizeof *s->br);
	s->out_bn = calloc((size_t)s->L, sizeof *s->out_bn);
	s->red = calloc((size_t)(s->n_red ? s->n_red : 1) * (size_t)s->L,
	                sizeof *s->red);
	if (!s->br || !s->out_bn || !s->red)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	if ((rc = apnas_param_conv(s->ps, "stem.w", s->F, s->input.c, 3,
	                           &s->stem_w, err)) ||
	    (rc = add_bn(s, "stem.bn", &s->stem_bn, err)))
		return rc;
	char name[64];
	for (int32_t l = 0; l < s->L; l++) {
		for (int32_t op = 0; op < s->n_ops; op++)
			if ((rc = build_branch(s, l, op, err)))
				return rc;
		if (l > 0) {
			snprintf(name, sizeof name, "l%d.out.bn", l);
			if ((rc = add_bn(s, name, &s->out_bn[l], err)))
				return rc;
		}
	}
	for (int32_t r = 0; r < s->n_red; r++)
		for (int32_t j = 0; j <= s->red_pos[r]; j++) {
			em_reduce *x = &s->red[r * s->L + j];
			snprintf(name, sizeof name, "red%d.l%d.path1.w", r, j);
			if ((rc = apnas_param_conv(s->ps, name, s->F / 2, s->F, 1,
			                           &x->w1, err)))
				return rc;
			snprintf(name, sizeof name, "red%d.l%d.path2.w", r, j);
			if ((rc = apnas_param_conv(s->ps, name, s->F / 2, s->F, 1,
			                           &x->w2, err)))
				return rc;
			snprintf(name, sizeof name, "red%d.l%d.bn", r, j);
			if ((rc = add_bn(s, name, &x->bn, err)))
				return rc;
		}
	return apnas_param_fc(s->ps, "fc", s->classes, s->F, &s->fc_w, NULL,
	                      err);
}

static int check_batch(em_space *s, const apnas_batch *b, apnas_error *err)
{
	if (!s->ps)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "this instance was created without data: "
		                       "it can describe networks but not train "
		                       "or evaluate them");
	if (!b || !b->x || !b->y || b->n < 1)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "empty or incomplete batch");
	if (!s->g) {
		int rc = apnas_graph_create(s->threads, &s->g, err);
		if (rc)
			return rc;
		apnas_graph_set_collective(s->g, s->coll);
	}
	return 0;
}

/* Builds tok's graph for batch b, ending in the loss. */
static int build(em_space *s, const int32_t *tok, const apnas_batch *b,
                 apnas_error *err)
{
	apnas_graph_reset(s->g);
	apnas_tensor *logits = NULL;
	int rc = em_walk(s, tok, s->g, b->x, b->n, NULL, &logits, err);
	if (rc)
		return rc;
	apnas_op_xent(s->g, logits, b->y);
	return apnas_graph_status(s->g, err);
}

int em_train_step(void *self, const int32_t *tok, const apnas_batch *b,
                  const apnas_step_ctx *sc, apnas_train_stats *st,
                  apnas_error *err)
{
	em_space *s = self;
	int rc = check_batch(s, b, err);
	if (!rc)
		rc = build(s, tok, b, err);
	if (!rc)
		rc = apnas_graph_forward(s->g, APNAS_MODE_TRAIN, err);
	double loss = 0;
	int64_t correct = 0;
	if (!rc)
		rc = apnas_graph_loss(s->g, &loss, &correct, err);
	if (!rc && !isfinite(loss))
		rc = apnas_error_set(err, APNAS_ENUM, "loss is %g", loss);
	if (!rc)
		rc = apnas_graph_backward(s->g, err);
	/* Data parallel: the global batch's gradient on every rank (the
	 * graph's loss is the global mean already). */
	if (!rc)
		rc = apnas_params_sum_grads(s->ps, s->coll, err);
	if (!rc) {
		double lr = apnas_cosine_lr(&s->lr, sc ? sc->epoch_pos : 0);
		rc = apnas_sgd_step(s->ps, &s->sgd, lr, err);
	}
	if (rc) {
		apnas_params_clear_used(s->ps);
		return rc;
	}
	if (s->trained_state == 0) {
		memcpy(s->trained_tok, tok, s->n_dec * sizeof *tok);
		s->trained_state = 1;
	} else if (s->trained_state == 1 &&
	           memcmp(s->trained_tok, tok, s->n_dec * sizeof *tok)) {
		s->trained_state = 2;
	}
	if (st) {
		st->loss = loss;
		st->correct = correct;
	}
	return 0;
}

/* Running statistics describe an architecture only if it alone trained
 * them; shared BNs that saw many architectures are scored on the batch's
 * own statistics, as ENAS does. */
static apnas_mode eval_mode(const em_space *s, const int32_t *tok)
{
	switch (s->eval_bn) {
	case EM_EVAL_BATCH:
		return APNAS_MODE_BATCHSTAT;
	case EM_EVAL_RUNNING:
		return APNAS_MODE_INFER;
	case EM_EVAL_AUTO:
		break;
	}
	if (s->trained_state == 1 &&
	    !memcmp(s->trained_tok, tok, s->n_dec * sizeof *tok))
		return APNAS_MODE_INFER;
	return APNAS_MODE_BATCHSTAT;
}

int em_evaluate(void *self, const int32_t *tok, const apnas_batch *b,
                int64_t *correct, apnas_error *err)
{
	em_space *s = self;
	int rc = check_batch(s, b, err);
	if (!rc)
		rc = build(s, tok, b, err);
	if (!rc)
		rc = apnas_graph_forward(s->g, eval_mode(s, tok), err);
	if (!rc)
		rc = apnas_graph_loss(s->g, NULL, correct, err);
	return rc;
}

/* ---- checkpoints ------------------------------------------------------ */

/* The SDK codec's byte order. */
static void put_u64(unsigned char *p, uint64_t v)
{
	apnas_le_store(p, v, 8);
}

static uint64_t get_u64(const unsigned char *p)
{
	return apnas_le_load(p, 8);
}

/* Header: magic, decision count, trained_state, the dropout stream, then
 * trained_tok; then the engine's parameter file. */
int em_save(void *self, FILE *f, apnas_error *err)
{
	em_space *s = self;
	if (!s->ps)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nothing to save: created without data");
	unsigned char h[8 + 8 + 8 + 32];
	memcpy(h, EM_SAVE_MAGIC, 8);
	put_u64(h + 8, s->n_dec);
	put_u64(h + 16, (uint64_t)s->trained_state);
	for (int i = 0; i < 4; i++)
		put_u64(h + 24 + 8 * i, s->drop_rng.s[i]);
	if (fwrite(h, 1, sizeof h, f) != sizeof h)
		return apnas_error_set(err, APNAS_EIO, "write error");
	for (size_t k = 0; k < s->n_dec; k++) {
		unsigned char t[8];
		put_u64(t, (uint64_t)(uint32_t)s->trained_tok[k]);
		if (fwrite(t, 1, 8, f) != 8)
			return apnas_error_set(err, APNAS_EIO, "write error");
	}
	return apnas_params_save(s->ps, f, err);
}

int em_load(void *self, FILE *f, apnas_error *err)
{
	em_space *s = self;
	if (!s->ps)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "cannot load weights: created without "
		                       "data");
	unsigned char h[8 + 8 + 8 + 32];
	if (fread(h, 1, sizeof h, f) != sizeof h)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "enas_macro state: truncated header");
	if (memcmp(h, EM_SAVE_MAGIC, 8))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "not an enas_macro state (bad magic)");
	uint64_t nd = get_u64(h + 8), ts = get_u64(h + 16);
	if (nd != s->n_dec)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "enas_macro state has %llu decisions, "
		                       "this space %zu: other options",
		                       (unsigned long long)nd, s->n_dec);
	if (ts > 2)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "enas_macro state: corrupt header");
	apnas_rng rng;
	for (int i = 0; i < 4; i++)
		rng.s[i] = get_u64(h + 24 + 8 * i);
	if (!(rng.s[0] | rng.s[1] | rng.s[2] | rng.s[3]))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "enas_macro state: all-zero dropout "
		                       "stream");
	int32_t *tt = malloc(s->n_dec * sizeof *tt);
	if (!tt)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	for (size_t k = 0; k < s->n_dec; k++) {
		unsigned char t[8];
		if (fread(t, 1, 8, f) != 8) {
			free(tt);
			return apnas_error_set(err, APNAS_EINVAL,
			                       "enas_macro state: truncated");
		}
		tt[k] = (int32_t)(uint32_t)get_u64(t);
	}
	if (ts == 1 && em_check_tok(s, tt, err)) {
		free(tt);
		return apnas_error_prefix(err, "enas_macro state");
	}
	int rc = apnas_params_load(s->ps, f, err);
	if (rc) {
		free(tt);
		return rc;
	}
	memcpy(s->trained_tok, tt, s->n_dec * sizeof *tt);
	free(tt);
	s->trained_state = (int)ts;
	s->drop_rng = rng;
	return 0;
}
