/* Energy of the systolic memory model (core/hw/energy.h):
 *   - three layers whose energy is worked out here by hand from the
 *     table: counts from the dataflow's rules (the comments derive each),
 *     times the entries;
 *   - the default table's entries are the cited figures; overrides by
 *     name; edp = energy x latency, per layer and for a network;
 *   - Accelergy ERT files: one read, the bad ones refused with file:line;
 *   - negative and NaN energies refused in one line. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cost_harness.h"
#include "hw/energy.h"
#include "hw/systolic_memory.h"
#include "hw/topology.h"

static void near(double got, double want, const char *what)
{
	ck_assert_msg(fabs(got - want) <= 1e-12 * fabs(want),
	              "%s: %.17g, by hand %.17g", what, got, want);
}

static apnas_layer topo(int h, int w, int fh, int fw, int ch, int m, int s)
{
	apnas_topo_row t = {.name = "hand", .ifmap_h = h, .ifmap_w = w,
	                    .filt_h = fh, .filt_w = fw, .channels = ch,
	                    .filters = m, .stride = s};
	apnas_layer l;
	apnas_error err;
	ck_assert_int_eq(apnas_topology_layer(&t, &l, &err), 0);
	return l;
}

/* A table of round numbers, so the sums below can be read. */
static apnas_energy_table plain(void)
{
	apnas_energy_table t = {.mac_pj = 1, .reg_pj = 0.5, .hop_pj = 2,
	                        .sram_read_pj = 6, .sram_write_pj = 7,
	                        .sram_ref_kb = 16, .sram_exp = 0.5,
	                        .dram_pj = 200, .leak_pj = 0.25};
	return t;
}

/* Layer 1: SCALE-Sim vector "3,3,3,3,3,4,2" (os, 4 x 4 array): E = 1,
 * K = 27, M = 4; Sr = 1, Sc = 4, T = 27; Fr = Fc = 1; fold 27 + 4 + 4 - 2
 * = 33, cycles 32.
 *   SRAM: ifmap 1 x 1 x 27 = 27, filter 1 x 27 x 4 = 108, ofmap 4 + (4+4)
 *   = 12.  DRAM (64 kB buffers, everything fits): 27, 108, 4.
 *   MACs 108, registers 324; hops: A 1 x 1 x 27 x 3 = 81, B 1 x 4 x 27 x 3
 *   = 324: 405.
 *   Buffers 64 kB, reference 16 kB, exponent 0.5: factor 2, read 12,
 *   write 14 per word.
 *   E = 108 x 1 + 324 x 0.5 + 405 x 2 + (27 + 108) x 12 + (27 + 108) x 14
 *       + 12 x 14 + 4 x 12 + (27 + 108 + 4) x 200 + 32 x 0.25
 *     = 108 + 162 + 810 + 1620 + 1890 + 168 + 48 + 27800 + 8 = 32614 pJ. */
START_TEST(energy_of_an_os_layer_by_hand)
{
	apnas_energy_table t = plain();
	apnas_mem_cfg m = {64, 64, 64, 1, 0};
	apnas_array a = {4, 4, APNAS_DF_OS};
	apnas_layer l = topo(3, 3, 3, 3, 3, 4, 2);
	apnas_mem_cost c;
	apnas_error err;
	ck_assert_int_eq(apnas_mem_layer(&a, &m, &t, &l, NULL, &c, &err), 0);
	ck_assert_uint_eq(c.macs, 108);
	ck_assert_uint_eq(c.pe_hops, 405);
	near(c.energy_pj, 32614.0, "energy");
	near(c.edp, 32614.0 * 32, "edp");
}
END_TEST

