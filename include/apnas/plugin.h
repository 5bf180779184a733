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
 * Versioning (docs/plugin-authoring.md, "ABI rules"): the core loads a
 * plugin whose abi_major equals its own and whose abi_minor is not newer.
 * Within a major, an ops table or the descriptor only grows at its end,
 * and each member says since which minor it exists.  The core knows the
 * size each table had at every minor (apnas_abi_ops_size) and accepts a
 * table at least as large as its plugin's minor requires; before calling
 * a member added after that minor it asks APNAS_HAS_OP.  Structs that
 * plugins or the core index as arrays (apnas_decision, apnas_layer,
 * apnas_metric_decl, apnas_option) and the value vectors never change
 * within a major.
 *
 * Ownership: pointers passed into an op are owned by the caller and valid
 * for the call only, unless the member's comment says otherwise. */
#ifndef APNAS_PLUGIN_H
#define APNAS_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "api.h"
#include "batch.h"
#include "collective.h"
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
	APNAS_DECISION_OP = 1,    /* pick one of n_choices operations */
	APNAS_DECISION_SKIP = 2,  /* one bit: connect layer skip_from into layer */
	APNAS_DECISION_CHOICE = 3 /* since 2.2: one of n_choices, tied to no
	                             layer (a cost model's hardware decision,
	                             apnas_hw_decision); comes after every OP
	                             and SKIP decision.  A controller built for
	                             2.0 or 2.1 is shown these as OP decisions
	                             of layers past the last one. */
} apnas_decision_kind;

/* One token of an architecture.  An architecture is an int32_t array with
 * one entry per decision, each in 0 .. n_choices-1. */
typedef struct apnas_decision {
	apnas_decision_kind kind;
	int32_t n_choices; /* >= 2; 2 for SKIP */
	int32_t layer;     /* the layer this decision belongs to, 0-based;
	                      -1 for CHOICE */
	int32_t skip_from; /* SKIP: the earlier layer (< layer); -1 for OP
	                      and CHOICE */
} apnas_decision;

/* ---- what every create() receives ------------------------------------ */

