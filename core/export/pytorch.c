/* The PyTorch writer: one Python file defining `Net(nn.Module)` whose
 * forward() is the described network written out layer by layer (same
 * order, shapes, padding, batch norms, shifts, skip sums and
 * concatenations), and a weights file holding every state_dict entry as
 * raw little-endian float32 in the order the Python file lists them.  The
 * Python file reads it with torch alone and checks its CRC-32, so a
 * weights file of another export is refused there. */
#include "export/export.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define WEIGHTS_MAGIC "APNASPT1"

/* Module attribute names: identifiers of the layer names (and BN
 * parameter prefixes), made unique by a suffix when two collide. */
typedef struct names {
	char (*v)[80];
	size_t n;
} names;

/* Python keywords and nn.Module's own attributes (torch 1.13): a module
 * of one of these names would be a syntax error or shadow a method. */
static const char *const reserved[] = {
	"False", "None", "True", "and", "as", "assert", "async", "await",
	"break", "class", "continue", "def", "del", "elif", "else", "except",
	"finally", "for", "from", "global", "if", "import", "in", "is",
	"lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try",
	"while", "with", "yield", "T_destination", "add_module", "apply",
	"bfloat16", "buffers", "children", "cpu", "cuda", "double",
	"dump_patches", "eval", "extra_repr", "float", "forward",
	"get_buffer", "get_extra_state", "get_parameter", "get_submodule",
	"half", "ipu", "load_state_dict", "modules", "named_buffers",
	"named_children", "named_modules", "named_parameters", "parameters",
	"register_backward_hook", "register_buffer", "register_forward_hook",
	"register_forward_pre_hook", "register_full_backward_hook",
	"register_load_state_dict_post_hook", "register_module",
	"register_parameter", "requires_grad_", "set_extra_state",
	"share_memory", "state_dict", "to", "to_empty", "train", "training",
	"type", "xpu", "zero_grad", NULL,
};

static int names_add(names *ns, const char *raw, char *out, size_t cap)
{
	char id[64];
	ex_ident(id, sizeof id - 2, raw);
	for (int k = 0; reserved[k]; k++)
		if (!strcmp(id, reserved[k])) {
			memmove(id + 2, id, strlen(id) + 1);
			memcpy(id, "m_", 2);
			break;
		}
	char cand[80];
	snprintf(cand, sizeof cand, "%s", id);
	for (int k = 2;; k++) {
		size_t i = 0;
		while (i < ns->n && strcmp(ns->v[i], cand))
			i++;
		if (i == ns->n)
			break;
		snprintf(cand, sizeof cand, "%s_%d", id, k);
	}
	char (*p)[80] = realloc(ns->v, (ns->n + 1) * sizeof *p);
	if (!p)
		return -1;
	ns->v = p;
	snprintf(ns->v[ns->n++], 80, "%s", cand);
	snprintf(out, cap, "%s", cand);
	return 0;
}

/* The module names of a net: one per layer with weights, one per BN and
 * dropout step.  Built the same way by both writers, so the weights file
 * and the Python file agree. */
typedef struct modnames {
	char (*layer)[80];    /* [n] "" for layers without a module */
	char (**step)[80];    /* [n][n_steps] "" for steps without one */
	size_t n;
} modnames;

static void modnames_free(modnames *mn)
{
	for (size_t i = 0; mn->step && i < mn->n; i++)
		free(mn->step[i]);
	free(mn->step);
	free(mn->layer);
	memset(mn, 0, sizeof *mn);
}

static int has_module(const apnas_layer *l)
{
	return l->type == APNAS_LAYER_CONV || l->type == APNAS_LAYER_DWCONV ||
	       l->type == APNAS_LAYER_FC;
}

static int modnames_build(const apnas_net *net, modnames *mn,
                          apnas_error *err)
{
	names ns = {NULL, 0};
	memset(mn, 0, sizeof *mn);
	mn->n = net->n;
	mn->layer = calloc(net->n, sizeof *mn->layer);
	mn->step = calloc(net->n, sizeof *mn->step);
	int rc = !mn->layer || !mn->step;
	for (size_t i = 0; !rc && i < net->n; i++) {
		const apnas_layer *l = &net->layers[i];
		const apnas_flow *f = &net->flow[i];
		if (has_module(l))
			rc = names_add(&ns, l->name, mn->layer[i], 80);
		mn->step[i] = calloc(f->n_steps + 1, sizeof *mn->step[i]);
		rc = rc || !mn->step[i];
		for (size_t k = 0; !rc && k < f->n_steps; k++) {
			const apnas_step *s = &f->steps[k];
			char raw[96];
			if (s->kind == APNAS_STEP_BN)
				rc = names_add(&ns, s->param, mn->step[i][k], 80);
			else if (s->kind == APNAS_STEP_DROPOUT) {
				snprintf(raw, sizeof raw, "%s.drop", l->name);
				rc = names_add(&ns, raw, mn->step[i][k], 80);
			}
		}
	}
	free(ns.v);
	if (rc) {
		modnames_free(mn);
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	}
	return 0;
}

