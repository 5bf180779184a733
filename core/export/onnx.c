/* The ONNX writer: the described network as an inference graph of opset
 * 13 (Conv, BatchNormalization, Relu, MaxPool, AveragePool,
 * GlobalAveragePool, Sum, Concat, Pad + Slice for a shift, Flatten +
 * Gemm), every weight an initializer under its apnas name, serialised by
 * protobuf-c from onnx_subset.proto.  Dropout is training only and left
 * out.  The batch dimension is symbolic ("N"). */
#include "export/export.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef APNAS_HAVE_PROTOBUF_C

int ex_onnx_available(void)
{
	return 0;
}

int ex_write_onnx(const ex_model *m, FILE *f, apnas_error *err)
{
	(void)m;
	(void)f;
	return apnas_error_set(err, APNAS_EINVAL,
	                       "this apnas was built without protobuf-c: "
	                       "install the Debian packages libprotobuf-c-dev "
	                       "and protobuf-c-compiler and rebuild");
}

#else

#include "onnx_subset.pb-c.h"

#define OPSET 13
#define IR_VERSION 7 /* the IR of opset 13 (ONNX 1.8) */

/* Every allocation of one export, freed at once. */
typedef struct arena {
	void **v;
	size_t n, cap;
	int failed;
} arena;

static void *ar_alloc(arena *a, size_t size)
{
	if (a->failed)
		return NULL;
	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 256;
		void **p = realloc(a->v, cap * sizeof *p);
		if (!p) {
			a->failed = 1;
			return NULL;
		}
		a->v = p;
		a->cap = cap;
	}
	void *p = calloc(1, size ? size : 1);
	if (!p) {
		a->failed = 1;
		return NULL;
	}
	a->v[a->n++] = p;
	return p;
}

static void ar_free(arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
}

static char *ar_str(arena *a, const char *s)
{
	char *p = ar_alloc(a, strlen(s) + 1);
	if (p)
		strcpy(p, s);
	return p;
}

/* Growable arrays of pointers in the arena. */
typedef struct ptrs {
	void **v;
	size_t n, cap;
} ptrs;

static void ptrs_push(arena *a, ptrs *p, void *x)
{
	if (!x) {
		a->failed = 1;
		return;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		void **q = ar_alloc(a, cap * sizeof *q);
		if (!q)
			return;
		if (p->n)
			memcpy(q, p->v, p->n * sizeof *q);
		p->v = q;
		p->cap = cap;
	}
	p->v[p->n++] = x;
}

typedef struct gb {
	arena *a;
	const ex_model *m;
	ptrs nodes, inits;
	int uniq;
} gb;

static Onnx__AttributeProto *attr_ints(gb *g, const char *name,
                                       const int64_t *v, size_t n)
{
	Onnx__AttributeProto *at = ar_alloc(g->a, sizeof *at);
	int64_t *iv = ar_alloc(g->a, n * sizeof *iv);
	if (!at || !iv)
		return NULL;
	onnx__attribute_proto__init(at);
	at->name = ar_str(g->a, name);
	at->has_type = 1;
	at->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
	memcpy(iv, v, n * sizeof *iv);
	at->n_ints = n;
	at->ints = iv;
	return at;
}

static Onnx__AttributeProto *attr_int(gb *g, const char *name, int64_t v)
{
	Onnx__AttributeProto *at = ar_alloc(g->a, sizeof *at);
	if (!at)
		return NULL;
	onnx__attribute_proto__init(at);
	at->name = ar_str(g->a, name);
	at->has_type = 1;
	at->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
	at->has_i = 1;
	at->i = v;
	return at;
}

static Onnx__AttributeProto *attr_float(gb *g, const char *name, float v)
{
	Onnx__AttributeProto *at = ar_alloc(g->a, sizeof *at);
	if (!at)
		return NULL;
	onnx__attribute_proto__init(at);
	at->name = ar_str(g->a, name);
	at->has_type = 1;
	at->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
	at->has_f = 1;
	at->f = v;
	return at;
}

