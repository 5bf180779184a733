/* Winograd F(4x4, 3x3) convolution (op_conv_wino.c), used by op_conv.c in
 * the forward-only modes for stride-1 3x3 kernels whose channel counts are
 * multiples of 8. */
#ifndef APNAS_CORE_NN_CONV_WINO_H
#define APNAS_CORE_NN_CONV_WINO_H

#include "nn/ops.h"

/* Internal to libapnas: not exported from the shared library. */
#pragma GCC visibility push(hidden)

int nn_conv_wino_ok(const apnas_graph *g, const nn_node *nd);
size_t nn_conv_wino_ws(const apnas_graph *g, const nn_node *nd);
/* x [N][Cin][H][W], w [Cout][Cin][3][3] -> y, through epilogue e. */
void nn_conv_wino_fwd(apnas_graph *g, nn_node *nd, const float *x,
                      const float *w, const nn_epi *e, float *y);

#pragma GCC visibility pop

#endif
