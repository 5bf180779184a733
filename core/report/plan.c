/* The plan of a grid (plan.h).  Run order and names come from grid.c and
 * depend only on the command line, so planning the same grid twice gives
 * the same record byte for byte: that is what makes --plan idempotent
 * and lets a job find its run by index alone. */
#include "report/plan.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "report/grid.h"
#include "report/json.h"
#include "rundir/rundir.h"
#include "search/json_out.h"

static void free_strs(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void apnas_plan_free(apnas_plan *p)
{
	free_strs(p->configs, p->nconfigs);
	free_strs(p->sets, p->nsets);
	free_strs(p->vary, p->nvary);
	for (size_t i = 0; p->runs && i < p->nruns; i++) {
		free(p->runs[i].label);
		free_strs(p->runs[i].sets, p->runs[i].nsets);
	}
	free(p->runs);
	memset(p, 0, sizeof *p);
}

static char **dup_strs(const char *const *v, size_t n)
{
	char **d = calloc(n ? n : 1, sizeof *d);
	for (size_t i = 0; d && i < n; i++)
		if (!(d[i] = strdup(v[i]))) {
			free_strs(d, i);
			return NULL;
		}
	return d;
}

/* "config=<file name without .cfg>", sanitised like a setting. */
static char *config_name(const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	size_t n = strlen(b);
	if (n > 4 && !strcmp(b + n - 4, ".cfg"))
		n -= 4;
	char *set = NULL;
	if (asprintf(&set, "config=%.*s", (int)n, b) < 0)
		return NULL;
	const char *one[1] = {set};
	char *name = apnas_grid_name(one, 1);
	free(set);
	return name;
}

/* A config's absolute path; as given when it cannot be resolved (the
 * validation that follows names the missing file). */
static char *absolute(const char *path)
{
	char buf[PATH_MAX];
	return strdup(realpath(path, buf) ? buf : path);
}

static int oom(apnas_error *err)
{
	return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
}

/* The runs: config, then grid point, then seed. */
static int add_runs(apnas_plan *p, const apnas_grid *g, char **cfg_names,
                    apnas_error *err)
{
	size_t n = p->nconfigs * g->n * (size_t)p->seeds;
	p->runs = calloc(n ? n : 1, sizeof *p->runs);
	if (!p->runs)
		return oom(err);
	p->npoints = p->nconfigs * g->n;
	for (size_t q = 0; q < p->npoints; q++)
		for (int64_t s = 0; s < p->seeds; s++) {
			size_t c = q / g->n, pt = q % g->n;
			apnas_plan_run *r = &p->runs[p->nruns++];
			r->config = c;
			r->point = q;
			r->seed = p->seed_base + s;
			const char *name = g->pts[pt].name;
			int k;
			if (!cfg_names)
				k = asprintf(&r->label, "%s/seed-%lld", name,
				             (long long)r->seed);
			else if (g->pts[pt].nsets == 0)
				k = asprintf(&r->label, "%s/seed-%lld",
				             cfg_names[c], (long long)r->seed);
			else
				k = asprintf(&r->label, "%s,%s/seed-%lld",
				             cfg_names[c], name,
				             (long long)r->seed);
			if (k < 0)
				r->label = NULL;
			r->nsets = g->pts[pt].nsets;
			r->sets = dup_strs((const char *const *)g->pts[pt].sets,
			                   r->nsets);
			if (!r->label || !r->sets)
				return oom(err);
		}
	return 0;
}

int apnas_plan_build(apnas_plan *p, const char *const *configs,
                     size_t nconfigs, const char *const *sets, size_t nsets,
                     const char *const *vary, size_t nvary, int64_t seeds,
                     int64_t seed_base, int retrain, int64_t retrain_epochs,
                     apnas_error *err)
{
	memset(p, 0, sizeof *p);
	p->seeds = seeds;
	p->seed_base = seed_base;
	p->retrain = retrain;
	p->retrain_epochs = retrain_epochs;
	apnas_vary *v = calloc(nvary ? nvary : 1, sizeof *v);
	if (!v)
		return oom(err);
	apnas_grid g = {NULL, 0};
	char **cfg_names = NULL;
	int rc = 0;
	size_t nv = 0;
	for (; rc == 0 && nv < nvary; nv++)
		rc = apnas_vary_parse(vary[nv], &v[nv], err);
	if (rc == 0)
		rc = apnas_grid_expand(v, nvary, seeds, &g, err);
	if (rc < 0)
		apnas_error_prefix(err, "ablate");
	for (size_t i = 0; i < nv; i++)
		apnas_vary_free(&v[i]);
	free(v);
	if (rc < 0)
		goto out;
	if (nconfigs > 1 && g.n > (size_t)APNAS_GRID_MAX_RUNS /
	                              ((size_t)seeds * nconfigs)) {
		rc = apnas_error_set(err, APNAS_EINVAL,
			"ablate: the grid has more than %d runs (configs x "
			"settings x seeds); split it into several ablations",
			APNAS_GRID_MAX_RUNS);
		goto out;
	}
	p->nconfigs = nconfigs;
	p->configs = calloc(nconfigs ? nconfigs : 1, sizeof *p->configs);
	p->nsets = nsets;
	p->sets = dup_strs(sets, nsets);
	p->nvary = nvary;
	p->vary = dup_strs(vary, nvary);
	if (!p->configs || !p->sets || !p->vary) {
		rc = oom(err);
		goto out;
	}
	for (size_t c = 0; c < nconfigs; c++)
		if (!(p->configs[c] = absolute(configs[c]))) {
			rc = oom(err);
			goto out;
		}
	if (nconfigs > 1) {
		cfg_names = calloc(nconfigs, sizeof *cfg_names);
		if (!cfg_names) {
			rc = oom(err);
			goto out;
		}
		for (size_t c = 0; rc == 0 && c < nconfigs; c++) {
			if (!(cfg_names[c] = config_name(configs[c]))) {
				rc = oom(err);
				break;
			}
			for (size_t d = 0; rc == 0 && d < c; d++)
				if (!strcmp(cfg_names[c], cfg_names[d]))
					rc = apnas_error_set(err, APNAS_EINVAL,
						"ablate: configs %s and %s "
						"would share the directory "
						"name '%s': rename one",
						configs[d], configs[c],
						cfg_names[c]);
		}
	}
	if (rc == 0)
		rc = add_runs(p, &g, cfg_names, err);
out:
	free_strs(cfg_names, cfg_names ? nconfigs : 0);
	apnas_grid_free(&g);
	if (rc < 0)
		apnas_plan_free(p);
	return rc;
}

/* ---- the record ------------------------------------------------------- */

static void str_array(FILE *f, char *const *v, size_t n)
{
	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", f);
		apnas_json_str(f, v[i]);
	}
	fputc(']', f);
}

