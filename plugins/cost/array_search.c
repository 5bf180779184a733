/* See array_search.h.  Choices are enumerated whole at create(): the
 * budgets are checked once here, so no sampled token list can exceed
 * them (the core applies a choice's settings without knowing budgets). */
#include "array_search.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HIDDEN __attribute__((visibility("hidden")))

enum { AS_SHAPE, AS_DATAFLOW, AS_SPLIT, AS_MAX };

struct as_search {
	apnas_hw_decision d[AS_MAX + 1]; /* the ABI's view; labels and
	                                    settings point into the arrays
	                                    below */
	char **labels[AS_MAX];           /* owned, n_choices strings each */
	char **settings[AS_MAX];         /* owned, likewise */
	int64_t pe_budget, sram_budget;
	char dataflows[16];              /* "os|ws|is", for describe */
};

static int bad(apnas_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int bad(apnas_error *err, const char *fmt, ...)
{
	char msg[sizeof err->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return apnas_error_set(err, APNAS_EINVAL, "%s", msg);
}

static int oom(apnas_error *err)
{
	return apnas_error_set(err, APNAS_ENOMEM,
	                       "out of memory listing the hardware choices");
}

/* Appends one choice to decision k; the strings are copied. */
static int add_choice(as_search *s, int k, const char *label,
                      const char *settings, apnas_error *err)
{
	int32_t n = s->d[k].n_choices;
	if (n >= APNAS_HW_CHOICES_MAX)
		return bad(err, "%s: more than %d choices", s->d[k].name,
		           APNAS_HW_CHOICES_MAX);
	for (int32_t i = 0; i < n; i++)
		if (!strcmp(s->labels[k][i], label))
			return bad(err, "%s: %s is listed twice", s->d[k].name,
			           label);
	char **l = realloc(s->labels[k], (size_t)(n + 1) * sizeof *l);
	if (!l)
		return oom(err);
	s->labels[k] = l;
	char **t = realloc(s->settings[k], (size_t)(n + 1) * sizeof *t);
	if (!t)
		return oom(err);
	s->settings[k] = t;
	l[n] = strdup(label);
	t[n] = strdup(settings);
	if (!l[n] || !t[n]) {
		free(l[n]);
		free(t[n]);
		return oom(err);
	}
	s->d[k].n_choices = n + 1;
	s->d[k].labels = (const char *const *)l;
	s->d[k].settings = (const char *const *)t;
	return 0;
}

static int add_shape(as_search *s, int64_t r, int64_t c, apnas_error *err)
{
	char label[48], set[96];
	snprintf(label, sizeof label, "%" PRId64 "x%" PRId64, r, c);
	snprintf(set, sizeof set, "rows = %" PRId64 "; cols = %" PRId64, r, c);
	return add_choice(s, AS_SHAPE, label, set, err);
}

/* One positive integer at *p (spaces before it skipped), at most max. */
static int take_int(const char **p, int64_t max, int64_t *out)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
	if (!isdigit((unsigned char)**p))
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(*p, &end, 10);
	if (errno || v < 1 || v > (unsigned long long)max)
		return -1;
	*p = end;
	*out = (int64_t)v;
	return 0;
}

/* The next comma-separated item of a list option, trimmed, into buf:
 * 1 when there is one, 0 at the end. */
static int next_item(const char **p, char *buf, size_t cap)
{
	const char *q = *p;
	while (*q == ' ' || *q == '\t')
		q++;
	if (!*q)
		return 0;
	const char *e = strchr(q, ',');
	size_t n = e ? (size_t)(e - q) : strlen(q);
	*p = e ? e + 1 : q + n;
	while (n && (q[n - 1] == ' ' || q[n - 1] == '\t'))
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, q, n);
	buf[n] = '\0';
	return 1;
}

static int shapes(as_search *s, const char *list, apnas_error *err)
{
	int64_t budget = s->pe_budget;
	if (!strcmp(list, "auto")) {
		int64_t pes = 1;
		while (pes * 2 <= budget)
			pes *= 2;
		/* Sides under 4 starve every layer wider than the array's
		 * narrow side; leaving them out keeps the space useful. */
		if (pes < 16)
			return bad(err, "search_pe_budget %" PRId64 ": no shape "
			           "with both sides a power of two >= 4 fits "
			           "(auto needs at least 16 PEs); list shapes "
			           "in search_shapes", budget);
		for (int64_t r = 4; r <= pes / 4; r *= 2) {
			int rc = add_shape(s, r, pes / r, err);
			if (rc)
				return rc;
		}
		return 0;
	}
	char item[64];
	const char *p = list;
	while (next_item(&p, item, sizeof item)) {
		const char *q = item;
		int64_t r, c;
		if (take_int(&q, 1048576, &r) || (*q != 'x' && *q != 'X') ||
		    (q++, take_int(&q, 1048576, &c)) || *q)
			return bad(err, "search_shapes: '%s' is not ROWSxCOLS "
			           "(e.g. \"16x16, 8x32\")", item);
		if (r * c > budget)
			return bad(err, "search_shapes: %s has %" PRId64 " PEs, "
			           "over search_pe_budget %" PRId64, item, r * c,
			           budget);
		int rc = add_shape(s, r, c, err);
		if (rc)
			return rc;
	}
	if (s->d[AS_SHAPE].n_choices == 0)
		return bad(err, "search_shapes: empty; give \"auto\" or a list "
		           "of ROWSxCOLS");
	return 0;
}

