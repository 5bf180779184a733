/* Declarative options: resolving a libconfig group against an option
 * table (types, ranges, choices, defaults, unknown-key suggestions) and
 * the getters plugins read resolved values with.
 *
 * Values are resolved eagerly into plain C values so that getters never
 * fail and never touch libconfig; the table pointer is kept for getters
 * and for writing the resolved config. */
#include "opts_internal.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/levenshtein.h"

typedef struct opt_val {
	int b;
	int64_t i;
	double f;
	char *s;       /* owned */
	size_t n;      /* list length */
	int64_t *ints; /* owned, n entries */
	double *flts;  /* owned, n entries (FLOAT_LIST) */
	char **strs;   /* owned, n entries, each owned */
} opt_val;

struct apnas_opts {
	const apnas_option *table; /* not owned: the plugin's or the core's */
	size_t n;                  /* entries in table */
	char *what;                /* owned: the group, for messages */
	opt_val *v;                /* owned: n values, table order */
};

static void val_free(opt_val *v)
{
	free(v->s);
	free(v->ints);
	free(v->flts);
	for (size_t k = 0; v->strs && k < v->n; k++)
		free(v->strs[k]);
	free(v->strs);
	memset(v, 0, sizeof *v);
}

void apnas_opts_free(apnas_opts *o)
{
	if (!o)
		return;
	for (size_t k = 0; k < o->n; k++)
		val_free(&o->v[k]);
	free(o->v);
	free(o->what);
	free(o);
}

int apnas_valid_name(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '_'))
			return 0;
	return 1;
}

const char *apnas_opt_type_name(apnas_opt_type t)
{
	switch (t) {
	case APNAS_OPT_BOOL: return "bool";
	case APNAS_OPT_INT: return "int";
	case APNAS_OPT_FLOAT: return "float";
	case APNAS_OPT_STRING: return "string";
	case APNAS_OPT_INT_LIST: return "list of ints";
	case APNAS_OPT_STRING_LIST: return "list of strings";
	case APNAS_OPT_FLOAT_LIST: return "list of floats";
	}
	return "unknown type";
}

static const char *setting_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_INT: return "an int";
	case CONFIG_TYPE_INT64: return "an int";
	case CONFIG_TYPE_FLOAT: return "a float";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "a bool";
	case CONFIG_TYPE_ARRAY: return "an array";
	case CONFIG_TYPE_LIST: return "a list";
	case CONFIG_TYPE_GROUP: return "a group";
	}
	return "nothing";
}

static size_t table_len(const apnas_option *t)
{
	size_t n = 0;
	while (t && t[n].key)
		n++;
	return n;
}

static int find_key(const apnas_option *t, size_t n, const char *key)
{
	for (size_t k = 0; k < n; k++)
		if (strcmp(t[k].key, key) == 0)
			return (int)k;
	return -1;
}

