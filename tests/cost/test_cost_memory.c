/* Memory figures of the systolic models (core/hw/systolic_memory.h):
 *   - SRAM reads and writes per operand equal SCALE-Sim v2's
 *     DETAILED_ACCESS_REPORT on all 24 public vectors (a copy in
 *     tests/cost/data), and so do the DRAM figures there (1024 kB buffers:
 *     everything fits), from the model and from the simulator;
 *   - the model and the simulator with real buffers agree on every memory
 *     figure (SRAM, DRAM, hops, stalls, latency, energy) on 2,000 random
 *     layers per dataflow, buffers too small for one fold, one word per
 *     cycle of bandwidth and non-square arrays included;
 *   - a stall count worked by hand; counts over 64 bits refused; bad
 *     memory settings refused in one line. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cost_harness.h"
#include "hw/scalesim_cfg.h"
#include "hw/systolic_memory.h"
#include "hw/systolic_sim.h"
#include "hw/topology.h"

#define LAYERS_PER_DATAFLOW 2000

typedef struct mvec {
	apnas_topo_row row;
	apnas_array a;
	int64_t kb;
	uint64_t cycles, sram[3], dram[3];
} mvec;

static mvec vecs[64];
static size_t n_vecs;

/* Runs before the suite (no ck_assert here): a missing or short copy is
 * a failure, not a skip, since the file lives in the repository. */
static void need(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "test_cost_memory: %s\n", what);
		exit(EXIT_FAILURE);
	}
}

static void load_vectors(void)
{
	const char *path = COST_MEM_DATA "/systolic-memory-vectors.csv";
	FILE *f = fopen(path, "r");
	need(f != NULL, "cannot open " COST_MEM_DATA "/systolic-memory-vectors.csv");
	char line[512];
	need(fgets(line, sizeof line, f) != NULL, "empty vectors file");
	while (fgets(line, sizeof line, f)) {
		need(n_vecs < sizeof vecs / sizeof vecs[0], "too many vectors");
		mvec *v = &vecs[n_vecs];
		char df[8];
		unsigned long long c, s0, s1, s2, d0, d1, d2;
		long long kb;
		int rows, cols;
		apnas_topo_row *r = &v->row;
		if (sscanf(line, "%d,%d,%d,%d,%d,%d,%d,%d,%d,%2[a-z],%lld,%llu,"
		           "%llu,%llu,%llu,%llu,%llu,%llu", &r->ifmap_h,
		           &r->ifmap_w, &r->filt_h, &r->filt_w, &r->channels,
		           &r->filters, &r->stride, &rows, &cols, df, &kb, &c,
		           &s0, &s1, &s2, &d0, &d1, &d2) != 18)
			continue;
		snprintf(r->name, sizeof r->name, "v%zu", n_vecs + 1);
		apnas_error err;
		v->a.rows = rows;
		v->a.cols = cols;
		need(apnas_dataflow_parse(df, "vector", &v->a.dataflow, &err) == 0,
		     err.msg);
		v->kb = kb;
		v->cycles = c;
		v->sram[0] = s0; v->sram[1] = s1; v->sram[2] = s2;
		v->dram[0] = d0; v->dram[1] = d1; v->dram[2] = d2;
		n_vecs++;
	}
	fclose(f);
	need(n_vecs == 24, "expected 24 vectors");
}

static void check_vector(size_t i, const apnas_mem_cost *c, const char *who)
{
	const mvec *v = &vecs[i];
	const uint64_t got[7] = {c->ifmap_sram_reads, c->filter_sram_reads,
	                         c->ofmap_sram_writes, c->ifmap_dram_reads,
	                         c->filter_dram_reads, c->ofmap_dram_writes,
	                         c->cycles};
	const uint64_t want[7] = {v->sram[0], v->sram[1], v->sram[2],
	                          v->dram[0], v->dram[1], v->dram[2],
	                          v->cycles};
	static const char *names[7] = {"ifmap_sram_reads", "filter_sram_reads",
	                               "ofmap_sram_writes", "ifmap_dram_reads",
	                               "filter_dram_reads", "ofmap_dram_writes",
	                               "cycles"};
	for (int k = 0; k < 7; k++)
		ck_assert_msg(got[k] == want[k],
		              "vector %zu (%s): %s %s = %llu, SCALE-Sim %llu",
		              i + 1, apnas_dataflow_name(v->a.dataflow), who,
		              names[k], (unsigned long long)got[k],
		              (unsigned long long)want[k]);
}

static apnas_mem_cfg vector_mem(const mvec *v)
{
	apnas_mem_cfg m = {.ifmap_kb = v->kb, .filter_kb = v->kb,
	                   .ofmap_kb = v->kb, .word_bytes = 1, .bandwidth = 0};
	return m;
}

