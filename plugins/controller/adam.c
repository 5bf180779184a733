/* TensorFlow-1 style Adam for the LSTM controller (see adam.h). */
#include "adam.h"

#include <math.h>
#include <stdlib.h>

int ctl_adam_init(ctl_adam *a, size_t n, double lr, double beta1,
                  double beta2, double eps)
{
	a->lr = lr;
	a->beta1 = beta1;
	a->beta2 = beta2;
	a->eps = eps;
	a->t = 0;
	a->n = n;
	a->m = calloc(n ? n : 1, sizeof *a->m);
	a->v = calloc(n ? n : 1, sizeof *a->v);
	if (!a->m || !a->v) {
		ctl_adam_free(a);
		return -1;
	}
	return 0;
}

void ctl_adam_free(ctl_adam *a)
{
	free(a->m);
	free(a->v);
	a->m = a->v = NULL;
}

void ctl_adam_step(ctl_adam *a, double *p, const double *g)
{
	a->t++;
	double lr_t = a->lr * sqrt(1.0 - pow(a->beta2, (double)a->t)) /
	              (1.0 - pow(a->beta1, (double)a->t));
	for (size_t i = 0; i < a->n; i++) {
		a->m[i] = a->beta1 * a->m[i] + (1.0 - a->beta1) * g[i];
		a->v[i] = a->beta2 * a->v[i] + (1.0 - a->beta2) * g[i] * g[i];
		p[i] -= lr_t * a->m[i] / (sqrt(a->v[i]) + a->eps);
	}
}
