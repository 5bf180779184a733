/* Grouping runs over seeds.  A group's identity is what its runs share
 * (every setting but run.seed and run.dir, or the --group-by keys); its
 * label is only what tells it from the other groups, so a grid over
 * cost.rows reads "cost.rows=16", not the whole config.  Runs laid out as
 * `apnas ablate` lays them out (<setting>/seed-N) are labelled by their
 * setting's directory name, which is what the user typed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "util/levenshtein.h"

typedef struct strbuf {
	char *s;
	size_t n, cap;
	int oom;
} strbuf;

static void sb_add(strbuf *b, const char *t)
{
	size_t k = strlen(t);
	if (b->oom)
		return;
	if (b->n + k + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 64;
		while (nc < b->n + k + 1)
			nc *= 2;
		char *ns = realloc(b->s, nc);
		if (!ns) {
			b->oom = 1;
			return;
		}
		b->s = ns;
		b->cap = nc;
	}
	memcpy(b->s + b->n, t, k + 1);
	b->n += k;
}

/* Settings that differ between seeds of one configuration. */
static int ignored(const char *key)
{
	return !strcmp(key, "run.seed") || !strcmp(key, "run.dir");
}

/* "x/seed-3" -> "x" (the ablate layout); else the name itself. */
static void ablate_parent(const char *name, strbuf *b)
{
	const char *slash = strrchr(name, '/');
	const char *base = slash ? slash + 1 : name;
	int seedlike = !strncmp(base, "seed-", 5) && base[5];
	for (const char *p = base + 5; seedlike && *p; p++)
		if (*p < '0' || *p > '9')
			seedlike = 0;
	if (seedlike && slash) {
		char *t = strndup(name, (size_t)(slash - name));
		if (!t) {
			b->oom = 1;
			return;
		}
		sb_add(b, t);
		free(t);
	} else {
		sb_add(b, name);
	}
}

static char *identity(const apnas_report_run *run, char **keys,
                      size_t nkeys)
{
	strbuf b = {0};
	if (keys) {
		for (size_t i = 0; i < nkeys; i++) {
			const char *v = apnas_report_setting(run, keys[i]);
			sb_add(&b, keys[i]);
			sb_add(&b, v ? "=" : "\x01");
			sb_add(&b, v ? v : "");
			sb_add(&b, "\n");
		}
	} else if (run->nset) {
		sb_add(&b, "cfg\n");
		for (size_t i = 0; i < run->nset; i++) {
			if (ignored(run->set[i].key))
				continue;
			sb_add(&b, run->set[i].key);
			sb_add(&b, "=");
			sb_add(&b, run->set[i].value);
			sb_add(&b, "\n");
		}
	} else {
		sb_add(&b, "dir\n");
		ablate_parent(run->name, &b);
	}
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s ? b.s : strdup("");
}

static void free_keys(char **keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

/* Splits "a.b, c.d" into keys and checks each is somebody's setting. */
static int parse_group_by(const apnas_report *r, const char *spec,
                          char ***out, size_t *nout, apnas_error *err)
{
	char **keys = NULL;
	size_t n = 0;
	const char *p = spec;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		const char *e = p;
		while (*e && *e != ',' && *e != ' ')
			e++;
		char **nk = realloc(keys, (n + 1) * sizeof *nk);
		if (!nk || !(nk[n] = strndup(p, (size_t)(e - p)))) {
			free_keys(nk ? nk : keys, n);
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "out of memory");
		}
		keys = nk;
		n++;
		p = e;
	}
	if (n == 0)
		return apnas_error_set(err, APNAS_EINVAL,
			"--group-by: expected comma-separated keys such as "
			"cost.rows,reward.plugin");
	for (size_t k = 0; k < n; k++) {
		int found = 0;
		size_t total = 0;
		for (size_t i = 0; i < r->nruns && !found; i++) {
			found = apnas_report_setting(&r->runs[i], keys[k]) !=
			        NULL;
			total += r->runs[i].nset;
		}
		if (found)
			continue;
		/* Offer the nearest key any run has. */
		const char **cands = malloc((total ? total : 1) *
		                            sizeof *cands);
		size_t nc = 0;
		for (size_t i = 0; cands && i < r->nruns; i++)
			for (size_t j = 0; j < r->runs[i].nset; j++)
				cands[nc++] = r->runs[i].set[j].key;
		const char *near = cands ? apnas_nearest(keys[k], cands, nc)
		                         : NULL;
		int rc;
		if (total == 0)
			rc = apnas_error_set(err, APNAS_EINVAL,
				"--group-by %s: no run has a config.cfg to "
				"read settings from", keys[k]);
		else if (near)
			rc = apnas_error_set(err, APNAS_EINVAL,
				"--group-by: no run has the setting '%s' (did "
				"you mean '%s'?)", keys[k], near);
		else
			rc = apnas_error_set(err, APNAS_EINVAL,
				"--group-by: no run has the setting '%s' "
				"(keys are group.key, as in config.cfg)",
				keys[k]);
		free(cands);
		free_keys(keys, n);
		return rc;
	}
	*out = keys;
	*nout = n;
	return 0;
}

