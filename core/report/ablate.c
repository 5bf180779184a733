/* The grid runner behind `apnas ablate`.  Each run is a short sequence of
 * child commands (search or resume, then optionally train); a run's
 * state on disk decides where its sequence starts, which is what makes a
 * second invocation resume the grid: summary.json marks a finished
 * search, config.cfg or a checkpoint an interrupted one,
 * retrain/summary.json a finished retraining and retrain/checkpoint.ckpt
 * an interrupted one.  The runs come from the plan (plan.c), the same
 * whether the grid is run here J at a time or one run per job of another
 * scheduler (apnas_ablate_run_one); a run is only ever worked on under
 * its lock, RUN.lock, so the two ways can share a grid. */
#include "report/ablate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "config.h"
#include "report/plan.h"
#include "report/report.h"
#include "report/spawn.h"
#include "rundir/rundir.h"
#include "search/json_out.h"

enum { JOB_PENDING, JOB_RUNNING, JOB_DONE, JOB_SKIPPED, JOB_FAILED,
       JOB_INTERRUPTED, JOB_ELSEWHERE };

typedef struct job {
	size_t run;          /* index into the plan's runs */
	const char *label;   /* the plan's: "<setting>/seed-N" */
	char *dir;           /* owned: DIR/<setting>/seed-N */
	char *log;           /* owned: DIR/<setting>/seed-N.log */
	int steps[2];
	int nsteps, cur;
	int state;
	int lock_fd;         /* holds DIR/<setting>/seed-N.lock while >= 0 */
	pid_t pid;
	double t0;           /* monotonic start of the current step */
	int status;          /* wait status of the failed step */
} job;

typedef struct ablate {
	const apnas_plan *plan;
	const char *out_dir;
	int max_jobs;        /* children at a time */
	const char *exe;
	FILE *msg;
	volatile sig_atomic_t *stop, *stop_count;
	long long one;       /* the run of --run K, or -1 for the grid */
	job *jobs;
	size_t njobs;
	int lock_fd;
} ablate;

/* Loads every grid point's config (with its first seed) and every plugin
 * it names, so that a typo in any --vary value is caught before the
 * first child starts. */
static int validate(const apnas_plan *p, apnas_error *err)
{
	for (size_t i = 0; i < p->nsets; i++) {
		const char *eq = strchr(p->sets[i], '=');
		size_t kl = eq ? (size_t)(eq - p->sets[i]) : 0;
		if (kl == 8 && !strncmp(p->sets[i], "run.seed", 8))
			return apnas_error_set(err, APNAS_EINVAL,
				"--set run.seed: an ablation sets the seeds "
				"itself (--seeds N, --seed-base B)");
		for (size_t v = 0; v < p->nvary; v++) {
			const char *ve = strchr(p->vary[v], '=');
			if (ve && (size_t)(ve - p->vary[v]) == kl &&
			    !strncmp(p->vary[v], p->sets[i], kl))
				return apnas_error_set(err, APNAS_EINVAL,
					"%.*s is both --set and --vary: keep "
					"one", (int)kl, p->sets[i]);
		}
	}
	for (size_t k = 0; k < p->nruns; k++) {
		const apnas_plan_run *r = &p->runs[k];
		if (k && p->runs[k - 1].point == r->point)
			continue;
		const char **sets = malloc((p->nsets + r->nsets + 1) *
		                           sizeof *sets);
		char *seed_set = NULL;
		if (!sets || asprintf(&seed_set, "run.seed=%lld",
		                      (long long)r->seed) < 0) {
			free(sets);
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "out of memory");
		}
		size_t n = 0;
		for (size_t i = 0; i < p->nsets; i++)
			sets[n++] = p->sets[i];
		for (size_t i = 0; i < r->nsets; i++)
			sets[n++] = r->sets[i];
		sets[n++] = seed_set;
		apnas_config *cfg = NULL;
		int rc = apnas_config_load(p->configs[r->config], sets, n,
		                           &cfg, err);
		for (int kd = APNAS_KIND_SPACE; rc == 0 &&
		     kd <= APNAS_KIND_COST; kd++) {
			const apnas_loaded *lib;
			const apnas_opts *opts;
			rc = apnas_config_plugin(cfg, (apnas_kind)kd, &lib,
			                         &opts, err);
		}
		apnas_config_free(cfg);
		free(sets);
		free(seed_set);
		if (rc < 0) {
			const char *sl = strrchr(r->label, '/');
			int len = sl ? (int)(sl - r->label)
			             : (int)strlen(r->label);
			return apnas_error_prefix(err, "ablate: %s%.*s",
				p->nconfigs > 1 ? "" : "setting ", len,
				r->label);
		}
	}
	return 0;
}