static int dataflows(as_search *s, const apnas_opts *o, apnas_error *err)
{
	size_t n = apnas_opts_len(o, "search_dataflows");
	if (n == 0)
		return bad(err, "search_dataflows: empty; give at least one of "
		           "\"os\", \"ws\", \"is\"");
	for (size_t i = 0; i < n; i++) {
		const char *df = apnas_opts_string_at(o, "search_dataflows", i);
		char set[40];
		snprintf(set, sizeof set, "dataflow = \"%s\"", df);
		int rc = add_choice(s, AS_DATAFLOW, df, set, err);
		if (rc)
			return rc;
		size_t used = strlen(s->dataflows);
		snprintf(s->dataflows + used, sizeof s->dataflows - used, "%s%s",
		         i ? "|" : "", df);
	}
	return 0;
}

static int add_split(as_search *s, int64_t i, int64_t f, int64_t o,
                     apnas_error *err)
{
	char label[72], set[160];
	snprintf(label, sizeof label, "%" PRId64 "/%" PRId64 "/%" PRId64, i, f,
	         o);
	snprintf(set, sizeof set,
	         "ifmap_sram_kb = %" PRId64 "; filter_sram_kb = %" PRId64
	         "; ofmap_sram_kb = %" PRId64, i, f, o);
	return add_choice(s, AS_SPLIT, label, set, err);
}

static int splits(as_search *s, const char *list, apnas_error *err)
{
	int64_t budget = s->sram_budget;
	if (!strcmp(list, "auto")) {
		if (budget % 8)
			return bad(err, "search_sram_kb_budget %" PRId64 " is not "
			           "a multiple of 8 (auto splits it in eighths); "
			           "list splits in search_sram_split", budget);
		int64_t u = budget / 8;
		for (int64_t a = 1; a <= 6; a++)
			for (int64_t b = 1; a + b <= 7; b++) {
				int rc = add_split(s, a * u, b * u,
				                   (8 - a - b) * u, err);
				if (rc)
					return rc;
			}
		return 0;
	}
	char item[96];
	const char *p = list;
	while (next_item(&p, item, sizeof item)) {
		const char *q = item;
		int64_t kb[3];
		int ok = !take_int(&q, 1073741824, &kb[0]) && *q++ == '/' &&
		         !take_int(&q, 1073741824, &kb[1]) && *q++ == '/' &&
		         !take_int(&q, 1073741824, &kb[2]) && !*q;
		if (!ok)
			return bad(err, "search_sram_split: '%s' is not "
			           "IFMAP/FILTER/OFMAP in kB (e.g. \"64/64/64\")",
			           item);
		if (kb[0] + kb[1] + kb[2] != budget)
			return bad(err, "search_sram_split: %s sums to %" PRId64
			           " kB, not search_sram_kb_budget %" PRId64, item,
			           kb[0] + kb[1] + kb[2], budget);
		int rc = add_split(s, kb[0], kb[1], kb[2], err);
		if (rc)
			return rc;
	}
	if (s->d[AS_SPLIT].n_choices == 0)
		return bad(err, "search_sram_split: empty; give \"auto\" or a "
		           "list of IFMAP/FILTER/OFMAP");
	return 0;
}

HIDDEN int as_search_create(const apnas_opts *o, as_search **out,
                            apnas_error *err)
{
	*out = NULL;
	int64_t pe = apnas_opts_int(o, "search_pe_budget");
	int64_t kb = apnas_opts_int(o, "search_sram_kb_budget");
	if (pe == 0) {
		if (kb)
			return bad(err, "search_sram_kb_budget %" PRId64 " needs "
			           "search_pe_budget > 0 (co-search is on when "
			           "the PE budget is set)", kb);
		return 0;
	}
	as_search *s = calloc(1, sizeof *s);
	if (!s)
		return oom(err);
	s->pe_budget = pe;
	s->sram_budget = kb;
	s->d[AS_SHAPE].name = "shape";
	s->d[AS_DATAFLOW].name = "dataflow";
	s->d[AS_SPLIT].name = "sram_split";
	int rc = shapes(s, apnas_opts_string(o, "search_shapes"), err);
	if (!rc)
		rc = dataflows(s, o, err);
	if (!rc && kb)
		rc = splits(s, apnas_opts_string(o, "search_sram_split"), err);
	if (rc) {
		as_search_free(s);
		return rc;
	}
	if (!kb)
		s->d[AS_SPLIT].name = NULL; /* ends the list after dataflow */
	*out = s;
	return 0;
}

HIDDEN void as_search_free(as_search *s)
{
	if (!s)
		return;
	for (int k = 0; k < AS_MAX; k++) {
		for (int32_t i = 0; i < s->d[k].n_choices; i++) {
			free(s->labels[k][i]);
			free(s->settings[k][i]);
		}
		free(s->labels[k]);
		free(s->settings[k]);
	}
	free(s);
}

HIDDEN const apnas_hw_decision *as_search_decisions(const as_search *s)
{
	return s ? s->d : NULL;
}

HIDDEN void as_search_describe(const as_search *s, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "co-search <= %" PRId64 " PEs (%d shapes), %s",
	                 s->pe_budget, (int)s->d[AS_SHAPE].n_choices,
	                 s->dataflows);
	if (s->sram_budget && n >= 0 && (size_t)n < cap)
		snprintf(buf + n, cap - (size_t)n,
		         ", %" PRId64 " kB SRAM (%d splits)", s->sram_budget,
		         (int)s->d[AS_SPLIT].n_choices);
}
