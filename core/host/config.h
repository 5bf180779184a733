/* Run configuration: a libconfig file plus --set overrides, validated
 * against the core's and the plugins' option tables, every default filled
 * in.  Internal to libapnas.
 *
 * Groups: run, data, search (the core's own tables below) and space,
 * controller, reward, cost (one plugin each: `plugin = "name"` picks it,
 * optional `path = "..."` says where it lives, every other key is the
 * plugin's).  A plugin group that is absent from the file takes its
 * default plugin (space "enas_macro", controller "reinforce_lstm",
 * reward "accuracy", cost "systolic") with default options, but is only
 * loaded when a command asks for it. */
#ifndef APNAS_CORE_CONFIG_H
#define APNAS_CORE_CONFIG_H

#include <stdio.h>

#include <apnas/plugin.h>

#include "host.h"

/* The core groups' option tables, each in the part that reads it. */
extern const apnas_option apnas_run_options[];    /* core/run_options.c */
extern const apnas_option apnas_data_options[];   /* core/data/ */
extern const apnas_option apnas_search_options[]; /* core/search/ */
extern const apnas_option apnas_train_options[];  /* core/train_options.c */

typedef struct apnas_config apnas_config;

/* Parses `path` (NULL: an empty config) and applies `sets` ("group.key=
 * value", as --set gives them).  Validates the core groups at once; plugin
 * groups are validated when loaded.  Errors name file:line and key. */
int apnas_config_load(const char *path, const char *const *sets,
                      size_t nsets, apnas_config **out, apnas_error *err);
void apnas_config_free(apnas_config *c);

/* The file the config came from ("<command line>" if none); owned by c. */
const char *apnas_config_file(const apnas_config *c);

/* Resolved options of a core group ("run", "data", "search"). */
const apnas_opts *apnas_config_core(const apnas_config *c, const char *group);

/* 1 if the file or a --set names `group` (added in issue 2). */
int apnas_config_has_group(const apnas_config *c, const char *group);

/* The plugin chosen for `kind` (its default when the group is absent);
 * owned by c (added in issue 2). */
const char *apnas_config_plugin_name(const apnas_config *c, apnas_kind kind);

/* Loads the plugin of `kind` (once; later calls return the same), and
 * validates its group against the plugin's option table.  *lib and *opts
 * stay owned by c. */
int apnas_config_plugin(apnas_config *c, apnas_kind kind,
                        const apnas_loaded **lib, const apnas_opts **opts,
                        apnas_error *err);

/* Loads the plugin of `kind` and creates an instance with ctx fields
 * opts/seed/threads filled from the config; `data` and `decisions` are
 * taken from *extra if not NULL.  Destroy with apnas_instance_destroy. */
int apnas_config_instance(apnas_config *c, apnas_kind kind,
                          const apnas_plugin_ctx *extra,
                          apnas_instance *inst, apnas_error *err);
void apnas_instance_destroy(apnas_instance *inst);

/* Records a value the run resolved (e.g. reward.target from a reference
 * architecture) so that apnas_config_write shows it.  `value` is written
 * as in a config file. */
int apnas_config_note(apnas_config *c, const char *group, const char *key,
                      const char *value, apnas_error *err);

/* Writes the resolved config (every group loaded so far, every default
 * filled in, one help comment per key) as a libconfig file that
 * apnas_config_load reads back to the same values. */
int apnas_config_write(apnas_config *c, FILE *f, apnas_error *err);

#endif
