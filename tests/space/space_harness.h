/* Shared helpers of the `space` suite: loading enas_macro through the
 * real plugin host with settings, and small synthetic data. */
#ifndef SPACE_HARNESS_H
#define SPACE_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include <apnas/data.h>
#include <apnas/harness.h>
#include <apnas/plugin.h>

#include "host.h"

typedef struct sp {
	apnas_plugin_handle *h;      /* owned: the SDK harness's handle */
	const apnas_plugin_desc *desc; /* owned by h */
	const apnas_space_ops *ops;  /* owned by h */
	const apnas_opts *opts;      /* owned by h */
	void *self;                  /* owned by h */
	const apnas_decision *dec; /* owned by the instance */
	size_t nd;
} sp;

/* Loads `name` (a space) and creates it from "key=value" settings (NULL
 * ended), with data (may be NULL), seed and threads.  Fails the test on
 * any error. */
void sp_open(sp *s, const char *name, const char *const *settings,
             const apnas_data_info *data, uint64_t seed, int threads);
/* The same, returning the error instead of failing. */
int sp_try_open(sp *s, const char *name, const char *const *settings,
                const apnas_data_info *data, uint64_t seed, int threads,
                apnas_error *err);
void sp_close(sp *s);

/* Random valid tokens for s. */
void sp_random_tok(const sp *s, uint64_t *state, int32_t *tok);

/* save() into a malloc()ed buffer. */
unsigned char *sp_save(sp *s, size_t *len);

/* A small synthetic dataset (c x hw x hw, `classes`, n training images). */
apnas_dataset *sp_synthetic(int c, int hw, int classes, int n);

/* A fresh temporary directory (malloc()ed path). */
char *sp_tempdir(void);
void sp_rmtree(const char *path);

#endif
