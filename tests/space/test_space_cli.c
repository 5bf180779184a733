/* `apnas cost --arch` and `apnas train` as a user runs them: an
 * architecture's cycles equal those of its exported topology, a named
 * architecture ("all-conv3x3") costs as its file does, a bad architecture
 * file exits 2 naming file:line, and a short training on synthetic data
 * leaves its files, notes the file's space values that differ from the
 * config, and refuses to overwrite a finished run; a training stopped by
 * SIGTERM and resumed ends with the weights of an uninterrupted one. */
#include <check.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/readfile.h"
#include "space_harness.h"

static char *dir;
static char out_path[4200], err_path[4200];

static int run(const char *args)
{
	char cmd[16384];
	int n = snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s >'%s' 2>'%s'",
	                 dir, APNAS_EXE, args, out_path, err_path);
	ck_assert_int_lt(n, (int)sizeof cmd);
	int st = system(cmd);
	ck_assert_msg(st != -1 && WIFEXITED(st), "could not run: %s", cmd);
	return WEXITSTATUS(st);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot read %s", path);
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void write_file(const char *name, const char *text)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void setup(void)
{
	dir = sp_tempdir();
	snprintf(out_path, sizeof out_path, "%s/stdout", dir);
	snprintf(err_path, sizeof err_path, "%s/stderr", dir);
}

static void teardown(void)
{
	sp_rmtree(dir);
	free(dir);
}

static const char *arch4 =
	"apnas-arch 1\nspace enas_macro\noption layers = 4\n"
	"option channels = 16\n---\n"
	"layer 0: conv3x3\nlayer 1: sep5x5 skip -\n"
	"layer 2: maxpool3x3 skip 0\nlayer 3: conv5x5 skip 1\n";

/* The TOTAL line's cycles of a table. */
static unsigned long long total_cycles(const char *table)
{
	/* columns: layer, type, then the metrics: cycles after macs, params */
	const char *h = strstr(table, "\nlayer");
	ck_assert_ptr_nonnull(h);
	char head[512];
	ck_assert_int_eq(sscanf(h + 1, "%511[^\n]", head), 1);
	int col = -1, k = 0;
	for (char *w = strtok(head, " "); w; w = strtok(NULL, " "), k++)
		if (!strcmp(w, "cycles"))
			col = k;
	ck_assert_int_ge(col, 2);
	const char *t = strstr(table, "\ntotal");
	ck_assert_ptr_nonnull(t);
	/* the total row has no type: one column fewer before the metrics */
	char row[512];
	ck_assert_int_eq(sscanf(t + 1, "%511[^\n]", row), 1);
	k = 0;
	unsigned long long c = 0;
	for (char *w = strtok(row, " "); w; w = strtok(NULL, " "), k++)
		if (k == col - 1)
			ck_assert_int_eq(sscanf(w, "%llu", &c), 1);
	ck_assert_uint_gt(c, 0);
	return c;
}

START_TEST(cost_arch_matches_its_topology)
{
	write_file("a.arch", arch4);
	ck_assert_int_eq(run("cost --arch a.arch --export-topology a.csv"), 0);
	const char *o = slurp(out_path);
	ck_assert_ptr_nonnull(strstr(o, "l1.sep5x5.dw"));
	ck_assert_ptr_nonnull(strstr(o, "red1.l0.concat"));
	unsigned long long arch = total_cycles(o);
	ck_assert_int_eq(run("cost --topology a.csv"), 0);
	ck_assert_uint_eq(total_cycles(slurp(out_path)), arch);
	ck_assert_uint_gt(arch, 0);
}
END_TEST

START_TEST(cost_arch_refusals_name_file_line)
{
	char text[1024];
	snprintf(text, sizeof text, "%s", arch4);
	char *p = strstr(text, "conv5x5 skip 1");
	memcpy(p, "conv7x7", 7);
	write_file("bad.arch", text);
	ck_assert_int_eq(run("cost --arch bad.arch"), 2);
	const char *e = slurp(err_path);
	ck_assert_msg(strstr(e, "bad.arch:9:") && strstr(e, "conv7x7"), "%s",
	              e);
	ck_assert_int_eq(run("cost --arch missing.arch"), 2);
	ck_assert_ptr_nonnull(strstr(slurp(err_path), "missing.arch"));
	/* --set choosing another space than the file's */
	write_file("a.arch", arch4);
	ck_assert_int_eq(run("cost --arch a.arch --set space.plugin=toy"), 2);
	ck_assert_ptr_nonnull(strstr(slurp(err_path), "space 'enas_macro'"));
}
END_TEST

