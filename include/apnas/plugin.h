/* The apnas plugin ABI.
 *
 * A plugin is a shared object that exports exactly one symbol,
 * `apnas_plugin`, a const apnas_plugin_desc filled by APNAS_PLUGIN_DEFINE.
 * The descriptor names the plugin's kind, its option table and its ops
 * table.  Four kinds exist: search spaces, controllers, rewards and cost
 * models.
 *
 * Rules every plugin follows: it never prints, never calls exit(), keeps no
 * global mutable state (everything lives in the instance `self` that
 * create() returns), reports failures through the apnas_error it is given,
 * and copies any string it keeps.
 *
 * Versioning: the core loads a plugin whose abi_major equals its own and
 * whose abi_minor is not newer.  Within a major, structs only grow at their
 * end; each member says since which minor it exists, and the core checks
 * ops_size before calling a member added after 1.0.
 *
 * Ownership: pointers passed into an op are owned by the caller and valid
 * for the call only, unless the member's comment says otherwise. */
#ifndef APNAS_PLUGIN_H
#define APNAS_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "batch.h"
#include "error.h"
#include "net.h"
#include "options.h"
#include "version.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum apnas_kind {
	APNAS_KIND_SPACE = 1,
	APNAS_KIND_CONTROLLER = 2,
	APNAS_KIND_REWARD = 3,
	APNAS_KIND_COST = 4
} apnas_kind;

/* ---- decisions: how a search space describes its architectures ------- */

typedef enum apnas_decision_kind {
	APNAS_DECISION_OP = 1,  /* pick one of n_choices operations */
	APNAS_DECISION_SKIP = 2 /* one bit: connect layer skip_from into layer */
} apnas_decision_kind;

/* One token of an architecture.  An architecture is an int32_t array with
 * one entry per decision, each in 0 .. n_choices-1. */
typedef struct apnas_decision {
	apnas_decision_kind kind;
	int32_t n_choices; /* >= 2; 2 for SKIP */
	int32_t layer;     /* the layer this decision belongs to, 0-based */
	int32_t skip_from; /* SKIP: the earlier layer (< layer); -1 for OP */
} apnas_decision;

/* ---- what every create() receives ------------------------------------ */

typedef struct apnas_plugin_ctx {
	const apnas_opts *opts;   /* the plugin's resolved options; owned by the
	                             core, valid until destroy() */
	uint64_t seed;            /* the run seed; derive a private stream
	                             with apnas_rng_derive(seed, "<name>") */
	int32_t threads;          /* worker threads the plugin may use (>= 1) */
	const apnas_data_info *data;      /* SPACE: the data trained on; NULL
	                                     when nothing is trained (cost, arch
	                                     parsing); owned by the core */
	const apnas_decision *decisions;  /* CONTROLLER: the space's decisions,
	                                     owned by the core, valid until
	                                     destroy(); NULL for other kinds */
	size_t n_decisions;
} apnas_plugin_ctx;

/* Every ops table starts with these two members, so the core can create
 * and destroy any plugin the same way. */
#define APNAS_OPS_COMMON                                                     \
	/* Required.  Builds an instance from ctx into *self.  On failure,    \
	 * returns < 0 with err filled and leaves nothing allocated. */       \
	int (*create)(const apnas_plugin_ctx *ctx, void **self,              \
	              apnas_error *err);                                       \
	/* Required.  Frees everything create() and later ops allocated.      \
	 * self may be NULL. */                                                \
	void (*destroy)(void *self)

typedef struct apnas_common_ops {
	APNAS_OPS_COMMON;
} apnas_common_ops;

/* ---- search spaces ---------------------------------------------------- */

typedef struct apnas_step_ctx {
	int64_t step;        /* global optimiser step, from 0 */
	int32_t epoch;       /* from 0 */
	int32_t epochs;      /* planned epochs of this training */
	double epoch_pos;    /* epoch + fraction of it done: drives lr schedules */
} apnas_step_ctx;

typedef struct apnas_train_stats {
	double loss;         /* mean loss over the batch */
	int64_t correct;     /* correctly classified images of the batch */
} apnas_train_stats;

