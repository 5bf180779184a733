/* IDX files (MNIST, Fashion-MNIST): idx3-ubyte images and idx1-ubyte
 * labels, gzip-compressed or plain.  Internal to core/data. */
#ifndef APNAS_DATA_IDX_H
#define APNAS_DATA_IDX_H

#include "raw.h"

/* Reads an image file and its label file into *out (c = 1).  Refuses,
 * naming the file: wrong magic numbers, bad dimensions, truncated or
 * over-long files, a label count that differs from the image count, and
 * labels outside 0 .. classes-1. */
int apnas_idx_read(const char *images_path, const char *labels_path,
                   int32_t classes, apnas_raw *out, apnas_error *err);

#endif
