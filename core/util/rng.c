/* xoshiro256** with splitmix64 seeding: fast, 256 bits of state that a
 * checkpoint saves as four words, and identical output on every platform. */
#include <apnas/rng.h>

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void apnas_rng_seed(apnas_rng *r, uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
	if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
		r->s[0] = 1;
}

void apnas_rng_derive(apnas_rng *r, uint64_t seed, const char *stream)
{
	/* FNV-1a of the stream name, mixed with the seed, so that streams of
	 * one run are unrelated and each is stable across versions. */
	uint64_t h = 0xcbf29ce484222325ull;
	for (const unsigned char *p = (const unsigned char *)stream; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	uint64_t x = seed ^ h;
	apnas_rng_seed(r, splitmix64(&x) ^ seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t apnas_rng_u64(apnas_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t apnas_rng_below(apnas_rng *r, uint64_t n)
{
	/* Rejection on the top of the range keeps it unbiased. */
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;
	do
		x = apnas_rng_u64(r);
	while (x >= limit);
	return x % n;
}

double apnas_rng_uniform(apnas_rng *r)
{
	return (double)(apnas_rng_u64(r) >> 11) * 0x1.0p-53;
}

float apnas_rng_uniformf(apnas_rng *r)
{
	return (float)(apnas_rng_u64(r) >> 40) * 0x1.0p-24f;
}

double apnas_rng_normal(apnas_rng *r)
{
	double u1 = 1.0 - apnas_rng_uniform(r); /* (0, 1]: log is finite */
	double u2 = apnas_rng_uniform(r);
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}