static void free_jobs(ablate *ab)
{
	for (size_t i = 0; i < ab->njobs; i++) {
		free(ab->jobs[i].dir);
		free(ab->jobs[i].log);
		if (ab->jobs[i].lock_fd >= 0)
			close(ab->jobs[i].lock_fd);
	}
	free(ab->jobs);
	ab->jobs = NULL;
	ab->njobs = 0;
}

/* The job of run k, its steps from what is on disk. */
static int add_job(ablate *ab, size_t k, apnas_error *err)
{
	job *j = &ab->jobs[ab->njobs++];
	j->run = k;
	j->label = ab->plan->runs[k].label;
	j->lock_fd = -1;
	j->dir = apnas_plan_run_dir(ab->plan, ab->out_dir, k);
	if (!j->dir || asprintf(&j->log, "%s.log", j->dir) < 0)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	j->nsteps = apnas_plan_needs(ab->plan, j->dir, j->steps);
	if (j->nsteps < 0)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	j->state = j->nsteps ? JOB_PENDING : JOB_SKIPPED;
	return 0;
}

/* Jobs for every run of the plan (one < 0) or for run `one` alone. */
static int make_jobs(ablate *ab, apnas_error *err)
{
	size_t n = ab->one < 0 ? ab->plan->nruns : 1;
	ab->jobs = calloc(n ? n : 1, sizeof *ab->jobs);
	if (!ab->jobs)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	if (ab->one >= 0)
		return add_job(ab, (size_t)ab->one, err);
	for (size_t k = 0; k < n; k++) {
		int rc = add_job(ab, k, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void counts(const ablate *ab, size_t *done, size_t *running,
                   size_t *left)
{
	*done = *running = *left = 0;
	for (size_t i = 0; i < ab->njobs; i++) {
		int s = ab->jobs[i].state;
		if (s == JOB_RUNNING)
			(*running)++;
		else if (s == JOB_PENDING)
			(*left)++;
		else
			(*done)++;
	}
}

static void progress(const ablate *ab, const char *fmt, const char *label,
                     const char *what, double secs)
{
	FILE *m = ab->msg;
	if (!m)
		return;
	if (ab->one >= 0) {
		fprintf(m, "apnas: ablate --run %lld: ", ab->one);
	} else {
		size_t done, running, left;
		counts(ab, &done, &running, &left);
		fprintf(m, "apnas: ablate [%zu/%zu done, %zu running, %zu "
		        "left] ", done, ab->njobs, running, left);
	}
	fprintf(m, fmt, label, what, secs);
	fputc('\n', m);
	fflush(m);
}

/* ---- the per-run lock ------------------------------------------------- */

/* The pid the holder wrote, or 0 when it is not (yet) readable. */
static long holder_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	long pid = strtol(buf, NULL, 10);
	return pid > 0 ? pid : 0;
}

static int stop_requested(const ablate *ab)
{
	return ab->stop && *ab->stop;
}

enum { LOCK_TAKEN = 0, LOCK_BUSY = 1, LOCK_STOPPED = 2 };

/* Takes DIR/<setting>/seed-N.lock, beside the run's directory and log
 * (the run directory has its own lock, which the child search takes).
 * An flock(), so it dies with its holder: a SIGKILLed job never leaves
 * a run locked.  wait: blocks until the holder leaves (a stop signal
 * ends the wait: LOCK_STOPPED); else a held lock is LOCK_BUSY. */
static int lock_run(ablate *ab, job *j, int wait, apnas_error *err)
{
	char *path = NULL;
	if (asprintf(&path, "%s.lock", j->dir) < 0)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	char *parent = strdup(path);
	char *slash = parent ? strrchr(parent, '/') : NULL;
	int rc = 0;
	if (!parent)
		rc = apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	else if (slash) {
		*slash = '\0';
		rc = apnas_mkdir_p(parent, err);
	}
	free(parent);
	int fd = rc < 0 ? -1 : open(path, O_RDWR | O_CREAT | O_CLOEXEC,
	                            0666);
	if (rc == 0 && fd < 0)
		rc = apnas_error_set(err, APNAS_EIO, "cannot create %s: %s",
		                     path, strerror(errno));
	if (rc == 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK)
			rc = apnas_error_set(err, APNAS_EIO, "cannot lock %s: "
			                     "%s", path, strerror(errno));
		else if (!wait)
			rc = LOCK_BUSY;
		else {
			if (ab->msg) {
				char by[48] = "";
				long pid = holder_pid(fd);
				if (pid)
					snprintf(by, sizeof by, "pid %ld, ", pid);
				fprintf(ab->msg, "apnas: ablate --run %lld: %s "
				        "is being run by another apnas process "
				        "(%s%s); waiting for it\n", ab->one,
				        j->label, by, path);
				fflush(ab->msg);
			}
			/* A signal (the caller's handler is installed
			 * without SA_RESTART) interrupts the wait. */
			if (stop_requested(ab))
				rc = LOCK_STOPPED;
			while (rc == 0 && flock(fd, LOCK_EX) != 0)
				if (errno != EINTR || stop_requested(ab)) {
					rc = errno == EINTR ? LOCK_STOPPED
					: apnas_error_set(err, APNAS_EIO,
						"cannot lock %s: %s", path,
						strerror(errno));
					break;
				}
		}
	}
	if (rc == 0) {
		char pid[32];
		int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
		if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) !=
		    n)
			rc = apnas_error_set(err, APNAS_EIO, "cannot write %s: "
			                     "%s", path, strerror(errno));
	}
	free(path);
	if (rc != 0) {
		if (fd >= 0)
			close(fd);
		return rc;
	}
	j->lock_fd = fd;
	return 0;
}