void apnas_fmt_double(char *buf, size_t cap, double x)
{
	if (!isfinite(x)) {
		snprintf(buf, cap, "%s", isnan(x) ? "nan" : x > 0 ? "inf" : "-inf");
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, cap, "%.*g", prec, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	/* libconfig reads "2" as an int: keep floats visibly floats. */
	if (!strpbrk(buf, ".eE")) {
		size_t l = strlen(buf);
		if (l + 3 <= cap)
			memcpy(buf + l, ".0", 3);
	}
}

void apnas_fmt_bound(char *buf, size_t cap, apnas_opt_type t, double x)
{
	if (t == APNAS_OPT_INT || t == APNAS_OPT_INT_LIST) {
		if (x >= 9.2e18)
			snprintf(buf, cap, "%" PRId64, INT64_MAX);
		else if (x <= -9.2e18)
			snprintf(buf, cap, "%" PRId64, INT64_MIN);
		else
			snprintf(buf, cap, "%.0f", x);
	} else {
		snprintf(buf, cap, "%.17g", x);
		for (int prec = 6; prec <= 17; prec++) {
			snprintf(buf, cap, "%.*g", prec, x);
			if (strtod(buf, NULL) == x)
				break;
		}
	}
}

static int has_range(const apnas_option *o)
{
	return o->min <= o->max;
}

static int in_choices(const char *choices, const char *s)
{
	size_t l = strlen(s);
	const char *p = choices;
	while (*p) {
		const char *bar = strchr(p, '|');
		size_t cl = bar ? (size_t)(bar - p) : strlen(p);
		if (cl == l && strncmp(p, s, l) == 0)
			return 1;
		if (!bar)
			break;
		p = bar + 1;
	}
	return 0;
}

/* "a, b, c" from "a|b|c". */
static void fmt_choices(char *buf, size_t cap, const char *choices)
{
	size_t o = 0;
	for (const char *p = choices; *p && o + 3 < cap; p++) {
		if (*p == '|') {
			buf[o++] = ',';
			buf[o++] = ' ';
		} else {
			buf[o++] = *p;
		}
	}
	buf[o] = '\0';
}

/* Where a setting came from, with ": " appended, or "" if unknown. */
struct where {
	char loc[512];
	int line;
};

static void where_of(struct where *w, const config_setting_t *s,
                     const char *set_group, const char *key)
{
	w->loc[0] = '\0';
	w->line = 0;
	if (s && config_setting_source_file(s) && config_setting_source_line(s)) {
		w->line = (int)config_setting_source_line(s);
		snprintf(w->loc, sizeof w->loc, "%s:%d: ",
		         config_setting_source_file(s), w->line);
	} else if (s && set_group && key) {
		snprintf(w->loc, sizeof w->loc, "--set %s.%s: ", set_group,
		         key);
	}
}

static int fail(apnas_error *err, const struct where *w, const char *what,
                const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int fail(apnas_error *err, const struct where *w, const char *what,
                const char *key, const char *fmt, ...)
{
	char tail[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tail, sizeof tail, fmt, ap);
	va_end(ap);
	apnas_error_set(err, APNAS_EINVAL, "%s%s: key '%s' %s", w->loc, what,
	                key, tail);
	if (err)
		err->line = w->line;
	return APNAS_EINVAL;
}

/* What a setting holds, for "got ..." (strings quoted). */
static void fmt_got(char *buf, size_t cap, const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_STRING:
		snprintf(buf, cap, "a string (\"%s\")",
		         config_setting_get_string(s));
		break;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		snprintf(buf, cap, "an int (%lld)",
		         config_setting_get_int64(s));
		break;
	case CONFIG_TYPE_FLOAT: {
		char num[64];
		apnas_fmt_double(num, sizeof num, config_setting_get_float(s));
		snprintf(buf, cap, "a float (%s)", num);
		break;
	}
	case CONFIG_TYPE_BOOL:
		snprintf(buf, cap, "a bool (%s)",
		         config_setting_get_bool(s) ? "true" : "false");
		break;
	default:
		snprintf(buf, cap, "%s", setting_type_name(config_setting_type(s)));
	}
}

static int is_int_setting(const config_setting_t *s)
{
	int t = config_setting_type(s);
	return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

static int out_of_range(const apnas_option *o, double x)
{
	return has_range(o) && (x < o->min || x > o->max);
}

static int range_fail(apnas_error *err, const struct where *w,
                      const char *what, const apnas_option *o,
                      const char *elem, const char *got)
{
	char lo[64], hi[64];
	apnas_fmt_bound(lo, sizeof lo, o->type, o->min);
	apnas_fmt_bound(hi, sizeof hi, o->type, o->max);
	return fail(err, w, what, o->key, "%smust be in [%s, %s], got %s",
	            elem, lo, hi, got);
}

static int choice_fail(apnas_error *err, const struct where *w,
                       const char *what, const apnas_option *o,
                       const char *elem, const char *got)
{
	char ch[512];
	fmt_choices(ch, sizeof ch, o->choices);
	return fail(err, w, what, o->key, "%smust be one of %s, got \"%s\"",
	            elem, ch, got);
}

/* A float option's value, or one element of a float list (elem is then
 * "element K "): ints are accepted, the result must be finite and in
 * range. */
static int float_of(const apnas_option *o, const config_setting_t *s,
                    const char *elem, const struct where *w,
                    const char *what, double *x, apnas_error *err)
{
	char got[256];
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_FLOAT && !is_int_setting(s)) {
		fmt_got(got, sizeof got, s);
		return fail(err, w, what, o->key, "%smust be a float, got %s",
		            elem, got);
	}
	*x = t == CONFIG_TYPE_FLOAT ? config_setting_get_float(s)
	                            : (double)config_setting_get_int64(s);
	if (!isfinite(*x))
		return fail(err, w, what, o->key, "%smust be a finite float",
		            elem);
	if (out_of_range(o, *x)) {
		apnas_fmt_double(got, sizeof got, *x);
		return range_fail(err, w, what, o, elem, got);
	}
	return 0;
}

/* Converts setting s into v per o's type; v must be zeroed. */
static int convert(const apnas_option *o, const config_setting_t *s,
                   opt_val *v, const struct where *w, const char *what,
                   apnas_error *err)
{
	char got[256];
	int t = config_setting_type(s);
	switch (o->type) {
	case APNAS_OPT_BOOL:
		if (t != CONFIG_TYPE_BOOL) {
			fmt_got(got, sizeof got, s);
			return fail(err, w, what, o->key,
			            "must be true or false, got %s", got);
		}
		v->b = config_setting_get_bool(s) ? 1 : 0;
		return 0;
	case APNAS_OPT_INT:
		if (!is_int_setting(s)) {
			fmt_got(got, sizeof got, s);
			return fail(err, w, what, o->key,
			            "must be an int, got %s", got);
		}
		v->i = config_setting_get_int64(s);
		if (out_of_range(o, (double)v->i)) {
			snprintf(got, sizeof got, "%" PRId64, v->i);
			return range_fail(err, w, what, o, "", got);
		}
		return 0;
	case APNAS_OPT_FLOAT:
		return float_of(o, s, "", w, what, &v->f, err);
	case APNAS_OPT_STRING:
		if (t != CONFIG_TYPE_STRING) {
			fmt_got(got, sizeof got, s);
			return fail(err, w, what, o->key,
			            "must be a string, got %s", got);
		}
		if (o->choices && !in_choices(o->choices,
		                              config_setting_get_string(s)))
			return choice_fail(err, w, what, o, "",
			                   config_setting_get_string(s));
		v->s = strdup(config_setting_get_string(s));
		if (!v->s)
			return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
		return 0;
	case APNAS_OPT_INT_LIST:
	case APNAS_OPT_FLOAT_LIST:
	case APNAS_OPT_STRING_LIST: {
		int want_int = o->type == APNAS_OPT_INT_LIST;
		int want_float = o->type == APNAS_OPT_FLOAT_LIST;
		if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
			fmt_got(got, sizeof got, s);
			return fail(err, w, what, o->key,
			            "must be a %s ([...]), got %s",
			            apnas_opt_type_name(o->type), got);
		}
		size_t n = (size_t)config_setting_length(s);
		v->n = n;
		if (want_int)
			v->ints = calloc(n ? n : 1, sizeof *v->ints);
		else if (want_float)
			v->flts = calloc(n ? n : 1, sizeof *v->flts);
		else
			v->strs = calloc(n ? n : 1, sizeof *v->strs);
		if (want_int ? !v->ints : want_float ? !v->flts : !v->strs)
			return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
		for (size_t k = 0; k < n; k++) {
			const config_setting_t *e =
				config_setting_get_elem(s, (unsigned)k);
			char elem[64];
			snprintf(elem, sizeof elem, "element %zu ", k);
			if (want_float) {
				int rc = float_of(o, e, elem, w, what, &v->flts[k],
				                  err);
				if (rc)
					return rc;
			} else if (want_int) {
				if (!is_int_setting(e)) {
					fmt_got(got, sizeof got, e);
					return fail(err, w, what, o->key,
					            "%smust be an int, got %s",
					            elem, got);
				}
				v->ints[k] = config_setting_get_int64(e);
				if (out_of_range(o, (double)v->ints[k])) {
					snprintf(got, sizeof got, "%" PRId64,
					         v->ints[k]);
					return range_fail(err, w, what, o, elem,
					                  got);
				}
			} else {
				if (config_setting_type(e) != CONFIG_TYPE_STRING) {
					fmt_got(got, sizeof got, e);
					return fail(err, w, what, o->key,
					            "%smust be a string, got %s",
					            elem, got);
				}
				const char *str = config_setting_get_string(e);
				if (o->choices && !in_choices(o->choices, str))
					return choice_fail(err, w, what, o,
					                   elem, str);
				v->strs[k] = strdup(str);
				if (!v->strs[k])
					return apnas_error_set(err, APNAS_ENOMEM,
					                       "out of memory");
			}
		}
		return 0;
	}
	}
	return fail(err, w, what, o->key, "has an unknown option type %d",
	            (int)o->type);
}

