/* SCALE-Sim topology files and configs: what is read, what each kind of
 * bad row is refused with (file:line:column and what was expected), and
 * that a network written out and read back costs the same. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cost_harness.h"
#include "hw/scalesim_cfg.h"
#include "hw/topology.h"

#define HDR "Layer name, IFMAP Height, IFMAP Width, Filter Height, " \
            "Filter Width, Channels, Num Filter, Strides,\n"

static int parse(const char *text, apnas_net *net, apnas_error *err)
{
	apnas_net_init(net);
	apnas_error_clear(err);
	return apnas_topology_parse(text, strlen(text), "t.csv", net, err);
}

static apnas_layer_cost total_of(const apnas_net *net, const apnas_array *a)
{
	apnas_layer_cost t;
	apnas_error err;
	ck_assert_msg(apnas_systolic_net(a, net, &t, NULL, &err) == 0, "%s",
	              err.msg);
	return t;
}

START_TEST(reads_scalesim_rows)
{
	apnas_net net;
	apnas_error err;
	const char *text =
	    HDR
	    "\n"
	    "Conv1, 224, 224, 7, 7, 3, 64, 2,\n"
	    "\tConv2_dw, 112, 112, 3, 3, 1, 1, 1,#dw\r\n"
	    "Conv3,46,46,5,5,8,16,2\n"          /* no trailing comma */
	    ",,,,,,,,\n"                        /* all-empty row */
	    "# a comment line\n"
	    "Rect,30,20,3,1,4,5,1,1,\n";        /* stride width column */
	ck_assert_msg(parse(text, &net, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(net.n, 4);
	apnas_layer *l = net.layers;
	ck_assert_str_eq(l[0].name, "Conv1");
	ck_assert_int_eq(l[0].type, APNAS_LAYER_CONV);
	ck_assert_int_eq(l[0].in.c, 3);
	ck_assert_int_eq(l[0].in.h, 224);
	ck_assert_int_eq(l[0].out.c, 64);
	ck_assert_int_eq(l[0].out.h, 110); /* ceil(217 / 2) + 1 */
	ck_assert_int_eq(l[0].stride, 2);
	ck_assert_int_eq(l[0].pad_h, 0);
	ck_assert_str_eq(l[1].name, "Conv2_dw");
	ck_assert_int_eq(l[1].out.h, 110);
	/* systolic.md's example of the ceiling: H 46, F 5, s 2 gives 22. */
	ck_assert_int_eq(l[2].out.h, 22);
	ck_assert_int_eq(l[3].out.h, 28);
	ck_assert_int_eq(l[3].out.w, 20);
	ck_assert_int_eq(l[3].kw, 1);
	apnas_net_free(&net);
}
END_TEST

START_TEST(dp_rows_split_by_channel_like_scalesim)
{
	apnas_net net;
	apnas_error err;
	ck_assert_int_eq(parse(HDR "ConvDP1,10,10,3,3,3,2,1,\n", &net, &err), 0);
	ck_assert_uint_eq(net.n, 3);
	ck_assert_str_eq(net.layers[0].name, "ConvDP1Channel_0");
	ck_assert_str_eq(net.layers[2].name, "ConvDP1Channel_2");
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(net.layers[i].in.c, 1);
		ck_assert_int_eq(net.layers[i].out.c, 2);
	}
	apnas_net_free(&net);
}
END_TEST

/* A topology whose row 3 is `row` must be refused at column col with a
 * message holding the words given. */
static void refused(const char *row, int line_no, int col, const char *w1,
                    const char *w2)
{
	char text[1024], where[64];
	apnas_net net;
	apnas_error err;
	snprintf(text, sizeof text, HDR "ok,8,8,3,3,1,1,1,\n%s\n", row);
	ck_assert_int_eq(parse(text, &net, &err), APNAS_EINVAL);
	snprintf(where, sizeof where, "t.csv:%d:%d: ", line_no, col);
	ck_assert_msg(!strncmp(err.msg, where, strlen(where)),
	              "'%s' does not start with '%s'", err.msg, where);
	ck_assert_int_eq(err.line, line_no);
	ch_assert_msg(&err, w1, w2, NULL);
	apnas_net_free(&net);
}

