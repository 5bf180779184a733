/* Decision-list helpers shared by the controllers: validation, the state
 * fingerprint, uniform sampling and the check of update() input. */
#include "decisions.h"

#include <math.h>

int ctl_decisions_check(const apnas_decision *d, size_t n, apnas_error *err)
{
	if (!d || n == 0)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "the search space declares no decisions");
	size_t first_choice = n; /* index of the first CHOICE, n: none yet */
	for (size_t i = 0; i < n; i++) {
		const apnas_decision *x = &d[i];
		if (x->kind != APNAS_DECISION_OP &&
		    x->kind != APNAS_DECISION_SKIP &&
		    x->kind != APNAS_DECISION_CHOICE)
			return apnas_error_set(err, APNAS_EINVAL,
			                       "decision %zu: unknown kind %d, "
			                       "expected op (1), skip (2) or "
			                       "choice (3)", i, (int)x->kind);
		if (x->kind == APNAS_DECISION_CHOICE) {
			if (x->n_choices < 2)
				return apnas_error_set(
					err, APNAS_EINVAL,
					"decision %zu (choice): %d choices, "
					"expected >= 2", i, (int)x->n_choices);
			if (x->layer != -1 || x->skip_from != -1)
				return apnas_error_set(
					err, APNAS_EINVAL,
					"decision %zu (choice): layer %d, "
					"skip_from %d, expected -1 and -1 (a "
					"choice belongs to no layer)", i,
					(int)x->layer, (int)x->skip_from);
			if (first_choice == n)
				first_choice = i;
			continue;
		}
		/* the hardware's tokens follow the network's, so that a
		 * controller can walk the network first */
		if (first_choice < n)
			return apnas_error_set(
				err, APNAS_EINVAL,
				"decision %zu (%s of layer %d) follows choice "
				"decision %zu; choices come after every op and "
				"skip decision", i,
				x->kind == APNAS_DECISION_OP ? "op" : "skip",
				(int)x->layer, first_choice);
		if (x->layer < 0)
			return apnas_error_set(err, APNAS_EINVAL,
			                       "decision %zu: layer %d, expected "
			                       ">= 0", i, (int)x->layer);
		if (x->kind == APNAS_DECISION_OP && x->n_choices < 2)
			return apnas_error_set(err, APNAS_EINVAL,
			                       "decision %zu (op of layer %d): %d "
			                       "choices, expected >= 2", i,
			                       (int)x->layer, (int)x->n_choices);
		if (x->kind == APNAS_DECISION_SKIP) {
			if (x->n_choices != 2)
				return apnas_error_set(
					err, APNAS_EINVAL,
					"decision %zu (skip of layer %d): %d "
					"choices, expected 2", i,
					(int)x->layer, (int)x->n_choices);
			if (x->skip_from < 0 || x->skip_from >= x->layer)
				return apnas_error_set(
					err, APNAS_EINVAL,
					"decision %zu (skip of layer %d): "
					"skip_from %d, expected in [0, %d)", i,
					(int)x->layer, (int)x->skip_from,
					(int)x->layer);
		}
	}
	return 0;
}

static uint64_t fnv_word(uint64_t h, uint32_t w)
{
	for (int b = 0; b < 4; b++)
		h = (h ^ ((w >> (8 * b)) & 0xffu)) * 0x100000001b3ull;
	return h;
}

uint64_t ctl_decisions_fingerprint(const apnas_decision *d, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	h = fnv_word(h, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		h = fnv_word(h, (uint32_t)d[i].kind);
		h = fnv_word(h, (uint32_t)d[i].n_choices);
		h = fnv_word(h, (uint32_t)d[i].layer);
		h = fnv_word(h, (uint32_t)d[i].skip_from);
	}
	return h;
}

void ctl_decisions_uniform(const apnas_decision *d, size_t n, apnas_rng *rng,
                           int32_t *tok)
{
	for (size_t i = 0; i < n; i++)
		tok[i] = (int32_t)apnas_rng_below(rng, (uint64_t)d[i].n_choices);
}

int ctl_update_check(const apnas_decision *d, size_t n_dec,
                     const int32_t *toks, const double *rewards, size_t n,
                     apnas_error *err)
{
	if (n == 0)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "update needs at least one (architecture,"
		                       " reward) pair, got 0");
	if (!toks || !rewards)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "update: NULL architectures or rewards");
	for (size_t r = 0; r < n; r++) {
		if (!isfinite(rewards[r]))
			return apnas_error_set(err, APNAS_EINVAL,
			                       "update: reward %zu is %g, expected "
			                       "a finite number", r, rewards[r]);
		const int32_t *t = toks + r * n_dec;
		for (size_t i = 0; i < n_dec; i++)
			if (t[i] < 0 || t[i] >= d[i].n_choices)
				return apnas_error_set(
					err, APNAS_EINVAL,
					"update: architecture %zu, decision %zu:"
					" token %d, expected in [0, %d)", r, i,
					(int)t[i], (int)d[i].n_choices);
	}
	return 0;
}
