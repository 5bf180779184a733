/* A little-endian codec for the binary state plugins save and load
 * (controller states, a space's weights and optimiser moments, any
 * checkpoint section): fixed-width integers and doubles in little-endian
 * byte order whatever the machine, with a sticky error flag so a save or
 * load is a straight run of calls checked once at the end.
 *
 *   apnas_codec c;
 *   apnas_codec_init(&c, f);
 *   apnas_codec_put_header(&c, "MYSTATE1", "mine", 1, fingerprint);
 *   apnas_codec_put_u64(&c, self->steps);
 *   apnas_codec_put_f64s(&c, self->w, self->n);
 *   return apnas_codec_done(&c, "cost 'mine'", 1, err);
 *
 * Loading mirrors it with the get functions; after a short read every get
 * returns 0 and apnas_codec_done() reports the state as truncated. */
#ifndef APNAS_CODEC_H
#define APNAS_CODEC_H

#include "api.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "rng.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct apnas_codec {
	FILE *f;  /* borrowed from the caller of save/load */
	int bad;  /* 1 after a short read, a failed write or a value out of
	             its type's range; sticky */
} apnas_codec;

APNAS_API void apnas_codec_init(apnas_codec *c, FILE *f);

/* The byte order itself, for a state built in memory: v's low n bytes
 * (1 to 8) stored at p, least significant first, and read back. */
APNAS_API void apnas_le_store(void *p, uint64_t v, int n);
APNAS_API uint64_t apnas_le_load(const void *p, int n);

APNAS_API void apnas_codec_put_u64(apnas_codec *c, uint64_t v);
APNAS_API void apnas_codec_put_i64(apnas_codec *c, int64_t v);
APNAS_API void apnas_codec_put_f64(apnas_codec *c, double v);
APNAS_API void apnas_codec_put_f64s(apnas_codec *c, const double *v,
                                    size_t n);
/* Floats as their 4 bytes, little-endian. */
APNAS_API void apnas_codec_put_f32s(apnas_codec *c, const float *v, size_t n);
/* int32s each widened to 8 bytes (the format the controllers use). */
APNAS_API void apnas_codec_put_i32s(apnas_codec *c, const int32_t *v,
                                    size_t n);
APNAS_API void apnas_codec_put_bytes(apnas_codec *c, const void *p, size_t n);
APNAS_API void apnas_codec_put_rng(apnas_codec *c, const apnas_rng *r);

APNAS_API uint64_t apnas_codec_get_u64(apnas_codec *c);
APNAS_API int64_t apnas_codec_get_i64(apnas_codec *c);
APNAS_API double apnas_codec_get_f64(apnas_codec *c);
APNAS_API void apnas_codec_get_f64s(apnas_codec *c, double *v, size_t n);
APNAS_API void apnas_codec_get_f32s(apnas_codec *c, float *v, size_t n);
/* A value outside int32_t marks c bad. */
APNAS_API void apnas_codec_get_i32s(apnas_codec *c, int32_t *v, size_t n);
APNAS_API void apnas_codec_get_bytes(apnas_codec *c, void *p, size_t n);
/* An all-zero state (never written by a valid save) marks c bad. */
APNAS_API void apnas_codec_get_rng(apnas_codec *c, apnas_rng *r);

/* A header that lets load() refuse another plugin's state, another layout
 * or a state saved for other options: 8 bytes of magic, the plugin's name,
 * the layout version and a fingerprint of whatever the state's shape
 * depends on.  `what` names the plugin in messages ("controller 'evo'"). */
APNAS_API void apnas_codec_put_header(apnas_codec *c, const char magic[8],
                                      const char *name, uint64_t version,
                                      uint64_t fingerprint);
APNAS_API int apnas_codec_get_header(apnas_codec *c, const char magic[8],
                                     const char *what, const char *name,
                                     uint64_t version, uint64_t fingerprint,
                                     apnas_error *err);

/* 0, or the error of the whole save (saving = 1: APNAS_EIO "could not
 * write") or load (APNAS_EIO when the stream failed, APNAS_EINVAL
 * "truncated or corrupt"), naming `what`. */
APNAS_API int apnas_codec_done(apnas_codec *c, const char *what, int saving,
                               apnas_error *err);

#ifdef __cplusplus
}
#endif
#endif
