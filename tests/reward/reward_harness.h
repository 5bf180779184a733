/* Test harness for the reward plugins: loads build/plugins/reward_<name>.so
 * through the real plugin host, resolves options through the real option
 * code, and creates an instance with the metric list a search with the
 * default cost model hands it (the core's apnas_metricset over
 * cost_systolic: accuracy, macs, params, cycles, mapping_efficiency,
 * utilization), so the tests see what `apnas search` sees. */
#ifndef APNAS_TEST_REWARD_HARNESS_H
#define APNAS_TEST_REWARD_HARNESS_H

#include <stddef.h>

#include <apnas/harness.h>
#include <apnas/plugin.h>

#include "host.h"
#include "metrics/metrics.h"

/* Exits 77 (skip) with a loud message when the tests are not run through
 * `meson test`, which points APNAS_PLUGIN_PATH at the built plugins. */
void rwh_require_env(void);

typedef struct rwh {
	apnas_plugin_handle *h;       /* owned: the reward, NULL if refused */
	const apnas_plugin_desc *desc; /* the reward's; owned by the host */
	const apnas_reward_ops *ops;  /* owned by h */
	void *self;                   /* owned by h; NULL if refused */
	apnas_plugin_handle *cost;    /* owned: cost_systolic, defaults */
	struct {
		apnas_metric_decl *decl; /* owned: the run's metrics (ctx) */
		size_t n;
	} ms;
} rwh;

/* Loads reward_<name>.so (a failure to load aborts the test) and creates
 * an instance from settings ("key=value").  Returns the options' or
 * create()'s code with err filled; h is always safe to rwh_close. */
int rwh_open(rwh *h, const char *name, const char *const *settings,
             size_t n, apnas_error *err);
void rwh_close(rwh *h);

#define RWH_SETTINGS(...) \
	(const char *const[]){ __VA_ARGS__ }, \
	sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *)

/* More than the run's metrics with cost_systolic. */
#define RWH_MAX (3 + APNAS_METRICS_MAX)

/* A value vector in the run's layout. */
typedef struct rwh_vec {
	double v[RWH_MAX];
} rwh_vec;

/* The index of metric `name` in h's metric list; fails the test if the
 * run lacks it. */
size_t rwh_index(const rwh *h, const char *name);

/* A vector with accuracy and cycles filled and every other metric NaN, so
 * that a reward reading a metric it was not configured with shows. */
rwh_vec rwh_vec_of(const rwh *h, double accuracy, double cycles);
/* Sets metric `name` in v. */
void rwh_set(const rwh *h, rwh_vec *v, const char *name, double x);

/* Calls reward() and fails the test if it fails or is not finite. */
double rwh_reward_vec(rwh *h, const rwh_vec *v);
/* The same on rwh_vec_of(h, accuracy, cycles). */
double rwh_reward(rwh *h, double accuracy, double cycles);

/* Asserts that err holds one non-empty line mentioning `word`. */
void rwh_assert_msg(const apnas_error *err, const char *word);

#endif
