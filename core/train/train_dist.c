/* `mpirun -np N apnas train`: a retraining data-parallel over the ranks
 * (docs/mpi.md), as the search's shared-weight phase.  Every rank holds
 * the whole training (config, architecture, data, batchers, space) and
 * draws the same global batches; it trains on its share and scores its
 * share of each test batch, the space summing gradients, batch
 * statistics and counts over the ranks (apnas_plugin_ctx.coll).  Rank 0
 * alone writes the directory, the checkpoints and the outputs, and
 * prints.  Stops are agreed at every step. */
#include <stdio.h>
#include <stdlib.h>

#include "mpi/mpi.h"
#include "train/train_int.h"

/* The smallest batch a batcher of `bs` over n images hands out. */
static int64_t smallest_batch(const apnas_batcher *b, int64_t n)
{
	int32_t bs = apnas_batcher_batch_size(b);
	int drop = (apnas_batcher_flags(b) & APNAS_BATCH_DROP_LAST) != 0;
	int64_t full = n < bs ? n : bs;
	int64_t rest = n % bs;
	if (n > bs && rest > 0 && !drop && rest < full)
		return rest;
	return full;
}

static int check_batches(apnas_trainer *t, const apnas_batcher *b,
                         apnas_split split, const char *what,
                         const char *key, apnas_error *err)
{
	int64_t n = apnas_data_count(t->ds, split);
	int64_t least = smallest_batch(b, n);
	if (least >= t->nranks)
		return 0;
	return apnas_error_set(err, APNAS_EINVAL,
		"train: mpirun -np %d: %d ranks exceed the %lld images of the "
		"smallest %s batch (data.%s = %d, %lld images in the split): "
		"each rank needs at least one image of every batch; use at "
		"most %lld ranks or a larger batch", t->nranks, t->nranks,
		(long long)least, what, key,
		(int)apnas_batcher_batch_size(b), (long long)n,
		(long long)least);
}

int apnas_train_dist_check(apnas_trainer *t, apnas_error *err)
{
	if (t->nranks <= 1)
		return 0;
	uint32_t minor = t->a.space.lib.desc->abi_minor;
	if (minor < 2)
		return apnas_error_set(err, APNAS_EINVAL,
			"train: mpirun -np %d: space '%s' was built for ABI "
			"2.%u, before data-parallel training (2.2, "
			"apnas_plugin_ctx.coll); rebuild it against this SDK "
			"or train as one process", t->nranks, t->a.file.space,
			(unsigned)minor);
	int rc = check_batches(t, t->train_b, APNAS_SPLIT_TRAIN, "training",
	                       "batch_size", err);
	if (rc == 0)
		rc = check_batches(t, t->test_b, APNAS_SPLIT_TEST, "test",
		                   "eval_batch_size", err);
	return rc;
}

int apnas_train_dist_agree(apnas_trainer *t, int *failed, int *quiet,
                           apnas_error *err)
{
	*quiet = 0;
	if (t->nranks <= 1)
		return 0;
	int first = -1;
	apnas_error e;
	apnas_error_clear(&e);
	if (apnas_mpi_first_failed(*failed, &first, &e) < 0) {
		apnas_mpi_abort(1);
		*err = e;
		return e.code;
	}
	if (first < 0)
		return 0;
	if (first == t->rank && t->rank > 0)
		apnas_error_prefix(err, "rank %d", t->rank);
	*quiet = first != t->rank;
	*failed = 1;
	return 0;
}

int apnas_train_stop_now(apnas_trainer *t, apnas_error *err)
{
	int sig = t->args->stop ? (int)*t->args->stop : 0;
	if (t->nranks <= 1)
		return sig != 0;
	int rc = apnas_mpi_max_ints(&sig, 1, err);
	if (rc < 0)
		return rc;
	t->stop_sig = sig;
	return sig != 0;
}

void apnas_train_share(const apnas_trainer *t, const apnas_batch *full,
                       apnas_batch *mine)
{
	if (t->nranks <= 1) {
		*mine = *full;
		return;
	}
	const apnas_data_info *in = apnas_data_get_info(t->ds);
	apnas_mpi_share(full, (size_t)in->c * (size_t)in->h * (size_t)in->w,
	                mine);
}

int apnas_train_check_ranks(apnas_trainer *t, apnas_error *err)
{
	if (t->nranks <= 1)
		return 0;
	int bad = -1;
	int rc = apnas_mpi_same_saved(t->a.ops->save, t->a.space.self, NULL,
	                              &bad, err);
	if (rc < 0 || bad < 0)
		return rc;
	t->agreed_error = 1;
	return apnas_error_set(err, APNAS_EPLUGIN,
		"train: epoch %ld: the weights of space '%s' differ between "
		"rank 0 and rank %d: the space does not sum its gradients "
		"over the ranks (apnas_plugin_ctx.coll); train it as one "
		"process", t->done + 1, t->a.file.space, bad);
}
