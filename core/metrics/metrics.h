/* The run's metrics: the three the core measures on a network description
 * (accuracy, macs, params) followed by whatever the configured cost model
 * declares.  Every part that stores, prints or plots metrics (the cost
 * cache, the search's logs and results, `apnas cost`, `apnas train`,
 * `apnas report`) walks this list; none names a cost metric by hand.
 * Internal to libapnas. */
#ifndef APNAS_METRICS_H
#define APNAS_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <apnas/plugin.h>

#include "host.h"

/* Positions of the core's own metrics in every value vector. */
enum {
	APNAS_MX_ACCURACY = 0,
	APNAS_MX_MACS = 1,
	APNAS_MX_PARAMS = 2,
	APNAS_MX_COST = 3 /* the cost model's first metric */
};

typedef struct apnas_metricset {
	/* Owned array of n entries; its strings point into the cost plugin
	 * (valid while it is loaded) or are the core's literals. */
	apnas_metric_decl *decl;
	size_t n;
	/* Borrowed from the caller, valid for the set's life. */
	const apnas_cost_ops *ops;
	void *cost;
	const char *cost_name;    /* the cost plugin's name (for messages) */
	uint32_t ops_size;        /* its ops table's size, for APNAS_HAS_OP */
	/* Owned scratch for the cost model's vectors. */
	double *k_net;            /* n - APNAS_MX_COST values */
	double *k_layers;         /* k_cap rows of n - APNAS_MX_COST */
	size_t k_cap;
} apnas_metricset;

/* Reads and checks the cost instance's declarations (names, units, scope
 * and total consistent, no duplicate, none of the core's names).  cost may
 * be NULL: the set then holds the core's three metrics only. */
int apnas_metricset_init(apnas_metricset *ms, const apnas_instance *cost,
                         apnas_error *err);
void apnas_metricset_free(apnas_metricset *ms);

/* Costs net.  values (ms->n entries) gets the network value of every
 * metric (accuracy: NaN, the caller fills it; LAYER-only metrics: NaN).
 * layer_values, when not NULL, gets net->n rows of ms->n values (accuracy
 * NaN; NET-only metrics NaN).  Errors name the metric and layer a cost
 * model left unset or set to a negative or non-finite value. */
int apnas_metricset_cost(apnas_metricset *ms, const apnas_net *net,
                         double *values, double *layer_values,
                         apnas_error *err);
/* The same with another instance `self` of the set's cost plugin that
 * declares the same metrics (a co-search's hardware, core/cosearch). */
int apnas_metricset_cost_on(apnas_metricset *ms, void *self,
                            const apnas_net *net, double *values,
                            double *layer_values, apnas_error *err);

/* Creates the config's reward with the run's metric list (ctx->metrics)
 * and checks the metric it names for its Pareto front (*front). */
struct apnas_config;
int apnas_reward_open(struct apnas_config *cfg, const apnas_metricset *ms,
                      apnas_instance *reward, size_t *front,
                      apnas_error *err);

/* Index of `name`, or -1. */
long apnas_metricset_find(const apnas_metricset *ms, const char *name);
/* Whether metric i has a network value (scope NET or BOTH). */
int apnas_metricset_net(const apnas_metricset *ms, size_t i);
/* Whether metric i has per-layer values (scope LAYER or BOTH). */
int apnas_metricset_layer(const apnas_metricset *ms, size_t i);
/* A one-line label of the hardware: the cost plugin's describe() when it
 * has one (ABI 2.1), else "<plugin> key=value ..." from its options. */
void apnas_metricset_hardware(const apnas_metricset *ms,
                              const apnas_instance *cost, char *buf,
                              size_t cap);

/* ---- the same columns in every file (metrics_io.c) ---------------- */

/* ",name" for every metric with a network value after accuracy (the
 * caller writes accuracy where its file wants it). */
void apnas_metrics_csv_head(FILE *f, const apnas_metricset *ms);
/* ",value" for the same metrics, in the same order (empty for NaN). */
void apnas_metrics_csv_row(FILE *f, const apnas_metricset *ms,
                           const double *v);
/* ,"name":value for the same metrics (null for NaN). */
void apnas_metrics_json(FILE *f, const apnas_metricset *ms, const double *v);
/* [{"name":..,"unit":..,"goal":"min"|"max"|"none","scope":..}, ...]: what
 * each column means, for summary.json and `apnas cost --format json`. */
void apnas_metrics_json_decl(FILE *f, const apnas_metricset *ms);
/* One value for people: integers exactly, others with 6 digits. */
void apnas_metric_str(double v, char *buf, size_t cap);
/* "cycles 1234, macs 5678, ..." of the same metrics, for comments and
 * one-line summaries (integers exactly, others with 6 digits). */
void apnas_metrics_text(char *buf, size_t cap, const apnas_metricset *ms,
                        const double *v);

#endif
