/* Worker team: generation counter plus condition variables, with a short
 * spin first.  Ops follow each other within microseconds during a step,
 * so a spinning worker picks the next one up without a futex round trip;
 * between steps (data loading, the controller) workers sleep and leave the
 * cores to others. */
#include "nn/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

/* A few microseconds of polling (PAUSE is tens of cycles on Zen). */
#define SPIN_ITERS 2000

/* Below this much work an op runs on the calling thread: a hand-off costs
 * a few microseconds on a quiet machine and far more on a busy one. */
#define MIN_PARALLEL_WORK 65536.0

struct nn_pool {
	int threads;
	pthread_t *tids;          /* threads - 1 workers */
	pthread_mutex_t mu;
	pthread_cond_t go_cv;     /* workers wait here for a new generation */
	pthread_cond_t done_cv;   /* the caller waits here for pending == 0 */
	atomic_uint gen;          /* bumped once per run() */
	atomic_int pending;       /* workers still busy in this generation */
	int stop;                 /* under mu */
	nn_task fn;               /* published before gen is bumped */
	void *ctx;
};

struct worker_arg {
	nn_pool *p;
	int tid;
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static void *worker_main(void *arg)
{
	struct worker_arg wa = *(struct worker_arg *)arg;
	free(arg);
	nn_pool *p = wa.p;
	unsigned seen = 0;
	for (;;) {
		unsigned g = atomic_load_explicit(&p->gen, memory_order_acquire);
		for (int i = 0; g == seen && i < SPIN_ITERS; i++) {
			cpu_relax();
			g = atomic_load_explicit(&p->gen, memory_order_acquire);
		}
		if (g == seen) {
			pthread_mutex_lock(&p->mu);
			while (!p->stop &&
			       (g = atomic_load_explicit(&p->gen,
			                                 memory_order_acquire)) == seen)
				pthread_cond_wait(&p->go_cv, &p->mu);
			int stop = p->stop;
			pthread_mutex_unlock(&p->mu);
			if (stop)
				return NULL;
		}
		seen = g;
		p->fn(p->ctx, wa.tid, p->threads);
		if (atomic_fetch_sub_explicit(&p->pending, 1,
		                              memory_order_acq_rel) == 1) {
			pthread_mutex_lock(&p->mu);
			pthread_cond_signal(&p->done_cv);
			pthread_mutex_unlock(&p->mu);
		}
	}
}

int nn_pool_create(int threads, nn_pool **out)
{
	*out = NULL;
	if (threads < 1)
		threads = 1;
	nn_pool *p = calloc(1, sizeof *p);
	if (!p)
		return -1;
	p->threads = threads;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->go_cv, NULL);
	pthread_cond_init(&p->done_cv, NULL);
	atomic_init(&p->gen, 0);
	atomic_init(&p->pending, 0);
	if (threads > 1) {
		p->tids = calloc((size_t)threads - 1, sizeof *p->tids);
		if (!p->tids) {
			nn_pool_destroy(p);
			return -1;
		}
	}
	for (int t = 1; t < threads; t++) {
		struct worker_arg *wa = malloc(sizeof *wa);
		if (!wa || (wa->p = p, wa->tid = t,
		            pthread_create(&p->tids[t - 1], NULL, worker_main,
		                           wa) != 0)) {
			free(wa);
			p->threads = t; /* destroy joins the t - 1 started */
			nn_pool_destroy(p);
			return -1;
		}
	}
	*out = p;
	return 0;
}

void nn_pool_destroy(nn_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->go_cv);
	pthread_mutex_unlock(&p->mu);
	for (int t = 1; t < p->threads && p->tids; t++)
		pthread_join(p->tids[t - 1], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->go_cv);
	pthread_cond_destroy(&p->done_cv);
	free(p->tids);
	free(p);
}

int nn_pool_threads(const nn_pool *p)
{
	return p->threads;
}

void nn_pool_run(nn_pool *p, nn_task fn, void *ctx)
{
	if (p->threads == 1) {
		fn(ctx, 0, 1);
		return;
	}
	p->fn = fn;
	p->ctx = ctx;
	atomic_store_explicit(&p->pending, p->threads - 1, memory_order_relaxed);
	pthread_mutex_lock(&p->mu);
	atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
	pthread_cond_broadcast(&p->go_cv);
	pthread_mutex_unlock(&p->mu);

	fn(ctx, 0, p->threads);

	for (int i = 0; i < SPIN_ITERS; i++) {
		if (atomic_load_explicit(&p->pending, memory_order_acquire) == 0)
			return;
		cpu_relax();
	}
	pthread_mutex_lock(&p->mu);
	while (atomic_load_explicit(&p->pending, memory_order_acquire) != 0)
		pthread_cond_wait(&p->done_cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

void nn_pool_run_work(nn_pool *p, nn_task fn, void *ctx, double work)
{
	if (p->threads == 1 || work >= MIN_PARALLEL_WORK) {
		nn_pool_run(p, fn, ctx);
		return;
	}
	for (int t = 0; t < p->threads; t++)
		fn(ctx, t, p->threads);
}
