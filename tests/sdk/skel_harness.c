/* Loads the skeleton plugins for the sdk suite. */
#include "skel_harness.h"

#include <check.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Opened as a third party would test its plugin: through the SDK's
 * harness (<apnas/harness.h>), which loads, resolves options and creates
 * exactly as `apnas` does. */
int skel_open(skel *p, apnas_kind kind, const char *const *settings,
              size_t n, const apnas_plugin_ctx *ctx, apnas_error *err)
{
	memset(p, 0, sizeof *p);
	const char *dir = getenv("APNAS_PLUGIN_PATH");
	ck_assert_msg(dir && dir[0],
	              "APNAS_PLUGIN_PATH is not set: run through meson test");
	char path[4096];
	snprintf(path, sizeof path, "%s/%s_skeleton.so", dir,
	         kind_prefix(kind));
	ck_assert_msg(access(path, R_OK) == 0, "no plugin %s", path);
	apnas_error_clear(err);
	apnas_plugin_ctx c = {.seed = 1, .threads = 1};
	if (ctx)
		c = *ctx;
	int rc = apnas_plugin_open(kind, path, settings, n, &c, &p->h, err);
	if (rc < 0)
		return rc;
	p->desc = apnas_plugin_desc_of(p->h);
	p->opts = apnas_plugin_opts(p->h);
	p->self = apnas_plugin_self(p->h);
	return 0;
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
	apnas_plugin_close(p->h);
	if (p->handle)
		dlclose(p->handle);
	memset(p, 0, sizeof *p);
}

void skel_metrics(const skel *cost, apnas_metricset *ms)
{
	ck_assert_int_eq(cost->desc->kind, APNAS_KIND_COST);
	ck_assert_ptr_nonnull(cost->self);
	ck_assert_ptr_nonnull(cost->h);
	apnas_error err;
	apnas_error_clear(&err);
	ck_assert_msg(apnas_metricset_init(ms, apnas_plugin_instance(cost->h),
	                                   &err) == 0,
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
