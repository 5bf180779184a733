/* Eight-float vectors through GCC's vector extension: one AVX register
 * when the kernels are built for x86-64-v3, two SSE registers otherwise.
 * Loads and stores go through memcpy, so no alignment is assumed. */
#ifndef APNAS_CORE_NN_VEC_H
#define APNAS_CORE_NN_VEC_H

#include <string.h>

typedef float v8f __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));

static inline v8f v8_ld(const float *p)
{
	v8f v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline void v8_st(float *p, v8f v)
{
	memcpy(p, &v, sizeof v);
}

static inline v8f v8_set1(float x)
{
	return (v8f){x, x, x, x, x, x, x, x};
}

/* Lane sum in a fixed order, so the result never depends on how the
 * compiler schedules it. */
static inline float v8_hsum(v8f v)
{
	return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

/* d where y > 0, else 0 (NaN in y gives 0, as the scalar form does). */
static inline v8f v8_where_pos(v8f y, v8f d)
{
	v8i m = y > v8_set1(0);
	return (v8f)((v8i)d & m);
}

static inline v8f v8_relu(v8f v)
{
	return v8_where_pos(v, v);
}

/* d[0, n) = s[0, n) for short rows (they do not overlap): whole vectors
 * and one overlapping last one.  A libc call per row of 7 to 32 floats
 * cost more than the arithmetic of the ops around it. */
static inline void v8_copy(float *d, const float *s, int n)
{
	if (n < 8) {
		for (int e = 0; e < n; e++)
			d[e] = s[e];
		return;
	}
	int e = 0;
	for (; e + 8 <= n; e += 8)
		v8_st(d + e, v8_ld(s + e));
	if (e < n)
		v8_st(d + n - 8, v8_ld(s + n - 8));
}

static inline int round8(int x)
{
	return (x + 7) & ~7;
}

#endif
