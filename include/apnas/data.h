/* Datasets and minibatches: what the core trains and evaluates on.
 *
 * A dataset is opened once per run from the resolved `data` config group
 * (apnas_data_open) or from an apnas_data_spec (embedding, tests).  It holds
 * three splits of 8-bit images: train (the first part of the training
 * file, optionally cut to its first `train_subset` images), validation (the
 * last `val_size` images of the training file) and test (the test file).
 * Pixels are kept as bytes; batches come out as float NCHW, normalised with
 * per-channel mean and standard deviation measured on the train split.
 *
 * A batcher walks one split in minibatches of a fixed size into buffers it
 * allocated once.  On the train split it shuffles every epoch (stream
 * "data" of the run seed) and augments (pad + random crop, horizontal flip;
 * stream "data.augment"); validation and test batches come in file order,
 * never augmented.  Its state (epoch, position, both streams) is a small
 * struct that a checkpoint saves, so a resumed run sees the same batches.
 *
 * Formats read: IDX (MNIST, Fashion-MNIST; gzip-compressed or plain, told
 * apart by their magic bytes) and CIFAR-10 binary batches; plus a
 * deterministic synthetic generator for tests.  Every refusal (missing or
 * truncated file, wrong magic, count mismatch, bad dimensions, label out of
 * range) is one line naming the file. */
#ifndef APNAS_DATA_H
#define APNAS_DATA_H

#include "api.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "batch.h"
#include "error.h"
#include "options.h"
#include "rng.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct apnas_dataset apnas_dataset;
typedef struct apnas_batcher apnas_batcher;

typedef enum apnas_split {
	APNAS_SPLIT_TRAIN = 0,
	APNAS_SPLIT_VAL = 1,
	APNAS_SPLIT_TEST = 2
} apnas_split;

/* Everything a dataset is built from.  apnas_data_spec_init() fills the
 * defaults, which are those of the `data` config group. */
typedef struct apnas_data_spec {
	const char *dataset;  /* "fashion_mnist", "mnist", "cifar10" or
	                         "synthetic"; borrowed for the open call */
	const char *path;     /* directory holding the files; NULL or "" takes
	                         the dataset's default location (only
	                         fashion_mnist has one); borrowed */
	int64_t val_size;     /* last images of the training file held out as
	                         validation; 0 = no validation split */
	int64_t train_subset; /* keep only the first k training images; 0 = all */
	int64_t test_subset;  /* keep only the first k test images; 0 = all */
	int normalize;        /* 1: per-channel (x - mean) / std from the train
	                         split; 0: x / 255 */
	int32_t augment_pad;  /* -1: the dataset's default (4 cifar10, 2
	                         fashion_mnist and mnist, 0 synthetic) */
	int augment_flip;     /* -1: the dataset's default (on for cifar10 only),
	                         0 off, 1 on */
	int drop_last;        /* 1: training epochs use only full batches */
	/* synthetic only: class-dependent blocky patterns plus Gaussian noise */
	int64_t synthetic_n;       /* images in the training file */
	int64_t synthetic_test_n;  /* images in the test file */
	int32_t synthetic_classes;
	int32_t synthetic_c, synthetic_h, synthetic_w;
	double synthetic_noise;    /* noise std relative to the pattern's */
	uint64_t synthetic_seed;   /* the data's own seed, not the run's */
} apnas_data_spec;

/* The defaults: fashion_mnist at its default path, val_size 5000, ... */
APNAS_API void apnas_data_spec_init(apnas_data_spec *spec);

/* Opens the dataset the resolved `data` group describes (its table is the
 * core's apnas_data_options).  `seed` is the run seed: batchers derive
 * their shuffling and augmentation streams from it.  Close with
 * apnas_data_close(). */
APNAS_API int apnas_data_open(const apnas_opts *data_opts, uint64_t seed,
                    apnas_dataset **out, apnas_error *err);
/* The same from a spec. */
APNAS_API int apnas_data_open_spec(const apnas_data_spec *spec, uint64_t seed,
                         apnas_dataset **out, apnas_error *err);
/* ds may be NULL.  Batchers of ds must be closed first. */
APNAS_API void apnas_data_close(apnas_dataset *ds);

/* Geometry and split sizes; owned by ds. */
APNAS_API const apnas_data_info *apnas_data_get_info(const apnas_dataset *ds);
/* "fashion_mnist", ...; owned by ds. */
APNAS_API const char *apnas_data_name(const apnas_dataset *ds);
/* Images of a split. */
APNAS_API int64_t apnas_data_count(const apnas_dataset *ds, apnas_split split);
/* Normalisation of channel c, in units of pixel/255: a batch holds
 * (pixel/255 - mean) / std.  Without normalisation mean 0, std 1. */
