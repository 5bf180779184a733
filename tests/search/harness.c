/* Search test helpers: child processes, file reading, a strict JSON
 * syntax checker, an RFC 4180 record splitter and the run comparison the
 * resume tests rely on. */
#include "../common/readfile.h"
#include "../common/tmpdir.h"
#include "harness.h"

#include <ctype.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "archfile.h"
#include "search/ckpt.h"

const char *h_apnas;
const char *h_fixture_dir;
long long h_term_at;

void harness_init(int argc, char **argv)
{
	if (argc < 3 || access(argv[1], X_OK) != 0) {
		fprintf(stderr, "SKIP: the search tests need the apnas binary "
		        "and the fixture directory as arguments (meson passes "
		        "them)\n");
		exit(77);
	}
	h_apnas = argv[1];
	h_fixture_dir = argv[2];
}

char *h_tempdir(void)
{
	return t_tempdir("search");
}

void h_rmtree(const char *path)
{
	t_rmtree(path);
}

char *h_write(const char *dir, const char *name, const char *text)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	FILE *f = fopen(p, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
	return p;
}

char *h_read(const char *path)
{
	return t_read_file(path, NULL);
}

char *h_readf(const char *dir, const char *name)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	char *s = h_read(p);
	free(p);
	return s;
}

int h_exists(const char *dir, const char *name)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

char *h_toy_config(const char *dir)
{
	return h_write(dir, "toy.cfg",
		"run = { seed = 7; threads = 1; };\n"
		"search = { epochs = 3; controller_steps = 5; aggregate = 4;\n"
		"  derive_samples = 30; top_k = 3; };\n"
		"space = { plugin = \"toy\"; layers = 4; ops = 4; };\n"
		"controller = { plugin = \"reinforce_lstm\"; hidden = 16;\n"
		"  lr = 0.05; skip_weight = 0.0; };\n"
		"reward = { plugin = \"mnas\"; target = 0.7;\n"
		"  reference = \"target\"; };\n"
		"cost = { plugin = \"systolic\"; rows = 4; cols = 4; };\n");
}

char *h_fixture_config(const char *dir)
{
	char *text = NULL;
	if (asprintf(&text,
		"run = { seed = 3; threads = 1; };\n"
		"data = { dataset = \"synthetic\"; synthetic_n = 600;\n"
		"  synthetic_test_n = 50; synthetic_classes = 4;\n"
		"  synthetic_c = 1; synthetic_h = 6; synthetic_w = 6;\n"
		"  val_size = 200; batch_size = 32; eval_batch_size = 50; };\n"
		"search = { epochs = 3; controller_steps = 4; aggregate = 3;\n"
		"  derive_samples = 12; derive_screen_batches = 1;\n"
		"  derive_rescore_top = 3; top_k = 2; };\n"
		"space = { plugin = \"fixture_mlp\"; path = \"%s\"; };\n"
		"controller = { plugin = \"reinforce_lstm\"; hidden = 8; };\n"
		"reward = { plugin = \"mnas\"; target = 0.6;\n"
		"  reference = \"largest\"; };\n"
		"cost = { plugin = \"systolic\"; rows = 4; cols = 4; };\n",
		h_fixture_dir) < 0)
		abort();
	char *p = h_write(dir, "fixture.cfg", text);
	free(text);
	return p;
}

char *h_enas_config(const char *dir)
{
	return h_write(dir, "enas.cfg",
		"run = { seed = 5; threads = 1; };\n"
		"data = { dataset = \"synthetic\"; synthetic_n = 1200;\n"
		"  synthetic_test_n = 100; synthetic_classes = 10;\n"
		"  synthetic_c = 1; synthetic_h = 12; synthetic_w = 12;\n"
		"  val_size = 200; batch_size = 32; eval_batch_size = 100; };\n"
		"search = { epochs = 2; controller_steps = 5; aggregate = 4;\n"
		"  derive_samples = 10; derive_screen_batches = 1;\n"
		"  derive_rescore_top = 3; top_k = 2; };\n"
		"space = { plugin = \"enas_macro\"; layers = 4; channels = 8; };\n"
		"controller = { plugin = \"reinforce_lstm\"; };\n"
		"reward = { plugin = \"mnas\"; target = 0.5;\n"
		"  reference = \"all-conv3x3\"; };\n"
		"cost = { plugin = \"systolic\"; rows = 8; cols = 8; };\n");
}

int h_spawn(const char *dir, long long kill_at, const char *const *args)
{
	size_t n = 0;
	while (args[n])
		n++;
	char **argv = calloc(n + 2, sizeof *argv);
	argv[0] = (char *)h_apnas;
	for (size_t i = 0; i < n; i++)
		argv[i + 1] = (char *)args[i];
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		char out[4096], err[4096];
		snprintf(out, sizeof out, "%s/stdout.txt",
		         dir ? dir : "/dev");
		snprintf(err, sizeof err, "%s/stderr.txt",
		         dir ? dir : "/dev");
		int fo = open(dir ? out : "/dev/null",
		              O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int fe = open(dir ? err : "/dev/null",
		              O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fo, 1);
		dup2(fe, 2);
		if (kill_at > 0) {
			char v[32];
			snprintf(v, sizeof v, "%lld", kill_at);
			setenv("APNAS_TEST_KILL_AT", v, 1);
		} else {
			unsetenv("APNAS_TEST_KILL_AT");
		}
		if (h_term_at > 0) {
			char v[32];
			snprintf(v, sizeof v, "%lld", h_term_at);
			setenv("APNAS_TEST_TERM_AT", v, 1);
		} else {
			unsetenv("APNAS_TEST_TERM_AT");
		}
		execv(h_apnas, argv);
		_exit(126);
	}
	free(argv);
	return pid;
}

