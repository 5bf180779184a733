/* `apnas search` from start to finish: resolve the config (or the run
 * directory's own config when resuming), claim and probe the run
 * directory, create the four plugins and the data, fix the reward's
 * target from its reference architecture, then either start afresh or
 * restore the checkpoint, run the loop and derive.  Every refusal that can
 * be known before training (bad config, unwritable directory, a finished
 * run in the way, a space without validation data) happens here, before
 * the first step. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apnas/nn.h>

#include "atomic.h"
#include "ckpt.h"
#include "mpi/mpi.h"
#include "memcap.h"
#include "rundir/rundir.h"
#include "search_int.h"
#include "util/threads.h"

char *apnas_search_path(const apnas_search *s, const char *name)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", s->dir, name) < 0)
		return NULL;
	return p;
}

/* Only budgets may change when a run continues: anything else would make
 * the checkpoint describe a different search. */
static int check_resume_sets(const apnas_search_args *a, apnas_error *err)
{
	static const char *const ok[] = {"search.epochs=",
	                                 "search.time_limit=",
	                                 "run.threads="};
	for (size_t i = 0; i < a->nsets; i++) {
		int allowed = 0;
		for (size_t k = 0; k < sizeof ok / sizeof *ok; k++)
			if (strncmp(a->sets[i], ok[k], strlen(ok[k])) == 0)
				allowed = 1;
		if (!allowed)
			return apnas_error_set(err, APNAS_EINVAL,
				"--set %s: with --resume only search.epochs, "
				"search.time_limit and run.threads may change",
				a->sets[i]);
	}
	return 0;
}

/* ---- plugins and data -------------------------------------------------- */

static int open_space_and_data(apnas_search *s, apnas_error *err)
{
	const apnas_loaded *lib;
	int rc = apnas_config_plugin(s->cfg, APNAS_KIND_SPACE, &lib,
	                             &s->space_opts, err);
	if (rc < 0)
		return rc;
	s->space_name = lib->desc->name;
	const apnas_space_ops *ops = lib->desc->ops;
	s->trains = ops->train_step != NULL;
	if (s->trains && (!ops->evaluate || !ops->save || !ops->load))
		return apnas_error_set(err, APNAS_EPLUGIN,
			"space '%s' has train_step but lacks evaluate, save "
			"or load", s->space_name);
	if (!s->trains && !ops->score)
		return apnas_error_set(err, APNAS_EPLUGIN,
			"space '%s' has neither train_step nor score: nothing "
			"to search on", s->space_name);
	apnas_plugin_ctx extra;
	memset(&extra, 0, sizeof extra);
	if (s->trains) {
		const apnas_opts *dopt = apnas_config_core(s->cfg, "data");
		s->batch_size = (int32_t)apnas_opts_int(dopt, "batch_size");
		s->eval_batch_size =
			(int32_t)apnas_opts_int(dopt, "eval_batch_size");
		rc = apnas_data_open(dopt, s->seed, &s->ds, err);
		if (rc < 0)
			return apnas_error_prefix(err, "data");
		if (apnas_data_count(s->ds, APNAS_SPLIT_VAL) <= 0)
			return apnas_error_set(err, APNAS_EINVAL,
				"data: the controller phase needs a validation "
				"split, but data.val_size gives none");
		if (apnas_data_count(s->ds, APNAS_SPLIT_TRAIN) <= 0)
			return apnas_error_set(err, APNAS_EINVAL,
				"data: the training split is empty");
		rc = apnas_batcher_open(s->ds, APNAS_SPLIT_TRAIN,
		                        s->batch_size, &s->train_b, err);
		if (rc == 0)
			rc = apnas_batcher_open(s->ds, APNAS_SPLIT_VAL,
			                        s->eval_batch_size, &s->val_b,
			                        err);
		if (rc < 0)
			return apnas_error_prefix(err, "data");
		if (apnas_batcher_batches_per_epoch(s->train_b) <= 0)
			return apnas_error_set(err, APNAS_EINVAL,
				"data: the training split (%lld images) gives "
				"no full batch of %d",
				(long long)apnas_data_count(s->ds,
				                            APNAS_SPLIT_TRAIN),
				(int)s->batch_size);
		extra.data = apnas_data_get_info(s->ds);
		extra.coll = s->coll;
	}
	rc = apnas_config_instance(s->cfg, APNAS_KIND_SPACE, &extra,
	                           &s->space, err);
	if (rc < 0)
		return rc;
	s->sops = s->space.ops;
	rc = s->sops->decisions(s->space.self, &s->dec, &s->nd, err);
	if (rc < 0)
		return apnas_error_prefix(err, "space '%s' decisions",
		                          s->space_name);
	if (s->nd == 0)
		return apnas_error_set(err, APNAS_EPLUGIN,
			"space '%s' declares no decisions", s->space_name);
	for (size_t i = 0; i < s->nd; i++)
		if (s->dec[i].n_choices < 2)
			return apnas_error_set(err, APNAS_EPLUGIN,
				"space '%s': decision %zu has %d choices "
				"(at least 2 expected)", s->space_name, i,
				(int)s->dec[i].n_choices);
	return 0;
}

