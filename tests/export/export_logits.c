/* apnas's own logits for the export tests.  Opens an `apnas train`
 * directory the way `apnas export` reads it (its network description and
 * the parameter set from the space's save), runs that description on the
 * engine in inference mode over the first N test images of the
 * directory's dataset, and checks every image's predicted class against
 * the space's own evaluate() (so the description is the network the space
 * trains, not only what the writers read).  Writes the images, their
 * labels and the logits for the Python side:
 *   "APNASLG1", i32 n, c, h, w, k; f32 x[n][c][h][w]; i32 y[n];
 *   f32 logits[n][k]
 * usage: export_logits DIR N OUT
 *        export_logits ARCH N OUT CONFIG   (fresh weights, no evaluate) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apnas/data.h>
#include <apnas/nn.h>

#include "export/export.h"
#include "arch/arch_open.h"

static int fail(const char *what, const apnas_error *e)
{
	fprintf(stderr, "export_logits: %s: %s\n", what, e ? e->msg : "");
	return 1;
}

/* The description on the engine: one op per layer and step. */
typedef struct runner {
	apnas_graph *g;
	apnas_params *ps;
	const ex_model *m;
	apnas_error *err;
} runner;

static apnas_param *param(runner *r, const char *name)
{
	const ex_tensor *t = ex_weights_find(r->m->w, name);
	if (!t)
		return NULL;
	apnas_param *p = NULL;
	if (apnas_param_add(r->ps, name, t->ndim, t->dims, APNAS_INIT_ZERO, 0,
	                    &p, r->err))
		return NULL;
	memcpy(apnas_param_value(p), t->v, t->numel * sizeof(float));
	return p;
}

static apnas_bn *bn(runner *r, const apnas_step *s, int32_t c)
{
	apnas_bn *b = calloc(1, sizeof *b);
	char n[200];
	snprintf(n, sizeof n, "%s.gamma", s->param);
	int affine = ex_weights_find(r->m->w, n) != NULL;
	if (!b || apnas_bn_add(r->ps, s->param, c, affine, b, r->err)) {
		free(b);
		return NULL;
	}
	b->eps = s->eps;
	b->momentum = s->momentum;
	static const char *const suf[] = {".gamma", ".beta", ".mean", ".var"};
	apnas_param *ps[] = {b->gamma, b->beta, b->mean, b->var};
	for (int k = affine ? 0 : 2; k < 4; k++) {
		snprintf(n, sizeof n, "%s%s", s->param, suf[k]);
		const ex_tensor *t = ex_weights_find(r->m->w, n);
		memcpy(apnas_param_value(ps[k]), t->v, t->numel * sizeof(float));
	}
	return b;
}

static apnas_tensor *step(runner *r, apnas_tensor *x, const apnas_step *s,
                          int32_t c, apnas_bn ***keep, size_t *nkeep)
{
	switch (s->kind) {
	case APNAS_STEP_BN: {
		apnas_bn *b = bn(r, s, c);
		if (!b)
			return NULL;
		*keep = realloc(*keep, (*nkeep + 1) * sizeof **keep);
		(*keep)[(*nkeep)++] = b;
		return apnas_op_bn(r->g, x, b);
	}
	case APNAS_STEP_RELU:
		return apnas_op_relu(r->g, x);
	case APNAS_STEP_SHIFT:
		return apnas_op_shift(r->g, x, s->dy, s->dx);
	case APNAS_STEP_DROPOUT:
		return x; /* inference */
	}
	return NULL;
}