int h_run(const char *dir, long long kill_at, const char *const *args)
{
	pid_t pid = h_spawn(dir, kill_at, args);
	int st = 0;
	waitpid(pid, &st, 0);
	return st;
}

size_t h_count_lines(const char *path)
{
	char *s = h_read(path);
	if (!s)
		return 0;
	size_t n = 0;
	for (char *p = s; *p; p++)
		n += *p == '\n';
	free(s);
	return n;
}

/* ---- JSON syntax ------------------------------------------------------- */

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *json_value(const char *p, int depth);

static const char *json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p && *p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!isxdigit((unsigned char)p[i]))
						return NULL;
				p += 4;
			} else if (!strchr("\"\\/bfnrt", *p) || !*p) {
				return NULL;
			}
		}
		p++;
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *json_number(const char *p)
{
	const char *s = p;
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (isdigit((unsigned char)*p))
		while (isdigit((unsigned char)*p))
			p++;
	else
		return NULL;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return NULL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return NULL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return p > s ? p : NULL;
}

static const char *json_value(const char *p, int depth)
{
	if (depth > 64)
		return NULL;
	p = ws(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		int obj = *p == '{';
		p = ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				p = json_string(ws(p));
				if (!p)
					return NULL;
				p = ws(p);
				if (*p++ != ':')
					return NULL;
			}
			p = json_value(p, depth + 1);
			if (!p)
				return NULL;
			p = ws(p);
			if (*p == ',') {
				p++;
				continue;
			}
			return *p == close ? p + 1 : NULL;
		}
	}
	if (*p == '"')
		return json_string(p);
	if (!strncmp(p, "true", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	if (!strncmp(p, "null", 4))
		return p + 4;
	return json_number(p);
}

int h_json_valid(const char *s)
{
	const char *p = json_value(s, 0);
	return p && *ws(p) == '\0';
}

double h_json_number(const char *s, const char *key)
{
	char pat[128];
	snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = strstr(s, pat);
	if (!p)
		return NAN;
	p = ws(p + strlen(pat));
	char *end;
	double v = strtod(p, &end);
	return end == p ? NAN : v;
}

/* ---- CSV --------------------------------------------------------------- */

int h_csv_record(const char *s, size_t *pos, char **f, int max)
{
	const char *p = s + *pos;
	if (!*p)
		return -1;
	int n = 0;
	for (;;) {
		size_t cap = 64, len = 0;
		char *v = malloc(cap);
		if (*p == '"') {
			p++;
			for (;;) {
				if (!*p)
					break;
				if (*p == '"' && p[1] == '"') {
					p++;
				} else if (*p == '"') {
					p++;
					break;
				}
				if (len + 2 > cap)
					v = realloc(v, cap *= 2);
				v[len++] = *p++;
			}
		} else {
			while (*p && *p != ',' && *p != '\n') {
				if (len + 2 > cap)
					v = realloc(v, cap *= 2);
				v[len++] = *p++;
			}
		}
		v[len] = '\0';
		if (n < max)
			f[n] = v;
		else
			free(v);
		n++;
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '\n')
			p++;
		break;
	}
	*pos = (size_t)(p - s);
	return n;
}

void h_csv_free(char **f, int n)
{
	for (int i = 0; i < n; i++)
		free(f[i]);
}

/* ---- comparing runs ---------------------------------------------------- */

static char *diff_msg(const char *what, const char *a, const char *b)
{
	char *m = NULL;
	if (asprintf(&m, "%s differs between %s and %s", what, a, b) < 0)
		abort();
	return m;
}

static char *same_file(const char *a, const char *b, const char *name)
{
	char *x = h_readf(a, name), *y = h_readf(b, name);
	int eq = x && y && !strcmp(x, y);
	free(x);
	free(y);
	return eq ? NULL : diff_msg(name, a, b);
}

/* Drops lines containing any of the keys. */
static void drop_lines(char *s, const char *const *keys)
{
	char *w = s;
	for (char *line = s; *line;) {
		char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) + 1 : strlen(line);
		int drop = 0;
		for (size_t k = 0; keys[k]; k++)
			if (memmem(line, n, keys[k], strlen(keys[k])))
				drop = 1;
		if (!drop) {
			memmove(w, line, n);
			w += n;
		}
		line += n;
	}
	*w = '\0';
}

