/* `apnas config`: check a config (load every plugin it names and validate
 * every option, run nothing), show it resolved, or print the reference of
 * every option table as markdown (docs/config-reference.md is its
 * output). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "metrics/metrics.h"
#include "opts_internal.h"

static const apnas_kind kinds[] = {
	APNAS_KIND_SPACE, APNAS_KIND_CONTROLLER, APNAS_KIND_REWARD,
	APNAS_KIND_COST,
};

static void help(void)
{
	printf("usage: apnas config check FILE [--set group.key=value]...\n"
	       "       apnas config show FILE [--set group.key=value]... "
	       "[--all]\n"
	       "       apnas config reference\n"
	       "\n"
	       "check      loads every plugin FILE names and validates every\n"
	       "           option, without running anything\n"
	       "show       prints the resolved config (every default filled\n"
	       "           in) of the core groups and the plugin groups FILE\n"
	       "           names; --all adds the default plugin of the others\n"
	       "reference  prints every option of the core groups and of every\n"
	       "           plugin found, as markdown\n"
	       "\n"
	       "--set overrides any key (repeatable); the value is read as in\n"
	       "a config file, a bare word as a string.\n"
	       "\n"
	       "example:\n"
	       "  apnas config check run.cfg --set controller.lr=0.001 "
	       "--set data.dataset=mnist\n"
	       "  apnas config show run.cfg > resolved.cfg\n");
}

/* Loads FILE with --sets and the plugins it names (all with `all`). */
static int load(const char *file, const cli_sets *sets, int all,
                apnas_config **out)
{
	apnas_error err;
	apnas_error_clear(&err);
	int rc = apnas_config_load(file, sets->v, sets->n, out, &err);
	if (rc) {
		cli_error(&err);
		/* a config that does not load is always the user's to fix */
		return CLI_EXIT_USAGE;
	}
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		if (!all && !apnas_config_has_group(*out,
		                                    apnas_kind_name(kinds[k])))
			continue;
		rc = apnas_config_plugin(*out, kinds[k], NULL, NULL, &err);
		if (rc) {
			cli_error(&err);
			apnas_config_free(*out);
			*out = NULL;
			return cli_exit_code(rc);
		}
	}
	return CLI_EXIT_OK;
}

/* The reward reads metrics by name, and the names exist only once the cost
 * model is created: create both (cheap: no data, no weights) so a reward
 * naming a metric the model lacks fails here, not at a search's start. */
static int check_metrics(const char *file, apnas_config *c)
{
	if (!apnas_config_has_group(c, "reward") ||
	    !apnas_config_has_group(c, "cost"))
		return CLI_EXIT_OK;
	apnas_instance cost, reward;
	apnas_metricset ms;
	apnas_error err;
	apnas_error_clear(&err);
	memset(&reward, 0, sizeof reward);
	memset(&ms, 0, sizeof ms);
	size_t front;
	int rc = apnas_config_instance(c, APNAS_KIND_COST, NULL, &cost, &err);
	if (rc)
		goto out;
	rc = apnas_metricset_init(&ms, &cost, &err);
	if (rc == 0)
		rc = apnas_reward_open(c, &ms, &reward, &front, &err);
	if (reward.self || reward.lib.handle)
		apnas_instance_destroy(&reward);
	apnas_metricset_free(&ms);
	apnas_instance_destroy(&cost);
out:
	if (rc) {
		apnas_error_prefix(&err, "%s", file);
		cli_error(&err);
		return cli_exit_code(rc);
	}
	return CLI_EXIT_OK;
}

