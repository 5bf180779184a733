/* A run's resolved config.cfg, flattened to "group.key" = value text, so
 * that runs can be compared setting by setting.  Read with libconfig
 * directly: the plugins need not be loadable to report on old runs. */
#include <libconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

typedef struct strbuf {
	char *s;
	size_t n, cap;
} strbuf;

static int sb_add(strbuf *b, const char *t)
{
	size_t k = strlen(t);
	if (b->n + k + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 32;
		while (nc < b->n + k + 1)
			nc *= 2;
		char *ns = realloc(b->s, nc);
		if (!ns)
			return -1;
		b->s = ns;
		b->cap = nc;
	}
	memcpy(b->s + b->n, t, k + 1);
	b->n += k;
	return 0;
}

/* The shortest text that reads back to the same double: 0.05 rather than
 * 0.050000000000000003. */
static void fmt_double(char *buf, size_t cap, double v)
{
	for (int prec = 6; prec <= 17; prec++) {
		snprintf(buf, cap, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

static int value_text(const config_setting_t *s, strbuf *b)
{
	char num[64];
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
		snprintf(num, sizeof num, "%d", config_setting_get_int(s));
		return sb_add(b, num);
	case CONFIG_TYPE_INT64:
		snprintf(num, sizeof num, "%lld",
		         (long long)config_setting_get_int64(s));
		return sb_add(b, num);
	case CONFIG_TYPE_FLOAT:
		fmt_double(num, sizeof num, config_setting_get_float(s));
		return sb_add(b, num);
	case CONFIG_TYPE_BOOL:
		return sb_add(b, config_setting_get_bool(s) ? "true" : "false");
	case CONFIG_TYPE_STRING:
		return sb_add(b, config_setting_get_string(s));
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST:
	case CONFIG_TYPE_GROUP: {
		int g = config_setting_type(s) == CONFIG_TYPE_GROUP;
		if (sb_add(b, g ? "{" : "[") < 0)
			return -1;
		int n = config_setting_length(s);
		for (int i = 0; i < n; i++) {
			const config_setting_t *e = config_setting_get_elem(s,
			                                                    i);
			if ((i && sb_add(b, ", ") < 0) ||
			    (g && (sb_add(b, config_setting_name(e)) < 0 ||
			           sb_add(b, " = ") < 0)) ||
			    value_text(e, b) < 0)
				return -1;
		}
		return sb_add(b, g ? "}" : "]");
	}
	default:
		return sb_add(b, "?");
	}
}

static int by_key(const void *a, const void *b)
{
	return strcmp(((const apnas_report_kv *)a)->key,
	              ((const apnas_report_kv *)b)->key);
}

int apnas_report_read_settings(const char *path, apnas_report_kv **set,
                               size_t *n, apnas_error *err)
{
	*set = NULL;
	*n = 0;
	config_t cfg;
	config_init(&cfg);
	if (config_read_file(&cfg, path) != CONFIG_TRUE) {
		int line = config_error_line(&cfg);
		int rc = apnas_error_set(err, APNAS_EINVAL, "%s:%d: %s", path,
		                         line, config_error_text(&cfg) ?
		                         config_error_text(&cfg) :
		                         "cannot read");
		if (err)
			err->line = line;
		config_destroy(&cfg);
		return rc;
	}
	const config_setting_t *root = config_root_setting(&cfg);
	size_t cap = 0;
	int rc = 0;
	for (int g = 0; rc == 0 && g < config_setting_length(root); g++) {
		const config_setting_t *grp = config_setting_get_elem(root,
		                                                      g);
		int is_group = config_setting_type(grp) == CONFIG_TYPE_GROUP;
		int m = is_group ? config_setting_length(grp) : 1;
		for (int i = 0; rc == 0 && i < m; i++) {
			const config_setting_t *s = is_group ?
				config_setting_get_elem(grp, i) : grp;
			strbuf key = {0}, val = {0};
			if (sb_add(&key, config_setting_name(grp)) < 0 ||
			    (is_group && (sb_add(&key, ".") < 0 ||
			     sb_add(&key, config_setting_name(s)) < 0)) ||
			    value_text(s, &val) < 0) {
				free(key.s);
				free(val.s);
				rc = apnas_error_set(err, APNAS_ENOMEM,
				                     "out of memory");
				break;
			}
			if (*n == cap) {
				size_t nc = cap ? cap * 2 : 32;
				apnas_report_kv *ns = realloc(*set,
				                              nc * sizeof *ns);
				if (!ns) {
					free(key.s);
					free(val.s);
					rc = apnas_error_set(err, APNAS_ENOMEM,
					                     "out of memory");
					break;
				}
				*set = ns;
				cap = nc;
			}
			(*set)[*n].key = key.s;
			(*set)[*n].value = val.s;
			(*n)++;
		}
	}
	config_destroy(&cfg);
	if (rc < 0) {
		for (size_t i = 0; i < *n; i++) {
			free((*set)[i].key);
			free((*set)[i].value);
		}
		free(*set);
		*set = NULL;
		*n = 0;
		return rc;
	}
	if (*n)
		qsort(*set, *n, sizeof **set, by_key);
	return 0;
}

const char *apnas_report_setting(const apnas_report_run *run,
                                 const char *key)
{
	size_t lo = 0, hi = run->nset;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(run->set[mid].key, key);
		if (c == 0)
			return run->set[mid].value;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
