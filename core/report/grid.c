/* Grid expansion and run naming for `apnas ablate`.  Names must be
 * readable (a user finds "cost.rows=16/seed-2" by eye), safe on any
 * filesystem and shell, and stable: the same command line must name the
 * same directories, or resuming would start the grid over. */
#include "report/grid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_BYTES 200
#define NAME_CUT 180

static int key_ok(const char *k, size_t n)
{
	size_t dots = 0, seg = 0;
	for (size_t i = 0; i < n; i++) {
		char c = k[i];
		if (c == '.') {
			if (seg == 0)
				return 0;
			dots++;
			seg = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		           c == '_') {
			seg++;
		} else {
			return 0;
		}
	}
	return dots == 1 && seg > 0;
}

static char *trimmed(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return strndup(s, n);
}

void apnas_vary_free(apnas_vary *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->values[i]);
	free(v->values);
	for (size_t i = 0; i < v->nkeys; i++)
		free(v->keys[i]);
	free(v->keys);
	free(v->key);
	memset(v, 0, sizeof *v);
}

int apnas_vary_parse(const char *arg, apnas_vary *v, apnas_error *err)
{
	memset(v, 0, sizeof *v);
	const char *eq = strchr(arg, '=');
	if (!eq)
		return apnas_error_set(err, APNAS_EINVAL,
			"--vary %s: expected group.key=V1,V2,... (e.g. --vary "
			"cost.rows=8,16,32)", arg);
	v->key = strndup(arg, (size_t)(eq - arg));
	if (!v->key)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	for (const char *k = arg; k < eq;) {
		const char *e = k;
		while (e < eq && *e != '+')
			e++;
		char **nk = realloc(v->keys, (v->nkeys + 1) * sizeof *nk);
		if (nk)
			v->keys = nk;
		if (!nk || !(v->keys[v->nkeys] = strndup(k, (size_t)(e - k)))) {
			apnas_vary_free(v);
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "out of memory");
		}
		v->nkeys++;
		if (!key_ok(k, (size_t)(e - k)) || (e < eq && e + 1 == eq)) {
			apnas_vary_free(v);
			return apnas_error_set(err, APNAS_EINVAL,
				"--vary %s: expected group.key=V1,V2,... (e.g. "
				"--vary cost.rows=8,16,32, or cost.rows+cost.cols"
				"=8,16 for keys that change together)", arg);
		}
		if (!strcmp(v->keys[v->nkeys - 1], "run.seed")) {
			apnas_vary_free(v);
			return apnas_error_set(err, APNAS_EINVAL,
				"--vary run.seed: seeds are set with --seeds N "
				"(and --seed-base B), so every setting gets the "
				"same seeds");
		}
		for (size_t i = 0; i + 1 < v->nkeys; i++)
			if (!strcmp(v->keys[i], v->keys[v->nkeys - 1])) {
				int rc = apnas_error_set(err, APNAS_EINVAL,
					"--vary %s: key %s is linked to itself",
					arg, v->keys[i]);
				apnas_vary_free(v);
				return rc;
			}
		k = e < eq ? e + 1 : e;
	}
	const char *p = eq + 1;
	int depth = 0, quoted = 0;
	const char *start = p;
	for (;; p++) {
		char c = *p;
		if (c == '"' && (p == start || p[-1] != '\\'))
			quoted = !quoted;
		else if (!quoted && (c == '[' || c == '(' || c == '{'))
			depth++;
		else if (!quoted && (c == ']' || c == ')' || c == '}') &&
		         depth > 0)
			depth--;
		if (c != '\0' && (c != ',' || depth || quoted))
			continue;
		char *val = trimmed(start, (size_t)(p - start));
		char **nv = val ? realloc(v->values,
		                          (v->n + 1) * sizeof *nv) : NULL;
		if (!nv) {
			free(val);
			apnas_vary_free(v);
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "out of memory");
		}
		v->values = nv;
		v->values[v->n++] = val;
		if (!*val) {
			int rc = apnas_error_set(err, APNAS_EINVAL,
				"--vary %s: value %zu is empty", arg, v->n);
			apnas_vary_free(v);
			return rc;
		}
		for (size_t i = 0; i + 1 < v->n; i++)
			if (!strcmp(v->values[i], val)) {
				int rc = apnas_error_set(err, APNAS_EINVAL,
					"--vary %s: value '%s' is given twice",
					arg, val);
				apnas_vary_free(v);
				return rc;
			}
		if (c == '\0')
			break;
		start = p + 1;
	}
	if (quoted || depth) {
		int rc = apnas_error_set(err, APNAS_EINVAL,
			"--vary %s: unbalanced %s", arg,
			quoted ? "quote" : "bracket");
		apnas_vary_free(v);
		return rc;
	}
	return 0;
}