int apnas_plan_write(FILE *f, const apnas_plan *p)
{
	fputs("{\n  \"format\": 1,\n  \"configs\": ", f);
	str_array(f, p->configs, p->nconfigs);
	fputs(",\n  \"sets\": ", f);
	str_array(f, p->sets, p->nsets);
	fputs(",\n  \"vary\": ", f);
	str_array(f, p->vary, p->nvary);
	fprintf(f, ",\n  \"seeds\": %lld,\n  \"seed_base\": %lld,\n"
	        "  \"retrain\": %s,\n  \"retrain_epochs\": %lld,\n"
	        "  \"runs\": [", (long long)p->seeds, (long long)p->seed_base,
	        p->retrain ? "true" : "false", (long long)p->retrain_epochs);
	for (size_t i = 0; i < p->nruns; i++) {
		const apnas_plan_run *r = &p->runs[i];
		fprintf(f, "%s\n    {\"index\": %zu, \"run\": ", i ? "," : "",
		        i);
		apnas_json_str(f, r->label);
		fputs(", \"config\": ", f);
		apnas_json_str(f, p->configs[r->config]);
		fputs(", \"sets\": ", f);
		str_array(f, r->sets, r->nsets);
		fprintf(f, ", \"seed\": %lld}", (long long)r->seed);
	}
	fputs(p->nruns ? "\n  ]\n}\n" : "]\n}\n", f);
	return ferror(f) ? -1 : 0;
}

static int bad(apnas_error *err, const char *path, const char *what)
{
	return apnas_error_set(err, APNAS_EINVAL,
		"%s: %s (a damaged or foreign ablate.json: plan the grid "
		"again into a new --out DIR)", path, what);
}

