/* Plugin host: finds <kind>_<name>.so files along the search path, loads
 * them with dlopen and refuses, in one line each, anything that would
 * crash or misbehave later (wrong ABI, wrong kind, bad name, NULL required
 * ops, broken option table).  Never looks in the current directory: an
 * empty APNAS_PLUGIN_PATH entry is skipped, and every path handed to
 * dlopen contains a '/' so the dynamic linker never searches on its own. */
#include "host.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "apnas_paths.h"
#include "opts_internal.h"

const char *apnas_kind_name(apnas_kind k)
{
	switch (k) {
	case APNAS_KIND_SPACE: return "space";
	case APNAS_KIND_CONTROLLER: return "controller";
	case APNAS_KIND_REWARD: return "reward";
	case APNAS_KIND_COST: return "cost";
	}
	return "unknown";
}

/* ---- the search path -------------------------------------------------- */

typedef struct dirlist {
	char **v; /* owned strings */
	size_t n;
} dirlist;

static void dirlist_free(dirlist *d)
{
	for (size_t k = 0; k < d->n; k++)
		free(d->v[k]);
	free(d->v);
	d->v = NULL;
	d->n = 0;
}

static int dirlist_add(dirlist *d, const char *s, size_t len)
{
	if (len == 0)
		return 0; /* an empty entry would mean ".": never */
	char *cand = strndup(s, len);
	if (!cand)
		return APNAS_ENOMEM;
	/* The same directory spelt twice would list each plugin twice. */
	char real_c[PATH_MAX], real_k[PATH_MAX];
	int have_c = realpath(cand, real_c) != NULL;
	for (size_t k = 0; k < d->n; k++) {
		if (strcmp(d->v[k], cand) == 0 ||
		    (have_c && realpath(d->v[k], real_k) &&
		     strcmp(real_c, real_k) == 0)) {
			free(cand);
			return 0;
		}
	}
	free(cand);
	char **nv = realloc(d->v, (d->n + 1) * sizeof *nv);
	if (!nv)
		return APNAS_ENOMEM;
	d->v = nv;
	d->v[d->n] = strndup(s, len);
	if (!d->v[d->n])
		return APNAS_ENOMEM;
	d->n++;
	return 0;
}

/* $APNAS_PLUGIN_PATH, then the installed directory. */
static int search_dirs(dirlist *d)
{
	const char *env = getenv("APNAS_PLUGIN_PATH");
	while (env && *env) {
		const char *colon = strchr(env, ':');
		size_t len = colon ? (size_t)(colon - env) : strlen(env);
		if (dirlist_add(d, env, len))
			return APNAS_ENOMEM;
		env = colon ? colon + 1 : env + len;
	}
	return dirlist_add(d, APNAS_PLUGINDIR, strlen(APNAS_PLUGINDIR));
}

void apnas_host_search_path(char *buf, size_t cap)
{
	dirlist d = {NULL, 0};
	size_t used = 0;
	if (!cap)
		return;
	buf[0] = '\0';
	search_dirs(&d);
	for (size_t k = 0; k < d.n; k++) {
		int w = snprintf(buf + used, cap - used, "%s%s", k ? ":" : "",
		                 d.v[k]);
		if (w < 0 || (size_t)w >= cap - used)
			break;
		used += (size_t)w;
	}
	dirlist_free(&d);
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && !S_ISDIR(st.st_mode);
}

static char *join(const char *dir, const char *file)
{
	size_t n = strlen(dir) + strlen(file) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s%s%s", dir,
		         (*dir && dir[strlen(dir) - 1] == '/') ? "" : "/", file);
	return p;
}

