/* Architecture files: reading and writing the header (space name and
 * options) around the body a space formats and parses.  The format is in
 * docs/arch-format.md:
 *
 *   apnas-arch 1
 *   space enas_macro
 *   option layers = 8
 *   option ops = ["conv3x3", "sep3x3"]
 *   # free comment lines (accuracy, cycles, where it came from)
 *   ---
 *   layer 0: conv3x3
 *   layer 1: sep3x3 skip 0
 *
 * Option values are written exactly as a config file would hold them
 * (apnas_opts_text), so they read back as "space.key=value" settings that
 * the config layer validates like any --set.  Only the options that
 * define the network are written as `option` lines; those of the training
 * recipe (APNAS_OPT_RECIPE) are written as comments. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archfile.h"
#include "atomic.h"
#include "hw/textfile.h"
#include "opts_internal.h"

#define ARCH_MAGIC "apnas-arch"
#define ARCH_VERSION 1
#define ARCH_BODY_MARK "---"

void apnas_archfile_free(apnas_archfile *a)
{
	if (!a)
		return;
	free(a->space);
	for (size_t i = 0; i < a->n_settings; i++)
		free(a->settings[i]);
	free(a->settings);
	free(a->body);
	free(a->cost);
	for (size_t i = 0; i < a->n_hw; i++)
		free(a->hw_settings[i]);
	free(a->hw_settings);
	memset(a, 0, sizeof *a);
}

/* Line without its newline (and a '\r' before it) or trailing blanks. */
static size_t line_len(const char *p)
{
	size_t n = strcspn(p, "\n");
	while (n > 0 && isspace((unsigned char)p[n - 1]))
		n--;
	return n;
}

static const char *skip_blank(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* Walks a text line by line: `at` the line's start, `q` its first
 * non-blank character, `end` its end without trailing blanks, `ln` its
 * 1-based number (counting from the `ln` the walk starts with). */
typedef struct lines {
	const char *next; /* the start of the next line */
	const char *at, *q, *end;
	int ln;
} lines;

static int lines_next(lines *w)
{
	if (!*w->next)
		return 0;
	w->ln++;
	w->at = w->next;
	w->end = w->at + line_len(w->at);
	w->q = skip_blank(w->at, w->end);
	w->next = w->at + strcspn(w->at, "\n");
	w->next += *w->next == '\n';
	return 1;
}

static int is_blank_or_comment(const lines *w)
{
	return w->q == w->end || *w->q == '#';
}

static int is_key_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static int starts_word(const char *p, const char *end, const char *w);

/* The settings a line goes to: the header's (group "space") or the
 * hardware section's (group "cost"). */
typedef struct setlist {
	char ***v;
	size_t *n;
	const char *group;
} setlist;

static int add_setting(setlist *l, const char *key, size_t kl,
                       const char *val, size_t vl, apnas_error *err)
{
	char **ns = realloc(*l->v, (*l->n + 1) * sizeof *ns);
	if (!ns)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	*l->v = ns;
	size_t need = strlen(l->group) + 1 + kl + 1 + vl + 1;
	char *s = malloc(need);
	if (!s)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	snprintf(s, need, "%s.%.*s=%.*s", l->group, (int)kl, key, (int)vl,
	         val);
	ns[(*l->n)++] = s;
	return 0;
}

/* An option line after "option": key = value. */
static int read_option(setlist *l, const char *path, int ln,
                       const char *p, const char *end, apnas_error *err)
{
	p = skip_blank(p, end);
	const char *key = p;
	while (p < end && is_key_char((unsigned char)*p))
		p++;
	size_t kl = (size_t)(p - key);
	p = skip_blank(p, end);
	if (kl == 0 || p >= end || *p != '=')
		return apnas_error_set(err, APNAS_EINVAL,
		                       "%s:%d: expected 'option key = value' "
		                       "with key [a-z0-9_]+, got '%.*s'",
		                       path, ln, (int)(end - key), key);
	p = skip_blank(p + 1, end);
	if (p >= end)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "%s:%d: option '%.*s' has no value",
		                       path, ln, (int)kl, key);
	if (kl == strlen("plugin") && !memcmp(key, "plugin", kl))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "%s:%d: 'plugin' is not an option; the "
		                       "%s is named by the '%s' line",
		                       path, ln, l->group, l->group);
	/* [0] is the plugin; a repeated key would silently win */
	for (size_t i = 1; i < *l->n; i++) {
		const char *k = (*l->v)[i] + strlen(l->group) + 1;
		if (!strncmp(k, key, kl) && k[kl] == '=')
			return apnas_error_set(err, APNAS_EINVAL,
			                       "%s:%d: option '%.*s' given twice",
			                       path, ln, (int)kl, key);
	}
	return add_setting(l, key, kl, p, (size_t)(end - p), err);
}

