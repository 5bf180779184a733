/* `apnas draw`: the network of an architecture as a picture.  The graph is
 * the space's network description with its data flow (core/export/dot.c);
 * when the config has a cost model, each layer carries its cycles (and
 * the model's other per-layer metrics) and the title the hardware.  SVG
 * and PNG are rendered by Graphviz's `dot`, run as a child process. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arch_load.h"
#include "atomic.h"
#include "cli.h"
#include "export/export.h"
#include "metrics/metrics.h"

typedef struct draw_args {
	const char *input;   /* ARCH or DIR */
	const char *out;     /* --out, or NULL */
	const char *config;  /* --config, or NULL */
	cli_sets sets;
} draw_args;

static void help(void)
{
	printf("usage: apnas draw ARCH|DIR [--out FILE.svg|FILE.png|FILE.dot]\n"
	       "                  [--config FILE] [--set group.key=value]...\n"
	       "\n"
	       "Draws the network of an architecture file ARCH (or of an apnas\n"
	       "train directory DIR): one box per layer with its op, kernel,\n"
	       "stride, padding, output shape and the batch norms and ReLUs\n"
	       "after it; skip connections dashed.  When the config has a cost\n"
	       "model, each layer shows its cycles (and the model's other\n"
	       "per-layer metrics) and the title the hardware.\n"
	       "\n"
	       "--out FILE    .svg (default: ARCH's name with .svg, or\n"
	       "              DIR/arch.svg), .png, or .dot (the Graphviz text;\n"
	       "              SVG and PNG need Graphviz's dot: Debian package\n"
	       "              graphviz)\n"
	       "--config FILE the config (data geometry, space settings, cost\n"
	       "              model); DIR brings its own\n"
	       "--set         override a config key (repeatable)\n"
	       "\n"
	       "example:\n"
	       "  apnas draw runs/x/best.arch --config configs/train-fashion.cfg\n"
	       "  apnas draw runs/x/train-best --out best.png\n");
}

static int parse_args(int argc, char **argv, draw_args *a)
{
	memset(a, 0, sizeof *a);
	for (int i = 1; i < argc; i++) {
		int r;
		if (cli_is_help(argv[i])) {
			help();
			return -1;
		}
		if ((r = cli_take_set(argc, argv, &i, &a->sets)) != 0 ||
		    (r = cli_take_value(argc, argv, &i, "out", &a->out)) != 0 ||
		    (r = cli_take_value(argc, argv, &i, "config",
		                        &a->config)) != 0) {
			if (r < 0)
				return CLI_EXIT_USAGE;
			continue;
		}
		if (argv[i][0] == '-' || a->input)
			return cli_bad_arg("draw", argv[i]);
		a->input = argv[i];
	}
	if (!a->input) {
		cli_errorf("draw: expected an architecture file (see apnas draw "
		           "--help)");
		return CLI_EXIT_USAGE;
	}
	return 0;
}

static const char *ext_of(const char *p)
{
	const char *slash = strrchr(p, '/'), *dot = strrchr(p, '.');
	return dot && (!slash || dot > slash) ? dot + 1 : "";
}

/* ---- per-layer cost ------------------------------------------------------ */

/* A list "a, b, c, ..." on lines of `per` items (the space after every
 * per-th comma becomes a line break): a cost model with many metrics
 * would otherwise make each box, and the picture, as wide as the list. */
static void wrap_list(char *s, int per)
{
	int n = 0;
	for (char *p = s; (p = strstr(p, ", ")); p += 2)
		if (++n % per == 0)
			p[1] = '\n';
}

/* The config's cost model on net: a note per layer ("1234 cycles, ...")
 * and a title line (the hardware, the totals).  Without a cost group,
 * nothing.  The one place `apnas draw` talks to a cost model. */