START_TEST(model_matches_scalesim_memory_vectors)
{
	size_t per_df[3] = {0};
	for (size_t i = 0; i < n_vecs; i++) {
		apnas_layer l;
		apnas_error err;
		apnas_mem_cost c;
		apnas_mem_cfg m = vector_mem(&vecs[i]);
		ck_assert_int_eq(apnas_topology_layer(&vecs[i].row, &l, &err), 0);
		ck_assert_msg(apnas_mem_layer(&vecs[i].a, &m, NULL, &l, NULL, &c,
		                              &err) == 0, "%s", err.msg);
		check_vector(i, &c, "model");
		ck_assert_uint_eq(c.stall_cycles, 0);
		ck_assert_uint_eq(c.latency_cycles, c.cycles);
		per_df[vecs[i].a.dataflow]++;
	}
	ck_assert_uint_eq(per_df[0], 8);
	ck_assert_uint_eq(per_df[1], 8);
	ck_assert_uint_eq(per_df[2], 8);
}
END_TEST

/* The same vectors through the two cost plugins as a search costs them
 * (options from settings, the core's metric list and totals): what a user
 * sees in samples.jsonl and `apnas cost` is SCALE-Sim's count. */
START_TEST(plugins_match_scalesim_memory_vectors)
{
	static const char *const plugins[] = {"systolic", "systolic_sim"};
	static const char *const names[7] = {
		"ifmap_sram_reads", "filter_sram_reads", "ofmap_sram_writes",
		"ifmap_dram_reads", "filter_dram_reads", "ofmap_dram_writes",
		"cycles"};
	for (size_t i = 0; i < n_vecs; i++) {
		const mvec *v = &vecs[i];
		char set[6][64];
		snprintf(set[0], sizeof set[0], "rows=%lld", (long long)v->a.rows);
		snprintf(set[1], sizeof set[1], "cols=%lld", (long long)v->a.cols);
		snprintf(set[2], sizeof set[2], "dataflow=%s",
		         apnas_dataflow_name(v->a.dataflow));
		snprintf(set[3], sizeof set[3], "ifmap_sram_kb=%lld",
		         (long long)v->kb);
		snprintf(set[4], sizeof set[4], "filter_sram_kb=%lld",
		         (long long)v->kb);
		snprintf(set[5], sizeof set[5], "ofmap_sram_kb=%lld",
		         (long long)v->kb);
		const char *sets[6] = {set[0], set[1], set[2], set[3], set[4],
		                       set[5]};
		apnas_net net;
		apnas_net_init(&net);
		apnas_layer l;
		apnas_error err;
		ck_assert_int_eq(apnas_topology_layer(&v->row, &l, &err), 0);
		ck_assert_int_eq(apnas_net_add(&net, &l, &err), 0);
		const uint64_t want[7] = {v->sram[0], v->sram[1], v->sram[2],
		                          v->dram[0], v->dram[1], v->dram[2],
		                          v->cycles};
		for (int k = 0; k < 2; k++) {
			ch_plugin p;
			ck_assert_msg(ch_open(&p, plugins[k], sets, 6, &err) == 0,
			              "%s", err.msg);
			double *got = ch_cost_ok(&p, &net, NULL);
			for (int m = 0; m < 7; m++)
				ck_assert_msg(got[ch_index(&p, names[m])] ==
				              (double)want[m],
				              "vector %zu, plugin %s: %s %.0f, "
				              "SCALE-Sim %llu", i + 1, plugins[k],
				              names[m], got[ch_index(&p, names[m])],
				              (unsigned long long)want[m]);
			free(got);
			ch_close(&p);
		}
		apnas_net_free(&net);
	}
}
END_TEST

START_TEST(simulator_matches_scalesim_memory_vectors)
{
	apnas_rng r;
	apnas_rng_seed(&r, 7);
	for (size_t i = 0; i < n_vecs; i++) {
		apnas_layer l;
		apnas_error err;
		apnas_mem_cost c;
		apnas_sim_stats st;
		apnas_mem_cfg m = vector_mem(&vecs[i]);
		size_t ni, nw, no;
		ck_assert_int_eq(apnas_topology_layer(&vecs[i].row, &l, &err), 0);
		ck_assert_int_eq(apnas_sim_sizes(&l, &ni, &nw, &no, &err), 0);
		double *in = malloc(ni * sizeof *in), *w = malloc(nw * sizeof *w);
		double *out = malloc(no * sizeof *out);
		ck_assert(in && w && out);
		ch_fill(&r, in, ni);
		ch_fill(&r, w, nw);
		ck_assert_msg(apnas_sim_layer_mem(&vecs[i].a, &m, NULL, &l, in, w,
		                                  out, 0, &st, &c, &err) == 0,
		              "%s", err.msg);
		check_vector(i, &c, "simulator");
		free(in);
		free(w);
		free(out);
	}
}
END_TEST

static int32_t draw(apnas_rng *r, int32_t lo, int32_t hi)
{
	return lo + (int32_t)apnas_rng_below(r, (uint64_t)(hi - lo + 1));
}

/* A random layer: conv (padded, strided), depthwise, FC, or a topology
 * row with SCALE-Sim's partial edge window; sizes chosen so that some
 * operands fit 1-4 kB buffers and some do not. */
