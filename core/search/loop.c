/* The search loop of method.md section 2.  Each epoch is a shared-weight
 * phase (one pass over the training split, one sampled architecture and
 * one train_step per minibatch) and a controller phase (controller_steps
 * updates of `aggregate` rewarded samples each).  The loop is a resumable
 * state machine: everything it needs to continue lives in s->ct, the
 * batchers, the space and the controller, which the checkpoint saves, and
 * it only stops between train steps or between controller updates, so a
 * checkpoint never holds half an update. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json_out.h"
#include "rundir/rundir.h"
#include "search_int.h"

double apnas_search_now(void)
{
	return apnas_clock_now();
}

double apnas_search_wall(const apnas_search *s)
{
	return s->wall_at_t0 + (apnas_search_now() - s->session_t0);
}

void apnas_search_tick(apnas_search *s)
{
	apnas_test_hook_tick(&s->hook);
}

int apnas_search_should_stop(apnas_search *s)
{
	if (s->args->stop && *s->args->stop)
		return APNAS_STOP_SIGNAL;
	if (s->time_limit > 0 && apnas_search_wall(s) >= s->time_limit)
		return APNAS_STOP_TIME;
	return APNAS_STOP_NONE;
}

int apnas_search_accuracy(apnas_search *s, const int32_t *tok,
                          const apnas_batch *b, double *acc,
                          apnas_error *err)
{
	int rc;
	if (!s->trains) {
		rc = s->sops->score(s->space.self, tok, acc, err);
		if (rc < 0)
			return apnas_error_prefix(err, "space '%s' score",
			                          s->space_name);
		if (!(*acc >= 0 && *acc <= 1))
			return apnas_error_set(err, APNAS_EINVAL,
				"space '%s': score %g is not in [0, 1]",
				s->space_name, *acc);
		return 0;
	}
	int64_t correct = 0;
	/* Under MPI this rank scores its share; the count is the whole
	 * batch's (the space sums it over the ranks). */
	apnas_batch mine;
	apnas_search_share(s, b, &mine);
	rc = s->sops->evaluate(s->space.self, tok, &mine, &correct, err);
	if (rc < 0)
		return apnas_error_prefix(err, "space '%s' evaluate",
		                          s->space_name);
	if (correct < 0 || correct > b->n)
		return apnas_error_set(err, APNAS_EINVAL,
			"space '%s': evaluate counted %lld correct of %d",
			s->space_name, (long long)correct, (int)b->n);
	*acc = b->n > 0 ? (double)correct / (double)b->n : 0.0;
	return 0;
}

/* ---- progress --------------------------------------------------------- */

static double eta_seconds(const apnas_search *s)
{
	int64_t nb = s->train_b ? apnas_batcher_batches_per_epoch(s->train_b)
	                        : 0;
	int64_t per_epoch_samples = s->controller_steps * s->aggregate;
	int64_t left_epochs = s->epochs - s->ct.epoch - 1;
	int64_t train_left, samples_left;
	if (s->ct.phase == APNAS_PHASE_SHARED) {
		train_left = nb - s->ct.phase_step;
		samples_left = per_epoch_samples;
	} else {
		train_left = 0;
		samples_left = (s->controller_steps - s->ct.phase_step) *
		               s->aggregate;
	}
	train_left += left_epochs * nb;
	samples_left += left_epochs * per_epoch_samples;
	double eta = 0;
	if (train_left > 0) {
		if (!s->rate_train_n)
			return NAN;
		eta += train_left * s->rate_train_s / s->rate_train_n;
	}
	if (samples_left > 0) {
		if (!s->rate_sample_n)
			return NAN;
		eta += samples_left * s->rate_sample_s / s->rate_sample_n;
	}
	return eta;
}

