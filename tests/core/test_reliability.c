/* Issue 17: inputs that once crashed, wrapped silently or ran without
 * bound, each refused with one line that names the file and the number.
 * One test per defect, named after it. */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <zlib.h>

#include "../common/tmpdir.h"
#include "archfile.h"
#include "config.h"
#include "opts_internal.h"
#include "run_apnas.h"
#include "search/ckpt.h"
#include "search/search.h"

static char *dir;
static apnas_error err;

static void setup(void)
{
	dir = t_tempdir("rel");
	apnas_error_clear(&err);
}

static void teardown(void)
{
	t_rmtree(dir);
	free(dir);
}

/* dir/name with text (len bytes); the path, in a static buffer. */
static const char *put(const char *name, const void *text, size_t len)
{
	static char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	fclose(f);
	return path;
}

static const char *put_text(const char *name, const char *text)
{
	return put(name, text, strlen(text));
}

/* Loads path with sets; expects a refusal whose message holds each of
 * the NULL-ended needles. */
static void config_refused(const char *path, const char *set,
                           const char *needle, const char *needle2)
{
	apnas_config *c = NULL;
	const char *sets[1] = {set};
	apnas_error_clear(&err);
	int rc = apnas_config_load(path, sets, set ? 1 : 0, &c, &err);
	ck_assert_msg(rc == APNAS_EINVAL, "accepted (rc %d): %s", rc,
	              err.msg);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err.msg, needle), "'%s' lacks '%s'", err.msg,
	              needle);
	ck_assert_msg(!needle2 || strstr(err.msg, needle2), "'%s' lacks '%s'",
	              err.msg, needle2);
}

/* ---- item 1: checkpoint sections ------------------------------------ */

/* A checkpoint with sections CORE (8 bytes) and DATA (4 bytes) whose
 * section `which` declares `len` bytes; the CRC is made valid again, so
 * only the section walk can find the fault. */
static unsigned char *ckpt_with_len(int which, uint64_t len, size_t *n)
{
	unsigned char *b = calloc(1, 256);
	size_t o = 0;
	memcpy(b, APNAS_CKPT_MAGIC, 8);
	b[8] = APNAS_CKPT_VERSION;
	b[12] = 2;
	o = 16;
	const char *tags[2] = {"CORE", "DATA"};
	uint64_t lens[2] = {8, 4};
	for (int s = 0; s < 2; s++) {
		memcpy(b + o, tags[s], 4);
		uint64_t l = s == which ? len : lens[s];
		for (int i = 0; i < 8; i++)
			b[o + 4 + i] = (unsigned char)(l >> (8 * i));
		o += 12 + lens[s];
	}
	uint32_t crc = (uint32_t)crc32(0L, b, (uInt)o);
	for (int i = 0; i < 4; i++)
		b[o + i] = (unsigned char)(crc >> (8 * i));
	*n = o + 4;
	return b;
}

START_TEST(checkpoint_section_overrun)
{
	for (int which = 0; which < 2; which++) {
		size_t n;
		unsigned char *b = ckpt_with_len(which, 1000000, &n);
		apnas_ckpt ck;
		apnas_error_clear(&err);
		/* parse takes b */
		ck_assert_int_eq(apnas_ckpt_parse(b, n, "x.ckpt", &ck, &err),
		                 APNAS_EINVAL);
		const char *tag = which ? "DATA" : "CORE";
		ck_assert_msg(strstr(err.msg, tag) && strstr(err.msg, "1000000")
		              && !strstr(err.msg, "(null)"), "%s", err.msg);
		ck_assert_ptr_null(ck.buf);
	}
	/* the intact file reads */
	size_t n;
	unsigned char *b = ckpt_with_len(0, 8, &n);
	apnas_ckpt ck;
	ck_assert_msg(apnas_ckpt_parse(b, n, "x.ckpt", &ck, &err) == 0, "%s",
	              err.msg);
	ck_assert_uint_eq(ck.n_sections, 2);
	apnas_ckpt_free(&ck);
	/* and so does the file on disk, through the same checks */
	b = ckpt_with_len(1, 1u << 20, &n);
	const char *p = put("s.ckpt", b, n);
	free(b);
	ck_assert_int_eq(apnas_ckpt_read(p, &ck, &err), APNAS_EINVAL);
	ck_assert_msg(strstr(err.msg, "DATA"), "%s", err.msg);
}
END_TEST

/* ---- item 8: the message of a failed first checkpoint ----------------- */

