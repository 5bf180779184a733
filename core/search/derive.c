/* The derive step that ends a search (method.md section 2): gather
 * candidates (the controller's own, or fresh APNAS_SAMPLE_DERIVE
 * samples), drop duplicates, screen each on the first
 * derive_screen_batches validation minibatches with the shared weights,
 * re-score the best few on the whole validation split, then write the
 * ranked candidates, the Pareto front, the best and the top k.  It runs
 * after the final checkpoint and changes nothing that checkpoint holds,
 * so a run killed while deriving derives again to the same files. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archfile.h"
#include "atomic.h"
#include "json_out.h"
#include "pareto.h"
#include "provenance.h"
#include "search_int.h"

typedef struct cand {
	size_t idx;           /* order of appearance, the tie-breaker */
	double *v;            /* its metric values (into derive.vals);
	                         accuracy = the best estimate we have */
	int64_t images;       /* validation images behind m.accuracy */
	double screen_acc;    /* accuracy on the screening batches */
	int64_t screen_images;
	int full;             /* scored on the whole validation split */
	double reward;
	unsigned char pareto;
} cand;

typedef struct derive {
	apnas_search *s;
	int32_t *toks;        /* owned: n x nd */
	size_t n;
	cand *c;              /* owned: n, in rank order after ranking */
	double *vals;         /* owned: n x s->ms.n metric values */
	int64_t val_n;        /* images in the validation split */
	size_t rescored;
	int rescoring;        /* in the second, whole-split pass */
	size_t n_top;
	double seconds;
} derive;

static const int32_t *tok_of(const derive *d, const cand *c)
{
	return d->toks + c->idx * d->s->nd;
}

/* ---- candidates -------------------------------------------------------- */

static int gather(derive *d, apnas_error *err)
{
	apnas_search *s = d->s;
	const apnas_opts *so = apnas_config_core(s->cfg, "search");
	if (s->cops->candidates) {
		int32_t *t = NULL;
		size_t n = 0;
		int rc = s->cops->candidates(s->ctl.self, &t, &n, err);
		if (rc < 0)
			return apnas_error_prefix(err, "controller candidates");
		if (n == 0) {
			free(t);
			return apnas_error_set(err, APNAS_EPLUGIN,
				"controller '%s' gave no candidates",
				s->ctl.lib.desc->name);
		}
		d->toks = t;
		d->n = n;
	} else {
		size_t n = (size_t)apnas_opts_int(so, "derive_samples");
		d->toks = calloc(n * s->nd, sizeof *d->toks);
		if (!d->toks)
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "out of memory");
		for (size_t i = 0; i < n; i++) {
			int rc = s->cops->sample(s->ctl.self,
			                         APNAS_SAMPLE_DERIVE,
			                         d->toks + i * s->nd, NULL,
			                         err);
			if (rc < 0)
				return apnas_error_prefix(err,
					"controller sample (derive)");
		}
		d->n = n;
	}
	for (size_t i = 0; i < d->n * s->nd; i++) {
		size_t k = i % s->nd;
		if (d->toks[i] < 0 || d->toks[i] >= s->dec[k].n_choices)
			return apnas_error_set(err, APNAS_EPLUGIN,
				"controller gave token %d for decision %zu "
				"(%d choices)", (int)d->toks[i], k,
				(int)s->dec[k].n_choices);
	}
	return 0;
}

