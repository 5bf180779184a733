/* The apnas CNN engine: the SDK a search-space plugin builds and trains
 * its (weight-sharing) networks with.
 *
 * Three objects, all owned by the plugin instance that creates them:
 *
 *   apnas_params  a registry of named parameter tensors (weights, biases,
 *                 batch-norm scale/shift and running statistics) with their
 *                 gradients and momentum buffers.  One set holds every
 *                 weight of a supernet; any number of graphs reference it.
 *   apnas_graph   a sequence of ops over activation tensors, built for one
 *                 architecture (typically: once per minibatch), run forward
 *                 and backward.  Its memory (activations, gradients,
 *                 im2col workspaces) lives in one arena that grows to the
 *                 largest graph ever built on it and is then reused, so
 *                 rebuilding a graph for a new architecture allocates
 *                 nothing once the arena is warm.
 *   apnas_sgd     plain settings: SGD with momentum / Nesterov and L2 weight
 *                 decay, applied by apnas_sgd_step() to exactly the
 *                 parameters the last backward pass used.
 *
 * A training step in a plugin:
 *
 *     apnas_graph_reset(g);
 *     apnas_tensor *x = apnas_op_input(g, b->x, b->n, 1, 28, 28);
 *     x = apnas_op_conv(g, x, self->stem_w, NULL, 1, 1);
 *     x = apnas_op_bn_relu(g, x, &self->stem_bn);
 *     ... ops chosen by the architecture ...
 *     apnas_op_xent(g, logits, b->y);
 *     if (apnas_graph_forward(g, APNAS_MODE_TRAIN, err) < 0 ||
 *         apnas_graph_backward(g, err) < 0)
 *             return err->code;
 *     apnas_sgd_step(self->params, &self->sgd, lr, err);
 *
 * Builder calls never need checking one by one: the first failure (bad
 * shape, NULL operand, out of memory) is kept in the graph, later builder
 * calls return NULL, and forward/backward return that first error with its
 * message.  Nothing in this API prints, exits, or aborts on bad input.
 *
 * Layout: every activation is NCHW float32, contiguous: element (n, c, h, w)
 * at ((n * C + c) * H + h) * W + w.  Shape comments below read
 * [N][C][H][W].  Parameters are contiguous float32 with the layout written
 * next to each constructor.
 *
 * Threads and determinism: a graph runs its ops on `threads` engine
 * threads, each taking a fixed, contiguous part of the batch and calling
 * single-threaded OpenBLAS on it; cross-image sums (weight gradients,
 * batch-norm statistics) are reduced in a fixed order.  Same seed, same
 * inputs, same thread count: bit-identical results.  A different thread
 * count may change the last bits.
 *
 * Thread safety: one graph and one parameter set must not be used by two
 * threads at once.  Distinct graphs over distinct parameter sets may run
 * concurrently.
 *
 * A walk-through, the design and the measurements: docs/engine.md. */
#ifndef APNAS_NN_H
#define APNAS_NN_H

#include "api.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "collective.h"
#include "error.h"
#include "rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- threads ------------------------------------------------------------ */

/* Sets the process default thread count for graphs created with threads ==
 * 0; n <= 0 restores the default: the CPUs this process may run on
 * (its affinity mask, as run.threads = 0 resolves).  OpenBLAS itself is
 * put in single-threaded mode (here and when a graph is created) and left
 * so: the engine's threads each call it on their own images, which is
 * the fast path on this class of machine, and a multi-threaded OpenBLAS
 * pool woken underneath would spin on the same cores (changing its thread
 * count per call costs a wake-up of that pool).  Code that wants OpenBLAS
 * threads for its own large GEMMs outside graph runs sets them itself. */
APNAS_API void apnas_nn_set_threads(int n);
/* The current process default (>= 1). */
APNAS_API int apnas_nn_threads(void);

/* ---- parameters --------------------------------------------------------- */

typedef struct apnas_params apnas_params; /* opaque; owned by its creator */
typedef struct apnas_param apnas_param;   /* opaque; owned by its set */

typedef enum apnas_init {
	APNAS_INIT_HE = 1,  /* normal(0, sqrt(2 / fan_in)), fan_in = product
	                       of every dimension but the first (He et al.,
	                       for ReLU networks) */
	APNAS_INIT_ZERO,
	APNAS_INIT_ONE,
	APNAS_INIT_FANIN_UNIFORM /* uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)):
	                            PyTorch's default for biases */
} apnas_init;

/* Creates an empty set.  `seed` drives initialisation: parameters are
 * drawn in creation order from a stream derived from it, so the same
 * sequence of constructor calls gives the same values. */