static void unlock_run(job *j)
{
	if (j->lock_fd >= 0)
		close(j->lock_fd);
	j->lock_fd = -1;
}

/* ---- running the steps ------------------------------------------------ */

static int start_step(ablate *ab, job *j, apnas_error *err)
{
	char **owned = NULL;
	size_t nowned = 0;
	char **argv = apnas_plan_step_argv(ab->plan, j->run, j->dir,
	                                   j->steps[j->cur], &owned, &nowned);
	if (!argv)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	/* The log sits beside the run directory (made by lock_run); the
	 * search makes the run directory itself, so that a fresh one is
	 * not taken for an interrupted run. */
	int rc = 0;
	pid_t pid = apnas_spawn_logged(ab->exe, argv, j->log, err);
	if (pid < 0)
		rc = APNAS_EIO;
	else {
		j->pid = pid;
		j->state = JOB_RUNNING;
		j->t0 = apnas_clock_now();
	}
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
	free(owned);
	free(argv);
	if (rc == 0)
		progress(ab, "started %s (%s)", j->label,
		         apnas_plan_step_name(j->steps[j->cur]), 0);
	return rc;
}

/* A job's first step: its lock, then its needs again under the lock
 * (another process may have finished the run since they were read). */
static int begin_job(ablate *ab, job *j, apnas_ablate_result *res,
                     apnas_error *err)
{
	if (j->lock_fd < 0) {
		int rc = lock_run(ab, j, 0, err);
		if (rc < 0)
			return rc;
		if (rc == LOCK_BUSY) {
			j->state = JOB_ELSEWHERE;
			res->elsewhere++;
			progress(ab, "%s is being run by another apnas process "
			         "(its %s.lock): left to it", j->label, j->dir,
			         0);
			return 0;
		}
		j->nsteps = apnas_plan_needs(ab->plan, j->dir, j->steps);
		if (j->nsteps < 0)
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "out of memory");
		if (j->nsteps == 0) {
			unlock_run(j);
			j->state = JOB_SKIPPED;
			res->skipped++;
			progress(ab, "%s was finished by another process%s",
			         j->label, "", 0);
			return 0;
		}
	}
	return start_step(ab, j, err);
}

static int running(const ablate *ab)
{
	size_t d, r, l;
	counts(ab, &d, &r, &l);
	return (int)r;
}

