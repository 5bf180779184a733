/* IDX reader.  The format is a 4-byte magic (two zero bytes, a type code,
 * the number of dimensions), one big-endian 32-bit size per dimension,
 * then the data.  Only unsigned bytes are read: images with 3 dimensions
 * (count, rows, columns), labels with 1. */
#include "idx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "readfile.h"

#define IDX_UBYTE 0x08

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Checks the header of a ubyte IDX file with `ndims` dimensions and the
 * total length against the sizes it declares. */
static int check_header(const char *path, const uint8_t *b, size_t len,
                        uint32_t ndims, const char *what, apnas_error *err)
{
	uint32_t want = IDX_UBYTE << 8 | ndims;
	size_t head = 4 + 4 * (size_t)ndims;
	if (len < 4)
		return apnas_error_set(err, APNAS_EINVAL,
		        "%s: truncated: %zu bytes, an IDX header needs %zu",
		        path, len, head);
	uint32_t magic = be32(b);
	if (magic != want)
		return apnas_error_set(err, APNAS_EINVAL,
		        "%s: wrong magic number 0x%08x, expected 0x%08x "
		        "(IDX %s)", path, magic, want, what);
	if (len < head)
		return apnas_error_set(err, APNAS_EINVAL,
		        "%s: truncated: %zu bytes, the IDX header needs %zu",
		        path, len, head);
	return 0;
}

static int check_length(const char *path, size_t len, uint64_t want,
                        const char *what, apnas_error *err)
{
	if (len < want)
		return apnas_error_set(err, APNAS_EINVAL,
		        "%s: truncated: %zu bytes, its header declares %s "
		        "needing %llu", path, len, what,
		        (unsigned long long)want);
	if (len > want)
		return apnas_error_set(err, APNAS_EINVAL,
		        "%s: %zu bytes after the %llu its header declares "
		        "(%s): wrong header or not one IDX file", path,
		        len - (size_t)want, (unsigned long long)want, what);
	return 0;
}

int apnas_idx_parse_images(const char *path, uint8_t *b, size_t len,
                           apnas_raw *out, apnas_error *err)
{
	int rc = check_header(path, b, len, 3, "idx3-ubyte images", err);
	if (rc)
		goto done;
	uint32_t n = be32(b + 4), rows = be32(b + 8), cols = be32(b + 12);
	if (n == 0 || n > APNAS_DATA_MAX_IMAGES || rows == 0 ||
	    rows > APNAS_DATA_MAX_SIDE || cols == 0 ||
	    cols > APNAS_DATA_MAX_SIDE) {
		rc = apnas_error_set(err, APNAS_EINVAL,
		        "%s: bad dimensions %u images of %ux%u (expected "
		        "1..%d images of 1..%d pixels a side)", path, n, rows,
		        cols, APNAS_DATA_MAX_IMAGES, APNAS_DATA_MAX_SIDE);
		goto done;
	}
	char what[96];
	snprintf(what, sizeof what, "%u images of %ux%u", n, rows, cols);
	uint64_t px = (uint64_t)n * rows * cols;
	rc = check_length(path, len, 16 + px, what, err);
	if (rc)
		goto done;
	/* The pixels are already image-major CHW with c = 1: keep the
	 * buffer, just drop the header. */
	memmove(b, b + 16, (size_t)px);
	uint8_t *shrunk = realloc(b, (size_t)px);
	if (shrunk)
		b = shrunk;
	out->px = b;
	b = NULL;
	out->n = n;
	out->c = 1;
	out->h = (int32_t)rows;
	out->w = (int32_t)cols;
done:
	free(b);
	return rc;
}

int apnas_idx_parse_labels(const char *path, uint8_t *b, size_t len,
                           int64_t n_images, const char *images_path,
                           int32_t classes, apnas_raw *out,
                           apnas_error *err)
{
	int rc = check_header(path, b, len, 1, "idx1-ubyte labels", err);
	if (rc)
		goto done;
	uint32_t n = be32(b + 4);
	char what[64];
	snprintf(what, sizeof what, "%u labels", n);
	rc = check_length(path, len, 8 + (uint64_t)n, what, err);
	if (rc)
		goto done;
	if ((int64_t)n != n_images) {
		rc = apnas_error_set(err, APNAS_EINVAL,
		        "%s: %u labels, but %s has %lld images", path, n,
		        images_path, (long long)n_images);
		goto done;
	}
	out->y = malloc(sizeof *out->y * (size_t)n);
	if (!out->y) {
		rc = apnas_error_set(err, APNAS_ENOMEM,
		                     "%s: out of memory", path);
		goto done;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (b[8 + i] >= classes) {
			rc = apnas_error_set(err, APNAS_EINVAL,
			        "%s: label %u of item %u out of range 0..%d",
			        path, b[8 + i], i, classes - 1);
			goto done;
		}
		out->y[i] = b[8 + i];
	}
done:
	free(b);
	return rc;
}

int apnas_idx_read(const char *images_path, const char *labels_path,
                   int32_t classes, apnas_raw *out, apnas_error *err)
{
	memset(out, 0, sizeof *out);
	uint8_t *b;
	size_t len;
	int rc = apnas_read_file(images_path, &b, &len, err);
	if (!rc)
		rc = apnas_idx_parse_images(images_path, b, len, out, err);
	if (!rc)
		rc = apnas_read_file(labels_path, &b, &len, err);
	if (!rc)
		rc = apnas_idx_parse_labels(labels_path, b, len, out->n,
		                            images_path, classes, out, err);
	if (rc) {
		apnas_raw_free(out);
		return rc;
	}
	out->classes = classes;
	return 0;
}
