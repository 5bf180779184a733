/* `apnas cost`: every metric of the configured cost model (and MACs and
 * parameters) for a network, per layer and in total, in columns named
 * after the metrics.  The
 * network comes from a SCALE-Sim topology (--topology); a second source
 * (--arch, an architecture of a search space) plugs in beside
 * net_from_topology(), since everything after it takes an apnas_net.
 * With no config, the `systolic` plugin and its defaults are used.
 * --sweep hands the network to cost_sweep.c instead, which costs it on
 * every hardware setting of a co-search's budget. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arch_load.h"
#include "cli.h"
#include "config.h"
#include "cost_sweep.h"
#include "hw/scalesim_cfg.h"
#include "hw/topology.h"
#include "metrics/metrics.h"

typedef struct cost_args {
	const char *config;        /* positional CONFIG, or NULL */
	const char *topology;      /* --topology */
	const char *arch;          /* --arch: an architecture file */
	const char *export_path;   /* --export-topology */
	const char *scalesim_cfg;  /* --scalesim-config */
	cost_format fmt;
	cli_sets sets;             /* --set, in command-line order */
	int sweep;                 /* --sweep */
	const char *sort;          /* --sort METRIC (with --sweep) */
	size_t top;                /* --top N (with --sweep); 0: all */
} cost_args;

static void help(void)
{
	printf("usage: apnas cost [CONFIG] --topology FILE.csv | --arch FILE\n"
	       "                  [--set cost.key=value]... "
	       "[--scalesim-config FILE.cfg]\n"
	       "                  [--format table|csv|json] "
	       "[--export-topology OUT.csv]\n"
	       "                  [--sweep [--sort METRIC] [--top N]]\n"
	       "\n"
	       "Costs a network on the config's cost model (default: the\n"
	       "`systolic` plugin with its defaults, a 32x32 os array) and\n"
	       "prints per layer every metric the model declares (cycles,\n"
	       "mapping_efficiency, utilization, ...) with macs and params,\n"
	       "then the total.\n"
	       "\n"
	       "--topology FILE        a SCALE-Sim conv topology (IFMAP sizes\n"
	       "                       include padding; SCALE-Sim's rounding)\n"
	       "--arch FILE            an architecture file: the child network\n"
	       "                       its space builds (as apnas train trains\n"
	       "                       it) for the config's dataset geometry;\n"
	       "                       its header's space options win over\n"
	       "                       the config's.  A name without a slash\n"
	       "                       that is no file (all-conv3x3, ...) is\n"
	       "                       a named architecture of the config's\n"
	       "                       space.\n"
	       "                       A hardware section (a co-search's\n"
	       "                       pick) sets the cost model; a --set\n"
	       "                       still wins, and is noted\n"
	       "--set cost.key=value   cost.plugin=systolic_sim selects the\n"
	       "                       cycle-level simulator; cost.rows,\n"
	       "                       cost.cols, cost.dataflow (os, ws, is)\n"
	       "--scalesim-config F    takes ArrayHeight, ArrayWidth and\n"
	       "                       Dataflow from a SCALE-Sim .cfg (before\n"
	       "                       any --set, which wins)\n"
	       "--format F             table (default), csv or json\n"
	       "--export-topology OUT  writes the network as a SCALE-Sim\n"
	       "                       topology that gives the same total\n"
	       "--sweep                costs the network on every hardware\n"
	       "                       setting of the cost model's co-search\n"
	       "                       budget (cost.search_pe_budget, ...;\n"
	       "                       docs/cosearch.md) and prints one row\n"
	       "                       of totals per setting, best first; an\n"
	       "                       --arch file's hardware section is\n"
	       "                       ignored\n"
	       "--sort METRIC          the metric --sweep ranks by (default\n"
	       "                       edp, else cycles), in its declared\n"
	       "                       direction; ties keep the order of\n"
	       "                       enumeration (first decision slowest)\n"
	       "--top N                prints the best N settings only\n"
	       "\n"
	       "Cycles follow SCALE-Sim v2 (docs/cost-models.md): the index of\n"
	       "a layer's last busy cycle, layers summed.\n"
	       "\n"
	       "example:\n"
	       "  apnas cost --topology resnet50.csv --set cost.rows=16 "
	       "--set cost.cols=16 --set cost.dataflow=ws\n"
	       "  apnas cost --topology net.csv --scalesim-config google.cfg "
	       "--format json\n"
	       "  apnas cost configs/study/cosearch.cfg --arch all-conv3x3 "
	       "--sweep --top 5\n");
}

