/* `mpirun -np N apnas ablate CONFIG --out DIR [grid options] --mpi`: the
 * runs of a grid handed out one at a time to the ranks that are free (a
 * dynamic queue: runs differ in length), each run exactly as `apnas
 * ablate DIR --run K` runs it (apnas_ablate_run_one: the same run
 * directories, logs and per-run locks), so the grid resumes as a --jobs
 * grid does and ends with the same report.
 *
 * Rank 0 plans the grid (DIR/ablate.json, as --plan: the same grid again
 * is a no-op, another is refused) and keeps the queue.  So that it works
 * too, it forks a local worker process that never calls MPI and takes
 * runs through a pipe, while rank 0 itself answers the other ranks'
 * requests between short sleeps.  Every worker's runs are child
 * processes that run alone: the launcher's environment is hidden from
 * them.  A signal stops the handing out; each run in progress checkpoints
 * and stops (run_one passes the signal on); the next mpirun resumes.  A
 * rank that dies takes the job down (MPI's default). */
#include "report/ablate_mpi.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mpi/mpi.h"
#include "report/report.h"
#include "rundir/rundir.h"

/* A worker's message: the run it finished (-1: none yet) and how. */
enum { M_K, M_FINISHED, M_FAILED, M_INTERRUPTED, M_SKIPPED, M_ELSEWHERE,
       M_STOPPED, M_N };

static void add_result(apnas_ablate_result *res, const int64_t *m)
{
	if (m[M_K] < 0)
		return;
	res->finished += (size_t)m[M_FINISHED];
	res->failed += (size_t)m[M_FAILED];
	res->interrupted += (size_t)m[M_INTERRUPTED];
	res->skipped += (size_t)m[M_SKIPPED];
	res->elsewhere += (size_t)m[M_ELSEWHERE];
	if (m[M_STOPPED] && !res->stopped_by)
		res->stopped_by = (int)m[M_STOPPED];
}

/* Runs run k; m describes how it went.  A system failure of run_one is
 * a failed run here: the grid goes on, the log says why. */
