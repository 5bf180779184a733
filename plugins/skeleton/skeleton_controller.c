/* skeleton_controller: the template controller, meant to be copied.  It
 * samples every operation uniformly and turns each skip connection on with
 * probability `skip_prob`, and learns nothing: update() only keeps the
 * running mean of the rewards it is shown, for describe().  That makes it
 * the random-search baseline, and a clear picture of what any controller
 * owes the core: its own random stream derived from the run seed (so that
 * swapping the space or the reward never changes its draws), log-probability
 * and entropy of each sample, a saved state from which a fresh instance
 * continues bit for bit, and a one-line description for the logs.  To start
 * your own: copy this file, change PLUGIN_NAME, and put the learning in
 * sample() and update(). */

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apnas/plugin.h>
#include <apnas/rng.h>

/* The name a config's `plugin = "..."` uses; the file must be called
 * controller_<name>.so. */
#define PLUGIN_NAME "skeleton"
#define PLUGIN_VERSION "1.0"

/* First line of a saved state; the number changes when the layout does,
 * so an old checkpoint is refused rather than misread. */
#define STATE_MAGIC "apnas-skeleton-controller"
#define STATE_VERSION 1

/* Options of the config's `controller` group; validated and defaulted by
 * the core before create(). */
static const apnas_option skeleton_controller_options[] = {
	{"skip_prob", APNAS_OPT_FLOAT, "0.5", 0, 1, NULL,
	 "probability that a skip connection is on (0.5: uniform)", 0},
	{"stream", APNAS_OPT_STRING, "\"skeleton_controller\"", 1, 0, NULL,
	 "name of the random stream derived from the run seed", 0},
	{.key = NULL},
};

typedef struct skeleton_controller {
	const apnas_decision *dec; /* borrowed from ctx: the core keeps it
	                              valid until destroy() */
	size_t n_dec;
	double skip_prob;          /* from option "skip_prob" */
	apnas_rng rng;             /* owned; part of the saved state */
	int64_t sampled;           /* architectures sampled so far */
	int64_t rewarded;          /* rewards seen by update() */
	double reward_sum;         /* their sum, for the running mean */
} skeleton_controller;

/* Required.  ctx->decisions describes the space; a controller sizes
 * itself from it (a learning one would allocate its parameters here). */
static int skeleton_controller_create(const apnas_plugin_ctx *ctx,
                                      void **self, apnas_error *err)
{
	if (!ctx->decisions || ctx->n_decisions == 0)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "the search space declares no decisions");
	for (size_t i = 0; i < ctx->n_decisions; i++)
		if (ctx->decisions[i].n_choices < 2)
			return apnas_error_set(err, APNAS_EINVAL,
			                       "decision %zu has %d choices, "
			                       "expected >= 2", i,
			                       (int)ctx->decisions[i].n_choices);
	skeleton_controller *s = calloc(1, sizeof *s);
	if (!s)
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "out of memory creating the controller");
	s->dec = ctx->decisions;
	s->n_dec = ctx->n_decisions;
	s->skip_prob = apnas_opts_float(ctx->opts, "skip_prob");
	/* The stream name is only needed here, so it is not copied; a plugin
	 * that keeps an option string past create() must copy it. */
	apnas_rng_derive(&s->rng, ctx->seed,
	                 apnas_opts_string(ctx->opts, "stream"));
	*self = s;
	return 0;
}

/* Required.  Must accept NULL. */
static void skeleton_controller_destroy(void *self)
{
	free(self);
}

/* p log p, with the limit 0 at p = 0. */
static double plogp(double p)
{
	return p > 0 ? p * log(p) : 0.0;
}

/* Required.  Every purpose samples the same way here; a learning
 * controller might sample greedily for APNAS_SAMPLE_DERIVE. */
static int skeleton_controller_sample(void *self, apnas_sample_purpose purpose,
                                      int32_t *tok, apnas_sample_info *info,
                                      apnas_error *err)
{
	skeleton_controller *s = self;
	double logp = 0, entropy = 0;
	(void)purpose;
	(void)err;
	for (size_t i = 0; i < s->n_dec; i++) {
		const apnas_decision *d = &s->dec[i];
		if (d->kind == APNAS_DECISION_SKIP) {
			double p = s->skip_prob;
			tok[i] = apnas_rng_uniform(&s->rng) < p;
			logp += log(tok[i] ? p : 1 - p);
			entropy -= plogp(p) + plogp(1 - p);
		} else {
			tok[i] = (int32_t)apnas_rng_below(&s->rng,
			                                  (uint64_t)d->n_choices);
			logp -= log((double)d->n_choices);
			entropy += log((double)d->n_choices);
		}
	}
	s->sampled++;
	if (info) {
		info->log_prob = logp;
		info->entropy = entropy;
	}
	return 0;
}

/* Required.  Checks what it is given even though it learns nothing: a
 * token out of range or a NaN reward means a bug upstream, and saying so
 * here is cheaper than a wrong search. */