static void live_progress(apnas_search *s)
{
	double now = apnas_search_now();
	if (!apnas_progress_due(&s->prog, now))
		return;
	char eta[32], line[256], ips[32] = "", best[32] = "--", cyc[32] = "--";
	apnas_fmt_duration(eta, sizeof eta, eta_seconds(s));
	if (isfinite(s->ct.best_reward))
		snprintf(best, sizeof best, "%.4f", s->ct.best_reward);
	if (isfinite(s->ct.recent_front))
		snprintf(cyc, sizeof cyc, "%.4g", s->ct.recent_front);
	if (s->rate_train_s > 0)
		snprintf(ips, sizeof ips, " | %.0f img/s",
		         (double)s->rate_images / s->rate_train_s);
	if (s->ct.phase == APNAS_PHASE_SHARED)
		snprintf(line, sizeof line,
		         "epoch %lld/%lld shared %lld/%lld%s | ETA %s | "
		         "best R %s | %s %s",
		         (long long)s->ct.epoch + 1, (long long)s->epochs,
		         (long long)s->ct.phase_step,
		         (long long)apnas_batcher_batches_per_epoch(s->train_b),
		         ips, eta, best, s->ms.decl[s->front].name, cyc);
	else
		snprintf(line, sizeof line,
		         "epoch %lld/%lld controller %lld/%lld%s | ETA %s | "
		         "best R %s | %s %s",
		         (long long)s->ct.epoch + 1, (long long)s->epochs,
		         (long long)s->ct.phase_step,
		         (long long)s->controller_steps, ips, eta, best,
		         s->ms.decl[s->front].name, cyc);
	apnas_progress_live(&s->prog, now, line);
}

/* ---- shared-weight phase ---------------------------------------------- */

static int sample_train_arch(apnas_search *s, int32_t *tok, apnas_error *err)
{
	if (s->uniform_train) {
		for (size_t i = 0; i < s->nd; i++)
			tok[i] = (int32_t)apnas_rng_below(
				&s->ct.sampler, (uint64_t)s->dec[i].n_choices);
		return 0;
	}
	double t0 = apnas_search_now();
	int rc = s->cops->sample(s->ctl.self, APNAS_SAMPLE_TRAIN, tok, NULL,
	                         err);
	s->ct.ep_sec_ctl += apnas_search_now() - t0;
	if (rc < 0)
		return apnas_error_prefix(err, "controller sample");
	return 0;
}

static int shared_phase(apnas_search *s, apnas_error *err)
{
	int64_t nb = apnas_batcher_batches_per_epoch(s->train_b);
	int32_t *tok = s->toks;
	while (s->ct.phase_step < nb) {
		int stop = apnas_search_stop_now(s, err);
		if (stop)
			return stop;
		double t0 = apnas_search_now();
		apnas_batch b;
		int got = apnas_batcher_next(s->train_b, &b);
		/* At an epoch's start the batcher may first report the end of
		 * the previous epoch: that 0 is swallowed once. */
		if (!got && s->ct.phase_step == 0)
			got = apnas_batcher_next(s->train_b, &b);
		if (!got)
			return apnas_error_set(err, APNAS_EINVAL,
				"epoch %lld: the training batcher ended after "
				"%lld of %lld batches",
				(long long)s->ct.epoch + 1,
				(long long)s->ct.phase_step, (long long)nb);
		/* Rank 0 samples; every rank trains the same architecture. */
		int rc = s->rank == 0 ? sample_train_arch(s, tok, err) : 0;
		if (rc == 0)
			rc = apnas_search_bcast_tok(s, tok, err);
		if (rc < 0)
			return rc;
		apnas_batch mine;
		apnas_search_share(s, &b, &mine);
		apnas_step_ctx sc = {
			.step = s->ct.global_step,
			.epoch = (int32_t)s->ct.epoch,
			.epochs = (int32_t)s->epochs,
			.epoch_pos = (double)s->ct.epoch +
			             (double)s->ct.phase_step / (double)nb,
		};
		apnas_train_stats st = {0, 0};
		double t1 = apnas_search_now();
		rc = s->sops->train_step(s->space.self, tok, &mine, &sc, &st,
		                         err);
		double t2 = apnas_search_now();
		s->ct.ep_sec_train += t2 - t1;
		if (rc == APNAS_ENUM || (rc == 0 && !isfinite(st.loss))) {
			char why[sizeof err->msg];
			snprintf(why, sizeof why, "%s",
			         rc < 0 ? err->msg : "loss is not finite");
			return apnas_error_set(err, APNAS_ENUM,
				"training diverged at epoch %lld, step %lld "
				"(minibatch %lld of the epoch): %s",
				(long long)s->ct.epoch + 1,
				(long long)s->ct.global_step,
				(long long)s->ct.phase_step + 1, why);
		}
		if (rc < 0)
			return apnas_error_prefix(err,
				"space '%s' train_step (epoch %lld, step %lld)",
				s->space_name, (long long)s->ct.epoch + 1,
				(long long)s->ct.global_step);
		s->ct.ep_loss_sum += st.loss * b.n;
		s->ct.ep_correct += st.correct;
		s->ct.ep_images += b.n;
		s->ct.phase_step++;
		s->ct.global_step++;
		double dt = apnas_search_now() - t0;
		s->ct.ep_sec_shared += dt;
		s->rate_train_s += dt;
		s->rate_train_n++;
		s->rate_images += b.n;
		apnas_search_tick(s);
		live_progress(s);
	}
	return 0;
}