typedef struct apnas_plugin_ctx {
	const apnas_opts *opts;   /* the plugin's resolved options; owned by the
	                             core, valid until destroy() */
	uint64_t seed;            /* the run seed; derive a private stream
	                             with apnas_rng_derive(seed, "<name>") */
	int32_t threads;          /* worker threads the plugin may use (>= 1) */
	const apnas_data_info *data;      /* SPACE: the data trained on; NULL
	                                     when nothing is trained (arch
	                                     parsing), or with train_n == 0 the
	                                     geometry alone (costing): build no
	                                     weights then; owned by the core */
	const apnas_decision *decisions;  /* CONTROLLER: the space's decisions,
	                                     owned by the core, valid until
	                                     destroy(); NULL for other kinds */
	size_t n_decisions;
	const struct apnas_metric_decl *metrics; /* REWARD: every metric of the
	                                     run in value-vector order (see
	                                     apnas_reward_ops); owned by the
	                                     core, valid until destroy(); NULL
	                                     for other kinds */
	size_t n_metrics;
	const struct apnas_collective *coll; /* since 2.2.  SPACE: the ranks
	                                     of a data-parallel run
	                                     (<apnas/collective.h>): train
	                                     on each rank's share and sum
	                                     the gradients with it; NULL
	                                     when the process runs alone and
	                                     for other kinds; owned by the
	                                     core, valid until destroy() */
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
	APNAS_OPS_COMMON; /* since 2.0 */

	/* Required (2.0).  The decisions of one architecture, in token order.
	 * The array is owned by the instance and stays valid until destroy. */
	int (*decisions)(void *self, const apnas_decision **d, size_t *n,
	                 apnas_error *err);

	/* Required (2.0).  The body of an architecture file: one line per
	 * layer, readable by a person.  *text is malloc()ed; the caller frees. */
	int (*format)(void *self, const int32_t *tok, char **text,
	              apnas_error *err);

	/* Required (2.0).  Parses what format() wrote (the core has already
	 * removed the header) into tok (n_decisions entries).  On error sets
	 * err->line to the 1-based line within text. */
	int (*parse)(void *self, const char *text, int32_t *tok,
	             apnas_error *err);

	/* Optional (2.0).  Fills tok with a named reference architecture
	 * ("all-conv3x3", ...), used for reward targets given as a fraction of
	 * a reference's cycles.  Unknown name: APNAS_EINVAL listing the names. */
	int (*named)(void *self, const char *name, int32_t *tok,
	             apnas_error *err);

	/* Required (2.0).  Appends to net (already initialised and empty) every
	 * layer the child network runs for tok, exactly as train_step on a
	 * fresh instance would build it. */
	int (*child_net)(void *self, const int32_t *tok, apnas_net *net,
	                 apnas_error *err);

	/* Optional (2.0), with evaluate, save and load: the weight-sharing
	 * supernet.  One optimiser step on the weights the architecture uses.
	 * A fresh instance trained on one fixed architecture is that
	 * architecture's child network trained from scratch (`apnas train`).
	 * A non-finite loss returns APNAS_ENUM and leaves weights untouched. */
	int (*train_step)(void *self, const int32_t *tok, const apnas_batch *b,
	                  const apnas_step_ctx *sc, apnas_train_stats *st,
	                  apnas_error *err);

	/* Optional (2.0), required with train_step.  Counts correct
	 * predictions; changes no weight and no batch-norm statistic. */
	int (*evaluate)(void *self, const int32_t *tok, const apnas_batch *b,
	                int64_t *correct, apnas_error *err);

	/* Optional (2.0), required with train_step.  Whole trainable state
	 * (weights, batch-norm statistics, optimiser state, private RNG
	 * streams) for checkpoints; load() reads what save() wrote, into an
	 * instance created with the same options. */
	int (*save)(void *self, FILE *f, apnas_error *err);
	int (*load)(void *self, FILE *f, apnas_error *err);

	/* Optional (2.0).  For spaces that need no data (toy objectives):
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
	APNAS_OPS_COMMON; /* since 2.0; ctx->decisions is set */

	/* Required (2.0).  Writes one architecture (ctx->n_decisions tokens)
	 * into tok.  info may be NULL. */
	int (*sample)(void *self, apnas_sample_purpose purpose, int32_t *tok,
	              apnas_sample_info *info, apnas_error *err);

	/* Required (2.0).  Learns from n evaluated architectures: toks is
	 * n x n_decisions row-major, rewards has n entries, in the order they
	 * were sampled with APNAS_SAMPLE_EVAL.  info may be NULL. */
	int (*update)(void *self, const int32_t *toks, const double *rewards,
	              size_t n, apnas_update_info *info, apnas_error *err);

	/* Required (2.0).  Whole state (parameters, optimiser moments,
	 * baseline, population, RNG) so that load() into a fresh instance with
	 * the same options continues exactly as the original would have. */
	int (*save)(void *self, FILE *f, apnas_error *err);
	int (*load)(void *self, FILE *f, apnas_error *err);

	/* Required (2.0).  One line on the current state for logs, e.g.
	 * "entropy=12.3 baseline=0.81"; no newline.  Truncated to cap. */
	void (*describe)(void *self, char *buf, size_t cap);

	/* Optional (2.0).  The candidates to derive from instead of n fresh
	 * APNAS_SAMPLE_DERIVE samples (evolution: its population).  *toks is
	 * malloc()ed, *n x n_decisions; the caller frees. */
	int (*candidates)(void *self, int32_t **toks, size_t *n,
	                  apnas_error *err);
} apnas_controller_ops;

/* ---- metrics: what a cost model measures ---------------------------- */

/* Which way a metric is good.  Rewards that trade accuracy against a cost
 * (mnas, linear, penalty) accept only APNAS_GOAL_MIN metrics. */
