/* `apnas train` from start to finish: the config and architecture (or
 * the training directory's own when resuming, locked first), the data, the
 * space and the cost of its network; only then the run directory is
 * claimed, so every refusal that can be known before training leaves
 * nothing behind.  Then the checkpoint (when resuming), the epochs and the
 * outputs.  See train.h. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apnas/nn.h>

#include "atomic.h"
#include "memcap.h"
#include "mpi/mpi.h"
#include "search/ckpt.h"
#include "train/train_int.h"
#include "util/threads.h"

/* The user's --set, with the epochs total last: DIR/config.cfg is what
 * --resume reads, so a resumed training knows how far it was to go. */
static const char **all_sets(const apnas_train_args *a, char *epochs_set,
                             size_t *n)
{
	const char **v = calloc(a->nsets + 2, sizeof *v);
	if (!v)
		return NULL;
	for (size_t i = 0; i < a->nsets; i++)
		v[i] = a->sets[i];
	*n = a->nsets;
	if (a->epochs > 0)
		v[(*n)++] = epochs_set;
	return v;
}

static int open_config(apnas_trainer *t, apnas_error *err)
{
	const apnas_train_args *a = t->args;
	char epochs_set[64];
	snprintf(epochs_set, sizeof epochs_set, "train.epochs=%ld", a->epochs);
	size_t n = 0;
	const char **sets = all_sets(a, epochs_set, &n);
	if (!sets)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	FILE *msg = t->rank == 0 ? a->msg : NULL; /* one voice */
	int rc;
	if (a->resume_dir) {
		char *cfg = apnas_rundir_path(&t->rd, "config.cfg");
		char *arch = apnas_rundir_path(&t->rd, "arch.arch");
		rc = cfg && arch ? apnas_arch_config_hw(&t->a, cfg, arch, NULL,
		                                        0, sets, n, msg,
		                                        err)
		                 : apnas_error_set(err, APNAS_ENOMEM,
		                                   "out of memory");
		free(cfg);
		/* t->a.path borrows it until the end */
		t->resume_arch = arch;
	} else {
		/* Retraining uses every training image unless the user says
		 * not. */
		static const char *const pre[] = {"data.val_size=0"};
		/* The trained network is costed on the file's hardware section
		 * (a co-search's pick), if it has one; training ignores it. */
		rc = apnas_arch_config_hw(&t->a, a->config_path, a->arch, pre,
		                          1, sets, n, msg, err);
	}
	free(sets);
	return rc;
}

static int open_data(apnas_trainer *t, apnas_error *err)
{
	const apnas_opts *d = apnas_config_core(t->a.cfg, "data");
	t->batch = (int32_t)apnas_opts_int(d, "batch_size");
	t->eval_batch = (int32_t)apnas_opts_int(d, "eval_batch_size");
	int rc = apnas_data_open(d, t->seed, &t->ds, err);
	if (!rc)
		rc = apnas_batcher_open(t->ds, APNAS_SPLIT_TRAIN, t->batch,
		                        &t->train_b, err);
	if (!rc)
		rc = apnas_batcher_open(t->ds, APNAS_SPLIT_TEST, t->eval_batch,
		                        &t->test_b, err);
	if (rc)
		return apnas_error_prefix(err, "data");
	t->test_n = apnas_data_count(t->ds, APNAS_SPLIT_TEST);
	if (t->test_n <= 0)
		return apnas_error_set(err, APNAS_EINVAL,
			"train: data: the dataset has no test split to report "
			"accuracy on");
	if (apnas_batcher_batches_per_epoch(t->train_b) <= 0)
		return apnas_error_set(err, APNAS_EINVAL,
			"train: data: the training split (%lld images) gives no "
			"full batch of %d",
			(long long)apnas_data_count(t->ds, APNAS_SPLIT_TRAIN),
			(int)t->batch);
	return 0;
}

static int open_space(apnas_trainer *t, apnas_error *err)
{
	int rc = apnas_arch_space(&t->a, apnas_data_get_info(t->ds), err);
	if (rc)
		return rc;
	const apnas_space_ops *ops = t->a.ops;
	if (!ops->train_step || !ops->evaluate || !ops->save)
		return apnas_error_set(err, APNAS_EINVAL,
			"train: space '%s' cannot be trained (it has no "
			"train_step, evaluate and save)", t->a.file.space);
	return 0;
}