typedef struct apnas_space_ops {
	APNAS_OPS_COMMON; /* since 1.0 */

	/* Required (1.0).  The decisions of one architecture, in token order.
	 * The array is owned by the instance and stays valid until destroy. */
	int (*decisions)(void *self, const apnas_decision **d, size_t *n,
	                 apnas_error *err);

	/* Required (1.0).  The body of an architecture file: one line per
	 * layer, readable by a person.  *text is malloc()ed; the caller frees. */
	int (*format)(void *self, const int32_t *tok, char **text,
	              apnas_error *err);

	/* Required (1.0).  Parses what format() wrote (the core has already
	 * removed the header) into tok (n_decisions entries).  On error sets
	 * err->line to the 1-based line within text. */
	int (*parse)(void *self, const char *text, int32_t *tok,
	             apnas_error *err);

	/* Optional (1.0).  Fills tok with a named reference architecture
	 * ("all-conv3x3", ...), used for reward targets given as a fraction of
	 * a reference's cycles.  Unknown name: APNAS_EINVAL listing the names. */
	int (*named)(void *self, const char *name, int32_t *tok,
	             apnas_error *err);

	/* Required (1.0).  Appends to net (already initialised and empty) every
	 * layer the child network runs for tok, exactly as train_step on a
	 * fresh instance would build it. */
	int (*child_net)(void *self, const int32_t *tok, apnas_net *net,
	                 apnas_error *err);

	/* Optional (1.0), with evaluate, save and load: the weight-sharing
	 * supernet.  One optimiser step on the weights the architecture uses.
	 * A fresh instance trained on one fixed architecture is that
	 * architecture's child network trained from scratch (`apnas train`).
	 * A non-finite loss returns APNAS_ENUM and leaves weights untouched. */
	int (*train_step)(void *self, const int32_t *tok, const apnas_batch *b,
	                  const apnas_step_ctx *sc, apnas_train_stats *st,
	                  apnas_error *err);

	/* Optional (1.0), required with train_step.  Counts correct
	 * predictions; changes no weight and no batch-norm statistic. */
	int (*evaluate)(void *self, const int32_t *tok, const apnas_batch *b,
	                int64_t *correct, apnas_error *err);

	/* Optional (1.0), required with train_step.  Whole trainable state
	 * (weights, batch-norm statistics, optimiser state, private RNG
	 * streams) for checkpoints; load() reads what save() wrote, into an
	 * instance created with the same options. */
	int (*save)(void *self, FILE *f, apnas_error *err);
	int (*load)(void *self, FILE *f, apnas_error *err);

	/* Optional (1.0).  For spaces that need no data (toy objectives):
	 * the architecture's accuracy-like score in [0, 1], deterministic.
	 * The core uses it where train_step is NULL.  A space provides
	 * train_step or score. */
	int (*score)(void *self, const int32_t *tok, double *accuracy,
	             apnas_error *err);
} apnas_space_ops;

/* ---- controllers ------------------------------------------------------ */

typedef enum apnas_sample_purpose {
	APNAS_SAMPLE_TRAIN = 1,  /* for the shared-weight phase */
	APNAS_SAMPLE_EVAL = 2,   /* for the controller phase: will be update()d */
	APNAS_SAMPLE_DERIVE = 3  /* final candidates after the search */
} apnas_sample_purpose;

typedef struct apnas_sample_info {
	double log_prob; /* log pi(arch) under the controller; 0 if n/a */
	double entropy;  /* summed entropy of the sampling steps; 0 if n/a */
} apnas_sample_info;

typedef struct apnas_update_info {
	double loss;      /* the controller's loss for this update; 0 if n/a */
	double baseline;  /* the reward baseline after it; 0 if n/a */
} apnas_update_info;

typedef struct apnas_controller_ops {
	APNAS_OPS_COMMON; /* since 1.0; ctx->decisions is set */

	/* Required (1.0).  Writes one architecture (ctx->n_decisions tokens)
	 * into tok.  info may be NULL. */
	int (*sample)(void *self, apnas_sample_purpose purpose, int32_t *tok,
	              apnas_sample_info *info, apnas_error *err);

	/* Required (1.0).  Learns from n evaluated architectures: toks is
	 * n x n_decisions row-major, rewards has n entries, in the order they
	 * were sampled with APNAS_SAMPLE_EVAL.  info may be NULL. */
	int (*update)(void *self, const int32_t *toks, const double *rewards,
	              size_t n, apnas_update_info *info, apnas_error *err);

	/* Required (1.0).  Whole state (parameters, optimiser moments,
	 * baseline, population, RNG) so that load() into a fresh instance with
	 * the same options continues exactly as the original would have. */
	int (*save)(void *self, FILE *f, apnas_error *err);
	int (*load)(void *self, FILE *f, apnas_error *err);

	/* Required (1.0).  One line on the current state for logs, e.g.
	 * "entropy=12.3 baseline=0.81"; no newline.  Truncated to cap. */
	void (*describe)(void *self, char *buf, size_t cap);

	/* Optional (1.0).  The candidates to derive from instead of n fresh
	 * APNAS_SAMPLE_DERIVE samples (evolution: its population).  *toks is
	 * malloc()ed, *n x n_decisions; the caller frees. */
	int (*candidates)(void *self, int32_t **toks, size_t *n,
	                  apnas_error *err);
} apnas_controller_ops;

