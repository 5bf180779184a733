/* A synthetic, learnable image set for tests and quick runs.  Internal to
 * core/data. */
#ifndef APNAS_DATA_SYNTHETIC_H
#define APNAS_DATA_SYNTHETIC_H

#include "raw.h"

typedef struct apnas_synthetic_spec {
	int64_t n;         /* images */
	int32_t classes;   /* >= 2 */
	int32_t c, h, w;
	double noise;      /* noise std relative to the patterns' amplitude */
	uint64_t seed;     /* the data's seed: same seed, same images */
	const char *part;  /* "train" or "test": each its own stream, the
	                      same class patterns */
} apnas_synthetic_spec;

/* Image i has label i % classes and shows that class's pattern (a coarse
 * grid of random levels per channel, so it survives small shifts) plus
 * Gaussian noise.  Refuses bad dimensions. */
int apnas_synthetic_make(const apnas_synthetic_spec *s, apnas_raw *out,
                         apnas_error *err);

#endif
