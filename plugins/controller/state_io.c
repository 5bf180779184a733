/* Little-endian state files for the controllers, with a header that
 * refuses states of another controller, layout or decision list. */
#include "state_io.h"

#include <string.h>

#define CTL_MAGIC "APNASCTL"
#define CTL_NAME_MAX 64

void ctl_put_u64(ctl_io *io, uint64_t v)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	if (!io->bad && fwrite(b, 1, 8, io->f) != 8)
		io->bad = 1;
}

void ctl_put_f64(ctl_io *io, double v)
{
	uint64_t u;
	memcpy(&u, &v, sizeof u);
	ctl_put_u64(io, u);
}

void ctl_put_f64s(ctl_io *io, const double *v, size_t n)
{
	for (size_t i = 0; i < n && !io->bad; i++)
		ctl_put_f64(io, v[i]);
}

void ctl_put_i32s(ctl_io *io, const int32_t *v, size_t n)
{
	for (size_t i = 0; i < n && !io->bad; i++)
		ctl_put_u64(io, (uint64_t)(int64_t)v[i]);
}

void ctl_put_rng(ctl_io *io, const apnas_rng *r)
{
	for (int i = 0; i < 4; i++)
		ctl_put_u64(io, r->s[i]);
}

uint64_t ctl_get_u64(ctl_io *io)
{
	unsigned char b[8];
	if (io->bad || fread(b, 1, 8, io->f) != 8) {
		io->bad = 1;
		return 0;
	}
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

double ctl_get_f64(ctl_io *io)
{
	uint64_t u = ctl_get_u64(io);
	double v;
	memcpy(&v, &u, sizeof v);
	return v;
}

void ctl_get_f64s(ctl_io *io, double *v, size_t n)
{
	for (size_t i = 0; i < n && !io->bad; i++)
		v[i] = ctl_get_f64(io);
}

void ctl_get_i32s(ctl_io *io, int32_t *v, size_t n)
{
	for (size_t i = 0; i < n && !io->bad; i++) {
		int64_t x = (int64_t)ctl_get_u64(io);
		if (x < INT32_MIN || x > INT32_MAX)
			io->bad = 1;
		v[i] = (int32_t)x;
	}
}

void ctl_get_rng(ctl_io *io, apnas_rng *r)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = ctl_get_u64(io);
	if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
		io->bad = 1;
}

void ctl_put_header(ctl_io *io, const char *name, uint64_t version,
                    uint64_t fingerprint)
{
	size_t len = strlen(name);
	if (!io->bad && fwrite(CTL_MAGIC, 1, 8, io->f) != 8)
		io->bad = 1;
	ctl_put_u64(io, len);
	if (!io->bad && fwrite(name, 1, len, io->f) != len)
		io->bad = 1;
	ctl_put_u64(io, version);
	ctl_put_u64(io, fingerprint);
}

int ctl_get_header(ctl_io *io, const char *name, uint64_t version,
                   uint64_t fingerprint, apnas_error *err)
{
	char magic[8];
	if (fread(magic, 1, 8, io->f) != 8 || memcmp(magic, CTL_MAGIC, 8))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "controller '%s': not a controller state "
		                       "(no %s header)", name, CTL_MAGIC);
	uint64_t len = ctl_get_u64(io);
	char saved[CTL_NAME_MAX + 1];
	if (io->bad || len > CTL_NAME_MAX ||
	    fread(saved, 1, (size_t)len, io->f) != len)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "controller '%s': state header is "
		                       "truncated or corrupt", name);
	saved[len] = '\0';
	if (strcmp(saved, name))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "controller '%s': the state was saved by "
		                       "controller '%s'", name, saved);
	uint64_t v = ctl_get_u64(io);
	uint64_t fp = ctl_get_u64(io);
	if (io->bad)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "controller '%s': state header is "
		                       "truncated", name);
	if (v != version)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "controller '%s': state layout version "
		                       "%llu, this build reads version %llu",
		                       name, (unsigned long long)v,
		                       (unsigned long long)version);
	if (fp != fingerprint)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "controller '%s': the state was saved for "
		                       "a different decision list (another space "
		                       "or space options)", name);
	return 0;
}

int ctl_io_done(ctl_io *io, const char *name, int saving, apnas_error *err)
{
	if (!io->bad)
		return 0;
	if (saving)
		return apnas_error_set(err, APNAS_EIO,
		                       "controller '%s': could not write its "
		                       "state", name);
	if (ferror(io->f))
		return apnas_error_set(err, APNAS_EIO,
		                       "controller '%s': could not read its "
		                       "state", name);
	return apnas_error_set(err, APNAS_EINVAL,
	                       "controller '%s': state is truncated or "
	                       "corrupt", name);
}