/* ---- the state_dict entries, in one order for both files ------------- */

typedef struct entry {
	char key[128];          /* state_dict key */
	const ex_tensor *t;     /* its values */
} entry;

typedef struct entries {
	entry *v;
	size_t n;
} entries;

static int push(entries *es, const char *mod, const char *field,
                const ex_tensor *t)
{
	entry *p = realloc(es->v, (es->n + 1) * sizeof *p);
	if (!p)
		return -1;
	es->v = p;
	snprintf(p[es->n].key, sizeof p[es->n].key, "%s.%s", mod, field);
	p[es->n].t = t;
	es->n++;
	return 0;
}

static int push_bn(entries *es, const ex_weights *w, const char *mod,
                   const char *param)
{
	static const char *const fs[] = {".gamma", ".beta", ".mean", ".var"};
	static const char *const ts[] = {"weight", "bias", "running_mean",
	                                 "running_var"};
	char pn[160];
	for (int j = 0; j < 4; j++) {
		ex_param_name(pn, sizeof pn, param, fs[j]);
		const ex_tensor *t = ex_weights_find(w, pn);
		if (t && push(es, mod, ts[j], t))
			return -1;
	}
	return 0;
}

/* Entries in module order: a layer's input steps, its own weights, its
 * output steps. */
static int collect(const ex_model *m, const modnames *mn, entries *es,
                   apnas_error *err)
{
	const apnas_net *net = m->net;
	char pn[160];
	int rc = 0;
	es->v = NULL;
	es->n = 0;
	for (size_t i = 0; !rc && i < net->n; i++) {
		const apnas_layer *l = &net->layers[i];
		const apnas_flow *f = &net->flow[i];
		for (int pass = 0; pass < 3 && !rc; pass++) {
			if (pass == 1) {
				if (!has_module(l))
					continue;
				ex_param_name(pn, sizeof pn, l->name, ".w");
				rc = push(es, mn->layer[i], "weight",
				          ex_weights_find(m->w, pn));
				ex_param_name(pn, sizeof pn, l->name, ".b");
				const ex_tensor *b = ex_weights_find(m->w, pn);
				if (!rc && b)
					rc = push(es, mn->layer[i], "bias", b);
				continue;
			}
			for (size_t k = 0; !rc && k < f->n_steps; k++) {
				const apnas_step *s = &f->steps[k];
				if (s->kind == APNAS_STEP_BN &&
				    s->on_input == (pass == 0))
					rc = push_bn(es, m->w, mn->step[i][k],
					             s->param);
			}
		}
	}
	if (rc) {
		free(es->v);
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	}
	return 0;
}

static int prepare(const ex_model *m, modnames *mn, entries *es,
                   apnas_error *err)
{
	if (!m->w)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "pytorch export: no weights");
	int rc = modnames_build(m->net, mn, err);
	if (!rc && (rc = collect(m, mn, es, err)))
		modnames_free(mn);
	return rc;
}

/* ---- the weights file ------------------------------------------------- */

static int put(FILE *f, const void *p, size_t n, uLong *crc)
{
	*crc = crc32(*crc, p, (uInt)n);
	return fwrite(p, 1, n, f) == n ? 0 : -1;
}

static void le32(unsigned char *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

int ex_write_pytorch_weights(const ex_model *m, FILE *f, uint32_t *crc_out,
                             apnas_error *err)
{
	modnames mn;
	entries es;
	int rc = prepare(m, &mn, &es, err);
	if (rc)
		return rc;
	uLong crc = crc32(0L, Z_NULL, 0);
	unsigned char h[12];
	memcpy(h, WEIGHTS_MAGIC, 8);
	le32(h + 8, (uint32_t)es.n);
	int bad = put(f, h, sizeof h, &crc);
	for (size_t i = 0; !bad && i < es.n; i++) {
		const ex_tensor *t = es.v[i].t;
		for (size_t k = 0; !bad && k < t->numel; k++) {
			uint32_t u;
			unsigned char b[4];
			memcpy(&u, &t->v[k], 4);
			le32(b, u);
			bad = put(f, b, 4, &crc);
		}
	}
	free(es.v);
	modnames_free(&mn);
	if (bad)
		return apnas_error_set(err, APNAS_EIO, "write error");
	*crc_out = (uint32_t)crc;
	return 0;
}

/* ---- the Python file -------------------------------------------------- */

static const char *src_var(int32_t s, char *buf, size_t cap)
{
	if (s == APNAS_NET_INPUT)
		snprintf(buf, cap, "x");
	else
		snprintf(buf, cap, "v%d", (int)s);
	return buf;
}

static void py_comment(FILE *f, const char *prefix, const char *text)
{
	const char *p = text ? text : "";
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		fprintf(f, "%s%.*s\n", prefix, (int)n, p);
		p += n + (e ? 1 : 0);
	}
}