/* Parses `text` as the value of a setting "v" in tmp (initialised by the
 * caller); returns the setting or NULL on a syntax error. */
static config_setting_t *parse_value(config_t *tmp, const char *text)
{
	size_t cap = strlen(text) + 16;
	char *src = malloc(cap);
	if (!src)
		return NULL;
	snprintf(src, cap, "v = %s\n;", text);
	int ok = config_read_string(tmp, src);
	free(src);
	return ok ? config_lookup(tmp, "v") : NULL;
}

static int convert_default(const apnas_option *o, opt_val *v,
                           const char *what, apnas_error *err)
{
	config_t tmp;
	config_init(&tmp);
	config_set_auto_convert(&tmp, 1);
	struct where w = {"", 0};
	config_setting_t *s = parse_value(&tmp, o->def);
	int rc;
	if (!s)
		rc = apnas_error_set(err, APNAS_EINVAL,
		                     "%s: default of key '%s' (%s) is not a "
		                     "valid config value",
		                     what, o->key, o->def);
	else if ((rc = convert(o, s, v, &w, what, err)) != 0)
		apnas_error_prefix(err, "invalid default");
	config_destroy(&tmp);
	return rc;
}

static int is_skipped(const char *key, const char *const *skip)
{
	for (size_t k = 0; skip && skip[k]; k++)
		if (strcmp(skip[k], key) == 0)
			return 1;
	return 0;
}

