/* The state of one training, shared by the files of core/train (setup in
 * train.c, epochs in train_epochs.c, outputs in train_out.c).  Internal to
 * libapnas; the CLI only sees train.h. */
#ifndef APNAS_TRAIN_INT_H
#define APNAS_TRAIN_INT_H

#include <stdint.h>

#include <apnas/data.h>

#include "rundir/rundir.h"
#include "testhook.h"
#include "arch/arch_open.h"
#include "train/train.h"
#include "train/train_ckpt.h"
#include "train/train_cost.h"

typedef struct apnas_trainer {
	const apnas_train_args *args; /* borrowed from the caller */
	apnas_arch_open a;     /* owned: config, architecture, space */
	apnas_dataset *ds;     /* owned */
	apnas_batcher *train_b, *test_b; /* owned */
	apnas_train_cost cost; /* owned: cost model and trained network */
	apnas_rundir rd;       /* owned: the directory and its lock */
	uint64_t seed;
	int threads;           /* resolved (util/threads.h) */
	int32_t batch, eval_batch;
	long epochs;           /* the total */
	train_epoch_rec *hist; /* owned: [epochs] */
	double wall;           /* seconds of training and evaluation, over
	                          every session */
	int64_t images;        /* training images seen */
	int64_t test_n;        /* images of the test split */
	long done;             /* epochs finished (a resumed run starts
	                          there) */
	int ckpt_nranks;       /* the MPI ranks that wrote the checkpoint
	                          resumed, 0 if it does not say */
	int64_t step;          /* optimiser steps taken */
	char *ckpt;            /* owned: DIR/checkpoint.ckpt */
	char *resume_arch;     /* owned: DIR/arch.arch when resuming (a.path
	                          borrows it) */
	apnas_test_hook hook;  /* events: optimiser steps (testhook.h) */

	/* MPI ranks (train_dist.c); 0 and 1 when the process runs alone */
	int rank, nranks;
	int stop_sig;          /* the signal the ranks agreed to stop on */
	int agreed_error;      /* every rank failed the same way */
} apnas_trainer;

/* A signal stopped the training (not an APNAS_E* code). */
#define APNAS_TRAIN_STOPPED 1

/* Trains the epochs from t->done to t->epochs, a checkpoint after each.
 * Returns 0, APNAS_TRAIN_STOPPED, or < 0 with err filled. */
int apnas_train_epochs(apnas_trainer *t, apnas_error *err);

/* Restores a resumed training from DIR/checkpoint.ckpt when there is one
 * (a training stopped in its first epoch left none and starts over). */
int apnas_train_restore(apnas_trainer *t, apnas_error *err);

/* config.cfg and (fresh) arch.arch before the first epoch. */
int apnas_train_write_start(apnas_trainer *t, int resuming,
                            apnas_error *err);
/* weights.bin, arch.arch with the results, summary.json last; then the
 * checkpoint goes. */
int apnas_train_write_outputs(apnas_trainer *t, apnas_error *err);
/* The result lines on args->out. */
void apnas_train_print_result(const apnas_trainer *t);

/* ---- MPI ranks (train_dist.c) ---- */

/* Refusals of a distributed training known before the first step: a
 * space built before ABI 2.2, batches smaller than the rank count. */
int apnas_train_dist_check(apnas_trainer *t, apnas_error *err);
/* After setup, every rank: *failed becomes whether any rank failed; the
 * lowest failing rank keeps its message, *quiet is set on the others. */
int apnas_train_dist_agree(apnas_trainer *t, int *failed, int *quiet,
                           apnas_error *err);
/* Whether to stop now (a signal on any rank), agreed over the ranks. */
int apnas_train_stop_now(apnas_trainer *t, apnas_error *err);
/* This rank's contiguous share of a global batch. */
void apnas_train_share(const apnas_trainer *t, const apnas_batch *full,
                       apnas_batch *mine);
/* Whether every rank's space state is rank 0's; APNAS_EPLUGIN naming the
 * first rank that differs (agreed_error set). */
int apnas_train_check_ranks(apnas_trainer *t, apnas_error *err);

#endif
