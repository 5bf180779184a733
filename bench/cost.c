/* bench/cost: how fast the cost models run, on one core.
 *
 *   - `systolic` layer evaluations per second (the analytical model costing
 *     the 54 layers of ResNet-50, bench/data/resnet50.csv, over and over,
 *     cycling through os, ws and is on 32x32, 16x16 and 128x8 arrays);
 *     target: 10 million per second;
 *   - the whole ResNet-50 topology costed (apnas_systolic_net, per-layer
 *     figures included); target: under 1 ms;
 *   - the same with the memory model and energy on (apnas_mem_layer with
 *     the default energy table: SRAM and DRAM counts, hops, energy, edp),
 *     64 kB buffers, unlimited bandwidth and 4 words per cycle (stalls);
 *     measured interleaved with the plain model, A B C A B C, over 5
 *     rounds: median, min and max of each and the ratio of medians;
 *   - `systolic_sim` simulated PE-cycles per second, on small conv,
 *     depthwise and FC layers in all three dataflows.
 *
 * The interleaved rounds are timed twice: by the wall clock, and by the
 * CPU time of the measuring thread (CLOCK_THREAD_CPUTIME_ID), which a
 * shared machine's load changes far less: with 15 runnable processes on 2
 * cores the wall clock gives the thread a seventh of a core.
 *
 * Usage: bench/cost [resnet50.csv] [seconds per measurement, default 1].
 * The last line is exactly
 *   layer_evals_per_s=X sim_pe_cycles_per_s=Y mem_layer_evals_per_s=Z
 *   mem_bw_layer_evals_per_s=W cpu_layer_evals_per_s=X2
 *   cpu_mem_layer_evals_per_s=Z2 cpu_mem_bw_layer_evals_per_s=W2
 * (the memory figures are the medians; the first is the plain model's
 * full-length run, as before; the cpu_ ones per second of CPU time, the
 * medians of the interleaved rounds). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apnas/rng.h>

#include "hw/systolic_memory.h"
#include "hw/systolic_model.h"
#include "hw/systolic_sim.h"
#include "hw/topology.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU time of this thread. */
static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Evaluations per CPU second of the last layer_evals or mem_evals. */
static double last_cpu_rate;

static void die(const apnas_error *err)
{
	fprintf(stderr, "bench/cost: %s\n", err->msg);
	exit(1);
}

static const apnas_array arrays[] = {
	{32, 32, APNAS_DF_OS}, {16, 16, APNAS_DF_WS}, {128, 8, APNAS_DF_IS},
	{32, 32, APNAS_DF_WS}, {16, 16, APNAS_DF_IS}, {128, 8, APNAS_DF_OS},
};
#define N_ARRAYS (sizeof arrays / sizeof arrays[0])

static double layer_evals(const apnas_net *net, double seconds)
{
	apnas_error err;
	apnas_layer_cost c;
	uint64_t sink = 0, evals = 0;
	double c0 = cpu_now(), t0 = now(), t;
	do {
		/* Batches between clock reads keep timing out of the figure. */
		for (int rep = 0; rep < 200; rep++) {
			const apnas_array *a = &arrays[rep % N_ARRAYS];
			for (size_t i = 0; i < net->n; i++) {
				if (apnas_systolic_layer(a, &net->layers[i], &c, &err))
					die(&err);
				sink += c.cycles;
			}
			evals += net->n;
		}
		t = now() - t0;
	} while (t < seconds);
	last_cpu_rate = (double)evals / (cpu_now() - c0);
	if (sink == 42)
		printf("(sink)\n");
	return (double)evals / t;
}

/* Layer evaluations per second with memory and energy: bw = 0 unlimited
 * bandwidth, else words per cycle. */