static int layer_costs(apnas_config *cfg, const apnas_net *net, char ***notes,
                       char *title, size_t cap)
{
	*notes = NULL;
	title[0] = '\0';
	if (!apnas_config_has_group(cfg, "cost"))
		return CLI_EXIT_OK;
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
	double *per = NULL, *total = NULL;
	char **nt = NULL;
	if ((rc = apnas_metricset_init(&ms, &inst, &err)))
		goto fail;
	per = calloc((net->n ? net->n : 1) * ms.n, sizeof *per);
	total = calloc(ms.n, sizeof *total);
	nt = calloc(net->n ? net->n : 1, sizeof *nt);
	if (!per || !total || !nt) {
		rc = apnas_error_set(&err, APNAS_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = apnas_metricset_cost(&ms, net, total, per, &err)))
		goto fail;
	for (size_t i = 0; i < net->n; i++) {
		char line[1024] = "";
		for (size_t j = APNAS_MX_COST; j < ms.n; j++) {
			double v = per[i * ms.n + j];
			if (!apnas_metricset_layer(&ms, j) || isnan(v))
				continue;
			char num[64];
			apnas_metric_str(v, num, sizeof num);
			size_t u = strlen(line);
			/* "737 cycles", "mapping_efficiency 65.9 %" */
			if (!strcmp(ms.decl[j].name, ms.decl[j].unit))
				snprintf(line + u, sizeof line - u, "%s%s %s",
				         u ? ", " : "", num, ms.decl[j].unit);
			else
				snprintf(line + u, sizeof line - u, "%s%s %s%s%s",
				         u ? ", " : "", ms.decl[j].name, num,
				         ms.decl[j].unit[0] ? " " : "",
				         ms.decl[j].unit);
		}
		wrap_list(line, 3);
		nt[i] = strdup(line);
		if (!nt[i]) {
			rc = apnas_error_set(&err, APNAS_ENOMEM, "out of memory");
			goto fail;
		}
	}
	char tot[1024];
	apnas_metricset_hardware(&ms, &inst, title, cap);
	apnas_metrics_text(tot, sizeof tot, &ms, total);
	wrap_list(tot, 4);
	size_t u = strlen(title);
	snprintf(title + u, cap - u, ": %s", tot);
	*notes = nt;
	nt = NULL;
	rc = 0;
	goto out;
fail:
	apnas_error_prefix(&err, "draw: cost model");
	cli_error(&err);
	rc = cli_exit_code(rc);
out:
	for (size_t i = 0; nt && i < net->n; i++)
		free(nt[i]);
	free(nt);
	free(per);
	free(total);
	apnas_metricset_free(&ms);
	apnas_instance_destroy(&inst);
	return rc;
}

/* ---- rendering ----------------------------------------------------------- */

typedef struct dot_job {
	const ex_model *m;
	const char *const *notes;
	const char *title;
} dot_job;

static int write_dot(FILE *f, void *ud, apnas_error *err)
{
	dot_job *j = ud;
	return ex_write_dot(j->m, f, j->notes, j->title, err);
}

/* Runs `dot -T<fmt> -o out in`; the message names Graphviz's Debian
 * package when dot is missing. */