static void py_modules(const ex_model *m, const modnames *mn, FILE *f)
{
	const apnas_net *net = m->net;
	for (size_t i = 0; i < net->n; i++) {
		const apnas_layer *l = &net->layers[i];
		const apnas_flow *f_ = &net->flow[i];
		char pn[160];
		ex_param_name(pn, sizeof pn, l->name, ".b");
		int bias = ex_weights_find(m->w, pn) != NULL;
		for (size_t k = 0; k < f_->n_steps; k++) {
			const apnas_step *s = &f_->steps[k];
			if (!s->on_input)
				continue;
			if (s->kind == APNAS_STEP_BN) {
				ex_param_name(pn, sizeof pn, s->param, ".gamma");
				fprintf(f, "        self.%s = nn.BatchNorm2d(%d, "
				        "eps=%.9g, momentum=%.9g, affine=%s)\n",
				        mn->step[i][k], (int)l->in.c, s->eps,
				        s->momentum,
				        ex_weights_find(m->w, pn) ? "True" : "False");
			} else if (s->kind == APNAS_STEP_DROPOUT) {
				fprintf(f, "        self.%s = nn.Dropout(%.9g)\n",
				        mn->step[i][k], s->p);
			}
		}
		if (l->type == APNAS_LAYER_CONV || l->type == APNAS_LAYER_DWCONV)
			fprintf(f, "        self.%s = nn.Conv2d(%d, %d, (%d, %d), "
			        "stride=%d, padding=(%d, %d), groups=%d, "
			        "bias=%s)\n", mn->layer[i], (int)l->in.c,
			        (int)l->out.c, (int)l->kh, (int)l->kw,
			        (int)l->stride, (int)l->pad_h, (int)l->pad_w,
			        (int)l->groups, bias ? "True" : "False");
		else if (l->type == APNAS_LAYER_FC)
			fprintf(f, "        self.%s = nn.Linear(%d, %d, bias=%s)\n",
			        mn->layer[i], (int)(l->in.c * l->in.h * l->in.w),
			        (int)l->out.c, bias ? "True" : "False");
		for (size_t k = 0; k < f_->n_steps; k++) {
			const apnas_step *s = &f_->steps[k];
			if (s->on_input)
				continue;
			if (s->kind == APNAS_STEP_BN) {
				ex_param_name(pn, sizeof pn, s->param, ".gamma");
				fprintf(f, "        self.%s = nn.BatchNorm2d(%d, "
				        "eps=%.9g, momentum=%.9g, affine=%s)\n",
				        mn->step[i][k], (int)l->out.c, s->eps,
				        s->momentum,
				        ex_weights_find(m->w, pn) ? "True" : "False");
			} else if (s->kind == APNAS_STEP_DROPOUT) {
				fprintf(f, "        self.%s = nn.Dropout(%.9g)\n",
				        mn->step[i][k], s->p);
			}
		}
	}
}

/* One step on variable v (a Python expression statement). */
static void py_step(FILE *f, const apnas_step *s, const char *mod,
                    const char *v)
{
	switch (s->kind) {
	case APNAS_STEP_BN:
	case APNAS_STEP_DROPOUT:
		fprintf(f, "        %s = self.%s(%s)\n", v, mod, v);
		break;
	case APNAS_STEP_RELU:
		fprintf(f, "        %s = F.relu(%s)\n", v, v);
		break;
	case APNAS_STEP_SHIFT:
		fprintf(f, "        %s = _shift(%s, %d, %d)\n", v, v, (int)s->dy,
		        (int)s->dx);
		break;
	}
}

