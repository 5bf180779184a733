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
	int64_t step;          /* optimiser steps taken */
	char *ckpt;            /* owned: DIR/checkpoint.ckpt */
	char *resume_arch;     /* owned: DIR/arch.arch when resuming (a.path
	                          borrows it) */
	apnas_test_hook hook;  /* events: optimiser steps (testhook.h) */
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

#endif
