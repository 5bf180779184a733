/* `apnas plugins`: every plugin found along the search path, as a table
 * or JSON.  Files that fail validation are reported on stderr and do not
 * change the exit status: one broken third-party file must not hide the
 * rest. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include <apnas/harness.h>

#include "host.h"

typedef struct row {
	char *name, *kind, *version, *summary, *file; /* owned */
	char *metrics;  /* owned: a cost model's metrics with their units
	                   ("cycles [cycles], utilization [%]"), or NULL */
	char *metrics_json; /* owned: the same as a JSON array, or NULL */
} row;

typedef struct rows {
	row *v;
	size_t n;
	int oom;
} rows;

/* A cost model says what it measures only once created: create one with
 * its default options (cheap: no data, no weights).  A model that needs
 * options to be created lists "(set its options to see them)". */
static void cost_metrics(const apnas_loaded *l, row *w)
{
	apnas_plugin_handle *h = NULL;
	apnas_error err;
	apnas_error_clear(&err);
	if (apnas_plugin_open(APNAS_KIND_COST, l->path, NULL, 0, NULL, &h,
	                      &err)) {
		w->metrics = strdup("(set its options to see them)");
		return;
	}
	const apnas_cost_ops *ops = apnas_plugin_ops(h);
	const apnas_metric_decl *d = ops->metrics(apnas_plugin_self(h));
	char *text = NULL, *json = NULL;
	size_t tl = 0, jl = 0;
	FILE *t = open_memstream(&text, &tl);
	FILE *j = open_memstream(&json, &jl);
	if (t && j) {
		fputc('[', j);
		for (size_t i = 0; d && d[i].name; i++) {
			fprintf(t, "%s%s%s%s%s", i ? ", " : "", d[i].name,
			        d[i].unit[0] ? " [" : "", d[i].unit,
			        d[i].unit[0] ? "]" : "");
			fprintf(j, "%s{\"name\": ", i ? ", " : "");
			cli_json_string(j, d[i].name);
			fputs(", \"unit\": ", j);
			cli_json_string(j, d[i].unit);
			fputs(", \"help\": ", j);
			cli_json_string(j, d[i].help);
			fprintf(j, ", \"lower_is_better\": %s}",
			        d[i].goal == APNAS_GOAL_MIN ? "true" : "false");
		}
		fputc(']', j);
	}
	if (t)
		fclose(t);
	if (j)
		fclose(j);
	w->metrics = text;
	w->metrics_json = json;
	apnas_plugin_close(h);
}

static int collect(const apnas_loaded *l, void *ud)
{
	rows *r = ud;
	row *nv = realloc(r->v, (r->n + 1) * sizeof *nv);
	if (!nv) {
		r->oom = 1;
		return APNAS_ENOMEM;
	}
	r->v = nv;
	row *w = &r->v[r->n++];
	w->name = strdup(l->desc->name);
	w->kind = strdup(apnas_kind_name(l->desc->kind));
	w->version = strdup(l->desc->version);
	w->summary = strdup(l->desc->summary);
	w->file = strdup(l->path);
	w->metrics = w->metrics_json = NULL;
	if (l->desc->kind == APNAS_KIND_COST)
		cost_metrics(l, w);
	if (!w->name || !w->kind || !w->version || !w->summary || !w->file) {
		r->oom = 1;
		return APNAS_ENOMEM;
	}
	return 0;
}

static void report_bad(const char *path, const apnas_error *e, void *ud)
{
	(void)path;
	(void)ud;
	cli_error(e);
}

static void rows_free(rows *r)
{
	for (size_t k = 0; k < r->n; k++) {
		free(r->v[k].name);
		free(r->v[k].kind);
		free(r->v[k].version);
		free(r->v[k].summary);
		free(r->v[k].file);
		free(r->v[k].metrics);
		free(r->v[k].metrics_json);
	}
	free(r->v);
}

static size_t width(const rows *r, size_t off, const char *head)
{
	size_t w = strlen(head);
	for (size_t k = 0; k < r->n; k++) {
		const char *s = *(char *const *)((const char *)&r->v[k] + off);
		size_t l = strlen(s ? s : "");
		if (l > w)
			w = l;
	}
	return w;
}

