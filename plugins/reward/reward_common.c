/* Helpers the reward plugins share: the metric a reward reads, its scale
 * (absolute, or a fraction of a reference architecture's value resolved
 * once by the core) and the validation of values.  Compiled into each
 * reward module with hidden visibility, so every module stays
 * self-contained. */
#include "reward_common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HIDDEN __attribute__((visibility("hidden")))

HIDDEN int rw_metrics_init(rw_metrics *m, const apnas_plugin_ctx *ctx,
                           const char *ref, apnas_error *err)
{
	memset(m, 0, sizeof *m);
	m->decl = ctx->metrics;
	m->n = ctx->n_metrics;
	long a = apnas_metric_find(m->decl, m->n, "accuracy");
	if (a < 0)
		return apnas_error_set(err, APNAS_EINVAL,
			"the run's metrics lack accuracy (created outside a "
			"search?)");
	m->accuracy = (size_t)a;
	if (ref && ref[0] && !(m->reference = strdup(ref)))
		return apnas_error_set(err, APNAS_ENOMEM,
			"out of memory copying reference name");
	return 0;
}

HIDDEN void rw_metrics_free(rw_metrics *m)
{
	if (!m)
		return;
	free(m->reference);
	m->reference = NULL;
}

/* "cycles, energy_pj" : the metrics a cost reward may name. */
static void cost_names(const rw_metrics *m, char *buf, size_t cap)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < m->n; i++) {
		const apnas_metric_decl *d = &m->decl[i];
		if (d->goal != APNAS_GOAL_MIN || !(d->scope & APNAS_SCOPE_NET))
			continue;
		int w = snprintf(buf + used, cap - used, "%s%s",
		                 used ? ", " : "", d->name);
		if (w < 0 || (size_t)w >= cap - used)
			return;
		used += (size_t)w;
	}
}

HIDDEN int rw_target_init(rw_target *t, const rw_metrics *m,
                          const char *name, const char *key, double value,
                          apnas_error *err)
{
	memset(t, 0, sizeof *t);
	t->key = key;
	t->value = value;
	t->reference = m->reference;
	long i = apnas_metric_find(m->decl, m->n, name);
	const apnas_metric_decl *d = i >= 0 ? &m->decl[i] : NULL;
	if (!d || d->goal != APNAS_GOAL_MIN || !(d->scope & APNAS_SCOPE_NET)) {
		char names[1024];
		cost_names(m, names, sizeof names);
		return apnas_error_set(err, APNAS_EINVAL,
			"metric \"%s\" %s: the cost model's metrics where "
			"lower is better are: %s", name,
			!d ? "is not declared by the configured cost model"
			   : d->goal != APNAS_GOAL_MIN
			   ? "is not one where lower is better"
			   : "has no network value", names);
	}
	t->metric = (size_t)i;
	t->name = d->name;
	double v = value;
	if (t->reference) {
		if (!(isfinite(v) && v > 0 && v <= RW_MAX_FRACTION))
			return apnas_error_set(err, APNAS_EINVAL,
				"%s = %g: with reference = \"%s\" it is a fraction "
				"of the reference's %s, expected a number in "
				"(0, %g]", key, v, t->reference, t->name,
				RW_MAX_FRACTION);
		return 0;
	}
	if (!(isfinite(v) && v > 0))
		return apnas_error_set(err, APNAS_EINVAL,
			"%s = %g: expected a %s value > 0 (or set reference "
			"to give a fraction of a named architecture's)", key, v,
			t->name);
	/* A fraction typed without its reference reads as less than one
	 * cycle: almost surely a mistake for that integer metric. */
	if (v < 1 && strcmp(t->name, "cycles") == 0)
		return apnas_error_set(err, APNAS_EINVAL,
			"%s = %g is less than one cycle: to give a fraction of "
			"a reference architecture's cycles, also set reference "
			"(e.g. reference = \"all-conv3x3\")", key, v);
	t->scale = v;
	return 0;
}