APNAS_API int apnas_params_create(uint64_t seed, apnas_params **out, apnas_error *err);
/* Frees the set and every parameter in it; ps may be NULL.  Graphs that
 * reference it must be reset or destroyed first. */
APNAS_API void apnas_params_destroy(apnas_params *ps);

/* Adds a trainable tensor of ndim (1..4) dimensions.  `name` is copied and
 * must be unique within the set ("l3.conv5.w").  `decay` says whether L2
 * weight decay applies to it (the constructors below choose: yes for conv
 * and FC weights, no for biases and batch-norm).  *out stays valid until
 * the set is destroyed. */
APNAS_API int apnas_param_add(apnas_params *ps, const char *name, int ndim,
                    const int32_t *dims, apnas_init init, int decay,
                    apnas_param **out, apnas_error *err);

/* Dense or pointwise conv weight [out_c][in_c][k][k], He-initialised. */
APNAS_API int apnas_param_conv(apnas_params *ps, const char *name, int out_c,
                     int in_c, int k, apnas_param **out, apnas_error *err);
/* Depthwise conv weight [c][1][k][k], He-initialised (fan_in = k*k). */
APNAS_API int apnas_param_dwconv(apnas_params *ps, const char *name, int c, int k,
                       apnas_param **out, apnas_error *err);
/* Fully connected layer: weight [out_f][in_f] (He) into *w, and, if b is
 * not NULL, bias [out_f] (fan-in uniform) into *b as "<name>.b"; the
 * weight is named "<name>.w". */
APNAS_API int apnas_param_fc(apnas_params *ps, const char *name, int out_f, int in_f,
                   apnas_param **w, apnas_param **b, apnas_error *err);

/* Looks a parameter up by name; NULL if absent. */
APNAS_API apnas_param *apnas_params_find(const apnas_params *ps, const char *name);
APNAS_API size_t apnas_params_count(const apnas_params *ps);
APNAS_API apnas_param *apnas_params_at(const apnas_params *ps, size_t i);
/* Total floats of trainable values (what an architecture's "params" metric
 * would count if it used everything). */
APNAS_API size_t apnas_params_numel(const apnas_params *ps);
/* Bytes the set holds: values, gradients, momentum, running statistics. */
APNAS_API size_t apnas_params_bytes(const apnas_params *ps);

/* Accessors.  The pointers are owned by the set and stable for its life.
 * value and grad hold apnas_param_numel() floats; grad is meaningful for
 * parameters the last backward pass used; momentum is the SGD buffer. */
APNAS_API const char *apnas_param_name(const apnas_param *p);
APNAS_API int apnas_param_ndim(const apnas_param *p);
APNAS_API const int32_t *apnas_param_dims(const apnas_param *p); /* ndim entries */
APNAS_API size_t apnas_param_numel(const apnas_param *p);
APNAS_API float *apnas_param_value(apnas_param *p);
APNAS_API float *apnas_param_grad(apnas_param *p);
APNAS_API float *apnas_param_momentum(apnas_param *p);
/* Whether the last backward pass since the last apnas_sgd_step /
 * apnas_params_clear_used touched it. */
APNAS_API int apnas_param_used(const apnas_param *p);
/* Forgets which parameters were used (e.g. after a failed step). */
APNAS_API void apnas_params_clear_used(apnas_params *ps);

/* Batch norm over C channels: trainable scale gamma[C] (init 1) and shift
 * beta[C] (init 0), named "<name>.gamma" / "<name>.beta", and running
 * statistics mean[C] (init 0) and var[C] (init 1), named "<name>.mean" /
 * "<name>.var", which are saved with the set but never trained.
 * `momentum` weights a new batch's statistics into the running ones
 * (PyTorch convention: 0.1; TensorFlow's decay 0.9 is the same); `eps` is
 * added to the variance (1e-5).  Running variance uses the unbiased batch
 * variance, as PyTorch does.  With affine == 0, gamma and beta are not
 * created (NULL) and the op normalises only. */
typedef struct apnas_bn {
	apnas_param *gamma;   /* [C], owned by the set; NULL if !affine */
	apnas_param *beta;    /* [C], owned by the set; NULL if !affine */
	apnas_param *mean;    /* [C] running mean, owned by the set */
	apnas_param *var;     /* [C] running variance, owned by the set */
	int32_t c;            /* channels */
	float momentum;       /* set by the constructor; the caller may change */
	float eps;            /* set by the constructor; the caller may change */
} apnas_bn;

/* Fills *bn (caller-owned struct) with new parameters in ps. */
APNAS_API int apnas_bn_add(apnas_params *ps, const char *name, int c, int affine,
                 apnas_bn *bn, apnas_error *err);

