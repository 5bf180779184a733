/* Loads reward plugins through the host for the reward suite. */
#include "reward_harness.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rwh_require_env(void)
{
	const char *dir = getenv("APNAS_PLUGIN_PATH");
	if (!dir || !dir[0]) {
		fprintf(stderr, "SKIPPED: APNAS_PLUGIN_PATH is not set, so the "
		        "reward plugins cannot be found; run through "
		        "`meson test --suite reward`\n");
		exit(77);
	}
}

/* The metric list a run with the default cost model has: the core builds
 * it from the cost instance, so the harness does the same. */
static void open_metrics(rwh *h, const char *dir)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/cost_systolic.so", dir);
	apnas_error err;
	apnas_error_clear(&err);
	apnas_instance *c = &h->cost;
	int rc = apnas_host_open_file(path, APNAS_KIND_COST, &c->lib, &err);
	ck_assert_msg(rc == 0, "loading %s: %s", path, err.msg);
	c->ops = c->lib.desc->ops;
	rc = apnas_opts_from_settings(c->lib.desc->options, "cost systolic",
	                              NULL, 0, &c->opts, &err);
	ck_assert_msg(rc == 0, "cost systolic options: %s", err.msg);
	apnas_plugin_ctx ctx = { .opts = c->opts, .seed = 1, .threads = 1 };
	rc = ((const apnas_cost_ops *)c->ops)->create(&ctx, &c->self, &err);
	ck_assert_msg(rc == 0, "cost systolic: %s", err.msg);
	rc = apnas_metricset_init(&h->ms, c, &err);
	ck_assert_msg(rc == 0, "metric list: %s", err.msg);
	ck_assert_uint_le(h->ms.n, RWH_MAX);
}

int rwh_open(rwh *h, const char *name, const char *const *settings,
             size_t n, apnas_error *err)
{
	memset(h, 0, sizeof *h);
	apnas_error_clear(err);
	const char *dir = getenv("APNAS_PLUGIN_PATH");
	open_metrics(h, dir);
	char path[4096];
	snprintf(path, sizeof path, "%s/reward_%s.so", dir, name);
	apnas_error lerr;
	apnas_error_clear(&lerr);
	int rc = apnas_host_open_file(path, APNAS_KIND_REWARD, &h->lib, &lerr);
	ck_assert_msg(rc == 0, "loading %s: %s", path, lerr.msg);
	ck_assert_str_eq(h->lib.desc->name, name);
	h->ops = h->lib.desc->ops;

	char what[64];
	snprintf(what, sizeof what, "reward %s", name);
	rc = apnas_opts_from_settings(h->lib.desc->options, what, settings, n,
	                              &h->opts, err);
	if (rc < 0) {
		h->opts = NULL;
		return rc;
	}
	apnas_plugin_ctx ctx = { .opts = h->opts, .seed = 1, .threads = 1,
	                         .metrics = h->ms.decl,
	                         .n_metrics = h->ms.n };
	rc = h->ops->create(&ctx, &h->self, err);
	if (rc < 0)
		h->self = NULL;
	return rc;
}

void rwh_close(rwh *h)
{
	if (h->self)
		h->ops->destroy(h->self);
	if (h->opts)
		apnas_opts_free(h->opts);
	if (h->lib.handle)
		apnas_host_close(&h->lib);
	apnas_metricset_free(&h->ms);
	if (h->cost.self)
		((const apnas_cost_ops *)h->cost.ops)->destroy(h->cost.self);
	if (h->cost.opts)
		apnas_opts_free(h->cost.opts);
	if (h->cost.lib.handle)
		apnas_host_close(&h->cost.lib);
	memset(h, 0, sizeof *h);
}

size_t rwh_index(const rwh *h, const char *name)
{
	long i = apnas_metricset_find(&h->ms, name);
	ck_assert_msg(i >= 0, "the run has no metric \"%s\"", name);
	return (size_t)i;
}

rwh_vec rwh_vec_of(const rwh *h, double accuracy, double cycles)
{
	rwh_vec v;
	for (size_t i = 0; i < RWH_MAX; i++)
		v.v[i] = NAN;
	rwh_set(h, &v, "accuracy", accuracy);
	rwh_set(h, &v, "cycles", cycles);
	return v;
}

void rwh_set(const rwh *h, rwh_vec *v, const char *name, double x)
{
	v->v[rwh_index(h, name)] = x;
}

double rwh_reward_vec(rwh *h, const rwh_vec *v)
{
	apnas_error err;
	apnas_error_clear(&err);
	double r = NAN;
	int rc = h->ops->reward(h->self, v->v, &r, &err);
	ck_assert_msg(rc == 0, "reward %s failed: %s", h->lib.desc->name,
	              err.msg);
	ck_assert_msg(isfinite(r), "reward %s = %g", h->lib.desc->name, r);
	return r;
}

double rwh_reward(rwh *h, double accuracy, double cycles)
{
	rwh_vec v = rwh_vec_of(h, accuracy, cycles);
	apnas_error err;
	apnas_error_clear(&err);
	double r = NAN;
	int rc = h->ops->reward(h->self, v.v, &r, &err);
	ck_assert_msg(rc == 0, "reward(acc=%g, cyc=%g) failed: %s", accuracy,
	              cycles, err.msg);
	ck_assert_msg(isfinite(r), "reward(acc=%g, cyc=%g) = %g", accuracy,
	              cycles, r);
	return r;
}

void rwh_assert_msg(const apnas_error *err, const char *word)
{
	ck_assert_int_lt(err->code, 0);
	ck_assert_msg(err->msg[0] != '\0', "empty error message");
	ck_assert_msg(strchr(err->msg, '\n') == NULL,
	              "error message spans lines: %s", err->msg);
	ck_assert_msg(strstr(err->msg, word) != NULL,
	              "error message does not mention \"%s\": %s", word,
	              err->msg);
}
