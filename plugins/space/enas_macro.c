/* enas_macro: the ENAS whole-network ("macro") search space with a
 * weight-sharing supernet (docs/enas-macro.md, method.md section 3).  L
 * layers of F channels after a 3x3 stem; each layer picks one op (conv or
 * depthwise-separable 3x3/5x5, average or max pool 3x3, each after a 1x1
 * conv) and, with skips on, any subset of the earlier layers whose outputs
 * are summed with its own before a BN.  Factorized reductions halve the
 * resolution after the reduction layers; the head is global pooling,
 * dropout and a classifier.  The supernet holds one set of weights per
 * (layer, op); train_step and evaluate run only what an architecture
 * uses.  This file holds the options, the decisions, the named
 * architectures and the descriptor; the other enas_macro_*.c files hold
 * the text format, the network walk and the training. */
#include <stdlib.h>
#include <string.h>

#include "enas_macro.h"

#define EM_MAX_LAYERS 64

const char *const em_kind_names[EM_N_KINDS] = {
	"conv3x3", "sep3x3", "conv5x5", "sep5x5", "avgpool3x3", "maxpool3x3",
};

int em_kind_ksize(em_op_kind k)
{
	return (k == EM_CONV5 || k == EM_SEP5) ? 5 : 3;
}

int em_kind_is_sep(em_op_kind k)
{
	return k == EM_SEP3 || k == EM_SEP5;
}

int em_kind_is_pool(em_op_kind k)
{
	return k == EM_AVG3 || k == EM_MAX3;
}

/* Training defaults are the ENAS release's macro search (lr, cosine
 * restarts, Nesterov momentum, gradient bound 5); weight decay is 1e-4
 * (ENAS adds 2.5e-4 * sum(w^2) to the loss, i.e. 5e-4 in this
 * convention; 1e-4 suits the short Fashion-MNIST runs). */
const apnas_option em_options[] = {
	{"layers", APNAS_OPT_INT, "8", 1, EM_MAX_LAYERS, NULL,
	 "searched layers L (ENAS: 12)", 0},
	{"channels", APNAS_OPT_INT, "32", 2, 4096, NULL,
	 "channels F of every layer, even (ENAS search: 36)", 0},
	{"ops", APNAS_OPT_STRING_LIST,
	 "[\"conv3x3\", \"sep3x3\", \"conv5x5\", \"sep5x5\", \"avgpool3x3\", "
	 "\"maxpool3x3\"]", 1, 0,
	 "conv3x3|sep3x3|conv5x5|sep5x5|avgpool3x3|maxpool3x3",
	 "ops a layer chooses from, in token order (at least 2, no repeats)", 0},
	{"skips", APNAS_OPT_BOOL, "true", 1, 0, NULL,
	 "one skip bit per earlier layer (false: a plain chain)", 0},
	{"reductions", APNAS_OPT_INT_LIST, "[]", 0, EM_MAX_LAYERS - 1, NULL,
	 "layers after which a factorized reduction halves the resolution, "
	 "increasing ([]: ENAS's L/3-1 and 2*(L/3)-1)", 0},
	{"keep_prob", APNAS_OPT_FLOAT, "0.9", 0.05, 1, NULL,
	 "dropout keep probability before the classifier", APNAS_OPT_RECIPE},
	{"lr_max", APNAS_OPT_FLOAT, "0.05", 0, 10, NULL,
	 "learning rate at the start of each cosine period", APNAS_OPT_RECIPE},
	{"lr_min", APNAS_OPT_FLOAT, "0.0005", 0, 10, NULL,
	 "learning rate at the end of each cosine period", APNAS_OPT_RECIPE},
	{"lr_t0", APNAS_OPT_FLOAT, "10", 0.001, 1e6, NULL,
	 "first cosine period, epochs", APNAS_OPT_RECIPE},
	{"lr_tmul", APNAS_OPT_FLOAT, "2", 1, 100, NULL,
	 "growth of each next cosine period", APNAS_OPT_RECIPE},
	{"momentum", APNAS_OPT_FLOAT, "0.9", 0, 0.999, NULL, "SGD momentum", APNAS_OPT_RECIPE},
	{"nesterov", APNAS_OPT_BOOL, "true", 1, 0, NULL, "Nesterov momentum", APNAS_OPT_RECIPE},
	{"weight_decay", APNAS_OPT_FLOAT, "0.0001", 0, 1, NULL,
	 "L2 weight decay on conv and FC weights (ENAS: 5e-4 equivalent)", APNAS_OPT_RECIPE},
	{"grad_clip", APNAS_OPT_FLOAT, "5", 0, 1e6, NULL,
	 "global gradient norm bound (0: off)", APNAS_OPT_RECIPE},
	{"eval_bn", APNAS_OPT_STRING, "\"auto\"", 1, 0, "auto|batch|running",
	 "BN statistics evaluate uses: batch (the minibatch's, as ENAS scores "
	 "shared weights), running, or auto: running only when every "
	 "training step so far used the evaluated architecture", APNAS_OPT_RECIPE},
	{.key = NULL},
};

