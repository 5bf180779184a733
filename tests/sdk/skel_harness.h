/* Test harness for the skeleton plugins: opens build/plugins/<kind>_
 * skeleton.so with dlopen itself (so these tests check the templates, not
 * the host), resolves options through the real option code and creates an
 * instance, as a third party's copy would be used. */
#ifndef APNAS_TEST_SKEL_HARNESS_H
#define APNAS_TEST_SKEL_HARNESS_H

#include <stddef.h>

#include <apnas/harness.h>
#include <apnas/plugin.h>

#include "metrics/metrics.h"

typedef struct skel {
	void *handle;                 /* skel_load's dlopen handle; owned */
	apnas_plugin_handle *h;       /* skel_open's SDK handle; owned */
	const apnas_plugin_desc *desc; /* points into the loaded object */
	const apnas_opts *opts;       /* owned by h; NULL if refused */
	void *self;                   /* owned by h; NULL if refused */
} skel;

/* Loads <kind>_skeleton.so from $APNAS_PLUGIN_PATH (failing the test if it
 * cannot) without creating an instance. */
void skel_load(skel *p, apnas_kind kind);

/* skel_load, then resolves `settings` ("key=value") and calls create()
 * with ctx (opts filled in here; NULL ctx: seed 1, one thread, nothing
 * else).  Returns the options' or create()'s code with err filled. */
int skel_open(skel *p, apnas_kind kind, const char *const *settings,
              size_t n, const apnas_plugin_ctx *ctx, apnas_error *err);

/* Like skel_open but fails the test on any error. */
void skel_open_ok(skel *p, apnas_kind kind, const char *const *settings,
                  size_t n, const apnas_plugin_ctx *ctx);

/* Destroys the instance, frees the options, closes the object. */
void skel_close(skel *p);

/* The run's metric list as the core builds it (apnas_metricset_init) for
 * a run whose cost model is `cost`, an opened skel of kind COST that must
 * stay open while ms is used; fails the test if the core refuses the
 * model's declarations.  Free with apnas_metricset_free. */
void skel_metrics(const skel *cost, apnas_metricset *ms);

/* Asserts that err holds a failure: one non-empty line mentioning word. */
void skel_assert_error(const apnas_error *err, const char *word);

#define SKEL_SET(...) \
	(const char *const[]){ __VA_ARGS__ }, \
	sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *)
#define SKEL_NONE NULL, 0

#endif
