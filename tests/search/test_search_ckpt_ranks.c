/* The rank count a checkpoint records (section RANK, docs/mpi.md), in one
 * process: a search's and a training's checkpoint say that one process
 * wrote it; one written before the record existed (the section taken
 * out) still resumes, silently, and ends bit for bit where the same run
 * uninterrupted ends; a count no run can have had, or a section of
 * another size, is refused with the number and the limit.  The counts
 * of mpirun runs and the remark a resume on another count prints are
 * tests/mpi's. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"
#include "search/ckpt.h"

static int exit_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

static int ckpt_ranks(const char *path)
{
	apnas_ckpt ck;
	apnas_error e;
	ck_assert_msg(apnas_ckpt_read(path, &ck, &e) == 0, "%s", e.msg);
	int n = -1;
	ck_assert_msg(apnas_ckpt_load_ranks(&ck, &n, &e) == 0, "%s", e.msg);
	apnas_ckpt_free(&ck);
	return n;
}

/* Writes path again with its RANK section left out (bytes == NULL) or
 * holding len bytes; every other section as it was, a new CRC. */
static void rewrite_ranks(const char *path, const void *bytes, size_t len)
{
	apnas_ckpt ck;
	apnas_ckpt_writer w;
	apnas_error e;
	ck_assert_msg(apnas_ckpt_read(path, &ck, &e) == 0, "%s", e.msg);
	ck_assert(apnas_ckpt_writer_init(&w, &e) == 0);
	int had = 0;
	for (uint32_t i = 0; i < ck.n_sections; i++) {
		int rank = strcmp(ck.sec[i].tag, APNAS_CKPT_RANKS_TAG) == 0;
		had |= rank;
		if (rank && !bytes)
			continue;
		FILE *f;
		ck_assert(apnas_ckpt_section_begin(&w, ck.sec[i].tag, &f,
		                                   &e) == 0);
		if (rank)
			fwrite(bytes, 1, len, f);
		else
			fwrite(ck.sec[i].data, 1, (size_t)ck.sec[i].len, f);
		ck_assert(apnas_ckpt_section_end(&w, &e) == 0);
	}
	ck_assert_msg(had, "%s has no section %s", path,
	              APNAS_CKPT_RANKS_TAG);
	ck_assert_msg(apnas_ckpt_commit(&w, path, NULL, NULL, &e) == 0, "%s",
	              e.msg);
	apnas_ckpt_writer_free(&w);
	apnas_ckpt_free(&ck);
}

