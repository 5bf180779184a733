/* The ops' run-time side: forward and backward of each op over the
 * arena the planner laid out, and what each needs from the planner.
 * Each op file (op_*.c) implements its pair; run.c dispatches. */
#ifndef APNAS_CORE_NN_OPS_H
#define APNAS_CORE_NN_OPS_H

#include "nn/nn_internal.h"

/* Internal to libapnas: not exported from the shared library. */
#pragma GCC visibility push(hidden)

/* Sum and sum of squares of one plane: 8 float lanes, then a fixed lane
 * tree (op_bn.c).  The batch norm's statistics, whether the norm computes
 * them or the conv before it does (nn_node.bnstat): one function, so both
 * give the same bits. */
void nn_plane_stats(const float *x, int hw, float *s, float *ss);
/* st[2 o], st[2 o + 1]: nn_plane_stats of channel o of y [c][hw]. */
void nn_image_stats(const float *y, int c, int hw, float *st);

/* Per-thread workspace bytes node nd needs with the graph's thread count. */
size_t nn_ws_bytes(const apnas_graph *g, const nn_node *nd);
/* Bytes the node saves between its forward and its backward (or uses
 * during its forward only, outside TRAIN). */
size_t nn_aux_bytes(const apnas_graph *g, const nn_node *nd,
                    apnas_mode mode);

/* What a conv does to its raw output per channel before storing it:
 * y = a[o] * y + b[o] (a NULL: scale 1; b NULL: no shift), then max(0, y)
 * when relu.  Carries the bias, and in INFER mode a folded batch norm. */
typedef struct nn_epi {
	const float *a, *b;
	int relu;
} nn_epi;

/* Applies e to channel o's plane y[hw]. */
void nn_epi_apply(const nn_epi *e, int o, float *y, size_t hw);

/* acc[i] != 0: input i's gradient already holds a value, add to it;
 * 0: overwrite it.  Inputs with needs_grad == 0 get no gradient. */
void nn_conv_fwd(apnas_graph *g, nn_node *nd);
/* INFER only: folds the batch norm of node nd + 1 into nd's output. */
int nn_conv_can_fuse(const apnas_graph *g, size_t i);
void nn_conv_bwd(apnas_graph *g, nn_node *nd, const unsigned char *acc);
size_t nn_conv_ws(const apnas_graph *g, const nn_node *nd);

void nn_dwconv_fwd(apnas_graph *g, nn_node *nd);
void nn_dwconv_bwd(apnas_graph *g, nn_node *nd, const unsigned char *acc);
size_t nn_dwconv_ws(const apnas_graph *g, const nn_node *nd);

/* Fails (with the graph's error set) only when a sharded sum fails. */
int nn_bn_fwd(apnas_graph *g, nn_node *nd, apnas_mode mode);
void nn_bn_bwd(apnas_graph *g, nn_node *nd, const unsigned char *acc);
size_t nn_bn_ws(const apnas_graph *g, const nn_node *nd);

void nn_relu_fwd(apnas_graph *g, nn_node *nd);
void nn_relu_bwd(apnas_graph *g, nn_node *nd, const unsigned char *acc);

void nn_pool_fwd(apnas_graph *g, nn_node *nd, apnas_mode mode);
size_t nn_pool_ws(const apnas_graph *g, const nn_node *nd);
void nn_pool_bwd(apnas_graph *g, nn_node *nd, const unsigned char *acc);
void nn_gap_fwd(apnas_graph *g, nn_node *nd);
void nn_gap_bwd(apnas_graph *g, nn_node *nd, const unsigned char *acc);

void nn_add_fwd(apnas_graph *g, nn_node *nd);
void nn_add_bwd(apnas_graph *g, nn_node *nd, const unsigned char *acc);
void nn_concat_fwd(apnas_graph *g, nn_node *nd);
void nn_concat_bwd(apnas_graph *g, nn_node *nd, const unsigned char *acc);
void nn_shift_fwd(apnas_graph *g, nn_node *nd);
void nn_shift_bwd(apnas_graph *g, nn_node *nd, const unsigned char *acc);
void nn_dropout_fwd(apnas_graph *g, nn_node *nd, apnas_mode mode);
void nn_dropout_bwd(apnas_graph *g, nn_node *nd, const unsigned char *acc);

void nn_fc_fwd(apnas_graph *g, nn_node *nd);
void nn_fc_bwd(apnas_graph *g, nn_node *nd, const unsigned char *acc);
/* Fails (APNAS_EINVAL) on a label out of range. */
int nn_xent_fwd(apnas_graph *g, nn_node *nd, apnas_error *err);
void nn_xent_bwd(apnas_graph *g, nn_node *nd, const unsigned char *acc);

/* Input i of a node. */
static inline apnas_tensor *nn_in(const apnas_graph *g, const nn_node *nd,
                                  int i)
{
	return g->ins[nd->in0 + i];
}

/* Where a parameter's gradient goes during backward: returns whether to
 * add to it (it already holds this pass's contribution) and marks it. */
static inline int nn_param_acc(apnas_param *p)
{
	int acc = p->bwd_written;
	p->bwd_written = 1;
	p->used = 1;
	return acc;
}

/* Sums the per-thread partial vectors at byte offset `off` of every
 * thread's workspace into dst (adding to dst when acc), in thread order,
 * split over the threads by element ranges. */
void nn_reduce_partials(apnas_graph *g, float *dst, size_t numel, size_t off,
                        int acc);

const char *nn_op_name(int op);

/* Puts OpenBLAS in single-threaded mode (if it is not already): the
 * engine's threads each call it on their own images, and an OpenBLAS pool
 * woken underneath would spin on the same cores. */
void nn_blas_single(void);

/* Runs fn's parts on the graph's threads, or all on the caller when the
 * op is small (see nn_pool_run_work). */
static inline void nn_par(apnas_graph *g, nn_task fn, void *ctx, double work)
{
	nn_pool_run_work(g->pool, fn, ctx, work);
}

#pragma GCC visibility pop

#endif
