/* fixture_mlp: a test-only search space that really trains, small enough
 * for the search tests to run whole searches in well under a second.  Two
 * decisions: which of `ops` hidden-layer weight matrices (layer 0) and
 * which of `ops` classifier matrices (layer 1) a one-hidden-layer ReLU
 * network uses; the matrices are shared across architectures, so it is a
 * weight-sharing supernet in miniature (SGD with momentum, deterministic
 * initialisation from the run seed).  Two ways to make it fail on
 * purpose: `diverge_at = k` makes train_step report a non-finite loss at
 * global step k, and a huge `lr` (1e6) makes it diverge for real.  Its
 * child network (for cost models) picks a kxk conv (k = 1, 3, 5, ...) for
 * layer 0's op and a 1x1 conv of 4(op+1) channels for layer 1's, so
 * architectures differ in cycles.  Text form: "op A\nop B\n". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apnas/plugin.h>
#include <apnas/rng.h>

#define SAVE_MAGIC "FXMLP001"

static const apnas_option fx_options[] = {
	{"ops", APNAS_OPT_INT, "3", 2, 8, NULL, "choices per decision", 0},
	{"hidden", APNAS_OPT_INT, "8", 1, 256, NULL, "hidden units", 0},
	{"lr", APNAS_OPT_FLOAT, "0.05", 0, 1e12, NULL, "SGD learning rate", APNAS_OPT_RECIPE},
	{"momentum", APNAS_OPT_FLOAT, "0.9", 0, 0.999, NULL, "SGD momentum", APNAS_OPT_RECIPE},
	{"diverge_at", APNAS_OPT_INT, "-1", -1, 1e15, NULL,
	 "report a non-finite loss at this global step (-1: never)", APNAS_OPT_RECIPE},
	{NULL, 0, NULL, 0, 0, NULL, NULL, 0},
};

typedef struct fx {
	int ops, hidden, classes;
	int64_t d;               /* input features c*h*w */
	apnas_shape in;
	double lr, momentum;
	int64_t diverge_at;
	apnas_decision dec[2];
	float *w1, *v1;          /* [ops][hidden][d] weights, momentum */
	float *w2, *v2;          /* [ops][classes][hidden] */
	int64_t steps;           /* train steps taken */
	/* scratch, sized for `cap` images */
	int32_t cap;
	float *z, *p, *g1, *g2, *dh;
} fx;

static void fx_destroy(void *self)
{
	fx *s = self;
	if (!s)
		return;
	free(s->w1);
	free(s->v1);
	free(s->w2);
	free(s->v2);
	free(s->z);
	free(s->p);
	free(s->g1);
	free(s->g2);
	free(s->dh);
	free(s);
}

static int fx_create(const apnas_plugin_ctx *ctx, void **self,
                     apnas_error *err)
{
	*self = NULL;
	if (!ctx->data)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "fixture_mlp trains and needs data");
	fx *s = calloc(1, sizeof *s);
	if (!s)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	s->ops = (int)apnas_opts_int(ctx->opts, "ops");
	s->hidden = (int)apnas_opts_int(ctx->opts, "hidden");
	s->lr = apnas_opts_float(ctx->opts, "lr");
	s->momentum = apnas_opts_float(ctx->opts, "momentum");
	s->diverge_at = apnas_opts_int(ctx->opts, "diverge_at");
	s->classes = ctx->data->classes;
	s->in = (apnas_shape){ctx->data->c, ctx->data->h, ctx->data->w};
	s->d = (int64_t)s->in.c * s->in.h * s->in.w;
	s->dec[0] = (apnas_decision){APNAS_DECISION_OP, s->ops, 0, -1};
	s->dec[1] = (apnas_decision){APNAS_DECISION_OP, s->ops, 1, -1};
	size_t n1 = (size_t)s->ops * s->hidden * s->d;
	size_t n2 = (size_t)s->ops * s->classes * s->hidden;
	s->w1 = malloc(n1 * sizeof *s->w1);
	s->v1 = calloc(n1, sizeof *s->v1);
	s->w2 = malloc(n2 * sizeof *s->w2);
	s->v2 = calloc(n2, sizeof *s->v2);
	s->g1 = malloc((size_t)s->hidden * s->d * sizeof *s->g1);
	s->g2 = malloc((size_t)s->classes * s->hidden * sizeof *s->g2);
	if (!s->w1 || !s->v1 || !s->w2 || !s->v2 || !s->g1 || !s->g2) {
		fx_destroy(s);
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	}
	apnas_rng r;
	apnas_rng_derive(&r, ctx->seed, "space.fixture_mlp");
	double a1 = sqrt(2.0 / (double)s->d), a2 = sqrt(2.0 / s->hidden);
	for (size_t i = 0; i < n1; i++)
		s->w1[i] = (float)(a1 * apnas_rng_normal(&r));
	for (size_t i = 0; i < n2; i++)
		s->w2[i] = (float)(a2 * apnas_rng_normal(&r));
	*self = s;
	return 0;
}

