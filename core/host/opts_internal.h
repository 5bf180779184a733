/* What the core (config, host, CLI) needs from options beyond the public
 * getters: resolving a libconfig group against a table, checking a
 * plugin's table at load, and small libconfig helpers.  Internal to
 * libapnas. */
#ifndef APNAS_CORE_OPTS_INTERNAL_H
#define APNAS_CORE_OPTS_INTERNAL_H

#include <stdio.h>

#include <libconfig.h>

#include <apnas/options.h>

/* A config file, each file it @includes and an architecture file are
 * refused past this size before they are read whole (docs/limits.md). */
#define APNAS_CONFIG_MAX_BYTES (1u << 20)

/* "bool", "int", "float", "string", "list of ints", "list of strings". */
const char *apnas_opt_type_name(apnas_opt_type t);

/* Resolves `group` (a libconfig group; NULL: empty) against `table`.
 * `what` names the group in messages ("controller 'evolution'", "run").
 * Keys listed in `skip` (NULL-terminated, may be NULL) are ignored: the
 * plugin groups' `plugin` and `path`.  A setting with no source file
 * (added by --set) is located as "--set <set_group>.<key>" when set_group
 * is not NULL.  Errors: "<file>:<line>: <what>: ..." with err->line set. */
int apnas_opts_resolve(const apnas_option *table, const char *what,
                       const config_setting_t *group, const char *set_group,
                       const char *const *skip, apnas_opts **out,
                       apnas_error *err);

/* Deep copy (the table pointer is shared). */
int apnas_opts_clone(const apnas_opts *o, apnas_opts **out);

/* Replaces key's value by `text` (written as in a config file), validated
 * like a config value.  APNAS_EINVAL if the key is not in the table. */
int apnas_opts_set_text(apnas_opts *o, const char *key, const char *text,
                        apnas_error *err);

/* 1 if `key` is in the table. */
int apnas_opts_has(const apnas_opts *o, const char *key);

/* A table's own sanity, checked when a plugin loads: keys [a-z0-9_]+,
 * unique, not "plugin"/"path", known types, help present, choices only on
 * string types, every default valid against its own type, range and
 * choices.  A bad table is the plugin author's bug. */
int apnas_options_check_table(const apnas_option *table, const char *what,
                              apnas_error *err);

/* 1 if s is a non-empty [a-z0-9_]+ word. */
int apnas_valid_name(const char *s);

/* Sets member `key` of `group` to the value written in `text` as in a
 * config file, replacing an existing one.  Text that does not parse as a
 * libconfig value is taken as a string (a bare word: dataflow=ws). */
int apnas_cfg_set_text(config_setting_t *group, const char *key,
                       const char *text, apnas_error *err);

/* Copies src (any type, recursively) as member `name` of parent (a group;
 * name ignored for lists and arrays).  NULL on failure. */
config_setting_t *apnas_cfg_copy(config_setting_t *parent, const char *name,
                                 const config_setting_t *src);

/* Writes s as a libconfig string literal, quotes included. */
void apnas_cfg_write_string(FILE *f, const char *s);

/* Formats a double so that it reads back bit-identical and libconfig
 * reads it as a float ("0.5", "1e-05", "2.0"). */
void apnas_fmt_double(char *buf, size_t cap, double x);

/* A range bound as its type reads it: ints without a fraction (the
 * int64 extremes exactly), floats in their shortest exact form. */
void apnas_fmt_bound(char *buf, size_t cap, apnas_opt_type t, double x);

#endif
