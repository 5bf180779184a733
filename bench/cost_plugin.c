/* bench/cost_plugin: what a search pays to cost a network through the
 * plugin ABI (cost_systolic's cost() filling the value vectors, then the
 * core's checks and SUM totals in apnas_metricset_cost) against the array
 * model called directly (apnas_systolic_net with per-layer figures), on
 * the 54 layers of ResNet-50 (bench/data/resnet50.csv), 32x32 os.  The
 * plugin side computes every metric cost_systolic declares (since the
 * memory model: SRAM and DRAM counts, stalls, energy too), the model side
 * compute cycles only, so the ratio is a search's cost per network over
 * the cycle model's, not the ABI's overhead alone.
 *
 * The two are timed interleaved, A B A B, for ROUNDS rounds of about
 * seconds / (2 ROUNDS) each; printed: median, min and max microseconds
 * per network of each, and the ratio of the medians.  Both must give the
 * same total cycles, else it exits 1.
 *
 * Usage: bench/cost_plugin [resnet50.csv] [seconds, default 2]; the
 * plugin is found through APNAS_PLUGIN_PATH (default: this build's
 * plugins/).  The last line is exactly
 *   model_us=X plugin_us=Y plugin_over_model=Z */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host.h"
#include "hw/systolic_model.h"
#include "hw/topology.h"
#include "metrics/metrics.h"

#define ROUNDS 11

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(const char *what, const apnas_error *err)
{
	fprintf(stderr, "bench/cost_plugin: %s: %s\n", what, err->msg);
	exit(1);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

typedef struct side {
	double us[ROUNDS];   /* microseconds per network, per round */
} side;

static double median(const double *v)
{
	double s[ROUNDS];
	memcpy(s, v, sizeof s);
	qsort(s, ROUNDS, sizeof *s, cmp);
	return s[ROUNDS / 2];
}

static double vmin(const double *v)
{
	double m = v[0];
	for (int i = 1; i < ROUNDS; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

static double vmax(const double *v)
{
	double m = v[0];
	for (int i = 1; i < ROUNDS; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

int main(int argc, char **argv)
{
	char def[4096];
	snprintf(def, sizeof def, "%s/resnet50.csv", APNAS_BENCH_DATA);
	const char *path = argc > 1 ? argv[1] : def;
	double seconds = argc > 2 ? atof(argv[2]) : 2.0;
	if (!(seconds > 0))
		seconds = 2.0;
	if (!getenv("APNAS_PLUGIN_PATH"))
		setenv("APNAS_PLUGIN_PATH", APNAS_BUILD_PLUGINS, 1);

	apnas_error err;
	apnas_error_clear(&err);
	apnas_net net;
	apnas_net_init(&net);
	if (apnas_topology_load(path, &net, &err))
		die(path, &err);

	/* The cost instance and metric list exactly as a search makes them. */
	apnas_instance cost;
	memset(&cost, 0, sizeof cost);
	if (apnas_host_open(APNAS_KIND_COST, "systolic", NULL, &cost.lib, &err))
		die("cost_systolic", &err);
	cost.ops = cost.lib.desc->ops;
	if (apnas_opts_from_settings(cost.lib.desc->options, "cost systolic",
	                             NULL, 0, &cost.opts, &err))
		die("options", &err);
	apnas_plugin_ctx ctx = {.opts = cost.opts, .seed = 1, .threads = 1};
	const apnas_cost_ops *ops = cost.ops;
	if (ops->create(&ctx, &cost.self, &err))
		die("create", &err);
	apnas_metricset ms;
	if (apnas_metricset_init(&ms, &cost, &err))
		die("metrics", &err);
	long ic = apnas_metricset_find(&ms, "cycles");
	double *values = malloc(ms.n * sizeof *values);
	double *layers = malloc(net.n * ms.n * sizeof *layers);
	apnas_layer_cost *per = malloc(net.n * sizeof *per), total;
	if (ic < 0 || !values || !layers || !per) {
		fprintf(stderr, "bench/cost_plugin: no cycles metric, or out "
		        "of memory\n");
		return 1;
	}
	const apnas_array arr = {32, 32, APNAS_DF_OS};

	/* Same figures both ways, or the comparison means nothing. */
	if (apnas_systolic_net(&arr, &net, &total, per, &err))
		die("model", &err);
	if (apnas_metricset_cost(&ms, &net, values, layers, &err))
		die("plugin", &err);
	if (values[ic] != (double)total.cycles) {
		fprintf(stderr, "bench/cost_plugin: plugin total %.17g cycles, "
		        "model %llu\n", values[ic],
		        (unsigned long long)total.cycles);
		return 1;
	}

	/* Calls per timed batch: enough that clock reads do not count. */
	int batch = 50;
	side model, plugin;
	double per_side = seconds / (2.0 * ROUNDS);
	uint64_t sink = 0;
	for (int r = 0; r < ROUNDS; r++) {
		for (int s = 0; s < 2; s++) {
			long calls = 0;
			double t0 = now(), t;
			do {
				for (int k = 0; k < batch; k++) {
					int rc = s == 0
						? apnas_systolic_net(&arr, &net,
						                     &total, per, &err)
						: apnas_metricset_cost(&ms, &net,
						                       values, layers,
						                       &err);
					if (rc)
						die(s ? "plugin" : "model", &err);
				}
				calls += batch;
				t = now() - t0;
			} while (t < per_side);
			sink += s == 0 ? total.cycles : (uint64_t)values[ic];
			(s == 0 ? model.us : plugin.us)[r] = 1e6 * t /
			                                     (double)calls;
		}
	}
	if (sink == 42)
		printf("(sink)\n");

	double ma = median(model.us), mb = median(plugin.us);
	printf("topology %s: %zu layers, %llu cycles on 32x32 os; %d rounds "
	       "A B A B\n", path, net.n, (unsigned long long)total.cycles,
	       ROUNDS);
	printf("model (apnas_systolic_net, per layer): median %.2f us (min "
	       "%.2f, max %.2f)\n", ma, vmin(model.us), vmax(model.us));
	printf("plugin (cost() + core checks and totals): median %.2f us (min "
	       "%.2f, max %.2f)\n", mb, vmin(plugin.us), vmax(plugin.us));
	printf("model_us=%.3f plugin_us=%.3f plugin_over_model=%.3f\n", ma, mb,
	       mb / ma);

	free(values);
	free(layers);
	free(per);
	apnas_metricset_free(&ms);
	ops->destroy(cost.self);
	apnas_opts_free(cost.opts);
	apnas_host_close(&cost.lib);
	apnas_net_free(&net);
	return 0;
}