START_TEST(bad_rows_are_refused_where_they_are)
{
	refused("c,8,8,3,3,1,1", 3, 14, "expected 8 fields", "got 7");
	refused("c,8,8,3,3,1,1,,", 3, 14, "expected 8 fields", "got 7");
	refused("c,8,8,x3,3,1,1,1,", 3, 7, "Filter Height",
	        "expected a positive integer, got 'x3'");
	refused("c,8,8,3,3,1.5,1,1,", 3, 11, "Channels", "got '1.5'");
	refused("c,8,,3,3,1,1,1,", 3, 5, "IFMAP Width", "empty field");
	refused("c, 8, 0, 3, 3, 1, 1, 1,", 3, 7, "IFMAP Width",
	        "positive integer (>= 1), got 0");
	refused("c,8,8,3,3,1,-4,1,", 3, 13, "Num Filter", "got -4");
	refused("c,8,8,3,3,1,1,0,", 3, 15, "Strides", "got 0");
	refused("c,8,8,3,3,1,1,99999999999,", 3, 15, "Strides",
	        "up to 2147483647");
	refused("c,4,8,5,3,1,1,1,", 3, 7, "Filter Height 5 larger than IFMAP "
	        "Height 4", "include the padding");
	refused("c,8,2,3,3,1,1,1,", 3, 9, "Filter Width 3 larger than IFMAP "
	        "Width 2", "expected");
	refused("c,8,8,3,3,1,1,2,1,", 3, 17, "Stride width 1 differs",
	        "expected one stride");
	refused("c,8,8,3,3,1,1,1,1,7,", 3, 19, "unexpected field '7'",
	        "at most 9");
	refused(",8,8,3,3,1,1,1,", 3, 1, "Layer name", "expected a name");
	refused("ok,8,8,3,3,1,1,1,", 3, 1, "duplicate layer name 'ok'",
	        "first on line 2");
	refused("a_name_that_is_much_longer_than_sixty_three_characters_"
	        "for_sure_yes,8,8,3,3,1,1,1,", 3, 1, "Layer name",
	        "at most 63");
}
END_TEST

START_TEST(whole_file_errors)
{
	apnas_net net;
	apnas_error err;
	ck_assert_int_eq(parse("", &net, &err), APNAS_EINVAL);
	ch_assert_msg(&err, "t.csv", "expected a header line", "no text", NULL);
	apnas_net_free(&net);
	ck_assert_int_eq(parse(HDR "\n\n", &net, &err), APNAS_EINVAL);
	ch_assert_msg(&err, "t.csv", "only the header", NULL);
	apnas_net_free(&net);
	ck_assert_int_eq(parse("c1,8,8,3,3,1,1,1,\nc2,8,8,3,3,1,1,1,\n", &net,
	                       &err), APNAS_EINVAL);
	ch_assert_msg(&err, "t.csv:1:1:", "expected the header line", NULL);
	apnas_net_free(&net);
	apnas_net_init(&net);
	ck_assert_int_eq(apnas_topology_load("/nonexistent/x.csv", &net, &err),
	                 APNAS_EIO);
	ch_assert_msg(&err, "/nonexistent/x.csv", "cannot open", NULL);
	apnas_net_free(&net);
}
END_TEST

static void same_layers(const apnas_net *a, const apnas_net *b)
{
	ck_assert_uint_eq(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		const apnas_layer *x = &a->layers[i], *y = &b->layers[i];
		ck_assert_str_eq(x->name, y->name);
		ck_assert_int_eq(x->type, y->type);
		ck_assert_mem_eq(&x->in, &y->in, sizeof x->in);
		ck_assert_mem_eq(&x->out, &y->out, sizeof x->out);
		ck_assert_int_eq(x->kh, y->kh);
		ck_assert_int_eq(x->kw, y->kw);
		ck_assert_int_eq(x->stride, y->stride);
		ck_assert_int_eq(x->pad_h, y->pad_h);
		ck_assert_int_eq(x->pad_w, y->pad_w);
	}
}

static void save_and_load(const apnas_net *net, apnas_net *back)
{
	char path[] = "/tmp/apnas-cost-topoXXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	apnas_error err;
	ck_assert_msg(apnas_topology_save(path, net, &err) == 0, "%s", err.msg);
	apnas_net_init(back);
	ck_assert_msg(apnas_topology_load(path, back, &err) == 0, "%s", err.msg);
	unlink(path);
}

/* Issue 17, item 4: a 40-byte file with a depthwise row of 10^9
 * channels is refused before it is expanded, naming the number and the
 * limit; a topology of as many rows as the limit reads (the duplicate
 * check is hashed: quadratic, 200,000 rows took minutes), one more row is
 * refused with the limit. */