APNAS_API void apnas_data_norm(const apnas_dataset *ds, int32_t c, double *mean,
                     double *std);
/* The resolved augmentation of the train split. */
APNAS_API int32_t apnas_data_augment_pad(const apnas_dataset *ds);
APNAS_API int apnas_data_augment_flip(const apnas_dataset *ds);
/* One line for logs, e.g. "fashion_mnist 1x28x28, 10 classes: 55000
 * train / 5000 val / 10000 test, pad 2, no flip"; truncated to cap. */
APNAS_API void apnas_data_describe(const apnas_dataset *ds, char *buf, size_t cap);
/* Image i of a split, normalised, never augmented: x gets c*h*w floats
 * (caller-owned), *y its label (y may be NULL).  APNAS_EINVAL if i is out
 * of range. */
APNAS_API int apnas_data_image(const apnas_dataset *ds, apnas_split split, int64_t i,
                     float *x, int32_t *y, apnas_error *err);

/* ---- batchers -------------------------------------------------------- */

enum {
	APNAS_BATCH_SHUFFLE = 1u << 0,   /* new permutation every epoch */
	APNAS_BATCH_AUGMENT = 1u << 1,   /* pad + crop, flip: train split only */
	APNAS_BATCH_DROP_LAST = 1u << 2  /* skip the short last batch */
};

/* A batcher with the split's usual behaviour: the train split shuffles,
 * augments (when the dataset's pad or flip asks for it) and drops the
 * short last batch if the dataset's drop_last says so; validation and test
 * go in order, unaugmented, with a short last batch. */
APNAS_API int apnas_batcher_open(const apnas_dataset *ds, apnas_split split,
                       int32_t batch_size, apnas_batcher **out,
                       apnas_error *err);
/* The same with explicit APNAS_BATCH_* flags (e.g. shuffled validation
 * batches for a controller).  AUGMENT on validation or test is refused. */
APNAS_API int apnas_batcher_open_flags(const apnas_dataset *ds, apnas_split split,
                             int32_t batch_size, unsigned flags,
                             apnas_batcher **out, apnas_error *err);
/* b may be NULL. */
APNAS_API void apnas_batcher_close(apnas_batcher *b);

/* Fills *out with the next batch of the current epoch and returns 1; its
 * buffers belong to b and stay valid until the next call.  Returns 0, with
 * *out empty, once the epoch is over; the call after that starts the next
 * epoch (with a new permutation when shuffling).  Never allocates. */
APNAS_API int apnas_batcher_next(apnas_batcher *b, apnas_batch *out);

/* Batches a full epoch yields. */
APNAS_API int64_t apnas_batcher_batches_per_epoch(const apnas_batcher *b);
/* The epoch being walked, from 0. */
APNAS_API int64_t apnas_batcher_epoch(const apnas_batcher *b);
APNAS_API int32_t apnas_batcher_batch_size(const apnas_batcher *b);
APNAS_API unsigned apnas_batcher_flags(const apnas_batcher *b);

/* Where a batcher is: restoring it into a batcher opened on the same
 * dataset, split, batch size and flags makes it yield the same batches
 * from there on.  Plain data: copy it, or write it with
 * apnas_batcher_save. */
typedef struct apnas_batcher_state {
	int64_t epoch;     /* the epoch being walked */
	int64_t pos;       /* images of it already handed out */
	apnas_rng shuffle; /* the shuffle stream before this epoch's
	                      permutation was drawn */
	apnas_rng augment; /* the augmentation stream now */
} apnas_batcher_state;

APNAS_API void apnas_batcher_get_state(const apnas_batcher *b, apnas_batcher_state *st);
/* Refuses a position past the epoch's end or an all-zero stream. */
APNAS_API int apnas_batcher_set_state(apnas_batcher *b, const apnas_batcher_state *st,
                            apnas_error *err);

/* The state plus what it is valid for (split size, batch size, flags), in
 * a fixed little-endian layout for checkpoints; load refuses a state saved
 * by a batcher of another shape with one line saying what differs. */
APNAS_API int apnas_batcher_save(const apnas_batcher *b, FILE *f, apnas_error *err);
APNAS_API int apnas_batcher_load(apnas_batcher *b, FILE *f, apnas_error *err);

#ifdef __cplusplus
}
#endif
#endif