/* Layer 2: vector "16,16,1,1,1,4,1" (ws, 8 x 16): E = 256, K = 1, M = 4;
 * Sr = 1, Sc = 4, T = 256; Fr = Fc = 1; fold 256 + 16 + 16 - 2 = 286,
 * cycles 285.
 *   SRAM: ifmap 1 x 256 x 1 = 256, filter 1 x 4 = 4, ofmap 1 x 256 x 4 =
 *   1024.  DRAM (8 kB, 2-byte words: 4096 words; all fits): 256, 4, 1024.
 *   MACs 1024, registers 3072; hops: A 1 x 1 x 256 x 15 = 3840, partial
 *   sums 1 x 4 x 256 x 7 = 7168, preload 4 x (0) = 0 (one row): 11008.
 *   Table: this time the default for 2-byte words with dram_pj and
 *   leak_pj overridden: mac 1.5, reg 1.5, hop 3, SRAM 2.5 pJ per word at
 *   8 kB (exponent irrelevant at 8 kB), dram 100, leak 1.
 *   E = 1024 x 1.5 + 3072 x 1.5 + 11008 x 3 + (256 + 4) x 2.5
 *       + (256 + 4) x 2.5 + 1024 x 2.5 + 1024 x 2.5 + (256 + 4 + 1024) x 100
 *       + 285 x 1
 *     = 1536 + 4608 + 33024 + 650 + 650 + 2560 + 2560 + 128400 + 285
 *     = 174273 pJ. */
START_TEST(energy_of_a_ws_layer_by_hand)
{
	apnas_energy_table t;
	apnas_error err;
	ck_assert_int_eq(apnas_energy_default(2, &t, &err), 0);
	ck_assert_int_eq(apnas_energy_overrides(&t, "dram_pj=100, leak_pj=1",
	                                        &err), 0);
	apnas_mem_cfg m = {8, 8, 8, 2, 0};
	apnas_array a = {8, 16, APNAS_DF_WS};
	apnas_layer l = topo(16, 16, 1, 1, 1, 4, 1);
	apnas_mem_cost c;
	ck_assert_int_eq(apnas_mem_layer(&a, &m, &t, &l, NULL, &c, &err), 0);
	ck_assert_uint_eq(c.pe_hops, 11008);
	ck_assert_uint_eq(c.dram_bytes, 2 * (256 + 4 + 1024));
	near(c.energy_pj, 174273.0, "energy");
}
END_TEST

/* Layer 3: vector "7,7,3,3,1,8,1" (is, 4 x 4), with a finite bandwidth:
 * E = 25, K = 9, M = 8; Sr = 9, Sc = 25, T = 8; Fr = 3 (rows 4, 4, 1),
 * Fc = 7 (columns 4 x 6, then 1); fold 8 + 8 + 4 - 2 = 18; 21 folds,
 * cycles 377.
 *   SRAM: ifmap 9 x 25 = 225, filter 7 x 9 x 8 = 504, ofmap 3 x 25 x 8 =
 *   600.  DRAM (1 kB of 1-byte words: 1024; all fits): ifmap 49, filter
 *   72, ofmap 600.
 *   Stalls at 4 words per cycle: before fold 0, (49 + 72) / 4 -> 31.
 *   Outputs per fold: the fold's columns x 8 = 32 (8 in the last column
 *   fold), moved while the next fold but one computes: 32 / 4 = 8 < 18, no
 *   stall; after the last fold 8 / 4 = 2.  Stall 33, latency 410.
 *   MACs 1800, registers 5400; hops: B 7 x 9 x 8 x 3 = 1512, partial sums
 *   3 x 25 x 8 x 3 = 1800, preload 25 x (2 x (0+1+2+3) + 0) = 300: 3612.
 *   Table plain() with exponent 0 (no size scaling): read 6, write 7.
 *   E = 1800 x 1 + 5400 x 0.5 + 3612 x 2 + 225 x 6 + 49 x 7 + 504 x 6
 *       + 72 x 7 + 600 x 7 + 600 x 6 + (49 + 72 + 600) x 200 + 410 x 0.25
 *     = 1800 + 2700 + 7224 + 1350 + 343 + 3024 + 504 + 4200 + 3600
 *       + 144200 + 102.5 = 169047.5 pJ. */
