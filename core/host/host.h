/* Plugin host: finds plugin files by kind and name, loads and validates
 * them, and creates instances.  Internal to libapnas (not installed).
 *
 * Search order for a plugin named N of kind K (file "K_N.so"):
 *   1. the explicit path given in the config (`path = "..."`: a file, or a
 *      directory holding K_N.so);
 *   2. each directory of $APNAS_PLUGIN_PATH (colon-separated);
 *   3. the installed plugin directory (APNAS_PLUGINDIR).
 * Never the current directory. */
#ifndef APNAS_CORE_HOST_H
#define APNAS_CORE_HOST_H

#include <apnas/plugin.h>

typedef struct apnas_loaded {
	const apnas_plugin_desc *desc; /* points into the loaded object */
	void *handle;                  /* dlopen handle; owned */
	char *path;                    /* file it was loaded from; owned */
} apnas_loaded;

/* Finds, loads and validates plugin `name` of `kind`.  explicit_path may
 * be NULL.  Every refusal is one line in err (APNAS_EPLUGIN). */
int apnas_host_open(apnas_kind kind, const char *name,
                    const char *explicit_path, apnas_loaded *out,
                    apnas_error *err);
/* Loads and validates one file; expect_kind 0 accepts any kind. */
int apnas_host_open_file(const char *path, apnas_kind expect_kind,
                         apnas_loaded *out, apnas_error *err);
void apnas_host_close(apnas_loaded *l);

/* Calls fn for every valid plugin file found in the search path (kind 0:
 * every kind), in search order; stops and returns fn's value if non-zero.
 * Files that fail validation are reported through bad (may be NULL). */
int apnas_host_list(apnas_kind kind,
                    int (*fn)(const apnas_loaded *l, void *ud),
                    void (*bad)(const char *path, const apnas_error *e,
                                void *ud),
                    void *ud, apnas_error *err);

/* The directories apnas_host_list searches, ':'-separated, into buf. */
void apnas_host_search_path(char *buf, size_t cap);

/* A created plugin instance with its resolved options. */
typedef struct apnas_instance {
	apnas_loaded lib;        /* owned */
	apnas_opts *opts;        /* owned */
	void *self;              /* the plugin's instance; owned */
	const void *ops;         /* == lib.desc->ops; cast per kind */
} apnas_instance;

/* The instance behind an SDK harness handle (<apnas/harness.h>), for the
 * core's own tests that hand it to internal code (the metric list). */
struct apnas_plugin_handle;
const apnas_instance *apnas_plugin_instance(
	const struct apnas_plugin_handle *h);

#endif
