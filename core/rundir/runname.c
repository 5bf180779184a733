/* Default run directory names: see rundir.h.  A retraining is named after
 * the run it retrains, so that two searches' best.arch never share one
 * directory (both used to be runs/train-best). */
#include "rundir/rundir.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"

/* The file name of path without its directory and extension. */
static void stem(const char *path, const char **s, int *n)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t len = strlen(base);
	const char *dot = strrchr(base, '.');
	if (dot && dot != base)
		len = (size_t)(dot - base);
	*s = base;
	*n = (int)len;
}

char *apnas_rundir_search_default(const char *root, const char *config_path,
                                  uint64_t seed)
{
	const char *s;
	int n;
	stem(config_path, &s, &n);
	char *p = NULL;
	if (asprintf(&p, "%s/%.*s-seed%llu", *root ? root : ".", n, s,
	             (unsigned long long)seed) < 0)
		return NULL;
	return p;
}

int apnas_rundir_is_search_run(const char *dir)
{
	if (!apnas_exists_in(dir, "config.cfg"))
		return 0;
	char *p = NULL;
	if (asprintf(&p, "%s/summary.json", dir) < 0)
		return 0;
	FILE *f = fopen(p, "r");
	free(p);
	if (!f)
		return 0;
	/* A training's summary says so in its first member. */
	char head[256];
	size_t n = fread(head, 1, sizeof head - 1, f);
	fclose(f);
	head[n] = '\0';
	return n > 0 && !strstr(head, "\"command\": \"train\"");
}

char *apnas_rundir_retrain_of(const char *search_dir)
{
	char *p = NULL;
	return asprintf(&p, "%s/retrain", search_dir) < 0 ? NULL : p;
}

/* "03" and "best": the names a search gives its architecture files. */
static int search_written(const char *s, int n)
{
	if (n == 4 && !strncmp(s, "best", 4))
		return 1;
	for (int i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return n > 0;
}

/* The run an architecture file says it was found in: the last part of
 * DIR in its header comment "# found by apnas search in DIR (seed N)..."
 * (docs/arch-format.md), malloc()ed; NULL when it says none. */
static char *provenance_run(const char *arch_path)
{
	static const char tag[] = "# found by apnas search in ";
	FILE *f = fopen(arch_path, "r");
	if (!f)
		return NULL;
	char line[4096];
	char *run = NULL;
	/* the header only: comments come before the body's "---" */
	for (int k = 0; !run && k < 256 && fgets(line, sizeof line, f); k++) {
		if (!strncmp(line, "---", 3))
			break;
		if (strncmp(line, tag, sizeof tag - 1))
			continue;
		char *d = line + sizeof tag - 1;
		char *end = strstr(d, " (seed ");
		if (!end)
			break;
		while (end > d && end[-1] == '/')
			end--;
		*end = '\0';
		char *base = strrchr(d, '/');
		base = base ? base + 1 : d;
		if (*base && strcmp(base, ".") && strcmp(base, ".."))
			run = strdup(base);
	}
	fclose(f);
	return run;
}

/* <root>/train-<run>, -<stem> added unless the file is the run's best. */
static char *train_name(const char *root, const char *run, const char *s,
                        int n)
{
	char *p = NULL;
	int r;
	if (!run)
		r = asprintf(&p, "%s/train-%.*s", root, n, s);
	else if (n == 4 && !strncmp(s, "best", 4))
		r = asprintf(&p, "%s/train-%s", root, run);
	else
		r = asprintf(&p, "%s/train-%s-%.*s", root, run, n, s);
	return r < 0 ? NULL : p;
}

char *apnas_rundir_train_default(const char *root, const char *arch_path)
{
	const char *s;
	int n;
	stem(arch_path, &s, &n);
	/* the directory part of the path, and the one above it */
	int dlen = (int)(s - arch_path) - 1; /* without the slash; <0: none */
	char *dir = dlen > 0 ? strndup(arch_path, (size_t)dlen)
	                     : strdup(dlen == 0 ? "/" : ".");
	if (!dir)
		return NULL;
	char *p = NULL;
	int r = 0;
	const char *last = strrchr(dir, '/');
	const char *dname = last ? last + 1 : dir;
	if (apnas_rundir_is_search_run(dir)) {
		if (n == 4 && !strncmp(s, "best", 4))
			r = (p = apnas_rundir_retrain_of(dir)) ? 0 : -1;
		else
			r = asprintf(&p, "%s/retrain-%.*s", dir, n, s);
	} else if (!strcmp(dname, "top") && last) {
		/* top/NN.arch of a search run */
		char *up = strndup(dir, (size_t)(last - dir));
		if (up && apnas_rundir_is_search_run(up))
			r = asprintf(&p, "%s/retrain-top%.*s", up, n, s);
		free(up);
		if (!up)
			r = -1;
	}
	if (!p && r >= 0) {
		root = *root ? root : ".";
		/* the run it names, else the directory a search-written
		 * file sits in, else none */
		char *run = provenance_run(arch_path);
		if (!run && dlen >= 0 && search_written(s, n) &&
		    strcmp(dname, ".") && strcmp(dname, "..") && *dname)
			run = strdup(dname);
		p = train_name(root, run, s, n);
		free(run);
	}
	free(dir);
	return r < 0 ? NULL : p;
}
