/* space_exotic: a third-party space whose network the exporters cannot
 * reproduce, for tests/export.  It describes its data flow fully (stem,
 * one exotic layer, pooling, classifier) and saves an engine parameter
 * set, so `apnas export` and `apnas draw` reach the op itself and must
 * refuse it by name.  Option `variant`: "grouped" (a conv with groups 2,
 * which net.h's CONV does not allow) or "unknown" (a layer type this
 * apnas does not know). */
#include <stdlib.h>
#include <string.h>

#include <apnas/nn.h>
#include <apnas/plugin.h>

static const apnas_option exotic_options[] = {
	{"variant", APNAS_OPT_STRING, "\"grouped\"", 1, 0, "grouped|unknown",
	 "which exotic layer the network has", 0},
	{.key = NULL},
};

typedef struct exotic {
	int unknown;
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
	s->unknown = !strcmp(apnas_opts_string(ctx->opts, "variant"),
	                     "unknown");
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

static int ex_child_net(void *self, const int32_t *tok, apnas_net *net,
                        apnas_error *err)
{
	(void)tok;
	exotic *s = self;
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

/* The stem's weights in the engine's format, so an export gets as far
 * as the exotic layer. */
static int ex_save(void *self, FILE *f, apnas_error *err)
{
	exotic *s = self;
	apnas_params *ps = NULL;
	apnas_param *w = NULL;
	int rc = apnas_params_create(1, &ps, err);
	if (!rc)
		rc = apnas_param_conv(ps, "stem.w", 8, s->in.c, 3, &w, err);
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