uint64_t apnas_grid_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static int safe_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '+' ||
	       c == '-';
}

char *apnas_grid_name(const char *const *sets, size_t n)
{
	if (n == 0)
		return strdup("base");
	size_t cap = 1, raw = 1;
	for (size_t i = 0; i < n; i++) {
		cap += strlen(sets[i]) + 2;
		raw += strlen(sets[i]) + 1;
	}
	char *out = malloc(cap + 16);
	char *all = malloc(raw);
	if (!out || !all) {
		free(out);
		free(all);
		return NULL;
	}
	size_t k = 0, a = 0;
	for (size_t i = 0; i < n; i++) {
		const char *s = sets[i], *eq = strchr(s, '=');
		size_t kl = eq ? (size_t)(eq - s) : strlen(s);
		const char *val = eq ? eq + 1 : "";
		size_t vl = strlen(val);
		/* "\"mnas\"" and mnas are the same setting: name them alike. */
		if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
			val++;
			vl -= 2;
		}
		if (i)
			out[k++] = ',';
		for (size_t j = 0; j < kl; j++)
			out[k++] = safe_char(s[j]) ? s[j] : '_';
		out[k++] = '=';
		size_t vstart = k;
		for (size_t j = 0; j < vl; j++) {
			if (safe_char(val[j]))
				out[k++] = val[j];
			else if (k > vstart && out[k - 1] != '_')
				out[k++] = '_';
		}
		while (k > vstart && out[k - 1] == '_' &&
		       !(vl && val[vl - 1] == '_'))
			k--;
		if (k == vstart)
			out[k++] = '_';
		memcpy(all + a, s, strlen(s));
		a += strlen(s);
		all[a++] = '\n';
	}
	out[k] = '\0';
	all[a] = '\0';
	if (k > NAME_MAX_BYTES) {
		char tail[16];
		snprintf(tail, sizeof tail, "~%08x",
		         (unsigned)(apnas_grid_hash(all) & 0xffffffffu));
		memcpy(out + NAME_CUT, tail, strlen(tail) + 1);
	}
	free(all);
	return out;
}

void apnas_grid_free(apnas_grid *g)
{
	for (size_t i = 0; i < g->n; i++) {
		for (size_t j = 0; j < g->pts[i].nsets; j++)
			free(g->pts[i].sets[j]);
		free(g->pts[i].sets);
		free(g->pts[i].name);
	}
	free(g->pts);
	memset(g, 0, sizeof *g);
}

/* Two settings whose names clash after sanitising ("a/b" and "a_b")
 * each get a "~hash" of their exact settings. */
