/* Shared by the reward plugins (compiled into each one, hidden): finding
 * the metrics a reward's options name in the run's metric list, the
 * target or scale that is either absolute or a fraction of a reference
 * architecture's value, and the checks every reward makes on a value
 * before it trusts it.  Not part of the plugin ABI. */
#ifndef APNAS_REWARD_COMMON_H
#define APNAS_REWARD_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <apnas/plugin.h>

/* A cost metric a reward reads and the scale it is measured against
 * (mnas/penalty `target`, one of linear's `scales`), as configured and as
 * resolved.  Owned by the plugin instance that embeds it. */
typedef struct rw_target {
	const char *key;   /* option key it came from; a string literal */
	size_t metric;     /* index into the value vector */
	const char *name;  /* the metric's name; owned by ctx->metrics */
	double value;      /* as configured: in the metric's unit, or a
	                      fraction of the reference's value */
	const char *reference; /* the reference name or NULL when absolute;
	                          owned by the rw_metrics that holds it */
	double scale;      /* in the metric's unit; 0 until resolved */
} rw_target;

/* Upper bound on a fraction of the reference: a budget ten times the
 * reference is already no constraint for any space we ship, so more is
 * almost certainly a value typed where a fraction was meant. */
#define RW_MAX_FRACTION 10.0

/* The option-table entries of one metric and its target (`key_`). */
#define RW_METRIC_OPTION                                                   \
	{ "metric", APNAS_OPT_STRING, "\"cycles\"", 1, 0, NULL,            \
	  "the cost metric traded against accuracy: any metric of the "    \
	  "cost model where lower is better (`apnas plugins` lists them)", 0 }
#define RW_TARGET_OPTION                                                   \
	{ "target", APNAS_OPT_FLOAT, NULL, 1, 0, NULL,                     \
	  "target T: in the metric's unit (e.g. 2e6 cycles), or with "     \
	  "reference a fraction of the reference's value in (0, 10]", 0 }
#define RW_REFERENCE_OPTION(what_)                                         \
	{ "reference", APNAS_OPT_STRING, "\"\"", 1, 0, NULL,               \
	  "named architecture of the search space (e.g. \"all-conv3x3\") "  \
	  "whose metric " what_ " a fraction of; empty: " what_            \
	  " in the metric's unit", 0 }

/* The accuracy position and the run's metric list, from create()'s ctx. */
typedef struct rw_metrics {
	const apnas_metric_decl *decl; /* ctx->metrics; owned by the core */
	size_t n;
	size_t accuracy;               /* index of "accuracy" */
	char *reference;               /* owned copy of `reference`, or NULL */
} rw_metrics;

/* Finds accuracy and copies reference (NULL or "" when none). */
int rw_metrics_init(rw_metrics *m, const apnas_plugin_ctx *ctx,
                    const char *reference, apnas_error *err);
void rw_metrics_free(rw_metrics *m);

/* Fills t for metric `name` (refused unless the run has it with a network
 * value and lower is better; the message lists those it has) with scale
 * `value` from option `key` (a fraction in (0, 10] when m has a
 * reference, else a value > 0 in the metric's unit). */
int rw_target_init(rw_target *t, const rw_metrics *m, const char *name,
                   const char *key, double value, apnas_error *err);
/* Fixes the scale from the reference's values (ignored when absolute). */
int rw_target_resolve(rw_target *t, const double *ref, apnas_error *err);
/* The scale; an error while a reference is still unresolved. */
int rw_target_scale(const rw_target *t, double *scale, apnas_error *err);
/* The metric's value in v, checked finite and >= 0. */
int rw_value(const rw_target *t, const double *v, double *x,
             apnas_error *err);
/* The accuracy in v, checked to be a fraction in [0, 1]. */
int rw_accuracy(const rw_metrics *m, const double *v, double *acc,
                apnas_error *err);

/* A reward on one metric against one target (mnas, penalty): its options
 * `metric`, `target`, `reference`.  Put it first in the instance, so the
 * instance pointer is one of these for the three ops below. */
typedef struct rw_single {
	rw_metrics m;      /* owned */
	rw_target target;  /* the metric and T */
} rw_single;

int rw_single_init(rw_single *s, const apnas_plugin_ctx *ctx,
                   apnas_error *err);
void rw_single_free(rw_single *s);
/* Reads accuracy, the metric and T from v for reward(). */
int rw_single_values(const rw_single *s, const double *v, double *acc,
                     double *x, double *t, apnas_error *err);
/* Ops of a reward whose instance starts with an rw_single. */
size_t rw_single_front(void *self);
const char *rw_single_reference(void *self);
int rw_single_resolve(void *self, const double *ref, double *target,
                      apnas_error *err);

/* The front metric of a reward that reads no cost: cycles when the run
 * has them, else macs. */
size_t rw_default_front(const rw_metrics *m);

#endif
