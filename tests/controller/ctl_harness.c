/* Loads controller and space plugins through the host for the controller
 * suite. */
#include "ctl_harness.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	apnas_error lerr;
	apnas_error_clear(&lerr);
	int rc = apnas_host_open_file(path, kind, &h->lib, &lerr);
	ck_assert_msg(rc == 0, "loading %s: %s", path, lerr.msg);
	ck_assert_str_eq(h->lib.desc->name, name);
	h->ops = h->lib.desc->ops;
	char what[96];
	snprintf(what, sizeof what, "%s '%s'", apnas_kind_name(kind), name);
	rc = apnas_opts_from_settings(h->lib.desc->options, what, settings, n,
	                              &h->opts, err);
	if (rc < 0) {
		h->opts = NULL;
		return rc;
	}
	apnas_plugin_ctx ctx = {.opts = h->opts, .seed = seed, .threads = 1,
	                        .decisions = d, .n_decisions = nd};
	const apnas_common_ops *ops = h->ops;
	rc = ops->create(&ctx, &h->self, err);
	if (rc < 0)
		h->self = NULL;
	return rc;
}

void cth_close(cth *h)
{
	if (h->self)
		((const apnas_common_ops *)h->ops)->destroy(h->self);
	if (h->opts)
		apnas_opts_free(h->opts);
	if (h->lib.handle)
		apnas_host_close(&h->lib);
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
