/* Test fixture writers: a plain file, a gzip file through zlib, the IDX
 * header layout (big-endian sizes) written out byte by byte. */
#include "fixtures.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <zlib.h>

void fx_tmpdir(char *out, size_t cap)
{
	const char *t = getenv("TMPDIR");
	snprintf(out, cap, "%s/apnas-data-XXXXXX", t && *t ? t : "/tmp");
	ck_assert_msg(mkdtemp(out) != NULL, "mkdtemp %s failed", out);
}

static void rm_level(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char p[4096];
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (depth > 0)
				rm_level(p, depth - 1);
		} else {
			unlink(p);
		}
	}
	closedir(d);
	rmdir(dir);
}

void fx_rmdir(const char *dir)
{
	rm_level(dir, 1);
}

void fx_write(const char *dir, const char *name, const uint8_t *b,
              size_t len, int gz)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	if (gz) {
		gzFile f = gzopen(p, "wb");
		ck_assert_msg(f != NULL, "gzopen %s", p);
		ck_assert_int_eq(gzwrite(f, b, (unsigned)len), (int)len);
		ck_assert_int_eq(gzclose(f), Z_OK);
	} else {
		FILE *f = fopen(p, "wb");
		ck_assert_msg(f != NULL, "fopen %s", p);
		if (len)
			ck_assert_uint_eq(fwrite(b, 1, len, f), len);
		ck_assert_int_eq(fclose(f), 0);
	}
}

uint8_t *fx_idx(uint8_t type, const uint32_t *dims, int ndims,
                const uint8_t *payload, size_t payload_len, size_t *len)
{
	*len = 4 + 4 * (size_t)ndims + payload_len;
	uint8_t *b = malloc(*len);
	ck_assert_ptr_nonnull(b);
	b[0] = 0;
	b[1] = 0;
	b[2] = type;
	b[3] = (uint8_t)ndims;
	for (int i = 0; i < ndims; i++)
		for (int k = 0; k < 4; k++)
			b[4 + 4 * i + k] = (uint8_t)(dims[i] >> (24 - 8 * k));
	if (payload_len)
		memcpy(b + 4 + 4 * ndims, payload, payload_len);
	return b;
}

static void write_part(const char *dir, const char *prefix, uint32_t n,
                       uint32_t rows, uint32_t cols, int gz)
{
	size_t px = (size_t)n * rows * cols, len;
	uint8_t *pix = malloc(px ? px : 1), *lab = malloc(n ? n : 1);
	ck_assert_ptr_nonnull(pix);
	ck_assert_ptr_nonnull(lab);
	for (uint32_t i = 0; i < n; i++) {
		for (size_t k = 0; k < (size_t)rows * cols; k++)
			pix[(size_t)i * rows * cols + k] = fx_pixel(i, (int64_t)k);
		lab[i] = (uint8_t)((i * 3) % 10);
	}
	char name[128];
	const char *sfx = gz ? ".gz" : "";
	uint32_t d3[3] = {n, rows, cols}, d1[1] = {n};
	uint8_t *f = fx_idx(0x08, d3, 3, pix, px, &len);
	snprintf(name, sizeof name, "%s-images-idx3-ubyte%s", prefix, sfx);
	fx_write(dir, name, f, len, gz);
	free(f);
	f = fx_idx(0x08, d1, 1, lab, n, &len);
	snprintf(name, sizeof name, "%s-labels-idx1-ubyte%s", prefix, sfx);
	fx_write(dir, name, f, len, gz);
	free(f);
	free(pix);
	free(lab);
}

void fx_mnist_set(const char *dir, uint32_t n_train, uint32_t n_test,
                  uint32_t rows, uint32_t cols, int gz)
{
	write_part(dir, "train", n_train, rows, cols, gz);
	write_part(dir, "t10k", n_test, rows, cols, gz);
}
