/* Run configuration in-process: core defaults, --set precedence, plugin
 * groups validated against the plugin's table, instances created with
 * the resolved options, notes, and write-then-reload giving the same
 * values. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "metrics/metrics.h"
#include "run_apnas.h"

static const apnas_kind kinds[] = {
	APNAS_KIND_SPACE, APNAS_KIND_CONTROLLER, APNAS_KIND_REWARD,
	APNAS_KIND_COST,
};

static apnas_error err;

static apnas_config *load(const char *cfg, const char *const *sets,
                          size_t n)
{
	apnas_config *c = NULL;
	apnas_error_clear(&err);
	int rc = apnas_config_load(cfg ? cfg_path(cfg) : NULL, sets, n, &c,
	                           &err);
	ck_assert_msg(rc == 0, "load %s: %s", cfg ? cfg : "(none)", err.msg);
	return c;
}

static char *text_of(const apnas_opts *o, const char *key)
{
	static char buf[512];
	apnas_opts_text(o, key, buf, sizeof buf);
	return buf;
}

START_TEST(test_core_defaults)
{
	apnas_config *c = load(NULL, NULL, 0);
	const apnas_opts *run = apnas_config_core(c, "run");
	ck_assert_int_eq(apnas_opts_int(run, "seed"), 1);
	ck_assert_int_eq(apnas_opts_int(run, "threads"), 0);
	ck_assert_str_eq(apnas_opts_string(apnas_config_core(c, "data"),
	                                   "dataset"), "fashion_mnist");
	ck_assert_int_eq(apnas_opts_int(apnas_config_core(c, "search"),
	                                "epochs"), 10);
	ck_assert_str_eq(apnas_config_file(c), "<command line>");
	/* absent plugin groups take their documented default plugin */
	ck_assert_str_eq(apnas_config_plugin_name(c, APNAS_KIND_SPACE),
	                 "enas_macro");
	ck_assert_str_eq(apnas_config_plugin_name(c, APNAS_KIND_CONTROLLER),
	                 "reinforce_lstm");
	ck_assert_str_eq(apnas_config_plugin_name(c, APNAS_KIND_REWARD),
	                 "accuracy");
	ck_assert_str_eq(apnas_config_plugin_name(c, APNAS_KIND_COST),
	                 "systolic");
	ck_assert_int_eq(apnas_config_has_group(c, "controller"), 0);
	apnas_config_free(c);
}
END_TEST

START_TEST(test_file_values_and_sets)
{
	const char *sets[] = {
		"run.seed=7", "controller.population=30",
		"controller.mode=c", "controller.population=31",
		"search.epochs=2",
	};
	apnas_config *c = load("good.cfg", sets, 5);
	ck_assert_int_eq(apnas_opts_int(apnas_config_core(c, "run"), "seed"),
	                 7);
	ck_assert_int_eq(apnas_opts_int(apnas_config_core(c, "search"),
	                                "epochs"), 2);
	const apnas_loaded *lib;
	const apnas_opts *o;
	ck_assert_int_eq(apnas_config_plugin(c, APNAS_KIND_CONTROLLER, &lib, &o,
	                                     &err), 0);
	ck_assert_str_eq(lib->desc->name, "fxctl");
	/* the last --set wins; file values stay where nothing overrides */
	ck_assert_int_eq(apnas_opts_int(o, "population"), 31);
	ck_assert_str_eq(apnas_opts_string(o, "mode"), "c");
	ck_assert_double_eq(apnas_opts_float(o, "lr"), 1.0);
	ck_assert_int_eq(apnas_opts_bool(o, "greedy"), 1);
	ck_assert_str_eq(apnas_opts_string(o, "label"), "say \"hi\"\tthere");
	ck_assert_int_eq(apnas_opts_int(o, "big"), 5000000000LL);
	ck_assert_int_eq(apnas_opts_int_at(o, "widths", 1), 512);
	/* loading twice gives the same instance of everything */
	const apnas_loaded *lib2;
	const apnas_opts *o2;
	ck_assert_int_eq(apnas_config_plugin(c, APNAS_KIND_CONTROLLER, &lib2,
	                                     &o2, &err), 0);
	ck_assert_ptr_eq(lib, lib2);
	ck_assert_ptr_eq(o, o2);
	apnas_config_free(c);
}
END_TEST

START_TEST(test_set_picks_plugin)
{
	const char *sets[] = {"cost.plugin=fxcost", "cost.rows=3"};
	apnas_config *c = load(NULL, sets, 2);
	ck_assert_int_eq(apnas_config_has_group(c, "cost"), 1);
	const apnas_opts *o;
	ck_assert_int_eq(apnas_config_plugin(c, APNAS_KIND_COST, NULL, &o,
	                                     &err), 0);
	ck_assert_int_eq(apnas_opts_int(o, "rows"), 3);
	apnas_config_free(c);
}
END_TEST

