/* Shared by the reward plugins (compiled into each one, hidden): the
 * cycle target that is either absolute or a fraction of a reference
 * architecture's cycles, and the checks every reward makes on the metrics
 * record before it trusts a number.  Not part of the plugin ABI. */
#ifndef APNAS_REWARD_COMMON_H
#define APNAS_REWARD_COMMON_H

#include <stdint.h>

#include <apnas/plugin.h>

/* A cycle scale (mnas/penalty `target`, linear `cyc_ref`) as configured and
 * as resolved.  Owned by the plugin instance that embeds it. */
typedef struct rw_target {
	const char *key;   /* option key it came from; a string literal */
	double value;      /* as configured: cycles, or a fraction of the
	                      reference's cycles when reference is set */
	char *reference;   /* owned copy of the reference name; NULL when
	                      value is absolute */
	double cycles;     /* the scale in cycles; 0 until resolved */
} rw_target;

/* Upper bound on a fraction of the reference: a budget ten times the
 * reference is already no constraint for any space we ship, so more is
 * almost certainly cycles typed where a fraction was meant. */
#define RW_MAX_FRACTION 10.0

/* The two option-table entries of a cycle scale named `key_`. */
#define RW_TARGET_OPTIONS(key_, help_)                                     \
	{ key_, APNAS_OPT_FLOAT, NULL, 1, 0, NULL, help_ },                \
	{ "reference", APNAS_OPT_STRING, "\"\"", 1, 0, NULL,               \
	  "named architecture of the search space (e.g. \"all-conv3x3\") "  \
	  "whose cycles " key_ " is a fraction of; empty: " key_           \
	  " is in cycles" }

/* Reads and validates `key` and `reference` from o into t. */
int rw_target_init(rw_target *t, const apnas_opts *o, const char *key,
                   apnas_error *err);
void rw_target_free(rw_target *t);
/* The reference name, or NULL when the scale is absolute. */
const char *rw_target_reference(const rw_target *t);
/* Fixes the scale from the reference's metrics (ignored when absolute)
 * and returns it in cycles. */
int rw_target_resolve(rw_target *t, const apnas_metrics *ref, double *cyc,
                      apnas_error *err);
/* The scale in cycles; an error while a reference is still unresolved. */
int rw_target_cycles(const rw_target *t, double *cyc, apnas_error *err);

/* Checks that m carries every metric in `needs` and that each is finite,
 * not negative, and (accuracy) at most 1. */
int rw_check_metrics(const apnas_metrics *m, uint32_t needs,
                     apnas_error *err);

#endif