/* Keeps the first occurrence of every architecture, in order. */
static int dedupe(derive *d, apnas_error *err)
{
	size_t nd = d->s->nd, cap = 16;
	while (cap < 2 * d->n)
		cap *= 2;
	size_t *slot = malloc(cap * sizeof *slot);
	if (!slot)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	for (size_t i = 0; i < cap; i++)
		slot[i] = SIZE_MAX;
	size_t kept = 0;
	for (size_t i = 0; i < d->n; i++) {
		const int32_t *t = d->toks + i * nd;
		size_t h = (size_t)apnas_tokens_hash(t, nd) & (cap - 1);
		int dup = 0;
		while (slot[h] != SIZE_MAX) {
			if (!memcmp(d->toks + slot[h] * nd, t,
			            nd * sizeof *t)) {
				dup = 1;
				break;
			}
			h = (h + 1) & (cap - 1);
		}
		if (dup)
			continue;
		memmove(d->toks + kept * nd, t, nd * sizeof *t);
		slot[h] = kept++;
	}
	free(slot);
	d->n = kept;
	d->c = calloc(d->n, sizeof *d->c);
	d->vals = calloc(d->n * d->s->ms.n, sizeof *d->vals);
	if (!d->c || !d->vals)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	for (size_t i = 0; i < d->n; i++) {
		d->c[i].idx = i;
		d->c[i].v = d->vals + i * d->s->ms.n;
	}
	return 0;
}

/* ---- scoring ----------------------------------------------------------- */

/* Scoring every candidate on the validation split can take a while on a
 * real supernet: say how far it is, as the search phases do. */
static void derive_progress(derive *d, int64_t batch, int64_t batches,
                            size_t cand, size_t ncand)
{
	apnas_search *s = d->s;
	double now = apnas_search_now();
	if (!apnas_progress_due(&s->prog, now))
		return;
	char line[160];
	if (batches == 0)
		batches = apnas_batcher_batches_per_epoch(s->val_b);
	snprintf(line, sizeof line, "deriving: %s %zu candidates, batch "
	         "%lld/%lld, candidate %zu/%zu", d->rescoring ? "re-scoring"
	         : "screening", ncand, (long long)batch + 1,
	         (long long)batches, cand + 1, ncand);
	apnas_progress_live(&s->prog, now, line);
}

/* Scores the candidates listed in `which` on the first max_batches
 * validation batches (0: all), adding to correct[] and images. */
static int score_on_val(derive *d, const size_t *which, size_t k,
                        int64_t max_batches, int64_t *correct,
                        int64_t *images, apnas_error *err)
{
	apnas_search *s = d->s;
	apnas_batcher *b = NULL;
	int rc = apnas_batcher_open(s->ds, APNAS_SPLIT_VAL, s->eval_batch_size,
	                            &b, err);
	if (rc < 0)
		return apnas_error_prefix(err, "derive");
	apnas_batch batch;
	int64_t nb = 0;
	*images = 0;
	while ((max_batches == 0 || nb < max_batches) &&
	       apnas_batcher_next(b, &batch)) {
		for (size_t j = 0; j < k; j++) {
			/* Checked per candidate: a batch over every candidate
			 * can take long on a real supernet. */
			if (s->args->stop && *s->args->stop) {
				apnas_batcher_close(b);
				return APNAS_STOP_SIGNAL;
			}
			cand *c = &d->c[which[j]];
			int64_t got = 0;
			rc = s->sops->evaluate(s->space.self, tok_of(d, c),
			                       &batch, &got, err);
			if (rc < 0) {
				apnas_batcher_close(b);
				return apnas_error_prefix(err,
					"space '%s' evaluate (derive)",
					s->space_name);
			}
			correct[j] += got;
			derive_progress(d, nb, max_batches, j, k);
		}
		*images += batch.n;
		nb++;
		apnas_search_tick(s);
	}
	apnas_batcher_close(b);
	return 0;
}

static int reward_of(derive *d, cand *c, apnas_error *err)
{
	int rc = apnas_search_reward(d->s, c->v, &c->reward, err);
	return rc < 0 ? apnas_error_prefix(err, "derive") : 0;
}

