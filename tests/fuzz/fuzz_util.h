/* Shared helpers of the fuzz harnesses (tests/fuzz/README.md): inputs
 * as files for the readers that take a path, and plugin instances made
 * once per process through the real host. */
#ifndef APNAS_FUZZ_UTIL_H
#define APNAS_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <apnas/plugin.h>

#include "host.h"

/* The libFuzzer entry point every harness defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A harness found an input that breaks a promise of the code under test
 * (a round trip that does not hold, a refusal without a message): one
 * line on stderr, then abort() so that the fuzzer keeps the input. */
void fz_fail(const char *what, const char *detail)
	__attribute__((noreturn));

/* Writes data to an anonymous in-memory file; returns a path that opens
 * it ("/proc/self/fd/N", valid until fz_file_close) or aborts. */
const char *fz_file(const uint8_t *data, size_t size);
void fz_file_close(void);

/* A NUL-terminated malloc()ed copy of data. */
char *fz_text(const uint8_t *data, size_t size);

typedef struct fz_plugin {
	apnas_loaded lib;   /* owned */
	apnas_opts *opts;   /* owned */
	const void *ops;    /* lib.desc->ops */
	void *self;         /* the instance, owned */
} fz_plugin;

/* Loads <kind>_<name>.so from the build's plugins directory (or
 * $APNAS_PLUGIN_PATH) and creates an instance from "key=value" settings;
 * aborts on any error: a harness without its instance cannot run. */
void fz_plugin_open(fz_plugin *p, apnas_kind kind, const char *name,
                    const char *const *settings, size_t n,
                    const apnas_plugin_ctx *ctx);

/* Every refusal must say why: rc < 0 with an empty message is a bug. */
void fz_check_refusal(int rc, const apnas_error *err, const char *who);

#endif
