/* Reading a whole file in a test. */
#ifndef APNAS_TESTS_READFILE_H
#define APNAS_TESTS_READFILE_H

#include <stddef.h>

/* The bytes of path, malloc()ed with a '\0' after them (so text can be
 * used as a string); *len (may be NULL) gets their count.  NULL when the
 * file cannot be opened; aborts when out of memory or on a read error. */
char *t_read_file(const char *path, size_t *len);

#endif
