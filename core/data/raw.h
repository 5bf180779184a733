/* Images as a reader hands them over: bytes in NCHW order plus labels.
 * Internal to core/data. */
#ifndef APNAS_DATA_RAW_H
#define APNAS_DATA_RAW_H

#include <stdint.h>

#include <apnas/error.h>

/* Readers refuse anything beyond these, so sizes never overflow and a
 * hostile header cannot ask for absurd allocations. */
#define APNAS_DATA_MAX_SIDE 4096
#define APNAS_DATA_MAX_IMAGES INT32_MAX
/* A dataset file (after decompression) is refused past this size while
 * it is read, so a gzip bomb or a device stops early (docs/limits.md);
 * the largest real file, CIFAR-10's training batches, is 30 MB. */
#define APNAS_DATA_MAX_FILE_BYTES (2ull << 30)

typedef struct apnas_raw {
	uint8_t *px;     /* owned: n * c * h * w bytes, image-major, CHW */
	int32_t *y;      /* owned: n labels in 0 .. classes-1 */
	int64_t n;
	int32_t c, h, w;
	int32_t classes;
} apnas_raw;

void apnas_raw_free(apnas_raw *r);

/* Bytes of one image. */
static inline int64_t apnas_raw_image_bytes(const apnas_raw *r)
{
	return (int64_t)r->c * r->h * r->w;
}

#endif