/* Whole-split scores first, then by reward, then by appearance. */
static int by_rank(const void *pa, const void *pb)
{
	const cand *a = pa, *b = pb;
	if (a->full != b->full)
		return a->full ? -1 : 1;
	if (a->reward != b->reward)
		return a->reward > b->reward ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int score_all(derive *d, apnas_error *err)
{
	apnas_search *s = d->s;
	const apnas_opts *so = apnas_config_core(s->cfg, "search");
	int rc;
	for (size_t i = 0; i < d->n; i++) {
		rc = apnas_costcache_get(&s->cache, tok_of(d, &d->c[i]),
		                         d->c[i].v, err);
		if (rc < 0)
			return rc;
	}
	if (!s->trains) {
		for (size_t i = 0; i < d->n; i++) {
			cand *c = &d->c[i];
			rc = apnas_search_accuracy(s, tok_of(d, c), NULL,
			                           &c->v[APNAS_MX_ACCURACY],
			                           err);
			if (rc < 0)
				return rc;
			c->screen_acc = c->v[APNAS_MX_ACCURACY];
			c->full = 1;
			if ((rc = reward_of(d, c, err)) < 0)
				return rc;
		}
		return 0;
	}
	d->val_n = apnas_data_count(s->ds, APNAS_SPLIT_VAL);
	int64_t screen = apnas_opts_int(so, "derive_screen_batches");
	int64_t val_batches = apnas_batcher_batches_per_epoch(s->val_b);
	int full = screen == 0 || screen >= val_batches;
	size_t *all = malloc(d->n * sizeof *all);
	int64_t *correct = calloc(d->n, sizeof *correct);
	if (!all || !correct) {
		free(all);
		free(correct);
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < d->n; i++)
		all[i] = i;
	int64_t images = 0;
	rc = score_on_val(d, all, d->n, full ? 0 : screen, correct, &images,
	                  err);
	for (size_t i = 0; rc == 0 && i < d->n; i++) {
		cand *c = &d->c[i];
		c->screen_images = images;
		c->screen_acc = images ? (double)correct[i] / images : 0;
		c->v[APNAS_MX_ACCURACY] = c->screen_acc;
		c->images = images;
		c->full = full;
		rc = reward_of(d, c, err);
	}
	size_t top = (size_t)apnas_opts_int(so, "derive_rescore_top");
	if (rc == 0 && !full && top > 0) {
		if (top > d->n)
			top = d->n;
		/* Rank on the screening reward, re-score the best `top`. */
		cand *order = malloc(d->n * sizeof *order);
		if (!order) {
			rc = apnas_error_set(err, APNAS_ENOMEM,
			                     "out of memory");
		} else {
			memcpy(order, d->c, d->n * sizeof *order);
			qsort(order, d->n, sizeof *order, by_rank);
			for (size_t j = 0; j < top; j++) {
				all[j] = order[j].idx;
				correct[j] = 0;
			}
			free(order);
			d->rescoring = 1;
			rc = score_on_val(d, all, top, 0, correct, &images,
			                  err);
			for (size_t j = 0; rc == 0 && j < top; j++) {
				cand *c = &d->c[all[j]];
				c->v[APNAS_MX_ACCURACY] =
					images ? (double)correct[j] / images : 0;
				c->images = images;
				c->full = 1;
				rc = reward_of(d, c, err);
			}
			d->rescored = top;
		}
	}
	free(all);
	free(correct);
	return rc;
}

static int rank_and_front(derive *d, apnas_error *err)
{
	qsort(d->c, d->n, sizeof *d->c, by_rank);
	/* The front compares like with like: only whole-split scores when
	 * there are any, since a screened accuracy is a noisier number. */
	size_t nf = 0;
	while (nf < d->n && d->c[nf].full)
		nf++;
	if (nf == 0)
		nf = d->n;
	double *acc = malloc(nf * sizeof *acc);
	double *cyc = malloc(nf * sizeof *cyc);
	unsigned char *front = malloc(nf);
	if (!acc || !cyc || !front) {
		free(acc);
		free(cyc);
		free(front);
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < nf; i++) {
		acc[i] = d->c[i].v[APNAS_MX_ACCURACY];
		cyc[i] = d->c[i].v[d->s->front];
	}
	apnas_pareto(acc, cyc, nf, front);
	for (size_t i = 0; i < nf; i++)
		d->c[i].pareto = front[i];
	free(acc);
	free(cyc);
	free(front);
	return 0;
}

/* ---- files ------------------------------------------------------------- */

/* accuracy,val_images,<every metric>,reward, */
static void csv_metrics(FILE *f, const derive *d, const cand *c)
{
	apnas_csv_num(f, c->v[APNAS_MX_ACCURACY]);
	fprintf(f, ",%lld", (long long)c->images);
	apnas_metrics_csv_row(f, &d->s->ms, c->v);
	fputc(',', f);
	apnas_csv_num(f, c->reward);
	fputc(',', f);
}

static void csv_head(FILE *f, const derive *d)
{
	fputs("accuracy,val_images", f);
	apnas_metrics_csv_head(f, &d->s->ms);
	fputs(",reward,", f);
}

/* With co-search, ",hardware" before the arch column, and the label of
 * the hardware a candidate chose in it: the point of co-search is that
 * points of one front ran on different arrays. */
static void csv_hw_head(FILE *f, const derive *d)
{
	if (apnas_hwset_on(&d->s->hw))
		fputs("hardware,", f);
}

static void csv_hw(FILE *f, const derive *d, const cand *c)
{
	if (!apnas_hwset_on(&d->s->hw))
		return;
	char label[256];
	apnas_hwset_label(&d->s->hw, tok_of(d, c) + d->s->nd_space, label,
	                  sizeof label);
	fprintf(f, "%s,", label);
}

static int write_candidates(FILE *f, void *ud, apnas_error *err)
{
	(void)err;
	derive *d = ud;
	fputs("rank,", f);
	csv_head(f, d);
	fputs("screen_accuracy,screen_images,pareto,", f);
	csv_hw_head(f, d);
	fputs("arch\n", f);
	for (size_t i = 0; i < d->n; i++) {
		const cand *c = &d->c[i];
		fprintf(f, "%zu,", i + 1);
		csv_metrics(f, d, c);
		apnas_csv_num(f, c->screen_acc);
		fprintf(f, ",%lld,%d,", (long long)c->screen_images,
		        c->pareto);
		csv_hw(f, d, c);
		apnas_csv_tokens(f, tok_of(d, c), d->s->nd);
		fputc('\n', f);
	}
	return 0;
}

/* Pareto points, cheapest in the front metric first. */
static size_t *pareto_order(const derive *d, size_t *np)
{
	size_t *o = malloc((d->n ? d->n : 1) * sizeof *o), k = 0;
	if (!o)
		return NULL;
	for (size_t i = 0; i < d->n; i++)
		if (d->c[i].pareto)
			o[k++] = i;
	for (size_t i = 1; i < k; i++)
		for (size_t j = i; j > 0; j--) {
			const cand *a = &d->c[o[j - 1]], *b = &d->c[o[j]];
			double xa = a->v[d->s->front], xb = b->v[d->s->front];
			if (xa < xb || (xa == xb && a->v[APNAS_MX_ACCURACY] >=
			                            b->v[APNAS_MX_ACCURACY]))
				break;
			size_t t = o[j];
			o[j] = o[j - 1];
			o[j - 1] = t;
		}
	*np = k;
	return o;
}

static int write_pareto(FILE *f, void *ud, apnas_error *err)
{
	derive *d = ud;
	size_t np;
	size_t *o = pareto_order(d, &np);
	if (!o)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	csv_head(f, d);
	fputs("rank,", f);
	csv_hw_head(f, d);
	fputs("arch\n", f);
	for (size_t k = 0; k < np; k++) {
		const cand *c = &d->c[o[k]];
		csv_metrics(f, d, c);
		fprintf(f, "%zu,", o[k] + 1);
		csv_hw(f, d, c);
		apnas_csv_tokens(f, tok_of(d, c), d->s->nd);
		fputc('\n', f);
	}
	free(o);
	return 0;
}

static void json_cand(FILE *f, const derive *d, const cand *c, size_t rank,
                      const char *file)
{
	fputs("{", f);
	if (file) {
		fputs("\"file\":", f);
		apnas_json_str(f, file);
		fputc(',', f);
	}
	fprintf(f, "\"rank\":%zu,\"accuracy\":", rank);
	apnas_json_num(f, c->v[APNAS_MX_ACCURACY]);
	fprintf(f, ",\"val_images\":%lld", (long long)c->images);
	apnas_metrics_json(f, &d->s->ms, c->v);
	fputs(",\"reward\":", f);
	apnas_json_num(f, c->reward);
	if (apnas_hwset_on(&d->s->hw)) {
		char label[256];
		apnas_hwset_label(&d->s->hw, tok_of(d, c) + d->s->nd_space,
		                  label, sizeof label);
		fputs(",\"hardware\":", f);
		apnas_json_str(f, label);
	}
	fputs(",\"arch\":", f);
	apnas_json_tokens(f, tok_of(d, c), d->s->nd);
	fputs("}", f);
}

/* top/01.arch ...: zero-padded to the width of n (at least 2), so the
 * files sort by rank. */
static void top_name(char *buf, size_t cap, size_t i, size_t n)
{
	char num[32], width[32];
	snprintf(num, sizeof num, "%zu", i + 1);
	snprintf(width, sizeof width, "%zu", n < 10 ? (size_t)10 : n);
	size_t pad = strlen(width) - strlen(num);
	snprintf(buf, cap, "top/%.*s%s.arch", (int)pad, "0000000000000000000",
	         num);
}

static int write_summary(FILE *f, void *ud, apnas_error *err)
{
	(void)err;
	derive *d = ud;
	apnas_search *s = d->s;
	const char *status = s->stop_reason[0] ? s->stop_reason : "finished";
	fprintf(f, "{\n  \"format\": 1,\n  \"status\": \"%s\",\n", status);
	fprintf(f, "  \"epochs_done\": %lld,\n  \"epochs\": %lld,\n",
	        (long long)s->ct.epoch, (long long)s->epochs);
	fprintf(f, "  \"train_steps\": %lld,\n  \"controller_updates\": "
	        "%lld,\n  \"samples\": %lld,\n", (long long)s->ct.global_step,
	        (long long)s->ct.updates, (long long)s->ct.samples);
	fputs("  \"wall_seconds\": ", f);
	apnas_json_num(f, apnas_search_wall(s));
	fputs(",\n  \"derive_seconds\": ", f);
	apnas_json_num(f, d->seconds);
	fprintf(f, ",\n  \"seed\": %llu,\n  \"threads\": %d,\n",
	        (unsigned long long)s->seed, (int)s->threads);
	apnas_provenance_json(f, "  ", ",\n");
	fputs("  \"space\": ", f);
	apnas_json_str(f, s->space_name);
	fputs(",\n  \"controller\": ", f);
	apnas_json_str(f, s->ctl.lib.desc->name);
	fputs(",\n  \"reward\": ", f);
	apnas_json_str(f, s->reward.lib.desc->name);
	fputs(",\n  \"cost\": ", f);
	apnas_json_str(f, s->cost.lib.desc->name);
	fputs(",\n  \"reward_reference\": ", f);
	if (s->reference)
		apnas_json_str(f, s->reference);
	else
		fputs("null", f);
	fputs(",\n  \"reward_metric\": ", f);
	apnas_json_str(f, s->ms.decl[s->front].name);
	fputs(",\n  \"reward_target\": ", f);
	apnas_json_num(f, s->target);
	char hw[512];
	apnas_metricset_hardware(&s->ms, &s->cost, hw, sizeof hw);
	fputs(",\n  \"hardware\": ", f);
	apnas_json_str(f, hw);
	fputs(",\n  \"metrics\": ", f);
	apnas_metrics_json_decl(f, &s->ms);
	fprintf(f, ",\n  \"candidates\": %zu,\n  \"rescored\": %zu,\n"
	        "  \"val_images\": %lld,\n", d->n, d->rescored,
	        (long long)d->val_n);
	fputs("  \"best\": ", f);
	json_cand(f, d, &d->c[0], 1, "best.arch");
	fputs(",\n  \"top\": [", f);
	for (size_t i = 0; i < d->n_top; i++) {
		char name[64];
		top_name(name, sizeof name, i, d->n_top);
		fputs(i ? ",\n    " : "\n    ", f);
		json_cand(f, d, &d->c[i], i + 1, name);
	}
	fputs(d->n_top ? "\n  ],\n  \"pareto\": [" : "],\n  \"pareto\": [",
	      f);
	size_t np;
	size_t *o = pareto_order(d, &np);
	for (size_t k = 0; o && k < np; k++) {
		fputs(k ? ",\n    " : "\n    ", f);
		json_cand(f, d, &d->c[o[k]], o[k] + 1, NULL);
	}
	fputs(np ? "\n  ]\n}\n" : "]\n}\n", f);
	free(o);
	return 0;
}

static int write_arch(derive *d, const cand *c, size_t rank,
                      const char *name, apnas_error *err)
{
	apnas_search *s = d->s;
	char comment[6000], on[64] = "(the space's score)", text[1024];
	char hw[512];
	if (s->trains)
		snprintf(on, sizeof on, "on %lld validation images",
		         (long long)c->images);
	apnas_metrics_text(text, sizeof text, &s->ms, c->v);
	char *section = NULL;
	if (apnas_hwset_on(&s->hw)) {
		apnas_hwset_label(&s->hw, tok_of(d, c) + s->nd_space, hw,
		                  sizeof hw);
		section = apnas_hwset_section(&s->hw, tok_of(d, c) +
		                                      s->nd_space);
		if (!section)
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "out of memory");
	} else {
		apnas_metricset_hardware(&s->ms, &s->cost, hw, sizeof hw);
	}
	snprintf(comment, sizeof comment,
	         "found by apnas search in %s (seed %llu), rank %zu of %zu "
	         "by reward\naccuracy %.6f %s, reward %.6f\n%s\non %s",
	         s->dir, (unsigned long long)s->seed, rank, d->n,
	         c->v[APNAS_MX_ACCURACY], on, c->reward, text, hw);
	char *path = apnas_search_path(s, name);
	int rc = path ? apnas_archfile_write(path, s->space_name,
	                                     s->space_opts, s->sops,
	                                     s->space.self, tok_of(d, c),
	                                     comment, section, err)
	              : apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	free(section);
	free(path);
	apnas_search_tick(s);
	return rc;
}