/* With co-search, the controller searches the space's decisions and the
 * cost model's hardware decisions as one list.  A controller built before
 * ABI 2.2 knows no CHOICE decision: it is shown OP decisions of layers
 * past the network's last, which it samples the same way. */
static int join_decisions(apnas_search *s, apnas_error *err)
{
	if (!apnas_hwset_on(&s->hw))
		return 0;
	const apnas_loaded *lib;
	const apnas_opts *opts;
	int rc = apnas_config_plugin(s->cfg, APNAS_KIND_CONTROLLER, &lib,
	                             &opts, err);
	if (rc < 0)
		return rc;
	size_t n = s->nd_space + s->hw.n_tok;
	s->dec_joint = malloc(n * sizeof *s->dec_joint);
	if (!s->dec_joint)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	memcpy(s->dec_joint, s->dec, s->nd_space * sizeof *s->dec);
	apnas_hwset_decisions(&s->hw, s->dec_joint + s->nd_space);
	int32_t last = 0;
	for (size_t i = 0; i < s->nd_space; i++)
		if (s->dec[i].layer > last)
			last = s->dec[i].layer;
	if (lib->desc->abi_minor < 2)
		for (size_t t = 0; t < s->hw.n_tok; t++) {
			apnas_decision *d = &s->dec_joint[s->nd_space + t];
			d->kind = APNAS_DECISION_OP;
			d->layer = last + 1 + (int32_t)t;
		}
	s->dec = s->dec_joint;
	s->nd = n;
	return 0;
}

static int open_plugins(apnas_search *s, apnas_error *err)
{
	int rc = open_space_and_data(s, err);
	if (rc < 0)
		return rc;
	s->nd_space = s->nd;
	rc = apnas_config_instance(s->cfg, APNAS_KIND_COST, NULL, &s->cost,
	                           err);
	if (rc < 0)
		return rc;
	rc = apnas_hwset_init(&s->hw, &s->cost,
	                      apnas_config_plugin_name(s->cfg, APNAS_KIND_COST),
	                      s->seed, s->threads, err);
	if (rc < 0)
		return rc;
	if ((rc = join_decisions(s, err)) < 0)
		return rc;
	apnas_plugin_ctx extra;
	memset(&extra, 0, sizeof extra);
	extra.decisions = s->dec;
	extra.n_decisions = s->nd;
	rc = apnas_config_instance(s->cfg, APNAS_KIND_CONTROLLER, &extra,
	                           &s->ctl, err);
	if (rc < 0)
		return rc;
	s->cops = s->ctl.ops;
	rc = apnas_metricset_init(&s->ms, &s->cost, err);
	if (rc < 0)
		return rc;
	rc = apnas_reward_open(s->cfg, &s->ms, &s->reward, &s->front, err);
	if (rc < 0)
		return rc;
	s->rops = s->reward.ops;
	rc = apnas_costcache_init(&s->cache, s->nd, s->sops, s->space.self,
	                          &s->ms, err);
	if (rc == 0)
		apnas_costcache_hw(&s->cache, &s->hw, s->nd_space);
	return rc;
}