/* The 'space <name>' or 'cost <name>' line: the plugin, kept in *name
 * and as the list's first setting. */
static int read_plugin(setlist *l, char **plugin, const char *path, int ln,
                       const char *p, const char *end, apnas_error *err)
{
	p = skip_blank(p, end);
	const char *name = p;
	while (p < end && is_key_char((unsigned char)*p))
		p++;
	if (p == name || p != end)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "%s:%d: expected '%s <name>' with "
		                       "name [a-z0-9_]+, got '%.*s'", path, ln,
		                       l->group, (int)(end - name), name);
	size_t nl = (size_t)(p - name);
	*plugin = malloc(nl + 1);
	if (!*plugin)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	memcpy(*plugin, name, nl);
	(*plugin)[nl] = '\0';
	return add_setting(l, "plugin", 6, *plugin, nl, err);
}

/* Splits off the hardware section: its mark ends the body. */
static int read_hardware(apnas_archfile *a, const char *path, int ln,
                         const char *p, apnas_error *err)
{
	setlist l = {&a->hw_settings, &a->n_hw, "cost"};
	lines w = {.next = p, .ln = ln};
	while (lines_next(&w)) {
		const char *q = w.q, *end = w.end;
		ln = w.ln;
		int rc = 0;
		if (is_blank_or_comment(&w))
			;
		else if (starts_word(q, end, "cost")) {
			if (a->cost)
				return apnas_error_set(err, APNAS_EINVAL,
				                       "%s:%d: second 'cost' line",
				                       path, ln);
			rc = read_plugin(&l, &a->cost, path, ln, q + 4, end,
			                 err);
		} else if (starts_word(q, end, "option") && a->cost) {
			rc = read_option(&l, path, ln, q + 6, end, err);
		} else {
			return apnas_error_set(err, APNAS_EINVAL,
			                       "%s:%d: expected %s in the "
			                       "hardware section, got '%.*s'",
			                       path, ln, a->cost ?
			                       "'option key = value' or "
			                       "'# comment'" : "'cost <name>' "
			                       "first", (int)(end - q), q);
		}
		if (rc)
			return rc;
	}
	if (!a->cost)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "%s:%d: the hardware section names no "
		                       "'cost <name>'", path, a->hw_line);
	return 0;
}

/* The body runs to the hardware mark or the end; cuts it there. */
static int split_body(apnas_archfile *a, const char *path, apnas_error *err)
{
	size_t ml = strlen(APNAS_ARCH_HW_MARK);
	lines w = {.next = a->body, .ln = a->body_line - 1};
	while (lines_next(&w)) {
		if ((size_t)(w.end - w.q) == ml &&
		    !memcmp(w.q, APNAS_ARCH_HW_MARK, ml)) {
			a->hw_line = w.ln;
			int rc = read_hardware(a, path, w.ln, w.next, err);
			a->body[w.at - a->body] = '\0';
			return rc;
		}
	}
	return 0;
}

static int starts_word(const char *p, const char *end, const char *w)
{
	size_t n = strlen(w);
	return (size_t)(end - p) >= n && !memcmp(p, w, n) &&
	       ((size_t)(end - p) == n || p[n] == ' ' || p[n] == '\t');
}

