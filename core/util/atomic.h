/* Atomic file writes (and the directories they go into): readers see the old file or the complete new one,
 * never a half-written file, even if the process dies mid-write.
 * Internal to libapnas (used by the core and the CLI). */
#ifndef APNAS_CORE_ATOMIC_H
#define APNAS_CORE_ATOMIC_H

#include <stdio.h>

#include <apnas/error.h>

/* An open atomic write: write to `f`, then commit or abort. */
typedef struct apnas_atomic {
	FILE *f;    /* the temporary file; owned until commit/abort */
	char *path; /* final path; owned */
	char *tmp;  /* "<path>.tmp.<pid>"; owned */
} apnas_atomic;

/* Opens "<path>.tmp.<pid>" for writing ("w", or "wb" when binary). */
int apnas_atomic_open(apnas_atomic *a, const char *path, int binary,
                      apnas_error *err);
/* fflush + fsync + fclose the temporary, then rename it over path.
 * On failure the temporary is removed and path is left untouched. */
int apnas_atomic_commit(apnas_atomic *a, apnas_error *err);
/* Closes and removes the temporary; path is left untouched.  Safe to call
 * on a zeroed or already finished apnas_atomic. */
void apnas_atomic_abort(apnas_atomic *a);

/* Writes n bytes of data to path atomically. */
int apnas_write_atomic(const char *path, const void *data, size_t n,
                       apnas_error *err);

/* Calls fn(f, ud) on the temporary and commits if it returns 0 (its error
 * is kept; the temporary is removed). */
int apnas_write_atomic_with(const char *path, int binary,
                            int (*fn)(FILE *f, void *ud, apnas_error *err),
                            void *ud, apnas_error *err);

/* 1 when dir/name exists (of any type), else 0 (also when out of
 * memory): how a run directory's state is read from the files in it. */
int apnas_exists_in(const char *dir, const char *name);

/* Creates dir and its missing parents (like mkdir -p); refuses a path
 * that exists and is not a directory. */
int apnas_mkdir_p(const char *dir, apnas_error *err);

#endif
