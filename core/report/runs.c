/* Finding and reading finished search runs: summary.json for the best
 * architecture and the run's Pareto points, config.cfg for its settings,
 * epochs.csv for the reward curve and retrain/summary.json (written by
 * `apnas train --out RUN/retrain`) for the test accuracy. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "report/csvread.h"
#include "report/json.h"
#include "report/plan.h"
#include "report/report.h"

#define SCAN_MAX_DEPTH 32

static const char *const metric_names[APNAS_RM_COUNT] = {
	"best_reward", "val_accuracy", "test_accuracy", NULL, "params",
	"macs", "wall_seconds",
};

const char *apnas_report_metric_name(const apnas_report *r, int m)
{
	if (m == APNAS_RM_X)
		return r && r->x ? r->x : "cycles";
	return m >= 0 && m < APNAS_RM_COUNT ? metric_names[m] : "?";
}

static char *join(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	char *p = malloc(na + nb + 2);
	if (!p)
		return NULL;
	memcpy(p, a, na);
	p[na] = '/';
	memcpy(p + na + 1, b, nb + 1);
	return p;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The test accuracy `apnas train` reports: "test_accuracy", or an object
 * "test" with "accuracy". */
static double retrain_accuracy(const apnas_json *j)
{
	double v = apnas_json_num_at(j, "test_accuracy");
	if (isnan(v))
		v = apnas_json_num_at(apnas_json_get(j, "test"), "accuracy");
	return v;
}

/* A value read back must mean something: finite and in its range (NaN,
 * an absent optional value, passes).  The report's tables print these. */
static int check_range(const char *path, const char *what, double v,
                       double lo, double hi, apnas_error *err)
{
	if (isnan(v) || (v >= lo && v <= hi))
		return 0;
	return apnas_error_set(err, APNAS_EINVAL,
		"%s: %s %g is outside %g..%g", path, what, v, lo, hi);
}

#define COUNT_MAX 1e30 /* cycles, params, MACs: far past any network */

static int load_pareto(const apnas_json *sum, apnas_report_run *run,
                       const char *x, const char *path, apnas_error *err)
{
	const apnas_json *p = apnas_json_get(sum, "pareto");
	if (p && p->type != APNAS_JSON_ARRAY)
		return apnas_error_set(err, APNAS_EINVAL,
			"%s: \"pareto\" must be an array", path);
	size_t n = p ? p->n : 0;
	run->pareto_acc = malloc((n ? n : 1) * sizeof *run->pareto_acc);
	run->pareto_x = malloc((n ? n : 1) * sizeof *run->pareto_x);
	if (!run->pareto_acc || !run->pareto_x)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		double a = apnas_json_num_at(&p->items[i], "accuracy");
		double c = apnas_json_num_at(&p->items[i], x);
		if (isnan(a) || isnan(c))
			return apnas_error_set(err, APNAS_EINVAL,
				"%s: pareto point %zu lacks a numeric "
				"\"accuracy\" or \"%s\"", path, i + 1, x);
		char what[64];
		snprintf(what, sizeof what, "pareto point %zu accuracy", i + 1);
		if (check_range(path, what, a, 0, 1, err))
			return APNAS_EINVAL;
		snprintf(what, sizeof what, "pareto point %zu %s", i + 1, x);
		if (check_range(path, what, c, 0, COUNT_MAX, err))
			return APNAS_EINVAL;
		run->pareto_acc[i] = a;
		run->pareto_x[i] = c;
	}
	run->npareto = n;
	return 0;
}

