/* `apnas ablate` as a library call: validates every configuration of a
 * grid, then runs each (setting, seed) as a child `apnas search` (and
 * optionally `apnas train`) in its own run directory, J at a time,
 * resuming what an earlier invocation left unfinished, and ends with
 * `apnas report` on the grid (docs/ablations.md).  Internal to libapnas;
 * the CLI calls it. */
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
	int no_report;               /* skip the closing report */
	int no_plots;                /* report without gnuplot */
	const char *exe;             /* the apnas binary the children run */
	FILE *out;                   /* the closing report's table */
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
	int stopped_by;     /* the signal that stopped the grid, else 0 */
} apnas_ablate_result;

/* Waits for its children with waitpid(-1, ...): a caller with children
 * of its own must not call it (the CLI has none).
 * Returns 0 when the grid ran (res says how each run went; failed runs
 * do not make it fail) or was stopped by a signal (res->stopped_by),
 * APNAS_EINVAL when the grid or a configuration is refused before
 * anything runs, another negative code on a system failure or a failed
 * closing report. */
int apnas_ablate_run(const apnas_ablate_args *a, apnas_ablate_result *res,
                     apnas_error *err);

#endif
