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

typedef struct apnas_net {
	apnas_layer *layers; /* owned by the net; n entries in order */
	size_t n;
	size_t cap;          /* allocated entries, for the net's own use */
} apnas_net;

void apnas_net_init(apnas_net *net);
void apnas_net_free(apnas_net *net);
/* Removes every layer, keeps the allocation. */
void apnas_net_clear(apnas_net *net);
/* Appends a copy of *layer. */
int apnas_net_add(apnas_net *net, const apnas_layer *layer, apnas_error *err);

/* Helpers that fill a layer and compute its output shape the way the
 * engine does (floor((in + 2p - k) / s) + 1); they append it and return 0,
 * or refuse impossible geometry. */
int apnas_net_conv(apnas_net *net, const char *name, apnas_shape in,
                   int out_c, int k, int stride, int pad, apnas_error *err);
int apnas_net_dwconv(apnas_net *net, const char *name, apnas_shape in,
                     int k, int stride, int pad, apnas_error *err);
int apnas_net_pool(apnas_net *net, const char *name, apnas_layer_type type,
                   apnas_shape in, int k, int stride, int pad,
                   apnas_error *err);
int apnas_net_gpool(apnas_net *net, const char *name, apnas_shape in,
                    apnas_error *err);
int apnas_net_fc(apnas_net *net, const char *name, apnas_shape in,
                 int out_features, apnas_error *err);
/* ADD: n operands of shape `in`.  CONCAT: n operands whose channels sum to
 * out_c, all of in.h x in.w. */
int apnas_net_add_op(apnas_net *net, const char *name, apnas_shape in,
                     int n, apnas_error *err);
int apnas_net_concat(apnas_net *net, const char *name, apnas_shape in,
                     int n, int out_c, apnas_error *err);

/* Multiply-accumulates of one layer (0 for pools, add, concat) and of a
 * net; parameters (weights only, no BN) likewise. */
uint64_t apnas_layer_macs(const apnas_layer *l);
uint64_t apnas_net_macs(const apnas_net *net);
uint64_t apnas_layer_params(const apnas_layer *l);
uint64_t apnas_net_params(const apnas_net *net);

const char *apnas_layer_type_name(apnas_layer_type t);

#ifdef __cplusplus
}
#endif
#endif
