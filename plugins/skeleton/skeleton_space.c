/* skeleton_space: the template search space, meant to be copied.  A chain
 * of `layers` layers after a 3x3 stem; each layer picks one of three
 * operations (conv3x3, conv5x5, maxpool3x3) and, like ENAS's macro space,
 * may add the output of any earlier layer to its own (one skip bit per
 * earlier layer).  The network ends in global pooling and a classifier.
 * Instead of training a weight-sharing supernet it scores an architecture
 * with a fixed toy formula (score()), so a search over it runs in
 * milliseconds with no data: bigger kernels and more skips score higher,
 * and bigger kernels also cost more cycles, which gives the reward a real
 * trade-off.  The ops a space must have (decisions, format, parse,
 * child_net) are all here; a space that trains implements train_step,
 * evaluate, save and load instead of score (plugins/space/ has one).  To
 * start your own: copy this file, change PLUGIN_NAME, the operations and
 * the options. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apnas/plugin.h>

/* The name a config's `plugin = "..."` uses; the file must be called
 * space_<name>.so. */
#define PLUGIN_NAME "skeleton"
#define PLUGIN_VERSION "1.0"

#define MAX_LAYERS 8
/* One op token per layer plus one skip bit per earlier layer. */
#define MAX_DECISIONS (MAX_LAYERS * (MAX_LAYERS + 1) / 2)

/* Options of the config's `space` group; validated and defaulted by the
 * core before create(). */
static const apnas_option skeleton_space_options[] = {
	{"layers", APNAS_OPT_INT, "3", 1, MAX_LAYERS, NULL,
	 "searched layers after the stem", 0},
	{"channels", APNAS_OPT_INT, "16", 1, 4096, NULL,
	 "channels of every layer", 0},
	{.key = NULL},
};

/* The operations a layer chooses from, in token order.  Constant tables
 * are fine; what a plugin must not have is mutable global state. */
enum { OP_CONV3, OP_CONV5, OP_MAXPOOL3, N_OPS };
static const char *const op_names[N_OPS] = {"conv3x3", "conv5x5",
                                            "maxpool3x3"};
/* How much each operation adds to the toy score. */
static const double op_value[N_OPS] = {0.7, 1.0, 0.2};

/* Named reference architectures: "all-<op>" with no skips. */
#define NAMED_PREFIX "all-"

typedef struct skeleton_space {
	int32_t layers;       /* from option "layers" */
	int32_t channels;     /* from option "channels" */
	apnas_shape input;    /* one image; from ctx->data, or CIFAR-10's */
	int32_t classes;
	apnas_decision dec[MAX_DECISIONS]; /* owned; handed out by decisions() */
	size_t n_dec;
} skeleton_space;

/* Token layout: layer i's op token, then its skip bits from layers
 * 0..i-1.  Layer i starts after i op tokens and 0+1+..+(i-1) skip bits. */
static size_t op_index(int32_t i)
{
	return (size_t)i * (size_t)(i + 1) / 2;
}

static size_t skip_index(int32_t i, int32_t from)
{
	return op_index(i) + 1 + (size_t)from;
}

/* Required.  Reads the options and lays out the decisions once; ctx->data
 * is NULL when nothing is trained (cost estimates, parsing). */
static int skeleton_space_create(const apnas_plugin_ctx *ctx, void **self,
                                 apnas_error *err)
{
	skeleton_space *s = calloc(1, sizeof *s);
	if (!s)
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "out of memory creating the search space");
	s->layers = (int32_t)apnas_opts_int(ctx->opts, "layers");
	s->channels = (int32_t)apnas_opts_int(ctx->opts, "channels");
	if (ctx->data) {
		const apnas_data_info *d = ctx->data;
		if (d->c < 1 || d->h < 1 || d->w < 1 || d->classes < 2) {
			free(s);
			return apnas_error_set(err, APNAS_EINVAL,
			                       "data of %dx%dx%d images in %d "
			                       "classes: expected non-empty images "
			                       "and >= 2 classes",
			                       (int)d->c, (int)d->h, (int)d->w,
			                       (int)d->classes);
		}
		s->input = (apnas_shape){d->c, d->h, d->w};
		s->classes = d->classes;
	} else {
		/* Without data the net is only costed, never run: assume the
		 * CIFAR-10 geometry the toy score stands in for. */
		s->input = (apnas_shape){3, 32, 32};
		s->classes = 10;
	}
	for (int32_t i = 0; i < s->layers; i++) {
		s->dec[s->n_dec++] = (apnas_decision){
			APNAS_DECISION_OP, N_OPS, i, -1};
		for (int32_t j = 0; j < i; j++)
			s->dec[s->n_dec++] = (apnas_decision){
				APNAS_DECISION_SKIP, 2, i, j};
	}
	*self = s;
	return 0;
}

