/* See readfile.h. */
#include "readfile.h"

#include <stdio.h>
#include <stdlib.h>

char *t_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0, got;
	char *b = malloc(cap);
	if (!b)
		abort();
	while ((got = fread(b + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (cap - n < 2 && !(b = realloc(b, cap *= 2)))
			abort();
	}
	if (ferror(f))
		abort();
	fclose(f);
	b[n] = '\0';
	if (len)
		*len = n;
	return b;
}
