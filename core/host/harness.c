/* See <apnas/harness.h>: the host's loader, the option code and create(),
 * in the order a search uses them, for one plugin on its own. */
#include <apnas/harness.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "host.h"
#include "metrics/metrics.h"

struct apnas_plugin_handle {
	apnas_instance inst; /* loaded library, options, instance: owned */
};

int apnas_plugin_open(apnas_kind kind, const char *where,
                      const char *const *settings, size_t n,
                      const apnas_plugin_ctx *extra,
                      apnas_plugin_handle **out, apnas_error *err)
{
	*out = NULL;
	if (!where)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "apnas_plugin_open: no plugin named");
	apnas_plugin_handle *h = calloc(1, sizeof *h);
	if (!h)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	int rc = strchr(where, '/')
	       ? apnas_host_open_file(where, kind, &h->inst.lib, err)
	       : apnas_host_open(kind, where, NULL, &h->inst.lib, err);
	if (rc) {
		free(h);
		return rc;
	}
	const apnas_plugin_desc *d = h->inst.lib.desc;
	static const apnas_option none[] = {{NULL, 0, NULL, 0, 0, NULL, NULL,
	                                     0}};
	char what[300];
	snprintf(what, sizeof what, "%s '%s'", apnas_kind_name(kind), d->name);
	rc = apnas_opts_from_settings(d->options ? d->options : none, what,
	                              settings, n, &h->inst.opts, err);
	if (rc == 0) {
		apnas_plugin_ctx ctx;
		if (extra)
			ctx = *extra;
		else {
			memset(&ctx, 0, sizeof ctx);
			ctx.seed = 1;
		}
		if (ctx.threads < 1)
			ctx.threads = 1;
		ctx.opts = h->inst.opts;
		h->inst.ops = d->ops;
		rc = ((const apnas_common_ops *)d->ops)->create(&ctx,
		                                                &h->inst.self,
		                                                err);
		if (rc)
			apnas_error_prefix(err, "%s: create", what);
	}
	if (rc) {
		h->inst.self = NULL;
		apnas_plugin_close(h);
		return rc;
	}
	*out = h;
	return 0;
}

void apnas_plugin_close(apnas_plugin_handle *h)
{
	if (!h)
		return;
	apnas_instance_destroy(&h->inst);
	free(h);
}

const apnas_plugin_desc *apnas_plugin_desc_of(const apnas_plugin_handle *h)
{
	return h->inst.lib.desc;
}

const void *apnas_plugin_ops(const apnas_plugin_handle *h)
{
	return h->inst.ops;
}

void *apnas_plugin_self(const apnas_plugin_handle *h)
{
	return h->inst.self;
}

const apnas_opts *apnas_plugin_opts(const apnas_plugin_handle *h)
{
	return h->inst.opts;
}

const apnas_instance *apnas_plugin_instance(const apnas_plugin_handle *h)
{
	return &h->inst;
}

const char *apnas_plugin_path(const apnas_plugin_handle *h)
{
	return h->inst.lib.path;
}

int apnas_plugin_metric_list(const apnas_plugin_handle *cost,
                             apnas_metric_decl **list, size_t *n,
                             apnas_error *err)
{
	*list = NULL;
	*n = 0;
	if (cost && apnas_plugin_desc_of(cost)->kind != APNAS_KIND_COST)
		return apnas_error_set(err, APNAS_EINVAL,
			"apnas_plugin_metric_list: '%s' is a %s plugin, not a "
			"cost model", apnas_plugin_desc_of(cost)->name,
			apnas_kind_name(apnas_plugin_desc_of(cost)->kind));
	apnas_metricset ms;
	int rc = apnas_metricset_init(&ms, cost ? &cost->inst : NULL, err);
	if (rc)
		return rc;
	*list = ms.decl;
	*n = ms.n;
	ms.decl = NULL;
	apnas_metricset_free(&ms);
	return 0;
}