HIDDEN int rw_target_resolve(rw_target *t, const double *ref,
                             apnas_error *err)
{
	if (!t->reference)
		return 0;
	if (!ref)
		return apnas_error_set(err, APNAS_EINVAL,
			"reference \"%s\": no metrics given to resolve %s",
			t->reference, t->key);
	double x = ref[t->metric];
	if (!(isfinite(x) && x > 0))
		return apnas_error_set(err, APNAS_EINVAL,
			"reference \"%s\" has %s = %g: expected a finite "
			"number > 0", t->reference, t->name, x);
	/* Always from the configured fraction, so resolving twice never
	 * compounds. */
	t->scale = t->value * x;
	return 0;
}

HIDDEN int rw_target_scale(const rw_target *t, double *scale,
                           apnas_error *err)
{
	if (!(t->scale > 0))
		return apnas_error_set(err, APNAS_EINVAL,
			"%s = %g is a fraction of reference \"%s\"'s %s, which "
			"is not known yet: resolve() must be called with the "
			"reference's metrics before reward()", t->key, t->value,
			t->reference ? t->reference : "", t->name);
	*scale = t->scale;
	return 0;
}

HIDDEN int rw_value(const rw_target *t, const double *v, double *x,
                    apnas_error *err)
{
	if (!v)
		return apnas_error_set(err, APNAS_EINVAL,
			"no metric values given");
	/* The output stays untouched on a refusal. */
	double got = v[t->metric];
	if (!isfinite(got) || got < 0)
		return apnas_error_set(err, APNAS_EINVAL,
			"%s = %g: expected a finite number >= 0", t->name, got);
	*x = got;
	return 0;
}

HIDDEN int rw_accuracy(const rw_metrics *m, const double *v, double *acc,
                       apnas_error *err)
{
	if (!v)
		return apnas_error_set(err, APNAS_EINVAL,
			"no metric values given");
	double got = v[m->accuracy];
	if (!(got >= 0 && got <= 1))
		return apnas_error_set(err, APNAS_EINVAL,
			"accuracy = %g: expected a fraction in [0, 1]", got);
	*acc = got;
	return 0;
}

HIDDEN size_t rw_default_front(const rw_metrics *m)
{
	long i = apnas_metric_find(m->decl, m->n, "cycles");
	if (i < 0)
		i = apnas_metric_find(m->decl, m->n, "macs");
	return i < 0 ? 0 : (size_t)i;
}

HIDDEN int rw_single_init(rw_single *s, const apnas_plugin_ctx *ctx,
                          apnas_error *err)
{
	const apnas_opts *o = ctx->opts;
	int rc = rw_metrics_init(&s->m, ctx, apnas_opts_string(o, "reference"),
	                         err);
	if (rc == 0)
		rc = rw_target_init(&s->target, &s->m,
		                    apnas_opts_string(o, "metric"), "target",
		                    apnas_opts_float(o, "target"), err);
	return rc;
}

HIDDEN void rw_single_free(rw_single *s)
{
	rw_metrics_free(&s->m);
}

HIDDEN int rw_single_values(const rw_single *s, const double *v, double *acc,
                            double *x, double *t, apnas_error *err)
{
	int rc;
	if ((rc = rw_accuracy(&s->m, v, acc, err)) < 0 ||
	    (rc = rw_value(&s->target, v, x, err)) < 0)
		return rc;
	return rw_target_scale(&s->target, t, err);
}

HIDDEN size_t rw_single_front(void *self)
{
	return ((rw_single *)self)->target.metric;
}

HIDDEN const char *rw_single_reference(void *self)
{
	return ((rw_single *)self)->m.reference;
}

HIDDEN int rw_single_resolve(void *self, const double *ref, double *target,
                             apnas_error *err)
{
	rw_single *s = self;
	int rc = rw_target_resolve(&s->target, ref, err);
	return rc ? rc : rw_target_scale(&s->target, target, err);
}