/* The directory's path, without touching it; a resumed training's is
 * locked at once, before anything is read from it. */
static int name_dir(apnas_trainer *t, apnas_error *err)
{
	const apnas_train_args *a = t->args;
	if (a->resume_dir) {
		char cfg[PATH_MAX];
		snprintf(cfg, sizeof cfg, "%s/config.cfg", a->resume_dir);
		if (access(cfg, R_OK) != 0)
			return apnas_error_set(err, APNAS_EINVAL,
				"--resume %s: not a training directory (no "
				"readable config.cfg)", a->resume_dir);
		int rc = apnas_rundir_init(&t->rd, a->resume_dir, err);
		if (rc == 0 && t->rank == 0) /* rank 0 owns the directory */
			rc = apnas_rundir_lock(&t->rd, err);
		if (rc == 0 && apnas_rundir_state(t->rd.dir, APNAS_RUN_TRAIN) ==
		                       APNAS_RUNDIR_FINISHED)
			rc = apnas_error_set(err, APNAS_EINVAL,
				"train: %s already holds a finished training "
				"(summary.json)", t->rd.dir);
		return rc;
	}
	return 0;
}

static int name_fresh_dir(apnas_trainer *t, apnas_error *err)
{
	const apnas_train_args *a = t->args;
	char *def = NULL;
	if (!a->out_dir) {
		const char *root = apnas_opts_string(
			apnas_config_core(t->a.cfg, "run"), "dir");
		if (!(def = apnas_rundir_train_default(root, a->arch)))
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "out of memory");
	}
	int rc = apnas_rundir_init(&t->rd, def ? def : a->out_dir, err);
	free(def);
	if (rc == 0 && t->rank == 0)
		rc = apnas_rundir_refuse_fresh(t->rd.dir, APNAS_RUN_TRAIN, err);
	if (rc < 0)
		return apnas_error_prefix(err, "train");
	return 0;
}

static int setup(apnas_trainer *t, apnas_error *err)
{
	const apnas_train_args *a = t->args;
	int resuming = a->resume_dir != NULL;
	int rc = name_dir(t, err);
	if (rc == 0)
		rc = open_config(t, err);
	if (rc)
		return rc;
	const apnas_opts *run_o = apnas_config_core(t->a.cfg, "run");
	t->seed = (uint64_t)apnas_opts_int(run_o, "seed");
	t->threads = apnas_threads_resolve((int)apnas_opts_int(run_o,
	                                                       "threads"));
	apnas_nn_set_threads(t->threads);
	apnas_memcap_set_mib(apnas_opts_int(run_o, "memory_limit"));
	t->epochs = (long)apnas_opts_int(apnas_config_core(t->a.cfg, "train"),
	                                 "epochs");
	t->hist = calloc((size_t)t->epochs, sizeof *t->hist);
	if (!t->hist)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	if (!resuming && (rc = name_fresh_dir(t, err)))
		return rc;
	t->a.coll = apnas_mpi_collective();
	if ((rc = open_data(t, err)) || (rc = open_space(t, err)) ||
	    (rc = apnas_train_dist_check(t, err)) ||
	    (rc = apnas_train_cost_net(&t->cost, t->a.cfg, t->a.ops,
	                               t->a.space.self, t->a.file.space,
	                               t->a.tok, err)))
		return rc;
	/* Everything the user could have got wrong is checked: now the
	 * directory (rank 0's). */
	if (t->rank == 0 &&
	    (rc = apnas_rundir_claim(&t->rd, APNAS_RUN_TRAIN, !resuming, NULL,
	                             err)))
		return rc;
	if (!(t->ckpt = apnas_rundir_path(&t->rd, "checkpoint.ckpt")))
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	if (resuming && (rc = apnas_train_restore(t, err)))
		return rc;
	return t->rank > 0 ? 0 : apnas_train_write_start(t, resuming, err);
}

static void teardown(apnas_trainer *t)
{
	apnas_train_cost_free(&t->cost);
	/* the space before the data its info points into */
	apnas_arch_close(&t->a);
	free(t->resume_arch);
	apnas_batcher_close(t->train_b);
	apnas_batcher_close(t->test_b);
	apnas_data_close(t->ds);
	free(t->hist);
	free(t->ckpt);
	apnas_rundir_release(&t->rd);
}

