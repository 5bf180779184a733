/* Run configuration: reads a libconfig file, applies --set overrides,
 * refuses unknown groups and libconfig 1.5's silent traps, resolves the
 * core groups at once and each plugin group when its plugin is loaded,
 * creates plugin instances and writes the resolved config back.
 *
 * The libconfig tree is kept for the config's lifetime because plugin
 * groups are validated lazily (a command loads only the plugins it needs)
 * and because settings point into it for file:line. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "hw/textfile.h"
#include "opts_internal.h"
#include "util/levenshtein.h"
#include "util/threads.h"

#define N_GROUPS 8

static const char *const group_names[N_GROUPS] = {
	"run", "data", "space", "controller", "reward", "cost", "search",
	"train",
};

/* Core groups, in the order above (NULL for plugin groups). */
static const apnas_option *core_table(const char *g)
{
	if (!strcmp(g, "run"))
		return apnas_run_options;
	if (!strcmp(g, "data"))
		return apnas_data_options;
	if (!strcmp(g, "search"))
		return apnas_search_options;
	if (!strcmp(g, "train"))
		return apnas_train_options;
	return NULL;
}

static apnas_kind group_kind(const char *g)
{
	for (int k = APNAS_KIND_SPACE; k <= APNAS_KIND_COST; k++)
		if (!strcmp(g, apnas_kind_name((apnas_kind)k)))
			return (apnas_kind)k;
	return 0;
}

static const char *default_plugin(apnas_kind k)
{
	switch (k) {
	case APNAS_KIND_SPACE: return "enas_macro";
	case APNAS_KIND_CONTROLLER: return "reinforce_lstm";
	case APNAS_KIND_REWARD: return "accuracy";
	case APNAS_KIND_COST: return "systolic";
	}
	return "";
}

/* A value the run resolved for a key its group's table lacks. */
typedef struct note {
	char *key;   /* owned */
	char *value; /* owned, as in a config file */
} note;

typedef struct group_state {
	apnas_opts *opts; /* owned; NULL until resolved */
	note *notes;      /* owned */
	size_t n_notes;
	/* plugin groups only */
	char *plugin;     /* owned: the chosen plugin's name */
	char *path;       /* owned: explicit path or NULL */
	char where[600];  /* "file:line: " of the choice, or "" */
	int loaded;
	apnas_loaded lib; /* owned once loaded */
} group_state;

struct apnas_config {
	char *file;               /* owned */
	config_t cfg;             /* the parsed tree plus --set overrides */
	group_state g[N_GROUPS];  /* indexed like group_names */
};

static int group_index(const char *name)
{
	for (int k = 0; k < N_GROUPS; k++)
		if (!strcmp(group_names[k], name))
			return k;
	return -1;
}

static int kind_index(apnas_kind kind)
{
	return group_index(apnas_kind_name(kind));
}

const char *apnas_config_file(const apnas_config *c)
{
	return c->file;
}

/* ---- libconfig 1.5 traps ---------------------------------------------
 * Integers wrap silently: a decimal or hex literal past 2^31-1 without L
 * is cut to 32 bits, one with L past 2^63-1 saturates or turns negative.
 * "\x00" in a string and a NUL byte in the file cut the string short.
 * Every file @include'd is read by libconfig too, so it is scanned the
 * same way before libconfig sees it. */

#define INCLUDE_DEPTH_MAX 10 /* libconfig's own limit */

