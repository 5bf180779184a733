/* Small dataset files for the data tests, written in the real formats
 * (IDX, CIFAR-10 binary), plain or gzip-compressed, into a private
 * temporary directory. */
#ifndef APNAS_TEST_DATA_FIXTURES_H
#define APNAS_TEST_DATA_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

/* A fresh directory under $TMPDIR (or /tmp); aborts the test if it
 * cannot be made.  The returned string is static per call site: copy it. */
void fx_tmpdir(char *out, size_t cap);
/* Removes the directory and the regular files in it (one level, plus one
 * level of subdirectories). */
void fx_rmdir(const char *dir);

/* Writes len bytes to dir/name, compressed with gzip if gz. */
void fx_write(const char *dir, const char *name, const uint8_t *b,
              size_t len, int gz);

/* Builds an IDX file image in memory (malloc()ed; *len set): magic with
 * the given type code and dimension sizes, then `payload` bytes. */
uint8_t *fx_idx(uint8_t type, const uint32_t *dims, int ndims,
                const uint8_t *payload, size_t payload_len, size_t *len);

/* The deterministic test pattern: pixel value of byte k of image i. */
static inline uint8_t fx_pixel(int64_t i, int64_t k)
{
	return (uint8_t)((i * 37 + k * 11 + (k * k) % 7) & 0xff);
}

/* Writes the four MNIST-layout files (train-/t10k- images and labels) for
 * n_train and n_test images of rows x cols, pixels fx_pixel(), labels
 * (i * 3) % 10. */
void fx_mnist_set(const char *dir, uint32_t n_train, uint32_t n_test,
                  uint32_t rows, uint32_t cols, int gz);

#endif
