/* Recursive-descent JSON parser.  Positions are tracked so that an error
 * points at the line and column of the offending byte; the depth limit
 * keeps a hostile file from exhausting the stack. */
#include "report/json.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hw/textfile.h"

#define JSON_MAX_DEPTH 64
/* summary.json of a big derive is well under a megabyte; this bounds
 * what a stray huge file can make us allocate. */
#define JSON_MAX_FILE (256u << 20)

typedef struct parser {
	const char *s;
	size_t len, pos;
	apnas_error *err;
} parser;

static int fail(parser *p, const char *what)
{
	int line = 1, col = 1;
	for (size_t i = 0; i < p->pos && i < p->len; i++) {
		if (p->s[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	int rc = apnas_error_set(p->err, APNAS_EINVAL,
	                         "line %d, column %d: %s", line, col, what);
	if (p->err)
		p->err->line = line;
	return rc;
}

static void skip_ws(parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' ||
	       p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
	       p->s[p->pos] == '\r'))
		p->pos++;
}

static int peek(parser *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static void free_inner(apnas_json *v)
{
	free(v->str);
	for (size_t i = 0; i < v->n; i++) {
		if (v->keys)
			free(v->keys[i]);
		if (v->items)
			free_inner(&v->items[i]);
	}
	free(v->keys);
	free(v->items);
	memset(v, 0, sizeof *v);
}

static int parse_value(parser *p, apnas_json *v, int depth);

static int hex4(parser *p, unsigned *u)
{
	if (p->pos + 4 > p->len)
		return fail(p, "expected 4 hex digits after \\u");
	*u = 0;
	for (int i = 0; i < 4; i++) {
		char c = p->s[p->pos + i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return fail(p, "expected 4 hex digits after \\u");
		*u = *u * 16 + d;
	}
	p->pos += 4;
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* At the opening quote.  Escapes never grow the text (\uXXXX is 6 bytes
 * for at most 4 of UTF-8), so the raw span bounds the buffer. */
static int parse_string(parser *p, char **out)
{
	size_t start = ++p->pos, end = start;
	while (end < p->len && p->s[end] != '"') {
		if (p->s[end] == '\\')
			end++;
		end++;
	}
	if (end >= p->len)
		return fail(p, "unterminated string");
	char *o = malloc(end - start + 1);
	if (!o)
		return apnas_error_set(p->err, APNAS_ENOMEM, "out of memory");
	size_t k = 0;
	while (p->pos < end) {
		unsigned char c = (unsigned char)p->s[p->pos];
		if (c < 0x20) {
			free(o);
			return fail(p, "control character inside a string "
			               "(must be escaped)");
		}
		if (c != '\\') {
			o[k++] = (char)c;
			p->pos++;
			continue;
		}
		p->pos++;
		char e = p->s[p->pos++];
		switch (e) {
		case '"': o[k++] = '"'; break;
		case '\\': o[k++] = '\\'; break;
		case '/': o[k++] = '/'; break;
		case 'b': o[k++] = '\b'; break;
		case 'f': o[k++] = '\f'; break;
		case 'n': o[k++] = '\n'; break;
		case 'r': o[k++] = '\r'; break;
		case 't': o[k++] = '\t'; break;
		case 'u': {
			unsigned u, lo;
			if (hex4(p, &u) < 0) {
				free(o);
				return APNAS_EINVAL;
			}
			if (u >= 0xd800 && u < 0xdc00 && p->pos + 6 <= end &&
			    p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u') {
				p->pos += 2;
				if (hex4(p, &lo) < 0) {
					free(o);
					return APNAS_EINVAL;
				}
				if (lo >= 0xdc00 && lo < 0xe000)
					u = 0x10000 + ((u - 0xd800) << 10) +
					    (lo - 0xdc00);
				else
					p->pos -= 6; /* not a pair: two tokens */
			}
			/* A lone surrogate cannot be UTF-8; keep its place. */
			if (u >= 0xd800 && u < 0xe000)
				u = 0xfffd;
			k += put_utf8(o + k, u);
			break;
		}
		default:
			p->pos--;
			free(o);
			return fail(p, "unknown escape in a string");
		}
	}
	o[k] = '\0';
	p->pos = end + 1;
	*out = o;
	return 0;
}

static int parse_number(parser *p, apnas_json *v)
{
	size_t i = p->pos;
	if (i < p->len && p->s[i] == '-')
		i++;
	if (i >= p->len || p->s[i] < '0' || p->s[i] > '9')
		return fail(p, "expected a value");
	if (p->s[i] == '0')
		i++;
	else
		while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
			i++;
	if (i < p->len && p->s[i] == '.') {
		i++;
		if (i >= p->len || p->s[i] < '0' || p->s[i] > '9') {
			p->pos = i;
			return fail(p, "expected a digit after the decimal "
			               "point");
		}
		while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
			i++;
	}
	if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
		i++;
		if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
			i++;
		if (i >= p->len || p->s[i] < '0' || p->s[i] > '9') {
			p->pos = i;
			return fail(p, "expected a digit in the exponent");
		}
		while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
			i++;
	}
	/* strtod needs a terminated copy: the text may not end here. */
	char buf[64];
	size_t n = i - p->pos;
	if (n >= sizeof buf)
		return fail(p, "number too long");
	memcpy(buf, p->s + p->pos, n);
	buf[n] = '\0';
	v->type = APNAS_JSON_NUMBER;
	v->num = strtod(buf, NULL);
	/* JSON has no infinity: a number past a double's range is refused,
	 * not turned into one */
	if (!isfinite(v->num))
		return fail(p, "a number in range of a double (no infinity "
		            "in JSON), got one out of range");
	p->pos = i;
	return 0;
}

static int literal(parser *p, const char *word, apnas_json_type t,
                   double num, apnas_json *v)
{
	size_t n = strlen(word);
	if (p->pos + n > p->len || memcmp(p->s + p->pos, word, n) != 0)
		return fail(p, "expected a value");
	p->pos += n;
	v->type = t;
	v->num = num;
	return 0;
}

/* Appends a zeroed slot to v->items (and v->keys for objects). */
static apnas_json *grow(parser *p, apnas_json *v, size_t *cap)
{
	if (v->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		apnas_json *ni = realloc(v->items, nc * sizeof *ni);
		if (!ni)
			return NULL;
		v->items = ni;
		if (v->type == APNAS_JSON_OBJECT) {
			char **nk = realloc(v->keys, nc * sizeof *nk);
			if (!nk)
				return NULL;
			v->keys = nk;
		}
		*cap = nc;
	}
	(void)p;
	memset(&v->items[v->n], 0, sizeof v->items[v->n]);
	if (v->keys)
		v->keys[v->n] = NULL;
	return &v->items[v->n];
}

static int parse_container(parser *p, apnas_json *v, int depth)
{
	int obj = p->s[p->pos] == '{';
	char close = obj ? '}' : ']';
	v->type = obj ? APNAS_JSON_OBJECT : APNAS_JSON_ARRAY;
	p->pos++;
	size_t cap = 0;
	skip_ws(p);
	if (peek(p) == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		skip_ws(p);
		char *key = NULL;
		if (obj) {
			if (peek(p) != '"')
				return fail(p, "expected a member name in "
				               "double quotes");
			int rc = parse_string(p, &key);
			if (rc < 0)
				return rc;
			skip_ws(p);
			if (peek(p) != ':') {
				free(key);
				return fail(p, "expected ':' after a member "
				               "name");
			}
			p->pos++;
		}
		apnas_json *slot = grow(p, v, &cap);
		if (!slot) {
			free(key);
			return apnas_error_set(p->err, APNAS_ENOMEM,
			                       "out of memory");
		}
		if (obj)
			v->keys[v->n] = key;
		v->n++;
		int rc = parse_value(p, slot, depth + 1);
		if (rc < 0)
			return rc;
		skip_ws(p);
		int c = peek(p);
		if (c == ',') {
			p->pos++;
			continue;
		}
		if (c == close) {
			p->pos++;
			return 0;
		}
		return fail(p, obj ? "expected ',' or '}' in an object"
		                   : "expected ',' or ']' in an array");
	}
}

static int parse_value(parser *p, apnas_json *v, int depth)
{
	if (depth > JSON_MAX_DEPTH)
		return fail(p, "nested deeper than 64 levels");
	skip_ws(p);
	int c = peek(p);
	switch (c) {
	case '{':
	case '[':
		return parse_container(p, v, depth);
	case '"':
		v->type = APNAS_JSON_STRING;
		return parse_string(p, &v->str);
	case 't':
		return literal(p, "true", APNAS_JSON_BOOL, 1, v);
	case 'f':
		return literal(p, "false", APNAS_JSON_BOOL, 0, v);
	case 'n':
		return literal(p, "null", APNAS_JSON_NULL, NAN, v);
	case -1:
		return fail(p, "unexpected end of text, expected a value");
	default:
		return parse_number(p, v);
	}
}

int apnas_json_parse(const char *text, size_t len, apnas_json **out,
                     apnas_error *err)
{
	*out = NULL;
	apnas_json *v = calloc(1, sizeof *v);
	if (!v)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	parser p = {text, len, 0, err};
	int rc = parse_value(&p, v, 0);
	if (rc == 0) {
		skip_ws(&p);
		if (p.pos < len)
			rc = fail(&p, "text after the JSON value");
	}
	if (rc < 0) {
		apnas_json_free(v);
		return rc;
	}
	*out = v;
	return 0;
}

void apnas_json_free(apnas_json *v)
{
	if (!v)
		return;
	free_inner(v);
	free(v);
}

const apnas_json *apnas_json_get(const apnas_json *v, const char *key)
{
	if (!v || v->type != APNAS_JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->keys[i], key))
			return &v->items[i];
	return NULL;
}

double apnas_json_num_at(const apnas_json *v, const char *key)
{
	const apnas_json *m = key ? apnas_json_get(v, key) : v;
	return m && m->type == APNAS_JSON_NUMBER ? m->num : NAN;
}

const char *apnas_json_str_at(const apnas_json *v, const char *key)
{
	const apnas_json *m = apnas_json_get(v, key);
	return m && m->type == APNAS_JSON_STRING ? m->str : NULL;
}

int apnas_json_read_file(const char *path, apnas_json **out,
                         apnas_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	*out = NULL;
	int rc = apnas_text_read(path, JSON_MAX_FILE, &buf, &len, err);
	if (rc < 0)
		return rc;
	rc = apnas_json_parse(buf, len, out, err);
	free(buf);
	if (rc < 0)
		return apnas_error_prefix(err, "%s", path);
	return 0;
}
