/* `apnas train`: retrains one architecture from scratch.  A fresh space
 * instance (its own weights) trains the architecture of an architecture
 * file on the whole training file (data.val_size is preset to 0, so the
 * validation images are trained on too; --set data.val_size=N keeps them
 * out), evaluates on the test split after every epoch, and reports test
 * accuracy, parameters, MACs and the configured cost model's cycles of
 * exactly the network it trained (the space's child_net).  The output
 * directory gets the resolved config and the architecture at the start, a
 * checkpoint after every epoch (train_ckpt.h: `--resume DIR` goes on from
 * it, SIGINT/SIGTERM stop at the next step), and at the end the weights
 * (the space's save format) and summary.json, each written atomically.
 * Exit status as `apnas search`'s: 128 + the signal when one stopped it. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apnas/data.h>
#include <apnas/nn.h>

#include "arch_load.h"
#include "atomic.h"
#include "cli.h"
#include "util/threads.h"
#include "search/json_out.h"
#include "testhook.h"
#include "train_ckpt.h"

typedef struct train_args {
	const char *config;   /* positional CONFIG, or NULL */
	const char *arch;     /* --arch */
	const char *out;      /* --out, or NULL */
	const char *resume;   /* --resume DIR, or NULL */
	long epochs;          /* --epochs, 0 = the train group's */
	int quiet;
	cli_sets sets;
} train_args;

typedef train_epoch_rec epoch_rec;

typedef struct trainer {
	cli_arch a;
	apnas_dataset *ds;
	apnas_batcher *train_b, *test_b;
	apnas_instance cost;
	apnas_net net;
	apnas_layer_cost total;
	char *dir;
	uint64_t seed;
	int threads;
	int32_t batch, eval_batch;
	long epochs;
	epoch_rec *hist;     /* [epochs] */
	double wall;         /* seconds of training and evaluation */
	int64_t images;      /* training images seen */
	int64_t test_n;
	long done;           /* epochs finished (a resumed run starts there) */
	int64_t step;        /* optimiser steps taken */
	char *ckpt;          /* owned: DIR/checkpoint.ckpt */
	apnas_test_hook hook; /* events: optimiser steps (testhook.h) */
} trainer;


static void help(void)
{
	printf("usage: apnas train [CONFIG] --arch FILE [--epochs N] "
	       "[--set group.key=value]...\n"
	       "                   [--out DIR] [--quiet]\n"
	       "       apnas train --resume DIR [--epochs N] [--quiet]\n"
	       "\n"
	       "Trains the architecture in FILE (an architecture file,\n"
	       "docs/arch-format.md) from scratch with its own weights on the\n"
	       "whole training file, evaluates it on the test split after each\n"
	       "epoch, and prints test accuracy, parameters, MACs and the cycles\n"
	       "of the configured cost model for exactly the trained network.\n"
	       "\n"
	       "--arch FILE   the architecture; its header's space options\n"
	       "              override the config's space group (changes are\n"
	       "              noted on stderr); or, without a slash and\n"
	       "              naming no file, a named architecture of the\n"
	       "              config's space (all-conv3x3, ...)\n"
	       "--epochs N    epochs (default train.epochs, 10)\n"
	       "--set         override a config key (repeatable; applied after\n"
	       "              the architecture file).  data.val_size is preset\n"
	       "              to 0: training uses the validation images too\n"
	       "--out DIR     output directory (default <run.dir>/train-<FILE\n"
	       "              name>); one holding a finished training is never\n"
	       "              overwritten, nor one holding a checkpoint\n"
	       "--resume DIR  go on with the training in DIR from its last\n"
	       "              finished epoch (its config.cfg and arch.arch);\n"
	       "              --epochs N sets a new total\n"
	       "--quiet       no per-epoch progress on stderr\n"
	       "\n"
	       "The learning-rate schedule, weight decay and dropout are the\n"
	       "space's options; the batch size is data.batch_size.  DIR gets\n"
	       "weights.bin, arch.arch, config.cfg and summary.json, and\n"
	       "checkpoint.ckpt after every epoch until it finishes.\n"
	       "SIGINT or SIGTERM stops it at the next step; the work since the\n"
	       "last epoch's checkpoint is lost.  Exit status: 0 trained, 1\n"
	       "failed, 2 bad arguments, 128 + signal when one stopped it.\n"
	       "\n"
	       "example:\n"
	       "  apnas train configs/train-fashion.cfg --arch runs/x/best.arch\n"
	       "  apnas train --arch a.arch --epochs 1 --set data.train_subset"
	       "=5000\n"
	       "  apnas train --resume runs/x/train-best --epochs 40\n");
}