/* Required.  Must accept NULL. */
static void skeleton_space_destroy(void *self)
{
	free(self);
}

/* Required. */
static int skeleton_space_decisions(void *self, const apnas_decision **d,
                                    size_t *n, apnas_error *err)
{
	const skeleton_space *s = self;
	(void)err;
	*d = s->dec;
	*n = s->n_dec;
	return 0;
}

/* Every op that takes tokens checks them: they come from files and other
 * plugins, and an out-of-range index must be an error, not a wild read. */
static int check_tokens(const skeleton_space *s, const int32_t *tok,
                        apnas_error *err)
{
	for (size_t i = 0; i < s->n_dec; i++)
		if (tok[i] < 0 || tok[i] >= s->dec[i].n_choices)
			return apnas_error_set(err, APNAS_EINVAL,
			                       "decision %zu (layer %d): token %d, "
			                       "expected 0..%d", i,
			                       (int)s->dec[i].layer, (int)tok[i],
			                       (int)s->dec[i].n_choices - 1);
	return 0;
}

/* Required.  One line per layer: "<layer> <op>[ skip <from> ...]". */
static int skeleton_space_format(void *self, const int32_t *tok, char **text,
                                 apnas_error *err)
{
	const skeleton_space *s = self;
	int rc = check_tokens(s, tok, err);
	if (rc)
		return rc;
	/* A line is at most "7 maxpool3x3 skip 0 1 2 3 4 5 6\n". */
	size_t cap = (size_t)s->layers * (24 + 3 * (size_t)s->layers) + 1;
	char *buf = malloc(cap);
	if (!buf)
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "out of memory formatting an architecture");
	size_t len = 0;
	for (int32_t i = 0; i < s->layers; i++) {
		len += (size_t)snprintf(buf + len, cap - len, "%d %s", (int)i,
		                        op_names[tok[op_index(i)]]);
		const char *sep = " skip";
		for (int32_t j = 0; j < i; j++)
			if (tok[skip_index(i, j)]) {
				len += (size_t)snprintf(buf + len, cap - len,
				                        "%s %d", sep, (int)j);
				sep = "";
			}
		len += (size_t)snprintf(buf + len, cap - len, "\n");
	}
	*text = buf;
	return 0;
}

/* Sets the 1-based line parse() failed on and passes the code through. */
static int at_line(apnas_error *err, int line, int rc)
{
	if (err)
		err->line = line;
	return rc;
}

/* Splits off the next blank-separated word of *p into w (cap bytes);
 * returns 0 at the end of the line. */
static int next_word(const char **p, const char *end, char *w, size_t cap)
{
	const char *q = *p;
	while (q < end && (*q == ' ' || *q == '\t' || *q == '\r'))
		q++;
	size_t n = 0;
	while (q < end && *q != ' ' && *q != '\t' && *q != '\r') {
		if (n + 1 < cap)
			w[n++] = *q;
		q++;
	}
	w[n] = '\0';
	*p = q;
	return n > 0;
}

/* A small non-negative decimal; -1 if w is anything else. */
static int small_index(const char *w)
{
	int v = 0;
	if (!*w || strlen(w) > 3)
		return -1;
	for (; *w; w++) {
		if (*w < '0' || *w > '9')
			return -1;
		v = v * 10 + (*w - '0');
	}
	return v;
}