/* Appends a node; ins and outs are NULL-terminated, attributes n_at. */
static Onnx__NodeProto *node(gb *g, const char *op, const char *name,
                             const char *const *ins, const char *out)
{
	Onnx__NodeProto *nd = ar_alloc(g->a, sizeof *nd);
	if (!nd)
		return NULL;
	onnx__node_proto__init(nd);
	size_t n = 0;
	while (ins[n])
		n++;
	nd->input = ar_alloc(g->a, n * sizeof *nd->input);
	nd->output = ar_alloc(g->a, sizeof *nd->output);
	if (!nd->input || !nd->output)
		return NULL;
	for (size_t k = 0; k < n; k++)
		nd->input[k] = ar_str(g->a, ins[k]);
	nd->n_input = n;
	nd->output[0] = ar_str(g->a, out);
	nd->n_output = 1;
	nd->op_type = ar_str(g->a, op);
	nd->name = ar_str(g->a, name);
	ptrs_push(g->a, &g->nodes, nd);
	return nd;
}

static void node_attrs(gb *g, Onnx__NodeProto *nd,
                       Onnx__AttributeProto **at, size_t n)
{
	if (!nd)
		return;
	nd->attribute = ar_alloc(g->a, n * sizeof *nd->attribute);
	if (!nd->attribute)
		return;
	for (size_t k = 0; k < n; k++) {
		if (!at[k])
			g->a->failed = 1;
		nd->attribute[k] = at[k];
	}
	nd->n_attribute = n;
}

static void init_tensor(gb *g, const char *name, int type, const int64_t *dims,
                        size_t nd, const void *data, size_t bytes)
{
	Onnx__TensorProto *t = ar_alloc(g->a, sizeof *t);
	int64_t *d = ar_alloc(g->a, nd * sizeof *d);
	unsigned char *raw = ar_alloc(g->a, bytes);
	if (!t || !d || !raw)
		return;
	onnx__tensor_proto__init(t);
	memcpy(d, dims, nd * sizeof *d);
	t->dims = d;
	t->n_dims = nd;
	t->has_data_type = 1;
	t->data_type = type;
	t->name = ar_str(g->a, name);
	/* raw_data is little-endian by ONNX's definition; the values here
	 * are native (ex_weights_parse checked the engine's byte-order mark
	 * against this machine), so a big-endian machine swaps them. */
	memcpy(raw, data, bytes);
	const uint16_t probe = 1;
	if (!*(const unsigned char *)&probe) {
		size_t es = type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 ? 8 : 4;
		for (size_t i = 0; i + es <= bytes; i += es)
			for (size_t j = 0; j < es / 2; j++) {
				unsigned char c = raw[i + j];
				raw[i + j] = raw[i + es - 1 - j];
				raw[i + es - 1 - j] = c;
			}
	}
	t->has_raw_data = 1;
	t->raw_data.len = bytes;
	t->raw_data.data = raw;
	ptrs_push(g->a, &g->inits, t);
}

/* A parameter as an initializer, once even when several nodes read it. */
static void init_param(gb *g, const ex_tensor *t)
{
	for (size_t k = 0; k < g->inits.n; k++)
		if (!strcmp(((Onnx__TensorProto *)g->inits.v[k])->name, t->name))
			return;
	int64_t d[4];
	for (int k = 0; k < t->ndim; k++)
		d[k] = t->dims[k];
	init_tensor(g, t->name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, d,
	            (size_t)t->ndim, t->v, t->numel * sizeof(float));
}

static void init_i64(gb *g, const char *name, const int64_t *v, size_t n)
{
	int64_t d = (int64_t)n;
	init_tensor(g, name, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, &d, 1, v,
	            n * sizeof *v);
}