static void run_k(const char *dir, int64_t k, const apnas_ablate_env *env,
                  int64_t *m)
{
	apnas_ablate_result r;
	apnas_error e;
	apnas_error_clear(&e);
	memset(m, 0, M_N * sizeof *m);
	m[M_K] = k;
	if (apnas_ablate_run_one(dir, k, env, &r, &e) < 0) {
		if (env->msg)
			fprintf(env->msg, "apnas: ablate --mpi: run %lld: %s\n",
			        (long long)k, e.msg);
		m[M_FAILED] = 1;
		return;
	}
	m[M_FINISHED] = (int64_t)r.finished;
	m[M_FAILED] = (int64_t)r.failed;
	m[M_INTERRUPTED] = (int64_t)r.interrupted;
	m[M_SKIPPED] = (int64_t)r.skipped;
	m[M_ELSEWHERE] = (int64_t)r.elsewhere;
	m[M_STOPPED] = r.stopped_by;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, void *p, size_t n)
{
	char *c = p;
	while (n > 0) {
		ssize_t r = read(fd, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Rank 0's local worker: runs from `in`, results to `out`, until -1. */
static void local_worker(const char *dir, const apnas_ablate_env *env,
                         int in, int out)
{
	int64_t k;
	while (read_all(in, &k, sizeof k) == 0 && k >= 0) {
		int64_t m[M_N];
		run_k(dir, k, env, m);
		if (write_all(out, m, sizeof m) < 0)
			break;
	}
	_exit(0);
}

typedef struct queue {
	int64_t next, nruns;
	int stopping;           /* a signal: hand out nothing more */
	int busy;               /* workers with a run */
} queue;

static int64_t take(queue *q, const apnas_ablate_args *a)
{
	if (a->stop && *a->stop)
		q->stopping = 1;
	if (q->stopping || q->next >= q->nruns)
		return -1;
	return q->next++;
}

static int dispatch(const apnas_ablate_args *a, const apnas_ablate_env *env,
                    queue *q, apnas_ablate_result *res, apnas_error *err)
{
	int nranks = apnas_mpi_size();
	int to_w[2], from_w[2];
	if (pipe(to_w) < 0 || pipe(from_w) < 0)
		return apnas_error_set(err, APNAS_EIO, "ablate --mpi: pipe: %s",
		                       strerror(errno));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return apnas_error_set(err, APNAS_EIO, "ablate --mpi: fork: %s",
		                       strerror(errno));
	if (pid == 0) {
		close(to_w[1]);
		close(from_w[0]);
		local_worker(a->out_dir, env, to_w[0], from_w[1]);
	}
	close(to_w[0]);
	close(from_w[1]);
	fcntl(from_w[0], F_SETFL, O_NONBLOCK);
	/* a worker that died shows as a closed pipe, not as SIGPIPE */
	signal(SIGPIPE, SIG_IGN);
	int64_t k = take(q, a);
	write_all(to_w[1], &k, sizeof k);
	int local_busy = k >= 0;
	int ranks_done = 0;       /* ranks told there is nothing more */
	int forwarded = 0;        /* the stop signal passed to the worker */
	int rc = 0;
	struct timespec nap = {0, 10000000};
	while (local_busy || ranks_done < nranks - 1) {
		if (a->stop && *a->stop && !forwarded) {
			kill(pid, (int)*a->stop);
			forwarded = 1;
		}
		int64_t m[M_N];
		int from = -1;
		if (ranks_done < nranks - 1 &&
		    (rc = apnas_mpi_poll(m, M_N, &from, err)) < 0)
			break;
		if (from > 0) {
			add_result(res, m);
			int64_t next = take(q, a);
			if (next < 0)
				ranks_done++;
			if ((rc = apnas_mpi_send(from, &next, 1, err)) < 0)
				break;
			continue;
		}
		if (local_busy) {
			ssize_t got = read(from_w[0], m, sizeof m);
			if (got == (ssize_t)sizeof m) {
				add_result(res, m);
				int64_t next = take(q, a);
				write_all(to_w[1], &next, sizeof next);
				local_busy = next >= 0;
				continue;
			}
			if (got == 0) {
				/* the worker died: its run stays unfinished */
				local_busy = 0;
				continue;
			}
		}
		nanosleep(&nap, NULL);
	}
	/* the worker was told -1 (nothing more) or has died: closing its
	 * pipe ends it either way */
	close(to_w[1]);
	close(from_w[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return rc;
}

static int serve(const apnas_ablate_args *a, const apnas_ablate_env *env,
                 apnas_error *err)
{
	int64_t m[M_N];
	memset(m, 0, sizeof m);
	m[M_K] = -1;
	for (;;) {
		int64_t k;
		int rc = apnas_mpi_send(0, m, M_N, err);
		if (rc == 0)
			rc = apnas_mpi_recv(0, &k, 1, err);
		if (rc < 0)
			return rc;
		if (k < 0)
			return 0;
		run_k(a->out_dir, k, env, m);
	}
}

/* Rank 0 plans the grid as --plan does, quietly. */
static int plan_grid(const apnas_ablate_args *a, apnas_error *err)
{
	FILE *null = fopen("/dev/null", "w");
	if (!null)
		return apnas_error_set(err, APNAS_EIO, "cannot open /dev/null");
	apnas_ablate_args p = *a;
	p.plan = 1;
	p.out = null;
	p.msg = NULL;
	apnas_ablate_result r;
	int rc = apnas_ablate_run(&p, &r, err);
	fclose(null);
	return rc;
}

int apnas_ablate_mpi(const apnas_ablate_args *a, apnas_ablate_result *res,
                     int *quiet, apnas_error *err)
{
	memset(res, 0, sizeof *res);
	*quiet = apnas_mpi_rank() != 0; /* rank 0 alone prints */
	if (a->plan || a->dry_run)
		return apnas_error_set(err, APNAS_EINVAL,
			"ablate --mpi runs the grid; --plan and --dry-run run "
			"nothing: give them without --mpi");
	int rank = apnas_mpi_rank(), nranks = apnas_mpi_size();
	size_t nruns = 0;
	int rc = rank == 0 ? plan_grid(a, err) : 0;
	if (rc == 0 && rank == 0)
		rc = apnas_ablate_plan_size(a->out_dir, &nruns, err);
	/* every rank learns whether rank 0 could plan; rank 0 speaks */
	int failed = rc < 0, first = -1;
	apnas_error e;
	apnas_error_clear(&e);
	if (apnas_mpi_first_failed(failed, &first, &e) < 0) {
		apnas_mpi_abort(1);
		*err = e;
		return e.code;
	}
	if (first >= 0)
		return rc < 0 ? rc : APNAS_EINVAL;
	apnas_mpi_hide_launch();
	apnas_ablate_env env = {
		.exe = a->exe,
		.msg = a->msg,
		.stop = a->stop,
		.stop_count = a->stop_count,
	};
	if (rank > 0)
		return serve(a, &env, err);
	res->runs = nruns;
	if (a->msg) {
		fprintf(a->msg, "apnas: ablate --mpi: %zu runs in %s over %d "
		        "ranks, one run at a time each\n", nruns, a->out_dir,
		        nranks);
		fflush(a->msg);
	}
	queue q = {0, (int64_t)nruns, 0, 0};
	double t0 = apnas_clock_now();
	rc = dispatch(a, &env, &q, res, err);
	if (rc < 0)
		return rc;
	if (a->stop && *a->stop && !res->stopped_by)
		res->stopped_by = (int)*a->stop;
	if (a->msg) {
		fprintf(a->msg, "apnas: ablate --mpi: %zu runs: %zu finished "
		        "now, %zu already finished, %zu failed, %zu "
		        "interrupted (%.1f s)\n", res->runs, res->finished,
		        res->skipped, res->failed, res->interrupted,
		        apnas_clock_now() - t0);
		if (res->stopped_by)
			fprintf(a->msg, "apnas: ablate --mpi: stopped by "
			        "signal %d; run the same command again to "
			        "resume the grid\n", res->stopped_by);
		fflush(a->msg);
	}
	if (res->stopped_by || a->no_report ||
	    res->finished + res->skipped == 0)
		return 0;
	const char *dirs[1] = {a->out_dir};
	apnas_report_args ra = {
		.dirs = dirs,
		.ndirs = 1,
		.out_dir = NULL,
		.format = APNAS_REPORT_TABLE,
		.group_by = NULL,
		.no_plots = a->no_plots,
		.out = a->out,
		.msg = a->msg,
	};
	rc = apnas_report_main(&ra, err);
	if (rc < 0)
		apnas_error_prefix(err, "ablate --mpi: report");
	return rc;
}
