/* The grid runner behind `apnas ablate`.  Each run is a short sequence of
 * child commands (search or resume, then optionally train); a run's
 * state on disk decides where its sequence starts, which is what makes a
 * second invocation resume the grid: summary.json marks a finished
 * search, config.cfg or a checkpoint an interrupted one,
 * retrain/summary.json a finished retraining and retrain/checkpoint.ckpt
 * an interrupted one. */
#include "report/ablate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "config.h"
#include "report/grid.h"
#include "report/report.h"
#include "report/spawn.h"
#include "rundir/rundir.h"
#include "search/json_out.h"

enum { STEP_SEARCH, STEP_RESUME, STEP_TRAIN };
enum { JOB_PENDING, JOB_RUNNING, JOB_DONE, JOB_SKIPPED, JOB_FAILED,
       JOB_INTERRUPTED };

static const char *const step_names[] = {"search", "resume", "train"};

typedef struct job {
	size_t cfg;          /* index into the configs */
	size_t point;        /* index into the grid */
	int64_t seed;
	char *dir;           /* owned: DIR/<setting>/seed-N */
	char *log;           /* owned: DIR/<setting>/seed-N.log */
	char *label;         /* owned: "<setting>/seed-N" */
	int steps[2];
	int nsteps, cur;
	int state;
	pid_t pid;
	double t0;           /* monotonic start of the current step */
	int status;          /* wait status of the failed step */
} job;

typedef struct ablate {
	const apnas_ablate_args *a;
	apnas_grid grid;
	char **cfg_names;    /* owned: "config=<stem>" per config, or NULL
	                        with a single config */
	job *jobs;
	size_t njobs;
	int lock_fd;
} ablate;

/* The --set list of one run: the user's, the grid point's, the seed. */
static const char **run_sets(const ablate *ab, size_t point, int64_t seed,
                             char **seed_set, size_t *n)
{
	const apnas_ablate_args *a = ab->a;
	const apnas_grid_point *pt = &ab->grid.pts[point];
	const char **s = malloc((a->nsets + pt->nsets + 1) * sizeof *s);
	if (!s || asprintf(seed_set, "run.seed=%lld", (long long)seed) < 0) {
		free(s);
		*seed_set = NULL;
		return NULL;
	}
	size_t k = 0;
	for (size_t i = 0; i < a->nsets; i++)
		s[k++] = a->sets[i];
	for (size_t i = 0; i < pt->nsets; i++)
		s[k++] = pt->sets[i];
	s[k++] = *seed_set;
	*n = k;
	return s;
}

/* "config=<file name without .cfg>", sanitised like a setting. */
static char *config_name(const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	size_t n = strlen(b);
	if (n > 4 && !strcmp(b + n - 4, ".cfg"))
		n -= 4;
	char *set = NULL;
	if (asprintf(&set, "config=%.*s", (int)n, b) < 0)
		return NULL;
	const char *one[1] = {set};
	char *name = apnas_grid_name(one, 1);
	free(set);
	return name;
}

static int name_configs(ablate *ab, apnas_error *err)
{
	const apnas_ablate_args *a = ab->a;
	if (a->nconfigs < 2)
		return 0;
	ab->cfg_names = calloc(a->nconfigs, sizeof *ab->cfg_names);
	if (!ab->cfg_names)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	for (size_t c = 0; c < a->nconfigs; c++) {
		if (!(ab->cfg_names[c] = config_name(a->configs[c])))
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "out of memory");
		for (size_t d = 0; d < c; d++)
			if (!strcmp(ab->cfg_names[c], ab->cfg_names[d]))
				return apnas_error_set(err, APNAS_EINVAL,
					"ablate: configs %s and %s would share "
					"the directory name '%s': rename one",
					a->configs[d], a->configs[c],
					ab->cfg_names[c]);
	}
	return 0;
}

