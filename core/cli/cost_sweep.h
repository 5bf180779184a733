/* `apnas cost --sweep`: one network costed on every hardware setting a
 * co-search's cost model declares (docs/cosearch.md, "Sizing an array
 * for a fixed network"), best first, and the output pieces it shares with
 * the plain `apnas cost` (cmd_cost.c). */
#ifndef APNAS_CLI_COST_SWEEP_H
#define APNAS_CLI_COST_SWEEP_H

#include <stddef.h>
#include <stdio.h>

#include <apnas/plugin.h>

#include "config.h"
#include "metrics/metrics.h"

/* The most hardware settings one sweep costs: the co-search's set keeps
 * one cost instance per setting for its life, so the number is refused
 * before the first is created (docs/limits.md). */
#define COST_SWEEP_MAX 65536

typedef enum cost_format {
	COST_TABLE = 0,
	COST_CSV,
	COST_JSON
} cost_format;

typedef struct cost_sweep_opts {
	const char *sort;  /* --sort: a metric name (borrowed from argv), or
	                      NULL: edp when the model declares it, else
	                      cycles */
	size_t top;        /* --top: rows printed; 0 prints all */
	cost_format fmt;
} cost_sweep_opts;

/* Costs net on every combination of the config's cost model's hardware
 * decisions and prints one row per combination, best first.  Returns a
 * CLI_EXIT_* code; every refusal is one line on stderr. */
int cost_sweep(apnas_config *cfg, const apnas_net *net, const char *source,
               const cost_sweep_opts *o);

/* ---- shared with the plain `apnas cost` (defined in cmd_cost.c) ----- */

/* Whether metric j is a column: every metric but accuracy, which a cost
 * has not. */
int cost_column(size_t j);
/* The metric columns' names, widths into cw (indexed like ms), and the
 * newline; then the "# units:" line that ends a table. */
void cost_table_head(FILE *f, const apnas_metricset *ms, int *cw);
void cost_table_units(FILE *f, const apnas_metricset *ms);
/* One right-aligned table cell of width w ("-" for NaN). */
void cost_table_cell(FILE *f, int w, double v);
/* A CSV field, quoted when it holds a comma, quote or newline. */
void cost_csv_field(FILE *f, const char *s);
/* ",value" of every column (empty for NaN), then the newline. */
void cost_csv_values(FILE *f, const apnas_metricset *ms, const double *v);
/* "name": value, ... of the columns with a value (no braces). */
void cost_json_values(FILE *f, const apnas_metricset *ms, const double *v);

#endif
