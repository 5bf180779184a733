/* enas_macro's private header: the instance shared by the plugin's files
 * (enas_macro.c: options, decisions, named; enas_macro_text.c: format and
 * parse; enas_macro_walk.c: the one description of the network that both
 * child_net and the supernet graph come from; enas_macro_train.c:
 * train_step, evaluate, save, load).  Not part of the SDK. */
#ifndef ENAS_MACRO_H
#define ENAS_MACRO_H

#include <stddef.h>
#include <stdint.h>

#include <apnas/net.h>
#include <apnas/nn.h>
#include <apnas/plugin.h>
#include <apnas/rng.h>

/* The operations a layer may run.  Their token values are positions in the
 * configured `ops` list, not these ids (the default list is ENAS's order,
 * so ENAS's flat token lists read unchanged). */
typedef enum em_op_kind {
	EM_CONV3 = 0,
	EM_SEP3,
	EM_CONV5,
	EM_SEP5,
	EM_AVG3,
	EM_MAX3,
	EM_N_KINDS
} em_op_kind;

extern const char *const em_kind_names[EM_N_KINDS];
int em_kind_ksize(em_op_kind k);  /* 3 or 5 */
int em_kind_is_sep(em_op_kind k);
int em_kind_is_pool(em_op_kind k);

/* Shared weights of one (layer, op) of the supernet. */
typedef struct em_branch {
	apnas_param *in_w;  /* [F][F][1][1] the 1x1 every branch starts with */
	apnas_bn in_bn;
	apnas_param *w;     /* conv: [F][F][k][k]; sep: depthwise [F][1][k][k];
	                       NULL for pools */
	apnas_param *pw;    /* sep: pointwise [F][F][1][1]; NULL otherwise */
	apnas_bn bn;        /* after the conv / sep; unused for pools */
} em_branch;

/* One factorized reduction of one earlier output: two stride-2 1x1 convs
 * to F/2, the second on the input shifted by one pixel, concatenated, BN. */
typedef struct em_reduce {
	apnas_param *w1;    /* [F/2][F][1][1] */
	apnas_param *w2;    /* [F/2][F][1][1] */
	apnas_bn bn;        /* over F */
} em_reduce;

typedef enum em_eval_bn {
	EM_EVAL_AUTO = 0,   /* running stats once trained on one arch only */
	EM_EVAL_BATCH,
	EM_EVAL_RUNNING
} em_eval_bn;

typedef struct em_space {
	/* the space, from the options */
	int32_t L, F;
	int32_t n_ops;
	em_op_kind *ops;     /* [n_ops] owned: token value -> op */
	int skips;
	int32_t n_red;
	int32_t *red_pos;    /* [n_red] owned: layers a reduction follows,
	                        strictly increasing */
	int32_t *red_at;     /* [L] owned: reduction index after layer l, or
	                        -1 */
	apnas_decision *dec; /* [n_dec] owned: handed out by decisions() */
	size_t n_dec;
	size_t *first;       /* [L] owned: token index of layer l's op */

	/* the data (ctx->data, or Fashion-MNIST's geometry without data) */
	apnas_shape input;
	int32_t classes;
	int have_data;

	/* training */
	double keep_prob;
	apnas_cosine lr;
	apnas_sgd sgd;
	em_eval_bn eval_bn;
	int32_t threads;
	uint64_t seed;

	/* the supernet: NULL / zero until create() had data */
	apnas_params *ps;    /* owned: every shared weight */
	apnas_param *stem_w; /* [F][C][3][3] */
	apnas_bn stem_bn;
	em_branch *br;       /* [L * n_ops] owned, index l * n_ops + op */
	apnas_bn *out_bn;    /* [L] owned: BN after the skip sum (l > 0) */
	em_reduce *red;      /* [n_red * L] owned, index r * L + source */
	apnas_param *fc_w;   /* [classes][F] */
	apnas_graph *g;      /* owned; created on first use */
	const apnas_collective *coll; /* the core's (ctx->coll), NULL alone:
	                                 each step is this rank's share */
	apnas_rng drop_rng;  /* dropout masks; saved with the weights */

	/* which architectures trained the BN running statistics (for
	 * eval_bn auto): 0 none yet, 1 only trained_tok, 2 several */
	int trained_state;
	int32_t *trained_tok; /* [n_dec] owned */

	/* scratch of n_dec / L entries, sized once in create() */
	int32_t *last_use;   /* [L] owned: last layer reading output j */
} em_space;

/* Checks every token against its decision's range; names the first bad
 * one.  0 or APNAS_EINVAL. */
int em_check_tok(const em_space *s, const int32_t *tok, apnas_error *err);

/* Options and life cycle (enas_macro.c) */
extern const apnas_option em_options[];

/* Text (enas_macro_text.c) */
int em_format(void *self, const int32_t *tok, char **text, apnas_error *err);
int em_parse(void *self, const char *text, int32_t *tok, apnas_error *err);

/* The network (enas_macro_walk.c).  Builds tok's network on g (when not
 * NULL; x is then the batch [n][C][H][W]) and/or appends its accelerator
 * layers to net (when not NULL).  Returns the logits tensor through
 * *logits when building a graph.  The same code path for both, so the
 * described network is the trained one. */
int em_walk(em_space *s, const int32_t *tok, apnas_graph *g,
            const float *x, int32_t n, apnas_net *net,
            apnas_tensor **logits, apnas_error *err);
int em_child_net(void *self, const int32_t *tok, apnas_net *net,
                 apnas_error *err);

/* The supernet (enas_macro_train.c) */
int em_params_build(em_space *s, apnas_error *err);
int em_train_step(void *self, const int32_t *tok, const apnas_batch *b,
                  const apnas_step_ctx *sc, apnas_train_stats *st,
                  apnas_error *err);
int em_evaluate(void *self, const int32_t *tok, const apnas_batch *b,
                int64_t *correct, apnas_error *err);
int em_save(void *self, FILE *f, apnas_error *err);
int em_load(void *self, FILE *f, apnas_error *err);

#endif
