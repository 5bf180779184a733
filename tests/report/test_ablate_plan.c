/* The plan of a grid (core/report/plan.c) without running anything: the
 * run order and names a job array relies on, the record read back equal
 * to the one written, what a difference is called, what each run needs
 * from the files in its directory, and the refusals of a damaged or
 * hostile ablate.json. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_runs.h"
#include "report/plan.h"

static char *record(const apnas_plan *p)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(apnas_plan_write(f, p), 0);
	fclose(f);
	return buf;
}

/* Plans a 2 configs x 2 x 2 grid; the configs are a.cfg and b.cfg in
 * the working directory (the plan names them by absolute path). */
static void build(apnas_plan *p, int64_t seeds, int retrain)
{
	const char *configs[] = {"a.cfg", "b.cfg"};
	const char *sets[] = {"search.epochs=2"};
	const char *vary[] = {"cost.rows+cost.cols=8,16", "reward.alpha=1,2"};
	apnas_error e;
	ck_assert_msg(apnas_plan_build(p, configs, 2, sets, 1, vary, 2, seeds,
	                               3, retrain, 5, &e) == 0, "%s", e.msg);
}

START_TEST(order_names_and_round_trip)
{
	char *tmp = fr_tempdir();
	fr_write_file(tmp, "a.cfg", "");
	fr_write_file(tmp, "b.cfg", "");
	ck_assert_int_eq(chdir(tmp), 0);
	apnas_plan p;
	build(&p, 2, 1);
	/* configs, then settings (the last --vary fastest), then seeds */
	ck_assert_uint_eq(p.nruns, 2 * 2 * 2 * 2);
	ck_assert_uint_eq(p.npoints, 8);
	ck_assert_str_eq(p.runs[0].label,
	                 "config=a,cost.rows+cost.cols=8,reward.alpha=1/seed-3");
	ck_assert_str_eq(p.runs[1].label,
	                 "config=a,cost.rows+cost.cols=8,reward.alpha=1/seed-4");
	ck_assert_str_eq(p.runs[2].label,
	                 "config=a,cost.rows+cost.cols=8,reward.alpha=2/seed-3");
	ck_assert_str_eq(p.runs[8].label,
	                 "config=b,cost.rows+cost.cols=8,reward.alpha=1/seed-3");
	ck_assert_uint_eq(p.runs[5].nsets, 3);
	ck_assert_str_eq(p.runs[5].sets[0], "cost.rows=16");
	ck_assert_str_eq(p.runs[5].sets[1], "cost.cols=16");
	ck_assert_str_eq(p.runs[5].sets[2], "reward.alpha=1");
	ck_assert_int_eq(p.runs[5].seed, 4);
	/* configs by absolute path */
	char real[1024], want[1100];
	ck_assert_ptr_nonnull(realpath(tmp, real));
	snprintf(want, sizeof want, "%s/b.cfg", real);
	ck_assert_str_eq(p.configs[1], want);

	char *rec = record(&p);
	fr_write_file(tmp, "ablate.json", rec);
	apnas_plan q;
	apnas_error e;
	ck_assert_msg(apnas_plan_read(&q, tmp, &e) == 0, "%s", e.msg);
	ck_assert_ptr_null(apnas_plan_diff(&p, &q));
	ck_assert_uint_eq(q.npoints, p.npoints);
	for (size_t i = 0; i < p.nruns; i++)
		ck_assert_uint_eq(q.runs[i].point, p.runs[i].point);
	char *rec2 = record(&q);
	ck_assert_str_eq(rec, rec2);
	free(rec2);
	apnas_plan_free(&q);
	free(rec);

	apnas_plan r;
	build(&r, 3, 1);
	ck_assert_str_eq(apnas_plan_diff(&p, &r), "--seeds");
	apnas_plan_free(&r);
	build(&r, 2, 0);
	ck_assert_str_eq(apnas_plan_diff(&p, &r), "--retrain");
	apnas_plan_free(&r);
	apnas_plan_free(&p);
	fr_rmtree(tmp);
	free(tmp);
}
END_TEST