static int disambiguate(apnas_grid *g)
{
	unsigned char *clash = calloc(g->n ? g->n : 1, 1);
	if (!clash)
		return -1;
	for (size_t i = 0; i < g->n; i++)
		for (size_t j = i + 1; j < g->n; j++)
			if (!strcmp(g->pts[i].name, g->pts[j].name))
				clash[i] = clash[j] = 1;
	for (size_t i = 0; i < g->n; i++) {
		if (!clash[i])
			continue;
		size_t raw = 1;
		for (size_t j = 0; j < g->pts[i].nsets; j++)
			raw += strlen(g->pts[i].sets[j]) + 1;
		char *all = malloc(raw), *nn = NULL;
		if (!all) {
			free(clash);
			return -1;
		}
		all[0] = '\0';
		for (size_t j = 0; j < g->pts[i].nsets; j++) {
			strcat(all, g->pts[i].sets[j]);
			strcat(all, "\n");
		}
		if (asprintf(&nn, "%s~%08x", g->pts[i].name,
		             (unsigned)(apnas_grid_hash(all) &
		                        0xffffffffu)) < 0)
			nn = NULL;
		free(all);
		if (!nn) {
			free(clash);
			return -1;
		}
		free(g->pts[i].name);
		g->pts[i].name = nn;
	}
	free(clash);
	return 0;
}

int apnas_grid_expand(const apnas_vary *v, size_t nv, int64_t seeds,
                      apnas_grid *g, apnas_error *err)
{
	memset(g, 0, sizeof *g);
	if (seeds < 1)
		seeds = 1;
	size_t total = 1, nsets = 0;
	for (size_t i = 0; i < nv; i++) {
		for (size_t j = 0; j <= i; j++)
			for (size_t a = 0; a < v[i].nkeys; a++)
				for (size_t b = 0; b < v[j].nkeys; b++)
					if ((j < i || b < a) &&
					    !strcmp(v[i].keys[a], v[j].keys[b]))
						return apnas_error_set(err,
							APNAS_EINVAL,
							"--vary: %s is varied "
							"twice: list all its "
							"values in one --vary",
							v[i].keys[a]);
		nsets += v[i].nkeys;
		if (v[i].n == 0)
			return apnas_error_set(err, APNAS_EINVAL,
				"--vary %s has no values", v[i].key);
		if (total > (size_t)APNAS_GRID_MAX_RUNS / v[i].n)
			total = (size_t)APNAS_GRID_MAX_RUNS + 1;
		else
			total *= v[i].n;
	}
	if (total > (size_t)(APNAS_GRID_MAX_RUNS / seeds))
		return apnas_error_set(err, APNAS_EINVAL,
			"the grid has more than %d runs (settings x seeds); "
			"split it into several ablations",
			APNAS_GRID_MAX_RUNS);
	g->pts = calloc(total, sizeof *g->pts);
	if (!g->pts)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	g->n = total;
	char **naming = calloc(nv ? nv : 1, sizeof *naming);
	if (!naming)
		goto oom;
	for (size_t p = 0; p < total; p++) {
		apnas_grid_point *pt = &g->pts[p];
		pt->sets = calloc(nsets ? nsets : 1, sizeof *pt->sets);
		if (!pt->sets)
			goto oom_naming;
		pt->nsets = nsets;
		/* Mixed radix, the last --vary the fastest digit. */
		size_t rest = p, k = nsets;
		for (size_t i = nv; i-- > 0;) {
			size_t d = rest % v[i].n;
			rest /= v[i].n;
			for (size_t a = v[i].nkeys; a-- > 0;)
				if (asprintf(&pt->sets[--k], "%s=%s",
				             v[i].keys[a], v[i].values[d]) < 0) {
					pt->sets[k] = NULL;
					goto oom_naming;
				}
			free(naming[i]);
			if (asprintf(&naming[i], "%s=%s", v[i].key,
			             v[i].values[d]) < 0) {
				naming[i] = NULL;
				goto oom_naming;
			}
		}
		pt->name = apnas_grid_name((const char *const *)naming, nv);
		if (!pt->name)
			goto oom_naming;
	}
	for (size_t i = 0; i < nv; i++)
		free(naming[i]);
	free(naming);
	if (disambiguate(g) < 0)
		goto oom;
	return 0;
oom_naming:
	for (size_t i = 0; i < nv; i++)
		free(naming[i]);
	free(naming);
oom:
	apnas_grid_free(g);
	return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
}
