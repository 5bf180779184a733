/* The network description: a growable layer list and the helpers that fill
 * layers with the engine's shape arithmetic. */
#include <apnas/net.h>

#include <stdlib.h>
#include <string.h>

void apnas_net_init(apnas_net *net)
{
	net->layers = NULL;
	net->n = 0;
	net->cap = 0;
}

void apnas_net_free(apnas_net *net)
{
	free(net->layers);
	apnas_net_init(net);
}

void apnas_net_clear(apnas_net *net)
{
	net->n = 0;
}

int apnas_net_add(apnas_net *net, const apnas_layer *layer, apnas_error *err)
{
	if (net->n == net->cap) {
		size_t cap = net->cap ? 2 * net->cap : 32;
		apnas_layer *p = realloc(net->layers, cap * sizeof *p);
		if (!p)
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "out of memory growing a network");
		net->layers = p;
		net->cap = cap;
	}
	net->layers[net->n++] = *layer;
	return 0;
}

static void layer_init(apnas_layer *l, apnas_layer_type type,
                       const char *name, apnas_shape in)
{
	memset(l, 0, sizeof *l);
	l->type = type;
	strncpy(l->name, name, sizeof l->name - 1);
	l->in = in;
	l->kh = l->kw = 1;
	l->stride = 1;
	l->groups = 1;
	l->n_inputs = 1;
}

/* floor((in + 2p - k) / s) + 1, refusing windows that do not fit. */
static int window_out(const char *name, int in, int k, int s, int p,
                      int *out, apnas_error *err)
{
	if (k < 1 || s < 1 || p < 0)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "layer %s: kernel %d, stride %d, padding %d: "
		                       "expected kernel >= 1, stride >= 1, padding >= 0",
		                       name, k, s, p);
	if (in + 2 * p < k)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "layer %s: kernel %d larger than the padded "
		                       "input %d", name, k, in + 2 * p);
	*out = (in + 2 * p - k) / s + 1;
	return 0;
}

static int spatial(apnas_net *net, apnas_layer_type type, const char *name,
                   apnas_shape in, int out_c, int k, int stride, int pad,
                   int groups, apnas_error *err)
{
	apnas_layer l;
	int rc;
	if (in.c < 1 || in.h < 1 || in.w < 1 || out_c < 1)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "layer %s: empty shape %dx%dx%d -> %d channels",
		                       name, in.c, in.h, in.w, out_c);
	layer_init(&l, type, name, in);
	l.kh = l.kw = k;
	l.stride = stride;
	l.pad_h = l.pad_w = pad;
	l.groups = groups;
	l.out.c = out_c;
	if ((rc = window_out(name, in.h, k, stride, pad, &l.out.h, err)) ||
	    (rc = window_out(name, in.w, k, stride, pad, &l.out.w, err)))
		return rc;
	return apnas_net_add(net, &l, err);
}

int apnas_net_conv(apnas_net *net, const char *name, apnas_shape in,
                   int out_c, int k, int stride, int pad, apnas_error *err)
{
	return spatial(net, APNAS_LAYER_CONV, name, in, out_c, k, stride, pad,
	               1, err);
}

int apnas_net_dwconv(apnas_net *net, const char *name, apnas_shape in, int k,
                     int stride, int pad, apnas_error *err)
{
	return spatial(net, APNAS_LAYER_DWCONV, name, in, in.c, k, stride, pad,
	               in.c, err);
}

int apnas_net_pool(apnas_net *net, const char *name, apnas_layer_type type,
                   apnas_shape in, int k, int stride, int pad,
                   apnas_error *err)
{
	if (type != APNAS_LAYER_MAXPOOL && type != APNAS_LAYER_AVGPOOL)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "layer %s: not a pooling type", name);
	return spatial(net, type, name, in, in.c, k, stride, pad, 1, err);
}