static void init_f32(gb *g, const char *name, float value, int32_t c)
{
	float *v = ar_alloc(g->a, (size_t)c * sizeof *v);
	if (!v)
		return;
	for (int32_t k = 0; k < c; k++)
		v[k] = value;
	int64_t d = c;
	init_tensor(g, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, &d, 1, v,
	            (size_t)c * sizeof *v);
}

/* A fresh value name "<base>/<what><k>". */
static void fresh(gb *g, char *buf, size_t cap, const char *base,
                  const char *what)
{
	snprintf(buf, cap, "%s/%s%d", base, what, g->uniq++);
}

static void emit_step(gb *g, const apnas_layer *l, const apnas_step *s,
                      int32_t c, int32_t h, int32_t w, char *cur,
                      size_t cap)
{
	char out[256], nm[256];
	const ex_weights *wt = g->m->w;
	switch (s->kind) {
	case APNAS_STEP_BN: {
		char pn[4][200];
		static const char *const suf[] = {".gamma", ".beta", ".mean",
		                                  ".var"};
		for (int k = 0; k < 4; k++)
			ex_param_name(pn[k], sizeof pn[k], s->param, suf[k]);
		if (!ex_weights_find(wt, pn[0])) {
			/* no affine parameters: scale 1, shift 0 */
			char one[180], zero[180];
			snprintf(one, sizeof one, "%s/ones", s->param);
			snprintf(zero, sizeof zero, "%s/zeros", s->param);
			init_f32(g, one, 1, c);
			init_f32(g, zero, 0, c);
			snprintf(pn[0], sizeof pn[0], "%s", one);
			snprintf(pn[1], sizeof pn[1], "%s", zero);
		}
		for (int k = 0; k < 4; k++) {
			const ex_tensor *t = ex_weights_find(wt, pn[k]);
			if (t)
				init_param(g, t);
		}
		fresh(g, out, sizeof out, l->name, "bn");
		const char *ins[] = {cur, pn[0], pn[1], pn[2], pn[3], NULL};
		Onnx__NodeProto *nd = node(g, "BatchNormalization", out, ins,
		                           out);
		Onnx__AttributeProto *at[] = {
			attr_float(g, "epsilon", s->eps),
			attr_float(g, "momentum", 1 - s->momentum)};
		node_attrs(g, nd, at, 2);
		break;
	}
	case APNAS_STEP_RELU: {
		fresh(g, out, sizeof out, l->name, "relu");
		const char *ins[] = {cur, NULL};
		node(g, "Relu", out, ins, out);
		break;
	}
	case APNAS_STEP_SHIFT: {
		/* pad on the side the image moves away from, then cut the
		 * window back to H x W */
		int64_t pads[8] = {0, 0, s->dy < 0 ? -s->dy : 0,
		                   s->dx < 0 ? -s->dx : 0, 0, 0,
		                   s->dy > 0 ? s->dy : 0, s->dx > 0 ? s->dx : 0};
		char pname[300], padded[256];
		fresh(g, pname, sizeof pname, l->name, "shift_pads");
		init_i64(g, pname, pads, 8);
		fresh(g, padded, sizeof padded, l->name, "shift_pad");
		const char *ins[] = {cur, pname, NULL};
		Onnx__NodeProto *nd = node(g, "Pad", padded, ins, padded);
		Onnx__AttributeProto *at[1];
		at[0] = ar_alloc(g->a, sizeof **at);
		if (at[0]) {
			onnx__attribute_proto__init(at[0]);
			at[0]->name = ar_str(g->a, "mode");
			at[0]->has_type = 1;
			at[0]->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
			at[0]->has_s = 1;
			at[0]->s.data = (uint8_t *)ar_str(g->a, "constant");
			at[0]->s.len = 8;
		}
		node_attrs(g, nd, at, 1);
		int64_t y0 = s->dy > 0 ? s->dy : 0, x0 = s->dx > 0 ? s->dx : 0;
		int64_t starts[2] = {y0, x0}, ends[2] = {y0 + h, x0 + w};
		int64_t axes[2] = {2, 3};
		char sn[300], en[300], an[300];
		fresh(g, sn, sizeof sn, l->name, "shift_starts");
		fresh(g, en, sizeof en, l->name, "shift_ends");
		fresh(g, an, sizeof an, l->name, "shift_axes");
		init_i64(g, sn, starts, 2);
		init_i64(g, en, ends, 2);
		init_i64(g, an, axes, 2);
		fresh(g, out, sizeof out, l->name, "shift");
		const char *sins[] = {padded, sn, en, an, NULL};
		node(g, "Slice", out, sins, out);
		break;
	}
	case APNAS_STEP_DROPOUT:
		return; /* training only */
	}
	(void)nm;
	snprintf(cur, cap, "%s", out);
}