/* A name in place of a file: the config's space's named architecture. */
START_TEST(cost_arch_accepts_a_named_architecture)
{
	write_file("s.cfg", "space = { plugin = \"enas_macro\"; layers = 4;"
	                    " channels = 16; };\n");
	write_file("c.arch", "apnas-arch 1\nspace enas_macro\n"
	                     "option layers = 4\noption channels = 16\n---\n"
	                     "layer 0: conv3x3\nlayer 1: conv3x3 skip -\n"
	                     "layer 2: conv3x3 skip -\n"
	                     "layer 3: conv3x3 skip -\n");
	ck_assert_int_eq(run("cost s.cfg --arch c.arch"), 0);
	unsigned long long file = total_cycles(slurp(out_path));
	ck_assert_int_eq(run("cost s.cfg --arch all-conv3x3"), 0);
	ck_assert_uint_eq(total_cycles(slurp(out_path)), file);
	ck_assert_int_eq(run("cost s.cfg --arch all-conv5x5"), 0);
	ck_assert_uint_gt(total_cycles(slurp(out_path)), file);
	ck_assert_int_eq(run("cost s.cfg --arch all-conv9x9"), 2);
	const char *e = slurp(err_path);
	ck_assert_msg(strstr(e, "all-conv9x9") && strstr(e, "no such file") &&
	              strstr(e, "all-sep5x5"), "%s", e);
}
END_TEST

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* Issue 17, item 2: costing the largest documented network (64 layers
 * of 4096 channels) needs only its layer list; the supernet's weights
 * (about 19 GB) are never made.  The command runs under a 4 GB address
 * space limit; under AddressSanitizer (GCC's macro or clang's feature),
 * which reserves terabytes of address space for its shadow, under its
 * own 4 GB resident-memory limit instead. */
START_TEST(cost_arch_largest_network_without_weights)
{
	write_file("big.cfg", "space = { plugin = \"enas_macro\"; layers = 64;"
	                      " channels = 4096; };\n");
#ifdef UNDER_ASAN
	const char *limit = "ASAN_OPTIONS=\"$ASAN_OPTIONS:hard_rss_limit_mb="
	                    "4000\" ";
#else
	const char *limit = "ulimit -v 4000000; ";
#endif
	char cmd[256];
	snprintf(cmd, sizeof cmd, "cost big.cfg --arch all-conv3x3");
	char full[16384];
	snprintf(full, sizeof full, "cd '%s' && %s'%s' %s >'%s' 2>'%s'", dir,
	         limit, APNAS_EXE, cmd, out_path, err_path);
	int st = system(full);
	ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	              "%s: %s", full, slurp(err_path));
	ck_assert_uint_gt(total_cycles(slurp(out_path)), 0);
}
END_TEST

static const char *synthetic_cfg =
	"run = { seed = 3; threads = 1; };\n"
	"data = { dataset = \"synthetic\"; synthetic_n = 600;\n"
	"  synthetic_test_n = 200; synthetic_classes = 4;\n"
	"  synthetic_h = 12; synthetic_w = 12; synthetic_noise = 0.3;\n"
	"  batch_size = 32; eval_batch_size = 100; };\n"
	"space = { plugin = \"enas_macro\"; layers = 5; };\n";

static const char *arch3 =
	"apnas-arch 1\nspace enas_macro\noption layers = 3\n"
	"option channels = 8\n---\n"
	"layer 0: conv3x3\nlayer 1: sep3x3 skip 0\nlayer 2: avgpool3x3 skip 1\n";