/* ---- labels --------------------------------------------------------------- */

static const apnas_report_run *rep(const apnas_report *r, size_t g)
{
	return &r->runs[r->groups[g].runs[0]];
}

/* 1 when every configured group has `key` with the same value (or all
 * lack it). */
static int same_everywhere(const apnas_report *r, const char *key,
                           int *present_in_all)
{
	const char *first = NULL;
	int seen = 0, same = 1;
	*present_in_all = 1;
	for (size_t g = 0; g < r->ngroups; g++) {
		const apnas_report_run *run = rep(r, g);
		if (!run->nset)
			continue;
		const char *v = apnas_report_setting(run, key);
		if (!v)
			*present_in_all = 0;
		if (!seen) {
			first = v;
			seen = 1;
		} else if ((v == NULL) != (first == NULL) ||
		           (v && strcmp(v, first))) {
			same = 0;
		}
	}
	return same;
}

static int labels_unique(const apnas_report *r)
{
	for (size_t a = 0; a < r->ngroups; a++)
		for (size_t b = a + 1; b < r->ngroups; b++)
			if (!strcmp(r->groups[a].label, r->groups[b].label))
				return 0;
	return 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Keys that vary between configured groups, sorted, deduplicated.
 * all_present: only those every configured group has. */
static int varying_keys(const apnas_report *r, int all_present,
                        const char ***out, size_t *nout)
{
	size_t total = 0;
	for (size_t g = 0; g < r->ngroups; g++)
		total += rep(r, g)->nset;
	const char **k = malloc((total ? total : 1) * sizeof *k);
	if (!k)
		return -1;
	size_t n = 0;
	for (size_t g = 0; g < r->ngroups; g++) {
		const apnas_report_run *run = rep(r, g);
		for (size_t i = 0; i < run->nset; i++) {
			const char *key = run->set[i].key;
			int in_all;
			if (ignored(key) || same_everywhere(r, key, &in_all) ||
			    (all_present && !in_all))
				continue;
			k[n++] = key;
		}
	}
	if (n)
		qsort(k, n, sizeof *k, cmp_str);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (!u || strcmp(k[u - 1], k[i]))
			k[u++] = k[i];
	*out = k;
	*nout = u;
	return 0;
}

/* 1 when every group is one directory of seed-N runs (the ablate
 * layout) and no two groups share one: the directory names, which the
 * user chose with --vary, are then the best labels. */
static int ablate_layout(const apnas_report *r)
{
	for (size_t g = 0; g < r->ngroups; g++) {
		const apnas_report_group *gr = &r->groups[g];
		strbuf first = {0};
		ablate_parent(r->runs[gr->runs[0]].name, &first);
		int ok = !first.oom && first.s &&
		         strcmp(first.s, r->runs[gr->runs[0]].name);
		for (size_t i = 1; ok && i < gr->nruns; i++) {
			strbuf b = {0};
			ablate_parent(r->runs[gr->runs[i]].name, &b);
			ok = !b.oom && b.s && !strcmp(b.s, first.s);
			free(b.s);
		}
		for (size_t h = 0; ok && h < g; h++)
			ok = strcmp(r->groups[h].label, first.s) != 0;
		free(r->groups[g].label);
		r->groups[g].label = ok ? first.s : NULL;
		if (!ok) {
			free(first.s);
			return 0;
		}
	}
	return 1;
}

static int make_labels(apnas_report *r, char **keys, size_t nkeys,
                       apnas_error *err)
{
	if (!keys && ablate_layout(r))
		return 0;
	const char **vk = NULL;
	size_t nvk = 0;
	for (int pass = 0; pass < 2; pass++) {
		if (!keys && varying_keys(r, pass == 0, &vk, &nvk) < 0)
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "out of memory");
		const char *const *ks = keys ? (const char *const *)keys : vk;
		size_t nk = keys ? nkeys : nvk;
		int pairs = 1; /* every label is key=value pairs of ks */
		for (size_t g = 0; g < r->ngroups; g++) {
			const apnas_report_run *run = rep(r, g);
			strbuf b = {0}, vals = {0};
			if (!keys && !run->nset) {
				ablate_parent(run->name, &b);
				pairs = 0;
			} else if (nk == 0) {
				sb_add(&b, "all");
				pairs = 0;
			} else {
				for (size_t i = 0; i < nk; i++) {
					const char *v =
						apnas_report_setting(run, ks[i]);
					if (i) {
						sb_add(&b, ",");
						sb_add(&vals, ", ");
					}
					sb_add(&b, ks[i]);
					sb_add(&b, "=");
					sb_add(&b, v ? v : "-");
					sb_add(&vals, v ? v : "-");
				}
			}
			free(r->groups[g].label);
			free(r->groups[g].values);
			r->groups[g].label = b.s;
			r->groups[g].values = vals.s;
			if (b.oom || !b.s || vals.oom) {
				free(vk);
				return apnas_error_set(err, APNAS_ENOMEM,
				                       "out of memory");
			}
		}
		free(r->label_keys);
		r->label_keys = NULL;
		if (pairs) {
			strbuf t = {0};
			for (size_t i = 0; i < nk; i++) {
				if (i)
					sb_add(&t, ", ");
				sb_add(&t, ks[i]);
			}
			r->label_keys = t.s;
			if (t.oom) {
				free(vk);
				return apnas_error_set(err, APNAS_ENOMEM,
				                       "out of memory");
			}
		}
		free(vk);
		vk = NULL;
		/* A plugin switch changes which keys exist; the first pass
		 * labels by the shared keys only, which is shorter and
		 * usually enough. */
		if (keys || labels_unique(r))
			break;
	}
	return 0;
}

