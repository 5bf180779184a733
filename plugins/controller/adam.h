/* Adam as TensorFlow 1 implements it (what the ENAS code ran): the bias
 * correction folded into the step size, lr_t = lr sqrt(1 - b2^t) /
 * (1 - b1^t), and eps added to sqrt(v) uncorrected.  With ENAS's eps of
 * 1e-3 this differs visibly from the textbook form, hence its own file. */
#ifndef CTL_ADAM_H
#define CTL_ADAM_H

#include <stddef.h>
#include <stdint.h>

typedef struct ctl_adam {
	double lr, beta1, beta2, eps; /* copied from the options */
	int64_t t;                    /* steps taken */
	double *m, *v;                /* [n] moments, owned */
	size_t n;
} ctl_adam;

/* 0, or -1 when out of memory. */
int ctl_adam_init(ctl_adam *a, size_t n, double lr, double beta1,
                  double beta2, double eps);
void ctl_adam_free(ctl_adam *a);
/* p -= step(g); g is left as it was. */
void ctl_adam_step(ctl_adam *a, double *p, const double *g);

#endif
