/* SCALE-Sim conv topology CSV in and out of a network description (see
 * topology.h).  Reading is strict where SCALE-Sim would crash or guess
 * (every bad field is refused with file:line:column), and lenient where it
 * costs nothing (a missing trailing comma, spaces, tabs, '#' comments). */
#include "topology.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "nameset.h"
#include "systolic_model.h"
#include "textfile.h"

#define MAX_FIELDS 16

static const char *const field_label[] = {
	"Layer name", "IFMAP Height", "IFMAP Width", "Filter Height",
	"Filter Width", "Channels", "Num Filter", "Strides", "Stride width",
};

#define HEADER "Layer name, IFMAP Height, IFMAP Width, Filter Height, " \
               "Filter Width, Channels, Num Filter, Strides,"

typedef struct field {
	const char *s; /* start, trimmed */
	size_t n;      /* length, trimmed */
	int col;       /* 1-based column of its first character */
} field;

typedef struct where {
	const char *file;
	int line;
} where;

static int fail(apnas_error *err, const where *w, int col, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));

static int fail(apnas_error *err, const where *w, int col, const char *fmt,
                ...)
{
	char what[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	apnas_error_set(err, APNAS_EINVAL, "%s:%d:%d: %s", w->file, w->line,
	                col, what);
	if (err)
		err->line = w->line;
	return APNAS_EINVAL;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Splits one line (comment already cut) at commas, trimming each field,
 * and drops the empty fields at the end (SCALE-Sim ends rows with a
 * comma).  Returns the field count, or -1 if there are too many. */
static int split(const char *line, size_t n, field *f)
{
	int nf = 0;
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && line[i] != ',')
			continue;
		if (nf == MAX_FIELDS)
			return -1;
		size_t a = start, b = i;
		while (a < b && is_blank(line[a]))
			a++;
		while (b > a && is_blank(line[b - 1]))
			b--;
		f[nf].s = line + a;
		f[nf].n = b - a;
		f[nf].col = (int)(a < b ? a : start) + 1;
		nf++;
		start = i + 1;
	}
	while (nf > 0 && f[nf - 1].n == 0)
		nf--;
	return nf;
}

/* A field as a positive int32; 0 or an error message in `why`. */
static int parse_pos(const field *f, int32_t *v, char *why, size_t cap)
{
	char text[40];
	size_t i = 0;
	int neg = 0;
	if (f->n == 0) {
		snprintf(why, cap, "expected a positive integer, got an empty "
		         "field");
		return -1;
	}
	snprintf(text, sizeof text, "%.*s", (int)(f->n < 32 ? f->n : 32), f->s);
	if (f->s[0] == '-' || f->s[0] == '+') {
		neg = f->s[0] == '-';
		i = 1;
	}
	if (i == f->n) {
		snprintf(why, cap, "expected a positive integer, got '%s'", text);
		return -1;
	}
	int64_t x = 0;
	for (; i < f->n; i++) {
		char c = f->s[i];
		if (c < '0' || c > '9') {
			snprintf(why, cap, "expected a positive integer, got '%s%s'",
			         text, f->n > 32 ? "..." : "");
			return -1;
		}
		if (x <= INT32_MAX)
			x = x * 10 + (c - '0');
	}
	if (neg || x == 0) {
		snprintf(why, cap, "expected a positive integer (>= 1), got %s",
		         text);
		return -1;
	}
	if (x > INT32_MAX) {
		snprintf(why, cap, "expected a positive integer up to %d, got "
		         "'%s%s'", INT32_MAX, text, f->n > 32 ? "..." : "");
		return -1;
	}
	*v = (int32_t)x;
	return 0;
}

static int looks_like_row(const field *f, int nf)
{
	char why[128];
	int32_t v;
	if (nf < 8)
		return 0;
	for (int i = 1; i < 8; i++)
		if (parse_pos(&f[i], &v, why, sizeof why))
			return 0;
	return 1;
}