static apnas_layer random_layer(apnas_rng *r, int kind)
{
	apnas_net net;
	apnas_error err;
	apnas_layer l;
	apnas_net_init(&net);
	for (;;) {
		apnas_shape in = {draw(r, 1, 16), draw(r, 1, 14), draw(r, 1, 14)};
		int k = draw(r, 1, 3), s = draw(r, 1, 3), pad = draw(r, 0, 2);
		int rc = -1;
		switch (kind) {
		case 0:
			rc = apnas_net_conv(&net, "conv", in, draw(r, 1, 48), k, s,
			                    pad, &err);
			break;
		case 1:
			rc = apnas_net_dwconv(&net, "dw", in, k, s, pad, &err);
			break;
		case 2:
			in.h = draw(r, 1, 4);
			in.w = draw(r, 1, 4);
			rc = apnas_net_fc(&net, "fc", in, draw(r, 1, 40), &err);
			break;
		default: {
			apnas_topo_row t = {.name = "topo", .ifmap_h = draw(r, 1, 12),
			                    .ifmap_w = draw(r, 1, 12),
			                    .channels = draw(r, 1, 16),
			                    .filters = draw(r, 1, 48),
			                    .stride = draw(r, 1, 3)};
			t.filt_h = draw(r, 1, t.ifmap_h < 4 ? t.ifmap_h : 4);
			t.filt_w = draw(r, 1, t.ifmap_w < 4 ? t.ifmap_w : 4);
			ck_assert_int_eq(apnas_topology_layer(&t, &l, &err), 0);
			apnas_net_free(&net);
			return l;
		}
		}
		if (rc == 0)
			break;
	}
	l = net.layers[0];
	apnas_net_free(&net);
	return l;
}

static apnas_mem_cfg random_mem(apnas_rng *r)
{
	static const int64_t words[3] = {1, 2, 4};
	apnas_mem_cfg m;
	m.word_bytes = words[apnas_rng_below(r, 3)];
	m.ifmap_kb = draw(r, 0, 3) ? draw(r, 1, 2) : 64;
	m.filter_kb = draw(r, 0, 3) ? draw(r, 1, 2) : 64;
	m.ofmap_kb = draw(r, 1, 8);
	switch (draw(r, 0, 3)) {
	case 0: m.bandwidth = 0; break;         /* unlimited */
	case 1: m.bandwidth = 1; break;         /* one word per cycle */
	default: m.bandwidth = draw(r, 2, 64);
	}
	return m;
}

#define SAME(f)                                                              \
	ck_assert_msg(sim.f == mod.f,                                          \
	              "%s layer %d (%s %dx%dx%d -> %dx%dx%d, k %d, s %d, pad "   \
	              "%d) on %lldx%lld, kB %lld/%lld, word %lld, bw %lld: "     \
	              #f " simulated %llu, model %llu",                          \
	              apnas_dataflow_name(df), i,                                \
	              apnas_layer_type_name(l.type), l.in.c, l.in.h, l.in.w,     \
	              l.out.c, l.out.h, l.out.w, l.kh, l.stride, l.pad_h,        \
	              (long long)a.rows, (long long)a.cols,                      \
	              (long long)m.ifmap_kb, (long long)m.filter_kb,             \
	              (long long)m.word_bytes, (long long)m.bandwidth,           \
	              (unsigned long long)sim.f, (unsigned long long)mod.f)