static int parse_args(int argc, char **argv, train_args *a)
{
	memset(a, 0, sizeof *a);
	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		int r;
		if (cli_is_help(argv[i])) {
			help();
			return -1;
		}
		if ((r = cli_take_set(argc, argv, &i, &a->sets)) != 0 ||
		    (r = cli_take_value(argc, argv, &i, "arch", &a->arch)) != 0 ||
		    (r = cli_take_value(argc, argv, &i, "out", &a->out)) != 0 ||
		    (r = cli_take_value(argc, argv, &i, "resume",
		                        &a->resume)) != 0) {
			if (r < 0)
				return CLI_EXIT_USAGE;
			continue;
		}
		if ((r = cli_take_value(argc, argv, &i, "epochs", &v)) != 0) {
			if (r < 0)
				return CLI_EXIT_USAGE;
			char *end = NULL;
			errno = 0;
			a->epochs = strtol(v, &end, 10);
			if (errno || !*v || *end || a->epochs < 1 ||
			    a->epochs > 1000000) {
				cli_errorf("train: --epochs %s: expected an "
				           "integer in [1, 1000000]", v);
				return CLI_EXIT_USAGE;
			}
			continue;
		}
		if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) {
			a->quiet = 1;
			continue;
		}
		if (argv[i][0] == '-' || a->config)
			return cli_bad_arg("train", argv[i]);
		a->config = argv[i];
	}
	if (a->resume && (a->config || a->arch || a->out || a->sets.n)) {
		cli_errorf("train: --resume DIR takes its config and "
		           "architecture from DIR; give no CONFIG, --arch, "
		           "--out or --set with it");
		return CLI_EXIT_USAGE;
	}
	if (!a->arch && !a->resume) {
		cli_errorf("train: expected --arch FILE or --resume DIR (see "
		           "apnas train --help)");
		return CLI_EXIT_USAGE;
	}
	return 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void fmt_duration(char *buf, size_t cap, double s)
{
	long t = (long)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, cap, "%ldh%02ldm", t / 3600, t / 60 % 60);
	else if (t >= 60)
		snprintf(buf, cap, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(buf, cap, "%lds", t);
}

static char *default_dir(const apnas_config *cfg, const char *arch)
{
	const char *root = apnas_opts_string(apnas_config_core(cfg, "run"),
	                                     "dir");
	const char *base = strrchr(arch, '/');
	base = base ? base + 1 : arch;
	size_t n = strlen(base);
	const char *dot = strrchr(base, '.');
	if (dot && dot != base)
		n = (size_t)(dot - base);
	char *p = NULL;
	if (asprintf(&p, "%s/train-%.*s", *root ? root : ".", (int)n, base) < 0)
		return NULL;
	return p;
}

