/* What the writers rely on, checked once: a described net of ops they
 * know, consistent shapes, and every weight present with its layer's
 * shape.  A third-party space's net that breaks any of it is refused
 * naming the layer and the op, never exported approximately. */
#include "export/export.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

void ex_param_name(char *buf, size_t cap, const char *prefix,
                   const char *suffix)
{
	snprintf(buf, cap, "%s%s", prefix, suffix);
}

void ex_ident(char *buf, size_t cap, const char *name)
{
	size_t o = 0;
	if (cap == 0)
		return;
	if (!isalpha((unsigned char)name[0]) && o + 1 < cap)
		buf[o++] = 'm';
	for (const char *p = name; *p && o + 1 < cap; p++)
		buf[o++] = isalnum((unsigned char)*p) ? *p : '_';
	buf[o] = '\0';
}

size_t ex_output_layer(const apnas_net *net)
{
	return net->n ? net->n - 1 : 0;
}

static int shape_eq(apnas_shape a, apnas_shape b)
{
	return a.c == b.c && a.h == b.h && a.w == b.w;
}

static apnas_shape src_shape(const ex_model *m, int32_t s)
{
	return s == APNAS_NET_INPUT ? m->input : m->net->layers[s].out;
}

static int bad(apnas_error *err, const apnas_layer *l, const char *what)
{
	return apnas_error_set(err, APNAS_EINVAL, "layer '%s' (op %s): %s",
	                       l->name, apnas_layer_type_name(l->type), what);
}

static int want_tensor(const ex_model *m, const apnas_layer *l,
                       const char *name, int nd, const int32_t *dims,
                       apnas_error *err)
{
	if (!m->w)
		return 0;
	const ex_tensor *t = ex_weights_find(m->w, name);
	if (!t)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "layer '%s': no parameter '%s' in the "
		                       "weights", l->name, name);
	int same = t->ndim == nd;
	for (int d = 0; same && d < nd; d++)
		same = t->dims[d] == dims[d];
	if (!same) {
		char a[64] = "", b[64] = "";
		for (int d = 0; d < t->ndim; d++)
			snprintf(a + strlen(a), sizeof a - strlen(a), "%s%d",
			         d ? "x" : "", (int)t->dims[d]);
		for (int d = 0; d < nd; d++)
			snprintf(b + strlen(b), sizeof b - strlen(b), "%s%d",
			         d ? "x" : "", (int)dims[d]);
		return apnas_error_set(err, APNAS_EINVAL,
		                       "layer '%s': parameter '%s' is %s, the "
		                       "layer needs %s (weights of another "
		                       "architecture?)", l->name, name, a, b);
	}
	return 0;
}

/* Conv and FC weights "<name>.w", biases "<name>.b" when present. */
static int check_weights(const ex_model *m, const apnas_layer *l,
                         apnas_error *err)
{
	char pn[160];
	int32_t d[4];
	int rc = 0;
	if (l->type == APNAS_LAYER_CONV || l->type == APNAS_LAYER_DWCONV) {
		d[0] = l->out.c;
		d[1] = l->in.c / l->groups;
		d[2] = l->kh;
		d[3] = l->kw;
		ex_param_name(pn, sizeof pn, l->name, ".w");
		rc = want_tensor(m, l, pn, 4, d, err);
	} else if (l->type == APNAS_LAYER_FC) {
		d[0] = l->out.c;
		d[1] = l->in.c * l->in.h * l->in.w;
		ex_param_name(pn, sizeof pn, l->name, ".w");
		rc = want_tensor(m, l, pn, 2, d, err);
	} else {
		return 0;
	}
	ex_param_name(pn, sizeof pn, l->name, ".b");
	if (!rc && m->w && ex_weights_find(m->w, pn))
		rc = want_tensor(m, l, pn, 1, &l->out.c, err);
	return rc;
}

static int check_step(const ex_model *m, const apnas_layer *l,
                      const apnas_step *s, apnas_error *err)
{
	char pn[160];
	int32_t c = s->on_input ? l->in.c : l->out.c;
	switch (s->kind) {
	case APNAS_STEP_BN: {
		if (!s->param[0])
			return bad(err, l, "a batch norm without parameter names");
		if (!(s->eps > 0))
			return bad(err, l, "a batch norm with eps <= 0");
		static const char *const need[] = {".mean", ".var"};
		for (int k = 0; k < 2; k++) {
			ex_param_name(pn, sizeof pn, s->param, need[k]);
			int rc = want_tensor(m, l, pn, 1, &c, err);
			if (rc)
				return rc;
		}
		ex_param_name(pn, sizeof pn, s->param, ".gamma");
		int affine = m->w && ex_weights_find(m->w, pn);
		ex_param_name(pn, sizeof pn, s->param, ".beta");
		if (m->w && affine != (ex_weights_find(m->w, pn) != NULL))
			return bad(err, l, "a batch norm with gamma but no beta "
			           "or the reverse");
		if (affine) {
			int rc = want_tensor(m, l, pn, 1, &c, err);
			ex_param_name(pn, sizeof pn, s->param, ".gamma");
			if (!rc)
				rc = want_tensor(m, l, pn, 1, &c, err);
			if (rc)
				return rc;
		}
		return 0;
	}
	case APNAS_STEP_RELU:
		return 0;
	case APNAS_STEP_SHIFT:
		if (s->dy <= -l->in.h || s->dy >= l->in.h || s->dx <= -l->in.w ||
		    s->dx >= l->in.w)
			return bad(err, l, "a shift as large as the image");
		return 0;
	case APNAS_STEP_DROPOUT:
		if (!(s->p >= 0 && s->p < 1))
			return bad(err, l, "dropout probability outside [0, 1)");
		return 0;
	}
	char msg[64];
	snprintf(msg, sizeof msg, "step kind %d is unknown to this apnas",
	         (int)s->kind);
	return bad(err, l, msg);
}

