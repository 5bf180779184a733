/* Saving and restoring a whole run: the core's counters and stream (CORE),
 * the rank count that wrote it (RANK), the two batchers (TRNB, VALB), the
 * space (SPAC) and the controller (CTRL), as sections of one checkpoint
 * file.  The append-only logs are synced first and their lengths
 * recorded, so a resumed run cuts off whatever was logged after this
 * state and logs it again identically. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckpt.h"
#include "search_int.h"

/* The maximum of search.epochs (core/search/search_options.c). */
#define APNAS_SEARCH_MAX_EPOCHS 1000000

#define CORE_VERSION 1u

static void put_i64(FILE *f, int64_t v) { apnas_put_u64(f, (uint64_t)v); }
static int64_t get_i64(apnas_cursor *c) { return (int64_t)apnas_get_u64(c); }

static void write_core(const apnas_search *s, FILE *f)
{
	const apnas_search_counters *ct = &s->ct;
	apnas_put_u32(f, CORE_VERSION);
	apnas_put_u64(f, s->seed);
	apnas_put_u64(f, (uint64_t)s->nd);
	apnas_put_u32(f, (uint32_t)s->trains);
	put_i64(f, ct->epoch);
	put_i64(f, ct->phase);
	put_i64(f, ct->phase_step);
	put_i64(f, ct->global_step);
	put_i64(f, ct->updates);
	put_i64(f, ct->samples);
	apnas_put_f64(f, ct->wall);
	apnas_put_f64(f, ct->epoch_start);
	apnas_put_f64(f, ct->best_reward);
	apnas_put_f64(f, ct->recent_front);
	apnas_put_f64(f, ct->ep_loss_sum);
	put_i64(f, ct->ep_correct);
	put_i64(f, ct->ep_images);
	apnas_put_f64(f, ct->ep_reward_sum);
	apnas_put_f64(f, ct->ep_reward_best);
	apnas_put_f64(f, ct->ep_front_sum);
	put_i64(f, ct->ep_samples);
	apnas_put_f64(f, ct->ep_sec_shared);
	apnas_put_f64(f, ct->ep_sec_train);
	apnas_put_f64(f, ct->ep_sec_eval);
	apnas_put_f64(f, ct->ep_sec_ctl);
	apnas_put_f64(f, ct->ep_sec_cost);
	apnas_put_u64(f, ct->samples_len);
	apnas_put_u64(f, ct->epochs_len);
	for (int i = 0; i < 4; i++)
		apnas_put_u64(f, ct->sampler.s[i]);
}

/* A CORE section no run can have written is refused when read back:
 * the run would otherwise go on from nonsense ("run already finished" at
 * epoch 10^12).  Epochs are bounded by search.epochs' own maximum, since
 * --resume may change search.epochs. */
static int check_core(const apnas_search_counters *ct, apnas_error *err)
{
	if (ct->epoch > APNAS_SEARCH_MAX_EPOCHS)
		return apnas_error_set(err, APNAS_EINVAL,
			"checkpoint at epoch %lld: search.epochs is at most %d",
			(long long)ct->epoch, APNAS_SEARCH_MAX_EPOCHS);
	if (ct->global_step < 0 || ct->updates < 0 || ct->ep_correct < 0 ||
	    ct->ep_images < 0 || ct->ep_correct > ct->ep_images ||
	    ct->ep_samples < 0 || ct->ep_samples > ct->samples)
		return apnas_error_set(err, APNAS_EINVAL,
			"checkpoint counters are impossible: %lld steps, %lld "
			"updates, %lld of %lld images correct, %lld of %lld "
			"samples in the epoch", (long long)ct->global_step,
			(long long)ct->updates, (long long)ct->ep_correct,
			(long long)ct->ep_images, (long long)ct->ep_samples,
			(long long)ct->samples);
	const double times[] = {ct->wall, ct->epoch_start, ct->ep_sec_shared,
	                        ct->ep_sec_train, ct->ep_sec_eval,
	                        ct->ep_sec_ctl, ct->ep_sec_cost};
	for (size_t k = 0; k < sizeof times / sizeof times[0]; k++)
		if (!(isfinite(times[k]) && times[k] >= 0))
			return apnas_error_set(err, APNAS_EINVAL,
				"checkpoint holds a time of %g s: expected "
				"finite and >= 0", times[k]);
	/* -inf until a first sample, NaN for "none yet" where noted */
	if (isnan(ct->best_reward) || ct->best_reward == INFINITY ||
	    isnan(ct->ep_reward_best) || ct->ep_reward_best == INFINITY ||
	    ct->recent_front == INFINITY || ct->recent_front == -INFINITY ||
	    !isfinite(ct->ep_loss_sum) || !isfinite(ct->ep_reward_sum) ||
	    !isfinite(ct->ep_front_sum))
		return apnas_error_set(err, APNAS_EINVAL,
			"checkpoint holds a non-finite running value (best "
			"reward %g, epoch sums %g, %g, %g)", ct->best_reward,
			ct->ep_loss_sum, ct->ep_reward_sum, ct->ep_front_sum);
	if (!(ct->sampler.s[0] | ct->sampler.s[1] | ct->sampler.s[2] |
	      ct->sampler.s[3]))
		return apnas_error_set(err, APNAS_EINVAL,
			"checkpoint holds an all-zero random stream");
	return 0;
}