static int unknown_key(const apnas_option *table, size_t n, const char *key,
                       const struct where *w, const char *what,
                       apnas_error *err)
{
	const char **cands = calloc(n ? n : 1, sizeof *cands);
	if (!cands)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	for (size_t k = 0; k < n; k++)
		cands[k] = table[k].key;
	const char *near = apnas_nearest(key, cands, n);
	free(cands);
	if (near)
		apnas_error_set(err, APNAS_EINVAL,
		                "%s%s: unknown key '%s' (did you mean '%s'?)",
		                w->loc, what, key, near);
	else if (n == 0)
		apnas_error_set(err, APNAS_EINVAL,
		                "%s%s: unknown key '%s' (it takes no options)",
		                w->loc, what, key);
	else {
		char list[600];
		size_t o = 0;
		list[0] = '\0';
		for (size_t k = 0; k < n && o < sizeof list - 1; k++)
			o += (size_t)snprintf(list + o, sizeof list - o, "%s%s",
			                      k ? ", " : "", table[k].key);
		apnas_error_set(err, APNAS_EINVAL,
		                "%s%s: unknown key '%s' (valid keys: %s)",
		                w->loc, what, key, list);
	}
	if (err)
		err->line = w->line;
	return APNAS_EINVAL;
}

static apnas_opts *opts_new(const apnas_option *table, const char *what)
{
	apnas_opts *o = calloc(1, sizeof *o);
	if (!o)
		return NULL;
	o->table = table;
	o->n = table_len(table);
	o->what = strdup(what ? what : "options");
	o->v = calloc(o->n ? o->n : 1, sizeof *o->v);
	if (!o->what || !o->v) {
		apnas_opts_free(o);
		return NULL;
	}
	return o;
}

int apnas_opts_resolve(const apnas_option *table, const char *what,
                       const config_setting_t *group, const char *set_group,
                       const char *const *skip, apnas_opts **out,
                       apnas_error *err)
{
	*out = NULL;
	apnas_opts *o = opts_new(table, what);
	if (!o)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	int rc = 0;
	struct where w;
	int len = group ? config_setting_length(group) : 0;
	/* Unknown keys first, in file order, so the first error is the
	 * first line a user would look at. */
	for (int k = 0; k < len && !rc; k++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned)k);
		const char *key = config_setting_name(s);
		if (is_skipped(key, skip))
			continue;
		if (find_key(table, o->n, key) < 0) {
			where_of(&w, s, set_group, key);
			rc = unknown_key(table, o->n, key, &w, o->what, err);
		}
	}
	for (size_t k = 0; k < o->n && !rc; k++) {
		const apnas_option *opt = &table[k];
		const config_setting_t *s =
			group ? config_setting_get_member(group, opt->key) : NULL;
		if (s) {
			where_of(&w, s, set_group, opt->key);
			rc = convert(opt, s, &o->v[k], &w, o->what, err);
		} else if (opt->def) {
			rc = convert_default(opt, &o->v[k], o->what, err);
		} else {
			where_of(&w, group, NULL, NULL);
			rc = fail(err, &w, o->what, opt->key,
			          "is required (%s %s)",
			          apnas_opt_type_name(opt->type),
			          opt->help ? opt->help : "");
		}
	}
	if (rc) {
		apnas_opts_free(o);
		return rc;
	}
	*out = o;
	return 0;
}