static int fx_decisions(void *self, const apnas_decision **d, size_t *n,
                        apnas_error *err)
{
	(void)err;
	*d = ((fx *)self)->dec;
	*n = 2;
	return 0;
}

static int fx_format(void *self, const int32_t *tok, char **text,
                     apnas_error *err)
{
	(void)self;
	if (asprintf(text, "op %d\nop %d\n", (int)tok[0], (int)tok[1]) < 0)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	return 0;
}

static int fx_parse(void *self, const char *text, int32_t *tok,
                    apnas_error *err)
{
	fx *s = self;
	int a, b, used = 0;
	if (sscanf(text, " op %d op %d %n", &a, &b, &used) != 2 ||
	    text[used] != '\0')
		return apnas_error_set(err, APNAS_EINVAL,
		                       "expected \"op A\" and \"op B\" lines");
	if (a < 0 || a >= s->ops || b < 0 || b >= s->ops)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "op out of range 0..%d", s->ops - 1);
	tok[0] = a;
	tok[1] = b;
	return 0;
}

static int fx_named(void *self, const char *name, int32_t *tok,
                    apnas_error *err)
{
	fx *s = self;
	if (!strcmp(name, "smallest")) {
		tok[0] = tok[1] = 0;
		return 0;
	}
	if (!strcmp(name, "largest")) {
		tok[0] = tok[1] = s->ops - 1;
		return 0;
	}
	return apnas_error_set(err, APNAS_EINVAL,
		"no architecture named \"%s\"; names: smallest, largest",
		name);
}

static int fx_child_net(void *self, const int32_t *tok, apnas_net *net,
                        apnas_error *err)
{
	fx *s = self;
	int k = 2 * tok[0] + 1;
	int rc = apnas_net_conv(net, "l0.conv", s->in, s->hidden, k, 1, k / 2,
	                        err);
	if (rc < 0)
		return rc;
	apnas_shape h = net->layers[net->n - 1].out;
	rc = apnas_net_conv(net, "l1.conv1x1", h, 4 * (tok[1] + 1), 1, 1, 0,
	                    err);
	if (rc < 0)
		return rc;
	h = net->layers[net->n - 1].out;
	rc = apnas_net_gpool(net, "gpool", h, err);
	if (rc < 0)
		return rc;
	h = net->layers[net->n - 1].out;
	return apnas_net_fc(net, "fc", h, s->classes, err);
}

static int ensure_scratch(fx *s, int32_t n, apnas_error *err)
{
	if (n <= s->cap)
		return 0;
	float *z = realloc(s->z, (size_t)n * s->hidden * sizeof *z);
	if (z)
		s->z = z;
	float *p = realloc(s->p, (size_t)n * s->classes * sizeof *p);
	if (p)
		s->p = p;
	float *dh = realloc(s->dh, (size_t)n * s->hidden * sizeof *dh);
	if (dh)
		s->dh = dh;
	if (!z || !p || !dh)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	s->cap = n;
	return 0;
}

