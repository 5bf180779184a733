/* The ENAS controller network as a policy over any decision list: a
 * one-layer LSTM without biases that walks the decisions in token order,
 * one softmax step per op decision and one attention step per layer's
 * group of skip decisions, with the gradient of log pi(arch) and of the
 * skip-penalty KL computed by hand (backprop through time over the stored
 * trajectory).  The plugin glue (options, REINFORCE, Adam, save/load) is
 * in reinforce_lstm.c; this part is plain numerics so that the gradient
 * test can compile it directly.
 *
 * How a decision list becomes LSTM steps (ENAS general_controller.py,
 * generalised):
 *   - decisions are grouped into blocks by `layer` (a layer's decisions
 *     are contiguous, layers non-decreasing, ops before skips);
 *   - every OP decision is one step: h = LSTM(x); logits = h W_soft[n];
 *     /temperature; tanh_c * tanh(); sample; x = W_emb[n][choice].  One
 *     (W_soft, W_emb) pair per distinct n_choices, shared by every op
 *     decision of that size, exactly as ENAS shares one pair across layers
 *     (or, with head_per_decision, one pair per op decision, as NNI's
 *     ReinforceController keeps one per choice);
 *   - when the list has any SKIP decision, every block then takes one more
 *     "anchor" step h_l = LSTM(x); the block's skip bits attend over the
 *     anchors of their skip_from layers: q_j = v . tanh(h_j W1 + h_l W2),
 *     logits [-q_j, q_j] (same temperature / tanh_c), each bit sampled
 *     independently; the next input is sum(chosen anchors) / (1 + count),
 *     which is ENAS's, and a zero vector when no bit is on (with
 *     skip_linear, q_j = (h_l W_skip[l])_j instead: one linear head per
 *     layer, as NNI's ReinforceController scores an InputChoice); a
 *     block without
 *     skip bits feeds the start embedding g_emb instead (ENAS's layer 0);
 *   - a list without SKIP decisions takes no anchor steps: a plain chain of
 *     categorical steps;
 *   - CHOICE decisions (ABI 2.2: a cost model's hardware, after every OP
 *     and SKIP) are op-like steps after the last layer's, each with a
 *     (W_soft, W_emb) pair of its own whatever head_per_decision says,
 *     its input the previous step's output as for an op (the first one's
 *     is what the last layer fed forward).  Their tensors come after
 *     every other, so a list's network tensors are laid out and drawn
 *     the same with or without choices.
 * The skip penalty is ENAS's: per block, sum over its bits of
 * KL([sigmoid(-r), sigmoid(r)] || [1 - target, target]) with r the
 * transformed logit, averaged over the blocks that have skip bits. */
#ifndef CTL_LSTM_H
#define CTL_LSTM_H

#include <stddef.h>
#include <stdint.h>

#include <apnas/plugin.h>
#include <apnas/rng.h>

typedef struct ctl_lstm_cfg {
	int hidden;          /* LSTM width H, >= 1 */
	double init_range;   /* parameters drawn from U(-r, r) */
	double tanh_c;       /* 0: off */
	double temperature;  /* 0: off */
	double skip_target;  /* in (0, 1) */
	int head_per_decision; /* 0: one (W_soft, W_emb) per op size (ENAS);
	                          1: one per op decision */
	int skip_linear;     /* 0: skip logits by attention (ENAS); 1: by a
	                        linear head per layer on the anchor's h */
} ctl_lstm_cfg;

/* One named parameter tensor, row-major, inside ctl_lstm.p. */
typedef struct ctl_tensor {
	char name[32];
	size_t off;          /* offset into p / g */
	size_t rows, cols;
} ctl_tensor;

/* What one pass over an architecture yields. */
typedef struct ctl_lstm_out {
	double log_prob;         /* log pi(arch) */
	double entropy;          /* sum of the steps' full entropies */
	double entropy_sampled;  /* ENAS's: sum of -p(a) log p(a) of the
	                            sampled tokens */
	double kl;               /* the skip penalty (0 without skips) */
} ctl_lstm_out;