/* Loads every grid point's config and every plugin it names, so that a
 * typo in any --vary value is caught before the first child starts. */
static int validate(ablate *ab, apnas_error *err)
{
	const apnas_ablate_args *a = ab->a;
	for (size_t i = 0; i < a->nsets; i++) {
		const char *eq = strchr(a->sets[i], '=');
		size_t kl = eq ? (size_t)(eq - a->sets[i]) : 0;
		if (kl == 8 && !strncmp(a->sets[i], "run.seed", 8))
			return apnas_error_set(err, APNAS_EINVAL,
				"--set run.seed: an ablation sets the seeds "
				"itself (--seeds N, --seed-base B)");
		for (size_t v = 0; v < a->nvary; v++) {
			const char *ve = strchr(a->vary[v], '=');
			if (ve && (size_t)(ve - a->vary[v]) == kl &&
			    !strncmp(a->vary[v], a->sets[i], kl))
				return apnas_error_set(err, APNAS_EINVAL,
					"%.*s is both --set and --vary: keep "
					"one", (int)kl, a->sets[i]);
		}
	}
	for (size_t q = 0; q < ab->grid.n * a->nconfigs; q++) {
		size_t p = q % ab->grid.n, c = q / ab->grid.n;
		char *seed_set = NULL;
		size_t n = 0;
		const char **sets = run_sets(ab, p, a->seed_base, &seed_set,
		                             &n);
		if (!sets)
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "out of memory");
		apnas_config *cfg = NULL;
		int rc = apnas_config_load(a->configs[c], sets, n, &cfg, err);
		for (int k = APNAS_KIND_SPACE; rc == 0 && k <= APNAS_KIND_COST;
		     k++) {
			const apnas_loaded *lib;
			const apnas_opts *opts;
			rc = apnas_config_plugin(cfg, (apnas_kind)k, &lib,
			                         &opts, err);
		}
		apnas_config_free(cfg);
		free(sets);
		free(seed_set);
		if (rc < 0)
			return apnas_error_prefix(err, "ablate: %s%s%s",
				ab->cfg_names ? ab->cfg_names[c] : "setting ",
				ab->cfg_names ? "," : "",
				ab->grid.pts[p].name);
	}
	return 0;
}

static void free_jobs(ablate *ab)
{
	for (size_t i = 0; i < ab->njobs; i++) {
		free(ab->jobs[i].dir);
		free(ab->jobs[i].log);
		free(ab->jobs[i].label);
	}
	free(ab->jobs);
	ab->jobs = NULL;
	ab->njobs = 0;
}

/* One job per (setting, seed); its steps from what is on disk. */
static int plan(ablate *ab, apnas_error *err)
{
	const apnas_ablate_args *a = ab->a;
	size_t n = a->nconfigs * ab->grid.n * (size_t)a->seeds;
	ab->jobs = calloc(n, sizeof *ab->jobs);
	if (!ab->jobs)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	for (size_t q = 0; q < a->nconfigs * ab->grid.n; q++)
		for (int64_t s = 0; s < a->seeds; s++) {
			size_t c = q / ab->grid.n, p = q % ab->grid.n;
			job *j = &ab->jobs[ab->njobs++];
			j->cfg = c;
			j->point = p;
			j->seed = a->seed_base + s;
			const char *name = ab->grid.pts[p].name;
			int r;
			if (!ab->cfg_names)
				r = asprintf(&j->label, "%s/seed-%lld", name,
				             (long long)j->seed);
			else if (ab->grid.pts[p].nsets == 0)
				r = asprintf(&j->label, "%s/seed-%lld",
				             ab->cfg_names[c],
				             (long long)j->seed);
			else
				r = asprintf(&j->label, "%s,%s/seed-%lld",
				             ab->cfg_names[c], name,
				             (long long)j->seed);
			if (r < 0)
				j->label = NULL;
			if (asprintf(&j->dir, "%s/%s", a->out_dir,
			             j->label ? j->label : "") < 0)
				j->dir = NULL;
			if (asprintf(&j->log, "%s.log", j->dir ? j->dir : "")
			    < 0)
				j->log = NULL;
			if (!j->label || !j->dir || !j->log)
				return apnas_error_set(err, APNAS_ENOMEM,
				                       "out of memory");
			int search = apnas_rundir_state(j->dir,
			                                APNAS_RUN_SEARCH);
			char *rt = apnas_rundir_retrain_of(j->dir);
			if (!rt)
				return apnas_error_set(err, APNAS_ENOMEM,
				                       "out of memory");
			int train = a->retrain &&
			            apnas_rundir_state(rt, APNAS_RUN_TRAIN) !=
			                    APNAS_RUNDIR_FINISHED;
			free(rt);
			if (search != APNAS_RUNDIR_FINISHED)
				j->steps[j->nsteps++] =
					search == APNAS_RUNDIR_UNFINISHED
					? STEP_RESUME : STEP_SEARCH;
			if (train)
				j->steps[j->nsteps++] = STEP_TRAIN;
			j->state = j->nsteps ? JOB_PENDING : JOB_SKIPPED;
		}
	return 0;
}

