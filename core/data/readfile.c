/* Whole-file reading through zlib, which reads plain files unchanged, so a
 * dataset may be stored compressed or not.  The buffer grows with what is
 * actually read: no header field is trusted for the allocation size. */
#include "readfile.h"
#include "raw.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>


int apnas_read_file(const char *path, uint8_t **buf, size_t *len,
                    apnas_error *err)
{
	*buf = NULL;
	*len = 0;
	struct stat st;
	if (stat(path, &st) != 0)
		return apnas_error_set(err, APNAS_EIO, "%s: %s", path,
		                       errno == ENOENT ? "missing file"
		                                       : strerror(errno));
	if (S_ISDIR(st.st_mode))
		return apnas_error_set(err, APNAS_EIO,
		                       "%s: is a directory, expected a file", path);

	gzFile gz = gzopen(path, "rb");
	if (!gz)
		return apnas_error_set(err, APNAS_EIO, "%s: cannot open: %s",
		                       path, errno ? strerror(errno)
		                                   : "out of memory");
	gzbuffer(gz, 1u << 17);

	size_t cap = 1u << 20, n = 0;
	uint8_t *b = malloc(cap);
	if (!b) {
		gzclose(gz);
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "%s: out of memory", path);
	}
	for (;;) {
		if (n > APNAS_DATA_MAX_FILE_BYTES) {
			free(b);
			gzclose(gz);
			return apnas_error_set(err, APNAS_EINVAL,
			        "%s: over %llu bytes (decompressed): a dataset "
			        "file holds at most %llu", path,
			        (unsigned long long)APNAS_DATA_MAX_FILE_BYTES,
			        (unsigned long long)APNAS_DATA_MAX_FILE_BYTES);
		}
		if (n == cap) {
			uint8_t *nb = cap > SIZE_MAX / 2 ? NULL
			                                 : realloc(b, cap * 2);
			if (!nb) {
				free(b);
				gzclose(gz);
				return apnas_error_set(err, APNAS_ENOMEM,
				        "%s: out of memory after %zu bytes",
				        path, n);
			}
			b = nb;
			cap *= 2;
		}
		size_t want = cap - n;
		if (want > (1u << 30))
			want = 1u << 30;
		if (want > APNAS_DATA_MAX_FILE_BYTES + 1 - n)
			want = (size_t)(APNAS_DATA_MAX_FILE_BYTES + 1 - n);
		int got = gzread(gz, b + n, (unsigned)want);
		if (got < 0) {
			int zerr;
			const char *msg = gzerror(gz, &zerr);
			/* damaged data is bad input, like a truncated plain
			 * file; only the system's read error is I/O */
			int code = zerr == Z_ERRNO ? APNAS_EIO : APNAS_EINVAL;
			apnas_error_set(err, code,
			                "%s: damaged or truncated gzip data after "
			                "%zu bytes (%s)", path, n,
			                msg && *msg ? msg : "read error");
			free(b);
			gzclose(gz);
			return code;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	/* A gzip stream cut off mid-member is not a read error for zlib: it
	 * shows as Z_BUF_ERROR in gzerror() or from gzclose(). */
	int zerr = Z_OK;
	gzerror(gz, &zerr);
	int rc = gzclose(gz);
	if (zerr == Z_BUF_ERROR || rc == Z_BUF_ERROR) {
		free(b);
		return apnas_error_set(err, APNAS_EINVAL,
		        "%s: truncated gzip data (stream ends after %zu bytes)",
		        path, n);
	}
	if (zerr != Z_OK || rc != Z_OK) {
		free(b);
		int code = zerr == Z_ERRNO || rc == Z_ERRNO ? APNAS_EIO
		                                            : APNAS_EINVAL;
		return apnas_error_set(err, code, "%s: damaged gzip data",
		                       path);
	}
	*buf = b;
	*len = n;
	return 0;
}

uint64_t apnas_file_data_bytes(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	uint64_t n = (uint64_t)st.st_size;
	FILE *f = fopen(path, "rb");
	unsigned char h[2], t[4];
	if (f && fread(h, 1, 2, f) == 2 && h[0] == 0x1f && h[1] == 0x8b &&
	    st.st_size >= 18 && fseek(f, -4, SEEK_END) == 0 &&
	    fread(t, 1, 4, f) == 4)
		/* ISIZE: the uncompressed size modulo 2^32 (a stream of
		 * 4 GiB or more is cut at the file limit while read, so
		 * what it holds is at most that limit) */
		n = (uint64_t)t[0] | (uint64_t)t[1] << 8 |
		    (uint64_t)t[2] << 16 | (uint64_t)t[3] << 24;
	if (f)
		fclose(f);
	return n < APNAS_DATA_MAX_FILE_BYTES ? n : APNAS_DATA_MAX_FILE_BYTES;
}

int apnas_find_file(const char *dir, const char *name, char *out, size_t cap,
                    apnas_error *err)
{
	char gzname[4096];
	struct stat st;
	int w = snprintf(gzname, sizeof gzname, "%s/%s.gz", dir, name);
	if (w < 0 || (size_t)w >= sizeof gzname || (size_t)w >= cap)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "%s: path too long", dir);
	if (stat(gzname, &st) == 0) {
		snprintf(out, cap, "%s", gzname);
		return 0;
	}
	snprintf(out, cap, "%s/%s", dir, name);
	if (stat(out, &st) == 0)
		return 0;
	return apnas_error_set(err, APNAS_EIO,
	                       "missing file %s (nor %s)", gzname, out);
}