static int val_copy(opt_val *d, const opt_val *s)
{
	*d = *s;
	d->s = NULL;
	d->ints = NULL;
	d->flts = NULL;
	d->strs = NULL;
	if (s->s && !(d->s = strdup(s->s)))
		return -1;
	if (s->ints) {
		d->ints = malloc((s->n ? s->n : 1) * sizeof *d->ints);
		if (!d->ints)
			return -1;
		if (s->n)
			memcpy(d->ints, s->ints, s->n * sizeof *d->ints);
	}
	if (s->flts) {
		d->flts = malloc((s->n ? s->n : 1) * sizeof *d->flts);
		if (!d->flts)
			return -1;
		if (s->n)
			memcpy(d->flts, s->flts, s->n * sizeof *d->flts);
	}
	if (s->strs) {
		d->strs = calloc(s->n ? s->n : 1, sizeof *d->strs);
		if (!d->strs)
			return -1;
		for (size_t k = 0; k < s->n; k++)
			if (!(d->strs[k] = strdup(s->strs[k])))
				return -1;
	}
	return 0;
}

int apnas_opts_clone(const apnas_opts *o, apnas_opts **out)
{
	*out = NULL;
	apnas_opts *c = opts_new(o->table, o->what);
	if (!c)
		return APNAS_ENOMEM;
	for (size_t k = 0; k < o->n; k++) {
		if (val_copy(&c->v[k], &o->v[k])) {
			apnas_opts_free(c);
			return APNAS_ENOMEM;
		}
	}
	*out = c;
	return 0;
}

int apnas_opts_has(const apnas_opts *o, const char *key)
{
	return o && find_key(o->table, o->n, key) >= 0;
}

int apnas_opts_set_text(apnas_opts *o, const char *key, const char *text,
                        apnas_error *err)
{
	int k = find_key(o->table, o->n, key);
	if (k < 0)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "%s: no option '%s'", o->what, key);
	config_t tmp;
	config_init(&tmp);
	config_set_auto_convert(&tmp, 1);
	config_setting_t *root = config_root_setting(&tmp);
	int rc = apnas_cfg_set_text(root, key, text, err);
	opt_val v;
	memset(&v, 0, sizeof v);
	if (!rc) {
		struct where w = {"", 0};
		rc = convert(&o->table[k], config_setting_get_member(root, key),
		             &v, &w, o->what, err);
	}
	config_destroy(&tmp);
	if (rc) {
		val_free(&v);
		return rc;
	}
	val_free(&o->v[k]);
	o->v[k] = v;
	return 0;
}

/* ---- settings from "key=value" text --------------------------------- */

int apnas_cfg_set_text(config_setting_t *group, const char *key,
                       const char *text, apnas_error *err)
{
	config_setting_t *old = config_setting_get_member(group, key);
	if (old && config_setting_remove(group, key) != CONFIG_TRUE)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "cannot replace key '%s'", key);
	config_t tmp;
	config_init(&tmp);
	config_set_auto_convert(&tmp, 1);
	config_setting_t *v = parse_value(&tmp, text);
	config_setting_t *made;
	if (v) {
		made = apnas_cfg_copy(group, key, v);
	} else {
		made = config_setting_add(group, key, CONFIG_TYPE_STRING);
		if (made && config_setting_set_string(made, text) != CONFIG_TRUE)
			made = NULL;
	}
	config_destroy(&tmp);
	if (!made)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "cannot set key '%s' to %s", key, text);
	return 0;
}