static void py_forward(const ex_model *m, const modnames *mn, FILE *f)
{
	const apnas_net *net = m->net;
	fputs("    def forward(self, x):\n", f);
	for (size_t i = 0; i < net->n; i++) {
		const apnas_layer *l = &net->layers[i];
		const apnas_flow *fl = &net->flow[i];
		char v[32], a[32];
		snprintf(v, sizeof v, "v%zu", i);
		fprintf(f, "        # %s: %s %dx%dx%d -> %dx%dx%d\n", l->name,
		        apnas_layer_type_name(l->type), (int)l->in.c,
		        (int)l->in.h, (int)l->in.w, (int)l->out.c,
		        (int)l->out.h, (int)l->out.w);
		const char *in = src_var(fl->src[0], a, sizeof a);
		int pre = 0;
		for (size_t k = 0; k < fl->n_steps; k++)
			if (fl->steps[k].on_input) {
				if (!pre)
					fprintf(f, "        t = %s\n", in);
				pre = 1;
				py_step(f, &fl->steps[k], mn->step[i][k], "t");
			}
		if (pre)
			in = "t";
		switch (l->type) {
		case APNAS_LAYER_CONV:
		case APNAS_LAYER_DWCONV:
			fprintf(f, "        %s = self.%s(%s)\n", v, mn->layer[i], in);
			break;
		case APNAS_LAYER_FC:
			fprintf(f, "        %s = self.%s(torch.flatten(%s, 1))\n", v,
			        mn->layer[i], in);
			break;
		case APNAS_LAYER_MAXPOOL:
			fprintf(f, "        %s = F.max_pool2d(%s, (%d, %d), %d, "
			        "(%d, %d))\n", v, in, (int)l->kh, (int)l->kw,
			        (int)l->stride, (int)l->pad_h, (int)l->pad_w);
			break;
		case APNAS_LAYER_AVGPOOL:
			fprintf(f, "        %s = F.avg_pool2d(%s, (%d, %d), %d, "
			        "(%d, %d), count_include_pad=%s)\n", v, in,
			        (int)l->kh, (int)l->kw, (int)l->stride,
			        (int)l->pad_h, (int)l->pad_w,
			        fl->count_pad ? "True" : "False");
			break;
		case APNAS_LAYER_GLOBALPOOL:
			fprintf(f, "        %s = %s.mean((2, 3), keepdim=True)\n", v,
			        in);
			break;
		case APNAS_LAYER_ADD:
			fprintf(f, "        %s = ", v);
			for (int k = 0; k < l->n_inputs; k++)
				fprintf(f, "%s%s", k ? " + " : "",
				        src_var(fl->src[k], a, sizeof a));
			fputc('\n', f);
			break;
		case APNAS_LAYER_CONCAT:
			fprintf(f, "        %s = torch.cat([", v);
			for (int k = 0; k < l->n_inputs; k++)
				fprintf(f, "%s%s", k ? ", " : "",
				        src_var(fl->src[k], a, sizeof a));
			fputs("], 1)\n", f);
			break;
		}
		for (size_t k = 0; k < fl->n_steps; k++)
			if (!fl->steps[k].on_input)
				py_step(f, &fl->steps[k], mn->step[i][k], v);
	}
	fprintf(f, "        return torch.flatten(v%zu, 1)\n\n",
	        ex_output_layer(net));
}

static void py_header(const ex_model *m, FILE *f, const char *weights_name,
                      uint32_t crc)
{
	fputs("\"\"\"A network found by apnas, as a PyTorch module.\n\n"
	      "Generated by `apnas export --format pytorch`; self-contained "
	      "(torch only).\n"
	      "`load()` returns Net with the exported weights, in eval mode;\n"
	      "`Net()` alone is freshly initialised by PyTorch.  The weights\n"
	      "file is raw float32: `load_state_dict(path)` reads it into a\n"
	      "state_dict for Net.load_state_dict (and torch.save, if you "
	      "like).\n\"\"\"\n", f);
	fprintf(f, "# space: %s\n", m->space);
	if (m->origin)
		fprintf(f, "# from: %s\n", m->origin);
	fprintf(f, "# weights: %s\n", m->fresh
	        ? "freshly initialised by apnas (not trained)"
	        : "trained by apnas train");
	fputs("# architecture:\n", f);
	py_comment(f, "#   ", m->arch_text);
	fputs("import os\nimport zlib\nfrom collections import OrderedDict\n\n"
	      "import torch\nimport torch.nn.functional as F\n"
	      "from torch import nn\n\n", f);
	fprintf(f, "INPUT_SHAPE = (%d, %d, %d)  # channels, height, width\n",
	        (int)m->input.c, (int)m->input.h, (int)m->input.w);
	fprintf(f, "WEIGHTS_FILE = \"%s\"\n", weights_name);
	fprintf(f, "WEIGHTS_CRC32 = 0x%08x\n", (unsigned)crc);
	fprintf(f, "WEIGHTS_MAGIC = b\"%s\"\n\n", WEIGHTS_MAGIC);
	fputs("\ndef _shift(x, dy, dx):\n"
	      "    \"\"\"out[..., y, x] = x[..., y + dy, x + dx], zero "
	      "outside.\"\"\"\n"
	      "    h, w = x.shape[-2], x.shape[-1]\n"
	      "    x = x[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + "
	      "min(dx, 0)]\n"
	      "    return F.pad(x, (max(-dx, 0), max(dx, 0), max(-dy, 0), "
	      "max(dy, 0)))\n\n\n", f);
}