static int load_epochs(const char *dir, apnas_report_run *run,
                       apnas_error *err)
{
	char *path = join(dir, "epochs.csv");
	if (!path)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	if (access(path, F_OK) != 0) {
		free(path);
		return 0;
	}
	apnas_csv c;
	int rc = apnas_csv_read_file(path, &c, err);
	if (rc < 0) {
		free(path);
		return rc;
	}
	int col = apnas_csv_col(&c, "mean_reward");
	if (col < 0 && c.nrows > 0) {
		rc = apnas_error_set(err, APNAS_EINVAL,
			"%s: no mean_reward column in the header", path);
	} else if (c.nrows > 1) {
		run->epoch_reward = malloc((c.nrows - 1) *
		                           sizeof *run->epoch_reward);
		if (!run->epoch_reward)
			rc = apnas_error_set(err, APNAS_ENOMEM,
			                     "out of memory");
		for (size_t r = 1; rc == 0 && r < c.nrows; r++) {
			double v;
			if (apnas_csv_get_num(&c, r, col, &v) < 0) {
				rc = apnas_error_set(err, APNAS_EINVAL,
					"%s:%zu: mean_reward is not a number",
					path, r + 1);
				if (err)
					err->line = (int)r + 1;
				break;
			}
			if (!isfinite(v)) {
				rc = apnas_error_set(err, APNAS_EINVAL,
					"%s:%zu: mean_reward %g is not finite",
					path, r + 1, v);
				if (err)
					err->line = (int)r + 1;
				break;
			}
			run->epoch_reward[run->nepochs++] = v;
		}
	}
	apnas_csv_free(&c);
	free(path);
	return rc;
}

static int load_retrain(const char *dir, apnas_report_run *run,
                        apnas_error *err)
{
	char *path = join(dir, "retrain/summary.json");
	if (!path)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	int rc = 0;
	if (access(path, F_OK) == 0) {
		apnas_json *j = NULL;
		rc = apnas_json_read_file(path, &j, err);
		if (rc == 0) {
			run->m[APNAS_RM_TEST_ACC] = retrain_accuracy(j);
			if (isnan(run->m[APNAS_RM_TEST_ACC]))
				rc = apnas_error_set(err, APNAS_EINVAL,
					"%s: no numeric \"test_accuracy\" (nor "
					"\"test\": {\"accuracy\"})", path);
			else
				rc = check_range(path, "test accuracy",
				                 run->m[APNAS_RM_TEST_ACC], 0, 1,
				                 err);
		}
		apnas_json_free(j);
	}
	free(path);
	return rc;
}

/* Runs written before summary.json named the hardware: the cost plugin
 * and its settings from config.cfg, which tell the arrays apart. */
static char *hardware_from_settings(const apnas_report_run *run)
{
	size_t cap = 64, len = 0;
	for (size_t i = 0; i < run->nset; i++)
		cap += strlen(run->set[i].key) + strlen(run->set[i].value) + 2;
	char *s = malloc(cap);
	if (!s)
		return NULL;
	len = (size_t)snprintf(s, cap, "%s", run->cost ? run->cost : "cost");
	for (size_t i = 0; i < run->nset; i++) {
		const char *k = run->set[i].key;
		if (strncmp(k, "cost.", 5) || !strcmp(k, "cost.plugin") ||
		    !strcmp(k, "cost.path"))
			continue;
		len += (size_t)snprintf(s + len, cap - len, " %s=%s", k + 5,
		                        run->set[i].value);
	}
	return s;
}

