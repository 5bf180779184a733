/* `apnas search` as a library call: runs the search loop of method.md
 * section 2 from a config (or continues one from its run directory),
 * derives the final architectures and fills the run directory described
 * in docs/run-directory.md.  Internal to libapnas (the CLI calls it). */
#ifndef APNAS_SEARCH_H
#define APNAS_SEARCH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <apnas/error.h>

typedef struct apnas_search_args {
	const char *config_path;   /* the config; NULL when resuming */
	const char *const *sets;   /* "group.key=value" overrides, nsets of
	                              them; on resume only search.epochs and
	                              search.time_limit may change */
	size_t nsets;
	const char *out_dir;       /* NULL: runs/<config name>-seed<seed> */
	const char *resume_dir;    /* continue this run; NULL: a fresh run */
	int quiet;                 /* no progress at all */
	FILE *out;                 /* data: the Pareto table, file paths */
	FILE *msg;                 /* progress and notes (stderr) */
	/* Set (to the signal number) by the caller's SIGINT/SIGTERM handler;
	 * the loop checks it between steps.  May be NULL. */
	volatile sig_atomic_t *stop;
} apnas_search_args;

typedef struct apnas_search_result {
	char dir[4096];            /* the run directory used */
	int stopped_by;            /* the signal that stopped it, else 0 */
	int time_limit_hit;        /* derived early at search.time_limit */
	int quiet;                 /* MPI: another rank reports the failure;
	                              print nothing */
	int lone_failure;          /* MPI: failed mid-loop where the other
	                              ranks cannot know it (they wait in a
	                              collective): the caller aborts them */
} apnas_search_result;

/* Returns 0 when the run derived its results (all epochs, or the time
 * limit), APNAS_EINTR when a signal stopped it after a checkpoint, or
 * another negative code with err filled (APNAS_EINVAL for configuration
 * and run-directory refusals, APNAS_ENUM for a non-finite loss). */
int apnas_search_run(const apnas_search_args *a, apnas_search_result *res,
                     apnas_error *err);

/* What a checkpoint file says about where its run stands. */
typedef struct apnas_search_ckpt_info {
	int64_t epoch;       /* epochs finished (the one in progress, from 0) */
	int64_t phase;       /* 0 shared-weight phase, 1 controller phase */
	int64_t phase_step;  /* steps of that phase done */
	int64_t global_step; /* shared-weight steps so far */
	int64_t updates;     /* controller updates so far */
	int64_t samples;     /* rewarded architectures so far */
	double wall;         /* wall seconds used so far */
	uint64_t seed;       /* run.seed it was written with */
} apnas_search_ckpt_info;

/* Reads and checks DIR/checkpoint/state.ckpt (or any path to one). */
int apnas_search_checkpoint_info(const char *path,
                                 apnas_search_ckpt_info *info,
                                 apnas_error *err);

#endif
