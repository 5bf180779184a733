/* Kill and resume.  A run killed with SIGKILL at any point and resumed
 * must end exactly as the same run uninterrupted: same samples, same
 * derived architectures and rewards, same weights and controller state in
 * the final checkpoint.  Kill points come from APNAS_TEST_KILL_AT (the
 * process SIGKILLs itself at its k-th event: a train step, a controller
 * sample, a checkpoint about to be renamed, a derive file), drawn from a
 * fixed-seed stream so the test is reproducible, plus the checkpoint
 * rename and the derive explicitly, plus one kill from outside at a
 * random moment.  SIGTERM and SIGINT stop cleanly with a checkpoint. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <apnas/rng.h>

#include "harness.h"
#include "search/search.h"

static int exit_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

typedef struct setup {
	char *tmp, *cfg, ref[4096];
} setup;

static void make_reference(setup *s, int fixture)
{
	s->tmp = h_tempdir();
	s->cfg = fixture ? h_fixture_config(s->tmp) : h_toy_config(s->tmp);
	snprintf(s->ref, sizeof s->ref, "%s/ref", s->tmp);
	const char *args[] = {"search", s->cfg, "--out", s->ref, "--quiet",
	                      NULL};
	int st = h_run(s->tmp, 0, args);
	char *err = h_readf(s->tmp, "stderr.txt");
	ck_assert_msg(exit_code(st) == 0, "reference run: %s", err);
	free(err);
}

static void free_setup(setup *s)
{
	h_rmtree(s->tmp);
	free(s->tmp);
	free(s->cfg);
}

/* Continues a killed run: --resume once the directory has its config,
 * otherwise the original command again (killed before it was written). */
static int continue_run(const setup *s, const char *dir, long long kill_at)
{
	char cfgpath[4096];
	snprintf(cfgpath, sizeof cfgpath, "%s/config.cfg", dir);
	if (access(cfgpath, F_OK) == 0) {
		const char *args[] = {"search", "--resume", dir, "--quiet",
		                      NULL};
		return h_run(s->tmp, kill_at, args);
	}
	const char *args[] = {"search", s->cfg, "--out", dir, "--quiet",
	                      NULL};
	return h_run(s->tmp, kill_at, args);
}

/* Kills the run at each event of kills[] in turn (each count restarts
 * with the resumed process), then lets it finish and compares. */
static void kill_resume_compare(const setup *s, const long long *kills,
                                size_t n, const char *name)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/%s", s->tmp, name);
	for (size_t i = 0; i < n; i++) {
		int st = continue_run(s, dir, kills[i]);
		ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		              "%s: run with kill point %lld was not killed "
		              "(status %d)", name, kills[i], exit_code(st));
	}
	int st = continue_run(s, dir, 0);
	char *err = h_readf(s->tmp, "stderr.txt");
	ck_assert_msg(exit_code(st) == 0, "%s: resume failed: %s", name, err);
	free(err);
	char *diff = h_compare_runs(s->ref, dir);
	ck_assert_msg(!diff, "%s: %s", name, diff);
}

/* Toy config: 3 epochs x 5 updates x 4 samples, one checkpoint per epoch,
 * then derive (3 files + best + 3 top files): 3 * 21 + 7 events. */
enum { TOY_EPOCH_EVENTS = 5 * 4 + 1, TOY_EVENTS = 3 * TOY_EPOCH_EVENTS + 7 };

START_TEST(toy_sigkill_anywhere)
{
	setup s;
	make_reference(&s, 0);
	apnas_rng r;
	apnas_rng_seed(&r, 2024);
	for (int k = 0; k < 4; k++) {
		long long at = 1 + (long long)apnas_rng_below(&r, TOY_EVENTS);
		char name[32];
		snprintf(name, sizeof name, "rand%d", k);
		kill_resume_compare(&s, &at, 1, name);
	}
	/* Exactly at the checkpoint rename of epoch 1 (new file complete,
	 * not yet renamed), in the derive, and twice in one run. */
	long long at_rename = TOY_EPOCH_EVENTS;
	kill_resume_compare(&s, &at_rename, 1, "rename");
	long long at_derive = 3 * TOY_EPOCH_EVENTS + 2;
	kill_resume_compare(&s, &at_derive, 1, "derive");
	long long twice[] = {7, 30};
	kill_resume_compare(&s, twice, 2, "twice");
	free_setup(&s);
}
END_TEST

