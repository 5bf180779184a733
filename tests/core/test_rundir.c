/* The run-directory module (core/rundir) on its own: default names (a
 * retraining named after the run it retrains), the refusal of a fresh run
 * that creates nothing, the claim, the lock that names its holder, and
 * the duration format of progress lines. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/tmpdir.h"
#include "rundir/rundir.h"

static char *dir;

static void setup(void)
{
	dir = t_tempdir("rundir");
}

static void teardown(void)
{
	t_rmtree(dir);
	free(dir);
}

/* dir/name with text, parent directories made. */
static void put(const char *name, const char *text)
{
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s/%s')\"", dir,
	         name);
	ck_assert_int_eq(system(cmd), 0);
	char p[4096];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static char *path(const char *name)
{
	char *p = NULL;
	ck_assert_int_ge(asprintf(&p, "%s/%s", dir, name), 0);
	return p;
}

static int exists(const char *name)
{
	char *p = path(name);
	int ok = access(p, F_OK) == 0;
	free(p);
	return ok;
}

/* apnas_rundir_train_default(root "R", dir/arch), without the dir/ prefix
 * when the result lies under dir. */
static void expect_train_dir(const char *arch, const char *want)
{
	char *a = path(arch);
	char *got = apnas_rundir_train_default("R", a);
	ck_assert_ptr_nonnull(got);
	const char *g = got;
	size_t n = strlen(dir);
	if (!strncmp(g, dir, n) && g[n] == '/')
		g += n + 1;
	ck_assert_msg(!strcmp(g, want), "%s -> %s, expected %s", arch, g, want);
	free(got);
	free(a);
}

static void search_run(const char *run)
{
	char p[512];
	snprintf(p, sizeof p, "%s/config.cfg", run);
	put(p, "run = { seed = 1; };\n");
	snprintf(p, sizeof p, "%s/summary.json", run);
	put(p, "{\n  \"format\": 1,\n  \"status\": \"finished\"\n}\n");
}

START_TEST(retraining_named_after_its_run)
{
	search_run("runs/qs");
	search_run("runs/toy-seed2");
	expect_train_dir("runs/qs/best.arch", "runs/qs/retrain");
	expect_train_dir("runs/toy-seed2/best.arch", "runs/toy-seed2/retrain");
	expect_train_dir("runs/qs/top/03.arch", "runs/qs/retrain-top03");
	expect_train_dir("runs/qs/mine.arch", "runs/qs/retrain-mine");
	/* copies out of their runs keep the run's name: the one their
	 * provenance comment names, else their directory's */
	put("keep/mine.arch", "apnas-arch 1\n# found by apnas search in "
	    "runs/qs-seed4/ (seed 4), rank 2 of 9 by reward\nspace toy\n"
	    "---\nop 1\n");
	expect_train_dir("keep/mine.arch", "R/train-qs-seed4-mine");
	put("keep/b/best.arch", "# found by apnas search in /x/runs/a (seed "
	    "1), rank 1 of 9 by reward\napnas-arch 1\nspace toy\n---\n");
	expect_train_dir("keep/b/best.arch", "R/train-a");
	expect_train_dir("keep/toy-seed1/best.arch", "R/train-toy-seed1");
	expect_train_dir("keep/toy-seed2/best.arch", "R/train-toy-seed2");
	expect_train_dir("keep/toy-seed2/07.arch", "R/train-toy-seed2-07");
	expect_train_dir("elsewhere/net.arch", "R/train-net");
	/* a comment after the header's end is the body's, not provenance */
	put("late/x.arch", "apnas-arch 1\nspace toy\n---\n# found by apnas "
	    "search in runs/z (seed 1)\n");
	expect_train_dir("late/x.arch", "R/train-x");
	/* a training's directory is no search run */
	put("t/config.cfg", "run = { seed = 1; };\n");
	put("t/summary.json", "{\n  \"command\": \"train\",\n  \"x\": 1\n}\n");
	expect_train_dir("t/arch.arch", "R/train-arch");
	/* a named architecture, and a file in the working directory */
	char *g = apnas_rundir_train_default("", "all-conv3x3");
	ck_assert_str_eq(g, "./train-all-conv3x3");
	free(g);
	g = apnas_rundir_train_default("runs", "a.arch");
	ck_assert_str_eq(g, "runs/train-a");
	free(g);
	g = apnas_rundir_search_default("runs", "configs/toy.cfg", 3);
	ck_assert_str_eq(g, "runs/toy-seed3");
	free(g);
}
END_TEST