static int scan_fail(apnas_error *err, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int scan_fail(apnas_error *err, int line, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	apnas_error_set(err, APNAS_EINVAL, "%s", msg);
	if (err)
		err->line = line;
	return APNAS_EINVAL;
}

/* The digits start..p of an integer literal: hex when hex, followed by L
 * when l64.  0 when libconfig keeps its value, else the refusal. */
static int check_int(const char *start, const char *p, int hex, int l64,
                     int neg, const char *file, int line, apnas_error *err)
{
	/* messages show the literal as written, 0x included */
	const char *lit = hex ? start - 2 : start;
	int len = (int)(p - lit);
	const char *sg = neg ? "-" : "";
	errno = 0;
	unsigned long long v = strtoull(start, NULL, hex ? 16 : 10);
	int range = errno == ERANGE;
	if (l64) {
		/* a negative hex literal is libconfig's syntax error anyway */
		unsigned long long lim = neg && !hex ? 9223372036854775808ULL
		                                     : 9223372036854775807ULL;
		if (range || v > lim)
			return scan_fail(err, line, "%s:%d: integer %s%.*sL is "
			                 "outside 64 bits (libconfig would "
			                 "change it)", file, line, sg, len, lit);
		return 0;
	}
	unsigned long long lim = neg && !hex ? 2147483648ULL : 2147483647ULL;
	if (range || v > lim)
		return scan_fail(err, line, "%s:%d: integer %s%.*s is outside "
		                 "32 bits: write it as %s%.*sL (libconfig would "
		                 "wrap it)", file, line, sg, len, lit, sg, len,
		                 lit);
	return 0;
}

static int scan_file(const char *path, const char *from, int from_line,
                     int depth, apnas_error *err);

/* `@include "name"` at p: scans the named file (libconfig resolves it
 * against the working directory: no include_dir is set). */
static int scan_include(const char **pp, const char *file, int line,
                        int depth, apnas_error *err)
{
	const char *p = *pp + strlen("@include");
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '"')
		return 0; /* libconfig reports the syntax error */
	const char *b = ++p;
	while (*p && *p != '"' && *p != '\n')
		p++;
	if (*p != '"')
		return 0;
	size_t n = (size_t)(p - b);
	char name[4096];
	if (n >= sizeof name)
		return scan_fail(err, line, "%s:%d: @include name of %zu "
		                 "characters, at most %zu", file, line, n,
		                 sizeof name - 1);
	memcpy(name, b, n);
	name[n] = '\0';
	*pp = p + 1;
	return scan_file(name, file, line, depth + 1, err);
}

static int scan_text(const char *text, size_t len, const char *file,
                     int line0, int depth, apnas_error *err)
{
	int line = line0;
	const char *p = text;
	const char *nul = memchr(text, '\0', len);
	if (nul) {
		for (const char *c = text; c < nul; c++)
			line += *c == '\n';
		return scan_fail(err, line, "%s:%d: NUL byte in the text "
		                 "(libconfig would stop reading there)", file,
		                 line);
	}
	while (*p) {
		char ch = *p;
		if (ch == '\n') {
			line++;
			p++;
		} else if (ch == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && (p[1] == 'x' || p[1] == 'X') &&
				    p[2] == '0' && p[3] == '0')
					return scan_fail(err, line, "%s:%d: "
						"\"\\x00\" in a string "
						"(libconfig would drop it): a "
						"string cannot hold a NUL",
						file, line);
				if (*p == '\\' && p[1])
					p++;
				else if (*p == '\n')
					line++;
			}
			if (*p)
				p++;
		} else if (ch == '#' || (ch == '/' && p[1] == '/')) {
			while (*p && *p != '\n')
				p++;
		} else if (ch == '/' && p[1] == '*') {
			for (p += 2; *p && !(*p == '*' && p[1] == '/'); p++)
				if (*p == '\n')
					line++;
			if (*p)
				p += 2;
		} else if (ch == '@' && !strncmp(p, "@include", 8)) {
			if (depth >= INCLUDE_DEPTH_MAX)
				return scan_fail(err, line, "%s:%d: @include "
				                 "nested deeper than %d", file,
				                 line, INCLUDE_DEPTH_MAX);
			const char *q = p;
			int rc = scan_include(&q, file, line, depth, err);
			if (rc)
				return rc;
			p = q == p ? p + 8 : q;
		} else if (isalpha((unsigned char)ch) || ch == '_') {
			while (isalnum((unsigned char)*p) || *p == '_' ||
			       *p == '-' || *p == '*')
				p++;
		} else if (isdigit((unsigned char)ch)) {
			const char *start = p;
			int neg = start > text && start[-1] == '-';
			int hex = ch == '0' && (p[1] == 'x' || p[1] == 'X');
			if (hex) {
				const char *d = p + 2;
				for (p = d; isxdigit((unsigned char)*p); p++)
					;
				int l64 = *p == 'L';
				int rc = check_int(d, p, 1, l64, neg, file, line,
				                   err);
				if (rc)
					return rc;
				p += l64;
				continue;
			}
			while (isdigit((unsigned char)*p))
				p++;
			if (*p == '.' || *p == 'e' || *p == 'E') {
				/* a float: skip its fraction and exponent */
				while (isdigit((unsigned char)*p) || *p == '.' ||
				       *p == 'e' || *p == 'E' ||
				       ((*p == '+' || *p == '-') &&
				        (p[-1] == 'e' || p[-1] == 'E')))
					p++;
				continue;
			}
			int l64 = *p == 'L';
			int rc = check_int(start, p, 0, l64, neg, file, line,
			                   err);
			if (rc)
				return rc;
			p += l64;
		} else {
			p++;
		}
	}
	return 0;
}