START_TEST(model_and_simulator_agree_on_memory)
{
	apnas_dataflow df = (apnas_dataflow)_i;
	apnas_rng r;
	apnas_energy_table e;
	apnas_error err;
	size_t spilled[2] = {0, 0}, fitted[2] = {0, 0}, stalled = 0, bw1 = 0;
	size_t nonsquare = 0, tile_over_half = 0;
	apnas_rng_seed(&r, 5000 + (uint64_t)_i);
	ck_assert_int_eq(apnas_energy_default(1, &e, &err), 0);
	e.leak_pj = 0.5;
	for (int i = 0; i < LAYERS_PER_DATAFLOW; i++) {
		apnas_array a = {draw(&r, 1, 9), draw(&r, 1, 9), df};
		apnas_layer l = random_layer(&r, i % 4);
		apnas_mem_cfg m = random_mem(&r);
		apnas_mem_cost mod, sim;
		apnas_sim_stats st;
		apnas_layer_cost lc;
		ck_assert_msg(apnas_mem_layer(&a, &m, &e, &l, &lc, &mod, &err) == 0,
		              "%s", err.msg);
		size_t ni, nw, no;
		ck_assert_int_eq(apnas_sim_sizes(&l, &ni, &nw, &no, &err), 0);
		double *in = malloc(ni * sizeof *in), *w = malloc(nw * sizeof *w);
		double *out = malloc(no * sizeof *out);
		double *ref = malloc(no * sizeof *ref);
		ck_assert(in && w && out && ref);
		ch_fill(&r, in, ni);
		ch_fill(&r, w, nw);
		ck_assert_msg(apnas_sim_layer_mem(&a, &m, &e, &l, in, w, out, 0,
		                                  &st, &sim, &err) == 0, "%s",
		              err.msg);
		/* Buffers change when data moves, never what is computed. */
		ch_naive(&l, in, w, ref);
		ck_assert_int_eq(memcmp(out, ref, no * sizeof *out), 0);
		SAME(ifmap_sram_reads); SAME(filter_sram_reads);
		SAME(ofmap_sram_writes); SAME(ifmap_dram_reads);
		SAME(filter_dram_reads); SAME(ofmap_dram_writes);
		SAME(dram_bytes); SAME(cycles); SAME(stall_cycles);
		SAME(latency_cycles); SAME(macs); SAME(pe_reg_accesses);
		SAME(pe_hops);
		ck_assert(sim.energy_pj == mod.energy_pj);
		ck_assert(sim.edp == mod.edp);
		/* One call gives the compute figures too, as the model does. */
		apnas_layer_cost sc;
		ck_assert_int_eq(apnas_systolic_layer(&a, &l, &sc, &err), 0);
		ck_assert_uint_eq(mod.cycles, sc.cycles);
		ck_assert_uint_eq(lc.cycles, sc.cycles);
		ck_assert_uint_eq(lc.macs, sc.macs);
		ck_assert(lc.mapping_eff == sc.mapping_eff);
		ck_assert(lc.utilization == sc.utilization);
		if (m.bandwidth == 0)
			ck_assert_uint_eq(mod.stall_cycles, 0);
		uint64_t cap_i = apnas_mem_capacity(m.ifmap_kb, m.word_bytes);
		uint64_t cap_f = apnas_mem_capacity(m.filter_kb, m.word_bytes);
		uint64_t fi = apnas_layer_macs(&l) ? 1 : 0;
		if (fi) {
			/* Traffic above compulsory means the operand spilled. */
			spilled[0] += mod.ifmap_dram_reads > cap_i;
			spilled[1] += mod.filter_dram_reads > cap_f;
			fitted[0] += mod.ifmap_dram_reads <= cap_i;
			fitted[1] += mod.filter_dram_reads <= cap_f;
		}
		/* Buffers too small for one fold: a spilled operand whose first
		 * tile is more than the half of its buffer a tile may use. */
		apnas_gemm g;
		apnas_mem_plan mp;
		ck_assert_int_eq(apnas_layer_gemm(&l, &g, &err), 0);
		if (g.repeat) {
			ck_assert_int_eq(apnas_mem_plan_make(&a, &m, &l, &g, &mp, &err),
			                 0);
			for (int op = 0; op < 2; op++)
				tile_over_half += !mp.fits[op] &&
				                  apnas_mem_tile_words(&mp, op, 0, 0) >
				                      mp.cap[op] / 2;
		}
		stalled += mod.stall_cycles > 0;
		bw1 += m.bandwidth == 1;
		nonsquare += a.rows != a.cols;
		free(in);
		free(w);
		free(out);
		free(ref);
	}
	/* The draw covers what the claim is about. */
	ck_assert_uint_ge(spilled[0], 100);
	ck_assert_uint_ge(spilled[1], 100);
	ck_assert_uint_ge(fitted[0], 100);
	ck_assert_uint_ge(fitted[1], 100);
	ck_assert_uint_ge(stalled, 500);
	ck_assert_uint_ge(bw1, 300);
	ck_assert_uint_ge(nonsquare, 1000);
	ck_assert_uint_ge(tile_over_half, 30);
}
END_TEST

/* ws, 4 x 4 array, the vector "7,7,3,3,1,8,1": E = 25, K = 9, M = 8;
 * Sr = 9, Sc = 8, T = 25; Fr = 3 (rows 4, 4, 1), Fc = 2; fold 25 + 8 + 4 - 2
 * = 35 cycles.  Buffers 1 kB, 4-byte words: 256 words, half 128.  Ifmap
 * footprint 49 fits: 49 words before the first fold.  Filter footprint 72
 * fits: 72 words.  Bandwidth 2 words per cycle.
 * Outputs per fold (W): 25 x 4 = 100 words (ws: E x the fold's columns).
 *   before fold 0: (49 + 72) / 2 -> 61 cycles
 *   folds 1..5 each wait for the previous-but-one fold's 100 words while
 *     computing: ceil(100 / 2) = 50 > 35, 15 cycles each, for folds 1 to 5
 *     (fold 0 moves nothing: no earlier output, next fold's data held)
 *   after the last fold: 100 / 2 = 50 cycles
 * stall = 61 + 5 x 15 + 50 = 186. */
/* The stall formula of docs/cost-models.md summed fold by fold, from
 * the per-fold fetch and write-back of apnas_mem_fetch_words and
 * apnas_mem_out_words (what the simulator's buffers follow too):
 *   ceil(P0 / B) + sum_i max(0, ceil((P[i+1] + W[i-1]) / B) - fold)
 *   + ceil(W[last] / B),
 * folds in SCALE-Sim's order (column fold outer), times the layer's
 * products.  The model sums it in closed form over fold positions. */