int apnas_train_run(const apnas_train_args *a, apnas_train_result *res,
                    apnas_error *err)
{
	memset(res, 0, sizeof *res);
	if (!a->resume_dir == !a->arch)
		return apnas_error_set(err, APNAS_EINVAL,
			"train: give --arch FILE or --resume DIR");
	if (a->resume_dir && (a->config_path || a->out_dir || a->nsets))
		return apnas_error_set(err, APNAS_EINVAL,
			"train: --resume DIR takes its config and architecture "
			"from DIR; give no CONFIG, --arch, --out or --set with "
			"it");
	apnas_trainer t;
	memset(&t, 0, sizeof t);
	t.args = a;
	t.rd.lock_fd = -1;
	t.rank = apnas_mpi_rank();
	t.nranks = apnas_mpi_size();
	apnas_train_cost_init(&t.cost);
	int rc = setup(&t, err);
	if (t.rd.dir)
		snprintf(res->dir, sizeof res->dir, "%s", t.rd.dir);
	res->threads = t.threads;
	if (t.nranks > 1) {
		/* every rank learns whether setup failed anywhere */
		int failed = rc != 0;
		if (!failed)
			apnas_error_set(err, APNAS_EINVAL, "another rank failed");
		int arc = apnas_train_dist_agree(&t, &failed, &res->quiet, err);
		if (arc < 0)
			rc = arc;
		else if (failed && rc == 0)
			rc = APNAS_EINVAL;
		if (rc == 0)
			apnas_error_clear(err);
	}
	if (rc)
		goto out;
	if (!a->quiet && a->msg && t.rank == 0) {
		char desc[256], from[64] = "";
		apnas_data_describe(t.ds, desc, sizeof desc);
		if (t.done)
			snprintf(from, sizeof from, " from epoch %ld", t.done + 1);
		char ranks[64] = "", remark[256] = "";
		if (t.nranks > 1)
			snprintf(ranks, sizeof ranks, " per rank, %d MPI ranks "
			         "(data parallel)", t.nranks);
		if (t.done)
			apnas_ckpt_ranks_remark(remark, sizeof remark,
			                        t.ckpt_nranks, t.nranks);
		fprintf(a->msg, "apnas: train %s for %ld epochs%s on %s, batch "
		        "%d, %d threads%s -> %s%s\n", t.a.path, t.epochs, from,
		        desc, (int)t.batch, t.threads, ranks, t.rd.dir, remark);
		fflush(a->msg);
	}
	apnas_test_hook_init(&t.hook);
	rc = apnas_train_epochs(&t, err);
	/* a diverged loss and a rank mismatch are seen by every rank; any
	 * other failure in the epochs is this rank's alone */
	res->lone_failure = t.nranks > 1 && rc < 0 && !t.agreed_error;
	if (t.rank > 0) {
		/* rank 0 reports and writes the outputs */
		if (rc == APNAS_TRAIN_STOPPED) {
			res->stopped_by = t.stop_sig;
			rc = APNAS_EINTR;
		}
		res->quiet = 1;
		goto out;
	}
	if (rc == APNAS_TRAIN_STOPPED) {
		int sig = t.stop_sig ? t.stop_sig : (int)*a->stop;
		res->stopped_by = sig;
		if (a->msg && t.done)
			fprintf(a->msg, "apnas: train: stopped by signal %d in "
			        "epoch %ld; the checkpoint holds epoch %ld: apnas "
			        "train --resume %s\n", sig, t.done + 1, t.done,
			        t.rd.dir);
		else if (a->msg)
			fprintf(a->msg, "apnas: train: stopped by signal %d in "
			        "epoch 1, before any checkpoint: apnas train "
			        "--resume %s starts it again\n", sig, t.rd.dir);
		rc = apnas_error_set(err, APNAS_EINTR,
		                     "interrupted by signal %d", sig);
		goto out;
	}
	if (rc || (rc = apnas_train_write_outputs(&t, err)))
		goto out;
	apnas_train_print_result(&t);
	if (a->out && fflush(a->out) != 0)
		rc = apnas_error_set(err, APNAS_EIO, "cannot write the result");
out:
	teardown(&t);
	return rc;
}