static int scan_file(const char *path, const char *from, int from_line,
                     int depth, apnas_error *err)
{
	char *text = NULL;
	size_t len = 0;
	struct stat st;
	/* an included device or pipe (/dev/stdin) would block the run */
	if (from && stat(path, &st) != 0)
		return scan_fail(err, from_line, "%s:%d: @include \"%s\": %s",
		                 from, from_line, path, strerror(errno));
	if (from && !S_ISREG(st.st_mode))
		return scan_fail(err, from_line, "%s:%d: @include \"%s\": not "
		                 "a regular file", from, from_line, path);
	int rc = apnas_text_read(path, APNAS_CONFIG_MAX_BYTES, &text, &len,
	                         err);
	if (rc) {
		if (from)
			apnas_error_prefix(err, "%s:%d: @include", from,
			                   from_line);
		else
			apnas_error_prefix(err, "config");
		if (err)
			err->line = from_line;
		return APNAS_EINVAL;
	}
	rc = scan_text(text, len, path, 1, depth, err);
	free(text);
	return rc;
}

static int scan_big_ints(const char *text, const char *file, int line0,
                         apnas_error *err)
{
	return scan_text(text, strlen(text), file, line0, 0, err);
}

/* ---- loading ---------------------------------------------------------- */

static void where_of(char *buf, size_t cap, const config_setting_t *s,
                     const char *group, const char *key)
{
	buf[0] = '\0';
	if (!s)
		return;
	if (config_setting_source_file(s) && config_setting_source_line(s))
		snprintf(buf, cap, "%s:%u: ", config_setting_source_file(s),
		         config_setting_source_line(s));
	else
		snprintf(buf, cap, "--set %s.%s: ", group, key);
}

static int line_of(const config_setting_t *s)
{
	return s && config_setting_source_file(s) ?
		(int)config_setting_source_line(s) : 0;
}

static int unknown_group(const char *name, const char *loc, int line,
                         apnas_error *err)
{
	const char *near = apnas_nearest(name, group_names, N_GROUPS);
	char hint[80] = "";
	if (near)
		snprintf(hint, sizeof hint, " (did you mean '%s'?)", near);
	apnas_error_set(err, APNAS_EINVAL,
	                "%sunknown group '%s'%s; groups are run, data, space, "
	                "controller, reward, cost, search",
	                loc, name, hint);
	if (err)
		err->line = line;
	return APNAS_EINVAL;
}

