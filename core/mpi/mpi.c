/* core/mpi/mpi.h over MPI (Open MPI from Debian; any MPI 3.1 would do).
 *
 * The sums are the only reductions whose order matters, and MPI's own
 * (MPI_Allreduce) does not promise one.  So a sum here is a reduce-
 * scatter and an allgather the module controls: the buffer is cut into
 * one chunk per rank, each rank receives every rank's copy of its chunk
 * (MPI_Alltoallv) and adds them in rank order, element by element, then
 * every rank receives every summed chunk (MPI_Allgatherv).  Each element
 * is thus always rank 0's + rank 1's + ... in that order, whatever N,
 * and each rank moves about twice the buffer, whatever N.  A small sum
 * (batch-norm statistics) is one MPI_Allgather and the same additions,
 * to pay one latency instead of two.
 *
 * Module state (initialised flag, rank, size, scratch) is global: there
 * is one MPI per process. */
#include "mpi/mpi.h"

#include <mpi.h>

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Below this many bytes gathered, a sum is one MPI_Allgather. */
#define SMALL_SUM_BYTES 65536

static int started, world_rank, world_size = 1, solo;
static void *scratch;
static size_t scratch_cap;
static int *counts; /* [4][world_size]: send, send displs, recv, recv displs */

int apnas_mpi_built(void)
{
	return 1;
}

int apnas_mpi_start(const char *what, apnas_error *err)
{
	(void)what;
	if (started || apnas_mpi_launched() == 0)
		return 0;
	/* A rank waiting in a collective gives its core away instead of
	 * spinning (Open MPI polls by default): the ranks share the cores
	 * with their own engine threads, and on a busy machine a spinning
	 * rank holds the core the rank it waits for needs.  The user's own
	 * setting wins. */
	setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0);
	int provided = 0;
	/* Only the main thread calls MPI; the engine's threads never do. */
	if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) !=
	    MPI_SUCCESS)
		return apnas_error_set(err, APNAS_EIO, "MPI_Init failed");
	started = 1;
	MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
	MPI_Comm_size(MPI_COMM_WORLD, &world_size);
	counts = calloc(4 * (size_t)world_size, sizeof *counts);
	if (!counts) {
		apnas_mpi_abort(1);
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	}
	return 0;
}

void apnas_mpi_finish(void)
{
	if (!started)
		return;
	/* A barrier that sleeps: MPI's own would spin on a core that the
	 * rank still working (rank 0 deriving) needs. */
	MPI_Request rq;
	if (MPI_Ibarrier(MPI_COMM_WORLD, &rq) == MPI_SUCCESS) {
		int done = 0;
		struct timespec ts = {0, 2000000};
		while (MPI_Test(&rq, &done, MPI_STATUS_IGNORE) == MPI_SUCCESS &&
		       !done)
			nanosleep(&ts, NULL);
	}
	MPI_Finalize();
	started = 0;
	free(scratch);
	scratch = NULL;
	scratch_cap = 0;
	free(counts);
	counts = NULL;
}

void apnas_mpi_abort(int code)
{
	if (started)
		MPI_Abort(MPI_COMM_WORLD, code);
}

int apnas_mpi_rank(void)
{
	return started ? world_rank : 0;
}

int apnas_mpi_size(void)
{
	return started ? world_size : 1;
}

void apnas_mpi_set_solo(int on)
{
	solo = on;
}

/* ---- the collective ------------------------------------------------- */

static int coll_size(const apnas_collective *c)
{
	(void)c;
	return solo ? 1 : world_size;
}

static int coll_rank(const apnas_collective *c)
{
	(void)c;
	return solo ? 0 : world_rank;
}

static void *reserve(size_t bytes)
{
	if (bytes <= scratch_cap)
		return scratch;
	void *p = realloc(scratch, bytes);
	if (!p)
		return NULL;
	scratch = p;
	scratch_cap = bytes;
	return p;
}

/* The ordered sum of n elements of `esize` bytes (MPI type t), adding
 * with add(dst, src, count). */