static int parse_core(const unsigned char *d, size_t n,
                      apnas_search_counters *out, uint64_t *seed_out,
                      uint64_t *nd_out, uint32_t *trains_out,
                      apnas_error *err)
{
	apnas_cursor c = {d, n, 0};
	apnas_search_counters ct;
	memset(&ct, 0, sizeof ct);
	uint32_t ver = apnas_get_u32(&c);
	if (ver != CORE_VERSION)
		return apnas_error_set(err, APNAS_EINVAL,
			"checkpoint CORE version %u, this apnas reads %u",
			ver, CORE_VERSION);
	uint64_t seed = apnas_get_u64(&c);
	uint64_t nd = apnas_get_u64(&c);
	uint32_t trains = apnas_get_u32(&c);
	ct.epoch = get_i64(&c);
	ct.phase = get_i64(&c);
	ct.phase_step = get_i64(&c);
	ct.global_step = get_i64(&c);
	ct.updates = get_i64(&c);
	ct.samples = get_i64(&c);
	ct.wall = apnas_get_f64(&c);
	ct.epoch_start = apnas_get_f64(&c);
	ct.best_reward = apnas_get_f64(&c);
	ct.recent_front = apnas_get_f64(&c);
	ct.ep_loss_sum = apnas_get_f64(&c);
	ct.ep_correct = get_i64(&c);
	ct.ep_images = get_i64(&c);
	ct.ep_reward_sum = apnas_get_f64(&c);
	ct.ep_reward_best = apnas_get_f64(&c);
	ct.ep_front_sum = apnas_get_f64(&c);
	ct.ep_samples = get_i64(&c);
	ct.ep_sec_shared = apnas_get_f64(&c);
	ct.ep_sec_train = apnas_get_f64(&c);
	ct.ep_sec_eval = apnas_get_f64(&c);
	ct.ep_sec_ctl = apnas_get_f64(&c);
	ct.ep_sec_cost = apnas_get_f64(&c);
	ct.samples_len = apnas_get_u64(&c);
	ct.epochs_len = apnas_get_u64(&c);
	for (int i = 0; i < 4; i++)
		ct.sampler.s[i] = apnas_get_u64(&c);
	if (c.bad || c.left)
		return apnas_error_set(err, APNAS_EINVAL,
			"checkpoint CORE section has %s bytes",
			c.bad ? "too few" : "too many");
	if (ct.epoch < 0 || ct.phase < 0 || ct.phase > 1 ||
	    ct.phase_step < 0 || ct.samples < 0)
		return apnas_error_set(err, APNAS_EINVAL,
			"checkpoint counters are out of range");
	if (check_core(&ct, err) < 0)
		return APNAS_EINVAL;
	*out = ct;
	*seed_out = seed;
	*nd_out = nd;
	*trains_out = trains;
	return 0;
}


static int read_core(apnas_search *s, const unsigned char *d, size_t n,
                     apnas_error *err)
{
	apnas_search_counters ct;
	uint64_t seed, nd;
	uint32_t trains;
	int rc = parse_core(d, n, &ct, &seed, &nd, &trains, err);
	if (rc < 0)
		return rc;
	if (seed != s->seed)
		return apnas_error_set(err, APNAS_EINVAL,
			"checkpoint was written with run.seed %llu, the "
			"config says %llu", (unsigned long long)seed,
			(unsigned long long)s->seed);
	if (nd != s->nd || (int)trains != s->trains)
		return apnas_error_set(err, APNAS_EINVAL,
			"checkpoint is for a space with %llu decisions%s, the "
			"config's has %zu%s", (unsigned long long)nd,
			trains ? " that trains" : "", s->nd,
			s->trains ? " that trains" : "");
	s->ct = ct;
	return 0;
}

