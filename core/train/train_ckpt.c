/* `apnas train`'s per-epoch checkpoint: see train_ckpt.h. */
#include "train/train_ckpt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "search/ckpt.h"

#define TRAN_VERSION 1u

static void write_tran(FILE *f, const train_progress *p,
                       const train_ckpt_parts *parts)
{
	apnas_put_u32(f, TRAN_VERSION);
	apnas_put_u64(f, (uint64_t)p->done);
	apnas_put_u64(f, (uint64_t)p->step);
	apnas_put_u64(f, (uint64_t)p->images);
	apnas_put_f64(f, p->wall);
	for (long e = 0; e < p->done; e++) {
		const train_epoch_rec *r = &p->hist[e];
		apnas_put_f64(f, r->loss);
		apnas_put_f64(f, r->train_acc);
		apnas_put_f64(f, r->test_acc);
		apnas_put_f64(f, r->seconds);
	}
	apnas_put_u64(f, parts->nd);
	for (size_t i = 0; i < parts->nd; i++)
		apnas_put_u32(f, (uint32_t)parts->tok[i]);
}

int train_ckpt_save(const char *path, const train_progress *p,
                    const train_ckpt_parts *parts, apnas_error *err)
{
	apnas_ckpt_writer w;
	int rc = apnas_ckpt_writer_init(&w, err);
	if (rc < 0)
		return rc;
	FILE *f;
	if ((rc = apnas_ckpt_section_begin(&w, "TRAN", &f, err)) < 0)
		goto out;
	write_tran(f, p, parts);
	if ((rc = apnas_ckpt_section_end(&w, err)) < 0 ||
	    (rc = apnas_ckpt_save_ranks(&w, p->nranks, err)) < 0 ||
	    (rc = apnas_ckpt_save_batcher(&w, "TRNB", parts->train_b,
	                                  "training batcher", err)) < 0 ||
	    (rc = apnas_ckpt_save_batcher(&w, "TSTB", parts->test_b,
	                                  "test batcher", err)) < 0 ||
	    (rc = apnas_ckpt_save_section(&w, "SPAC", parts->ops->save,
	                                  parts->space, "space", err)) < 0)
		goto out;
	rc = apnas_ckpt_commit(&w, path, NULL, NULL, err);
out:
	apnas_ckpt_writer_free(&w);
	if (rc < 0)
		apnas_error_prefix(err, "%s", path);
	return rc;
}

static int fraction(double x)
{
	return isfinite(x) && x >= 0 && x <= 1;
}

/* What an epoch can have recorded: a finite non-negative mean loss and
 * time, accuracies in [0, 1]. */
static int record_ok(const train_epoch_rec *r)
{
	return isfinite(r->loss) && r->loss >= 0 && fraction(r->train_acc) &&
	       fraction(r->test_acc) && isfinite(r->seconds) &&
	       r->seconds >= 0;
}

static int read_tran(const unsigned char *d, size_t n, train_progress *p,
                     long cap, const train_ckpt_parts *parts,
                     apnas_error *err)
{
	apnas_cursor c = {d, n, 0};
	uint32_t version = apnas_get_u32(&c);
	if (!c.bad && version != TRAN_VERSION)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "training progress of layout %u; this "
		                       "apnas reads %u", version, TRAN_VERSION);
	uint64_t done = apnas_get_u64(&c);
	int64_t step = (int64_t)apnas_get_u64(&c);
	int64_t images = (int64_t)apnas_get_u64(&c);
	double wall = apnas_get_f64(&c);
	if (c.bad || done > (uint64_t)cap || step < 0 || images < 0 ||
	    !isfinite(wall))
		return c.bad || done <= (uint64_t)cap
		       ? apnas_error_set(err, APNAS_EINVAL,
		                         "training progress is corrupt")
		       : apnas_error_set(err, APNAS_EINVAL,
		                         "the checkpoint has %llu epochs done; "
		                         "--epochs %ld leaves nothing to train",
		                         (unsigned long long)done, cap);
	/* every epoch is nb steps of at most a batch each (the last may be
	 * short), each step at least one image */
	int64_t nb = apnas_batcher_batches_per_epoch(parts->train_b);
	int64_t bs = apnas_batcher_batch_size(parts->train_b);
	if (step != (int64_t)done * nb || images < step ||
	    images > step * bs || wall < 0)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "training progress is impossible: %llu "
		                       "epochs of %lld steps, %lld steps, %lld "
		                       "images, %g s",
		                       (unsigned long long)done, (long long)nb,
		                       (long long)step, (long long)images, wall);
	for (uint64_t e = 0; e < done; e++) {
		train_epoch_rec *r = &p->hist[e];
		r->loss = apnas_get_f64(&c);
		r->train_acc = apnas_get_f64(&c);
		r->test_acc = apnas_get_f64(&c);
		r->seconds = apnas_get_f64(&c);
		if (!c.bad && !record_ok(r))
			return apnas_error_set(err, APNAS_EINVAL,
			                       "training progress: epoch %llu's "
			                       "record is out of range (loss %g, "
			                       "accuracies %g and %g, %g s)",
			                       (unsigned long long)e + 1, r->loss,
			                       r->train_acc, r->test_acc,
			                       r->seconds);
	}
	uint64_t nd = apnas_get_u64(&c);
	int same = !c.bad && nd == parts->nd;
	for (size_t i = 0; same && i < parts->nd; i++)
		same = apnas_get_u32(&c) == (uint32_t)parts->tok[i];
	if (c.bad || c.left)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "training progress is corrupt");
	if (!same)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "the checkpoint is of another "
		                       "architecture than arch.arch");
	p->done = (long)done;
	p->step = step;
	p->images = images;
	p->wall = wall;
	return 0;
}

int train_ckpt_load(const char *path, train_progress *p, long cap,
                    const train_ckpt_parts *parts, apnas_error *err)
{
	apnas_ckpt ck;
	int rc = apnas_ckpt_read(path, &ck, err);
	if (rc < 0)
		return rc;
	const unsigned char *d;
	size_t n;
	rc = apnas_ckpt_get(&ck, "TRAN", &d, &n, err);
	if (rc == 0)
		rc = read_tran(d, n, p, cap, parts, err);
	if (rc == 0)
		rc = apnas_ckpt_load_ranks(&ck, &p->nranks, err);
	if (rc == 0)
		rc = apnas_ckpt_load_batcher(&ck, "TRNB", parts->train_b,
		                             "training batcher", err);
	if (rc == 0)
		rc = apnas_ckpt_load_batcher(&ck, "TSTB", parts->test_b,
		                             "test batcher", err);
	if (rc == 0)
		rc = apnas_ckpt_load_section(&ck, "SPAC", parts->ops->load,
		                             parts->space, "space", err);
	apnas_ckpt_free(&ck);
	if (rc < 0)
		apnas_error_prefix(err, "%s", path);
	return rc;
}