static int ordered_sum(void *buf, size_t n, size_t esize, MPI_Datatype t,
                       void (*add)(void *dst, const void *src, size_t k),
                       apnas_error *err)
{
	if (solo || world_size <= 1 || n == 0)
		return 0;
	int N = world_size;
	if (n > (size_t)INT_MAX)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "mpi: a sum of %zu values is more than "
		                       "the %d one message carries", n,
		                       INT_MAX);
	/* Small sums (batch-norm statistics, counts: a few kB at most) in one
	 * call: every rank gathers every rank's buffer and adds them itself,
	 * in the same rank order, so the bits are those of the long form. */
	if (n * (size_t)N * esize <= SMALL_SUM_BYTES) {
		unsigned char *all = reserve(n * (size_t)N * esize);
		if (!all)
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "mpi: out of memory for a sum of "
			                       "%zu values", n);
		if (MPI_Allgather(buf, (int)n, t, all, (int)n, t,
		                  MPI_COMM_WORLD) != MPI_SUCCESS)
			return apnas_error_set(err, APNAS_EIO,
			                       "mpi: MPI_Allgather failed");
		for (int r = 1; r < N; r++)
			add(all, all + (size_t)r * n * esize, n);
		memcpy(buf, all, n * esize);
		return 0;
	}
	int *sc = counts, *sd = counts + N, *rc = counts + 2 * N,
	    *rd = counts + 3 * N;
	/* chunk r: elements [n r / N, n (r + 1) / N) */
	for (int r = 0; r < N; r++) {
		size_t a = n * (size_t)r / (size_t)N;
		size_t b = n * ((size_t)r + 1) / (size_t)N;
		sc[r] = (int)(b - a);
		sd[r] = (int)a;
	}
	int mine = sc[world_rank];
	for (int r = 0; r < N; r++) {
		rc[r] = mine;
		rd[r] = r * mine;
	}
	unsigned char *in = reserve((size_t)N * (size_t)(mine ? mine : 1) *
	                            esize);
	if (!in)
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "mpi: out of memory for a sum of %zu "
		                       "values", n);
	if (MPI_Alltoallv(buf, sc, sd, t, in, rc, rd, t, MPI_COMM_WORLD) !=
	    MPI_SUCCESS)
		return apnas_error_set(err, APNAS_EIO, "mpi: MPI_Alltoallv "
		                       "failed");
	/* rank 0's copy, + rank 1's, + ... */
	for (int r = 1; r < N; r++)
		add(in, in + (size_t)r * (size_t)mine * esize, (size_t)mine);
	if (MPI_Allgatherv(in, mine, t, buf, sc, sd, t, MPI_COMM_WORLD) !=
	    MPI_SUCCESS)
		return apnas_error_set(err, APNAS_EIO, "mpi: MPI_Allgatherv "
		                       "failed");
	return 0;
}

static void add_f32(void *dst, const void *src, size_t k)
{
	float *d = dst;
	const float *s = src;
	for (size_t i = 0; i < k; i++)
		d[i] += s[i];
}

static void add_f64(void *dst, const void *src, size_t k)
{
	double *d = dst;
	const double *s = src;
	for (size_t i = 0; i < k; i++)
		d[i] += s[i];
}

static int coll_sum_f32(const apnas_collective *c, float *buf, size_t n,
                        apnas_error *err)
{
	(void)c;
	return ordered_sum(buf, n, sizeof *buf, MPI_FLOAT, add_f32, err);
}

static int coll_sum_f64(const apnas_collective *c, double *buf, size_t n,
                        apnas_error *err)
{
	(void)c;
	return ordered_sum(buf, n, sizeof *buf, MPI_DOUBLE, add_f64, err);
}

static const apnas_collective world = {coll_size, coll_rank, coll_sum_f32,
                                       coll_sum_f64, NULL};

const apnas_collective *apnas_mpi_collective(void)
{
	return started && world_size > 1 ? &world : NULL;
}

