/* Whole-file reading for the small text formats of core/hw (topologies,
 * SCALE-Sim configs).  Internal to libapnas. */
#ifndef APNAS_CORE_HW_TEXTFILE_H
#define APNAS_CORE_HW_TEXTFILE_H

#include <stddef.h>

#include <apnas/error.h>

/* Reads all of path into *buf (malloc()ed, NUL-terminated, *len bytes
 * before the NUL; the caller frees).  Files over max_len bytes are
 * refused, as are unreadable ones, with one line naming the path. */
int apnas_text_read(const char *path, size_t max_len, char **buf,
                    size_t *len, apnas_error *err);

#endif
