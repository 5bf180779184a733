/* Co-search (core/cosearch, plugins/cost/array_search.c): the array cost
 * models turn their search_* options into hardware decisions; no sampled
 * choice breaks the budgets; the instance a token list chooses costs
 * exactly what the same plugin configured by hand with that hardware
 * costs; the hardware section of an architecture file reads back to the
 * same tokens; bad budgets are refused with one line naming the option. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apnas/rng.h>

#include "cost_harness.h"
#include "archfile.h"
#include "cosearch/hwset.h"

static const char *const co_set[] = {
	"search_pe_budget=256", "search_sram_kb_budget=192", "bandwidth=8",
};

/* A small network whose cost depends on the shape, dataflow and buffers:
 * a 3x3 conv, a depthwise conv, a 1x1 conv and a classifier. */
static void small_net(apnas_net *net)
{
	apnas_error e;
	apnas_net_init(net);
	apnas_shape in = {1, 28, 28};
	ck_assert(!apnas_net_conv(net, "c0", in, 24, 3, 1, 1, &e));
	apnas_shape a = net->layers[0].out;
	ck_assert(!apnas_net_dwconv(net, "d1", a, 5, 2, 2, &e));
	apnas_shape b = net->layers[1].out;
	ck_assert(!apnas_net_conv(net, "c2", b, 40, 1, 1, 0, &e));
	ck_assert(!apnas_net_fc(net, "fc", net->layers[2].out, 10, &e));
}

static void open_set(ch_plugin *p, apnas_hwset *h, const char *name)
{
	apnas_error e;
	ck_assert_msg(ch_open(p, name, co_set, 3, &e) == 0, "%s", e.msg);
	ck_assert_msg(apnas_hwset_init(h, apnas_plugin_instance(p->h), name, 1,
	                               1, &e) == 0, "%s", e.msg);
}

/* The settings a section gives, parsed back as a person would read it. */
static long section_int(const char *text, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof pat, "option %s = ", key);
	const char *p = strstr(text, pat);
	ck_assert_msg(p != NULL, "no %s in:\n%s", key, text);
	return strtol(p + strlen(pat), NULL, 10);
}

START_TEST(decisions_follow_the_options)
{
	ch_plugin p;
	apnas_hwset h;
	open_set(&p, &h, "systolic");
	/* 256 PEs: 4x64 .. 64x4 (both sides >= 4); three dataflows; 192 kB
	 * in eighths, each buffer at least one: C(7, 2) = 21 splits. */
	ck_assert_uint_eq(h.nd, 3);
	ck_assert_uint_eq(h.n_tok, 3);
	ck_assert_str_eq(h.d[0].name, "shape");
	ck_assert_int_eq(h.d[0].n_choices, 5);
	ck_assert_int_eq(h.d[1].n_choices, 3);
	ck_assert_int_eq(h.d[2].n_choices, 21);
	apnas_decision dec[3];
	apnas_hwset_decisions(&h, dec);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(dec[i].kind, APNAS_DECISION_CHOICE);
		ck_assert_int_eq(dec[i].layer, -1);
	}
	apnas_hwset_free(&h);
	ch_close(&p);

	/* One dataflow is fixed: no token for it, but its setting holds. */
	const char *one[] = {"search_pe_budget=64", "search_dataflows=[\"ws\"]",
	                     "search_shapes=\"8x8, 4x16\""};
	apnas_error e;
	ck_assert_msg(ch_open(&p, "systolic", one, 3, &e) == 0, "%s", e.msg);
	ck_assert(!apnas_hwset_init(&h, apnas_plugin_instance(p.h),
	                            "systolic", 1, 1, &e));
	ck_assert_uint_eq(h.nd, 2);
	ck_assert_uint_eq(h.n_tok, 1);
	int32_t tok = 1;
	char *sec = apnas_hwset_section(&h, &tok);
	ck_assert_ptr_nonnull(strstr(sec, "option dataflow = \"ws\""));
	ck_assert_int_eq(section_int(sec, "rows"), 4);
	ck_assert_int_eq(section_int(sec, "cols"), 16);
	free(sec);
	apnas_hwset_free(&h);
	ch_close(&p);
}
END_TEST

/* Property: no token list the controllers can sample leaves the budgets,
 * and each costs what the plugin configured by hand with its hardware
 * costs, metric for metric. */
