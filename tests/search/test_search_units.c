/* The search's building blocks in isolation: the Pareto filter, the
 * checkpoint container (round trip, and refusal of torn or damaged
 * files), and the JSON / CSV writers whose output the run directory is
 * made of. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apnas/rng.h>

#include "harness.h"
#include "search/ckpt.h"
#include "search/json_out.h"
#include "search/pareto.h"

START_TEST(pareto_front_by_brute_force)
{
	/* Random points, then the definition checked point by point. */
	apnas_rng r;
	apnas_rng_seed(&r, 11);
	enum { N = 300 };
	double acc[N], cyc[N];
	unsigned char f[N];
	for (int i = 0; i < N; i++) {
		/* Coarse values, so ties in one or both coordinates occur. */
		acc[i] = (double)apnas_rng_below(&r, 20) / 20.0;
		cyc[i] = (double)(1000 + 100 * apnas_rng_below(&r, 30));
	}
	apnas_pareto(acc, cyc, N, f);
	int on = 0;
	for (int i = 0; i < N; i++) {
		int dominated = 0;
		for (int j = 0; j < N; j++)
			if (acc[j] >= acc[i] && cyc[j] <= cyc[i] &&
			    (acc[j] > acc[i] || cyc[j] < cyc[i]))
				dominated = 1;
		ck_assert_int_eq(f[i], !dominated);
		on += f[i];
	}
	ck_assert_int_gt(on, 0);
}
END_TEST

START_TEST(pareto_ties_and_nan)
{
	double acc[] = {0.9, 0.9, 0.8, NAN, 0.95};
	double cyc[] = {100, 100, 50, 10, 200};
	unsigned char f[5];
	apnas_pareto(acc, cyc, 5, f);
	ck_assert_int_eq(f[0], 1); /* equal twins both stay */
	ck_assert_int_eq(f[1], 1);
	ck_assert_int_eq(f[2], 1); /* fastest */
	ck_assert_int_eq(f[3], 0); /* NaN never makes the front */
	ck_assert_int_eq(f[4], 1); /* most accurate */
}
END_TEST

static char *make_ckpt(const char *dir, const char *payload)
{
	apnas_ckpt_writer w;
	apnas_error e;
	ck_assert_int_eq(apnas_ckpt_writer_init(&w, &e), 0);
	FILE *f;
	ck_assert_int_eq(apnas_ckpt_section_begin(&w, "CORE", &f, &e), 0);
	apnas_put_u32(f, 0xdeadbeefu);
	apnas_put_u64(f, 0x0123456789abcdefull);
	apnas_put_f64(f, -2.5);
	ck_assert_int_eq(apnas_ckpt_section_end(&w, &e), 0);
	ck_assert_int_eq(apnas_ckpt_section_begin(&w, "EMPT", &f, &e), 0);
	ck_assert_int_eq(apnas_ckpt_section_end(&w, &e), 0);
	ck_assert_int_eq(apnas_ckpt_section_begin(&w, "TEXT", &f, &e), 0);
	fputs(payload, f);
	ck_assert_int_eq(apnas_ckpt_section_end(&w, &e), 0);
	char *path = NULL;
	ck_assert_int_ge(asprintf(&path, "%s/state.ckpt", dir), 0);
	ck_assert_msg(apnas_ckpt_commit(&w, path, NULL, NULL, &e) == 0, "%s",
	              e.msg);
	apnas_ckpt_writer_free(&w);
	return path;
}

