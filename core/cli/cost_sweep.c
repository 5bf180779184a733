/* See cost_sweep.h.  The combinations are enumerated in mixed-radix
 * order with the first hardware decision slowest (shape, then dataflow,
 * then SRAM split for the systolic models), the order of the hwset's own
 * key; the sort is stable on that order, so equal values keep it and the
 * output is the same on every run. */
#include "cost_sweep.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cosearch/hwset.h"
#include "metrics/metrics.h"
#include "util/threads.h"

typedef struct sweep_row {
	double key;   /* the sort metric, negated when higher is better */
	size_t idx;   /* enumeration index: the tie-break */
} sweep_row;

/* Everything one sweep holds, freed by sweep_free. */
typedef struct sweep {
	apnas_instance inst;   /* owned: the configured cost instance */
	int have_inst;
	apnas_metricset ms;    /* owned */
	apnas_hwset hw;        /* owned; borrows inst */
	const char *model;     /* the cost plugin's name, from the config */
	uint64_t seed;         /* the hwset's, kept to open it again */
	int32_t threads;
	size_t n;              /* hardware settings */
	size_t sort;           /* index of the sort metric in ms */
	int32_t *tok;          /* owned: n rows of hw.n_tok tokens */
	double *val;           /* owned: n rows of ms.n totals */
	sweep_row *rows;       /* owned: n, best first once sorted */
} sweep;

static void sweep_free(sweep *s)
{
	free(s->rows);
	free(s->val);
	free(s->tok);
	apnas_hwset_free(&s->hw);
	apnas_metricset_free(&s->ms);
	if (s->have_inst)
		apnas_instance_destroy(&s->inst);
}

/* A metric a sweep can rank by: a network value, and a direction. */
static int sortable(const apnas_metricset *ms, size_t j)
{
	return cost_column(j) && apnas_metricset_net(ms, j) &&
	       ms->decl[j].goal != APNAS_GOAL_NONE;
}