START_TEST(train_synthetic_end_to_end)
{
	write_file("s.cfg", synthetic_cfg);
	write_file("a.arch", arch3);
	ck_assert_int_eq(run("train s.cfg --arch a.arch --epochs 3 --out r"),
	                 0);
	const char *e = slurp(err_path);
	ck_assert_msg(strstr(e, "sets space.layers = 3 (the config has 5)"),
	              "%s", e);
	ck_assert_ptr_nonnull(strstr(e, "epoch 3/3"));
	const char *o = slurp(out_path);
	ck_assert_ptr_nonnull(strstr(o, "test accuracy"));
	ck_assert_ptr_nonnull(strstr(o, "cycles"));
	char p[4300];
	struct stat st;
	static const char *const files[] = {"weights.bin", "arch.arch",
	                                    "config.cfg", "summary.json"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof p, "%s/r/%s", dir, files[i]);
		ck_assert_msg(stat(p, &st) == 0 && st.st_size > 0, "%s", p);
	}
	snprintf(p, sizeof p, "%s/r/summary.json", dir);
	const char *sum = slurp(p);
	double acc = -1;
	const char *a = strstr(sum, "\"test_accuracy\": ");
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(sscanf(a + 17, "%lf", &acc), 1);
	/* 4 classes: chance is 0.25; the patterns are easy */
	ck_assert_msg(acc > 0.5, "test accuracy %g", acc);
	ck_assert_ptr_nonnull(strstr(sum, "\"train_images\": 600"));

	/* the copy of the architecture reads back as the same architecture */
	snprintf(p, sizeof p, "%s/r/arch.arch", dir);
	ck_assert_ptr_nonnull(strstr(slurp(p), "layer 2: avgpool3x3 skip 1"));

	/* a finished run is never overwritten */
	ck_assert_int_eq(run("train s.cfg --arch a.arch --epochs 1 --out r"),
	                 2);
	ck_assert_ptr_nonnull(strstr(slurp(err_path), "already holds"));
}
END_TEST

/* An architecture file records the recipe it was searched with (an older
 * one as `option` lines), but retraining follows the config's: the same
 * network trained from a file that names another learning rate schedule
 * and dropout ends with the same weights, bit for bit. */
START_TEST(train_keeps_the_configs_recipe)
{
	write_file("s.cfg", synthetic_cfg);
	write_file("a.arch", arch3);
	char *old = NULL;
	ck_assert_int_gt(asprintf(&old, "apnas-arch 1\nspace enas_macro\n"
	                          "option lr_t0 = 1\noption keep_prob = 0.5\n"
	                          "%s", strstr(arch3, "option layers")), 0);
	write_file("b.arch", old);
	free(old);
	ck_assert_int_eq(run("train s.cfg --arch a.arch --epochs 2 --out ra"),
	                 0);
	ck_assert_int_eq(run("train s.cfg --arch b.arch --epochs 2 --out rb"),
	                 0);
	const char *e = slurp(err_path);
	ck_assert_msg(strstr(e, "searched with space.lr_t0=1; the retraining "
	                        "follows the config's recipe"), "%s", e);
	char pa[4300], pb[4300];
	snprintf(pa, sizeof pa, "%s/ra/weights.bin", dir);
	snprintf(pb, sizeof pb, "%s/rb/weights.bin", dir);
	size_t na = 0, nb = 0;
	char *wa = t_read_file(pa, &na), *wb = t_read_file(pb, &nb);
	ck_assert_ptr_nonnull(wa);
	ck_assert_ptr_nonnull(wb);
	ck_assert_msg(na == nb && memcmp(wa, wb, na) == 0,
	              "the file's recipe changed the training");
	free(wa);
	free(wb);
	/* and the copy it writes keeps the recipe as a comment only */
	snprintf(pa, sizeof pa, "%s/rb/arch.arch", dir);
	const char *copy = slurp(pa);
	ck_assert_msg(strstr(copy, "# searched with recipe option lr_t0 = "),
	              "%s", copy);
	ck_assert_ptr_null(strstr(copy, "\noption lr_t0"));
	ck_assert_ptr_nonnull(strstr(copy, "\noption layers = 3"));
}
END_TEST