static int parse_args(int argc, char **argv, cost_args *a)
{
	memset(a, 0, sizeof *a);
	for (int i = 1; i < argc; i++) {
		const char *v;
		int r;
		if (cli_is_help(argv[i])) {
			help();
			return -1;
		}
		if ((r = cli_take_set(argc, argv, &i, &a->sets)) != 0) {
			if (r < 0)
				return CLI_EXIT_USAGE;
			continue;
		}
		if ((r = cli_take_value(argc, argv, &i, "format", &v)) != 0) {
			if (r < 0)
				return CLI_EXIT_USAGE;
			if (!strcmp(v, "table"))
				a->fmt = COST_TABLE;
			else if (!strcmp(v, "csv"))
				a->fmt = COST_CSV;
			else if (!strcmp(v, "json"))
				a->fmt = COST_JSON;
			else {
				cli_errorf("cost: --format %s: expected table, csv or "
				           "json", v);
				return CLI_EXIT_USAGE;
			}
			continue;
		}
		if (!strcmp(argv[i], "--sweep")) {
			a->sweep = 1;
			continue;
		}
		if ((r = cli_take_value(argc, argv, &i, "top", &v)) != 0) {
			long long n = r < 0 ? -1 : cli_parse_count("cost", "--top",
			                                           v, 1);
			if (n < 0)
				return CLI_EXIT_USAGE;
			a->top = (size_t)n;
			continue;
		}
		if ((r = cli_take_value(argc, argv, &i, "topology",
		                        &a->topology)) ||
		    (r = cli_take_value(argc, argv, &i, "arch", &a->arch)) ||
		    (r = cli_take_value(argc, argv, &i, "sort", &a->sort)) ||
		    (r = cli_take_value(argc, argv, &i, "export-topology",
		                        &a->export_path)) ||
		    (r = cli_take_value(argc, argv, &i, "scalesim-config",
		                        &a->scalesim_cfg))) {
			if (r < 0)
				return CLI_EXIT_USAGE;
			continue;
		}
		if (argv[i][0] == '-' || a->config)
			return cli_bad_arg("cost", argv[i]);
		a->config = argv[i];
	}
	if (!a->topology == !a->arch) {
		cli_errorf("cost: expected --topology FILE.csv or --arch FILE "
		           "(one of them; see apnas cost --help)");
		return CLI_EXIT_USAGE;
	}
	if (!a->sweep && (a->sort || a->top)) {
		cli_errorf("cost: --%s ranks the rows of --sweep; add --sweep",
		           a->sort ? "sort" : "top");
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/* The settings the config is loaded with: the SCALE-Sim config's array
 * first, so that an explicit --set overrides it.  *owned holds the
 * strings made here. */
static int settings(const cost_args *a, const char ***out, size_t *n,
                    char ***owned)
{
	*owned = NULL;
	size_t extra = a->scalesim_cfg ? 7 : 0;
	const char **v = calloc(extra + a->sets.n + 1, sizeof *v);
	char **mine = calloc(extra + 1, sizeof *mine);
	if (!v || !mine) {
		free(v);
		free(mine);
		cli_errorf("out of memory");
		return CLI_EXIT_FAIL;
	}
	*owned = mine;
	*out = v;
	if (a->scalesim_cfg) {
		apnas_scalesim_cfg sc;
		apnas_error err;
		apnas_error_clear(&err);
		int rc = apnas_scalesim_cfg_load(a->scalesim_cfg, &sc, &err);
		if (rc) {
			cli_error(&err);
			return cli_exit_code(rc);
		}
		if (sc.n_ignored)
			cli_errorf("note: %s: ignoring %d key%s that change no "
			           "cost (%s)", a->scalesim_cfg,
			           sc.n_ignored, sc.n_ignored == 1 ? "" : "s",
			           sc.ignored);
		if (asprintf(&mine[0], "cost.rows=%lld",
		             (long long)sc.array.rows) < 0 ||
		    asprintf(&mine[1], "cost.cols=%lld",
		             (long long)sc.array.cols) < 0 ||
		    asprintf(&mine[2], "cost.dataflow=%s",
		             apnas_dataflow_name(sc.array.dataflow)) < 0) {
			cli_errorf("out of memory");
			return CLI_EXIT_FAIL;
		}
		extra = 3;
		/* The memories only when the file sets them: a cost model
		 * without memory options (macs) still takes its array. */
		if (sc.mem_keys &&
		    (asprintf(&mine[3], "cost.ifmap_sram_kb=%lld",
		              (long long)sc.mem.ifmap_kb) < 0 ||
		     asprintf(&mine[4], "cost.filter_sram_kb=%lld",
		              (long long)sc.mem.filter_kb) < 0 ||
		     asprintf(&mine[5], "cost.ofmap_sram_kb=%lld",
		              (long long)sc.mem.ofmap_kb) < 0 ||
		     asprintf(&mine[6], "cost.bandwidth=%lld",
		              (long long)sc.mem.bandwidth) < 0)) {
			cli_errorf("out of memory");
			return CLI_EXIT_FAIL;
		}
		if (sc.mem_keys)
			extra = 7;
		for (size_t k = 0; k < extra; k++)
			v[k] = mine[k];
	}
	for (size_t k = 0; k < a->sets.n; k++)
		v[extra + k] = a->sets.v[k];
	*n = extra + a->sets.n;
	return 0;
}

static void free_owned(char **owned)
{
	if (!owned)
		return;
	for (size_t k = 0; owned[k]; k++)
		free(owned[k]);
	free(owned);
}

static int net_from_topology(const char *path, apnas_net *net)
{
	apnas_error err;
	apnas_error_clear(&err);
	int rc = apnas_topology_load(path, net, &err);
	if (rc) {
		cli_error(&err);
		/* A missing or unreadable input is the user's to fix. */
		return rc == APNAS_ENOMEM ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
	}
	return 0;
}

/* The architecture's child network, and in *cfg the config with the
 * file's space settings applied (the cost model is read from it).  A
 * sweep leaves the file's hardware section out: it costs every hardware. */
static int net_from_arch(const cost_args *a, const char **sets, size_t n,
                         apnas_net *net, apnas_config **cfg)
{
	cli_arch ca;
	apnas_data_info info;
	apnas_error err;
	apnas_error_clear(&err);
	int rc = a->sweep
	         ? cli_arch_config(&ca, a->config, a->arch, NULL, 0, sets, n)
	         : cli_arch_config_hw(&ca, a->config, a->arch, NULL, 0, sets,
	                              n);
	if (!rc && a->sweep && ca.file.n_hw)
		cli_errorf("note: --sweep ignores the hardware section of %s: "
		           "it costs every hardware of the budget", a->arch);
	if (!rc)
		rc = cli_data_geometry(ca.cfg, &info);
	if (!rc)
		rc = cli_arch_space(&ca, &info);
	if (!rc && (rc = ca.ops->child_net(ca.space.self, ca.tok, net,
	                                   &err))) {
		apnas_error_prefix(&err, "%s: space '%s' child_net", a->arch,
		                   ca.file.space);
		cli_error(&err);
		rc = cli_exit_code(rc);
	}
	if (!rc) {
		*cfg = ca.cfg;
		ca.cfg = NULL;
	}
	cli_arch_free(&ca);
	return rc;
}

/* ---- printing --------------------------------------------------------- */

void cost_csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void json_options(FILE *f, const apnas_opts *o)
{
	const apnas_option *t = o ? apnas_opts_table(o) : NULL;
	fputc('{', f);
	for (size_t k = 0; t && t[k].key; k++) {
		fprintf(f, "%s", k ? ", " : "");
		cli_json_string(f, t[k].key);
		fputs(": ", f);
		switch (t[k].type) {
		case APNAS_OPT_BOOL:
			fputs(apnas_opts_bool(o, t[k].key) ? "true" : "false", f);
			break;
		case APNAS_OPT_INT:
			fprintf(f, "%lld", (long long)apnas_opts_int(o, t[k].key));
			break;
		case APNAS_OPT_FLOAT:
			fprintf(f, "%.17g", apnas_opts_float(o, t[k].key));
			break;
		case APNAS_OPT_STRING:
			cli_json_string(f, apnas_opts_string(o, t[k].key));
			break;
		case APNAS_OPT_INT_LIST:
		case APNAS_OPT_STRING_LIST:
		case APNAS_OPT_FLOAT_LIST:
			fputc('[', f);
			for (size_t i = 0; i < apnas_opts_len(o, t[k].key); i++) {
				fputs(i ? ", " : "", f);
				if (t[k].type == APNAS_OPT_INT_LIST)
					fprintf(f, "%lld", (long long)apnas_opts_int_at(
					                       o, t[k].key, i));
				else if (t[k].type == APNAS_OPT_FLOAT_LIST)
					fprintf(f, "%.17g", apnas_opts_float_at(
					                       o, t[k].key, i));
				else
					cli_json_string(f, apnas_opts_string_at(
					                       o, t[k].key, i));
			}
			fputc(']', f);
			break;
		}
	}
	fputc('}', f);
}

/* "rows=32, cols=32, dataflow="os"" for the table's first line. */
static void text_options(FILE *f, const apnas_opts *o)
{
	const apnas_option *t = o ? apnas_opts_table(o) : NULL;
	char buf[256];
	for (size_t k = 0; t && t[k].key; k++) {
		apnas_opts_text(o, t[k].key, buf, sizeof buf);
		fprintf(f, "%s%s=%s", k ? ", " : " (", t[k].key, buf);
		if (!t[k + 1].key)
			fputc(')', f);
	}
}

/* Every metric has per-layer or total values to show. */
int cost_column(size_t j)
{
	return j != APNAS_MX_ACCURACY;
}

void cost_table_head(FILE *f, const apnas_metricset *ms, int *cw)
{
	for (size_t j = 0; j < ms->n; j++) {
		if (!cost_column(j))
			continue;
		cw[j] = (int)strlen(ms->decl[j].name);
		if (cw[j] < 12)
			cw[j] = 12;
		fprintf(f, "  %*s", cw[j], ms->decl[j].name);
	}
	fputc('\n', f);
}

void cost_table_units(FILE *f, const apnas_metricset *ms)
{
	fputs("# units:", f);
	for (size_t j = 0; j < ms->n; j++)
		if (cost_column(j) && ms->decl[j].unit[0])
			fprintf(f, " %s [%s]", ms->decl[j].name, ms->decl[j].unit);
	fputc('\n', f);
}

void cost_table_cell(FILE *f, int w, double v)
{
	char num[64] = "-";
	if (!isnan(v))
		apnas_metric_str(v, num, sizeof num);
	fprintf(f, "  %*s", w, num);
}

static void print_table(FILE *f, const char *model, const apnas_opts *o,
                        const char *source, const apnas_net *net,
                        const apnas_metricset *ms, const double *per,
                        const double *total)
{
	int w = 5;
	for (size_t i = 0; i < net->n; i++) {
		int l = (int)strlen(net->layers[i].name);
		if (l > w)
			w = l;
	}
	int cw[APNAS_MX_COST + APNAS_METRICS_MAX];
	fprintf(f, "# cost model %s", model);
	text_options(f, o);
	fprintf(f, "; %s, %zu layers\n", source, net->n);
	fprintf(f, "%-*s  %-10s", w, "layer", "type");
	cost_table_head(f, ms, cw);
	for (size_t i = 0; i < net->n; i++) {
		fprintf(f, "%-*s  %-10s", w, net->layers[i].name,
		        apnas_layer_type_name(net->layers[i].type));
		for (size_t j = 0; j < ms->n; j++)
			if (cost_column(j))
				cost_table_cell(f, cw[j], per[i * ms->n + j]);
		fputc('\n', f);
	}
	fprintf(f, "%-*s  %-10s", w, "total", "");
	for (size_t j = 0; j < ms->n; j++)
		if (cost_column(j))
			cost_table_cell(f, cw[j], total[j]);
	fputc('\n', f);
	cost_table_units(f, ms);
}

static void print_csv(FILE *f, const apnas_net *net,
                      const apnas_metricset *ms, const double *per,
                      const double *total)
{
	fputs("layer,type", f);
	for (size_t j = 0; j < ms->n; j++)
		if (cost_column(j))
			fprintf(f, ",%s", ms->decl[j].name);
	fputc('\n', f);
	for (size_t i = 0; i <= net->n; i++) {
		const double *v = i < net->n ? per + i * ms->n : total;
		if (i < net->n) {
			cost_csv_field(f, net->layers[i].name);
			fprintf(f, ",%s",
			        apnas_layer_type_name(net->layers[i].type));
		} else {
			fputs("total,", f);
		}
		cost_csv_values(f, ms, v);
	}
}

void cost_csv_values(FILE *f, const apnas_metricset *ms, const double *v)
{
	for (size_t j = 0; j < ms->n; j++) {
		if (!cost_column(j))
			continue;
		fputc(',', f);
		if (!isnan(v[j]))
			fprintf(f, "%.17g", v[j]);
	}
	fputc('\n', f);
}

void cost_json_values(FILE *f, const apnas_metricset *ms, const double *v)
{
	int first = 1;
	for (size_t j = 0; j < ms->n; j++) {
		if (!cost_column(j) || isnan(v[j]))
			continue;
		fprintf(f, "%s", first ? "" : ", ");
		cli_json_string(f, ms->decl[j].name);
		fprintf(f, ": %.17g", v[j]);
		first = 0;
	}
}

static void print_json(FILE *f, const char *model, const apnas_opts *o,
                       const char *hardware, const char *source,
                       const apnas_net *net, const apnas_metricset *ms,
                       const double *per, const double *total)
{
	fputs("{\"cost_model\": ", f);
	cli_json_string(f, model);
	fputs(", \"options\": ", f);
	json_options(f, o);
	fputs(", \"hardware\": ", f);
	cli_json_string(f, hardware);
	fputs(", \"source\": ", f);
	cli_json_string(f, source);
	fputs(",\n \"metrics\": ", f);
	apnas_metrics_json_decl(f, ms);
	fputs(",\n \"layers\": [", f);
	for (size_t i = 0; i < net->n; i++) {
		fprintf(f, "%s\n  {\"name\": ", i ? "," : "");
		cli_json_string(f, net->layers[i].name);
		fputs(", \"type\": ", f);
		cli_json_string(f, apnas_layer_type_name(net->layers[i].type));
		fputs(", ", f);
		cost_json_values(f, ms, per + i * ms->n);
		fputc('}', f);
	}
	fputs("],\n \"total\": {", f);
	cost_json_values(f, ms, total);
	fputs("}}\n", f);
}

/* Costs net on the config's cost model and prints it in fmt: the part of
 * `apnas cost` every network source shares. */
static int cost_report(apnas_config *cfg, const apnas_net *net,
                       const char *source, cost_format fmt)
{
	apnas_instance inst;
	apnas_metricset ms;
	apnas_error err;
	apnas_error_clear(&err);
	memset(&ms, 0, sizeof ms);
	int rc = apnas_config_instance(cfg, APNAS_KIND_COST, NULL, &inst, &err);
	if (rc) {
		cli_error(&err);
		return cli_exit_code(rc);
	}
	const char *model = inst.lib.desc->name;
	double *per = NULL, *total = NULL;
	if ((rc = apnas_metricset_init(&ms, &inst, &err)))
		goto fail;
	per = calloc((net->n ? net->n : 1) * ms.n, sizeof *per);
	total = calloc(ms.n, sizeof *total);
	if (!per || !total) {
		rc = apnas_error_set(&err, APNAS_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = apnas_metricset_cost(&ms, net, total, per, &err))) {
		apnas_error_prefix(&err, "on %s", source);
		goto fail;
	}
	char hw[512];
	apnas_metricset_hardware(&ms, &inst, hw, sizeof hw);
	if (fmt == COST_JSON)
		print_json(stdout, model, inst.opts, hw, source, net, &ms, per,
		           total);
	else if (fmt == COST_CSV)
		print_csv(stdout, net, &ms, per, total);
	else
		print_table(stdout, model, inst.opts, source, net, &ms, per,
		            total);
	rc = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	goto out;
fail:
	cli_error(&err);
	rc = cli_exit_code(rc);
out:
	free(per);
	free(total);
	apnas_metricset_free(&ms);
	apnas_instance_destroy(&inst);
	return rc;
}

int cmd_cost(int argc, char **argv)
{
	cost_args a;
	apnas_config *cfg = NULL;
	apnas_net net;
	const char **sets = NULL;
	char **owned = NULL;
	size_t nsets = 0;
	apnas_error err;
	apnas_error_clear(&err);
	apnas_net_init(&net);

	int rc = parse_args(argc, argv, &a);
	if (rc) {
		cli_sets_free(&a.sets);
		return rc < 0 ? CLI_EXIT_OK : rc;
	}
	if ((rc = settings(&a, &sets, &nsets, &owned)))
		goto out;
	if (a.arch) {
		if ((rc = net_from_arch(&a, sets, nsets, &net, &cfg)))
			goto out;
	} else if ((rc = apnas_config_load(a.config, sets, nsets, &cfg,
	                                   &err))) {
		cli_error(&err);
		rc = CLI_EXIT_USAGE;
		goto out;
	} else if ((rc = net_from_topology(a.topology, &net))) {
		goto out;
	}
	if (a.sweep) {
		cost_sweep_opts so = { a.sort, a.top, a.fmt };
		rc = cost_sweep(cfg, &net, a.arch ? a.arch : a.topology, &so);
	} else {
		rc = cost_report(cfg, &net, a.arch ? a.arch : a.topology,
		                 a.fmt);
	}
	if (rc)
		goto out;
	if (a.export_path) {
		if ((rc = apnas_topology_save(a.export_path, &net, &err))) {
			cli_error(&err);
			rc = cli_exit_code(rc);
			goto out;
		}
		cli_errorf("note: wrote %s", a.export_path);
	}
out:
	apnas_net_free(&net);
	apnas_config_free(cfg);
	free(sets);
	free_owned(owned);
	cli_sets_free(&a.sets);
	return rc;
}