/* Checkpoints: writes every parameter (name, shape, value, momentum; the
 * batch-norm running statistics are parameters too) in creation order.
 * load() reads what save() wrote into a set built by the same constructor
 * calls: names, count and shapes must match exactly, else APNAS_EINVAL
 * naming the first difference, and the set is left unchanged.  Binary,
 * little-endian float32; a short or corrupt file is refused. */
APNAS_API int apnas_params_save(const apnas_params *ps, FILE *f, apnas_error *err);
APNAS_API int apnas_params_load(apnas_params *ps, FILE *f, apnas_error *err);

/* ---- optimiser and schedule -------------------------------------------- */

typedef struct apnas_sgd {
	double momentum;      /* 0 = plain SGD; 0.9 usual */
	int nesterov;         /* 1: Nesterov momentum (needs momentum > 0) */
	double weight_decay;  /* L2 coefficient, added to the gradient of
	                         parameters created with decay (PyTorch's
	                         weight_decay convention) */
	double grad_clip;     /* > 0: scale the used gradients so their global
	                         L2 norm is at most this; 0: off */
} apnas_sgd;

/* One update of every parameter the last backward pass used, then clears
 * the used marks.  Parameters not used keep their values and momentum
 * buffers untouched.  PyTorch's SGD update:
 *   g = grad + wd * w;  m = mu * m + g;
 *   w -= lr * (nesterov ? g + mu * m : m).
 * Refuses (APNAS_EINVAL) invalid settings, and (APNAS_ENUM) a non-finite
 * gradient, leaving all weights untouched. */
APNAS_API int apnas_sgd_step(apnas_params *ps, const apnas_sgd *opt, double lr,
                   apnas_error *err);

/* Cosine learning rate with warm restarts (SGDR, Loshchilov & Hutter):
 * periods of t0, t0*tmul, t0*tmul^2, ... epochs; within a period of length
 * T at position t, lr = lr_min + (lr_max - lr_min) (1 + cos(pi t / T)) / 2. */
typedef struct apnas_cosine {
	double lr_max, lr_min; /* lr_max >= lr_min >= 0 */
	double t0;             /* first period in epochs, > 0 */
	double tmul;           /* period growth, >= 1 */
} apnas_cosine;

/* The learning rate at a (fractional) epoch position >= 0. */
APNAS_API double apnas_cosine_lr(const apnas_cosine *c, double epoch_pos);

/* ---- graphs ------------------------------------------------------------- */

typedef struct apnas_graph apnas_graph;   /* opaque; owned by its creator */
typedef struct apnas_tensor apnas_tensor; /* opaque; owned by its graph,
                                             valid until the next reset */

/* Creates an empty graph running on `threads` engine threads (0: the
 * process default, apnas_nn_threads()).  The threads are started here and
 * sleep between ops. */
APNAS_API int apnas_graph_create(int threads, apnas_graph **out, apnas_error *err);
/* Stops the threads and frees everything; g may be NULL. */
APNAS_API void apnas_graph_destroy(apnas_graph *g);
/* Removes every op and tensor, keeping the memory for the next build.
 * Cheap: call it before building each minibatch's architecture. */
APNAS_API void apnas_graph_reset(apnas_graph *g);
/* The first builder or run error, copied into err; 0 if none. */
APNAS_API int apnas_graph_status(const apnas_graph *g, apnas_error *err);
APNAS_API int apnas_graph_threads(const apnas_graph *g);

typedef enum apnas_mode {
	APNAS_MODE_TRAIN = 1,  /* batch statistics, running statistics
	                          updated, dropout active; backward allowed */
	APNAS_MODE_INFER = 2,  /* running statistics, no dropout, no
	                          backward; nothing in the params changes */
	APNAS_MODE_BATCHSTAT = 3 /* batch statistics but running statistics
	                          left alone, no dropout, no backward: for
	                          scoring shared weights whose running
	                          statistics mix architectures */
} apnas_mode;

/* Runs every op in build order.  Returns the graph's first builder error
 * if any, APNAS_EINVAL for a label out of range, APNAS_ENOMEM if the
 * arena cannot grow (it grows here, never during backward).  After it,
 * apnas_tensor_data() is readable for the tensors apnas_tensor_keep()
 * marked, the tensors no op consumes, and the xent op's logits; the
 * memory of other tensors is reused as soon as they are dead. */
APNAS_API int apnas_graph_forward(apnas_graph *g, apnas_mode mode, apnas_error *err);