/* One non-blank line describing layer `i`, into tok. */
static int parse_layer(const char *p, const char *end, int32_t i, int line,
                       int32_t *tok, apnas_error *err)
{
	char w[32];
	next_word(&p, end, w, sizeof w);
	if (small_index(w) != i)
		return at_line(err, line, apnas_error_set(err, APNAS_EINVAL,
		               "expected layer %d first, found '%s'", (int)i, w));
	if (!next_word(&p, end, w, sizeof w))
		return at_line(err, line, apnas_error_set(err, APNAS_EINVAL,
		               "layer %d: expected an operation (conv3x3, "
		               "conv5x5 or maxpool3x3)", (int)i));
	int op = -1;
	for (int k = 0; k < N_OPS; k++)
		if (strcmp(w, op_names[k]) == 0)
			op = k;
	if (op < 0)
		return at_line(err, line, apnas_error_set(err, APNAS_EINVAL,
		               "layer %d: unknown operation '%s', expected "
		               "conv3x3, conv5x5 or maxpool3x3", (int)i, w));
	tok[op_index(i)] = op;
	if (!next_word(&p, end, w, sizeof w))
		return 0;
	if (strcmp(w, "skip") != 0)
		return at_line(err, line, apnas_error_set(err, APNAS_EINVAL,
		               "layer %d: expected 'skip' or the end of the "
		               "line after the operation, found '%s'", (int)i, w));
	int any = 0;
	while (next_word(&p, end, w, sizeof w)) {
		int j = small_index(w);
		if (j < 0 || j >= i)
			return at_line(err, line, apnas_error_set(err,
			               APNAS_EINVAL, "layer %d: skip '%s', expected "
			               "an earlier layer (0..%d)", (int)i, w,
			               (int)i - 1));
		if (tok[skip_index(i, j)])
			return at_line(err, line, apnas_error_set(err,
			               APNAS_EINVAL, "layer %d: skip %d given twice",
			               (int)i, j));
		tok[skip_index(i, j)] = 1;
		any = 1;
	}
	if (!any)
		return at_line(err, line, apnas_error_set(err, APNAS_EINVAL,
		               "layer %d: 'skip' without any layer after it",
		               (int)i));
	return 0;
}

/* Required.  Reads what format() writes; blank lines are ignored.  tok is
 * only written when the whole text is valid. */
static int skeleton_space_parse(void *self, const char *text, int32_t *tok,
                                apnas_error *err)
{
	const skeleton_space *s = self;
	int32_t t[MAX_DECISIONS] = {0};
	int32_t layer = 0;
	int line = 0;
	const char *p = text;
	while (*p) {
		const char *eol = strchr(p, '\n');
		const char *end = eol ? eol : p + strlen(p);
		const char *q = p;
		char w[2];
		line++;
		if (next_word(&q, end, w, sizeof w)) {
			if (layer >= s->layers)
				return at_line(err, line, apnas_error_set(err,
				               APNAS_EINVAL, "more than the %d layers "
				               "this space has", (int)s->layers));
			int rc = parse_layer(p, end, layer, line, t, err);
			if (rc)
				return rc;
			layer++;
		}
		p = eol ? eol + 1 : end;
	}
	if (layer < s->layers)
		return at_line(err, line + 1, apnas_error_set(err, APNAS_EINVAL,
		               "found %d layers, expected %d", (int)layer,
		               (int)s->layers));
	memcpy(tok, t, s->n_dec * sizeof *tok);
	return 0;
}

/* Optional.  Named references for rewards that set their target relative
 * to one: "all-conv3x3" and so on, every skip off. */