/* ---- sorting ------------------------------------------------------------ */

static int cmp_groups(const void *a, const void *b)
{
	const apnas_report_group *x = a, *y = b;
	int c = apnas_natcmp(x->label, y->label);
	return c ? c : strcmp(x->key, y->key);
}

static int cmp_runs(const void *a, const void *b)
{
	const apnas_report_run *x = a, *y = b;
	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->seed != y->seed)
		return x->seed < y->seed ? -1 : 1;
	return apnas_natcmp(x->name, y->name);
}

int apnas_report_group_runs(apnas_report *r, const char *group_by,
                            apnas_error *err)
{
	char **keys = NULL;
	size_t nkeys = 0;
	int rc = 0;
	if (group_by && (rc = parse_group_by(r, group_by, &keys, &nkeys,
	                                     err)) < 0)
		return rc;
	for (size_t g = 0; g < r->ngroups; g++) {
		free(r->groups[g].key);
		free(r->groups[g].label);
		free(r->groups[g].runs);
	}
	free(r->groups);
	r->groups = NULL;
	r->ngroups = 0;
	if (r->nruns == 0) {
		free_keys(keys, nkeys);
		return 0;
	}
	r->groups = calloc(r->nruns, sizeof *r->groups);
	if (!r->groups) {
		free_keys(keys, nkeys);
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	}
	/* Identities, first appearance first; runs lists filled below. */
	for (size_t i = 0; i < r->nruns && rc == 0; i++) {
		char *id = identity(&r->runs[i], keys, nkeys);
		if (!id) {
			rc = apnas_error_set(err, APNAS_ENOMEM,
			                     "out of memory");
			break;
		}
		size_t g = 0;
		while (g < r->ngroups && strcmp(r->groups[g].key, id))
			g++;
		if (g == r->ngroups) {
			apnas_report_group *gr = &r->groups[r->ngroups++];
			gr->key = id;
			gr->runs = malloc(r->nruns * sizeof *gr->runs);
			if (!gr->runs)
				rc = apnas_error_set(err, APNAS_ENOMEM,
				                     "out of memory");
		} else {
			free(id);
		}
		r->runs[i].group = g;
		if (rc == 0)
			r->groups[g].runs[r->groups[g].nruns++] = i;
	}
	if (rc == 0)
		rc = make_labels(r, keys, nkeys, err);
	free_keys(keys, nkeys);
	if (rc < 0)
		return rc;

	/* Sort the groups, then renumber and sort the runs to match. */
	size_t *old_of = malloc(r->ngroups * sizeof *old_of);
	size_t *new_of = malloc(r->ngroups * sizeof *new_of);
	if (!old_of || !new_of) {
		free(old_of);
		free(new_of);
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	}
	for (size_t g = 0; g < r->ngroups; g++)
		r->groups[g].nruns = g; /* remember the old index */
	qsort(r->groups, r->ngroups, sizeof *r->groups, cmp_groups);
	for (size_t g = 0; g < r->ngroups; g++) {
		old_of[g] = r->groups[g].nruns;
		new_of[old_of[g]] = g;
		r->groups[g].nruns = 0;
	}
	for (size_t i = 0; i < r->nruns; i++)
		r->runs[i].group = new_of[r->runs[i].group];
	free(old_of);
	free(new_of);
	qsort(r->runs, r->nruns, sizeof *r->runs, cmp_runs);
	for (size_t i = 0; i < r->nruns; i++) {
		apnas_report_group *gr = &r->groups[r->runs[i].group];
		gr->runs[gr->nruns++] = i;
	}
	double *v = malloc(r->nruns * sizeof *v);
	if (!v)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	for (size_t g = 0; g < r->ngroups; g++) {
		apnas_report_group *gr = &r->groups[g];
		for (int m = 0; m < APNAS_RM_COUNT; m++) {
			for (size_t i = 0; i < gr->nruns; i++)
				v[i] = r->runs[gr->runs[i]].m[m];
			apnas_report_stats(v, gr->nruns, &gr->stat[m]);
		}
	}
	free(v);
	return 0;
}