/* A target given as a fraction of a reference architecture's metric is
 * fixed once, here, and written into the resolved config. */
static int resolve_reference(apnas_search *s, apnas_error *err)
{
	s->target = NAN;
	if (!s->rops->reference)
		return 0;
	const char *name = s->rops->reference(s->reward.self);
	if (!name || !*name)
		return 0;
	const char *rname = s->reward.lib.desc->name;
	if (!s->rops->resolve)
		return apnas_error_set(err, APNAS_EPLUGIN,
			"reward '%s' names reference \"%s\" but has no "
			"resolve op", rname, name);
	if (!s->sops->named)
		return apnas_error_set(err, APNAS_EINVAL,
			"reward '%s': reference \"%s\" needs named "
			"architectures, and space '%s' has none", rname, name,
			s->space_name);
	s->reference = strdup(name);
	int32_t *tok = calloc(s->nd, sizeof *tok);
	if (!tok || !s->reference) {
		free(tok);
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	}
	int rc = s->sops->named(s->space.self, name, tok, err);
	if (rc < 0) {
		free(tok);
		return apnas_error_prefix(err, "reward '%s' reference",
		                          rname);
	}
	/* With co-search the reference is costed on the configured
	 * hardware (the cost group's own array and buffers), so the target
	 * does not depend on which choice comes first. */
	double *v = malloc(s->ms.n * sizeof *v);
	rc = v ? apnas_cost_arch(s->sops, s->space.self, &s->ms, NULL, 0, tok,
	                         &s->cache.net, v, err)
	       : apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	free(tok);
	if (rc < 0) {
		free(v);
		return apnas_error_prefix(err, "reference \"%s\"", name);
	}
	/* A reference has no accuracy of its own: rewards resolve costs. */
	v[APNAS_MX_ACCURACY] = NAN;
	double target = NAN;
	rc = s->rops->resolve(s->reward.self, v, &target, err);
	free(v);
	if (rc < 0)
		return apnas_error_prefix(err, "reward '%s' resolve", rname);
	s->target = target;
	char text[64];
	snprintf(text, sizeof text, "%.17g", target);
	return apnas_config_note(s->cfg, "reward", "resolved_target", text,
	                         err);
}

static int write_config(FILE *f, void *ud, apnas_error *err)
{
	return apnas_config_write(ud, f, err);
}

/* ---- logs --------------------------------------------------------------- */

/* mean_<front metric>: the mean over the epoch's samples of the metric
 * the reward trades accuracy against (mean_cycles for the cycle models). */
static const char epochs_head[] =
	"epoch,train_loss,train_acc,mean_reward,best_reward,mean_%s,"
	"samples,images_per_s,seconds,sec_train,sec_eval,sec_controller,"
	"sec_cost,controller\n";

static FILE *open_log(apnas_search *s, const char *name, int fresh,
                      uint64_t keep, apnas_error *err)
{
	char *path = apnas_search_path(s, name);
	if (!path) {
		apnas_error_set(err, APNAS_ENOMEM, "out of memory");
		return NULL;
	}
	FILE *f = NULL;
	if (fresh) {
		f = fopen(path, "w");
	} else {
		struct stat st;
		if (stat(path, &st) != 0 || (uint64_t)st.st_size < keep) {
			apnas_error_set(err, APNAS_EINVAL,
				"%s is shorter than the checkpoint records "
				"(%llu bytes): the run directory was changed",
				path, (unsigned long long)keep);
			free(path);
			return NULL;
		}
		/* Lines logged after the checkpoint are logged again. */
		if (truncate(path, (off_t)keep) == 0)
			f = fopen(path, "a");
	}
	if (!f) {
		apnas_error_set(err, APNAS_EIO, "cannot write %s: %s", path,
		                strerror(errno));
		free(path);
		return NULL;
	}
	free(path);
	fseeko(f, 0, SEEK_END);
	return f;
}

