/* Loads controller and space plugins through the host for the controller
 * suite. */
#include "ctl_harness.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cth_open(cth *h, apnas_kind kind, const char *name,
             const char *const *settings, size_t n,
             const apnas_decision *d, size_t nd, uint64_t seed,
             apnas_error *err)
{
	memset(h, 0, sizeof *h);
	apnas_error_clear(err);
	const char *dir = getenv("APNAS_PLUGIN_PATH");
	ck_assert_msg(dir && dir[0],
	              "APNAS_PLUGIN_PATH is not set: run through meson test");
	char path[4096];
	snprintf(path, sizeof path, "%s/%s_%s.so", dir, apnas_kind_name(kind),
	         name);
	apnas_plugin_ctx ctx = {.seed = seed, .threads = 1, .decisions = d,
	                        .n_decisions = nd};
	/* The file must be there; its options and create() may refuse. */
	ck_assert_msg(access(path, R_OK) == 0, "no plugin %s", path);
	int rc = apnas_plugin_open(kind, path, settings, n, &ctx, &h->h, err);
	if (rc < 0)
		return rc;
	ck_assert_str_eq(apnas_plugin_desc_of(h->h)->name, name);
	h->opts = apnas_plugin_opts(h->h);
	h->ops = apnas_plugin_ops(h->h);
	h->self = apnas_plugin_self(h->h);
	return 0;
}

void cth_close(cth *h)
{
	apnas_plugin_close(h->h);
	memset(h, 0, sizeof *h);
}

void cth_toy(cth *h, const char *const *settings, size_t n,
             const apnas_decision **d, size_t *nd)
{
	apnas_error err;
	int rc = cth_open(h, APNAS_KIND_SPACE, "toy", settings, n, NULL, 0, 1,
	                  &err);
	ck_assert_msg(rc == 0, "toy space: %s", err.msg);
	rc = cth_space(h)->decisions(h->self, d, nd, &err);
	ck_assert_msg(rc == 0, "toy decisions: %s", err.msg);
}

void cth_controller(cth *h, const char *name, const char *const *settings,
                    size_t n, const apnas_decision *d, size_t nd,
                    uint64_t seed)
{
	apnas_error err;
	int rc = cth_open(h, APNAS_KIND_CONTROLLER, name, settings, n, d, nd,
	                  seed, &err);
	ck_assert_msg(rc == 0, "controller %s: %s", name, err.msg);
}
