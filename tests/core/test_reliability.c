/* Issue 17: inputs that once crashed, wrapped silently or ran without
 * bound, each refused with one line that names the file and the number.
 * One test per defect, named after it. */
#include <check.h>
#include <math.h>
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

/* ---- item 6: a well-formed but impossible training checkpoint -------- */

static const char train_cfg[] =
	"run = { seed = 2; threads = 1; };\n"
	"data = { dataset = \"synthetic\"; synthetic_n = 40;\n"
	"  synthetic_test_n = 8; synthetic_classes = 2;\n"
	"  synthetic_h = 4; synthetic_w = 4; batch_size = 5;\n"
	"  eval_batch_size = 4; };\n";
static const char train_arch[] =
	"apnas-arch 1\nspace enas_macro\noption layers = 2\n"
	"option channels = 4\n---\n"
	"layer 0: conv3x3\nlayer 1: sep3x3 skip 0\n";

/* dir/<to>/checkpoint.ckpt: dir/t's checkpoint with the 8 bytes at off
 * (from the file's start) replaced by v and its CRC made valid again;
 * the rest of dir/t copied, so `--resume <to>` reads it. */
static const char *train_ckpt_with(const char *to, size_t off, uint64_t v)
{
	char cmd[9000];
	snprintf(cmd, sizeof cmd, "rm -rf '%s/%s' && cp -r '%s/t' '%s/%s'",
	         dir, to, dir, dir, to);
	ck_assert_int_eq(system(cmd), 0);
	static char path[4300];
	snprintf(path, sizeof path, "%s/%s/checkpoint.ckpt", dir, to);
	FILE *f = fopen(path, "r+b");
	ck_assert_ptr_nonnull(f);
	unsigned char b[65536];
	size_t n = fread(b, 1, sizeof b, f);
	ck_assert_uint_gt(n, off + 12);
	for (int i = 0; i < 8; i++)
		b[off + i] = (unsigned char)(v >> (8 * i));
	uint32_t crc = (uint32_t)crc32(0L, b, (uInt)(n - 4));
	for (int i = 0; i < 4; i++)
		b[n - 4 + i] = (unsigned char)(crc >> (8 * i));
	rewind(f);
	ck_assert_uint_eq(fwrite(b, 1, n, f), n);
	fclose(f);
	snprintf(path, sizeof path, "%s/%s", dir, to);
	return path;
}

static void resume_refused(const char *d, const char *needle)
{
	run_result r;
	run_apnas(&r, getenv("APNAS_PLUGIN_PATH"), "train", "--resume", d,
	          "--quiet", NULL);
	ck_assert_msg(r.status == 2 && strstr(r.err, needle) &&
	              strstr(r.err, "checkpoint.ckpt") &&
	              count_lines(r.err) == 1,
	              "exit %d: %s", r.status, r.err);
	run_free(&r);
}

/* `apnas train --resume` on a checkpoint whose counters contradict each
 * other or whose records are out of their range: refused, naming the
 * values, before the training goes on from them. */