static int same_file(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int same = fa && fb;
	while (same) {
		int x = fgetc(fa), y = fgetc(fb);
		same = x == y;
		if (x == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

/* A search stopped by SIGTERM in its second epoch: its checkpoint. */
static void stopped_search(const char *tmp, const char *cfg,
                           const char *dir)
{
	const char *args[] = {"search", cfg, "--out", dir, "--quiet", NULL};
	h_term_at = 30; /* 25 events an epoch (test_search_resume.c) */
	int st = h_run(tmp, 0, args);
	h_term_at = 0;
	char *err = h_readf(tmp, "stderr.txt");
	ck_assert_msg(exit_code(st) == 128 + SIGTERM, "status %d: %s",
	              exit_code(st), err);
	free(err);
}

START_TEST(search_old_checkpoint_resumes)
{
	char *tmp = h_tempdir(), *cfg = h_fixture_config(tmp);
	char ref[4096], dir[4096], ck[4200];
	snprintf(ref, sizeof ref, "%s/ref", tmp);
	snprintf(dir, sizeof dir, "%s/old", tmp);
	snprintf(ck, sizeof ck, "%s/checkpoint/state.ckpt", dir);
	const char *ra[] = {"search", cfg, "--out", ref, "--quiet", NULL};
	ck_assert_int_eq(exit_code(h_run(tmp, 0, ra)), 0);

	stopped_search(tmp, cfg, dir);
	ck_assert_int_eq(ckpt_ranks(ck), 1);
	rewrite_ranks(ck, NULL, 0);
	ck_assert_int_eq(ckpt_ranks(ck), 0);
	const char *res[] = {"search", "--resume", dir, NULL};
	int st = h_run(tmp, 0, res);
	char *err = h_readf(tmp, "stderr.txt");
	ck_assert_msg(exit_code(st) == 0, "status %d: %s", exit_code(st), err);
	ck_assert_msg(strstr(err, "resuming ") && !strstr(err, "MPI rank"),
	              "an old checkpoint resumed alone: %s", err);
	free(err);
	char *diff = h_compare_runs(ref, dir);
	ck_assert_msg(!diff, "an old checkpoint resumed: %s", diff);
	/* the checkpoint written since records the count again */
	ck_assert_int_eq(ckpt_ranks(ck), 1);
	h_rmtree(tmp);
	free(tmp);
	free(cfg);
}
END_TEST

START_TEST(search_impossible_count_refused)
{
	char *tmp = h_tempdir(), *cfg = h_fixture_config(tmp);
	char dir[4096], ck[4200];
	snprintf(dir, sizeof dir, "%s/bad", tmp);
	snprintf(ck, sizeof ck, "%s/checkpoint/state.ckpt", dir);
	stopped_search(tmp, cfg, dir);
	static const struct {
		unsigned char b[5];
		size_t len;
		const char *says;
	} bad[] = {
		{{0, 0, 0, 0}, 4, "written by 0 MPI ranks: expected 1 to 65536"},
		/* 65537: one more than data.batch_size allows */
		{{1, 0, 1, 0}, 4,
		 "written by 65537 MPI ranks: expected 1 to 65536"},
		{{2, 0, 0}, 3, "section RANK has 3 bytes, expected 4"},
		{{2, 0, 0, 0, 0}, 5, "section RANK has 5 bytes, expected 4"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		rewrite_ranks(ck, bad[i].b, bad[i].len);
		const char *res[] = {"search", "--resume", dir, "--quiet",
		                     NULL};
		int st = h_run(tmp, 0, res);
		char *err = h_readf(tmp, "stderr.txt");
		ck_assert_msg(exit_code(st) == 2 && strstr(err, bad[i].says) &&
		              strstr(err, ck),
		              "case %zu: status %d: %s", i, exit_code(st), err);
		free(err);
	}
	h_rmtree(tmp);
	free(tmp);
	free(cfg);
}
END_TEST

/* The same for `apnas train`: 19 steps an epoch (600 images, batch 32),
 * stopped in the second epoch. */
START_TEST(train_old_checkpoint_resumes)
{
	char *tmp = h_tempdir(), *cfg = h_fixture_config(tmp);
	char src[4096], arch[4200], ref[4096], dir[4096], ck[4200];
	snprintf(src, sizeof src, "%s/src", tmp);
	snprintf(arch, sizeof arch, "%s/best.arch", src);
	snprintf(ref, sizeof ref, "%s/tref", tmp);
	snprintf(dir, sizeof dir, "%s/told", tmp);
	snprintf(ck, sizeof ck, "%s/checkpoint.ckpt", dir);
	const char *sa[] = {"search", cfg, "--out", src, "--quiet",
	                    "--set", "search.epochs=1", NULL};
	ck_assert_int_eq(exit_code(h_run(tmp, 0, sa)), 0);
	const char *ta[] = {"train", cfg, "--arch", arch, "--epochs", "2",
	                    "--out", ref, "--quiet", NULL};
	ck_assert_int_eq(exit_code(h_run(tmp, 0, ta)), 0);

	const char *tb[] = {"train", cfg, "--arch", arch, "--epochs", "2",
	                    "--out", dir, "--quiet", NULL};
	h_term_at = 25;
	int st = h_run(tmp, 0, tb);
	h_term_at = 0;
	char *err = h_readf(tmp, "stderr.txt");
	ck_assert_msg(exit_code(st) == 128 + SIGTERM &&
	              strstr(err, "the checkpoint holds epoch 1"),
	              "status %d: %s", exit_code(st), err);
	free(err);
	ck_assert_int_eq(ckpt_ranks(ck), 1);
	rewrite_ranks(ck, NULL, 0);
	const char *res[] = {"train", "--resume", dir, NULL};
	st = h_run(tmp, 0, res);
	err = h_readf(tmp, "stderr.txt");
	ck_assert_msg(exit_code(st) == 0, "status %d: %s", exit_code(st), err);
	ck_assert_msg(strstr(err, "from epoch 2") && !strstr(err, "MPI rank"),
	              "an old training checkpoint resumed alone: %s", err);
	free(err);
	char wa[4200], wb[4200];
	snprintf(wa, sizeof wa, "%s/weights.bin", ref);
	snprintf(wb, sizeof wb, "%s/weights.bin", dir);
	ck_assert_msg(same_file(wa, wb), "an old training checkpoint resumed: "
	              "%s and %s differ", wa, wb);
	h_rmtree(tmp);
	free(tmp);
	free(cfg);
}
END_TEST

int main(int argc, char **argv)
{
	harness_init(argc, argv);
	Suite *s = suite_create("search_ckpt_ranks");
	TCase *tc = tcase_create("ranks");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, search_old_checkpoint_resumes);
	tcase_add_test(tc, search_impossible_count_refused);
	tcase_add_test(tc, train_old_checkpoint_resumes);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