static uint64_t stalls_fold_by_fold(const apnas_array *a,
                                    const apnas_mem_cfg *m,
                                    const apnas_layer *l)
{
	apnas_gemm g;
	apnas_mem_plan mp;
	apnas_error err;
	ck_assert_int_eq(apnas_layer_gemm(l, &g, &err), 0);
	if (g.repeat == 0 || m->bandwidth == 0)
		return 0;
	ck_assert_int_eq(apnas_mem_plan_make(a, m, l, &g, &mp, &err), 0);
	const uint64_t B = (uint64_t)m->bandwidth, F = mp.p.fr, G = mp.p.fc;
	const uint64_t n = F * G, fold = mp.p.fold_cycles;
	uint64_t s = 0, prev_w = 0;
#define CEIL(x) (((x) + B - 1) / B)
	for (uint64_t i = 0; i < n; i++) {
		uint64_t fc = i / F, fr = i % F, next = 0;
		if (i == 0)
			s += CEIL(apnas_mem_fetch_words(&mp, APNAS_OP_IFMAP, 0, 0) +
			          apnas_mem_fetch_words(&mp, APNAS_OP_FILTER, 0, 0));
		if (i + 1 < n) {
			uint64_t nc = (i + 1) / F, nr = (i + 1) % F;
			next = apnas_mem_fetch_words(&mp, APNAS_OP_IFMAP, nc, nr) +
			       apnas_mem_fetch_words(&mp, APNAS_OP_FILTER, nc, nr);
		}
		uint64_t t = CEIL(next + prev_w);
		s += t > fold ? t - fold : 0;
		prev_w = apnas_mem_out_words(&mp, fc, fr);
	}
	s += CEIL(prev_w);
#undef CEIL
	return s * g.repeat;
}

START_TEST(stalls_equal_the_fold_by_fold_sum)
{
	apnas_rng r;
	apnas_error err;
	/* Bandwidths: one word, small ones (B > 1: ceil(x / B) by a
	 * multiply), and at and near the 2^32 limit (a divide). */
	static const int64_t big_bw[] = {((int64_t)1 << 31) + 7,
	                                 ((int64_t)1 << 32) - 1,
	                                 (int64_t)1 << 32};
	size_t waited = 0, many_folds = 0;
	apnas_rng_seed(&r, 77);
	for (int i = 0; i < 1500; i++) {
		apnas_dataflow df = (apnas_dataflow)(i % 3);
		apnas_array a = {draw(&r, 1, 12), draw(&r, 1, 12), df};
		apnas_net net;
		apnas_net_init(&net);
		apnas_shape in = {draw(&r, 1, 24), draw(&r, 3, 24),
		                  draw(&r, 3, 24)};
		int k = draw(&r, 1, 3), st = draw(&r, 1, 2);
		int rc = i % 5 == 4
		             ? apnas_net_dwconv(&net, "dw", in, k, st, k / 2, &err)
		             : apnas_net_conv(&net, "conv", in, draw(&r, 1, 64), k,
		                              st, k / 2, &err);
		ck_assert_msg(rc == 0, "%s", err.msg);
		apnas_mem_cfg m = random_mem(&r);
		switch (draw(&r, 0, 5)) {
		case 0: m.bandwidth = 1; break;
		case 1: m.bandwidth = big_bw[apnas_rng_below(&r, 3)]; break;
		default: m.bandwidth = draw(&r, 2, 300);
		}
		apnas_mem_cost c;
		ck_assert_int_eq(apnas_mem_layer(&a, &m, NULL, &net.layers[0],
		                                 NULL, &c, &err), 0);
		uint64_t want = stalls_fold_by_fold(&a, &m, &net.layers[0]);
		ck_assert_msg(c.stall_cycles == want,
		              "layer %d (%s) on %lldx%lld %s, kB %lld/%lld, bw "
		              "%lld: stalls %llu, fold by fold %llu", i,
		              net.layers[0].name, (long long)a.rows,
		              (long long)a.cols, apnas_dataflow_name(df),
		              (long long)m.ifmap_kb, (long long)m.filter_kb,
		              (long long)m.bandwidth,
		              (unsigned long long)c.stall_cycles,
		              (unsigned long long)want);
		apnas_gemm g;
		ck_assert_int_eq(apnas_layer_gemm(&net.layers[0], &g, &err), 0);
		apnas_fold_plan p;
		ck_assert_int_eq(apnas_systolic_plan(&a, g.e, g.k, g.m, &p, &err),
		                 0);
		waited += c.stall_cycles > 0;
		many_folds += p.fr >= 4 && p.fc >= 4;
		apnas_net_free(&net);
	}
	/* The draw reaches the closed form's middle folds and passes. */
	ck_assert_uint_ge(waited, 1000);
	ck_assert_uint_ge(many_folds, 200);
}
END_TEST