config_setting_t *apnas_cfg_copy(config_setting_t *parent, const char *name,
                                 const config_setting_t *src)
{
	int t = config_setting_type(src);
	int pt = config_setting_type(parent);
	config_setting_t *d = config_setting_add(
		parent, pt == CONFIG_TYPE_GROUP ? name : NULL, t);
	if (!d)
		return NULL;
	int ok = CONFIG_TRUE;
	switch (t) {
	case CONFIG_TYPE_INT:
		ok = config_setting_set_int(d, config_setting_get_int(src));
		break;
	case CONFIG_TYPE_INT64:
		ok = config_setting_set_int64(d, config_setting_get_int64(src));
		break;
	case CONFIG_TYPE_FLOAT:
		ok = config_setting_set_float(d, config_setting_get_float(src));
		break;
	case CONFIG_TYPE_BOOL:
		ok = config_setting_set_bool(d, config_setting_get_bool(src));
		break;
	case CONFIG_TYPE_STRING:
		ok = config_setting_set_string(d, config_setting_get_string(src));
		break;
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST:
	case CONFIG_TYPE_GROUP:
		for (int k = 0; k < config_setting_length(src); k++) {
			const config_setting_t *e =
				config_setting_get_elem(src, (unsigned)k);
			if (!apnas_cfg_copy(d, config_setting_name(e), e))
				return NULL;
		}
		break;
	}
	return ok == CONFIG_TRUE ? d : NULL;
}

int apnas_opts_from_settings(const apnas_option *table, const char *what,
                             const char *const *settings, size_t n,
                             apnas_opts **out, apnas_error *err)
{
	*out = NULL;
	config_t cfg;
	config_init(&cfg);
	config_set_auto_convert(&cfg, 1);
	config_setting_t *root = config_root_setting(&cfg);
	int rc = 0;
	for (size_t k = 0; k < n && !rc; k++) {
		const char *eq = strchr(settings[k], '=');
		if (!eq) {
			rc = apnas_error_set(err, APNAS_EINVAL,
			                     "%s: setting '%s' is not key=value",
			                     what, settings[k]);
			break;
		}
		const char *kb = settings[k], *ke = eq;
		while (kb < ke && isspace((unsigned char)*kb))
			kb++;
		while (ke > kb && isspace((unsigned char)ke[-1]))
			ke--;
		char key[128];
		size_t kl = (size_t)(ke - kb);
		if (kl == 0 || kl >= sizeof key) {
			rc = apnas_error_set(err, APNAS_EINVAL,
			                     "%s: setting '%s' has no valid key",
			                     what, settings[k]);
			break;
		}
		memcpy(key, kb, kl);
		key[kl] = '\0';
		if (!apnas_valid_name(key)) {
			rc = apnas_error_set(err, APNAS_EINVAL,
			                     "%s: key '%s' is not [a-z0-9_]+",
			                     what, key);
			break;
		}
		const char *val = eq + 1;
		while (isspace((unsigned char)*val))
			val++;
		rc = apnas_cfg_set_text(root, key, val, err);
	}
	if (!rc)
		rc = apnas_opts_resolve(table, what, root, NULL, NULL, out, err);
	config_destroy(&cfg);
	return rc;
}

/* ---- table checks ----------------------------------------------------- */

int apnas_options_check_table(const apnas_option *table, const char *what,
                              apnas_error *err)
{
	size_t n = table_len(table);
	for (size_t k = 0; k < n; k++) {
		const apnas_option *o = &table[k];
		if (!apnas_valid_name(o->key))
			return apnas_error_set(err, APNAS_EPLUGIN,
			                       "%s: option key '%s' is not "
			                       "[a-z0-9_]+", what, o->key);
		if (!strcmp(o->key, "plugin") || !strcmp(o->key, "path"))
			return apnas_error_set(err, APNAS_EPLUGIN,
			                       "%s: option key '%s' is reserved",
			                       what, o->key);
		if (find_key(table, k, o->key) >= 0)
			return apnas_error_set(err, APNAS_EPLUGIN,
			                       "%s: option key '%s' is declared "
			                       "twice", what, o->key);
		if (o->type < APNAS_OPT_BOOL || o->type > APNAS_OPT_FLOAT_LIST)
			return apnas_error_set(err, APNAS_EPLUGIN,
			                       "%s: option '%s' has unknown type "
			                       "%d", what, o->key, (int)o->type);
		if (!o->help || !*o->help)
			return apnas_error_set(err, APNAS_EPLUGIN,
			                       "%s: option '%s' has no help line",
			                       what, o->key);
		if (o->flags & ~APNAS_OPT_RECIPE)
			return apnas_error_set(err, APNAS_EPLUGIN,
			                       "%s: option '%s' has unknown flags "
			                       "0x%x (APNAS_OPT_RECIPE is the only "
			                       "one)", what, o->key,
			                       (unsigned)(o->flags &
			                                  ~APNAS_OPT_RECIPE));
		if (o->choices && o->type != APNAS_OPT_STRING &&
		    o->type != APNAS_OPT_STRING_LIST)
			return apnas_error_set(err, APNAS_EPLUGIN,
			                       "%s: option '%s' has choices but "
			                       "is a %s", what, o->key,
			                       apnas_opt_type_name(o->type));
		if (o->def) {
			opt_val v;
			memset(&v, 0, sizeof v);
			int rc = convert_default(o, &v, what, err);
			val_free(&v);
			if (rc) {
				if (err)
					err->code = APNAS_EPLUGIN;
				return APNAS_EPLUGIN;
			}
		}
	}
	return 0;
}

