/* The combined Pareto fronts across runs: every run's own front points
 * pooled per hardware setting, then filtered with the same dominance rule
 * the search uses (core/search/pareto.c), so a point on a front is one no
 * run on that hardware beat on both accuracy and the x metric.  Points of
 * different hardware are never compared: 8x8 and 16x16 cycles are not one
 * axis.  Equal points of different runs are all kept: each run reached it. */
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "search/pareto.h"

static int by_hw_x(const void *a, const void *b)
{
	const apnas_report_point *p = a, *q = b;
	if (p->hw != q->hw)
		return p->hw < q->hw ? -1 : 1;
	if (p->x != q->x)
		return p->x < q->x ? -1 : 1;
	if (p->accuracy != q->accuracy)
		return p->accuracy > q->accuracy ? -1 : 1;
	return p->run < q->run ? -1 : p->run > q->run;
}

/* The index of run's hardware in r->hardware, adding it when new. */
static int hardware_index(apnas_report *r, const char *hw, size_t *out)
{
	for (size_t h = 0; h < r->nhardware; h++)
		if (!strcmp(r->hardware[h], hw)) {
			*out = h;
			return 0;
		}
	char **v = realloc(r->hardware, (r->nhardware + 1) * sizeof *v);
	if (!v)
		return -1;
	r->hardware = v;
	if (!(v[r->nhardware] = strdup(hw)))
		return -1;
	*out = r->nhardware++;
	return 0;
}

int apnas_report_front(apnas_report *r, apnas_error *err)
{
	free(r->front);
	r->front = NULL;
	r->nfront = r->npoints = 0;
	size_t n = 0;
	for (size_t i = 0; i < r->nruns; i++)
		n += r->runs[i].npareto ? r->runs[i].npareto : 1;
	if (n == 0)
		return 0;
	apnas_report_point *p = malloc(n * sizeof *p);
	double *acc = malloc(n * sizeof *acc);
	double *x = malloc(n * sizeof *x);
	unsigned char *on = malloc(n);
	int rc = 0;
	if (!p || !acc || !x || !on) {
		rc = apnas_error_set(err, APNAS_ENOMEM, "out of memory");
		goto out;
	}
	size_t k = 0;
	for (size_t i = 0; i < r->nruns; i++) {
		const apnas_report_run *run = &r->runs[i];
		size_t hw;
		if (hardware_index(r, run->hardware ? run->hardware : "", &hw)) {
			rc = apnas_error_set(err, APNAS_ENOMEM, "out of memory");
			goto out;
		}
		if (!run->npareto) {
			p[k++] = (apnas_report_point){run->m[APNAS_RM_VAL_ACC],
				run->m[APNAS_RM_X], i, hw, SIZE_MAX};
			continue;
		}
		for (size_t j = 0; j < run->npareto; j++)
			p[k++] = (apnas_report_point){run->pareto_acc[j],
				run->pareto_x[j], i, hw, j};
	}
	qsort(p, n, sizeof *p, by_hw_x);
	/* One front per hardware setting, over its contiguous points. */
	size_t m = 0;
	for (size_t a = 0; a < n;) {
		size_t b = a;
		while (b < n && p[b].hw == p[a].hw)
			b++;
		for (size_t i = a; i < b; i++) {
			acc[i - a] = p[i].accuracy;
			x[i - a] = p[i].x;
		}
		apnas_pareto(acc, x, b - a, on);
		for (size_t i = a; i < b; i++)
			if (on[i - a])
				p[m++] = p[i];
		a = b;
	}
	/* Two architectures of one run with equal accuracy and x are one
	 * point in this plane; keep it once. */
	size_t u = 0;
	for (size_t i = 0; i < m; i++)
		if (!u || by_hw_x(&p[u - 1], &p[i]) != 0)
			p[u++] = p[i];
	r->front = p;
	p = NULL;
	r->nfront = u;
	r->npoints = n;
out:
	free(p);
	free(acc);
	free(x);
	free(on);
	return rc;
}
