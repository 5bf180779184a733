/* Shared command-line helpers: argument forms every command accepts the
 * same way, and the one-line error convention. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void cli_error(const apnas_error *e)
{
	fprintf(stderr, "apnas: %s\n",
	        e && e->msg[0] ? e->msg : "unknown error");
}

void cli_errorf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("apnas: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int cli_exit_code(int rc)
{
	if (rc == 0)
		return CLI_EXIT_OK;
	if (rc == APNAS_EINVAL || rc == APNAS_EPLUGIN)
		return CLI_EXIT_USAGE;
	return CLI_EXIT_FAIL;
}

int cli_is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

int cli_take_value(int argc, char **argv, int *i, const char *name,
                   const char **value)
{
	const char *a = argv[*i];
	size_t nl = strlen(name);
	if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, nl) != 0)
		return 0;
	if (a[2 + nl] == '=') {
		*value = a + 3 + nl;
		return 1;
	}
	if (a[2 + nl] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		cli_errorf("--%s needs a value", name);
		return -1;
	}
	*i += 1;
	*value = argv[*i];
	return 1;
}

int cli_take_set(int argc, char **argv, int *i, cli_sets *s)
{
	const char *v;
	int r = cli_take_value(argc, argv, i, "set", &v);
	if (r <= 0)
		return r;
	const char *dot = strchr(v, '.'), *eq = strchr(v, '=');
	if (!dot || !eq || dot > eq || dot == v || eq == dot + 1) {
		cli_errorf("--set %s: expected group.key=value "
		           "(e.g. --set run.seed=7)", v);
		return -1;
	}
	if (cli_sets_add(s, v)) {
		cli_errorf("out of memory");
		return -1;
	}
	return 1;
}

int cli_sets_add(cli_sets *s, const char *v)
{
	const char **nv = realloc(s->v, (s->n + 1) * sizeof *nv);
	if (!nv)
		return -1;
	s->v = nv;
	s->v[s->n++] = v;
	return 0;
}

void cli_sets_free(cli_sets *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

int cli_take_format(int argc, char **argv, int *i, cli_format *f)
{
	const char *v;
	int r = cli_take_value(argc, argv, i, "format", &v);
	if (r <= 0)
		return r;
	if (!strcmp(v, "table"))
		*f = CLI_FORMAT_TABLE;
	else if (!strcmp(v, "json"))
		*f = CLI_FORMAT_JSON;
	else {
		cli_errorf("--format %s: expected table or json", v);
		return -1;
	}
	return 1;
}

long long cli_parse_count(const char *cmd, const char *opt, const char *s,
                          long long min)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min) {
		cli_errorf("%s: %s %s: expected a whole number >= %lld", cmd, opt,
		           s, min);
		return -1;
	}
	return v;
}

apnas_kind cli_parse_kind(const char *s)
{
	for (int k = APNAS_KIND_SPACE; k <= APNAS_KIND_COST; k++)
		if (!strcmp(s, apnas_kind_name((apnas_kind)k)))
			return (apnas_kind)k;
	cli_errorf("unknown plugin kind '%s' (kinds: space, controller, "
	           "reward, cost)", s);
	return 0;
}

int cli_bad_arg(const char *cmd, const char *arg)
{
	cli_errorf("%s: unknown argument '%s' (see apnas %s --help)", cmd, arg,
	           cmd);
	return CLI_EXIT_USAGE;
}

void cli_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

volatile sig_atomic_t cli_stop_signal;

static void on_stop_signal(int sig)
{
	cli_stop_signal = sig;
}

void cli_stop_on_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	/* The first signal asks for a clean stop; the handler is then reset,
	 * so a second one has its default effect. */
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void cli_stop_default(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}
