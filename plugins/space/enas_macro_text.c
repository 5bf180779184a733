/* enas_macro's architecture text (docs/arch-format.md): one line per
 * layer, "layer 3: sep5x5 skip 0 2" ("skip -" when the layer takes no
 * skip; layer 0 and a space without skips have no skip field), and, read
 * only, ENAS's flat token list ("0 1 0 3 ...", brackets and commas
 * allowed) whose op numbers are positions in the `ops` option.  '#'
 * starts a comment anywhere. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enas_macro.h"

/* A growing string for format(). */
typedef struct sbuf {
	char *p;
	size_t n, cap;
	int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(sbuf *b, const char *fmt, ...)
{
	if (b->oom)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int need = vsnprintf(b->p ? b->p + b->n : NULL,
		                     b->p ? b->cap - b->n : 0, fmt, ap);
		va_end(ap);
		if (need < 0) {
			b->oom = 1;
			return;
		}
		if (b->p && b->n + (size_t)need < b->cap) {
			b->n += (size_t)need;
			return;
		}
		size_t cap = (b->cap ? b->cap * 2 : 256) + (size_t)need;
		char *np = realloc(b->p, cap);
		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
}

int em_format(void *self, const int32_t *tok, char **text, apnas_error *err)
{
	em_space *s = self;
	*text = NULL;
	int rc = em_check_tok(s, tok, err);
	if (rc)
		return rc;
	sbuf b = {0};
	for (int32_t l = 0; l < s->L; l++) {
		size_t k = s->first[l];
		sb_printf(&b, "layer %d: %s", l, em_kind_names[s->ops[tok[k]]]);
		if (s->skips && l > 0) {
			int any = 0;
			sb_printf(&b, " skip");
			for (int32_t j = 0; j < l; j++)
				if (tok[k + 1 + (size_t)j]) {
					sb_printf(&b, " %d", j);
					any = 1;
				}
			if (!any)
				sb_printf(&b, " -");
		}
		sb_printf(&b, "\n");
	}
	if (b.oom) {
		free(b.p);
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	}
	*text = b.p;
	return 0;
}

/* ---- parsing ---------------------------------------------------------- */

/* The words of one line, comment cut; `sep` also splits on , [ ] for the
 * flat list. */
#define MAX_WORDS 4096

typedef struct words {
	const char *w[MAX_WORDS];
	int len[MAX_WORDS];
	int n;
	int overflow;
} words;

static void split(const char *line, size_t n, int flat, words *out)
{
	out->n = 0;
	out->overflow = 0;
	size_t i = 0;
	for (;;) {
		while (i < n && (isspace((unsigned char)line[i]) ||
		                 (flat && strchr(",[]", line[i]))))
			i++;
		if (i >= n || line[i] == '#')
			return;
		size_t st = i;
		while (i < n && !isspace((unsigned char)line[i]) &&
		       line[i] != '#' && !(flat && strchr(",[]", line[i])))
			i++;
		if (out->n == MAX_WORDS) {
			out->overflow = 1;
			return;
		}
		out->w[out->n] = line + st;
		out->len[out->n++] = (int)(i - st);
	}
}

/* A whole word as a non-negative decimal int; -1 if it is not one. */
static int64_t word_int(const char *w, int len)
{
	if (len < 1 || len > 9)
		return -1;
	int64_t v = 0;
	for (int i = 0; i < len; i++) {
		if (!isdigit((unsigned char)w[i]))
			return -1;
		v = v * 10 + (w[i] - '0');
	}
	return v;
}

static void op_list(const em_space *s, char *buf, size_t cap)
{
	buf[0] = '\0';
	for (int32_t i = 0; i < s->n_ops; i++) {
		size_t u = strlen(buf);
		snprintf(buf + u, cap - u, "%s%s", i ? ", " : "",
		         em_kind_names[s->ops[i]]);
	}
}

static int fail(apnas_error *err, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(apnas_error *err, int line, const char *fmt, ...)
{
	char msg[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* where is err->line: the caller knows which file it came from */
	apnas_error_set(err, APNAS_EINVAL, "%s", msg);
	if (err)
		err->line = line;
	return APNAS_EINVAL;
}

/* "layer <l>: <op> [skip (- | j...)]" */
static int parse_layer(const em_space *s, const words *w, int ln,
                       int32_t want, int32_t *tok, apnas_error *err)
{
	int64_t l = -1;
	int i = 0;
	if (w->n >= 2 && w->len[0] == 5 && !memcmp(w->w[0], "layer", 5) &&
	    w->len[1] >= 2 && w->w[1][w->len[1] - 1] == ':')
		l = word_int(w->w[1], w->len[1] - 1);
	if (l < 0)
		return fail(err, ln, "expected 'layer N: OP [skip J...]', got "
		            "'%.*s'", w->len[0], w->w[0]);
	if (l >= s->L)
		return fail(err, ln, "layer %lld: this space has %d layers "
		            "(0..%d): wrong count", (long long)l, s->L,
		            s->L - 1);
	if (l != want)
		return fail(err, ln, "expected layer %d next, got layer %lld "
		            "(one line per layer, in order)", want,
		            (long long)l);
	i = 2;
	if (i >= w->n)
		return fail(err, ln, "layer %d: missing its op", want);
	int32_t op = -1;
	for (int32_t k = 0; k < s->n_ops; k++) {
		const char *name = em_kind_names[s->ops[k]];
		if ((size_t)w->len[i] == strlen(name) &&
		    !memcmp(w->w[i], name, (size_t)w->len[i]))
			op = k;
	}
	if (op < 0) {
		char list[200];
		op_list(s, list, sizeof list);
		return fail(err, ln, "layer %d: unknown op '%.*s' (this "
		            "space's ops: %s)", want, w->len[i], w->w[i], list);
	}
	size_t k0 = s->first[want];
	tok[k0] = op;
	for (int32_t j = 0; s->skips && j < want; j++)
		tok[k0 + 1 + (size_t)j] = 0;
	i++;
	if (i == w->n)
		return 0;
	if (w->len[i] != 4 || memcmp(w->w[i], "skip", 4))
		return fail(err, ln, "layer %d: expected 'skip' after the op, "
		            "got '%.*s'", want, w->len[i], w->w[i]);
	if (!s->skips)
		return fail(err, ln, "layer %d: 'skip' given but this space "
		            "has skips = false", want);
	i++;
	if (i == w->n)
		return fail(err, ln, "layer %d: 'skip' needs earlier layers "
		            "or '-'", want);
	if (w->len[i] == 1 && w->w[i][0] == '-') {
		if (i + 1 != w->n)
			return fail(err, ln, "layer %d: nothing may follow "
			            "'skip -'", want);
		return 0;
	}
	for (; i < w->n; i++) {
		int64_t j = word_int(w->w[i], w->len[i]);
		if (j < 0)
			return fail(err, ln, "layer %d: skip source '%.*s' is "
			            "not a layer number", want, w->len[i],
			            w->w[i]);
		if (j >= want)
			return fail(err, ln, "layer %d: skip from layer %lld is "
			            "not an earlier layer (0..%d)", want,
			            (long long)j, want - 1);
		if (tok[k0 + 1 + (size_t)j])
			return fail(err, ln, "layer %d: skip from %lld listed "
			            "twice", want, (long long)j);
		tok[k0 + 1 + (size_t)j] = 1;
	}
	return 0;
}

/* ENAS's flat token list over any number of lines. */
static int parse_flat(const em_space *s, const char *text, int32_t *tok,
                      apnas_error *err)
{
	size_t k = 0;
	int ln = 0, last = 1;
	words *w = malloc(sizeof *w);
	if (!w)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	int rc = 0;
	for (const char *p = text; *p && !rc;) {
		size_t n = strcspn(p, "\n");
		ln++;
		split(p, n, 1, w);
		if (w->n)
			last = ln;
		for (int i = 0; i < w->n && !rc; i++) {
			int64_t v = word_int(w->w[i], w->len[i]);
			if (v < 0)
				rc = fail(err, ln, "expected 'layer N: OP [skip "
				          "J...]' lines or a flat list of "
				          "integers, got '%.*s'", w->len[i],
				          w->w[i]);
			else if (k >= s->n_dec)
				rc = fail(err, ln, "too many tokens: this space "
				          "has %zu decisions (layers = %d, "
				          "skips = %s): wrong count", s->n_dec,
				          s->L, s->skips ? "true" : "false");
			else if (v >= s->dec[k].n_choices)
				rc = fail(err, ln, "token %zu (layer %d %s) is "
				          "%lld, expected 0..%d", k + 1,
				          s->dec[k].layer,
				          s->dec[k].kind == APNAS_DECISION_OP
				                  ? "op" : "skip",
				          (long long)v, s->dec[k].n_choices - 1);
			else
				tok[k++] = (int32_t)v;
		}
		p += n + (p[n] == '\n');
	}
	free(w);
	if (!rc && k != s->n_dec)
		rc = fail(err, last, "%zu tokens, but this space has %zu "
		          "decisions (layers = %d, skips = %s): wrong count",
		          k, s->n_dec, s->L, s->skips ? "true" : "false");
	return rc;
}

int em_parse(void *self, const char *text, int32_t *tok, apnas_error *err)
{
	em_space *s = self;
	words *w = malloc(sizeof *w);
	if (!w)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	/* The first word decides: "layer" lines, or a flat list. */
	int flat = 1, ln = 0, last = 0, rc = 0;
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		split(p, n, 0, w);
		if (w->n) {
			flat = !(w->len[0] == 5 && !memcmp(w->w[0], "layer", 5));
			break;
		}
		p += n + (p[n] == '\n');
	}
	if (flat) {
		free(w);
		return parse_flat(s, text, tok, err);
	}
	int32_t next = 0;
	for (const char *p = text; *p && !rc;) {
		size_t n = strcspn(p, "\n");
		ln++;
		split(p, n, 0, w);
		if (w->overflow)
			rc = fail(err, ln, "line too long");
		else if (w->n) {
			last = ln;
			if (next >= s->L)
				rc = fail(err, ln, "more than %d layers: this "
				          "space has layers = %d: wrong count",
				          s->L, s->L);
			else
				rc = parse_layer(s, w, ln, next++, tok, err);
		}
		p += n + (p[n] == '\n');
	}
	free(w);
	if (!rc && next != s->L)
		rc = fail(err, last ? last : 1, "%d layer lines, but this "
		          "space has layers = %d: wrong count", next, s->L);
	return rc;
}