static double mem_evals(const apnas_net *net, int64_t bw, double seconds)
{
	apnas_error err;
	apnas_mem_cost c;
	apnas_layer_cost lc;
	apnas_mem_cfg m;
	apnas_energy_table e;
	uint64_t evals = 0;
	double sink = 0, c0 = cpu_now(), t0 = now(), t;
	apnas_mem_cfg_default(&m);
	m.bandwidth = bw;
	if (apnas_energy_default(1, &e, &err))
		die(&err);
	do {
		for (int rep = 0; rep < 200; rep++) {
			const apnas_array *a = &arrays[rep % N_ARRAYS];
			for (size_t i = 0; i < net->n; i++) {
				/* What a cost plugin calls: cycles, memory and
				 * energy of the layer in one call. */
				if (apnas_mem_layer(a, &m, &e, &net->layers[i], &lc,
				                    &c, &err))
					die(&err);
				sink += c.energy_pj + (double)lc.cycles;
			}
			evals += net->n;
		}
		t = now() - t0;
	} while (t < seconds);
	last_cpu_rate = (double)evals / (cpu_now() - c0);
	if (sink == 42)
		printf("(sink)\n");
	return (double)evals / t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

#define ROUNDS 5

/* Median, min and max of ROUNDS values (sorted in place). */
static void stats(double *v, double *med, double *lo, double *hi)
{
	qsort(v, ROUNDS, sizeof *v, cmp_double);
	*med = v[ROUNDS / 2];
	*lo = v[0];
	*hi = v[ROUNDS - 1];
}

static double whole_net_us(const apnas_net *net, apnas_layer_cost *per,
                           apnas_layer_cost *total, double seconds)
{
	apnas_error err;
	uint64_t calls = 0;
	double t0 = now(), t;
	do {
		for (int rep = 0; rep < 100; rep++) {
			if (apnas_systolic_net(&arrays[0], net, total, per, &err))
				die(&err);
			calls++;
		}
		t = now() - t0;
	} while (t < seconds);
	return 1e6 * t / (double)calls;
}

static double sim_rate(double seconds)
{
	apnas_net net;
	apnas_error err;
	apnas_net_init(&net);
	if (apnas_net_conv(&net, "conv", (apnas_shape){16, 12, 12}, 24, 3, 1,
	                   1, &err) ||
	    apnas_net_dwconv(&net, "dw", (apnas_shape){8, 12, 12}, 3, 2, 1,
	                     &err) ||
	    apnas_net_fc(&net, "fc", (apnas_shape){64, 2, 2}, 40, &err))
		die(&err);
	size_t cap_in = 0, cap_w = 0, cap_out = 0;
	for (size_t i = 0; i < net.n; i++) {
		size_t ni, nw, no;
		if (apnas_sim_sizes(&net.layers[i], &ni, &nw, &no, &err))
			die(&err);
		cap_in = ni > cap_in ? ni : cap_in;
		cap_w = nw > cap_w ? nw : cap_w;
		cap_out = no > cap_out ? no : cap_out;
	}
	double *in = malloc(cap_in * sizeof *in), *w = malloc(cap_w * sizeof *w);
	double *out = malloc(cap_out * sizeof *out);
	if (!in || !w || !out) {
		fprintf(stderr, "bench/cost: out of memory\n");
		exit(1);
	}
	apnas_rng r;
	apnas_rng_seed(&r, 1);
	for (size_t i = 0; i < cap_in; i++)
		in[i] = (double)((int)apnas_rng_below(&r, 9) - 4);
	for (size_t i = 0; i < cap_w; i++)
		w[i] = (double)((int)apnas_rng_below(&r, 9) - 4);
	static const apnas_array sim_arrays[] = {
		{16, 16, APNAS_DF_OS}, {16, 16, APNAS_DF_WS},
		{16, 16, APNAS_DF_IS}, {8, 32, APNAS_DF_OS},
	};
	uint64_t pe = 0;
	double t0 = now(), t;
	size_t k = 0;
	do {
		const apnas_array *a = &sim_arrays[k % 4];
		const apnas_layer *l = &net.layers[(k / 4) % net.n];
		apnas_sim_stats st;
		if (apnas_sim_layer(a, l, in, w, out, 0, &st, &err))
			die(&err);
		pe += st.pe_cycles;
		k++;
		t = now() - t0;
	} while (t < seconds);
	free(in);
	free(w);
	free(out);
	apnas_net_free(&net);
	return (double)pe / t;
}

int main(int argc, char **argv)
{
	char def[4096];
	snprintf(def, sizeof def, "%s/resnet50.csv", APNAS_BENCH_DATA);
	const char *path = argc > 1 ? argv[1] : def;
	double seconds = argc > 2 ? atof(argv[2]) : 1.0;
	if (seconds <= 0)
		seconds = 1.0;
	apnas_net net;
	apnas_error err;
	apnas_net_init(&net);
	if (apnas_topology_load(path, &net, &err))
		die(&err);

	apnas_layer_cost *per = calloc(net.n, sizeof *per), total;
	if (!per)
		return 1;
	double evals = layer_evals(&net, seconds);
	double us = whole_net_us(&net, per, &total, seconds / 2);
	double pe = sim_rate(seconds);
	/* Plain model, memory + energy, memory + energy + finite bandwidth,
	 * interleaved so that drift hits all three alike. */
	double r[3][ROUNDS], med[3], lo[3], hi[3];
	double rc[3][ROUNDS], cmed[3], clo[3], chi[3];
	for (int k = 0; k < ROUNDS; k++) {
		r[0][k] = layer_evals(&net, seconds / ROUNDS);
		rc[0][k] = last_cpu_rate;
		r[1][k] = mem_evals(&net, 0, seconds / ROUNDS);
		rc[1][k] = last_cpu_rate;
		r[2][k] = mem_evals(&net, 4, seconds / ROUNDS);
		rc[2][k] = last_cpu_rate;
	}
	for (int j = 0; j < 3; j++) {
		stats(r[j], &med[j], &lo[j], &hi[j]);
		stats(rc[j], &cmed[j], &clo[j], &chi[j]);
	}

	printf("topology %s: %zu layers, %.3f GMACs; on 32x32 os: %llu cycles, "
	       "utilization %.2f%%\n", path, net.n, (double)total.macs / 1e9,
	       (unsigned long long)total.cycles, total.utilization);
	printf("systolic: %.1f million layer evaluations/s (target 10: "
	       "%.2fx)\n", evals / 1e6, evals / 1e7);
	printf("systolic: whole topology costed in %.2f us (target < 1000 us: "
	       "%.0fx under)\n", us, 1000.0 / us);
	static const char *const what[3] = {
		"cycles only", "+ memory and energy, unlimited bandwidth",
		"+ memory and energy, 4 words/cycle (stalls)"};
	for (int j = 0; j < 3; j++)
		printf("systolic %s: median %.1f (min %.1f, max %.1f) million "
		       "layer evaluations/s; ratio to cycles only %.2f; target "
		       "10: %.2fx\n", what[j], med[j] / 1e6, lo[j] / 1e6,
		       hi[j] / 1e6, med[j] / med[0], med[j] / 1e7);
	for (int j = 0; j < 3; j++)
		printf("  per CPU second: median %.1f (min %.1f, max %.1f) "
		       "million; ratio to cycles only %.2f; target 10: %.2fx\n",
		       cmed[j] / 1e6, clo[j] / 1e6, chi[j] / 1e6,
		       cmed[j] / cmed[0], cmed[j] / 1e7);
	printf("systolic_sim: %.1f million simulated PE-cycles/s\n", pe / 1e6);
	printf("layer_evals_per_s=%.0f sim_pe_cycles_per_s=%.0f "
	       "mem_layer_evals_per_s=%.0f mem_bw_layer_evals_per_s=%.0f "
	       "cpu_layer_evals_per_s=%.0f cpu_mem_layer_evals_per_s=%.0f "
	       "cpu_mem_bw_layer_evals_per_s=%.0f\n",
	       evals, pe, med[1], med[2], cmed[0], cmed[1], cmed[2]);
	free(per);
	apnas_net_free(&net);
	return 0;
}