static int skeleton_space_named(void *self, const char *name, int32_t *tok,
                                apnas_error *err)
{
	const skeleton_space *s = self;
	size_t plen = strlen(NAMED_PREFIX);
	for (int k = 0; k < N_OPS; k++)
		if (strncmp(name, NAMED_PREFIX, plen) == 0 &&
		    strcmp(name + plen, op_names[k]) == 0) {
			memset(tok, 0, s->n_dec * sizeof *tok);
			for (int32_t i = 0; i < s->layers; i++)
				tok[op_index(i)] = k;
			return 0;
		}
	return apnas_error_set(err, APNAS_EINVAL,
	                       "unknown architecture '%s', expected "
	                       "all-conv3x3, all-conv5x5 or all-maxpool3x3",
	                       name);
}

/* Required.  The layers the child network runs, in order, with the shapes
 * the engine would compute.  Every operation keeps the shape, so a skip
 * is a plain element-wise add of the chosen earlier outputs. */
static int skeleton_space_child_net(void *self, const int32_t *tok,
                                    apnas_net *net, apnas_error *err)
{
	const skeleton_space *s = self;
	int rc = check_tokens(s, tok, err);
	if (rc)
		return rc;
	if ((rc = apnas_net_conv(net, "stem", s->input, s->channels, 3, 1, 1,
	                         err)))
		return rc;
	apnas_shape x = net->layers[net->n - 1].out;
	char name[64];
	for (int32_t i = 0; i < s->layers; i++) {
		int op = tok[op_index(i)];
		snprintf(name, sizeof name, "l%d.%s", (int)i, op_names[op]);
		if (op == OP_CONV3)
			rc = apnas_net_conv(net, name, x, s->channels, 3, 1, 1, err);
		else if (op == OP_CONV5)
			rc = apnas_net_conv(net, name, x, s->channels, 5, 1, 2, err);
		else
			rc = apnas_net_pool(net, name, APNAS_LAYER_MAXPOOL, x, 3, 1,
			                    1, err);
		if (rc)
			return rc;
		x = net->layers[net->n - 1].out;
		int skips = 0;
		for (int32_t j = 0; j < i; j++)
			skips += tok[skip_index(i, j)];
		if (skips) {
			snprintf(name, sizeof name, "l%d.add", (int)i);
			if ((rc = apnas_net_add_op(net, name, x, 1 + skips, err)))
				return rc;
		}
	}
	if ((rc = apnas_net_gpool(net, "gpool", x, err)))
		return rc;
	x = net->layers[net->n - 1].out;
	return apnas_net_fc(net, "fc", x, s->classes, err);
}

/* Optional, instead of train_step.  A toy objective in [0.5, 1]: the
 * mean value of the chosen operations and the share of skips that are on.
 * Deterministic, as the core requires: it depends on tok alone. */
static int skeleton_space_score(void *self, const int32_t *tok,
                                double *accuracy, apnas_error *err)
{
	const skeleton_space *s = self;
	int rc = check_tokens(s, tok, err);
	if (rc)
		return rc;
	double ops = 0;
	int on = 0, bits = 0;
	for (int32_t i = 0; i < s->layers; i++) {
		ops += op_value[tok[op_index(i)]];
		for (int32_t j = 0; j < i; j++, bits++)
			on += tok[skip_index(i, j)];
	}
	/* A single layer has no skips to choose: give it the full share so
	 * that the best architecture still scores 1. */
	double skip_share = bits ? (double)on / bits : 1.0;
	*accuracy = 0.5 + 0.3 * ops / s->layers + 0.2 * skip_share;
	return 0;
}

/* train_step, evaluate, save and load stay NULL: this space scores
 * instead of training, so it has no weights to step, evaluate or save. */
static const apnas_space_ops skeleton_space_ops = {
	.create = skeleton_space_create,
	.destroy = skeleton_space_destroy,
	.decisions = skeleton_space_decisions,
	.format = skeleton_space_format,
	.parse = skeleton_space_parse,
	.named = skeleton_space_named,
	.child_net = skeleton_space_child_net,
	.score = skeleton_space_score,
};

/* The one exported symbol. */
APNAS_PLUGIN_DEFINE(APNAS_KIND_SPACE, PLUGIN_NAME, PLUGIN_VERSION,
                    "template search space: 3 ops and skips, toy score, "
                    "no training",
                    skeleton_space_options, &skeleton_space_ops);
