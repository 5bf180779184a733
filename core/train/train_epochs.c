/* The epochs of a training: one pass over the training split, then the
 * test split, then a checkpoint, so that a stop (signal, crash, end of a
 * session) loses at most the epoch in progress and a resume goes on bit
 * for bit. */
#include <math.h>
#include <stdio.h>

#include "atomic.h"
#include "train/train_int.h"

static int test_accuracy(apnas_trainer *t, double *acc, apnas_error *err)
{
	apnas_batch b;
	int64_t right = 0, seen = 0;
	while (apnas_batcher_next(t->test_b, &b)) {
		int64_t c = 0;
		/* MPI: this rank's share; the count is the whole batch's */
		apnas_batch mine;
		apnas_train_share(t, &b, &mine);
		int rc = t->a.ops->evaluate(t->a.space.self, t->a.tok, &mine,
		                            &c, err);
		if (rc)
			return apnas_error_prefix(err, "space '%s' evaluate",
			                          t->a.file.space);
		right += c;
		seen += b.n;
	}
	*acc = seen ? (double)right / (double)seen : 0;
	return 0;
}

static int train_epoch(apnas_trainer *t, long e, train_epoch_rec *r,
                       apnas_error *err)
{
	int64_t nb = apnas_batcher_batches_per_epoch(t->train_b);
	double loss = 0;
	int64_t right = 0, seen = 0;
	for (int64_t i = 0; i < nb; i++) {
		int stop = apnas_train_stop_now(t, err);
		if (stop)
			return stop < 0 ? stop : APNAS_TRAIN_STOPPED;
		apnas_batch b;
		int got = apnas_batcher_next(t->train_b, &b);
		/* the previous epoch's end is reported once first */
		if (!got && i == 0)
			got = apnas_batcher_next(t->train_b, &b);
		if (!got)
			return apnas_error_set(err, APNAS_EIO,
				"train: epoch %ld: the training data ended "
				"after %lld of %lld batches", e + 1,
				(long long)i, (long long)nb);
		apnas_step_ctx sc = {t->step, (int32_t)e, (int32_t)t->epochs,
		                     (double)e + (double)i / (double)nb};
		apnas_train_stats st = {0, 0};
		apnas_batch mine;
		apnas_train_share(t, &b, &mine);
		int rc = t->a.ops->train_step(t->a.space.self, t->a.tok, &mine,
		                              &sc, &st, err);
		if (rc == 0 && !isfinite(st.loss))
			rc = apnas_error_set(err, APNAS_ENUM,
			                     "loss is not finite");
		if (rc == APNAS_EINVAL)
			/* bad input that shows only when a step runs: a
			 * graph's activations over the memory limit */
			return apnas_error_prefix(err, "train: epoch %ld",
			                          e + 1);
		if (rc) {
			/* a non-finite loss is the global batch's: every
			 * rank stops here */
			t->agreed_error = rc == APNAS_ENUM;
			apnas_error_prefix(err, "training diverged or failed "
			                   "at epoch %ld, step %lld", e + 1,
			                   (long long)t->step);
			/* the run failed: not an input to fix (exit 1) */
			return err->code = rc == APNAS_ENOMEM ? rc : APNAS_ENUM;
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
	return 0;
}

static train_ckpt_parts ckpt_parts(apnas_trainer *t)
{
	train_ckpt_parts p = {t->a.ops, t->a.space.self, t->a.tok, t->a.nd,
	                      t->train_b, t->test_b};
	return p;
}

int apnas_train_restore(apnas_trainer *t, apnas_error *err)
{
	if (!apnas_exists_in(t->rd.dir, "checkpoint.ckpt"))
		return 0;
	if (!t->a.ops->load)
		return apnas_error_set(err, APNAS_EINVAL,
			"train: space '%s' cannot load its state (no load)",
			t->a.file.space);
	train_progress p = {0, 0, 0, 0, t->hist, 0};
	train_ckpt_parts parts = ckpt_parts(t);
	int rc = train_ckpt_load(t->ckpt, &p, t->epochs, &parts, err);
	if (rc)
		/* a torn, foreign or other architecture's checkpoint */
		return err->code = rc == APNAS_ENOMEM ? rc : APNAS_EINVAL;
	t->done = p.done;
	t->step = p.step;
	t->images = p.images;
	t->wall = p.wall;
	t->ckpt_nranks = p.nranks;
	return 0;
}

int apnas_train_epochs(apnas_trainer *t, apnas_error *err)
{
	/* wall and the throughput count this session's time only from here;
	 * the checkpoint carries the earlier sessions' */
	apnas_run_clock clock;
	apnas_run_clock_start(&clock, t->wall);
	double tt = 0;
	int64_t images0 = t->images;
	long first = t->done;
	FILE *msg = t->args->quiet || t->rank > 0 ? NULL : t->args->msg;
	while (t->done < t->epochs) {
		long e = t->done;
		double a = apnas_clock_now();
		train_epoch_rec *r = &t->hist[e];
		int rc = train_epoch(t, e, r, err);
		tt += apnas_clock_now() - a;
		if (!rc)
			rc = test_accuracy(t, &r->test_acc, err);
		if (rc)
			return rc;
		r->seconds = apnas_clock_now() - a;
		t->done++;
		t->wall = apnas_run_clock_wall(&clock);
		train_progress p = {t->done, t->step, t->images, t->wall,
		                    t->hist, t->nranks};
		train_ckpt_parts parts = ckpt_parts(t);
		if ((rc = apnas_train_check_ranks(t, err)))
			return rc;
		/* rank 0 writes what every rank holds */
		if (t->rank == 0 &&
		    (rc = train_ckpt_save(t->ckpt, &p, &parts, err)))
			return rc;
		if (msg) {
			char eta[32], el[32];
			apnas_fmt_duration(el, sizeof el, t->wall);
			apnas_fmt_duration(eta, sizeof eta,
				apnas_run_clock_session(&clock) /
				(double)(t->done - first) *
				(double)(t->epochs - t->done));
			fprintf(msg, "epoch %ld/%ld  loss %.4f  train %.2f%%  "
			        "test %.2f%%  %.0f img/s  %s  ETA %s\n", e + 1,
			        t->epochs, r->loss, 100 * r->train_acc,
			        100 * r->test_acc,
			        (double)(t->images - images0) / (tt > 0 ? tt : 1),
			        el, eta);
			fflush(msg);
		}
	}
	t->wall = apnas_run_clock_wall(&clock);
	return 0;
}
