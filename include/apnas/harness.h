/* One plugin outside a search: for a plugin's own tests, tools and
 * embedders.  apnas_plugin_open() loads the file through the same host
 * `apnas` uses (every check the loader makes, one line on refusal),
 * resolves its options from "key=value" settings through the same option
 * code as a config's group, and creates an instance; the ops table is then
 * the author's to call.
 *
 *   apnas_plugin_handle *h;
 *   const char *set[] = {"rows=16", "dataflow=ws"};
 *   if (apnas_plugin_open(APNAS_KIND_COST, "build/cost_mine.so", set, 2,
 *                         NULL, &h, &err))
 *           fail(err.msg);
 *   const apnas_cost_ops *ops = apnas_plugin_ops(h);
 *   ops->cost(apnas_plugin_self(h), &net, total, per_layer, &err);
 *   apnas_plugin_close(h);
 */
#ifndef APNAS_HARNESS_H
#define APNAS_HARNESS_H

#include "api.h"

#include <stddef.h>

#include "error.h"
#include "plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct apnas_plugin_handle apnas_plugin_handle;

/* Opens plugin `where` of `kind`: a path when it holds a '/', else a name
 * looked up along $APNAS_PLUGIN_PATH and the installed plugin directory.
 * settings: n "key=value" strings as in a config group (NULL with n = 0:
 * the defaults).  extra, when not NULL, gives the context's seed, threads,
 * data, decisions and metrics (its opts member is ignored); else seed 1,
 * one thread and nothing else.  Every pointer in extra must stay valid
 * until apnas_plugin_close().  On failure *out is NULL, err says which
 * step refused, and the code is the step's. */
APNAS_API int apnas_plugin_open(apnas_kind kind, const char *where,
                                const char *const *settings, size_t n,
                                const apnas_plugin_ctx *extra,
                                apnas_plugin_handle **out, apnas_error *err);
APNAS_API void apnas_plugin_close(apnas_plugin_handle *h);

/* What was opened; owned by the handle. */
APNAS_API const apnas_plugin_desc *apnas_plugin_desc_of(
	const apnas_plugin_handle *h);
APNAS_API const void *apnas_plugin_ops(const apnas_plugin_handle *h);
APNAS_API void *apnas_plugin_self(const apnas_plugin_handle *h);
APNAS_API const apnas_opts *apnas_plugin_opts(const apnas_plugin_handle *h);
/* The file it was loaded from. */
APNAS_API const char *apnas_plugin_path(const apnas_plugin_handle *h);

/* The metric list a search with cost model `cost` gives its reward
 * (ctx->metrics): accuracy, macs, params, then the cost model's; with cost
 * NULL the core's three.  *list is malloc()ed (the caller frees it); its
 * strings belong to the cost plugin and live until it is closed. */
APNAS_API int apnas_plugin_metric_list(const apnas_plugin_handle *cost,
                                       apnas_metric_decl **list, size_t *n,
                                       apnas_error *err);

#ifdef __cplusplus
}
#endif
#endif