START_TEST(energy_of_an_is_layer_by_hand)
{
	apnas_energy_table t = plain();
	apnas_error err;
	ck_assert_int_eq(apnas_energy_set(&t, "sram_exp", 0, &err), 0);
	apnas_mem_cfg m = {1, 1, 1, 1, 4};
	apnas_array a = {4, 4, APNAS_DF_IS};
	apnas_layer l = topo(7, 7, 3, 3, 1, 8, 1);
	apnas_mem_cost c;
	ck_assert_int_eq(apnas_mem_layer(&a, &m, &t, &l, NULL, &c, &err), 0);
	ck_assert_uint_eq(c.cycles, 377);
	ck_assert_uint_eq(c.stall_cycles, 33);
	ck_assert_uint_eq(c.latency_cycles, 410);
	ck_assert_uint_eq(c.pe_hops, 3612);
	near(c.energy_pj, 169047.5, "energy");
	near(c.edp, 169047.5 * 410, "edp");
}
END_TEST

START_TEST(network_edp_is_total_energy_times_total_latency)
{
	apnas_net net;
	apnas_error err;
	apnas_energy_table t = plain();
	apnas_mem_cfg m = {2, 2, 2, 1, 3};
	apnas_array a = {8, 8, APNAS_DF_WS};
	apnas_net_init(&net);
	ck_assert_int_eq(apnas_net_conv(&net, "c1", (apnas_shape){3, 12, 12}, 8,
	                                3, 1, 1, &err), 0);
	ck_assert_int_eq(apnas_net_dwconv(&net, "dw", (apnas_shape){8, 12, 12},
	                                  3, 2, 1, &err), 0);
	ck_assert_int_eq(apnas_net_fc(&net, "fc", (apnas_shape){8, 6, 6}, 10,
	                              &err), 0);
	apnas_mem_cost per[3], total;
	ck_assert_int_eq(apnas_mem_net(&a, &m, &t, &net, &total, per, &err), 0);
	double e = 0;
	uint64_t lat = 0, stall = 0, bytes = 0;
	for (int i = 0; i < 3; i++) {
		e += per[i].energy_pj;
		lat += per[i].latency_cycles;
		stall += per[i].stall_cycles;
		bytes += per[i].dram_bytes;
	}
	near(total.energy_pj, e, "total energy");
	ck_assert_uint_eq(total.latency_cycles, lat);
	ck_assert_uint_eq(total.stall_cycles, stall);
	ck_assert_uint_eq(total.dram_bytes, bytes);
	ck_assert(stall > 0);
	near(total.edp, e * (double)lat, "network edp");
	ck_assert(total.edp > per[0].edp + per[1].edp + per[2].edp);
	apnas_net_free(&net);
}
END_TEST

START_TEST(default_table_cites_its_figures)
{
	apnas_energy_table t;
	apnas_error err;
	ck_assert_int_eq(apnas_energy_default(1, &t, &err), 0);
	near(t.mac_pj, 0.23, "int8 MAC (Horowitz 0.2 + 0.03)");
	near(t.reg_pj / t.mac_pj, 1.0, "Eyeriss register : MAC");
	near(t.hop_pj / t.mac_pj, 2.0, "Eyeriss hop : MAC");
	near(apnas_energy_sram_read(&t, 8) * 8, 10.0, "8 kB 64-bit read");
	near(apnas_energy_sram_read(&t, 32) * 8, 20.0, "32 kB 64-bit read");
	near(t.dram_pj * 8, 1300.0, "DRAM 64-bit access");
	ck_assert_int_eq(apnas_energy_default(4, &t, &err), 0);
	near(t.mac_pj, 4.6, "fp32 MAC");
	near(t.dram_pj, 650.0, "DRAM per 4-byte word");
	ck_assert_int_eq(apnas_energy_default(3, &t, &err), APNAS_EINVAL);
	ch_assert_msg(&err, "word_bytes", "1, 2 or 4", NULL);
}
END_TEST