/* Member key of o as an array of at most APNAS_PLAN_MAX_ARGS strings. */
static int read_strs(const apnas_json *o, const char *key, char ***v,
                     size_t *n, const char *path, apnas_error *err)
{
	const apnas_json *a = apnas_json_get(o, key);
	char what[128];
	snprintf(what, sizeof what, "\"%s\" must be an array of at most %d "
	         "strings", key, APNAS_PLAN_MAX_ARGS);
	if (!a || a->type != APNAS_JSON_ARRAY || a->n > APNAS_PLAN_MAX_ARGS)
		return bad(err, path, what);
	for (size_t i = 0; i < a->n; i++)
		if (a->items[i].type != APNAS_JSON_STRING)
			return bad(err, path, what);
	*v = calloc(a->n ? a->n : 1, sizeof **v);
	if (!*v)
		return oom(err);
	for (size_t i = 0; i < a->n; i++)
		if (!((*v)[i] = strdup(a->items[i].str))) {
			free_strs(*v, i);
			*v = NULL;
			return oom(err);
		}
	*n = a->n;
	return 0;
}

/* A whole number in [lo, hi] at key. */
static int read_int(const apnas_json *o, const char *key, int64_t lo,
                    int64_t hi, int64_t *out, const char *path,
                    apnas_error *err)
{
	double d = apnas_json_num_at(o, key);
	if (isnan(d) || d != floor(d) || d < (double)lo || d > (double)hi) {
		char what[128];
		snprintf(what, sizeof what, "\"%s\" must be a whole number in "
		         "%lld..%lld", key, (long long)lo, (long long)hi);
		return bad(err, path, what);
	}
	*out = (int64_t)d;
	return 0;
}

/* A run's label names a directory under DIR: relative, no "..", no
 * empty part, so a damaged record cannot send a job elsewhere. */
static int label_ok(const char *s)
{
	if (!*s || *s == '/')
		return 0;
	for (const char *p = s; *p;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || (n == 2 && !strncmp(p, "..", 2)) ||
		    (n == 1 && *p == '.'))
			return 0;
		p += n + (e ? 1 : 0);
		if (e && !*p)
			return 0;
	}
	return 1;
}

static int read_runs(apnas_plan *p, const apnas_json *a, const char *path,
                     apnas_error *err)
{
	if (!a || a->type != APNAS_JSON_ARRAY)
		return bad(err, path, "\"runs\" must be an array");
	if (a->n > APNAS_GRID_MAX_RUNS) {
		char what[96];
		snprintf(what, sizeof what, "%zu runs, more than the %d a grid "
		         "may hold", a->n, APNAS_GRID_MAX_RUNS);
		return bad(err, path, what);
	}
	p->runs = calloc(a->n ? a->n : 1, sizeof *p->runs);
	if (!p->runs)
		return oom(err);
	const char *prev_cfg = NULL;
	char **prev_sets = NULL;
	size_t prev_n = 0;
	for (size_t i = 0; i < a->n; i++) {
		const apnas_json *o = &a->items[i];
		apnas_plan_run *r = &p->runs[i];
		p->nruns = i + 1;
		char what[128];
		snprintf(what, sizeof what, "run %zu: needs \"run\" (a "
		         "directory under the grid), \"config\", \"sets\" and "
		         "\"seed\"", i);
		const char *label = apnas_json_str_at(o, "run");
		const char *cfg = apnas_json_str_at(o, "config");
		if (o->type != APNAS_JSON_OBJECT || !label || !cfg ||
		    !label_ok(label))
			return bad(err, path, what);
		size_t c = 0;
		while (c < p->nconfigs && strcmp(p->configs[c], cfg))
			c++;
		if (c == p->nconfigs) {
			snprintf(what, sizeof what, "run %zu: its config is not "
			         "one of \"configs\"", i);
			return bad(err, path, what);
		}
		r->config = c;
		if (!(r->label = strdup(label)))
			return oom(err);
		int rc = read_strs(o, "sets", &r->sets, &r->nsets, path, err);
		if (rc == 0)
			rc = read_int(o, "seed", 0, INT64_MAX / 2, &r->seed,
			              path, err);
		if (rc < 0)
			return rc;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(p->runs[j].label, label)) {
				snprintf(what, sizeof what, "runs %zu and %zu "
				         "share the directory %s", j, i, label);
				return bad(err, path, what);
			}
		/* Runs of one setting are adjacent (the seeds of a point). */
		int same = prev_cfg && !strcmp(prev_cfg, cfg) &&
		           prev_n == r->nsets;
		for (size_t k = 0; same && k < r->nsets; k++)
			same = !strcmp(prev_sets[k], r->sets[k]);
		if (!same)
			p->npoints++;
		r->point = p->npoints - 1;
		prev_cfg = p->configs[c];
		prev_sets = r->sets;
		prev_n = r->nsets;
	}
	return 0;
}

