/* Controller throughput: architectures sampled and learned from per second
 * for each controller at enas_macro's default size (L = 8: per layer one
 * op of 6, then one skip bit per earlier layer; 8 + 28 decisions), with
 * default options and ENAS's aggregate of 20 samples per update.  Rewards
 * come from a fixed pseudo-random stream, so the work is the controller's
 * alone.  Also prints the time of one ENAS controller phase (50 updates x
 * 20 samples), the figure to compare with a search epoch.  Rates are
 * given per CPU second (the machine may be shared) and per wall second.
 *
 * Also the LSTM with NNI's heads (docs/controllers.md), the layout that
 * learns long decision lists.
 *
 * Run: meson devenv -C build ./bench/controller [updates]
 * (or set APNAS_PLUGIN_PATH to build/plugins). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apnas/plugin.h>
#include <apnas/rng.h>

#include "host.h"

#define LAYERS 8
#define OPS 6
#define AGGREGATE 20
#define N_DEC (LAYERS + LAYERS * (LAYERS - 1) / 2)

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void enas_macro_decisions(apnas_decision *d)
{
	size_t k = 0;
	for (int l = 0; l < LAYERS; l++) {
		d[k++] = (apnas_decision){APNAS_DECISION_OP, OPS, l, -1};
		for (int j = 0; j < l; j++)
			d[k++] = (apnas_decision){APNAS_DECISION_SKIP, 2, l, j};
	}
}

/* label: the line's name; settings: "key=value" options (n of them). */
static int bench(const char *name, const char *label,
                 const char *const *settings, size_t n_settings,
                 const apnas_decision *d, int updates)
{
	apnas_error err;
	apnas_error_clear(&err);
	apnas_loaded lib;
	if (apnas_host_open(APNAS_KIND_CONTROLLER, name, NULL, &lib, &err)) {
		fprintf(stderr, "controller: %s\n", err.msg);
		return 1;
	}
	apnas_opts *opts = NULL;
	const apnas_controller_ops *ops = lib.desc->ops;
	void *self = NULL;
	int rc = apnas_opts_from_settings(lib.desc->options, name, settings,
	                                  n_settings, &opts, &err);
	apnas_plugin_ctx ctx = {.opts = opts, .seed = 1, .threads = 1,
	                        .decisions = d, .n_decisions = N_DEC};
	if (!rc)
		rc = ops->create(&ctx, &self, &err);
	if (rc) {
		fprintf(stderr, "controller %s: %s\n", name, err.msg);
		apnas_opts_free(opts);
		apnas_host_close(&lib);
		return 1;
	}
	apnas_rng rewards;
	apnas_rng_seed(&rewards, 7);
	static int32_t toks[AGGREGATE * N_DEC];
	double r[AGGREGATE];
	double w0 = clock_s(CLOCK_MONOTONIC);
	double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (int u = 0; u < updates && !rc; u++) {
		for (int k = 0; k < AGGREGATE && !rc; k++) {
			rc = ops->sample(self, APNAS_SAMPLE_EVAL,
			                 toks + k * N_DEC, NULL, &err);
			r[k] = 0.8 + 0.1 * apnas_rng_uniform(&rewards);
		}
		if (!rc)
			rc = ops->update(self, toks, r, AGGREGATE, NULL, &err);
	}
	double wall = clock_s(CLOCK_MONOTONIC) - w0;
	double cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	if (rc) {
		fprintf(stderr, "controller %s: %s\n", name, err.msg);
	} else {
		double n = (double)updates * AGGREGATE;
		char line[256];
		ops->describe(self, line, sizeof line);
		printf("%-16s %12.0f %12.0f %12.2f %12.1f   %s\n", label,
		       n / cpu, n / wall, 1e6 * cpu / n,
		       50.0 * AGGREGATE * cpu / n * 1e3, line);
	}
	ops->destroy(self);
	apnas_opts_free(opts);
	apnas_host_close(&lib);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	int updates = argc > 1 ? atoi(argv[1]) : 200;
	if (updates < 1) {
		fprintf(stderr, "usage: controller [updates >= 1]\n");
		return 2;
	}
	apnas_decision d[N_DEC];
	enas_macro_decisions(d);
	printf("enas_macro L=%d: %d decisions (%d ops of %d, %d skip bits); "
	       "%d updates x %d samples, default options\n", LAYERS, N_DEC,
	       LAYERS, OPS, N_DEC - LAYERS, updates, AGGREGATE);
	printf("(samples/s: each sample also update()d; by CPU time and by "
	       "wall clock;\n us/sample and ms/phase = 50 x %d by CPU time)\n",
	       AGGREGATE);
	printf("%-16s %12s %12s %12s %12s   %s\n", "controller", "samples/s",
	       "(wall)", "us/sample", "ms/phase", "state after");
	/* the layout that learns long decision lists (docs/controllers.md) */
	static const char *const nni[] = {"op_heads=per_decision",
	                                  "skip_heads=per_layer",
	                                  "advantage=batch_mean"};
	int fails = bench("reinforce_lstm", "reinforce_lstm", NULL, 0, d,
	                  updates);
	fails += bench("reinforce_lstm", "  (NNI heads)", nni, 3, d, updates);
	fails += bench("evolution", "evolution", NULL, 0, d, updates);
	fails += bench("random", "random", NULL, 0, d, updates);
	return fails ? 1 : 0;
}
