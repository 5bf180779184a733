/* The report's tables: report.csv and report.json for programs (every
 * number with 17 significant digits, empty or null when unknown),
 * report.md and the terminal table for people (rounded, "-" when
 * unknown). */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "search/json_out.h"

/* ---- a small text table -------------------------------------------------- */

typedef struct tab {
	char **cell;      /* rows x cols, owned */
	size_t rows, cols, cap;
	int oom;
} tab;

static void tab_init(tab *t, size_t cols)
{
	memset(t, 0, sizeof *t);
	t->cols = cols;
}

static void tab_cell(tab *t, size_t row, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void tab_cell(tab *t, size_t row, size_t col, const char *fmt, ...)
{
	if (t->oom)
		return;
	while (row >= t->rows) {
		if (t->rows == t->cap) {
			size_t nc = t->cap ? t->cap * 2 : 16;
			char **n = realloc(t->cell, nc * t->cols * sizeof *n);
			if (!n) {
				t->oom = 1;
				return;
			}
			t->cell = n;
			t->cap = nc;
		}
		for (size_t c = 0; c < t->cols; c++)
			t->cell[t->rows * t->cols + c] = NULL;
		t->rows++;
	}
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0) {
		s = NULL;
		t->oom = 1;
	}
	va_end(ap);
	free(t->cell[row * t->cols + col]);
	t->cell[row * t->cols + col] = s;
}

static void tab_free(tab *t)
{
	for (size_t i = 0; i < t->rows * t->cols; i++)
		free(t->cell[i]);
	free(t->cell);
}

