/* reinforce_lstm: the ENAS / APNAS controller.  A one-layer LSTM (lstm.c)
 * samples an architecture token by token, op steps by softmax and skip
 * steps by attention over earlier layers' anchors, and learns by REINFORCE:
 * the reward gets an entropy bonus, an exponential moving average of it is
 * the baseline, the loss is -log pi(arch) (R - b) plus a KL penalty pulling
 * skip probabilities toward a target, and one TensorFlow-style Adam step
 * (adam.c) follows each update() on the gradient averaged over its
 * samples, as ENAS's num_aggregate does.  Every hyper-parameter is an
 * option defaulting to the ENAS code's value; docs/controllers.md lists
 * the paper's values beside them.  Off by default, NNI's layout (one
 * softmax per op decision, one linear skip head per layer) and advantages
 * against the update's mean reward: what long decision lists need to be
 * learned (docs/controllers.md, the 20-layer toy).  Works on any decision
 * list: a space without skip decisions gets a plain categorical sampler
 * per step, and a co-search's hardware (CHOICE decisions, ABI 2.2) one
 * head of its own per choice, stepped after the network (lstm.h). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apnas/plugin.h>
#include <apnas/rng.h>

#include "adam.h"
#include "decisions.h"
#include "lstm.h"
#include "state_io.h"

#define NAME "reinforce_lstm"
#define STATE_VERSION 1

static const apnas_option rl_options[] = {
	{"hidden", APNAS_OPT_INT, "64", 1, 1024, NULL,
	 "LSTM width (ENAS code 64, paper 100)", 0},
	{"init_range", APNAS_OPT_FLOAT, "0.1", 0, 10, NULL,
	 "parameters start uniform in [-init_range, init_range]", 0},
	{"lr", APNAS_OPT_FLOAT, "0.001", 0, 10, NULL,
	 "Adam learning rate (ENAS code 0.001, paper 0.00035)", 0},
	{"beta1", APNAS_OPT_FLOAT, "0", 0, 0.999999, NULL,
	 "Adam beta1 (ENAS 0)", 0},
	{"beta2", APNAS_OPT_FLOAT, "0.999", 0, 0.999999, NULL,
	 "Adam beta2 (ENAS 0.999)", 0},
	{"eps", APNAS_OPT_FLOAT, "0.001", 1e-12, 10, NULL,
	 "Adam epsilon, added to sqrt(v) as TensorFlow does (ENAS 1e-3)", 0},
	{"tanh_c", APNAS_OPT_FLOAT, "1.5", 0, 1000, NULL,
	 "logits become tanh_c * tanh(logits); 0: off (code 1.5, paper 2.5)", 0},
	{"temperature", APNAS_OPT_FLOAT, "0", 0, 1e6, NULL,
	 "logits are divided by it before tanh_c; 0: off (code off, "
	 "paper 5)", 0},
	{"op_heads", APNAS_OPT_STRING, "\"shared\"", 1, 0,
	 "shared|per_decision",
	 "one softmax and embedding per op size, shared across layers "
	 "(ENAS), or one per op decision (NNI)", 0},
	{"skip_heads", APNAS_OPT_STRING, "\"attention\"", 1, 0,
	 "attention|per_layer",
	 "skip logits by attention over earlier anchors (ENAS), or by one "
	 "linear head per layer (NNI)", 0},
	{"entropy_weight", APNAS_OPT_FLOAT, "0.0001", 0, 100, NULL,
	 "reward += entropy_weight * entropy of the sample (ENAS 1e-4)", 0},
	{"entropy_bonus", APNAS_OPT_STRING, "\"sampled\"", 1, 0,
	 "sampled|full",
	 "entropy in the bonus: ENAS's sum of -p log p over the sampled "
	 "tokens, or the full entropy of every step", 0},
	{"advantage", APNAS_OPT_STRING, "\"ema\"", 1, 0,
	 "ema|batch_mean|normalized",
	 "R - b against: ENAS's moving-average baseline, the mean of the "
	 "update's rewards, or that standardised by their std", 0},
	{"bl_dec", APNAS_OPT_FLOAT, "0.99", 0, 1, NULL,
	 "baseline decay: b <- b - (1 - bl_dec) (b - R) (ENAS 0.99)", 0},
	{"skip_target", APNAS_OPT_FLOAT, "0.4", 0.001, 0.999, NULL,
	 "skip probability the KL penalty pulls toward (ENAS 0.4)", 0},
	{"skip_weight", APNAS_OPT_FLOAT, "0.8", 0, 1000, NULL,
	 "weight of the skip KL penalty in the loss; 0: off (ENAS 0.8)", 0},
	{"grad_bound", APNAS_OPT_FLOAT, "0", 0, 1e9, NULL,
	 "clip the gradient's global norm to this; 0: off (ENAS: off)", 0},
	{"l2_reg", APNAS_OPT_FLOAT, "0", 0, 100, NULL,
	 "loss += l2_reg * sum of squared parameters (ENAS 0)", 0},
	{.key = NULL},
};

enum { ADV_EMA, ADV_BATCH_MEAN, ADV_NORMALIZED };

typedef struct rl_ctl {
	ctl_lstm *net;          /* owned */
	ctl_adam adam;          /* owned moments */
	apnas_rng rng;          /* owned: init, then sampling */
	uint64_t fingerprint;   /* of the decision list */
	size_t n_dec;
	int hidden;
	double entropy_weight, bl_dec, skip_weight, grad_bound, l2_reg;
	int bonus_full;         /* entropy_bonus = "full" */
	int adv_mode;           /* ADV_EMA, ADV_BATCH_MEAN, ADV_NORMALIZED */
	double baseline;
	int64_t samples, updates;
	double entropy;         /* mean full entropy of the last update's
	                           samples, or of the last sample before one */
} rl_ctl;