static void reap(ablate *ab, job *j, int st, int stopping,
                 apnas_ablate_result *res)
{
	double secs = apnas_clock_now() - j->t0;
	const char *step = apnas_plan_step_name(j->steps[j->cur]);
	j->pid = 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		if (++j->cur < j->nsteps) {
			j->state = JOB_PENDING;
			progress(ab, "%s: %s done in %.1f s", j->label, step,
			         secs);
			return;
		}
		j->state = JOB_DONE;
		unlock_run(j);
		res->finished++;
		progress(ab, "finished %s (%s, %.1f s)", j->label, step, secs);
		return;
	}
	unlock_run(j);
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	/* 130 / 143: the child stopped on our forwarded signal after a
	 * checkpoint, which the next invocation resumes. */
	if (stopping && (code == 128 + SIGINT || code == 128 + SIGTERM)) {
		j->state = JOB_INTERRUPTED;
		res->interrupted++;
		progress(ab, "%s: %s interrupted after %.1f s (resumable)",
		         j->label, step, secs);
		return;
	}
	j->state = JOB_FAILED;
	j->status = st;
	res->failed++;
	progress(ab, "FAILED %s (%s, after %.1f s)", j->label, step, secs);
}

static void forward(ablate *ab, int sig)
{
	for (size_t i = 0; i < ab->njobs; i++)
		if (ab->jobs[i].state == JOB_RUNNING && ab->jobs[i].pid > 0)
			kill(ab->jobs[i].pid, sig);
}

/* Waits for its own children by pid (never waitpid(-1)), so a caller
 * with other children loses none of their statuses. */
static int schedule(ablate *ab, apnas_ablate_result *res, apnas_error *err)
{
	sig_atomic_t forwarded = ab->stop_count ? *ab->stop_count : 0;
	int stopping = 0, rc = 0;
	for (;;) {
		if (ab->stop && *ab->stop && ab->stop_count &&
		    *ab->stop_count != forwarded) {
			forwarded = *ab->stop_count;
			stopping = 1;
			res->stopped_by = (int)*ab->stop;
			forward(ab, (int)*ab->stop);
		}
		for (size_t i = 0; !stopping && rc == 0 && i < ab->njobs &&
		     running(ab) < ab->max_jobs; i++)
			if (ab->jobs[i].state == JOB_PENDING)
				rc = begin_job(ab, &ab->jobs[i], res, err);
		if (rc < 0) {
			/* Cannot start more: let the running ones finish. */
			stopping = 1;
		}
		if (running(ab) == 0)
			break;
		int reaped = 0;
		for (size_t i = 0; i < ab->njobs; i++) {
			job *j = &ab->jobs[i];
			if (j->state != JOB_RUNNING)
				continue;
			int st;
			pid_t pid = waitpid(j->pid, &st, WNOHANG);
			if (pid == j->pid) {
				reap(ab, j, st, stopping, res);
				reaped = 1;
			} else if (pid < 0 && errno != EINTR) {
				/* Not ours any more (reaped elsewhere):
				 * count it failed rather than spin. */
				reap(ab, j, 1 << 8, stopping, res);
				reaped = 1;
			}
		}
		if (reaped)
			continue;
		/* Polling keeps the signal check simple and race-free; a
		 * tenth of a second is nothing next to a search. */
		struct timespec ts = {0, 100000000L};
		nanosleep(&ts, NULL);
	}
	return rc;
}

/* ---- the list of runs (--plan, --dry-run) ----------------------------- */

static void needs_text(const job *j, char *buf, size_t cap)
{
	if (!j->nsteps) {
		snprintf(buf, cap, "finished");
		return;
	}
	snprintf(buf, cap, "%s", apnas_plan_step_name(j->steps[0]));
	if (j->nsteps > 1)
		snprintf(buf + strlen(buf), cap - strlen(buf), "+%s",
		         apnas_plan_step_name(j->steps[1]));
}

