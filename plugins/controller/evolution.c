/* evolution: regularized (aging) evolution, Real et al. (arXiv:1802.01548).
 * The population is a queue of the last P evaluated architectures with
 * their rewards.  The first P EVAL samples are uniform random; after that
 * each EVAL sample draws S members uniformly with replacement and returns
 * the fittest one mutated; update() appends every (architecture, reward)
 * and the oldest member dies.  A mutation changes exactly one decision:
 * first the kind among those the list has (op, skip, choice: uniform, so
 * 1/2 each for op and skip, 1/3 each when a co-search adds choices, as
 * Real et al. pick the mutation type first), then one decision of that
 * kind uniformly; an op or a choice moves to a different value, a skip
 * bit flips.
 * TRAIN and DERIVE samples are population members drawn uniformly (random
 * before the first update), and `candidates` hands the core the
 * population. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apnas/plugin.h>
#include <apnas/rng.h>

#include "decisions.h"
#include "state_io.h"

#define NAME "evolution"
#define STATE_VERSION 1

static const apnas_option evo_options[] = {
	{"population", APNAS_OPT_INT, "100", 2, 1000000, NULL,
	 "P: architectures kept, the oldest dies (paper 100)", 0},
	{"sample_size", APNAS_OPT_INT, "25", 1, 1000000, NULL,
	 "S: members drawn with replacement per tournament, at most P "
	 "(paper 25; 10 is common)", 0},
	{.key = NULL},
};

typedef struct evo_ctl {
	const apnas_decision *dec; /* borrowed: valid until destroy */
	size_t n_dec;
	uint64_t fingerprint;
	size_t P, S;
	size_t *op_idx, n_op;      /* decisions of each kind, owned */
	size_t *skip_idx, n_skip;
	size_t *choice_idx, n_choice;
	int32_t *pop;              /* [P][n_dec] ring, owned */
	double *fit;               /* [P] rewards, owned */
	double *scratch;           /* [P] for the median */
	size_t head, count;        /* oldest member at head */
	int64_t eval_drawn;        /* EVAL samples handed out */
	int64_t evaluated;         /* pairs update() has seen */
	apnas_rng rng;             /* owned */
} evo_ctl;

static void evo_destroy(void *self)
{
	evo_ctl *c = self;
	if (!c)
		return;
	free(c->op_idx);
	free(c->skip_idx);
	free(c->choice_idx);
	free(c->pop);
	free(c->fit);
	free(c->scratch);
	free(c);
}

static int evo_create(const apnas_plugin_ctx *ctx, void **self,
                      apnas_error *err)
{
	*self = NULL;
	int rc = ctl_decisions_check(ctx->decisions, ctx->n_decisions, err);
	if (rc)
		return rc;
	int64_t P = apnas_opts_int(ctx->opts, "population");
	int64_t S = apnas_opts_int(ctx->opts, "sample_size");
	if (S > P)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "sample_size (%" PRId64 ") must not "
		                       "exceed population (%" PRId64 ")", S, P);
	evo_ctl *c = calloc(1, sizeof *c);
	if (!c)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	c->dec = ctx->decisions;
	c->n_dec = ctx->n_decisions;
	c->fingerprint = ctl_decisions_fingerprint(c->dec, c->n_dec);
	c->P = (size_t)P;
	c->S = (size_t)S;
	c->op_idx = malloc(c->n_dec * sizeof *c->op_idx);
	c->skip_idx = malloc(c->n_dec * sizeof *c->skip_idx);
	c->choice_idx = malloc(c->n_dec * sizeof *c->choice_idx);
	c->pop = malloc(c->P * c->n_dec * sizeof *c->pop);
	c->fit = malloc(c->P * sizeof *c->fit);
	c->scratch = malloc(c->P * sizeof *c->scratch);
	if (!c->op_idx || !c->skip_idx || !c->choice_idx || !c->pop ||
	    !c->fit || !c->scratch) {
		evo_destroy(c);
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "out of memory for a population of %zu",
		                       (size_t)P);
	}
	for (size_t i = 0; i < c->n_dec; i++) {
		if (c->dec[i].kind == APNAS_DECISION_SKIP)
			c->skip_idx[c->n_skip++] = i;
		else if (c->dec[i].kind == APNAS_DECISION_CHOICE)
			c->choice_idx[c->n_choice++] = i;
		else
			c->op_idx[c->n_op++] = i;
	}
	apnas_rng_derive(&c->rng, ctx->seed, "controller");
	*self = c;
	return 0;
}