/* ---- controller phase ------------------------------------------------- */

static int next_val_batch(apnas_search *s, apnas_batch *b, apnas_error *err)
{
	if (apnas_batcher_next(s->val_b, b))
		return 0;
	/* The split is exhausted: rotate to its start. */
	if (apnas_batcher_next(s->val_b, b))
		return 0;
	return apnas_error_set(err, APNAS_EINVAL,
	                       "the validation split yields no batch");
}

/* Accuracy, cost metrics and reward of one architecture. */
static int rate_arch(apnas_search *s, const int32_t *tok, double *v,
                     double *reward, int64_t *images, apnas_error *err)
{
	apnas_batch b = {NULL, NULL, 0};
	if (s->trains) {
		int rc = next_val_batch(s, &b, err);
		if (rc < 0)
			return rc;
	}
	double t0 = apnas_search_now();
	double acc = 0;
	int rc = apnas_search_accuracy(s, tok, &b, &acc, err);
	s->ct.ep_sec_eval += apnas_search_now() - t0;
	if (rc < 0)
		return rc;
	*images = b.n;
	if (s->rank > 0)
		return 0;
	double c0 = s->cache.seconds;
	rc = apnas_costcache_get(&s->cache, tok, v, err);
	s->ct.ep_sec_cost += s->cache.seconds - c0;
	if (rc < 0)
		return rc;
	v[APNAS_MX_ACCURACY] = acc;
	return apnas_search_reward(s, v, reward, err);
}

static int write_sample(apnas_search *s, size_t a,
                        const apnas_update_info *ui, double wall,
                        apnas_error *err)
{
	const int32_t *tok = s->toks + a * s->nd;
	char *text = NULL;
	int rc = s->sops->format(s->space.self, tok, &text, err);
	if (rc < 0)
		return apnas_error_prefix(err, "space format");
	FILE *f = s->samples_f;
	const double *v = s->values + a * s->ms.n;
	fprintf(f, "{\"epoch\":%lld,\"step\":%lld,\"sample\":%lld,"
	        "\"train_step\":%lld,\"arch\":",
	        (long long)s->ct.epoch, (long long)s->ct.updates,
	        (long long)(s->ct.samples + (int64_t)a),
	        (long long)s->ct.global_step);
	apnas_json_tokens(f, tok, s->nd);
	fputs(",\"text\":", f);
	apnas_json_str(f, text);
	free(text);
	fputs(",\"accuracy\":", f);
	apnas_json_num(f, v[APNAS_MX_ACCURACY]);
	fprintf(f, ",\"val_images\":%lld", (long long)s->val_images[a]);
	apnas_metrics_json(f, &s->ms, v);
	fputs(",\"reward\":", f);
	apnas_json_num(f, s->rewards[a]);
	fputs(",\"controller_loss\":", f);
	apnas_json_num(f, ui->loss);
	fputs(",\"baseline\":", f);
	apnas_json_num(f, ui->baseline);
	fputs(",\"entropy\":", f);
	apnas_json_num(f, s->infos[a].entropy);
	fputs(",\"log_prob\":", f);
	apnas_json_num(f, s->infos[a].log_prob);
	fputs(",\"wall\":", f);
	apnas_json_num(f, wall);
	fputs("}\n", f);
	return 0;
}