static int check_or_show(const char *sub, int argc, char **argv)
{
	cli_sets sets = {NULL, 0};
	const char *file = NULL;
	int all = 0;
	int show = !strcmp(sub, "show");
	for (int i = 1; i < argc; i++) {
		int r;
		if (cli_is_help(argv[i])) {
			help();
			cli_sets_free(&sets);
			return CLI_EXIT_OK;
		}
		if ((r = cli_take_set(argc, argv, &i, &sets)) != 0) {
			if (r < 0) {
				cli_sets_free(&sets);
				return CLI_EXIT_USAGE;
			}
			continue;
		}
		if (show && !strcmp(argv[i], "--all")) {
			all = 1;
			continue;
		}
		if (argv[i][0] == '-' || file) {
			cli_sets_free(&sets);
			return cli_bad_arg("config", argv[i]);
		}
		file = argv[i];
	}
	if (!file) {
		cli_errorf("config %s: needs a FILE (see apnas config --help)",
		           sub);
		cli_sets_free(&sets);
		return CLI_EXIT_USAGE;
	}
	apnas_config *c = NULL;
	int code = load(file, &sets, all, &c);
	cli_sets_free(&sets);
	if (code)
		return code;
	if (show) {
		apnas_error err;
		apnas_error_clear(&err);
		if (apnas_config_write(c, stdout, &err)) {
			cli_error(&err);
			code = CLI_EXIT_FAIL;
		}
	} else if ((code = check_metrics(file, c)) != 0) {
		/* the line is printed */
	} else {
		char names[400] = "";
		size_t o = 0;
		for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
			const char *kn = apnas_kind_name(kinds[k]);
			if (!apnas_config_has_group(c, kn) || o >= sizeof names)
				continue;
			o += (size_t)snprintf(names + o, sizeof names - o,
			                      "%s%s '%s'", o ? ", " : "", kn,
			                      apnas_config_plugin_name(c, kinds[k]));
		}
		fprintf(stderr, "apnas: %s: ok%s%s%s\n", file,
		        o ? " (" : "", names, o ? ")" : "");
	}
	apnas_config_free(c);
	return code;
}

/* ---- reference -------------------------------------------------------- */

/* Markdown table cell: '|' would end the cell. */
static void md_cell(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if (*s == '\n')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
}

static void md_range(FILE *f, const apnas_option *o)
{
	if (o->choices) {
		int first = 1;
		for (const char *p = o->choices; *p;) {
			const char *bar = strchr(p, '|');
			int len = bar ? (int)(bar - p) : (int)strlen(p);
			fprintf(f, "%s`%.*s`", first ? "" : ", ", len, p);
			first = 0;
			if (!bar)
				break;
			p = bar + 1;
		}
	} else if (o->min <= o->max &&
	           o->type != APNAS_OPT_STRING &&
	           o->type != APNAS_OPT_STRING_LIST &&
	           o->type != APNAS_OPT_BOOL) {
		char lo[64], hi[64];
		apnas_fmt_bound(lo, sizeof lo, o->type, o->min);
		apnas_fmt_bound(hi, sizeof hi, o->type, o->max);
		fprintf(f, "[%s, %s]", lo, hi);
	}
}

static void md_table(FILE *f, const apnas_option *t)
{
	if (!t || !t->key) {
		fprintf(f, "No options.\n");
		return;
	}
	fprintf(f, "| key | type | default | allowed | description |\n"
	           "|---|---|---|---|---|\n");
	for (; t->key; t++) {
		fprintf(f, "| `%s` | %s | ", t->key,
		        apnas_opt_type_name(t->type));
		if (t->def) {
			fputc('`', f);
			md_cell(f, t->def);
			fputc('`', f);
		} else {
			fputs("(required)", f);
		}
		fputs(" | ", f);
		md_range(f, t);
		fputs(" | ", f);
		md_cell(f, t->help);
		if (t->flags & APNAS_OPT_RECIPE)
			fputs(" (training recipe: an architecture file keeps "
			      "it as a comment)", f);
		fputs(" |\n", f);
	}
}

typedef struct section {
	int kind;
	char *name;
	char *text; /* owned: the markdown of this plugin */
} section;

typedef struct sections {
	section *v;
	size_t n;
	int oom;
} sections;

static int add_plugin(const apnas_loaded *l, void *ud)
{
	sections *s = ud;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m) {
		s->oom = 1;
		return APNAS_ENOMEM;
	}
	const apnas_plugin_desc *d = l->desc;
	fprintf(m, "### %s `%s`\n\n%s (version %s).\n\n",
	        apnas_kind_name(d->kind), d->name, d->summary, d->version);
	fprintf(m, "Select with `%s = { plugin = \"%s\"; ... };`\n\n",
	        apnas_kind_name(d->kind), d->name);
	md_table(m, d->options);
	fputc('\n', m);
	fclose(m);
	section *nv = realloc(s->v, (s->n + 1) * sizeof *nv);
	if (!nv || !buf) {
		free(buf);
		s->oom = 1;
		return APNAS_ENOMEM;
	}
	s->v = nv;
	s->v[s->n].kind = (int)d->kind;
	s->v[s->n].name = strdup(d->name);
	s->v[s->n].text = buf;
	s->n++;
	return 0;
}

