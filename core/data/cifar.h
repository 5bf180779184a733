/* CIFAR-10 binary batches.  Internal to core/data. */
#ifndef APNAS_DATA_CIFAR_H
#define APNAS_DATA_CIFAR_H

#include <stddef.h>

#include "raw.h"

#define APNAS_CIFAR_SIDE 32
#define APNAS_CIFAR_CLASSES 10
#define APNAS_CIFAR_RECORD (1 + 3 * APNAS_CIFAR_SIDE * APNAS_CIFAR_SIDE)

/* Reads and concatenates the batch files (each a sequence of 3073-byte
 * records: label, then 1024 red, 1024 green, 1024 blue bytes), gzip or
 * plain.  Refuses, naming the file: missing or empty files, a length that
 * is not a whole number of records, labels above 9. */
int apnas_cifar_read(const char *const *paths, size_t n_paths,
                     apnas_raw *out, apnas_error *err);

/* Appends the records of one batch file's contents (b, len bytes,
 * malloc()ed: taken whatever the outcome) to out; path names it. */
int apnas_cifar_append(const char *path, uint8_t *b, size_t len,
                       apnas_raw *out, apnas_error *err);

#endif