START_TEST(bad_energies_refused)
{
	apnas_energy_table t, before;
	apnas_error err;
	ck_assert_int_eq(apnas_energy_default(1, &t, &err), 0);
	before = t;
	ck_assert_int_eq(apnas_energy_set(&t, "mac_pj", -1, &err), APNAS_EINVAL);
	ch_assert_msg(&err, "mac_pj", ">= 0", NULL);
	ck_assert_int_eq(apnas_energy_set(&t, "dram_pj", NAN, &err),
	                 APNAS_EINVAL);
	ch_assert_msg(&err, "dram_pj", "finite", NULL);
	ck_assert_int_eq(apnas_energy_set(&t, "sram_ref_kb", 0, &err),
	                 APNAS_EINVAL);
	ck_assert_int_eq(apnas_energy_set(&t, "sram_exp", 3, &err),
	                 APNAS_EINVAL);
	ck_assert_int_eq(apnas_energy_set(&t, "mac", 1, &err), APNAS_EINVAL);
	ch_assert_msg(&err, "'mac'", "mac_pj", NULL);
	/* Overrides: all or nothing, the bad pair located. */
	ck_assert_int_eq(apnas_energy_overrides(&t, "mac_pj=1, hop_pj=nan",
	                                        &err), APNAS_EINVAL);
	ch_assert_msg(&err, "column 11", "hop_pj", NULL);
	ck_assert_int_eq(apnas_energy_overrides(&t, "mac_pj=1 dram_pj", &err),
	                 APNAS_EINVAL);
	ch_assert_msg(&err, "name=value", "dram_pj", NULL);
	ck_assert_int_eq(apnas_energy_overrides(&t, "mac_pj=1x", &err),
	                 APNAS_EINVAL);
	ck_assert_int_eq(memcmp(&t, &before, sizeof t), 0);
	ck_assert(strchr(err.msg, '\n') == NULL);
	t.leak_pj = -0.0 - 1;
	ck_assert_int_eq(apnas_energy_check(&t, &err), APNAS_EINVAL);
	ch_assert_msg(&err, "leak_pj", NULL);
}
END_TEST

static const char good_ert[] =
	"ERT:\n"
	"  version: 0.3\n"
	"  tables:\n"
	"  - name: system.eyeriss.PE[0..167].mac\n"
	"    actions:\n"
	"    - name: mac_random\n"
	"      arguments: null\n"
	"      energy: 2.20035\n"
	"    - name: mac_gated\n"
	"      energy: 0.1\n"
	"  - name: system.eyeriss.PE[0..167].ifmap_spad\n"
	"    actions:\n"
	"    - name: read\n"
	"      energy: 0.42\n"
	"  - name: system.eyeriss.shared_glb\n"
	"    actions:\n"
	"    - name: read\n"
	"      arguments: {address_delta: 1, data_delta: 1}\n"
	"      energy: 18.5\n"
	"    - name: write\n"
	"      energy: 20.25\n"
	"  - name: system.DRAM\n"
	"    actions:\n"
	"    - name: read\n"
	"      energy: 512\n"
	"  - name: system.eyeriss.interface_unit\n"
	"    actions:\n"
	"    - name: read\n"
	"      energy: 99\n";

START_TEST(ert_file_is_read)
{
	apnas_energy_table t;
	apnas_error err;
	ck_assert_int_eq(apnas_energy_default(1, &t, &err), 0);
	double hop = t.hop_pj;
	ck_assert_msg(apnas_energy_ert_parse(&t, good_ert, strlen(good_ert),
	                                     "ERT.yaml", &err) == 0, "%s",
	              err.msg);
	near(t.mac_pj, 2.20035, "mac");
	near(t.reg_pj, 0.42, "spad read");
	near(t.sram_read_pj, 18.5, "glb read");
	near(t.sram_write_pj, 20.25, "glb write");
	near(t.dram_pj, 512, "dram");
	ck_assert(t.sram_exp == 0);
	ck_assert(t.hop_pj == hop); /* not named: kept */
	/* The same from a file. */
	char path[] = "/tmp/apnas_ert_XXXXXX";
	int fd = mkstemp(path);
	ck_assert(fd >= 0);
	ck_assert(write(fd, good_ert, strlen(good_ert)) ==
	          (ssize_t)strlen(good_ert));
	close(fd);
	ck_assert_int_eq(apnas_energy_default(1, &t, &err), 0);
	ck_assert_int_eq(apnas_energy_ert_load(&t, path, &err), 0);
	near(t.dram_pj, 512, "dram from file");
	/* One call: defaults for the word size, the ERT, then overrides. */
	ck_assert_int_eq(apnas_energy_setup(&t, 2, path, "dram_pj=7", &err), 0);
	near(t.mac_pj, 2.20035, "setup: mac from the ERT");
	near(t.dram_pj, 7, "setup: the override wins");
	near(t.hop_pj, 3.0, "setup: 2-byte default hop");
	apnas_energy_table keep = t;
	ck_assert_int_eq(apnas_energy_setup(&t, 2, path, "dram_pj=-7", &err),
	                 APNAS_EINVAL);
	ck_assert_int_eq(memcmp(&t, &keep, sizeof t), 0);
	ck_assert_int_eq(apnas_energy_setup(&t, 1, NULL, "", &err), 0);
	near(t.mac_pj, 0.23, "setup: defaults only");
	unlink(path);
}
END_TEST

