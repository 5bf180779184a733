/* The controllers' load(): the first byte picks reinforce_lstm, random
 * or evolution (made once, on the toy space's decisions); the rest is
 * the state.  A state that loads must save again. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_util.h"

#define N_CTL 3

static fz_plugin space, ctl[N_CTL];
static const char *const names[N_CTL] = {"reinforce_lstm", "random",
                                         "evolution"};
static int ready;

static void init(void)
{
	apnas_plugin_ctx ctx = {.seed = 1, .threads = 1};
	const char *const toy[] = {"layers=4", "ops=3"};
	fz_plugin_open(&space, APNAS_KIND_SPACE, "toy", toy, 2, &ctx);
	const apnas_space_ops *sops = space.ops;
	apnas_error err;
	if (sops->decisions(space.self, &ctx.decisions, &ctx.n_decisions,
	                    &err))
		fz_fail("toy decisions", err.msg);
	const char *const rl[] = {"hidden=8"};
	const char *const evo[] = {"population=4", "sample_size=2"};
	fz_plugin_open(&ctl[0], APNAS_KIND_CONTROLLER, names[0], rl, 1, &ctx);
	fz_plugin_open(&ctl[1], APNAS_KIND_CONTROLLER, names[1], NULL, 0,
	               &ctx);
	fz_plugin_open(&ctl[2], APNAS_KIND_CONTROLLER, names[2], evo, 2, &ctx);
	ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready)
		init();
	if (size < 1)
		return 0;
	fz_plugin *c = &ctl[data[0] % N_CTL];
	const apnas_controller_ops *ops = c->ops;
	FILE *f = fmemopen((void *)(data + 1), size - 1 ? size - 1 : 1, "rb");
	if (size == 1)
		fgetc(f);
	apnas_error err;
	apnas_error_clear(&err);
	int rc = ops->load(c->self, f, &err);
	fclose(f);
	fz_check_refusal(rc, &err, names[data[0] % N_CTL]);
	if (rc == 0) {
		char *out = NULL;
		size_t len = 0;
		FILE *w = open_memstream(&out, &len);
		if (ops->save(c->self, w, &err))
			fz_fail("controller save after load", err.msg);
		fclose(w);
		free(out);
	}
	return 0;
}