START_TEST(needs_from_the_files)
{
	apnas_plan p;
	build(&p, 1, 1);
	char *tmp = fr_tempdir();
	char *d = apnas_plan_run_dir(&p, tmp, 0);
	int steps[2];
	ck_assert_int_eq(apnas_plan_needs(&p, d, steps), 2);
	ck_assert_int_eq(steps[0], APNAS_STEP_SEARCH);
	ck_assert_int_eq(steps[1], APNAS_STEP_TRAIN);
	char rel[1024];
	snprintf(rel, sizeof rel, "%s/config.cfg", p.runs[0].label);
	fr_write_file(tmp, rel, "run = { seed = 3; };\n");
	ck_assert_int_eq(apnas_plan_needs(&p, d, steps), 2);
	ck_assert_int_eq(steps[0], APNAS_STEP_RESUME);
	snprintf(rel, sizeof rel, "%s/summary.json", p.runs[0].label);
	fr_write_file(tmp, rel, "{}\n");
	ck_assert_int_eq(apnas_plan_needs(&p, d, steps), 1);
	ck_assert_int_eq(steps[0], APNAS_STEP_TRAIN);
	snprintf(rel, sizeof rel, "%s/retrain/summary.json", p.runs[0].label);
	fr_write_file(tmp, rel, "{}\n");
	ck_assert_int_eq(apnas_plan_needs(&p, d, steps), 0);

	/* the step's command line */
	char **owned = NULL;
	size_t nowned = 0;
	char **argv = apnas_plan_step_argv(&p, 0, d, APNAS_STEP_SEARCH,
	                                   &owned, &nowned);
	ck_assert_ptr_nonnull(argv);
	size_t n = 0;
	while (argv[n])
		n++;
	ck_assert_str_eq(argv[1], "search");
	ck_assert_str_eq(argv[2], p.configs[0]);
	ck_assert_str_eq(argv[n - 3], "run.seed=3");
	ck_assert_str_eq(argv[n - 1], d);
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
	free(owned);
	free(argv);
	free(d);
	apnas_plan_free(&p);
	fr_rmtree(tmp);
	free(tmp);
}
END_TEST

static const char *const head =
	"{\"format\": 1, \"configs\": [\"/x.cfg\"], \"sets\": [], "
	"\"vary\": [], \"seeds\": 1, \"seed_base\": 1, \"retrain\": false, "
	"\"retrain_epochs\": 0, \"runs\": [";

START_TEST(damaged_records_refused)
{
	char *tmp = fr_tempdir();
	apnas_plan p;
	apnas_error e;
	ck_assert_int_eq(apnas_plan_read(&p, tmp, &e), APNAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "has no ablate.json"));
	struct {
		const char *runs;
		const char *says;
	} bad[] = {
		{"{\"run\": \"../up/seed-1\", \"config\": \"/x.cfg\", \"sets\": "
		 "[], \"seed\": 1}", "run 0"},
		{"{\"run\": \"/abs/seed-1\", \"config\": \"/x.cfg\", \"sets\": "
		 "[], \"seed\": 1}", "run 0"},
		{"{\"run\": \"a//seed-1\", \"config\": \"/x.cfg\", \"sets\": "
		 "[], \"seed\": 1}", "run 0"},
		{"{\"run\": \"a/seed-1\", \"config\": \"/y.cfg\", \"sets\": "
		 "[], \"seed\": 1}", "not one of \"configs\""},
		{"{\"run\": \"a/seed-1\", \"config\": \"/x.cfg\", \"sets\": "
		 "[1], \"seed\": 1}", "array of at most 4096 strings"},
		{"{\"run\": \"a/seed-1\", \"config\": \"/x.cfg\", \"sets\": "
		 "[], \"seed\": 1.5}", "\"seed\" must be a whole number"},
		{"{\"run\": \"a/seed-1\", \"config\": \"/x.cfg\", \"sets\": "
		 "[], \"seed\": 1}, {\"run\": \"a/seed-1\", \"config\": "
		 "\"/x.cfg\", \"sets\": [], \"seed\": 2}", "share the directory"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char *text = NULL;
		if (asprintf(&text, "%s%s]}", head, bad[i].runs) < 0)
			abort();
		fr_write_file(tmp, "ablate.json", text);
		free(text);
		ck_assert_int_eq(apnas_plan_read(&p, tmp, &e), APNAS_EINVAL);
		ck_assert_msg(strstr(e.msg, bad[i].says) &&
		              strstr(e.msg, "ablate.json"), "case %zu: %s", i,
		              e.msg);
	}
	/* more --set arguments than a record may hold: refused by number */
	size_t cap = 16 + 4097 * 5;
	char *text = malloc(cap);
	strcpy(text, "{\"format\": 1, \"configs\": [\"/x.cfg\"], \"sets\": [");
	for (int i = 0; i < 4097; i++)
		strcat(text, i ? ",\"a\"" : "\"a\"");
	strcat(text, "]}");
	fr_write_file(tmp, "ablate.json", text);
	free(text);
	ck_assert_int_eq(apnas_plan_read(&p, tmp, &e), APNAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "\"sets\" must be an array of at "
	                                    "most 4096"));
	fr_write_file(tmp, "ablate.json", "{\"format\": 2}");
	ck_assert_int_eq(apnas_plan_read(&p, tmp, &e), APNAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "\"format\""));
	fr_rmtree(tmp);
	free(tmp);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ablate_plan");
	TCase *t = tcase_create("plan");
	tcase_add_test(t, order_names_and_round_trip);
	tcase_add_test(t, needs_from_the_files);
	tcase_add_test(t, damaged_records_refused);
	suite_add_tcase(s, t);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