/* Hidden pre-activations z and logits (into p) of the batch. */
static void forward(fx *s, const int32_t *tok, const apnas_batch *b)
{
	const float *w1 = s->w1 + (size_t)tok[0] * s->hidden * s->d;
	const float *w2 = s->w2 + (size_t)tok[1] * s->classes * s->hidden;
	for (int32_t i = 0; i < b->n; i++) {
		const float *x = b->x + (size_t)i * s->d;
		float *z = s->z + (size_t)i * s->hidden;
		for (int j = 0; j < s->hidden; j++) {
			double acc = 0;
			for (int64_t k = 0; k < s->d; k++)
				acc += (double)w1[(size_t)j * s->d + k] * x[k];
			z[j] = (float)acc;
		}
		float *lg = s->p + (size_t)i * s->classes;
		for (int c = 0; c < s->classes; c++) {
			double acc = 0;
			for (int j = 0; j < s->hidden; j++)
				acc += (double)w2[(size_t)c * s->hidden + j] *
				       (z[j] > 0 ? z[j] : 0);
			lg[c] = (float)acc;
		}
	}
}

static int argmax(const float *v, int n)
{
	int best = 0;
	for (int i = 1; i < n; i++)
		if (v[i] > v[best])
			best = i;
	return best;
}

static int fx_train_step(void *self, const int32_t *tok, const apnas_batch *b,
                         const apnas_step_ctx *sc, apnas_train_stats *st,
                         apnas_error *err)
{
	fx *s = self;
	if (sc->step == s->diverge_at)
		return apnas_error_set(err, APNAS_ENUM,
			"loss is nan (fixture_mlp diverge_at = %lld)",
			(long long)s->diverge_at);
	int rc = ensure_scratch(s, b->n, err);
	if (rc < 0)
		return rc;
	forward(s, tok, b);
	double loss = 0;
	int64_t correct = 0;
	for (int32_t i = 0; i < b->n; i++) {
		float *lg = s->p + (size_t)i * s->classes;
		correct += argmax(lg, s->classes) == b->y[i];
		double mx = lg[0];
		for (int c = 1; c < s->classes; c++)
			mx = lg[c] > mx ? lg[c] : mx;
		double sum = 0;
		for (int c = 0; c < s->classes; c++)
			sum += exp(lg[c] - mx);
		loss += mx + log(sum) - lg[b->y[i]];
		for (int c = 0; c < s->classes; c++)
			lg[c] = (float)(exp(lg[c] - mx) / sum);
	}
	loss /= b->n;
	if (!isfinite(loss))
		return apnas_error_set(err, APNAS_ENUM, "loss is %g", loss);
	/* Backward: softmax-CE gradient, then both layers. */
	float *w1 = s->w1 + (size_t)tok[0] * s->hidden * s->d;
	float *w2 = s->w2 + (size_t)tok[1] * s->classes * s->hidden;
	memset(s->g1, 0, (size_t)s->hidden * s->d * sizeof *s->g1);
	memset(s->g2, 0, (size_t)s->classes * s->hidden * sizeof *s->g2);
	for (int32_t i = 0; i < b->n; i++) {
		float *pr = s->p + (size_t)i * s->classes;
		const float *z = s->z + (size_t)i * s->hidden;
		const float *x = b->x + (size_t)i * s->d;
		pr[b->y[i]] -= 1.0f;
		for (int j = 0; j < s->hidden; j++) {
			double dh = 0;
			float h = z[j] > 0 ? z[j] : 0;
			for (int c = 0; c < s->classes; c++) {
				float dl = pr[c] / (float)b->n;
				s->g2[(size_t)c * s->hidden + j] += dl * h;
				dh += (double)w2[(size_t)c * s->hidden + j] * dl;
			}
			if (z[j] <= 0)
				continue;
			for (int64_t k = 0; k < s->d; k++)
				s->g1[(size_t)j * s->d + k] += (float)dh * x[k];
		}
	}
	float *v1 = s->v1 + (size_t)tok[0] * s->hidden * s->d;
	float *v2 = s->v2 + (size_t)tok[1] * s->classes * s->hidden;
	float mom = (float)s->momentum, lr = (float)s->lr;
	for (size_t i = 0; i < (size_t)s->hidden * s->d; i++) {
		v1[i] = mom * v1[i] + s->g1[i];
		w1[i] -= lr * v1[i];
	}
	for (size_t i = 0; i < (size_t)s->classes * s->hidden; i++) {
		v2[i] = mom * v2[i] + s->g2[i];
		w2[i] -= lr * v2[i];
	}
	s->steps++;
	st->loss = loss;
	st->correct = correct;
	return 0;
}

