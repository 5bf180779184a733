/* The memory limit (`run.memory_limit`, docs/limits.md): before a large
 * allocation (a dataset's images, the network's weights, a graph's
 * activations, a batcher's buffers) the part estimates it and asks here;
 * an estimate over the limit is refused as bad input (exit 2) with the
 * estimate, the limit and the key that raises it, before anything is
 * allocated.  One limit for the process, set by the command from its
 * config like the engine's thread count (apnas_nn_set_threads); never
 * set, there is none (embedders, unit tests).  Internal to libapnas. */
#ifndef APNAS_CORE_MEMCAP_H
#define APNAS_CORE_MEMCAP_H

#include <stdint.h>

#include <apnas/error.h>

/* The config key that sets the limit, for messages. */
#define APNAS_MEMCAP_KEY "run.memory_limit"

/* Sets the limit in MiB; 0: none. */
void apnas_memcap_set_mib(int64_t mib);
/* The limit in bytes; 0: none. */
uint64_t apnas_memcap_bytes(void);

/* 0 when `bytes` fit the limit; else APNAS_EINVAL and one line: "<what>:
 * an estimated N MiB, over the memory limit of M MiB (run.memory_limit
 * raises it; 0 = none)". */
int apnas_memcap_check(uint64_t bytes, const char *what, apnas_error *err);

/* a * b, or UINT64_MAX when it overflows: estimates saturate. */
uint64_t apnas_memcap_mul(uint64_t a, uint64_t b);

#endif