static int read_text(const char *path, const char *text, apnas_archfile *a,
                     apnas_error *err)
{
	lines w = {.next = text, .ln = 0};
	int seen_magic = 0;
	while (lines_next(&w)) {
		const char *q = w.q, *end = w.end, *next = w.next;
		int ln = w.ln;
		if (is_blank_or_comment(&w))
			continue;
		if (!seen_magic) {
			/* the text runs on past this line: parse only it */
			char vbuf[32] = "";
			const char *v = q + strlen(ARCH_MAGIC);
			if (v < end && (size_t)(end - v) < sizeof vbuf)
				memcpy(vbuf, v, (size_t)(end - v));
			char *vend = NULL;
			errno = 0;
			long long ver = strtoll(vbuf, &vend, 10);
			int range = errno == ERANGE;
			while (vend && (*vend == ' ' || *vend == '\t'))
				vend++;
			if (!starts_word(q, end, ARCH_MAGIC) || vend == vbuf ||
			    !isspace((unsigned char)vbuf[0]) || *vend)
				return apnas_error_set(err, APNAS_EINVAL,
				                       "%s:%d: not an apnas "
				                       "architecture file: "
				                       "expected '%s %d' as the "
				                       "first line",
				                       path, ln, ARCH_MAGIC,
				                       ARCH_VERSION);
			if (range)
				return apnas_error_set(err, APNAS_EINVAL,
				                       "%s:%d: architecture "
				                       "format version %.*s is "
				                       "out of range; this apnas "
				                       "reads version %d", path,
				                       ln, (int)(end - v), v,
				                       ARCH_VERSION);
			if (ver != ARCH_VERSION)
				return apnas_error_set(err, APNAS_EINVAL,
				                       "%s:%d: architecture "
				                       "format version %lld; this "
				                       "apnas reads version %d",
				                       path, ln, ver,
				                       ARCH_VERSION);
			seen_magic = 1;
		} else if ((size_t)(end - q) == strlen(ARCH_BODY_MARK) &&
		           !memcmp(q, ARCH_BODY_MARK, (size_t)(end - q))) {
			if (!a->space)
				return apnas_error_set(err, APNAS_EINVAL,
				                       "%s:%d: body starts before "
				                       "the 'space <name>' line",
				                       path, ln);
			const char *b = next;
			int blank = 1;
			for (const char *c = b; *c && blank; c++)
				blank = isspace((unsigned char)*c);
			if (blank)
				return apnas_error_set(err, APNAS_EINVAL,
				                       "%s:%d: no architecture "
				                       "after '%s'", path, ln,
				                       ARCH_BODY_MARK);
			a->body = strdup(b);
			if (!a->body)
				return apnas_error_set(err, APNAS_ENOMEM,
				                       "out of memory");
			a->body_line = ln + 1;
			return split_body(a, path, err);
		} else if (starts_word(q, end, "space")) {
			if (a->space)
				return apnas_error_set(err, APNAS_EINVAL,
				                       "%s:%d: second 'space' "
				                       "line", path, ln);
			setlist l = {&a->settings, &a->n_settings, "space"};
			int rc = read_plugin(&l, &a->space, path, ln, q + 5,
			                     end, err);
			if (rc)
				return rc;
		} else if (starts_word(q, end, "option")) {
			if (!a->space)
				return apnas_error_set(err, APNAS_EINVAL,
				                       "%s:%d: 'option' before "
				                       "the 'space <name>' line",
				                       path, ln);
			setlist l = {&a->settings, &a->n_settings, "space"};
			int rc = read_option(&l, path, ln, q + 6, end, err);
			if (rc)
				return rc;
		} else {
			return apnas_error_set(err, APNAS_EINVAL,
			                       "%s:%d: expected 'space', "
			                       "'option', '# comment' or '%s' "
			                       "in the header, got '%.*s'",
			                       path, ln, ARCH_BODY_MARK,
			                       (int)(end - q), q);
		}
	}
	if (!seen_magic)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "%s: empty file: not an apnas "
		                       "architecture file", path);
	return apnas_error_set(err, APNAS_EINVAL,
	                       "%s:%d: no '%s' line before the architecture "
	                       "body", path, w.ln, ARCH_BODY_MARK);
}

