/* random: uniform sampling of every decision, the random-search baseline
 * (with weight sharing: Li and Talwalkar's RSWS).  It learns nothing;
 * update() checks its input and counts it.  Its own random stream, derived
 * from the run seed as "controller", is its whole state, so a resumed run
 * draws exactly what the original would have. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <apnas/plugin.h>
#include <apnas/rng.h>

#include "decisions.h"
#include "state_io.h"

#define NAME "random"
#define STATE_VERSION 1

typedef struct rnd_ctl {
	const apnas_decision *dec; /* borrowed: valid until destroy */
	size_t n_dec;
	uint64_t fingerprint;
	double log_prob;        /* of every architecture: -sum log n_choices */
	apnas_rng rng;          /* owned */
	int64_t samples;        /* architectures drawn */
	int64_t rewarded;       /* (architecture, reward) pairs seen */
} rnd_ctl;

static int rnd_create(const apnas_plugin_ctx *ctx, void **self,
                      apnas_error *err)
{
	*self = NULL;
	int rc = ctl_decisions_check(ctx->decisions, ctx->n_decisions, err);
	if (rc)
		return rc;
	rnd_ctl *c = calloc(1, sizeof *c);
	if (!c)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	c->dec = ctx->decisions;
	c->n_dec = ctx->n_decisions;
	c->fingerprint = ctl_decisions_fingerprint(c->dec, c->n_dec);
	for (size_t i = 0; i < c->n_dec; i++)
		c->log_prob -= log((double)c->dec[i].n_choices);
	apnas_rng_derive(&c->rng, ctx->seed, "controller");
	*self = c;
	return 0;
}

static void rnd_destroy(void *self)
{
	free(self);
}

static int rnd_sample(void *self, apnas_sample_purpose purpose, int32_t *tok,
                      apnas_sample_info *info, apnas_error *err)
{
	(void)purpose;
	(void)err;
	rnd_ctl *c = self;
	ctl_decisions_uniform(c->dec, c->n_dec, &c->rng, tok);
	c->samples++;
	if (info) {
		info->log_prob = c->log_prob;
		info->entropy = -c->log_prob; /* uniform: entropy = -log p */
	}
	return 0;
}

static int rnd_update(void *self, const int32_t *toks, const double *rewards,
                      size_t n, apnas_update_info *info, apnas_error *err)
{
	rnd_ctl *c = self;
	int rc = ctl_update_check(c->dec, c->n_dec, toks, rewards, n, err);
	if (rc)
		return rc;
	c->rewarded += (int64_t)n;
	if (info) {
		info->loss = 0;
		info->baseline = 0;
	}
	return 0;
}

static int rnd_save(void *self, FILE *f, apnas_error *err)
{
	rnd_ctl *c = self;
	ctl_io io = {.f = f, .bad = 0};
	ctl_put_header(&io, NAME, STATE_VERSION, c->fingerprint);
	apnas_codec_put_rng(&io, &c->rng);
	apnas_codec_put_u64(&io, (uint64_t)c->samples);
	apnas_codec_put_u64(&io, (uint64_t)c->rewarded);
	return ctl_io_done(&io, NAME, 1, err);
}

static int rnd_load(void *self, FILE *f, apnas_error *err)
{
	rnd_ctl *c = self;
	ctl_io io = {.f = f, .bad = 0};
	int rc = ctl_get_header(&io, NAME, STATE_VERSION, c->fingerprint,
	                        err);
	if (rc)
		return rc;
	apnas_rng rng;
	apnas_codec_get_rng(&io, &rng);
	int64_t samples = (int64_t)apnas_codec_get_u64(&io);
	int64_t rewarded = (int64_t)apnas_codec_get_u64(&io);
	rc = ctl_io_done(&io, NAME, 0, err);
	if (rc)
		return rc;
	if (samples < 0 || rewarded < 0 || rewarded > samples)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "controller '%s': state counts "
		                       "impossible: %" PRId64 " rewarded of %"
		                       PRId64 " samples", NAME, rewarded,
		                       samples);
	c->rng = rng;
	c->samples = samples;
	c->rewarded = rewarded;
	return 0;
}

static void rnd_describe(void *self, char *buf, size_t cap)
{
	rnd_ctl *c = self;
	snprintf(buf, cap, "samples=%" PRId64 " rewarded=%" PRId64,
	         c->samples, c->rewarded);
}

static const apnas_controller_ops rnd_ops = {
	.create = rnd_create,
	.destroy = rnd_destroy,
	.sample = rnd_sample,
	.update = rnd_update,
	.save = rnd_save,
	.load = rnd_load,
	.describe = rnd_describe,
	.candidates = NULL,
};

APNAS_PLUGIN_DEFINE(APNAS_KIND_CONTROLLER, NAME, "1.0",
                    "uniform random sampling of every decision",
                    NULL, &rnd_ops);
