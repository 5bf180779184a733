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

int rwh_open(rwh *h, const char *name, const char *const *settings,
             size_t n, apnas_error *err)
{
	memset(h, 0, sizeof *h);
	apnas_error_clear(err);
	const char *dir = getenv("APNAS_PLUGIN_PATH");
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
	apnas_plugin_ctx ctx = { .opts = h->opts, .seed = 1, .threads = 1 };
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
	memset(h, 0, sizeof *h);
}

apnas_metrics rwh_metrics(double accuracy, double cycles)
{
	apnas_metrics m = {
		.have = APNAS_METRIC_ACCURACY | APNAS_METRIC_CYCLES,
		.accuracy = accuracy,
		.cycles = cycles,
		.macs = NAN,
		.params = NAN,
		.utilization = NAN,
	};
	return m;
}

double rwh_reward(rwh *h, double accuracy, double cycles)
{
	apnas_metrics m = rwh_metrics(accuracy, cycles);
	apnas_error err;
	apnas_error_clear(&err);
	double r = NAN;
	int rc = h->ops->reward(h->self, &m, &r, &err);
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