static void budgets_and_costs(const char *name, int samples, int compare)
{
	ch_plugin p;
	apnas_hwset h;
	open_set(&p, &h, name);
	apnas_net net;
	small_net(&net);
	apnas_rng r;
	apnas_rng_seed(&r, 7);
	double *v = malloc(p.ms.n * sizeof *v);
	for (int s = 0; s < samples; s++) {
		int32_t hw[3];
		for (int t = 0; t < 3; t++)
			hw[t] = (int32_t)apnas_rng_below(
				&r, (uint64_t)h.d[h.dec_of_tok[t]].n_choices);
		char *sec = apnas_hwset_section(&h, hw);
		long rows = section_int(sec, "rows"), cols = section_int(sec, "cols");
		long i = section_int(sec, "ifmap_sram_kb");
		long f = section_int(sec, "filter_sram_kb");
		long o = section_int(sec, "ofmap_sram_kb");
		ck_assert_int_le(rows * cols, 256);
		ck_assert_int_eq(i + f + o, 192);
		ck_assert(i >= 24 && f >= 24 && o >= 24);
		void *self;
		apnas_error e;
		ck_assert_msg(!apnas_hwset_instance(&h, hw, &self, &e), "%s",
		              e.msg);
		if (s < compare) {
			ck_assert_msg(!apnas_metricset_cost_on(&p.ms, self, &net,
			                                       v, NULL, &e),
			              "%s", e.msg);
			const char *df = h.d[1].labels[hw[1]];
			char set[6][64];
			snprintf(set[0], 64, "rows=%ld", rows);
			snprintf(set[1], 64, "cols=%ld", cols);
			snprintf(set[2], 64, "dataflow=%s", df);
			snprintf(set[3], 64, "ifmap_sram_kb=%ld", i);
			snprintf(set[4], 64, "filter_sram_kb=%ld", f);
			snprintf(set[5], 64, "ofmap_sram_kb=%ld", o);
			const char *sets[7] = {set[0], set[1], set[2], set[3],
			                       set[4], set[5], "bandwidth=8"};
			ch_plugin ref;
			ck_assert_msg(!ch_open(&ref, name, sets, 7, &e), "%s",
			              e.msg);
			double *w = ch_cost_ok(&ref, &net, NULL);
			for (size_t m = 1; m < p.ms.n; m++)
				ck_assert_msg(v[m] == w[m],
				              "%s on %s: %s %.17g, by hand %.17g",
				              name, sec, p.ms.decl[m].name, v[m],
				              w[m]);
			free(w);
			ch_close(&ref);
		}
		free(sec);
	}
	/* one instance per hardware met, never more than the combinations */
	ck_assert_uint_le(h.n_inst, 5 * 3 * 21);
	free(v);
	apnas_net_free(&net);
	apnas_hwset_free(&h);
	ch_close(&p);
}

START_TEST(sampled_hardware_stays_in_budget_and_costs_as_configured)
{
	budgets_and_costs("systolic", 5000, 300);
}
END_TEST

START_TEST(the_simulator_cosearches_the_same_way)
{
	budgets_and_costs("systolic_sim", 40, 40);
}
END_TEST

static char *arch_text(const char *section)
{
	char *t = NULL;
	ck_assert_int_ge(asprintf(&t, "apnas-arch 1\nspace toy\n---\nlayer 0: "
	                          "op 1\n--- hardware\n%s", section), 0);
	return t;
}

START_TEST(hardware_round_trips_through_architecture_files)
{
	ch_plugin p;
	apnas_hwset h;
	open_set(&p, &h, "systolic");
	int32_t hw[3];
	for (hw[0] = 0; hw[0] < 5; hw[0]++)
	for (hw[1] = 0; hw[1] < 3; hw[1]++)
	for (hw[2] = 0; hw[2] < 21; hw[2]++) {
		char *sec = apnas_hwset_section(&h, hw);
		char *text = arch_text(sec);
		apnas_archfile a;
		apnas_error e;
		ck_assert_msg(!apnas_archfile_parse("t.arch", text, strlen(text),
		                                    &a, &e), "%s", e.msg);
		ck_assert_str_eq(a.body, "layer 0: op 1\n");
		ck_assert_str_eq(a.cost, "systolic");
		ck_assert_str_eq(a.hw_settings[0], "cost.plugin=systolic");
		int32_t back[3] = {-1, -1, -1};
		ck_assert_msg(!apnas_hwset_match(&h,
		                                 (const char *const *)a.hw_settings,
		                                 a.n_hw, back, &e), "%s", e.msg);
		ck_assert_mem_eq(back, hw, sizeof hw);
		/* what apnas train copies into its arch.arch reads the same */
		char *again = apnas_archfile_hw_text(&a);
		ck_assert_ptr_nonnull(strstr(sec, "cost systolic\n"));
		ck_assert_ptr_nonnull(again);
		apnas_archfile_free(&a);
		free(again);
		free(text);
		free(sec);
	}
	apnas_hwset_free(&h);
	ch_close(&p);
}
END_TEST

