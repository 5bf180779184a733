/* Internal structures of the CNN engine (core/nn): parameters, tensors,
 * graph nodes and the memory plan.  Not installed; plugins see only the
 * opaque types of <apnas/nn.h>. */
#ifndef APNAS_CORE_NN_INTERNAL_H
#define APNAS_CORE_NN_INTERNAL_H

#include <apnas/collective.h>
#include <apnas/nn.h>

#include <stddef.h>
#include <stdint.h>

#include "nn/pool.h"

/* Every arena and workspace buffer starts on a cache line, so that
 * threads writing neighbouring buffers never share a line. */
#define NN_ALIGN 64

struct apnas_param {
	char *name;            /* owned */
	int ndim;
	int32_t dims[4];
	size_t numel;
	float *value;          /* [numel], owned (one block with grad, mom) */
	float *grad;           /* [numel] or NULL for running statistics */
	float *mom;            /* [numel] or NULL for running statistics */
	int trainable;         /* 0 for batch-norm running statistics */
	int decay;             /* L2 weight decay applies */
	int used;              /* set by backward, cleared by the optimiser */
	int bwd_written;       /* during one backward: grad already holds a
	                          contribution, so the next one adds */
};

struct apnas_params {
	apnas_param **v;       /* owned, creation order */
	size_t n, cap;
	apnas_rng rng;         /* initialisation stream */
	float *sum_buf;        /* owned: [sum_cap] apnas_params_sum_grads */
	size_t sum_cap;
};

/* Op codes; the order is irrelevant outside this engine. */
enum nn_op {
	NN_INPUT = 1,
	NN_CONV,
	NN_DWCONV,
	NN_BN,
	NN_BN_RELU,
	NN_RELU,
	NN_MAXPOOL,
	NN_AVGPOOL,
	NN_GAP,
	NN_FC,
	NN_DROPOUT,
	NN_ADD,
	NN_CONCAT,
	NN_SHIFT,
	NN_XENT
};

struct apnas_tensor {
	apnas_dims4 d;
	size_t numel;
	int producer;          /* node index */
	int last_use;          /* last node reading it forward; -1 if none */
	int bwd_keep_until;    /* latest node whose backward reads its data;
	                          -1 if none */
	int keep;              /* apnas_tensor_keep or a graph output */
	int needs_grad;        /* some parameter lies upstream of it */
	float *data;           /* [N][C][H][W]: arena or the caller's input */
	float *grad;           /* [N][C][H][W] in the arena, or NULL */
	int grad_born;         /* during backward: grad holds a value */
};

typedef struct nn_node {
	int op;                /* enum nn_op */
	apnas_tensor *out;
	int in0, nin;          /* operands: g->ins[in0 .. in0 + nin) */
	apnas_param *w, *b;    /* referenced, owned by a parameter set */
	apnas_bn bn;           /* copy of the caller's descriptor */
	int k, stride, pad;    /* convs and pools */
	int flag;              /* avgpool: count_pad */
	int dy, dx;            /* shift */
	float p;               /* dropout probability */
	apnas_rng *rng;        /* dropout stream, owned by the caller */
	const float *x;        /* input data, owned by the caller */
	const int32_t *y;      /* labels, owned by the caller */
	size_t aux_bytes;      /* saved state for backward (see graph.c) */
	void *aux;             /* into the arena */
	int fuse;              /* INFER: this conv applies the next node's
	                          batch norm (and ReLU) to its output */
	int skip;              /* INFER: done by the conv before it */
	int bnstat;            /* TRAIN, BATCHSTAT: this conv also writes the
	                          per-image plane sums of its output that the
	                          batch norm after it needs, into aux
	                          ([n][c][2]: sum, sum of squares), while the
	                          image is still in cache */
} nn_node;

struct apnas_graph {
	int threads;
	nn_pool *pool;         /* owned */
	nn_node *nodes;        /* owned, n_nodes used of cap_nodes */
	size_t n_nodes, cap_nodes;
	apnas_tensor **blocks; /* owned: tensors in blocks of NN_TBLOCK, so
	                          their addresses stay stable while growing */
	size_t n_blocks, n_tensors;
	apnas_tensor **ins;    /* owned operand lists */
	size_t n_ins, cap_ins;
	apnas_error err;       /* first builder or run error */
	int loss_node;         /* index of the xent node, -1 if none */