static void py_loader(FILE *f, const entries *es)
{
	fputs("# every entry of the weights file, in order: key, shape\n"
	      "WEIGHTS = [\n", f);
	for (size_t i = 0; i < es->n; i++) {
		const ex_tensor *t = es->v[i].t;
		fprintf(f, "    (\"%s\", (", es->v[i].key);
		for (int d = 0; d < t->ndim; d++)
			fprintf(f, "%d%s", (int)t->dims[d],
			        t->ndim == 1 || d + 1 < t->ndim ? ", " : "");
		fputs(")),\n", f);
	}
	fputs("]\n\n\n"
	      "def load_state_dict(path=None):\n"
	      "    \"\"\"The weights file as a state_dict for "
	      "Net.load_state_dict.\"\"\"\n"
	      "    if path is None:\n"
	      "        path = os.path.join(os.path.dirname(os.path.abspath("
	      "__file__)),\n"
	      "                            WEIGHTS_FILE)\n"
	      "    with open(path, \"rb\") as f:\n"
	      "        data = f.read()\n"
	      "    if data[:8] != WEIGHTS_MAGIC:\n"
	      "        raise ValueError(f\"{path}: not an apnas weights "
	      "file\")\n"
	      "    if zlib.crc32(data) != WEIGHTS_CRC32:\n"
	      "        raise ValueError(f\"{path}: CRC-32 differs from the "
	      "one this module was exported with\")\n"
	      "    flat = torch.frombuffer(bytearray(data[12:]), "
	      "dtype=torch.float32)\n"
	      "    if flat.numel() != sum(_numel(s) for _, s in WEIGHTS):\n"
	      "        raise ValueError(f\"{path}: wrong size\")\n"
	      "    import sys\n"
	      "    if sys.byteorder != \"little\":\n"
	      "        flat = flat.view(torch.int32).byteswap().view("
	      "torch.float32)\n"
	      "    sd = OrderedDict()\n"
	      "    off = 0\n"
	      "    for key, shape in WEIGHTS:\n"
	      "        n = _numel(shape)\n"
	      "        sd[key] = flat[off:off + n].reshape(shape).clone()\n"
	      "        off += n\n"
	      "        if key.endswith(\".running_var\"):\n"
	      "            sd[key[:-len(\"running_var\")] + "
	      "\"num_batches_tracked\"] = \\\n"
	      "                torch.tensor(0, dtype=torch.long)\n"
	      "    return sd\n\n\n"
	      "def _numel(shape):\n"
	      "    n = 1\n"
	      "    for d in shape:\n"
	      "        n *= d\n"
	      "    return n\n\n\n"
	      "def load(path=None):\n"
	      "    \"\"\"Net with the exported weights, in eval mode.\"\"\"\n"
	      "    model = Net()\n"
	      "    model.load_state_dict(load_state_dict(path))\n"
	      "    return model.eval()\n", f);
}

int ex_write_pytorch_py(const ex_model *m, FILE *f, const char *weights_name,
                        uint32_t weights_crc, apnas_error *err)
{
	modnames mn;
	entries es;
	int rc = prepare(m, &mn, &es, err);
	if (rc)
		return rc;
	py_header(m, f, weights_name, weights_crc);
	fputs("class Net(nn.Module):\n", f);
	fprintf(f, "    \"\"\"The child network of space %s: input [N, %d, %d, "
	        "%d], output the logits [N, %d].\"\"\"\n\n", m->space,
	        (int)m->input.c, (int)m->input.h, (int)m->input.w,
	        (int)m->net->layers[ex_output_layer(m->net)].out.c);
	fputs("    def __init__(self):\n        super().__init__()\n", f);
	py_modules(m, &mn, f);
	fputc('\n', f);
	py_forward(m, &mn, f);
	fputc('\n', f);
	py_loader(f, &es);
	free(es.v);
	modnames_free(&mn);
	if (ferror(f))
		return apnas_error_set(err, APNAS_EIO, "write error");
	return 0;
}