int apnas_topology_layer(const apnas_topo_row *r, apnas_layer *l,
                         apnas_error *err)
{
	if (r->ifmap_h < 1 || r->ifmap_w < 1 || r->filt_h < 1 ||
	    r->filt_w < 1 || r->channels < 1 || r->filters < 1 ||
	    r->stride < 1)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "layer %s: IFMAP %dx%d, filter %dx%d, "
		                       "channels %d, filters %d, stride %d: "
		                       "expected every size >= 1", r->name,
		                       r->ifmap_h, r->ifmap_w, r->filt_h,
		                       r->filt_w, r->channels, r->filters,
		                       r->stride);
	if (r->filt_h > r->ifmap_h || r->filt_w > r->ifmap_w)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "layer %s: filter %dx%d larger than the "
		                       "IFMAP %dx%d (IFMAP sizes include the "
		                       "padding)", r->name, r->filt_h, r->filt_w,
		                       r->ifmap_h, r->ifmap_w);
	memset(l, 0, sizeof *l);
	l->type = APNAS_LAYER_CONV;
	snprintf(l->name, sizeof l->name, "%s", r->name);
	l->in = (apnas_shape){r->channels, r->ifmap_h, r->ifmap_w};
	l->out.c = r->filters;
	l->out.h = (int32_t)apnas_scalesim_out(r->ifmap_h, r->filt_h, r->stride);
	l->out.w = (int32_t)apnas_scalesim_out(r->ifmap_w, r->filt_w, r->stride);
	l->kh = r->filt_h;
	l->kw = r->filt_w;
	l->stride = r->stride;
	l->groups = 1;
	l->n_inputs = 1;
	return 0;
}

typedef struct parse_state {
	apnas_net *net;
	size_t first_new;
	apnas_nameset names; /* every layer's name; tag: its line, 0 for
	                        layers there before this parse */
} parse_state;

/* Refuses a name already in the net (hashed: a topology of many rows is
 * checked in linear time), else appends l. */
static int append(parse_state *ps, const apnas_layer *l, const where *w,
                  int col, apnas_error *err)
{
	int first = 0;
	int rc = apnas_nameset_add(&ps->names, l->name, w->line, &first);
	if (rc < 0)
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "out of memory reading a topology");
	if (rc > 0 && first > 0)
		return fail(err, w, col, "duplicate layer name '%s' (first on "
		            "line %d)", l->name, first);
	if (rc > 0)
		return fail(err, w, col, "duplicate layer name '%s' (already in "
		            "the network)", l->name);
	if (ps->net->n - ps->first_new >= APNAS_TOPOLOGY_MAX_LAYERS)
		return fail(err, w, col, "more than %d layers: a topology holds "
		            "at most %d (depthwise rows count one per channel)",
		            APNAS_TOPOLOGY_MAX_LAYERS, APNAS_TOPOLOGY_MAX_LAYERS);
	return apnas_net_add(ps->net, l, err);
}

