/* The state of one search run, shared by the files of core/search (setup,
 * loop, checkpoint, derive, progress).  Internal to libapnas; the CLI only
 * sees search.h. */
#ifndef APNAS_SEARCH_INT_H
#define APNAS_SEARCH_INT_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include <apnas/data.h>
#include <apnas/plugin.h>
#include <apnas/rng.h>

#include "config.h"
#include "costcache.h"
#include "metrics/metrics.h"
#include "progress.h"
#include "testhook.h"
#include "search.h"

/* Phases of an epoch, as the checkpoint records them. */
enum { APNAS_PHASE_SHARED = 0, APNAS_PHASE_CONTROLLER = 1 };

/* Everything a checkpoint's CORE section holds: where the run is, the
 * core's own random stream, the running sums of the epoch in progress and
 * the byte lengths of the append-only logs.  Plain data. */
typedef struct apnas_search_counters {
	int64_t epoch;        /* epoch in progress; == epochs when training
	                         is over */
	int64_t phase;        /* APNAS_PHASE_* of that epoch */
	int64_t phase_step;   /* train batches (shared) or controller updates
	                         (controller) done in that phase */
	int64_t global_step;  /* shared-weight optimiser steps so far */
	int64_t updates;      /* controller updates so far */
	int64_t samples;      /* architectures rewarded so far */
	double wall;          /* wall seconds used by the run up to the moment
	                         this record was taken */
	double epoch_start;   /* `wall` when the epoch in progress began */
	double best_reward;   /* best reward of any sample so far (-inf) */
	double recent_front;  /* mean front metric (reward's cost, e.g.
	                         cycles) of the last update's samples */
	/* sums of the epoch in progress */
	double ep_loss_sum;   /* sum over train batches of loss * images */
	int64_t ep_correct;
	int64_t ep_images;
	double ep_reward_sum;
	double ep_reward_best;
	double ep_front_sum;  /* sum of the samples' front metric */
	int64_t ep_samples;
	double ep_sec_shared; /* wall time of the shared-weight phase */
	double ep_sec_train;  /* inside space train_step */
	double ep_sec_eval;   /* inside space evaluate / score */
	double ep_sec_ctl;    /* inside controller sample / update */
	double ep_sec_cost;   /* inside child_net + cost model (misses) */
	uint64_t samples_len; /* bytes of samples.jsonl that belong to this
	                         state */
	uint64_t epochs_len;  /* bytes of epochs.csv likewise */
	apnas_rng sampler;    /* "search.train_sampler": uniform sampling */
} apnas_search_counters;

typedef struct apnas_search {
	const apnas_search_args *args; /* borrowed from the caller */
	apnas_config *cfg;             /* owned */
	char *dir;                     /* owned: the run directory */
	int resumed;                   /* continuing from a checkpoint */
	int ckpt_nranks;               /* the MPI ranks that wrote it, 0 if
	                                  it does not say (older apnas) */
	int lock_fd;                   /* holds DIR/lock; -1 if none */

	/* options, read once */
	uint64_t seed;
	int32_t threads;
	int64_t epochs;
	double time_limit;
	int uniform_train;             /* train_sampler = "uniform" */
	int64_t controller_steps;
	int64_t aggregate;
	int checkpoint_on;
	int32_t batch_size, eval_batch_size;

	/* plugins: owned instances; the ops pointers are theirs */
	apnas_instance space, ctl, reward, cost;
	const apnas_space_ops *sops;
	const apnas_controller_ops *cops;
	const apnas_reward_ops *rops;
	apnas_metricset ms;            /* owned: the run's metrics */
	size_t front;                  /* the reward's front metric (index) */
	const char *space_name;        /* owned by cfg */
	const apnas_opts *space_opts;  /* owned by cfg */
	const apnas_decision *dec;     /* the joint list: the space's
	                                  (owned by its instance), or with
	                                  co-search dec_joint */
	size_t nd;                     /* tokens of an architecture */
	size_t nd_space;               /* of them the space's (the rest
	                                  choose the hardware) */
	apnas_decision *dec_joint;     /* owned: space's + hardware's, or
	                                  NULL without co-search */
	apnas_hwset hw;                /* owned: the cost model's hardware
	                                  decisions and instances */
	int trains;                    /* the space has train_step */
	double target;                 /* resolved reward target in the front
	                                  metric's unit, or NaN */
	char *reference;               /* owned copy of the reward's reference */

	/* data (only when the space trains) */
	apnas_dataset *ds;             /* owned */
	apnas_batcher *train_b;        /* owned: shuffled, augmented */
	apnas_batcher *val_b;          /* owned: rotating controller batches */

	apnas_costcache cache;         /* owned */
	apnas_search_counters ct;      /* checkpointed */

	/* logs, open for appending (owned) */
	FILE *samples_f;
	FILE *epochs_f;

	/* scratch for one controller update (owned): aggregate entries */
	int32_t *toks;
	double *rewards;
	double *values;                /* aggregate x ms.n metric values */
	apnas_sample_info *infos;
	int64_t *val_images;           /* images each sample was scored on */

	/* session clock */
	double session_t0;             /* monotonic seconds at session start */
	double wall_at_t0;             /* ct.wall when the session started */

	apnas_progress prog;           /* owned */
	/* this session's throughput, for the ETA (not checkpointed) */
	double rate_train_s, rate_sample_s;
	int64_t rate_train_n, rate_sample_n, rate_images;
	apnas_test_hook hook;          /* see apnas_search_tick() */
	char stop_reason[32];          /* "", "time_limit", "signal" */

	/* MPI ranks (dist.c); 0 and 1 when the process runs alone */
	int rank, nranks;
	const apnas_collective *coll;  /* owned by core/mpi; NULL alone */
	int stop_sig;                  /* the signal the ranks agreed on */
	int quiet_error;               /* another rank reports the failure */
	int agreed_error;              /* every rank failed the same way */
} apnas_search;