int apnas_report_load_run(const char *dir, const char *name, const char *x,
                          apnas_report_run *run, apnas_error *err)
{
	memset(run, 0, sizeof *run);
	for (int k = 0; k < APNAS_RM_COUNT; k++)
		run->m[k] = NAN;
	run->seed = -1;
	run->dir = strdup(dir);
	run->name = strdup(name);
	if (!run->dir || !run->name)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	char *path = join(dir, "summary.json");
	if (!path)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	apnas_json *sum = NULL;
	int rc = apnas_json_read_file(path, &sum, err);
	if (rc < 0) {
		free(path);
		return rc;
	}
	const apnas_json *best = apnas_json_get(sum, "best");
	if (!best || best->type != APNAS_JSON_OBJECT) {
		rc = apnas_error_set(err, APNAS_EINVAL,
			"%s: no \"best\" record: not a search summary", path);
		goto out;
	}
	run->m[APNAS_RM_REWARD] = apnas_json_num_at(best, "reward");
	run->m[APNAS_RM_VAL_ACC] = apnas_json_num_at(best, "accuracy");
	/* A front keeps the lower x: a metric where higher is better would
	 * give the worst architectures.  Runs that declare their metrics
	 * say which way each is good. */
	const apnas_json *decl = apnas_json_get(sum, "metrics");
	for (size_t i = 0; decl && decl->type == APNAS_JSON_ARRAY &&
	                   i < decl->n; i++) {
		const char *nm = apnas_json_str_at(&decl->items[i], "name");
		const char *goal = apnas_json_str_at(&decl->items[i], "goal");
		if (nm && goal && !strcmp(nm, x) && strcmp(goal, "min")) {
			rc = apnas_error_set(err, APNAS_EINVAL,
				"%s: metric \"%s\" is not one where lower is "
				"better (goal \"%s\"): a Pareto front against it "
				"would keep the worst; choose another --x", path,
				x, goal);
			goto out;
		}
	}
	run->m[APNAS_RM_X] = apnas_json_num_at(best, x);
	run->m[APNAS_RM_PARAMS] = apnas_json_num_at(best, "params");
	run->m[APNAS_RM_MACS] = apnas_json_num_at(best, "macs");
	run->m[APNAS_RM_WALL] = apnas_json_num_at(sum, "wall_seconds");
	if (isnan(run->m[APNAS_RM_VAL_ACC]) || isnan(run->m[APNAS_RM_X])) {
		rc = apnas_error_set(err, APNAS_EINVAL,
			"%s: \"best\" lacks a numeric \"accuracy\" or "
			"\"%s\"%s", path, x, strcmp(x, "cycles") ? " (the "
			"metric --x names)" : "");
		goto out;
	}
	static const struct {
		int m;
		const char *what;
		double lo, hi;
	} range[] = {
		{APNAS_RM_REWARD, "best reward", -COUNT_MAX, COUNT_MAX},
		{APNAS_RM_VAL_ACC, "best accuracy", 0, 1},
		{APNAS_RM_X, "best x metric", 0, COUNT_MAX},
		{APNAS_RM_PARAMS, "best params", 0, COUNT_MAX},
		{APNAS_RM_MACS, "best macs", 0, COUNT_MAX},
		{APNAS_RM_WALL, "wall_seconds", 0, COUNT_MAX},
	};
	char xwhat[64];
	snprintf(xwhat, sizeof xwhat, "best %s", x);
	for (size_t k = 0; k < sizeof range / sizeof range[0]; k++)
		if ((rc = check_range(path, range[k].m == APNAS_RM_X ? xwhat
		                                                    : range[k].what,
		                      run->m[range[k].m],
		                      range[k].lo, range[k].hi, err)))
			goto out;
	double seed = apnas_json_num_at(sum, "seed");
	/* a seed is a whole number a uint64 config value held; converting
	 * anything else to an integer is undefined */
	if (!isnan(seed) && !(seed >= 0 && seed < 9223372036854775808.0 &&
	                      seed == floor(seed))) {
		rc = apnas_error_set(err, APNAS_EINVAL,
			"%s: \"seed\" %g is not a whole number in 0..2^63-1",
			path, seed);
		goto out;
	}
	if (!isnan(seed))
		run->seed = (int64_t)seed;
	run->status = strdup(apnas_json_str_at(sum, "status") ?
	                     apnas_json_str_at(sum, "status") : "unknown");
	run->controller = dup_or_null(apnas_json_str_at(sum, "controller"));
	run->reward = dup_or_null(apnas_json_str_at(sum, "reward"));
	run->cost = dup_or_null(apnas_json_str_at(sum, "cost"));
	if (!run->status) {
		rc = apnas_error_set(err, APNAS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = load_pareto(sum, run, x, path, err)) < 0)
		goto out;
	if (apnas_exists_in(dir, "config.cfg")) {
		char *cfg = join(dir, "config.cfg");
		rc = cfg ? apnas_report_read_settings(cfg, &run->set,
		                                      &run->nset, err)
		         : apnas_error_set(err, APNAS_ENOMEM,
		                           "out of memory");
		free(cfg);
		if (rc < 0)
			goto out;
	}
	const char *hw = apnas_json_str_at(sum, "hardware");
	run->hardware = hw ? strdup(hw) : hardware_from_settings(run);
	if (!run->hardware) {
		rc = apnas_error_set(err, APNAS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = load_epochs(dir, run, err)) < 0)
		goto out;
	rc = load_retrain(dir, run, err);
out:
	apnas_json_free(sum);
	free(path);
	return rc;
}

