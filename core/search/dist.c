/* The search over MPI ranks (`mpirun -np N apnas search`), docs/mpi.md.
 *
 * Every rank holds the whole run: the config, the data and its two
 * batchers (so every rank draws the same global batches, with the same
 * augmentation), the space and the controller.  Rank 0 alone samples
 * architectures (broadcast to the others), costs and rewards them,
 * updates the controller, writes the run directory and the checkpoints,
 * and prints.  Each train step and each validation batch is split into
 * contiguous shares, one per rank (apnas_coll_share); the space sums its
 * gradients and batch statistics over the ranks (ctx->coll).  Stops are
 * decided together: at every step the ranks agree on the largest stop
 * reason any of them sees (a signal, the time limit), so all of them
 * stop at the same step.  After the loop rank 0 derives alone. */
#include <stdlib.h>
#include <string.h>

#include "mpi/mpi.h"
#include "search_int.h"

/* The smallest batch a batcher of `bs` over n images hands out. */
static int64_t smallest_batch(int64_t n, int32_t bs, int drop_last)
{
	int64_t full = n < bs ? n : bs;
	int64_t rest = n % bs;
	if (n > bs && rest > 0 && !drop_last && rest < full)
		return rest;
	return full;
}

static int check_batches(apnas_search *s, const apnas_batcher *b,
                         apnas_split split, const char *key,
                         apnas_error *err)
{
	int64_t n = apnas_data_count(s->ds, split);
	int32_t bs = apnas_batcher_batch_size(b);
	int drop = (apnas_batcher_flags(b) & APNAS_BATCH_DROP_LAST) != 0;
	int64_t least = smallest_batch(n, bs, drop);
	if (least >= s->nranks)
		return 0;
	return apnas_error_set(err, APNAS_EINVAL,
		"mpirun -np %d: %d ranks exceed the %lld images of the "
		"smallest %s batch (data.%s = %d, %lld images in the split): "
		"each rank needs at least one image of every batch; use at "
		"most %lld ranks or a larger batch", s->nranks, s->nranks,
		(long long)least,
		split == APNAS_SPLIT_TRAIN ? "training" : "validation", key,
		(int)bs,
		(long long)n, (long long)least);
}

int apnas_search_dist_check(apnas_search *s, apnas_error *err)
{
	if (s->nranks <= 1)
		return 0;
	if (!s->trains)
		return apnas_error_set(err, APNAS_EINVAL,
			"mpirun -np %d: space '%s' trains no weights (it "
			"scores architectures itself), so ranks have nothing "
			"to share; run it as one process", s->nranks,
			s->space_name);
	uint32_t minor = s->space.lib.desc->abi_minor;
	if (minor < 2)
		return apnas_error_set(err, APNAS_EINVAL,
			"mpirun -np %d: space '%s' was built for ABI 2.%u, "
			"before data-parallel training (2.2, "
			"apnas_plugin_ctx.coll); rebuild it against this SDK "
			"or run as one process", s->nranks, s->space_name,
			(unsigned)minor);
	int rc = check_batches(s, s->train_b, APNAS_SPLIT_TRAIN,
	                       "batch_size", err);
	if (rc == 0)
		rc = check_batches(s, s->val_b, APNAS_SPLIT_VAL,
		                   "eval_batch_size", err);
	return rc;
}

int apnas_search_dist_agree(apnas_search *s, int *failed, apnas_error *err)
{
	if (s->nranks <= 1)
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
	/* the lowest failing rank speaks */
	if (first == s->rank && s->rank > 0)
		apnas_error_prefix(err, "rank %d", s->rank);
	s->quiet_error = first != s->rank;
	*failed = 1;
	return 0;
}

int apnas_search_stop_now(apnas_search *s, apnas_error *err)
{
	int stop = apnas_search_should_stop(s);
	if (s->nranks <= 1)
		return stop;
	/* signal before time: a person who pressed ^C wants the checkpoint
	 * and the exit status of a signal */
	int v[2] = {stop == APNAS_STOP_SIGNAL ? 2 : stop == APNAS_STOP_TIME,
	            s->args->stop ? (int)*s->args->stop : 0};
	int rc = apnas_mpi_max_ints(v, 2, err);
	if (rc < 0)
		return rc;
	s->stop_sig = v[1];
	return v[0] == 2 ? APNAS_STOP_SIGNAL
	       : v[0] == 1 ? APNAS_STOP_TIME : APNAS_STOP_NONE;
}

int apnas_search_bcast_tok(apnas_search *s, int32_t *tok, apnas_error *err)
{
	if (s->nranks <= 1)
		return 0;
	return apnas_mpi_bcast(tok, s->nd * sizeof *tok, err);
}

void apnas_search_share(const apnas_search *s, const apnas_batch *full,
                        apnas_batch *mine)
{
	if (s->nranks <= 1) {
		*mine = *full;
		return;
	}
	const apnas_data_info *in = apnas_data_get_info(s->ds);
	apnas_mpi_share(full, (size_t)in->c * (size_t)in->h * (size_t)in->w,
	                mine);
}

int apnas_search_check_ranks(apnas_search *s, apnas_error *err)
{
	if (s->nranks <= 1)
		return 0;
	char what[96];
	snprintf(what, sizeof what, "space '%s' save", s->space_name);
	int bad = -1;
	int rc = apnas_mpi_same_saved(s->sops->save, s->space.self, what, &bad,
	                              err);
	if (rc < 0 || bad < 0)
		return rc;
	s->agreed_error = 1;
	return apnas_error_set(err, APNAS_EPLUGIN,
		"epoch %lld: the weights of space '%s' differ between rank 0 "
		"and rank %d: the space does not sum its gradients over the "
		"ranks (apnas_plugin_ctx.coll, docs/plugin-authoring.md); run "
		"it as one process", (long long)s->ct.epoch, s->space_name,
		bad);
}
