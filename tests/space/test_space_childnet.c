/* enas_macro's child network description: a hand-worked L = 4
 * architecture with two skips and the default reductions, layer by layer
 * with every shape, and the properties a cost model relies on for any
 * architecture (unique names, each layer's input is what the previous
 * stage produced). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "space_harness.h"

typedef struct want_layer {
	apnas_layer_type type;
	const char *name;
	int32_t ic, ih, iw, oc, oh, ow, k, stride, pad, groups, n_inputs;
} want_layer;

#define CV APNAS_LAYER_CONV
#define DW APNAS_LAYER_DWCONV

/* Worked out by hand from method.md section 3, F = 16 on Fashion-MNIST's
 * 1x28x28 (the geometry a space created without data describes), L = 4,
 * so the ENAS reductions follow layers 4/3-1 = 0 and 2*(4/3)-1 = 1:
 *
 *   layer 0: conv3x3            28x28, then reduction 0 of output 0
 *   layer 1: sep5x5 skip -      14x14, then reduction 1 of outputs 0
 *                               (layer 2 still reads it) and 1
 *   layer 2: maxpool3x3 skip 0  7x7: sum of reduced output 0 and branch
 *   layer 3: conv5x5 skip 1     7x7: sum of reduced output 1 and branch */
static const want_layer hand[] = {
	{CV, "stem", 1, 28, 28, 16, 28, 28, 3, 1, 1, 1, 1},
	{CV, "l0.conv3x3.in", 16, 28, 28, 16, 28, 28, 1, 1, 0, 1, 1},
	{CV, "l0.conv3x3", 16, 28, 28, 16, 28, 28, 3, 1, 1, 1, 1},
	{CV, "red0.l0.path1", 16, 28, 28, 8, 14, 14, 1, 2, 0, 1, 1},
	{CV, "red0.l0.path2", 16, 28, 28, 8, 14, 14, 1, 2, 0, 1, 1},
	{APNAS_LAYER_CONCAT, "red0.l0.concat", 8, 14, 14, 16, 14, 14, 1, 1, 0,
	 1, 2},
	{CV, "l1.sep5x5.in", 16, 14, 14, 16, 14, 14, 1, 1, 0, 1, 1},
	{DW, "l1.sep5x5.dw", 16, 14, 14, 16, 14, 14, 5, 1, 2, 16, 1},
	{CV, "l1.sep5x5.pw", 16, 14, 14, 16, 14, 14, 1, 1, 0, 1, 1},
	{CV, "red1.l0.path1", 16, 14, 14, 8, 7, 7, 1, 2, 0, 1, 1},
	{CV, "red1.l0.path2", 16, 14, 14, 8, 7, 7, 1, 2, 0, 1, 1},
	{APNAS_LAYER_CONCAT, "red1.l0.concat", 8, 7, 7, 16, 7, 7, 1, 1, 0, 1,
	 2},
	{CV, "red1.l1.path1", 16, 14, 14, 8, 7, 7, 1, 2, 0, 1, 1},
	{CV, "red1.l1.path2", 16, 14, 14, 8, 7, 7, 1, 2, 0, 1, 1},
	{APNAS_LAYER_CONCAT, "red1.l1.concat", 8, 7, 7, 16, 7, 7, 1, 1, 0, 1,
	 2},
	{CV, "l2.maxpool3x3.in", 16, 7, 7, 16, 7, 7, 1, 1, 0, 1, 1},
	{APNAS_LAYER_MAXPOOL, "l2.maxpool3x3", 16, 7, 7, 16, 7, 7, 3, 1, 1, 1,
	 1},
	{APNAS_LAYER_ADD, "l2.add", 16, 7, 7, 16, 7, 7, 1, 1, 0, 1, 2},
	{CV, "l3.conv5x5.in", 16, 7, 7, 16, 7, 7, 1, 1, 0, 1, 1},
	{CV, "l3.conv5x5", 16, 7, 7, 16, 7, 7, 5, 1, 2, 1, 1},
	{APNAS_LAYER_ADD, "l3.add", 16, 7, 7, 16, 7, 7, 1, 1, 0, 1, 2},
	{APNAS_LAYER_GLOBALPOOL, "gap", 16, 7, 7, 16, 1, 1, 1, 1, 0, 1, 1},
	{APNAS_LAYER_FC, "fc", 16, 1, 1, 10, 1, 1, 1, 1, 0, 1, 1},
};

static void check_layer(const apnas_layer *got, const want_layer *w,
                        size_t i)
{
	ck_assert_msg(!strcmp(got->name, w->name), "layer %zu: %s, expected %s",
	              i, got->name, w->name);
	ck_assert_msg(got->type == w->type, "%s: type %s", w->name,
	              apnas_layer_type_name(got->type));
	ck_assert_msg(got->in.c == w->ic && got->in.h == w->ih &&
	              got->in.w == w->iw, "%s: in %dx%dx%d", w->name,
	              got->in.c, got->in.h, got->in.w);
	ck_assert_msg(got->out.c == w->oc && got->out.h == w->oh &&
	              got->out.w == w->ow, "%s: out %dx%dx%d", w->name,
	              got->out.c, got->out.h, got->out.w);
	if (w->type == CV || w->type == DW || w->type == APNAS_LAYER_MAXPOOL ||
	    w->type == APNAS_LAYER_AVGPOOL) {
		ck_assert_msg(got->kh == w->k && got->kw == w->k, "%s: k %d",
		              w->name, got->kh);
		ck_assert_msg(got->stride == w->stride, "%s: stride %d",
		              w->name, got->stride);
		ck_assert_msg(got->pad_h == w->pad && got->pad_w == w->pad,
		              "%s: pad %d", w->name, got->pad_h);
	}
	if (w->type == CV || w->type == DW)
		ck_assert_msg(got->groups == w->groups, "%s: groups %d",
		              w->name, got->groups);
	if (w->type == APNAS_LAYER_ADD || w->type == APNAS_LAYER_CONCAT)
		ck_assert_msg(got->n_inputs == w->n_inputs, "%s: inputs %d",
		              w->name, got->n_inputs);
}