int apnas_archfile_parse(const char *path, const char *text, size_t len,
                         apnas_archfile *out, apnas_error *err)
{
	memset(out, 0, sizeof *out);
	if (memchr(text, '\0', len))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "%s: not a text file (NUL byte)", path);
	int rc = read_text(path, text, out, err);
	if (rc) {
		int line = err ? err->line : 0;
		apnas_archfile_free(out);
		if (err)
			err->line = line;
	}
	return rc;
}

int apnas_archfile_read(const char *path, apnas_archfile *out,
                        apnas_error *err)
{
	memset(out, 0, sizeof *out);
	char *text = NULL;
	size_t len = 0;
	int rc = apnas_text_read(path, APNAS_CONFIG_MAX_BYTES, &text, &len,
	                         err);
	if (rc)
		return rc;
	rc = apnas_archfile_parse(path, text, len, out, err);
	free(text);
	return rc;
}

/* ---- writing ---------------------------------------------------------- */

typedef struct write_ctx {
	const char *space_name;
	const apnas_opts *opts;
	const char *comment;
	const char *body;
	const char *hardware;
} write_ctx;

static int write_body(FILE *f, void *ud, apnas_error *err)
{
	const write_ctx *w = ud;
	fprintf(f, "%s %d\nspace %s\n", ARCH_MAGIC, ARCH_VERSION,
	        w->space_name);
	const apnas_option *t = w->opts ? apnas_opts_table(w->opts) : NULL;
	for (size_t k = 0; t && t[k].key; k++) {
		int need = apnas_opts_text(w->opts, t[k].key, NULL, 0);
		char *buf = malloc((size_t)need + 1);
		if (!buf)
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "out of memory");
		apnas_opts_text(w->opts, t[k].key, buf, (size_t)need + 1);
		/* The recipe it was searched with is worth knowing, but it is
		 * not the network: a comment, never a setting. */
		if (t[k].flags & APNAS_OPT_RECIPE)
			fprintf(f, "# searched with recipe option %s = %s\n",
			        t[k].key, buf);
		else
			fprintf(f, "option %s = %s\n", t[k].key, buf);
		free(buf);
	}
	for (const char *c = w->comment; c && *c;) {
		size_t n = strcspn(c, "\n");
		fprintf(f, "# %.*s\n", (int)n, c);
		c += n + (c[n] == '\n');
	}
	fprintf(f, "%s\n%s", ARCH_BODY_MARK, w->body);
	size_t bl = strlen(w->body);
	if (bl == 0 || w->body[bl - 1] != '\n')
		fputc('\n', f);
	if (w->hardware)
		fprintf(f, "%s\n%s", APNAS_ARCH_HW_MARK, w->hardware);
	if (ferror(f))
		return apnas_error_set(err, APNAS_EIO, "write error");
	return 0;
}

int apnas_archfile_write(const char *path, const char *space_name,
                         const apnas_opts *space_opts,
                         const apnas_space_ops *ops, void *space,
                         const int32_t *tok, const char *comment,
                         const char *hardware, apnas_error *err)
{
	char *body = NULL;
	int rc = ops->format(space, tok, &body, err);
	if (rc) {
		free(body);
		return apnas_error_prefix(err, "space '%s': format",
		                          space_name);
	}
	if (!body)
		return apnas_error_set(err, APNAS_EPLUGIN,
		                       "space '%s': format gave no text",
		                       space_name);
	write_ctx w = {space_name, space_opts, comment, body, hardware};
	rc = apnas_write_atomic_with(path, 0, write_body, &w, err);
	free(body);
	return rc;
}

char *apnas_archfile_hw_text(const apnas_archfile *a)
{
	if (!a->cost)
		return NULL;
	size_t cap = 1;
	for (size_t i = 0; i < a->n_hw; i++)
		cap += strlen(a->hw_settings[i]) + 16;
	char *t = malloc(cap), *w = t;
	if (!t)
		return NULL;
	w += sprintf(w, "cost %s\n", a->cost);
	for (size_t i = 1; i < a->n_hw; i++) {
		const char *k = a->hw_settings[i] + strlen("cost.");
		const char *eq = strchr(k, '=');
		w += sprintf(w, "option %.*s = %s\n", (int)(eq - k), k, eq + 1);
	}
	return t;
}
