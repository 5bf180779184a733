/* Loads the controller and space plugins through the real host for the
 * controller suite, with options built from "key=value" settings. */
#ifndef CTL_HARNESS_H
#define CTL_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include <apnas/harness.h>
#include <apnas/plugin.h>

#include "host.h"

typedef struct cth {
	apnas_plugin_handle *h; /* owned: the SDK harness's handle */
	const apnas_opts *opts; /* owned by h */
	const void *ops;        /* owned by h */
	void *self;             /* the instance, owned by h */
} cth;

/* Loads $APNAS_PLUGIN_PATH/<kind>_<name>.so (failing the test if it cannot)
 * and creates an instance; returns create's or the options' status with
 * err filled, h->self NULL on failure. */
int cth_open(cth *h, apnas_kind kind, const char *name,
             const char *const *settings, size_t n,
             const apnas_decision *d, size_t nd, uint64_t seed,
             apnas_error *err);
void cth_close(cth *h);

static inline const apnas_controller_ops *cth_ctl(const cth *h)
{
	return h->ops;
}

static inline const apnas_space_ops *cth_space(const cth *h)
{
	return h->ops;
}

/* The toy space with the given settings; fails the test on error. */
void cth_toy(cth *h, const char *const *settings, size_t n,
             const apnas_decision **d, size_t *nd);

/* One fresh controller that must create; fails the test otherwise. */
void cth_controller(cth *h, const char *name, const char *const *settings,
                    size_t n, const apnas_decision *d, size_t nd,
                    uint64_t seed);

#endif
