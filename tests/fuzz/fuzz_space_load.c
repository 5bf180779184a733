/* enas_macro's load(): its header, trained tokens and the engine's
 * parameter file, into a small supernet (2 layers of 4 channels on 1x4x4
 * images).  A state that loads must save again. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_util.h"

static fz_plugin space;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready) {
		static const apnas_data_info geom = {1, 4, 4, 2, 8, 2, 0};
		apnas_plugin_ctx ctx = {.seed = 1, .threads = 1, .data = &geom};
		const char *const set[] = {"layers=2", "channels=4"};
		fz_plugin_open(&space, APNAS_KIND_SPACE, "enas_macro", set, 2,
		               &ctx);
		ready = 1;
	}
	const apnas_space_ops *ops = space.ops;
	FILE *f = fmemopen((void *)data, size ? size : 1, "rb");
	if (!size)
		fgetc(f);
	apnas_error err;
	apnas_error_clear(&err);
	int rc = ops->load(space.self, f, &err);
	fclose(f);
	fz_check_refusal(rc, &err, "enas_macro load");
	if (rc == 0) {
		char *out = NULL;
		size_t len = 0;
		FILE *w = open_memstream(&out, &len);
		if (ops->save(space.self, w, &err))
			fz_fail("enas_macro save after load", err.msg);
		fclose(w);
		free(out);
	}
	return 0;
}
