/* IDX files (MNIST, Fashion-MNIST): idx3-ubyte images and idx1-ubyte
 * labels, gzip-compressed or plain.  Internal to core/data. */
#ifndef APNAS_DATA_IDX_H
#define APNAS_DATA_IDX_H

#include <stddef.h>

#include "raw.h"

/* Reads an image file and its label file into *out (c = 1).  Refuses,
 * naming the file: wrong magic numbers, bad dimensions, truncated or
 * over-long files, a label count that differs from the image count, and
 * labels outside 0 .. classes-1. */
int apnas_idx_read(const char *images_path, const char *labels_path,
                   int32_t classes, apnas_raw *out, apnas_error *err);

/* The same checks on file contents in memory (b, len bytes, malloc()ed:
 * taken whatever the outcome); path names the file in messages.  Images
 * fill out's pixels and geometry, labels its y for n_images images. */
int apnas_idx_parse_images(const char *path, uint8_t *b, size_t len,
                           apnas_raw *out, apnas_error *err);
int apnas_idx_parse_labels(const char *path, uint8_t *b, size_t len,
                           int64_t n_images, const char *images_path,
                           int32_t classes, apnas_raw *out,
                           apnas_error *err);

#endif
