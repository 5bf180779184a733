/* Loads an Accelergy ERT.yaml into an energy table (rules in energy.h),
 * with libyaml's document API so every message can give file:line. */
#include "energy.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "textfile.h"

/* Largest ERT accepted: real ones are a few kB to a few hundred kB. */
#define ERT_MAX_BYTES ((size_t)16 << 20)

typedef struct ert {
	yaml_document_t doc;
	const char *file;
	apnas_error *err;
} ert;

static int fail(ert *e, const yaml_node_t *n, const char *fmt, const char *a,
                const char *b)
{
	char what[512];
	snprintf(what, sizeof what, fmt, a ? a : "", b ? b : "");
	int line = n ? (int)n->start_mark.line + 1 : 0;
	apnas_error_set(e->err, APNAS_EINVAL, "%s:%d: %s", e->file, line, what);
	if (e->err)
		e->err->line = line;
	return APNAS_EINVAL;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
	                                        : NULL;
}

/* The value of key in mapping m, or NULL. */
static yaml_node_t *get(ert *e, yaml_node_t *m, const char *key)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	     p < m->data.mapping.pairs.top; p++) {
		const char *k = scalar(yaml_document_get_node(&e->doc, p->key));
		if (k && !strcmp(k, key))
			return yaml_document_get_node(&e->doc, p->value);
	}
	return NULL;
}

/* The component: last dot-separated part, [..] removed, lower case. */
static void component(const char *name, char *out, size_t cap)
{
	const char *s = strrchr(name, '.');
	s = s ? s + 1 : name;
	size_t n = 0;
	int depth = 0;
	for (; *s && n + 1 < cap; s++) {
		if (*s == '[')
			depth++;
		else if (*s == ']')
			depth = depth ? depth - 1 : 0;
		else if (!depth)
			out[n++] = (char)tolower((unsigned char)*s);
	}
	out[n] = 0;
}

static int has(const char *c, const char *a, const char *b, const char *d)
{
	return (a && strstr(c, a)) || (b && strstr(c, b)) || (d && strstr(c, d));
}

/* "rf" as a word of the name (rf, ifmap_rf, rf_0), not inside one
 * ("interface"). */
static int has_rf(const char *c)
{
	size_t n = strlen(c);
	return !strcmp(c, "rf") || !strncmp(c, "rf_", 3) ||
	       (n > 3 && !strcmp(c + n - 3, "_rf"));
}

/* Reads an action's energy, refusing what is not a finite number >= 0. */
static int energy_of(ert *e, yaml_node_t *act, const char *comp, double *v)
{
	yaml_node_t *en = get(e, act, "energy");
	const char *s = scalar(en);
	if (!s)
		return fail(e, en ? en : act, "component %s: expected an "
		            "'energy' number in each action%s", comp, NULL);
	char *end;
	errno = 0;
	double x = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(x) || x < 0)
		return fail(e, en, "component %s: energy '%s': expected a finite "
		            "number >= 0", comp, s);
	*v = x;
	return 0;
}

/* The action named want (or, with prefix, the first starting with it)
 * of table tab; 1 if found. */
static int action(ert *e, yaml_node_t *acts, const char *want, int prefix,
                  const char *comp, double *v, int *rc)
{
	*rc = 0;
	if (!acts || acts->type != YAML_SEQUENCE_NODE)
		return 0;
	for (yaml_node_item_t *i = acts->data.sequence.items.start;
	     i < acts->data.sequence.items.top; i++) {
		yaml_node_t *a = yaml_document_get_node(&e->doc, *i);
		const char *n = scalar(get(e, a, "name"));
		if (!n)
			continue;
		if (prefix ? strncmp(n, want, strlen(want)) : strcmp(n, want))
			continue;
		*rc = energy_of(e, a, comp, v);
		return !*rc;
	}
	return 0;
}