static int pick_sort(sweep *s, const char *name)
{
	const apnas_metricset *ms = &s->ms;
	long j = -1;
	if (name) {
		j = apnas_metricset_find(ms, name);
	} else {
		j = apnas_metricset_find(ms, "edp");
		if (j < 0 || !sortable(ms, (size_t)j))
			j = apnas_metricset_find(ms, "cycles");
		for (size_t k = 0; (j < 0 || !sortable(ms, (size_t)j)) &&
		                   k < ms->n; k++)
			j = (long)k;
	}
	if (j >= 0 && sortable(ms, (size_t)j)) {
		s->sort = (size_t)j;
		return 0;
	}
	char list[1024];
	size_t used = 0;
	list[0] = '\0';
	for (size_t k = 0; k < ms->n && used < sizeof list; k++) {
		if (!sortable(ms, k))
			continue;
		int w = snprintf(list + used, sizeof list - used, "%s%s",
		                 used ? ", " : "", ms->decl[k].name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	cli_errorf("cost: --sort %s: not a network metric of the cost model "
	           "`%s` with a better direction; expected one of %s",
	           name ? name : "(default)", s->model, list);
	return CLI_EXIT_USAGE;
}

/* The number of settings, refused above COST_SWEEP_MAX before any
 * instance exists. */
static int count(sweep *s)
{
	/* no overflow: the hwset refused more than APNAS_HW_COMBOS_MAX */
	uint64_t n = 1;
	for (size_t t = 0; t < s->hw.n_tok; t++)
		n *= (uint64_t)s->hw.d[s->hw.dec_of_tok[t]].n_choices;
	if (n > COST_SWEEP_MAX) {
		cli_errorf("cost: --sweep: the cost model `%s` declares %llu "
		           "hardware settings, above --sweep's limit of %d: "
		           "narrow its search_* options (docs/limits.md)",
		           s->model, (unsigned long long)n,
		           COST_SWEEP_MAX);
		return CLI_EXIT_USAGE;
	}
	s->n = (size_t)n;
	return 0;
}

static int cmp_row(const void *a, const void *b)
{
	const sweep_row *x = a, *y = b;
	if (x->key < y->key)
		return -1;
	if (x->key > y->key)
		return 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* The hwset keeps every instance it made (about 90 kB each for
 * systolic), and a sweep visits each setting once: it is opened afresh
 * after this many, so memory stays flat whatever the sweep's size. */
enum { SWEEP_BLOCK = 256 };

static int open_hw(sweep *s, apnas_error *err)
{
	apnas_hwset_free(&s->hw);
	return apnas_hwset_init(&s->hw, &s->inst, s->model, s->seed,
	                        s->threads, err);
}

/* Costs net on every setting, in enumeration order. */
static int run(sweep *s, const apnas_net *net, const char *source,
               apnas_error *err)
{
	size_t nt = s->hw.n_tok, nm = s->ms.n;
	s->tok = calloc(s->n * (nt ? nt : 1), sizeof *s->tok);
	s->val = calloc(s->n * nm, sizeof *s->val);
	s->rows = calloc(s->n, sizeof *s->rows);
	if (!s->tok || !s->val || !s->rows)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	int32_t *hw = s->tok;
	int goal_max = s->ms.decl[s->sort].goal == APNAS_GOAL_MAX;
	for (size_t i = 0; i < s->n; i++, hw += nt) {
		if (i) {
			/* the next combination: the last token fastest */
			memcpy(hw, hw - nt, nt * sizeof *hw);
			for (size_t t = nt; t-- > 0;) {
				size_t k = s->hw.dec_of_tok[t];
				if (++hw[t] < s->hw.d[k].n_choices)
					break;
				hw[t] = 0;
			}
		}
		void *self;
		int rc = i && i % SWEEP_BLOCK == 0 ? open_hw(s, err) : 0;
		if (!rc)
			rc = apnas_hwset_instance(&s->hw, hw, &self, err);
		double *v = s->val + i * nm;
		if (!rc)
			rc = apnas_metricset_cost_on(&s->ms, self, net, v, NULL,
			                             err);
		if (rc) {
			char label[256];
			apnas_hwset_label(&s->hw, hw, label, sizeof label);
			return apnas_error_prefix(err, "%s on %s", source, label);
		}
		s->rows[i].key = goal_max ? -v[s->sort] : v[s->sort];
		s->rows[i].idx = i;
	}
	qsort(s->rows, s->n, sizeof *s->rows, cmp_row);
	return 0;
}

/* ---- printing ---------------------------------------------------- */

/* The values and label of the r-th row shown. */
static const double *row_at(const sweep *s, size_t r, char *label,
                            size_t cap)
{
	size_t i = s->rows[r].idx;
	apnas_hwset_label(&s->hw, s->tok + i * s->hw.n_tok, label, cap);
	return s->val + i * s->ms.n;
}

static const char *goal_word(apnas_metric_goal g)
{
	return g == APNAS_GOAL_MAX ? "higher" : "lower";
}

static void print_table(FILE *f, const sweep *s, const apnas_net *net,
                        const char *source, size_t shown)
{
	const apnas_metricset *ms = &s->ms;
	char label[256];
	int lw = 8;
	for (size_t r = 0; r < shown; r++) {
		row_at(s, r, label, sizeof label);
		if ((int)strlen(label) > lw)
			lw = (int)strlen(label);
	}
	fprintf(f, "# cost model %s on %zu hardware settings (", s->model,
	        s->n);
	for (size_t k = 0; k < s->hw.nd; k++)
		fprintf(f, "%s%s %d", k ? " x " : "", s->hw.d[k].name,
		        (int)s->hw.d[k].n_choices);
	fprintf(f, "); %s, %zu layers; best %s first (%s is better)\n",
	        source, net->n, ms->decl[s->sort].name,
	        goal_word(ms->decl[s->sort].goal));
	int cw[APNAS_MX_COST + APNAS_METRICS_MAX];
	fprintf(f, "%4s  %-*s", "rank", lw, "hardware");
	cost_table_head(f, ms, cw);
	for (size_t r = 0; r < shown; r++) {
		const double *v = row_at(s, r, label, sizeof label);
		fprintf(f, "%4zu  %-*s", r + 1, lw, label);
		for (size_t j = 0; j < ms->n; j++)
			if (cost_column(j))
				cost_table_cell(f, cw[j], v[j]);
		fputc('\n', f);
	}
	cost_table_units(f, ms);
	row_at(s, 0, label, sizeof label);
	fprintf(f, "# %zu hardware settings; best %s: %s\n", s->n,
	        ms->decl[s->sort].name, label);
}

static void print_csv(FILE *f, const sweep *s, size_t shown)
{
	const apnas_metricset *ms = &s->ms;
	fputs("rank,hardware", f);
	for (size_t j = 0; j < ms->n; j++)
		if (cost_column(j))
			fprintf(f, ",%s", ms->decl[j].name);
	fputc('\n', f);
	char label[256];
	for (size_t r = 0; r < shown; r++) {
		const double *v = row_at(s, r, label, sizeof label);
		fprintf(f, "%zu,", r + 1);
		cost_csv_field(f, label);
		cost_csv_values(f, ms, v);
	}
}

static void print_json(FILE *f, const sweep *s, const char *source,
                       size_t shown)
{
	const apnas_metricset *ms = &s->ms;
	fputs("{\"cost_model\": ", f);
	cli_json_string(f, s->model);
	fputs(", \"source\": ", f);
	cli_json_string(f, source);
	fputs(", \"sort\": ", f);
	cli_json_string(f, ms->decl[s->sort].name);
	fprintf(f, ", \"settings\": %zu,\n \"decisions\": [", s->n);
	for (size_t k = 0; k < s->hw.nd; k++) {
		fputs(k ? ", {\"name\": " : "{\"name\": ", f);
		cli_json_string(f, s->hw.d[k].name);
		fprintf(f, ", \"choices\": %d}", (int)s->hw.d[k].n_choices);
	}
	fputs("],\n \"metrics\": ", f);
	apnas_metrics_json_decl(f, ms);
	fputs(",\n \"rows\": [", f);
	char label[256];
	for (size_t r = 0; r < shown; r++) {
		const double *v = row_at(s, r, label, sizeof label);
		fprintf(f, "%s\n  {\"rank\": %zu, \"hardware\": ", r ? "," : "",
		        r + 1);
		cli_json_string(f, label);
		fputs(", \"total\": {", f);
		cost_json_values(f, ms, v);
		fputs("}}", f);
	}
	fputs("]}\n", f);
}

int cost_sweep(apnas_config *cfg, const apnas_net *net, const char *source,
               const cost_sweep_opts *o)
{
	sweep s;
	apnas_error err;
	apnas_error_clear(&err);
	memset(&s, 0, sizeof s);
	s.model = apnas_config_plugin_name(cfg, APNAS_KIND_COST);
	const apnas_opts *run_opts = apnas_config_core(cfg, "run");
	s.seed = (uint64_t)apnas_opts_int(run_opts, "seed");
	s.threads = (int32_t)apnas_threads_resolve(
		(int)apnas_opts_int(run_opts, "threads"));
	int rc = apnas_config_instance(cfg, APNAS_KIND_COST, NULL, &s.inst,
	                               &err);
	if (!rc) {
		s.have_inst = 1;
		rc = apnas_metricset_init(&s.ms, &s.inst, &err);
	}
	if (!rc)
		rc = open_hw(&s, &err);
	if (rc) {
		cli_error(&err);
		sweep_free(&s);
		return cli_exit_code(rc);
	}
	if (!apnas_hwset_on(&s.hw)) {
		cli_errorf("cost: --sweep: the cost model `%s` declares no "
		           "hardware to sweep; with systolic or systolic_sim "
		           "set cost.search_pe_budget (docs/cosearch.md)",
		           s.model);
		sweep_free(&s);
		return CLI_EXIT_USAGE;
	}
	if ((rc = pick_sort(&s, o->sort)) || (rc = count(&s))) {
		sweep_free(&s);
		return rc;
	}
	if ((rc = run(&s, net, source, &err))) {
		cli_error(&err);
		sweep_free(&s);
		return cli_exit_code(rc);
	}
	size_t shown = o->top && o->top < s.n ? o->top : s.n;
	if (o->fmt == COST_JSON)
		print_json(stdout, &s, source, shown);
	else if (o->fmt == COST_CSV)
		print_csv(stdout, &s, shown);
	else
		print_table(stdout, &s, net, source, shown);
	rc = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	sweep_free(&s);
	return rc;
}