START_TEST(a_person_edits_the_hardware_section)
{
	ch_plugin p;
	apnas_hwset h;
	open_set(&p, &h, "systolic");
	apnas_error e;
	apnas_archfile a;
	/* a bare word and a hex number mean what the config would read */
	char *text = arch_text("cost systolic\n# edited\noption rows = 0x8\n"
	                       "option cols = 32\noption dataflow = ws\n"
	                       "option ifmap_sram_kb = 48\n"
	                       "option filter_sram_kb = 48\n"
	                       "option ofmap_sram_kb = 96\n");
	ck_assert_msg(!apnas_archfile_parse("t.arch", text, strlen(text), &a,
	                                    &e), "%s", e.msg);
	int32_t hw[3];
	ck_assert_msg(!apnas_hwset_match(&h, (const char *const *)a.hw_settings,
	                                 a.n_hw, hw, &e), "%s", e.msg);
	ck_assert_str_eq(h.d[0].labels[hw[0]], "8x32");
	ck_assert_str_eq(h.d[1].labels[hw[1]], "ws");
	ck_assert_str_eq(h.d[2].labels[hw[2]], "48/48/96");
	apnas_archfile_free(&a);
	free(text);
	/* a shape outside the choices is refused naming the decision */
	text = arch_text("cost systolic\noption rows = 12\noption cols = 16\n"
	                 "option dataflow = \"os\"\noption ifmap_sram_kb = 48\n"
	                 "option filter_sram_kb = 48\n"
	                 "option ofmap_sram_kb = 96\n");
	ck_assert(!apnas_archfile_parse("t.arch", text, strlen(text), &a, &e));
	ck_assert_int_eq(apnas_hwset_match(&h,
	                                   (const char *const *)a.hw_settings,
	                                   a.n_hw, hw, &e), APNAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "shape is none of"));
	apnas_archfile_free(&a);
	free(text);
	/* the section's own syntax errors name the file's line */
	text = arch_text("option rows = 8\n");
	ck_assert_int_eq(apnas_archfile_parse("t.arch", text, strlen(text), &a,
	                                      &e), APNAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "t.arch:6:"));
	ck_assert_ptr_nonnull(strstr(e.msg, "'cost <name>' first"));
	free(text);
	apnas_hwset_free(&h);
	ch_close(&p);
}
END_TEST

static void refused(const char *const *set, size_t n, const char *what)
{
	ch_plugin p;
	apnas_error e;
	int rc = ch_open(&p, "systolic", set, n, &e);
	ck_assert_msg(rc == APNAS_EINVAL, "rc %d for %s", rc, what);
	ck_assert_msg(strstr(e.msg, what) != NULL, "'%s' lacks '%s'", e.msg,
	              what);
	ck_assert_ptr_null(strchr(e.msg, '\n'));
}

START_TEST(impossible_budgets_are_refused)
{
	const char *no_shape[] = {"search_pe_budget=8"};
	refused(no_shape, 1, "search_pe_budget 8: no shape");
	const char *empty[] = {"search_pe_budget=256", "search_dataflows=[]"};
	refused(empty, 2, "search_dataflows: empty");
	const char *sum[] = {"search_pe_budget=256",
	                     "search_sram_kb_budget=192",
	                     "search_sram_split=\"64/64/32\""};
	refused(sum, 3, "64/64/32 sums to 160 kB, not search_sram_kb_budget 192");
	const char *big[] = {"search_pe_budget=256",
	                     "search_shapes=\"16x16, 32x16\""};
	refused(big, 2, "32x16 has 512 PEs, over search_pe_budget 256");
	const char *eighths[] = {"search_pe_budget=256",
	                         "search_sram_kb_budget=100"};
	refused(eighths, 2, "not a multiple of 8");
	const char *alone[] = {"search_sram_kb_budget=64"};
	refused(alone, 1, "needs search_pe_budget");
	const char *twice[] = {"search_pe_budget=256",
	                       "search_dataflows=[\"os\", \"os\"]"};
	refused(twice, 2, "os is listed twice");
	const char *junk[] = {"search_pe_budget=256", "search_shapes=\"16y16\""};
	refused(junk, 2, "'16y16' is not ROWSxCOLS");
}
END_TEST

/* Without search options nothing changes: no decision, no token. */
START_TEST(no_search_no_decisions)
{
	ch_plugin p;
	apnas_hwset h;
	apnas_error e;
	ck_assert(!ch_open(&p, "systolic", NULL, 0, &e));
	ck_assert(!apnas_hwset_init(&h, apnas_plugin_instance(p.h), "systolic",
	                            1, 1, &e));
	ck_assert(!apnas_hwset_on(&h));
	ck_assert_uint_eq(h.n_tok, 0);
	apnas_hwset_free(&h);
	ch_close(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cosearch");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, decisions_follow_the_options);
	tcase_add_test(tc, sampled_hardware_stays_in_budget_and_costs_as_configured);
	tcase_add_test(tc, the_simulator_cosearches_the_same_way);
	tcase_add_test(tc, hardware_round_trips_through_architecture_files);
	tcase_add_test(tc, a_person_edits_the_hardware_section);
	tcase_add_test(tc, impossible_budgets_are_refused);
	tcase_add_test(tc, no_search_no_decisions);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