static int parse_row(parse_state *ps, const field *f, int nf, int eol_col,
                     const where *w, apnas_error *err)
{
	int32_t v[9];
	char why[160];
	apnas_topo_row r;
	apnas_layer l;
	apnas_error e = {0};
	int rc;

	if (nf < 8)
		return fail(err, w, nf > 0 ? eol_col : 1,
		            "expected 8 fields (Layer name, IFMAP Height, IFMAP "
		            "Width, Filter Height, Filter Width, Channels, Num "
		            "Filter, Strides), got %d", nf);
	if (nf > 9)
		return fail(err, w, f[9].col, "unexpected field '%.*s': expected "
		            "at most 9 fields (the 9th being the stride width)",
		            (int)(f[9].n < 40 ? f[9].n : 40), f[9].s);
	if (f[0].n == 0)
		return fail(err, w, f[0].col, "Layer name: expected a name, got "
		            "an empty field");
	if (f[0].n >= sizeof r.name)
		return fail(err, w, f[0].col, "Layer name: expected at most %zu "
		            "characters, got %zu", sizeof r.name - 1, f[0].n);
	for (int i = 1; i < nf; i++)
		if (parse_pos(&f[i], &v[i], why, sizeof why))
			return fail(err, w, f[i].col, "%s: %s", field_label[i],
			            why);
	if (nf == 9 && v[8] != v[7])
		return fail(err, w, f[8].col, "Stride width %d differs from the "
		            "stride %d: expected one stride for both directions",
		            v[8], v[7]);
	if (v[3] > v[1])
		return fail(err, w, f[3].col, "Filter Height %d larger than IFMAP "
		            "Height %d: expected a filter that fits the IFMAP "
		            "(IFMAP sizes include the padding)", v[3], v[1]);
	if (v[4] > v[2])
		return fail(err, w, f[4].col, "Filter Width %d larger than IFMAP "
		            "Width %d: expected a filter that fits the IFMAP "
		            "(IFMAP sizes include the padding)", v[4], v[2]);

	memset(&r, 0, sizeof r);
	memcpy(r.name, f[0].s, f[0].n);
	r.ifmap_h = v[1];
	r.ifmap_w = v[2];
	r.filt_h = v[3];
	r.filt_w = v[4];
	r.channels = v[5];
	r.filters = v[6];
	r.stride = v[7];

	/* With one channel SCALE-Sim's split changes only the name: keep it. */
	if (!strstr(r.name, "DP") || r.channels == 1) {
		if ((rc = apnas_topology_layer(&r, &l, &e)))
			return fail(err, w, f[0].col, "%s", e.msg);
		return append(ps, &l, w, f[0].col, err);
	}
	/* SCALE-Sim's depthwise rows: one single-channel layer per channel,
	 * named as SCALE-Sim names them, so the totals agree.  Refused
	 * before the expansion when it would pass a limit. */
	if (r.channels > APNAS_TOPOLOGY_MAX_DP_CHANNELS)
		return fail(err, w, f[5].col, "Channels %d in a depthwise (DP) "
		            "row: expected at most %d (SCALE-Sim makes one layer "
		            "per channel)", r.channels,
		            APNAS_TOPOLOGY_MAX_DP_CHANNELS);
	size_t have = ps->net->n - ps->first_new;
	if (have + (size_t)r.channels > APNAS_TOPOLOGY_MAX_LAYERS)
		return fail(err, w, f[5].col, "depthwise (DP) row of %d channels "
		            "makes %zu layers with the %zu before it: a topology "
		            "holds at most %d", r.channels,
		            have + (size_t)r.channels, have,
		            APNAS_TOPOLOGY_MAX_LAYERS);
	apnas_topo_row one = r;
	one.channels = 1;
	for (int32_t c = 0; c < r.channels; c++) {
		char suffix[32];
		int sl = snprintf(suffix, sizeof suffix, "Channel_%d", c);
		int keep = (int)sizeof one.name - 1 - sl;
		snprintf(one.name, sizeof one.name, "%.*s%s", keep, r.name,
		         suffix);
		if ((rc = apnas_topology_layer(&one, &l, &e)))
			return fail(err, w, f[0].col, "%s", e.msg);
		if ((rc = append(ps, &l, w, f[0].col, err)))
			return rc;
	}
	return 0;
}

