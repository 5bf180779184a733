/* What the report reads of each run beyond its figures: the rank and
 * architecture file of every Pareto point (the single-run plot labels
 * points by rank, the HTML report draws the best network of each front),
 * every candidate the derive step scored (candidates.csv, the cloud
 * behind a single run's front) and the provenance its search and its
 * retraining recorded (core/util/provenance.c), with the notes when the
 * runs of one report ran on different code or machines. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "report/csvread.h"
#include "report/json.h"
#include "report/report.h"

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The provenance strings of summary j; absent ones stay NULL. */
static int read_provenance(const apnas_json *j, char **commit, char **cpu,
                           char **blas, char **kern)
{
	const apnas_json *p = apnas_json_get(j, "provenance");
	const char *c = apnas_json_str_at(p, "commit");
	const char *u = apnas_json_str_at(p, "cpu");
	const char *b = apnas_json_str_at(p, "openblas_core");
	const char *k = apnas_json_str_at(p, "engine_kernels");
	*commit = dup_or_null(c);
	*cpu = dup_or_null(u);
	*blas = dup_or_null(b);
	*kern = dup_or_null(k);
	return (c && !*commit) || (u && !*cpu) || (b && !*blas) ||
	       (k && !*kern) ? -1 : 0;
}

/* The architecture file of candidate `rank`: best.arch for the best,
 * top[].file for the exported ones, else NULL. */
static const char *arch_of(const apnas_json *sum, int64_t rank)
{
	if (rank == 1)
		return "best.arch";
	const apnas_json *top = apnas_json_get(sum, "top");
	for (size_t i = 0; top && top->type == APNAS_JSON_ARRAY && i < top->n;
	     i++)
		if (apnas_json_num_at(&top->items[i], "rank") == (double)rank)
			return apnas_json_str_at(&top->items[i], "file");
	return NULL;
}

static int load_summary(const apnas_report_run *run, apnas_report_extra *x,
                        apnas_error *err)
{
	char *path = NULL;
	if (asprintf(&path, "%s/summary.json", run->dir) < 0)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	apnas_json *sum = NULL;
	int rc = apnas_json_read_file(path, &sum, err);
	free(path);
	if (rc < 0)
		return rc;
	const apnas_json *p = apnas_json_get(sum, "pareto");
	size_t n = run->npareto;
	x->pareto_rank = calloc(n ? n : 1, sizeof *x->pareto_rank);
	x->pareto_arch = calloc(n ? n : 1, sizeof *x->pareto_arch);
	x->pareto_hw = calloc(n ? n : 1, sizeof *x->pareto_hw);
	if (!x->pareto_rank || !x->pareto_arch || !x->pareto_hw ||
	    read_provenance(sum, &x->commit, &x->cpu, &x->blas,
	                    &x->kern))
		rc = apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	/* runs.c read the same array into pareto_acc/pareto_x, in order */
	for (size_t k = 0; rc == 0 && p && p->type == APNAS_JSON_ARRAY &&
	                   k < n && k < p->n; k++) {
		/* a co-search names each point's hardware */
		const char *hw = apnas_json_str_at(&p->items[k], "hardware");
		if (hw && !(x->pareto_hw[k] = strdup(hw))) {
			rc = apnas_error_set(err, APNAS_ENOMEM,
			                     "out of memory");
			break;
		}
		double rank = apnas_json_num_at(&p->items[k], "rank");
		if (!(rank >= 1 && rank < 1e15 && rank == floor(rank)))
			continue;
		x->pareto_rank[k] = (int64_t)rank;
		const char *file = arch_of(sum, x->pareto_rank[k]);
		if (file && !apnas_exists_in(run->dir, file))
			file = NULL;
		if (file && !(x->pareto_arch[k] = strdup(file)))
			rc = apnas_error_set(err, APNAS_ENOMEM,
			                     "out of memory");
	}
	apnas_json_free(sum);
	return rc;
}

static int load_retrain(const apnas_report_run *run, apnas_report_extra *x,
                        apnas_error *err)
{
	if (!apnas_exists_in(run->dir, "retrain/summary.json"))
		return 0;
	char *path = NULL;
	if (asprintf(&path, "%s/retrain/summary.json", run->dir) < 0)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	apnas_json *j = NULL;
	int rc = apnas_json_read_file(path, &j, err);
	free(path);
	if (rc == 0 && read_provenance(j, &x->rt_commit, &x->rt_cpu,
	                               &x->rt_blas, &x->rt_kern))
		rc = apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	apnas_json_free(j);
	return rc;
}

/* candidates.csv's accuracy and x metric; a run without the file (an
 * older one) has no cloud. */