START_TEST(train_refusals)
{
	write_file("s.cfg", synthetic_cfg);
	write_file("t.arch", "apnas-arch 1\nspace toy\noption layers = 2\n"
	                     "---\nop 1\nop 2 skips 0\n");
	ck_assert_int_eq(run("train s.cfg --arch t.arch --out r"), 2);
	ck_assert_ptr_nonnull(strstr(slurp(err_path), "cannot be trained"));
	ck_assert_int_eq(run("train s.cfg"), 2);
	ck_assert_ptr_nonnull(strstr(slurp(err_path), "--arch"));
	write_file("a.arch", arch3);
	ck_assert_int_eq(run("train s.cfg --arch a.arch --epochs 0"), 2);
}
END_TEST

static int exists(const char *name)
{
	char path[4200];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

/* The bytes of dir/name, malloc()ed; *n gets their count. */
static char *read_bytes(const char *name, size_t *n)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	char *b = t_read_file(path, n);
	ck_assert_msg(b != NULL, "cannot read %s", path);
	return b;
}

static const char *resume_cfg =
	"run = { seed = 5; threads = 1; };\n"
	"data = { dataset = \"synthetic\"; synthetic_n = 1000;\n"
	"  synthetic_test_n = 200; synthetic_classes = 4;\n"
	"  synthetic_h = 12; synthetic_w = 12; synthetic_noise = 0.5;\n"
	"  batch_size = 32; eval_batch_size = 100; };\n";

START_TEST(train_stopped_and_resumed_equals_uninterrupted)
{
	write_file("s.cfg", resume_cfg);
	write_file("a.arch", arch3);
	ck_assert_int_eq(run("train s.cfg --arch a.arch --epochs 3 --out full "
	                     "--quiet"), 0);
	ck_assert(!exists("full/checkpoint.ckpt"));
	/* 31 steps an epoch: SIGTERM at step 45 lands in epoch 2 */
	setenv("APNAS_TEST_TERM_AT", "45", 1);
	int code = run("train s.cfg --arch a.arch --epochs 3 --out part");
	unsetenv("APNAS_TEST_TERM_AT");
	const char *e = slurp(err_path);
	ck_assert_msg(code == 143, "exit %d: %s", code, e);
	ck_assert_msg(strstr(e, "in epoch 2; the checkpoint holds epoch 1: "
	                     "apnas train --resume part"), "%s", e);
	ck_assert(exists("part/checkpoint.ckpt") && exists("part/config.cfg") &&
	          !exists("part/summary.json"));
	/* neither started over nor mixed with other arguments */
	ck_assert_int_eq(run("train s.cfg --arch a.arch --out part"), 2);
	ck_assert_ptr_nonnull(strstr(slurp(err_path), "--resume part"));
	ck_assert_int_eq(run("train --resume part --arch a.arch"), 2);
	/* a torn checkpoint is refused with its path */
	char cmd[9000];
	snprintf(cmd, sizeof cmd, "cd '%s' && cp -r part torn && truncate "
	         "-s -9 torn/checkpoint.ckpt", dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(run("train --resume torn"), 2);
	ck_assert_ptr_nonnull(strstr(slurp(err_path), "torn/checkpoint.ckpt"));

	ck_assert_int_eq(run("train --resume part --quiet"), 0);
	size_t na, nb;
	char *a = read_bytes("full/weights.bin", &na);
	char *b = read_bytes("part/weights.bin", &nb);
	ck_assert_msg(na == nb && !memcmp(a, b, na),
	              "resumed training ended with other weights");
	free(a);
	free(b);
	ck_assert(exists("part/summary.json") &&
	          !exists("part/checkpoint.ckpt"));
	ck_assert_int_eq(run("train --resume part"), 2);
	ck_assert_ptr_nonnull(strstr(slurp(err_path), "finished"));
}
END_TEST

/* A config the cost model refuses is reported before the directory
 * exists: nothing is left behind. */
START_TEST(train_rejected_config_leaves_no_directory)
{
	write_file("s.cfg", synthetic_cfg);
	write_file("a.arch", arch3);
	ck_assert_int_eq(run("train s.cfg --arch a.arch --set cost.rows=abc "
	                     "--out X"), 2);
	ck_assert_ptr_nonnull(strstr(slurp(err_path), "cost.rows"));
	ck_assert_msg(!exists("X"), "X was created");
	ck_assert_int_eq(run("train s.cfg --arch a.arch --set cost.rows=abc "
	                     "--set run.dir=R"), 2);
	ck_assert(!exists("R"));
}
END_TEST

/* Starts apnas with argv (NULL-ended) in dir, output into dir/bg.*;
 * returns its pid. */
static pid_t spawn(char *const *argv)
{
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char o[4300], e[4300];
		snprintf(o, sizeof o, "%s/bg.out", dir);
		snprintf(e, sizeof e, "%s/bg.err", dir);
		if (chdir(dir) || !freopen(o, "w", stdout) ||
		    !freopen(e, "w", stderr))
			_exit(127);
		unsetenv("APNAS_TEST_TERM_AT");
		execv(APNAS_EXE, argv);
		_exit(127);
	}
	return pid;
}

