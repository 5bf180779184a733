/* Decision-list helpers shared by the controller plugins: the checks every
 * controller needs before it trusts a space's decision list, a fingerprint
 * that ties a saved state to the list it was saved for, uniform sampling,
 * and the check of architectures handed to update(). */
#ifndef CTL_DECISIONS_H
#define CTL_DECISIONS_H

#include <stddef.h>
#include <stdint.h>

#include <apnas/plugin.h>
#include <apnas/rng.h>

/* n > 0; every kind known; n_choices >= 2 (== 2 for SKIP); an OP's or
 * SKIP's layer >= 0, a SKIP's skip_from in [0, layer); a CHOICE's layer
 * and skip_from -1, and every CHOICE after every OP and SKIP (ABI 2.2). */
int ctl_decisions_check(const apnas_decision *d, size_t n, apnas_error *err);

/* FNV-1a over every field of every decision. */
uint64_t ctl_decisions_fingerprint(const apnas_decision *d, size_t n);

/* One draw per decision, uniform over its choices, in token order. */
void ctl_decisions_uniform(const apnas_decision *d, size_t n, apnas_rng *rng,
                           int32_t *tok);

/* Checks update()'s input: n >= 1 rows of tokens in range and finite
 * rewards.  Names the first bad row and decision. */
int ctl_update_check(const apnas_decision *d, size_t n_dec,
                     const int32_t *toks, const double *rewards, size_t n,
                     apnas_error *err);

#endif