int apnas_plan_read(apnas_plan *p, const char *dir, apnas_error *err)
{
	memset(p, 0, sizeof *p);
	char *path = NULL;
	if (asprintf(&path, "%s/ablate.json", dir) < 0)
		return oom(err);
	if (!apnas_exists_in(dir, "ablate.json")) {
		int rc = apnas_error_set(err, APNAS_EINVAL,
			"%s has no ablate.json (not a planned grid): plan it "
			"with apnas ablate CONFIG... --out %s --plan", dir,
			dir);
		free(path);
		return rc;
	}
	apnas_json *j = NULL;
	int rc = apnas_json_read_file(path, &j, err);
	int64_t fmt = 0, retrain = 0;
	if (rc == 0 && (!j || j->type != APNAS_JSON_OBJECT))
		rc = bad(err, path, "expected an object");
	if (rc == 0)
		rc = read_int(j, "format", 1, 1, &fmt, path, err);
	if (rc == 0)
		rc = read_strs(j, "configs", &p->configs, &p->nconfigs, path,
		               err);
	if (rc == 0 && p->nconfigs == 0)
		rc = bad(err, path, "\"configs\" is empty");
	if (rc == 0)
		rc = read_strs(j, "sets", &p->sets, &p->nsets, path, err);
	if (rc == 0)
		rc = read_strs(j, "vary", &p->vary, &p->nvary, path, err);
	if (rc == 0)
		rc = read_int(j, "seeds", 1, APNAS_GRID_MAX_RUNS, &p->seeds,
		              path, err);
	if (rc == 0)
		rc = read_int(j, "seed_base", 0, INT64_MAX / 4, &p->seed_base,
		              path, err);
	if (rc == 0) {
		const apnas_json *b = apnas_json_get(j, "retrain");
		if (!b || b->type != APNAS_JSON_BOOL)
			rc = bad(err, path, "\"retrain\" must be true or false");
		else
			retrain = b->num != 0;
	}
	p->retrain = (int)retrain;
	if (rc == 0)
		rc = read_int(j, "retrain_epochs", 0, INT32_MAX,
		              &p->retrain_epochs, path, err);
	if (rc == 0)
		rc = read_runs(p, apnas_json_get(j, "runs"), path, err);
	apnas_json_free(j);
	free(path);
	if (rc < 0)
		apnas_plan_free(p);
	return rc;
}

static int strs_eq(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]))
			return 0;
	return 1;
}

const char *apnas_plan_diff(const apnas_plan *a, const apnas_plan *b)
{
	if (!strs_eq(a->configs, a->nconfigs, b->configs, b->nconfigs))
		return "configs";
	if (!strs_eq(a->sets, a->nsets, b->sets, b->nsets))
		return "--set";
	if (!strs_eq(a->vary, a->nvary, b->vary, b->nvary))
		return "--vary";
	if (a->seeds != b->seeds)
		return "--seeds";
	if (a->seed_base != b->seed_base)
		return "--seed-base";
	if (a->retrain != b->retrain)
		return "--retrain";
	if (a->retrain_epochs != b->retrain_epochs)
		return "--retrain-epochs";
	if (a->nruns != b->nruns)
		return "runs";
	for (size_t i = 0; i < a->nruns; i++) {
		const apnas_plan_run *x = &a->runs[i], *y = &b->runs[i];
		if (strcmp(x->label, y->label) || x->seed != y->seed ||
		    strcmp(a->configs[x->config], b->configs[y->config]) ||
		    !strs_eq(x->sets, x->nsets, y->sets, y->nsets))
			return "runs";
	}
	return NULL;
}

