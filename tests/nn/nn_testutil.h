/* Small helpers shared by the engine tests: random tensors and closeness. */
#ifndef APNAS_TESTS_NN_UTIL_H
#define APNAS_TESTS_NN_UTIL_H

#include <apnas/nn.h>
#include <apnas/rng.h>

#include <math.h>
#include <stdlib.h>

static inline float *rand_tensor(apnas_rng *r, size_t n, float lo, float hi)
{
	float *v = malloc((n ? n : 1) * sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = lo + (hi - lo) * apnas_rng_uniformf(r);
	return v;
}

/* Largest |a - b| / (atol + rtol |b|) over n elements: <= 1 means close. */
static inline double worst(const float *a, const float *b, size_t n,
                           double atol, double rtol)
{
	double w = 0;
	for (size_t i = 0; i < n; i++) {
		double e = fabs((double)a[i] - b[i]) / (atol + rtol * fabs(b[i]));
		if (!(e <= w)) /* NaN counts as worst */
			w = isnan(e) ? INFINITY : e;
	}
	return w;
}

#endif