START_TEST(stalls_worked_by_hand)
{
	apnas_topo_row t = {.name = "hand", .ifmap_h = 7, .ifmap_w = 7,
	                    .filt_h = 3, .filt_w = 3, .channels = 1,
	                    .filters = 8, .stride = 1};
	apnas_layer l;
	apnas_error err;
	apnas_mem_cost c;
	apnas_array a = {4, 4, APNAS_DF_WS};
	apnas_mem_cfg m = {1, 1, 1, 4, 2};
	ck_assert_int_eq(apnas_topology_layer(&t, &l, &err), 0);
	ck_assert_int_eq(apnas_mem_layer(&a, &m, NULL, &l, NULL, &c, &err), 0);
	ck_assert_uint_eq(c.cycles, 6 * 35 - 1);
	ck_assert_uint_eq(c.ifmap_dram_reads, 49);
	ck_assert_uint_eq(c.filter_dram_reads, 72);
	ck_assert_uint_eq(c.ofmap_dram_writes, 3 * 25 * 8);
	ck_assert_uint_eq(c.dram_bytes, 4 * (49 + 72 + 600));
	ck_assert_uint_eq(c.stall_cycles, 186);
	ck_assert_uint_eq(c.latency_cycles, 6 * 35 - 1 + 186);
	/* Unlimited bandwidth: no stall, latency is the compute cycles. */
	m.bandwidth = 0;
	ck_assert_int_eq(apnas_mem_layer(&a, &m, NULL, &l, NULL, &c, &err), 0);
	ck_assert_uint_eq(c.stall_cycles, 0);
	ck_assert_uint_eq(c.latency_cycles, c.cycles);
}
END_TEST

/* The refetch rule by hand.  os on 8 x 8, topology 24x24x4, 3x3, stride
 * 1, 2 filters: E = 22 x 22 = 484, K = 36; Sr = 484, Sc = 2, T = 36; Fr =
 * 61, Fc = 1.  1 kB of 4-byte words holds 256; the input's 2304 words do
 * not fit, and with Fr > 1 every fold reads a new row-fold tile of R x K
 * entries: ifmap DRAM = Fc x E x K.  The filter's 72 words fit. */
START_TEST(refetch_worked_by_hand)
{
	apnas_topo_row t = {.name = "spill", .ifmap_h = 24, .ifmap_w = 24,
	                    .filt_h = 3, .filt_w = 3, .channels = 4,
	                    .filters = 2, .stride = 1};
	apnas_layer l;
	apnas_error err;
	apnas_mem_cost c;
	apnas_array a = {8, 8, APNAS_DF_OS};
	apnas_mem_cfg m = {1, 1, 1, 4, 0};
	ck_assert_int_eq(apnas_topology_layer(&t, &l, &err), 0);
	ck_assert_int_eq(apnas_mem_layer(&a, &m, NULL, &l, NULL, &c, &err), 0);
	ck_assert_uint_eq(c.ifmap_dram_reads, 484 * 36);
	ck_assert_uint_eq(c.filter_dram_reads, 36 * 2); /* fits: 72 */
	/* 16 filters on a 8-column array: Fc = 2, ifmap read twice. */
	t.filters = 16;
	ck_assert_int_eq(apnas_topology_layer(&t, &l, &err), 0);
	ck_assert_int_eq(apnas_mem_layer(&a, &m, NULL, &l, NULL, &c, &err), 0);
	ck_assert_uint_eq(c.ifmap_dram_reads, 2 * 484 * 36);
	/* With a buffer that holds the input (2304 x 4 bytes = 9 kB), only
	 * the compulsory 24 x 24 x 4 words. */
	m.ifmap_kb = 9;
	ck_assert_int_eq(apnas_mem_layer(&a, &m, NULL, &l, NULL, &c, &err), 0);
	ck_assert_uint_eq(c.ifmap_dram_reads, 24 * 24 * 4);
}
END_TEST

START_TEST(counts_over_64_bits_refused)
{
	/* A 1x1 conv, 1024 x 1024 outputs (E = 2^20), 2^28 input channels
	 * (K), 2^20 filters (M), os on a 2^20 x 1 array: Fr = 1, Fc = 2^20,
	 * so its cycles (2^20 x (2^28 + 2^20 - 1) - 1) fit in 64 bits, but
	 * the ifmap SRAM reads Fc x E x K = 2^68 do not. */
	apnas_net net;
	apnas_error err;
	apnas_mem_cost c;
	apnas_net_init(&net);
	ck_assert_int_eq(apnas_net_conv(&net, "huge",
	                                (apnas_shape){1 << 28, 1024, 1024},
	                                1 << 20, 1, 1, 0, &err), 0);
	apnas_array a = {1 << 20, 1, APNAS_DF_OS};
	ck_assert_int_eq(apnas_systolic_plan(&a, (uint64_t)1 << 20,
	                                     (uint64_t)1 << 28, (uint64_t)1 << 20,
	                                     &(apnas_fold_plan){0}, &err), 0);
	apnas_mem_cfg m;
	apnas_mem_cfg_default(&m);
	int rc = apnas_mem_layer(&a, &m, NULL, &net.layers[0], NULL, &c, &err);
	ck_assert_int_eq(rc, APNAS_EINVAL);
	ch_assert_msg(&err, "huge", "64 bits", NULL);
	/* A network total that would wrap is refused too. */
	apnas_mem_cost t, big;
	apnas_mem_sum_init(&t);
	memset(&big, 0, sizeof big);
	big.ifmap_dram_reads = UINT64_MAX - 1;
	ck_assert_int_eq(apnas_mem_sum_add(&t, &big, &err), 0);
	ck_assert_int_eq(apnas_mem_sum_add(&t, &big, &err), APNAS_EINVAL);
	ch_assert_msg(&err, "64 bits", NULL);
	ck_assert_uint_eq(t.ifmap_dram_reads, UINT64_MAX - 1);
	apnas_net_free(&net);
}
END_TEST

