/* What `apnas export` reads the weights with: a space's saved state is
 * searched for the engine's parameter set, which must come back with the
 * names, shapes and values the engine saved, whatever header the space
 * wrote before it; every truncation and damage is refused, never read
 * past.  And the net description's data flow, as spaces record it. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apnas/nn.h>

#include "export/export.h"

static apnas_error err;

/* A set with a conv weight, a BN (trainable and running tensors) and an
 * FC with bias, saved after `header`; *buf is malloc()ed. */
static void saved(const char *header, char **buf, size_t *len,
                  apnas_params **out)
{
	apnas_params *ps = NULL;
	apnas_param *w, *b;
	apnas_bn bn;
	ck_assert_int_eq(apnas_params_create(3, &ps, &err), 0);
	ck_assert_int_eq(apnas_param_conv(ps, "l0.w", 4, 3, 3, &w, &err), 0);
	ck_assert_int_eq(apnas_bn_add(ps, "l0.bn", 4, 1, &bn, &err), 0);
	ck_assert_int_eq(apnas_param_fc(ps, "fc", 10, 4, &w, &b, &err), 0);
	for (int k = 0; k < 4; k++)
		apnas_param_value(bn.var)[k] = 2.0f + (float)k;
	FILE *f = open_memstream(buf, len);
	fputs(header, f);
	ck_assert_int_eq(apnas_params_save(ps, f, &err), 0);
	fclose(f);
	*out = ps;
}

START_TEST(round_trip_after_a_space_header)
{
	char *buf;
	size_t len;
	apnas_params *ps;
	saved("SPACEHDR with APNASNN1 but no byte-order mark", &buf, &len, &ps);
	ex_weights w;
	ck_assert_int_eq(ex_weights_parse((unsigned char *)buf, len, &w, &err),
	                 0);
	ck_assert_uint_eq(w.n, apnas_params_count(ps));
	for (size_t i = 0; i < w.n; i++) {
		apnas_param *p = apnas_params_at(ps, i);
		ck_assert_str_eq(w.t[i].name, apnas_param_name(p));
		ck_assert_int_eq(w.t[i].ndim, apnas_param_ndim(p));
		ck_assert_uint_eq(w.t[i].numel, apnas_param_numel(p));
		ck_assert(!memcmp(w.t[i].v, apnas_param_value(p),
		                  w.t[i].numel * sizeof(float)));
	}
	const ex_tensor *v = ex_weights_find(&w, "l0.bn.var");
	ck_assert_ptr_nonnull(v);
	ck_assert(v->v[3] == 5.0f);
	ck_assert_ptr_null(ex_weights_find(&w, "l0.bn"));
	ex_weights_free(&w);
	apnas_params_destroy(ps);
	free(buf);
}
END_TEST

START_TEST(every_truncation_and_no_set_refused)
{
	char *buf;
	size_t len;
	apnas_params *ps;
	saved("", &buf, &len, &ps);
	for (size_t cut = 0; cut < len; cut++) {
		ex_weights w;
		int rc = ex_weights_parse((unsigned char *)buf, cut, &w, &err);
		ck_assert_msg(rc == APNAS_EINVAL, "cut at %zu of %zu read", cut,
		              len);
	}
	/* damage anywhere: refused or read, never past the buffer (ASan,
	 * valgrind) */
	for (size_t i = 0; i < len; i++) {
		char *d = malloc(len);
		memcpy(d, buf, len);
		d[i] ^= 0x5a;
		ex_weights w;
		if (!ex_weights_parse((unsigned char *)d, len, &w, &err))
			ex_weights_free(&w);
		free(d);
	}
	apnas_params_destroy(ps);
	free(buf);
}
END_TEST

START_TEST(flow_recorded_and_checked)
{
	apnas_net net;
	apnas_net_init(&net);
	apnas_shape in = {3, 8, 8};
	int32_t src = APNAS_NET_INPUT;
	ck_assert_int_eq(apnas_net_inputs(&net, &src, 1, &err), APNAS_EINVAL);
	ck_assert_int_eq(apnas_net_conv(&net, "a", in, 4, 3, 1, 1, &err), 0);
	ck_assert(!apnas_net_described(&net));
	ck_assert_int_eq(apnas_net_inputs(&net, &src, 1, &err), 0);
	apnas_step st = {.kind = APNAS_STEP_RELU};
	ck_assert_int_eq(apnas_net_step(&net, &st, &err), 0);
	ck_assert(apnas_net_described(&net));
	/* a source must be an earlier layer; counts must match */
	ck_assert_int_eq(apnas_net_add_op(&net, "s", (apnas_shape){4, 8, 8}, 2,
	                                  &err), 0);
	int32_t two[2] = {0, 1};
	ck_assert_int_eq(apnas_net_inputs(&net, two, 2, &err), APNAS_EINVAL);
	ck_assert_int_eq(apnas_net_inputs(&net, two, 1, &err), APNAS_EINVAL);
	two[1] = 0;
	ck_assert_int_eq(apnas_net_inputs(&net, two, 2, &err), 0);
	st.kind = (apnas_step_kind)42;
	ck_assert_int_eq(apnas_net_step(&net, &st, &err), APNAS_EINVAL);
	ck_assert_uint_eq(net.flow[0].n_steps, 1);
	ck_assert_int_eq(net.flow[1].src[1], 0);
	ex_model m = {&net, NULL, in, "test", "", NULL, 0};
	ck_assert_int_eq(ex_check(&m, &err), 0);
	/* clearing keeps nothing of the old flow */
	apnas_net_clear(&net);
	ck_assert_int_eq(apnas_net_conv(&net, "b", in, 4, 3, 1, 1, &err), 0);
	ck_assert(!apnas_net_described(&net));
	ck_assert_uint_eq(net.flow[0].n_steps, 0);
	apnas_net_free(&net);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("export_weights");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, round_trip_after_a_space_header);
	tcase_add_test(tc, every_truncation_and_no_set_refused);
	tcase_add_test(tc, flow_recorded_and_checked);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