static int open_logs(apnas_search *s, int fresh, apnas_error *err)
{
	s->samples_f = open_log(s, "samples.jsonl", fresh, s->ct.samples_len,
	                        err);
	if (!s->samples_f)
		return err->code;
	s->epochs_f = open_log(s, "epochs.csv", fresh, s->ct.epochs_len, err);
	if (!s->epochs_f)
		return err->code;
	if (fresh) {
		int len = fprintf(s->epochs_f, epochs_head,
		                  s->ms.decl[s->front].name);
		if (len < 0 || fflush(s->epochs_f) != 0)
			return apnas_error_set(err, APNAS_EIO,
				"cannot write %s/epochs.csv", s->dir);
		s->ct.epochs_len = (uint64_t)len;
	}
	return 0;
}

/* ---- setup -------------------------------------------------------------- */

static int read_options(apnas_search *s)
{
	const apnas_opts *run = apnas_config_core(s->cfg, "run");
	const apnas_opts *so = apnas_config_core(s->cfg, "search");
	s->seed = (uint64_t)apnas_opts_int(run, "seed");
	s->threads = (int32_t)apnas_threads_resolve(
		(int)apnas_opts_int(run, "threads"));
	s->epochs = apnas_opts_int(so, "epochs");
	s->time_limit = apnas_opts_float(so, "time_limit");
	s->uniform_train =
		strcmp(apnas_opts_string(so, "train_sampler"), "uniform") == 0;
	s->controller_steps = apnas_opts_int(so, "controller_steps");
	s->aggregate = apnas_opts_int(so, "aggregate");
	s->checkpoint_on = apnas_opts_bool(so, "checkpoint");
	return 0;
}

/* Claims the run directory (rundir.h), once everything that can be
 * refused without it has been checked: a rejected config leaves nothing
 * behind.  A resumed run's directory is locked already. */
static int claim_dir(apnas_search *s, int *have_ckpt, apnas_error *err)
{
	if (s->rank > 0) /* rank 0 owns the directory */
		return 0;
	apnas_rundir rd = {s->dir, s->lock_fd};
	int rc = apnas_rundir_claim(&rd, APNAS_RUN_SEARCH, !s->args->resume_dir,
	                            "checkpoint", err);
	s->lock_fd = rd.lock_fd;
	if (rc < 0)
		return rc;
	*have_ckpt = s->args->resume_dir &&
	             apnas_exists_in(s->dir, "checkpoint/state.ckpt");
	return 0;
}

/* The run directory's path, without touching it: a resumed run's (then
 * locked before anything is read from it), --out, or the default name. */
static int name_dir(apnas_search *s, const char *dir, apnas_error *err)
{
	apnas_rundir rd;
	int rc = apnas_rundir_init(&rd, dir, err);
	s->dir = rd.dir;
	if (rc == 0 && s->args->resume_dir && s->rank == 0) {
		rc = apnas_rundir_lock(&rd, err);
		s->lock_fd = rd.lock_fd;
	}
	return rc;
}