typedef enum apnas_metric_goal {
	APNAS_GOAL_NONE = 0, /* descriptive: neither direction is better */
	APNAS_GOAL_MIN = 1,  /* lower is better (cycles, energy, area) */
	APNAS_GOAL_MAX = 2   /* higher is better (accuracy, utilization) */
} apnas_metric_goal;

/* Where a metric has a value. */
typedef enum apnas_metric_scope {
	APNAS_SCOPE_LAYER = 1, /* per layer only (no network value) */
	APNAS_SCOPE_NET = 2,   /* for the whole network only */
	APNAS_SCOPE_BOTH = 3   /* per layer and for the network */
} apnas_metric_scope;

/* How a BOTH metric's network value is formed from its layers'. */
typedef enum apnas_metric_total {
	APNAS_TOTAL_NONE = 0,  /* LAYER metrics: no network value */
	APNAS_TOTAL_SUM = 1,   /* the core sums the layers' values */
	APNAS_TOTAL_MAX = 2,   /* the core takes the largest layer's value */
	APNAS_TOTAL_MODEL = 3  /* the plugin computes it (NET metrics too) */
} apnas_metric_total;

/* One metric a cost model declares.  A plugin returns an array of these
 * ended by an entry with name == NULL; the core copies what it keeps.
 * Indexed as an array by the core: this struct never grows within a
 * major version.  The core provides three metrics of its own before the
 * cost model's (accuracy, macs, params); a cost model may not declare
 * those names. */
typedef struct apnas_metric_decl {
	const char *name;  /* [a-z0-9_]+, at most APNAS_METRIC_NAME_MAX
	                      characters, unique within the cost model */
	const char *unit;  /* "cycles", "pJ", "%", "mm^2"; "" when unitless */
	const char *help;  /* one line for `apnas plugins` and the docs */
	apnas_metric_goal goal;
	apnas_metric_scope scope;
	apnas_metric_total total; /* NONE for LAYER, MODEL for NET */
} apnas_metric_decl;

#define APNAS_METRIC_NAME_MAX 31
/* A cost model declares at most this many metrics. */
#define APNAS_METRICS_MAX 64

/* ---- rewards ---------------------------------------------------------- */

/* A reward reads metrics by position in a value vector.  ctx->metrics
 * (given to create()) lists every metric of the run in vector order:
 * first "accuracy" (a fraction in [0, 1], higher is better), "macs" and
 * "params" (from the network description), then each metric of the
 * configured cost model in its declaration order.  A reward looks up the
 * names its options give at create() and refuses an unknown name there,
 * listing the names ctx->metrics holds (apnas_metric_find helps). */
typedef struct apnas_reward_ops {
	APNAS_OPS_COMMON; /* since 2.0; ctx->metrics is set */

	/* Required (2.0).  The scalar reward of one architecture from its
	 * metric values (ctx->n_metrics entries, every one finite). */
	int (*reward)(void *self, const double *values, double *r,
	              apnas_error *err);

	/* Required (2.0).  The cost the reward trades accuracy against, as
	 * an index into ctx->metrics: the x axis of the run's Pareto front.
	 * A reward of accuracy alone returns the index of "cycles" when the
	 * cost model has it, else of "macs". */
	size_t (*front_metric)(void *self);

	/* Optional (2.0), with resolve.  The reference architecture whose
	 * metrics resolve() needs ("all-conv3x3"), or NULL when the target is
	 * absolute.  The string is owned by the instance. */
	const char *(*reference)(void *self);

	/* Optional (2.0).  Given the reference's metric values (same layout
	 * as reward()'s), fixes the target once and returns it in the unit of
	 * the front metric (the core records it in the resolved config). */
	int (*resolve)(void *self, const double *ref_values, double *target,
	               apnas_error *err);
} apnas_reward_ops;

/* The index of metric `name` in list (n entries), or -1. */
APNAS_API long apnas_metric_find(const apnas_metric_decl *list, size_t n,
                       const char *name);

/* ---- cost models ------------------------------------------------------ */

