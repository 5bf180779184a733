/* The error record every fallible apnas function fills.
 *
 * Functions return 0 on success and a negative APNAS_E* code on failure,
 * after writing one human-readable line (no trailing newline, no program
 * name) into the caller-owned apnas_error.  Callers add context (file, line,
 * plugin name) with apnas_error_prefix() on the way up, so the message a
 * user finally reads says where and what in one line. */
#ifndef APNAS_ERROR_H
#define APNAS_ERROR_H

#include "api.h"

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
	APNAS_OK = 0,
	APNAS_EINVAL = -1,  /* bad input: config, file contents, arguments */
	APNAS_EIO = -2,     /* a file could not be read or written */
	APNAS_ENOMEM = -3,  /* allocation failed */
	APNAS_EPLUGIN = -4, /* a plugin could not be loaded or refused */
	APNAS_ENUM = -5,    /* numeric failure: NaN or infinite loss */
	APNAS_EINTR = -6    /* interrupted by a signal; state was saved */
};

typedef struct apnas_error {
	int code;       /* one of the APNAS_E* codes; 0 while no error */
	int line;       /* config or input line the error is about, 0 if none */
	char msg[1024]; /* owned by the struct: one line, NUL-terminated */
} apnas_error;

/* Sets code and message (printf format); returns code so that
 * `return apnas_error_set(err, APNAS_EINVAL, "...")` reads naturally.
 * err may be NULL, then only the code is returned. */
APNAS_API int apnas_error_set(apnas_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepends "<prefix>: " to the message already in err (printf format);
 * returns err->code. */
APNAS_API int apnas_error_prefix(apnas_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Clears err to "no error". */
APNAS_API void apnas_error_clear(apnas_error *err);

#ifdef __cplusplus
}
#endif
#endif
