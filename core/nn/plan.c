/* Memory planning: every activation, activation gradient and saved
 * per-op state gets an interval on one timeline (forward of node i at
 * time i, its backward at 2N-1-i), and a first-fit allocator places the
 * intervals in one arena so that buffers whose lives do not overlap share
 * memory.  The arena only grows, so after the largest graph has been
 * seen, rebuilding and re-planning allocates nothing. */
#include "nn/ops.h"

#include <stdlib.h>
#include <string.h>

#include "memcap.h"

enum { B_DATA = 0, B_GRAD = 1, B_AUX = 2 };

typedef struct interval {
	int start, end;     /* inclusive times */
	int kind;           /* B_* */
	int id;             /* tensor or node index, for ties and placement */
	size_t size;        /* bytes, rounded to NN_ALIGN */
	size_t off;         /* placed offset */
} interval;

static int by_start(const void *a, const void *b)
{
	const interval *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static apnas_tensor *tensor_at(apnas_graph *g, size_t i)
{
	return &g->blocks[i / NN_TBLOCK][i % NN_TBLOCK];
}

static size_t tensor_index(const apnas_graph *g, const apnas_tensor *t)
{
	for (size_t b = 0; b < g->n_blocks; b++)
		if (t >= g->blocks[b] && t < g->blocks[b] + NN_TBLOCK)
			return b * NN_TBLOCK + (size_t)(t - g->blocks[b]);
	return (size_t)-1;
}

/* Outside TRAIN nothing is read again for a backward pass, so a batch
 * norm or ReLU whose input dies with it writes over that input: its
 * elementwise pass then reads and writes the same lines instead of
 * streaming a fresh tensor through the cache.  Returns the index of the
 * tensor whose memory out (index i) shares, or i. */
static size_t in_place_of(apnas_graph *g, size_t i, const size_t *root)
{
	apnas_tensor *t = tensor_at(g, i);
	const nn_node *p = &g->nodes[t->producer];
	if ((p->op != NN_BN && p->op != NN_BN_RELU && p->op != NN_RELU) ||
	    p->skip)
		return i;
	const apnas_tensor *x = nn_in(g, p, 0);
	const nn_node *xp = &g->nodes[x->producer];
	if (x->last_use != t->producer || x->keep || xp->op == NN_INPUT ||
	    xp->fuse)
		return i;
	size_t xi = tensor_index(g, x);
	return xi < i ? root[xi] : i;
}

static int grow(void **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	/* A quarter more than asked, so that a slightly larger architecture
	 * next step does not reallocate again. */
	size_t want = nn_round_up(need + need / 4);
	void *p = NULL;
	if (posix_memalign(&p, NN_ALIGN, want) != 0)
		return -1;
	free(*buf);
	*buf = p;
	*cap = want;
	return 0;
}

int nn_plan(apnas_graph *g, apnas_mode mode, apnas_error *err)
{
	const int N = (int)g->n_nodes, END = 2 * N;
	const int train = mode == APNAS_MODE_TRAIN;
	size_t nt = g->n_tensors, cap = 2 * nt + g->n_nodes;
	size_t scratch = cap * (sizeof(interval) + sizeof(interval *)) +
	                 nt * (sizeof(size_t) + sizeof(interval *));
	if (grow(&g->plan_scratch, &g->plan_scratch_cap, scratch) < 0)
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "nn: out of memory planning the graph");
	interval *iv = g->plan_scratch;
	interval **active = (interval **)(iv + cap);
	size_t *root = (size_t *)(active + cap);   /* [nt] memory shared with */
	interval **data_iv = (interval **)(root + nt); /* [nt] a root's data */
	size_t n_iv = 0;

	for (size_t i = 0; i < nt; i++) {
		apnas_tensor *t = tensor_at(g, i);
		root[i] = train ? i : in_place_of(g, i, root);
		data_iv[i] = NULL;
		t->grad = NULL;
		t->grad_born = 0;
		nn_node *p = &g->nodes[t->producer];
		if (p->op == NN_INPUT) {
			t->data = (float *)p->x;
		} else if (p->fuse) {
			t->data = NULL; /* written straight into the norm's output */
		} else {
			int end = t->last_use;
			if (t->keep || t->last_use < 0)
				end = END;
			else if (train && t->bwd_keep_until >= 0 &&
			         END - 1 - t->bwd_keep_until > end)
				end = END - 1 - t->bwd_keep_until;
			/* a norm folded into the conv before it is written at the
			 * conv's time, while the conv's input is still being read */
			int start = p->skip ? t->producer - 1 : t->producer;
			if (root[i] != i) {
				/* in place: the root's life reaches this one's end
				 * (roots come first: producers precede readers) */
				interval *r = data_iv[root[i]];
				if (end > r->end)
					r->end = end;
			} else {
				data_iv[i] = &iv[n_iv];
				iv[n_iv++] = (interval){start, end, B_DATA, (int)i,
				                        nn_round_up(t->numel *
				                                    sizeof(float)),
				                        0};
			}
		}
		if (train && t->needs_grad && t->last_use >= 0 && p->op != NN_XENT) {
			int start = END - 1 - t->last_use;
			int end = t->keep ? END : END - 1 - t->producer;
			iv[n_iv++] = (interval){start, end, B_GRAD, (int)i,
			                        nn_round_up(t->numel * sizeof(float)),
			                        0};
		}
	}
	size_t ws = 0;
	for (int i = 0; i < N; i++) {
		nn_node *nd = &g->nodes[i];
		nd->aux = NULL;
		nd->aux_bytes = nn_aux_bytes(g, nd, mode);
		/* a conv's plane sums live until the norm after it has read them */
		int aux_end = nd->op == NN_CONV ? i + 1 : train ? END - 1 - i : i;
		if (nd->aux_bytes)
			iv[n_iv++] = (interval){i, aux_end, B_AUX, i,
			                        nn_round_up(nd->aux_bytes), 0};
		size_t w = nn_round_up(nn_ws_bytes(g, nd));
		if (w > ws)
			ws = w;
	}
	size_t ep = 0;
	for (int i = 0; i < N; i++)
		if (g->nodes[i].fuse && (size_t)g->nodes[i].out->d.c > ep)
			ep = (size_t)g->nodes[i].out->d.c;
	if (ep > g->ep_cap) {
		float *e = realloc(g->ep, 2 * ep * sizeof *e);
		if (!e)
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "nn: out of memory planning the graph");
		g->ep = e;
		g->ep_cap = ep;
	}
	qsort(iv, n_iv, sizeof *iv, by_start);

	/* First fit over the live intervals kept sorted by offset. */
	size_t n_act = 0, peak = 0, live[3] = {0, 0, 0}, best = 0;
	apnas_graph_mem at_peak = {0, 0, 0, 0};
	for (size_t i = 0; i < n_iv; i++) {
		interval *c = &iv[i];
		size_t k = 0;
		for (size_t j = 0; j < n_act; j++) {
			if (active[j]->end < c->start)
				live[active[j]->kind] -= active[j]->size;
			else
				active[k++] = active[j];
		}
		n_act = k;
		size_t off = 0, pos = 0;
		for (; pos < n_act; pos++) {
			if (active[pos]->off >= off + c->size)
				break;
			size_t e = active[pos]->off + active[pos]->size;
			if (e > off)
				off = e;
		}
		c->off = off;
		memmove(&active[pos + 1], &active[pos],
		        (n_act - pos) * sizeof *active);
		active[pos] = c;
		n_act++;
		live[c->kind] += c->size;
		if (off + c->size > peak)
			peak = off + c->size;
		if (live[0] + live[1] + live[2] > best) {
			best = live[0] + live[1] + live[2];
			at_peak.activations = live[B_DATA];
			at_peak.gradients = live[B_GRAD];
			at_peak.workspace = live[B_AUX];
		}
	}
	/* before growing: the activations, gradients and workspaces of the
	 * largest graph are what a batch of wide layers or large images
	 * costs */
	uint64_t need = (uint64_t)peak + (uint64_t)ws * (size_t)g->threads;
	if ((peak > g->arena_cap || ws * (size_t)g->threads + NN_ALIGN >
	     g->ws_cap) &&
	    apnas_memcap_check(need, "nn: a graph's activations and "
	                       "workspace", err))
		return err->code;
	if (grow((void **)&g->arena, &g->arena_cap, peak ? peak : NN_ALIGN) < 0 ||
	    grow((void **)&g->ws, &g->ws_cap,
	         ws * (size_t)g->threads + NN_ALIGN) < 0)
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "nn: out of memory for a %zu-byte arena and "
		                       "%zu bytes of workspace", peak,
		                       ws * (size_t)g->threads);
	g->ws_per_thread = ws;
	for (size_t i = 0; i < n_iv; i++) {
		interval *c = &iv[i];
		void *p = g->arena + c->off;
		if (c->kind == B_DATA)
			tensor_at(g, (size_t)c->id)->data = p;
		else if (c->kind == B_GRAD)
			tensor_at(g, (size_t)c->id)->grad = p;
		else
			g->nodes[c->id].aux = p;
	}
	for (size_t i = 0; i < nt; i++)
		if (root[i] != i)
			tensor_at(g, i)->data = tensor_at(g, root[i])->data;
	at_peak.workspace += ws * (size_t)g->threads;
	at_peak.arena = g->arena_cap + g->ws_cap;
	g->mem = at_peak;
	return 0;
}