START_TEST(test_set_refusals)
{
	struct {
		const char *set, *part;
	} cases[] = {
		{"controller.population=1",
		 "--set controller.population: controller 'fxctl': key "
		 "'population' must be in [2, 4096], got 1"},
		{"serach.epochs=1", "unknown group 'serach' (did you mean "
		                    "'search'?)"},
		{"run.seed", "expected group.key=value"},
		{"run.seed=3000000000", "write it as 3000000000L"},
		{"run.Seed=1", "key 'Seed' is not [a-z0-9_]+"},
		{"controller.plugin=no-such", "plugin name 'no-such' is not"},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		const char *sets[] = {"controller.plugin=fxctl", cases[k].set};
		apnas_config *c = NULL;
		apnas_error_clear(&err);
		int rc = apnas_config_load(NULL, sets, 2, &c, &err);
		if (rc == 0) {
			rc = apnas_config_plugin(c, APNAS_KIND_CONTROLLER, NULL,
			                         NULL, &err);
			apnas_config_free(c);
		}
		ck_assert_msg(rc == APNAS_EINVAL, "%s: rc %d", cases[k].set, rc);
		ck_assert_msg(strstr(err.msg, cases[k].part) != NULL,
		              "%s: '%s' lacks '%s'", cases[k].set, err.msg,
		              cases[k].part);
	}
}
END_TEST

/* Writes c (with every plugin loaded) to a temporary file; returns it. */
static char *write_tmp(apnas_config *c)
{
	for (size_t k = 0; k < 4; k++)
		ck_assert_msg(apnas_config_plugin(c, kinds[k], NULL, NULL,
		                                  &err) == 0, "%s", err.msg);
	static char path[2][64];
	static int which;
	char *p = path[which++ % 2];
	strcpy(p, "/tmp/apnas-cfg-XXXXXX");
	int fd = mkstemp(p);
	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "w");
	ck_assert_int_eq(apnas_config_write(c, f, &err), 0);
	fclose(f);
	return p;
}

static void assert_same(const apnas_opts *a, const apnas_opts *b)
{
	ck_assert_ptr_eq(apnas_opts_table(a), apnas_opts_table(b));
	for (const apnas_option *t = apnas_opts_table(a); t && t->key; t++) {
		char x[512];
		snprintf(x, sizeof x, "%s", text_of(a, t->key));
		ck_assert_str_eq(x, text_of(b, t->key));
	}
}

START_TEST(test_write_reload)
{
	const char *sets[] = {"controller.lr=0.1", "data.dataset=mnist"};
	apnas_config *a = load("good.cfg", sets, 2);
	char *p = write_tmp(a);
	apnas_config *b = NULL;
	apnas_error_clear(&err);
	ck_assert_msg(apnas_config_load(p, NULL, 0, &b, &err) == 0, "%s",
	              err.msg);
	const char *core[] = {"run", "data", "search"};
	for (size_t k = 0; k < 3; k++)
		assert_same(apnas_config_core(a, core[k]),
		            apnas_config_core(b, core[k]));
	for (size_t k = 0; k < 4; k++) {
		const apnas_opts *oa, *ob;
		ck_assert_int_eq(apnas_config_plugin(a, kinds[k], NULL, &oa,
		                                     &err), 0);
		ck_assert_int_eq(apnas_config_plugin(b, kinds[k], NULL, &ob,
		                                     &err), 0);
		if (apnas_opts_table(oa))
			assert_same(oa, ob);
		ck_assert_str_eq(apnas_config_plugin_name(a, kinds[k]),
		                 apnas_config_plugin_name(b, kinds[k]));
	}
	ck_assert_str_eq(apnas_opts_string(apnas_config_core(b, "data"),
	                                   "dataset"), "mnist");
	/* writing the reloaded config again gives the same body */
	char *q = write_tmp(b);
	FILE *fa = fopen(p, "r"), *fb = fopen(q, "r");
	char la[1024], lb[1024];
	/* the first line names the source file, which differs */
	ck_assert_ptr_nonnull(fgets(la, sizeof la, fa));
	ck_assert_ptr_nonnull(fgets(lb, sizeof lb, fb));
	int lines = 0;
	while (fgets(la, sizeof la, fa)) {
		ck_assert_ptr_nonnull(fgets(lb, sizeof lb, fb));
		ck_assert_str_eq(la, lb);
		lines++;
	}
	ck_assert_ptr_null(fgets(lb, sizeof lb, fb));
	ck_assert_int_gt(lines, 20);
	fclose(fa);
	fclose(fb);
	unlink(p);
	unlink(q);
	apnas_config_free(a);
	apnas_config_free(b);
}
END_TEST

