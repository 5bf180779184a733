/* See <apnas/codec.h>.  Byte order is fixed here, once, so a state saved
 * on any machine loads on any other. */
#include <apnas/codec.h>

#include <string.h>

#define NAME_MAX_LEN 64

void apnas_codec_init(apnas_codec *c, FILE *f)
{
	c->f = f;
	c->bad = 0;
}

void apnas_le_store(void *p, uint64_t v, int n)
{
	unsigned char *b = p;
	for (int i = 0; i < n; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

uint64_t apnas_le_load(const void *p, int n)
{
	const unsigned char *b = p;
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static void put_le(apnas_codec *c, uint64_t v, int n)
{
	unsigned char b[8];
	apnas_le_store(b, v, n);
	if (!c->bad && fwrite(b, 1, (size_t)n, c->f) != (size_t)n)
		c->bad = 1;
}

static uint64_t get_le(apnas_codec *c, int n)
{
	unsigned char b[8];
	if (c->bad || fread(b, 1, (size_t)n, c->f) != (size_t)n) {
		c->bad = 1;
		return 0;
	}
	return apnas_le_load(b, n);
}

void apnas_codec_put_u64(apnas_codec *c, uint64_t v)
{
	put_le(c, v, 8);
}

void apnas_codec_put_i64(apnas_codec *c, int64_t v)
{
	put_le(c, (uint64_t)v, 8);
}

void apnas_codec_put_f64(apnas_codec *c, double v)
{
	uint64_t u;
	memcpy(&u, &v, sizeof u);
	put_le(c, u, 8);
}

void apnas_codec_put_f64s(apnas_codec *c, const double *v, size_t n)
{
	for (size_t i = 0; i < n && !c->bad; i++)
		apnas_codec_put_f64(c, v[i]);
}

void apnas_codec_put_f32s(apnas_codec *c, const float *v, size_t n)
{
	for (size_t i = 0; i < n && !c->bad; i++) {
		uint32_t u;
		memcpy(&u, &v[i], sizeof u);
		put_le(c, u, 4);
	}
}

void apnas_codec_put_i32s(apnas_codec *c, const int32_t *v, size_t n)
{
	for (size_t i = 0; i < n && !c->bad; i++)
		put_le(c, (uint64_t)(int64_t)v[i], 8);
}

void apnas_codec_put_bytes(apnas_codec *c, const void *p, size_t n)
{
	if (!c->bad && n && fwrite(p, 1, n, c->f) != n)
		c->bad = 1;
}

void apnas_codec_put_rng(apnas_codec *c, const apnas_rng *r)
{
	for (int i = 0; i < 4; i++)
		put_le(c, r->s[i], 8);
}

uint64_t apnas_codec_get_u64(apnas_codec *c)
{
	return get_le(c, 8);
}

int64_t apnas_codec_get_i64(apnas_codec *c)
{
	return (int64_t)get_le(c, 8);
}

double apnas_codec_get_f64(apnas_codec *c)
{
	uint64_t u = get_le(c, 8);
	double v;
	memcpy(&v, &u, sizeof v);
	return v;
}

void apnas_codec_get_f64s(apnas_codec *c, double *v, size_t n)
{
	for (size_t i = 0; i < n && !c->bad; i++)
		v[i] = apnas_codec_get_f64(c);
}

void apnas_codec_get_f32s(apnas_codec *c, float *v, size_t n)
{
	for (size_t i = 0; i < n && !c->bad; i++) {
		uint32_t u = (uint32_t)get_le(c, 4);
		memcpy(&v[i], &u, sizeof u);
	}
}

void apnas_codec_get_i32s(apnas_codec *c, int32_t *v, size_t n)
{
	for (size_t i = 0; i < n && !c->bad; i++) {
		int64_t x = (int64_t)get_le(c, 8);
		if (x < INT32_MIN || x > INT32_MAX)
			c->bad = 1;
		v[i] = (int32_t)x;
	}
}

void apnas_codec_get_bytes(apnas_codec *c, void *p, size_t n)
{
	if (c->bad || (n && fread(p, 1, n, c->f) != n)) {
		c->bad = 1;
		memset(p, 0, n);
	}
}

void apnas_codec_get_rng(apnas_codec *c, apnas_rng *r)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = get_le(c, 8);
	if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
		c->bad = 1;
}

void apnas_codec_put_header(apnas_codec *c, const char magic[8],
                            const char *name, uint64_t version,
                            uint64_t fingerprint)
{
	size_t len = strlen(name);
	apnas_codec_put_bytes(c, magic, 8);
	put_le(c, len, 8);
	apnas_codec_put_bytes(c, name, len);
	put_le(c, version, 8);
	put_le(c, fingerprint, 8);
}

int apnas_codec_get_header(apnas_codec *c, const char magic[8],
                           const char *what, const char *name,
                           uint64_t version, uint64_t fingerprint,
                           apnas_error *err)
{
	char got[8];
	if (fread(got, 1, 8, c->f) != 8 || memcmp(got, magic, 8))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "%s: not its state (no %.8s header)",
		                       what, magic);
	uint64_t len = get_le(c, 8);
	char saved[NAME_MAX_LEN + 1];
	if (c->bad || len > NAME_MAX_LEN ||
	    fread(saved, 1, (size_t)len, c->f) != len)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "%s: state header is truncated or corrupt",
		                       what);
	saved[len] = '\0';
	if (strcmp(saved, name))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "%s: the state was saved by another plugin, "
		                       "'%s'", what, saved);
	uint64_t v = get_le(c, 8);
	uint64_t fp = get_le(c, 8);
	if (c->bad)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "%s: state header is truncated", what);
	if (v != version)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "%s: state layout version %llu, this build "
		                       "reads version %llu", what,
		                       (unsigned long long)v,
		                       (unsigned long long)version);
	if (fp != fingerprint)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "%s: the state was saved for other options "
		                       "(another space, decision list or options: "
		                       "its fingerprint differs)", what);
	return 0;
}

int apnas_codec_done(apnas_codec *c, const char *what, int saving,
                     apnas_error *err)
{
	if (!c->bad)
		return 0;
	if (saving)
		return apnas_error_set(err, APNAS_EIO,
		                       "%s: could not write its state", what);
	if (ferror(c->f))
		return apnas_error_set(err, APNAS_EIO,
		                       "%s: could not read its state", what);
	return apnas_error_set(err, APNAS_EINVAL,
	                       "%s: state is truncated or corrupt", what);
}
