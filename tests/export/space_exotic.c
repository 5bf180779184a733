/* space_exotic: a third-party space for tests/export, nothing like
 * enas_macro.  It describes its data flow fully and saves an engine
 * parameter set.  Option `variant`:
 *  - "grouped" (a conv with groups 2, which net.h's CONV does not allow)
 *    or "unknown" (a layer type this apnas does not know): `apnas export`
 *    and `apnas draw` reach the op and must refuse it by name;
 *  - "plain": a network of ops and names enas_macro never uses (biases, a
 *    stride-2 depthwise conv, a negative shift, average pooling that
 *    counts the padding, a concat, layers named after Python keywords and
 *    nn.Module methods), which must export exactly. */
#include <stdlib.h>
#include <string.h>

#include <apnas/nn.h>
#include <apnas/plugin.h>

static const apnas_option exotic_options[] = {
	{"variant", APNAS_OPT_STRING, "\"grouped\"", 1, 0,
	 "grouped|unknown|plain",
	 "which exotic layer the network has", 0},
	{.key = NULL},
};

typedef struct exotic {
	int unknown;
	int plain;
	apnas_shape in;
	int32_t classes;
	apnas_decision dec;
} exotic;

static int ex_create(const apnas_plugin_ctx *ctx, void **self,
                     apnas_error *err)
{
	exotic *s = calloc(1, sizeof *s);
	if (!s)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	const char *v = apnas_opts_string(ctx->opts, "variant");
	s->unknown = !strcmp(v, "unknown");
	s->plain = !strcmp(v, "plain");
	s->in = ctx->data ? (apnas_shape){ctx->data->c, ctx->data->h,
	                                  ctx->data->w}
	                  : (apnas_shape){1, 28, 28};
	s->classes = ctx->data ? ctx->data->classes : 10;
	s->dec = (apnas_decision){APNAS_DECISION_OP, 2, 0, -1};
	*self = s;
	return 0;
}

static void ex_destroy(void *self)
{
	free(self);
}

static int ex_decisions(void *self, const apnas_decision **d, size_t *n,
                        apnas_error *err)
{
	(void)err;
	*d = &((exotic *)self)->dec;
	*n = 1;
	return 0;
}

static int ex_format(void *self, const int32_t *tok, char **text,
                     apnas_error *err)
{
	(void)self;
	*text = strdup(tok[0] ? "b\n" : "a\n");
	return *text ? 0 : apnas_error_set(err, APNAS_ENOMEM, "out of memory");
}

static int ex_parse(void *self, const char *text, int32_t *tok,
                    apnas_error *err)
{
	(void)self;
	if (text[0] != 'a' && text[0] != 'b')
		return apnas_error_set(err, APNAS_EINVAL, "expected a or b");
	tok[0] = text[0] == 'b';
	return 0;
}

static int wire(apnas_net *net, int32_t a, int32_t b, int n, int rc,
                apnas_error *err)
{
	int32_t src[2] = {a, b};
	return rc ? rc : apnas_net_inputs(net, src, n, err);
}

static int step(apnas_net *net, apnas_step st, int rc, apnas_error *err)
{
	return rc ? rc : apnas_net_step(net, &st, err);
}

/* in(conv3x3+bias) -> forward(dw3x3 /2, BN, ReLU) -> class.1 (avgpool
 * counting padding) and class_1 (shift (-1, 2), maxpool 2x2) -> concat
 * -> gap -> dropout -> class (FC + bias). */
static int plain_net(exotic *s, apnas_net *net, apnas_error *err)
{
	int rc = apnas_net_conv(net, "in", s->in, 8, 3, 1, 1, err);
	rc = wire(net, APNAS_NET_INPUT, 0, 1, rc, err);
	apnas_shape a = {8, s->in.h, s->in.w};
	if (!rc)
		rc = apnas_net_dwconv(net, "forward", a, 3, 2, 1, err);
	rc = wire(net, 0, 0, 1, rc, err);
	apnas_step bn = {APNAS_STEP_BN, 0, "bn", 1e-3f, 0.2f, 0, 0, 0};
	rc = step(net, bn, rc, err);
	rc = step(net, (apnas_step){.kind = APNAS_STEP_RELU}, rc, err);
	apnas_shape b = net->n ? net->layers[net->n - 1].out : a;
	if (!rc)
		rc = apnas_net_pool(net, "class.1", APNAS_LAYER_AVGPOOL, b, 3, 1,
		                    1, err);
	rc = wire(net, 1, 0, 1, rc, err);
	if (!rc)
		rc = apnas_net_pool(net, "class_1", APNAS_LAYER_MAXPOOL, b, 3, 1,
		                    1, err);
	rc = wire(net, 1, 0, 1, rc, err);
	rc = step(net, (apnas_step){.kind = APNAS_STEP_SHIFT, .on_input = 1,
	                            .dy = -1, .dx = 2}, rc, err);
	if (!rc)
		rc = apnas_net_concat(net, "cat", b, 2, 16, err);
	rc = wire(net, 2, 3, 2, rc, err);
	apnas_shape c = {16, b.h, b.w};
	if (!rc)
		rc = apnas_net_gpool(net, "gap", c, err);
	rc = wire(net, 4, 0, 1, rc, err);
	if (!rc)
		rc = apnas_net_fc(net, "class", (apnas_shape){16, 1, 1},
		                  s->classes, err);
	rc = wire(net, 5, 0, 1, rc, err);
	return step(net, (apnas_step){.kind = APNAS_STEP_DROPOUT,
	                              .on_input = 1, .p = 0.25f}, rc, err);
}

