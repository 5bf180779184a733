/* Data-parallel training: what a search space needs from the ranks of an
 * MPI job (since ABI 2.2).
 *
 * Under `mpirun -np N apnas search|train`, the core gives a space's
 * create() a collective in apnas_plugin_ctx.coll (NULL when the process
 * runs alone) and hands train_step and evaluate this rank's share of
 * every batch: images [a, b) of the global batch, a contiguous slice
 * (apnas_coll_share).  A space that trains takes part by making each
 * step a data-parallel one:
 *
 *   - batch statistics (batch norm) over the whole global batch,
 *   - the loss a mean over the global batch, the loss and the correct
 *     count it reports (train_step's stats, evaluate's count) those of
 *     the whole global batch, the same on every rank,
 *   - the gradients summed over the ranks with sum_f32 before the
 *     optimiser step, so every rank's weights stay identical.
 *
 * With the SDK's engine this is two calls: apnas_graph_set_collective()
 * on each graph, apnas_params_sum_grads() before apnas_sgd_step().  The
 * core checks after every epoch that the ranks' saved states (save())
 * are identical, and stops the run naming the space if they are not.
 *
 * Every rank calls the same collectives in the same order (they are
 * collective operations: a rank that skips one leaves the others
 * waiting).  The sums are taken in rank order, element by element, so a
 * run with the same N and seed gives the same bits; a different N may
 * change the last bits.  Owned by the core, valid until the instance is
 * destroyed; the callbacks never print and never exit. */
#ifndef APNAS_COLLECTIVE_H
#define APNAS_COLLECTIVE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct apnas_collective {
	/* The number of ranks taking part now (>= 1) and this one's rank
	 * (0 .. size - 1).  Read them at every step: the core runs some
	 * phases (deriving the results) on rank 0 alone, where size() is 1.
	 * With size() == 1 a space behaves as it does without a collective. */
	int (*size)(const struct apnas_collective *c);
	int (*rank)(const struct apnas_collective *c);

	/* buf[i] = the sum over ranks r = 0, 1, ..., size-1 of rank r's
	 * buf[i], added in that order (float and double arithmetic
	 * respectively); every rank gets the same result.  Returns 0, or < 0
	 * with err filled (n too large for the transport). */
	int (*sum_f32)(const struct apnas_collective *c, float *buf, size_t n,
	               apnas_error *err);
	int (*sum_f64)(const struct apnas_collective *c, double *buf,
	               size_t n, apnas_error *err);

	void *impl; /* the core's; plugins never touch it */
} apnas_collective;

/* The share of rank `rank` of `size` of a global batch of n images:
 * images [*a, *b), floor(n * rank / size) to floor(n * (rank + 1) /
 * size).  The core slices batches this way; the engine's dropout uses
 * it to draw the masks of the images before this rank's. */
static inline void apnas_coll_share(int64_t n, int rank, int size,
                                    int64_t *a, int64_t *b)
{
	*a = n * rank / size;
	*b = n * (rank + 1) / size;
}

#ifdef __cplusplus
}
#endif
#endif