/* Monotonic seconds. */
double apnas_search_now(void);
/* The run's wall seconds so far (earlier sessions included). */
double apnas_search_wall(const apnas_search *s);

/* Test hooks: counts events (train steps, controller samples, checkpoint
 * renames, derive scoring batches, derive files) and raises SIGKILL at
 * event number $APNAS_TEST_KILL_AT, SIGTERM at $APNAS_TEST_TERM_AT.
 * Costs one compare when neither is set. */
void apnas_search_tick(apnas_search *s);

/* Why the loop must stop now: 0 = go on, else an APNAS_STOP_* value. */
enum { APNAS_STOP_NONE = 0, APNAS_STOP_SIGNAL = 1, APNAS_STOP_TIME = 2 };
int apnas_search_should_stop(apnas_search *s);

/* Zeroes the epoch sums of ct for an epoch starting at wall seconds. */
void apnas_search_reset_epoch(apnas_search_counters *ct, double wall);

/* Trains until the last epoch ends or a stop.  Returns 0 when all epochs
 * are done, APNAS_STOP_TIME / APNAS_STOP_SIGNAL (> 0, checkpoint written
 * when enabled), or < 0 with err filled. */
int apnas_search_loop(apnas_search *s, apnas_error *err);

/* Checkpoint: logs synced, then DIR/checkpoint/state.ckpt atomically. */
int apnas_search_checkpoint(apnas_search *s, apnas_error *err);
/* Restores the state from DIR/checkpoint/state.ckpt into a set-up run. */
int apnas_search_restore(apnas_search *s, apnas_error *err);

/* Derive and write pareto.csv, candidates.csv, best.arch, top/,
 * summary.json; prints the table on args->out. */
int apnas_search_derive(apnas_search *s, apnas_error *err);

/* The reward of metric values v (s->ms.n entries, accuracy filled);
 * a non-finite reward is an error naming the values. */
int apnas_search_reward(apnas_search *s, const double *v, double *reward,
                        apnas_error *err);

/* Accuracy of tok: one validation minibatch (data) or score() (no data). */
int apnas_search_accuracy(apnas_search *s, const int32_t *tok,
                          const apnas_batch *b, double *acc,
                          apnas_error *err);

/* ---- MPI ranks (dist.c) ---- */

/* Refusals of a distributed run known before the first step: a space
 * that does not train or predates ABI 2.2, batches smaller than the rank
 * count. */
int apnas_search_dist_check(apnas_search *s, apnas_error *err);
/* After setup, every rank: *failed becomes whether any rank failed; the
 * lowest failing rank keeps its message (prefixed with its rank), the
 * others get quiet_error. */
int apnas_search_dist_agree(apnas_search *s, int *failed, apnas_error *err);
/* apnas_search_should_stop agreed over the ranks (stop_sig set); < 0 on
 * a transport error. */
int apnas_search_stop_now(apnas_search *s, apnas_error *err);
/* tok (s->nd tokens) from rank 0 to every rank. */
int apnas_search_bcast_tok(apnas_search *s, int32_t *tok, apnas_error *err);
/* This rank's contiguous share of a global batch. */
void apnas_search_share(const apnas_search *s, const apnas_batch *full,
                        apnas_batch *mine);
/* Whether every rank's space state is rank 0's (its save() output);
 * APNAS_EPLUGIN naming the first rank that differs. */
int apnas_search_check_ranks(apnas_search *s, apnas_error *err);

/* A path inside the run directory, malloc()ed. */
char *apnas_search_path(const apnas_search *s, const char *name);

#endif