static int write_file(derive *d, const char *name,
                      int (*fn)(FILE *, void *, apnas_error *),
                      apnas_error *err)
{
	char *path = apnas_search_path(d->s, name);
	if (!path)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	int rc = apnas_write_atomic_with(path, 0, fn, d, err);
	free(path);
	apnas_search_tick(d->s);
	return rc;
}

/* top/ is rewritten whole: files left from an earlier, larger top_k
 * would otherwise pass for this derive's. */
static int clear_top(apnas_search *s, apnas_error *err)
{
	char *dir = apnas_search_path(s, "top");
	if (!dir)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	DIR *dd = opendir(dir);
	if (dd) {
		struct dirent *e;
		while ((e = readdir(dd))) {
			size_t n = strlen(e->d_name);
			if (n > 5 && !strcmp(e->d_name + n - 5, ".arch")) {
				char p[4096];
				snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
				unlink(p);
			}
		}
		closedir(dd);
	} else if (mkdir(dir, 0777) != 0) {
		int rc = apnas_error_set(err, APNAS_EIO,
			"cannot create %s", dir);
		free(dir);
		return rc;
	}
	free(dir);
	return 0;
}

static void print_table(const derive *d)
{
	FILE *f = d->s->args->out;
	if (!f)
		return;
	size_t np;
	size_t *o = pareto_order(d, &np);
	if (!o)
		return;
	if (d->s->trains)
		fprintf(f, "Pareto front (%zu of %zu candidates; accuracy on "
		        "%lld validation images):\n", np, d->n,
		        (long long)(d->n ? d->c[0].images : 0));
	else
		fprintf(f, "Pareto front (%zu of %zu candidates; accuracy = "
		        "the space's score):\n", np, d->n);
	size_t x = d->s->front;
	const char *xn = d->s->ms.decl[x].name;
	fprintf(f, "%6s %9s %14s %14s %10s %10s%s\n", "rank", "accuracy", xn,
	        "macs", "params", "reward",
	        apnas_hwset_on(&d->s->hw) ? "  hardware" : "");
	for (size_t k = 0; k < np; k++) {
		const cand *c = &d->c[o[k]];
		char xs[64];
		apnas_metric_str(c->v[x], xs, sizeof xs);
		char hw[256] = "";
		if (apnas_hwset_on(&d->s->hw)) {
			hw[0] = ' ';
			hw[1] = ' ';
			apnas_hwset_label(&d->s->hw,
			                  tok_of(d, c) + d->s->nd_space, hw + 2,
			                  sizeof hw - 2);
		}
		fprintf(f, "%6zu %9.4f %14s %14.0f %10.0f %10.5f%s%s\n",
		        o[k] + 1, c->v[APNAS_MX_ACCURACY], xs,
		        c->v[APNAS_MX_MACS], c->v[APNAS_MX_PARAMS], c->reward,
		        hw, o[k] == 0 ? "  best" : "");
	}
	free(o);
	const char *dir = d->s->dir;
	char bx[64];
	apnas_metric_str(d->c[0].v[x], bx, sizeof bx);
	fprintf(f, "\nbest: %s/best.arch (reward %.5f, accuracy %.4f, "
	        "%s %s)\n", dir, d->c[0].reward,
	        d->c[0].v[APNAS_MX_ACCURACY], xn, bx);
	fprintf(f, "files: %s/summary.json %s/pareto.csv %s/candidates.csv "
	        "%s/top/ (%zu) %s/samples.jsonl %s/epochs.csv %s/config.cfg\n",
	        dir, dir, dir, dir, d->n_top, dir, dir, dir);
	fflush(f);
}