static apnas_tensor *build(runner *r, const float *x, int n,
                           apnas_bn ***keep, size_t *nkeep)
{
	const apnas_net *net = r->m->net;
	apnas_tensor **out = calloc(net->n, sizeof *out);
	apnas_tensor *in = apnas_op_input(r->g, x, n, r->m->input.c,
	                                  r->m->input.h, r->m->input.w);
	for (size_t i = 0; i < net->n; i++) {
		const apnas_layer *l = &net->layers[i];
		const apnas_flow *f = &net->flow[i];
		apnas_tensor *xs[l->n_inputs];
		for (int k = 0; k < l->n_inputs; k++)
			xs[k] = f->src[k] == APNAS_NET_INPUT ? in : out[f->src[k]];
		for (size_t k = 0; k < f->n_steps; k++)
			if (f->steps[k].on_input)
				xs[0] = step(r, xs[0], &f->steps[k], l->in.c, keep,
				             nkeep);
		char wn[160], bn_[160];
		snprintf(wn, sizeof wn, "%s.w", l->name);
		snprintf(bn_, sizeof bn_, "%s.b", l->name);
		apnas_tensor *y = NULL;
		switch (l->type) {
		case APNAS_LAYER_CONV:
			y = apnas_op_conv(r->g, xs[0], param(r, wn), param(r, bn_),
			                  l->stride, l->pad_h);
			break;
		case APNAS_LAYER_DWCONV:
			y = apnas_op_dwconv(r->g, xs[0], param(r, wn), l->stride,
			                    l->pad_h);
			break;
		case APNAS_LAYER_MAXPOOL:
			y = apnas_op_maxpool(r->g, xs[0], l->kh, l->stride,
			                     l->pad_h);
			break;
		case APNAS_LAYER_AVGPOOL:
			y = apnas_op_avgpool(r->g, xs[0], l->kh, l->stride,
			                     l->pad_h, f->count_pad);
			break;
		case APNAS_LAYER_GLOBALPOOL:
			y = apnas_op_gap(r->g, xs[0]);
			break;
		case APNAS_LAYER_FC:
			y = apnas_op_fc(r->g, xs[0], param(r, wn), param(r, bn_));
			break;
		case APNAS_LAYER_ADD:
			y = apnas_op_add(r->g, xs, l->n_inputs);
			break;
		case APNAS_LAYER_CONCAT:
			y = apnas_op_concat(r->g, xs, l->n_inputs);
			break;
		}
		for (size_t k = 0; k < f->n_steps; k++)
			if (!f->steps[k].on_input)
				y = step(r, y, &f->steps[k], l->out.c, keep, nkeep);
		out[i] = y;
	}
	apnas_tensor *t = out[ex_output_layer(net)];
	free(out);
	if (t)
		apnas_tensor_keep(t);
	return t;
}

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: export_logits DIR N OUT\n"
		        "       export_logits ARCH N OUT CONFIG\n");
		return 2;
	}
	const char *dir = argv[1];
	int n = atoi(argv[2]);
	int trained = argc == 4;
	char cfg[4096], arch[4096], wpath[4096];
	snprintf(cfg, sizeof cfg, "%s/config.cfg", dir);
	snprintf(arch, sizeof arch, "%s/arch.arch", dir);
	snprintf(wpath, sizeof wpath, "%s/weights.bin", dir);
	if (!trained) {
		snprintf(cfg, sizeof cfg, "%s", argv[4]);
		snprintf(arch, sizeof arch, "%s", dir);
	}
	apnas_error err;
	apnas_error_clear(&err);
	apnas_nn_set_threads(1);
	apnas_arch_open a;
	memset(&a, 0, sizeof a);
	if (apnas_arch_config(&a, cfg, arch, NULL, 0, NULL, 0, NULL, &err))
		return fail("config", &err);
	apnas_dataset *ds = NULL;
	apnas_batcher *tb = NULL;
	const apnas_opts *d = apnas_config_core(a.cfg, "data");
	uint64_t seed = (uint64_t)apnas_opts_int(apnas_config_core(a.cfg, "run"),
	                                         "seed");
	if (apnas_data_open(d, seed, &ds, &err) ||
	    apnas_batcher_open(ds, APNAS_SPLIT_TEST, n, &tb, &err))
		return fail("data", &err);
	if (apnas_arch_space(&a, apnas_data_get_info(ds), &err))
		return fail("space", &err);
	FILE *f;
	if (trained) {
		f = fopen(wpath, "rb");
		if (!f || a.ops->load(a.space.self, f, &err))
			return fail("weights.bin", &err);
		fclose(f);
	}
	char *buf = NULL;
	size_t len = 0;
	f = open_memstream(&buf, &len);
	ex_weights w;
	if (a.ops->save(a.space.self, f, &err))
		return fail("save", &err);
	fclose(f);
	if (ex_weights_parse((unsigned char *)buf, len, &w, &err))
		return fail("parse", &err);
	free(buf);
	apnas_net net;
	apnas_net_init(&net);
	if (a.ops->child_net(a.space.self, a.tok, &net, &err))
		return fail("child_net", &err);
	const apnas_data_info *info = apnas_data_get_info(ds);
	ex_model m = {&net, &w, {info->c, info->h, info->w}, a.file.space,
	              a.file.body, dir, 0};
	if (ex_check(&m, &err))
		return fail("check", &err);

	apnas_batch b;
	if (!apnas_batcher_next(tb, &b) || b.n != n) {
		fprintf(stderr, "export_logits: the test split has fewer than "
		        "%d images\n", n);
		return 1;
	}
	runner r = {NULL, NULL, &m, &err};
	if (apnas_graph_create(1, &r.g, &err) ||
	    apnas_params_create(1, &r.ps, &err))
		return fail("engine", &err);
	apnas_bn **keep = NULL;
	size_t nkeep = 0;
	apnas_tensor *lt = build(&r, b.x, n, &keep, &nkeep);
	if (!lt || apnas_graph_status(r.g, &err) ||
	    apnas_graph_forward(r.g, APNAS_MODE_INFER, &err))
		return fail("forward", &err);
	apnas_dims4 ld = apnas_tensor_dims(lt);
	int k = ld.c * ld.h * ld.w;
	const float *lg = apnas_tensor_data(lt);

	/* the space's own network must predict the same class per image */
	size_t plane = (size_t)info->c * info->h * info->w;
	int disagree = 0, classes_seen = 0;
	int seen[4096] = {0};
	for (int i = 0; i < n && trained; i++) {
		int best = 0;
		for (int j = 1; j < k; j++)
			if (lg[i * k + j] > lg[i * k + best])
				best = j;
		int32_t y = best;
		apnas_batch one = {b.x + (size_t)i * plane, &y, 1};
		int64_t right = 0;
		if (a.ops->evaluate(a.space.self, a.tok, &one, &right, &err))
			return fail("evaluate", &err);
		disagree += right != 1;
		if (best < 4096 && !seen[best]++)
			classes_seen++;
	}
	FILE *o = fopen(argv[3], "wb");
	int32_t hdr[5] = {n, info->c, info->h, info->w, k};
	if (!o || fwrite("APNASLG1", 1, 8, o) != 8 ||
	    fwrite(hdr, 4, 5, o) != 5 ||
	    fwrite(b.x, sizeof(float), (size_t)n * plane, o) != (size_t)n * plane ||
	    fwrite(b.y, 4, (size_t)n, o) != (size_t)n ||
	    fwrite(lg, sizeof(float), (size_t)n * k, o) != (size_t)n * k ||
	    fclose(o)) {
		fprintf(stderr, "export_logits: cannot write %s\n", argv[3]);
		return 1;
	}
	if (trained)
		printf("%d images, %d classes predicted, %d disagree with the "
		       "space's evaluate\n", n, classes_seen, disagree);
	else
		printf("%d images, fresh weights\n", n);
	for (size_t i = 0; i < nkeep; i++)
		free(keep[i]);
	free(keep);
	apnas_graph_destroy(r.g);
	apnas_params_destroy(r.ps);
	apnas_net_free(&net);
	ex_weights_free(&w);
	apnas_arch_close(&a);
	apnas_batcher_close(tb);
	apnas_data_close(ds);
	return disagree ? 1 : 0;
}