static void note_bad(const char *path, const apnas_error *e, void *ud)
{
	(void)path;
	(void)ud;
	cli_error(e);
}

static int cmp_section(const void *a, const void *b)
{
	const section *x = a, *y = b;
	if (x->kind != y->kind)
		return x->kind - y->kind;
	return strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

static int reference(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			help();
			return CLI_EXIT_OK;
		}
		return cli_bad_arg("config", argv[i]);
	}
	sections s = {NULL, 0, 0};
	apnas_error err;
	apnas_error_clear(&err);
	int rc = apnas_host_list(0, add_plugin, note_bad, &s, &err);
	if (rc || s.oom) {
		if (s.oom)
			cli_errorf("out of memory");
		else
			cli_error(&err);
		for (size_t k = 0; k < s.n; k++) {
			free(s.v[k].name);
			free(s.v[k].text);
		}
		free(s.v);
		return CLI_EXIT_FAIL;
	}
	if (s.n)
		qsort(s.v, s.n, sizeof *s.v, cmp_section);
	printf("# Configuration reference\n\n"
	       "Generated by `apnas config reference` from the option tables "
	       "of the core\n"
	       "and of every plugin found; do not edit by hand.  Regenerate "
	       "from a build with\n"
	       "`APNAS_PLUGIN_PATH=build/plugins build/core/cli/apnas config "
	       "reference > docs/config-reference.md`.\n\n"
	       "A config is a libconfig file of groups: `run`, `data`, "
	       "`search`, `train` (the core's)\n"
	       "and `space`, `controller`, `reward`, `cost` (one plugin "
	       "each).  In a plugin\n"
	       "group `plugin = \"name\";` picks the plugin and "
	       "`path = \"dir-or-file\";`\n"
	       "optionally says where it lives; every other key is the "
	       "plugin's.  An absent\n"
	       "plugin group takes its default plugin (space `enas_macro`, "
	       "controller\n"
	       "`reinforce_lstm`, reward `accuracy`, cost `systolic`).  "
	       "Every key left out takes\n"
	       "its default.  `--set group.key=value` overrides any key from "
	       "the command line.\n\n"
	       "libconfig notes: integers outside 32 bits need the `L` "
	       "suffix (`3000000000L`);\n"
	       "an integer is accepted where a float is expected; strings "
	       "are double-quoted;\n"
	       "lists are written `[1, 2]`.\n\n"
	       "## Core groups\n\n");
	static const struct {
		const char *name;
		const apnas_option *t;
	} core[] = {
		{"run", apnas_run_options},
		{"data", apnas_data_options},
		{"search", apnas_search_options},
		{"train", apnas_train_options},
	};
	for (size_t k = 0; k < sizeof core / sizeof core[0]; k++) {
		printf("### `%s`\n\n", core[k].name);
		md_table(stdout, core[k].t);
		printf("\n");
	}
	printf("## Plugins\n\n");
	if (!s.n)
		printf("No plugins were found when this was generated.\n\n");
	for (size_t k = 0; k < s.n; k++) {
		fputs(s.v[k].text, stdout);
		free(s.v[k].name);
		free(s.v[k].text);
	}
	free(s.v);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

int cmd_config(int argc, char **argv)
{
	if (argc < 2) {
		cli_errorf("config: expected check, show or reference (see "
		           "apnas config --help)");
		return CLI_EXIT_USAGE;
	}
	const char *sub = argv[1];
	if (cli_is_help(sub)) {
		help();
		return CLI_EXIT_OK;
	}
	if (!strcmp(sub, "check") || !strcmp(sub, "show"))
		return check_or_show(sub, argc - 1, argv + 1);
	if (!strcmp(sub, "reference"))
		return reference(argc - 1, argv + 1);
	cli_errorf("config: unknown subcommand '%s' (expected check, show or "
	           "reference)", sub);
	return CLI_EXIT_USAGE;
}