/* One hardware decision of a cost model that searches its hardware with
 * the network (co-search, since 2.2).  The core appends one CHOICE token
 * per decision with n_choices >= 2 after the space's decisions, so every
 * controller searches the joint list; a decision with one choice is fixed
 * and takes no token.  To cost an architecture, the core creates an
 * instance of the same plugin with the chosen choices' settings applied
 * over the configured options and calls its cost().  Indexed as an array:
 * never grows within a major. */
typedef struct apnas_hw_decision {
	const char *name;            /* [a-z0-9_]+, unique: "shape" */
	int32_t n_choices;           /* >= 1 */
	const char *const *labels;   /* n_choices short labels for people and
	                                reports ("16x16", "ws"), unique */
	const char *const *settings; /* n_choices "key = value; key = value"
	                                over the plugin's own options, values
	                                written as in a config file without
	                                ';' ("rows = 16; cols = 16") */
} apnas_hw_decision;

/* A cost model searches at most this many hardware decisions, of at most
 * this many choices each, and the product of their choices is at most
 * APNAS_HW_COMBOS_MAX (the core keeps one instance per combination it
 * meets). */
#define APNAS_HW_DECISIONS_MAX 16
#define APNAS_HW_CHOICES_MAX 4096
#define APNAS_HW_COMBOS_MAX 1048576

typedef struct apnas_cost_ops {
	APNAS_OPS_COMMON; /* since 2.0 */

	/* Required (2.0).  The metrics this instance produces, ended by an
	 * entry with name == NULL (at most APNAS_METRICS_MAX).  Static or
	 * owned by the instance; valid until destroy().  The list may depend
	 * on the options but never changes after create(). */
	const apnas_metric_decl *(*metrics)(void *self);

	/* Required (2.0).  Costs a whole network.  Both arrays are owned by
	 * the caller and come filled with NaN:
	 *  - layer_values: net->n rows of n values (n = the number of
	 *    declared metrics), row-major: the plugin writes the value of
	 *    every LAYER and BOTH metric of every layer;
	 *  - net_values: n values: the plugin writes every metric whose total
	 *    is MODEL (NET metrics included); the core then forms SUM and MAX
	 *    totals from layer_values.
	 * A value the plugin must write and leaves NaN, or writes infinite
	 * or negative, is an error the core reports naming the metric. */
	int (*cost)(void *self, const apnas_net *net, double *net_values,
	            double *layer_values, apnas_error *err);

	/* Optional (2.1).  One line naming the hardware this instance models
	 * ("32x32 os"), for reports and `apnas train`; no newline, truncated
	 * to cap.  Absent: the core shows the resolved options instead. */
	void (*describe)(void *self, char *buf, size_t cap);

	/* Optional (2.2).  The hardware decisions of a co-search, ended by
	 * an entry with name == NULL; NULL or an empty list when the options
	 * ask for none.  Owned by the instance or static; valid until
	 * destroy().  Every choice must be a hardware the options' budgets
	 * allow: the core applies them without checking budgets.  An
	 * instance created with a choice's settings must declare the same
	 * metrics as this one. */
	const apnas_hw_decision *(*hw_decisions)(void *self);
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

/* The size of `kind`'s ops table at ABI minor `minor` of this major (0 for
 * an unknown kind or a minor newer than the core's).  The loader refuses a
 * table smaller than its plugin's minor needs. */
APNAS_API size_t apnas_abi_ops_size(apnas_kind kind, uint32_t minor);

/* Whether ops table `ops` (of struct type `type`, `size` bytes as its
 * descriptor's ops_size says) holds member `member` and sets it: the one
 * test the core makes before calling a member newer than x.0. */
#define APNAS_HAS_OP(type, ops, size, member)                               \
	(offsetof(type, member) + sizeof(((const type *)0)->member) <=      \
	         (size) &&                                                  \
	 ((const type *)(ops))->member != NULL)

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

APNAS_API const char *apnas_kind_name(apnas_kind k); /* "space", "controller", ... */

#ifdef __cplusplus
}
#endif
#endif
