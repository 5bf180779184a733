/* `apnas train`'s checkpoint, DIR/checkpoint.ckpt: written atomically
 * after every epoch, so that a training stopped by a signal, a crash or
 * the end of a session goes on from its last finished epoch with `apnas
 * train --resume DIR`, with the same weights bit for bit as if it had not
 * stopped.  It uses the search's checkpoint container (search/ckpt.h):
 * TRAN (progress, per-epoch records, the architecture's tokens), RANK (the
 * MPI ranks that wrote it), TRNB and TSTB (the batchers), SPAC (the
 * space's save()).  Removed once the training finished: weights.bin then
 * holds the weights. */
#ifndef APNAS_TRAIN_TRAIN_CKPT_H
#define APNAS_TRAIN_TRAIN_CKPT_H

#include <stddef.h>
#include <stdint.h>

#include <apnas/data.h>
#include <apnas/plugin.h>

typedef struct train_epoch_rec {
	double loss, train_acc, test_acc, seconds;
} train_epoch_rec;

/* Where a training is.  Owned by the caller, hist included. */
typedef struct train_progress {
	long done;              /* epochs finished */
	int64_t step;           /* optimiser steps taken */
	int64_t images;         /* training images seen */
	double wall;            /* seconds trained, over every session */
	train_epoch_rec *hist;  /* [done] on save; room for `cap` on load */
	int nranks;             /* MPI ranks training (1 without MPI); on
	                           load those that wrote the checkpoint, 0
	                           when it predates the record */
} train_progress;

/* What the checkpoint is of: the space, its tokens and the batchers. */
typedef struct train_ckpt_parts {
	const apnas_space_ops *ops;   /* borrowed */
	void *space;                  /* borrowed: the space instance */
	const int32_t *tok;           /* borrowed: nd tokens */
	size_t nd;
	apnas_batcher *train_b;       /* borrowed */
	apnas_batcher *test_b;        /* borrowed */
} train_ckpt_parts;

int train_ckpt_save(const char *path, const train_progress *p,
                    const train_ckpt_parts *parts, apnas_error *err);

/* Restores p (at most cap epochs of history), the batchers and the
 * space.  Refuses a file that is torn, foreign, of another architecture
 * or with more epochs done than cap; what it restored before the refusal
 * is then not to be used. */
int train_ckpt_load(const char *path, train_progress *p, long cap,
                    const train_ckpt_parts *parts, apnas_error *err);

#endif
