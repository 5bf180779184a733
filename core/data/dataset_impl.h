/* The dataset object's insides, shared by the files of core/data only. */
#ifndef APNAS_DATA_DATASET_IMPL_H
#define APNAS_DATA_DATASET_IMPL_H

#include <apnas/data.h>

#include "raw.h"

struct apnas_dataset {
	char name[32];        /* owned: "fashion_mnist", ... */
	apnas_data_info info; /* owned: what batch.h promises spaces */
	apnas_raw train_file; /* owned: train split first, validation last */
	apnas_raw test_file;  /* owned: n == 0 when there is none */
	int64_t val_first;    /* index of the first validation image */
	double *mean, *std;   /* owned: c entries, pixel/255 units */
	float *lut;           /* owned: [c][256] byte -> normalised value */
	int32_t pad;          /* resolved augmentation of the train split */
	int flip;
	int drop_last;
	uint64_t seed;        /* the run seed batchers derive streams from */
};

/* Where split s starts (its first label is *y, its first image *px) and
 * how many images it has. */
int64_t apnas_data_split_view(const apnas_dataset *ds, apnas_split s,
                              const uint8_t **px, const int32_t **y);

/* "train", "validation", "test". */
const char *apnas_data_split_name(apnas_split s);

/* Writes one image (c*h*w bytes at img) as normalised floats into out
 * (c*h*w).  With pad > 0 the image is placed in a zero border of `pad`
 * pixels (zero after normalisation, the channel mean) and the h x w window
 * at offset (dy, dx) of that, 0 <= dy, dx <= 2*pad, is kept; flip mirrors
 * the window left-right.  pad 0, dy dx 0, no flip: plain normalisation. */
void apnas_data_fill(const apnas_dataset *ds, const uint8_t *img, float *out,
                     int32_t pad, int32_t dy, int32_t dx, int flip);

#endif
