/* A fixed team of worker threads for the engine's parallel loops.  The
 * caller's thread is member 0 and always takes part; run() returns when
 * every member has finished, so each op is a barrier and work split by
 * member index is deterministic. */
#ifndef APNAS_CORE_NN_POOL_H
#define APNAS_CORE_NN_POOL_H

/* Internal to libapnas: not exported from the shared library. */
#pragma GCC visibility push(hidden)

typedef struct nn_pool nn_pool;

/* fn(ctx, tid, nthreads) runs once on each member, tid in 0..nthreads-1. */
typedef void (*nn_task)(void *ctx, int tid, int nthreads);

/* Starts threads - 1 workers (threads >= 1).  Returns 0, or -1 if a thread
 * could not be started (nothing is left running then). */
int nn_pool_create(int threads, nn_pool **out);
void nn_pool_destroy(nn_pool *p);
int nn_pool_threads(const nn_pool *p);
void nn_pool_run(nn_pool *p, nn_task fn, void *ctx);
/* As nn_pool_run, but when `work` (roughly the op's element or MAC count)
 * is too small to pay for waking the team, the caller runs every
 * member's part itself, in member order.  The parts are the same either
 * way, so the results are bit-identical. */
void nn_pool_run_work(nn_pool *p, nn_task fn, void *ctx, double work);

#pragma GCC visibility pop

#endif