/* The argv of a job's current step (NULL-terminated, malloc()ed; the
 * strings it owns are listed in *owned for freeing). */
static char **step_argv(const ablate *ab, const job *j, char ***owned,
                        size_t *nowned)
{
	const apnas_ablate_args *a = ab->a;
	const apnas_grid_point *pt = &ab->grid.pts[j->point];
	size_t cap = 16 + 2 * (a->nsets + pt->nsets);
	char **v = calloc(cap, sizeof *v);
	char **own = calloc(5, sizeof *own);
	if (!v || !own) {
		free(v);
		free(own);
		return NULL;
	}
	size_t k = 0, o = 0;
	v[k++] = (char *)"apnas";
	switch (j->steps[j->cur]) {
	case STEP_SEARCH:
		v[k++] = (char *)"search";
		v[k++] = (char *)a->configs[j->cfg];
		for (size_t i = 0; i < a->nsets; i++) {
			v[k++] = (char *)"--set";
			v[k++] = (char *)a->sets[i];
		}
		for (size_t i = 0; i < pt->nsets; i++) {
			v[k++] = (char *)"--set";
			v[k++] = pt->sets[i];
		}
		v[k++] = (char *)"--set";
		if (asprintf(&own[o], "run.seed=%lld", (long long)j->seed) < 0)
			goto oom;
		v[k++] = own[o++];
		v[k++] = (char *)"--out";
		v[k++] = j->dir;
		break;
	case STEP_RESUME:
		v[k++] = (char *)"search";
		v[k++] = (char *)"--resume";
		v[k++] = j->dir;
		break;
	default:
		v[k++] = (char *)"train";
		if (!(own[o] = apnas_rundir_retrain_of(j->dir)))
			goto oom;
		char *retrain = own[o++];
		/* a retraining stopped after an epoch goes on from there */
		if (apnas_rundir_state(retrain, APNAS_RUN_TRAIN) ==
		    APNAS_RUNDIR_UNFINISHED) {
			v[k++] = (char *)"--resume";
			v[k++] = retrain;
			break;
		}
		if (asprintf(&own[o], "%s/config.cfg", j->dir) < 0)
			goto oom;
		v[k++] = own[o++];
		v[k++] = (char *)"--arch";
		if (asprintf(&own[o], "%s/best.arch", j->dir) < 0)
			goto oom;
		v[k++] = own[o++];
		v[k++] = (char *)"--out";
		v[k++] = retrain;
		if (a->retrain_epochs > 0) {
			v[k++] = (char *)"--epochs";
			if (asprintf(&own[o], "%lld",
			             (long long)a->retrain_epochs) < 0)
				goto oom;
			v[k++] = own[o++];
		}
		break;
	}
	v[k] = NULL;
	*owned = own;
	*nowned = o;
	return v;
oom:
	for (size_t i = 0; i < o; i++)
		free(own[i]);
	free(own);
	free(v);
	return NULL;
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
	FILE *m = ab->a->msg;
	if (!m)
		return;
	size_t done, running, left;
	counts(ab, &done, &running, &left);
	fprintf(m, "apnas: ablate [%zu/%zu done, %zu running, %zu left] ",
	        done, ab->njobs, running, left);
	fprintf(m, fmt, label, what, secs);
	fputc('\n', m);
	fflush(m);
}