static int ex_child_net(void *self, const int32_t *tok, apnas_net *net,
                        apnas_error *err)
{
	(void)tok;
	exotic *s = self;
	if (s->plain)
		return plain_net(s, net, err);
	int32_t src = APNAS_NET_INPUT;
	int rc = apnas_net_conv(net, "stem", s->in, 8, 3, 1, 1, err);
	if (!rc)
		rc = apnas_net_inputs(net, &src, 1, err);
	apnas_shape mid = {8, s->in.h, s->in.w};
	if (!rc) {
		rc = apnas_net_conv(net, "odd", mid, 8, 3, 1, 1, err);
		/* what no helper builds: groups on a dense conv, or a type
		 * from the future */
		if (!rc && s->unknown)
			net->layers[net->n - 1].type = (apnas_layer_type)99;
		else if (!rc)
			net->layers[net->n - 1].groups = 2;
	}
	src = 0;
	if (!rc)
		rc = apnas_net_inputs(net, &src, 1, err);
	if (!rc)
		rc = apnas_net_gpool(net, "gap", mid, err);
	src = 1;
	if (!rc)
		rc = apnas_net_inputs(net, &src, 1, err);
	if (!rc)
		rc = apnas_net_fc(net, "fc", (apnas_shape){8, 1, 1}, s->classes,
		                  err);
	src = 2;
	if (!rc)
		rc = apnas_net_inputs(net, &src, 1, err);
	return rc;
}

static int ex_score(void *self, const int32_t *tok, double *acc,
                    apnas_error *err)
{
	(void)self;
	(void)err;
	*acc = tok[0] ? 0.6 : 0.5;
	return 0;
}

/* Batch-norm values that are not the identity, so a wrong mapping
 * shows. */
static void bn_values(apnas_bn *bn)
{
	for (int32_t k = 0; k < bn->c; k++) {
		apnas_param_value(bn->gamma)[k] = 0.5f + 0.1f * (float)k;
		apnas_param_value(bn->beta)[k] = 0.05f * (float)(k % 3) - 0.05f;
		apnas_param_value(bn->mean)[k] = 0.02f * (float)k;
		apnas_param_value(bn->var)[k] = 0.3f + 0.2f * (float)(k % 4);
	}
}

/* The weights in the engine's format: for "plain" every one its net
 * needs; otherwise the stem's, so an export gets as far as the exotic
 * layer. */
static int ex_save(void *self, FILE *f, apnas_error *err)
{
	exotic *s = self;
	apnas_params *ps = NULL;
	apnas_param *w = NULL, *b = NULL;
	apnas_bn bn;
	int rc = apnas_params_create(7, &ps, err);
	if (!rc && !s->plain)
		rc = apnas_param_conv(ps, "stem.w", 8, s->in.c, 3, &w, err);
	if (!rc && s->plain) {
		int32_t bd = 8, cd[4] = {8, 1, 3, 3};
		rc = apnas_param_conv(ps, "in.w", 8, s->in.c, 3, &w, err);
		if (!rc)
			rc = apnas_param_add(ps, "in.b", 1, &bd,
			                     APNAS_INIT_FANIN_UNIFORM, 0, &b, err);
		if (!rc)
			rc = apnas_param_add(ps, "forward.w", 4, cd,
			                     APNAS_INIT_HE, 1, &w, err);
		if (!rc)
			rc = apnas_bn_add(ps, "bn", 8, 1, &bn, err);
		if (!rc) {
			bn_values(&bn);
			rc = apnas_param_fc(ps, "class", s->classes, 16, &w, &b,
			                    err);
		}
	}
	if (!rc)
		rc = apnas_params_save(ps, f, err);
	apnas_params_destroy(ps);
	return rc;
}

static int ex_load(void *self, FILE *f, apnas_error *err)
{
	(void)self;
	(void)f;
	(void)err;
	return 0;
}

static const apnas_space_ops exotic_ops = {
	.create = ex_create,
	.destroy = ex_destroy,
	.decisions = ex_decisions,
	.format = ex_format,
	.parse = ex_parse,
	.child_net = ex_child_net,
	.save = ex_save,
	.load = ex_load,
	.score = ex_score,
};

APNAS_PLUGIN_DEFINE(APNAS_KIND_SPACE, "exotic", "1.0",
                    "tests/export: a space with layers no exporter knows",
                    exotic_options, &exotic_ops);
