/* Loads the skeleton plugins for the sdk suite. */
#include "skel_harness.h"

#include <check.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The file prefix of each kind, spelt out here rather than taken from
 * the core, so a wrong core table cannot hide a wrong file name. */
static const char *kind_prefix(apnas_kind kind)
{
	switch (kind) {
	case APNAS_KIND_SPACE: return "space";
	case APNAS_KIND_CONTROLLER: return "controller";
	case APNAS_KIND_REWARD: return "reward";
	case APNAS_KIND_COST: return "cost";
	}
	return "unknown";
}

void skel_load(skel *p, apnas_kind kind)
{
	memset(p, 0, sizeof *p);
	const char *dir = getenv("APNAS_PLUGIN_PATH");
	ck_assert_msg(dir && dir[0],
	              "APNAS_PLUGIN_PATH is not set: run through meson test");
	char path[4096];
	snprintf(path, sizeof path, "%s/%s_skeleton.so", dir,
	         kind_prefix(kind));
	p->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(p->handle != NULL, "dlopen %s: %s", path, dlerror());
	p->desc = dlsym(p->handle, APNAS_PLUGIN_SYMBOL);
	ck_assert_msg(p->desc != NULL, "%s exports no %s", path,
	              APNAS_PLUGIN_SYMBOL);
}

int skel_open(skel *p, apnas_kind kind, const char *const *settings,
              size_t n, const apnas_plugin_ctx *ctx, apnas_error *err)
{
	skel_load(p, kind);
	apnas_error_clear(err);
	int rc = apnas_opts_from_settings(p->desc->options, "skeleton",
	                                  settings, n, &p->opts, err);
	if (rc < 0) {
		p->opts = NULL;
		return rc;
	}
	apnas_plugin_ctx c = {.seed = 1, .threads = 1};
	if (ctx)
		c = *ctx;
	c.opts = p->opts;
	const apnas_common_ops *ops = p->desc->ops;
	rc = ops->create(&c, &p->self, err);
	if (rc < 0)
		p->self = NULL;
	return rc;
}

void skel_open_ok(skel *p, apnas_kind kind, const char *const *settings,
                  size_t n, const apnas_plugin_ctx *ctx)
{
	apnas_error err;
	int rc = skel_open(p, kind, settings, n, ctx, &err);
	ck_assert_msg(rc == 0, "%s_skeleton: %s", kind_prefix(kind),
	              err.msg);
}

void skel_close(skel *p)
{
	if (p->self)
		((const apnas_common_ops *)p->desc->ops)->destroy(p->self);
	if (p->opts)
		apnas_opts_free(p->opts);
	if (p->handle)
		dlclose(p->handle);
	memset(p, 0, sizeof *p);
}

void skel_metrics(const skel *cost, apnas_metricset *ms)
{
	ck_assert_int_eq(cost->desc->kind, APNAS_KIND_COST);
	ck_assert_ptr_nonnull(cost->self);
	/* The instance the core would hold; the set only borrows from it. */
	apnas_instance inst = {
		.lib = {.desc = cost->desc, .handle = cost->handle},
		.opts = cost->opts,
		.self = cost->self,
		.ops = cost->desc->ops,
	};
	apnas_error err;
	apnas_error_clear(&err);
	ck_assert_msg(apnas_metricset_init(ms, &inst, &err) == 0,
	              "the core refuses %s_skeleton's metrics: %s", "cost",
	              err.msg);
}

void skel_assert_error(const apnas_error *err, const char *word)
{
	ck_assert_int_lt(err->code, 0);
	ck_assert_msg(err->msg[0] != '\0', "empty error message");
	ck_assert_msg(strchr(err->msg, '\n') == NULL,
	              "error message spans lines: %s", err->msg);
	ck_assert_msg(strstr(err->msg, word) != NULL,
	              "error message does not mention \"%s\": %s", word,
	              err->msg);
}