static char *join(const char *dir, const char *name)
{
	char *p = NULL;
	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

/* A directory holding a finished training is somebody's result, and one
 * holding a checkpoint a training to resume, not to start over. */
static int claim_dir(trainer *t, int resuming)
{
	if (apnas_exists_in(t->dir, "summary.json")) {
		cli_errorf("train: %s already holds a finished training "
		           "(summary.json)%s", t->dir,
		           resuming ? "" : "; choose another --out");
		return CLI_EXIT_USAGE;
	}
	if (!resuming && apnas_exists_in(t->dir, "checkpoint.ckpt")) {
		cli_errorf("train: %s holds an unfinished training "
		           "(checkpoint.ckpt); go on with apnas train --resume "
		           "%s, or choose another --out", t->dir, t->dir);
		return CLI_EXIT_USAGE;
	}
	apnas_error err;
	apnas_error_clear(&err);
	if (apnas_mkdir_p(t->dir, &err) < 0) {
		cli_errorf("train: %s", err.msg);
		return CLI_EXIT_FAIL;
	}
	t->ckpt = join(t->dir, "checkpoint.ckpt");
	if (!t->ckpt) {
		cli_errorf("out of memory");
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

static int open_data(trainer *t)
{
	apnas_error err;
	apnas_error_clear(&err);
	const apnas_opts *d = apnas_config_core(t->a.cfg, "data");
	t->batch = (int32_t)apnas_opts_int(d, "batch_size");
	t->eval_batch = (int32_t)apnas_opts_int(d, "eval_batch_size");
	int rc = apnas_data_open(d, t->seed, &t->ds, &err);
	if (!rc)
		rc = apnas_batcher_open(t->ds, APNAS_SPLIT_TRAIN, t->batch,
		                        &t->train_b, &err);
	if (!rc)
		rc = apnas_batcher_open(t->ds, APNAS_SPLIT_TEST, t->eval_batch,
		                        &t->test_b, &err);
	if (rc) {
		apnas_error_prefix(&err, "data");
		cli_error(&err);
		return cli_exit_code(rc);
	}
	t->test_n = apnas_data_count(t->ds, APNAS_SPLIT_TEST);
	if (t->test_n <= 0) {
		cli_errorf("train: data: the dataset has no test split to "
		           "report accuracy on");
		return CLI_EXIT_USAGE;
	}
	if (apnas_batcher_batches_per_epoch(t->train_b) <= 0) {
		cli_errorf("train: data: the training split (%lld images) "
		           "gives no full batch of %d",
		           (long long)apnas_data_count(t->ds, APNAS_SPLIT_TRAIN),
		           (int)t->batch);
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

static int open_space(trainer *t)
{
	int rc = cli_arch_space(&t->a, apnas_data_get_info(t->ds));
	if (rc)
		return rc;
	const apnas_space_ops *ops = t->a.ops;
	if (!ops->train_step || !ops->evaluate || !ops->save) {
		cli_errorf("train: space '%s' cannot be trained (it has no "
		           "train_step, evaluate and save)", t->a.file.space);
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

/* The child network on the cost model, before training: a cost model
 * that refuses the network should fail the command at once. */
static int cost_child(trainer *t)
{
	apnas_error err;
	apnas_error_clear(&err);
	int rc = t->a.ops->child_net(t->a.space.self, t->a.tok, &t->net, &err);
	if (rc) {
		apnas_error_prefix(&err, "space '%s' child_net", t->a.file.space);
		cli_error(&err);
		return cli_exit_code(rc);
	}
	rc = apnas_config_instance(t->a.cfg, APNAS_KIND_COST, NULL, &t->cost,
	                           &err);
	if (rc) {
		cli_error(&err);
		return cli_exit_code(rc);
	}
	const apnas_cost_ops *cops = t->cost.ops;
	rc = cops->cost(t->cost.self, &t->net, &t->total, NULL, &err);
	if (rc) {
		apnas_error_prefix(&err, "cost model '%s'",
		                   t->cost.lib.desc->name);
		cli_error(&err);
		return cli_exit_code(rc);
	}
	return CLI_EXIT_OK;
}

static int test_accuracy(trainer *t, double *acc)
{
	apnas_batch b;
	int64_t right = 0, seen = 0;
	apnas_error err;
	apnas_error_clear(&err);
	while (apnas_batcher_next(t->test_b, &b)) {
		int64_t c = 0;
		int rc = t->a.ops->evaluate(t->a.space.self, t->a.tok, &b, &c,
		                            &err);
		if (rc) {
			apnas_error_prefix(&err, "space '%s' evaluate",
			                   t->a.file.space);
			cli_error(&err);
			return cli_exit_code(rc);
		}
		right += c;
		seen += b.n;
	}
	*acc = seen ? (double)right / (double)seen : 0;
	return CLI_EXIT_OK;
}

/* The return value when a signal stopped the training: not a CLI_EXIT_*. */
#define STOPPED (-1)

static int train_epoch(trainer *t, long e, epoch_rec *r)
{
	int64_t nb = apnas_batcher_batches_per_epoch(t->train_b);
	double loss = 0;
	int64_t right = 0, seen = 0;
	apnas_error err;
	apnas_error_clear(&err);
	for (int64_t i = 0; i < nb; i++) {
		if (cli_stop_signal)
			return STOPPED;
		apnas_batch b;
		int got = apnas_batcher_next(t->train_b, &b);
		/* the previous epoch's end is reported once first */
		if (!got && i == 0)
			got = apnas_batcher_next(t->train_b, &b);
		if (!got) {
			cli_errorf("train: epoch %ld: the training data ended "
			           "after %lld of %lld batches", e + 1,
			           (long long)i, (long long)nb);
			return CLI_EXIT_FAIL;
		}
		apnas_step_ctx sc = {t->step, (int32_t)e, (int32_t)t->epochs,
		                     (double)e + (double)i / (double)nb};
		apnas_train_stats st = {0, 0};
		int rc = t->a.ops->train_step(t->a.space.self, t->a.tok, &b,
		                              &sc, &st, &err);
		if (rc == 0 && !isfinite(st.loss))
			rc = apnas_error_set(&err, APNAS_ENUM,
			                     "loss is not finite");
		if (rc) {
			apnas_error_prefix(&err, "training diverged or failed "
			                   "at epoch %ld, step %lld", e + 1,
			                   (long long)t->step);
			cli_error(&err);
			return CLI_EXIT_FAIL;
		}
		loss += st.loss * b.n;
		right += st.correct;
		seen += b.n;
		t->step++;
		apnas_test_hook_tick(&t->hook);
	}
	t->images += seen;
	r->loss = seen ? loss / (double)seen : 0;
	r->train_acc = seen ? (double)right / (double)seen : 0;
	return CLI_EXIT_OK;
}

static train_ckpt_parts ckpt_parts(trainer *t)
{
	train_ckpt_parts p = {t->a.ops, t->a.space.self, t->a.tok, t->a.nd,
	                      t->train_b, t->test_b};
	return p;
}

static int save_checkpoint(trainer *t)
{
	train_progress p = {t->done, t->step, t->images, t->wall, t->hist};
	train_ckpt_parts parts = ckpt_parts(t);
	apnas_error err;
	apnas_error_clear(&err);
	int rc = train_ckpt_save(t->ckpt, &p, &parts, &err);
	if (rc) {
		cli_error(&err);
		return cli_exit_code(rc);
	}
	return CLI_EXIT_OK;
}

/* A resumed training: where the checkpoint left it (if there is one: a
 * training stopped in its first epoch left none and starts over). */
static int restore(trainer *t)
{
	if (!apnas_exists_in(t->dir, "checkpoint.ckpt"))
		return CLI_EXIT_OK;
	if (!t->a.ops->load) {
		cli_errorf("train: space '%s' cannot load its state (no load)",
		           t->a.file.space);
		return CLI_EXIT_USAGE;
	}
	train_progress p = {0, 0, 0, 0, t->hist};
	train_ckpt_parts parts = ckpt_parts(t);
	apnas_error err;
	apnas_error_clear(&err);
	int rc = train_ckpt_load(t->ckpt, &p, t->epochs, &parts, &err);
	if (rc) {
		cli_error(&err);
		return CLI_EXIT_USAGE;
	}
	t->done = p.done;
	t->step = p.step;
	t->images = p.images;
	t->wall = p.wall;
	return CLI_EXIT_OK;
}

static int run(trainer *t, int quiet)
{
	/* wall and the throughput count this session's time only from here;
	 * the checkpoint carries the earlier sessions' */
	double t0 = now(), tt = 0, wall0 = t->wall;
	int64_t images0 = t->images;
	long first = t->done;
	while (t->done < t->epochs) {
		long e = t->done;
		double a = now();
		epoch_rec *r = &t->hist[e];
		int rc = train_epoch(t, e, r);
		double b = now();
		tt += b - a;
		if (!rc)
			rc = test_accuracy(t, &r->test_acc);
		if (rc)
			return rc;
		r->seconds = now() - a;
		t->done++;
		t->wall = wall0 + (now() - t0);
		if ((rc = save_checkpoint(t)))
			return rc;
		if (!quiet) {
			char eta[32], el[32];
			fmt_duration(el, sizeof el, t->wall);
			fmt_duration(eta, sizeof eta,
			             (now() - t0) / (double)(t->done - first) *
			                     (double)(t->epochs - t->done));
			fprintf(stderr, "epoch %ld/%ld  loss %.4f  train %.2f%%  "
			        "test %.2f%%  %.0f img/s  %s  ETA %s\n", e + 1,
			        t->epochs, r->loss, 100 * r->train_acc,
			        100 * r->test_acc,
			        (double)(t->images - images0) / (tt > 0 ? tt : 1),
			        el, eta);
		}
	}
	t->wall = wall0 + (now() - t0);
	return CLI_EXIT_OK;
}

/* ---- outputs ---------------------------------------------------------- */

static int save_weights(FILE *f, void *ud, apnas_error *err)
{
	trainer *t = ud;
	return t->a.ops->save(t->a.space.self, f, err);
}

static int write_config(FILE *f, void *ud, apnas_error *err)
{
	return apnas_config_write(ud, f, err);
}

static int write_summary(FILE *f, void *ud, apnas_error *err)
{
	(void)err;
	trainer *t = ud;
	const epoch_rec *last = &t->hist[t->epochs - 1];
	fputs("{\n  \"command\": \"train\",\n  \"arch_file\": ", f);
	apnas_json_str(f, t->a.path);
	fputs(",\n  \"space\": ", f);
	apnas_json_str(f, t->a.file.space);
	fputs(",\n  \"tokens\": ", f);
	apnas_json_tokens(f, t->a.tok, t->a.nd);
	fputs(",\n  \"architecture\": ", f);
	apnas_json_str(f, t->a.file.body);
	fputs(",\n  \"dataset\": ", f);
	apnas_json_str(f, apnas_data_name(t->ds));
	fprintf(f, ",\n  \"train_images\": %lld,\n  \"test_images\": %lld,\n"
	        "  \"epochs\": %ld,\n  \"batch_size\": %d,\n  \"seed\": %llu,\n"
	        "  \"threads\": %d,\n  \"test_accuracy\": ",
	        (long long)apnas_data_count(t->ds, APNAS_SPLIT_TRAIN),
	        (long long)t->test_n, t->epochs, (int)t->batch,
	        (unsigned long long)t->seed, t->threads);
	apnas_json_num(f, last->test_acc);
	fputs(",\n  \"train_accuracy\": ", f);
	apnas_json_num(f, last->train_acc);
	fputs(",\n  \"loss\": ", f);
	apnas_json_num(f, last->loss);
	fprintf(f, ",\n  \"params\": %llu,\n  \"macs\": %llu,\n"
	        "  \"layers\": %zu,\n  \"cost_model\": ",
	        (unsigned long long)apnas_net_params(&t->net),
	        (unsigned long long)apnas_net_macs(&t->net), t->net.n);
	apnas_json_str(f, t->cost.lib.desc->name);
	fprintf(f, ",\n  \"cycles\": %llu,\n  \"utilization_pct\": ",
	        (unsigned long long)t->total.cycles);
	apnas_json_num(f, t->total.utilization);
	fputs(",\n  \"wall_seconds\": ", f);
	apnas_json_num(f, t->wall);
	fputs(",\n  \"history\": [", f);
	for (long e = 0; e < t->epochs; e++) {
		const epoch_rec *r = &t->hist[e];
		fprintf(f, "%s\n    {\"epoch\": %ld, \"loss\": ", e ? "," : "",
		        e + 1);
		apnas_json_num(f, r->loss);
		fputs(", \"train_accuracy\": ", f);
		apnas_json_num(f, r->train_acc);
		fputs(", \"test_accuracy\": ", f);
		apnas_json_num(f, r->test_acc);
		fputs(", \"seconds\": ", f);
		apnas_json_num(f, r->seconds);
		fputc('}', f);
	}
	fputs("\n  ],\n  \"files\": {\"weights\": \"weights.bin\", "
	      "\"arch\": \"arch.arch\", \"config\": \"config.cfg\"}\n}\n", f);
	return 0;
}

static int write_arch(trainer *t, const char *comment, apnas_error *err)
{
	char *ar = join(t->dir, "arch.arch");
	int rc = ar ? apnas_archfile_write(ar, t->a.file.space, t->a.space.opts,
	                                   t->a.ops, t->a.space.self, t->a.tok,
	                                   comment, err)
	            : apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	free(ar);
	return rc;
}

/* Before the first epoch: what --resume reads back (a resumed training
 * rewrites only the config, whose train.epochs --epochs may change). */
static int write_start(trainer *t, int resuming)
{
	apnas_error err;
	apnas_error_clear(&err);
	char comment[512];
	snprintf(comment, sizeof comment,
	         "being trained by apnas train from %s (%ld epochs)", t->a.path,
	         t->epochs);
	char *c = join(t->dir, "config.cfg");
	int rc = c ? apnas_write_atomic_with(c, 0, write_config, t->a.cfg, &err)
	           : apnas_error_set(&err, APNAS_ENOMEM, "out of memory");
	free(c);
	if (!rc && !resuming)
		rc = write_arch(t, comment, &err);
	if (rc) {
		cli_error(&err);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

static int write_outputs(trainer *t)
{
	apnas_error err;
	apnas_error_clear(&err);
	char comment[512];
	const epoch_rec *last = &t->hist[t->epochs - 1];
	snprintf(comment, sizeof comment,
	         "trained by apnas train from %s: %ld epochs, test accuracy "
	         "%.6f on %lld images\ncycles %llu (%s), MACs %llu, params "
	         "%llu", t->a.path, t->epochs, last->test_acc,
	         (long long)t->test_n, (unsigned long long)t->total.cycles,
	         t->cost.lib.desc->name,
	         (unsigned long long)apnas_net_macs(&t->net),
	         (unsigned long long)apnas_net_params(&t->net));
	char *w = join(t->dir, "weights.bin"), *s = join(t->dir, "summary.json");
	int rc = (!w || !s)
	                 ? apnas_error_set(&err, APNAS_ENOMEM, "out of memory")
	                 : 0;
	if (!rc)
		rc = apnas_write_atomic_with(w, 1, save_weights, t, &err);
	if (!rc)
		rc = write_arch(t, comment, &err);
	/* last: its presence marks the directory as finished */
	if (!rc)
		rc = apnas_write_atomic_with(s, 0, write_summary, t, &err);
	free(w);
	free(s);
	if (rc) {
		cli_error(&err);
		return CLI_EXIT_FAIL;
	}
	/* weights.bin now holds what the checkpoint held */
	if (remove(t->ckpt) && errno != ENOENT)
		cli_errorf("train: note: could not remove %s: %s", t->ckpt,
		           strerror(errno));
	return CLI_EXIT_OK;
}

static void print_result(const trainer *t)
{
	const epoch_rec *last = &t->hist[t->epochs - 1];
	char wall[32];
	fmt_duration(wall, sizeof wall, t->wall);
	printf("architecture %s (space %s, %zu layers on the array)\n",
	       t->a.path, t->a.file.space, t->net.n);
	printf("test accuracy  %.2f%% (%lld test images, after %ld epochs "
	       "on %lld training images)\n", 100 * last->test_acc,
	       (long long)t->test_n, t->epochs,
	       (long long)apnas_data_count(t->ds, APNAS_SPLIT_TRAIN));
	printf("params         %llu\n",
	       (unsigned long long)apnas_net_params(&t->net));
	printf("MACs           %llu\n",
	       (unsigned long long)apnas_net_macs(&t->net));
	printf("cycles         %llu (cost model %s, utilization %.2f%%)\n",
	       (unsigned long long)t->total.cycles, t->cost.lib.desc->name,
	       t->total.utilization);
	printf("wall time      %s (%.1f s, %d threads)\n", wall, t->wall,
	       t->threads);
	printf("files: %s/{weights.bin,arch.arch,config.cfg,summary.json}\n",
	       t->dir);
}

int cmd_train(int argc, char **argv)
{
	train_args a;
	trainer t;
	memset(&t, 0, sizeof t);
	apnas_net_init(&t.net);
	int rc = parse_args(argc, argv, &a);
	if (rc) {
		cli_sets_free(&a.sets);
		return rc < 0 ? CLI_EXIT_OK : rc;
	}
	/* The total goes into the config: DIR/config.cfg is what --resume
	 * reads, so a resumed training knows how far it was to go. */
	char epochs_set[64], *cfg_path = NULL, *arch_path = NULL;
	snprintf(epochs_set, sizeof epochs_set, "train.epochs=%ld", a.epochs);
	if (a.epochs && cli_sets_add(&a.sets, epochs_set)) {
		cli_errorf("out of memory");
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	if (a.resume) {
		cfg_path = join(a.resume, "config.cfg");
		arch_path = join(a.resume, "arch.arch");
		if (!cfg_path || !arch_path) {
			cli_errorf("out of memory");
			rc = CLI_EXIT_FAIL;
			goto out;
		}
		rc = cli_arch_config(&t.a, cfg_path, arch_path, NULL, 0,
		                     a.sets.v, a.sets.n);
	} else {
		/* Retraining uses every training image unless the user says
		 * not. */
		static const char *const pre[] = {"data.val_size=0"};
		rc = cli_arch_config(&t.a, a.config, a.arch, pre, 1, a.sets.v,
		                     a.sets.n);
	}
	if (rc)
		goto out;
	const apnas_opts *run_o = apnas_config_core(t.a.cfg, "run");
	t.seed = (uint64_t)apnas_opts_int(run_o, "seed");
	t.threads = apnas_threads_resolve((int)apnas_opts_int(run_o,
	                                                      "threads"));
	apnas_nn_set_threads(t.threads);
	t.epochs = (long)apnas_opts_int(apnas_config_core(t.a.cfg, "train"),
	                                "epochs");
	t.hist = calloc((size_t)t.epochs, sizeof *t.hist);
	t.dir = a.resume ? strdup(a.resume)
	        : a.out  ? strdup(a.out)
	                 : default_dir(t.a.cfg, a.arch);
	if (!t.hist || !t.dir) {
		cli_errorf("out of memory");
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	int resuming = a.resume != NULL;
	if ((rc = open_data(&t)) || (rc = open_space(&t)) ||
	    (rc = cost_child(&t)) || (rc = claim_dir(&t, resuming)) ||
	    (resuming && (rc = restore(&t))) ||
	    (rc = write_start(&t, resuming)))
		goto out;
	if (!a.quiet) {
		char desc[256], from[64] = "";
		apnas_data_describe(t.ds, desc, sizeof desc);
		if (t.done)
			snprintf(from, sizeof from, " from epoch %ld", t.done + 1);
		fprintf(stderr, "apnas: train %s for %ld epochs%s on %s, batch "
		        "%d, %d threads -> %s\n", t.a.path, t.epochs, from, desc,
		        (int)t.batch, t.threads, t.dir);
	}
	apnas_test_hook_init(&t.hook);
	cli_stop_on_signals();
	rc = run(&t, a.quiet);
	cli_stop_default();
	if (rc == STOPPED) {
		if (t.done)
			cli_errorf("train: stopped by signal %d in epoch %ld; the "
			           "checkpoint holds epoch %ld: apnas train "
			           "--resume %s", (int)cli_stop_signal, t.done + 1,
			           t.done, t.dir);
		else
			cli_errorf("train: stopped by signal %d in epoch 1, "
			           "before any checkpoint: apnas train --resume "
			           "%s starts it again", (int)cli_stop_signal, t.dir);
		rc = 128 + (int)cli_stop_signal;
		goto out;
	}
	if (rc || (rc = write_outputs(&t)))
		goto out;
	print_result(&t);
	rc = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
out:
	if (t.cost.lib.handle)
		apnas_instance_destroy(&t.cost);
	/* the space before the data its info points into */
	cli_arch_free(&t.a);
	apnas_batcher_close(t.train_b);
	apnas_batcher_close(t.test_b);
	apnas_data_close(t.ds);
	apnas_net_free(&t.net);
	free(t.hist);
	free(t.dir);
	free(t.ckpt);
	free(cfg_path);
	free(arch_path);
	cli_sets_free(&a.sets);
	return rc;
}