static void rl_destroy(void *self)
{
	rl_ctl *c = self;
	if (!c)
		return;
	ctl_lstm_free(c->net);
	ctl_adam_free(&c->adam);
	free(c);
}

static int rl_create(const apnas_plugin_ctx *ctx, void **self,
                     apnas_error *err)
{
	*self = NULL;
	int rc = ctl_decisions_check(ctx->decisions, ctx->n_decisions, err);
	if (rc)
		return rc;
	const apnas_opts *o = ctx->opts;
	rl_ctl *c = calloc(1, sizeof *c);
	if (!c)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	c->n_dec = ctx->n_decisions;
	c->fingerprint = ctl_decisions_fingerprint(ctx->decisions,
	                                           ctx->n_decisions);
	c->hidden = (int)apnas_opts_int(o, "hidden");
	c->entropy_weight = apnas_opts_float(o, "entropy_weight");
	c->bonus_full = !strcmp(apnas_opts_string(o, "entropy_bonus"),
	                        "full");
	const char *adv = apnas_opts_string(o, "advantage");
	c->adv_mode = !strcmp(adv, "batch_mean") ? ADV_BATCH_MEAN
	              : !strcmp(adv, "normalized") ? ADV_NORMALIZED : ADV_EMA;
	c->bl_dec = apnas_opts_float(o, "bl_dec");
	c->skip_weight = apnas_opts_float(o, "skip_weight");
	c->grad_bound = apnas_opts_float(o, "grad_bound");
	c->l2_reg = apnas_opts_float(o, "l2_reg");
	ctl_lstm_cfg cfg = {
		.hidden = c->hidden,
		.init_range = apnas_opts_float(o, "init_range"),
		.tanh_c = apnas_opts_float(o, "tanh_c"),
		.temperature = apnas_opts_float(o, "temperature"),
		.skip_target = apnas_opts_float(o, "skip_target"),
		.head_per_decision = !strcmp(apnas_opts_string(o, "op_heads"),
		                             "per_decision"),
		.skip_linear = !strcmp(apnas_opts_string(o, "skip_heads"),
		                       "per_layer"),
	};
	apnas_rng_derive(&c->rng, ctx->seed, "controller");
	rc = ctl_lstm_create(&c->net, &cfg, ctx->decisions, ctx->n_decisions,
	                     &c->rng, err);
	if (!rc && ctl_adam_init(&c->adam, c->net->n_params,
	                         apnas_opts_float(o, "lr"),
	                         apnas_opts_float(o, "beta1"),
	                         apnas_opts_float(o, "beta2"),
	                         apnas_opts_float(o, "eps")))
		rc = apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	if (rc) {
		rl_destroy(c);
		return rc;
	}
	*self = c;
	return 0;
}