START_TEST(topology_limits_refused_before_expansion)
{
	apnas_net net;
	apnas_error err;
	ck_assert_int_eq(parse(HDR "DP1,3,3,3,3,1000000000,1,1,\n", &net, &err),
	                 APNAS_EINVAL);
	char lim[32];
	snprintf(lim, sizeof lim, "%d", APNAS_TOPOLOGY_MAX_DP_CHANNELS);
	ck_assert_msg(strstr(err.msg, "t.csv:2:") &&
	              strstr(err.msg, "1000000000") && strstr(err.msg, lim),
	              "%s", err.msg);
	ck_assert_uint_eq(net.n, 0);
	apnas_net_free(&net);

	size_t rows = APNAS_TOPOLOGY_MAX_LAYERS;
	size_t cap = strlen(HDR) + (rows + 1) * 40;
	char *text = malloc(cap);
	size_t o = (size_t)snprintf(text, cap, "%s", HDR);
	for (size_t i = 0; i < rows; i++)
		o += (size_t)snprintf(text + o, cap - o, "c%zu,3,3,1,1,1,1,1,\n",
		                      i);
	ck_assert_msg(parse(text, &net, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(net.n, rows);
	apnas_net_free(&net);
	/* the same name twice, far apart, is still found */
	o += (size_t)snprintf(text + o, cap - o, "c7,3,3,1,1,1,1,1,\n");
	ck_assert_int_eq(parse(text, &net, &err), APNAS_EINVAL);
	ck_assert_msg(strstr(err.msg, "duplicate layer name 'c7' (first on "
	                     "line 9)"), "%s", err.msg);
	apnas_net_free(&net);
	/* one row past the limit */
	text[o - strlen("c7,3,3,1,1,1,1,1,\n")] = '\0';
	o = strlen(text);
	snprintf(text + o, cap - o, "extra,3,3,1,1,1,1,1,\n");
	ck_assert_int_eq(parse(text, &net, &err), APNAS_EINVAL);
	snprintf(lim, sizeof lim, "%d", APNAS_TOPOLOGY_MAX_LAYERS);
	ck_assert_msg(strstr(err.msg, lim), "%s", err.msg);
	apnas_net_free(&net);
	/* a depthwise row that would pass the layer limit with the rows
	 * before it */
	text[o] = '\0';
	snprintf(text + o, cap - o, "DPx,3,3,3,3,2,1,1,\n");
	ck_assert_int_eq(parse(text, &net, &err), APNAS_EINVAL);
	ck_assert_msg(strstr(err.msg, "DP") && strstr(err.msg, lim), "%s",
	              err.msg);
	apnas_net_free(&net);
	free(text);
}
END_TEST

/* Issue 17, item 8: names the export must clean ("a\tb" and "a_b" both
 * become "a_b") stay unique, so the file reads back. */
START_TEST(topology_export_names_read_back)
{
	apnas_net net, back;
	apnas_net_init(&net);
	apnas_error err;
	apnas_shape in = {4, 8, 8};
	const char *names[] = {"a\tb", "a_b", "a_b_2", "a,b", "x#DP", "x#Dp"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		ck_assert_msg(apnas_net_conv(&net, names[i], in, 4, 3, 1, 1,
		                             &err) == 0, "%s", err.msg);
	save_and_load(&net, &back);
	ck_assert_uint_eq(back.n, net.n);
	for (size_t i = 0; i < back.n; i++)
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(back.layers[i].name, back.layers[j].name);
	/* the first of the alike names keeps the cleaned name, a later one
	 * gets a suffix */
	ck_assert_str_eq(back.layers[0].name, "a_b");
	ck_assert_str_eq(back.layers[1].name, "a_b_2");
	apnas_net_free(&net);
	apnas_net_free(&back);
}
END_TEST

START_TEST(a_topology_round_trips_unchanged)
{
	char path[4096];
	apnas_net net, back;
	apnas_error err;
	snprintf(path, sizeof path, "%s/resnet50.csv", COST_BENCH_DATA);
	apnas_net_init(&net);
	ck_assert_msg(apnas_topology_load(path, &net, &err) == 0, "%s", err.msg);
	ck_assert_uint_ge(net.n, 50);
	/* Add SCALE-Sim partial windows, which must survive too. */
	ck_assert_int_eq(apnas_topology_parse(HDR "edge,46,47,5,4,3,6,2,\n",
	                                      strlen(HDR) + 22, "x", &net,
	                                      &err), 0);
	save_and_load(&net, &back);
	same_layers(&net, &back);
	for (int df = APNAS_DF_OS; df <= APNAS_DF_IS; df++) {
		apnas_array a = {32, 16, (apnas_dataflow)df};
		ck_assert_uint_eq(total_of(&net, &a).cycles,
		                  total_of(&back, &a).cycles);
	}
	apnas_net_free(&net);
	apnas_net_free(&back);
}
END_TEST

START_TEST(an_apnas_network_exports_to_the_same_total)
{
	apnas_net net, back;
	apnas_error err;
	apnas_net_init(&net);
	apnas_shape x = {3, 32, 32};
	ck_assert_int_eq(apnas_net_conv(&net, "stem", x, 16, 3, 2, 1, &err), 0);
	x = net.layers[0].out;  /* 16x16: (34 - 3) / 2 floors */
	ck_assert_int_eq(apnas_net_pool(&net, "pool", APNAS_LAYER_MAXPOOL, x, 3,
	                                2, 1, &err), 0);
	x = net.layers[1].out;
	ck_assert_int_eq(apnas_net_dwconv(&net, "b1.dw,DP", x, 5, 2, 2, &err),
	                 0);
	x = net.layers[2].out;
	ck_assert_int_eq(apnas_net_conv(&net, "b1.pw", x, 24, 1, 1, 0, &err), 0);
	x = net.layers[3].out;
	ck_assert_int_eq(apnas_net_add_op(&net, "b1.add", x, 2, &err), 0);
	ck_assert_int_eq(apnas_net_conv(&net, "b2.conv7", x, 8, 7, 1, 3, &err),
	                 0);
	x = net.layers[5].out;
	ck_assert_int_eq(apnas_net_concat(&net, "cat", x, 2, 16, &err), 0);
	ck_assert_int_eq(apnas_net_gpool(&net, "gap", net.layers[6].out, &err),
	                 0);
	ck_assert_int_eq(apnas_net_fc(&net, "fc", net.layers[7].out, 10, &err),
	                 0);
	save_and_load(&net, &back);
	/* conv, 16 depthwise rows, pointwise, conv7, fc; no pool, add, cat */
	ck_assert_uint_eq(back.n, 1 + 16 + 1 + 1 + 1);
	/* ',' cannot be in a field; "DP" stays: one channel per row. */
	ck_assert_str_eq(back.layers[1].name, "b1.dw_DP_ch0");
	ck_assert_int_eq(back.layers[0].in.h, 33); /* (16 - 1) * 2 + 3 */
	ck_assert_int_eq(back.layers[0].out.h, 16);
	ck_assert_int_eq(back.layers[19].in.c, 16);
	/* A many-channel conv named "DP" must not be split by SCALE-Sim. */
	apnas_net dp;
	apnas_net_init(&dp);
	ck_assert_int_eq(apnas_net_conv(&dp, "xDPy", (apnas_shape){4, 5, 5}, 2,
	                                3, 1, 0, &err), 0);
	apnas_net dp_back;
	save_and_load(&dp, &dp_back);
	ck_assert_uint_eq(dp_back.n, 1);
	ck_assert_str_eq(dp_back.layers[0].name, "xDpy");
	apnas_net_free(&dp);
	apnas_net_free(&dp_back);
	for (int df = APNAS_DF_OS; df <= APNAS_DF_IS; df++) {
		for (int shape = 0; shape < 3; shape++) {
			apnas_array a = {shape == 1 ? 1 : 8, shape == 2 ? 3 : 8,
			                 (apnas_dataflow)df};
			apnas_layer_cost t1 = total_of(&net, &a);
			apnas_layer_cost t2 = total_of(&back, &a);
			ck_assert_uint_eq(t1.cycles, t2.cycles);
			ck_assert_uint_eq(t1.macs, t2.macs);
		}
	}
	apnas_net_free(&net);
	apnas_net_free(&back);
}
END_TEST

START_TEST(export_refuses_bad_layers)
{
	apnas_net net;
	apnas_error err;
	apnas_net_init(&net);
	ck_assert_int_eq(apnas_net_conv(&net, "c", (apnas_shape){1, 4, 4}, 1, 3,
	                                1, 1, &err), 0);
	net.layers[0].stride = 0;
	char path[] = "/tmp/apnas-cost-badXXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(apnas_topology_save(path, &net, &err), APNAS_EINVAL);
	ch_assert_msg(&err, "layer c", "stride 0", NULL);
	/* The file it would have replaced is left as it was. */
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fgetc(f), EOF);
	fclose(f);
	unlink(path);
	apnas_net_free(&net);
}
END_TEST

static int cfg(const char *text, apnas_scalesim_cfg *c, apnas_error *err)
{
	apnas_error_clear(err);
	return apnas_scalesim_cfg_parse(text, strlen(text), "s.cfg", c, err);
}

START_TEST(scalesim_config_gives_the_array)
{
	apnas_scalesim_cfg c;
	apnas_error err;
	const char *good =
	    "[general]\nrun_name = google\n\n"
	    "[architecture_presets]\n"
	    "ArrayHeight:    128\n"
	    "arraywidth = 64\n"
	    "IfmapSramSzkB:    6144\n"
	    "; a comment\n"
	    "Dataflow : ws\n"
	    "[run_presets]\nInterfaceBandwidth: CALC\n";
	ck_assert_msg(cfg(good, &c, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(c.array.rows, 128);
	ck_assert_int_eq(c.array.cols, 64);
	ck_assert_int_eq(c.array.dataflow, APNAS_DF_WS);
	/* the memory keys feed the memory model; run_name changes nothing */
	ck_assert_int_eq(c.n_ignored, 1);
	ck_assert_ptr_null(strstr(c.ignored, "IfmapSramSzkB"));
	ck_assert_ptr_nonnull(strstr(c.ignored, "run_name"));
	ck_assert_int_eq(c.mem.ifmap_kb, 6144);
	ck_assert_int_eq(c.mem_keys, 2);
}
END_TEST

static void cfg_refused(const char *body, const char *where, const char *w1,
                        const char *w2)
{
	char text[512];
	apnas_scalesim_cfg c;
	apnas_error err;
	snprintf(text, sizeof text, "[architecture_presets]\n%s", body);
	ck_assert_int_eq(cfg(text, &c, &err), APNAS_EINVAL);
	ch_assert_msg(&err, where, w1, w2, NULL);
}

START_TEST(bad_scalesim_configs_are_refused)
{
	cfg_refused("ArrayHeight: 0\nArrayWidth: 8\nDataflow: os\n",
	            "s.cfg:2:14:", "ArrayHeight", "got '0'");
	cfg_refused("ArrayHeight: 8\nArrayWidth: eight\nDataflow: os\n",
	            "s.cfg:3:13:", "ArrayWidth", "positive integer");
	cfg_refused("ArrayHeight: 8\nArrayWidth: 8\nDataflow: xs\n",
	            "s.cfg:4:11:", "Dataflow", "os, ws or is, got 'xs'");
	cfg_refused("ArrayHeight: 8\nArrayWidth: 8\n", "s.cfg:", "no Dataflow",
	            "expected");
	cfg_refused("ArrayHeight: 8\nArrayHeight: 9\n", "s.cfg:3:1:",
	            "given twice", "first on line 2");
	cfg_refused("just words\n", "s.cfg:2:1:", "expected 'key: value'", "");
	/* Keys outside [architecture_presets] do not count. */
	apnas_scalesim_cfg c;
	apnas_error err;
	ck_assert_int_eq(cfg("[general]\nArrayHeight: 8\nArrayWidth: 8\n"
	                     "Dataflow: os\n", &c, &err), APNAS_EINVAL);
	ch_assert_msg(&err, "no ArrayHeight", NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cost_topology");
	TCase *tc = tcase_create("topology");
	tcase_add_test(tc, reads_scalesim_rows);
	tcase_add_test(tc, dp_rows_split_by_channel_like_scalesim);
	tcase_add_test(tc, bad_rows_are_refused_where_they_are);
	tcase_add_test(tc, whole_file_errors);
	tcase_add_test(tc, a_topology_round_trips_unchanged);
	tcase_add_test(tc, topology_limits_refused_before_expansion);
	tcase_add_test(tc, topology_export_names_read_back);
	tcase_add_test(tc, an_apnas_network_exports_to_the_same_total);
	tcase_add_test(tc, export_refuses_bad_layers);
	tcase_add_test(tc, scalesim_config_gives_the_array);
	tcase_add_test(tc, bad_scalesim_configs_are_refused);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