/* ---- steps ------------------------------------------------------------ */

const char *apnas_plan_step_name(int step)
{
	return step == APNAS_STEP_SEARCH ? "search"
	       : step == APNAS_STEP_RESUME ? "resume" : "retrain";
}

char *apnas_plan_run_dir(const apnas_plan *p, const char *dir, size_t k)
{
	char *d = NULL;
	return asprintf(&d, "%s/%s", dir, p->runs[k].label) < 0 ? NULL : d;
}

int apnas_plan_needs(const apnas_plan *p, const char *dir, int steps[2])
{
	int n = 0;
	int search = apnas_rundir_state(dir, APNAS_RUN_SEARCH);
	if (search != APNAS_RUNDIR_FINISHED)
		steps[n++] = search == APNAS_RUNDIR_UNFINISHED
		             ? APNAS_STEP_RESUME : APNAS_STEP_SEARCH;
	if (p->retrain) {
		char *rt = apnas_rundir_retrain_of(dir);
		if (!rt)
			return APNAS_ENOMEM;
		if (apnas_rundir_state(rt, APNAS_RUN_TRAIN) !=
		    APNAS_RUNDIR_FINISHED)
			steps[n++] = APNAS_STEP_TRAIN;
		free(rt);
	}
	return n;
}

char **apnas_plan_step_argv(const apnas_plan *p, size_t k,
                            const char *run_dir, int step, char ***owned,
                            size_t *nowned)
{
	const apnas_plan_run *r = &p->runs[k];
	size_t cap = 16 + 2 * (p->nsets + r->nsets);
	char **v = calloc(cap, sizeof *v);
	char **own = calloc(5, sizeof *own);
	if (!v || !own) {
		free(v);
		free(own);
		return NULL;
	}
	size_t n = 0, o = 0;
	v[n++] = (char *)"apnas";
	if (step == APNAS_STEP_SEARCH) {
		v[n++] = (char *)"search";
		v[n++] = p->configs[r->config];
		for (size_t i = 0; i < p->nsets; i++) {
			v[n++] = (char *)"--set";
			v[n++] = p->sets[i];
		}
		for (size_t i = 0; i < r->nsets; i++) {
			v[n++] = (char *)"--set";
			v[n++] = r->sets[i];
		}
		v[n++] = (char *)"--set";
		if (asprintf(&own[o], "run.seed=%lld", (long long)r->seed) < 0)
			goto oom;
		v[n++] = own[o++];
		v[n++] = (char *)"--out";
		v[n++] = (char *)run_dir;
	} else if (step == APNAS_STEP_RESUME) {
		v[n++] = (char *)"search";
		v[n++] = (char *)"--resume";
		v[n++] = (char *)run_dir;
	} else {
		v[n++] = (char *)"train";
		if (!(own[o] = apnas_rundir_retrain_of(run_dir)))
			goto oom;
		char *retrain = own[o++];
		/* a retraining stopped after an epoch goes on from there */
		if (apnas_rundir_state(retrain, APNAS_RUN_TRAIN) ==
		    APNAS_RUNDIR_UNFINISHED) {
			v[n++] = (char *)"--resume";
			v[n++] = retrain;
		} else {
			if (asprintf(&own[o], "%s/config.cfg", run_dir) < 0)
				goto oom;
			v[n++] = own[o++];
			v[n++] = (char *)"--arch";
			if (asprintf(&own[o], "%s/best.arch", run_dir) < 0)
				goto oom;
			v[n++] = own[o++];
			v[n++] = (char *)"--out";
			v[n++] = retrain;
			if (p->retrain_epochs > 0) {
				v[n++] = (char *)"--epochs";
				if (asprintf(&own[o], "%lld",
				             (long long)p->retrain_epochs) < 0)
					goto oom;
				v[n++] = own[o++];
			}
		}
	}
	v[n] = NULL;
	*owned = own;
	*nowned = o;
	return v;
oom:
	for (size_t i = 0; i < o; i++)
		free(own[i]);
	free(own);
	free(v);
	return NULL;
}
