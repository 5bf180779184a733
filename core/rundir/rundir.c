/* Claiming and locking a run directory: see rundir.h.  The lock is an
 * flock() on DIR/lock, so it dies with its process (a SIGKILLed run never
 * leaves a directory locked); the pid written into the file is only for
 * the message that names who holds it. */
#include "rundir/rundir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "atomic.h"

int apnas_rundir_state(const char *dir, apnas_run_kind kind)
{
	if (apnas_exists_in(dir, "summary.json"))
		return APNAS_RUNDIR_FINISHED;
	if (kind == APNAS_RUN_SEARCH
	            ? apnas_exists_in(dir, "config.cfg") ||
	                      apnas_exists_in(dir, "checkpoint/state.ckpt")
	            : apnas_exists_in(dir, "checkpoint.ckpt"))
		return APNAS_RUNDIR_UNFINISHED;
	return APNAS_RUNDIR_EMPTY;
}

int apnas_rundir_refuse_fresh(const char *dir, apnas_run_kind kind,
                              apnas_error *err)
{
	int st = apnas_rundir_state(dir, kind);
	if (kind == APNAS_RUN_SEARCH) {
		if (st == APNAS_RUNDIR_FINISHED)
			return apnas_error_set(err, APNAS_EINVAL,
				"%s holds a finished run; continue it with "
				"--resume %s (e.g. --set search.epochs=N) or "
				"choose another --out", dir, dir);
		if (st == APNAS_RUNDIR_UNFINISHED)
			return apnas_error_set(err, APNAS_EINVAL,
				"%s holds an unfinished run; continue it with "
				"--resume %s or choose another --out", dir, dir);
		return 0;
	}
	/* A finished training is somebody's result, and one with a
	 * checkpoint a training to go on with, not to start over. */
	if (st == APNAS_RUNDIR_FINISHED)
		return apnas_error_set(err, APNAS_EINVAL,
			"%s already holds a finished training (summary.json); "
			"choose another --out", dir);
	if (st == APNAS_RUNDIR_UNFINISHED)
		return apnas_error_set(err, APNAS_EINVAL,
			"%s holds an unfinished training (checkpoint.ckpt); go "
			"on with apnas train --resume %s, or choose another "
			"--out", dir, dir);
	return 0;
}

int apnas_rundir_init(apnas_rundir *rd, const char *dir, apnas_error *err)
{
	rd->lock_fd = -1;
	rd->dir = strdup(dir);
	if (!rd->dir)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	/* Trailing slashes would double up in every path we print. */
	for (size_t n = strlen(rd->dir); n > 1 && rd->dir[n - 1] == '/'; n--)
		rd->dir[n - 1] = '\0';
	return 0;
}

char *apnas_rundir_path(const apnas_rundir *rd, const char *name)
{
	char *p = NULL;
	return asprintf(&p, "%s/%s", rd->dir, name) < 0 ? NULL : p;
}

void apnas_rundir_release(apnas_rundir *rd)
{
	if (rd->lock_fd >= 0)
		close(rd->lock_fd);
	rd->lock_fd = -1;
	free(rd->dir);
	rd->dir = NULL;
}

/* The pid the holder wrote, or 0 when it is not (yet) readable. */
static long holder_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	long pid = strtol(buf, NULL, 10);
	return pid > 0 ? pid : 0;
}

int apnas_lock_file(const char *dir, const char *name, const char *what,
                    int *fd, apnas_error *err)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "%s/%s", dir, name) >=
	    (int)sizeof path)
		return apnas_error_set(err, APNAS_EINVAL,
			"%s: path longer than %d bytes", dir, PATH_MAX - 1);
	int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (f < 0)
		return apnas_error_set(err, APNAS_EIO,
			"%s %s is not writable: cannot create %s: %s", what,
			dir, path, strerror(errno));
	if (flock(f, LOCK_EX | LOCK_NB) != 0) {
		long pid = holder_pid(f);
		close(f);
		char by[64] = "";
		if (pid)
			snprintf(by, sizeof by, " (pid %ld)", pid);
		return apnas_error_set(err, APNAS_EINVAL,
			"%s %s is in use by another apnas process%s: it holds "
			"%s", what, dir, by, path);
	}
	/* Who holds it, for the message of the next process that tries. */
	char pid[32];
	int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(f, 0) != 0 || pwrite(f, pid, (size_t)n, 0) != n) {
		int e = errno;
		close(f);
		return apnas_error_set(err, APNAS_EIO, "cannot write %s: %s",
		                       path, strerror(e));
	}
	*fd = f;
	return 0;
}

int apnas_rundir_lock(apnas_rundir *rd, apnas_error *err)
{
	if (rd->lock_fd >= 0)
		return 0;
	return apnas_lock_file(rd->dir, "lock", "run directory", &rd->lock_fd,
	                       err);
}

/* Writes and removes a probe file, so that a read-only or full run
 * directory is reported before any training. */
static int probe_dir(const char *dir, apnas_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/.probe.%ld", dir, (long)getpid());
	FILE *f = fopen(path, "w");
	int bad = !f;
	int e = errno;
	if (f) {
		char block[4096];
		memset(block, 0, sizeof block);
		if (fwrite(block, 1, sizeof block, f) != sizeof block ||
		    fflush(f) != 0 || fsync(fileno(f)) != 0) {
			bad = 1;
			e = errno;
		}
		fclose(f);
		unlink(path);
	}
	if (bad)
		return apnas_error_set(err, APNAS_EIO,
			"run directory %s is not writable: %s", dir,
			strerror(e ? e : EIO));
	return 0;
}

/* Stale temporaries of an interrupted atomic write ("x.tmp.<pid>"). */
static void remove_temporaries(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strstr(e->d_name, ".tmp.") ||
		    strncmp(e->d_name, ".probe.", 7) == 0) {
			char path[PATH_MAX];
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			unlink(path);
		}
	}
	closedir(d);
}

static void remove_temporaries_in(const apnas_rundir *rd, const char *sub)
{
	char *p = apnas_rundir_path(rd, sub);
	if (p)
		remove_temporaries(p);
	free(p);
}

int apnas_rundir_claim(apnas_rundir *rd, apnas_run_kind kind, int fresh,
                       const char *sub, apnas_error *err)
{
	int rc = apnas_mkdir_p(rd->dir, err);
	if (rc < 0)
		return rc;
	if (sub) {
		char *p = apnas_rundir_path(rd, sub);
		if (!p)
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "out of memory");
		rc = apnas_mkdir_p(p, err);
		free(p);
		if (rc < 0)
			return rc;
	}
	rc = apnas_rundir_lock(rd, err);
	/* Another fresh run may have started here since the first check. */
	if (rc == 0 && fresh)
		rc = apnas_rundir_refuse_fresh(rd->dir, kind, err);
	if (rc == 0)
		rc = probe_dir(rd->dir, err);
	if (rc < 0)
		return rc;
	remove_temporaries(rd->dir);
	if (sub)
		remove_temporaries_in(rd, sub);
	remove_temporaries_in(rd, "top");
	return 0;
}