static int rl_sample(void *self, apnas_sample_purpose purpose, int32_t *tok,
                     apnas_sample_info *info, apnas_error *err)
{
	(void)purpose; /* every purpose samples the policy */
	(void)err;
	rl_ctl *c = self;
	ctl_lstm_out out;
	ctl_lstm_forward(c->net, &c->rng, tok, &out);
	c->samples++;
	if (!c->updates)
		c->entropy = out.entropy;
	if (info) {
		info->log_prob = out.log_prob;
		info->entropy = out.entropy;
	}
	return 0;
}

/* The batch advantage modes need every sample's R before the first
 * backward pass: R_i (with the entropy bonus, which takes a scoring pass
 * only when the bonus is on), their mean, and the factor the advantages
 * are multiplied by (1, or 1 / std for "normalized").  R_i - mean is
 * (n - 1) / n times R_i minus the mean of the OTHER samples, an unbiased
 * (leave-one-out) baseline, so the policy gradient stays unbiased. */
static int batch_rewards(rl_ctl *c, const int32_t *toks,
                         const double *rewards, size_t n, double **out,
                         double *mean, double *scale, apnas_error *err)
{
	if (n < 2)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "controller '%s': advantage = \"%s\" "
		                       "needs at least 2 samples per update, "
		                       "got %zu", NAME,
		                       c->adv_mode == ADV_NORMALIZED
		                       ? "normalized" : "batch_mean", n);
	double *R = malloc(n * sizeof *R);
	if (!R)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	double sum = 0;
	for (size_t i = 0; i < n; i++) {
		R[i] = rewards[i];
		if (c->entropy_weight != 0) {
			ctl_lstm_out o;
			ctl_lstm_forward(c->net, NULL,
			                 (int32_t *)(toks + i * c->n_dec), &o);
			R[i] += c->entropy_weight *
			        (c->bonus_full ? o.entropy : o.entropy_sampled);
		}
		sum += R[i];
	}
	*mean = sum / (double)n;
	*scale = 1;
	if (c->adv_mode == ADV_NORMALIZED) {
		double var = 0;
		for (size_t i = 0; i < n; i++)
			var += (R[i] - *mean) * (R[i] - *mean);
		double sd = sqrt(var / (double)n);
		/* equal rewards carry no signal: no policy-gradient step
		 * rather than rounding noise blown up to unit size */
		*scale = sd > 1e-12 ? 1.0 / sd : 0.0;
	}
	*out = R;
	return 0;
}