START_TEST(fresh_refusal_creates_nothing)
{
	apnas_error e;
	apnas_error_clear(&e);
	char *p = path("none/deeper");
	ck_assert_int_eq(apnas_rundir_refuse_fresh(p, APNAS_RUN_SEARCH, &e), 0);
	ck_assert(!exists("none"));
	free(p);
	search_run("done");
	p = path("done");
	ck_assert_int_eq(apnas_rundir_refuse_fresh(p, APNAS_RUN_SEARCH, &e),
	                 APNAS_EINVAL);
	ck_assert_msg(strstr(e.msg, "finished run") && strstr(e.msg, "--resume"),
	              "%s", e.msg);
	free(p);
	put("tr/checkpoint.ckpt", "x");
	p = path("tr");
	ck_assert_int_eq(apnas_rundir_state(p, APNAS_RUN_TRAIN),
	                 APNAS_RUNDIR_UNFINISHED);
	ck_assert_int_eq(apnas_rundir_refuse_fresh(p, APNAS_RUN_TRAIN, &e),
	                 APNAS_EINVAL);
	ck_assert_msg(strstr(e.msg, "apnas train --resume"), "%s", e.msg);
	free(p);
}
END_TEST

START_TEST(claim_creates_locks_and_clears_temporaries)
{
	apnas_error e;
	apnas_error_clear(&e);
	put("run/checkpoint/state.ckpt.tmp.99999", "torn");
	char *p = path("run//");
	apnas_rundir rd;
	ck_assert_int_eq(apnas_rundir_init(&rd, p, &e), 0);
	free(p);
	ck_assert_int_eq(apnas_rundir_claim(&rd, APNAS_RUN_SEARCH, 0,
	                                    "checkpoint", &e), 0);
	ck_assert(!exists("run/checkpoint/state.ckpt.tmp.99999"));
	/* the lock names its holder */
	char *lk = path("run/lock");
	FILE *f = fopen(lk, "r");
	ck_assert_ptr_nonnull(f);
	long pid = 0;
	ck_assert_int_eq(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	free(lk);
	ck_assert_int_eq(pid, (long)getpid());
	/* a second open of the lock (as another process would) is refused,
	 * naming the holder, until the first lets go */
	int fd = -1;
	ck_assert_int_eq(apnas_lock_file(rd.dir, "lock", "run directory", &fd,
	                                 &e), APNAS_EINVAL);
	char want[64];
	snprintf(want, sizeof want, "(pid %ld)", (long)getpid());
	ck_assert_msg(strstr(e.msg, want) && strstr(e.msg, "in use"), "%s",
	              e.msg);
	apnas_rundir_release(&rd);
	p = path("run");
	ck_assert_int_eq(apnas_lock_file(p, "lock", "run directory", &fd, &e),
	                 0);
	close(fd);
	free(p);
	/* a fresh claim re-checks the directory under the lock */
	search_run("taken");
	p = path("taken/sub");
	char *q = path("taken");
	ck_assert_int_eq(apnas_rundir_init(&rd, q, &e), 0);
	ck_assert_int_eq(apnas_rundir_claim(&rd, APNAS_RUN_SEARCH, 1, NULL, &e),
	                 APNAS_EINVAL);
	apnas_rundir_release(&rd);
	free(p);
	free(q);
}
END_TEST

START_TEST(durations)
{
	char b[32];
	apnas_fmt_duration(b, sizeof b, 12.4);
	ck_assert_str_eq(b, "12s");
	apnas_fmt_duration(b, sizeof b, 185);
	ck_assert_str_eq(b, "3m05s");
	apnas_fmt_duration(b, sizeof b, 3725);
	ck_assert_str_eq(b, "1h02m");
	apnas_fmt_duration(b, sizeof b, NAN);
	ck_assert_str_eq(b, "--");
	apnas_fmt_duration(b, sizeof b, -1);
	ck_assert_str_eq(b, "--");
	/* the run clock adds earlier sessions' seconds */
	apnas_run_clock c;
	apnas_run_clock_start(&c, 100);
	double w = apnas_run_clock_wall(&c);
	ck_assert(w >= 100 && w < 110);
	ck_assert(apnas_run_clock_session(&c) >= 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rundir");
	TCase *tc = tcase_create("rundir");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, retraining_named_after_its_run);
	tcase_add_test(tc, fresh_refusal_creates_nothing);
	tcase_add_test(tc, claim_creates_locks_and_clears_temporaries);
	tcase_add_test(tc, durations);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