static void list_table(const ablate *ab, FILE *o)
{
	const apnas_plan *p = ab->plan;
	int w = (int)strlen("directory");
	for (size_t i = 0; i < ab->njobs; i++)
		if ((int)strlen(ab->jobs[i].dir) > w)
			w = (int)strlen(ab->jobs[i].dir);
	fprintf(o, "%5s  %-15s  %-*s  %s\n", "run", "needs", w, "directory",
	        "settings");
	for (size_t i = 0; i < ab->njobs; i++) {
		const job *j = &ab->jobs[i];
		const apnas_plan_run *r = &p->runs[j->run];
		char needs[64];
		needs_text(j, needs, sizeof needs);
		fprintf(o, "%5zu  %-15s  %-*s  ", j->run, needs, w, j->dir);
		if (p->nconfigs > 1) {
			const char *b = strrchr(p->configs[r->config], '/');
			fprintf(o, "%s, ", b ? b + 1 : p->configs[r->config]);
		}
		for (size_t k = 0; k < r->nsets; k++)
			fprintf(o, "%s, ", r->sets[k]);
		fprintf(o, "run.seed=%lld\n", (long long)r->seed);
	}
}

static void list_json(const ablate *ab, FILE *o)
{
	const apnas_plan *p = ab->plan;
	fputs("{\n  \"format\": 1,\n  \"dir\": ", o);
	apnas_json_str(o, ab->out_dir);
	fprintf(o, ",\n  \"retrain\": %s,\n  \"runs\": [",
	        p->retrain ? "true" : "false");
	for (size_t i = 0; i < ab->njobs; i++) {
		const job *j = &ab->jobs[i];
		const apnas_plan_run *r = &p->runs[j->run];
		fprintf(o, "%s\n    {\"index\": %zu, \"run\": ", i ? "," : "",
		        j->run);
		apnas_json_str(o, r->label);
		fputs(", \"dir\": ", o);
		apnas_json_str(o, j->dir);
		fputs(", \"config\": ", o);
		apnas_json_str(o, p->configs[r->config]);
		fputs(", \"sets\": [", o);
		for (size_t k = 0; k < r->nsets; k++) {
			if (k)
				fputs(", ", o);
			apnas_json_str(o, r->sets[k]);
		}
		fprintf(o, "], \"seed\": %lld, \"needs\": [",
		        (long long)r->seed);
		for (int s = 0; s < j->nsteps; s++) {
			if (s)
				fputs(", ", o);
			apnas_json_str(o, apnas_plan_step_name(j->steps[s]));
		}
		fputs("]}", o);
	}
	fputs(ab->njobs ? "\n  ]\n}\n" : "]\n}\n", o);
}

static void list_runs(const ablate *ab, FILE *o, int json)
{
	if (!o)
		return;
	if (json)
		list_json(ab, o);
	else
		list_table(ab, o);
	fflush(o);
}

static void summary_line(const ablate *ab, const char *verb)
{
	FILE *m = ab->msg;
	if (!m)
		return;
	const apnas_plan *p = ab->plan;
	size_t fresh = 0, resume = 0, train = 0, skip = 0;
	for (size_t i = 0; i < ab->njobs; i++) {
		const job *j = &ab->jobs[i];
		if (!j->nsteps)
			skip++;
		else if (j->steps[0] == APNAS_STEP_SEARCH)
			fresh++;
		else if (j->steps[0] == APNAS_STEP_RESUME)
			resume++;
		else
			train++;
	}
	char cfgs[64] = "";
	if (p->nconfigs > 1)
		snprintf(cfgs, sizeof cfgs, "%zu configs x ", p->nconfigs);
	size_t settings = p->npoints / (p->nconfigs ? p->nconfigs : 1);
	fprintf(m, "apnas: ablate: %s%zu setting%s x %lld seed%s = %zu runs "
	        "in %s%s: %zu to start, %zu to resume, %zu to "
	        "retrain only, %zu already finished%s\n", cfgs, settings,
	        settings == 1 ? "" : "s", (long long)p->seeds,
	        p->seeds == 1 ? "" : "s", ab->njobs, ab->out_dir, verb,
	        fresh, resume, train, skip,
	        p->nvary ? "" : " (no --vary: one setting, \"base\")");
	fflush(m);
}

/* ---- the record (DIR/ablate.json) ----------------------------------- */

static int write_plan(FILE *f, void *ud, apnas_error *err)
{
	return apnas_plan_write(f, ud) ? apnas_error_set(err, APNAS_EIO,
	                                                 "write failed") : 0;
}