void apnas_report_run_free(apnas_report_run *run)
{
	free(run->dir);
	free(run->name);
	for (size_t i = 0; i < run->nset; i++) {
		free(run->set[i].key);
		free(run->set[i].value);
	}
	free(run->set);
	free(run->status);
	free(run->controller);
	free(run->reward);
	free(run->cost);
	free(run->pareto_acc);
	free(run->pareto_x);
	free(run->hardware);
	free(run->epoch_reward);
	memset(run, 0, sizeof *run);
}

void apnas_report_free(apnas_report *r)
{
	for (size_t i = 0; i < r->nruns; i++)
		apnas_report_run_free(&r->runs[i]);
	free(r->runs);
	for (size_t g = 0; g < r->ngroups; g++) {
		free(r->groups[g].key);
		free(r->groups[g].label);
		free(r->groups[g].values);
		free(r->groups[g].runs);
	}
	free(r->groups);
	free(r->label_keys);
	free(r->front);
	for (size_t h = 0; h < r->nhardware; h++)
		free(r->hardware[h]);
	free(r->hardware);
	free(r->first_unfinished);
	free(r->grid_missing_list);
	memset(r, 0, sizeof *r);
}

/* ---- scanning ----------------------------------------------------------- */

/* A summary.json that parses but has no "best" object: a retrain or
 * another tool's summary, not a search run. */
static int is_search_summary(const char *dir, int *yes, apnas_error *err)
{
	char *path = join(dir, "summary.json");
	if (!path)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	apnas_json *j = NULL;
	int rc = apnas_json_read_file(path, &j, err);
	free(path);
	if (rc < 0)
		return rc;
	const apnas_json *b = apnas_json_get(j, "best");
	*yes = b && b->type == APNAS_JSON_OBJECT;
	apnas_json_free(j);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return apnas_natcmp(*(char *const *)a, *(char *const *)b);
}

static int add_run(apnas_report *r, const char *dir, const char *name,
                   apnas_error *err)
{
	apnas_report_run *nr = realloc(r->runs,
	                               (r->nruns + 1) * sizeof *nr);
	if (!nr)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	r->runs = nr;
	int rc = apnas_report_load_run(dir, name, r->x ? r->x : "cycles",
	                               &r->runs[r->nruns], err);
	if (rc < 0) {
		apnas_report_run_free(&r->runs[r->nruns]);
		return rc;
	}
	r->nruns++;
	return 0;
}

