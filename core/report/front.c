/* The combined Pareto front across runs: every run's own front points
 * pooled, then filtered with the same dominance rule the search uses
 * (core/search/pareto.c), so a point on it is one no run beat on both
 * accuracy and cycles.  Equal points of different runs are all kept:
 * each run reached it. */
#include <stdlib.h>

#include "report/report.h"
#include "search/pareto.h"

static int by_cycles(const void *a, const void *b)
{
	const apnas_report_point *x = a, *y = b;
	if (x->cycles != y->cycles)
		return x->cycles < y->cycles ? -1 : 1;
	if (x->accuracy != y->accuracy)
		return x->accuracy > y->accuracy ? -1 : 1;
	return x->run < y->run ? -1 : x->run > y->run;
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
	double *cyc = malloc(n * sizeof *cyc);
	unsigned char *on = malloc(n);
	if (!p || !acc || !cyc || !on) {
		free(p);
		free(acc);
		free(cyc);
		free(on);
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	}
	size_t k = 0;
	for (size_t i = 0; i < r->nruns; i++) {
		const apnas_report_run *run = &r->runs[i];
		if (!run->npareto) {
			acc[k] = run->m[APNAS_RM_VAL_ACC];
			cyc[k] = run->m[APNAS_RM_CYCLES];
			p[k] = (apnas_report_point){acc[k], cyc[k], i};
			k++;
			continue;
		}
		for (size_t j = 0; j < run->npareto; j++) {
			acc[k] = run->pareto_acc[j];
			cyc[k] = run->pareto_cyc[j];
			p[k] = (apnas_report_point){acc[k], cyc[k], i};
			k++;
		}
	}
	apnas_pareto(acc, cyc, n, on);
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (on[i])
			p[m++] = p[i];
	qsort(p, m, sizeof *p, by_cycles);
	/* Two architectures of one run with equal accuracy and cycles are
	 * one point in this plane; keep it once. */
	size_t u = 0;
	for (size_t i = 0; i < m; i++)
		if (!u || by_cycles(&p[u - 1], &p[i]) != 0)
			p[u++] = p[i];
	m = u;
	free(acc);
	free(cyc);
	free(on);
	r->front = p;
	r->nfront = m;
	r->npoints = n;
	return 0;
}