int apnas_topology_parse(const char *text, size_t len, const char *file,
                         apnas_net *net, apnas_error *err)
{
	field f[MAX_FIELDS];
	parse_state ps = {net, net->n, {0}};
	where w = {file ? file : "<topology>", 0};
	int header = 0, rc = 0;
	size_t rows = 0;

	apnas_nameset_init(&ps.names);
	if (len > APNAS_TOPOLOGY_MAX_BYTES)
		return apnas_error_set(err, APNAS_EINVAL, "%s: %zu bytes: a "
		                       "topology holds at most %zu", w.file, len,
		                       (size_t)APNAS_TOPOLOGY_MAX_BYTES);
	for (size_t i = 0; i < net->n; i++)
		if (apnas_nameset_add(&ps.names, net->layers[i].name, 0,
		                      NULL) < 0 && net->layers[i].name[0]) {
			apnas_nameset_free(&ps.names);
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "out of memory reading a topology");
		}
	for (size_t pos = 0; pos < len && !rc;) {
		const char *line = text + pos;
		size_t n = 0;
		while (pos + n < len && line[n] != '\n')
			n++;
		pos += n + 1;
		w.line++;
		const char *hash = memchr(line, '#', n);
		if (hash)
			n = (size_t)(hash - line);
		if (memchr(line, '\0', n)) {
			rc = fail(err, &w, 1, "expected text, got a NUL byte");
			break;
		}
		int nf = split(line, n, f);
		if (nf < 0) {
			rc = fail(err, &w, 1, "expected at most 9 fields, got more "
			          "than %d", MAX_FIELDS);
			break;
		}
		if (nf == 0)
			continue; /* blank, comment or all-empty row */
		if (!header) {
			header = 1;
			if (looks_like_row(f, nf))
				rc = fail(err, &w, 1, "expected the header line (%s) "
				          "first, got a layer row", HEADER);
			continue;
		}
		int eol = (int)n + 1;
		while (eol > 1 && (is_blank(line[eol - 2]) || line[eol - 2] == ','))
			eol--;
		rc = parse_row(&ps, f, nf, eol, &w, err);
		rows++;
	}
	apnas_nameset_free(&ps.names);
	if (rc)
		return rc;
	if (!header || rows == 0) {
		apnas_error_set(err, APNAS_EINVAL, "%s: expected a header line "
		                "and at least one layer row, got %s", w.file,
		                header ? "only the header" : "no text");
		return APNAS_EINVAL;
	}
	return 0;
}

int apnas_topology_load(const char *path, apnas_net *net, apnas_error *err)
{
	char *buf;
	size_t len;
	int rc = apnas_text_read(path, APNAS_TOPOLOGY_MAX_BYTES, &buf, &len, err);
	if (rc)
		return rc;
	rc = apnas_topology_parse(buf, len, path, net, err);
	free(buf);
	return rc;
}

/* An IFMAP size for which SCALE-Sim's ceiling rule gives `out`: the
 * padded input itself when it does (so a topology read in writes back
 * unchanged), else the smallest one, (out - 1) * s + k. */
static int64_t ifmap_size(int32_t in, int32_t pad, int32_t k, int32_t s,
                          int32_t out)
{
	int64_t padded = (int64_t)in + 2 * (int64_t)pad;
	if (apnas_scalesim_out(padded, k, s) == out)
		return padded;
	return ((int64_t)out - 1) * s + k;
}

/* Names SCALE-Sim can read back: no field separators or comment marks,
 * and no "DP" where SCALE-Sim would split the row by channel again. */
static void export_name(const apnas_layer *l, int32_t channel,
                        int many_channels, char *out, size_t cap)
{
	char suffix[24] = "";
	if (channel >= 0)
		snprintf(suffix, sizeof suffix, "_ch%d", channel);
	size_t sl = strlen(suffix), keep = strnlen(l->name, sizeof l->name);
	if (keep + sl >= cap)
		keep = cap - 1 - sl;
	memcpy(out, l->name, keep);
	memcpy(out + keep, suffix, sl + 1);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == ',' || *p == '#')
			*p = '_';
	if (many_channels)
		for (char *p = strstr(out, "DP"); p; p = strstr(p, "DP"))
			p[1] = 'p';
	if (!out[0])
		snprintf(out, cap, "layer%s", suffix);
}