static void em_destroy(void *self)
{
	em_space *s = self;
	if (!s)
		return;
	apnas_graph_destroy(s->g);
	apnas_params_destroy(s->ps);
	free(s->br);
	free(s->out_bn);
	free(s->red);
	free(s->ops);
	free(s->red_pos);
	free(s->red_at);
	free(s->dec);
	free(s->first);
	free(s->trained_tok);
	free(s->last_use);
	free(s);
}

static int read_ops(em_space *s, const apnas_opts *o, apnas_error *err)
{
	size_t n = apnas_opts_len(o, "ops");
	if (n < 2)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "ops: need at least 2 ops to choose "
		                       "from, got %zu", n);
	s->ops = calloc(n, sizeof *s->ops);
	if (!s->ops)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *name = apnas_opts_string_at(o, "ops", i);
		int k = 0;
		while (k < EM_N_KINDS && strcmp(em_kind_names[k], name))
			k++;
		/* the core checked the choices; this guards the table */
		if (k == EM_N_KINDS)
			return apnas_error_set(err, APNAS_EINVAL,
			                       "ops: unknown op \"%s\"", name);
		for (size_t j = 0; j < i; j++)
			if (s->ops[j] == (em_op_kind)k)
				return apnas_error_set(err, APNAS_EINVAL,
				                       "ops: \"%s\" listed twice",
				                       name);
		s->ops[i] = (em_op_kind)k;
	}
	s->n_ops = (int32_t)n;
	return 0;
}

static int read_reductions(em_space *s, const apnas_opts *o,
                           apnas_error *err)
{
	size_t n = apnas_opts_len(o, "reductions");
	int32_t def[2];
	int32_t nd = 0;
	if (n == 0) {
		/* ENAS: pool_distance = L // 3, pools after d-1 and 2d-1 */
		int32_t d = s->L / 3;
		if (d >= 1) {
			def[nd++] = d - 1;
			def[nd++] = 2 * d - 1;
		}
	}
	s->n_red = n ? (int32_t)n : nd;
	s->red_pos = calloc((size_t)s->n_red + 1, sizeof *s->red_pos);
	s->red_at = malloc((size_t)s->L * sizeof *s->red_at);
	if (!s->red_pos || !s->red_at)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	for (int32_t l = 0; l < s->L; l++)
		s->red_at[l] = -1;
	for (int32_t r = 0; r < s->n_red; r++) {
		int64_t p = n ? apnas_opts_int_at(o, "reductions", (size_t)r)
		              : def[r];
		if (p >= s->L)
			return apnas_error_set(err, APNAS_EINVAL,
			                       "reductions: layer %lld does not "
			                       "exist (layers = %d, so 0..%d)",
			                       (long long)p, s->L, s->L - 1);
		if (r > 0 && p <= s->red_pos[r - 1])
			return apnas_error_set(err, APNAS_EINVAL,
			                       "reductions: expected strictly "
			                       "increasing layers, got %d then "
			                       "%lld", s->red_pos[r - 1],
			                       (long long)p);
		s->red_pos[r] = (int32_t)p;
		s->red_at[p] = r;
	}
	return 0;
}

static int build_decisions(em_space *s, apnas_error *err)
{
	size_t L = (size_t)s->L;
	s->n_dec = L + (s->skips ? L * (L - 1) / 2 : 0);
	s->dec = calloc(s->n_dec, sizeof *s->dec);
	s->first = calloc(L, sizeof *s->first);
	s->trained_tok = calloc(s->n_dec, sizeof *s->trained_tok);
	s->last_use = calloc(L, sizeof *s->last_use);
	if (!s->dec || !s->first || !s->trained_tok || !s->last_use)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	size_t k = 0;
	for (int32_t l = 0; l < s->L; l++) {
		s->first[l] = k;
		s->dec[k++] = (apnas_decision){APNAS_DECISION_OP, s->n_ops, l,
		                               -1};
		for (int32_t j = 0; s->skips && j < l; j++)
			s->dec[k++] = (apnas_decision){APNAS_DECISION_SKIP, 2, l,
			                               j};
	}
	return 0;
}