static int scan(apnas_report *r, const char *dir, const char *name,
                int depth, apnas_error *err)
{
	if (apnas_exists_in(dir, "summary.json")) {
		int yes = 0;
		int rc = is_search_summary(dir, &yes, err);
		if (rc < 0)
			return rc;
		if (yes)
			return add_run(r, dir, name, err);
	} else if (apnas_exists_in(dir, "config.cfg") &&
	           apnas_exists_in(dir, "checkpoint")) {
		if (!r->unfinished++ && !(r->first_unfinished = strdup(dir)))
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "out of memory");
		return 0;
	}
	if (depth >= SCAN_MAX_DEPTH)
		return 0;
	DIR *d = opendir(dir);
	if (!d)
		return depth == 0 ? apnas_error_set(err, APNAS_EIO,
			"cannot read directory %s: %s", dir, strerror(errno))
		                  : 0;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *sub = join(dir, e->d_name);
		struct stat st;
		if (!sub) {
			rc = apnas_error_set(err, APNAS_ENOMEM,
			                     "out of memory");
			break;
		}
		/* lstat: a link back up the tree must not loop us. */
		int isdir = lstat(sub, &st) == 0 && S_ISDIR(st.st_mode);
		free(sub);
		if (!isdir)
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **nn = realloc(names, nc * sizeof *nn);
			if (!nn) {
				rc = apnas_error_set(err, APNAS_ENOMEM,
				                     "out of memory");
				break;
			}
			names = nn;
			cap = nc;
		}
		if (!(names[n] = strdup(e->d_name))) {
			rc = apnas_error_set(err, APNAS_ENOMEM,
			                     "out of memory");
			break;
		}
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char *sub = join(dir, names[i]);
		char *subname = *name ? join(name, names[i])
		                      : strdup(names[i]);
		if (!sub || !subname)
			rc = apnas_error_set(err, APNAS_ENOMEM,
			                     "out of memory");
		else
			rc = scan(r, sub, subname, depth + 1, err);
		free(sub);
		free(subname);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static const char *base_name(const char *path, char *buf, size_t cap)
{
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	size_t s = n;
	while (s > 0 && path[s - 1] != '/')
		s--;
	snprintf(buf, cap, "%.*s", (int)(n - s), path + s);
	return buf;
}

/* Runs of a grid listed by name in the message; the count covers all. */
#define GRID_MISSING_LISTED 20

/* A planned grid (root/ablate.json): which of its runs are not finished,
 * so a report on a grid that is still running says what it lacks. */
static int scan_plan(apnas_report *r, const char *root, apnas_error *err)
{
	apnas_plan p;
	int rc = apnas_plan_read(&p, root, err);
	if (rc < 0)
		return apnas_error_prefix(err, "report");
	size_t len = r->grid_missing_list ? strlen(r->grid_missing_list) : 0;
	r->grid_runs += p.nruns;
	for (size_t k = 0; rc == 0 && k < p.nruns; k++) {
		char *dir = apnas_plan_run_dir(&p, root, k);
		int steps[2];
		int n = dir ? apnas_plan_needs(&p, dir, steps) : APNAS_ENOMEM;
		if (n > 0 && r->grid_missing++ < GRID_MISSING_LISTED) {
			char *item = NULL;
			if (asprintf(&item, "%s%zu %s (needs %s%s%s)",
			             len ? "; " : "", k, dir,
			             apnas_plan_step_name(steps[0]),
			             n > 1 ? "+" : "", n > 1 ?
			             apnas_plan_step_name(steps[1]) : "") < 0)
				item = NULL;
			char *grown = item ? realloc(r->grid_missing_list,
			                             len + strlen(item) + 1)
			                   : NULL;
			if (grown) {
				memcpy(grown + len, item, strlen(item) + 1);
				len += strlen(item);
				r->grid_missing_list = grown;
			} else {
				n = APNAS_ENOMEM;
			}
			free(item);
		}
		if (n < 0)
			rc = apnas_error_set(err, APNAS_ENOMEM,
			                     "out of memory");
		free(dir);
	}
	apnas_plan_free(&p);
	return rc;
}

int apnas_report_scan(apnas_report *r, const char *root, int several,
                      apnas_error *err)
{
	struct stat st;
	if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode))
		return apnas_error_set(err, APNAS_EINVAL,
			"%s: not a directory", root);
	/* Trailing slashes would double up in every path we print. */
	char *dir = strdup(root);
	if (!dir)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
		dir[n - 1] = '\0';
	char base[4096];
	base_name(dir, base, sizeof base);
	/* A run given directly is named after itself. */
	int is_run = apnas_exists_in(dir, "summary.json");
	int rc = scan(r, dir, several || is_run ? base : "", 0, err);
	if (rc == 0 && apnas_exists_in(dir, "ablate.json"))
		rc = scan_plan(r, dir, err);
	free(dir);
	return rc;
}