/* ---- getters ---------------------------------------------------------- */

/* A getter on a key the table does not declare, or of the wrong type, is
 * a bug in the caller, not bad input: stop loudly. */
static const opt_val *get(const apnas_opts *o, const char *key,
                          apnas_opt_type t1, apnas_opt_type t2,
                          const char *getter)
{
	if (!o || !key) {
		fprintf(stderr, "apnas: internal error: %s(%s) on NULL\n",
		        getter, key ? key : "NULL");
		abort();
	}
	int k = find_key(o->table, o->n, key);
	if (k < 0) {
		fprintf(stderr, "apnas: internal error: %s: %s has no option "
		        "'%s'\n", getter, o->what, key);
		abort();
	}
	if (o->table[k].type != t1 && o->table[k].type != t2) {
		fprintf(stderr, "apnas: internal error: %s: option '%s' of %s "
		        "has type %s\n", getter, key, o->what,
		        apnas_opt_type_name(o->table[k].type));
		abort();
	}
	return &o->v[k];
}

int apnas_opts_bool(const apnas_opts *o, const char *key)
{
	return get(o, key, APNAS_OPT_BOOL, APNAS_OPT_BOOL, "apnas_opts_bool")->b;
}

int64_t apnas_opts_int(const apnas_opts *o, const char *key)
{
	return get(o, key, APNAS_OPT_INT, APNAS_OPT_INT, "apnas_opts_int")->i;
}

double apnas_opts_float(const apnas_opts *o, const char *key)
{
	const opt_val *v = get(o, key, APNAS_OPT_FLOAT, APNAS_OPT_INT,
	                       "apnas_opts_float");
	int k = find_key(o->table, o->n, key);
	return o->table[k].type == APNAS_OPT_INT ? (double)v->i : v->f;
}

const char *apnas_opts_string(const apnas_opts *o, const char *key)
{
	return get(o, key, APNAS_OPT_STRING, APNAS_OPT_STRING,
	           "apnas_opts_string")->s;
}

size_t apnas_opts_len(const apnas_opts *o, const char *key)
{
	int k = o ? find_key(o->table, o->n, key) : -1;
	if (k >= 0 && o->table[k].type == APNAS_OPT_FLOAT_LIST)
		return o->v[k].n;
	return get(o, key, APNAS_OPT_INT_LIST, APNAS_OPT_STRING_LIST,
	           "apnas_opts_len")->n;
}

double apnas_opts_float_at(const apnas_opts *o, const char *key, size_t i)
{
	const opt_val *v = get(o, key, APNAS_OPT_FLOAT_LIST,
	                       APNAS_OPT_FLOAT_LIST, "apnas_opts_float_at");
	if (i >= v->n) {
		fprintf(stderr, "apnas: internal error: apnas_opts_float_at: "
		        "index %zu of '%s' (%zu elements)\n", i, key, v->n);
		abort();
	}
	return v->flts[i];
}

int64_t apnas_opts_int_at(const apnas_opts *o, const char *key, size_t i)
{
	const opt_val *v = get(o, key, APNAS_OPT_INT_LIST, APNAS_OPT_INT_LIST,
	                       "apnas_opts_int_at");
	if (i >= v->n) {
		fprintf(stderr, "apnas: internal error: apnas_opts_int_at: "
		        "index %zu of '%s' (%zu elements)\n", i, key, v->n);
		abort();
	}
	return v->ints[i];
}