static int em_create(const apnas_plugin_ctx *ctx, void **self,
                     apnas_error *err)
{
	*self = NULL;
	const apnas_opts *o = ctx->opts;
	em_space *s = calloc(1, sizeof *s);
	if (!s)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	s->L = (int32_t)apnas_opts_int(o, "layers");
	s->F = (int32_t)apnas_opts_int(o, "channels");
	s->skips = apnas_opts_bool(o, "skips");
	s->keep_prob = apnas_opts_float(o, "keep_prob");
	s->lr = (apnas_cosine){apnas_opts_float(o, "lr_max"),
	                       apnas_opts_float(o, "lr_min"),
	                       apnas_opts_float(o, "lr_t0"),
	                       apnas_opts_float(o, "lr_tmul")};
	s->sgd = (apnas_sgd){apnas_opts_float(o, "momentum"),
	                     apnas_opts_bool(o, "nesterov"),
	                     apnas_opts_float(o, "weight_decay"),
	                     apnas_opts_float(o, "grad_clip")};
	const char *eb = apnas_opts_string(o, "eval_bn");
	s->eval_bn = !strcmp(eb, "batch")     ? EM_EVAL_BATCH
	             : !strcmp(eb, "running") ? EM_EVAL_RUNNING
	                                      : EM_EVAL_AUTO;
	s->threads = ctx->threads > 0 ? ctx->threads : 1;
	s->seed = ctx->seed;
	s->coll = ctx->coll;
	int rc = 0;
	if (s->F % 2)
		rc = apnas_error_set(err, APNAS_EINVAL,
		                     "channels: must be even (a factorized "
		                     "reduction makes two halves), got %d", s->F);
	else if (s->lr.lr_min > s->lr.lr_max)
		rc = apnas_error_set(err, APNAS_EINVAL,
		                     "lr_min %g is above lr_max %g",
		                     s->lr.lr_min, s->lr.lr_max);
	else if (s->sgd.nesterov && s->sgd.momentum <= 0)
		rc = apnas_error_set(err, APNAS_EINVAL,
		                     "nesterov needs momentum > 0");
	if (!rc)
		rc = read_ops(s, o, err);
	if (!rc)
		rc = read_reductions(s, o, err);
	if (!rc)
		rc = build_decisions(s, err);
	if (!rc) {
		if (ctx->data) {
			s->input = (apnas_shape){ctx->data->c, ctx->data->h,
			                         ctx->data->w};
			s->classes = ctx->data->classes;
			s->have_data = 1;
			if (s->input.c < 1 || s->input.h < 1 ||
			    s->input.w < 1 || s->classes < 2)
				rc = apnas_error_set(err, APNAS_EINVAL,
				                     "data: bad geometry %dx%dx%d, "
				                     "%d classes", s->input.c,
				                     s->input.h, s->input.w,
				                     s->classes);
		} else {
			/* Nothing to train: describe networks for the default
			 * dataset, Fashion-MNIST. */
			s->input = (apnas_shape){1, 28, 28};
			s->classes = 10;
		}
	}
	/* Data without training images is a geometry only (apnas cost
	 * --arch): the networks are described, so the supernet's weights,
	 * gigabytes at the largest channels and layers, are not made. */
	if (!rc && s->have_data && ctx->data->train_n > 0)
		rc = em_params_build(s, err);
	if (rc) {
		em_destroy(s);
		return rc;
	}
	*self = s;
	return 0;
}

static int em_decisions(void *self, const apnas_decision **d, size_t *n,
                        apnas_error *err)
{
	(void)err;
	em_space *s = self;
	*d = s->dec;
	*n = s->n_dec;
	return 0;
}

int em_check_tok(const em_space *s, const int32_t *tok, apnas_error *err)
{
	for (size_t k = 0; k < s->n_dec; k++) {
		const apnas_decision *d = &s->dec[k];
		if (tok[k] < 0 || tok[k] >= d->n_choices) {
			if (d->kind == APNAS_DECISION_OP)
				return apnas_error_set(err, APNAS_EINVAL,
				                       "token %zu (layer %d op) is "
				                       "%d, expected 0..%d", k,
				                       d->layer, tok[k],
				                       d->n_choices - 1);
			return apnas_error_set(err, APNAS_EINVAL,
			                       "token %zu (layer %d skip from "
			                       "%d) is %d, expected 0 or 1", k,
			                       d->layer, d->skip_from, tok[k]);
		}
	}
	return 0;
}

#define NAMED_PREFIX "all-"

static int em_named(void *self, const char *name, int32_t *tok,
                    apnas_error *err)
{
	em_space *s = self;
	int32_t op = -1;
	if (!strncmp(name, NAMED_PREFIX, strlen(NAMED_PREFIX)))
		for (int32_t i = 0; i < s->n_ops; i++)
			if (!strcmp(name + strlen(NAMED_PREFIX),
			            em_kind_names[s->ops[i]]))
				op = i;
	if (op < 0) {
		char list[256] = "";
		for (int32_t i = 0; i < s->n_ops; i++) {
			size_t u = strlen(list);
			snprintf(list + u, sizeof list - u, "%s" NAMED_PREFIX "%s",
			         i ? ", " : "", em_kind_names[s->ops[i]]);
		}
		return apnas_error_set(err, APNAS_EINVAL,
		                       "unknown named architecture \"%s\" "
		                       "(known: %s)", name, list);
	}
	memset(tok, 0, s->n_dec * sizeof *tok);
	for (int32_t l = 0; l < s->L; l++)
		tok[s->first[l]] = op;
	return 0;
}

static const apnas_space_ops em_ops = {
	.create = em_create,
	.destroy = em_destroy,
	.decisions = em_decisions,
	.format = em_format,
	.parse = em_parse,
	.named = em_named,
	.child_net = em_child_net,
	.train_step = em_train_step,
	.evaluate = em_evaluate,
	.save = em_save,
	.load = em_load,
	.score = NULL,
};

APNAS_PLUGIN_DEFINE(APNAS_KIND_SPACE, "enas_macro", "1.0",
                    "ENAS macro space: weight-sharing supernet of L "
                    "layers, op and skip decisions",
                    em_options, &em_ops);