/* Fixture config: per epoch 12 train steps, 4 updates x 3 samples, one
 * checkpoint; derive: 1 screening batch + 4 re-score batches, then
 * candidates, pareto, best, 2 top files and the summary. */
enum { FX_EPOCH_EVENTS = 12 + 12 + 1, FX_EVENTS = 3 * FX_EPOCH_EVENTS + 11 };

START_TEST(fixture_sigkill_anywhere)
{
	setup s;
	make_reference(&s, 1);
	apnas_rng r;
	apnas_rng_seed(&r, 99);
	for (int k = 0; k < 4; k++) {
		long long at = 1 + (long long)apnas_rng_below(&r, FX_EVENTS);
		char name[32];
		snprintf(name, sizeof name, "rand%d", k);
		kill_resume_compare(&s, &at, 1, name);
	}
	long long mid_shared = FX_EPOCH_EVENTS + 5;
	kill_resume_compare(&s, &mid_shared, 1, "shared");
	long long in_derive = 3 * FX_EPOCH_EVENTS + 3;
	kill_resume_compare(&s, &in_derive, 1, "derive");
	free_setup(&s);
}
END_TEST

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

START_TEST(sigkill_from_outside)
{
	setup s;
	make_reference(&s, 1);
	apnas_rng r;
	apnas_rng_seed(&r, 5);
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/outside", s.tmp);
	const char *args[] = {"search", s.cfg, "--out", dir, "--quiet",
	                      NULL};
	int pid = h_spawn(s.tmp, 0, args);
	/* Somewhere in the first ~100 ms: startup, training or derive. */
	sleep_ms(5 + (long)apnas_rng_below(&r, 100));
	kill(pid, SIGKILL);
	int st;
	waitpid(pid, &st, 0);
	st = continue_run(&s, dir, 0);
	ck_assert_int_eq(exit_code(st), 0);
	char *diff = h_compare_runs(s.ref, dir);
	ck_assert_msg(!diff, "%s", diff);
	free_setup(&s);
}
END_TEST

/* Stops a longer toy run with `sig` once it has logged some samples. */
static void signal_stops_cleanly(int sig)
{
	setup s;
	s.tmp = h_tempdir();
	s.cfg = h_toy_config(s.tmp);
	snprintf(s.ref, sizeof s.ref, "%s/ref", s.tmp);
	const char *ra[] = {"search", s.cfg, "--out", s.ref, "--set",
	                    "search.epochs=15", "--quiet", NULL};
	ck_assert_int_eq(exit_code(h_run(s.tmp, 0, ra)), 0);

	char dir[4096], samples[4200];
	snprintf(dir, sizeof dir, "%s/sig", s.tmp);
	snprintf(samples, sizeof samples, "%s/samples.jsonl", dir);
	const char *args[] = {"search", s.cfg, "--out", dir, "--set",
	                      "search.epochs=15", NULL};
	int pid = h_spawn(s.tmp, 0, args);
	for (int i = 0; i < 5000 && h_count_lines(samples) < 30; i++)
		sleep_ms(1);
	kill(pid, sig);
	int st;
	waitpid(pid, &st, 0);
	char *err = h_readf(s.tmp, "stderr.txt");
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 128 + sig,
	              "status %d: %s", exit_code(st), err);
	ck_assert_msg(strstr(err, "checkpoint saved") &&
	              strstr(err, "--resume"), "%s", err);
	free(err);
	/* The checkpoint is readable and sits where the run stopped. */
	char ck[4200];
	snprintf(ck, sizeof ck, "%s/checkpoint/state.ckpt", dir);
	apnas_search_ckpt_info info;
	apnas_error e;
	ck_assert_msg(apnas_search_checkpoint_info(ck, &info, &e) == 0, "%s",
	              e.msg);
	ck_assert_int_eq(info.samples, (int64_t)h_count_lines(samples));
	ck_assert_int_lt(info.epoch, 15);
	ck_assert(!h_exists(dir, "summary.json"));
	const char *res[] = {"search", "--resume", dir, "--quiet", NULL};
	ck_assert_int_eq(exit_code(h_run(s.tmp, 0, res)), 0);
	char *diff = h_compare_runs(s.ref, dir);
	ck_assert_msg(!diff, "%s", diff);
	free_setup(&s);
}

