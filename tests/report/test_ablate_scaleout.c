/* A grid's runs as independent jobs (docs/scale-out.md), as a scheduler
 * runs them: `apnas ablate ... --plan` fixes the grid and runs nothing,
 * `apnas ablate DIR --run K` runs exactly run K (again: a no-op), gives
 * the same result as the run `--jobs` makes, survives two processes
 * racing for one K and a SIGKILL mid-search (the next job finishes it
 * with the result of an uninterrupted run, bit for bit), and `apnas
 * report` on a half-done grid names what is missing.  Bad input: K out
 * of range, a directory without ablate.json, a damaged one, grid options
 * with --run, another grid planned into a planned DIR. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_runs.h"
#include "report/json.h"

static const char *apnas, *toy;

/* Starts apnas with args, stdout and stderr into dir/<tag>.out, .err. */
static pid_t start(const char *dir, const char *tag, const char *const *args)
{
	char *o = NULL, *e = NULL;
	if (asprintf(&o, "%s/%s.out", dir, tag) < 0 ||
	    asprintf(&e, "%s/%s.err", dir, tag) < 0)
		abort();
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fo = open(o, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		int fe = open(e, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		dup2(fo, 1);
		dup2(fe, 2);
		size_t n = 0;
		while (args[n])
			n++;
		char **v = calloc(n + 2, sizeof *v);
		v[0] = (char *)apnas;
		for (size_t i = 0; i < n; i++)
			v[i + 1] = (char *)args[i];
		execv(apnas, v);
		_exit(127);
	}
	free(o);
	free(e);
	return pid;
}

/* Exit code, or 1000 + signal when killed. */
static int finish(pid_t pid)
{
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

static int run(const char *dir, const char *const *args)
{
	return finish(start(dir, "cmd", args));
}

static char *read_in(const char *dir, const char *name)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	char *s = fr_read(p);
	ck_assert_msg(s, "%s missing", p);
	free(p);
	return s;
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static size_t lines(const char *s)
{
	return count(s, "\n");
}

/* The header lines `apnas ablate` writes into a run's log, one per
 * child it started: "== <date time>: <command>". */
static size_t starts(const char *log)
{
	size_t n = strncmp(log, "== ", 3) == 0;
	return n + count(log, "\n== ");
}

/* The search's results, without its timings: summary.json's "best" and
 * "pareto" records, pareto.csv and best.arch's architecture lines. */
static char *result_of(const char *run_dir)
{
	char *sum = read_in(run_dir, "summary.json");
	const char *b = strstr(sum, "\n  \"best\":");
	const char *e = b ? strstr(b, "\n  \"top\":") : NULL;
	const char *pb = strstr(sum, "\n  \"pareto\":");
	ck_assert_msg(b && e && pb, "%s/summary.json lacks best or pareto",
	              run_dir);
	char *csv = read_in(run_dir, "pareto.csv");
	char *arch = read_in(run_dir, "best.arch");
	/* best.arch's comments name the run directory: drop them */
	char *a = arch, *w = arch;
	while (*a) {
		char *nl = strchr(a, '\n');
		size_t n = nl ? (size_t)(nl - a + 1) : strlen(a);
		if (*a != '#') {
			memmove(w, a, n);
			w += n;
		}
		a += n;
	}
	*w = '\0';
	char *r = NULL;
	if (asprintf(&r, "%.*s%s\n--\n%s--\n%s", (int)(e - b), b, pb, csv,
	             arch) < 0)
		abort();
	free(sum);
	free(csv);
	free(arch);
	return r;
}

#define FAST "--set", "search.epochs=2", "--set", "search.controller_steps=4", \
             "--set", "search.derive_samples=20", "--set", "run.threads=1"
/* Long enough (a few seconds) for two jobs to overlap, or to be killed
 * mid-search after a few epochs' checkpoints. */
#define SLOW "--set", "search.epochs=30", "--set", "search.controller_steps=10", \
             "--set", "search.derive_samples=20", "--set", "run.threads=1"

static const char *const names[4] = {
	"cost.rows=8/seed-1", "cost.rows=8/seed-2", "cost.rows=16/seed-1",
	"cost.rows=16/seed-2",
};

START_TEST(plan_fixes_the_grid_and_runs_nothing)
{
	char *tmp = fr_tempdir();
	char grid[1024];
	snprintf(grid, sizeof grid, "%s/grid", tmp);
	const char *dry[] = {"ablate", toy, "--vary", "cost.rows=8,16",
	                     "--seeds", "2", FAST, "--out", grid,
	                     "--dry-run", NULL};
	ck_assert_int_eq(run(tmp, dry), 0);
	ck_assert(!fr_exists(tmp, "grid"));

	const char *plan[] = {"ablate", toy, "--vary", "cost.rows=8,16",
	                      "--seeds", "2", FAST, "--out", grid, "--plan",
	                      NULL};
	int rc = run(tmp, plan);
	char *err = read_in(tmp, "cmd.err");
	ck_assert_msg(rc == 0, "plan exit %d: %s", rc, err);
	ck_assert_ptr_nonnull(strstr(err, "--run K, K = 0..3"));
	free(err);
	/* the table: a header and one line per run, in index order */
	char *out = read_in(tmp, "cmd.out");
	ck_assert_uint_eq(lines(out), 5);
	for (size_t i = 0; i < 4; i++) {
		char want[256];
		snprintf(want, sizeof want, "\n    %zu  search ", i);
		char *at = strstr(out, want);
		ck_assert_msg(at, "run %zu missing in:\n%s", i, out);
		ck_assert_ptr_nonnull(strstr(at, names[i]));
	}
	free(out);
	/* nothing ran: the grid holds its record only */
	char *rec = read_in(grid, "ablate.json");
	ck_assert(!fr_exists(grid, "cost.rows=8"));
	ck_assert(!fr_exists(grid, "cost.rows=16"));
	ck_assert(!fr_exists(grid, "ablate.lock"));
	apnas_json *j = NULL;
	apnas_error e;
	ck_assert_int_eq(apnas_json_parse(rec, strlen(rec), &j, &e), 0);
	const apnas_json *runs = apnas_json_get(j, "runs");
	ck_assert_uint_eq(runs->n, 4);
	for (size_t i = 0; i < 4; i++) {
		ck_assert_str_eq(apnas_json_str_at(&runs->items[i], "run"),
		                 names[i]);
		ck_assert(apnas_json_num_at(&runs->items[i], "seed") ==
		          (double)(i % 2 + 1));
	}
	apnas_json_free(j);

	/* the same grid again: nothing changes; --json lists the runs */
	const char *again[] = {"ablate", toy, "--vary", "cost.rows=8,16",
	                       "--seeds", "2", FAST, "--out", grid, "--plan",
	                       "--json", NULL};
	ck_assert_int_eq(run(tmp, again), 0);
	err = read_in(tmp, "cmd.err");
	ck_assert_ptr_nonnull(strstr(err, "already planned"));
	free(err);
	char *rec2 = read_in(grid, "ablate.json");
	ck_assert_str_eq(rec, rec2);
	free(rec2);
	char *js = read_in(tmp, "cmd.out");
	ck_assert_int_eq(apnas_json_parse(js, strlen(js), &j, &e), 0);
	runs = apnas_json_get(j, "runs");
	ck_assert_uint_eq(runs->n, 4);
	const apnas_json *needs = apnas_json_get(&runs->items[3], "needs");
	ck_assert_uint_eq(needs->n, 1);
	ck_assert_str_eq(needs->items[0].str, "search");
	ck_assert(apnas_json_num_at(&runs->items[3], "index") == 3);
	apnas_json_free(j);
	free(js);

	/* another grid into the planned DIR: refused in one line, the plan
	 * kept */
	const char *other[] = {"ablate", toy, "--vary", "cost.rows=8,16",
	                       "--seeds", "3", FAST, "--out", grid, "--plan",
	                       NULL};
	ck_assert_int_eq(run(tmp, other), 2);
	err = read_in(tmp, "cmd.err");
	ck_assert_uint_eq(lines(err), 1);
	ck_assert_ptr_nonnull(strstr(err, "--seeds"));
	free(err);
	rec2 = read_in(grid, "ablate.json");
	ck_assert_str_eq(rec, rec2);
	free(rec2);
	free(rec);
	fr_rmtree(tmp);
	free(tmp);
}
END_TEST

START_TEST(run_k_runs_only_k_and_once)
{
	char *tmp = fr_tempdir();
	char grid[1024], ref[1024];
	snprintf(grid, sizeof grid, "%s/grid", tmp);
	snprintf(ref, sizeof ref, "%s/ref", tmp);
	const char *plan[] = {"ablate", toy, "--vary", "cost.rows=8,16",
	                      "--seeds", "2", FAST, "--out", grid, "--plan",
	                      NULL};
	ck_assert_int_eq(run(tmp, plan), 0);
	/* from another working directory: the plan holds absolute paths */
	const char *one[] = {"ablate", grid, "--run", "2", NULL};
	ck_assert_int_eq(chdir("/"), 0);
	int rc = run(tmp, one);
	char *err = read_in(tmp, "cmd.err");
	ck_assert_msg(rc == 0, "--run 2 exit %d: %s", rc, err);
	free(err);
	char d[2048];
	for (size_t i = 0; i < 4; i++) {
		snprintf(d, sizeof d, "%s/%s", grid, names[i]);
		ck_assert_msg(fr_exists(d, "summary.json") == (i == 2),
		              "run %zu: %s", i, d);
		ck_assert_msg(fr_exists(d, ".") == (i == 2), "%s", d);
	}
	snprintf(d, sizeof d, "%s/%s", grid, names[2]);
	char *log = read_in(grid, "cost.rows=16/seed-1.log");
	ck_assert_uint_eq(starts(log), 1);

	/* again: left alone, nothing appended to its log */
	rc = run(tmp, one);
	err = read_in(tmp, "cmd.err");
	ck_assert_msg(rc == 0, "second --run 2 exit %d: %s", rc, err);
	ck_assert_ptr_nonnull(strstr(err, "already finished"));
	ck_assert_ptr_null(strstr(err, "started"));
	free(err);
	char *log2 = read_in(grid, "cost.rows=16/seed-1.log");
	ck_assert_str_eq(log, log2);
	free(log2);
	free(log);

	/* the same run as `--jobs` makes it, bit for bit */
	const char *jobs[] = {"ablate", toy, "--vary", "cost.rows=8,16",
	                      "--seeds", "2", FAST, "--jobs", "2",
	                      "--no-report", "--out", ref, NULL};
	rc = run(tmp, jobs);
	err = read_in(tmp, "cmd.err");
	ck_assert_msg(rc == 0, "--jobs exit %d: %s", rc, err);
	free(err);
	char rd[2048];
	snprintf(rd, sizeof rd, "%s/%s", ref, names[2]);
	char *want = result_of(rd), *got = result_of(d);
	ck_assert_str_eq(got, want);
	free(want);
	free(got);

	/* the report on the half-done grid: what finished, and what not */
	const char *rep[] = {"report", grid, "--no-plots", NULL};
	rc = run(tmp, rep);
	err = read_in(tmp, "cmd.err");
	ck_assert_msg(rc == 0, "report exit %d: %s", rc, err);
	ck_assert_ptr_nonnull(strstr(err, "3 of the 4 planned runs not "
	                                  "finished"));
	for (size_t i = 0; i < 4; i++) {
		char item[2048];
		snprintf(item, sizeof item, "%zu %s/%s (needs search)", i,
		         grid, names[i]);
		ck_assert_msg((strstr(err, item) != NULL) == (i != 2),
		              "%s in %s", item, err);
	}
	free(err);
	char *out = read_in(tmp, "cmd.out");
	ck_assert_ptr_nonnull(strstr(out, "cost.rows=16/seed-1"));
	ck_assert_ptr_null(strstr(out, "cost.rows=8/seed-1"));
	free(out);
	fr_rmtree(tmp);
	free(tmp);
}
END_TEST

START_TEST(bad_input_refused)
{
	char *tmp = fr_tempdir();
	char grid[1024];
	snprintf(grid, sizeof grid, "%s/grid", tmp);
	const char *plan[] = {"ablate", toy, "--vary", "cost.rows=8,16",
	                      FAST, "--out", grid, "--plan", NULL};
	ck_assert_int_eq(run(tmp, plan), 0);
	struct {
		const char *args[8];
		const char *says;
	} cases[] = {
		{{"ablate", grid, "--run", "2", NULL},
		 "has 2 runs, 0..1"},
		{{"ablate", grid, "--run", "-1", NULL}, "whole number"},
		{{"ablate", grid, "--run", "x", NULL}, "whole number"},
		{{"ablate", tmp, "--run", "0", NULL}, "has no ablate.json"},
		{{"ablate", grid, "--run", "0", "--vary", "cost.rows=4", NULL},
		 "give only DIR and --run K"},
		{{"ablate", grid, grid, "--run", "0", NULL},
		 "one grid directory"},
		{{"ablate", toy, "--out", grid, "--json", NULL},
		 "--plan or --dry-run"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int rc = run(tmp, cases[i].args);
		char *err = read_in(tmp, "cmd.err");
		ck_assert_msg(rc == 2, "case %zu exit %d: %s", i, rc, err);
		ck_assert_msg(lines(err) == 1 && strstr(err, cases[i].says),
		              "case %zu: %s", i, err);
		free(err);
	}
	/* nothing ran */
	ck_assert(!fr_exists(grid, "cost.rows=8"));
	/* a damaged record: one line naming it */
	fr_write_file(grid, "ablate.json", "{\"format\": 1, \"configs\": [");
	const char *one[] = {"ablate", grid, "--run", "0", NULL};
	ck_assert_int_eq(run(tmp, one), 2);
	char *err = read_in(tmp, "cmd.err");
	ck_assert_msg(lines(err) == 1 && strstr(err, "ablate.json"), "%s",
	              err);
	free(err);
	fr_write_file(grid, "ablate.json",
	              "{\"format\": 1, \"configs\": [\"/x.cfg\"], \"sets\": [],"
	              " \"vary\": [], \"seeds\": 1, \"seed_base\": 1, "
	              "\"retrain\": false, \"retrain_epochs\": 0, \"runs\": "
	              "[{\"run\": \"../../etc/seed-1\", \"config\": "
	              "\"/x.cfg\", \"sets\": [], \"seed\": 1}]}");
	ck_assert_int_eq(run(tmp, one), 2);
	err = read_in(tmp, "cmd.err");
	ck_assert_msg(lines(err) == 1 && strstr(err, "run 0"), "%s", err);
	free(err);
	fr_rmtree(tmp);
	free(tmp);
}
END_TEST

/* Two jobs given the same K at once: one runs it, the other waits for
 * it and then finds it finished; the search ran once, and its result is
 * the one a lone job gets. */
START_TEST(two_jobs_race_for_one_run)
{
	char *tmp = fr_tempdir();
	char grid[1024], ref[1024];
	snprintf(grid, sizeof grid, "%s/grid", tmp);
	snprintf(ref, sizeof ref, "%s/ref", tmp);
	const char *plan[] = {"ablate", toy, "--vary", "cost.rows=8,16",
	                      SLOW, "--out", grid, "--plan", NULL};
	const char *plan_ref[] = {"ablate", toy, "--vary", "cost.rows=8,16",
	                          SLOW, "--out", ref, "--plan", NULL};
	ck_assert_int_eq(run(tmp, plan), 0);
	ck_assert_int_eq(run(tmp, plan_ref), 0);
	const char *one[] = {"ablate", grid, "--run", "1", NULL};
	pid_t a = start(tmp, "a", one);
	pid_t b = start(tmp, "b", one);
	int ra = finish(a), rb = finish(b);
	char *ea = read_in(tmp, "a.err"), *eb = read_in(tmp, "b.err");
	ck_assert_msg(ra == 0 && rb == 0, "exits %d %d:\n%s\n%s", ra, rb, ea,
	              eb);
	ck_assert_msg(count(ea, "started") + count(eb, "started") == 1,
	              "%s\n%s", ea, eb);
	const char *loser = strstr(ea, "started") ? eb : ea;
	ck_assert_ptr_nonnull(strstr(loser, "already finished"));
	free(ea);
	free(eb);
	char *log = read_in(grid, "cost.rows=16/seed-1.log");
	ck_assert_uint_eq(starts(log), 1);
	free(log);
	ck_assert(!fr_exists(grid, "cost.rows=8"));

	const char *lone[] = {"ablate", ref, "--run", "1", NULL};
	ck_assert_int_eq(run(tmp, lone), 0);
	char d[2048], rd[2048];
	snprintf(d, sizeof d, "%s/cost.rows=16/seed-1", grid);
	snprintf(rd, sizeof rd, "%s/cost.rows=16/seed-1", ref);
	char *want = result_of(rd), *got = result_of(d);
	ck_assert_str_eq(got, want);
	free(want);
	free(got);
	fr_rmtree(tmp);
	free(tmp);
}
END_TEST

/* `apnas ablate --jobs` on a grid whose run 0 a job is running: it
 * leaves that run to its holder and runs the rest. */
START_TEST(jobs_leave_a_held_run_to_its_holder)
{
	char *tmp = fr_tempdir();
	char grid[1024];
	snprintf(grid, sizeof grid, "%s/grid", tmp);
	const char *plan[] = {"ablate", toy, "--vary", "cost.rows=8,16",
	                      SLOW, "--out", grid, "--plan", NULL};
	ck_assert_int_eq(run(tmp, plan), 0);
	const char *one[] = {"ablate", grid, "--run", "0", NULL};
	pid_t job = start(tmp, "job", one);
	char d[2048];
	snprintf(d, sizeof d, "%s/cost.rows=8/seed-1", grid);
	for (int i = 0; i < 2400 && !fr_exists(d, "config.cfg"); i++)
		usleep(5000);
	ck_assert_msg(fr_exists(d, "config.cfg"), "run 0 did not start");
	const char *jobs[] = {"ablate", toy, "--vary", "cost.rows=8,16",
	                      SLOW, "--jobs", "2", "--no-report", "--out",
	                      grid, NULL};
	int rc = run(tmp, jobs);
	char *err = read_in(tmp, "cmd.err");
	ck_assert_msg(rc == 0, "--jobs exit %d: %s", rc, err);
	ck_assert_ptr_nonnull(strstr(err, "cost.rows=8/seed-1 is being run "
	                                  "by another apnas process"));
	ck_assert_ptr_nonnull(strstr(err, "finished cost.rows=16/seed-1"));
	ck_assert_ptr_null(strstr(err, "started cost.rows=8/seed-1"));
	free(err);
	rc = finish(job);
	err = read_in(tmp, "job.err");
	ck_assert_msg(rc == 0, "--run 0 exit %d: %s", rc, err);
	free(err);
	char *log = read_in(grid, "cost.rows=8/seed-1.log");
	ck_assert_uint_eq(starts(log), 1);
	free(log);
	ck_assert(fr_exists(d, "summary.json"));
	fr_rmtree(tmp);
	free(tmp);
}
END_TEST

static long pid_in(const char *path)
{
	char *s = fr_read(path);
	long pid = s ? strtol(s, NULL, 10) : 0;
	free(s);
	return pid;
}

/* A job SIGKILLed mid-search (its search too, as a scheduler's kill
 * does): the next job given the same K resumes from the last checkpoint
 * and ends with the result of an uninterrupted run, bit for bit. */
START_TEST(killed_run_is_finished_by_the_next_job)
{
	char *tmp = fr_tempdir();
	char grid[1024], ref[1024];
	snprintf(grid, sizeof grid, "%s/grid", tmp);
	snprintf(ref, sizeof ref, "%s/ref", tmp);
	const char *plan[] = {"ablate", toy, SLOW, "--out", grid, "--plan",
	                      NULL};
	const char *plan_ref[] = {"ablate", toy, SLOW, "--out", ref, "--plan",
	                          NULL};
	ck_assert_int_eq(run(tmp, plan), 0);
	ck_assert_int_eq(run(tmp, plan_ref), 0);
	const char *one[] = {"ablate", grid, "--run", "0", NULL};
	pid_t job = start(tmp, "job", one);
	char d[2048], epochs[2100], lock[2100];
	snprintf(d, sizeof d, "%s/base/seed-1", grid);
	snprintf(epochs, sizeof epochs, "%s/epochs.csv", d);
	snprintf(lock, sizeof lock, "%s/lock", d);
	/* bounded wait for a few epochs (each one checkpointed) */
	int n = 0;
	for (int i = 0; i < 2400 && n < 4; i++) {
		char *s = fr_read(epochs);
		n = s ? (int)lines(s) : 0;
		free(s);
		if (n < 4)
			usleep(5000);
	}
	ck_assert_msg(n >= 4, "the search wrote no epochs");
	long search = pid_in(lock);
	ck_assert_int_gt(search, 0);
	ck_assert_int_eq(kill((pid_t)search, SIGKILL), 0);
	kill(job, SIGKILL);
	finish(job);
	ck_assert_msg(!fr_exists(d, "summary.json"),
	              "killed too late: the search had finished");

	int rc = run(tmp, one);
	char *err = read_in(tmp, "cmd.err");
	ck_assert_msg(rc == 0, "next job exit %d: %s", rc, err);
	ck_assert_ptr_nonnull(strstr(err, "(resume)"));
	free(err);
	const char *lone[] = {"ablate", ref, "--run", "0", NULL};
	ck_assert_int_eq(run(tmp, lone), 0);
	char rd[2048];
	snprintf(rd, sizeof rd, "%s/base/seed-1", ref);
	char *want = result_of(rd), *got = result_of(d);
	ck_assert_str_eq(got, want);
	free(want);
	free(got);
	fr_rmtree(tmp);
	free(tmp);
}
END_TEST

int main(int argc, char **argv)
{
	if (argc < 3 || access(argv[1], X_OK) != 0 ||
	    access(argv[2], R_OK) != 0) {
		fprintf(stderr, "SKIP: test_ablate_scaleout needs the apnas "
		        "binary and configs/toy.cfg as arguments (meson "
		        "passes them)\n");
		return 77;
	}
	/* absolute: one test changes the working directory */
	static char a[4096], t[4096];
	if (!realpath(argv[1], a) || !realpath(argv[2], t))
		return 1;
	apnas = a;
	toy = t;
	Suite *s = suite_create("ablate_scaleout");
	TCase *tc = tcase_create("scaleout");
	tcase_set_timeout(tc, 150);
	tcase_add_test(tc, plan_fixes_the_grid_and_runs_nothing);
	tcase_add_test(tc, run_k_runs_only_k_and_once);
	tcase_add_test(tc, bad_input_refused);
	tcase_add_test(tc, two_jobs_race_for_one_run);
	tcase_add_test(tc, killed_run_is_finished_by_the_next_job);
	tcase_add_test(tc, jobs_leave_a_held_run_to_its_holder);
	suite_add_tcase(s, tc);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