static int start_step(ablate *ab, job *j, apnas_error *err)
{
	char **owned = NULL;
	size_t nowned = 0;
	char **argv = step_argv(ab, j, &owned, &nowned);
	if (!argv)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	int rc = 0;
	/* The log sits beside the run directory; the search makes the run
	 * directory itself, so that a fresh one is not taken for an
	 * interrupted run. */
	char *parent = strdup(j->dir);
	char *slash = parent ? strrchr(parent, '/') : NULL;
	if (!parent)
		rc = apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	else if (slash) {
		*slash = '\0';
		rc = apnas_mkdir_p(parent, err);
	}
	free(parent);
	if (rc == 0) {
		pid_t pid = apnas_spawn_logged(ab->a->exe, argv, j->log, err);
		if (pid < 0)
			rc = APNAS_EIO;
		else {
			j->pid = pid;
			j->state = JOB_RUNNING;
			j->t0 = apnas_clock_now();
		}
	}
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
	free(owned);
	free(argv);
	if (rc == 0)
		progress(ab, "started %s (%s)", j->label,
		         step_names[j->steps[j->cur]], 0);
	return rc;
}

static job *job_of(ablate *ab, pid_t pid)
{
	for (size_t i = 0; i < ab->njobs; i++)
		if (ab->jobs[i].state == JOB_RUNNING && ab->jobs[i].pid == pid)
			return &ab->jobs[i];
	return NULL;
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
	const char *step = step_names[j->steps[j->cur]];
	j->pid = 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		if (++j->cur < j->nsteps) {
			j->state = JOB_PENDING;
			progress(ab, "%s: %s done in %.1f s", j->label, step,
			         secs);
			return;
		}
		j->state = JOB_DONE;
		res->finished++;
		progress(ab, "finished %s (%s, %.1f s)", j->label, step, secs);
		return;
	}
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

static int schedule(ablate *ab, apnas_ablate_result *res, apnas_error *err)
{
	const apnas_ablate_args *a = ab->a;
	sig_atomic_t forwarded = a->stop_count ? *a->stop_count : 0;
	int stopping = 0, rc = 0;
	for (;;) {
		if (a->stop && *a->stop && a->stop_count &&
		    *a->stop_count != forwarded) {
			forwarded = *a->stop_count;
			stopping = 1;
			res->stopped_by = (int)*a->stop;
			forward(ab, (int)*a->stop);
		}
		for (size_t i = 0; !stopping && rc == 0 && i < ab->njobs &&
		     running(ab) < a->jobs; i++)
			if (ab->jobs[i].state == JOB_PENDING)
				rc = start_step(ab, &ab->jobs[i], err);
		if (rc < 0) {
			/* Cannot start more: let the running ones finish. */
			stopping = 1;
		}
		if (running(ab) == 0)
			break;
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG);
		if (pid > 0) {
			job *j = job_of(ab, pid);
			if (j)
				reap(ab, j, st, stopping, res);
			continue;
		}
		if (pid < 0 && errno == ECHILD)
			break;
		/* Polling keeps the signal check simple and race-free; a
		 * tenth of a second is nothing next to a search. */
		struct timespec ts = {0, 100000000L};
		nanosleep(&ts, NULL);
	}
	return rc;
}

/* ---- the grid's record ---------------------------------------------------- */

