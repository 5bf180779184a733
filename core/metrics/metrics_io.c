/* Metric columns for the run directory's CSV and JSON files and for
 * one-line summaries, generated from the run's metric list so every file
 * names the same metrics in the same order. */
#include <math.h>
#include <stdio.h>

#include "metrics.h"
#include "search/json_out.h"

/* The columns: every metric with a network value except accuracy, which
 * each file places itself. */
static int column(const apnas_metricset *ms, size_t i)
{
	return i != APNAS_MX_ACCURACY && apnas_metricset_net(ms, i);
}

void apnas_metrics_csv_head(FILE *f, const apnas_metricset *ms)
{
	for (size_t i = 0; i < ms->n; i++)
		if (column(ms, i))
			fprintf(f, ",%s", ms->decl[i].name);
}

void apnas_metrics_csv_row(FILE *f, const apnas_metricset *ms,
                           const double *v)
{
	for (size_t i = 0; i < ms->n; i++) {
		if (!column(ms, i))
			continue;
		fputc(',', f);
		apnas_csv_num(f, v[i]);
	}
}

void apnas_metrics_json(FILE *f, const apnas_metricset *ms, const double *v)
{
	for (size_t i = 0; i < ms->n; i++) {
		if (!column(ms, i))
			continue;
		fprintf(f, ",\"%s\":", ms->decl[i].name);
		apnas_json_num(f, v[i]);
	}
}

static const char *goal_name(apnas_metric_goal g)
{
	return g == APNAS_GOAL_MIN ? "min" : g == APNAS_GOAL_MAX ? "max"
	                                                        : "none";
}

static const char *scope_name(apnas_metric_scope s)
{
	return s == APNAS_SCOPE_LAYER ? "layer" : s == APNAS_SCOPE_NET ? "net"
	                                                             : "both";
}

void apnas_metrics_json_decl(FILE *f, const apnas_metricset *ms)
{
	fputc('[', f);
	for (size_t i = 0; i < ms->n; i++) {
		const apnas_metric_decl *d = &ms->decl[i];
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		apnas_json_str(f, d->name);
		fputs(",\"unit\":", f);
		apnas_json_str(f, d->unit);
		fprintf(f, ",\"goal\":\"%s\",\"scope\":\"%s\"}",
		        goal_name(d->goal), scope_name(d->scope));
	}
	fputc(']', f);
}

void apnas_metric_str(double v, char *buf, size_t cap)
{
	if (isfinite(v) && v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, cap, "%.0f", v);
	else
		snprintf(buf, cap, "%.6g", v);
}

void apnas_metrics_text(char *buf, size_t cap, const apnas_metricset *ms,
                        const double *v)
{
	size_t used = 0;
	if (!cap)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < ms->n; i++) {
		if (!column(ms, i))
			continue;
		char num[64];
		apnas_metric_str(v[i], num, sizeof num);
		int w = snprintf(buf + used, cap - used, "%s%s %s",
		                 used ? ", " : "", ms->decl[i].name, num);
		if (w < 0 || (size_t)w >= cap - used)
			return;
		used += (size_t)w;
	}
}
