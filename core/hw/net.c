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
	net->flow = NULL;
}

static void flow_free(apnas_flow *f)
{
	free(f->src);
	free(f->steps);
	memset(f, 0, sizeof *f);
}

void apnas_net_free(apnas_net *net)
{
	apnas_net_clear(net);
	free(net->layers);
	free(net->flow);
	apnas_net_init(net);
}

void apnas_net_clear(apnas_net *net)
{
	for (size_t i = 0; net->flow && i < net->n; i++)
		flow_free(&net->flow[i]);
	net->n = 0;
}

int apnas_net_add(apnas_net *net, const apnas_layer *layer, apnas_error *err)
{
	if (net->n == net->cap || !net->flow) {
		size_t cap = net->n < net->cap ? net->cap
		             : net->cap        ? 2 * net->cap
		                               : 32;
		apnas_layer *p = realloc(net->layers, cap * sizeof *p);
		if (p)
			net->layers = p;
		apnas_flow *f = p ? realloc(net->flow, cap * sizeof *f) : NULL;
		if (!f)
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "out of memory growing a network");
		/* a net filled by hand (cost-model tests) has no flow yet */
		if (!net->flow)
			memset(f, 0, net->n * sizeof *f);
		net->flow = f;
		net->cap = cap;
	}
	net->layers[net->n] = *layer;
	net->flow[net->n] = (apnas_flow){NULL, NULL, 0, 1};
	net->n++;
	return 0;
}

static apnas_flow *last_flow(apnas_net *net, const char *what,
                             apnas_error *err)
{
	if (!net->n || !net->flow) {
		apnas_error_set(err, APNAS_EINVAL,
		                "%s: the network has no layer yet", what);
		return NULL;
	}
	return &net->flow[net->n - 1];
}

int apnas_net_inputs(apnas_net *net, const int32_t *src, int n,
                     apnas_error *err)
{
	apnas_flow *f = last_flow(net, "apnas_net_inputs", err);
	if (!f)
		return APNAS_EINVAL;
	const apnas_layer *l = &net->layers[net->n - 1];
	if (n != l->n_inputs)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "layer %s: %d sources given, it has %d "
		                       "inputs", l->name, n, (int)l->n_inputs);
	for (int i = 0; i < n; i++)
		if (src[i] < APNAS_NET_INPUT ||
		    src[i] >= (int32_t)(net->n - 1))
			return apnas_error_set(err, APNAS_EINVAL,
			                       "layer %s: source %d is not an "
			                       "earlier layer", l->name,
			                       (int)src[i]);
	int32_t *s = malloc((size_t)n * sizeof *s);
	if (!s)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	memcpy(s, src, (size_t)n * sizeof *s);
	free(f->src);
	f->src = s;
	return 0;
}

int apnas_net_step(apnas_net *net, const apnas_step *step, apnas_error *err)
{
	apnas_flow *f = last_flow(net, "apnas_net_step", err);
	if (!f)
		return APNAS_EINVAL;
	if (step->kind < APNAS_STEP_BN || step->kind > APNAS_STEP_DROPOUT)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "layer %s: unknown step kind %d",
		                       net->layers[net->n - 1].name,
		                       (int)step->kind);
	apnas_step *p = realloc(f->steps, (f->n_steps + 1) * sizeof *p);
	if (!p)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	f->steps = p;
	p[f->n_steps++] = *step;
	return 0;
}

int apnas_net_count_pad(apnas_net *net, int count_pad, apnas_error *err)
{
	apnas_flow *f = last_flow(net, "apnas_net_count_pad", err);
	if (!f)
		return APNAS_EINVAL;
	f->count_pad = count_pad != 0;
	return 0;
}

int apnas_net_described(const apnas_net *net)
{
	if (!net->flow)
		return 0;
	for (size_t i = 0; i < net->n; i++)
		if (!net->flow[i].src)
			return 0;
	return net->n > 0;
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