static int write_record(FILE *f, void *ud, apnas_error *err)
{
	const ablate *ab = ud;
	const apnas_ablate_args *a = ab->a;
	fputs("{\n  \"format\": 1,\n  \"configs\": [", f);
	for (size_t i = 0; i < a->nconfigs; i++) {
		if (i)
			fputs(", ", f);
		apnas_json_str(f, a->configs[i]);
	}
	fputs("],\n  \"sets\": [", f);
	for (size_t i = 0; i < a->nsets; i++) {
		if (i)
			fputs(", ", f);
		apnas_json_str(f, a->sets[i]);
	}
	fputs("],\n  \"vary\": [", f);
	for (size_t i = 0; i < a->nvary; i++) {
		if (i)
			fputs(", ", f);
		apnas_json_str(f, a->vary[i]);
	}
	fprintf(f, "],\n  \"seeds\": %lld,\n  \"seed_base\": %lld,\n"
	        "  \"retrain\": %s,\n  \"retrain_epochs\": %lld,\n"
	        "  \"runs\": [", (long long)a->seeds, (long long)a->seed_base,
	        a->retrain ? "true" : "false", (long long)a->retrain_epochs);
	for (size_t i = 0; i < ab->njobs; i++) {
		const job *j = &ab->jobs[i];
		fputs(i ? ",\n    {\"run\": " : "\n    {\"run\": ", f);
		apnas_json_str(f, j->label);
		fputs(", \"config\": ", f);
		apnas_json_str(f, a->configs[j->cfg]);
		fputs(", \"sets\": [", f);
		const apnas_grid_point *pt = &ab->grid.pts[j->point];
		for (size_t k = 0; k < pt->nsets; k++) {
			if (k)
				fputs(", ", f);
			apnas_json_str(f, pt->sets[k]);
		}
		fprintf(f, "], \"seed\": %lld}", (long long)j->seed);
	}
	fputs(ab->njobs ? "\n  ]\n}\n" : "]\n}\n", f);
	return ferror(f) ? apnas_error_set(err, APNAS_EIO, "write failed")
	                 : 0;
}

/* One ablate at a time on a grid; its runs lock their own directories. */
static int take_lock(ablate *ab, apnas_error *err)
{
	return apnas_lock_file(ab->a->out_dir, "ablate.lock", "ablate grid",
	                       &ab->lock_fd, err);
}

static void list_runs(const ablate *ab)
{
	FILE *o = ab->a->out;
	if (!o)
		return;
	fprintf(o, "%-8s %s\n", "state", "run");
	for (size_t i = 0; i < ab->njobs; i++) {
		const job *j = &ab->jobs[i];
		char what[64] = "finished";
		if (j->nsteps) {
			snprintf(what, sizeof what, "%s",
			         step_names[j->steps[0]]);
			if (j->nsteps > 1)
				snprintf(what + strlen(what),
				         sizeof what - strlen(what), "+%s",
				         step_names[j->steps[1]]);
		}
		fprintf(o, "%-8s %s/%s\n", what, ab->a->out_dir, j->label);
	}
	fflush(o);
}

