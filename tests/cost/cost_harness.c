/* Helpers of the cost suite (see cost_harness.h). */
#include "cost_harness.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ch_open(ch_plugin *p, const char *name, const char *const *settings,
            size_t n, apnas_error *err)
{
	memset(p, 0, sizeof *p);
	apnas_error_clear(err);
	const char *dir = getenv("APNAS_PLUGIN_PATH");
	ck_assert_msg(dir && dir[0],
	              "APNAS_PLUGIN_PATH is not set: run through meson test");
	char path[4096];
	snprintf(path, sizeof path, "%s/cost_%s.so", dir, name);
	/* The file must be there; its options and create() may refuse. */
	ck_assert_msg(access(path, R_OK) == 0, "no plugin %s", path);
	apnas_plugin_ctx ctx = {.seed = 7, .threads = 1};
	int rc = apnas_plugin_open(APNAS_KIND_COST, path, settings, n, &ctx,
	                           &p->h, err);
	if (rc < 0)
		return rc;
	p->desc = apnas_plugin_desc_of(p->h);
	ck_assert_str_eq(p->desc->name, name);
	p->opts = apnas_plugin_opts(p->h);
	p->ops = apnas_plugin_ops(p->h);
	p->self = apnas_plugin_self(p->h);
	apnas_error lerr;
	apnas_error_clear(&lerr);
	rc = apnas_metricset_init(&p->ms, apnas_plugin_instance(p->h), &lerr);
	ck_assert_msg(rc == 0, "the core refuses %s's metrics: %s", path,
	              lerr.msg);
	return 0;
}

size_t ch_index(const ch_plugin *p, const char *name)
{
	long i = apnas_metricset_find(&p->ms, name);
	ck_assert_msg(i >= 0, "cost %s has no metric %s", p->desc->name,
	              name);
	return (size_t)i;
}

int ch_cost(ch_plugin *p, const apnas_net *net, double *values,
            double *layer_values, apnas_error *err)
{
	apnas_error_clear(err);
	return apnas_metricset_cost(&p->ms, net, values, layer_values, err);
}

double *ch_cost_ok(ch_plugin *p, const apnas_net *net, double **layers)
{
	double *v = malloc(p->ms.n * sizeof *v);
	ck_assert_ptr_nonnull(v);
	if (layers) {
		*layers = malloc((net->n ? net->n : 1) * p->ms.n * sizeof **layers);
		ck_assert_ptr_nonnull(*layers);
	}
	apnas_error err;
	int rc = ch_cost(p, net, v, layers ? *layers : NULL, &err);
	ck_assert_msg(rc == 0, "cost %s: %s", p->desc->name, err.msg);
	return v;
}

void ch_close(ch_plugin *p)
{
	apnas_metricset_free(&p->ms);
	apnas_plugin_close(p->h);
	memset(p, 0, sizeof *p);
}

void ch_vectors(ch_vector **out, size_t *n)
{
	/* SCALE-Sim v2's own outputs, kept in the tree: the headline claim
	 * is checked on every clone, never skipped. */
	const char *path = COST_VEC_DATA "/systolic-vectors.csv";
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "%s: cannot open the SCALE-Sim vectors\n", path);
		exit(1);
	}
	char line[1024];
	ch_vector *v = NULL;
	size_t k = 0;
	/* Called from main(), outside any test: failures exit, not assert. */
	if (!fgets(line, sizeof line, f)) {
		fprintf(stderr, "%s: empty file\n", path);
		exit(1);
	}
	while (fgets(line, sizeof line, f)) {
		ch_vector x;
		unsigned long long cyc;
		if (line[0] == '\n')
			continue;
		int got = sscanf(line, "%d,%d,%d,%d,%d,%d,%d,%d,%d,%3[a-z],%llu,"
		                 "%lf,%lf", &x.h, &x.w, &x.fh, &x.fw, &x.ch, &x.m,
		                 &x.s, &x.rows, &x.cols, x.dataflow, &cyc,
		                 &x.mapping_eff, &x.utilization);
		if (got != 13) {
			fprintf(stderr, "%s: unreadable row: %s", path, line);
			exit(1);
		}
		x.cycles = cyc;
		ch_vector *nv = realloc(v, (k + 1) * sizeof *v);
		if (!nv)
			exit(1);
		v = nv;
		v[k++] = x;
	}
	fclose(f);
	if (k == 0) {
		fprintf(stderr, "%s has no rows\n", path);
		exit(1);
	}
	*out = v;
	*n = k;
}

void ch_fill(apnas_rng *r, double *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] = (double)((int)apnas_rng_below(r, 9) - 4);
}

void ch_naive(const apnas_layer *l, const double *in, const double *w,
              double *out)
{
	int C = l->in.c, H = l->in.h, W = l->in.w;
	if (l->type == APNAS_LAYER_FC) {
		int n = C * H * W;
		for (int o = 0; o < l->out.c; o++) {
			double s = 0;
			for (int i = 0; i < n; i++)
				s += w[o * n + i] * in[i];
			out[o] = s;
		}
		return;
	}
	for (int o = 0; o < l->out.c; o++)
		for (int y = 0; y < l->out.h; y++)
			for (int x = 0; x < l->out.w; x++) {
				double s = 0;
				for (int c = 0; c < C; c++) {
					if (l->type == APNAS_LAYER_DWCONV && c != o)
						continue;
					for (int i = 0; i < l->kh; i++)
						for (int j = 0; j < l->kw; j++) {
							int yy = y * l->stride + i - l->pad_h;
							int xx = x * l->stride + j - l->pad_w;
							if (yy < 0 || yy >= H || xx < 0 || xx >= W)
								continue;
							double wv = l->type == APNAS_LAYER_DWCONV
							    ? w[(c * l->kh + i) * l->kw + j]
							    : w[((o * C + c) * l->kh + i) * l->kw + j];
							s += wv * in[(c * H + yy) * W + xx];
						}
				}
				out[(o * l->out.h + y) * l->out.w + x] = s;
			}
}

void ch_assert_msg(const apnas_error *err, ...)
{
	va_list ap;
	va_start(ap, err);
	for (const char *w = va_arg(ap, const char *); w;
	     w = va_arg(ap, const char *))
		ck_assert_msg(strstr(err->msg, w), "message '%s' lacks '%s'",
		              err->msg, w);
	va_end(ap);
	ck_assert_msg(!strchr(err->msg, '\n'), "message '%s' is not one line",
	              err->msg);
}
