/* The run's metric list and the one place a network is costed into it.
 * The cost model fills only what it declared it computes; the core checks
 * every value it had to write (a third-party model that forgets one gets
 * an error naming it, not a NaN in pareto.csv) and forms the SUM and MAX
 * totals itself, so no plugin writes the same loop twice. */
#include "metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "opts_internal.h"

static const apnas_metric_decl core_metrics[APNAS_MX_COST] = {
	{ "accuracy", "", "fraction of images classified correctly "
	  "(validation minibatch during a search, test split after training)",
	  APNAS_GOAL_MAX, APNAS_SCOPE_NET, APNAS_TOTAL_MODEL },
	{ "macs", "", "multiply-accumulates of one inference of one image",
	  APNAS_GOAL_MIN, APNAS_SCOPE_BOTH, APNAS_TOTAL_SUM },
	{ "params", "", "weights and biases the network holds",
	  APNAS_GOAL_MIN, APNAS_SCOPE_BOTH, APNAS_TOTAL_SUM },
};

long apnas_metric_find(const apnas_metric_decl *list, size_t n,
                       const char *name)
{
	if (!list || !name)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (list[i].name && strcmp(list[i].name, name) == 0)
			return (long)i;
	return -1;
}

static int check_decl(const char *pn, const apnas_metric_decl *d,
                      apnas_error *err)
{
	if (!apnas_valid_name(d->name) ||
	    strlen(d->name) > APNAS_METRIC_NAME_MAX)
		return apnas_error_set(err, APNAS_EPLUGIN,
			"cost '%s': metric name '%s' is not [a-z0-9_]+ of at "
			"most %d characters", pn, d->name,
			APNAS_METRIC_NAME_MAX);
	if (!d->unit || !d->help)
		return apnas_error_set(err, APNAS_EPLUGIN,
			"cost '%s': metric '%s' has a NULL %s (\"\" when "
			"there is none)", pn, d->name, !d->unit ? "unit" : "help");
	if (d->goal != APNAS_GOAL_NONE && d->goal != APNAS_GOAL_MIN &&
	    d->goal != APNAS_GOAL_MAX)
		return apnas_error_set(err, APNAS_EPLUGIN,
			"cost '%s': metric '%s' has goal %d (expected "
			"APNAS_GOAL_NONE, _MIN or _MAX)", pn, d->name,
			(int)d->goal);
	int ok;
	switch (d->scope) {
	case APNAS_SCOPE_LAYER: ok = d->total == APNAS_TOTAL_NONE; break;
	case APNAS_SCOPE_NET: ok = d->total == APNAS_TOTAL_MODEL; break;
	case APNAS_SCOPE_BOTH:
		ok = d->total == APNAS_TOTAL_SUM ||
		     d->total == APNAS_TOTAL_MAX ||
		     d->total == APNAS_TOTAL_MODEL;
		break;
	default:
		return apnas_error_set(err, APNAS_EPLUGIN,
			"cost '%s': metric '%s' has scope %d (expected "
			"APNAS_SCOPE_LAYER, _NET or _BOTH)", pn, d->name,
			(int)d->scope);
	}
	if (!ok)
		return apnas_error_set(err, APNAS_EPLUGIN,
			"cost '%s': metric '%s': total %d does not go with its "
			"scope (LAYER: TOTAL_NONE, NET: TOTAL_MODEL, BOTH: SUM, "
			"MAX or MODEL)", pn, d->name, (int)d->total);
	return 0;
}