/* The pid written into dir/name, or 0 until there is one. */
static long lock_pid(const char *name)
{
	char path[4300];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	long pid = 0;
	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return pid;
}

/* Two `apnas train --resume DIR` at once: the second is refused with one
 * line naming the first, which goes on and stops cleanly. */
START_TEST(train_second_resume_refused_naming_the_holder)
{
	write_file("s.cfg", resume_cfg);
	write_file("a.arch", arch3);
	setenv("APNAS_TEST_TERM_AT", "5", 1);
	ck_assert_int_eq(run("train s.cfg --arch a.arch --out part --quiet"),
	                 143);
	unsetenv("APNAS_TEST_TERM_AT");
	/* long enough to be caught at work; stopped below */
	char *argv[] = {"apnas", "train", "--resume", "part", "--epochs",
	                "1000000", "--quiet", NULL};
	pid_t pid = spawn(argv);
	for (int i = 0; i < 3000 && lock_pid("part/lock") != (long)pid; i++)
		usleep(10000);
	ck_assert_int_eq(lock_pid("part/lock"), (long)pid);
	ck_assert_int_eq(run("train --resume part"), 2);
	const char *e = slurp(err_path);
	char want[64];
	snprintf(want, sizeof want, "in use by another apnas process (pid %ld)",
	         (long)pid);
	ck_assert_msg(strstr(e, want) && strchr(e, '\n') == e + strlen(e) - 1,
	              "not one line naming %ld: %s", (long)pid, e);
	kill(pid, SIGTERM);
	int st = 0;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 143, "status %d", st);
}
END_TEST

/* A search run directory as `apnas search` leaves it, for naming. */
static void fake_search_run(const char *run)
{
	char p[4300];
	snprintf(p, sizeof p, "mkdir -p '%s/%s/top'", dir, run);
	ck_assert_int_eq(system(p), 0);
	snprintf(p, sizeof p, "%s/config.cfg", run);
	write_file(p, synthetic_cfg);
	snprintf(p, sizeof p, "%s/summary.json", run);
	write_file(p, "{\n  \"format\": 1,\n  \"status\": \"finished\"\n}\n");
	snprintf(p, sizeof p, "%s/best.arch", run);
	write_file(p, arch3);
	snprintf(p, sizeof p, "%s/top/02.arch", run);
	write_file(p, arch3);
}

/* A retraining's default directory comes from the run it retrains: two
 * runs' best.arch never share one. */
