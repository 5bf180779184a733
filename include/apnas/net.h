/* The network description: what search spaces produce and cost models
 * consume.
 *
 * An ordered list of the layers a network runs, each with its input and
 * output shapes (per image, batch excluded).  Shapes are the true ones the
 * engine computes, so that a cost model sees exactly the network that
 * `apnas train` builds.  Padding is explicit: a cost model that works on
 * padded inputs (SCALE-Sim's convention) adds it itself. */
#ifndef APNAS_NET_H
#define APNAS_NET_H

#include "api.h"

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum apnas_layer_type {
	APNAS_LAYER_CONV = 1,   /* dense conv, groups == 1 (1x1 = pointwise) */
	APNAS_LAYER_DWCONV,     /* depthwise: groups == in.c == out.c */
	APNAS_LAYER_MAXPOOL,
	APNAS_LAYER_AVGPOOL,
	APNAS_LAYER_GLOBALPOOL, /* global average pooling to 1x1 */
	APNAS_LAYER_FC,         /* fully connected: in.c*in.h*in.w -> out.c */
	APNAS_LAYER_ADD,        /* element-wise sum of n_inputs tensors */
	APNAS_LAYER_CONCAT      /* channel concatenation of n_inputs tensors */
} apnas_layer_type;

typedef struct apnas_shape {
	int32_t c, h, w; /* channels, height, width */
} apnas_shape;

typedef struct apnas_layer {
	apnas_layer_type type;
	char name[64];     /* owned: unique within the net, e.g. "l3.conv5x5" */
	apnas_shape in;    /* unpadded input (for ADD/CONCAT: the output shape
	                      of one operand / the concatenated shape) */
	apnas_shape out;
	int32_t kh, kw;    /* kernel; 1 for FC, ADD, CONCAT, GLOBALPOOL */
	int32_t stride;    /* same in both directions; >= 1 */
	int32_t pad_h, pad_w; /* zero padding on each side */
	int32_t groups;    /* 1 for CONV and FC, in.c for DWCONV */
	int32_t n_inputs;  /* operands of ADD/CONCAT; 1 otherwise */
} apnas_layer;

/* ---- data flow (ABI 2.1): the computation around the array layers ----
 *
 * Cost models need the layer list alone.  An exporter or a drawing
 * (`apnas export`, `apnas draw`) needs the whole computation: which
 * outputs each layer reads, and the element-wise steps that are no array
 * work (batch norm, ReLU, a shift, dropout).  A space describes them by
 * calling apnas_net_inputs after adding each layer and apnas_net_step
 * for each step; a net whose every layer has its inputs is "described"
 * (apnas_net_described).  A layer's readers see its output after its
 * output steps.  Weights are found by name in the space's parameter set
 * (nn.h): a layer's weight is "<layer name>.w" (conv [out][in/groups][k]
 * [k], FC [out][in.c*in.h*in.w]) and its bias, if it has one,
 * "<layer name>.b". */

#define APNAS_NET_INPUT (-1) /* a source: the network's input image */

typedef enum apnas_step_kind {
	APNAS_STEP_BN = 1,   /* batch norm over channels: parameters
	                        "<param>.gamma", ".beta", ".mean", ".var" */
	APNAS_STEP_RELU,     /* max(x, 0) */
	APNAS_STEP_SHIFT,    /* out[c][y][x] = in[c][y + dy][x + dx], 0 where
	                        that falls outside */
	APNAS_STEP_DROPOUT   /* training only: zero with probability p, scale
	                        the rest by 1 / (1 - p) */
} apnas_step_kind;

typedef struct apnas_step {
	apnas_step_kind kind;
	int32_t on_input;    /* 1: applied to the layer's (single) input
	                        before it; 0: to its output */
	char param[64];      /* BN: its parameters' name prefix */
	float eps;           /* BN: added to the variance */
	float momentum;      /* BN: weight of a batch in the running stats */
	float p;             /* DROPOUT: drop probability in [0, 1) */
	int32_t dy, dx;      /* SHIFT */
} apnas_step;

