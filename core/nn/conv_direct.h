/* Direct stride-1 convolution (op_conv_direct.c), used by op_conv.c for
 * every stride-1 kernel larger than 1x1. */
#ifndef APNAS_CORE_NN_CONV_DIRECT_H
#define APNAS_CORE_NN_CONV_DIRECT_H

#include "nn/ops.h"

/* Internal to libapnas: not exported from the shared library. */
#pragma GCC visibility push(hidden)

/* Whether node nd (a conv) takes the direct path. */
int nn_conv_direct_ok(const apnas_graph *g, const nn_node *nd);
/* Per-thread workspace bytes. */
size_t nn_conv_direct_ws(const apnas_graph *g, const nn_node *nd);
/* Byte offsets, in each thread's workspace, of the weight-gradient
 * partial [cout][cin][k][k] (returned) and the bias partial (*bias_off). */
size_t nn_conv_direct_partial(const apnas_graph *g, const nn_node *nd,
                              size_t *bias_off);
/* x [N][Cin][H][W], w [Cout][Cin][k][k] -> y, through epilogue e. */
void nn_conv_direct_fwd(apnas_graph *g, nn_node *nd, const float *x,
                        const float *w, const nn_epi *e, float *y);
/* Writes every thread's partials; dx (may be NULL) is overwritten, or
 * added to when acc_x. */
void nn_conv_direct_bwd(apnas_graph *g, nn_node *nd, const float *x,
                        const float *w, const float *dy, float *dx,
                        int acc_x, int need_db);

#ifdef NN_HAVE_V4
/* The same for AVX-512 (x86-64-v4), 16 floats a vector: call only when
 * nn_isa_wide() says the CPU runs them. */
int nn_conv_direct_ok_v4(const apnas_graph *g, const nn_node *nd);
size_t nn_conv_direct_ws_v4(const apnas_graph *g, const nn_node *nd);
size_t nn_conv_direct_partial_v4(const apnas_graph *g, const nn_node *nd,
                                 size_t *bias_off);
void nn_conv_direct_fwd_v4(apnas_graph *g, nn_node *nd, const float *x,
                           const float *w, const nn_epi *e, float *y);
void nn_conv_direct_bwd_v4(apnas_graph *g, nn_node *nd, const float *x,
                           const float *w, const float *dy, float *dx,
                           int acc_x, int need_db);
#endif

#pragma GCC visibility pop

#endif