int apnas_net_gpool(apnas_net *net, const char *name, apnas_shape in,
                    apnas_error *err)
{
	apnas_layer l;
	layer_init(&l, APNAS_LAYER_GLOBALPOOL, name, in);
	l.out = (apnas_shape){in.c, 1, 1};
	return apnas_net_add(net, &l, err);
}

int apnas_net_fc(apnas_net *net, const char *name, apnas_shape in,
                 int out_features, apnas_error *err)
{
	apnas_layer l;
	if (out_features < 1 || in.c < 1 || in.h < 1 || in.w < 1)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "layer %s: empty fully connected layer", name);
	layer_init(&l, APNAS_LAYER_FC, name, in);
	l.out = (apnas_shape){out_features, 1, 1};
	return apnas_net_add(net, &l, err);
}

int apnas_net_add_op(apnas_net *net, const char *name, apnas_shape in, int n,
                     apnas_error *err)
{
	apnas_layer l;
	layer_init(&l, APNAS_LAYER_ADD, name, in);
	l.out = in;
	l.n_inputs = n;
	return apnas_net_add(net, &l, err);
}

int apnas_net_concat(apnas_net *net, const char *name, apnas_shape in, int n,
                     int out_c, apnas_error *err)
{
	apnas_layer l;
	layer_init(&l, APNAS_LAYER_CONCAT, name, in);
	l.out = (apnas_shape){out_c, in.h, in.w};
	l.n_inputs = n;
	return apnas_net_add(net, &l, err);
}

uint64_t apnas_layer_macs(const apnas_layer *l)
{
	uint64_t out = (uint64_t)l->out.c * (uint64_t)l->out.h * (uint64_t)l->out.w;
	switch (l->type) {
	case APNAS_LAYER_CONV:
		return out * (uint64_t)l->kh * (uint64_t)l->kw * (uint64_t)l->in.c;
	case APNAS_LAYER_DWCONV:
		return out * (uint64_t)l->kh * (uint64_t)l->kw;
	case APNAS_LAYER_FC:
		return (uint64_t)l->out.c * (uint64_t)l->in.c *
		       (uint64_t)l->in.h * (uint64_t)l->in.w;
	default:
		return 0;
	}
}

uint64_t apnas_layer_params(const apnas_layer *l)
{
	switch (l->type) {
	case APNAS_LAYER_CONV:
		return (uint64_t)l->out.c * (uint64_t)l->in.c * (uint64_t)l->kh *
		       (uint64_t)l->kw;
	case APNAS_LAYER_DWCONV:
		return (uint64_t)l->in.c * (uint64_t)l->kh * (uint64_t)l->kw;
	case APNAS_LAYER_FC: /* weights plus bias */
		return (uint64_t)l->out.c * ((uint64_t)l->in.c *
		       (uint64_t)l->in.h * (uint64_t)l->in.w + 1);
	default:
		return 0;
	}
}

uint64_t apnas_net_macs(const apnas_net *net)
{
	uint64_t s = 0;
	for (size_t i = 0; i < net->n; i++)
		s += apnas_layer_macs(&net->layers[i]);
	return s;
}

uint64_t apnas_net_params(const apnas_net *net)
{
	uint64_t s = 0;
	for (size_t i = 0; i < net->n; i++)
		s += apnas_layer_params(&net->layers[i]);
	return s;
}

const char *apnas_layer_type_name(apnas_layer_type t)
{
	switch (t) {
	case APNAS_LAYER_CONV: return "conv";
	case APNAS_LAYER_DWCONV: return "dwconv";
	case APNAS_LAYER_MAXPOOL: return "maxpool";
	case APNAS_LAYER_AVGPOOL: return "avgpool";
	case APNAS_LAYER_GLOBALPOOL: return "globalpool";
	case APNAS_LAYER_FC: return "fc";
	case APNAS_LAYER_ADD: return "add";
	case APNAS_LAYER_CONCAT: return "concat";
	}
	return "unknown";
}
