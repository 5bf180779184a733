/* `apnas cost` as a user runs it: columns named after the cost model's
 * metrics, the printed layers and totals equal the model's,
 * the simulator and SCALE-Sim configs are selectable, exports read back
 * to the same total, and bad input exits 2 with one line on stderr naming
 * where it is. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cost_harness.h"
#include "hw/topology.h"

static char dir[] = "/tmp/apnas-cost-cliXXXXXX";
static char out_path[128], err_path[128];

/* Runs apnas with `args` (a shell-quoted string); returns its exit code
 * and leaves stdout and stderr in out_path and err_path. */
static int run(const char *args)
{
	char cmd[16384];
	int n = snprintf(cmd, sizeof cmd, "cd %s && '%s' %s >'%s' 2>'%s'", dir,
	                 APNAS_EXE, args, out_path, err_path);
	ck_assert_int_lt(n, (int)sizeof cmd);
	int st = system(cmd);
	ck_assert_msg(st != -1 && WIFEXITED(st), "could not run: %s", cmd);
	return WEXITSTATUS(st);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void write_file(const char *name, const char *text)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static uint64_t model_total(const char *topology, apnas_array a)
{
	apnas_net net;
	apnas_error err;
	apnas_layer_cost t;
	apnas_net_init(&net);
	ck_assert_msg(apnas_topology_load(topology, &net, &err) == 0, "%s",
	              err.msg);
	ck_assert_msg(apnas_systolic_net(&a, &net, &t, NULL, &err) == 0, "%s",
	              err.msg);
	apnas_net_free(&net);
	return t.cycles;
}

/* The header every --format csv output of the systolic models has: one
 * column per metric, named as the cost model declares it. */
#define CSV_HEAD "layer,type,macs,params,cycles,mapping_efficiency," \
                 "utilization,ifmap_sram_reads,filter_sram_reads," \
                 "ofmap_sram_writes,ifmap_dram_reads,filter_dram_reads," \
                 "ofmap_dram_writes,dram_bytes,stall_cycles," \
                 "latency_cycles,energy_pj,edp\n"

/* Field `col` (0-based) of the comma-separated line at s into buf. */
static void csv_field(const char *s, int col, char *buf, size_t cap)
{
	for (int i = 0; i < col; i++) {
		s = strpbrk(s, ",\n");
		ck_assert_msg(s && *s == ',', "line has no field %d", col);
		s++;
	}
	size_t n = strcspn(s, ",\n");
	ck_assert_uint_lt(n, cap);
	memcpy(buf, s, n);
	buf[n] = '\0';
}

/* The index of column `name` in the header of --format csv output. */
static int csv_col(const char *out, const char *name)
{
	const char *h = strstr(out, "\nlayer,");
	h = h ? h + 1 : strncmp(out, "layer,", 6) == 0 ? out : NULL;
	ck_assert_msg(h != NULL, "no header in: %s", out);
	for (int c = 0;; c++) {
		char f[64];
		csv_field(h, c, f, sizeof f);
		if (strcmp(f, name) == 0)
			return c;
	}
}

/* Metric `name` of the row of layer `row` ("total" for the network). */
static double csv_value(const char *out, const char *row, const char *name)
{
	char key[128];
	snprintf(key, sizeof key, "\n%s,", row);
	const char *r = strstr(out, key);
	ck_assert_msg(r != NULL, "no row %s in: %s", row, out);
	char f[64];
	csv_field(r + 1, csv_col(out, name), f, sizeof f);
	char *end;
	double v = strtod(f, &end);
	ck_assert_msg(f[0] && *end == '\0', "row %s, %s: '%s'", row, name, f);
	return v;
}

/* The cycles of the "total" row of --format csv output. */
static uint64_t csv_total(void)
{
	const char *o = slurp(out_path);
	ck_assert_msg(strstr(o, CSV_HEAD), "header is not %s in: %s", CSV_HEAD,
	              o);
	return (uint64_t)csv_value(o, "total", "cycles");
}

static void one_line_error(const char *w1, const char *w2)
{
	char *e = slurp(err_path);
	ck_assert_msg(strncmp(e, "apnas: ", 7) == 0, "stderr: %s", e);
	ck_assert_msg(strchr(e, '\n') == e + strlen(e) - 1,
	              "expected one line on stderr, got: %s", e);
	ck_assert_msg(strstr(e, w1) && strstr(e, w2), "stderr '%s' lacks '%s' "
	              "or '%s'", e, w1, w2);
}

#define RESNET COST_BENCH_DATA "/resnet50.csv"
#define SMALL "Layer name, IFMAP Height, IFMAP Width, Filter Height, " \
              "Filter Width, Channels, Num Filter, Strides,\n"            \
              "c1,10,10,3,3,3,8,1,\nc2,8,8,3,3,8,4,2,\nfc,1,1,1,1,36,10,1,\n"

START_TEST(default_model_prints_the_model_total)
{
	ck_assert_int_eq(run("cost --topology '" RESNET "'"), 0);
	char *o = slurp(out_path);
	/* The table's columns are the metrics, named as declared; the
	 * total row's cycles sit under "cycles". */
	const char *head = strstr(o, "\nlayer ");
	ck_assert_msg(head != NULL, "no header in:\n%s", o);
	static const char *const cols[] = {"layer", "type", "macs", "params",
	                                   "cycles", "mapping_efficiency",
	                                   "utilization"};
	const char *p = head + 1;
	int cyc_col = -1;
	for (int c = 0; c < 7; c++) {
		p += strspn(p, " ");
		size_t n = strcspn(p, " \n");
		ck_assert_msg(n == strlen(cols[c]) &&
		              strncmp(p, cols[c], n) == 0,
		              "column %d of the header is not %s:\n%s", c,
		              cols[c], o);
		if (strcmp(cols[c], "cycles") == 0)
			cyc_col = c;
		p += n;
	}
	const char *total = strstr(o, "\ntotal ");
	ck_assert_msg(total != NULL, "no total row in:\n%s", o);
	/* The total row has no type: cycles is its (cyc_col - 1)th number. */
	p = total + 1 + strlen("total");
	unsigned long long got = 0;
	for (int c = 1; c < cyc_col; c++) {
		char *end;
		got = strtoull(p, &end, 10);
		ck_assert_msg(end != p, "short total row:\n%s", o);
		p = end;
	}
	ck_assert_uint_eq(got, model_total(RESNET, (apnas_array){32, 32,
	                                                        APNAS_DF_OS}));
	ck_assert_ptr_nonnull(strstr(o, "res5c_branch2c"));
}
END_TEST

START_TEST(sets_choose_the_array)
{
	ck_assert_int_eq(run("cost --topology '" RESNET "' --set cost.rows=16 "
	                     "--set cost.cols=8 --set cost.dataflow=ws "
	                     "--format csv"), 0);
	ck_assert_uint_eq(csv_total(), model_total(RESNET, (apnas_array){
	                                   16, 8, APNAS_DF_WS}));
}
END_TEST

START_TEST(the_simulator_can_be_selected)
{
	char path[4200];
	write_file("small.csv", SMALL);
	snprintf(path, sizeof path, "%s/small.csv", dir);
	ck_assert_int_eq(run("cost --topology small.csv --set cost.plugin="
	                     "systolic_sim --set cost.rows=8 --set cost.cols=4 "
	                     "--set cost.dataflow=is --format json"), 0);
	char want[64];
	snprintf(want, sizeof want, "\"cycles\": %llu,",
	         (unsigned long long)model_total(path, (apnas_array){
	             8, 4, APNAS_DF_IS}));
	char *o = slurp(out_path);
	char *total = strstr(o, "\"total\": {");
	ck_assert_msg(total && strstr(total, want), "no total with '%s' in %s",
	              want, o);
	ck_assert_ptr_nonnull(strstr(o, "\"cost_model\": \"systolic_sim\""));
	ck_assert_ptr_nonnull(strstr(o, "\"hardware\": \"8x4 is, 64/64/64 kB, "
	                                "1 B/word\""));
	ck_assert_ptr_nonnull(strstr(o, "\"metrics\": [{\"name\":\"accuracy\""));
	ck_assert_ptr_nonnull(strstr(o, "{\"name\":\"cycles\",\"unit\":"
	                                "\"cycles\",\"goal\":\"min\""));
}
END_TEST

START_TEST(scalesim_config_sets_the_array_and_set_wins)
{
	char path[4200];
	write_file("small.csv", SMALL);
	write_file("g.cfg", "[general]\nrun_name = g\n[architecture_presets]\n"
	                    "ArrayHeight: 16\nArrayWidth: 8\nOfmapSramSzkB: 64"
	                    "\nDataflow: is\n");
	snprintf(path, sizeof path, "%s/small.csv", dir);
	ck_assert_int_eq(run("cost --topology small.csv --scalesim-config g.cfg"
	                     " --format csv"), 0);
	ck_assert_uint_eq(csv_total(), model_total(path, (apnas_array){
	                                   16, 8, APNAS_DF_IS}));
	char *e = slurp(err_path);
	/* run_name changes nothing; the SRAM size is the memory model's */
	ck_assert_msg(strstr(e, "note:") && strstr(e, "run_name") &&
	              !strstr(e, "OfmapSramSzkB"),
	              "no note on ignored keys, or the SRAM one in it: %s", e);
	ck_assert_int_eq(run("cost --topology small.csv --scalesim-config g.cfg"
	                     " --format json"), 0);
	ck_assert_ptr_nonnull(strstr(slurp(out_path),
	                             "\"ofmap_sram_kb\": 64,"));
	ck_assert_int_eq(run("cost --topology small.csv --scalesim-config g.cfg"
	                     " --set cost.rows=4 --format csv"), 0);
	ck_assert_uint_eq(csv_total(), model_total(path, (apnas_array){
	                                   4, 8, APNAS_DF_IS}));
}
END_TEST

START_TEST(export_reads_back_to_the_same_total)
{
	char path[4200];
	write_file("small.csv", SMALL);
	snprintf(path, sizeof path, "%s/out.csv", dir);
	unlink(path);
	ck_assert_int_eq(run("cost --topology small.csv --export-topology "
	                     "out.csv --format csv"), 0);
	uint64_t printed = csv_total();
	ck_assert_uint_eq(model_total(path, (apnas_array){32, 32, APNAS_DF_OS}),
	                  printed);
}
END_TEST

/* Every layer row of --format csv against the model, and the total row
 * the sum of the layers' cycles. */
START_TEST(csv_rows_are_the_models_layers)
{
	char path[4200];
	write_file("small.csv", SMALL);
	snprintf(path, sizeof path, "%s/small.csv", dir);
	ck_assert_int_eq(run("cost --topology small.csv --set cost.rows=4 "
	                     "--set cost.cols=4 --format csv"), 0);
	const char *o = slurp(out_path);
	ck_assert_msg(strstr(o, CSV_HEAD), "header is not %s in: %s", CSV_HEAD,
	              o);
	apnas_net net;
	apnas_error err;
	apnas_layer_cost t, per[3];
	apnas_net_init(&net);
	ck_assert_msg(apnas_topology_load(path, &net, &err) == 0, "%s",
	              err.msg);
	ck_assert_uint_eq(net.n, 3);
	apnas_array a = {4, 4, APNAS_DF_OS};
	ck_assert_int_eq(apnas_systolic_net(&a, &net, &t, per, &err), 0);
	double sum = 0;
	for (size_t i = 0; i < net.n; i++) {
		const char *name = net.layers[i].name;
		double c = csv_value(o, name, "cycles");
		ck_assert_double_eq(c, (double)per[i].cycles);
		ck_assert_double_eq(csv_value(o, name, "macs"),
		                    (double)apnas_layer_macs(&net.layers[i]));
		ck_assert_double_eq(csv_value(o, name, "params"),
		                    (double)apnas_layer_params(&net.layers[i]));
		ck_assert(fabs(csv_value(o, name, "mapping_efficiency") -
		               per[i].mapping_eff) <= 1e-9 * per[i].mapping_eff);
		ck_assert(fabs(csv_value(o, name, "utilization") -
		               per[i].utilization) <= 1e-9 * per[i].utilization);
		sum += c;
	}
	ck_assert_double_eq(csv_value(o, "total", "cycles"), sum);
	ck_assert_double_eq(csv_value(o, "total", "cycles"), (double)t.cycles);
	ck_assert_double_eq(csv_value(o, "total", "macs"),
	                    (double)apnas_net_macs(&net));
	ck_assert(fabs(csv_value(o, "total", "utilization") - t.utilization)
	          <= 1e-9 * t.utilization);
	ck_assert(fabs(csv_value(o, "total", "mapping_efficiency") -
	               t.mapping_eff) <= 1e-9 * t.mapping_eff);
	apnas_net_free(&net);
}
END_TEST

START_TEST(bad_input_exits_2_with_one_line)
{
	write_file("small.csv", SMALL);
	write_file("bad.csv", "Layer name, IFMAP Height, IFMAP Width, Filter "
	                      "Height, Filter Width, Channels, Num Filter, "
	                      "Strides,\nc1,10,10,3,3,3,8,1,\nc2,8,8,3,3,8,4,0,"
	                      "\n");
	ck_assert_int_eq(run("cost --topology bad.csv"), 2);
	one_line_error("bad.csv:3:16:", "Strides");
	ck_assert_int_eq(run("cost --topology small.csv --set cost.rows=0"), 2);
	one_line_error("rows", "0");
	ck_assert_int_eq(run("cost --topology small.csv --set cost.cols=0"), 2);
	one_line_error("cols", "0");
	ck_assert_int_eq(run("cost --topology small.csv --set "
	                     "cost.dataflow=xs"), 2);
	one_line_error("dataflow", "xs");
	ck_assert_int_eq(run("cost --topology missing.csv"), 2);
	one_line_error("missing.csv", "cannot open");
	ck_assert_int_eq(run("cost"), 2);
	one_line_error("--topology", "expected");
	ck_assert_int_eq(run("cost --topology small.csv --format xml"), 2);
	one_line_error("xml", "table, csv or json");
	write_file("bad.cfg", "[architecture_presets]\nArrayHeight: 8\n"
	                      "ArrayWidth: 0\nDataflow: os\n");
	ck_assert_int_eq(run("cost --topology small.csv --scalesim-config "
	                     "bad.cfg"), 2);
	one_line_error("bad.cfg:3:13:", "ArrayWidth");
	ck_assert_int_eq(run("cost --topology small.csv --set cost.plugin="
	                     "systolic_sim --set cost.max_pe_cycles=100"), 2);
	one_line_error("layer c1", "max_pe_cycles");
}
END_TEST

START_TEST(help_has_an_example)
{
	ck_assert_int_eq(run("cost --help"), 0);
	char *o = slurp(out_path);
	ck_assert_ptr_nonnull(strstr(o, "usage: apnas cost"));
	ck_assert_ptr_nonnull(strstr(o, "example:"));
}
END_TEST

static void cleanup(void)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

int main(void)
{
	if (access(APNAS_EXE, X_OK) != 0) {
		fprintf(stderr, "\n*** SKIP: %s is not built; `apnas cost` NOT "
		        "tested ***\n\n", APNAS_EXE);
		return 77;
	}
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(out_path, sizeof out_path, "%s/stdout", dir);
	snprintf(err_path, sizeof err_path, "%s/stderr", dir);
	Suite *s = suite_create("cost_cli");
	TCase *tc = tcase_create("cli");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, default_model_prints_the_model_total);
	tcase_add_test(tc, sets_choose_the_array);
	tcase_add_test(tc, the_simulator_can_be_selected);
	tcase_add_test(tc, scalesim_config_sets_the_array_and_set_wins);
	tcase_add_test(tc, export_reads_back_to_the_same_total);
	tcase_add_test(tc, csv_rows_are_the_models_layers);
	tcase_add_test(tc, bad_input_exits_2_with_one_line);
	tcase_add_test(tc, help_has_an_example);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