static int check_top(apnas_config *c, apnas_error *err)
{
	config_setting_t *root = config_root_setting(&c->cfg);
	for (int k = 0; k < config_setting_length(root); k++) {
		config_setting_t *s = config_setting_get_elem(root, (unsigned)k);
		const char *name = config_setting_name(s);
		char loc[600];
		snprintf(loc, sizeof loc, "%s:%d: ", c->file, line_of(s));
		if (group_index(name) < 0)
			return unknown_group(name, loc, line_of(s), err);
		if (!config_setting_is_group(s)) {
			apnas_error_set(err, APNAS_EINVAL,
			                "%s'%s' must be a group: %s = { ... };",
			                loc, name, name);
			if (err)
				err->line = line_of(s);
			return APNAS_EINVAL;
		}
	}
	return 0;
}

static int apply_set(apnas_config *c, const char *set, apnas_error *err)
{
	const char *dot = strchr(set, '.');
	const char *eq = strchr(set, '=');
	if (!dot || !eq || dot > eq)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "--set %s: expected group.key=value", set);
	char group[64], key[128];
	size_t gl = (size_t)(dot - set), kl = (size_t)(eq - dot - 1);
	if (gl == 0 || gl >= sizeof group || kl == 0 || kl >= sizeof key)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "--set %s: expected group.key=value", set);
	memcpy(group, set, gl);
	group[gl] = '\0';
	memcpy(key, dot + 1, kl);
	key[kl] = '\0';
	char loc[200];
	snprintf(loc, sizeof loc, "--set %s: ", set);
	if (group_index(group) < 0)
		return unknown_group(group, loc, 0, err);
	if (!apnas_valid_name(key))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "--set %s: key '%s' is not [a-z0-9_]+",
		                       set, key);
	const char *val = eq + 1;
	char what[200];
	snprintf(what, sizeof what, "--set %s.%s", group, key);
	int rc = scan_big_ints(val, what, 1, err);
	if (rc) {
		/* the scanner's "file:line" is meaningless for a --set */
		char *colon = strstr(err->msg, ":1: ");
		if (colon)
			memmove(colon, colon + 2, strlen(colon + 2) + 1);
		err->line = 0;
		return rc;
	}
	config_setting_t *root = config_root_setting(&c->cfg);
	config_setting_t *g = config_setting_get_member(root, group);
	if (!g)
		g = config_setting_add(root, group, CONFIG_TYPE_GROUP);
	if (!g)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	rc = apnas_cfg_set_text(g, key, val, err);
	if (rc)
		apnas_error_prefix(err, "--set %s", set);
	return rc;
}

static int string_member(const config_setting_t *g, const char *group,
                         const char *key, char **out, char *where,
                         size_t wcap, apnas_error *err)
{
	*out = NULL;
	const config_setting_t *s = config_setting_get_member(g, key);
	if (!s)
		return 0;
	where_of(where, wcap, s, group, key);
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		apnas_error_set(err, APNAS_EINVAL,
		                "%s%s: key '%s' must be a string (%s = \"...\";)",
		                where, group, key, key);
		if (err)
			err->line = line_of(s);
		return APNAS_EINVAL;
	}
	*out = strdup(config_setting_get_string(s));
	return *out ? 0 : apnas_error_set(err, APNAS_ENOMEM, "out of memory");
}

static int read_plugin_group(apnas_config *c, int gi, apnas_error *err)
{
	group_state *gs = &c->g[gi];
	const char *gname = group_names[gi];
	const config_setting_t *g =
		config_setting_get_member(config_root_setting(&c->cfg), gname);
	gs->where[0] = '\0';
	if (g) {
		char pathwhere[600];
		int rc = string_member(g, gname, "plugin", &gs->plugin,
		                       gs->where, sizeof gs->where, err);
		if (!rc)
			rc = string_member(g, gname, "path", &gs->path,
			                   pathwhere, sizeof pathwhere, err);
		if (rc)
			return rc;
		if (gs->plugin && !apnas_valid_name(gs->plugin)) {
			apnas_error_set(err, APNAS_EINVAL,
			                "%s%s: plugin name '%s' is not "
			                "[a-z0-9_]+", gs->where, gname,
			                gs->plugin);
			if (err)
				err->line = line_of(config_setting_get_member(
					g, "plugin"));
			return APNAS_EINVAL;
		}
		if (!gs->plugin && config_setting_source_file(g) &&
		    config_setting_source_line(g))
			snprintf(gs->where, sizeof gs->where, "%s:%u: ",
			         config_setting_source_file(g),
			         config_setting_source_line(g));
	}
	if (!gs->plugin) {
		gs->plugin = strdup(default_plugin(group_kind(gname)));
		if (!gs->plugin)
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "out of memory");
	}
	return 0;
}