static int controller_update(apnas_search *s, apnas_error *err)
{
	size_t A = (size_t)s->aggregate;
	double t_start = apnas_search_now();
	for (size_t a = 0; a < A; a++) {
		int32_t *tok = s->toks + a * s->nd;
		memset(&s->infos[a], 0, sizeof s->infos[a]);
		double t0 = apnas_search_now();
		int rc = s->rank > 0 ? 0
		         : s->cops->sample(s->ctl.self, APNAS_SAMPLE_EVAL, tok,
		                           &s->infos[a], err);
		s->ct.ep_sec_ctl += apnas_search_now() - t0;
		if (rc < 0)
			return apnas_error_prefix(err, "controller sample");
		rc = apnas_search_bcast_tok(s, tok, err);
		if (rc < 0)
			return rc;
		rc = rate_arch(s, tok, s->values + a * s->ms.n, &s->rewards[a],
		               &s->val_images[a], err);
		if (rc < 0)
			return apnas_error_prefix(err,
				"epoch %lld, controller step %lld",
				(long long)s->ct.epoch + 1,
				(long long)s->ct.updates);
		apnas_search_tick(s);
	}
	apnas_update_info ui = {0, 0};
	if (s->rank > 0) {
		/* the controller, the rewards and the log are rank 0's */
		s->ct.updates++;
		s->ct.phase_step++;
		return 0;
	}
	double t0 = apnas_search_now();
	int rc = s->cops->update(s->ctl.self, s->toks, s->rewards, A, &ui,
	                         err);
	s->ct.ep_sec_ctl += apnas_search_now() - t0;
	if (rc < 0)
		return apnas_error_prefix(err, "controller update");
	double wall = apnas_search_wall(s);
	double cyc = 0;
	for (size_t a = 0; a < A; a++) {
		rc = write_sample(s, a, &ui, wall, err);
		if (rc < 0)
			return rc;
		double r = s->rewards[a];
		s->ct.ep_reward_sum += r;
		if (r > s->ct.ep_reward_best)
			s->ct.ep_reward_best = r;
		if (r > s->ct.best_reward)
			s->ct.best_reward = r;
		double x = s->values[a * s->ms.n + s->front];
		s->ct.ep_front_sum += x;
		cyc += x;
	}
	fflush(s->samples_f);
	s->ct.recent_front = cyc / (double)A;
	s->ct.ep_samples += (int64_t)A;
	s->ct.samples += (int64_t)A;
	s->ct.updates++;
	s->ct.phase_step++;
	s->rate_sample_s += apnas_search_now() - t_start;
	s->rate_sample_n += (int64_t)A;
	return 0;
}

static int controller_phase(apnas_search *s, apnas_error *err)
{
	while (s->ct.phase_step < s->controller_steps) {
		int stop = apnas_search_stop_now(s, err);
		if (stop)
			return stop;
		int rc = controller_update(s, err);
		if (rc < 0)
			return rc;
		live_progress(s);
	}
	return 0;
}

/* ---- epoch end -------------------------------------------------------- */

void apnas_search_reset_epoch(apnas_search_counters *ct, double wall)
{
	ct->epoch_start = wall;
	ct->ep_loss_sum = 0;
	ct->ep_correct = ct->ep_images = 0;
	ct->ep_reward_sum = 0;
	ct->ep_reward_best = -INFINITY;
	ct->ep_front_sum = 0;
	ct->ep_samples = 0;
	ct->ep_sec_shared = ct->ep_sec_train = ct->ep_sec_eval = 0;
	ct->ep_sec_ctl = ct->ep_sec_cost = 0;
}

