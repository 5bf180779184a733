/* Synthetic images: every class has a fixed coarse pattern per channel
 * (a 4x4 grid of random levels), every image is its class's pattern plus
 * independent Gaussian noise, quantised to bytes like a real dataset.
 * Coarse cells keep a class recognisable under pad-and-crop shifts; the
 * noise keeps the task from being trivial.  Everything comes from the
 * data's own seed, never the run's, so runs with different seeds see the
 * same data. */
#include "synthetic.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apnas/rng.h>

#define GRID 4
#define CENTER 127.5
#define AMPLITUDE 50.0
#define MAX_BYTES (1ull << 36)

static int check(const apnas_synthetic_spec *s, apnas_error *err)
{
	if (s->n < 0 || s->n > APNAS_DATA_MAX_IMAGES)
		return apnas_error_set(err, APNAS_EINVAL,
		        "synthetic data: bad image count %lld (expected "
		        "0..%d)", (long long)s->n, APNAS_DATA_MAX_IMAGES);
	if (s->classes < 2 || s->classes > 1000)
		return apnas_error_set(err, APNAS_EINVAL,
		        "synthetic data: bad class count %d (expected 2..1000)",
		        s->classes);
	if (s->c < 1 || s->c > 64 || s->h < 1 || s->h > APNAS_DATA_MAX_SIDE ||
	    s->w < 1 || s->w > APNAS_DATA_MAX_SIDE)
		return apnas_error_set(err, APNAS_EINVAL,
		        "synthetic data: bad dimensions %dx%dx%d (expected "
		        "1..64 channels of 1..%d pixels a side)", s->c, s->h,
		        s->w, APNAS_DATA_MAX_SIDE);
	if ((uint64_t)s->n * (uint64_t)(s->c * s->h) * (uint64_t)s->w >
	    MAX_BYTES)
		return apnas_error_set(err, APNAS_EINVAL,
		        "synthetic data: %lld images of %dx%dx%d exceed %llu "
		        "bytes", (long long)s->n, s->c, s->h, s->w, MAX_BYTES);
	if (!(s->noise >= 0.0) || !isfinite(s->noise))
		return apnas_error_set(err, APNAS_EINVAL,
		        "synthetic data: noise must be finite and >= 0, got %g",
		        s->noise);
	return 0;
}

int apnas_synthetic_make(const apnas_synthetic_spec *s, apnas_raw *out,
                         apnas_error *err)
{
	memset(out, 0, sizeof *out);
	int rc = check(s, err);
	if (rc)
		return rc;
	int32_t gh = s->h < GRID ? s->h : GRID;
	int32_t gw = s->w < GRID ? s->w : GRID;
	size_t cells = (size_t)s->classes * s->c * gh * gw;
	size_t img = (size_t)s->c * s->h * s->w;
	double *levels = malloc(sizeof *levels * cells);
	out->px = malloc(img * (size_t)(s->n ? s->n : 1));
	out->y = malloc(sizeof *out->y * (size_t)(s->n ? s->n : 1));
	if (!levels || !out->px || !out->y) {
		free(levels);
		apnas_raw_free(out);
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "synthetic data: out of memory");
	}

	apnas_rng r;
	/* The patterns' stream is shared by train and test. */
	apnas_rng_derive(&r, s->seed, "synthetic.patterns");
	for (size_t i = 0; i < cells; i++)
		levels[i] = 2.0 * apnas_rng_uniform(&r) - 1.0;

	char stream[64];
	snprintf(stream, sizeof stream, "synthetic.%s", s->part);
	apnas_rng_derive(&r, s->seed, stream);
	for (int64_t i = 0; i < s->n; i++) {
		int32_t k = (int32_t)(i % s->classes);
		uint8_t *p = out->px + (size_t)i * img;
		const double *lv = levels + (size_t)k * s->c * gh * gw;
		for (int32_t c = 0; c < s->c; c++)
			for (int32_t y = 0; y < s->h; y++)
				for (int32_t x = 0; x < s->w; x++) {
					double v = lv[(c * gh + y * gh / s->h) *
					              gw + x * gw / s->w];
					v += s->noise * apnas_rng_normal(&r);
					v = floor(CENTER + AMPLITUDE * v + 0.5);
					*p++ = (uint8_t)(v < 0 ? 0
					                 : v > 255 ? 255 : v);
				}
		out->y[i] = k;
	}
	free(levels);
	out->n = s->n;
	out->c = s->c;
	out->h = s->h;
	out->w = s->w;
	out->classes = s->classes;
	return 0;
}