static int skeleton_controller_update(void *self, const int32_t *toks,
                                      const double *rewards, size_t n,
                                      apnas_update_info *info,
                                      apnas_error *err)
{
	skeleton_controller *s = self;
	for (size_t k = 0; k < n; k++) {
		if (!isfinite(rewards[k]))
			return apnas_error_set(err, APNAS_ENUM,
			                       "reward %zu of %zu is %g: expected a "
			                       "finite number", k + 1, n, rewards[k]);
		for (size_t i = 0; i < s->n_dec; i++) {
			int32_t t = toks[k * s->n_dec + i];
			if (t < 0 || t >= s->dec[i].n_choices)
				return apnas_error_set(err, APNAS_EINVAL,
				                       "architecture %zu, decision %zu: "
				                       "token %d, expected 0..%d",
				                       k + 1, i, (int)t,
				                       (int)s->dec[i].n_choices - 1);
		}
	}
	for (size_t k = 0; k < n; k++)
		s->reward_sum += rewards[k];
	s->rewarded += (int64_t)n;
	if (info) {
		info->loss = 0; /* nothing is learnt */
		info->baseline = s->rewarded ? s->reward_sum / (double)s->rewarded
		                             : 0;
	}
	return 0;
}

/* Required.  Text, so a checkpoint can be read by a person; "%a" writes
 * the double exactly, so a loaded instance continues bit for bit. */
static int skeleton_controller_save(void *self, FILE *f, apnas_error *err)
{
	const skeleton_controller *s = self;
	int rc = fprintf(f,
	                 "%s %d\ndecisions %zu\n"
	                 "rng %016" PRIx64 " %016" PRIx64 " %016" PRIx64
	                 " %016" PRIx64 "\n"
	                 "sampled %" PRId64 "\nrewarded %" PRId64 "\n"
	                 "reward_sum %a\n",
	                 STATE_MAGIC, STATE_VERSION, s->n_dec, s->rng.s[0],
	                 s->rng.s[1], s->rng.s[2], s->rng.s[3], s->sampled,
	                 s->rewarded, s->reward_sum);
	if (rc < 0)
		return apnas_error_set(err, APNAS_EIO,
		                       "could not write the controller state");
	return 0;
}

/* Required.  Reads into a temporary first, so a truncated or foreign file
 * leaves the instance as it was. */
static int skeleton_controller_load(void *self, FILE *f, apnas_error *err)
{
	skeleton_controller *s = self;
	skeleton_controller t = *s;
	char magic[64];
	int version;
	size_t n_dec;
	if (fscanf(f, "%63s %d", magic, &version) != 2 ||
	    strcmp(magic, STATE_MAGIC) != 0)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "controller state: expected a '%s' header",
		                       STATE_MAGIC);
	if (version != STATE_VERSION)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "controller state: version %d, expected %d",
		                       version, STATE_VERSION);
	if (fscanf(f, " decisions %zu", &n_dec) != 1)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "controller state: expected 'decisions N'");
	if (n_dec != s->n_dec)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "controller state: saved for %zu decisions, "
		                       "this space has %zu", n_dec, s->n_dec);
	if (fscanf(f, " rng %" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64,
	           &t.rng.s[0], &t.rng.s[1], &t.rng.s[2], &t.rng.s[3]) != 4 ||
	    !(t.rng.s[0] | t.rng.s[1] | t.rng.s[2] | t.rng.s[3]))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "controller state: expected 'rng' and four "
		                       "hex words, not all zero");
	if (fscanf(f, " sampled %" SCNd64 " rewarded %" SCNd64
	           " reward_sum %la", &t.sampled, &t.rewarded,
	           &t.reward_sum) != 3 ||
	    t.sampled < 0 || t.rewarded < 0 || !isfinite(t.reward_sum))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "controller state: expected 'sampled N', "
		                       "'rewarded N' and 'reward_sum X'");
	*s = t;
	return 0;
}

/* Required.  One line, no newline. */
static void skeleton_controller_describe(void *self, char *buf, size_t cap)
{
	const skeleton_controller *s = self;
	snprintf(buf, cap, "sampled=%" PRId64 " rewarded=%" PRId64
	         " mean_reward=%.4f", s->sampled, s->rewarded,
	         s->rewarded ? s->reward_sum / (double)s->rewarded : 0.0);
}

/* candidates stays NULL: with no population to offer, the core derives
 * from fresh APNAS_SAMPLE_DERIVE samples. */
static const apnas_controller_ops skeleton_controller_ops = {
	.create = skeleton_controller_create,
	.destroy = skeleton_controller_destroy,
	.sample = skeleton_controller_sample,
	.update = skeleton_controller_update,
	.save = skeleton_controller_save,
	.load = skeleton_controller_load,
	.describe = skeleton_controller_describe,
};

/* The one exported symbol. */
APNAS_PLUGIN_DEFINE(APNAS_KIND_CONTROLLER, PLUGIN_NAME, PLUGIN_VERSION,
                    "template controller: uniform random sampling",
                    skeleton_controller_options, &skeleton_controller_ops);