static int write_record(const char *dir, const apnas_plan *p,
                        apnas_error *err)
{
	char *rec = NULL;
	if (asprintf(&rec, "%s/ablate.json", dir) < 0)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	int rc = apnas_write_atomic_with(rec, 0, write_plan, (void *)p, err);
	free(rec);
	return rc;
}

/* --plan: 1 when dir already holds this plan, 0 when it holds none,
 * APNAS_EINVAL when it holds another. */
static int same_plan(const char *dir, const apnas_plan *p, apnas_error *err)
{
	if (!apnas_exists_in(dir, "ablate.json"))
		return 0;
	apnas_plan old;
	int rc = apnas_plan_read(&old, dir, err);
	if (rc < 0)
		return rc;
	const char *d = apnas_plan_diff(&old, p);
	apnas_plan_free(&old);
	if (!d)
		return 1;
	return apnas_error_set(err, APNAS_EINVAL,
		"ablate --plan: %s/ablate.json holds another grid (its %s "
		"differ): plan this one into another --out, or delete that "
		"file if none of its runs matter", dir, d);
}

/* One ablate at a time on a grid; its runs lock their own directories. */
static int take_lock(ablate *ab, apnas_error *err)
{
	return apnas_lock_file(ab->out_dir, "ablate.lock", "ablate grid",
	                       &ab->lock_fd, err);
}

static void closing_lines(const ablate *ab, const apnas_ablate_result *res,
                          double secs)
{
	FILE *m = ab->msg;
	if (!m)
		return;
	if (ab->one < 0)
		fprintf(m, "apnas: ablate: %zu runs: %zu finished now, %zu "
		        "already finished, %zu failed, %zu interrupted%s "
		        "(%.1f s)\n", res->runs, res->finished, res->skipped,
		        res->failed, res->interrupted, res->elsewhere ?
		        ", some left to another process" : "", secs);
	for (size_t i = 0; i < ab->njobs; i++) {
		const job *j = &ab->jobs[i];
		if (j->state != JOB_FAILED)
			continue;
		char last[512];
		apnas_log_last_line(j->log, last, sizeof last);
		fprintf(m, "apnas: ablate: FAILED %s (%s %d): %s%s%s\n",
		        j->label, WIFEXITED(j->status) ? "exit" : "signal",
		        WIFEXITED(j->status) ? WEXITSTATUS(j->status)
		                             : WTERMSIG(j->status),
		        j->log, *last ? ": " : "", last);
	}
	if (res->stopped_by)
		fprintf(m, "apnas: ablate: stopped by signal %d; run the same "
		        "command again to resume %s\n", res->stopped_by,
		        ab->one < 0 ? "the grid" : "the run");
	fflush(m);
}

static void ablate_free(ablate *ab)
{
	if (ab->lock_fd >= 0)
		close(ab->lock_fd);
	ab->lock_fd = -1;
	free_jobs(ab);
}

