/* `apnas train` as a library call, beside the search (search/search.h)
 * and with its contract: retrains one architecture from scratch (a fresh
 * space instance, its own weights) on the whole training file
 * (data.val_size is preset to 0; --set data.val_size=N keeps the
 * validation images out), evaluates on the test split after every epoch
 * and reports test accuracy and the cost of exactly the network it
 * trained (train_cost.h).  The run directory (core/rundir) is claimed only
 * once config, data, space and cost model are known to be good, and
 * locked while the training works in it; it gets the resolved config and
 * the architecture at the start, a checkpoint after every epoch (`--resume
 * DIR` goes on from it bit for bit), and at the end the weights and
 * summary.json, each written atomically.  docs/run-directory.md describes
 * the directory.  Internal to libapnas (the CLI calls it). */
#ifndef APNAS_TRAIN_H
#define APNAS_TRAIN_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include <apnas/error.h>

typedef struct apnas_train_args {
	const char *config_path;   /* the config; may be NULL (defaults);
	                              NULL when resuming */
	const char *arch;          /* an architecture file or a named
	                              architecture of the config's space;
	                              NULL when resuming */
	const char *const *sets;   /* "group.key=value" overrides, nsets of
	                              them, applied after the file's header;
	                              none when resuming */
	size_t nsets;
	long epochs;               /* total epochs, 0: train.epochs; on
	                              resume a new total (>= epochs done) */
	const char *out_dir;       /* NULL: apnas_rundir_train_default() */
	const char *resume_dir;    /* go on with this training; NULL: fresh */
	int quiet;                 /* no start line, no per-epoch lines */
	FILE *out;                 /* data: the result lines */
	FILE *msg;                 /* progress and notes (stderr) */
	/* Set (to the signal number) by the caller's SIGINT/SIGTERM handler;
	 * checked before every optimiser step.  May be NULL. */
	volatile sig_atomic_t *stop;
} apnas_train_args;

typedef struct apnas_train_result {
	char dir[4096];            /* the run directory used */
	int stopped_by;            /* the signal that stopped it, else 0 */
	int threads;               /* engine threads it trained with */
	int quiet;                 /* MPI: another rank reports the outcome;
	                              print nothing */
	int lone_failure;          /* MPI: failed where the other ranks wait
	                              in a collective: the caller aborts them */
} apnas_train_result;

/* Returns 0 when trained (or APNAS_EINTR when a signal stopped it: the
 * last finished epoch's checkpoint is kept, res->stopped_by says which),
 * or another negative code with err filled: APNAS_EINVAL for refusals of
 * the configuration, the architecture or the directory (nothing was
 * trained, and a fresh run left no directory behind), APNAS_ENUM when
 * the loss is not finite. */
int apnas_train_run(const apnas_train_args *a, apnas_train_result *res,
                    apnas_error *err);

#endif