int apnas_search_derive(apnas_search *s, apnas_error *err)
{
	derive d;
	memset(&d, 0, sizeof d);
	d.s = s;
	double t0 = apnas_search_now();
	const apnas_opts *so = apnas_config_core(s->cfg, "search");
	if (s->prog.mode != APNAS_PROGRESS_NONE)
		apnas_progress_epoch(&s->prog, "deriving ...");
	int rc = gather(&d, err);
	if (rc == 0)
		rc = dedupe(&d, err);
	if (rc == 0)
		rc = score_all(&d, err);
	if (rc == APNAS_STOP_SIGNAL) {
		rc = apnas_error_set(err, APNAS_EINTR,
			"interrupted while deriving; the checkpoint is "
			"intact: apnas search --resume %s derives again",
			s->dir);
		goto out;
	}
	if (rc == 0)
		rc = rank_and_front(&d, err);
	if (rc < 0)
		goto out;
	d.n_top = (size_t)apnas_opts_int(so, "top_k");
	if (d.n_top > d.n)
		d.n_top = d.n;
	d.seconds = apnas_search_now() - t0;
	if ((rc = write_file(&d, "candidates.csv", write_candidates, err)))
		goto out;
	if ((rc = write_file(&d, "pareto.csv", write_pareto, err)))
		goto out;
	if ((rc = write_arch(&d, &d.c[0], 1, "best.arch", err)))
		goto out;
	if ((rc = clear_top(s, err)))
		goto out;
	for (size_t i = 0; i < d.n_top; i++) {
		char name[64];
		top_name(name, sizeof name, i, d.n_top);
		if ((rc = write_arch(&d, &d.c[i], i + 1, name, err)))
			goto out;
	}
	/* Last: its presence marks the run as derived. */
	if ((rc = write_file(&d, "summary.json", write_summary, err)))
		goto out;
	apnas_progress_clear(&s->prog);
	print_table(&d);
out:
	free(d.toks);
	free(d.c);
	free(d.vals);
	return rc;
}