typedef struct ctl_block {
	size_t first;            /* first token of the block */
	size_t n_op, n_skip;     /* its ops, then its skips */
} ctl_block;

typedef struct ctl_step {
	int anchor;              /* 0: op step, 1: anchor step */
	size_t index;            /* op step: its token; anchor: its block */
	long src;                /* input: -1 g_emb, >= 0 the embedding of
	                            token src's choice, <= -2 the skip mean of
	                            block -2 - src */
} ctl_step;

/* Everything below is owned by the model. */
typedef struct ctl_lstm {
	ctl_lstm_cfg cfg;
	apnas_decision *dec;     /* copy of the decision list */
	size_t n_dec;

	/* plan */
	size_t n_net;            /* OP and SKIP decisions: the CHOICEs follow */
	ctl_block *blocks;       /* [n_dec], n_blocks used */
	size_t n_blocks;
	int use_anchors;
	int32_t *tok_head;       /* [n_dec] head of an OP or CHOICE token, -1
	                            for SKIP */
	int32_t *tok_anchor;     /* [n_dec] block of a SKIP's skip_from, -1 */
	size_t *tok_poff;        /* [n_dec] OP, CHOICE: offset into the prob
	                            buffers */
	int n_heads;             /* the op heads, then one per CHOICE */
	int n_op_heads;
	int32_t *head_size;      /* [n_heads] n_choices of each head */
	ctl_step *steps;
	size_t n_steps;
	size_t *anchor_step;     /* [n_blocks] step index of each anchor */

	/* parameters and their gradient, same layout */
	double *p, *g;
	double *pt;              /* each tensor of p transposed, same offsets:
	                            backward's matrix-vector products */
	size_t n_params;
	ctl_tensor *tensors;
	size_t n_tensors;
	size_t off_lstm, off_gemb, off_w1, off_w2, off_v;
	size_t *off_soft, *off_emb; /* [n_heads] */
	size_t *off_skip;        /* [n_blocks] skip_linear: W_skip of a block */

	/* trajectory of the last forward pass (read by backward) */
	int32_t *tok;            /* [n_dec] */
	double *xin;             /* [n_steps][2H]: input, previous h */
	double *gates;           /* [n_steps][4H]: i, f, o, g activated */
	double *c, *tc, *h;      /* [n_steps][H] */
	double *lraw, *lfin, *prob; /* op logits before / after transform, p */
	double *att_t;           /* [n_dec][H] tanh of the attention sum */
	double *att_q;           /* [n_dec] q of each skip bit */
	double *a1;              /* [n_blocks][H] anchor h W1 */
	double *hw2;             /* [H] */
	double *xnext;           /* [H] the input of the next step */
	size_t n_skip_blocks;

	/* backward workspace */
	double *d_a1, *d_anc;    /* [n_blocks][H] */
	double *dh, *dc, *dz, *dxin, *dusum, *dlog; /* H, H, 4H, 2H, H, max n */
	double *qbuf;            /* [max n_skip] skip_linear: q, then dq */
	double *zero;            /* [2H] zeros: the state before step 0 */
} ctl_lstm;

/* Builds the plan and parameters (drawn from rng in tensor order).  The
 * decision list must already pass ctl_decisions_check; structure the LSTM
 * cannot follow is refused here with the decision that breaks it. */
int ctl_lstm_create(ctl_lstm **out, const ctl_lstm_cfg *cfg,
                    const apnas_decision *d, size_t n, apnas_rng *rng,
                    apnas_error *err);
void ctl_lstm_free(ctl_lstm *m);

/* One pass.  With rng: samples into tok.  Without: scores the given tok
 * (teacher forcing) and only reads it.  Keeps the trajectory for
 * ctl_lstm_backward. */
void ctl_lstm_forward(ctl_lstm *m, apnas_rng *rng, int32_t *tok,
                      ctl_lstm_out *out);

/* Adds c_logp * d log_prob / dp + c_kl * d kl / dp of the last forward
 * pass into m->g. */
void ctl_lstm_backward(ctl_lstm *m, double c_logp, double c_kl);

#endif