static int rl_update(void *self, const int32_t *toks, const double *rewards,
                     size_t n, apnas_update_info *info, apnas_error *err)
{
	rl_ctl *c = self;
	ctl_lstm *net = c->net;
	int rc = ctl_update_check(net->dec, c->n_dec, toks, rewards, n, err);
	if (rc)
		return rc;
	double *Rs = NULL, mean = 0, scale = 1;
	if (c->adv_mode != ADV_EMA) {
		rc = batch_rewards(c, toks, rewards, n, &Rs, &mean, &scale,
		                   err);
		if (rc)
			return rc;
	}
	memset(net->g, 0, net->n_params * sizeof *net->g);
	double b = c->baseline, loss = 0, ent = 0;
	for (size_t i = 0; i < n; i++) {
		ctl_lstm_out out;
		/* without an rng the pass only reads the tokens */
		ctl_lstm_forward(net, NULL, (int32_t *)(toks + i * c->n_dec),
		                 &out);
		double bonus = c->bonus_full ? out.entropy : out.entropy_sampled;
		double R = rewards[i] + c->entropy_weight * bonus;
		/* ENAS moves the baseline before it takes the advantage; the
		 * batch modes keep it up to date for the logs only */
		b -= (1.0 - c->bl_dec) * (b - R);
		double adv = Rs ? (Rs[i] - mean) * scale : R - b;
		loss += -out.log_prob * adv + c->skip_weight * out.kl;
		ent += out.entropy;
		ctl_lstm_backward(net, -adv / (double)n,
		                  c->skip_weight / (double)n);
	}
	free(Rs);
	loss /= (double)n;
	double norm2 = 0;
	for (size_t k = 0; k < net->n_params; k++) {
		if (c->l2_reg > 0) {
			net->g[k] += 2.0 * c->l2_reg * net->p[k];
			loss += c->l2_reg * net->p[k] * net->p[k];
		}
		norm2 += net->g[k] * net->g[k];
	}
	if (!isfinite(norm2) || !isfinite(loss))
		return apnas_error_set(err, APNAS_ENUM,
		                       "controller '%s': non-finite gradient or "
		                       "loss (%g); parameters left unchanged",
		                       NAME, loss);
	if (c->grad_bound > 0 && sqrt(norm2) > c->grad_bound) {
		double s = c->grad_bound / sqrt(norm2);
		for (size_t k = 0; k < net->n_params; k++)
			net->g[k] *= s;
	}
	ctl_adam_step(&c->adam, net->p, net->g);
	c->baseline = b;
	c->updates++;
	c->entropy = ent / (double)n;
	if (info) {
		info->loss = loss;
		info->baseline = b;
	}
	return 0;
}

#define OP_HEADS(per_decision) ((per_decision) ? "per_decision" : "shared")
#define SKIP_HEADS(linear) ((linear) ? "per_layer" : "attention")

/* The network's shape as one word of the state: hidden in the low 32 bits,
 * the head layouts above it.  With the default heads it is plain hidden,
 * so states of ENAS's layout are the same bytes as before the head
 * options existed, and a state of another layout is refused even when its
 * parameter count happens to match.  The choices' heads need no bit: they
 * are one per CHOICE decision in every layout, so the decision list (the
 * header's fingerprint) fixes them, and a list without choices has none,
 * leaving its states' bytes as they were. */
static uint64_t shape_word(const rl_ctl *c)
{
	return (uint64_t)c->hidden |
	       (uint64_t)(c->net->cfg.head_per_decision != 0) << 32 |
	       (uint64_t)(c->net->cfg.skip_linear != 0) << 33;
}

static int rl_save(void *self, FILE *f, apnas_error *err)
{
	rl_ctl *c = self;
	ctl_io io = {.f = f, .bad = 0};
	ctl_put_header(&io, NAME, STATE_VERSION, c->fingerprint);
	apnas_codec_put_u64(&io, shape_word(c));
	apnas_codec_put_u64(&io, c->net->n_params);
	apnas_codec_put_f64s(&io, c->net->p, c->net->n_params);
	apnas_codec_put_u64(&io, (uint64_t)c->adam.t);
	apnas_codec_put_f64s(&io, c->adam.m, c->net->n_params);
	apnas_codec_put_f64s(&io, c->adam.v, c->net->n_params);
	apnas_codec_put_f64(&io, c->baseline);
	apnas_codec_put_rng(&io, &c->rng);
	apnas_codec_put_u64(&io, (uint64_t)c->samples);
	apnas_codec_put_u64(&io, (uint64_t)c->updates);
	apnas_codec_put_f64(&io, c->entropy);
	return ctl_io_done(&io, NAME, 1, err);
}