/* A path dlopen takes as a file, never as a name to search for. */
static char *slashed(const char *path)
{
	if (strchr(path, '/'))
		return strdup(path);
	return join(".", path);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* ---- validation ------------------------------------------------------- */

static int refuse(apnas_error *err, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(apnas_error *err, const char *path, const char *fmt, ...)
{
	char tail[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tail, sizeof tail, fmt, ap);
	va_end(ap);
	return apnas_error_set(err, APNAS_EPLUGIN, "%s: %s", path, tail);
}

#define REQUIRE(ops, member)                                                \
	do {                                                                \
		if (!(ops)->member)                                         \
			return refuse(err, path,                            \
			              "%s '%s': required op '%s' is NULL", \
			              kn, d->name, #member);                \
	} while (0)

/* The size of each ops table at each minor of this major, frozen when the
 * minor is released: a table only grows at its end, so a plugin built for
 * minor m has at least the members of m, and the core asks APNAS_HAS_OP
 * before calling anything newer.  Never edit a released row; append one
 * per new minor. */
static const struct {
	uint32_t minor;
	size_t space, controller, reward, cost;
} abi_sizes[] = {
	/* 2.0: the first release of this major. */
	{ 0, sizeof(apnas_space_ops), sizeof(apnas_controller_ops),
	  sizeof(apnas_reward_ops), offsetof(apnas_cost_ops, describe) },
	/* 2.1: apnas_cost_ops.describe. */
	{ 1, sizeof(apnas_space_ops), sizeof(apnas_controller_ops),
	  sizeof(apnas_reward_ops), offsetof(apnas_cost_ops, hw_decisions) },
	/* 2.2: apnas_cost_ops.hw_decisions, APNAS_DECISION_CHOICE. */
	{ 2, sizeof(apnas_space_ops), sizeof(apnas_controller_ops),
	  sizeof(apnas_reward_ops), sizeof(apnas_cost_ops) },
};

size_t apnas_abi_ops_size(apnas_kind kind, uint32_t minor)
{
	for (size_t i = 0; i < sizeof abi_sizes / sizeof abi_sizes[0]; i++) {
		if (abi_sizes[i].minor != minor)
			continue;
		switch (kind) {
		case APNAS_KIND_SPACE: return abi_sizes[i].space;
		case APNAS_KIND_CONTROLLER: return abi_sizes[i].controller;
		case APNAS_KIND_REWARD: return abi_sizes[i].reward;
		case APNAS_KIND_COST: return abi_sizes[i].cost;
		}
	}
	return 0;
}

static int check_ops(const char *path, const apnas_plugin_desc *d,
                     apnas_error *err)
{
	const char *kn = apnas_kind_name(d->kind);
	size_t need = apnas_abi_ops_size(d->kind, d->abi_minor);
	if (!d->ops)
		return refuse(err, path, "%s '%s': ops table is NULL", kn,
		              d->name);
	if (need == 0 || d->ops_size < need)
		return refuse(err, path,
		              "%s '%s': ops table is %u bytes, ABI %u.%u needs "
		              "at least %zu: rebuild the plugin",
		              kn, d->name, d->ops_size, d->abi_major,
		              d->abi_minor, need);
	const apnas_common_ops *c = d->ops;
	REQUIRE(c, create);
	REQUIRE(c, destroy);
	switch (d->kind) {
	case APNAS_KIND_SPACE: {
		const apnas_space_ops *o = d->ops;
		REQUIRE(o, decisions);
		REQUIRE(o, format);
		REQUIRE(o, parse);
		REQUIRE(o, child_net);
		if (o->train_step) {
			const char *miss = !o->evaluate ? "evaluate"
			                 : !o->save ? "save"
			                 : !o->load ? "load" : NULL;
			if (miss)
				return refuse(err, path,
				              "space '%s': op '%s' is NULL but "
				              "train_step needs it",
				              d->name, miss);
		}
		if (!o->train_step && !o->score)
			return refuse(err, path,
			              "space '%s': neither train_step nor score "
			              "is set (a space provides one)", d->name);
		break;
	}
	case APNAS_KIND_CONTROLLER: {
		const apnas_controller_ops *o = d->ops;
		REQUIRE(o, sample);
		REQUIRE(o, update);
		REQUIRE(o, save);
		REQUIRE(o, load);
		REQUIRE(o, describe);
		break;
	}
	case APNAS_KIND_REWARD: {
		const apnas_reward_ops *o = d->ops;
		REQUIRE(o, reward);
		REQUIRE(o, front_metric);
		if (!o->reference != !o->resolve)
			return refuse(err, path,
			              "reward '%s': op '%s' is NULL but '%s' is "
			              "set (they go together)", d->name,
			              o->reference ? "resolve" : "reference",
			              o->reference ? "reference" : "resolve");
		break;
	}
	case APNAS_KIND_COST: {
		const apnas_cost_ops *o = d->ops;
		REQUIRE(o, metrics);
		REQUIRE(o, cost);
		break;
	}
	}
	return 0;
}

static int check_desc(const char *path, const apnas_plugin_desc *d,
                      apnas_kind expect, apnas_error *err)
{
	/* The first three members are fixed forever, so they can be read
	 * before knowing anything else about the descriptor. */
	if (d->abi_major != APNAS_ABI_MAJOR)
		return refuse(err, path,
		              "built for plugin ABI %u.%u, this apnas %s has "
		              "ABI %u.%u: rebuild the plugin against it",
		              d->abi_major, d->abi_minor, APNAS_VERSION,
		              APNAS_ABI_MAJOR, APNAS_ABI_MINOR);
	if (d->abi_minor > APNAS_ABI_MINOR)
		return refuse(err, path,
		              "built for plugin ABI %u.%u, newer than this "
		              "apnas %s (ABI %u.%u): upgrade apnas or rebuild "
		              "the plugin", d->abi_major, d->abi_minor,
		              APNAS_VERSION, APNAS_ABI_MAJOR, APNAS_ABI_MINOR);
	if (d->struct_size < sizeof(apnas_plugin_desc))
		return refuse(err, path,
		              "descriptor is %u bytes, ABI %u.%u needs %zu: "
		              "define it with APNAS_PLUGIN_DEFINE",
		              d->struct_size, APNAS_ABI_MAJOR, APNAS_ABI_MINOR,
		              sizeof(apnas_plugin_desc));
	if (d->kind < APNAS_KIND_SPACE || d->kind > APNAS_KIND_COST)
		return refuse(err, path, "unknown plugin kind %d",
		              (int)d->kind);
	if (expect && d->kind != expect)
		return refuse(err, path, "is a %s plugin, expected a %s plugin",
		              apnas_kind_name(d->kind), apnas_kind_name(expect));
	if (!apnas_valid_name(d->name))
		return refuse(err, path, "plugin name '%s' is not [a-z0-9_]+",
		              d->name ? d->name : "(null)");
	char want[300];
	snprintf(want, sizeof want, "%s_%s.so", apnas_kind_name(d->kind),
	         d->name);
	if (strcmp(base_name(path), want) != 0)
		return refuse(err, path,
		              "%s plugin '%s' must be in a file named %s",
		              apnas_kind_name(d->kind), d->name, want);
	if (!d->version || !d->summary)
		return refuse(err, path, "%s '%s': %s is NULL",
		              apnas_kind_name(d->kind), d->name,
		              !d->version ? "version" : "summary");
	int rc = check_ops(path, d, err);
	if (rc)
		return rc;
	if (d->options) {
		char what[300];
		snprintf(what, sizeof what, "%s '%s'", apnas_kind_name(d->kind),
		         d->name);
		rc = apnas_options_check_table(d->options, what, err);
		if (rc) {
			apnas_error_prefix(err, "%s", path);
			return APNAS_EPLUGIN;
		}
	}
	return 0;
}

int apnas_host_open_file(const char *path, apnas_kind expect_kind,
                         apnas_loaded *out, apnas_error *err)
{
	memset(out, 0, sizeof *out);
	char *p = slashed(path);
	if (!p)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	if (!is_file(p)) {
		int rc = refuse(err, path, "no such file");
		free(p);
		return rc;
	}
	dlerror();
	void *h = dlopen(p, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		int rc = apnas_error_set(err, APNAS_EPLUGIN,
		                         "cannot load plugin: %s",
		                         e ? e : path);
		free(p);
		return rc;
	}
	const apnas_plugin_desc *d = dlsym(h, APNAS_PLUGIN_SYMBOL);
	if (!d) {
		dlclose(h);
		int rc = refuse(err, path,
		                "no '%s' symbol: not an apnas plugin (define "
		                "one with APNAS_PLUGIN_DEFINE)",
		                APNAS_PLUGIN_SYMBOL);
		free(p);
		return rc;
	}
	int rc = check_desc(path, d, expect_kind, err);
	if (rc) {
		dlclose(h);
		free(p);
		return rc;
	}
	out->desc = d;
	out->handle = h;
	out->path = p;
	return 0;
}

void apnas_host_close(apnas_loaded *l)
{
	if (!l)
		return;
	if (l->handle)
		dlclose(l->handle);
	free(l->path);
	memset(l, 0, sizeof *l);
}

/* ---- finding by name -------------------------------------------------- */

struct names {
	char buf[700];
	size_t len;
	size_t n;
};

static int collect_name(const apnas_loaded *l, void *ud)
{
	struct names *nm = ud;
	if (nm->len < sizeof nm->buf - 1)
		nm->len += (size_t)snprintf(nm->buf + nm->len,
		                            sizeof nm->buf - nm->len, "%s%s",
		                            nm->n ? ", " : "", l->desc->name);
	if (nm->len >= sizeof nm->buf)
		nm->len = sizeof nm->buf - 1;
	nm->n++;
	return 0;
}

static void not_found(apnas_kind kind, const char *name, const dirlist *tried,
                      apnas_error *err)
{
	char dirs[600];
	size_t o = 0;
	dirs[0] = '\0';
	for (size_t k = 0; k < tried->n && o < sizeof dirs - 1; k++)
		o += (size_t)snprintf(dirs + o, sizeof dirs - o, "%s%s",
		                      k ? ", " : "", tried->v[k]);
	struct names nm;
	memset(&nm, 0, sizeof nm);
	apnas_error tmp;
	apnas_error_clear(&tmp);
	apnas_host_list(kind, collect_name, NULL, &nm, &tmp);
	const char *kn = apnas_kind_name(kind);
	if (nm.n)
		apnas_error_set(err, APNAS_EPLUGIN,
		                "no %s plugin '%s' (searched %s); %s plugins "
		                "found: %s", kn, name, dirs, kn, nm.buf);
	else
		apnas_error_set(err, APNAS_EPLUGIN,
		                "no %s plugin '%s' (searched %s); no %s plugins "
		                "found at all: set APNAS_PLUGIN_PATH", kn, name,
		                dirs, kn);
}

int apnas_host_open(apnas_kind kind, const char *name,
                    const char *explicit_path, apnas_loaded *out,
                    apnas_error *err)
{
	memset(out, 0, sizeof *out);
	if (kind < APNAS_KIND_SPACE || kind > APNAS_KIND_COST)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "unknown plugin kind %d", (int)kind);
	if (!apnas_valid_name(name))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "%s plugin name '%s' is not [a-z0-9_]+",
		                       apnas_kind_name(kind), name ? name : "");
	char file[300];
	snprintf(file, sizeof file, "%s_%s.so", apnas_kind_name(kind), name);
	dirlist tried = {NULL, 0};
	dirlist dirs = {NULL, 0};
	int rc = 0;
	if (explicit_path && *explicit_path) {
		if (!is_dir(explicit_path) && is_file(explicit_path)) {
			/* A file named explicitly is what the user wants, so
			 * its refusal is the answer (no fall-back). */
			rc = apnas_host_open_file(explicit_path, kind, out, err);
			if (!rc && strcmp(out->desc->name, name) != 0) {
				rc = refuse(err, explicit_path,
				            "holds %s plugin '%s', not '%s'",
				            apnas_kind_name(kind), out->desc->name,
				            name);
				apnas_host_close(out);
			}
			return rc;
		}
		if (dirlist_add(&dirs, explicit_path, strlen(explicit_path)))
			rc = APNAS_ENOMEM;
	}
	if (!rc && search_dirs(&dirs))
		rc = APNAS_ENOMEM;
	if (rc) {
		dirlist_free(&dirs);
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	}
	for (size_t k = 0; k < dirs.n; k++) {
		char *p = join(dirs.v[k], file);
		if (!p) {
			rc = apnas_error_set(err, APNAS_ENOMEM, "out of memory");
			break;
		}
		if (is_file(p)) {
			rc = apnas_host_open_file(p, kind, out, err);
			free(p);
			dirlist_free(&dirs);
			dirlist_free(&tried);
			return rc;
		}
		free(p);
		dirlist_add(&tried, dirs.v[k], strlen(dirs.v[k]));
	}
	if (!rc)
		not_found(kind, name, &tried, err);
	dirlist_free(&dirs);
	dirlist_free(&tried);
	return err ? err->code : APNAS_EPLUGIN;
}

/* ---- listing ---------------------------------------------------------- */

static apnas_kind kind_of_file(const char *fname)
{
	size_t l = strlen(fname);
	if (l < 4 || strcmp(fname + l - 3, ".so") != 0)
		return 0;
	for (int k = APNAS_KIND_SPACE; k <= APNAS_KIND_COST; k++) {
		const char *kn = apnas_kind_name((apnas_kind)k);
		size_t kl = strlen(kn);
		if (strncmp(fname, kn, kl) == 0 && fname[kl] == '_')
			return (apnas_kind)k;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Plugins already listed: "kind/name" -> the file that won. */
typedef struct seen {
	char **key;
	char **file;
	size_t n;
} seen;

static const char *seen_find(const seen *s, const char *key)
{
	for (size_t k = 0; k < s->n; k++)
		if (strcmp(s->key[k], key) == 0)
			return s->file[k];
	return NULL;
}

static int seen_add(seen *s, const char *key, const char *file)
{
	char **nk = realloc(s->key, (s->n + 1) * sizeof *nk);
	if (!nk)
		return APNAS_ENOMEM;
	s->key = nk;
	char **nf = realloc(s->file, (s->n + 1) * sizeof *nf);
	if (!nf)
		return APNAS_ENOMEM;
	s->file = nf;
	s->key[s->n] = strdup(key);
	s->file[s->n] = strdup(file);
	s->n++;
	return (s->key[s->n - 1] && s->file[s->n - 1]) ? 0 : APNAS_ENOMEM;
}

static void seen_free(seen *s)
{
	for (size_t k = 0; k < s->n; k++) {
		free(s->key[k]);
		free(s->file[k]);
	}
	free(s->key);
	free(s->file);
}

static int list_dir(const char *dir, apnas_kind kind,
                    int (*fn)(const apnas_loaded *l, void *ud),
                    void (*bad)(const char *path, const apnas_error *e,
                                void *ud),
                    void *ud, seen *s, apnas_error *err)
{
	DIR *dh = opendir(dir);
	if (!dh)
		return 0; /* an absent directory simply holds no plugins */
	char **names = NULL;
	size_t n = 0;
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(dh)) != NULL) {
		apnas_kind fk = kind_of_file(de->d_name);
		if (!fk || (kind && fk != kind))
			continue;
		char **nn = realloc(names, (n + 1) * sizeof *nn);
		if (!nn || !(nn[n] = strdup(de->d_name))) {
			names = nn ? nn : names;
			rc = apnas_error_set(err, APNAS_ENOMEM, "out of memory");
			break;
		}
		names = nn;
		n++;
	}
	closedir(dh);
	/* readdir order is the file system's: sort for reproducible output. */
	if (n)
		qsort(names, n, sizeof *names, cmp_str);
	for (size_t k = 0; k < n && !rc; k++) {
		char *p = join(dir, names[k]);
		if (!p) {
			rc = apnas_error_set(err, APNAS_ENOMEM, "out of memory");
			break;
		}
		apnas_loaded l;
		apnas_error e;
		apnas_error_clear(&e);
		if (apnas_host_open_file(p, kind_of_file(names[k]), &l, &e)) {
			if (bad)
				bad(p, &e, ud);
			free(p);
			continue;
		}
		char key[300];
		snprintf(key, sizeof key, "%s/%s", apnas_kind_name(l.desc->kind),
		         l.desc->name);
		const char *first = seen_find(s, key);
		if (first) {
			if (bad) {
				apnas_error_set(&e, APNAS_EPLUGIN,
				                "%s: duplicate %s plugin '%s', "
				                "already found in %s (the earlier "
				                "one in the search path is used)",
				                p, apnas_kind_name(l.desc->kind),
				                l.desc->name, first);
				bad(p, &e, ud);
			}
		} else {
			rc = seen_add(s, key, p);
			if (rc)
				apnas_error_set(err, APNAS_ENOMEM,
				                "out of memory");
			else
				rc = fn(&l, ud);
		}
		apnas_host_close(&l);
		free(p);
	}
	for (size_t k = 0; k < n; k++)
		free(names[k]);
	free(names);
	return rc;
}

int apnas_host_list(apnas_kind kind,
                    int (*fn)(const apnas_loaded *l, void *ud),
                    void (*bad)(const char *path, const apnas_error *e,
                                void *ud),
                    void *ud, apnas_error *err)
{
	dirlist dirs = {NULL, 0};
	if (search_dirs(&dirs)) {
		dirlist_free(&dirs);
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	}
	seen s = {NULL, NULL, 0};
	int rc = 0;
	for (size_t k = 0; k < dirs.n && !rc; k++)
		rc = list_dir(dirs.v[k], kind, fn, bad, ud, &s, err);
	seen_free(&s);
	dirlist_free(&dirs);
	return rc;
}
