/* Test harness for the reward plugins: loads build/plugins/reward_<name>.so
 * through the real plugin host, resolves options through the real option
 * code, and creates an instance, so the tests see what `apnas search`
 * sees. */
#ifndef APNAS_TEST_REWARD_HARNESS_H
#define APNAS_TEST_REWARD_HARNESS_H

#include <stddef.h>

#include <apnas/plugin.h>

#include "host.h"

/* Exits 77 (skip) with a loud message when the tests are not run through
 * `meson test`, which points APNAS_PLUGIN_PATH at the built plugins. */
void rwh_require_env(void);

typedef struct rwh {
	apnas_loaded lib;             /* owned */
	apnas_opts *opts;             /* owned; NULL if options were refused */
	const apnas_reward_ops *ops;  /* points into lib */
	void *self;                   /* owned; NULL if create() failed */
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

/* A record with accuracy and cycles filled and every other metric NaN, so
 * that a reward reading more than it declared shows. */
apnas_metrics rwh_metrics(double accuracy, double cycles);

/* Calls reward() and aborts the test if it fails. */
double rwh_reward(rwh *h, double accuracy, double cycles);

/* Asserts that err holds one non-empty line mentioning `word`. */
void rwh_assert_msg(const apnas_error *err, const char *word);

#endif