/* ---- the core's own collectives ---------------------------------------- */

int apnas_mpi_max_ints(int *v, int n, apnas_error *err)
{
	if (!started || world_size <= 1)
		return 0;
	/* max is exact in any order: MPI's reduction is fine here. */
	if (MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_INT, MPI_MAX,
	                  MPI_COMM_WORLD) != MPI_SUCCESS)
		return apnas_error_set(err, APNAS_EIO,
		                       "mpi: MPI_Allreduce failed");
	return 0;
}

int apnas_mpi_sum_doubles(double *v, int n, apnas_error *err)
{
	if (!started || world_size <= 1)
		return 0;
	int s = solo;
	solo = 0;
	int rc = ordered_sum(v, (size_t)n, sizeof *v, MPI_DOUBLE, add_f64,
	                     err);
	solo = s;
	return rc;
}

int apnas_mpi_bcast(void *buf, size_t n, apnas_error *err)
{
	if (!started || world_size <= 1)
		return 0;
	if (n > (size_t)INT_MAX)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "mpi: a broadcast of %zu bytes is more "
		                       "than %d", n, INT_MAX);
	if (MPI_Bcast(buf, (int)n, MPI_BYTE, 0, MPI_COMM_WORLD) !=
	    MPI_SUCCESS)
		return apnas_error_set(err, APNAS_EIO,
		                       "mpi: MPI_Bcast failed");
	return 0;
}

int apnas_mpi_same(const void *buf, size_t n, int *bad, apnas_error *err)
{
	*bad = -1;
	if (!started || world_size <= 1)
		return 0;
	uint64_t h = 1469598103934665603ull;
	const unsigned char *p = buf;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	/* each rank's hash as two exact 32-bit halves in its own slots */
	size_t m = 2 * (size_t)world_size;
	double *v = calloc(m, sizeof *v);
	if (!v)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	v[2 * world_rank] = (double)(h >> 32);
	v[2 * world_rank + 1] = (double)(h & 0xffffffffu);
	int rc = apnas_mpi_sum_doubles(v, (int)m, err);
	for (int r = 1; rc == 0 && r < world_size && *bad < 0; r++)
		if (v[2 * r] != v[0] || v[2 * r + 1] != v[1])
			*bad = r;
	free(v);
	return rc;
}

/* ---- point to point ----------------------------------------------------- */

#define QUEUE_TAG 7

int apnas_mpi_send(int to, const int64_t *v, int n, apnas_error *err)
{
	if (!started || world_size <= 1)
		return 0;
	if (MPI_Send(v, n, MPI_INT64_T, to, QUEUE_TAG, MPI_COMM_WORLD) !=
	    MPI_SUCCESS)
		return apnas_error_set(err, APNAS_EIO, "mpi: MPI_Send failed");
	return 0;
}

int apnas_mpi_recv(int from, int64_t *v, int n, apnas_error *err)
{
	if (!started || world_size <= 1)
		return 0;
	if (MPI_Recv(v, n, MPI_INT64_T, from, QUEUE_TAG, MPI_COMM_WORLD,
	             MPI_STATUS_IGNORE) != MPI_SUCCESS)
		return apnas_error_set(err, APNAS_EIO, "mpi: MPI_Recv failed");
	return 0;
}

int apnas_mpi_poll(int64_t *v, int n, int *from, apnas_error *err)
{
	*from = -1;
	if (!started || world_size <= 1)
		return 0;
	int flag = 0;
	MPI_Status st;
	if (MPI_Iprobe(MPI_ANY_SOURCE, QUEUE_TAG, MPI_COMM_WORLD, &flag, &st) !=
	    MPI_SUCCESS)
		return apnas_error_set(err, APNAS_EIO,
		                       "mpi: MPI_Iprobe failed");
	if (!flag)
		return 0;
	*from = st.MPI_SOURCE;
	return apnas_mpi_recv(st.MPI_SOURCE, v, n, err);
}