/* SIGTERM raised by the process itself at exact events (the hook goes
 * through the command's real handler): mid shared-weight phase, inside a
 * controller update (which completes first), and while deriving. */
START_TEST(sigterm_at_exact_points)
{
	setup s;
	make_reference(&s, 1);
	struct {
		long long at;
		int64_t epoch, phase, step;
	} pts[] = {
		{5, 0, 0, 5},
		{FX_EPOCH_EVENTS + 12 + 2, 1, 1, 1},
		{3 * FX_EPOCH_EVENTS + 2, 3, 0, 0},
	};
	for (size_t i = 0; i < sizeof pts / sizeof *pts; i++) {
		char dir[4096], ck[4200];
		snprintf(dir, sizeof dir, "%s/term%zu", s.tmp, i);
		snprintf(ck, sizeof ck, "%s/checkpoint/state.ckpt", dir);
		const char *args[] = {"search", s.cfg, "--out", dir, NULL};
		h_term_at = pts[i].at;
		int st = h_run(s.tmp, 0, args);
		h_term_at = 0;
		char *err = h_readf(s.tmp, "stderr.txt");
		ck_assert_msg(exit_code(st) == 128 + SIGTERM,
		              "term at %lld: status %d: %s", pts[i].at,
		              exit_code(st), err);
		ck_assert_msg(strstr(err, pts[i].epoch < 3
		                              ? "checkpoint saved"
		                              : "interrupted while deriving"),
		              "term at %lld: %s", pts[i].at, err);
		free(err);
		apnas_search_ckpt_info info;
		apnas_error e;
		ck_assert_msg(apnas_search_checkpoint_info(ck, &info, &e) == 0,
		              "%s", e.msg);
		ck_assert_int_eq(info.epoch, pts[i].epoch);
		ck_assert_int_eq(info.phase, pts[i].phase);
		ck_assert_int_eq(info.phase_step, pts[i].step);
		ck_assert(!h_exists(dir, "summary.json"));
		const char *res[] = {"search", "--resume", dir, "--quiet",
		                     NULL};
		ck_assert_int_eq(exit_code(h_run(s.tmp, 0, res)), 0);
		char *diff = h_compare_runs(s.ref, dir);
		ck_assert_msg(!diff, "term at %lld: %s", pts[i].at, diff);
	}
	free_setup(&s);
}
END_TEST

START_TEST(sigterm_checkpoints_and_exits)
{
	signal_stops_cleanly(SIGTERM);
}
END_TEST

START_TEST(sigint_checkpoints_and_exits)
{
	signal_stops_cleanly(SIGINT);
}
END_TEST

int main(int argc, char **argv)
{
	harness_init(argc, argv);
	Suite *s = suite_create("search_resume");
	TCase *tc = tcase_create("resume");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, toy_sigkill_anywhere);
	tcase_add_test(tc, fixture_sigkill_anywhere);
	tcase_add_test(tc, sigkill_from_outside);
	tcase_add_test(tc, sigterm_at_exact_points);
	tcase_add_test(tc, sigterm_checkpoints_and_exits);
	tcase_add_test(tc, sigint_checkpoints_and_exits);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