static int run_dot(const char *fmt, const char *in, const char *out)
{
	char tflag[16];
	snprintf(tflag, sizeof tflag, "-T%s", fmt);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		cli_errorf("draw: fork: %s", strerror(errno));
		return CLI_EXIT_FAIL;
	}
	if (pid == 0) {
		char *const av[] = {"dot", tflag, "-o", (char *)out, (char *)in,
		                    NULL};
		execvp("dot", av);
		_exit(errno == ENOENT ? 127 : 126);
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
		cli_errorf("draw: Graphviz's dot is not installed (Debian "
		           "package graphviz); --out FILE.dot writes the graph "
		           "without it");
		return CLI_EXIT_FAIL;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		cli_errorf("draw: dot -T%s failed on %s (status %d)", fmt, in,
		           WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

static int render(const ex_model *m, const char *const *notes,
                  const char *title, const char *out)
{
	const char *ext = ext_of(out);
	apnas_error err;
	apnas_error_clear(&err);
	dot_job j = {m, notes, title};
	if (!strcmp(ext, "dot")) {
		if (apnas_write_atomic_with(out, 0, write_dot, &j, &err)) {
			cli_errorf("draw: %s", err.msg);
			return CLI_EXIT_USAGE;
		}
		return CLI_EXIT_OK;
	}
	if (strcmp(ext, "svg") && strcmp(ext, "png")) {
		cli_errorf("draw: --out %s: expected a name ending in .svg, .png "
		           "or .dot", out);
		return CLI_EXIT_USAGE;
	}
	/* dot writes into temporaries renamed at the end, like every file
	 * apnas writes */
	char *gv = NULL, *tmp = NULL;
	if (asprintf(&gv, "%s.%ld.gv", out, (long)getpid()) < 0 ||
	    asprintf(&tmp, "%s.tmp.%ld.%s", out, (long)getpid(), ext) < 0) {
		free(gv);
		cli_errorf("out of memory");
		return CLI_EXIT_FAIL;
	}
	int rc = CLI_EXIT_OK;
	if (apnas_write_atomic_with(gv, 0, write_dot, &j, &err)) {
		cli_errorf("draw: %s", err.msg);
		rc = CLI_EXIT_USAGE;
	}
	if (!rc)
		rc = run_dot(ext, gv, tmp);
	if (!rc && rename(tmp, out)) {
		cli_errorf("draw: %s: %s", out, strerror(errno));
		rc = CLI_EXIT_USAGE;
	}
	remove(gv);
	remove(tmp);
	free(gv);
	free(tmp);
	return rc;
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int cmd_draw(int argc, char **argv)
{
	draw_args args;
	cli_arch a;
	apnas_net net;
	char **notes = NULL;
	char *cfg_path = NULL, *arch_path = NULL, *out = NULL;
	memset(&a, 0, sizeof a);
	apnas_net_init(&net);
	int rc = parse_args(argc, argv, &args);
	if (rc) {
		cli_sets_free(&args.sets);
		return rc < 0 ? CLI_EXIT_OK : rc;
	}
	int dir = is_dir(args.input);
	if (dir && (asprintf(&cfg_path, "%s/config.cfg", args.input) < 0 ||
	            asprintf(&arch_path, "%s/arch.arch", args.input) < 0)) {
		cli_errorf("out of memory");
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	if (dir && args.config) {
		cli_errorf("draw: a training directory brings its own config; "
		           "give no --config with it");
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	rc = cli_arch_config_hw(&a, dir ? cfg_path : args.config,
	                        dir ? arch_path : args.input, NULL, 0,
	                        args.sets.v, args.sets.n);
	apnas_data_info info;
	if (rc || (rc = cli_data_geometry(a.cfg, &info)) ||
	    (rc = cli_arch_space(&a, &info)))
		goto out;
	apnas_error err;
	apnas_error_clear(&err);
	if ((rc = a.ops->child_net(a.space.self, a.tok, &net, &err))) {
		apnas_error_prefix(&err, "space '%s' child_net", a.file.space);
		cli_error(&err);
		rc = cli_exit_code(rc);
		goto out;
	}
	ex_model m = {&net, NULL, {info.c, info.h, info.w}, a.file.space,
	              a.file.body, args.input, 0};
	if (ex_check(&m, &err)) {
		cli_errorf("draw: %s", err.msg);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	char title[1536];
	if ((rc = layer_costs(a.cfg, &net, &notes, title, sizeof title)))
		goto out;
	if (args.out)
		out = strdup(args.out);
	else if (dir)
		rc = asprintf(&out, "%s/arch.svg", args.input) < 0;
	else {
		const char *e = ext_of(args.input);
		size_t n = strlen(args.input) - (*e ? strlen(e) + 1 : 0);
		rc = asprintf(&out, "%.*s.svg", (int)n, args.input) < 0;
	}
	if (rc || !out) {
		cli_errorf("out of memory");
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	rc = render(&m, (const char *const *)notes, title[0] ? title : NULL,
	            out);
	if (!rc)
		printf("wrote %s (%zu layers%s)\n", out, net.n,
		       notes ? ", cycles per layer" : "");
out:
	for (size_t i = 0; notes && i < net.n; i++)
		free(notes[i]);
	free(notes);
	apnas_net_free(&net);
	cli_arch_free(&a);
	free(cfg_path);
	free(arch_path);
	free(out);
	cli_sets_free(&args.sets);
	return rc;
}