static void emit_window(gb *g, Onnx__NodeProto *nd, const apnas_layer *l,
                        int conv, int count_pad)
{
	int64_t k[2] = {l->kh, l->kw}, s[2] = {l->stride, l->stride};
	int64_t p[4] = {l->pad_h, l->pad_w, l->pad_h, l->pad_w};
	Onnx__AttributeProto *at[5];
	size_t n = 0;
	at[n++] = attr_ints(g, "kernel_shape", k, 2);
	at[n++] = attr_ints(g, "strides", s, 2);
	at[n++] = attr_ints(g, "pads", p, 4);
	if (conv)
		at[n++] = attr_int(g, "group", l->groups);
	if (l->type == APNAS_LAYER_AVGPOOL)
		at[n++] = attr_int(g, "count_include_pad", count_pad);
	node_attrs(g, nd, at, n);
}

/* The layer's op from inputs ins (NULL-terminated) to `out`. */
static void emit_op(gb *g, size_t i, const char **ins, const char *out)
{
	const apnas_layer *l = &g->m->net->layers[i];
	const apnas_flow *f = &g->m->net->flow[i];
	char wn[160], bn[160];
	ex_param_name(wn, sizeof wn, l->name, ".w");
	ex_param_name(bn, sizeof bn, l->name, ".b");
	const ex_tensor *b = ex_weights_find(g->m->w, bn);
	Onnx__NodeProto *nd;
	switch (l->type) {
	case APNAS_LAYER_CONV:
	case APNAS_LAYER_DWCONV: {
		const char *ci[] = {ins[0], wn, b ? bn : NULL, NULL};
		nd = node(g, "Conv", l->name, ci, out);
		emit_window(g, nd, l, 1, 0);
		break;
	}
	case APNAS_LAYER_MAXPOOL:
		nd = node(g, "MaxPool", l->name, ins, out);
		emit_window(g, nd, l, 0, 0);
		break;
	case APNAS_LAYER_AVGPOOL:
		nd = node(g, "AveragePool", l->name, ins, out);
		emit_window(g, nd, l, 0, f->count_pad);
		break;
	case APNAS_LAYER_GLOBALPOOL:
		node(g, "GlobalAveragePool", l->name, ins, out);
		break;
	case APNAS_LAYER_FC: {
		char flat[256];
		snprintf(flat, sizeof flat, "%s/flat", l->name);
		char fname[300];
		snprintf(fname, sizeof fname, "%s/flatten", l->name);
		nd = node(g, "Flatten", fname, ins, flat);
		Onnx__AttributeProto *at[] = {attr_int(g, "axis", 1)};
		node_attrs(g, nd, at, 1);
		const char *gi[] = {flat, wn, b ? bn : NULL, NULL};
		nd = node(g, "Gemm", l->name, gi, out);
		Onnx__AttributeProto *gt[] = {attr_int(g, "transB", 1)};
		node_attrs(g, nd, gt, 1);
		break;
	}
	case APNAS_LAYER_ADD:
		node(g, "Sum", l->name, ins, out);
		break;
	case APNAS_LAYER_CONCAT:
		nd = node(g, "Concat", l->name, ins, out);
		Onnx__AttributeProto *at[] = {attr_int(g, "axis", 1)};
		node_attrs(g, nd, at, 1);
		break;
	}
	if (l->type == APNAS_LAYER_CONV || l->type == APNAS_LAYER_DWCONV ||
	    l->type == APNAS_LAYER_FC) {
		init_param(g, ex_weights_find(g->m->w, wn));
		if (b)
			init_param(g, b);
	}
}