static void summary_line(const ablate *ab, size_t nvary)
{
	FILE *m = ab->a->msg;
	if (!m)
		return;
	size_t fresh = 0, resume = 0, train = 0, skip = 0;
	for (size_t i = 0; i < ab->njobs; i++) {
		const job *j = &ab->jobs[i];
		if (!j->nsteps)
			skip++;
		else if (j->steps[0] == STEP_SEARCH)
			fresh++;
		else if (j->steps[0] == STEP_RESUME)
			resume++;
		else
			train++;
	}
	char cfgs[64] = "";
	if (ab->a->nconfigs > 1)
		snprintf(cfgs, sizeof cfgs, "%zu configs x ", ab->a->nconfigs);
	fprintf(m, "apnas: ablate: %s%zu setting%s x %lld seed%s = %zu runs "
	        "in %s, %d at a time: %zu to start, %zu to resume, %zu to "
	        "retrain only, %zu already finished%s\n", cfgs, ab->grid.n,
	        ab->grid.n == 1 ? "" : "s", (long long)ab->a->seeds,
	        ab->a->seeds == 1 ? "" : "s", ab->njobs, ab->a->out_dir,
	        ab->a->jobs, fresh, resume, train, skip,
	        nvary ? "" : " (no --vary: one setting, \"base\")");
	fflush(m);
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
	ablate ab;
	memset(&ab, 0, sizeof ab);
	ab.a = a;
	ab.lock_fd = -1;
	apnas_vary *v = calloc(a->nvary ? a->nvary : 1, sizeof *v);
	if (!v)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	int rc = 0;
	size_t nv = 0;
	for (; rc == 0 && nv < a->nvary; nv++)
		rc = apnas_vary_parse(a->vary[nv], &v[nv], err);
	if (rc == 0)
		rc = apnas_grid_expand(v, a->nvary, a->seeds, &ab.grid, err);
	if (rc < 0)
		apnas_error_prefix(err, "ablate");
	for (size_t i = 0; i < nv; i++)
		apnas_vary_free(&v[i]);
	free(v);
	if (rc == 0)
		rc = name_configs(&ab, err);
	if (rc == 0)
		rc = validate(&ab, err);
	if (rc == 0)
		rc = plan(&ab, err);
	if (rc < 0)
		goto out;
	res->runs = ab.njobs;
	for (size_t i = 0; i < ab.njobs; i++)
		res->skipped += ab.jobs[i].state == JOB_SKIPPED;
	summary_line(&ab, a->nvary);
	if (a->dry_run) {
		list_runs(&ab);
		goto out;
	}
	if ((rc = apnas_mkdir_p(a->out_dir, err)) < 0 ||
	    (rc = take_lock(&ab, err)) < 0)
		goto out;
	char *rec = NULL;
	if (asprintf(&rec, "%s/ablate.json", a->out_dir) < 0) {
		rc = apnas_error_set(err, APNAS_ENOMEM, "out of memory");
		goto out;
	}
	rc = apnas_write_atomic_with(rec, 0, write_record, &ab, err);
	free(rec);
	if (rc < 0)
		goto out;

	double t0 = apnas_clock_now();
	rc = schedule(&ab, res, err);
	FILE *m = a->msg;
	if (m) {
		fprintf(m, "apnas: ablate: %zu runs: %zu finished now, %zu "
		        "already finished, %zu failed, %zu interrupted "
		        "(%.1f s)\n", res->runs, res->finished, res->skipped,
		        res->failed, res->interrupted, apnas_clock_now() - t0);
		for (size_t i = 0; i < ab.njobs; i++) {
			const job *j = &ab.jobs[i];
			if (j->state != JOB_FAILED)
				continue;
			char last[512];
			apnas_log_last_line(j->log, last, sizeof last);
			fprintf(m, "apnas: ablate: FAILED %s (%s %d): %s%s%s\n",
			        j->label, WIFEXITED(j->status) ? "exit"
			        : "signal", WIFEXITED(j->status) ?
			        WEXITSTATUS(j->status) : WTERMSIG(j->status),
			        j->log, *last ? ": " : "", last);
		}
		if (res->stopped_by)
			fprintf(m, "apnas: ablate: stopped by signal %d; run "
			        "the same command again to resume the grid\n",
			        res->stopped_by);
		fflush(m);
	}
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
	if (ab.lock_fd >= 0)
		close(ab.lock_fd);
	free_jobs(&ab);
	apnas_grid_free(&ab.grid);
	for (size_t c = 0; ab.cfg_names && c < a->nconfigs; c++)
		free(ab.cfg_names[c]);
	free(ab.cfg_names);
	return rc;
}