int apnas_config_load(const char *path, const char *const *sets,
                      size_t nsets, apnas_config **out, apnas_error *err)
{
	*out = NULL;
	apnas_config *c = calloc(1, sizeof *c);
	if (!c)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	config_init(&c->cfg);
	config_set_auto_convert(&c->cfg, 1);
	c->file = strdup(path ? path : "<command line>");
	int rc = c->file ? 0 : apnas_error_set(err, APNAS_ENOMEM,
	                                       "out of memory");
	if (!rc && path) {
		FILE *probe = fopen(path, "rb");
		if (!probe)
			rc = apnas_error_set(err, APNAS_EINVAL,
			                     "cannot read config %s: %s", path,
			                     strerror(errno));
		else
			fclose(probe);
		if (!rc)
			rc = scan_file(path, NULL, 0, 0, err);
		if (!rc && config_read_file(&c->cfg, path) != CONFIG_TRUE) {
			if (config_error_type(&c->cfg) == CONFIG_ERR_FILE_IO) {
				rc = apnas_error_set(err, APNAS_EINVAL,
				                     "cannot read config %s: %s",
				                     path, strerror(errno));
			} else {
				const char *ef = config_error_file(&c->cfg);
				rc = apnas_error_set(err, APNAS_EINVAL,
				                     "%s:%d: %s", ef ? ef : path,
				                     config_error_line(&c->cfg),
				                     config_error_text(&c->cfg));
				if (err)
					err->line = config_error_line(&c->cfg);
			}
		}
	}
	if (!rc)
		rc = check_top(c, err);
	for (size_t k = 0; k < nsets && !rc; k++)
		rc = apply_set(c, sets[k], err);
	config_setting_t *root = config_root_setting(&c->cfg);
	for (int gi = 0; gi < N_GROUPS && !rc; gi++) {
		const char *gname = group_names[gi];
		const apnas_option *t = core_table(gname);
		const config_setting_t *g = config_setting_get_member(root, gname);
		if (t)
			rc = apnas_opts_resolve(t, gname, g, gname, NULL,
			                        &c->g[gi].opts, err);
		else
			rc = read_plugin_group(c, gi, err);
	}
	if (rc) {
		apnas_config_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void apnas_config_free(apnas_config *c)
{
	if (!c)
		return;
	for (int gi = 0; gi < N_GROUPS; gi++) {
		group_state *gs = &c->g[gi];
		apnas_opts_free(gs->opts);
		for (size_t k = 0; k < gs->n_notes; k++) {
			free(gs->notes[k].key);
			free(gs->notes[k].value);
		}
		free(gs->notes);
		free(gs->plugin);
		free(gs->path);
		if (gs->loaded)
			apnas_host_close(&gs->lib);
	}
	config_destroy(&c->cfg);
	free(c->file);
	free(c);
}

const apnas_opts *apnas_config_core(const apnas_config *c, const char *group)
{
	int gi = group_index(group);
	if (gi < 0 || !core_table(group)) {
		fprintf(stderr, "apnas: internal error: apnas_config_core: "
		        "'%s' is not a core group\n", group);
		abort();
	}
	return c->g[gi].opts;
}

int apnas_config_has_group(const apnas_config *c, const char *group)
{
	return config_setting_get_member(config_root_setting(&c->cfg),
	                                 group) != NULL;
}

const char *apnas_config_plugin_name(const apnas_config *c, apnas_kind kind)
{
	int gi = kind_index(kind);
	return gi < 0 ? NULL : c->g[gi].plugin;
}

int apnas_config_plugin(apnas_config *c, apnas_kind kind,
                        const apnas_loaded **lib, const apnas_opts **opts,
                        apnas_error *err)
{
	int gi = kind_index(kind);
	if (gi < 0)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "unknown plugin kind %d", (int)kind);
	group_state *gs = &c->g[gi];
	if (!gs->loaded) {
		int rc = apnas_host_open(kind, gs->plugin, gs->path, &gs->lib,
		                         err);
		if (rc) {
			if (gs->where[0]) {
				char w[600];
				snprintf(w, sizeof w, "%s", gs->where);
				w[strlen(w) - 2] = '\0'; /* drop ": " */
				apnas_error_prefix(err, "%s", w);
			} else {
				apnas_error_prefix(err, "the default %s plugin",
				                   group_names[gi]);
			}
			return rc;
		}
		char what[300];
		snprintf(what, sizeof what, "%s '%s'", group_names[gi],
		         gs->plugin);
		static const char *const skip[] = {"plugin", "path", NULL};
		const config_setting_t *g = config_setting_get_member(
			config_root_setting(&c->cfg), group_names[gi]);
		rc = apnas_opts_resolve(gs->lib.desc->options, what, g,
		                        group_names[gi], skip, &gs->opts, err);
		if (rc) {
			apnas_host_close(&gs->lib);
			return rc;
		}
		gs->loaded = 1;
	}
	if (lib)
		*lib = &gs->lib;
	if (opts)
		*opts = gs->opts;
	return 0;
}

/* What the run will use (util/threads.h), so plugins see the count the
 * engine runs with. */
static int32_t run_threads(const apnas_config *c)
{
	return apnas_threads_resolve((int)apnas_opts_int(
		apnas_config_core(c, "run"), "threads"));
}

int apnas_config_instance(apnas_config *c, apnas_kind kind,
                          const apnas_plugin_ctx *extra,
                          apnas_instance *inst, apnas_error *err)
{
	memset(inst, 0, sizeof *inst);
	const apnas_loaded *lib;
	const apnas_opts *opts;
	int rc = apnas_config_plugin(c, kind, &lib, &opts, err);
	if (rc)
		return rc;
	/* The instance holds its own handle and options so it may outlive
	 * the config. */
	rc = apnas_host_open_file(lib->path, kind, &inst->lib, err);
	if (rc)
		return rc;
	if (apnas_opts_clone(opts, &inst->opts)) {
		apnas_host_close(&inst->lib);
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	}
	apnas_plugin_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.opts = inst->opts;
	ctx.seed = (uint64_t)apnas_opts_int(apnas_config_core(c, "run"),
	                                    "seed");
	ctx.threads = run_threads(c);
	if (extra) {
		ctx.data = extra->data;
		ctx.decisions = extra->decisions;
		ctx.n_decisions = extra->n_decisions;
		ctx.metrics = extra->metrics;
		ctx.n_metrics = extra->n_metrics;
		ctx.coll = extra->coll;
	}
	inst->ops = inst->lib.desc->ops;
	const apnas_common_ops *ops = inst->ops;
	apnas_error perr;
	apnas_error_clear(&perr);
	void *self = NULL;
	rc = ops->create(&ctx, &self, &perr);
	if (rc != 0) {
		const char *kn = apnas_kind_name(kind);
		const char *name = inst->lib.desc->name;
		if (perr.msg[0])
			apnas_error_set(err, rc < 0 ? rc : APNAS_EPLUGIN,
			                "%s '%s': %s", kn, name, perr.msg);
		else
			apnas_error_set(err, rc < 0 ? rc : APNAS_EPLUGIN,
			                "%s '%s': create failed (code %d) "
			                "without saying why", kn, name, rc);
		if (err)
			err->line = perr.line;
		apnas_opts_free(inst->opts);
		apnas_host_close(&inst->lib);
		memset(inst, 0, sizeof *inst);
		return err ? err->code : APNAS_EPLUGIN;
	}
	inst->self = self;
	return 0;
}

void apnas_instance_destroy(apnas_instance *inst)
{
	if (!inst)
		return;
	if (inst->ops && inst->self)
		((const apnas_common_ops *)inst->ops)->destroy(inst->self);
	apnas_opts_free(inst->opts);
	apnas_host_close(&inst->lib);
	memset(inst, 0, sizeof *inst);
}

int apnas_config_note(apnas_config *c, const char *group, const char *key,
                      const char *value, apnas_error *err)
{
	int gi = group_index(group);
	if (gi < 0)
		return unknown_group(group, "", 0, err);
	group_state *gs = &c->g[gi];
	if (!gs->opts)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "config note %s.%s: the %s plugin is not "
		                       "loaded", group, key, group);
	if (apnas_opts_has(gs->opts, key))
		return apnas_opts_set_text(gs->opts, key, value, err);
	for (size_t k = 0; k < gs->n_notes; k++) {
		if (!strcmp(gs->notes[k].key, key)) {
			char *v = strdup(value);
			if (!v)
				return apnas_error_set(err, APNAS_ENOMEM,
				                       "out of memory");
			free(gs->notes[k].value);
			gs->notes[k].value = v;
			return 0;
		}
	}
	note *nn = realloc(gs->notes, (gs->n_notes + 1) * sizeof *nn);
	if (!nn)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	gs->notes = nn;
	nn[gs->n_notes].key = strdup(key);
	nn[gs->n_notes].value = strdup(value);
	gs->n_notes++;
	if (!nn[gs->n_notes - 1].key || !nn[gs->n_notes - 1].value)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	return 0;
}

