/* What the core hands a search space to train on: the data's geometry and
 * one minibatch at a time.  The loaders live in the core (core/data); a
 * space only ever sees ready, normalised, augmented float batches. */
#ifndef APNAS_BATCH_H
#define APNAS_BATCH_H

#include "api.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct apnas_data_info {
	int32_t c, h, w;   /* one image, NCHW */
	int32_t classes;   /* labels are 0 .. classes-1 */
	int64_t train_n;   /* images in the training split */
	int64_t val_n;     /* images in the validation split */
	int64_t test_n;    /* images in the test split (0 if none) */
} apnas_data_info;

typedef struct apnas_batch {
	const float *x;    /* [n][c][h][w], owned by the core, valid for the call */
	const int32_t *y;  /* [n] labels, owned by the core */
	int32_t n;         /* images in this batch (the last may be short) */
} apnas_batch;

#ifdef __cplusplus
}
#endif
#endif