int apnas_metricset_init(apnas_metricset *ms, const apnas_instance *cost,
                         apnas_error *err)
{
	memset(ms, 0, sizeof *ms);
	const apnas_metric_decl *k = NULL;
	size_t nk = 0;
	if (cost) {
		ms->ops = cost->ops;
		ms->cost = cost->self;
		ms->cost_name = cost->lib.desc->name;
		ms->ops_size = cost->lib.desc->ops_size;
		k = ms->ops->metrics(ms->cost);
		if (!k)
			return apnas_error_set(err, APNAS_EPLUGIN,
				"cost '%s': metrics() returned NULL (an empty "
				"list is an entry with name = NULL)",
				ms->cost_name);
		while (k[nk].name) {
			if (++nk > APNAS_METRICS_MAX)
				return apnas_error_set(err, APNAS_EPLUGIN,
					"cost '%s' declares more than %d "
					"metrics (the limit)", ms->cost_name,
					APNAS_METRICS_MAX);
		}
	}
	ms->n = APNAS_MX_COST + nk;
	ms->decl = calloc(ms->n, sizeof *ms->decl);
	ms->k_net = calloc(nk ? nk : 1, sizeof *ms->k_net);
	if (!ms->decl || !ms->k_net) {
		apnas_metricset_free(ms);
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	}
	memcpy(ms->decl, core_metrics, sizeof core_metrics);
	for (size_t i = 0; i < nk; i++) {
		int rc = check_decl(ms->cost_name, &k[i], err);
		if (rc == 0 &&
		    apnas_metric_find(ms->decl, APNAS_MX_COST + i, k[i].name) >= 0)
			rc = apnas_error_set(err, APNAS_EPLUGIN,
				"cost '%s': metric '%s' is declared twice or "
				"is one of the core's (accuracy, macs, params)",
				ms->cost_name, k[i].name);
		if (rc < 0) {
			apnas_metricset_free(ms);
			return rc;
		}
		ms->decl[APNAS_MX_COST + i] = k[i];
	}
	return 0;
}

void apnas_metricset_free(apnas_metricset *ms)
{
	free(ms->decl);
	free(ms->k_net);
	free(ms->k_layers);
	memset(ms, 0, sizeof *ms);
}

long apnas_metricset_find(const apnas_metricset *ms, const char *name)
{
	return apnas_metric_find(ms->decl, ms->n, name);
}

int apnas_metricset_net(const apnas_metricset *ms, size_t i)
{
	return i < ms->n && (ms->decl[i].scope & APNAS_SCOPE_NET);
}

int apnas_metricset_layer(const apnas_metricset *ms, size_t i)
{
	return i < ms->n && (ms->decl[i].scope & APNAS_SCOPE_LAYER);
}

void apnas_metricset_hardware(const apnas_metricset *ms,
                              const apnas_instance *cost, char *buf,
                              size_t cap)
{
	if (!cap)
		return;
	buf[0] = '\0';
	if (!cost || !ms->ops)
		return;
	if (APNAS_HAS_OP(apnas_cost_ops, ms->ops, ms->ops_size, describe)) {
		ms->ops->describe(ms->cost, buf, cap);
		buf[cap - 1] = '\0';
		return;
	}
	size_t used = 0;
	int w = snprintf(buf, cap, "%s", ms->cost_name);
	if (w < 0 || (size_t)w >= cap)
		return;
	used = (size_t)w;
	const apnas_option *t = apnas_opts_table(cost->opts);
	for (size_t i = 0; t && t[i].key; i++) {
		char val[128];
		apnas_opts_text(cost->opts, t[i].key, val, sizeof val);
		w = snprintf(buf + used, cap - used, " %s=%s", t[i].key, val);
		if (w < 0 || (size_t)w >= cap - used)
			return;
		used += (size_t)w;
	}
}

static int bad_value(const apnas_metricset *ms, size_t j, const char *layer,
                     double v, apnas_error *err)
{
	const char *name = ms->decl[APNAS_MX_COST + j].name;
	if (isnan(v))
		return apnas_error_set(err, APNAS_EPLUGIN,
			"cost '%s' left metric '%s'%s%s unset (it declares it: "
			"cost() must write it)", ms->cost_name, name,
			layer ? " of layer " : "", layer ? layer : "");
	return apnas_error_set(err, APNAS_EPLUGIN,
		"cost '%s' gave metric '%s'%s%s = %g: expected a finite "
		"number >= 0", ms->cost_name, name, layer ? " of layer " : "",
		layer ? layer : "", v);
}