static Onnx__ValueInfoProto *value_info(gb *g, const char *name,
                                        const int64_t *dims, size_t nd)
{
	Onnx__ValueInfoProto *vi = ar_alloc(g->a, sizeof *vi);
	Onnx__TypeProto *tp = ar_alloc(g->a, sizeof *tp);
	Onnx__TypeProto__Tensor *tt = ar_alloc(g->a, sizeof *tt);
	Onnx__TensorShapeProto *sh = ar_alloc(g->a, sizeof *sh);
	Onnx__TensorShapeProto__Dimension **dv =
		ar_alloc(g->a, (nd + 1) * sizeof *dv);
	if (!vi || !tp || !tt || !sh || !dv)
		return NULL;
	onnx__value_info_proto__init(vi);
	onnx__type_proto__init(tp);
	onnx__type_proto__tensor__init(tt);
	onnx__tensor_shape_proto__init(sh);
	for (size_t k = 0; k <= nd; k++) {
		dv[k] = ar_alloc(g->a, sizeof **dv);
		if (!dv[k])
			return NULL;
		onnx__tensor_shape_proto__dimension__init(dv[k]);
		if (k == 0) {
			dv[k]->value_case =
			   ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
			dv[k]->dim_param = ar_str(g->a, "N");
		} else {
			dv[k]->value_case =
			   ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
			dv[k]->dim_value = dims[k - 1];
		}
	}
	sh->dim = dv;
	sh->n_dim = nd + 1;
	tt->has_elem_type = 1;
	tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
	tt->shape = sh;
	tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	tp->tensor_type = tt;
	vi->name = ar_str(g->a, name);
	vi->type = tp;
	return vi;
}

/* Every layer: its input steps, its op, its output steps; the value a
 * layer's readers see is names[i]. */
static int build_graph(gb *g, char (*names)[256])
{
	const apnas_net *net = g->m->net;
	for (size_t i = 0; i < net->n && !g->a->failed; i++) {
		const apnas_layer *l = &net->layers[i];
		const apnas_flow *f = &net->flow[i];
		const char **ins = ar_alloc(g->a, ((size_t)l->n_inputs + 1) *
		                                          sizeof *ins);
		if (!ins)
			break;
		char first[256];
		for (int k = 0; k < l->n_inputs; k++) {
			int32_t s = f->src[k];
			ins[k] = s == APNAS_NET_INPUT ? "input" : names[s];
		}
		snprintf(first, sizeof first, "%s", ins[0]);
		for (size_t k = 0; k < f->n_steps; k++)
			if (f->steps[k].on_input)
				emit_step(g, l, &f->steps[k], l->in.c, l->in.h,
				          l->in.w, first, sizeof first);
		ins[0] = first;
		char cur[256];
		snprintf(cur, sizeof cur, "%s", l->name);
		emit_op(g, i, ins, cur);
		for (size_t k = 0; k < f->n_steps; k++)
			if (!f->steps[k].on_input)
				emit_step(g, l, &f->steps[k], l->out.c, l->out.h,
				          l->out.w, cur, sizeof cur);
		snprintf(names[i], 256, "%s", cur);
	}
	return g->a->failed ? -1 : 0;
}

int ex_onnx_available(void)
{
	return 1;
}

