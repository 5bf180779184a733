/* Reads a small text file whole, refusing oversized ones so that a wrong
 * path (a dataset, a device) fails fast instead of filling memory. */
#include "textfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int apnas_text_read(const char *path, size_t max_len, char **buf,
                    size_t *len, apnas_error *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return apnas_error_set(err, APNAS_EIO, "%s: cannot open: %s", path,
		                       strerror(errno));
	char *b = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	for (;;) {
		if (n + 1 >= cap) {
			if (cap > max_len) {
				rc = apnas_error_set(err, APNAS_EINVAL,
				                     "%s: expected a text file of at "
				                     "most %zu bytes, got a larger one",
				                     path, max_len);
				break;
			}
			cap = cap ? 2 * cap : 16384;
			char *p = realloc(b, cap);
			if (!p) {
				rc = apnas_error_set(err, APNAS_ENOMEM,
				                     "%s: out of memory reading it",
				                     path);
				break;
			}
			b = p;
		}
		size_t got = fread(b + n, 1, cap - 1 - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (!rc && ferror(f))
		rc = apnas_error_set(err, APNAS_EIO, "%s: read error", path);
	if (!rc && n > max_len)
		rc = apnas_error_set(err, APNAS_EINVAL,
		                     "%s: expected a text file of at most %zu "
		                     "bytes, got a larger one", path, max_len);
	fclose(f);
	if (rc) {
		free(b);
		return rc;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}