static int ok_value(double v)
{
	return isfinite(v) && v >= 0;
}

/* The cost model's own vectors into the caller's, with checks and totals. */
static int run_model(apnas_metricset *ms, void *self, const apnas_net *net,
                     double *values, double *layer_values, apnas_error *err)
{
	size_t nk = ms->n - APNAS_MX_COST;
	if (!ms->ops)
		return 0;
	size_t rows = net->n ? net->n : 1;
	if (rows > ms->k_cap) {
		double *p = realloc(ms->k_layers,
		                    rows * (nk ? nk : 1) * sizeof *p);
		if (!p)
			return apnas_error_set(err, APNAS_ENOMEM,
				"out of memory costing %zu layers", net->n);
		ms->k_layers = p;
		ms->k_cap = rows;
	}
	for (size_t j = 0; j < nk; j++)
		ms->k_net[j] = NAN;
	for (size_t r = 0; r < net->n * nk; r++)
		ms->k_layers[r] = NAN;
	int rc = ms->ops->cost(self, net, ms->k_net, ms->k_layers, err);
	if (rc < 0)
		return apnas_error_prefix(err, "cost model '%s'", ms->cost_name);
	for (size_t j = 0; j < nk; j++) {
		const apnas_metric_decl *d = &ms->decl[APNAS_MX_COST + j];
		double total = 0.0;
		if (d->scope & APNAS_SCOPE_LAYER) {
			for (size_t i = 0; i < net->n; i++) {
				double v = ms->k_layers[i * nk + j];
				if (!ok_value(v))
					return bad_value(ms, j,
						net->layers[i].name, v, err);
				if (d->total == APNAS_TOTAL_SUM)
					total += v;
				else if (d->total == APNAS_TOTAL_MAX && v > total)
					total = v;
				if (layer_values)
					layer_values[i * ms->n + APNAS_MX_COST + j] = v;
			}
		}
		if (d->total == APNAS_TOTAL_MODEL) {
			total = ms->k_net[j];
			if (!ok_value(total))
				return bad_value(ms, j, NULL, total, err);
		} else if (d->total == APNAS_TOTAL_NONE) {
			total = NAN;
		} else if (!isfinite(total)) {
			return apnas_error_set(err, APNAS_EPLUGIN,
				"cost '%s': the network total of '%s' overflows "
				"a double", ms->cost_name, d->name);
		}
		values[APNAS_MX_COST + j] = total;
	}
	return 0;
}

int apnas_metricset_cost(apnas_metricset *ms, const apnas_net *net,
                         double *values, double *layer_values,
                         apnas_error *err)
{
	return apnas_metricset_cost_on(ms, ms->cost, net, values,
	                               layer_values, err);
}

int apnas_metricset_cost_on(apnas_metricset *ms, void *self,
                            const apnas_net *net, double *values,
                            double *layer_values, apnas_error *err)
{
	for (size_t i = 0; i < ms->n; i++)
		values[i] = NAN;
	if (layer_values) {
		for (size_t r = 0; r < net->n * ms->n; r++)
			layer_values[r] = NAN;
		for (size_t i = 0; i < net->n; i++) {
			double *row = layer_values + i * ms->n;
			row[APNAS_MX_MACS] =
				(double)apnas_layer_macs(&net->layers[i]);
			row[APNAS_MX_PARAMS] =
				(double)apnas_layer_params(&net->layers[i]);
		}
	}
	values[APNAS_MX_MACS] = (double)apnas_net_macs(net);
	values[APNAS_MX_PARAMS] = (double)apnas_net_params(net);
	return run_model(ms, self, net, values, layer_values, err);
}