	/* Memory plan and buffers, rebuilt by each forward. */
	unsigned char *arena;  /* owned, arena_cap bytes */
	size_t arena_cap;
	unsigned char *ws;     /* owned: per-thread workspaces */
	size_t ws_cap;
	size_t ws_per_thread;  /* bytes of ws each thread owns */
	float *ep;             /* owned: [2][ep_cap] per-channel scale and
	                          shift of a fused conv's output */
	size_t ep_cap;
	void *plan_scratch;    /* owned: planner's interval lists */
	size_t plan_scratch_cap;
	apnas_graph_mem mem;

	double *prof;          /* owned, [cap_nodes][2] seconds (forward,
	                          backward) per node when profiling */
	size_t prof_cap;
	int profile;

	int mode;              /* the mode of the forward being planned or
	                          run (apnas_mode) */
	int ran;               /* 0: not run since build; else the mode */
	int backward_done;
	double loss;
	int64_t correct;

	/* Data parallel (shard.c): this graph runs one rank's share of a
	 * global batch when coll is set and its size() > 1. */
	const apnas_collective *coll; /* borrowed, apnas_graph_set_collective;
	                                 NULL: alone */
	int shards;            /* ranks of the forward in progress; 1: alone */
	int64_t sh_total;      /* images of the global batch */
	int64_t sh_offset;     /* images of the lower ranks' shares */
	double *sh_buf;        /* owned: [sh_cap] exchange scratch */
	size_t sh_cap;
};

#define NN_TBLOCK 64

/* Internal to libapnas: not exported from the shared library. */
#pragma GCC visibility push(hidden)

/* Plans the memory of the graph for `mode` and places every buffer;
 * grows the arena and workspace if needed (graph.c, plan.c). */
int nn_plan(apnas_graph *g, apnas_mode mode, apnas_error *err);

/* Data parallel (shard.c).  At the start of a forward: whether the graph
 * is sharded now, and if so the global batch (one exchange of the ranks'
 * image counts).  Fails with err filled. */
int nn_shard_begin(apnas_graph *g, apnas_error *err);
/* Sums v[0..n) over the ranks in rank order when the graph is sharded
 * (nothing otherwise); a failure is kept as the graph's error. */
int nn_shard_sum(apnas_graph *g, double *v, size_t n);

#pragma GCC visibility pop

/* Benchmark hook: when on, each forward and backward records every
 * node's wall time; apnas_nn_profile_times returns [n_nodes][2] seconds
 * (forward, backward), valid until the next reset.  Off by default: the
 * clock reads cost about a microsecond per op. */
int apnas_nn_profile(apnas_graph *g, int on);
const double *apnas_nn_profile_times(const apnas_graph *g, size_t *n_nodes);
/* The op name, kernel size, stride, and operand shapes of node i, for
 * reports: returns 0 and fills what it can, -1 past the end. */
int apnas_nn_node_info(const apnas_graph *g, size_t i, const char **op,
                       int *k, int *stride, apnas_dims4 *in,
                       apnas_dims4 *out);

/* Test hook: gives the input tensor t a gradient, so that tests can check
 * an op's input gradient by finite differences.  Not public API. */
void apnas_nn_test_require_grad(apnas_tensor *t);

/* Image range of part `tid` of `nthreads` over a batch of n: a fixed,
 * contiguous partition, so results never depend on scheduling. */
static inline void nn_part(int n, int tid, int nthreads, int *a, int *b)
{
	*a = (int)((int64_t)n * tid / nthreads);
	*b = (int)((int64_t)n * (tid + 1) / nthreads);
}

static inline size_t nn_round_up(size_t x)
{
	return (x + NN_ALIGN - 1) & ~(size_t)(NN_ALIGN - 1);
}

/* The per-thread workspace of thread tid. */
static inline void *nn_ws(apnas_graph *g, int tid)
{
	return g->ws + (size_t)tid * g->ws_per_thread;
}

#endif