static int setup(apnas_search *s, int *have_ckpt, apnas_error *err)
{
	const apnas_search_args *a = s->args;
	const char *cfg_path = a->config_path;
	char resume_cfg[PATH_MAX];
	if (a->resume_dir) {
		snprintf(resume_cfg, sizeof resume_cfg, "%s/config.cfg",
		         a->resume_dir);
		if (access(resume_cfg, R_OK) != 0)
			return apnas_error_set(err, APNAS_EINVAL,
				"--resume %s: not a run directory (no "
				"readable config.cfg)", a->resume_dir);
		int rc = check_resume_sets(a, err);
		if (rc == 0)
			rc = name_dir(s, a->resume_dir, err);
		if (rc < 0)
			return rc;
		cfg_path = resume_cfg;
	}
	int rc = apnas_config_load(cfg_path, a->sets, a->nsets, &s->cfg,
	                           err);
	if (rc < 0)
		return rc;
	read_options(s);
	if (!a->resume_dir) {
		char *def = NULL;
		if (!a->out_dir && !(def = apnas_rundir_search_default(
				apnas_opts_string(apnas_config_core(s->cfg,
				                                    "run"), "dir"),
				cfg_path, s->seed)))
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "out of memory");
		rc = name_dir(s, a->out_dir ? a->out_dir : def, err);
		free(def);
		if (rc == 0 && s->rank == 0)
			rc = apnas_rundir_refuse_fresh(s->dir, APNAS_RUN_SEARCH,
			                               err);
		if (rc < 0)
			return rc;
	}

	apnas_nn_set_threads(s->threads);
	apnas_memcap_set_mib(apnas_opts_int(apnas_config_core(s->cfg, "run"),
	                                    "memory_limit"));
	rc = open_plugins(s, err);
	if (rc < 0)
		return rc;
	rc = resolve_reference(s, err);
	if (rc < 0)
		return rc;
	rc = apnas_search_dist_check(s, err);
	if (rc == 0)
		rc = claim_dir(s, have_ckpt, err);
	if (rc < 0)
		return rc;
	if (s->rank > 0) /* the directory is rank 0's to write */
		goto scratch;
	char *path = apnas_search_path(s, "config.cfg");
	if (!path)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	rc = apnas_write_atomic_with(path, 0, write_config, s->cfg, err);
	free(path);
	if (rc < 0)
		return rc;

scratch:;
	size_t A = (size_t)s->aggregate;
	s->toks = calloc(A * s->nd, sizeof *s->toks);
	s->rewards = calloc(A, sizeof *s->rewards);
	s->values = calloc(A * s->ms.n, sizeof *s->values);
	s->infos = calloc(A, sizeof *s->infos);
	s->val_images = calloc(A, sizeof *s->val_images);
	if (!s->toks || !s->rewards || !s->values || !s->infos ||
	    !s->val_images)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	return 0;
}

static void teardown(apnas_search *s)
{
	if (s->samples_f)
		fclose(s->samples_f);
	if (s->epochs_f)
		fclose(s->epochs_f);
	apnas_costcache_free(&s->cache);
	apnas_metricset_free(&s->ms);
	/* Plugins first: the space may point into the data's info. */
	if (s->reward.self || s->reward.lib.handle)
		apnas_instance_destroy(&s->reward);
	/* The hardware's instances use the base instance's library. */
	apnas_hwset_free(&s->hw);
	free(s->dec_joint);
	if (s->cost.self || s->cost.lib.handle)
		apnas_instance_destroy(&s->cost);
	if (s->ctl.self || s->ctl.lib.handle)
		apnas_instance_destroy(&s->ctl);
	if (s->space.self || s->space.lib.handle)
		apnas_instance_destroy(&s->space);
	apnas_batcher_close(s->train_b);
	apnas_batcher_close(s->val_b);
	apnas_data_close(s->ds);
	apnas_config_free(s->cfg);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->toks);
	free(s->rewards);
	free(s->values);
	free(s->infos);
	free(s->val_images);
	free(s->reference);
	free(s->dir);
}

/* Under several ranks, whether any failed (rc < 0 on this one): then
 * every rank fails, and only the lowest failing one speaks (res->quiet
 * on the others). */
