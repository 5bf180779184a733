/* `apnas ablate` as a library call: validates every configuration of a
 * grid, then runs each (setting, seed) as a child `apnas search` (and
 * optionally `apnas train`) in its own run directory, J at a time,
 * resuming what an earlier invocation left unfinished, and ends with
 * `apnas report` on the grid (docs/ablations.md).  Or only plans the
 * grid (DIR/ablate.json), or runs exactly one run of a planned grid, as
 * a job of any scheduler does (docs/scale-out.md).  Internal to
 * libapnas; the CLI calls it. */
#ifndef APNAS_REPORT_ABLATE_H
#define APNAS_REPORT_ABLATE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <apnas/error.h>

typedef struct apnas_ablate_args {
	const char *const *configs;  /* the base config files, nconfigs;
	                                with several, each is one more
	                                dimension of the grid */
	size_t nconfigs;
	const char *const *sets;     /* --set for every run, nsets of them */
	size_t nsets;
	const char *const *vary;     /* "group.key=V1,V2,...", nvary */
	size_t nvary;
	int64_t seeds;               /* seeds per setting, >= 1 */
	int64_t seed_base;           /* run.seed of the first (>= 0) */
	int jobs;                    /* children at a time, >= 1 */
	const char *out_dir;         /* the grid's root directory */
	int retrain;                 /* `apnas train` each best.arch */
	int64_t retrain_epochs;      /* --epochs for train; 0: its default */
	int dry_run;                 /* list the runs, run nothing */
	int plan;                    /* write DIR/ablate.json and list the
	                                runs; run nothing */
	int json;                    /* the list as JSON, not a table */
	int no_report;               /* skip the closing report */
	int no_plots;                /* report without gnuplot */
	const char *exe;             /* the apnas binary the children run */
	FILE *out;                   /* the closing report's table, or the
	                                list of runs */
	FILE *msg;                   /* progress (stderr) */
	/* Set by the caller's SIGINT/SIGTERM handler: the signal number and
	 * how many arrived.  Each new one is passed on to the children
	 * (which checkpoint and stop); none is started after the first. */
	volatile sig_atomic_t *stop;
	volatile sig_atomic_t *stop_count;
} apnas_ablate_args;

typedef struct apnas_ablate_result {
	size_t runs;        /* configs x settings x seeds */
	size_t skipped;     /* already finished before this invocation */
	size_t finished;    /* finished by this invocation */
	size_t failed;      /* a child failed: see its log */
	size_t interrupted; /* stopped by a signal, resumable */
	size_t elsewhere;   /* held by another process's lock: left to it */
	int stopped_by;     /* the signal that stopped the grid, else 0 */
} apnas_ablate_result;

/* Waits for its own children only (by pid).
 * --plan: the grid is written to DIR/ablate.json (temporary + rename)
 * unless DIR already holds the same plan (then nothing is written);
 * DIR holding another plan is refused (APNAS_EINVAL, naming what
 * differs).  Without --plan the record is rewritten, as it always was.
 * Each run is taken under its lock (DIR/<setting>/seed-N.lock, an
 * flock() with the holder's pid): one held by another process is left
 * to it (res->elsewhere).
 * Returns 0 when the grid ran (res says how each run went; failed runs
 * do not make it fail) or was stopped by a signal (res->stopped_by),
 * APNAS_EINVAL when the grid or a configuration is refused before
 * anything runs, another negative code on a system failure or a failed
 * closing report. */
int apnas_ablate_run(const apnas_ablate_args *a, apnas_ablate_result *res,
                     apnas_error *err);

/* How a single run is run: the binary and where messages go. */
typedef struct apnas_ablate_env {
	const char *exe;   /* the apnas binary the children run */
	FILE *msg;         /* progress (stderr); NULL: silent */
	volatile sig_atomic_t *stop;       /* as in apnas_ablate_args */
	volatile sig_atomic_t *stop_count;
} apnas_ablate_env;

/* The number of runs of the grid planned in dir (dir/ablate.json); the
 * errors of apnas_ablate_run_one for a missing or damaged record. */
int apnas_ablate_plan_size(const char *dir, size_t *nruns,
                           apnas_error *err);

/* Runs exactly run k (0-based, the "index" in dir/ablate.json) of the
 * grid planned in dir, and nothing else: its search (or `search
 * --resume` when its directory holds an interrupted one), then its
 * retraining if the grid has --retrain, each a child process of env->exe
 * with its output appended to DIR/<setting>/seed-N.log.
 *   - A finished run is left alone (res->skipped = 1, says so on msg).
 *   - The run's lock, DIR/<setting>/seed-N.lock, is held throughout;
 *     when another process holds it this call says so once on msg and
 *     WAITS until it is released (the holder finished, failed or died:
 *     an flock() dies with its process), then looks at the run's files
 *     again, so it finishes what a killed holder left, or finds it done.
 *     A stop signal while waiting ends the wait (res->stopped_by).
 *   - Writes only in the run's own directory, log and lock: many runs
 *     of one grid may run at once from any number of processes or hosts
 *     sharing DIR (a filesystem where flock() works across them).
 * res->runs = 1; finished, failed, interrupted say how it went.
 * Returns 0 then (a failed run too), APNAS_EINVAL when dir has no
 * ablate.json, a damaged one, or k is out of range ("run K: the grid in
 * DIR has N runs, 0..N-1"), another negative code on a system failure.
 * Waits only for its own children (by pid), so an MPI rank or another
 * caller with children of its own may call it. */
int apnas_ablate_run_one(const char *dir, long long k,
                         const apnas_ablate_env *env,
                         apnas_ablate_result *res, apnas_error *err);

#endif