int ex_write_onnx(const ex_model *m, FILE *f, apnas_error *err)
{
	if (!m->w)
		return apnas_error_set(err, APNAS_EINVAL, "onnx export: no "
		                       "weights");
	arena a = {NULL, 0, 0, 0};
	gb g = {&a, m, {NULL, 0, 0}, {NULL, 0, 0}, 0};
	const apnas_net *net = m->net;
	char (*names)[256] = calloc(net->n, sizeof *names);
	int rc = !names || build_graph(&g, names);
	/* the output under a fixed name, as the readers expect */
	size_t o = ex_output_layer(net);
	apnas_shape os = net->layers[o].out;
	int flat = net->layers[o].type == APNAS_LAYER_FC;
	if (!rc) {
		const char *ins[] = {names[o], NULL};
		if (flat) {
			node(&g, "Identity", "output", ins, "logits");
		} else {
			Onnx__NodeProto *nd = node(&g, "Flatten", "output", ins,
			                           "logits");
			Onnx__AttributeProto *at[] = {attr_int(&g, "axis", 1)};
			node_attrs(&g, nd, at, 1);
		}
	}
	int64_t idims[3] = {m->input.c, m->input.h, m->input.w};
	int64_t odims[1] = {(int64_t)os.c * os.h * os.w};
	Onnx__ValueInfoProto *in = value_info(&g, "input", idims, 3);
	Onnx__ValueInfoProto *out = value_info(&g, "logits", odims, 1);
	Onnx__GraphProto *gp = ar_alloc(&a, sizeof *gp);
	Onnx__ModelProto *mp = ar_alloc(&a, sizeof *mp);
	Onnx__OperatorSetIdProto *op = ar_alloc(&a, sizeof *op);
	Onnx__OperatorSetIdProto **ops = ar_alloc(&a, sizeof *ops);
	Onnx__ValueInfoProto **ins = ar_alloc(&a, sizeof *ins);
	Onnx__ValueInfoProto **outs = ar_alloc(&a, sizeof *outs);
	rc = rc || a.failed || !in || !out || !gp || !mp || !op || !ops ||
	     !ins || !outs;
	if (!rc) {
		onnx__graph_proto__init(gp);
		gp->name = ar_str(&a, m->space);
		gp->node = (Onnx__NodeProto **)g.nodes.v;
		gp->n_node = g.nodes.n;
		gp->initializer = (Onnx__TensorProto **)g.inits.v;
		gp->n_initializer = g.inits.n;
		ins[0] = in;
		outs[0] = out;
		gp->input = ins;
		gp->n_input = 1;
		gp->output = outs;
		gp->n_output = 1;
		char doc[512];
		snprintf(doc, sizeof doc, "apnas space %s%s%s; weights %s",
		         m->space, m->origin ? " from " : "",
		         m->origin ? m->origin : "",
		         m->fresh ? "freshly initialised (not trained)"
		                  : "trained by apnas train");
		gp->doc_string = ar_str(&a, doc);
		onnx__operator_set_id_proto__init(op);
		op->domain = ar_str(&a, "");
		op->has_version = 1;
		op->version = OPSET;
		ops[0] = op;
		onnx__model_proto__init(mp);
		mp->has_ir_version = 1;
		mp->ir_version = IR_VERSION;
		mp->opset_import = ops;
		mp->n_opset_import = 1;
		mp->producer_name = ar_str(&a, "apnas");
		mp->doc_string = m->arch_text ? ar_str(&a, m->arch_text) : NULL;
		mp->graph = gp;
		rc = a.failed;
	}
	if (rc) {
		free(names);
		ar_free(&a);
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	}
	size_t len = onnx__model_proto__get_packed_size(mp);
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf) {
		free(names);
		ar_free(&a);
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	}
	onnx__model_proto__pack(mp, buf);
	rc = fwrite(buf, 1, len, f) == len
	             ? 0
	             : apnas_error_set(err, APNAS_EIO, "write error");
	free(buf);
	free(names);
	ar_free(&a);
	return rc;
}

#endif
