/* Loads reward plugins through the host for the reward suite. */
#include "reward_harness.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	int rc = apnas_plugin_open(APNAS_KIND_COST, path, NULL, 0, NULL,
	                           &h->cost, &err);
	ck_assert_msg(rc == 0, "loading %s: %s", path, err.msg);
	rc = apnas_plugin_metric_list(h->cost, &h->ms.decl, &h->ms.n, &err);
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
	/* The file must load; its options and create() may refuse. */
	ck_assert_msg(access(path, R_OK) == 0, "no plugin %s", path);
	apnas_plugin_ctx ctx = { .seed = 1, .threads = 1,
	                         .metrics = h->ms.decl,
	                         .n_metrics = h->ms.n };
	int rc = apnas_plugin_open(APNAS_KIND_REWARD, path, settings, n, &ctx,
	                           &h->h, err);
	if (rc < 0)
		return rc;
	h->desc = apnas_plugin_desc_of(h->h);
	ck_assert_str_eq(h->desc->name, name);
	h->ops = apnas_plugin_ops(h->h);
	h->self = apnas_plugin_self(h->h);
	return 0;
}

void rwh_close(rwh *h)
{
	apnas_plugin_close(h->h);
	free(h->ms.decl);
	apnas_plugin_close(h->cost);
	memset(h, 0, sizeof *h);
}

size_t rwh_index(const rwh *h, const char *name)
{
	long i = apnas_metric_find(h->ms.decl, h->ms.n, name);
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
	ck_assert_msg(rc == 0, "reward %s failed: %s", h->desc->name,
	              err.msg);
	ck_assert_msg(isfinite(r), "reward %s = %g", h->desc->name, r);
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