static int rl_load(void *self, FILE *f, apnas_error *err)
{
	rl_ctl *c = self;
	size_t np = c->net->n_params;
	ctl_io io = {.f = f, .bad = 0};
	int rc = ctl_get_header(&io, NAME, STATE_VERSION, c->fingerprint,
	                        err);
	if (rc)
		return rc;
	uint64_t shape = apnas_codec_get_u64(&io), nsaved = apnas_codec_get_u64(&io);
	if (!io.bad && (shape != shape_word(c) || nsaved != np))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "controller '%s': the state has hidden = "
		                       "%" PRIu64 ", op_heads = %s, skip_heads = "
		                       "%s (%" PRIu64 " parameters), this instance "
		                       "hidden = %d, op_heads = %s, skip_heads = "
		                       "%s (%zu)", NAME, shape & 0xffffffffu,
		                       OP_HEADS(shape >> 32 & 1),
		                       SKIP_HEADS(shape >> 33 & 1), nsaved,
		                       c->hidden, OP_HEADS(c->net->cfg.
		                                           head_per_decision),
		                       SKIP_HEADS(c->net->cfg.skip_linear), np);
	/* Read everything aside first so a bad file changes nothing. */
	double *buf = malloc(3 * np * sizeof *buf);
	if (!buf)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	apnas_codec_get_f64s(&io, buf, np);
	int64_t t = (int64_t)apnas_codec_get_u64(&io);
	apnas_codec_get_f64s(&io, buf + np, np);
	apnas_codec_get_f64s(&io, buf + 2 * np, np);
	double baseline = apnas_codec_get_f64(&io);
	apnas_rng rng;
	apnas_codec_get_rng(&io, &rng);
	int64_t samples = (int64_t)apnas_codec_get_u64(&io);
	int64_t updates = (int64_t)apnas_codec_get_u64(&io);
	double entropy = apnas_codec_get_f64(&io);
	rc = ctl_io_done(&io, NAME, 0, err);
	if (!rc) {
		for (size_t k = 0; k < 3 * np && !rc; k++)
			if (!isfinite(buf[k]))
				rc = apnas_error_set(err, APNAS_EINVAL,
				                     "controller '%s': state holds "
				                     "a non-finite parameter", NAME);
		/* Adam's second moments are averages of squares: one below
		 * zero would surface later as a "non-finite gradient" that
		 * points at the learning rate, not at the file */
		for (size_t k = 0; k < np && !rc; k++)
			if (buf[2 * np + k] < 0)
				rc = apnas_error_set(err, APNAS_EINVAL,
				                     "controller '%s': state holds "
				                     "Adam second moment %g of "
				                     "parameter %zu, expected >= 0",
				                     NAME, buf[2 * np + k], k);
		/* one Adam step per update */
		if (!rc && (t < 0 || samples < 0 || updates < 0 ||
		            t != updates))
			rc = apnas_error_set(err, APNAS_EINVAL,
			                     "controller '%s': state counts "
			                     "impossible: %" PRId64 " Adam steps, "
			                     "%" PRId64 " updates, %" PRId64
			                     " samples", NAME, t, updates,
			                     samples);
		if (!rc && (!isfinite(baseline) || !isfinite(entropy) ||
		            entropy < 0))
			rc = apnas_error_set(err, APNAS_EINVAL,
			                     "controller '%s': state holds "
			                     "baseline %g, entropy %g: expected "
			                     "finite, entropy >= 0", NAME,
			                     baseline, entropy);
	}
	if (!rc) {
		memcpy(c->net->p, buf, np * sizeof *buf);
		memcpy(c->adam.m, buf + np, np * sizeof *buf);
		memcpy(c->adam.v, buf + 2 * np, np * sizeof *buf);
		c->adam.t = t;
		c->baseline = baseline;
		c->rng = rng;
		c->samples = samples;
		c->updates = updates;
		c->entropy = entropy;
	}
	free(buf);
	return rc;
}

static void rl_describe(void *self, char *buf, size_t cap)
{
	rl_ctl *c = self;
	snprintf(buf, cap,
	         "entropy=%.3f baseline=%.4f updates=%" PRId64
	         " samples=%" PRId64, c->entropy, c->baseline, c->updates,
	         c->samples);
}

static const apnas_controller_ops rl_ops = {
	.create = rl_create,
	.destroy = rl_destroy,
	.sample = rl_sample,
	.update = rl_update,
	.save = rl_save,
	.load = rl_load,
	.describe = rl_describe,
	.candidates = NULL,
};

APNAS_PLUGIN_DEFINE(APNAS_KIND_CONTROLLER, NAME, "1.0",
                    "ENAS LSTM controller trained with REINFORCE "
                    "(attention skips, EMA baseline, skip KL, Adam)",
                    rl_options, &rl_ops);