static int end_epoch(apnas_search *s, apnas_error *err)
{
	apnas_search_counters *ct = &s->ct;
	double wall = apnas_search_wall(s);
	double seconds = wall - ct->epoch_start;
	double loss = ct->ep_images ? ct->ep_loss_sum / ct->ep_images : NAN;
	double tacc = ct->ep_images ? (double)ct->ep_correct / ct->ep_images
	                            : NAN;
	double mr = ct->ep_samples ? ct->ep_reward_sum / ct->ep_samples : NAN;
	double br = ct->ep_samples ? ct->ep_reward_best : NAN;
	double mc = ct->ep_samples ? ct->ep_front_sum / ct->ep_samples : NAN;
	double ips = ct->ep_sec_shared > 0 ? ct->ep_images / ct->ep_sec_shared
	                                   : NAN;
	char desc[512];
	desc[0] = '\0';
	s->cops->describe(s->ctl.self, desc, sizeof desc);
	desc[sizeof desc - 1] = '\0';
	if (s->rank > 0) {
		/* the log and the messages are rank 0's */
		s->ct.epoch++;
		s->ct.phase = APNAS_PHASE_SHARED;
		s->ct.phase_step = 0;
		apnas_search_reset_epoch(ct, wall);
		return 0;
	}

	FILE *f = s->epochs_f;
	fprintf(f, "%lld,", (long long)ct->epoch);
	apnas_csv_num(f, loss);
	fputc(',', f);
	apnas_csv_num(f, tacc);
	fputc(',', f);
	apnas_csv_num(f, mr);
	fputc(',', f);
	apnas_csv_num(f, br);
	fputc(',', f);
	apnas_csv_num(f, mc);
	fprintf(f, ",%lld,", (long long)ct->ep_samples);
	apnas_csv_num(f, ips);
	fputc(',', f);
	apnas_csv_num(f, seconds);
	fputc(',', f);
	apnas_csv_num(f, ct->ep_sec_train);
	fputc(',', f);
	apnas_csv_num(f, ct->ep_sec_eval);
	fputc(',', f);
	apnas_csv_num(f, ct->ep_sec_ctl);
	fputc(',', f);
	apnas_csv_num(f, ct->ep_sec_cost);
	fputc(',', f);
	apnas_csv_str(f, desc);
	fputc('\n', f);
	if (fflush(f) != 0)
		return apnas_error_set(err, APNAS_EIO,
			"cannot append to %s/epochs.csv", s->dir);

	char line[768], eta[32];
	s->ct.epoch++;
	s->ct.phase = APNAS_PHASE_SHARED;
	s->ct.phase_step = 0;
	apnas_fmt_duration(eta, sizeof eta, eta_seconds(s));
	if (s->trains)
		snprintf(line, sizeof line,
		         "epoch %lld/%lld: loss %.4f train acc %.4f | reward "
		         "mean %.4f best %.4f | %s %.4g | %.0f img/s | "
		         "%.1fs, ETA %s | %s",
		         (long long)ct->epoch, (long long)s->epochs, loss, tacc,
		         mr, br, s->ms.decl[s->front].name, mc, ips, seconds,
		         ct->epoch < s->epochs ? eta : "0s", desc);
	else
		snprintf(line, sizeof line,
		         "epoch %lld/%lld: reward mean %.4f best %.4f | %s "
		         "%.4g | %.1fs, ETA %s | %s",
		         (long long)ct->epoch, (long long)s->epochs, mr, br,
		         s->ms.decl[s->front].name, mc,
		         seconds, ct->epoch < s->epochs ? eta : "0s", desc);
	apnas_progress_epoch(&s->prog, line);
	apnas_search_reset_epoch(ct, wall);
	return 0;
}

int apnas_search_loop(apnas_search *s, apnas_error *err)
{
	while (s->ct.epoch < s->epochs) {
		int rc;
		if (s->ct.phase == APNAS_PHASE_SHARED) {
			rc = s->trains ? shared_phase(s, err) : 0;
			if (rc != 0)
				goto stopped;
			s->ct.phase = APNAS_PHASE_CONTROLLER;
			s->ct.phase_step = 0;
		}
		rc = controller_phase(s, err);
		if (rc != 0)
			goto stopped;
		rc = end_epoch(s, err);
		if (rc == 0)
			rc = apnas_search_check_ranks(s, err);
		if (rc < 0)
			return rc;
		if (s->checkpoint_on && s->rank == 0) {
			rc = apnas_search_checkpoint(s, err);
			if (rc < 0)
				return rc;
		}
		continue;
	stopped:
		if (rc < 0)
			return rc;
		if (s->checkpoint_on && s->rank == 0) {
			int crc = apnas_search_checkpoint(s, err);
			if (crc < 0)
				return crc;
		}
		return rc;
	}
	return 0;
}