/* Width in characters: UTF-8 continuation bytes take no column. */
static size_t text_width(const char *s)
{
	size_t w = 0;
	for (; s && *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

/* Right-aligned (numeric) columns: bit c for column c. */
#define NUM_FROM(c) (~0u << (c))
#define NUM_COLS(a, b) (NUM_FROM(a) & ~NUM_FROM(b))

/* md: a markdown table (row 0 is the header); else aligned columns. */
static void tab_print(FILE *f, const tab *t, int md, unsigned num)
{
	size_t *w = calloc(t->cols, sizeof *w);
	if (!w)
		return;
	for (size_t r = 0; r < t->rows; r++)
		for (size_t c = 0; c < t->cols; c++) {
			size_t k = text_width(t->cell[r * t->cols + c]);
			if (k > w[c])
				w[c] = k;
		}
	for (size_t r = 0; r < t->rows; r++) {
		for (size_t c = 0; c < t->cols; c++) {
			const char *s = t->cell[r * t->cols + c];
			s = s ? s : "";
			size_t pad = w[c] - text_width(s);
			int right = c < 32 && (num >> c & 1u);
			fputs(md ? (c ? " | " : "| ") : (c ? "  " : ""), f);
			if (right)
				fprintf(f, "%*s", (int)pad, "");
			/* a '|' in a cell (a label "os|ws|is") would end it */
			for (; *s; s++)
				if (md && *s == '|')
					fputs("\\|", f);
				else
					fputc(*s, f);
			if (!right && (md || c + 1 < t->cols))
				fprintf(f, "%*s", (int)pad, "");
		}
		fputs(md ? " |\n" : "\n", f);
		if (md && r == 0) {
			for (size_t c = 0; c < t->cols; c++) {
				fputs(c ? " | " : "| ", f);
				for (size_t k = 0; k < w[c]; k++)
					fputc(k + 1 == w[c] && c < 32 &&
					      (num >> c & 1u) ? ':' : '-', f);
			}
			fputs(" |\n", f);
		}
	}
	free(w);
}

/* Text for HTML: the five characters that mean markup, escaped. */
void apnas_report_html_text(FILE *f, const char *s)
{
	for (; s && *s; s++)
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
}

/* An HTML table (row 0 the header); numeric columns right-aligned. */
static void tab_html(FILE *f, const tab *t, unsigned num)
{
	fputs("<table>\n", f);
	for (size_t r = 0; r < t->rows; r++) {
		fputs(r ? "<tr>" : "<thead><tr>", f);
		for (size_t c = 0; c < t->cols; c++) {
			int right = r && c < 32 && (num >> c & 1u);
			fputs(r ? (right ? "<td class=\"num\">" : "<td>") : "<th>",
			      f);
			apnas_report_html_text(f, t->cell[r * t->cols + c]);
			fputs(r ? "</td>" : "</th>", f);
		}
		fputs(r ? "</tr>\n" : "</tr></thead>\n", f);
	}
	fputs("</table>\n", f);
}

/* ---- number formats for people ------------------------------------------- */

static const char *const human_heads[APNAS_RM_COUNT] = {
	"reward", "val acc", "test acc", NULL, "params", "MACs",
	"search s",
};

/* The x metric's column is named after it. */
static const char *human_head(const apnas_report *r, int m)
{
	return m == APNAS_RM_X ? apnas_report_metric_name(r, m)
	                       : human_heads[m];
}

static int metric_digits(int m)
{
	switch (m) {
	case APNAS_RM_REWARD:
	case APNAS_RM_VAL_ACC:
	case APNAS_RM_TEST_ACC:
		return 4;
	case APNAS_RM_WALL:
		return 1;
	default:
		return 0;
	}
}

static void fmt_value(tab *t, size_t row, size_t col, int m, double v)
{
	if (isnan(v))
		tab_cell(t, row, col, "-");
	else
		tab_cell(t, row, col, "%.*f", metric_digits(m), v);
}

static void fmt_stat(tab *t, size_t row, size_t col, int m,
                     const apnas_report_stat *s, const char *pm)
{
	int d = metric_digits(m);
	if (s->n == 0)
		tab_cell(t, row, col, "-");
	else if (isnan(s->sd))
		tab_cell(t, row, col, "%.*f", d, s->mean);
	else
		tab_cell(t, row, col, "%.*f%s%.*f", d, s->mean, pm, d, s->sd);
}

static int any_metric(const apnas_report *r, int m)
{
	for (size_t i = 0; i < r->nruns; i++)
		if (!isnan(r->runs[i].m[m]))
			return 1;
	return 0;
}

static const char *group_label(const apnas_report *r, size_t run)
{
	return r->ngroups ? r->groups[r->runs[run].group].label : "";
}

/* Test accuracy columns only when some run was retrained. */
static int shown(const apnas_report *r, int m)
{
	return m != APNAS_RM_TEST_ACC || any_metric(r, m);
}

static void runs_tab(const apnas_report *r, tab *t)
{
	size_t ncol = 4;
	for (int m = 0; m < APNAS_RM_COUNT; m++)
		ncol += shown(r, m);
	tab_init(t, ncol);
	size_t c = 0;
	tab_cell(t, 0, c++, "run");
	tab_cell(t, 0, c++, "group");
	tab_cell(t, 0, c++, "status");
	tab_cell(t, 0, c++, "seed");
	for (int m = 0; m < APNAS_RM_COUNT; m++)
		if (shown(r, m))
			tab_cell(t, 0, c++, "%s", human_head(r, m));
	for (size_t i = 0; i < r->nruns; i++) {
		const apnas_report_run *run = &r->runs[i];
		c = 0;
		tab_cell(t, i + 1, c++, "%s", run->name);
		tab_cell(t, i + 1, c++, "%s", group_label(r, i));
		tab_cell(t, i + 1, c++, "%s", run->status);
		if (run->seed >= 0)
			tab_cell(t, i + 1, c++, "%lld", (long long)run->seed);
		else
			tab_cell(t, i + 1, c++, "-");
		for (int m = 0; m < APNAS_RM_COUNT; m++)
			if (shown(r, m))
				fmt_value(t, i + 1, c++, m, run->m[m]);
	}
}

static void groups_tab(const apnas_report *r, tab *t, const char *pm)
{
	size_t ncol = 2;
	for (int m = 0; m < APNAS_RM_COUNT; m++)
		ncol += shown(r, m);
	tab_init(t, ncol);
	size_t c = 0;
	tab_cell(t, 0, c++, "group");
	tab_cell(t, 0, c++, "runs");
	for (int m = 0; m < APNAS_RM_COUNT; m++)
		if (shown(r, m))
			tab_cell(t, 0, c++, "%s", human_head(r, m));
	for (size_t g = 0; g < r->ngroups; g++) {
		const apnas_report_group *gr = &r->groups[g];
		c = 0;
		tab_cell(t, g + 1, c++, "%s", gr->label);
		tab_cell(t, g + 1, c++, "%zu", gr->nruns);
		for (int m = 0; m < APNAS_RM_COUNT; m++)
			if (shown(r, m))
				fmt_stat(t, g + 1, c++, m, &gr->stat[m], pm);
	}
}

static const char *point_hw(const apnas_report *r,
                            const apnas_report_point *p);

static void front_tab(const apnas_report *r, tab *t)
{
	int any = 0;
	for (size_t k = 0; k < r->nfront && !any; k++)
		any = point_hw(r, &r->front[k]) != NULL;
	tab_init(t, any ? 6 : 5);
	if (any)
		tab_cell(t, 0, 5, "point's hardware");
	tab_cell(t, 0, 0, "hardware");
	tab_cell(t, 0, 1, "%s", apnas_report_metric_name(r, APNAS_RM_X));
	tab_cell(t, 0, 2, "val acc");
	tab_cell(t, 0, 3, "run");
	tab_cell(t, 0, 4, "group");
	for (size_t k = 0; k < r->nfront; k++) {
		const apnas_report_point *p = &r->front[k];
		tab_cell(t, k + 1, 0, "%s", r->hardware[p->hw]);
		tab_cell(t, k + 1, 1, "%.6g", p->x);
		tab_cell(t, k + 1, 2, "%.4f", p->accuracy);
		tab_cell(t, k + 1, 3, "%s", r->runs[p->run].name);
		tab_cell(t, k + 1, 4, "%s", group_label(r, p->run));
		if (any)
			tab_cell(t, k + 1, 5, "%s", point_hw(r, p) ?
			                            point_hw(r, p) : "");
	}
}

static int same(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* Where each run ran (summary.json "provenance"; its retraining's when
 * that differs), "-" for runs older than the record.  The engine
 * kernels, recorded later than the rest, may be absent on both sides. */
static void provenance_tab(const apnas_report *r, tab *t)
{
	tab_init(t, 6);
	tab_cell(t, 0, 0, "run");
	tab_cell(t, 0, 1, "commit");
	tab_cell(t, 0, 2, "CPU");
	tab_cell(t, 0, 3, "OpenBLAS core");
	tab_cell(t, 0, 4, "engine kernels");
	tab_cell(t, 0, 5, "retraining");
	for (size_t i = 0; i < r->nruns; i++) {
		const apnas_report_extra *x = r->extra ? &r->extra[i] : NULL;
		tab_cell(t, i + 1, 0, "%s", r->runs[i].name);
		tab_cell(t, i + 1, 1, "%s", x && x->commit ? x->commit : "-");
		tab_cell(t, i + 1, 2, "%s", x && x->cpu ? x->cpu : "-");
		tab_cell(t, i + 1, 3, "%s", x && x->blas ? x->blas : "-");
		tab_cell(t, i + 1, 4, "%s", x && x->kern ? x->kern : "-");
		if (!x || !(x->rt_commit || x->rt_cpu || x->rt_blas ||
		            x->rt_kern))
			tab_cell(t, i + 1, 5, "-");
		else if (same(x->commit, x->rt_commit) &&
		         same(x->cpu, x->rt_cpu) &&
		         same(x->blas, x->rt_blas) &&
		         (x->kern == x->rt_kern || same(x->kern, x->rt_kern)))
			tab_cell(t, i + 1, 5, "same");
		else
			tab_cell(t, i + 1, 5, "%s, %s, %s, %s",
			         x->rt_commit ? x->rt_commit : "-",
			         x->rt_cpu ? x->rt_cpu : "-",
			         x->rt_blas ? x->rt_blas : "-",
			         x->rt_kern ? x->rt_kern : "-");
	}
}

/* md: 0 aligned text, 1 markdown, 2 HTML. */
static int finish_tab(tab *t, FILE *f, int md, unsigned num)
{
	int oom = t->oom;
	if (!oom && md == 2)
		tab_html(f, t, num);
	else if (!oom)
		tab_print(f, t, md, num);
	tab_free(t);
	return oom ? -1 : 0;
}

int apnas_report_write_table(FILE *f, const apnas_report *r)
{
	tab t;
	int rc = 0;
	fprintf(f, "runs (%zu):\n", r->nruns);
	runs_tab(r, &t);
	rc |= finish_tab(&t, f, 0, NUM_FROM(3));
	fprintf(f, "\ngroups (%zu; mean +- sample sd over each group's "
	        "runs):\n", r->ngroups);
	groups_tab(r, &t, " +- ");
	rc |= finish_tab(&t, f, 0, NUM_FROM(1));
	fprintf(f, "\ncombined Pareto fronts (%zu of %zu points; validation "
	        "accuracy against %s, one front per hardware):\n", r->nfront,
	        r->npoints, apnas_report_metric_name(r, APNAS_RM_X));
	front_tab(r, &t);
	rc |= finish_tab(&t, f, 0, NUM_COLS(1, 3));
	return rc ? -1 : 0;
}

int apnas_report_write_md(FILE *f, const apnas_report *r,
                          const char *const *plots, size_t nplots)
{
	tab t;
	int rc = 0;
	fprintf(f, "# apnas report\n\n%zu run%s in %zu group%s.", r->nruns,
	        r->nruns == 1 ? "" : "s", r->ngroups,
	        r->ngroups == 1 ? "" : "s");
	if (r->unfinished)
		fprintf(f, " %zu unfinished run director%s (no summary.json) "
		        "left out.", r->unfinished,
		        r->unfinished == 1 ? "y" : "ies");
	fputs(" Accuracies are fractions; \"val acc\" is the best "
	      "architecture's accuracy on the validation split with the "
	      "search's shared weights, \"test acc\" its test accuracy after "
	      "retraining from scratch; the cost metric, params and MACs are "
	      "the best architecture's; \"search s\" is the search's wall "
	      "time.\n\n", f);
	fputs("## Groups (mean ± sample standard deviation)\n\n", f);
	groups_tab(r, &t, " ± ");
	rc |= finish_tab(&t, f, 1, NUM_FROM(1));
	fputs("\n## Runs\n\n", f);
	runs_tab(r, &t);
	rc |= finish_tab(&t, f, 1, NUM_FROM(3));
	fprintf(f, "\n## Combined Pareto fronts\n\n%zu of the runs' %zu "
	        "Pareto points are not dominated by any other run's on the "
	        "same hardware (validation accuracy against %s; runs on "
	        "different hardware are never compared).\n\n", r->nfront,
	        r->npoints, apnas_report_metric_name(r, APNAS_RM_X));
	front_tab(r, &t);
	rc |= finish_tab(&t, f, 1, NUM_COLS(1, 3));
	fputs("\n## Where the runs ran\n\nThe apnas commit (a trailing + "
	      "marks uncommitted edits), the CPU, the OpenBLAS kernels and the "
	      "build of the engine's convolution kernels of each search, and "
	      "of its retraining when those differ.\n\n", f);
	provenance_tab(r, &t);
	rc |= finish_tab(&t, f, 1, 0);
	if (nplots) {
		fputs("\n## Plots\n\n", f);
		for (size_t i = 0; i < nplots; i++) {
			size_t n = strlen(plots[i]);
			if (n > 4 && !strcmp(plots[i] + n - 4, ".svg"))
				fprintf(f, "![%.*s](%s)\n\n", (int)(n - 4),
				        plots[i], plots[i]);
		}
	}
	return rc ? -1 : 0;
}

/* ---- CSV ------------------------------------------------------------------ */

/* The plugin all of a group's runs share, else NULL. */
static const char *common(const apnas_report *r, const apnas_report_group *g,
                          size_t off)
{
	const char *first = NULL;
	for (size_t i = 0; i < g->nruns; i++) {
		const char *v = *(char *const *)((const char *)
			&r->runs[g->runs[i]] + off);
		if (!v || (first && strcmp(first, v)))
			return NULL;
		first = v;
	}
	return first;
}

int apnas_report_write_csv(FILE *f, const apnas_report *r)
{
	fputs("kind,group,run,seed,status,controller,reward,cost,n", f);
	for (int m = 0; m < APNAS_RM_COUNT; m++)
		fprintf(f, ",%s,%s_sd", apnas_report_metric_name(r, m),
		        apnas_report_metric_name(r, m));
	fputs(",n_test,epochs\n", f);
	for (size_t i = 0; i < r->nruns; i++) {
		const apnas_report_run *run = &r->runs[i];
		fputs("run,", f);
		apnas_csv_str(f, group_label(r, i));
		fputc(',', f);
		apnas_csv_str(f, run->name);
		fputc(',', f);
		if (run->seed >= 0)
			fprintf(f, "%lld", (long long)run->seed);
		fputc(',', f);
		apnas_csv_str(f, run->status);
		fputc(',', f);
		apnas_csv_str(f, run->controller);
		fputc(',', f);
		apnas_csv_str(f, run->reward);
		fputc(',', f);
		apnas_csv_str(f, run->cost);
		fputs(",1", f);
		for (int m = 0; m < APNAS_RM_COUNT; m++) {
			fputc(',', f);
			apnas_csv_num(f, run->m[m]);
			fputc(',', f);
		}
		fprintf(f, ",%d,%zu\n", !isnan(run->m[APNAS_RM_TEST_ACC]),
		        run->nepochs);
	}
	for (size_t g = 0; g < r->ngroups; g++) {
		const apnas_report_group *gr = &r->groups[g];
		fputs("group,", f);
		apnas_csv_str(f, gr->label);
		fputs(",,,,", f);
		apnas_csv_str(f, common(r, gr, offsetof(apnas_report_run,
		                                        controller)));
		fputc(',', f);
		apnas_csv_str(f, common(r, gr, offsetof(apnas_report_run,
		                                        reward)));
		fputc(',', f);
		apnas_csv_str(f, common(r, gr, offsetof(apnas_report_run,
		                                        cost)));
		fprintf(f, ",%zu", gr->nruns);
		for (int m = 0; m < APNAS_RM_COUNT; m++) {
			fputc(',', f);
			apnas_csv_num(f, gr->stat[m].mean);
			fputc(',', f);
			apnas_csv_num(f, gr->stat[m].sd);
		}
		fprintf(f, ",%zu,\n", gr->stat[APNAS_RM_TEST_ACC].n);
	}
	return ferror(f) ? -1 : 0;
}

/* A co-search point's own hardware, or NULL. */
static const char *point_hw(const apnas_report *r, const apnas_report_point *p)
{
	const apnas_report_extra *x = r->extra ? &r->extra[p->run] : NULL;
	if (!x || !x->pareto_hw || p->k == SIZE_MAX)
		return NULL;
	return x->pareto_hw[p->k];
}

int apnas_report_write_front_csv(FILE *f, const apnas_report *r)
{
	int any = 0;
	for (size_t k = 0; k < r->nfront && !any; k++)
		any = point_hw(r, &r->front[k]) != NULL;
	fprintf(f, "hardware,%s,accuracy,run,group,seed%s\n",
	        apnas_report_metric_name(r, APNAS_RM_X),
	        any ? ",point_hardware" : "");
	for (size_t k = 0; k < r->nfront; k++) {
		const apnas_report_point *p = &r->front[k];
		apnas_csv_str(f, r->hardware[p->hw]);
		fputc(',', f);
		apnas_csv_num(f, p->x);
		fputc(',', f);
		apnas_csv_num(f, p->accuracy);
		fputc(',', f);
		apnas_csv_str(f, r->runs[p->run].name);
		fputc(',', f);
		apnas_csv_str(f, group_label(r, p->run));
		fputc(',', f);
		if (r->runs[p->run].seed >= 0)
			fprintf(f, "%lld", (long long)r->runs[p->run].seed);
		if (any) {
			const char *hw = point_hw(r, p);
			fputc(',', f);
			apnas_csv_str(f, hw ? hw : "");
		}
		fputc('\n', f);
	}
	return ferror(f) ? -1 : 0;
}

int apnas_report_write_reward_csv(FILE *f, const apnas_report *r)
{
	fputs("run,group,epoch,mean_reward\n", f);
	for (size_t i = 0; i < r->nruns; i++) {
		const apnas_report_run *run = &r->runs[i];
		for (size_t e = 0; e < run->nepochs; e++) {
			apnas_csv_str(f, run->name);
			fputc(',', f);
			apnas_csv_str(f, group_label(r, i));
			fprintf(f, ",%zu,", e);
			apnas_csv_num(f, run->epoch_reward[e]);
			fputc('\n', f);
		}
	}
	return ferror(f) ? -1 : 0;
}

/* ---- JSON ----------------------------------------------------------------- */

static void json_str_or_null(FILE *f, const char *s)
{
	if (s)
		apnas_json_str(f, s);
	else
		fputs("null", f);
}

int apnas_report_write_json(FILE *f, const apnas_report *r)
{
	fputs("{\n  \"format\": 1,\n  \"runs\": [", f);
	for (size_t i = 0; i < r->nruns; i++) {
		const apnas_report_run *run = &r->runs[i];
		fputs(i ? ",\n    {" : "\n    {", f);
		fputs("\"name\": ", f);
		apnas_json_str(f, run->name);
		fputs(", \"dir\": ", f);
		apnas_json_str(f, run->dir);
		fputs(", \"group\": ", f);
		apnas_json_str(f, group_label(r, i));
		fputs(", \"seed\": ", f);
		if (run->seed >= 0)
			fprintf(f, "%lld", (long long)run->seed);
		else
			fputs("null", f);
		fputs(", \"status\": ", f);
		apnas_json_str(f, run->status);
		fputs(", \"controller\": ", f);
		json_str_or_null(f, run->controller);
		fputs(", \"reward\": ", f);
		json_str_or_null(f, run->reward);
		fputs(", \"cost\": ", f);
		json_str_or_null(f, run->cost);
		fputs(", \"hardware\": ", f);
		json_str_or_null(f, run->hardware);
		for (int m = 0; m < APNAS_RM_COUNT; m++) {
			fprintf(f, ", \"%s\": ", apnas_report_metric_name(r, m));
			apnas_json_num(f, run->m[m]);
		}
		fputs(", \"epoch_mean_reward\": [", f);
		for (size_t e = 0; e < run->nepochs; e++) {
			if (e)
				fputc(',', f);
			apnas_json_num(f, run->epoch_reward[e]);
		}
		fputs("], \"pareto\": [", f);
		for (size_t k = 0; k < run->npareto; k++) {
			fputs(k ? ",{\"accuracy\":" : "{\"accuracy\":", f);
			apnas_json_num(f, run->pareto_acc[k]);
			fprintf(f, ",\"%s\":", apnas_report_metric_name(r,
			                                         APNAS_RM_X));
			apnas_json_num(f, run->pareto_x[k]);
			fputc('}', f);
		}
		fputs("]}", f);
	}
	fputs(r->nruns ? "\n  ],\n  \"groups\": [" : "],\n  \"groups\": [", f);
	for (size_t g = 0; g < r->ngroups; g++) {
		const apnas_report_group *gr = &r->groups[g];
		fputs(g ? ",\n    {" : "\n    {", f);
		fputs("\"label\": ", f);
		apnas_json_str(f, gr->label);
		fputs(", \"runs\": [", f);
		for (size_t i = 0; i < gr->nruns; i++) {
			if (i)
				fputs(", ", f);
			apnas_json_str(f, r->runs[gr->runs[i]].name);
		}
		fprintf(f, "], \"n\": %zu", gr->nruns);
		for (int m = 0; m < APNAS_RM_COUNT; m++) {
			fprintf(f, ", \"%s\": {\"mean\": ",
			        apnas_report_metric_name(r, m));
			apnas_json_num(f, gr->stat[m].mean);
			fputs(", \"sd\": ", f);
			apnas_json_num(f, gr->stat[m].sd);
			fprintf(f, ", \"n\": %zu}", gr->stat[m].n);
		}
		fputc('}', f);
	}
	fputs(r->ngroups ? "\n  ],\n  \"front\": [" : "],\n  \"front\": [", f);
	for (size_t k = 0; k < r->nfront; k++) {
		const apnas_report_point *p = &r->front[k];
		fputs(k ? ",\n    {\"hardware\": " : "\n    {\"hardware\": ", f);
		apnas_json_str(f, r->hardware[p->hw]);
		fprintf(f, ", \"%s\": ", apnas_report_metric_name(r, APNAS_RM_X));
		apnas_json_num(f, p->x);
		fputs(", \"accuracy\": ", f);
		apnas_json_num(f, p->accuracy);
		fputs(", \"run\": ", f);
		apnas_json_str(f, r->runs[p->run].name);
		fputs(", \"group\": ", f);
		apnas_json_str(f, group_label(r, p->run));
		fputc('}', f);
	}
	fprintf(f, "%s,\n  \"points\": %zu,\n  \"unfinished\": %zu\n}\n",
	        r->nfront ? "\n  ]" : "]", r->npoints, r->unfinished);
	return ferror(f) ? -1 : 0;
}

int apnas_report_write_html_tables(FILE *f, const apnas_report *r)
{
	tab t;
	int rc = 0;
	fputs("<h2 id=\"groups\">Groups (mean &plusmn; sample standard "
	      "deviation)</h2>\n", f);
	groups_tab(r, &t, " ± ");
	rc |= finish_tab(&t, f, 2, NUM_FROM(1));
	fputs("<h2 id=\"runs\">Runs</h2>\n", f);
	runs_tab(r, &t);
	rc |= finish_tab(&t, f, 2, NUM_FROM(3));
	fprintf(f, "<h2 id=\"fronts\">Combined Pareto fronts</h2>\n<p>%zu of "
	        "the runs' %zu Pareto points are not dominated by any other "
	        "run's on the same hardware (validation accuracy against ",
	        r->nfront, r->npoints);
	apnas_report_html_text(f, apnas_report_metric_name(r, APNAS_RM_X));
	fputs("; runs on different hardware are never compared).</p>\n", f);
	front_tab(r, &t);
	rc |= finish_tab(&t, f, 2, NUM_COLS(1, 3));
	fputs("<h2 id=\"provenance\">Where the runs ran</h2>\n<p>The apnas "
	      "commit (a trailing + marks uncommitted edits), the CPU, the "
	      "OpenBLAS kernels and the build of the engine's convolution "
	      "kernels of each search, and of its retraining when those "
	      "differ.</p>\n", f);
	provenance_tab(r, &t);
	rc |= finish_tab(&t, f, 2, 0);
	return rc || ferror(f) ? -1 : 0;
}