START_TEST(train_checkpoint_impossible_progress_refused)
{
	char cfg[4300], arch[4300], out[4300];
	snprintf(cfg, sizeof cfg, "%s", put_text("t.cfg", train_cfg));
	snprintf(arch, sizeof arch, "%s", put_text("t.arch", train_arch));
	snprintf(out, sizeof out, "%s/t", dir);
	/* 8 steps an epoch: SIGTERM at step 12 leaves epoch 1's checkpoint */
	setenv("APNAS_TEST_TERM_AT", "12", 1);
	run_result r;
	run_apnas(&r, getenv("APNAS_PLUGIN_PATH"), "train", cfg, "--arch",
	          arch, "--epochs", "3", "--out", out, "--quiet", NULL);
	unsetenv("APNAS_TEST_TERM_AT");
	ck_assert_msg(r.status == 143, "exit %d: %s", r.status, r.err);
	run_free(&r);
	/* container header 16 bytes, TRAN's tag and length 12, then its
	 * version u32, epochs done, steps, images, wall, and epoch 1's loss,
	 * train and test accuracy, seconds */
	const size_t done = 32, step = 40, images = 48, loss = 64,
	             test_acc = 80;
	double v;
	uint64_t bits;
	/* the file as written resumes (the patching itself is sound) */
	run_apnas(&r, getenv("APNAS_PLUGIN_PATH"), "train", "--resume",
	          train_ckpt_with("same", done, 1), "--quiet", NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	run_free(&r);
	resume_refused(train_ckpt_with("s", step, 9), "1 epochs of 8 steps, "
	               "9 steps");
	resume_refused(train_ckpt_with("i", images, 41), "41 images");
	v = NAN;
	memcpy(&bits, &v, 8);
	resume_refused(train_ckpt_with("l", loss, bits), "loss nan");
	v = 1.5;
	memcpy(&bits, &v, 8);
	resume_refused(train_ckpt_with("a", test_acc, bits), "0.5 and 1.5");
}
END_TEST

/* ---- the memory limit (run.memory_limit) ----------------------------- */

/* `apnas train` with the training config above and extra --set values;
 * expects exit 2 before the directory is made, one line holding needle
 * and the limit with the key that raises it.  The graph's activations
 * are known only when the first step runs: that one leaves the directory
 * of a training that stopped before its first checkpoint. */
static void train_refused_by_limit(const char *arch, const char *set1,
                                   const char *set2, const char *set3,
                                   const char *needle, const char *limit)
{
	char cfg[4300], out[4300];
	snprintf(cfg, sizeof cfg, "%s", put_text("m.cfg", train_cfg));
	snprintf(out, sizeof out, "%s/m", dir);
	run_result r;
	run_apnas(&r, getenv("APNAS_PLUGIN_PATH"), "train", cfg, "--arch",
	          arch, "--out", out, "--quiet", "--set", set1, "--set", set2,
	          set3 ? "--set" : NULL, set3, NULL);
	ck_assert_msg(r.status == 2 && strstr(r.err, needle) &&
	              strstr(r.err, limit) &&
	              strstr(r.err, "run.memory_limit raises it") &&
	              count_lines(r.err) == 1,
	              "exit %d: %s", r.status, r.err);
	run_free(&r);
	char p[4400];
	snprintf(p, sizeof p, "%s/m/summary.json", dir);
	ck_assert_msg(access(p, F_OK) != 0, "a refused training ended: %s",
	              p);
	snprintf(cfg, sizeof cfg, "rm -rf '%s/m'", dir);
	ck_assert_int_eq(system(cfg), 0);
}

/* Over a small limit the weights, the dataset, a batch's activations are
 * each refused with their estimate before they are allocated (a tiny
 * limit stands for a huge network: the check is the same). */
START_TEST(memory_limit_refused_before_allocating)
{
	char arch[4300], wide[4300];
	snprintf(arch, sizeof arch, "%s", put_text("t.arch", train_arch));
	snprintf(wide, sizeof wide, "%s", put_text("w.arch",
	         "apnas-arch 1\nspace enas_macro\noption layers = 2\n"
	         "option channels = 256\n---\n"
	         "layer 0: conv3x3\nlayer 1: sep3x3 skip 0\n"));
	/* stem 256x1x3x3, l0.conv3x3.in.w 256x256x1x1 (0.75 MiB), their
	 * batch norms, then l0.conv3x3.w 256x256x3x3 (6.75 MiB), each float
	 * with its gradient and momentum: 7.55 MiB */
	train_refused_by_limit(wide, "run.memory_limit=4", "run.seed=2",
	                       NULL, "the weights through parameter 'l0.conv3x3.w': "
	                       "an estimated 8 MiB", "memory limit of 4 MiB");
	/* 300,008 synthetic 1x4x4 images: 300008 * (16 + 4) bytes, 5.7 MiB */
	train_refused_by_limit(arch, "run.memory_limit=4",
	                       "data.synthetic_n=300000", NULL, "the synthetic "
	                       "images and labels: an estimated 6 MiB",
	                       "memory limit of 4 MiB");
	/* the same network on 48 images of 64x64 (200 kB): a batch of 5
	 * through 4-channel layers, activations and their gradients */
	train_refused_by_limit(arch, "run.memory_limit=1",
	                       "data.synthetic_h=64", "data.synthetic_w=64",
	                       "train: epoch 1: nn: a graph's activations and "
	                       "workspace: an estimated", "memory limit of 1 "
	                       "MiB");
	/* 0: no limit; and the default leaves a small training alone */
	char cfg[4300], out[4300];
	snprintf(cfg, sizeof cfg, "%s", put_text("m.cfg", train_cfg));
	snprintf(out, sizeof out, "%s/ok", dir);
	run_result r;
	run_apnas(&r, getenv("APNAS_PLUGIN_PATH"), "train", cfg, "--arch",
	          wide, "--out", out, "--quiet", "--epochs", "1", "--set",
	          "run.memory_limit=0", NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	run_free(&r);
	snprintf(out, sizeof out, "%s/ok2", dir);
	run_apnas(&r, getenv("APNAS_PLUGIN_PATH"), "train", cfg, "--arch",
	          arch, "--out", out, "--quiet", "--epochs", "1", NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	run_free(&r);
}
END_TEST

/* The cost cache remembers every architecture a search costs; its
 * doubling is asked of the limit like any large allocation.  The toy
 * space's 36 decisions, a random controller: 1,200 distinct samples
 * need a table of 2,048 slots, over 1 MiB while it is copied. */
static const char cache_cfg[] =
	"run = { seed = 1; threads = 1; };\n"
	"search = { epochs = 1; controller_steps = 120; aggregate = 10;\n"
	"  derive_samples = 5; top_k = 1; };\n"
	"space = { plugin = \"toy\"; layers = 8; ops = 6; skips = true;\n"
	"  target_seed = 1; };\n"
	"controller = { plugin = \"random\"; };\n"
	"reward = { plugin = \"accuracy\"; };\n"
	"cost = { plugin = \"macs\"; };\n";

START_TEST(cost_cache_growth_refused_by_limit)
{
	char cfg[4300], out[4300];
	snprintf(cfg, sizeof cfg, "%s", put_text("cache.cfg", cache_cfg));
	snprintf(out, sizeof out, "%s/cache1", dir);
	run_result r;
	run_apnas(&r, getenv("APNAS_PLUGIN_PATH"), "search", cfg, "--out", out,
	          "--quiet", "--set", "run.memory_limit=1", NULL);
	ck_assert_msg(r.status == 2 &&
	              strstr(r.err, "the search's cost cache: an estimated") &&
	              strstr(r.err, "memory limit of 1 MiB") &&
	              strstr(r.err, "run.memory_limit raises it") &&
	              count_lines(r.err) == 1,
	              "exit %d: %s", r.status, r.err);
	run_free(&r);
	/* without a limit the same search ends */
	snprintf(out, sizeof out, "%s/cache0", dir);
	run_apnas(&r, getenv("APNAS_PLUGIN_PATH"), "search", cfg, "--out", out,
	          "--quiet", "--set", "run.memory_limit=0", NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	run_free(&r);
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
	tcase_add_test(tc, train_checkpoint_impossible_progress_refused);
	tcase_add_test(tc, memory_limit_refused_before_allocating);
	tcase_add_test(tc, cost_cache_growth_refused_by_limit);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