START_TEST(hand_worked_l4_two_skips)
{
	const char *set[] = {"layers=4", "channels=16", NULL};
	sp s;
	sp_open(&s, "enas_macro", set, NULL, 1, 1);
	apnas_error e;
	int32_t tok[10];
	ck_assert_msg(s.ops->parse(s.self,
	                           "layer 0: conv3x3\n"
	                           "layer 1: sep5x5 skip -\n"
	                           "layer 2: maxpool3x3 skip 0\n"
	                           "layer 3: conv5x5 skip 1\n", tok, &e) == 0,
	              "%s", e.msg);
	apnas_net net;
	apnas_net_init(&net);
	ck_assert_msg(s.ops->child_net(s.self, tok, &net, &e) == 0, "%s",
	              e.msg);
	size_t n = sizeof hand / sizeof *hand;
	for (size_t i = 0; i < net.n && i < n; i++)
		check_layer(&net.layers[i], &hand[i], i);
	ck_assert_uint_eq(net.n, n);
	/* MACs by hand: convs out*k*k*in, depthwise out*k*k, FC in*out */
	uint64_t m = 0;
	m += 16ull * 28 * 28 * 9 * 1;               /* stem */
	m += 16ull * 28 * 28 * 16;                  /* l0 in */
	m += 16ull * 28 * 28 * 9 * 16;              /* l0 3x3 */
	m += 2 * (8ull * 14 * 14 * 16);             /* red0: two paths */
	m += 16ull * 14 * 14 * 16;                  /* l1 in */
	m += 16ull * 14 * 14 * 25;                  /* l1 dw */
	m += 16ull * 14 * 14 * 16;                  /* l1 pw */
	m += 4 * (8ull * 7 * 7 * 16);               /* red1: 2 x 2 paths */
	m += 16ull * 7 * 7 * 16;                    /* l2 in */
	m += 16ull * 7 * 7 * 16;                    /* l3 in */
	m += 16ull * 7 * 7 * 25 * 16;               /* l3 5x5 */
	m += 16 * 10;                               /* fc */
	ck_assert_uint_eq(apnas_net_macs(&net), m);
	apnas_net_free(&net);
	sp_close(&s);
}
END_TEST

/* The child net is the same for the same tokens whether or not the
 * instance has data of that geometry, and follows the data's geometry. */
START_TEST(child_net_follows_data_geometry)
{
	const char *set[] = {"layers=3", "channels=8", NULL};
	apnas_data_info info = {3, 32, 32, 100, 1000, 0, 0};
	sp s;
	sp_open(&s, "enas_macro", set, &info, 1, 1);
	int32_t tok[6] = {0, 1, 0, 2, 1, 1};
	apnas_net net;
	apnas_net_init(&net);
	apnas_error e;
	ck_assert_msg(s.ops->child_net(s.self, tok, &net, &e) == 0, "%s",
	              e.msg);
	ck_assert_int_eq(net.layers[0].in.c, 3);
	ck_assert_int_eq(net.layers[0].in.h, 32);
	ck_assert_int_eq(net.layers[net.n - 1].out.c, 100);
	apnas_net_free(&net);
	sp_close(&s);
}
END_TEST

/* For any architecture: names unique, every conv/pool reads the shape a
 * layer before it produced, no ADD without skips, the head last. */
START_TEST(random_child_nets_are_consistent)
{
	const char *set[] = {"layers=8", "channels=32", NULL};
	sp s;
	sp_open(&s, "enas_macro", set, NULL, 1, 1);
	int32_t *tok = calloc(s.nd, sizeof *tok);
	uint64_t st = 4242;
	apnas_error e;
	for (int it = 0; it < 200; it++) {
		sp_random_tok(&s, &st, tok);
		apnas_net net;
		apnas_net_init(&net);
		ck_assert_msg(s.ops->child_net(s.self, tok, &net, &e) == 0,
		              "%s", e.msg);
		ck_assert_str_eq(net.layers[net.n - 1].name, "fc");
		ck_assert_str_eq(net.layers[net.n - 2].name, "gap");
		int adds = 0, want_adds = 0;
		for (size_t i = 0; i < net.n; i++) {
			for (size_t j = 0; j < i; j++)
				ck_assert_str_ne(net.layers[i].name,
				                 net.layers[j].name);
			adds += net.layers[i].type == APNAS_LAYER_ADD;
		}
		for (int32_t l = 1; l < 8; l++) {
			int any = 0;
			for (size_t k = 0; k < s.nd; k++)
				if (s.dec[k].layer == l &&
				    s.dec[k].kind == APNAS_DECISION_SKIP)
					any |= tok[k];
			want_adds += any;
		}
		ck_assert_int_eq(adds, want_adds);
		apnas_net_free(&net);
	}
	free(tok);
	sp_close(&s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("space_childnet");
	TCase *tc = tcase_create("childnet");
	tcase_add_test(tc, hand_worked_l4_two_skips);
	tcase_add_test(tc, child_net_follows_data_geometry);
	tcase_add_test(tc, random_child_nets_are_consistent);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