static int commit_sized(const char *path, size_t bytes)
{
	apnas_ckpt_writer w;
	ck_assert_int_eq(apnas_ckpt_writer_init(&w, &err), 0);
	FILE *f;
	ck_assert_int_eq(apnas_ckpt_section_begin(&w, "BULK", &f, &err), 0);
	for (size_t i = 0; i < bytes; i++)
		fputc((int)(i & 0xff), f);
	ck_assert_int_eq(apnas_ckpt_section_end(&w, &err), 0);
	apnas_error_clear(&err);
	int rc = apnas_ckpt_commit(&w, path, NULL, NULL, &err);
	apnas_ckpt_writer_free(&w);
	return rc;
}

START_TEST(checkpoint_failure_message_honest)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/state.ckpt", dir);
	/* a disk that fills at 64 kB: the file size limit (the check fixture
	 * runs each test in its own process) */
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit rl = {65536, 65536};
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	ck_assert_int_lt(commit_sized(path, 200000), 0);
	ck_assert_msg(strstr(err.msg, "there is no previous checkpoint") &&
	              !strstr(err.msg, "is kept"), "%s", err.msg);
	ck_assert_int_eq(commit_sized(path, 1000), 0);
	ck_assert_int_lt(commit_sized(path, 200000), 0);
	ck_assert_msg(strstr(err.msg, "the previous checkpoint is kept"), "%s",
	              err.msg);
	apnas_ckpt ck;
	ck_assert_msg(apnas_ckpt_read(path, &ck, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(ck.sec[0].len, 1000);
	apnas_ckpt_free(&ck);
}
END_TEST

/* ---- item 6: a well-formed but impossible search checkpoint ----------- */

/* The CORE section of a real search's checkpoint (the fuzz seed), with
 * 8 bytes at off replaced by v, wrapped in a valid container at path. */
static void core_with(const char *path, size_t off, uint64_t v)
{
	FILE *f = fopen(FUZZ_CORPUS "/ckpt_core/search-enas", "rb");
	ck_assert_ptr_nonnull(f);
	unsigned char core[4096];
	size_t n = fread(core, 1, sizeof core, f);
	fclose(f);
	ck_assert_uint_gt(n, off + 8);
	for (int i = 0; i < 8; i++)
		core[off + i] = (unsigned char)(v >> (8 * i));
	apnas_ckpt_writer w;
	ck_assert_int_eq(apnas_ckpt_writer_init(&w, &err), 0);
	FILE *s;
	ck_assert_int_eq(apnas_ckpt_section_begin(&w, "CORE", &s, &err), 0);
	fwrite(core, 1, n, s);
	ck_assert_int_eq(apnas_ckpt_section_end(&w, &err), 0);
	ck_assert_int_eq(apnas_ckpt_commit(&w, path, NULL, NULL, &err), 0);
	apnas_ckpt_writer_free(&w);
}

START_TEST(checkpoint_impossible_counters_refused)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/state.ckpt", dir);
	apnas_search_ckpt_info info;
	/* CORE: version u32, seed u64, decisions u64, trains u32, then
	 * epoch at 24; wall at 72 */
	FILE *f = fopen(FUZZ_CORPUS "/ckpt_core/search-enas", "rb");
	ck_assert_ptr_nonnull(f);
	unsigned char epoch[8];
	fseek(f, 24, SEEK_SET);
	ck_assert_int_eq(fread(epoch, 1, 8, f), 8);
	fclose(f);
	uint64_t e0 = 0;
	for (int i = 0; i < 8; i++)
		e0 |= (uint64_t)epoch[i] << (8 * i);
	core_with(path, 24, e0);
	ck_assert_msg(apnas_search_checkpoint_info(path, &info, &err) == 0,
	              "%s", err.msg);
	ck_assert_int_eq(info.epoch, (int64_t)e0);
	core_with(path, 24, 1000000000000ull);
	ck_assert_int_eq(apnas_search_checkpoint_info(path, &info, &err),
	                 APNAS_EINVAL);
	ck_assert_msg(strstr(err.msg, "1000000000000") &&
	              strstr(err.msg, "1000000"), "%s", err.msg);
	double minus = -1.0;
	uint64_t m;
	memcpy(&m, &minus, 8);
	core_with(path, 72, m);
	ck_assert_int_eq(apnas_search_checkpoint_info(path, &info, &err),
	                 APNAS_EINVAL);
	ck_assert_msg(strstr(err.msg, "time of -1"), "%s", err.msg);
}
END_TEST

/* ---- item 3: integers that libconfig would wrap, NUL in strings ------- */