static const int32_t *member(const evo_ctl *c, size_t age_rank)
{
	return c->pop + ((c->head + age_rank) % c->P) * c->n_dec;
}

static double member_fit(const evo_ctl *c, size_t age_rank)
{
	return c->fit[(c->head + age_rank) % c->P];
}

/* The kind first, uniform over the kinds present, in the order op, skip,
 * choice: a list without choices draws exactly as before they existed.
 * By kind rather than by decision because the kinds differ in number by
 * an order of magnitude (enas_macro L = 8: 8 ops, 28 skip bits, and a
 * co-search adds about 3 hardware choices): drawn by decision, only 3
 * mutations in 39 would move the hardware, which decides the cost as
 * much as the network does. */
static void mutate(evo_ctl *c, int32_t *tok)
{
	const size_t *idx[3] = {c->op_idx, c->skip_idx, c->choice_idx};
	size_t cnt[3] = {c->n_op, c->n_skip, c->n_choice}, present[3], np = 0;
	for (int k = 0; k < 3; k++)
		if (cnt[k])
			present[np++] = (size_t)k;
	size_t kind = present[np > 1 ? apnas_rng_below(&c->rng, np) : 0];
	size_t i = idx[kind][apnas_rng_below(&c->rng, cnt[kind])];
	if (kind == 1) {
		tok[i] = !tok[i];
		return;
	}
	int32_t v = (int32_t)apnas_rng_below(
		&c->rng, (uint64_t)c->dec[i].n_choices - 1);
	tok[i] = v >= tok[i] ? v + 1 : v;
}

static int evo_sample(void *self, apnas_sample_purpose purpose, int32_t *tok,
                      apnas_sample_info *info, apnas_error *err)
{
	(void)err;
	evo_ctl *c = self;
	size_t bytes = c->n_dec * sizeof *tok;
	if (purpose != APNAS_SAMPLE_EVAL) {
		if (c->count)
			memcpy(tok, member(c, apnas_rng_below(&c->rng,
			                                      c->count)), bytes);
		else
			ctl_decisions_uniform(c->dec, c->n_dec, &c->rng, tok);
	} else if (c->eval_drawn < (int64_t)c->P || !c->count) {
		ctl_decisions_uniform(c->dec, c->n_dec, &c->rng, tok);
		c->eval_drawn++;
	} else {
		size_t best = 0;
		for (size_t k = 0; k < c->S; k++) {
			size_t r = apnas_rng_below(&c->rng, c->count);
			if (k == 0 || member_fit(c, r) > member_fit(c, best))
				best = r;
		}
		memcpy(tok, member(c, best), bytes);
		mutate(c, tok);
		c->eval_drawn++;
	}
	if (info) {
		info->log_prob = 0;
		info->entropy = 0;
	}
	return 0;
}

static void push(evo_ctl *c, const int32_t *tok, double fit)
{
	size_t slot;
	if (c->count < c->P) {
		slot = (c->head + c->count) % c->P;
		c->count++;
	} else {
		slot = c->head; /* the oldest dies */
		c->head = (c->head + 1) % c->P;
	}
	memcpy(c->pop + slot * c->n_dec, tok, c->n_dec * sizeof *tok);
	c->fit[slot] = fit;
}