START_TEST(test_instance)
{
	apnas_config *c = load("good.cfg", NULL, 0);
	apnas_instance inst;
	ck_assert_msg(apnas_config_instance(c, APNAS_KIND_COST, NULL, &inst,
	                                    &err) == 0, "%s", err.msg);
	/* the instance outlives the config it came from */
	apnas_config_free(c);
	const apnas_cost_ops *ops = inst.ops;
	apnas_net net;
	memset(&net, 0, sizeof net);
	net.n = 3; /* the fixture cost only counts layers */
	double total[1] = {NAN}, per[3] = {NAN, NAN, NAN};
	ck_assert_int_eq(ops->cost(inst.self, &net, total, per, &err), 0);
	/* good.cfg sets rows = 16 */
	for (int k = 0; k < 3; k++)
		ck_assert_double_eq(per[k], 16);
	ck_assert_int_eq(apnas_opts_int(inst.opts, "rows"), 16);
	/* The fixture is an ABI 2.0 plugin (no describe): the hardware label
	 * comes from its options, and describe, which aborts, is never
	 * called. */
	apnas_metricset ms;
	ck_assert_msg(apnas_metricset_init(&ms, &inst, &err) == 0, "%s",
	              err.msg);
	char hw[128];
	apnas_metricset_hardware(&ms, &inst, hw, sizeof hw);
	ck_assert_str_eq(hw, "fxcost rows=16");
	apnas_metricset_free(&ms);
	apnas_instance_destroy(&inst);
}
END_TEST

START_TEST(test_create_failure)
{
	char path[4200];
	snprintf(path, sizeof path, "controller.path=\"%s\"", fx_bad);
	const char *sets[] = {"controller.plugin=failcreate", path};
	apnas_config *c = load(NULL, sets, 2);
	apnas_decision d[2];
	memset(d, 0, sizeof d);
	apnas_plugin_ctx extra;
	memset(&extra, 0, sizeof extra);
	extra.decisions = d;
	extra.n_decisions = 2;
	apnas_instance inst;
	int rc = apnas_config_instance(c, APNAS_KIND_CONTROLLER, &extra, &inst,
	                               &err);
	ck_assert_int_eq(rc, APNAS_EINVAL);
	/* the plugin's own message, prefixed with kind and name */
	ck_assert_str_eq(err.msg, "controller 'failcreate': needs at least 4 "
	                          "decisions, got 2");
	ck_assert_ptr_null(inst.self);
	apnas_config_free(c);
}
END_TEST

START_TEST(test_notes)
{
	apnas_config *c = load("good.cfg", NULL, 0);
	ck_assert_int_eq(apnas_config_plugin(c, APNAS_KIND_CONTROLLER, NULL,
	                                     NULL, &err), 0);
	ck_assert_int_eq(apnas_config_plugin(c, APNAS_KIND_REWARD, NULL, NULL,
	                                     &err), 0);
	/* a key of the table: replaces the value, validated */
	ck_assert_int_eq(apnas_config_note(c, "controller", "population", "33",
	                                   &err), 0);
	ck_assert_int_eq(apnas_config_note(c, "controller", "population", "1",
	                                   &err), APNAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "must be in [2, 4096]"));
	/* a key outside the table: kept as a comment */
	ck_assert_int_eq(apnas_config_note(c, "reward", "target", "12345",
	                                   &err), 0);
	/* a group whose plugin is not loaded cannot take notes */
	ck_assert_int_eq(apnas_config_note(c, "cost", "rows", "4", &err),
	                 APNAS_EINVAL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_int_eq(apnas_config_write(c, f, &err), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "  population = 33;\n"));
	ck_assert_ptr_nonnull(strstr(buf, "target = 12345"));
	/* only loaded plugin groups are written */
	ck_assert_ptr_null(strstr(buf, "\ncost = {"));
	ck_assert_ptr_nonnull(strstr(buf, "\nrun = {"));
	free(buf);
	apnas_config_free(c);
}
END_TEST

int main(int argc, char **argv)
{
	test_init(argc, argv);
	setenv("APNAS_PLUGIN_PATH", fx_plugins, 1);
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");
	tcase_add_test(tc, test_core_defaults);
	tcase_add_test(tc, test_file_values_and_sets);
	tcase_add_test(tc, test_set_picks_plugin);
	tcase_add_test(tc, test_set_refusals);
	tcase_add_test(tc, test_write_reload);
	tcase_add_test(tc, test_instance);
	tcase_add_test(tc, test_create_failure);
	tcase_add_test(tc, test_notes);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