const char *apnas_opts_string_at(const apnas_opts *o, const char *key,
                                 size_t i)
{
	const opt_val *v = get(o, key, APNAS_OPT_STRING_LIST,
	                       APNAS_OPT_STRING_LIST, "apnas_opts_string_at");
	if (i >= v->n) {
		fprintf(stderr, "apnas: internal error: apnas_opts_string_at: "
		        "index %zu of '%s' (%zu elements)\n", i, key, v->n);
		abort();
	}
	return v->strs[i];
}

const apnas_option *apnas_opts_table(const apnas_opts *o)
{
	return o ? o->table : NULL;
}

/* ---- text form -------------------------------------------------------- */

struct sbuf {
	char *buf;
	size_t cap, len;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->cap && b->len < b->cap - 1) {
		size_t room = b->cap - 1 - b->len;
		memcpy(b->buf + b->len, s, n < room ? n : room);
	}
	b->len += n;
	if (b->cap)
		b->buf[b->len < b->cap ? b->len : b->cap - 1] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void sb_quoted(struct sbuf *b, const char *s)
{
	sb_put(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			sb_put(b, esc, 2);
		} else if (c == '\n') {
			sb_put(b, "\\n", 2);
		} else if (c == '\t') {
			sb_put(b, "\\t", 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof esc, "\\x%02x", c);
			sb_str(b, esc);
		} else {
			sb_put(b, (const char *)&c, 1);
		}
	}
	sb_put(b, "\"", 1);
}

void apnas_cfg_write_string(FILE *f, const char *s)
{
	struct sbuf b = {NULL, 0, 0};
	sb_quoted(&b, s);
	char *buf = malloc(b.len + 1);
	if (!buf)
		return;
	struct sbuf w = {buf, b.len + 1, 0};
	buf[0] = '\0';
	sb_quoted(&w, s);
	fputs(buf, f);
	free(buf);
}

static int needs_l(int64_t x)
{
	return x > INT32_MAX || x < INT32_MIN;
}

int apnas_opts_text(const apnas_opts *o, const char *key, char *buf,
                    size_t cap)
{
	int k = find_key(o->table, o->n, key);
	if (k < 0) {
		fprintf(stderr, "apnas: internal error: apnas_opts_text: %s has "
		        "no option '%s'\n", o->what, key);
		abort();
	}
	const opt_val *v = &o->v[k];
	struct sbuf b = {buf, cap, 0};
	if (cap)
		buf[0] = '\0';
	char num[64];
	switch (o->table[k].type) {
	case APNAS_OPT_BOOL:
		sb_str(&b, v->b ? "true" : "false");
		break;
	case APNAS_OPT_INT:
		snprintf(num, sizeof num, "%" PRId64 "%s", v->i,
		         needs_l(v->i) ? "L" : "");
		sb_str(&b, num);
		break;
	case APNAS_OPT_FLOAT:
		apnas_fmt_double(num, sizeof num, v->f);
		sb_str(&b, num);
		break;
	case APNAS_OPT_STRING:
		sb_quoted(&b, v->s ? v->s : "");
		break;
	case APNAS_OPT_INT_LIST: {
		/* libconfig arrays hold one type: all int64 if any is. */
		int l = 0;
		for (size_t i = 0; i < v->n; i++)
			l |= needs_l(v->ints[i]);
		sb_str(&b, "[");
		for (size_t i = 0; i < v->n; i++) {
			snprintf(num, sizeof num, "%s%" PRId64 "%s",
			         i ? ", " : "", v->ints[i], l ? "L" : "");
			sb_str(&b, num);
		}
		sb_str(&b, "]");
		break;
	}
	case APNAS_OPT_STRING_LIST:
		sb_str(&b, "[");
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				sb_str(&b, ", ");
			sb_quoted(&b, v->strs[i]);
		}
		sb_str(&b, "]");
		break;
	case APNAS_OPT_FLOAT_LIST:
		/* Every element written as a float, so libconfig reads the
		 * array back as one type. */
		sb_str(&b, "[");
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				sb_str(&b, ", ");
			apnas_fmt_double(num, sizeof num, v->flts[i]);
			sb_str(&b, num);
		}
		sb_str(&b, "]");
		break;
	}
	return (int)b.len;
}