int apnas_search_checkpoint_info(const char *path,
                                 apnas_search_ckpt_info *info,
                                 apnas_error *err)
{
	apnas_ckpt ck;
	int rc = apnas_ckpt_read(path, &ck, err);
	if (rc < 0)
		return rc;
	const unsigned char *d;
	size_t n;
	apnas_search_counters ct;
	uint64_t seed, nd;
	uint32_t trains;
	rc = apnas_ckpt_get(&ck, "CORE", &d, &n, err);
	if (rc == 0)
		rc = parse_core(d, n, &ct, &seed, &nd, &trains, err);
	apnas_ckpt_free(&ck);
	if (rc < 0)
		return apnas_error_prefix(err, "%s", path);
	memset(info, 0, sizeof *info);
	info->epoch = ct.epoch;
	info->phase = ct.phase;
	info->phase_step = ct.phase_step;
	info->global_step = ct.global_step;
	info->updates = ct.updates;
	info->samples = ct.samples;
	info->wall = ct.wall;
	info->seed = seed;
	return 0;
}

static int sync_log(FILE *f, uint64_t *len, const char *name,
                    apnas_error *err)
{
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		return apnas_error_set(err, APNAS_EIO,
			"cannot sync %s: %s", name, strerror(errno));
	off_t pos = ftello(f);
	if (pos < 0)
		return apnas_error_set(err, APNAS_EIO, "cannot tell %s: %s",
		                       name, strerror(errno));
	*len = (uint64_t)pos;
	return 0;
}

static void tick_hook(void *ud)
{
	apnas_search_tick(ud);
}

int apnas_search_checkpoint(apnas_search *s, apnas_error *err)
{
	int rc = sync_log(s->samples_f, &s->ct.samples_len, "samples.jsonl",
	                  err);
	if (rc == 0)
		rc = sync_log(s->epochs_f, &s->ct.epochs_len, "epochs.csv",
		              err);
	if (rc < 0)
		return rc;
	s->ct.wall = apnas_search_wall(s);

	apnas_ckpt_writer w;
	rc = apnas_ckpt_writer_init(&w, err);
	if (rc < 0)
		return rc;
	FILE *f;
	if ((rc = apnas_ckpt_section_begin(&w, "CORE", &f, err)) < 0)
		goto out;
	write_core(s, f);
	if ((rc = apnas_ckpt_section_end(&w, err)) < 0 ||
	    (rc = apnas_ckpt_save_ranks(&w, s->nranks, err)) < 0)
		goto out;
	if (s->trains) {
		char who[300];
		snprintf(who, sizeof who, "space '%s'", s->space_name);
		if ((rc = apnas_ckpt_save_batcher(&w, "TRNB", s->train_b,
		                                  NULL, err)) < 0 ||
		    (rc = apnas_ckpt_save_batcher(&w, "VALB", s->val_b, NULL,
		                                  err)) < 0 ||
		    (rc = apnas_ckpt_save_section(&w, "SPAC", s->sops->save,
		                                  s->space.self, who, err)) < 0)
			goto out;
	}
	if ((rc = apnas_ckpt_save_section(&w, "CTRL", s->cops->save,
	                                  s->ctl.self, "controller",
	                                  err)) < 0)
		goto out;
	char *path = apnas_search_path(s, "checkpoint/state.ckpt");
	if (!path) {
		rc = apnas_error_set(err, APNAS_ENOMEM, "out of memory");
		goto out;
	}
	rc = apnas_ckpt_commit(&w, path, tick_hook, s, err);
	free(path);
out:
	apnas_ckpt_writer_free(&w);
	return rc;
}

int apnas_search_restore(apnas_search *s, apnas_error *err)
{
	char *path = apnas_search_path(s, "checkpoint/state.ckpt");
	if (!path)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	apnas_ckpt ck;
	int rc = apnas_ckpt_read(path, &ck, err);
	if (rc < 0) {
		free(path);
		return rc;
	}
	const unsigned char *d;
	size_t n;
	rc = apnas_ckpt_get(&ck, "CORE", &d, &n, err);
	if (rc == 0)
		rc = read_core(s, d, n, err);
	if (rc == 0)
		rc = apnas_ckpt_load_ranks(&ck, &s->ckpt_nranks, err);
	if (rc == 0 && s->trains) {
		rc = apnas_ckpt_load_batcher(&ck, "TRNB", s->train_b,
		                             "training batcher", err);
		if (rc == 0)
			rc = apnas_ckpt_load_batcher(&ck, "VALB", s->val_b,
			                             "validation batcher", err);
		if (rc == 0)
			rc = apnas_ckpt_load_section(&ck, "SPAC",
			                             s->sops->load, s->space.self,
			                             "space", err);
	}
	if (rc == 0)
		rc = apnas_ckpt_load_section(&ck, "CTRL", s->cops->load,
		                             s->ctl.self, "controller", err);
	if (rc < 0)
		apnas_error_prefix(err, "%s", path);
	apnas_ckpt_free(&ck);
	free(path);
	return rc;
}
