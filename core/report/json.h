/* A small JSON reader (RFC 8259) for the files a run directory holds:
 * summary.json, samples.jsonl lines, the retrain summary.  It builds a
 * tree; lookups by key return NULL or NaN when a member is missing, so a
 * reader can say exactly what it lacked.  Internal to libapnas. */
#ifndef APNAS_REPORT_JSON_H
#define APNAS_REPORT_JSON_H

#include <stddef.h>

#include <apnas/error.h>

typedef enum apnas_json_type {
	APNAS_JSON_NULL = 0,
	APNAS_JSON_BOOL,
	APNAS_JSON_NUMBER,
	APNAS_JSON_STRING,
	APNAS_JSON_ARRAY,
	APNAS_JSON_OBJECT
} apnas_json_type;

typedef struct apnas_json apnas_json;
struct apnas_json {
	apnas_json_type type;
	double num;          /* NUMBER; BOOL: 0 or 1 */
	char *str;           /* STRING: owned, UTF-8, NUL-terminated (an
	                        embedded \u0000 ends it early) */
	char **keys;         /* OBJECT: n owned keys, in file order */
	apnas_json *items;   /* ARRAY, OBJECT: n owned values */
	size_t n;
};

/* Parses exactly one JSON value from text[0..len) (white space around it
 * allowed).  On error returns APNAS_EINVAL with "line L, column C:
 * <what was expected>" and err->line = L; *out is then NULL.  Nesting
 * deeper than 64 levels is refused rather than risking the stack. */
int apnas_json_parse(const char *text, size_t len, apnas_json **out,
                     apnas_error *err);
/* Frees a tree from apnas_json_parse (NULL is fine). */
void apnas_json_free(apnas_json *v);

/* Member `key` of an object (the first if repeated); NULL when v is not
 * an object or has no such member. */
const apnas_json *apnas_json_get(const apnas_json *v, const char *key);
/* The number at `key` (v's member), NaN when absent, null or not a
 * number.  key NULL: v itself. */
double apnas_json_num_at(const apnas_json *v, const char *key);
/* The string at `key`, NULL when absent or not a string; owned by v. */
const char *apnas_json_str_at(const apnas_json *v, const char *key);

/* Reads and parses a whole file; errors name the path. */
int apnas_json_read_file(const char *path, apnas_json **out,
                         apnas_error *err);

#endif