START_TEST(bad_ert_files_refused)
{
	struct { const char *text, *words[3]; } bad[] = {
		{"ERT:\n  tables:\n  - name: a.mac\n    actions:\n    - name: "
		 "mac_random\n      energy: -2\n", {"x.yaml:6:", "-2", ">= 0"}},
		{"ERT:\n  tables:\n  - name: a.DRAM\n    actions:\n    - name: "
		 "read\n      energy: .nan\n", {"x.yaml:6:", "nan", NULL}},
		{"ERT:\n  tables:\n  - name: a.mac\n    actions: [\n",
		 {"x.yaml:", NULL, NULL}},
		{"version: 0.3\n", {"x.yaml:1:", "ERT", "tables"}},
		{"ERT:\n  tables:\n  - name: a.weird\n    actions:\n    - name: "
		 "read\n      energy: 1\n", {"x.yaml:3:", "no component", NULL}},
		{"ERT:\n  tables:\n  - actions: []\n", {"x.yaml:3:", "'name'",
		                                        NULL}},
		{"ERT:\n  tables:\n  - name: a.glb\n    actions:\n    - name: "
		 "read\n      energy: lots\n", {"x.yaml:6:", "lots", NULL}},
		{"", {"x.yaml", "empty", NULL}},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		apnas_energy_table t, before;
		apnas_error err;
		ck_assert_int_eq(apnas_energy_default(1, &t, &err), 0);
		before = t;
		int rc = apnas_energy_ert_parse(&t, bad[i].text,
		                                strlen(bad[i].text), "x.yaml", &err);
		ck_assert_msg(rc == APNAS_EINVAL, "case %zu: rc %d", i, rc);
		for (int k = 0; k < 3 && bad[i].words[k]; k++)
			ck_assert_msg(strstr(err.msg, bad[i].words[k]) != NULL,
			              "case %zu: '%s' lacks '%s'", i, err.msg,
			              bad[i].words[k]);
		ck_assert(strchr(err.msg, '\n') == NULL);
		ck_assert_int_eq(memcmp(&t, &before, sizeof t), 0);
	}
	apnas_energy_table t;
	apnas_error err;
	ck_assert_int_eq(apnas_energy_default(1, &t, &err), 0);
	ck_assert(apnas_energy_ert_load(&t, "/nonexistent/ERT.yaml", &err) !=
	          0);
	ch_assert_msg(&err, "/nonexistent/ERT.yaml", NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cost_energy");
	TCase *tc = tcase_create("energy");
	tcase_add_test(tc, energy_of_an_os_layer_by_hand);
	tcase_add_test(tc, energy_of_a_ws_layer_by_hand);
	tcase_add_test(tc, energy_of_an_is_layer_by_hand);
	tcase_add_test(tc, network_edp_is_total_energy_times_total_latency);
	tcase_add_test(tc, default_table_cites_its_figures);
	tcase_add_test(tc, bad_energies_refused);
	tcase_add_test(tc, ert_file_is_read);
	tcase_add_test(tc, bad_ert_files_refused);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
