/* Reads the three array keys of a SCALE-Sim .cfg (Python configparser
 * syntax: [sections], "key: value" or "key = value", '#' and ';' comment
 * lines, keys matched without regard to case as configparser does). */
#include "scalesim_cfg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "textfile.h"

#define SECTION "architecture_presets"
#define RUN_SECTION "run_presets"

enum { KEY_ROWS, KEY_COLS, KEY_DATAFLOW, N_KEYS };
static const char *const key_name[N_KEYS] = {"ArrayHeight", "ArrayWidth",
                                             "Dataflow"};

/* The memory keys: optional, read into c->mem, and still listed among the
 * keys that do not change compute cycles. */
enum { MEM_IFMAP, MEM_FILTER, MEM_OFMAP, MEM_BW, MEM_IFACE, N_MEM };
static const char *const mem_name[N_MEM] = {
	"IfmapSramSzkB", "FilterSramSzkB", "OfmapSramSzkB", "Bandwidth",
	"InterfaceBandwidth"};

static int fail(apnas_error *err, const char *file, int line, int col,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int fail(apnas_error *err, const char *file, int line, int col,
                const char *fmt, ...)
{
	char what[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	apnas_error_set(err, APNAS_EINVAL, "%s:%d:%d: %s", file, line, col,
	                what);
	if (err)
		err->line = line;
	return APNAS_EINVAL;
}

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static void note_ignored(apnas_scalesim_cfg *c, const char *k, size_t n)
{
	size_t used = strlen(c->ignored), cap = sizeof c->ignored;
	if (used + n + 8 >= cap) {
		if (used + 4 < cap && !strstr(c->ignored, "..."))
			strcat(c->ignored, ", ...");
	} else {
		snprintf(c->ignored + used, cap - used, "%s%.*s",
		         used ? ", " : "", (int)n, k);
	}
	c->n_ignored++;
}

static int parse_size(const char *v, size_t n, int64_t *out)
{
	int64_t x = 0;
	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (v[i] - '0');
		if (x > (int64_t)1 << 40)
			return -1;
	}
	*out = x;
	return 0;
}

int apnas_scalesim_cfg_parse(const char *text, size_t len, const char *file,
                             apnas_scalesim_cfg *c, apnas_error *err)
{
	int seen[N_KEYS] = {0}, mseen[N_MEM] = {0};
	int in_section = 0, in_run = 0, line = 0;
	int64_t bw = 0;
	file = file ? file : "<scalesim config>";
	memset(c, 0, sizeof *c);
	apnas_mem_cfg_default(&c->mem);
	for (size_t pos = 0; pos < len;) {
		const char *s = text + pos;
		size_t n = 0;
		while (pos + n < len && s[n] != '\n')
			n++;
		pos += n + 1;
		line++;
		size_t a = 0, b = n;
		while (a < b && blank(s[a]))
			a++;
		while (b > a && blank(s[b - 1]))
			b--;
		if (a == b || s[a] == '#' || s[a] == ';')
			continue;
		if (s[a] == '[') {
			if (s[b - 1] != ']')
				return fail(err, file, line, (int)b + 1,
				            "expected ']' closing the section name");
			size_t na = a + 1, nb = b - 1;
			while (na < nb && blank(s[na]))
				na++;
			while (nb > na && blank(s[nb - 1]))
				nb--;
			in_section = nb - na == strlen(SECTION) &&
			             !strncasecmp(s + na, SECTION, nb - na);
			in_run = nb - na == strlen(RUN_SECTION) &&
			         !strncasecmp(s + na, RUN_SECTION, nb - na);
			continue;
		}
		size_t sep = a;
		while (sep < b && s[sep] != ':' && s[sep] != '=')
			sep++;
		if (sep == b)
			return fail(err, file, line, (int)a + 1,
			            "expected 'key: value', 'key = value' or a "
			            "[section], got '%.*s'",
			            (int)(b - a > 60 ? 60 : b - a), s + a);
		size_t ke = sep;
		while (ke > a && blank(s[ke - 1]))
			ke--;
		size_t va = sep + 1;
		while (va < b && blank(s[va]))
			va++;
		int key = -1;
		for (int k = 0; k < N_KEYS && in_section; k++)
			if (ke - a == strlen(key_name[k]) &&
			    !strncasecmp(s + a, key_name[k], ke - a))
				key = k;
		int col = (int)va + 1;
		int mk = -1;
		for (int k = 0; k < N_MEM && key < 0; k++)
			if ((k == MEM_IFACE ? in_run : in_section) &&
			    ke - a == strlen(mem_name[k]) &&
			    !strncasecmp(s + a, mem_name[k], ke - a))
				mk = k;
		if (mk >= 0) {
			const char *v = s + va;
			size_t vn = b - va;
			int64_t x;
			if (mseen[mk])
				return fail(err, file, line, (int)a + 1,
				            "%s given twice (first on line %d): expected "
				            "it once", mem_name[mk], mseen[mk]);
			mseen[mk] = line;
			if (mk == MEM_IFACE) {
				if (vn == 4 && !strncasecmp(v, "USER", 4))
					c->user_bandwidth = 1;
				else if (!(vn == 4 && !strncasecmp(v, "CALC", 4)))
					return fail(err, file, line, col,
					            "InterfaceBandwidth: expected CALC or "
					            "USER, got '%.*s'",
					            (int)(vn > 40 ? 40 : vn), v);
			} else {
				int64_t max = mk == MEM_BW ? APNAS_MEM_BW_MAX
				                           : APNAS_MEM_KB_MAX;
				if (parse_size(v, vn, &x) || x < 1 || x > max)
					return fail(err, file, line, col,
					            "%s: expected a positive integer up to "
					            "%lld, got '%.*s'", mem_name[mk],
					            (long long)max,
					            (int)(vn > 40 ? 40 : vn), v);
				if (mk == MEM_IFMAP)
					c->mem.ifmap_kb = x;
				else if (mk == MEM_FILTER)
					c->mem.filter_kb = x;
				else if (mk == MEM_OFMAP)
					c->mem.ofmap_kb = x;
				else
					bw = x;
			}
			c->mem_keys++;
			/* used: the memory model of the cost plugins */
			continue;
		}
		if (key < 0) {
			note_ignored(c, s + a, ke - a);
			continue;
		}
		if (seen[key])
			return fail(err, file, line, (int)a + 1,
			            "%s given twice (first on line %d): expected it "
			            "once", key_name[key], seen[key]);
		seen[key] = line;
		const char *v = s + va;
		size_t vn = b - va;
		if (key == KEY_DATAFLOW) {
			char df[8] = "";
			if (vn < sizeof df)
				for (size_t i = 0; i < vn; i++)
					df[i] = (char)(v[i] | 0x20);
			apnas_error e = {0};
			if (apnas_dataflow_parse(df, "Dataflow", &c->array.dataflow,
			                         &e))
				return fail(err, file, line, col,
				            "Dataflow: expected os, ws or is, got '%.*s'",
				            (int)(vn > 40 ? 40 : vn), v);
			continue;
		}
		int64_t x;
		if (parse_size(v, vn, &x) || x < 1 || x > (1 << 20))
			return fail(err, file, line, col,
			            "%s: expected a positive integer up to %d, got "
			            "'%.*s'", key_name[key], 1 << 20,
			            (int)(vn > 40 ? 40 : vn), v);
		if (key == KEY_ROWS)
			c->array.rows = x;
		else
			c->array.cols = x;
	}
	/* SCALE-Sim's CALC sizes the interface to the demand: no stalls,
	 * apnas's unlimited bandwidth.  USER takes Bandwidth. */
	if (c->user_bandwidth && !mseen[MEM_BW])
		return fail(err, file, mseen[MEM_IFACE], 1,
		            "InterfaceBandwidth: USER: expected a Bandwidth (words "
		            "per cycle) in [" SECTION "]%s", "");
	c->mem.bandwidth = c->user_bandwidth ? bw : 0;
	for (int k = 0; k < N_KEYS; k++)
		if (!seen[k])
			return apnas_error_set(err, APNAS_EINVAL,
			                       "%s: no %s key: expected ArrayHeight, "
			                       "ArrayWidth and Dataflow in "
			                       "[" SECTION "]", file, key_name[k]);
	return 0;
}

int apnas_scalesim_cfg_load(const char *path, apnas_scalesim_cfg *c,
                            apnas_error *err)
{
	char *buf;
	size_t len;
	int rc = apnas_text_read(path, (size_t)1 << 20, &buf, &len, err);
	if (rc)
		return rc;
	rc = apnas_scalesim_cfg_parse(buf, len, path, c, err);
	free(buf);
	return rc;
}