int apnas_ablate_run(const apnas_ablate_args *a, apnas_ablate_result *res,
                     apnas_error *err)
{
	memset(res, 0, sizeof *res);
	if (a->nconfigs == 0 || !a->out_dir)
		return apnas_error_set(err, APNAS_EINVAL,
			"ablate needs a CONFIG and --out DIR");
	if (a->seeds < 1 || a->jobs < 1 || a->seed_base < 0)
		return apnas_error_set(err, APNAS_EINVAL,
			"ablate: --seeds and --jobs must be at least 1 and "
			"--seed-base at least 0");
	apnas_plan plan;
	int rc = apnas_plan_build(&plan, a->configs, a->nconfigs,
	                          a->sets, a->nsets, a->vary, a->nvary,
	                          a->seeds, a->seed_base, a->retrain,
	                          a->retrain_epochs, err);
	if (rc < 0)
		return rc;
	ablate ab = {
		.plan = &plan, .out_dir = a->out_dir, .max_jobs = a->jobs,
		.exe = a->exe, .msg = a->msg, .stop = a->stop,
		.stop_count = a->stop_count, .one = -1, .lock_fd = -1,
	};
	rc = validate(&plan, err);
	if (rc == 0 && a->plan)
		rc = same_plan(a->out_dir, &plan, err);
	int planned = rc == 1;
	if (rc >= 0)
		rc = make_jobs(&ab, err);
	if (rc < 0)
		goto out;
	res->runs = ab.njobs;
	for (size_t i = 0; i < ab.njobs; i++)
		res->skipped += ab.jobs[i].state == JOB_SKIPPED;
	if (a->dry_run || a->plan) {
		summary_line(&ab, "");
		if (a->plan && !planned &&
		    ((rc = apnas_mkdir_p(a->out_dir, err)) < 0 ||
		     (rc = write_record(a->out_dir, &plan, err)) < 0))
			goto out;
		list_runs(&ab, a->out, a->json);
		if (a->plan && a->msg) {
			fprintf(a->msg, "apnas: ablate: %s %s/ablate.json "
			        "(%zu runs); run one with apnas ablate %s "
			        "--run K, K = 0..%zu (docs/scale-out.md)\n",
			        planned ? "the same grid is already planned in"
			                : "planned", a->out_dir, plan.nruns,
			        a->out_dir, plan.nruns ? plan.nruns - 1 : 0);
			fflush(a->msg);
		}
		goto out;
	}
	char verb[64];
	snprintf(verb, sizeof verb, ", %d at a time", a->jobs);
	summary_line(&ab, verb);
	if ((rc = apnas_mkdir_p(a->out_dir, err)) < 0 ||
	    (rc = take_lock(&ab, err)) < 0 ||
	    (rc = write_record(a->out_dir, &plan, err)) < 0)
		goto out;

	double t0 = apnas_clock_now();
	rc = schedule(&ab, res, err);
	closing_lines(&ab, res, apnas_clock_now() - t0);
	if (rc < 0 || res->stopped_by || a->no_report ||
	    res->finished + res->skipped == 0)
		goto out;
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
		apnas_error_prefix(err, "ablate: report");
out:
	ablate_free(&ab);
	apnas_plan_free(&plan);
	return rc < 0 ? rc : 0;
}

int apnas_ablate_plan_size(const char *dir, size_t *nruns, apnas_error *err)
{
	apnas_plan plan;
	int rc = apnas_plan_read(&plan, dir, err);
	if (rc < 0)
		return rc;
	*nruns = plan.nruns;
	apnas_plan_free(&plan);
	return 0;
}

int apnas_ablate_run_one(const char *dir, long long k,
                         const apnas_ablate_env *env,
                         apnas_ablate_result *res, apnas_error *err)
{
	memset(res, 0, sizeof *res);
	apnas_plan plan;
	int rc = apnas_plan_read(&plan, dir, err);
	if (rc < 0)
		return rc;
	if (k < 0 || (unsigned long long)k >= plan.nruns) {
		rc = apnas_error_set(err, APNAS_EINVAL,
			"ablate --run %lld: the grid in %s has %zu run%s, "
			"0..%zu", k, dir, plan.nruns, plan.nruns == 1 ? ""
			: "s", plan.nruns ? plan.nruns - 1 : 0);
		apnas_plan_free(&plan);
		return rc;
	}
	ablate ab = {
		.plan = &plan, .out_dir = dir, .max_jobs = 1, .exe = env->exe,
		.msg = env->msg, .stop = env->stop,
		.stop_count = env->stop_count, .one = k, .lock_fd = -1,
	};
	res->runs = 1;
	rc = make_jobs(&ab, err);
	job *j = rc == 0 ? &ab.jobs[0] : NULL;
	if (rc == 0)
		rc = lock_run(&ab, j, 1, err);
	if (rc == LOCK_STOPPED) {
		res->stopped_by = (int)*env->stop;
		rc = 0;
		goto out;
	}
	if (rc == 0 && (j->nsteps = apnas_plan_needs(&plan, j->dir,
	                                             j->steps)) < 0)
		rc = apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	if (rc < 0)
		goto out;
	if (j->nsteps == 0) {
		j->state = JOB_SKIPPED;
		res->skipped = 1;
		progress(&ab, "%s (%s) is already finished: left alone",
		         j->label, j->dir, 0);
		goto out;
	}
	j->state = JOB_PENDING;
	double t0 = apnas_clock_now();
	rc = schedule(&ab, res, err);
	closing_lines(&ab, res, apnas_clock_now() - t0);
out:
	ablate_free(&ab);
	apnas_plan_free(&plan);
	return rc < 0 ? rc : 0;
}