/* Backpropagates from the graph's loss (the last apnas_op_xent) after a
 * TRAIN forward: writes the gradient of the loss into every parameter the
 * graph references (summed when a parameter is used more than once) and
 * marks it used.  A non-finite loss returns APNAS_ENUM and touches no
 * gradient or mark. */
APNAS_API int apnas_graph_backward(apnas_graph *g, apnas_error *err);

/* The loss of the last forward (mean over the batch) and the count of
 * images whose largest logit is the label's; either pointer may be NULL.
 * APNAS_EINVAL if the graph has no xent op or has not run. */
APNAS_API int apnas_graph_loss(const apnas_graph *g, double *loss, int64_t *correct,
                     apnas_error *err);

/* Memory of the last run, in bytes, at the moment the planned arena is
 * fullest.  Activations: tensor values alive then (in TRAIN, those kept
 * for backward).  Gradients: activation gradients alive then (each lives
 * only from its first to its last use in backward).  Workspace: per-op
 * saved state (batch-norm statistics, max-pool argmax, dropout mask,
 * softmax) plus the per-thread scratch (padded planes, im2col columns,
 * partial weight gradients).  Arena: what is allocated for all of it
 * (grows only, with a quarter of headroom).  Parameters are counted by
 * apnas_params_bytes. */
typedef struct apnas_graph_mem {
	size_t activations;
	size_t gradients;
	size_t workspace;
	size_t arena;
} apnas_graph_mem;
APNAS_API void apnas_graph_memory(const apnas_graph *g, apnas_graph_mem *m);

/* Tensor accessors.  Data is valid after a forward until the next reset or
 * forward (for the tensors apnas_graph_forward lists); grad after a
 * backward, for tensors marked with apnas_tensor_keep() that lie on a path
 * from a parameter to the loss (NULL otherwise). */
typedef struct apnas_dims4 {
	int32_t n, c, h, w;
} apnas_dims4;
APNAS_API apnas_dims4 apnas_tensor_dims(const apnas_tensor *t);
APNAS_API const float *apnas_tensor_data(const apnas_tensor *t); /* [N][C][H][W] */
APNAS_API const float *apnas_tensor_grad(const apnas_tensor *t); /* [N][C][H][W] */
/* Keeps t's data (and gradient) readable after the run: call it while
 * building, for the outputs a plugin reads besides the loss. */
APNAS_API void apnas_tensor_keep(apnas_tensor *t);

/* ---- data parallel (since 2.2) ------------------------------------------ */

/* Makes g's forward and backward passes one rank's share of a step over
 * the ranks of coll (<apnas/collective.h>); NULL, or a collective whose
 * size() is 1 when a forward starts: the graph runs alone.  Sharded, in
 * TRAIN and BATCHSTAT the batch norms use the statistics of the global
 * batch; in every mode the loss is the global batch's mean and
 * apnas_graph_loss reports the global loss and correct count (the same
 * on every rank); the loss gradient divides by the global count; dropout
 * keeps this rank's part of the global batch's mask.  Every rank must run
 * the same graph (same ops, same parameters) in the same modes, since
 * each forward and backward calls collectives.  coll is borrowed: it
 * must outlive the graph's use. */
APNAS_API void apnas_graph_set_collective(apnas_graph *g,
                                          const apnas_collective *coll);

/* Sums over the ranks of coll the gradients of every parameter the last
 * backward pass used (creation order, one collective call), so that
 * apnas_sgd_step then applies the global batch's gradient on every rank.
 * No-op when coll is NULL or its size() is 1.  Every rank must have used
 * the same parameters (the same architecture). */
APNAS_API int apnas_params_sum_grads(apnas_params *ps,
                                     const apnas_collective *coll,
                                     apnas_error *err);

/* ---- ops (builders) -------------------------------------------------------
 * Each appends one op and returns its output tensor, or NULL after
 * recording an error in the graph (and NULL if any operand is NULL).
 * Output sizes follow floor((in + 2 pad - k) / stride) + 1.  Parameters
 * passed in are referenced, not copied: they must outlive the graph's use
 * and must not be resized. */

/* The minibatch: x is [n][c][h][w], owned by the caller, read during
 * forward only (not copied; keep it valid until forward returns). */
APNAS_API apnas_tensor *apnas_op_input(apnas_graph *g, const float *x, int n, int c,
                             int h, int w);