typedef struct apnas_flow {
	int32_t *src;        /* owned by the net: the layer's n_inputs
	                        sources (a layer index or APNAS_NET_INPUT), in
	                        operand order; NULL until described */
	apnas_step *steps;   /* owned by the net: n_steps, in order */
	size_t n_steps;
	int32_t count_pad;   /* AVGPOOL: 1 divides by k*k (the default), 0 by
	                        the real pixels in the window */
} apnas_flow;

typedef struct apnas_net {
	apnas_layer *layers; /* owned by the net; n entries in order */
	size_t n;
	size_t cap;          /* allocated entries, for the net's own use */
	apnas_flow *flow;    /* owned by the net: cap entries, flow[i] of
	                        layers[i] (data flow, above) */
} apnas_net;

APNAS_API void apnas_net_init(apnas_net *net);
APNAS_API void apnas_net_free(apnas_net *net);
/* Removes every layer, keeps the allocation. */
APNAS_API void apnas_net_clear(apnas_net *net);
/* Appends a copy of *layer. */
APNAS_API int apnas_net_add(apnas_net *net, const apnas_layer *layer, apnas_error *err);

/* Helpers that fill a layer and compute its output shape the way the
 * engine does (floor((in + 2p - k) / s) + 1); they append it and return 0,
 * or refuse impossible geometry. */
APNAS_API int apnas_net_conv(apnas_net *net, const char *name, apnas_shape in,
                   int out_c, int k, int stride, int pad, apnas_error *err);
APNAS_API int apnas_net_dwconv(apnas_net *net, const char *name, apnas_shape in,
                     int k, int stride, int pad, apnas_error *err);
APNAS_API int apnas_net_pool(apnas_net *net, const char *name, apnas_layer_type type,
                   apnas_shape in, int k, int stride, int pad,
                   apnas_error *err);
APNAS_API int apnas_net_gpool(apnas_net *net, const char *name, apnas_shape in,
                    apnas_error *err);
APNAS_API int apnas_net_fc(apnas_net *net, const char *name, apnas_shape in,
                 int out_features, apnas_error *err);
/* ADD: n operands of shape `in`.  CONCAT: n operands whose channels sum to
 * out_c, all of in.h x in.w. */
APNAS_API int apnas_net_add_op(apnas_net *net, const char *name, apnas_shape in,
                     int n, apnas_error *err);
APNAS_API int apnas_net_concat(apnas_net *net, const char *name, apnas_shape in,
                     int n, int out_c, apnas_error *err);

/* Data flow of the last layer added: its n sources (n must be its
 * n_inputs; each an earlier layer or APNAS_NET_INPUT), a step, and
 * average pooling's divisor.  APNAS_EINVAL on a bad source or no layer. */
APNAS_API int apnas_net_inputs(apnas_net *net, const int32_t *src, int n,
                     apnas_error *err);
APNAS_API int apnas_net_step(apnas_net *net, const apnas_step *step, apnas_error *err);
APNAS_API int apnas_net_count_pad(apnas_net *net, int count_pad, apnas_error *err);
/* 1 if every layer's sources are described. */
APNAS_API int apnas_net_described(const apnas_net *net);

/* Multiply-accumulates of one layer (0 for pools, add, concat) and of a
 * net; parameters (weights only, no BN) likewise. */
APNAS_API uint64_t apnas_layer_macs(const apnas_layer *l);
APNAS_API uint64_t apnas_net_macs(const apnas_net *net);
APNAS_API uint64_t apnas_layer_params(const apnas_layer *l);
APNAS_API uint64_t apnas_net_params(const apnas_net *net);

APNAS_API const char *apnas_layer_type_name(apnas_layer_type t);

#ifdef __cplusplus
}
#endif
#endif