static int check_sources(const ex_model *m, size_t i, apnas_error *err)
{
	const apnas_layer *l = &m->net->layers[i];
	const apnas_flow *f = &m->net->flow[i];
	int ncat = 0;
	for (int k = 0; k < l->n_inputs; k++) {
		int32_t s = f->src[k];
		if (s < APNAS_NET_INPUT || s >= (int32_t)i)
			return bad(err, l, "a source that is not an earlier "
			           "layer");
		apnas_shape sh = src_shape(m, s);
		if (l->type == APNAS_LAYER_CONCAT) {
			if (sh.h != l->out.h || sh.w != l->out.w)
				return bad(err, l, "operands of another size");
			ncat += sh.c;
		} else if (l->type == APNAS_LAYER_FC) {
			if (sh.c * sh.h * sh.w != l->in.c * l->in.h * l->in.w)
				return bad(err, l, "its source's size is not its "
				           "input's");
		} else if (!shape_eq(sh, l->in)) {
			return bad(err, l, "its source's shape is not its "
			           "input's");
		}
	}
	if (l->type == APNAS_LAYER_CONCAT && ncat != l->out.c)
		return bad(err, l, "operand channels do not sum to the output");
	return 0;
}

static int check_layer(const ex_model *m, size_t i, apnas_error *err)
{
	const apnas_layer *l = &m->net->layers[i];
	const apnas_flow *f = &m->net->flow[i];
	switch (l->type) {
	case APNAS_LAYER_CONV:
	case APNAS_LAYER_DWCONV:
	case APNAS_LAYER_MAXPOOL:
	case APNAS_LAYER_AVGPOOL:
		if (l->kh < 1 || l->kw < 1 || l->stride < 1 || l->pad_h < 0 ||
		    l->pad_w < 0)
			return bad(err, l, "bad kernel, stride or padding");
		if (l->type == APNAS_LAYER_DWCONV &&
		    (l->groups != l->in.c || l->out.c != l->in.c))
			return bad(err, l, "a depthwise conv whose groups are "
			           "not its channels");
		if (l->type == APNAS_LAYER_CONV && l->groups != 1)
			return bad(err, l, "a grouped conv (groups != 1)");
		if (l->type != APNAS_LAYER_CONV && l->type != APNAS_LAYER_DWCONV &&
		    (l->pad_h >= l->kh || l->pad_w >= l->kw))
			return bad(err, l, "padding as large as the window");
		break;
	case APNAS_LAYER_GLOBALPOOL:
	case APNAS_LAYER_FC:
		break;
	case APNAS_LAYER_ADD:
	case APNAS_LAYER_CONCAT:
		if (l->n_inputs < 1)
			return bad(err, l, "no operands");
		break;
	default: {
		char msg[96];
		snprintf(msg, sizeof msg, "layer type %d is unknown to this "
		         "apnas's exporters", (int)l->type);
		return apnas_error_set(err, APNAS_EINVAL, "layer '%s': %s",
		                       l->name, msg);
	}
	}
	if (l->type != APNAS_LAYER_ADD && l->type != APNAS_LAYER_CONCAT &&
	    l->n_inputs != 1)
		return bad(err, l, "more than one input");
	int rc = check_sources(m, i, err);
	for (size_t k = 0; !rc && k < f->n_steps; k++) {
		if (f->steps[k].on_input && l->n_inputs != 1)
			return bad(err, l, "a step on the input of a layer with "
			           "several inputs");
		rc = check_step(m, l, &f->steps[k], err);
	}
	return rc ? rc : check_weights(m, l, err);
}

int ex_check(const ex_model *m, apnas_error *err)
{
	const apnas_net *net = m->net;
	if (!net->n)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "space '%s' describes an empty network",
		                       m->space);
	if (!apnas_net_described(net)) {
		size_t i = 0;
		while (net->flow && i < net->n && net->flow[i].src)
			i++;
		return apnas_error_set(err, APNAS_EINVAL,
		                       "space '%s' does not describe the data "
		                       "flow of its network (layer '%s' has no "
		                       "sources: net.h apnas_net_inputs), so it "
		                       "cannot be exported or drawn", m->space,
		                       net->layers[i < net->n ? i : 0].name);
	}
	for (size_t i = 0; i < net->n; i++) {
		int rc = check_layer(m, i, err);
		if (rc)
			return rc;
	}
	return 0;
}