START_TEST(retraining_default_directory_comes_from_the_run)
{
	write_file("s.cfg", synthetic_cfg);
	fake_search_run("runs/qs");
	ck_assert_int_eq(run("train runs/qs/config.cfg --arch runs/qs/best.arch "
	                     "--epochs 1 --quiet"), 0);
	ck_assert(exists("runs/qs/retrain/summary.json"));
	ck_assert_ptr_nonnull(strstr(slurp(out_path), "runs/qs/retrain/"));
	ck_assert_int_eq(run("train s.cfg --arch runs/qs/top/02.arch "
	                     "--epochs 1 --quiet"), 0);
	ck_assert(exists("runs/qs/retrain-top02/summary.json"));
	/* best.arch files outside a finished search: named after their run */
	char cmd[4400];
	snprintf(cmd, sizeof cmd, "cd '%s' && mkdir -p a/toy-seed1 a/toy-seed2 "
	         "&& cp runs/qs/best.arch a/toy-seed1/ && cp runs/qs/best.arch "
	         "a/toy-seed2/", dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(run("train s.cfg --arch a/toy-seed1/best.arch "
	                     "--epochs 1 --quiet"), 0);
	ck_assert_int_eq(run("train s.cfg --arch a/toy-seed2/best.arch "
	                     "--epochs 1 --quiet"), 0);
	ck_assert(exists("runs/train-toy-seed1/summary.json"));
	ck_assert(exists("runs/train-toy-seed2/summary.json"));
	/* any other file: its own name */
	write_file("mine.arch", arch3);
	ck_assert_int_eq(run("train s.cfg --arch mine.arch --epochs 1 --quiet"),
	                 0);
	ck_assert(exists("runs/train-mine/summary.json"));
}
END_TEST

/* The first CPU this process may run on. */
static int first_cpu(void)
{
	cpu_set_t set;
	ck_assert_int_eq(sched_getaffinity(0, sizeof set, &set), 0);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			return c;
	ck_abort_msg("no CPU in the affinity mask");
	return -1;
}

static long summary_threads(const char *run)
{
	char p[4300];
	snprintf(p, sizeof p, "%s/%s/summary.json", dir, run);
	const char *s = slurp(p);
	const char *t = strstr(s, "\"threads\": ");
	ck_assert_msg(t != NULL, "%s has no threads", p);
	return atol(t + 11);
}

/* run.threads = 0 is resolved in one place for search and train: pinned
 * to one CPU (as `taskset -c N` does), both use one thread, whatever the
 * machine's CPU count. */
START_TEST(search_and_train_resolve_threads_alike)
{
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(first_cpu(), &one);
	/* inherited by the commands started below */
	ck_assert_int_eq(sched_setaffinity(0, sizeof one, &one), 0);
	write_file("s.cfg", synthetic_cfg);
	write_file("a.arch", arch3);
	write_file("toy.cfg",
	           "run = { seed = 7; };\n"
	           "search = { epochs = 1; controller_steps = 2; aggregate = 2;\n"
	           "  derive_samples = 4; top_k = 1; };\n"
	           "space = { plugin = \"toy\"; layers = 3; ops = 3; };\n"
	           "controller = { plugin = \"random\"; };\n"
	           "reward = { plugin = \"accuracy\"; };\n"
	           "cost = { plugin = \"systolic\"; rows = 4; cols = 4; };\n");
	ck_assert_int_eq(run("search toy.cfg --out s --quiet"), 0);
	ck_assert_int_eq(run("train s.cfg --arch a.arch --epochs 1 --out t "
	                     "--quiet --set run.threads=0"), 0);
	ck_assert_int_eq(summary_threads("s"), 1);
	ck_assert_int_eq(summary_threads("t"), 1);
	ck_assert_ptr_nonnull(strstr(slurp(out_path), ", 1 threads)"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("space_cli");
	TCase *tc = tcase_create("cli");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, cost_arch_matches_its_topology);
	tcase_add_test(tc, cost_arch_refusals_name_file_line);
	tcase_add_test(tc, cost_arch_accepts_a_named_architecture);
	tcase_add_test(tc, cost_arch_largest_network_without_weights);
	tcase_add_test(tc, train_stopped_and_resumed_equals_uninterrupted);
	tcase_add_test(tc, train_synthetic_end_to_end);
	tcase_add_test(tc, train_refusals);
	tcase_add_test(tc, train_rejected_config_leaves_no_directory);
	tcase_add_test(tc, train_second_resume_refused_naming_the_holder);
	tcase_add_test(tc, retraining_default_directory_comes_from_the_run);
	tcase_add_test(tc, search_and_train_resolve_threads_alike);
	tcase_add_test(tc, train_keeps_the_configs_recipe);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
