/* CIFAR-10 reader.  A record's pixels are already channel-major (CHW), so
 * they are copied as they are. */
#include "cifar.h"

#include <stdlib.h>
#include <string.h>

#include "readfile.h"

#define PIXELS (APNAS_CIFAR_RECORD - 1)

int apnas_cifar_append(const char *path, uint8_t *b, size_t len,
                       apnas_raw *out, apnas_error *err)
{
	int rc = 0;
	if (len == 0 || len % APNAS_CIFAR_RECORD) {
		rc = apnas_error_set(err, APNAS_EINVAL,
		        "%s: %zu bytes is not a whole number of %d-byte "
		        "CIFAR-10 records (truncated or not CIFAR-10 binary)",
		        path, len, APNAS_CIFAR_RECORD);
		goto done;
	}
	int64_t m = (int64_t)(len / APNAS_CIFAR_RECORD);
	if (out->n + m > APNAS_DATA_MAX_IMAGES) {
		rc = apnas_error_set(err, APNAS_EINVAL,
		                     "%s: too many images (over %d in all)",
		                     path, APNAS_DATA_MAX_IMAGES);
		goto done;
	}
	uint8_t *px = realloc(out->px, (size_t)(out->n + m) * PIXELS);
	if (px)
		out->px = px;
	int32_t *y = realloc(out->y, sizeof *y * (size_t)(out->n + m));
	if (y)
		out->y = y;
	if (!px || !y) {
		rc = apnas_error_set(err, APNAS_ENOMEM,
		                     "%s: out of memory", path);
		goto done;
	}
	for (int64_t i = 0; i < m; i++) {
		const uint8_t *rec = b + (size_t)i * APNAS_CIFAR_RECORD;
		if (rec[0] >= APNAS_CIFAR_CLASSES) {
			rc = apnas_error_set(err, APNAS_EINVAL,
			        "%s: label %u of record %lld out of range 0..%d",
			        path, rec[0], (long long)i,
			        APNAS_CIFAR_CLASSES - 1);
			goto done;
		}
		out->y[out->n + i] = rec[0];
		memcpy(out->px + (size_t)(out->n + i) * PIXELS, rec + 1,
		       PIXELS);
	}
	out->n += m;
done:
	free(b);
	return rc;
}

int apnas_cifar_read(const char *const *paths, size_t n_paths,
                     apnas_raw *out, apnas_error *err)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < n_paths; i++) {
		uint8_t *b;
		size_t len;
		int rc = apnas_read_file(paths[i], &b, &len, err);
		if (!rc)
			rc = apnas_cifar_append(paths[i], b, len, out, err);
		if (rc) {
			apnas_raw_free(out);
			return rc;
		}
	}
	out->c = 3;
	out->h = out->w = APNAS_CIFAR_SIDE;
	out->classes = APNAS_CIFAR_CLASSES;
	return 0;
}
