/* The Graphviz writer: one box per layer (name, op with kernel, stride
 * and padding, output shape, the batch norms and ReLUs after it, and a
 * note such as the layer's cycles when the caller has one), an edge per source, and skip edges
 * (from any layer but the previous one) dashed.  Layers flow top to
 * bottom in the description's order. */
#include "export/export.h"

#include <string.h>

/* Graphviz record labels treat these as syntax; a line break in a note
 * becomes Graphviz's own (\n, a centred line). */
static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		if (strchr("{}|<>\"\\", *s))
			fputc('\\', f);
		fputc(*s, f);
	}
}

static void op_text(const apnas_layer *l, const apnas_flow *fl, char *buf,
                    size_t cap)
{
	const char *t = apnas_layer_type_name(l->type);
	switch (l->type) {
	case APNAS_LAYER_CONV:
	case APNAS_LAYER_DWCONV:
	case APNAS_LAYER_MAXPOOL:
	case APNAS_LAYER_AVGPOOL:
		snprintf(buf, cap, "%s %dx%d /%d pad %d%s", t, (int)l->kh,
		         (int)l->kw, (int)l->stride, (int)l->pad_h,
		         l->type == APNAS_LAYER_AVGPOOL && !fl->count_pad
		                 ? " (real pixels)" : "");
		break;
	case APNAS_LAYER_ADD:
	case APNAS_LAYER_CONCAT:
		snprintf(buf, cap, "%s of %d", t, (int)l->n_inputs);
		break;
	default:
		snprintf(buf, cap, "%s", t);
	}
}

static void steps_text(const apnas_flow *fl, int on_input, char *buf,
                       size_t cap)
{
	buf[0] = '\0';
	for (size_t k = 0; k < fl->n_steps; k++) {
		const apnas_step *s = &fl->steps[k];
		if (s->on_input != on_input)
			continue;
		const char *n = s->kind == APNAS_STEP_BN      ? "BN"
		                : s->kind == APNAS_STEP_RELU  ? "ReLU"
		                : s->kind == APNAS_STEP_SHIFT ? "shift"
		                                              : "dropout";
		size_t u = strlen(buf);
		snprintf(buf + u, cap - u, "%s%s", u ? " + " : "", n);
	}
}

int ex_write_dot(const ex_model *m, FILE *f, const char *const *notes,
                 const char *title_note, apnas_error *err)
{
	const apnas_net *net = m->net;
	fputs("digraph apnas {\n  rankdir=TB;\n  node [shape=record, "
	      "fontname=\"Helvetica\", fontsize=10];\n  edge [color=gray30];\n",
	      f);
	fputs("  label=\"", f);
	esc(f, m->space);
	if (m->origin) {
		fputs(": ", f);
		esc(f, m->origin);
	}
	if (title_note) {
		fputs("\\n", f);
		esc(f, title_note);
	}
	fputs("\";\n  labelloc=t;\n", f);
	fprintf(f, "  input [label=\"input\\n%dx%dx%d\", shape=oval];\n",
	        (int)m->input.c, (int)m->input.h, (int)m->input.w);
	for (size_t i = 0; i < net->n; i++) {
		const apnas_layer *l = &net->layers[i];
		const apnas_flow *fl = &net->flow[i];
		char op[96], pre[96], post[96];
		op_text(l, fl, op, sizeof op);
		steps_text(fl, 1, pre, sizeof pre);
		steps_text(fl, 0, post, sizeof post);
		fprintf(f, "  n%zu [label=\"{", i);
		esc(f, l->name);
		fputs("|", f);
		if (pre[0]) {
			esc(f, pre);
			fputs(" then ", f);
		}
		esc(f, op);
		fprintf(f, "\\n%dx%dx%d", (int)l->out.c, (int)l->out.h,
		        (int)l->out.w);
		if (post[0]) {
			fputs("\\nthen ", f);
			esc(f, post);
		}
		if (notes && notes[i] && notes[i][0]) {
			fputs("|", f);
			esc(f, notes[i]);
		}
		fputs("}\"", f);
		if (l->type == APNAS_LAYER_ADD || l->type == APNAS_LAYER_CONCAT)
			fputs(", style=filled, fillcolor=\"#eeeeee\"", f);
		fputs("];\n", f);
	}
	for (size_t i = 0; i < net->n; i++) {
		const apnas_flow *fl = &net->flow[i];
		for (int k = 0; k < net->layers[i].n_inputs; k++) {
			int32_t s = fl->src[k];
			if (s == APNAS_NET_INPUT)
				fprintf(f, "  input -> n%zu;\n", i);
			else if (s == (int32_t)i - 1)
				fprintf(f, "  n%d -> n%zu;\n", (int)s, i);
			else
				fprintf(f, "  n%d -> n%zu [style=dashed, "
				        "color=\"#3366cc\"];\n", (int)s, i);
		}
	}
	fputs("}\n", f);
	if (ferror(f))
		return apnas_error_set(err, APNAS_EIO, "write error");
	return 0;
}