static int agree_failure(apnas_search *s, int rc, apnas_search_result *res,
                         apnas_error *err)
{
	if (s->nranks <= 1)
		return rc;
	int failed = rc < 0;
	if (!failed)
		apnas_error_set(err, APNAS_EINVAL, "another rank failed");
	int arc = apnas_search_dist_agree(s, &failed, err);
	if (arc < 0)
		rc = arc;
	else if (failed && rc == 0)
		rc = APNAS_EINVAL;
	res->quiet = s->quiet_error;
	if (rc == 0)
		apnas_error_clear(err);
	return rc;
}

int apnas_search_run(const apnas_search_args *a, apnas_search_result *res,
                     apnas_error *err)
{
	memset(res, 0, sizeof *res);
	if (!a->config_path == !a->resume_dir)
		return apnas_error_set(err, APNAS_EINVAL,
			"give either a config or --resume DIR");
	if (a->resume_dir && a->out_dir)
		return apnas_error_set(err, APNAS_EINVAL,
			"--resume continues in its own directory; --out "
			"cannot be combined with it");
	apnas_search s;
	memset(&s, 0, sizeof s);
	s.args = a;
	s.lock_fd = -1;
	s.target = NAN;
	s.rank = apnas_mpi_rank();
	s.nranks = apnas_mpi_size();
	s.coll = apnas_mpi_collective();
	/* one voice: rank 0's */
	apnas_progress_init(&s.prog, s.rank == 0 ? a->msg : NULL, a->quiet);
	apnas_test_hook_init(&s.hook);

	int have_ckpt = 0;
	int rc = setup(&s, &have_ckpt, err);
	if (s.dir)
		snprintf(res->dir, sizeof res->dir, "%s", s.dir);
	/* every rank learns whether setup failed anywhere */
	rc = agree_failure(&s, rc, res, err);
	/* rank 0 claimed the directory: whether it holds a checkpoint */
	if (rc == 0 && s.nranks > 1)
		rc = apnas_mpi_bcast(&have_ckpt, sizeof have_ckpt, err);
	if (rc < 0)
		goto out;

	s.session_t0 = apnas_search_now();
	s.ct.best_reward = -INFINITY;
	s.ct.recent_front = NAN;
	apnas_rng_derive(&s.ct.sampler, s.seed, "search.train_sampler");
	apnas_search_reset_epoch(&s.ct, 0);
	if (have_ckpt) {
		/* every rank reads the checkpoint, and refuses a damaged one
		 * alike: one message, rank 0's */
		rc = agree_failure(&s, apnas_search_restore(&s, err), res, err);
		if (rc < 0)
			goto out;
		s.resumed = 1;
	} else if (a->resume_dir) {
		apnas_progress_note(&s.prog,
			"%s has no checkpoint yet: starting it from the "
			"beginning", s.dir);
	}
	s.wall_at_t0 = s.ct.wall;
	s.session_t0 = apnas_search_now();
	rc = s.rank > 0 ? 0 : open_logs(&s, !s.resumed, err);
	if (rc < 0)
		goto out;

	if (s.resumed && s.ct.epoch >= s.epochs &&
	    apnas_exists_in(s.dir, "summary.json")) {
		apnas_progress_note(&s.prog,
			"%s: run already finished (%lld epochs); to continue, "
			"resume with --set search.epochs=N", s.dir,
			(long long)s.ct.epoch);
		rc = 0;
		goto out;
	}
	if (s.resumed) {
		char ranks[256];
		apnas_ckpt_ranks_remark(ranks, sizeof ranks, s.ckpt_nranks,
		                        s.nranks);
		apnas_progress_info(&s.prog,
			"resuming %s at epoch %lld, %s step %lld%s", s.dir,
			(long long)s.ct.epoch + 1,
			s.ct.phase == APNAS_PHASE_SHARED ? "shared-weight"
			                                 : "controller",
			(long long)s.ct.phase_step, ranks);
	}
	if (s.nranks > 1)
		apnas_progress_info(&s.prog,
			"data parallel over %d MPI ranks: each takes its share "
			"of every batch of %d", s.nranks, (int)s.batch_size);
	else {
		char d[256] = "no data (the space scores architectures itself)";
		if (s.ds)
			apnas_data_describe(s.ds, d, sizeof d);
		char hw[64] = "";
		if (apnas_hwset_on(&s.hw))
			snprintf(hw, sizeof hw, " + %zu of hardware",
			         s.hw.n_tok);
		apnas_progress_info(&s.prog,
			"%s: space %s (%zu decisions%s), controller %s, reward "
			"%s, cost %s; %s", s.dir, s.space_name, s.nd_space, hw,
			s.ctl.lib.desc->name, s.reward.lib.desc->name,
			s.cost.lib.desc->name, d);
	}
	if (!isnan(s.target) && !s.resumed)
		apnas_progress_info(&s.prog,
			"reward target resolved from reference \"%s\": %.6g "
			"%s", s.reference, s.target,
			s.ms.decl[s.front].name);

	rc = apnas_search_loop(&s, err);
	/* A diverged loss and a rank mismatch are seen by every rank; any
	 * other failure in the loop is this rank's alone. */
	res->lone_failure = s.nranks > 1 && rc < 0 && rc != APNAS_ENUM &&
	                    !s.agreed_error;
	if (s.rank > 0) {
		/* Rank 0 reports and derives alone; the others end here, with
		 * the same outcome. */
		if (rc == APNAS_STOP_SIGNAL) {
			res->stopped_by = s.stop_sig;
			rc = APNAS_EINTR;
		} else if (rc == APNAS_STOP_TIME) {
			rc = 0;
		}
		res->quiet = 1;
		goto out;
	}
	if (rc == APNAS_STOP_SIGNAL) {
		int sig = s.stop_sig ? s.stop_sig : (int)*a->stop;
		res->stopped_by = sig;
		snprintf(s.stop_reason, sizeof s.stop_reason, "signal");
		if (s.checkpoint_on)
			apnas_progress_note(&s.prog,
				"interrupted by signal %d at epoch %lld; "
				"checkpoint saved, continue with: apnas "
				"search --resume %s", sig,
				(long long)s.ct.epoch + 1, s.dir);
		else
			apnas_progress_note(&s.prog,
				"interrupted by signal %d; no checkpoint "
				"(search.checkpoint = false)", sig);
		rc = apnas_error_set(err, APNAS_EINTR,
		                     "interrupted by signal %d", sig);
		goto out;
	}
	if (rc == APNAS_STOP_TIME) {
		res->time_limit_hit = 1;
		snprintf(s.stop_reason, sizeof s.stop_reason, "time_limit");
		apnas_progress_note(&s.prog,
			"time limit of %g s reached at epoch %lld of %lld; "
			"deriving from what the search has%s", s.time_limit,
			(long long)s.ct.epoch + 1, (long long)s.epochs,
			s.checkpoint_on ? " (checkpoint saved: resume with "
			"a larger --set search.time_limit to go on)" : "");
		rc = 0;
	}
	if (rc == APNAS_ENUM) {
		apnas_progress_clear(&s.prog);
		char msg[sizeof err->msg];
		snprintf(msg, sizeof msg, "%s", err->msg);
		apnas_error_set(err, APNAS_ENUM,
			"%s; stopped, %s", msg,
			s.checkpoint_on && apnas_exists_in(s.dir,
			                                   "checkpoint/state.ckpt")
				? "the last good checkpoint is kept in "
				  "checkpoint/ (a lower learning rate may help)"
				: "no checkpoint was written yet");
		goto out;
	}
	if (rc < 0)
		goto out;
	/* the other ranks have left the loop: rank 0's engine runs alone */
	apnas_mpi_set_solo(1);
	rc = apnas_search_derive(&s, err);
	apnas_mpi_set_solo(0);
	if (rc == APNAS_EINTR && a->stop) {
		res->stopped_by = (int)*a->stop;
		apnas_progress_note(&s.prog, "%s", err->msg);
	}
out:
	apnas_progress_clear(&s.prog);
	teardown(&s);
	return rc;
}
