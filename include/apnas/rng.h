/* A small, fast, deterministic random stream (xoshiro256**, seeded through
 * splitmix64).
 *
 * Each part of a run (data shuffling, augmentation, the supernet's
 * architecture sampling and dropout, each controller) owns its own stream,
 * derived from the run seed and a fixed stream name with apnas_rng_derive(),
 * so that swapping one plugin never changes another part's numbers.  The
 * state is four words: saving and restoring it in a checkpoint is a memcpy. */
#ifndef APNAS_RNG_H
#define APNAS_RNG_H

#include "api.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct apnas_rng {
	uint64_t s[4]; /* owned by the holder; never all zero */
} apnas_rng;

/* Seeds from one 64-bit value. */
APNAS_API void apnas_rng_seed(apnas_rng *r, uint64_t seed);
/* Seeds from a run seed and a stream name ("data", "controller", ...). */
APNAS_API void apnas_rng_derive(apnas_rng *r, uint64_t seed, const char *stream);
APNAS_API uint64_t apnas_rng_u64(apnas_rng *r);
/* Uniform in [0, n) without modulo bias; n > 0. */
APNAS_API uint64_t apnas_rng_below(apnas_rng *r, uint64_t n);
/* Uniform in [0, 1) with 53 bits. */
APNAS_API double apnas_rng_uniform(apnas_rng *r);
/* Uniform float in [0, 1) with 24 bits. */
APNAS_API float apnas_rng_uniformf(apnas_rng *r);
/* Standard normal (Box-Muller, no cached second value, so the state alone
 * is the whole state). */
APNAS_API double apnas_rng_normal(apnas_rng *r);

#ifdef __cplusplus
}
#endif
#endif