static void print_table(const rows *r)
{
	int wn = (int)width(r, offsetof(row, name), "NAME");
	int wk = (int)width(r, offsetof(row, kind), "KIND");
	int wv = (int)width(r, offsetof(row, version), "VERSION");
	int ws = (int)width(r, offsetof(row, summary), "SUMMARY");
	printf("%-*s  %-*s  %-*s  %-*s  %s\n", wn, "NAME", wk, "KIND", wv,
	       "VERSION", ws, "SUMMARY", "FILE");
	for (size_t k = 0; k < r->n; k++) {
		printf("%-*s  %-*s  %-*s  %-*s  %s\n", wn, r->v[k].name, wk,
		       r->v[k].kind, wv, r->v[k].version, ws,
		       r->v[k].summary, r->v[k].file);
		if (r->v[k].metrics)
			printf("%-*s  metrics: %s\n", wn + wk + wv + 4, "",
			       r->v[k].metrics);
	}
}

static void print_json(const rows *r)
{
	printf("[");
	for (size_t k = 0; k < r->n; k++) {
		printf("%s\n  {\"name\": ", k ? "," : "");
		cli_json_string(stdout, r->v[k].name);
		printf(", \"kind\": ");
		cli_json_string(stdout, r->v[k].kind);
		printf(", \"version\": ");
		cli_json_string(stdout, r->v[k].version);
		printf(", \"summary\": ");
		cli_json_string(stdout, r->v[k].summary);
		printf(", \"file\": ");
		cli_json_string(stdout, r->v[k].file);
		if (r->v[k].metrics_json)
			printf(", \"metrics\": %s", r->v[k].metrics_json);
		printf("}");
	}
	printf("%s]\n", r->n ? "\n" : "");
}

static void help(void)
{
	printf("usage: apnas plugins [--kind KIND] [--format table|json]\n"
	       "\n"
	       "Lists every plugin found in $APNAS_PLUGIN_PATH and the\n"
	       "installed plugin directory: name, kind, version, summary and\n"
	       "file.  KIND is space, controller, reward or cost.  Files that\n"
	       "fail to load are reported on stderr and skipped.\n"
	       "\n"
	       "example:\n"
	       "  APNAS_PLUGIN_PATH=$HOME/my-plugins apnas plugins --kind cost "
	       "--format json\n");
}

int cmd_plugins(int argc, char **argv)
{
	apnas_kind kind = 0;
	cli_format fmt = CLI_FORMAT_TABLE;
	for (int i = 1; i < argc; i++) {
		const char *v;
		int r;
		if (cli_is_help(argv[i])) {
			help();
			return CLI_EXIT_OK;
		}
		if ((r = cli_take_format(argc, argv, &i, &fmt)) != 0) {
			if (r < 0)
				return CLI_EXIT_USAGE;
			continue;
		}
		if ((r = cli_take_value(argc, argv, &i, "kind", &v)) != 0) {
			if (r < 0 || !(kind = cli_parse_kind(v)))
				return CLI_EXIT_USAGE;
			continue;
		}
		return cli_bad_arg("plugins", argv[i]);
	}
	rows r = {NULL, 0, 0};
	apnas_error err;
	apnas_error_clear(&err);
	int rc = apnas_host_list(kind, collect, report_bad, &r, &err);
	if (rc || r.oom) {
		if (r.oom)
			cli_errorf("out of memory");
		else
			cli_error(&err);
		rows_free(&r);
		return CLI_EXIT_FAIL;
	}
	if (r.n == 0) {
		/* A bare header would look like success. */
		char path[4096];
		apnas_host_search_path(path, sizeof path);
		cli_errorf("plugins: no %s%splugin found in %s; build them "
		           "(meson compile) and point APNAS_PLUGIN_PATH at the "
		           "directory holding the <kind>_<name>.so files (in a "
		           "build tree: build/plugins), or meson install",
		           kind ? apnas_kind_name(kind) : "",
		           kind ? " " : "", path[0] ? path : "(nowhere)");
		rows_free(&r);
		return CLI_EXIT_FAIL;
	}
	if (fmt == CLI_FORMAT_JSON)
		print_json(&r);
	else
		print_table(&r);
	rows_free(&r);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
