/* The controllers' state files: the SDK's codec, with a header that
 * refuses states of another controller, layout or decision list. */
#include "state_io.h"

#include <string.h>

#define CTL_MAGIC "APNASCTL"

void ctl_put_header(ctl_io *io, const char *name, uint64_t version,
                    uint64_t fingerprint)
{
	apnas_codec_put_header(io, CTL_MAGIC, name, version, fingerprint);
}

int ctl_get_header(ctl_io *io, const char *name, uint64_t version,
                   uint64_t fingerprint, apnas_error *err)
{
	char what[96];
	snprintf(what, sizeof what, "controller '%s'", name);
	return apnas_codec_get_header(io, CTL_MAGIC, what, name, version,
	                              fingerprint, err);
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
