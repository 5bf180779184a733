/* Reading a parameter set's values out of a space's saved state.  The
 * engine's checkpoint format (core/nn/params_io.c: "APNASNN1", byte-order
 * mark, count; per tensor name, dims, trainable flag, values and, when
 * trainable, momentum; "APNASEND") is self-describing, so the export needs
 * no set built by the space: it takes the first such section of what the
 * space's save() wrote, whatever the space put before it. */
#include "export/export.h"

#include <stdlib.h>
#include <string.h>

#define MAGIC "APNASNN1"
#define TRAILER "APNASEND"
#define BOM 0x01020304u
/* the engine's limits on a parameter name and rank */
#define NAME_MAX_LEN 255
#define MAX_DIMS 4

typedef struct rd {
	const unsigned char *p, *end;
} rd;

static int take(rd *r, void *out, size_t n)
{
	if ((size_t)(r->end - r->p) < n)
		return -1;
	memcpy(out, r->p, n);
	r->p += n;
	return 0;
}

void ex_weights_free(ex_weights *w)
{
	for (size_t i = 0; w->t && i < w->n; i++)
		free(w->t[i].name);
	free(w->t);
	free(w->vals);
	memset(w, 0, sizeof *w);
}

static const unsigned char *find_magic(const unsigned char *buf, size_t n)
{
	for (size_t i = 0; i + 12 <= n; i++) {
		uint32_t bom;
		if (memcmp(buf + i, MAGIC, 8))
			continue;
		memcpy(&bom, buf + i + 8, 4);
		if (bom == BOM)
			return buf + i;
	}
	return NULL;
}

/* Counts the tensors and values so that one allocation holds them. */
static int scan(rd r, uint32_t count, size_t *total, apnas_error *err)
{
	*total = 0;
	for (uint32_t i = 0; i < count; i++) {
		uint32_t len = 0, nd = 0, tr = 0;
		int32_t dims[MAX_DIMS];
		if (take(&r, &len, 4) || len == 0 || len > NAME_MAX_LEN ||
		    (size_t)(r.end - r.p) < len)
			return apnas_error_set(err, APNAS_EINVAL,
			                       "weights: tensor %u: name of %u "
			                       "bytes (1..%d) or truncated", i,
			                       len, NAME_MAX_LEN);
		r.p += len;
		if (take(&r, &nd, 4) || nd < 1 || nd > MAX_DIMS ||
		    take(&r, dims, 4 * nd) || take(&r, &tr, 4) || tr > 1)
			return apnas_error_set(err, APNAS_EINVAL,
			                       "weights: tensor %u: %u dimensions "
			                       "(1..%d) or a truncated shape", i,
			                       nd, MAX_DIMS);
		/* the values are in buf: their count is bounded by its size,
		 * checked here before anything is allocated */
		size_t numel = 1, left = (size_t)(r.end - r.p);
		for (uint32_t d = 0; d < nd; d++) {
			if (dims[d] < 1 || (size_t)dims[d] > left / 4)
				return apnas_error_set(err, APNAS_EINVAL,
				                       "weights: tensor %u: "
				                       "dimension %d, more values "
				                       "than the %zu bytes left", i,
				                       (int)dims[d], left);
			numel *= (size_t)dims[d];
			if (numel > left / 4)
				return apnas_error_set(err, APNAS_EINVAL,
				                       "weights: tensor %u: more "
				                       "values than the %zu bytes "
				                       "left", i, left);
		}
		size_t bytes = numel * 4 * (tr ? 2 : 1);
		if (left < bytes)
			return apnas_error_set(err, APNAS_EINVAL,
			                       "weights: tensor %u truncated", i);
		r.p += bytes;
		*total += numel;
	}
	if ((size_t)(r.end - r.p) < 8 || memcmp(r.p, TRAILER, 8))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "weights: the parameter set lacks its end "
		                       "marker (truncated or corrupt)");
	return 0;
}

int ex_weights_parse(const unsigned char *buf, size_t n, ex_weights *w,
                     apnas_error *err)
{
	memset(w, 0, sizeof *w);
	const unsigned char *s = find_magic(buf, n);
	if (!s)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "weights: no parameter set (APNASNN1) in "
		                       "the space's saved state");
	rd r = {s + 12, buf + n};
	uint32_t count;
	size_t total;
	if (take(&r, &count, 4))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "weights: truncated header");
	int rc = scan(r, count, &total, err);
	if (rc)
		return rc;
	w->t = calloc(count ? count : 1, sizeof *w->t);
	w->vals = malloc((total ? total : 1) * sizeof *w->vals);
	if (!w->t || !w->vals) {
		ex_weights_free(w);
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	}
	float *cur = w->vals;
	for (uint32_t i = 0; i < count; i++) {
		ex_tensor *t = &w->t[i];
		/* scan() checked every record: these reads cannot fail */
		uint32_t len = 0, nd = 0, tr = 0;
		take(&r, &len, 4);
		t->name = malloc(len + 1);
		if (!t->name) {
			ex_weights_free(w);
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "out of memory");
		}
		take(&r, t->name, len);
		t->name[len] = '\0';
		w->n = i + 1;
		take(&r, &nd, 4);
		t->ndim = (int32_t)nd;
		take(&r, t->dims, 4 * nd);
		take(&r, &tr, 4);
		t->numel = 1;
		for (uint32_t d = 0; d < nd; d++)
			t->numel *= (size_t)t->dims[d];
		take(&r, cur, t->numel * 4);
		t->v = cur;
		cur += t->numel;
		if (tr) /* the momentum buffer: not part of the model */
			r.p += t->numel * 4;
	}
	return 0;
}

const ex_tensor *ex_weights_find(const ex_weights *w, const char *name)
{
	for (size_t i = 0; w && i < w->n; i++)
		if (!strcmp(w->t[i].name, name))
			return &w->t[i];
	return NULL;
}