START_TEST(bad_memory_settings_refused)
{
	apnas_mem_cfg m;
	apnas_error err;
	apnas_mem_cfg_default(&m);
	ck_assert_int_eq(apnas_mem_cfg_check(&m, &err), 0);
	struct { const char *name; int64_t v; const char *words; } bad[] = {
		{"ifmap_sram_kb", 0, "ifmap_sram_kb"},
		{"filter_sram_kb", -4, "filter_sram_kb"},
		{"ofmap_sram_kb", (int64_t)1 << 31, "1073741824"},
		{"word_bytes", 3, "1, 2 or 4"},
		{"word_bytes", 0, "word_bytes"},
		{"bandwidth", -1, "bandwidth"},
		{"sram_kb", 4, "ifmap_sram_kb"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		apnas_mem_cfg before = m;
		ck_assert_int_eq(apnas_mem_cfg_set(&m, bad[i].name, bad[i].v,
		                                   &err), APNAS_EINVAL);
		ch_assert_msg(&err, bad[i].words, NULL);
		ck_assert(strchr(err.msg, '\n') == NULL);
		ck_assert_int_eq(memcmp(&before, &m, sizeof m), 0);
	}
	ck_assert_int_eq(apnas_mem_cfg_set_text(&m, "bandwidth", "unlimited",
	                                        &err), 0);
	ck_assert_int_eq(m.bandwidth, 0);
	ck_assert_int_eq(apnas_mem_cfg_set_text(&m, "bandwidth", "8", &err), 0);
	ck_assert_int_eq(m.bandwidth, 8);
	ck_assert_int_eq(apnas_mem_cfg_set_text(&m, "word_bytes", "2x", &err),
	                 APNAS_EINVAL);
	ch_assert_msg(&err, "word_bytes", "integer", "2x", NULL);
	/* The model itself refuses a bad config rather than dividing by 0. */
	apnas_net net;
	apnas_mem_cost c;
	apnas_net_init(&net);
	ck_assert_int_eq(apnas_net_fc(&net, "fc", (apnas_shape){4, 1, 1}, 4,
	                              &err), 0);
	apnas_array a = {4, 4, APNAS_DF_WS};
	m.word_bytes = 0;
	ck_assert_int_eq(apnas_mem_layer(&a, &m, NULL, &net.layers[0], NULL, &c,
	                                 &err), APNAS_EINVAL);
	ch_assert_msg(&err, "word_bytes", NULL);
	apnas_net_free(&net);
}
END_TEST

START_TEST(layers_without_array_work_cost_nothing)
{
	apnas_net net;
	apnas_error err;
	apnas_shape in = {4, 6, 6};
	apnas_energy_table e;
	apnas_mem_cfg m = {1, 1, 1, 1, 1};
	apnas_array a = {4, 4, APNAS_DF_WS};
	apnas_net_init(&net);
	ck_assert_int_eq(apnas_energy_default(1, &e, &err), 0);
	e.leak_pj = 1;
	ck_assert_int_eq(apnas_net_pool(&net, "mp", APNAS_LAYER_MAXPOOL, in, 2,
	                                2, 0, &err), 0);
	ck_assert_int_eq(apnas_net_gpool(&net, "gp", in, &err), 0);
	for (size_t i = 0; i < net.n; i++) {
		apnas_mem_cost mod, sim, zero;
		apnas_layer_cost lc;
		apnas_sim_stats st;
		memset(&zero, 0, sizeof zero);
		double out[256];
		ck_assert_int_eq(apnas_mem_layer(&a, &m, &e, &net.layers[i], &lc,
		                                 &mod, &err), 0);
		ck_assert_int_eq(memcmp(&mod, &zero, sizeof zero), 0);
		ck_assert_uint_eq(lc.cycles, 0);
		ck_assert_int_eq(apnas_sim_layer_mem(&a, &m, &e, &net.layers[i],
		                                     out, NULL, out, 0, &st, &sim,
		                                     &err), 0);
		ck_assert_int_eq(memcmp(&sim, &zero, sizeof zero), 0);
	}
	apnas_net_free(&net);
}
END_TEST

static const char scalesim_cfg[] =
	"[general]\nrun_name = mem\n\n"
	"[architecture_presets]\n"
	"ArrayHeight:    16\n"
	"ArrayWidth:     8\n"
	"IfmapSramSzkB:  2\n"
	"FilterSramSzkB: 16\n"
	"OfmapSramSzkB:  1024\n"
	"Bandwidth : %s\n"
	"Dataflow : ws\n"
	"[run_presets]\nInterfaceBandwidth: %s\n";

static int sscfg(const char *bw, const char *iface, apnas_scalesim_cfg *c,
                 apnas_error *err)
{
	char text[1024];
	snprintf(text, sizeof text, scalesim_cfg, bw, iface);
	return apnas_scalesim_cfg_parse(text, strlen(text), "m.cfg", c, err);
}

START_TEST(scalesim_config_gives_the_memory)
{
	apnas_scalesim_cfg c;
	apnas_error err;
	ck_assert_msg(sscfg("10", "USER", &c, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(c.mem.ifmap_kb, 2);
	ck_assert_int_eq(c.mem.filter_kb, 16);
	ck_assert_int_eq(c.mem.ofmap_kb, 1024);
	ck_assert_int_eq(c.mem.bandwidth, 10);
	ck_assert_int_eq(c.mem.word_bytes, 1);
	ck_assert_int_eq(c.mem_keys, 5);
	ck_assert_int_eq(apnas_mem_cfg_check(&c.mem, &err), 0);
	/* CALC: SCALE-Sim sizes the interface to the demand, no stalls. */
	ck_assert_int_eq(sscfg("10", "calc", &c, &err), 0);
	ck_assert_int_eq(c.mem.bandwidth, 0);
	ck_assert_int_eq(c.user_bandwidth, 0);
	/* Without memory keys: the defaults. */
	const char *bare = "[architecture_presets]\nArrayHeight: 4\n"
	                   "ArrayWidth: 4\nDataflow: os\n";
	ck_assert_int_eq(apnas_scalesim_cfg_parse(bare, strlen(bare), "b.cfg",
	                                          &c, &err), 0);
	apnas_mem_cfg d;
	apnas_mem_cfg_default(&d);
	ck_assert_int_eq(memcmp(&c.mem, &d, sizeof d), 0);
	ck_assert_int_eq(c.mem_keys, 0);
}
END_TEST

START_TEST(bad_scalesim_memory_refused)
{
	apnas_scalesim_cfg c;
	apnas_error err;
	ck_assert_int_eq(sscfg("0", "USER", &c, &err), APNAS_EINVAL);
	ch_assert_msg(&err, "m.cfg:10:13:", "Bandwidth", "got '0'", NULL);
	ck_assert_int_eq(sscfg("-3", "USER", &c, &err), APNAS_EINVAL);
	ch_assert_msg(&err, "m.cfg:10:13:", "positive integer", NULL);
	ck_assert_int_eq(sscfg("4", "FAST", &c, &err), APNAS_EINVAL);
	ch_assert_msg(&err, "m.cfg:13:", "CALC or USER", "FAST", NULL);
	const char *no_bw = "[architecture_presets]\nArrayHeight: 4\n"
	                    "ArrayWidth: 4\nDataflow: os\n"
	                    "[run_presets]\nInterfaceBandwidth: USER\n";
	ck_assert_int_eq(apnas_scalesim_cfg_parse(no_bw, strlen(no_bw),
	                                          "u.cfg", &c, &err),
	                 APNAS_EINVAL);
	ch_assert_msg(&err, "u.cfg:6:", "USER", "Bandwidth", NULL);
	const char *zero = "[architecture_presets]\nArrayHeight: 4\n"
	                   "ArrayWidth: 4\nDataflow: os\nOfmapSramSzkB: 0\n"
	                   "OfmapSramSzkB: 8\n";
	ck_assert_int_eq(apnas_scalesim_cfg_parse(zero, strlen(zero), "z.cfg",
	                                          &c, &err), APNAS_EINVAL);
	ch_assert_msg(&err, "z.cfg:5:", "OfmapSramSzkB", NULL);
	const char *twice = "[architecture_presets]\nArrayHeight: 4\n"
	                    "ArrayWidth: 4\nDataflow: os\nOfmapSramSzkB: 4\n"
	                    "ofmapsramszkb: 8\n";
	ck_assert_int_eq(apnas_scalesim_cfg_parse(twice, strlen(twice),
	                                          "t.cfg", &c, &err),
	                 APNAS_EINVAL);
	ch_assert_msg(&err, "t.cfg:6:", "given twice", NULL);
}
END_TEST

int main(void)
{
	load_vectors();
	Suite *s = suite_create("cost_memory");
	TCase *tc = tcase_create("memory");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, model_matches_scalesim_memory_vectors);
	tcase_add_test(tc, simulator_matches_scalesim_memory_vectors);
	tcase_add_test(tc, plugins_match_scalesim_memory_vectors);
	tcase_add_loop_test(tc, model_and_simulator_agree_on_memory,
	                    APNAS_DF_OS, APNAS_DF_IS + 1);
	tcase_add_test(tc, stalls_equal_the_fold_by_fold_sum);
	tcase_add_test(tc, stalls_worked_by_hand);
	tcase_add_test(tc, refetch_worked_by_hand);
	tcase_add_test(tc, counts_over_64_bits_refused);
	tcase_add_test(tc, bad_memory_settings_refused);
	tcase_add_test(tc, layers_without_array_work_cost_nothing);
	tcase_add_test(tc, scalesim_config_gives_the_memory);
	tcase_add_test(tc, bad_scalesim_memory_refused);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