static int evo_update(void *self, const int32_t *toks, const double *rewards,
                      size_t n, apnas_update_info *info, apnas_error *err)
{
	evo_ctl *c = self;
	int rc = ctl_update_check(c->dec, c->n_dec, toks, rewards, n, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		push(c, toks + i * c->n_dec, rewards[i]);
	c->evaluated += (int64_t)n;
	if (info) {
		info->loss = 0;
		info->baseline = 0;
	}
	return 0;
}

static int evo_candidates(void *self, int32_t **toks, size_t *n,
                          apnas_error *err)
{
	evo_ctl *c = self;
	*toks = NULL;
	*n = 0;
	if (!c->count)
		return 0;
	int32_t *out = malloc(c->count * c->n_dec * sizeof *out);
	if (!out)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	for (size_t r = 0; r < c->count; r++)
		memcpy(out + r * c->n_dec, member(c, r),
		       c->n_dec * sizeof *out);
	*toks = out;
	*n = c->count;
	return 0;
}

static int evo_save(void *self, FILE *f, apnas_error *err)
{
	evo_ctl *c = self;
	ctl_io io = {.f = f, .bad = 0};
	ctl_put_header(&io, NAME, STATE_VERSION, c->fingerprint);
	apnas_codec_put_u64(&io, c->P);
	apnas_codec_put_u64(&io, c->count);
	for (size_t r = 0; r < c->count; r++) {
		apnas_codec_put_i32s(&io, member(c, r), c->n_dec);
		apnas_codec_put_f64(&io, member_fit(c, r));
	}
	apnas_codec_put_u64(&io, (uint64_t)c->eval_drawn);
	apnas_codec_put_u64(&io, (uint64_t)c->evaluated);
	apnas_codec_put_rng(&io, &c->rng);
	return ctl_io_done(&io, NAME, 1, err);
}

static int evo_load(void *self, FILE *f, apnas_error *err)
{
	evo_ctl *c = self;
	ctl_io io = {.f = f, .bad = 0};
	int rc = ctl_get_header(&io, NAME, STATE_VERSION, c->fingerprint,
	                        err);
	if (rc)
		return rc;
	uint64_t P = apnas_codec_get_u64(&io), count = apnas_codec_get_u64(&io);
	if (io.bad)
		return ctl_io_done(&io, NAME, 0, err);
	if (P != c->P || count > P)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "controller '%s': the state has "
		                       "population %" PRIu64 " (%" PRIu64
		                       " members), this instance population "
		                       "%zu", NAME, P, count, c->P);
	/* Read aside so a bad file leaves the instance as it was. */
	int32_t *pop = malloc(c->P * c->n_dec * sizeof *pop);
	double *fit = malloc(c->P * sizeof *fit);
	if (!pop || !fit) {
		free(pop);
		free(fit);
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	}
	for (size_t r = 0; r < count && !io.bad; r++) {
		apnas_codec_get_i32s(&io, pop + r * c->n_dec, c->n_dec);
		fit[r] = apnas_codec_get_f64(&io);
	}
	int64_t eval_drawn = (int64_t)apnas_codec_get_u64(&io);
	int64_t evaluated = (int64_t)apnas_codec_get_u64(&io);
	apnas_rng rng;
	apnas_codec_get_rng(&io, &rng);
	rc = ctl_io_done(&io, NAME, 0, err);
	if (!rc && (evaluated < 0 || eval_drawn < 0 ||
	            (uint64_t)evaluated < count))
		rc = apnas_error_set(err, APNAS_EINVAL,
		                     "controller '%s': state counts "
		                     "impossible: %" PRId64 " evaluated, %"
		                     PRId64 " drawn, %" PRIu64 " members",
		                     NAME, evaluated, eval_drawn, count);
	else if (!rc && count)
		rc = ctl_update_check(c->dec, c->n_dec, pop, fit, count, err);
	if (rc) {
		if (rc == APNAS_EINVAL)
			apnas_error_prefix(err, "controller '%s': state "
			                   "population", NAME);
	} else {
		memcpy(c->pop, pop, c->P * c->n_dec * sizeof *pop);
		memcpy(c->fit, fit, c->P * sizeof *fit);
		c->head = 0;
		c->count = (size_t)count;
		c->eval_drawn = eval_drawn;
		c->evaluated = evaluated;
		c->rng = rng;
	}
	free(pop);
	free(fit);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void evo_describe(void *self, char *buf, size_t cap)
{
	evo_ctl *c = self;
	if (!c->count) {
		snprintf(buf, cap, "population=0/%zu evaluated=0", c->P);
		return;
	}
	for (size_t r = 0; r < c->count; r++)
		c->scratch[r] = member_fit(c, r);
	qsort(c->scratch, c->count, sizeof *c->scratch, cmp_double);
	size_t m = c->count / 2;
	double median = c->count % 2 ? c->scratch[m]
	                             : 0.5 * (c->scratch[m - 1] + c->scratch[m]);
	snprintf(buf, cap,
	         "population=%zu/%zu best=%.4f median=%.4f evaluated=%" PRId64,
	         c->count, c->P, c->scratch[c->count - 1], median,
	         c->evaluated);
}

static const apnas_controller_ops evo_ops = {
	.create = evo_create,
	.destroy = evo_destroy,
	.sample = evo_sample,
	.update = evo_update,
	.save = evo_save,
	.load = evo_load,
	.describe = evo_describe,
	.candidates = evo_candidates,
};

APNAS_PLUGIN_DEFINE(APNAS_KIND_CONTROLLER, NAME, "1.0",
                    "regularized (aging) evolution: tournament of S from a "
                    "population of P, one-decision mutations",
                    evo_options, &evo_ops);