/* Removes ,"wall":<number> from every line. */
static void drop_wall(char *s)
{
	char *w = s;
	for (char *p = s; *p;) {
		if (!strncmp(p, ",\"wall\":", 8)) {
			p += 8;
			while (*p && *p != ',' && *p != '}')
				p++;
			continue;
		}
		*w++ = *p++;
	}
	*w = '\0';
}

static char *same_arch(const char *a, const char *b, const char *name)
{
	char pa[4096], pb[4096];
	snprintf(pa, sizeof pa, "%s/%s", a, name);
	snprintf(pb, sizeof pb, "%s/%s", b, name);
	apnas_archfile x, y;
	apnas_error e;
	int ra = apnas_archfile_read(pa, &x, &e);
	int rb = apnas_archfile_read(pb, &y, &e);
	char *m = NULL;
	if (ra < 0 || rb < 0) {
		m = diff_msg(name, a, b);
	} else {
		int eq = !strcmp(x.body, y.body) &&
		         x.n_settings == y.n_settings;
		for (size_t i = 0; eq && i < x.n_settings; i++)
			eq = !strcmp(x.settings[i], y.settings[i]);
		if (!eq)
			m = diff_msg(name, a, b);
	}
	if (ra == 0)
		apnas_archfile_free(&x);
	if (rb == 0)
		apnas_archfile_free(&y);
	return m;
}

static char *same_sections(const char *a, const char *b)
{
	char pa[4096], pb[4096];
	snprintf(pa, sizeof pa, "%s/checkpoint/state.ckpt", a);
	snprintf(pb, sizeof pb, "%s/checkpoint/state.ckpt", b);
	apnas_ckpt x, y;
	apnas_error e;
	if (apnas_ckpt_read(pa, &x, &e) < 0)
		return diff_msg("checkpoint (unreadable)", a, b);
	if (apnas_ckpt_read(pb, &y, &e) < 0) {
		apnas_ckpt_free(&x);
		return diff_msg("checkpoint (unreadable)", a, b);
	}
	char *m = NULL;
	static const char *const tags[] = {"SPAC", "CTRL", "TRNB", "VALB"};
	for (size_t t = 0; !m && t < 4; t++) {
		const unsigned char *dx, *dy;
		size_t nx, ny;
		int hx = apnas_ckpt_get(&x, tags[t], &dx, &nx, &e) == 0;
		int hy = apnas_ckpt_get(&y, tags[t], &dy, &ny, &e) == 0;
		if (hx != hy || (hx && (nx != ny || memcmp(dx, dy, nx)))) {
			char what[64];
			snprintf(what, sizeof what, "checkpoint section %s",
			         tags[t]);
			m = diff_msg(what, a, b);
		}
	}
	apnas_ckpt_free(&x);
	apnas_ckpt_free(&y);
	return m;
}

/* epochs.csv without the timing columns (images_per_s .. sec_cost). */
static char *epochs_core(const char *dir)
{
	char *s = h_readf(dir, "epochs.csv");
	if (!s)
		return NULL;
	char *out = NULL;
	size_t olen = 0;
	FILE *o = open_memstream(&out, &olen);
	size_t pos = 0;
	char *f[32];
	int n;
	while ((n = h_csv_record(s, &pos, f, 32)) > 0) {
		for (int i = 0; i < n && i < 32; i++)
			if (i < 7 || i > 12)
				fprintf(o, "%s|", f[i]);
		fputc('\n', o);
		h_csv_free(f, n < 32 ? n : 32);
	}
	fclose(o);
	free(s);
	return out;
}

char *h_compare_runs(const char *a, const char *b)
{
	char *m;
	if ((m = same_file(a, b, "pareto.csv")) ||
	    (m = same_file(a, b, "candidates.csv")) ||
	    (m = same_arch(a, b, "best.arch")))
		return m;
	for (int i = 1; i <= 9; i++) {
		char name[32];
		snprintf(name, sizeof name, "top/%02d.arch", i);
		if (h_exists(a, name) != h_exists(b, name))
			return diff_msg(name, a, b);
		if (h_exists(a, name) && (m = same_arch(a, b, name)))
			return m;
	}
	static const char *const timing[] = {"\"wall_seconds\"",
	                                     "\"derive_seconds\"", NULL};
	char *x = h_readf(a, "summary.json"), *y = h_readf(b, "summary.json");
	if (!x || !y)
		m = diff_msg("summary.json (missing)", a, b);
	else {
		drop_lines(x, timing);
		drop_lines(y, timing);
		if (strcmp(x, y))
			m = diff_msg("summary.json", a, b);
	}
	free(x);
	free(y);
	if (m)
		return m;
	x = h_readf(a, "samples.jsonl");
	y = h_readf(b, "samples.jsonl");
	if (!x || !y)
		m = diff_msg("samples.jsonl (missing)", a, b);
	else {
		drop_wall(x);
		drop_wall(y);
		if (strcmp(x, y))
			m = diff_msg("samples.jsonl", a, b);
	}
	free(x);
	free(y);
	if (m)
		return m;
	x = epochs_core(a);
	y = epochs_core(b);
	if (!x || !y || strcmp(x, y))
		m = diff_msg("epochs.csv", a, b);
	free(x);
	free(y);
	if (m)
		return m;
	return same_sections(a, b);
}