/* Convolution, groups = 1.  x [N][Cin][H][W], w [Cout][Cin][k][k] (square
 * kernel), b [Cout] or NULL -> [N][Cout][Ho][Wo].  Stride-1 kernels
 * larger than 1x1 run as a direct convolution; 1x1 stride 1 pad 0 as one
 * sgemm per image on the image itself; the rest by im2col + sgemm.  In
 * the forward-only modes (INFER, BATCHSTAT), stride-1 3x3 convs with
 * channel counts that are multiples of 8 run as Winograd F(4x4, 3x3),
 * which rounds differently (about 1e-5 relative), and in INFER a conv
 * whose only reader is a batch norm applies that norm (and its ReLU) to
 * its own output. */
APNAS_API apnas_tensor *apnas_op_conv(apnas_graph *g, apnas_tensor *x, apnas_param *w,
                            apnas_param *b, int stride, int pad);

/* Depthwise convolution: x [N][C][H][W], w [C][1][k][k] (k <= 15)
 * -> [N][C][Ho][Wo].  Direct loops, no GEMM. */
APNAS_API apnas_tensor *apnas_op_dwconv(apnas_graph *g, apnas_tensor *x,
                              apnas_param *w, int stride, int pad);

/* Batch norm: x [N][C][H][W] -> same.  See apnas_bn and apnas_mode. */
APNAS_API apnas_tensor *apnas_op_bn(apnas_graph *g, apnas_tensor *x, const apnas_bn *bn);
/* relu(bn(x)) in one pass, keeping one tensor instead of two. */
APNAS_API apnas_tensor *apnas_op_bn_relu(apnas_graph *g, apnas_tensor *x,
                               const apnas_bn *bn);
/* max(x, 0): any shape -> same. */
APNAS_API apnas_tensor *apnas_op_relu(apnas_graph *g, apnas_tensor *x);

/* Pooling over k x k windows: x [N][C][H][W] -> [N][C][Ho][Wo].  Max pool
 * ignores padding (treated as -inf).  Average pool divides by k*k when
 * count_pad (PyTorch's default), by the number of real pixels in the
 * window otherwise (TensorFlow 'SAME').  pad < k is required. */
APNAS_API apnas_tensor *apnas_op_maxpool(apnas_graph *g, apnas_tensor *x, int k,
                               int stride, int pad);
APNAS_API apnas_tensor *apnas_op_avgpool(apnas_graph *g, apnas_tensor *x, int k,
                               int stride, int pad, int count_pad);
/* Global average pooling: [N][C][H][W] -> [N][C][1][1]. */
APNAS_API apnas_tensor *apnas_op_gap(apnas_graph *g, apnas_tensor *x);

/* Fully connected: x [N][C][H][W] read as [N][C*H*W], w [F][C*H*W],
 * b [F] or NULL -> [N][F][1][1]. */
APNAS_API apnas_tensor *apnas_op_fc(apnas_graph *g, apnas_tensor *x, apnas_param *w,
                          apnas_param *b);

/* Inverted dropout: in TRAIN mode zeroes each element with probability
 * p_drop (0 <= p_drop < 1) and scales the rest by 1/(1-p_drop); identity
 * in the other modes.  The mask is drawn from *rng (owned by the caller,
 * advanced by the forward pass; one draw per element, in order), so the
 * caller's checkpoint of rng makes dropout reproducible. */
APNAS_API apnas_tensor *apnas_op_dropout(apnas_graph *g, apnas_tensor *x, float p_drop,
                               apnas_rng *rng);

/* Element-wise sum of n >= 1 tensors of one shape -> that shape. */
APNAS_API apnas_tensor *apnas_op_add(apnas_graph *g, apnas_tensor *const *xs, int n);

/* Channel concatenation of n >= 1 tensors [N][Ci][H][W] (same N, H, W)
 * -> [N][sum Ci][H][W], in the given order. */
APNAS_API apnas_tensor *apnas_op_concat(apnas_graph *g, apnas_tensor *const *xs, int n);

/* Shift with zero fill: out[n][c][h][w] = x[n][c][h + dy][w + dx], or 0
 * where that falls outside.  Same shape.  ENAS's factorized reduction
 * takes its second path as a stride-2 1x1 conv of shift(x, 1, 1). */
APNAS_API apnas_tensor *apnas_op_shift(apnas_graph *g, apnas_tensor *x, int dy, int dx);

/* Softmax cross-entropy, mean over the batch: logits [N][K][1][1] (or any
 * [N][K*H*W] read flat), y [N] labels in 0..K-1 (owned by the caller, read
 * during forward and backward) -> [1][1][1][1].  The graph's loss: the
 * backward pass starts here.  One per graph. */
APNAS_API apnas_tensor *apnas_op_xent(apnas_graph *g, apnas_tensor *logits,
                            const int32_t *y);

#ifdef __cplusplus
}
#endif
#endif