int apnas_topology_row(const apnas_layer *l, int32_t channel,
                       apnas_topo_row *r, int *skip, apnas_error *err)
{
	apnas_gemm g;
	int rc;
	*skip = 0;
	memset(r, 0, sizeof *r);
	if ((rc = apnas_layer_gemm(l, &g, err)))
		return rc;
	if (g.repeat == 0) {
		*skip = 1;
		return 0;
	}
	int64_t h = 1, w = 1, ch = l->in.c, m = l->out.c;
	if (l->type == APNAS_LAYER_FC) {
		ch = (int64_t)g.k;
		r->filt_h = r->filt_w = r->stride = 1;
		channel = -1;
	} else {
		if (l->type == APNAS_LAYER_DWCONV) {
			if (channel < 0 || channel >= l->in.c)
				return apnas_error_set(err, APNAS_EINVAL,
				                       "layer %s: channel %d: expected "
				                       "0 to %d", l->name, channel,
				                       l->in.c - 1);
			ch = m = 1;
		} else {
			channel = -1;
		}
		h = ifmap_size(l->in.h, l->pad_h, l->kh, l->stride, l->out.h);
		w = ifmap_size(l->in.w, l->pad_w, l->kw, l->stride, l->out.w);
		r->filt_h = l->kh;
		r->filt_w = l->kw;
		r->stride = l->stride;
	}
	export_name(l, channel, ch > 1, r->name, sizeof r->name);
	if (h > INT32_MAX || w > INT32_MAX || ch > INT32_MAX)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "layer %s: a size over %d does not fit a "
		                       "topology field", l->name, INT32_MAX);
	r->ifmap_h = (int32_t)h;
	r->ifmap_w = (int32_t)w;
	r->channels = (int32_t)ch;
	r->filters = (int32_t)m;
	return 0;
}

static int write_row(FILE *f, const apnas_topo_row *r)
{
	return fprintf(f, "%s,%d,%d,%d,%d,%d,%d,%d,\n", r->name, r->ifmap_h,
	               r->ifmap_w, r->filt_h, r->filt_w, r->channels,
	               r->filters, r->stride) < 0;
}

/* Export names are cleaned of characters a topology cannot hold, so two
 * layers may come out alike ("a\tb", "a_b"); a later one gets "_2",
 * "_3", ... so that the file reads back. */
static int unique_name(apnas_nameset *seen, char *name, apnas_error *err)
{
	char base[64];
	snprintf(base, sizeof base, "%s", name);
	for (unsigned k = 2;; k++) {
		int rc = apnas_nameset_add(seen, name, 1, NULL);
		if (rc == 0)
			return 0;
		if (rc < 0)
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "out of memory writing a topology");
		char suffix[16];
		int sl = snprintf(suffix, sizeof suffix, "_%u", k);
		int keep = (int)sizeof base - 1 - sl;
		snprintf(name, sizeof base, "%.*s%s", keep, base, suffix);
	}
}

int apnas_topology_write(FILE *f, const apnas_net *net, apnas_error *err)
{
	apnas_topo_row r;
	apnas_nameset seen;
	int skip, rc = 0;
	apnas_nameset_init(&seen);
	int bad = fprintf(f, "%s\n", HEADER) < 0;
	for (size_t i = 0; i < net->n && !bad && !rc; i++) {
		const apnas_layer *l = &net->layers[i];
		int32_t chans = l->type == APNAS_LAYER_DWCONV ? l->in.c : 1;
		for (int32_t c = 0; c < chans && !bad && !rc; c++) {
			if ((rc = apnas_topology_row(l, c, &r, &skip, err)))
				break;
			if (skip)
				break;
			if ((rc = unique_name(&seen, r.name, err)))
				break;
			bad = write_row(f, &r);
		}
	}
	apnas_nameset_free(&seen);
	if (rc)
		return rc;
	if (bad)
		return apnas_error_set(err, APNAS_EIO, "writing a topology: %s",
		                       strerror(errno));
	return 0;
}

static int write_cb(FILE *f, void *ud, apnas_error *err)
{
	return apnas_topology_write(f, ud, err);
}

int apnas_topology_save(const char *path, const apnas_net *net,
                        apnas_error *err)
{
	int rc = apnas_write_atomic_with(path, 0, write_cb, (void *)net, err);
	if (rc && err && !strstr(err->msg, path))
		apnas_error_prefix(err, "%s", path);
	return rc;
}