START_TEST(ckpt_round_trip)
{
	char *dir = h_tempdir();
	char *path = make_ckpt(dir, "shared weights");
	apnas_ckpt ck;
	apnas_error e;
	ck_assert_msg(apnas_ckpt_read(path, &ck, &e) == 0, "%s", e.msg);
	const unsigned char *d;
	size_t n;
	ck_assert_int_eq(apnas_ckpt_get(&ck, "CORE", &d, &n, &e), 0);
	apnas_cursor c = {d, n, 0};
	ck_assert_uint_eq(apnas_get_u32(&c), 0xdeadbeefu);
	ck_assert(apnas_get_u64(&c) == 0x0123456789abcdefull);
	ck_assert(apnas_get_f64(&c) == -2.5);
	ck_assert_int_eq(c.left, 0);
	apnas_get_u32(&c);
	ck_assert_int_eq(c.bad, 1); /* reading past the end is flagged */
	FILE *f;
	ck_assert_int_eq(apnas_ckpt_stream(&ck, "EMPT", &f, &e), 0);
	ck_assert_int_eq(fgetc(f), EOF);
	fclose(f);
	ck_assert_int_eq(apnas_ckpt_stream(&ck, "TEXT", &f, &e), 0);
	char buf[64] = "";
	ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
	ck_assert_str_eq(buf, "shared weights");
	fclose(f);
	ck_assert_int_eq(apnas_ckpt_get(&ck, "NONE", &d, &n, &e),
	                 APNAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "NONE"));
	apnas_ckpt_free(&ck);
	free(path);
	h_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(ckpt_refuses_damage)
{
	char *dir = h_tempdir();
	char *path = make_ckpt(dir, "0123456789");
	char *good = h_read(path);
	FILE *f = fopen(path, "rb");
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fclose(f);
	apnas_ckpt ck;
	apnas_error e;
	/* Every single flipped byte is caught (magic, counts or CRC). */
	for (long i = 0; i < len; i++) {
		f = fopen(path, "wb");
		for (long k = 0; k < len; k++)
			fputc(k == i ? good[k] ^ 0x40 : good[k], f);
		fclose(f);
		ck_assert_msg(apnas_ckpt_read(path, &ck, &e) < 0,
		              "flipped byte %ld accepted", i);
	}
	/* Every truncation likewise. */
	for (long cut = 0; cut < len; cut++) {
		f = fopen(path, "wb");
		fwrite(good, 1, (size_t)cut, f);
		fclose(f);
		ck_assert_msg(apnas_ckpt_read(path, &ck, &e) < 0,
		              "file cut at %ld accepted", cut);
	}
	free(good);
	free(path);
	h_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(commit_failure_keeps_previous)
{
	char *dir = h_tempdir();
	char *path = make_ckpt(dir, "first");
	char *before = h_read(path);
	apnas_ckpt_writer w;
	apnas_error e;
	ck_assert_int_eq(apnas_ckpt_writer_init(&w, &e), 0);
	FILE *f;
	ck_assert_int_eq(apnas_ckpt_section_begin(&w, "TEXT", &f, &e), 0);
	/* An unfinished section: commit must refuse and touch nothing. */
	ck_assert_int_lt(apnas_ckpt_commit(&w, path, NULL, NULL, &e), 0);
	apnas_ckpt_writer_free(&w);
	char *after = h_read(path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	free(path);
	h_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(json_and_csv_writers)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fputc('[', f);
	apnas_json_str(f, "a\"b\\c\nd\x01");
	fputc(',', f);
	apnas_json_num(f, 0.1);
	fputc(',', f);
	apnas_json_num(f, NAN);
	fputc(',', f);
	int32_t t[] = {3, 0, 12};
	apnas_json_tokens(f, t, 3);
	fputc(']', f);
	fclose(f);
	ck_assert_msg(h_json_valid(buf), "invalid JSON: %s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "null"));
	/* %.17g reads back to the same double. */
	ck_assert(strtod(strstr(buf, ",0.") + 1, NULL) == 0.1);
	free(buf);

	f = open_memstream(&buf, &len);
	apnas_csv_str(f, "plain");
	fputc(',', f);
	apnas_csv_str(f, "a,b \"q\"");
	fputc(',', f);
	apnas_csv_num(f, INFINITY);
	fputc(',', f);
	apnas_csv_tokens(f, t, 3);
	fputc('\n', f);
	fclose(f);
	size_t pos = 0;
	char *fl[8];
	int n = h_csv_record(buf, &pos, fl, 8);
	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(fl[0], "plain");
	ck_assert_str_eq(fl[1], "a,b \"q\"");
	ck_assert_str_eq(fl[2], "");
	ck_assert_str_eq(fl[3], "3 0 12");
	h_csv_free(fl, n);
	free(buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("search_units");
	TCase *tc = tcase_create("units");
	tcase_add_test(tc, pareto_front_by_brute_force);
	tcase_add_test(tc, pareto_ties_and_nan);
	tcase_add_test(tc, ckpt_round_trip);
	tcase_add_test(tc, ckpt_refuses_damage);
	tcase_add_test(tc, commit_failure_keeps_previous);
	tcase_add_test(tc, json_and_csv_writers);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