static int apply(ert *e, apnas_energy_table *t, yaml_node_t *tab, int *set)
{
	char comp[128];
	const char *name = scalar(get(e, tab, "name"));
	yaml_node_t *acts = get(e, tab, "actions");
	double v;
	int rc;
	if (!name)
		return fail(e, tab, "expected a 'name' in each table%s%s", NULL,
		            NULL);
	if (!acts || acts->type != YAML_SEQUENCE_NODE)
		return fail(e, tab, "table %s: expected a list of 'actions'%s",
		            name, NULL);
	component(name, comp, sizeof comp);
	if (strstr(comp, "mac")) {
		if (action(e, acts, "mac_random", 0, comp, &v, &rc) ||
		    (!rc && action(e, acts, "mac", 1, comp, &v, &rc))) {
			t->mac_pj = v;
			(*set)++;
		}
	} else if (strstr(comp, "dram")) {
		if (action(e, acts, "read", 0, comp, &v, &rc)) {
			t->dram_pj = v;
			(*set)++;
		}
	} else if (has(comp, "glb", "buffer", "sram")) {
		if (action(e, acts, "read", 0, comp, &v, &rc)) {
			t->sram_read_pj = v;
			t->sram_exp = 0;
			(*set)++;
		}
		if (!rc && action(e, acts, "write", 0, comp, &v, &rc)) {
			t->sram_write_pj = v;
			t->sram_exp = 0;
			(*set)++;
		}
	} else if (has(comp, "spad", "reg", NULL) || has_rf(comp)) {
		if (action(e, acts, "read", 0, comp, &v, &rc)) {
			t->reg_pj = v;
			(*set)++;
		}
	} else if (has(comp, "noc", "hop", "network")) {
		if (action(e, acts, "transfer", 0, comp, &v, &rc) ||
		    (!rc && action(e, acts, "read", 0, comp, &v, &rc))) {
			t->hop_pj = v;
			(*set)++;
		}
	} else {
		rc = 0;
	}
	return rc;
}

int apnas_energy_ert_parse(apnas_energy_table *t, const char *text,
                           size_t len, const char *file, apnas_error *err)
{
	yaml_parser_t parser;
	ert e = {.file = file ? file : "<ERT>", .err = err};
	apnas_energy_table n = *t;
	int rc = 0, set = 0;
	if (!yaml_parser_initialize(&parser))
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "%s: out of memory for the YAML parser",
		                       e.file);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &e.doc)) {
		rc = apnas_error_set(err, APNAS_EINVAL, "%s:%d:%d: %s",
		                     e.file, (int)parser.problem_mark.line + 1,
		                     (int)parser.problem_mark.column + 1,
		                     parser.problem ? parser.problem
		                                    : "YAML error");
		if (err)
			err->line = (int)parser.problem_mark.line + 1;
		yaml_parser_delete(&parser);
		return rc;
	}
	yaml_node_t *root = yaml_document_get_root_node(&e.doc);
	yaml_node_t *tables = get(&e, get(&e, root, "ERT"), "tables");
	if (!root)
		rc = fail(&e, NULL, "empty file: expected an ERT%s%s", NULL, NULL);
	else if (!tables || tables->type != YAML_SEQUENCE_NODE)
		rc = fail(&e, root, "expected 'ERT:' with a list of 'tables' (an "
		          "Accelergy ERT.yaml)%s%s", NULL, NULL);
	for (yaml_node_item_t *i = tables && !rc ? tables->data.sequence.items.start
	                                         : NULL;
	     i && i < tables->data.sequence.items.top && !rc; i++)
		rc = apply(&e, &n, yaml_document_get_node(&e.doc, *i), &set);
	if (!rc && !set)
		rc = fail(&e, tables, "no component apnas knows (mac, spad/reg, "
		          "noc, glb/buffer/sram, dram)%s%s", NULL, NULL);
	if (!rc)
		rc = apnas_energy_check(&n, err);
	yaml_document_delete(&e.doc);
	yaml_parser_delete(&parser);
	if (!rc)
		*t = n;
	return rc;
}

int apnas_energy_ert_load(apnas_energy_table *t, const char *path,
                          apnas_error *err)
{
	char *buf;
	size_t len;
	int rc = apnas_text_read(path, ERT_MAX_BYTES, &buf, &len, err);
	if (rc)
		return rc;
	rc = apnas_energy_ert_parse(t, buf, len, path, err);
	free(buf);
	return rc;
}