/* ---- rewards ---------------------------------------------------------- */

enum {
	APNAS_METRIC_ACCURACY = 1u << 0, /* in [0, 1] */
	APNAS_METRIC_CYCLES = 1u << 1,   /* total cycles from the cost model */
	APNAS_METRIC_MACS = 1u << 2,
	APNAS_METRIC_PARAMS = 1u << 3,
	APNAS_METRIC_UTIL = 1u << 4      /* overall utilization, percent */
};

typedef struct apnas_metrics {
	uint32_t have;       /* APNAS_METRIC_* bits the core filled in */
	double accuracy;
	double cycles;
	double macs;
	double params;
	double utilization;
} apnas_metrics;

typedef struct apnas_reward_ops {
	APNAS_OPS_COMMON; /* since 1.0 */

	/* Required (1.0).  The APNAS_METRIC_* bits reward() reads. */
	uint32_t (*needs)(void *self);

	/* Required (1.0).  The scalar reward for one architecture. */
	int (*reward)(void *self, const apnas_metrics *m, double *r,
	              apnas_error *err);

	/* Optional (1.0), with resolve.  The reference architecture whose
	 * metrics resolve() needs ("all-conv3x3"), or NULL when the target is
	 * absolute.  The string is owned by the instance. */
	const char *(*reference)(void *self);

	/* Optional (1.0).  Given the reference's metrics, fixes the target
	 * once and returns it in cycles (written to the resolved config). */
	int (*resolve)(void *self, const apnas_metrics *ref, double *target,
	               apnas_error *err);
} apnas_reward_ops;

/* ---- cost models ------------------------------------------------------ */

typedef struct apnas_layer_cost {
	uint64_t cycles;        /* 0 for layers that do not use the array */
	uint64_t macs;
	double mapping_eff;     /* percent, as SCALE-Sim reports it; 0 if n/a */
	double utilization;     /* percent, as SCALE-Sim reports it; 0 if n/a */
} apnas_layer_cost;

typedef struct apnas_cost_ops {
	APNAS_OPS_COMMON; /* since 1.0 */

	/* Required (1.0).  Costs a whole network: *total gets the sums (its
	 * utilization is the overall one: all MACs over cycles x PEs) and, if
	 * per_layer is not NULL, per_layer[i] gets layer i's figures
	 * (net->n entries, owned by the caller). */
	int (*cost)(void *self, const apnas_net *net, apnas_layer_cost *total,
	            apnas_layer_cost *per_layer, apnas_error *err);
} apnas_cost_ops;

/* ---- the descriptor --------------------------------------------------- */

typedef struct apnas_plugin_desc {
	uint32_t abi_major;     /* APNAS_ABI_MAJOR at build time */
	uint32_t abi_minor;     /* APNAS_ABI_MINOR at build time */
	uint32_t struct_size;   /* sizeof(apnas_plugin_desc) at build time */
	apnas_kind kind;
	const char *name;       /* [a-z0-9_]+, unique per kind */
	const char *version;    /* the plugin's own version, free form */
	const char *summary;    /* one line, no trailing period needed */
	const apnas_option *options; /* ended by {NULL}; may be NULL: none */
	const void *ops;        /* the kind's ops table */
	uint32_t ops_size;      /* sizeof that table at build time */
} apnas_plugin_desc;

#define APNAS_PLUGIN_SYMBOL "apnas_plugin"

#if defined(__GNUC__)
#define APNAS_EXPORT __attribute__((visibility("default")))
#else
#define APNAS_EXPORT
#endif

/* Defines the one exported descriptor.  `ops` is the address of a const
 * ops table of the kind's type; `options` an option table or NULL. */
#define APNAS_PLUGIN_DEFINE(kind_, name_, version_, summary_, options_,   \
                            ops_)                                          \
	APNAS_EXPORT extern const apnas_plugin_desc apnas_plugin;          \
	APNAS_EXPORT const apnas_plugin_desc apnas_plugin = {              \
		APNAS_ABI_MAJOR, APNAS_ABI_MINOR,                          \
		(uint32_t)sizeof(apnas_plugin_desc), (kind_), (name_),     \
		(version_), (summary_), (options_), (ops_),                \
		(uint32_t)sizeof(*(ops_))}

const char *apnas_kind_name(apnas_kind k); /* "space", "controller", ... */

#ifdef __cplusplus
}
#endif
#endif
