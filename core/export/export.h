/* `apnas export` and `apnas draw`: writers that turn a space's network
 * description (net.h, with its data flow) and the engine's parameter set
 * into a PyTorch module, an ONNX model or a Graphviz drawing.
 *
 * The description is the only input for the structure, so any space that
 * describes its data flow exports; ex_check refuses, naming the layer and
 * the op, anything a writer cannot reproduce exactly.  Internal to the
 * apnas executable (and tests/export). */
#ifndef APNAS_EXPORT_H
#define APNAS_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <apnas/error.h>
#include <apnas/net.h>

/* One tensor of a parameter set, as the engine saved it. */
typedef struct ex_tensor {
	char *name;        /* owned by the ex_weights */
	int32_t ndim;      /* 1..4 */
	int32_t dims[4];
	size_t numel;
	const float *v;    /* numel values; points into the ex_weights */
} ex_tensor;

/* The values of a parameter set (nn.h apnas_params_save's format), read
 * from a space's saved state: its first "APNASNN1" section. */
typedef struct ex_weights {
	ex_tensor *t;      /* owned: n tensors in creation order */
	size_t n;
	float *vals;       /* owned: every value, aligned */
} ex_weights;

/* Parses the first parameter set in buf (n bytes: a space's save()).
 * APNAS_EINVAL when there is none or it is truncated or corrupt. */
int ex_weights_parse(const unsigned char *buf, size_t n, ex_weights *w,
                     apnas_error *err);
void ex_weights_free(ex_weights *w);
/* The tensor named `name`, or NULL. */
const ex_tensor *ex_weights_find(const ex_weights *w, const char *name);

/* What the writers work from; every pointer borrowed. */
typedef struct ex_model {
	const apnas_net *net;     /* described (apnas_net_described) */
	const ex_weights *w;      /* NULL for a drawing */
	apnas_shape input;        /* the image the network reads */
	const char *space;        /* the space's name, for comments */
	const char *arch_text;    /* the architecture's text, for comments */
	const char *origin;       /* where it came from, for comments */
	int fresh;                /* 1: weights freshly initialised */
} ex_model;

/* Checks that the writers can reproduce m exactly: the net is described,
 * every layer's op and step is one they know, sources and shapes agree,
 * and (when m->w is set) every weight exists with the shape its layer
 * needs.  The first problem is named in err (APNAS_EINVAL). */
int ex_check(const ex_model *m, apnas_error *err);

/* The name a layer's weight, bias or a BN's parameter has in the set. */
void ex_param_name(char *buf, size_t cap, const char *prefix,
                   const char *suffix);
/* An identifier from a name: [A-Za-z0-9_], not starting with a digit. */
void ex_ident(char *buf, size_t cap, const char *name);
/* The layer whose output is the network's (the last one). */
size_t ex_output_layer(const apnas_net *net);

/* PyTorch: a Python file defining `Net(nn.Module)` and a weights file
 * (raw float32 in the order the Python file lists, with its CRC-32
 * recorded there).  `weights_name` is the weights file's name as the
 * Python file refers to it (next to itself). */
int ex_write_pytorch_py(const ex_model *m, FILE *f, const char *weights_name,
                        uint32_t weights_crc, apnas_error *err);
int ex_write_pytorch_weights(const ex_model *m, FILE *f, uint32_t *crc,
                             apnas_error *err);

/* ONNX (opset 13): the inference graph with the weights as initializers.
 * APNAS_EINVAL when this apnas was built without protobuf-c. */
int ex_write_onnx(const ex_model *m, FILE *f, apnas_error *err);
/* 1 if ex_write_onnx is available in this build. */
int ex_onnx_available(void);

/* Graphviz: the network as a dot graph.  notes: NULL, or one line per
 * layer (NULL or "": none), e.g. its cycles; title_note: NULL or a line
 * under the title (the hardware and the total). */
int ex_write_dot(const ex_model *m, FILE *f, const char *const *notes,
                 const char *title_note, apnas_error *err);

#endif