START_TEST(config_integers_never_wrap)
{
	config_refused(put_text("h.cfg", "search = { epochs = 0x100000005; };\n"),
	               NULL, "h.cfg:1", "0x100000005");
	config_refused(put_text("h2.cfg", "run = { seed = 0xFFFFFFFF; };\n"),
	               NULL, "0xFFFFFFFF", "0xFFFFFFFFL");
	config_refused(NULL, "run.seed=0x100000007", "--set run.seed",
	               "0x100000007");
	config_refused(put_text("l.cfg", "run = {\n seed = "
	                        "99999999999999999999L; };\n"),
	               NULL, "l.cfg:2", "64 bits");
	config_refused(put_text("l2.cfg", "run = { seed = "
	                        "0x8000000000000001L; };\n"),
	               NULL, "l2.cfg:1", "64 bits");
	/* inside an @include'd file, named with its own line */
	put_text("inc.cfg", "\n\nepochs = 4294967301;\n");
	char main_cfg[8400];
	snprintf(main_cfg, sizeof main_cfg, "search = {\n@include \"%s/inc.cfg\"\n"
	         "};\n", dir);
	config_refused(put_text("m.cfg", main_cfg), NULL, "inc.cfg:3",
	               "4294967301");
	/* an included device would block the run: only regular files */
	config_refused(put_text("d.cfg", "search = {\n@include \"/dev/stdin\"\n"
	                        "};\n"), NULL, "d.cfg:2", "not a regular file");
	/* what still reads: values inside 32 bits, and 64-bit L values */
	apnas_config *c = NULL;
	const char *ok = put_text("ok.cfg", "run = { seed = 0x7FFFFFFF; };\n"
	                          "search = { epochs = 0x10; };\n");
	ck_assert_msg(apnas_config_load(ok, NULL, 0, &c, &err) == 0, "%s",
	              err.msg);
	ck_assert_int_eq(apnas_opts_int(apnas_config_core(c, "run"), "seed"),
	                 0x7FFFFFFF);
	ck_assert_int_eq(apnas_opts_int(apnas_config_core(c, "search"),
	                                "epochs"), 16);
	apnas_config_free(c);
}
END_TEST

START_TEST(config_nul_in_string_refused)
{
	static const char text[] = "run = {\n dir = \"runs\0/x\"; };\n";
	config_refused(put("n.cfg", text, sizeof text - 1), NULL, "n.cfg:2",
	               "NUL");
	config_refused(put_text("x.cfg", "run = { dir = \"runs\\x00/x\"; };\n"),
	               NULL, "x.cfg:1", "\\x00");
}
END_TEST

/* ---- item 8: file sizes, architecture version ------------------------- */

START_TEST(config_and_arch_size_limited)
{
	/* /dev/zero never ends: refused at the limit, not read until memory
	 * runs out */
	char lim[32];
	snprintf(lim, sizeof lim, "%u", APNAS_CONFIG_MAX_BYTES);
	config_refused("/dev/zero", NULL, "/dev/zero", lim);
	apnas_archfile a;
	ck_assert_int_eq(apnas_archfile_read("/dev/zero", &a, &err),
	                 APNAS_EINVAL);
	ck_assert_msg(strstr(err.msg, lim), "%s", err.msg);
	/* a file just past the limit too */
	size_t n = APNAS_CONFIG_MAX_BYTES + 1;
	char *big = malloc(n);
	memset(big, '#', n);
	big[n - 1] = '\n';
	const char *p = put("big.cfg", big, n);
	free(big);
	config_refused(p, NULL, "big.cfg", lim);
}
END_TEST

START_TEST(arch_version_overflow)
{
	apnas_archfile a;
	const char *p = put_text("v.arch", "apnas-arch 99999999999999\n"
	                         "space toy\n---\nx\n");
	ck_assert_int_eq(apnas_archfile_read(p, &a, &err), APNAS_EINVAL);
	ck_assert_msg(strstr(err.msg, "99999999999999") &&
	              !strstr(err.msg, "276447231"), "%s", err.msg);
	p = put_text("w.arch", "apnas-arch 99999999999999999999999\n"
	             "space toy\n---\nx\n");
	ck_assert_int_eq(apnas_archfile_read(p, &a, &err), APNAS_EINVAL);
	ck_assert_msg(strstr(err.msg, "99999999999999999999999") &&
	              strstr(err.msg, "out of range"), "%s", err.msg);
	p = put_text("ok.arch", "apnas-arch 1\nspace toy\n---\nx\n");
	ck_assert_msg(apnas_archfile_read(p, &a, &err) == 0, "%s", err.msg);
	apnas_archfile_free(&a);
}
END_TEST

int main(int argc, char **argv)
{
	test_init(argc, argv);
	Suite *s = suite_create("reliability");
	TCase *tc = tcase_create("reliability");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, checkpoint_section_overrun);
	tcase_add_test(tc, checkpoint_failure_message_honest);
	tcase_add_test(tc, checkpoint_impossible_counters_refused);
	tcase_add_test(tc, config_integers_never_wrap);
	tcase_add_test(tc, config_nul_in_string_refused);
	tcase_add_test(tc, config_and_arch_size_limited);
	tcase_add_test(tc, arch_version_overflow);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
