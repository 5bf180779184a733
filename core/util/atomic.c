/* Atomic file writes: temporary file beside the target, fsync, rename.
 * The temporary lives in the same directory so rename() stays within one
 * file system and is atomic. */
#include "atomic.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int apnas_atomic_open(apnas_atomic *a, const char *path, int binary,
                      apnas_error *err)
{
	memset(a, 0, sizeof *a);
	size_t cap = strlen(path) + 32;
	a->path = strdup(path);
	a->tmp = malloc(cap);
	if (!a->path || !a->tmp) {
		apnas_atomic_abort(a);
		return apnas_error_set(err, APNAS_ENOMEM, "%s: out of memory",
		                       path);
	}
	snprintf(a->tmp, cap, "%s.tmp.%ld", path, (long)getpid());
	a->f = fopen(a->tmp, binary ? "wb" : "w");
	if (!a->f) {
		int e = errno;
		apnas_atomic_abort(a);
		return apnas_error_set(err, APNAS_EIO, "cannot write %s: %s",
		                       path, strerror(e));
	}
	return 0;
}

int apnas_atomic_commit(apnas_atomic *a, apnas_error *err)
{
	int bad = 0, e = 0;
	if (!a->f)
		return apnas_error_set(err, APNAS_EIO,
		                       "atomic write: nothing open");
	if (ferror(a->f) || fflush(a->f) != 0 || fsync(fileno(a->f)) != 0) {
		bad = 1;
		e = errno;
	}
	if (fclose(a->f) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	a->f = NULL;
	if (!bad && rename(a->tmp, a->path) != 0) {
		bad = 1;
		e = errno;
	}
	if (bad) {
		int rc = apnas_error_set(err, APNAS_EIO, "cannot write %s: %s",
		                         a->path, strerror(e ? e : EIO));
		apnas_atomic_abort(a);
		return rc;
	}
	free(a->path);
	free(a->tmp);
	a->path = a->tmp = NULL;
	return 0;
}

void apnas_atomic_abort(apnas_atomic *a)
{
	if (a->f) {
		fclose(a->f);
		a->f = NULL;
	}
	if (a->tmp)
		unlink(a->tmp);
	free(a->path);
	free(a->tmp);
	a->path = a->tmp = NULL;
}

int apnas_write_atomic_with(const char *path, int binary,
                            int (*fn)(FILE *f, void *ud, apnas_error *err),
                            void *ud, apnas_error *err)
{
	apnas_atomic a;
	int rc = apnas_atomic_open(&a, path, binary, err);
	if (rc)
		return rc;
	rc = fn(a.f, ud, err);
	if (rc) {
		apnas_atomic_abort(&a);
		return rc;
	}
	return apnas_atomic_commit(&a, err);
}

struct blob {
	const void *data;
	size_t n;
};

static int write_blob(FILE *f, void *ud, apnas_error *err)
{
	const struct blob *b = ud;
	if (b->n && fwrite(b->data, 1, b->n, f) != b->n)
		return apnas_error_set(err, APNAS_EIO, "short write: %s",
		                       strerror(errno));
	return 0;
}

int apnas_write_atomic(const char *path, const void *data, size_t n,
                       apnas_error *err)
{
	struct blob b = {data, n};
	int rc = apnas_write_atomic_with(path, 1, write_blob, &b, err);
	if (rc && err && strncmp(err->msg, "short write", 11) == 0)
		apnas_error_prefix(err, "%s", path);
	return rc;
}

int apnas_mkdir_p(const char *dir, apnas_error *err)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "directory path too long: %s", dir);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(buf, 0777) != 0 && errno != EEXIST)
			return apnas_error_set(err, APNAS_EIO,
			                       "cannot create directory %s: %s",
			                       buf, strerror(errno));
		*p = c;
		if (!c)
			break;
	}
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return apnas_error_set(err, APNAS_EIO,
		                       "%s exists and is not a directory", dir);
	return 0;
}

int apnas_exists_in(const char *dir, const char *name)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return 0;
	int ok = access(p, F_OK) == 0;
	free(p);
	return ok;
}