static int load_candidates(const apnas_report *r, const apnas_report_run *run,
                           apnas_report_extra *x, apnas_error *err)
{
	if (!apnas_exists_in(run->dir, "candidates.csv"))
		return 0;
	char *path = NULL;
	if (asprintf(&path, "%s/candidates.csv", run->dir) < 0)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	apnas_csv c;
	int rc = apnas_csv_read_file(path, &c, err);
	if (rc < 0) {
		free(path);
		return rc;
	}
	const char *xn = apnas_report_metric_name(r, APNAS_RM_X);
	int ca = apnas_csv_col(&c, "accuracy"), cx = apnas_csv_col(&c, xn);
	if (c.nrows && (ca < 0 || cx < 0))
		rc = apnas_error_set(err, APNAS_EINVAL, "%s: no \"accuracy\" "
		                     "or \"%s\" column in the header", path, xn);
	size_t n = c.nrows > 1 ? c.nrows - 1 : 0;
	if (rc == 0) {
		x->cand_acc = malloc((n ? n : 1) * sizeof *x->cand_acc);
		x->cand_x = malloc((n ? n : 1) * sizeof *x->cand_x);
		if (!x->cand_acc || !x->cand_x)
			rc = apnas_error_set(err, APNAS_ENOMEM,
			                     "out of memory");
	}
	for (size_t i = 1; rc == 0 && i <= n; i++) {
		double a, v;
		if (apnas_csv_get_num(&c, i, ca, &a) < 0 ||
		    apnas_csv_get_num(&c, i, cx, &v) < 0 || !(a >= 0 && a <= 1) ||
		    !(v >= 0 && v < 1e30)) {
			rc = apnas_error_set(err, APNAS_EINVAL, "%s:%zu: accuracy "
			                     "(0..1) and %s (>= 0) must be "
			                     "numbers", path, i + 1, xn);
			if (err)
				err->line = (int)i + 1;
			break;
		}
		x->cand_acc[x->ncand] = a;
		x->cand_x[x->ncand++] = v;
	}
	apnas_csv_free(&c);
	free(path);
	return rc;
}

int apnas_report_load_extras(apnas_report *r, apnas_error *err)
{
	apnas_report_extras_free(r);
	if (!r->nruns)
		return 0;
	r->extra = calloc(r->nruns, sizeof *r->extra);
	if (!r->extra)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < r->nruns; i++) {
		rc = load_summary(&r->runs[i], &r->extra[i], err);
		if (rc == 0)
			rc = load_retrain(&r->runs[i], &r->extra[i], err);
		if (rc == 0)
			rc = load_candidates(r, &r->runs[i], &r->extra[i], err);
	}
	return rc;
}

void apnas_report_extras_free(apnas_report *r)
{
	for (size_t i = 0; r->extra && i < r->nruns; i++) {
		apnas_report_extra *x = &r->extra[i];
		for (size_t k = 0; x->pareto_arch && k < r->runs[i].npareto;
		     k++)
			free(x->pareto_arch[k]);
		for (size_t k = 0; x->pareto_hw && k < r->runs[i].npareto; k++)
			free(x->pareto_hw[k]);
		free(x->pareto_arch);
		free(x->pareto_hw);
		free(x->pareto_rank);
		free(x->cand_acc);
		free(x->cand_x);
		free(x->commit);
		free(x->cpu);
		free(x->blas);
		free(x->kern);
		free(x->rt_commit);
		free(x->rt_cpu);
		free(x->rt_blas);
		free(x->rt_kern);
	}
	free(r->extra);
	r->extra = NULL;
}

/* The distinct values of one provenance field over the runs' searches
 * and retrainings: a note when there are several. */
static size_t differ(FILE *f, const apnas_report *r, const char *what,
                     size_t off_search, size_t off_retrain)
{
	const char *first = NULL, *first_run = NULL;
	for (size_t i = 0; r->extra && i < r->nruns; i++)
		for (int t = 0; t < 2; t++) {
			const char *v = *(char *const *)((const char *)
				&r->extra[i] + (t ? off_retrain : off_search));
			if (!v)
				continue;
			if (!first) {
				first = v;
				first_run = r->runs[i].name;
			} else if (strcmp(first, v)) {
				if (f)
					fprintf(f, "apnas: report: warning: "
					        "runs ran on different %s: %s "
					        "(%s) and %s (%s%s); their "
					        "figures may not be comparable "
					        "bit for bit\n", what, first,
					        first_run, v, r->runs[i].name,
					        t ? ", retraining" : "");
				return 1;
			}
		}
	return 0;
}

size_t apnas_report_provenance_notes(FILE *f, const apnas_report *r)
{
	return differ(f, r, "commits",
	              offsetof(apnas_report_extra, commit),
	              offsetof(apnas_report_extra, rt_commit)) +
	       differ(f, r, "CPUs", offsetof(apnas_report_extra, cpu),
	              offsetof(apnas_report_extra, rt_cpu)) +
	       differ(f, r, "OpenBLAS cores",
	              offsetof(apnas_report_extra, blas),
	              offsetof(apnas_report_extra, rt_blas)) +
	       differ(f, r, "engine kernels",
	              offsetof(apnas_report_extra, kern),
	              offsetof(apnas_report_extra, rt_kern));
}