static int fx_evaluate(void *self, const int32_t *tok, const apnas_batch *b,
                       int64_t *correct, apnas_error *err)
{
	fx *s = self;
	int rc = ensure_scratch(s, b->n, err);
	if (rc < 0)
		return rc;
	forward(s, tok, b);
	int64_t c = 0;
	for (int32_t i = 0; i < b->n; i++)
		c += argmax(s->p + (size_t)i * s->classes, s->classes) ==
		     b->y[i];
	*correct = c;
	return 0;
}

static int fx_save(void *self, FILE *f, apnas_error *err)
{
	fx *s = self;
	size_t n1 = (size_t)s->ops * s->hidden * s->d;
	size_t n2 = (size_t)s->ops * s->classes * s->hidden;
	if (fwrite(SAVE_MAGIC, 1, 8, f) != 8 ||
	    fwrite(&s->steps, sizeof s->steps, 1, f) != 1 ||
	    fwrite(s->w1, sizeof *s->w1, n1, f) != n1 ||
	    fwrite(s->v1, sizeof *s->v1, n1, f) != n1 ||
	    fwrite(s->w2, sizeof *s->w2, n2, f) != n2 ||
	    fwrite(s->v2, sizeof *s->v2, n2, f) != n2)
		return apnas_error_set(err, APNAS_EIO, "fixture_mlp: write");
	return 0;
}

static int fx_load(void *self, FILE *f, apnas_error *err)
{
	fx *s = self;
	size_t n1 = (size_t)s->ops * s->hidden * s->d;
	size_t n2 = (size_t)s->ops * s->classes * s->hidden;
	char magic[8];
	if (fread(magic, 1, 8, f) != 8 || memcmp(magic, SAVE_MAGIC, 8))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "fixture_mlp: not its state");
	if (fread(&s->steps, sizeof s->steps, 1, f) != 1 ||
	    fread(s->w1, sizeof *s->w1, n1, f) != n1 ||
	    fread(s->v1, sizeof *s->v1, n1, f) != n1 ||
	    fread(s->w2, sizeof *s->w2, n2, f) != n2 ||
	    fread(s->v2, sizeof *s->v2, n2, f) != n2)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "fixture_mlp: state truncated");
	return 0;
}

static const apnas_space_ops fx_ops = {
	.create = fx_create,
	.destroy = fx_destroy,
	.decisions = fx_decisions,
	.format = fx_format,
	.parse = fx_parse,
	.named = fx_named,
	.child_net = fx_child_net,
	.train_step = fx_train_step,
	.evaluate = fx_evaluate,
	.save = fx_save,
	.load = fx_load,
};

APNAS_PLUGIN_DEFINE(APNAS_KIND_SPACE, "fixture_mlp", "1.0",
                    "test fixture: a tiny trainable weight-sharing MLP",
                    fx_options, &fx_ops);
