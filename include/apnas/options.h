/* Declarative option tables and the resolved option values plugins read.
 *
 * Every plugin (and every core group: run, data, search) declares its
 * options as a table of apnas_option, ended by an entry with key == NULL.
 * The core reads the config group, applies --set overrides, refuses unknown
 * keys (with the nearest valid key), wrong types and out-of-range values,
 * fills in defaults, and hands the plugin an apnas_opts it reads with the
 * getters below.  A getter on a key the table declares never fails, so a
 * plugin needs no error path for reading its own options. */
#ifndef APNAS_OPTIONS_H
#define APNAS_OPTIONS_H

#include "api.h"

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum apnas_opt_type {
	APNAS_OPT_BOOL = 1,
	APNAS_OPT_INT,         /* 64-bit integer; min/max inclusive */
	APNAS_OPT_FLOAT,       /* double; min/max inclusive; ints accepted */
	APNAS_OPT_STRING,      /* any string; `choices` restricts it if set */
	APNAS_OPT_INT_LIST,    /* libconfig array or list of ints; each in min..max */
	APNAS_OPT_STRING_LIST, /* list of strings; each in `choices` if set */
	APNAS_OPT_FLOAT_LIST   /* list of floats (ints accepted); each in min..max */
} apnas_opt_type;

typedef struct apnas_option {
	const char *key;     /* [a-z0-9_]+; NULL ends the table */
	apnas_opt_type type;
	const char *def;     /* default, written as in a config file: "32",
	                        "0.5", "true", "\"os\"", "[1, 2]", "[\"a\"]";
	                        NULL means the key is required */
	double min, max;     /* range for INT, FLOAT and list elements; ignored
	                        when min > max (use 1, 0 for "no range") */
	const char *choices; /* STRING / STRING_LIST: "os|ws|is", or NULL */
	const char *help;    /* one line for `config show` and the reference */
	uint32_t flags;      /* APNAS_OPT_* flags below; 0 for none */
} apnas_option;

/* A space option of the training recipe (learning rate schedule, dropout,
 * weight decay, ...) rather than of the network.  An architecture file
 * records the space's options in its header; on reading it back, options
 * without this flag define the network and override the config's, while
 * the recipe ones are kept only as a comment, so retraining follows the
 * config's recipe (docs/arch-format.md). */
#define APNAS_OPT_RECIPE 0x1u

/* Resolved values; owned by the core, valid for the plugin instance's
 * lifetime.  Opaque to plugins. */
typedef struct apnas_opts apnas_opts;

APNAS_API int apnas_opts_bool(const apnas_opts *o, const char *key);
APNAS_API int64_t apnas_opts_int(const apnas_opts *o, const char *key);
APNAS_API double apnas_opts_float(const apnas_opts *o, const char *key);
/* The string is owned by o. */
APNAS_API const char *apnas_opts_string(const apnas_opts *o, const char *key);
/* Number of elements of a list option. */
APNAS_API size_t apnas_opts_len(const apnas_opts *o, const char *key);
APNAS_API int64_t apnas_opts_int_at(const apnas_opts *o, const char *key, size_t i);
APNAS_API const char *apnas_opts_string_at(const apnas_opts *o, const char *key, size_t i);
APNAS_API double apnas_opts_float_at(const apnas_opts *o, const char *key, size_t i);
/* Writes the value of `key` as it would appear in a config file ("32",
 * "0.5", "true", "\"os\"", "[1, 2]") into buf (truncated to cap); returns
 * the length it needed, like snprintf. */
APNAS_API int apnas_opts_text(const apnas_opts *o, const char *key, char *buf,
                    size_t cap);
/* The table o was resolved against. */
APNAS_API const apnas_option *apnas_opts_table(const apnas_opts *o);

/* Builds resolved options from a table and "key=value" settings written as
 * in a config file (e.g. "rows=8", "dataflow=\"ws\"" or "dataflow=ws": a
 * bare word is taken as a string for STRING options).  For tests, embedding
 * and the command line.  `what` names the group in error messages.  The
 * result is freed with apnas_opts_free(). */
APNAS_API int apnas_opts_from_settings(const apnas_option *table, const char *what,
                             const char *const *settings, size_t n,
                             apnas_opts **out, apnas_error *err);
APNAS_API void apnas_opts_free(apnas_opts *o);

#ifdef __cplusplus
}
#endif
#endif
