/* The run directory, one module for every command that keeps one (`apnas
 * search`, `apnas train`, `apnas ablate`): what a directory holds, the
 * refusal of a fresh run onto another run, the claim (create, lock,
 * probe, clear stale temporaries), the lock with its holder's pid, the
 * default names, and the run clock (wall seconds over every session) with
 * its duration format.  docs/run-directory.md describes the directories.
 *
 * Order every command keeps: refusals that need no directory first
 * (apnas_rundir_refuse_fresh), then the config, plugins and data, and
 * only then apnas_rundir_claim, so a rejected config leaves nothing
 * behind.  A resumed run locks its (existing) directory first, before it
 * reads anything from it.  Internal to libapnas. */
#ifndef APNAS_RUNDIR_H
#define APNAS_RUNDIR_H

#include <stdint.h>
#include <stddef.h>

#include <apnas/error.h>

/* Who keeps the directory: the files that mark its state differ. */
typedef enum apnas_run_kind {
	APNAS_RUN_SEARCH = 0, /* summary.json; config.cfg,
	                         checkpoint/state.ckpt */
	APNAS_RUN_TRAIN = 1   /* summary.json; checkpoint.ckpt */
} apnas_run_kind;

enum {
	APNAS_RUNDIR_EMPTY = 0,      /* no run (or no directory) */
	APNAS_RUNDIR_UNFINISHED = 1, /* a run to resume */
	APNAS_RUNDIR_FINISHED = 2    /* summary.json: somebody's result */
};

/* APNAS_RUNDIR_* for dir as a run of `kind` sees it. */
int apnas_rundir_state(const char *dir, apnas_run_kind kind);

/* A fresh run refuses a directory that holds a run of its kind, naming
 * how to go on (--resume) or --out; creates nothing. */
int apnas_rundir_refuse_fresh(const char *dir, apnas_run_kind kind,
                              apnas_error *err);

typedef struct apnas_rundir {
	char *dir;   /* owned: the path, without trailing slashes */
	int lock_fd; /* holds DIR/lock while >= 0; owned */
} apnas_rundir;

/* Remembers the path (trailing slashes dropped); touches nothing. */
int apnas_rundir_init(apnas_rundir *rd, const char *dir, apnas_error *err);

/* Takes the exclusive lock on DIR/lock (the directory must exist) and
 * writes this process's pid into it.  When another process holds it:
 * APNAS_EINVAL, "run directory DIR is in use by another apnas process
 * (pid N)".  Does nothing when already held. */
int apnas_rundir_lock(apnas_rundir *rd, apnas_error *err);

/* Creates the directory (with parents) and `sub` in it (NULL: none),
 * takes the lock, re-checks a fresh run's refusal under it (fresh != 0),
 * writes and removes a 4 KiB probe so that a read-only or full disk is
 * reported now, and removes stale temporaries ("*.tmp.<pid>", probes) of
 * interrupted writes in DIR, DIR/sub and DIR/top. */
int apnas_rundir_claim(apnas_rundir *rd, apnas_run_kind kind, int fresh,
                       const char *sub, apnas_error *err);

/* "DIR/name", malloc()ed; NULL when out of memory. */
char *apnas_rundir_path(const apnas_rundir *rd, const char *name);

/* Unlocks and frees; safe on a zeroed or released one. */
void apnas_rundir_release(apnas_rundir *rd);

/* The same lock on any file: opens (creating) dir/name, flock()s it
 * exclusively without waiting, writes the pid.  *fd gets the descriptor
 * (the caller closes it to unlock).  Busy: APNAS_EINVAL naming `what`,
 * the holder's pid and the file. */
int apnas_lock_file(const char *dir, const char *name, const char *what,
                    int *fd, apnas_error *err);

/* ---- default names ---------------------------------------------------- */

/* A search's: <root>/<config file name without extension>-seed<seed>
 * (root "" is "."). */
char *apnas_rundir_search_default(const char *root, const char *config_path,
                                  uint64_t seed);

/* A retraining's, from the architecture it retrains:
 *   <R>/best.arch of a search run directory R  -> <R>/retrain
 *   <R>/top/NN.arch of one                     -> <R>/retrain-topNN
 *   another file <R>/X.arch in one             -> <R>/retrain-X
 *   any other file D/X.arch of run RUN         -> <root>/train-RUN for
 *                                                 X = best, else
 *                                                 <root>/train-RUN-X
 *   any other file X.arch of no run            -> <root>/train-X
 *   a named architecture (all-conv3x3)         -> <root>/train-<name>
 * A search run directory holds config.cfg and a search's summary.json.
 * A file's run is the last part of the directory its provenance comment
 * names ("# found by apnas search in runs/qs (seed 1), ..."), else, for a
 * file named as a search names them (best, NN), its directory's name. */
char *apnas_rundir_train_default(const char *root, const char *arch_path);

/* "<search_dir>/retrain": where the best.arch of a search run is
 * retrained by default (and by `apnas ablate --retrain`). */
char *apnas_rundir_retrain_of(const char *search_dir);

/* 1 when dir holds a finished search (config.cfg and a summary.json that
 * is not a training's). */
int apnas_rundir_is_search_run(const char *dir);

/* ---- the run clock ---------------------------------------------------- */

/* Monotonic seconds. */
double apnas_clock_now(void);

/* Wall time of a run over all its sessions: what earlier sessions used
 * (from the checkpoint) plus this session's monotonic time. */
typedef struct apnas_run_clock {
	double t0;    /* apnas_clock_now() when this session's count began */
	double wall0; /* seconds used by earlier sessions */
} apnas_run_clock;

void apnas_run_clock_start(apnas_run_clock *c, double earlier);
double apnas_run_clock_wall(const apnas_run_clock *c);
/* This session's seconds only. */
double apnas_run_clock_session(const apnas_run_clock *c);

/* "1h02m", "3m05s", "12s"; "--" when s is not a finite non-negative. */
void apnas_fmt_duration(char *buf, size_t cap, double s);

#endif