/* ---- writing ---------------------------------------------------------- */

static void write_opts(FILE *f, const apnas_opts *o)
{
	const apnas_option *t = apnas_opts_table(o);
	for (size_t k = 0; t && t[k].key; k++) {
		int need = apnas_opts_text(o, t[k].key, NULL, 0);
		char *buf = malloc((size_t)need + 1);
		if (!buf)
			continue; /* ferror-free but incomplete: caught below */
		apnas_opts_text(o, t[k].key, buf, (size_t)need + 1);
		fprintf(f, "  # %s (%s)\n  %s = %s;\n", t[k].help,
		        apnas_opt_type_name(t[k].type), t[k].key, buf);
		free(buf);
	}
}

int apnas_config_write(apnas_config *c, FILE *f, apnas_error *err)
{
	fprintf(f, "# apnas %s: resolved config of %s (every default filled "
	        "in)\n", APNAS_VERSION, c->file);
	for (int gi = 0; gi < N_GROUPS; gi++) {
		group_state *gs = &c->g[gi];
		int core = core_table(group_names[gi]) != NULL;
		if (!core && !gs->loaded)
			continue;
		fprintf(f, "\n%s = {\n", group_names[gi]);
		if (!core) {
			fprintf(f, "  # %s %s: %s\n", gs->lib.desc->name,
			        gs->lib.desc->version, gs->lib.desc->summary);
			fprintf(f, "  plugin = ");
			apnas_cfg_write_string(f, gs->plugin);
			fprintf(f, ";\n");
			if (gs->path) {
				fprintf(f, "  path = ");
				apnas_cfg_write_string(f, gs->path);
				fprintf(f, ";\n");
			}
		}
		write_opts(f, gs->opts);
		for (size_t k = 0; k < gs->n_notes; k++)
			fprintf(f, "  # resolved by the run: %s = %s\n",
			        gs->notes[k].key, gs->notes[k].value);
		fprintf(f, "};\n");
	}
	if (fflush(f) != 0 || ferror(f))
		return apnas_error_set(err, APNAS_EIO,
		                       "writing the resolved config: %s",
		                       strerror(errno));
	return 0;
}
